"""Read-outs: an estimator's value and its standard error on held-out rows (chapter 3).

The one place where a trained critic's scores become a number in nats. ``t_joint (K, n)`` are
the scores of the ``n`` held-out pairs of ``K`` critics, ``t_marg (K, S, n)`` those of ``S``
cyclic shifts of ``z`` (``t_marg[k, s, i] = T_k(x_i, z_{i + shifts[k, s] mod n})``: marginal
pairs with no joint pair among them). :func:`dv_read_out` is the Donsker-Varadhan read-out of
MINE, JSD and (clipped) SMILE, :func:`nwj_read_out` MINE-f's, :func:`infonce_read_out`
InfoNCE's; :func:`shifted_scores` computes the scores they read. The training engine
(:mod:`minebook.engine`), chapter 5's checkpoints and chapter 12's true-critic read-out all use
these functions.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .bounds import infonce_bound

__all__ = ["mean_read_out", "dv_read_out", "nwj_read_out", "infonce_read_out", "effective_pairs", "row_col_means",
           "shifted_scores"]


def shifted_scores(score, x: torch.Tensor, z: torch.Tensor, shifts: torch.Tensor):
    """Joint and cyclically shifted scores: ``t_joint (K, n)``, ``t_marg (K, S, n)``.

    ``score(x (K, m, dx), z (K, m, dz)) -> (K, m)`` scores aligned pairs (e.g. a stacked critic);
    ``x (K, n, dx)``, ``z (K, n, dz)``; ``shifts (K, S)`` in ``[1, n)``, distinct per member.
    """
    n = x.shape[1]
    t_joint = score(x, z)
    arange = torch.arange(n, device=x.device)
    t_marg = torch.empty(x.shape[0], shifts.shape[1], n, device=x.device, dtype=t_joint.dtype)
    for s in range(shifts.shape[1]):
        cols = (arange + shifts[:, s:s + 1]) % n  # (K, n)
        z_s = torch.gather(z, 1, cols.unsqueeze(-1).expand_as(z))
        t_marg[:, s] = score(x, z_s)
    return t_joint, t_marg


def effective_pairs(t_marg: torch.Tensor, tau: float | None = None) -> np.ndarray:
    """Kish's effective sample size of the weights ``e^T`` over all marginal pairs, ``(K,)``.

    ``t_marg``: ``(K, ...)`` marginal scores. ``(sum w)^2 / sum w^2`` in log space; SMILE's
    clipped scores when ``tau`` is given. Equal weights give the number of pairs; one
    dominant pair gives about 1 (chapter 12).
    """
    t = t_marg.reshape(t_marg.shape[0], -1).double()
    if tau is not None:
        t = t.clamp(-tau, tau)
    return torch.exp(2 * torch.logsumexp(t, 1) - torch.logsumexp(2 * t, 1)).cpu().numpy()


def row_col_means(w, shifts):
    """Row and column means of the shifted marginal weights, for the delta-method error.

    ``w (K, S, n)`` with ``w[k, s, i] = w(x_i, z_{i + shift[k, s]})``;
    returns ``a, b`` of shape ``(K, n)``. The marginal mean is a two-sample U-statistic over the held-out
    pairs: sample ``i`` enters through ``x_i`` (row mean ``a_i``) and through ``z_i``
    (column mean ``b_i``), so its influence is ``phi_i = T_ii - (a_i + b_i) * F'`` and the
    variance is ``var(phi) / n``. With ``S`` shifts the row and column means carry extra noise
    of order ``var(w)/S``, which errs on the side of a larger (conservative) error.
    """
    n = w.shape[2]
    a = w.mean(dim=1)
    arange = torch.arange(n, device=w.device)
    cols = (arange.view(1, 1, n) - shifts.unsqueeze(-1)) % n  # z_i sits at column i - s in row s
    b = torch.gather(w, 2, cols).mean(dim=1)
    return a, b


def mean_read_out(t_joint):
    """The mean joint score and its standard error, ``(K, n) -> (K,), (K,)``: the classifier
    bound's read-out, ``mean log q(z_i | x_i) - log p(z_i)`` (no marginal term)."""
    t = t_joint.double()
    return t.mean(dim=1).cpu().numpy(), (t.std(dim=1) / math.sqrt(t.shape[1])).cpu().numpy()


def dv_read_out(t_joint, t_marg, shifts, clip=None):
    """DV value and its standard error: ``t_joint (K, n)``, ``t_marg (K, S, n)`` -> ``(K,)``, ``(K,)``.

    ``clip`` (SMILE's ``tau``) clips the marginal scores to ``[-tau, tau]`` first. The log of
    the marginal mean is a log-sum-exp; the error uses ``w = e^(T - c)`` with
    ``c = log mean e^T`` (so ``mean(w) = 1`` and nothing overflows) and
    :func:`row_col_means`: ``phi_i = T_ii - a_i - b_i``.
    """
    t_joint, t_marg = t_joint.double(), t_marg.double()
    if clip is not None:
        t_marg = torch.clamp(t_marg, -clip, clip)
    k, _, n = t_marg.shape
    flat = t_marg.reshape(k, -1)
    log_mean = torch.logsumexp(flat, dim=1) - math.log(flat.shape[1])
    value = t_joint.mean(dim=1) - log_mean
    w = torch.exp(t_marg - log_mean.view(k, 1, 1))
    a, b = row_col_means(w, shifts)
    phi = t_joint - a - b
    std = phi.std(dim=1) / math.sqrt(n)
    return value.cpu().numpy(), std.cpu().numpy()


def nwj_read_out(t_joint, t_marg, shifts):
    """NWJ value ``mean(T_joint) - mean(e^(T_marg - 1))`` and its standard error (as DV's)."""
    t_joint, t_marg = t_joint.double(), t_marg.double()
    k, _, n = t_marg.shape
    w = torch.exp(t_marg - 1)
    value = t_joint.mean(dim=1) - w.reshape(k, -1).mean(dim=1)
    a, b = row_col_means(w, shifts)
    std = (t_joint - a - b).std(dim=1) / math.sqrt(n)
    return value.cpu().numpy(), std.cpu().numpy()


def infonce_read_out(critic, x, z, batch_size, passes=1, generators=None):
    """InfoNCE on consecutive held-out batches of ``batch_size`` rows, averaged over batches.

    ``passes > 1`` re-batches the held-out rows with a fresh permutation per member per pass
    (drawn from ``generators``). The standard error is the spread of the first pass's batch
    values over ``sqrt(number of batches)`` (NaN with a single batch).
    """
    n = x.shape[1]
    n_batches = n // batch_size
    values = []
    for p in range(passes):
        if p == 0:
            xp, zp = x, z
        else:
            perm = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(x.device)
            xp = torch.gather(x, 1, perm.unsqueeze(-1).expand_as(x))
            zp = torch.gather(z, 1, perm.unsqueeze(-1).expand_as(z))
        for i in range(n_batches):
            sl = slice(i * batch_size, (i + 1) * batch_size)
            values.append(infonce_bound(critic.scores(xp[:, sl], zp[:, sl])))
    values = torch.stack(values, dim=1).double()
    first = values[:, :n_batches]
    if n_batches > 1:
        std = first.std(dim=1) / math.sqrt(n_batches)
    else:
        std = torch.full_like(first[:, 0], float("nan"))
    return values.mean(dim=1).cpu().numpy(), std.cpu().numpy()
