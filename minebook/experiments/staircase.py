"""The staircase experiment of Poole et al. (2019) and the bias/variance tables of chapter 12.

Every estimator of the book, with both critics, trains in *one* loop as a stacked
ensemble: one :class:`~minebook.critics.ConcatCritic` and one
:class:`~minebook.critics.SeparableCritic`, each holding one member per estimator. Each
step draws fresh samples (the data are infinite, as in the paper), evaluates both stacks
with batched matmuls, computes each member's own objective on its slice of the outputs
with :func:`~minebook.objectives.batch_objective`, and takes one Adam step on the sum (the
members share no parameters, so the sum trains each one on its own objective).

Units: nats. Shapes: ``K`` members, batch ``B``, dimension ``d``.
Introduced in chapter 12.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from ..bounds import dv_bound, infonce_bound, nwj_bound
from ..critics import ACTIVATIONS, ConcatCritic, SeparableCritic
from ..data import rho_for_mi
from ..ema import LogEMA
from ..estimators import batch_objective, get_estimator
from ..objectives import off_diagonal, shuffle_rows
from ..threads import threads_for_modules, using_threads

__all__ = [
    "POOLE_SETTINGS", "STAIRCASE_ESTIMATORS", "staircase_schedule", "concat_all_pairs",
    "StaircaseResult", "run_staircase", "level_stats", "gaussian_log_ratio_matrix", "oracle_bounds",
    "oracle_infonce",
]

#: The staircase of Poole et al. (2019) as published (their code): 20-d Gaussians, 4000 steps
#: per MI level, batch 64, Adam 5e-4, three hidden layers of 256 units, 32-d embeddings.
POOLE_SETTINGS = dict(d=20, mi_levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level=4000,
                      batch_size=64, lr=5e-4, hidden=(256, 256, 256), embed_dim=32)

#: The estimators of the staircase: MINE (EMA), NWJ, InfoNCE, JSD-trained (DV read-out), SMILE.
STAIRCASE_ESTIMATORS = ("mine", "mine_f", "infonce", "jsd", "smile")


def staircase_schedule(mi_levels: Sequence[float], steps_per_level: int, d: int):
    """Per-step true MI and correlation of the staircase (chapter 12).

    Returns ``true_mi (S,)`` in nats and ``rho (S,)`` with ``S = len(mi_levels) * steps_per_level``;
    ``rho`` is the per-coordinate correlation giving that MI in ``d`` dimensions.
    """
    true_mi = np.repeat(np.asarray(mi_levels, dtype=float), int(steps_per_level))
    return true_mi, np.asarray(rho_for_mi(true_mi, d))


def concat_all_pairs(critic: ConcatCritic, x: torch.Tensor, z: torch.Tensor,
                     members: torch.Tensor) -> torch.Tensor:
    """All-pairs scores ``T_k(x_i, z_j)`` of the chosen members of a stacked concat critic.

    ``x (k, B, dx)``, ``z (k, B, dz)`` hold the inputs of the members listed in ``members``
    (``(k,)`` indices). Equal to ``critic.scores`` on those members, but the first layer
    ``W [x; z] + b = W_x x + W_z z + b`` is applied to the ``B`` rows of ``x`` and of ``z``
    and broadcast to the ``B^2`` pairs, so the ``B^2`` rows only pass through the later
    layers. Returns ``(k, B, B)``. Introduced in chapter 12.
    """
    net = critic.net
    w, b = net.weights[0][members], net.biases[0][members]
    dx = x.shape[-1]
    hx = torch.bmm(x, w[:, :dx])
    hz = torch.baddbmm(b, z, w[:, dx:])
    k, batch, width = hx.shape
    h = (hx.unsqueeze(2) + hz.unsqueeze(1)).reshape(k, batch * batch, width)
    act = ACTIVATIONS[net.activation]
    for w, b in zip(list(net.weights)[1:], list(net.biases)[1:], strict=True):
        h = torch.baddbmm(b[members], act(h), w[members])
    return h.reshape(k, batch, batch)


@dataclass
class StaircaseResult:
    """Output of :func:`run_staircase` (chapter 12).

    ``estimates (S, K)``: each member's training-batch estimate at every step (nats);
    ``members``: ``K`` pairs ``(estimator, critic)``; ``true_mi (S,)``; ``levels``; ``steps_per_level``;
    ``batch_size``; ``seconds`` (wall clock of the loop).
    """

    estimates: np.ndarray
    members: list[tuple[str, str]]
    true_mi: np.ndarray
    levels: tuple[float, ...]
    steps_per_level: int
    batch_size: int
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def member(self, estimator: str, critic: str) -> np.ndarray:
        """The ``(S,)`` estimates of one member."""
        return self.estimates[:, self.members.index((estimator, critic))]


class _Stack:
    """One stacked critic (concat or separable) with one member per estimator."""

    def __init__(self, kind, estimators, d, hidden, embed_dim, activation, generator, ema_rate, all_pairs):
        self.kind, self.estimators, self.all_pairs = kind, list(estimators), all_pairs
        k = len(self.estimators)
        if kind == "concat":
            self.critic = ConcatCritic(d, d, hidden, k, activation, generator)
        else:
            self.critic = SeparableCritic(d, d, hidden, embed_dim, k, activation, generator)
        self.groups = {e: torch.tensor([i for i, f in enumerate(self.estimators) if f == e])
                       for e in dict.fromkeys(self.estimators)}
        self.emas = {e: LogEMA(ema_rate) for e in self.groups}
        self.everyone = torch.arange(k)

    def objectives(self, x, z, tau, generator):
        """Per-member ``(value, train)`` for one batch ``x, z (K, B, d)``; each ``(K,)``."""
        if self.kind == "separable" or self.all_pairs:
            scores = (self.critic.scores(x, z) if self.kind == "separable"
                      else concat_all_pairs(self.critic, x, z, self.everyone))
            t_joint, t_marg = torch.diagonal(scores, dim1=-2, dim2=-1), off_diagonal(scores)
        else:
            scores = None
            t_joint, t_marg = self.critic(x, z), self.critic(x, shuffle_rows(z, generator))
        k = len(self.estimators)
        value, train = torch.empty(k), torch.zeros(k)
        for est, idx in self.groups.items():
            s = None
            if get_estimator(est).pairwise:
                s = scores[idx] if scores is not None else concat_all_pairs(self.critic, x[idx], z[idx], idx)
            v, t = batch_objective(est, t_joint[idx], t_marg[idx], s, self.emas[est], tau)
            value[idx] = v.detach()
            train = train.index_add(0, idx, t)
        return value, train


def run_staircase(estimators: Sequence[str] = STAIRCASE_ESTIMATORS,
                  critics: Sequence[str] = ("concat", "separable"), *,
                  d: int = 20, mi_levels: Sequence[float] = (2.0, 4.0, 6.0, 8.0, 10.0),
                  steps_per_level: int = 4000, batch_size: int = 64, lr: float = 5e-4,
                  hidden: Sequence[int] = (256, 256, 256), embed_dim: int = 32,
                  activation: str = "relu", ema_rate: float = 0.01, tau: float = 5.0,
                  all_pairs: bool = False, seed: int = 0, progress: bool = False,
                  threads: int | None = None) -> StaircaseResult:
    """Train every (estimator, critic) member on the staircase at once (chapter 12).

    Every step draws fresh ``x, z (K, B, d)`` with ``z = rho x + sqrt(1 - rho^2) eps`` and
    ``rho`` from :func:`staircase_schedule`; each member gets its own samples. Members are
    ``[(e, c) for c in critics for e in estimators]``. Separable members take the ``B(B-1)``
    off-diagonal pairs as marginal samples. Concat members take one in-batch shuffle of ``z``
    (``B`` marginal samples, the book's convention) unless ``all_pairs=True``, which scores all
    ``B^2`` pairs as Poole et al.'s code does (about four times the cost per step); InfoNCE
    always uses all ``B^2`` pairs. Returns a :class:`StaircaseResult` whose ``estimates`` are the
    training-batch estimates, as plotted by Poole et al. ``threads``: torch intra-op threads
    (``None``: by the size of the job, :mod:`minebook.threads`).
    """
    import time

    estimators = [get_estimator(e, neural=True).name for e in estimators]
    true_mi, rho = staircase_schedule(mi_levels, steps_per_level, d)
    gen = torch.Generator().manual_seed(int(seed))
    init = torch.Generator().manual_seed(int(seed) + 1)
    stacks = [_Stack(c, estimators, d, hidden, embed_dim, activation, init, ema_rate, all_pairs) for c in critics]
    params = [p for s in stacks for p in s.critic.parameters()]
    opt = torch.optim.Adam(params, lr=lr, fused=True)
    k_total = sum(len(s.estimators) for s in stacks)
    out = np.empty((len(true_mi), k_total))
    start = time.perf_counter()
    n_threads = threads_for_modules([s.critic for s in stacks], rows=2 * batch_size, threads=threads)
    with using_threads(n_threads):
        for step in tqdm(range(len(true_mi)), disable=not progress, desc="staircase", mininterval=1.0):
            r = float(rho[step])
            x = torch.randn(k_total, batch_size, d, generator=gen)
            z = r * x + math.sqrt(1 - r * r) * torch.randn(k_total, batch_size, d, generator=gen)
            values, loss, lo = [], 0.0, 0
            for s in stacks:
                hi = lo + len(s.estimators)
                v, t = s.objectives(x[lo:hi], z[lo:hi], tau, gen)
                values.append(v)
                loss = loss - t.sum()
                lo = hi
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            out[step] = torch.cat(values).numpy()
    members = [(e, s.kind) for s in stacks for e in s.estimators]
    return StaircaseResult(out, members, true_mi, tuple(float(m) for m in mi_levels), int(steps_per_level),
                           int(batch_size), time.perf_counter() - start)


def level_stats(result: StaircaseResult, tail: float = 0.5) -> dict[tuple[str, str], np.ndarray]:
    """Bias, variance and MSE of each member at each MI level (chapter 12).

    Uses the last ``tail`` fraction of each level's steps (after the critic has adapted to
    the new correlation). Returns ``{(estimator, critic): array (n_levels, 4)}`` with columns
    ``mean, bias, variance, mse`` in nats (variance and MSE in nats^2).
    """
    n = result.steps_per_level
    first = n - max(1, int(round(tail * n)))
    stats = {}
    for j, member in enumerate(result.members):
        rows = []
        for i, level in enumerate(result.levels):
            v = result.estimates[i * n + first:(i + 1) * n, j]
            mean, var = float(np.mean(v)), float(np.var(v))
            rows.append((mean, mean - level, var, (mean - level) ** 2 + var))
        stats[member] = np.array(rows)
    return stats


def gaussian_log_ratio_matrix(x: torch.Tensor, z: torch.Tensor, rho: float) -> torch.Tensor:
    """The optimal critic ``log p(x_i, z_j) / (p(x_i) p(z_j))`` on all pairs (chapter 12).

    ``x, z (..., B, d)`` from the correlated-Gaussian task with per-coordinate correlation ``rho``
    (:func:`minebook.data.gaussian_log_ratio` on every pair). Returns ``(..., B, B)``, nats.
    """
    d, one = x.shape[-1], 1 - rho * rho
    sq_x, sq_z = (x * x).sum(-1), (z * z).sum(-1)
    cross = x @ z.transpose(-1, -2)
    return (-0.5 * d * math.log(one)
            - (rho * rho * (sq_x.unsqueeze(-1) + sq_z.unsqueeze(-2)) - 2 * rho * cross) / (2 * one))


def _gaussian_batches(mi, d, batch_size, n_batches, seed):
    rho = float(rho_for_mi(mi, d))
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.randn(n_batches, batch_size, d, generator=gen, dtype=torch.float64)
    eps = torch.randn(n_batches, batch_size, d, generator=gen, dtype=torch.float64)
    return x, rho * x + math.sqrt(1 - rho * rho) * eps, rho


def oracle_bounds(mi: float, d: int, batch_size: int, n_batches: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The bounds evaluated with the *optimal* critic on ``n_batches`` batches (chapter 12).

    The critic is the true ``log p/q`` of the ``d``-dimensional correlated Gaussian with MI ``mi``
    nats (plus 1 for NWJ, whose optimum is ``1 + log p/q``), so the spread and bias of the values
    come from the estimators alone. Each batch of ``B`` pairs gives ``B`` joint scores and either
    one shuffle of ``z`` (``B`` marginal scores, ``"dv_shuffle"``, ``"nwj_shuffle"``) or all
    ``B(B-1)`` off-diagonal pairs (``"dv_pairs"``, ``"nwj_pairs"``); ``"infonce"`` uses the
    ``B x B`` matrix. Returns ``{name: (n_batches,)}`` estimates in nats.
    """

    x, z, rho = _gaussian_batches(mi, d, batch_size, n_batches, seed)
    scores = gaussian_log_ratio_matrix(x, z, rho)
    t_joint, t_pairs = torch.diagonal(scores, dim1=-2, dim2=-1), off_diagonal(scores)
    gen = torch.Generator().manual_seed(int(seed) + 1)
    shift = torch.randint(1, batch_size, (n_batches, 1), generator=gen)
    cols = (torch.arange(batch_size).unsqueeze(0) + shift) % batch_size  # a derangement: no joint pair
    t_shuffle = torch.gather(scores, 2, cols.unsqueeze(-1)).squeeze(-1)
    return {"dv_shuffle": dv_bound(t_joint, t_shuffle).numpy(), "dv_pairs": dv_bound(t_joint, t_pairs).numpy(),
            "nwj_shuffle": nwj_bound(t_joint + 1, t_shuffle + 1).numpy(),
            "nwj_pairs": nwj_bound(t_joint + 1, t_pairs + 1).numpy(), "infonce": infonce_bound(scores).numpy()}


def oracle_infonce(x, z, rho: float, max_rows: int = 2048, chunk: int = 512) -> float:
    """InfoNCE with the optimal critic on all ``n`` samples at once: ``<= log n`` (chapter 12).

    ``x, z (n, d)`` from the correlated-Gaussian task. ``log n + mean_i [S_ii - logsumexp_j S_ij]``
    with ``S`` the ``n x n`` optimal-critic matrix (float32, ``chunk`` rows at a time). For large
    ``n`` the mean over ``i`` runs over the first ``max_rows`` rows only (each row still sees all
    ``n`` columns): an unbiased estimate of the same mean, and every row term is ``<= 0``, so the
    value stays ``<= log n``. Nats.
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    z = torch.as_tensor(np.asarray(z), dtype=torch.float32)
    n = len(x)
    rows_used = min(n, int(max_rows))
    total = 0.0
    for lo in range(0, rows_used, chunk):
        hi = min(rows_used, lo + chunk)
        rows = gaussian_log_ratio_matrix(x[lo:hi], z, rho)
        diag = rows[torch.arange(hi - lo), torch.arange(lo, hi)]
        total += float((diag - torch.logsumexp(rows, dim=1)).sum())
    return math.log(n) + total / rows_used
