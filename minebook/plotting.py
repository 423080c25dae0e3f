"""Plotting helpers shared by the chapters: one style, PNG figures, truth lines (chapter 1)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

__all__ = ["setup", "fit_column", "panel_grid", "seeds_frame", "seeds_boxplot", "smooth", "plot_truth",
           "COLORS", "PALETTE", "COLUMN_IN"]

#: The Okabe-Ito palette (Okabe and Ito 2008), designed to stay distinct under the common forms
#: of colour blindness: the book's one palette (also the default colour cycle, :func:`setup`).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#B8A000", "#000000")

#: One colour per estimator, used by every figure of the book, from :data:`PALETTE` (grey for
#: KSG and the Gaussian baseline, dashed or marked apart where both appear).
COLORS = {
    "truth": "black", "mine": PALETTE[0], "mine_biased": PALETTE[3], "mine_f": PALETTE[2],
    "jsd": PALETTE[4], "infonce": PALETTE[1], "smile": PALETTE[5], "ksg": "#7f7f7f",
    "gaussian": PALETTE[6], "vib": "#555555",
}


#: The width of the book's text column at 1366 px, in inches at the figures' 100 dpi (745 px).
COLUMN_IN = 7.45


def fit_column(fig) -> None:
    """Make a new figure no wider than the text column (a ``figure.hooks`` entry, :func:`setup`).

    A figure wider than :data:`COLUMN_IN` would be scaled down by the browser, and its 10 pt
    labels with it (a 13-inch figure renders its legends at 57%); narrowed here instead, its
    fonts keep their size and the panels share the column. The height shrinks with the width
    but not below 3 inches or the height asked for, whichever is less.
    """
    width, height = fig.get_size_inches()
    if width > COLUMN_IN:
        fig.set_size_inches(COLUMN_IN, max(height * COLUMN_IN / width, min(height, 3.0)))


def panel_grid(n: int, ncols: int = 2, panel_height: float = 2.8, **kwargs):
    """``n`` panels in rows of ``ncols`` across the text column: ``fig, axes`` with ``axes`` a flat
    list of ``n`` axes (the unused cells of the last row are hidden). ``kwargs`` go to
    ``plt.subplots`` (``sharey=True``...). For sweeps with one panel per setting (chapter 5)."""
    import matplotlib.pyplot as plt

    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(COLUMN_IN - 0.05, panel_height * nrows), squeeze=False,
                             **kwargs)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def setup() -> None:
    """The book's figure style: seaborn's theme, and inline figures as PNG (never SVG/HTML).

    Call once at the top of a chapter. The seaborn theme (``whitegrid``) with :data:`PALETTE` as
    the colour cycle is the one theme of every figure; the book's own settings go on top of it. PNG
    keeps the notebooks small and keeps nbval away from figure outputs (images are not
    compared). Every new figure is narrowed to the text column (:func:`fit_column`). Introduced
    in chapter 1.
    """
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE))
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 100,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "legend.frameon": False, "font.size": 10,
        "figure.hooks": ["minebook.plotting:fit_column"],
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
