"""Training objectives of every estimator, shared by ``estimate_mi`` and the ``MINE`` module.

One function, :func:`batch_objective`, turns a minibatch into two numbers per critic:
the *value* (the bound that the estimator reports on this batch, nats) and the *train*
tensor whose gradient is the estimator's training gradient. Maximise ``train``.

=============  ===========================  ==========================================
estimator      trains with                  reports (value and held-out read-out)
=============  ===========================  ==========================================
mine           DV, EMA-corrected gradient   DV
mine_biased    DV, plain minibatch gradient DV
mine_f         NWJ (f-divergence)           NWJ
jsd            Jensen-Shannon (softplus)    DV
infonce        InfoNCE                      InfoNCE (at most log B)
smile          Jensen-Shannon               DV with marginal scores clipped to ±tau
=============  ===========================  ==========================================
"""

from __future__ import annotations

import torch

from .bounds import (
    dv_bound,
    infonce_bound,
    jsd_objective,
    logmeanexp,
    naive_log_mean_exp,
    nwj_bound,
    smile_bound,
)
from .ema import LogEMA, ema_dv_surrogate

__all__ = ["critic_outputs", "batch_objective", "shuffle_rows", "off_diagonal", "NEURAL_ESTIMATORS"]

NEURAL_ESTIMATORS = ("mine", "mine_biased", "mine_f", "jsd", "infonce", "smile")


def shuffle_rows(z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Permute ``z`` along its row dimension, independently for each leading member.

    Introduced in chapter 3: pairing ``x_i`` with ``z_{pi(i)}`` turns joint samples into
    samples of the product of marginals. Shape ``(K, B, d) -> (K, B, d)``.
    """
    k, b = z.shape[0], z.shape[1]
    keys = torch.rand(k, b, generator=generator).to(z.device)
    perm = torch.argsort(keys, dim=1)
    return torch.gather(z, 1, perm.unsqueeze(-1).expand_as(z))


def off_diagonal(scores: torch.Tensor) -> torch.Tensor:
    """The ``B(B-1)`` off-diagonal entries of ``(K, B, B)`` scores, as ``(K, B(B-1))``."""
    k, b, _ = scores.shape
    mask = ~torch.eye(b, dtype=torch.bool, device=scores.device)
    return scores[:, mask].reshape(k, b * (b - 1))


def critic_outputs(critic, x: torch.Tensor, z: torch.Tensor, estimator: str,
                   generator: torch.Generator | None = None):
    """Joint scores, marginal scores and (if needed) the all-pairs matrix for one batch.

    ``x (K, B, dx)``, ``z (K, B, dz)`` -> ``t_joint (K, B)``, ``t_marginal (K, M)``,
    ``scores (K, B, B) or None``. Separable critics use all off-diagonal pairs as marginal
    samples; concat critics use one in-batch shuffle of ``z`` (chapter 3).
    """
    if estimator == "infonce" or critic.separable:
        scores = critic.scores(x, z)
        return torch.diagonal(scores, dim1=-2, dim2=-1), off_diagonal(scores), scores
    return critic(x, z), critic(x, shuffle_rows(z, generator)), None


def batch_objective(estimator: str, t_joint, t_marginal, scores=None, ema: LogEMA | None = None,
                    tau: float = 5.0, naive_numerics: bool = False):
    """Return ``(value, train)`` of shape ``(K,)``: the reported bound and the training target.

    ``ema`` is required for ``"mine"`` and is updated in place with this batch.
    ``naive_numerics=True`` computes DV's ``log mean exp`` naively (chapter 5's overflow demo).
    """
    if estimator == "infonce":
        value = infonce_bound(scores)
        return value, value
    if estimator == "mine_f":
        value = nwj_bound(t_joint, t_marginal)
        return value, value
    if estimator in ("jsd", "smile"):
        value = (smile_bound(t_joint, t_marginal, tau) if estimator == "smile"
                 else dv_bound(t_joint, t_marginal))
        return value.detach(), jsd_objective(t_joint, t_marginal)
    if naive_numerics:
        value = t_joint.mean(dim=-1) - naive_log_mean_exp(t_marginal)
    else:
        value = dv_bound(t_joint, t_marginal)
    if estimator == "mine_biased":
        return value, value
    if estimator == "mine":
        if ema is None:
            raise ValueError("estimator 'mine' needs a LogEMA state (ema=...).")
        log_v = ema.update(logmeanexp(t_marginal.detach()))
        return value, ema_dv_surrogate(t_joint, t_marginal, log_v)
    raise ValueError(f"unknown neural estimator {estimator!r}; choose one of {NEURAL_ESTIMATORS}.")
