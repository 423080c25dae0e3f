"""Input validation with messages that say what was wrong and how to fix it."""

from __future__ import annotations

import math

import numpy as np
import torch


def as_2d_array(a, name: str) -> np.ndarray:
    """Return ``a`` as a float64 array of shape ``(n, d)``; accept ``(n,)`` or ``(n, d)``."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    if np.iscomplexobj(a):
        raise ValueError(
            f"{name} is complex; MI is estimated on real numbers. Pass the real and imaginary parts "
            f"as columns, e.g. np.column_stack([{name}.real, {name}.imag])."
        )
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric array of shape (n,) or (n, d).") from err
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} has shape {arr.shape}; expected (n,) or (n, d). "
            f"Reshape it, e.g. {name}.reshape(len({name}), -1)."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass paired samples, one row each.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape}); pass at least one feature.")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); drop or impute those rows first."
        )
    return arr


def check_pair(x, z) -> tuple[np.ndarray, np.ndarray]:
    """Validate one ``(x, z)`` sample pair: shapes ``(n, dx)``, ``(n, dz)``, finite, same n."""
    x = as_2d_array(x, "x")
    z = as_2d_array(z, "z")
    if len(x) != len(z):
        raise ValueError(
            f"x and z must have the same number of samples (rows); got len(x)={len(x)} "
            f"and len(z)={len(z)}. Row i of x must be paired with row i of z."
        )
    return x, z


def check_pair_any(x, z) -> tuple[np.ndarray, np.ndarray, tuple, tuple]:
    """Validate a pair of any shapes ``(n, *x_shape)``, ``(n, *z_shape)`` (e.g. images) for a
    critic module: returns ``x (n, prod(x_shape))``, ``z (n, prod(z_shape))`` and the two shapes."""
    arrays, shapes = [], []
    for a, name in ((x, "x"), (z, "z")):
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy()
        a = np.asarray(a)
        if getattr(a, "ndim", 0) < 1:
            raise ValueError(f"{name} must be an array with one row per sample; got {a!r}.")
        shapes.append(tuple(a.shape[1:]))
        arrays.append(a.reshape(len(a), -1) if a.ndim > 2 else a)
    x2, z2 = check_pair(*arrays)
    return x2, z2, shapes[0], shapes[1]


def check_seed(seed) -> int:
    """Return ``seed`` as an int if it is an integer (not a bool), else raise ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer; got {seed!r}.")
    return int(seed)


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def check_positive_float(value, name: str, allow_inf: bool = False) -> float:
    """Return ``value`` as a float if it is a positive number (finite unless ``allow_inf``)."""
    try:
        out = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a positive number; got {value!r}.") from err
    if math.isnan(out) or (math.isinf(out) and not (allow_inf and out > 0)):
        raise ValueError(f"{name} must be a finite positive number; got {value!r}.")
    if out <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}.")
    return out


def check_fraction(value, name: str) -> float:
    """Return ``value`` if it lies strictly between 0 and 1."""
    try:
        value = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a number strictly between 0 and 1; got {value!r}.") from err
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {value!r}.")
    return float(value)
