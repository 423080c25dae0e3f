"""Data sets with known mutual information, all generated (chapters 1, 3, 6, 7, 12).

Conventions: samples are float64 numpy arrays ``x (n, dx)``, ``z (n, dz)``; MI in nats.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ndtr

from .validation import check_positive_int

__all__ = [
    "gaussian_mi", "rho_for_mi", "correlated_gaussian", "gaussian_log_ratio",
    "mvn_mi", "sample_mvn", "TRANSFORMS", "transform",
    "EQUITABILITY_FUNCTIONS", "equitability_sample", "equitability_mi",
]


def _check_rho(rho) -> np.ndarray:
    r = np.asarray(rho, dtype=np.float64)
    if np.any(np.abs(r) >= 1) or not np.all(np.isfinite(r)):
        raise ValueError(f"rho must lie strictly between -1 and 1; got {rho}.")
    return r


def gaussian_mi(rho, d: int = 1):
    """``I(X;Z) = -d/2 log(1 - rho^2)`` for ``Sigma = [[I, rho I], [rho I, I]]`` (chapter 1).

    ``rho`` may be an array; returns nats (float or array).
    """
    r = _check_rho(rho)
    out = -0.5 * d * np.log1p(-(r**2))
    return float(out) if out.ndim == 0 else out


def rho_for_mi(mi, d: int = 1):
    """The correlation giving ``mi`` nats in the d-dimensional task (inverse of ``gaussian_mi``)."""
    mi = np.asarray(mi, dtype=np.float64)
    if np.any(mi < 0):
        raise ValueError("mi must be non-negative.")
    out = np.sqrt(-np.expm1(-2.0 * mi / d))
    return float(out) if out.ndim == 0 else out


def correlated_gaussian(n: int, d: int = 1, rho: float = 0.5, seed: int = 0):
    """``n`` samples of ``x, z`` in R^d with ``z = rho x + sqrt(1 - rho^2) eps`` (chapter 1).

    Each coordinate pair ``(x_i, z_i)`` has correlation ``rho``; coordinates are independent.
    Returns ``x (n, d)``, ``z (n, d)``; the MI is :func:`gaussian_mi` ``(rho, d)``.
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    r = float(_check_rho(rho))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    z = r * x + np.sqrt(1 - r * r) * rng.standard_normal((n, d))
    return x, z


def gaussian_log_ratio(x, z, rho: float) -> np.ndarray:
    """``log p(x, z) / (p(x) p(z))`` for the correlated-Gaussian task, shape ``(n,)`` (chapter 1).

    Its mean under the joint is the MI; it is also the optimal DV critic (chapter 2).
    """
    r = float(_check_rho(rho))
    x, z = np.atleast_2d(np.asarray(x, float).T).T, np.atleast_2d(np.asarray(z, float).T).T
    one = 1 - r * r
    per_dim = -0.5 * np.log(one) - (r * r * (x**2 + z**2) - 2 * r * x * z) / (2 * one)
    return per_dim.sum(axis=1)


def mvn_mi(cov, dim_x: int) -> float:
    """MI between the first ``dim_x`` coordinates and the rest of ``N(0, cov)`` (chapter 1).

    ``0.5 (log det C_xx + log det C_zz - log det C)`` in nats.
    """
    c = np.asarray(cov, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or not 0 < dim_x < c.shape[0]:
        raise ValueError("cov must be square (d, d) and 0 < dim_x < d.")
    if not np.allclose(c, c.T):
        raise ValueError("cov must be symmetric.")
    try:  # log det from Cholesky factors; fails unless positive definite
        a, b, full = (2 * np.sum(np.log(np.diag(np.linalg.cholesky(m))))
                      for m in (c[:dim_x, :dim_x], c[dim_x:, dim_x:], c))
    except np.linalg.LinAlgError as err:
        raise ValueError("cov must be positive definite.") from err
    return float(0.5 * (a + b - full))


def sample_mvn(n: int, cov, dim_x: int, seed: int = 0):
    """``n`` samples of ``N(0, cov)`` split into ``x (n, dim_x)`` and ``z (n, d - dim_x)``."""
    c = np.asarray(cov, dtype=np.float64)
    mvn_mi(c, dim_x)  # validates: square, positive definite, 0 < dim_x < d
    rng = np.random.default_rng(seed)
    s = rng.multivariate_normal(np.zeros(len(c)), c, size=check_positive_int(n, "n"), method="cholesky")
    return s[:, :dim_x], s[:, dim_x:]


#: Invertible, coordinate-wise transforms: applying one to x (or z) leaves the MI unchanged.
TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda a: a,
    "cubic": lambda a: a**3,
    "asinh": np.arcsinh,
    "half_cube": lambda a: a * np.sqrt(np.abs(a)),
    "normal_cdf": ndtr,
}


def transform(a, name: str) -> np.ndarray:
    """Apply the invertible transform ``name`` (a key of ``TRANSFORMS``) elementwise (chapter 3)."""
    if name not in TRANSFORMS:
        raise ValueError(f"unknown transform {name!r}; choose one of {sorted(TRANSFORMS)}.")
    return TRANSFORMS[name](np.asarray(a, dtype=np.float64))


#: The functions of the equitability experiment (chapter 7), all monotone on (-1, 1).
EQUITABILITY_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x": lambda a: a,
    "x^3": lambda a: a**3,
    "sin(x)": np.sin,
}


def _equitability_f(f):
    if callable(f):
        return f
    if f not in EQUITABILITY_FUNCTIONS:
        raise ValueError(f"unknown function {f!r}; choose one of {list(EQUITABILITY_FUNCTIONS)} or pass a callable.")
    return EQUITABILITY_FUNCTIONS[f]


def equitability_sample(n: int, f="x", sigma: float = 0.1, seed: int = 0):
    """``X ~ U(-1, 1)``, ``Y = f(X) + sigma * eps``: returns ``x (n, 1)``, ``y (n, 1)`` (chapter 7)."""
    if sigma <= 0:
        raise ValueError(f"sigma must be positive; got {sigma}.")
    fn = _equitability_f(f)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(check_positive_int(n, "n"), 1))
    return x, fn(x) + sigma * rng.standard_normal(x.shape)


def equitability_mi(f="x", sigma: float = 0.1, n_x: int = 4001, n_y: int = 4001) -> float:
    """``I(X;Y)`` of the equitability task by numerical quadrature, in nats (chapter 7).

    ``I = h(Y) - h(Y|X)`` with ``h(Y|X) = 0.5 log(2 pi e sigma^2)`` and
    ``p(y) = 1/2 int_{-1}^{1} N(y; f(x), sigma^2) dx``. The x-integral uses the exact
    Gaussian CDF on each cell of a fine grid where f is linearised (accurate even when
    sigma is much smaller than the grid step); ``h(Y)`` is then a trapezoid rule on a
    y-grid covering ``f(-1) - 8 sigma`` to ``f(1) + 8 sigma``. No simulation.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be positive; got {sigma}.")
    fn = _equitability_f(f)
    xs = np.linspace(-1.0, 1.0, n_x)
    fx = fn(xs)
    lo, hi = fx.min() - 8 * sigma, fx.max() + 8 * sigma
    ys = np.linspace(lo, hi, n_y)
    p_y = np.zeros_like(ys)
    for a, b, fa, fb in zip(xs[:-1], xs[1:], fx[:-1], fx[1:], strict=True):
        p_y += _cell_density(ys, a, b, fa, fb, sigma)
    p_y *= 0.5
    integrand = np.where(p_y > 0, -p_y * np.log(np.where(p_y > 0, p_y, 1.0)), 0.0)
    h_y = np.trapezoid(integrand, ys)
    return float(h_y - 0.5 * np.log(2 * np.pi * np.e * sigma**2))


def _cell_density(ys, a, b, fa, fb, sigma):
    """``int_a^b N(y; f(x), sigma^2) dx`` with f linear on [a, b], for every y (exact)."""
    slope = (fb - fa) / (b - a)
    if abs(slope) * (b - a) < 1e-12 * sigma:
        return (b - a) * np.exp(-0.5 * ((ys - fa) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    lo, hi = sorted((fa, fb))
    return (ndtr((hi - ys) / sigma) - ndtr((lo - ys) / sigma)) / abs(slope)
