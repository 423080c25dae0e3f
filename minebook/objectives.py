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

__all__ = ["critic_outputs", "batch_objective", "shuffle_rows", "cyclic_derangement", "off_diagonal",
           "NEURAL_ESTIMATORS"]

NEURAL_ESTIMATORS = ("mine", "mine_biased", "mine_f", "jsd", "infonce", "smile")


def cyclic_derangement(keys: torch.Tensor) -> torch.Tensor:
    """A random permutation without fixed points, from random ``keys`` of shape ``(..., B)``.

    The rows are visited in the random order ``sigma = argsort(keys)`` and each is sent to the
    next one in that order: ``pi[sigma[i]] = sigma[i + 1 mod B]``, one cycle through all ``B``
    rows. So ``pi(i) != i`` for every ``i`` (for ``B >= 2``): no joint pair ``(x_i, z_i)`` is
    ever counted as a marginal sample. Returns ``pi``, same shape as ``keys`` (int64).
    """
    sigma = torch.argsort(keys, dim=-1)
    pi = torch.empty_like(sigma)
    return pi.scatter_(-1, sigma, torch.roll(sigma, -1, dims=-1))


def shuffle_rows(z: torch.Tensor, generator: torch.Generator | None = None,
                 derange: bool = True) -> torch.Tensor:
    """Permute ``z`` along its row dimension, independently for each leading member.

    Introduced in chapter 3: pairing ``x_i`` with ``z_{pi(i)}`` turns joint samples into
    samples of the product of marginals. Shape ``(K, B, d) -> (K, B, d)``.

    With ``derange=True`` (default) ``pi`` is a uniformly random single cycle, so it has no
    fixed point: a plain random permutation keeps about one pair ``(x_i, z_i)`` per batch
    whose ``e^T`` (about ``e^MI``) would bias ``log mean e^T`` upward at high MI.
    The random keys come from ``generator`` on the CPU and are moved to ``z``'s device.
    """
    k, b = z.shape[0], z.shape[1]
    keys = torch.rand(k, b, generator=generator).to(z.device)
    perm = cyclic_derangement(keys) if derange and b > 1 else torch.argsort(keys, dim=1)
    return torch.gather(z, 1, perm.unsqueeze(-1).expand_as(z))


def off_diagonal(scores: torch.Tensor) -> torch.Tensor:
    """The ``B(B-1)`` off-diagonal entries of ``(..., B, B)`` scores, as ``(..., B(B-1))``.

    Row-major order (row i without its diagonal entry, for i = 0..B-1). Uses the strided-view
    trick (drop the first entry of the flattened matrix, view it as ``(B-1, B+1)``, drop the last
    column) instead of a boolean mask: one copy, no index computation.
    """
    b = scores.shape[-1]
    if scores.shape[-2] != b:
        raise ValueError(f"scores must be square in its last two dimensions; got {tuple(scores.shape)}.")
    lead = scores.shape[:-2]
    flat = scores.reshape(*lead, b * b)[..., 1:]
    return flat.reshape(*lead, b - 1, b + 1)[..., :-1].reshape(*lead, b * (b - 1))


def critic_outputs(critic, x: torch.Tensor, z: torch.Tensor, estimator: str,
                   generator: torch.Generator | None = None):
    """Joint scores, marginal scores and (if needed) the all-pairs matrix for one batch.

    ``x (K, B, dx)``, ``z (K, B, dz)`` -> ``t_joint (K, B)``, ``t_marginal (K, M)``,
    ``scores (K, B, B) or None``. Separable critics use all off-diagonal pairs as marginal
    samples (``M = B(B-1)``); concat critics pair each ``x_i`` with ``z_{pi(i)}`` for a random
    derangement ``pi`` (:func:`shuffle_rows`, ``M = B``), and evaluate the joint and the
    shuffled pairs in one forward pass of ``2B`` rows (chapter 3).
    """
    if estimator == "infonce" or critic.separable:
        scores = critic.scores(x, z)
        return torch.diagonal(scores, dim1=-2, dim2=-1), off_diagonal(scores), scores
    b = x.shape[-2]
    t = critic(torch.cat([x, x], dim=-2), torch.cat([z, shuffle_rows_any(z, generator)], dim=-2))
    return t[..., :b], t[..., b:], None


def shuffle_rows_any(z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """:func:`shuffle_rows` for ``(B, d)`` or ``(K, B, d)`` inputs."""
    if z.dim() == 2:
        return shuffle_rows(z.unsqueeze(0), generator).squeeze(0)
    return shuffle_rows(z, generator)


def batch_objective(estimator: str, t_joint, t_marginal, scores=None, ema: LogEMA | None = None,
                    tau: float = 5.0, naive_numerics: bool = False):
    """Return ``(value, train)`` of shape ``(K,)``: the reported bound and the training target.

    ``ema`` is required for ``"mine"`` and is updated in place with this batch.
    ``naive_numerics=True`` evaluates ``log mean exp`` as ``log(mean(exp(t)))`` in the DV value,
    in the moving average and in the MINE surrogate ``mean(e^T)/v`` (chapter 5's overflow and
    underflow demo); the default uses log-sum-exp everywhere.
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
    log_mean_exp = naive_log_mean_exp if naive_numerics else logmeanexp
    value = t_joint.mean(dim=-1) - log_mean_exp(t_marginal)
    if estimator == "mine_biased":
        return value, value
    if estimator == "mine":
        if ema is None:
            raise ValueError("estimator 'mine' needs a LogEMA state (ema=...).")
        log_v = ema.update(log_mean_exp(t_marginal.detach()))
        if naive_numerics:  # the paper's formula evaluated as written: mean(e^T) / v
            surrogate = t_joint.mean(dim=-1) - torch.exp(t_marginal).mean(dim=-1) / torch.exp(log_v)
            return value, value.detach() + (surrogate - surrogate.detach())
        return value, ema_dv_surrogate(t_joint, t_marginal, log_v)
    raise ValueError(f"unknown neural estimator {estimator!r}; choose one of {NEURAL_ESTIMATORS}.")
