"""The Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI estimator (chapter 6)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from ._checks import check_pair, check_positive_int

__all__ = ["ksg"]


def ksg(x, z, k: int = 3) -> float:
    """KSG estimator, algorithm 1 (Kraskov et al. 2004), in nats.

    ``x``: ``(n,)`` or ``(n, dx)``; ``z``: ``(n,)`` or ``(n, dz)``. With the max-norm,
    ``eps_i`` is the distance from sample i to its k-th neighbour in the joint space,
    ``n_x(i)`` and ``n_z(i)`` count the other samples strictly closer than ``eps_i`` in
    each marginal space, and

        I = psi(k) + psi(n) - < psi(n_x + 1) + psi(n_z + 1) >.

    Introduced in chapter 6. No training and no held-out split: it uses every sample.
    Ties (discrete data) bias it; add tiny noise to such data first.
    """
    x, z = check_pair(x, z)
    k = check_positive_int(k, "k")
    n = len(x)
    if n <= k:
        raise ValueError(f"KSG needs more samples than neighbours: n={n}, k={k}. Pass more samples.")
    joint = np.hstack([x, z])
    dist, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf)
    eps = dist[:, -1]
    # Strictly closer than eps: shrink the radius by one ulp, and subtract the point itself.
    radius = np.nextafter(eps, 0)
    n_x = cKDTree(x).query_ball_point(x, radius, p=np.inf, return_length=True) - 1
    n_z = cKDTree(z).query_ball_point(z, radius, p=np.inf, return_length=True) - 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_z + 1)))
