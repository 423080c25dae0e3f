"""The GAN machinery that chapters 8 and 9 share: stacked members, adaptive clipping, the
MINE-regularised generator step, the 25-Gaussians data and mode metrics.

Ensembles of ``K = n_variants * n_seeds`` independent GANs train with stacked weights
(:class:`~minebook.StackedMLP`): member ``k = v * n_seeds + s`` is variant ``v`` (its ``beta``)
with seed ``s``, and members with the same seed share initial weights, data, noise and codes.
The MI term's gradient is rescaled with the paper's *adaptive gradient clipping*
``g_m <- min(|g_u|, |g_m|) g_m / |g_m|`` (Belghazi et al. 2018, section 5.1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..critics import StackedMLP

__all__ = [
    "grid_centres", "sample_grid", "assign_grid", "mode_metrics", "member_norms", "clip_scale",
    "adaptive_clip", "combine_gradients", "mine_regularized_step", "tile_members", "one_hot_codes",
    "tie_members",
]


# --------------------------------------------------------------------------- data
def grid_centres(n_side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """Centres of the ``n_side x n_side`` Gaussian grid, ``(n_side**2, 2)``, centred at 0.

    With the defaults: the 25 points ``{-4, -2, 0, 2, 4}^2``. Introduced in chapter 8.
    """
    axis = (torch.arange(n_side, dtype=torch.float32) - (n_side - 1) / 2) * spacing
    gx, gy = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def sample_grid(n: int, std: float = 0.05, generator: torch.Generator | None = None,
                n_side: int = 5, spacing: float = 2.0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of the mixture of 25 Gaussians (equal weights, isotropic ``std``).

    Returns ``x (n, 2)`` and the mode index ``labels (n,)``. Introduced in chapter 8.
    """
    centres = grid_centres(n_side, spacing)
    labels = torch.randint(len(centres), (n,), generator=generator)
    x = centres[labels] + std * torch.randn(n, 2, generator=generator)
    return x, labels


def assign_grid(samples, std: float = 0.05, n_side: int = 5, spacing: float = 2.0,
                n_std: float = 3.0) -> np.ndarray:
    """Mode of each sample: the nearest grid centre if within ``n_std * std``, else ``-1``.

    ``samples (..., N, 2)`` -> integer labels ``(..., N)``. Introduced in chapter 8.
    """
    s = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
    centres = grid_centres(n_side, spacing)
    d = torch.cdist(s.reshape(-1, 2), centres)
    dist, idx = d.min(dim=1)
    idx[dist > n_std * std] = -1
    return idx.reshape(s.shape[:-1]).numpy()


# --------------------------------------------------------------------------- metrics
def mode_metrics(labels, n_modes: int, min_count: int = 1) -> dict:
    """Mode coverage of generated samples from their mode labels (``-1``: no mode).

    ``labels (N,)`` integers. Returns a dict with

    * ``modes``: number of modes holding at least ``min_count`` samples;
    * ``high_quality``: fraction of samples that belong to some mode (in ``[0, 1]``);
    * ``kl``: ``KL(p || uniform)`` in nats, ``p`` the histogram of the samples over the modes
      (high-quality samples only); ``log n_modes`` when all fall in one mode, 0 when uniform,
      ``nan`` when no sample belongs to a mode;
    * ``counts``: the histogram ``(n_modes,)``.

    Introduced in chapter 8 (also used for stacked digits, chapter 8, and BiGANs, chapter 9).
    """
    labels = np.asarray(labels).reshape(-1)
    good = labels[labels >= 0]
    counts = np.bincount(good, minlength=n_modes)[:n_modes]
    total = counts.sum()
    if total > 0:
        p = counts[counts > 0] / total
        kl = float(np.sum(p * np.log(p * n_modes)))
    else:
        kl = float("nan")
    return {"modes": int(np.sum(counts >= min_count)),
            "high_quality": float(len(good) / max(len(labels), 1)),
            "kl": kl, "counts": counts}


# --------------------------------------------------------------------------- clipping
def member_norms(grads: Sequence[torch.Tensor]) -> torch.Tensor:
    """Per-member Frobenius norm of stacked gradients ``[(K, ...), ...]`` -> ``(K,)``.

    The norm of member ``k`` runs over all its parameters: ``sqrt(sum_p |g_p[k]|^2)``.
    Introduced in chapter 8.
    """
    squares = [torch.linalg.vector_norm(g.reshape(g.shape[0], -1), dim=1).square() for g in grads]
    return torch.stack(squares).sum(dim=0).sqrt()


def clip_scale(norm_u: torch.Tensor, norm_m: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """The factor ``min(|g_u|, |g_m|) / |g_m|`` of adaptive clipping, per member: ``(K,)``.

    ``norm_u``, ``norm_m (K,)``: per-member norms of the adversarial and MI gradients. In
    ``[0, 1]``; 0 where ``|g_m| = 0``. Introduced in chapter 8.
    """
    return torch.minimum(norm_u, norm_m) / norm_m.clamp_min(eps)


def _per_member(coef: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``coef (K,)`` shaped to broadcast against a stacked tensor ``g (K, ...)``."""
    return coef.reshape(-1, *([1] * (g.dim() - 1)))


def adaptive_clip(g_u: Sequence[torch.Tensor], g_m: Sequence[torch.Tensor],
                  eps: float = 1e-12) -> list[torch.Tensor]:
    """The paper's adaptive clipping ``g_m <- min(|g_u|, |g_m|) g_m / |g_m|``, per member.

    ``g_u``: gradients of the adversarial loss, ``g_m``: gradients of the MI term, both lists of
    stacked tensors ``(K, ...)`` (one per parameter). Norms are per member over all its
    parameters (:func:`member_norms`); the direction of ``g_m`` is kept and its norm becomes
    ``min(|g_u|, |g_m|)``. Introduced in chapter 8.
    """
    scale = clip_scale(member_norms(g_u), member_norms(g_m), eps)
    return [g * _per_member(scale, g) for g in g_m]


def combine_gradients(g_u: Sequence[torch.Tensor], g_mi: Sequence[torch.Tensor], beta: torch.Tensor,
                      clip: bool | torch.Tensor = True) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """The update ``g_u + clip(beta * g_mi)`` of every member, in one pass over the gradients.

    ``g_u``: adversarial gradients, ``g_mi``: gradients of ``-I`` (the MI term before its
    weight), lists of stacked tensors ``(K, ...)``; ``beta (K,)``; ``clip``: one flag for all
    members or a ``(K,)`` bool tensor. The MI gradient is ``g_m = beta * g_mi``; where clipped it
    is rescaled as in :func:`adaptive_clip` (the same numbers: ``|g_m| = beta |g_mi|``). Returns
    the combined gradients and the norms ``|g_u|``, ``|g_m| (K,)`` (before clipping), so a
    training loop scales each gradient tensor once. Introduced in chapter 8.
    """
    norm_u, norm_m = member_norms(g_u), beta * member_norms(g_mi)
    coef = beta * torch.where(torch.as_tensor(clip), clip_scale(norm_u, norm_m), 1.0)
    combined = [torch.addcmul(gu, _per_member(coef, gm), gm) for gu, gm in zip(g_u, g_mi, strict=True)]
    return combined, norm_u, norm_m


def mine_regularized_step(adversarial: torch.Tensor, mi: torch.Tensor, params: Sequence[torch.Tensor],
                          critic_params: Sequence[torch.Tensor], beta: torch.Tensor,
                          clip: bool | torch.Tensor, optimizers: Sequence, schedules: Sequence = ()):
    """One generator (or encoder) step with the MINE term, and the statistics network's step.

    Chapters 8 and 9. ``adversarial (K,)``: each member's adversarial loss; ``mi (K,)``: its MINE
    estimate, nats. The update of ``params`` is ``g_u + clip(beta * g_mi)``
    (:func:`combine_gradients`, ``g_mi`` the gradient of ``-mi``); ``critic_params`` get the
    gradient of ``-mi`` (the critic maximises the bound). Then every optimizer and schedule steps,
    in order. Returns the norms ``|g_u|``, ``|g_m| (K,)`` before clipping.
    """
    params, critic_params = list(params), list(critic_params)
    g_u = torch.autograd.grad(adversarial.sum(), params, retain_graph=True)
    grads = torch.autograd.grad(-mi.sum(), params + critic_params)
    g_mi, g_c = grads[: len(params)], grads[len(params):]
    combined, norm_u, norm_m = combine_gradients(g_u, g_mi, beta, clip)
    for p, g in zip(params, combined, strict=True):
        p.grad = g
    for p, g in zip(critic_params, g_c, strict=True):
        p.grad = g
    for opt in optimizers:
        opt.step()
    for sched in schedules:
        sched.step()
    return norm_u, norm_m


# --------------------------------------------------------------------------- stacked members
def tile_members(a: torch.Tensor, n_variants: int) -> torch.Tensor:
    """Repeat a per-seed tensor ``(n_seeds, ...)`` for every variant: ``(n_variants*n_seeds, ...)``.

    Member ``k = v * n_seeds + s`` gets row ``s``. Introduced in chapter 8.
    """
    return a.repeat(n_variants, *([1] * (a.dim() - 1)))


def one_hot_codes(shape: tuple[int, ...], n_codes: int, generator: torch.Generator | None = None):
    """Uniform categorical codes as one-hot vectors: ``shape + (n_codes,)`` (chapter 8)."""
    idx = torch.randint(n_codes, shape, generator=generator)
    return F.one_hot(idx, n_codes).float()


def tie_members(n_seeds: int, n_variants: int, dim_in: int, hidden, dim_out: int,
                generator: torch.Generator, activation: str = "relu") -> StackedMLP:
    """A StackedMLP of ``n_variants * n_seeds`` members where the variants share each seed's init.

    Member ``k = v * n_seeds + s`` starts from the weights of seed ``s``. Introduced in chapter 8.
    """
    net = StackedMLP(dim_in, hidden, dim_out, n_seeds * n_variants, activation)
    base = StackedMLP(dim_in, hidden, dim_out, n_seeds, activation, generator)
    with torch.no_grad():
        for dst, src in zip(net.parameters(), base.parameters(), strict=True):
            dst.copy_(tile_members(src, n_variants))
    return net
