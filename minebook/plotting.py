"""Plotting helpers shared by the chapters: one style, PNG figures, truth lines (chapter 1)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

__all__ = ["setup", "smooth", "plot_truth", "COLORS"]

#: One colour per estimator, used by every figure of the book.
COLORS = {
    "truth": "black", "mine": "#1f77b4", "mine_biased": "#d62728", "mine_f": "#2ca02c",
    "jsd": "#9467bd", "infonce": "#ff7f0e", "smile": "#8c564b", "ksg": "#7f7f7f",
    "gaussian": "#e377c2", "vib": "#17becf",
}


def setup() -> None:
    """Use the book's matplotlib style and render inline figures as PNG (never SVG/HTML).

    Call once at the top of a chapter. PNG keeps the notebooks small and keeps nbval away
    from figure outputs (images are not compared).
    """
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 100,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "legend.frameon": False, "font.size": 10,
    })
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not inside IPython
        return
    set_matplotlib_formats("png")


def smooth(values, window: int = 50) -> np.ndarray:
    """Trailing moving average of a training curve ``(steps,)`` -> ``(steps,)`` (nan-safe start)."""
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    out = np.empty_like(v)
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - window, 0)
    out[:] = (c[idx] - c[lo]) / (idx - lo)
    return out


def plot_truth(ax, value: float, label: str = "true MI", **kwargs) -> None:
    """Draw the true MI (nats) as a dashed horizontal line on ``ax``."""
    kwargs.setdefault("color", COLORS["truth"])
    kwargs.setdefault("linestyle", "--")
    ax.axhline(value, label=label, **kwargs)
