"""``estimate_mi`` and ``estimate_mi_many``: train critics, read MI out on held-out samples.

Introduced in chapter 3. ``estimate_mi_many`` trains K critics at once with stacked
weights (one batched matmul per layer for all of them); ``estimate_mi`` is the K = 1 case,
so the two agree by construction. Everything is in nats.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from ._checks import (
    check_estimator,
    check_fraction,
    check_pair,
    check_positive_int,
)
from .critics import StandardizedCritic, make_critic
from .ema import LogEMA
from .ksg import ksg
from .objectives import batch_objective, critic_outputs
from .utils import resolve_device

__all__ = ["MIEstimate", "estimate_mi", "estimate_mi_many", "DEFAULTS"]

#: Defaults chosen so that standardized data gives good estimates without tuning (chapter 3).
DEFAULTS = dict(steps=3000, batch_size=512, lr=1e-3, hidden=(128, 128), ema_rate=0.01,
                test_fraction=0.25, n_shuffles=20, tau=5.0)


@dataclass
class MIEstimate:
    """The result of one estimate (chapter 3).

    Attributes: ``mi`` (nats, on held-out samples that training never saw), ``mi_std``
    (its standard error from the held-out read-out, delta method), ``history`` (the
    training-batch estimate at every step, nats, shape ``(steps,)``), ``grad_norms``
    (global gradient norm per step), ``critic`` (the trained critic on raw inputs, or
    ``None`` for KSG), ``diverged`` with ``message``, ``n_train``, ``n_test``, ``seconds``.
    """

    mi: float
    mi_std: float
    estimator: str
    history: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    grad_norms: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    critic: torch.nn.Module | None = field(default=None, repr=False)
    diverged: bool = False
    message: str = ""
    n_train: int = 0
    n_test: int = 0
    seconds: float = 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """An approximate 95% interval ``mi ± 1.96 mi_std`` (nats)."""
        return (self.mi - 1.96 * self.mi_std, self.mi + 1.96 * self.mi_std)


def estimate_mi(x, z, *, estimator: str = "mine", seed: int = 0, **kwargs) -> MIEstimate:
    """Estimate ``I(X; Z)`` in nats from paired samples (chapter 3).

    ``x``: ``(n,)`` or ``(n, dx)``; ``z``: ``(n,)`` or ``(n, dz)``; numpy arrays or tensors.
    ``estimator`` is one of ``"mine"`` (EMA-corrected DV, the default), ``"mine_biased"``,
    ``"mine_f"``, ``"jsd"`` (JSD-trained, DV read-out), ``"infonce"``, ``"smile"``, ``"ksg"``.
    Keyword arguments are those of :func:`estimate_mi_many`. A fraction ``test_fraction``
    of the rows is held out; ``mi`` is read out there, averaged over ``n_shuffles`` shuffles.
    """
    return estimate_mi_many([(x, z)], estimator=estimator, seed=seed, **kwargs)[0]


def estimate_mi_many(pairs: Sequence[tuple], *, estimator: str = "mine", seed: int = 0,
                     steps: int = DEFAULTS["steps"], batch_size: int = DEFAULTS["batch_size"],
                     lr: float = DEFAULTS["lr"], hidden: Sequence[int] = DEFAULTS["hidden"],
                     critic: str = "concat", activation: str = "relu", embed_dim: int = 32,
                     ema_rate: float = DEFAULTS["ema_rate"], tau: float = DEFAULTS["tau"],
                     test_fraction: float = DEFAULTS["test_fraction"],
                     n_shuffles: int = DEFAULTS["n_shuffles"], standardize: bool = True,
                     naive_numerics: bool = False, k: int = 3, device="auto",
                     progress: bool = False, desc: str | None = None) -> list[MIEstimate]:
    """Estimate MI for K sample pairs at once, training K critics with stacked weights.

    ``pairs``: a list of ``(x_k, z_k)``; all ``x_k`` share one shape ``(n, dx)`` and all
    ``z_k`` one shape ``(n, dz)`` (group sweeps by shape). Member k uses seed ``seed + k``
    for its split, initialisation, minibatches and shuffles, so a list of K copies of one
    data set is K independent seeds. Returns one :class:`MIEstimate` per pair.

    Introduced in chapter 3; the sweeps of chapters 5-7 and 12 use it.
    """
    estimator = check_estimator(estimator)
    if isinstance(pairs, tuple) and len(pairs) == 2 and not isinstance(pairs[0], tuple):
        raise ValueError("pairs must be a list of (x, z) tuples; for one pair use estimate_mi(x, z).")
    if len(pairs) == 0:
        raise ValueError("pairs is empty; pass a list of (x, z) tuples.")
    data = [check_pair(x, z) for x, z in pairs]
    if estimator == "ksg":
        return [_ksg_result(x, z, k) for x, z in data]
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    n_shuffles = check_positive_int(n_shuffles, "n_shuffles")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    if lr <= 0:
        raise ValueError(f"lr must be positive; got {lr}.")
    shapes = {(x.shape, z.shape) for x, z in data}
    if len(shapes) > 1:
        raise ValueError(
            f"all pairs must share shapes to be trained together; got {sorted(shapes)}. "
            "Call estimate_mi_many once per shape."
        )
    n = len(data[0][0])
    n_test = int(round(test_fraction * n))
    n_train = n - n_test
    min_test = batch_size if estimator == "infonce" else 2
    if n_train < batch_size or n_test < min_test:
        raise ValueError(
            f"too few samples: n={n} gives {n_train} training rows (need batch_size={batch_size}) "
            f"and {n_test} held-out rows (need {min_test}) at test_fraction={test_fraction}. "
            "Pass more samples or a smaller batch_size."
        )
    dev = resolve_device(device)
    runner = _Ensemble(data, estimator, seed, n_train, hidden, critic, activation, embed_dim,
                       standardize, dev)
    start = time.perf_counter()
    history, grad_norms = runner.train(steps, batch_size, lr, ema_rate, tau, naive_numerics,
                                       progress, desc or f"{estimator} x{len(data)}")
    mi, mi_std = runner.read_out(estimator, tau, n_shuffles, batch_size)
    seconds = time.perf_counter() - start
    results = []
    for j in range(len(data)):
        res = MIEstimate(mi=float(mi[j]), mi_std=float(mi_std[j]), estimator=estimator,
                         history=history[:, j], grad_norms=grad_norms[:, j],
                         critic=runner.member_critic(j), n_train=n_train, n_test=n_test,
                         seconds=seconds / len(data))
        _flag_divergence(res, n_test)
        results.append(res)
    return results


def _ksg_result(x: np.ndarray, z: np.ndarray, k: int) -> MIEstimate:
    start = time.perf_counter()
    value = ksg(x, z, k=k)
    return MIEstimate(mi=float(value), mi_std=float("nan"), estimator="ksg", n_train=0,
                      n_test=len(x), seconds=time.perf_counter() - start)


def _flag_divergence(res: MIEstimate, n_test: int) -> None:
    """Mark a run diverged (with a warning) on NaN/inf or an estimate above ``log n_test``."""
    problems = []
    if not np.all(np.isfinite(res.history)):
        bad = int(np.argmax(~np.isfinite(res.history)))
        problems.append(f"the training estimate became NaN/inf at step {bad}")
    if not math.isfinite(res.mi):
        problems.append("the held-out estimate is NaN/inf")
    elif res.estimator != "mine_f" and res.mi > math.log(n_test) + 1e-6:
        problems.append(
            f"the held-out estimate {res.mi:.2f} nats exceeds log(n_test) = {math.log(n_test):.2f}, "
            "more than this many samples can support"
        )
    if problems:
        res.diverged = True
        res.message = "; ".join(problems) + ". Try a smaller lr, estimator='mine', or more samples."
        warnings.warn(f"estimate_mi ({res.estimator}) diverged: {res.message}", RuntimeWarning,
                      stacklevel=3)


class _Ensemble:
    """K stacked critics with their data: the engine behind ``estimate_mi_many``."""

    def __init__(self, data, estimator, seed, n_train, hidden, critic, activation, embed_dim,
                 standardize, device):
        self.estimator, self.device = estimator, device
        self.K = len(data)
        self.generators = [torch.Generator().manual_seed(int(seed) + j) for j in range(self.K)]
        xs, zs, self.scalers = [], [], []
        for (x, z), g in zip(data, self.generators, strict=True):
            perm = torch.randperm(len(x), generator=g).numpy()
            x, z = x[perm], z[perm]
            scale = _scaler(x[:n_train], z[:n_train], standardize)
            self.scalers.append(scale)
            xs.append((x - scale[0]) / scale[1])
            zs.append((z - scale[2]) / scale[3])
        x_all = torch.as_tensor(np.stack(xs), dtype=torch.float32, device=device)
        z_all = torch.as_tensor(np.stack(zs), dtype=torch.float32, device=device)
        self.x_train, self.x_test = x_all[:, :n_train], x_all[:, n_train:]
        self.z_train, self.z_test = z_all[:, :n_train], z_all[:, n_train:]
        init = torch.Generator().manual_seed(int(seed))
        self.critic = make_critic(critic, x_all.shape[-1], z_all.shape[-1], hidden, self.K,
                                  activation, init, embed_dim=embed_dim).to(device)

    def _draw(self, batch_size: int):
        n = self.x_train.shape[1]
        idx = torch.stack([torch.randint(n, (batch_size,), generator=g) for g in self.generators])
        idx = idx.to(self.device)
        rows = torch.arange(self.K, device=self.device).unsqueeze(1)
        return self.x_train[rows, idx], self.z_train[rows, idx]

    def train(self, steps, batch_size, lr, ema_rate, tau, naive_numerics, progress, desc):
        opt = torch.optim.Adam(self.critic.parameters(), lr=lr)
        ema = LogEMA(ema_rate)
        history = np.empty((steps, self.K))
        grad_norms = np.empty((steps, self.K))
        shuffle_gen = self.generators[0]
        for step in tqdm(range(steps), disable=not progress, desc=desc, mininterval=1.0):
            x, z = self._draw(batch_size)
            t_joint, t_marg, scores = critic_outputs(self.critic, x, z, self.estimator, shuffle_gen)
            value, target = batch_objective(self.estimator, t_joint, t_marg, scores, ema, tau,
                                            naive_numerics)
            opt.zero_grad(set_to_none=True)
            (-target.sum()).backward()
            history[step] = value.detach().cpu().numpy()
            grad_norms[step] = self._member_grad_norms()
            opt.step()
        return history, grad_norms

    def _member_grad_norms(self) -> np.ndarray:
        total = torch.zeros(self.K, device=self.device)
        for p in self.critic.parameters():
            if p.grad is not None:
                total += p.grad.detach().pow(2).reshape(self.K, -1).sum(dim=1)
        return total.sqrt().cpu().numpy()

    @torch.no_grad()
    def read_out(self, estimator, tau, n_shuffles, batch_size):
        """Held-out estimate and its standard error for every member, shape ``(K,)`` each."""
        x, z = self.x_test, self.z_test
        if estimator == "infonce":
            return _infonce_read_out(self.critic, x, z, batch_size)
        t_joint = self.critic(x, z)
        g = torch.Generator().manual_seed(12345)
        t_marg = torch.cat([self.critic(x, _permute(z, g)) for _ in range(n_shuffles)], dim=1)
        clip = tau if estimator == "smile" else None
        if estimator == "mine_f":
            return _nwj_read_out(t_joint, t_marg)
        return _dv_read_out(t_joint, t_marg, clip)

    def member_critic(self, j: int) -> StandardizedCritic:
        mx, sx, mz, sz = self.scalers[j]
        return StandardizedCritic(self.critic.member(j).eval(), mx, sx, mz, sz)


def _scaler(x, z, standardize):
    if not standardize:
        return (np.zeros(x.shape[1]), np.ones(x.shape[1]), np.zeros(z.shape[1]), np.ones(z.shape[1]))

    def safe_std(a):
        s = a.std(axis=0)
        return np.where(s > 1e-12, s, 1.0)

    return x.mean(axis=0), safe_std(x), z.mean(axis=0), safe_std(z)


def _permute(z: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """One shared random permutation of the rows of ``z (K, n, d)``."""
    perm = torch.randperm(z.shape[1], generator=g).to(z.device)
    return z[:, perm]


def _dv_read_out(t_joint, t_marg, clip=None):
    """DV value and delta-method standard error, ``(K, n)``, ``(K, m)`` -> ``(K,)``, ``(K,)``."""
    t_joint, t_marg = t_joint.double(), t_marg.double()
    if clip is not None:
        t_marg = torch.clamp(t_marg, -clip, clip)
    m = t_marg.shape[1]
    log_mean = torch.logsumexp(t_marg, dim=1) - math.log(m)
    value = t_joint.mean(dim=1) - log_mean
    # Var(e^T)/E[e^T]^2 = E[e^{2(T - c)}] / E[e^{T - c}]^2 - 1 with c = log_mean (stable).
    rel_var = torch.exp(torch.logsumexp(2 * (t_marg - log_mean[:, None]), dim=1) - math.log(m)) - 1
    var = t_joint.var(dim=1) / t_joint.shape[1] + rel_var.clamp_min(0) / m
    return value.cpu().numpy(), var.sqrt().cpu().numpy()


def _nwj_read_out(t_joint, t_marg):
    t_joint, t_marg = t_joint.double(), t_marg.double()
    e = torch.exp(t_marg - 1)
    value = t_joint.mean(dim=1) - e.mean(dim=1)
    var = t_joint.var(dim=1) / t_joint.shape[1] + e.var(dim=1) / e.shape[1]
    return value.cpu().numpy(), var.sqrt().cpu().numpy()


def _infonce_read_out(critic, x, z, batch_size):
    from .bounds import infonce_bound

    n_batches = x.shape[1] // batch_size
    values = torch.stack([
        infonce_bound(critic.scores(x[:, i * batch_size:(i + 1) * batch_size],
                                    z[:, i * batch_size:(i + 1) * batch_size]))
        for i in range(n_batches)
    ], dim=1).double()
    std = values.std(dim=1) / math.sqrt(n_batches) if n_batches > 1 else torch.full_like(values[:, 0], float("nan"))
    return values.mean(dim=1).cpu().numpy(), std.cpu().numpy()
