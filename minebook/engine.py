"""The training engine: K critics trained at once with stacked weights (chapter 3).

:class:`Ensemble` holds K critics (one batched matmul per layer for all of them) with their
data, trains them with the estimator's objective (:mod:`minebook.estimators`) and reads them
out on held-out rows (:mod:`minebook.readouts`). :func:`minebook.estimate_mi_many` is its
public face; a ``callback`` sees every step (:class:`TrainingState`), which is how chapter 5
follows its critics' held-out estimates during training with this same engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from .critics import ModuleCritic, StandardizedCritic, make_critic
from .ema import LogEMA
from .estimators import get_estimator
from .objectives import cyclic_derangement, off_diagonal
from .preprocess import GaussianizedCritic, MarginalGaussianizer, scaler
from .readouts import (
    dv_read_out,
    effective_pairs,
    infonce_read_out,
    mean_read_out,
    nwj_read_out,
    shifted_scores,
)
from .threads import step_flops
from .utils import adam

__all__ = ["Ensemble", "TrainingState"]


@dataclass(frozen=True)
class TrainingState:
    """What a training callback sees after step ``step`` (0-based) of :meth:`Ensemble.train`.

    ``value (K,)``: the training-batch estimate of every member, nats; ``t_joint (K, B)`` and
    ``t_marg (K, M)``: the batch's joint and marginal scores (``t_marg`` is ``None`` for
    pairwise estimators such as InfoNCE), all detached; ``ensemble``: the :class:`Ensemble`,
    whose critic holds the weights after this step (``ensemble.held_out_scores``,
    ``ensemble.x_test``). Chapter 5.
    """

    step: int
    value: torch.Tensor
    t_joint: torch.Tensor
    t_marg: torch.Tensor | None
    ensemble: Ensemble


class Ensemble:
    """K stacked critics with their data: the training engine behind ``estimate_mi_many`` (chapter 3).

    Member ``j`` draws everything (its train/test split, its initial weights, its minibatch
    indices, its marginal shuffles and its read-out shifts) from its own generator seeded
    ``seed + j``, so its numbers do not depend on which other members train beside it:
    ``estimate_mi_many(pairs, seed=s)[j]`` has exactly the distribution of
    ``estimate_mi(*pairs[j], seed=s + j)``. Random draws are made on the CPU for ``chunk``
    steps at a time and moved to the device in one transfer; per-step statistics
    (estimates, gradient norms) stay on the device until training ends.
    """

    chunk = 64

    def __init__(self, data, estimator, seed, n_train, hidden, critic, activation, embed_dim,
                 preprocess, device, n_val=0, shapes=None):
        self.record = get_estimator(estimator)
        if not self.record.neural:
            raise ValueError(f"estimator {estimator!r} trains no critic.")
        self.estimator, self.device = self.record.name, device
        self.K = len(data)
        self.generators = [torch.Generator().manual_seed(int(seed) + j) for j in range(self.K)]
        xs, zs, self.scalers, self.maps = [], [], [], []
        for (x, z), g in zip(data, self.generators, strict=True):
            perm = torch.randperm(len(x), generator=g).numpy()
            x, z = x[perm], z[perm]
            if preprocess == "gaussianize":  # invertible per coordinate: the MI is unchanged
                maps = MarginalGaussianizer.fit(x[:n_train]), MarginalGaussianizer.fit(z[:n_train])
                self.maps.append(maps)
                x, z = maps[0](x), maps[1](z)
            scale = scaler(x[:n_train], z[:n_train], preprocess == "standardize")
            self.scalers.append(scale)
            xs.append((x - scale[0]) / scale[1])
            zs.append((z - scale[2]) / scale[3])
        x_all = torch.as_tensor(np.stack(xs), dtype=torch.float32, device=device)
        z_all = torch.as_tensor(np.stack(zs), dtype=torch.float32, device=device)
        n_fit = n_train - n_val  # rows [0, n_fit) train, [n_fit, n_train) validate, the rest test
        self.x_train, self.x_val, self.x_test = x_all[:, :n_fit], x_all[:, n_fit:n_train], x_all[:, n_train:]
        self.z_train, self.z_val, self.z_test = z_all[:, :n_fit], z_all[:, n_fit:n_train], z_all[:, n_train:]
        dx, dz = x_all.shape[-1], z_all.shape[-1]
        # Flat (K * n_train, d) copies for index_select, the cheapest gather of minibatches.
        self.x_flat = self.x_train.reshape(-1, dx).contiguous()
        self.z_flat = self.z_train.reshape(-1, dz).contiguous()
        if isinstance(critic, torch.nn.Module):  # a reader's network: copy j initialised from generator j
            self.critic = ModuleCritic(critic, *(shapes or ((dx,), (dz,))), self.K, self.generators)
        else:
            self.critic = make_critic(critic, dx, dz, hidden, self.K, activation, None, embed_dim=embed_dim)
            with torch.no_grad():  # member j initialised from its own generator
                for j, g in enumerate(self.generators):
                    single = make_critic(critic, dx, dz, hidden, 1, activation, g, embed_dim=embed_dim)
                    for dst, src in zip(self.critic.parameters(), single.parameters(), strict=True):
                        dst[j].copy_(src[0])
        if hasattr(self.critic, "fit_prior"):  # the classifier bound: log p(z) of each member's split
            self.critic.fit_prior(self.z_train)
        self.critic.to(device)
        self.pairwise = self.record.pairwise or self.critic.separable
        self.selected_step = np.full(self.K, -1)
        # Validation shifts, drawn once so that every checkpoint is compared on the same pairs.
        self.val_shifts = self.draw_shifts(n_val, 5) if n_val >= 2 else None

    def step_flops(self, batch_size: int, embed_dim: int) -> float:
        """Operations of one training step of all members (for the thread rule)."""
        n_weights = sum(p.numel() for p in self.critic.parameters())
        if isinstance(self.critic, ModuleCritic):  # weights re-used across positions (convolutions):
            return 1e15                            # the work is unknown: every thread allowed
        if not self.pairwise:  # the joint batch and its shuffle: 2B rows through every weight
            return step_flops(n_weights, 2 * batch_size)
        return step_flops(n_weights, batch_size) + 6.0 * self.K * batch_size**2 * embed_dim

    # ----------------------------------------------------------------- minibatches
    def _draw_chunk(self, n_steps: int, batch_size: int):
        """Row indices into the flat training arrays for ``n_steps`` steps, on the device.

        Concat critics: ``(n_steps, 2, K, 2B)`` (x rows, z rows) of the joint batch followed
        by its deranged copy; pairwise critics: ``(n_steps, K, B)``.
        """
        n = self.x_train.shape[1]
        offsets = (torch.arange(self.K) * n).view(1, self.K, 1)
        idx = torch.stack([torch.randint(n, (n_steps, batch_size), generator=g) for g in self.generators],
                          dim=1)  # (n_steps, K, B)
        if self.pairwise:
            return (idx + offsets).to(self.device)
        keys = torch.stack([torch.rand(n_steps, batch_size, generator=g) for g in self.generators], dim=1)
        shuffled = torch.gather(idx, 2, cyclic_derangement(keys))
        rows_x = torch.cat([idx, idx], dim=2) + offsets
        rows_z = torch.cat([idx, shuffled], dim=2) + offsets
        return torch.stack([rows_x, rows_z], dim=1).to(self.device)

    def _batch_outputs(self, rows, batch_size):
        k = self.K
        if self.pairwise:
            flat = rows.reshape(-1)
            x = self.x_flat.index_select(0, flat).view(k, batch_size, -1)
            z = self.z_flat.index_select(0, flat).view(k, batch_size, -1)
            scores = self.critic.scores(x, z)
            t_marg = None if self.record.pairwise else off_diagonal(scores)  # InfoNCE needs only scores
            return torch.diagonal(scores, dim1=-2, dim2=-1), t_marg, scores
        if not self.record.needs_marginals:  # the joint half of the rows only
            x = self.x_flat.index_select(0, rows[0][:, :batch_size].reshape(-1)).view(k, batch_size, -1)
            z = self.z_flat.index_select(0, rows[1][:, :batch_size].reshape(-1)).view(k, batch_size, -1)
            return self.critic(x, z), None, None
        x = self.x_flat.index_select(0, rows[0].reshape(-1)).view(k, 2 * batch_size, -1)
        z = self.z_flat.index_select(0, rows[1].reshape(-1)).view(k, 2 * batch_size, -1)
        t = self.critic(x, z)  # joint and shuffled pairs in one pass: (K, 2B)
        return t[:, :batch_size], t[:, batch_size:], None

    # ----------------------------------------------------------------- training
    def train(self, steps, batch_size, lr, ema_rate, tau, naive_numerics, progress, desc,
              average_last=0.0, n_checkpoints=0, callback=None):
        """Train all members; leave in the critic the weights chosen for the read-out.

        The iterates are averaged with a memory of ``average_last * steps`` steps. With
        ``n_checkpoints > 0`` (and validation rows) that average is validated at
        ``n_checkpoints`` evenly spaced steps and every member keeps its best one; otherwise
        the critic is the average of the last ``average_last * steps`` iterates.
        Returns the per-step training estimates and gradient norms, ``(steps, K)`` each.
        ``callback(state)``, if given, is called after every optimizer step with a
        :class:`TrainingState` (the critic then holds that step's weights): how chapters follow
        a critic during training (chapter 5's held-out checkpoints) without a loop of their own.
        """
        params = list(self.critic.parameters())
        opt = adam(params, lr)
        ema = LogEMA(ema_rate)
        # Weight averaging: a running mean of the iterates that forgets on a time scale of
        # ``horizon`` steps (uniform over the first ``horizon`` steps, then exponential).
        horizon = max(1, int(round(average_last * steps)))
        if n_checkpoints:
            ends = {int(round((w + 1) * steps / n_checkpoints)) - 1 for w in range(n_checkpoints)}
            window_start = 0
        else:
            ends, window_start = set(), steps - horizon if average_last > 0 else steps
        average, count, best, best_val = None, 0, None, np.full(self.K, -np.inf)
        history = torch.empty(steps, self.K, device=self.device)
        grad_sq = torch.empty(steps, len(params), self.K, device=self.device)
        rows = None
        for step in tqdm(range(steps), disable=not progress, desc=desc, mininterval=1.0):
            if step % self.chunk == 0:
                rows = self._draw_chunk(min(self.chunk, steps - step), batch_size)
            t_joint, t_marg, scores = self._batch_outputs(rows[step % self.chunk], batch_size)
            value, target = self.record.objective(t_joint, t_marg, scores, ema, tau, naive_numerics)
            opt.zero_grad(set_to_none=True)
            (-target.sum()).backward()
            history[step] = value.detach()
            for i, p in enumerate(params):  # squared gradient norm of every member, per tensor
                torch.sum(p.grad.detach().reshape(self.K, -1).square(), dim=1, out=grad_sq[step, i])
            opt.step()
            if callback is not None:
                callback(TrainingState(step, value.detach(), t_joint.detach(),
                                       None if t_marg is None else t_marg.detach(), self))
            if step >= window_start:
                count += 1
                with torch.no_grad():
                    if count == 1:
                        average = [p.detach().clone() for p in params]
                    else:
                        torch._foreach_lerp_(average, [p.detach() for p in params], max(1.0 / count, 1.0 / horizon))
            if step in ends:
                best = self._checkpoint(params, average, best, best_val, step, tau, batch_size)
        with torch.no_grad():
            for p, a in zip(params, best if best is not None else (average or params), strict=True):
                p.copy_(a)
        grad_norms = grad_sq.sum(dim=1).sqrt()
        # One transfer at the end (no per-step device synchronisation).
        return history.double().cpu().numpy(), grad_norms.double().cpu().numpy()

    @torch.no_grad()
    def _checkpoint(self, params, average, best, best_val, step, tau, batch_size):
        """Validate the window average; members whose validation estimate improved keep it."""
        current = [p.detach().clone() for p in params]
        for p, a in zip(params, average, strict=True):
            p.copy_(a)
        value = self._estimate(self.x_val, self.z_val, tau, self.val_shifts,
                               min(batch_size, self.x_val.shape[1]))[0]
        for p, c in zip(params, current, strict=True):
            p.copy_(c)
        value = np.where(np.isfinite(value), value, -np.inf)
        better = (value > best_val) | (self.selected_step < 0)
        if best is None:
            best = [a.clone() for a in average]
        else:
            mask = torch.as_tensor(better, device=self.device)
            for b, a in zip(best, average, strict=True):
                b[mask] = a[mask]
        best_val[better] = value[better]
        self.selected_step[better] = step
        return best

    # ----------------------------------------------------------------- read-out
    @torch.no_grad()
    def read_out(self, tau, n_shuffles, batch_size):
        """Held-out estimate and its standard error for every member, shape ``(K,)`` each.

        Marginal pairs ``(x_i, z_{i+s mod n})`` for ``n_shuffles`` distinct shifts ``s != 0``
        per member: every held-out x and z is used ``n_shuffles`` times and no joint pair is
        ever counted as a marginal one. InfoNCE: held-out batches of ``batch_size``.
        Sets ``read_out_ess`` (NaN for InfoNCE).
        """
        self._last_ess = np.full(self.K, np.nan)
        value, std = self._read(self.x_test, self.z_test, tau, n_shuffles, batch_size)
        self.read_out_ess = self._last_ess
        return value, std

    @torch.no_grad()
    def in_sample(self, tau, n_shuffles, batch_size):
        """The read-out of :meth:`read_out` on the first ``n_test`` training rows, ``(K,)``.

        The same estimator, shifts and number of rows as the held-out read-out, on pairs the
        critic was fit to: an optimistic value (``MIEstimate.train_mi``). Called after
        :meth:`read_out`, so it leaves the held-out numbers as they were.
        """
        m = min(self.x_test.shape[1], self.x_train.shape[1])
        return self._read(self.x_train[:, :m], self.z_train[:, :m], tau, n_shuffles, batch_size)[0]

    def _read(self, x, z, tau, n_shuffles, batch_size):
        """The estimator's read-out on rows ``x (K, n, dx)``, ``z (K, n, dz)`` with fresh shifts
        (InfoNCE: re-batched passes) from the members' generators: value, std ``(K,)``."""
        if self.record.read_out == "infonce":
            passes = n_shuffles if self.critic.separable else 1
            return infonce_read_out(self.critic, x, z, min(batch_size, x.shape[1]), passes,
                                    self.generators)
        shifts = self.draw_shifts(x.shape[1], n_shuffles)
        return self._estimate(x, z, tau, shifts, batch_size)

    def draw_shifts(self, n: int, n_shifts: int, generators=None) -> torch.Tensor:
        """``(K, min(n_shifts, n - 1))`` distinct cyclic shifts in ``[1, n)`` per member, from the
        members' generators (or from ``generators``, one per member, to leave theirs untouched)."""
        n_shifts = min(n_shifts, n - 1)
        shifts = torch.stack([1 + torch.randperm(n - 1, generator=g)[:n_shifts]
                              for g in generators or self.generators])
        return shifts.to(self.device)

    @torch.no_grad()
    def held_out_scores(self, shifts: torch.Tensor):
        """Scores of the held-out joint pairs ``(K, n_test)`` and of their shifts ``(K, S, n_test)``
        under the current critic (:func:`minebook.readouts.shifted_scores`)."""
        return shifted_scores(self._scores_in_chunks, self.x_test, self.z_test, shifts)

    @torch.no_grad()
    def _estimate(self, x, z, tau, shifts, batch_size):
        """The estimator's read-out on rows ``x (K, n, dx)``, ``z (K, n, dz)``: value, std ``(K,)``."""
        if self.record.read_out == "infonce":
            return infonce_read_out(self.critic, x, z, batch_size)
        if self.record.read_out == "mean":
            return mean_read_out(self._scores_in_chunks(x, z))
        t_joint, t_marg = shifted_scores(self._scores_in_chunks, x, z, shifts)
        clip = tau if self.record.clips_read_out else None
        self._last_ess = effective_pairs(t_marg, clip)
        if self.record.read_out == "nwj":
            return nwj_read_out(t_joint, t_marg, shifts)
        return dv_read_out(t_joint, t_marg, shifts, clip)

    def _scores_in_chunks(self, x, z, max_rows: int = 1 << 18):
        """Critic scores ``(K, n)`` of aligned pairs, evaluated ``max_rows / K`` rows at a time."""
        n = x.shape[1]
        step = max(1, getattr(self.critic, "max_rows", max_rows) // self.K)
        return torch.cat([self.critic(x[:, i:i + step], z[:, i:i + step]) for i in range(0, n, step)], dim=1)

    def member_critic(self, j: int) -> StandardizedCritic | GaussianizedCritic:
        mx, sx, mz, sz = self.scalers[j]
        # On the training device, buffers included (raw inputs are moved there by the critic).
        critic = StandardizedCritic(self.critic.member(j).eval(), mx, sx, mz, sz).to(self.device)
        return GaussianizedCritic(critic, *self.maps[j]) if self.maps else critic
