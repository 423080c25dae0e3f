"""Marginal samples from a joint batch: shuffles without fixed points (chapter 3).

The estimators' training objectives are in :mod:`minebook.estimators`, one record each.
"""

from __future__ import annotations

import torch

__all__ = ["shuffle_rows", "shuffle_rows_any", "cyclic_derangement", "off_diagonal"]

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
    return torch.gather(z, 1, perm.view(k, b, *([1] * (z.dim() - 2))).expand_as(z))


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


def shuffle_rows_any(z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """:func:`shuffle_rows` for ``(B, d)`` or ``(K, B, d)`` inputs."""
    if z.dim() == 2:
        return shuffle_rows(z.unsqueeze(0), generator).squeeze(0)
    return shuffle_rows(z, generator)
