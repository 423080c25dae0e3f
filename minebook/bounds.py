"""Variational lower bounds on KL divergence and mutual information, in nats.

Every function takes critic scores, never densities, and works on the last dimension,
so that a leading "ensemble" dimension ``K`` (many critics trained at once) is free:

* ``t_joint``: scores ``T(x_i, z_i)`` on samples of the joint ``P_XZ``, shape ``(..., n)``.
* ``t_marginal``: scores on samples of the product of marginals ``P_X ⊗ P_Z``
  (shuffled pairs), shape ``(..., m)``.
* ``scores``: for InfoNCE, the matrix ``T(x_i, z_j)`` of shape ``(..., B, B)`` whose
  diagonal holds the joint pairs.

All logs of means of exponentials use log-sum-exp, never ``log(mean(exp(t)))``:
this is what keeps the bounds finite at rho = 0.99 and in 50 dimensions (chapter 5).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "logmeanexp",
    "naive_log_mean_exp",
    "dv_bound",
    "nwj_bound",
    "jsd_objective",
    "infonce_bound",
    "smile_bound",
]


def logmeanexp(t: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``log(mean(exp(t)))`` along ``dim``, computed with log-sum-exp (stable for any t).

    Introduced in chapter 2. Shape: ``(..., m) -> (...)``.
    """
    return torch.logsumexp(t, dim=dim) - math.log(t.shape[dim])


def naive_log_mean_exp(t: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """The naive ``log(mean(exp(t)))``: overflows to inf in float32 once t > ~88.

    Kept only to show, in chapter 5, what goes wrong without log-sum-exp.
    """
    return torch.log(torch.mean(torch.exp(t), dim=dim))


def dv_bound(t_joint: torch.Tensor, t_marginal: torch.Tensor) -> torch.Tensor:
    """Donsker-Varadhan bound ``E_P[T] - log E_Q[e^T]`` in nats (chapter 2).

    Shapes: ``t_joint (..., n)``, ``t_marginal (..., m)`` -> ``(...)``.
    Its plain gradient on a minibatch is the *biased* MINE gradient (chapter 4).
    """
    return t_joint.mean(dim=-1) - logmeanexp(t_marginal, dim=-1)


def nwj_bound(t_joint: torch.Tensor, t_marginal: torch.Tensor) -> torch.Tensor:
    """NWJ / MINE-f bound ``E_P[T] - E_Q[e^(T-1)]`` in nats (chapter 2).

    Computed as ``exp(logmeanexp(T) - 1)`` so that no intermediate ``e^T`` overflows
    before the mean. Its optimal critic is ``1 + log p/q``. Shapes as in :func:`dv_bound`.
    """
    return t_joint.mean(dim=-1) - torch.exp(logmeanexp(t_marginal, dim=-1) - 1.0)


def jsd_objective(t_joint: torch.Tensor, t_marginal: torch.Tensor) -> torch.Tensor:
    """Deep InfoMax's Jensen-Shannon objective ``E_P[-sp(-T)] - E_Q[sp(T)]`` (chapter 11).

    ``sp`` is the softplus. This is ``2 JSD(P||Q) - log 4`` at its optimum, not an MI
    value in nats; its optimal critic is ``log p/q``, so a critic trained with it can
    be read out with :func:`dv_bound`. Shapes as in :func:`dv_bound`.
    """
    return -F.softplus(-t_joint).mean(dim=-1) - F.softplus(t_marginal).mean(dim=-1)


def infonce_bound(scores: torch.Tensor) -> torch.Tensor:
    """InfoNCE bound ``log B + mean_i [S_ii - logsumexp_j S_ij]`` in nats (chapter 12).

    ``scores``: ``(..., B, B)`` with ``scores[..., i, j] = T(x_i, z_j)``. The value can
    never exceed ``log B``: the ceiling that chapter 12 draws.
    """
    batch = scores.shape[-1]
    if scores.shape[-2] != batch:
        raise ValueError(f"scores must be square in its last two dimensions; got {tuple(scores.shape)}.")
    diag = torch.diagonal(scores, dim1=-2, dim2=-1)
    return (diag - torch.logsumexp(scores, dim=-1)).mean(dim=-1) + math.log(batch)


def smile_bound(t_joint: torch.Tensor, t_marginal: torch.Tensor, tau: float = 5.0) -> torch.Tensor:
    """SMILE: the DV bound with the partition term's scores clipped to ``[-tau, tau]``.

    Song and Ermon (2020), chapter 12. ``tau = inf`` gives back :func:`dv_bound`.
    Shapes as in :func:`dv_bound`.
    """
    if tau <= 0:
        raise ValueError(f"tau must be positive; got {tau}.")
    return t_joint.mean(dim=-1) - logmeanexp(torch.clamp(t_marginal, -tau, tau), dim=-1)
