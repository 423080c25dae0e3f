"""The Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI estimator (chapter 6)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from .validation import check_pair, check_positive_int

__all__ = ["ksg", "ksg_with_std"]


def ksg(x, z, k: int = 3) -> float:
    """KSG estimator, algorithm 1 (Kraskov et al. 2004), in nats.

    ``x``: ``(n,)`` or ``(n, dx)``; ``z``: ``(n,)`` or ``(n, dz)``. With the max-norm,
    ``eps_i`` is the distance from sample i to its k-th neighbour in the joint space,
    ``n_x(i)`` and ``n_z(i)`` count the other samples strictly closer than ``eps_i`` in
    each marginal space, and

        I = psi(k) + psi(n) - < psi(n_x + 1) + psi(n_z + 1) >.

    Introduced in chapter 6. No training and no held-out split: it uses every sample.

    Ties: KSG assumes continuous data. Where a sample has ``k`` or more exact duplicates
    (``eps_i = 0``, discrete or rounded data), "strictly closer than 0" counts nothing and
    algorithm 1 breaks down; for those samples we use the rule of Gao et al. (2017) for
    discrete-continuous mixtures: ``k`` becomes the number ``k_i`` of duplicates and the
    marginal counts include the samples at distance 0, so the term is
    ``psi(k_i) - psi(n_x + 1) - psi(n_z + 1)``. On purely discrete data this is the plug-in
    estimate; on continuous data (no ``eps_i = 0``) it is exactly algorithm 1.
    """
    return ksg_with_std(x, z, k)[0]


def ksg_with_std(x, z, k: int = 3) -> tuple[float, float]:
    """:func:`ksg` and a rough standard error: the spread of the per-sample terms over ``sqrt(n)``.

    The per-sample terms share neighbours, so this error ignores their correlation; treat
    it as an order of magnitude (chapter 6).
    """
    x, z = check_pair(x, z)
    k = check_positive_int(k, "k")
    n = len(x)
    if n <= k:
        raise ValueError(f"KSG needs more samples than neighbours: n={n}, k={k}. Pass more samples or a smaller k.")
    joint = np.hstack([x, z])
    dist, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf)
    eps = dist[:, -1]
    # Strictly closer than eps: shrink the radius by one ulp, and subtract the point itself.
    tied = eps == 0
    radius = np.where(tied, 0.0, np.nextafter(eps, 0))
    n_x = cKDTree(x).query_ball_point(x, radius, p=np.inf, return_length=True) - 1
    n_z = cKDTree(z).query_ball_point(z, radius, p=np.inf, return_length=True) - 1
    k_i = np.full(n, float(k))
    if np.any(tied):  # Gao et al. 2017: k_i = number of exact duplicates (distance 0)
        k_i[tied] = cKDTree(joint).query_ball_point(joint[tied], 0.0, p=np.inf, return_length=True) - 1
    terms = digamma(k_i) - digamma(n_x + 1) - digamma(n_z + 1)
    value = float(digamma(n) + np.mean(terms))
    return value, float(np.std(terms) / np.sqrt(n))
