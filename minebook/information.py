"""Exact information quantities for discrete distributions and Gaussians (chapters 1-2).

All values are in nats. Discrete distributions are numpy arrays of probabilities.
"""

from __future__ import annotations

import numpy as np

__all__ = ["entropy", "kl_divergence", "mutual_information", "gaussian_kl"]


def _probabilities(p, name: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if np.any(p < 0) or not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must hold finite, non-negative probabilities.")
    total = p.sum()
    if not np.isclose(total, 1.0, atol=1e-9):
        raise ValueError(f"{name} must sum to 1 (it sums to {total:.6g}); normalise it first.")
    return p


def entropy(p) -> float:
    """Shannon entropy ``-sum p log p`` in nats of a discrete distribution (chapter 1)."""
    p = _probabilities(p, "p").ravel()
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))


def kl_divergence(p, q) -> float:
    """``KL(p || q) = sum p log(p/q)`` in nats; ``inf`` when p is not dominated by q (chapter 1)."""
    p, q = _probabilities(p, "p").ravel(), _probabilities(q, "q").ravel()
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape; got {p.shape} and {q.shape}.")
    nz = p > 0
    if np.any(q[nz] == 0):
        return float("inf")
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def mutual_information(p_xz) -> float:
    """``I(X;Z) = KL(P_XZ || P_X ⊗ P_Z)`` in nats from a joint table ``(nx, nz)`` (chapter 1)."""
    p_xz = _probabilities(p_xz, "p_xz")
    if p_xz.ndim != 2:
        raise ValueError(f"p_xz must be a 2-D joint probability table; got shape {p_xz.shape}.")
    product = np.outer(p_xz.sum(axis=1), p_xz.sum(axis=0))
    return kl_divergence(p_xz, product)


def gaussian_kl(mean0, cov0, mean1, cov1) -> float:
    """``KL(N(mean0, cov0) || N(mean1, cov1))`` in nats, closed form (chapter 1).

    ``0.5 [tr(S1^-1 S0) + (m1-m0)^T S1^-1 (m1-m0) - d + log det S1 - log det S0]``.
    """
    m0, m1 = np.atleast_1d(np.asarray(mean0, float)), np.atleast_1d(np.asarray(mean1, float))
    s0, s1 = np.atleast_2d(np.asarray(cov0, float)), np.atleast_2d(np.asarray(cov1, float))
    d = len(m0)
    if m1.shape != (d,) or s0.shape != (d, d) or s1.shape != (d, d):
        raise ValueError("means must be (d,) and covariances (d, d) with one common d.")
    diff = m1 - m0
    solve = np.linalg.solve(s1, np.column_stack([s0, diff]))
    _, logdet0 = np.linalg.slogdet(s0)
    _, logdet1 = np.linalg.slogdet(s1)
    return float(0.5 * (np.trace(solve[:, :d]) + diff @ solve[:, d] - d + logdet1 - logdet0))
