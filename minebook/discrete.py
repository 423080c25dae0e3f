"""Discrete variables: class labels recognised, one-hot encoded, and the plug-in MI of two of them.

``estimate_mi`` routes a pair in which one side is a class label (one column of at most
:data:`MAX_CLASSES` distinct integer or boolean values, or a one-hot block) to the classifier
bound (estimator ``"ba"``: ``H(Z) - cross-entropy`` of a classifier of the label from the other
side, on held-out rows), and a pair of two labels to the plug-in estimate of their contingency
table (estimator ``"plugin"``). A critic reading an integer label as a number has to learn a
function with a jump at every class boundary and reads low (chapter 3). All values in nats.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MAX_CLASSES", "label_codes", "one_hot", "plugin_mi"]

#: The most distinct values a column may take to be read as a class label.
MAX_CLASSES = 128


def label_codes(a: np.ndarray) -> np.ndarray | None:
    """Class codes ``0 .. C-1`` of ``a (n, d)`` if it is a label, else ``None`` (chapter 3).

    A label is one column of at least 2 and at most :data:`MAX_CLASSES` distinct values that are
    all integers (booleans included), or a block of 0/1 columns with exactly one 1 per row
    (one-hot). Codes follow the sorted values (one-hot: the column of the 1).
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.shape[1] > 1:
        if a.shape[1] <= MAX_CLASSES and np.all((a == 0) | (a == 1)) and np.all(a.sum(1) == 1):
            return a.argmax(1)
        return None
    values = np.unique(a[:, 0])
    if not 2 <= len(values) <= MAX_CLASSES or not np.all(values == np.round(values)):
        return None
    return np.searchsorted(values, a[:, 0])


def one_hot(codes: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """``(n,)`` codes as an ``(n, C)`` float64 one-hot block."""
    n_classes = int(codes.max()) + 1 if n_classes is None else n_classes
    out = np.zeros((len(codes), n_classes))
    out[np.arange(len(codes)), codes] = 1.0
    return out


def plugin_mi(x_codes: np.ndarray, z_codes: np.ndarray) -> tuple[float, float]:
    """The MI of two labels from their contingency table, nats, and its standard error.

    ``sum p(x, z) log p(x, z) / (p(x) p(z))`` over the observed table, less the Miller-Madow
    term ``(Cx - 1)(Cz - 1) / (2n)`` of its upward bias (``C``: observed classes); the standard
    error is ``std(log r) / sqrt(n)`` with ``r = p(x, z) / (p(x) p(z))`` of each row (the delta
    method). Chapter 3.
    """
    n = len(x_codes)
    _, xi = np.unique(x_codes, return_inverse=True)
    _, zi = np.unique(z_codes, return_inverse=True)
    table = np.zeros((xi.max() + 1, zi.max() + 1))
    np.add.at(table, (xi, zi), 1.0)
    p = table / n
    px, pz = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.where(p > 0, np.log(p / (px * pz)), 0.0)
    mi = float((p * log_r).sum())
    bias = (table.shape[0] - 1) * (table.shape[1] - 1) / (2.0 * n)
    per_row = log_r[xi, zi]
    return mi - bias, float(per_row.std() / math.sqrt(n))
