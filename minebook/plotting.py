"""Plotting helpers shared by the chapters: one style, PNG figures, truth lines (chapter 1)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

__all__ = ["setup", "seeds_frame", "seeds_boxplot", "smooth", "plot_truth", "COLORS"]

#: One colour per estimator, used by every figure of the book.
COLORS = {
    "truth": "black", "mine": "#1f77b4", "mine_biased": "#d62728", "mine_f": "#2ca02c",
    "jsd": "#9467bd", "infonce": "#ff7f0e", "smile": "#8c564b", "ksg": "#7f7f7f",
    "gaussian": "#e377c2", "vib": "#17becf",
}


def setup() -> None:
    """The book's figure style: seaborn's theme, and inline figures as PNG (never SVG/HTML).

    Call once at the top of a chapter. The seaborn theme (``whitegrid``, colour-blind
    palette) is the one theme of every figure; the book's own settings go on top of it. PNG
    keeps the notebooks small and keeps nbval away from figure outputs (images are not
    compared). Introduced in chapter 1.
    """
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
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


def seeds_frame(values: dict, x, x_name: str = "x", y_name: str = "y", hue_name: str = "method"):
    """A long-form table of per-seed results, for seaborn (chapter 10).

    ``values`` maps a label (the ``hue_name`` column) to an array ``(len(x), n_seeds)``;
    ``x`` gives the ``x_name`` value of each row of those arrays. Returns a
    :class:`pandas.DataFrame` with one row per (label, x, seed) and the columns
    ``hue_name``, ``x_name``, ``"seed"``, ``y_name``, ready for ``sns.lineplot(...,
    errorbar="sd")`` or ``sns.stripplot``.
    """
    import pandas as pd

    rows = []
    x = np.asarray(x)
    for label, arr in values.items():
        arr = np.asarray(arr, dtype=float)
        if arr.ndim != 2 or arr.shape[0] != len(x):
            raise ValueError(f"values[{label!r}] must have shape (len(x), n_seeds) = ({len(x)}, ...); "
                             f"got {arr.shape}.")
        for i, xv in enumerate(x):
            rows += [{hue_name: label, x_name: xv, "seed": s, y_name: v} for s, v in enumerate(arr[i])]
    return pd.DataFrame(rows)


def seeds_boxplot(ax, values: dict, ylabel: str, palette) -> None:
    """One box per model over its seeds, every seed a dot, on ``ax`` (chapter 8).

    ``values`` maps a model name to its per-seed results ``(n_seeds,)``; ``palette``: one colour
    per model, in order. A seaborn box plot (no fill, no outlier markers: the dots show every
    seed) under a jittered strip plot; the y axis is labelled ``ylabel``.
    """
    import seaborn as sns

    frame = seeds_frame({name: np.asarray(v, dtype=float)[None, :] for name, v in values.items()},
                        [0], x_name="group", y_name=ylabel, hue_name="model")
    common = dict(data=frame, x="model", y=ylabel, hue="model", palette=list(palette), legend=False, ax=ax)
    sns.boxplot(width=0.5, fill=False, showfliers=False, **common)
    sns.stripplot(size=6, jitter=0.1, **common)


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
