"""Task families beyond the Beyond Normal list, with known MI (issue #29; ``benchmarks/trust.py``).

Kinds of data that people bring and that the Beyond Normal list has not: several modes,
dependence that lives in the tails, class labels, low-dimensional data embedded smoothly in
many dimensions, noise whose size depends on the signal, and two labels. Every task is a
:class:`~minebook.experiments.beyond_normal.Task` (``sample(n, seed)``, ``mi`` in nats); truths
are exact where a formula exists and otherwise Monte Carlo averages of the exact log density
ratio over :data:`MC_SAMPLES` draws, whose standard error :func:`family_tasks` returns beside
each task (``0`` for exact truths).
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy.special import logsumexp

from ..data import gaussian_mi
from .beyond_normal import Task

__all__ = ["family_tasks", "class_mixture", "class_mixture_mi", "MC_SAMPLES"]

#: Draws of each Monte Carlo truth.
MC_SAMPLES = 200_000
_MC_SEED = 10**6


def _log_normal(a: np.ndarray, mean: np.ndarray, var: float) -> np.ndarray:
    """``log N(a; mean, var I)`` for ``a (m, d)`` and component means ``mean (C, d)``: ``(m, C)``."""
    d = a.shape[1]
    sq = ((a[:, None, :] - mean[None]) ** 2).sum(-1)
    return -0.5 * sq / var - 0.5 * d * np.log(2 * np.pi * var)


# --------------------------------------------------------------------------- several modes
def _mixture_means(n_modes: int, dx: int, dz: int, spread: float, task_seed: int):
    rng = np.random.default_rng([task_seed, n_modes, dx, dz])
    return rng.standard_normal((n_modes, dx)) * spread, rng.standard_normal((n_modes, dz)) * spread


def _sample_mixture(n, seed, n_modes, dx, dz, spread, task_seed=0):
    mx, mz = _mixture_means(n_modes, dx, dz, spread, task_seed)
    rng = np.random.default_rng([task_seed, seed, 7])
    c = rng.integers(n_modes, size=n)
    return mx[c] + rng.standard_normal((n, dx)), mz[c] + rng.standard_normal((n, dz))


def mixture_mi(n_modes, dx, dz, spread, task_seed=0, m=MC_SAMPLES) -> tuple[float, float]:
    """MI of the joint Gaussian mixture (mode ``c`` uniform, ``x | c ~ N(mx_c, I)`` and
    ``z | c ~ N(mz_c, I)`` independently): Monte Carlo of ``log p(x, z) - log p(x) - log p(z)``."""
    mx, mz = _mixture_means(n_modes, dx, dz, spread, task_seed)
    x, z = _sample_mixture(m, _MC_SEED, n_modes, dx, dz, spread, task_seed)
    lx, lz = _log_normal(x, mx, 1.0), _log_normal(z, mz, 1.0)
    w = -np.log(n_modes)
    ratio = logsumexp(lx + lz + w, 1) - logsumexp(lx + w, 1) - logsumexp(lz + w, 1)
    return float(ratio.mean()), float(ratio.std() / np.sqrt(m))


# --------------------------------------------------------------------------- dependence in the tails
def _sample_scale_mixture(n, seed, d, rho, scales, probs):
    rng = np.random.default_rng([seed, 11, d])
    s = np.asarray(scales)[rng.choice(len(scales), size=n, p=probs)][:, None]
    x = rng.standard_normal((n, d))
    z = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return s * x, s * z


def scale_mixture_mi(d, rho, scales, probs, m=MC_SAMPLES) -> tuple[float, float]:
    """MI of ``(x, z) = s (g, rho g + sqrt(1 - rho^2) g')`` with a random scale ``s`` shared by both
    (``scales`` with ``probs``): extremes of x and z go together by construction. Monte Carlo."""
    x, z = _sample_scale_mixture(m, _MC_SEED, d, rho, scales, probs)
    scales, logp = np.asarray(scales, float), np.log(probs)
    # per scale: the joint is N(0, s^2 [[1, rho], [rho, 1]]) coordinate pair by coordinate pair
    q = ((x**2 - 2 * rho * x * z + z**2) / (1 - rho**2)).sum(1)
    joint = np.stack([lp - 0.5 * q / s**2 - d * np.log(2 * np.pi * s**2 * np.sqrt(1 - rho**2))
                      for s, lp in zip(scales, logp, strict=True)], 1)
    marg = lambda a: np.stack([lp - 0.5 * (a**2).sum(1) / s**2 - 0.5 * d * np.log(2 * np.pi * s**2)  # noqa: E731
                               for s, lp in zip(scales, logp, strict=True)], 1)
    ratio = logsumexp(joint, 1) - logsumexp(marg(x), 1) - logsumexp(marg(z), 1)
    return float(ratio.mean()), float(ratio.std() / np.sqrt(m))


# --------------------------------------------------------------------------- class labels
def class_mixture(n: int, n_classes: int, d: int, sep: float, seed: int, task_seed: int = 0):
    """Features ``x (n, d)`` and a class label ``z (n,)``: ``z`` uniform over ``n_classes``,
    ``x | z ~ N(mu_z, I)`` with ``mu_z ~ N(0, sep^2 I)`` drawn from ``task_seed``. Returns
    ``x, z, mu``."""
    mu = np.random.default_rng(task_seed).standard_normal((n_classes, d)) * sep
    rng = np.random.default_rng([task_seed, seed])
    z = rng.integers(n_classes, size=n)
    return mu[z] + rng.standard_normal((n, d)), z, mu


def class_mixture_mi(n_classes: int, d: int, sep: float, task_seed: int = 0, m: int = MC_SAMPLES):
    """``log C + E[log p(z | x)]`` of :func:`class_mixture` by Monte Carlo with the exact
    posterior, nats, and its standard error."""
    x, z, mu = class_mixture(m, n_classes, d, sep, seed=_MC_SEED, task_seed=task_seed)
    ll = _log_normal(x, mu, 1.0)
    post = (ll - logsumexp(ll, axis=1, keepdims=True))[np.arange(m), z]
    return float(np.log(n_classes) + post.mean()), float(post.std() / np.sqrt(m))


def _sample_labels(n, seed, n_classes, d, sep):
    x, z, _ = class_mixture(n, n_classes, d, sep, seed)
    return x, z


# --------------------------------------------------------------------------- smooth embeddings
def _sample_embedded(n, seed, latent, dim, rho):
    rng = np.random.default_rng([seed, 13])
    x0 = rng.standard_normal((n, latent))
    z0 = rho * x0 + np.sqrt(1 - rho**2) * rng.standard_normal((n, latent))
    maps = np.random.default_rng([latent, dim, 17])
    out = []
    for a in (x0, z0):  # tanh(W a + b): W of full column rank, so the map is injective
        w = maps.standard_normal((latent, dim)) / np.sqrt(latent)
        b = maps.standard_normal(dim) * 0.5
        out.append(np.tanh(a @ w + b))
    return out[0], out[1]


# --------------------------------------------------------------------------- signal-dependent noise
def _noise_scale(x):
    return 0.2 + 0.6 * np.abs(x)


def _sample_heteroscedastic(n, seed):
    rng = np.random.default_rng([seed, 19])
    x = rng.standard_normal((n, 1))
    return x, x + _noise_scale(x) * rng.standard_normal((n, 1))


def heteroscedastic_mi(m: int = MC_SAMPLES, nodes: int = 200) -> tuple[float, float]:
    """``I(X; X + s(X) eps)`` with ``s(x) = 0.2 + 0.6 |x|``, ``X, eps ~ N(0, 1)``: Monte Carlo of
    ``log p(z | x) - log p(z)``, ``p(z)`` by Gauss-Hermite quadrature over x (``nodes`` nodes)."""
    x, z = _sample_heteroscedastic(m, _MC_SEED)
    t, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    s = _noise_scale(t)
    log_cond = lambda zz, mean, sd: -0.5 * ((zz - mean) / sd) ** 2 - np.log(sd * np.sqrt(2 * np.pi))  # noqa: E731
    log_pz = logsumexp(log_cond(z, t[None], s[None]) + np.log(w)[None], axis=1)
    ratio = log_cond(z[:, 0], x[:, 0], _noise_scale(x[:, 0])) - log_pz
    return float(ratio.mean()), float(ratio.std() / np.sqrt(m))


# --------------------------------------------------------------------------- two labels
def _sample_two_labels(n, seed, n_classes, keep):
    rng = np.random.default_rng([seed, 23])
    x = rng.integers(n_classes, size=n)
    z = np.where(rng.random(n) < keep, x, rng.integers(n_classes, size=n))
    return x, z


def two_labels_mi(n_classes: int, keep: float) -> float:
    """Exact MI of ``z = x`` with probability ``keep``, else uniform (``x`` uniform), nats."""
    same = keep + (1 - keep) / n_classes
    other = (1 - keep) / n_classes
    return float(np.log(n_classes) + same * np.log(same) + (n_classes - 1) * other * np.log(other))


def family_tasks() -> list[tuple[Task, float]]:
    """The families' tasks with the standard errors of their truths: ``[(task, se), ...]``."""
    out = []
    for n_modes, dx, spread in ((3, 1, 3.0), (8, 1, 4.0), (4, 2, 2.0), (6, 5, 1.0)):
        mi, se = mixture_mi(n_modes, dx, dx, spread)
        out.append((Task(f"{dx}x{dx} mixture({n_modes} modes)", mi,
                         partial(_sample_mixture, n_modes=n_modes, dx=dx, dz=dx, spread=spread), "mixture"), se))
    for d in (1, 3):
        mi, se = scale_mixture_mi(d, 0.6, (1.0, 4.0), (0.8, 0.2))
        out.append((Task(f"{d}x{d} scale mixture(rho=0.6)", mi,
                         partial(_sample_scale_mixture, d=d, rho=0.6, scales=(1.0, 4.0), probs=(0.8, 0.2)),
                         "tails"), se))
    for n_classes, sep in ((3, 1.5), (10, 1.0)):
        mi, se = class_mixture_mi(n_classes, 4, sep)
        out.append((Task(f"4x1 label({n_classes} classes)", mi,
                         partial(_sample_labels, n_classes=n_classes, d=4, sep=sep), "label"), se))
    for dim in (10, 25):
        out.append((Task(f"{dim}x{dim} embedded(2-d latent)", 2 * gaussian_mi(0.8),
                         partial(_sample_embedded, latent=2, dim=dim, rho=0.8), "embedded"), 0.0))
    mi, se = heteroscedastic_mi()
    out.append((Task("1x1 heteroscedastic noise", mi, _sample_heteroscedastic, "heteroscedastic"), se))
    out.append((Task("1x1 two labels(6 classes)", two_labels_mi(6, 0.6),
                     partial(_sample_two_labels, n_classes=6, keep=0.6), "labels"), 0.0))
    return out
