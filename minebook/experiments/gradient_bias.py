"""The bias of the minibatch DV gradient and the EMA correction, measured (chapters 4 and 5).

For a critic ``T_theta`` the Donsker-Varadhan bound and its gradient are

    L = E_P[T] - log E_Q[e^T],      grad L = E_P[grad T] - E_Q[grad T e^T] / E_Q[e^T].

On a minibatch the last term is a ratio of two minibatch means, ``A / Bbar``, hence biased.
Everything here works with a *fixed* critic and a *fixed*, finite data set (``x_joint,
z_joint`` from ``P``, ``x_marg, z_marg`` from ``Q``), so that the full-data gradient is exact
and minibatches are i.i.d. draws (with replacement) from those rows.

The key trick: every minibatch gradient is linear in the per-sample gradients,

    G_batch = H_P^T u - H_Q^T w,    w_j = c_j e_j / (B * Bbar),

with ``c_j`` the number of times row ``j`` was drawn and ``H`` the per-sample gradient matrix.
So the mean of R minibatch gradients is ``H_P^T mean(u) - H_Q^T mean(w)``: averaging the
weights (R x B scalars, no network) and doing ONE vector-Jacobian product gives exactly the
mean of R backward passes. Units: gradients of nats with respect to the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from scipy.signal import lfilter
from torch.func import functional_call, grad, vjp, vmap

from ..bounds import dv_bound, logmeanexp, naive_log_mean_exp
from ..engine import Ensemble, TrainingState
from ..estimate import estimate_mi_many
from ..readouts import dv_read_out

__all__ = [
    "param_grads",
    "full_dv_gradient",
    "normalized_exp",
    "ema_filter",
    "batch_mean_stream",
    "ema_variance_check",
    "stream_bias_weights",
    "predicted_bias_weights",
    "gradient_bias_curves",
    "explicit_minibatch_mean",
    "weight_trick_mean",
    "fit_loglog_slope",
    "value_bias",
    "held_out_dv",
    "train_with_checkpoints",
    "stack_runs",
    "first_nonfinite_step",
    "shift_overflow",
]


# --------------------------------------------------------------------------- gradients


def _as_float32(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a), dtype=torch.float32)


def param_grads(critic: torch.nn.Module, x, z, weights, chunk_size: int = 16) -> torch.Tensor:
    """``sum_j weights[m, j] * grad_theta T(x_j, z_j)`` for every row ``m``, flattened.

    Introduced in chapter 4. ``critic`` maps ``x (N, dx)``, ``z (N, dz)`` to ``(N,)``;
    ``weights``: ``(M, N)`` (or ``(N,)``). Returns ``(M, P)`` float64 (or ``(P,)``), with ``P``
    the number of critic parameters. One forward pass and one batched vector-Jacobian product.
    """
    x, z = _as_float32(x), _as_float32(z)
    w = torch.as_tensor(np.asarray(weights), dtype=torch.float32)
    squeeze = w.dim() == 1
    w = w.reshape(-1, x.shape[0])
    params = {k: v.detach() for k, v in critic.named_parameters()}
    buffers = {k: v.detach() for k, v in critic.named_buffers()}

    def scores(p):
        return functional_call(critic, (p, buffers), (x, z))

    _, vjp_fn = vjp(scores, params)
    (g,) = vmap(vjp_fn, chunk_size=chunk_size)(w)
    flat = torch.cat([g[k].reshape(w.shape[0], -1) for k in params], dim=1).double()
    return flat[0] if squeeze else flat


def _scores(critic, x, z) -> torch.Tensor:
    with torch.no_grad():
        return critic(_as_float32(x), _as_float32(z)).double()


def normalized_exp(t_marginal) -> np.ndarray:
    """``p_j = e^{T_j} / mean(e^T)`` (mean 1), computed stably; ``(N,) -> (N,)`` float64.

    Introduced in chapter 4. The ratio weights depend on ``e^T`` only through ``p``.
    """
    t = torch.as_tensor(np.asarray(t_marginal), dtype=torch.float64)
    return torch.exp(t - logmeanexp(t)).numpy()


def full_dv_gradient(critic, x_joint, z_joint, x_marg, z_marg) -> torch.Tensor:
    """The exact gradient of the DV bound on the whole fixed data set, ``(P,)`` float64.

    Introduced in chapter 4: ``mean_j grad T(joint_j) - sum_j softmax(T(marg))_j grad T(marg_j)``.
    """
    n_joint = len(np.asarray(x_joint))
    p = normalized_exp(_scores(critic, x_marg, z_marg))
    g_joint = param_grads(critic, x_joint, z_joint, np.full(n_joint, 1.0 / n_joint))
    return g_joint - param_grads(critic, x_marg, z_marg, p / len(p))


# --------------------------------------------------------------------------- the moving average


def ema_filter(batch_means, ema_rate: float, v0: float) -> np.ndarray:
    """``v_t = a * m_t + (1 - a) * v_{t-1}`` from ``v_0 = v0``: ``(R,) -> (R,)`` (chapter 4).

    The current batch is folded in before ``v_t`` is used, as in ``mb.LogEMA`` (without its
    start-up debiasing, which matters only for the first ~1/a steps).
    """
    a = float(ema_rate)
    v, _ = lfilter([a], [1.0, -(1.0 - a)], np.asarray(batch_means, float), zi=[(1.0 - a) * v0])
    return v


def batch_mean_stream(p, batch_size: int, n_batches: int, seed: int = 0) -> np.ndarray:
    """Means of ``p`` over ``n_batches`` minibatches drawn with replacement, ``(R,)`` (chapter 4)."""
    g = torch.Generator().manual_seed(int(seed))
    p = torch.as_tensor(np.asarray(p, float))
    out = []
    step = max(1, 2**22 // batch_size)
    for start in range(0, n_batches, step):
        r = min(step, n_batches - start)
        out.append(p[torch.randint(len(p), (r, batch_size), generator=g)].mean(dim=1))
    return torch.cat(out).numpy()


def ema_variance_check(batch_means, ema_rates: Sequence[float], burn_in: float = 10.0):
    """Empirical ``Var(v)`` of the stationary EMA against ``a / (2 - a) * Var(m)``.

    Introduced in chapter 4. ``batch_means``: ``(R,)`` i.i.d. minibatch means ``m_t``; the
    first ``burn_in / a`` steps of each EMA are dropped. Returns ``(empirical, predicted)``,
    arrays of shape ``(len(ema_rates),)``.
    """
    m = np.asarray(batch_means, float)
    emp, pred = [], []
    for a in ema_rates:
        v = ema_filter(m, a, m.mean())
        emp.append(v[int(burn_in / a):].var())
        pred.append(a / (2 - a) * m.var())
    return np.array(emp), np.array(pred)


# --------------------------------------------------------------------------- bias of the ratio


def stream_bias_weights(p, batch_size: int, n_batches: int, ema_rates: Sequence[float] = (),
                        seed: int = 0, burn_in: float = 10.0, control_variate: bool = True,
                        n_groups: int = 1, max_draws: int = 2**21) -> np.ndarray:
    """Mean marginal weights of a stream of minibatches, minus the full-data weights.

    Introduced in chapter 4. ``p``: ``(N,)`` normalized ``e^T`` (:func:`normalized_exp`).
    Each step draws ``batch_size`` rows with replacement; the marginal term of its gradient
    is ``H_Q^T w`` with ``w_j = c_j p_j / (B * D)``. The denominator ``D`` is the batch mean
    ``Bbar`` (plain DV gradient, row 0) or the moving average ``v_t`` at each rate in
    ``ema_rates`` (rows 1...), frozen critic, started at its stationary mean and run
    ``burn_in / min(a)`` steps before averaging begins.

    Returns ``delta`` of shape ``(n_groups, 1 + len(ema_rates), N)``: the average over the
    ``n_batches`` steps of each group of ``w - p/N`` (so that the gradient's bias is
    ``-H_Q^T delta``). With ``control_variate`` every step's weights are replaced by
    ``w - l`` with the first-order expansion ``l = c p / B - p (D - 1) / N``, whose expectation
    is exactly ``p/N``: same expectation, but the O(1/sqrt(B)) noise is gone and what is
    left is the O(1/B) second-order remainder. Groups are independent streams (error bars).
    """
    p_t = torch.as_tensor(np.asarray(p, float))
    n = len(p_t)
    rates = [float(a) for a in ema_rates]
    g = torch.Generator().manual_seed(int(seed))
    burn = int(math.ceil(burn_in / min(rates))) if rates else 0
    out = np.zeros((n_groups, 1 + len(rates), n))
    step = max(1, max_draws // batch_size)
    for grp in range(n_groups):
        acc = torch.zeros(n, 1 + len(rates), dtype=torch.float64)
        lin = np.zeros(1 + len(rates))  # sum over steps of (D_t - 1): the linear term's scalar
        v_prev = [1.0] * len(rates)
        total = burn + n_batches
        for start in range(0, total, step):
            r = min(step, total - start)
            idx = torch.randint(n, (r, batch_size), generator=g)
            pe = p_t[idx]
            bbar = pe.mean(dim=1).numpy()
            dens = [bbar]
            for i, a in enumerate(rates):
                v = ema_filter(bbar, a, v_prev[i])
                v_prev[i] = float(v[-1])
                dens.append(v)
            keep = np.arange(start, start + r) >= burn
            if not keep.any():
                continue
            d = torch.as_tensor(np.stack(dens, axis=1)[keep])  # (r_kept, M)
            pe, idx = pe[torch.as_tensor(keep)], idx[torch.as_tensor(keep)]
            scale = (1.0 / d - 1.0) if control_variate else 1.0 / d
            vals = pe.unsqueeze(-1) / batch_size * scale.unsqueeze(1)  # (r_kept, B, M)
            acc.index_add_(0, idx.reshape(-1), vals.reshape(-1, vals.shape[-1]))
            lin += (d - 1.0).sum(dim=0).numpy()
        delta = acc.numpy().T / n_batches
        if control_variate:
            delta = delta + np.outer(lin / n_batches, p_t.numpy() / n)
        else:
            delta = delta - p_t.numpy() / n
        out[grp] = delta
    return out


def predicted_bias_weights(p, batch_size: int, ema_rate: float = 1.0) -> np.ndarray:
    """Second-order prediction of :func:`stream_bias_weights` (chapter 4), ``(N,)``.

    With ``E[A/D] ~ mu_A/mu_D - Cov(A, D)/mu_D^2 + mu_A Var(D)/mu_D^3`` and, for draws with
    replacement, ``Cov(c_j, Bbar) = (p_j - 1)/N``, ``Var(Bbar) = (m2 - 1)/B`` (``m2 = mean(p^2)``);
    the EMA multiplies the covariance by ``a`` and the variance by ``a/(2-a)``:

        delta_j = p_j [ a/(2-a) (m2 - 1) - a (p_j - 1) ] / (N B).

    ``ema_rate = 1`` is the plain minibatch gradient: ``delta_j = p_j (m2 - p_j) / (N B)``.
    """
    p = np.asarray(p, float)
    a = float(ema_rate)
    m2 = np.mean(p**2)
    return p * (a / (2 - a) * (m2 - 1) - a * (p - 1)) / (len(p) * batch_size)


def gradient_bias_curves(critic, x_marg, z_marg, batch_sizes: Sequence[int], n_batches: int,
                         ema_rates: Sequence[float], seed: int = 0, n_groups: int = 4,
                         progress: bool = False) -> dict:
    """Bias norms of the plain and EMA-corrected minibatch DV gradients against batch size.

    Introduced in chapter 4. For each batch size runs :func:`stream_bias_weights` (``n_groups``
    independent streams of ``n_batches`` steps) and maps the weights to parameter space with
    one batched vector-Jacobian product. Returns a dict of numpy arrays, ``M = 1 + len(ema_rates)``
    rows (plain, then each rate), one column per batch size:

    ``measured (M, S)``: ``||mean of the group bias vectors||``; ``noise (M, S)``: the expected
    norm of that mean's Monte Carlo error; ``predicted (M, S)``: the norm of the second-order
    prediction; ``cosine (M, S)``: cosine between measured and predicted bias vectors.
    """
    from tqdm import tqdm

    p = normalized_exp(_scores(critic, x_marg, z_marg))
    rates = [1.0, *map(float, ema_rates)]
    m, s = len(rates), len(batch_sizes)
    measured, noise, predicted, cosine = (np.zeros((m, s)) for _ in range(4))
    for j, b in enumerate(tqdm(batch_sizes, disable=not progress, desc="batch sizes")):
        delta = stream_bias_weights(p, b, n_batches, ema_rates, seed=seed + j, n_groups=n_groups)
        pred = np.stack([predicted_bias_weights(p, b, a) for a in rates])
        rows = np.concatenate([delta.reshape(-1, len(p)), pred])
        vecs = -param_grads(critic, x_marg, z_marg, rows).numpy()
        groups = vecs[: n_groups * m].reshape(n_groups, m, -1)
        pred_vecs = vecs[n_groups * m:]
        mean = groups.mean(axis=0)
        measured[:, j] = np.linalg.norm(mean, axis=1)
        spread = groups.var(axis=0, ddof=1).sum(axis=1) / n_groups if n_groups > 1 else np.nan
        noise[:, j] = np.sqrt(spread)
        predicted[:, j] = np.linalg.norm(pred_vecs, axis=1)
        cosine[:, j] = (mean * pred_vecs).sum(axis=1) / (measured[:, j] * predicted[:, j])
    return dict(batch_sizes=np.asarray(batch_sizes), rates=np.asarray(rates), measured=measured,
                noise=noise, predicted=predicted, cosine=cosine)


def fit_loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (chapter 4): -1 for a 1/B law."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


# --------------------------------------------------------------------------- explicit check


def explicit_minibatch_mean(critic, x_joint, z_joint, x_marg, z_marg, idx_joint, idx_marg,
                            chunk_size: int = 64) -> torch.Tensor:
    """Mean of ``R`` minibatch DV gradients, each by its own backward pass (torch.func), ``(P,)``.

    Introduced in chapter 4 to check :func:`weight_trick_mean`. ``idx_joint``, ``idx_marg``:
    ``(R, B)`` row indices of each minibatch's joint and marginal samples.
    """
    xj, zj, xm, zm = map(_as_float32, (x_joint, z_joint, x_marg, z_marg))
    params = {k: v.detach() for k, v in critic.named_parameters()}
    buffers = {k: v.detach() for k, v in critic.named_buffers()}

    def dv(prm, ij, im):
        tj = functional_call(critic, (prm, buffers), (xj[ij], zj[ij]))
        tm = functional_call(critic, (prm, buffers), (xm[im], zm[im]))
        return dv_bound(tj, tm)

    g = vmap(grad(dv), in_dims=(None, 0, 0), chunk_size=chunk_size)(
        params, torch.as_tensor(idx_joint), torch.as_tensor(idx_marg))
    r = len(idx_joint)
    return torch.cat([g[k].reshape(r, -1) for k in params], dim=1).double().mean(dim=0)


def weight_trick_mean(critic, x_joint, z_joint, x_marg, z_marg, idx_joint, idx_marg) -> torch.Tensor:
    """The same mean as :func:`explicit_minibatch_mean`, from averaged weights and two VJPs.

    Introduced in chapter 4. ``(P,)`` float64.
    """
    idx_joint, idx_marg = torch.as_tensor(idx_joint), torch.as_tensor(idx_marg)
    r, b = idx_marg.shape
    n_joint, n_marg = len(np.asarray(x_joint)), len(np.asarray(x_marg))
    u = torch.zeros(n_joint, dtype=torch.float64)
    u.index_add_(0, idx_joint.reshape(-1), torch.full((idx_joint.numel(),), 1.0 / (r * idx_joint.shape[1]),
                                                      dtype=torch.float64))
    t = _scores(critic, x_marg, z_marg)
    te = t[idx_marg]
    w_draw = torch.softmax(te, dim=1) / r  # e_j / (B * Bbar) per draw, averaged over R
    w = torch.zeros(n_marg, dtype=torch.float64).index_add_(0, idx_marg.reshape(-1), w_draw.reshape(-1))
    return param_grads(critic, x_joint, z_joint, u.numpy()) - param_grads(critic, x_marg, z_marg, w.numpy())


# --------------------------------------------------------------------------- value bias


def value_bias(p, batch_size: int, n_batches: int, seed: int = 0) -> float:
    """``E[L_B] - L`` for a fixed critic: the upward bias of the minibatch DV *value*, nats.

    Introduced in chapter 4. Only the ``-log mean_B(e^T)`` term is biased, so this is
    ``E[-log Bbar]`` for normalized ``p`` (mean 1); compare with ``(mean(p^2) - 1) / (2B)``.
    The control variate ``Bbar - 1`` (mean exactly 0) is added to every batch, which removes
    the O(1/sqrt(B)) noise of the first-order term.
    """
    d = batch_mean_stream(p, batch_size, n_batches, seed)
    return float((-np.log(d) + d - 1.0).mean())


# --------------------------------------------------------------------------- chapter 5: training
@torch.no_grad()
def held_out_dv(ensemble: Ensemble, shifts: torch.Tensor):
    """Held-out DV estimate and ``log m2`` of every member of ``ensemble``, ``(K,)`` each, nats.

    Chapter 5. Marginal pairs are the cyclic ``shifts (K, S)`` of the held-out ``z``
    (:meth:`minebook.engine.Ensemble.held_out_scores`), read out by
    :func:`minebook.readouts.dv_read_out`, the read-out of ``estimate_mi``.
    ``m2 = mean(e^{2T}) / mean(e^T)^2`` on them is the relative second moment that drives the
    gradient bias (chapter 4).
    """
    t_joint, t_marg = ensemble.held_out_scores(shifts)
    value, _ = dv_read_out(t_joint, t_marg, shifts)
    flat = t_marg.double().reshape(t_marg.shape[0], -1)
    log_m2 = logmeanexp(2 * flat) - 2 * logmeanexp(flat)
    return value, log_m2.cpu().numpy()


def train_with_checkpoints(pairs, estimator: str = "mine", *, seed: int = 0, steps: int = 3000,
                           batch_size: int = 64, lr: float = 1e-3, hidden: Sequence[int] = (64, 64),
                           ema_rate: float = 0.01, naive_numerics: bool = False,
                           test_fraction: float = 0.25, eval_every: int = 100, n_shuffles: int = 5,
                           progress: bool = False, desc: str | None = None) -> dict:
    """Train K stacked concat critics with ``mb.estimate_mi_many``, reading the held-out DV
    estimate out every ``eval_every`` steps (chapter 5).

    The library's engine, unchanged: a held-out fraction ``test_fraction``, standardization on
    the training split (``preprocess="standardize"``), minibatches drawn with replacement,
    marginal samples from in-batch derangements, the estimator's objective, Adam; the critic
    is the last iterate (no weight averaging, no validation split). A step callback
    (:class:`minebook.engine.TrainingState`) records the largest marginal score of every batch
    and, every ``eval_every`` steps, :func:`held_out_dv` on ``n_shuffles`` fixed cyclic shifts
    per member. Member ``k`` uses seed ``seed + k`` for everything, so runs of different
    estimators with one ``seed`` share splits, initial critics, minibatches and shuffles: a
    controlled comparison.

    Returns a dict of numpy arrays: ``history``, ``grad_norms``, ``t_max`` (largest marginal
    score of the batch) of shape ``(steps, K)``; ``eval_steps (E,)``; ``held_out`` and
    ``log_m2`` ``(E, K)``; ``mi (K,)`` the final held-out estimate (nats); and, not numpy,
    ``critic`` (the trained stacked critic, on standardized inputs) with its held-out inputs
    ``x_test (K, n_test, dx)``, ``z_test (K, n_test, dz)``.
    """
    t_max = torch.empty(steps, len(pairs))
    eval_steps, held, log_m2, last = [], [], [], {}
    shift_gens = [torch.Generator().manual_seed(int(seed) + k + 12345) for k in range(len(pairs))]

    def on_step(state: TrainingState) -> None:
        t_max[state.step] = state.t_marg.amax(dim=1)
        if (state.step + 1) % eval_every == 0 or state.step + 1 == steps:
            ens = state.ensemble
            if "shifts" not in last:  # fixed per member, drawn once
                last["shifts"] = ens.draw_shifts(ens.x_test.shape[1], n_shuffles, shift_gens)
            dv, m2 = held_out_dv(ens, last["shifts"])
            eval_steps.append(state.step + 1)
            held.append(dv)
            log_m2.append(m2)
            last["ensemble"] = ens

    results = estimate_mi_many(
        pairs, estimator=estimator, seed=seed, steps=steps, batch_size=batch_size, lr=lr,
        hidden=hidden, critic="concat", ema_rate=ema_rate, naive_numerics=naive_numerics,
        test_fraction=test_fraction, preprocess="standardize", average_last=0.0, val_fraction=0.0,
        n_shuffles=n_shuffles, progress=progress, desc=desc or estimator, checks=False,
        callback=on_step)
    ens = last["ensemble"]
    out = {"history": np.stack([r.history for r in results], axis=1),
           "grad_norms": np.stack([r.grad_norms for r in results], axis=1),
           "t_max": t_max.double().numpy(), "eval_steps": np.array(eval_steps),
           "held_out": np.array(held), "log_m2": np.array(log_m2)}
    out["mi"] = out["held_out"][-1]
    out.update(critic=ens.critic, x_test=ens.x_test, z_test=ens.z_test)
    return out


def stack_runs(run: dict, shape: tuple[int, int]) -> dict:
    """Reshape the member axis K of a :func:`train_with_checkpoints` result to ``shape`` (chapter 5).

    ``shape = (n_rho, n_seeds)`` in the order the pairs were passed; the member axis moves to
    the front: ``history (steps, K) -> (n_rho, n_seeds, steps)``, ``mi (K,) -> (n_rho, n_seeds)``.
    ``eval_steps`` is passed through; ``critic``, ``x_test`` and ``z_test`` are dropped.
    """
    out = {}
    for name, value in run.items():
        if name in ("critic", "x_test", "z_test"):
            continue
        if name == "eval_steps":
            out[name] = value
        elif value.ndim == 1:
            out[name] = value.reshape(shape)
        else:
            out[name] = np.moveaxis(value, -1, 0).reshape(*shape, -1)
    return out


def first_nonfinite_step(history) -> np.ndarray:
    """Index of the first NaN/inf along the last axis, or -1 where all finite (chapter 5)."""
    h = np.asarray(history)
    bad = ~np.isfinite(h)
    return np.where(bad.any(axis=-1), bad.argmax(axis=-1), -1)


def shift_overflow(critic, x_joint, z_joint, x_marg, z_marg, offsets) -> dict:
    """DV value of the critic ``T + c`` in float32, naive versus log-sum-exp (chapter 5).

    The DV bound is invariant to ``T -> T + c`` in exact arithmetic. Returns ``offsets``,
    ``lse`` and ``naive`` (nats, shape ``(len(offsets),)``), ``t_max`` (the largest marginal
    score) and ``log_sum_exp`` (``log sum_j e^{T_j}`` over the marginal scores): the naive
    ``log(mean(exp(T + c)))`` sums the exponentials before dividing, so it overflows once
    ``log_sum_exp + c`` exceeds ``log(float32 max) = 88.72``.
    """
    with torch.no_grad():
        tj = critic(_as_float32(x_joint), _as_float32(z_joint)).float()
        tm = critic(_as_float32(x_marg), _as_float32(z_marg)).float()
        c = torch.as_tensor(np.asarray(offsets, float), dtype=torch.float32).unsqueeze(1)
        lse = dv_bound(tj + c, tm + c)
        naive = (tj + c).mean(dim=-1) - naive_log_mean_exp(tm + c)
    return dict(offsets=np.asarray(offsets, float), lse=lse.numpy(), naive=naive.numpy(),
                t_max=float(tm.max()), log_sum_exp=float(torch.logsumexp(tm.double(), dim=-1)))
