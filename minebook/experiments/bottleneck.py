"""The information bottleneck with MINE (chapter 10): baseline, Deep VIB and MINE-IB.

The bottleneck objective is ``min  H(Y|Z) + beta * I(X;Z)`` over a stochastic encoder
``p(z|x) = N(mu(x), diag sigma(x)^2)`` and a softmax classifier ``q(y|z)``:

* ``"baseline"``: a deterministic encoder ``z = mu(x)`` and plain cross-entropy;
* ``"vib"`` (Alemi et al. 2017): ``I(X;Z)`` replaced by its variational upper bound
  ``E_x KL(p(z|x) || N(0, I))``;
* ``"mine"`` (Belghazi et al. 2018): ``I(X;Z)`` replaced by a MINE estimate, a *lower*
  bound from a statistics network ``T(x, z)`` trained at the same time. The encoder
  *minimises* ``+ beta * mine(x, z)`` while ``T`` *maximises* ``mine(x, z)`` with its own
  optimizer: a min-max game.

All members of a sweep (methods x betas x seeds) train at once as one stacked ensemble
(:class:`minebook.StackedMLP`, one batched matmul per layer), each with its own ``beta``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from ..critics import StackedMLP, make_critic
from ..estimate import estimate_mi_many
from ..module import StackedMINE
from ..threads import threads_for_modules, using_threads
from ..utils import adam, resolve_device

__all__ = [
    "METHODS", "StackedMINE", "StackedEncoder", "IBEnsemble", "SweepResult",
    "scale_grad", "mine_penalty", "batch_standardize", "gaussian_kl_to_standard", "train_ib", "beta_sweep",
    "encoder_mi", "mc_predictions", "mc_wrong", "mc_test_error", "sample_codes", "code_mi_mine",
]

METHODS = ("baseline", "vib", "mine")


class _ScaleGrad(torch.autograd.Function):
    """Identity forward; multiplies the incoming gradient by ``scale`` (broadcast) backward."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(scale)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        (scale,) = ctx.saved_tensors
        return grad * scale, None


def scale_grad(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Identity whose backward pass multiplies the gradient by ``scale`` (chapter 10).

    With ``scale = -beta`` this is a gradient-reversal layer: one backward pass of
    ``- mine(x, scale_grad(z, -beta))`` gives the critic the gradient of ``- mine`` (it
    maximises the bound) and the encoder the gradient of ``+ beta * mine`` (it minimises
    it). ``scale`` broadcasts against ``x`` (e.g. ``(K, 1, 1)`` for ``(K, B, d)``).
    """
    return _ScaleGrad.apply(x, torch.as_tensor(scale, dtype=x.dtype, device=x.device))


def mine_penalty(mine: StackedMINE, feats: torch.Tensor, z: torch.Tensor, beta) -> tuple[torch.Tensor, torch.Tensor]:
    """The MINE-IB loss term: ``(loss_term (K,), mi (K,))`` to add to the total loss (chapter 10).

    ``loss_term = -mine(feats, scale_grad(z, -beta))``. Its *value* is ``-mi``; its
    gradient is ``- grad mine`` for the critic (so descending the total loss makes the critic
    *ascend* the bound) and ``+ beta * grad mine`` for whatever produced ``z`` (the encoder
    *descends* ``beta * mine``: it minimises ``I(X;Z)``). A negative ``beta`` maximises MI
    instead, as Deep InfoMax does (chapter 11). ``beta``: scalar or ``(K,)``.
    """
    beta = torch.as_tensor(beta, dtype=z.dtype, device=z.device)
    scale = -beta.reshape(-1, 1, 1) if beta.dim() else -beta
    mi = mine(feats, scale_grad(z, scale))
    return -mi, mi


def gaussian_kl_to_standard(mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag sigma^2) || N(0, I))`` in nats, summed over the last dim (chapter 10).

    ``(..., dz), (..., dz) -> (...)``. Its mean over ``x`` is VIB's upper bound on ``I(X;Z)``.
    """
    return 0.5 * (mu.pow(2) + sigma.pow(2) - 1.0 - 2.0 * torch.log(sigma)).sum(dim=-1)


class StackedEncoder(nn.Module):
    """K Gaussian encoders ``x -> (mu(x), sigma(x))`` plus K linear softmax classifiers.

    ``encode(x (K, N, dx))`` -> ``mu, sigma`` of shape ``(K, N, dz)``; members whose
    ``stochastic`` flag is False get ``sigma = 0`` (the deterministic baseline).
    ``classify(z (K, N, dz))`` -> logits ``(K, N, n_classes)``. ``sigma = softplus(pre -
    sigma_shift)``: Alemi et al. use ``sigma_shift = 5`` (codes start almost deterministic,
    ``sigma ~ 0.007``); the book uses 0 (``sigma ~ 0.7`` at the start). Chapter 10.
    """

    def __init__(self, dim_x: int, hidden: Sequence[int], dim_z: int, n_classes: int,
                 stochastic: Sequence[bool], generator: torch.Generator | None = None,
                 sigma_shift: float = 0.0):
        super().__init__()
        self.sigma_shift = float(sigma_shift)
        k = len(stochastic)
        self.dim_z = int(dim_z)
        self.net = StackedMLP(dim_x, hidden, 2 * dim_z, k, "relu", generator)
        self.head = StackedMLP(dim_z, (), n_classes, k, "relu", generator)
        self.register_buffer("stochastic", torch.as_tensor(list(stochastic), dtype=torch.bool).view(k, 1, 1))

    def encode(self, x: torch.Tensor):
        out = self.net(x)
        mu, pre = out[..., : self.dim_z], out[..., self.dim_z:]
        sigma = F.softplus(pre - self.sigma_shift) * self.stochastic
        return mu, sigma

    def encode_members(self, x: torch.Tensor, rows: torch.Tensor):
        """``encode`` for the members ``rows`` only: ``x (len(rows), N, dx)`` -> ``mu, sigma``."""
        h = x
        last = len(self.net.weights) - 1
        for i, (w, b) in enumerate(zip(self.net.weights, self.net.biases, strict=True)):
            h = torch.baddbmm(b[rows], h, w[rows])
            if i < last:
                h = F.relu(h)
        mu, pre = h[..., : self.dim_z], h[..., self.dim_z:]
        return mu, F.softplus(pre - self.sigma_shift) * self.stochastic[rows]

    def classify(self, z: torch.Tensor) -> torch.Tensor:
        return self.head(z)


def batch_standardize(z: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Standardize ``z (K, B, d)`` per member and dimension with batch statistics (chapter 10).

    Gradients flow through the mean and std. ``I(X;Z)`` does not change when ``Z`` is
    rescaled, but a critic's estimate does: feeding the critic standardized codes takes
    away the encoder's cheapest way to fool it (blowing up the scale of ``mu``).
    """
    mean = z.mean(dim=-2, keepdim=True)
    std = z.std(dim=-2, keepdim=True)
    return (z - mean) / (std + eps)


def sample_codes(mu: torch.Tensor, sigma: torch.Tensor, generator: torch.Generator | None = None):
    """``z = mu + sigma * eps`` with ``eps ~ N(0, I)``; shapes ``(..., dz)`` (chapter 10)."""
    eps = torch.randn(mu.shape, generator=generator).to(mu.device)
    return mu + sigma * eps


@dataclass
class IBEnsemble:
    """What :func:`train_ib` returns: the trained stacked models and their training curves.

    ``methods``/``betas`` (length K) describe the members; ``model`` is the
    :class:`StackedEncoder`; ``mine`` the :class:`StackedMINE` of the ``"mine"`` members
    (or None); ``history`` maps ``"ce"``, ``"kl"`` (VIB rate, nats) and ``"mine"`` (the
    training-batch MINE value, nats; NaN for other members) to ``(steps, K)`` arrays.
    """

    methods: list[str]
    betas: np.ndarray
    model: StackedEncoder
    mine: StackedMINE | None
    history: dict[str, np.ndarray] = field(repr=False)


def _check_members(methods, betas):
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise ValueError(f"unknown method(s) {bad}; choose from {METHODS}.")
    if len(methods) != len(betas):
        raise ValueError(f"methods and betas need the same length; got {len(methods)} and {len(betas)}.")
    if any(b < 0 for b in betas):
        raise ValueError("beta must be >= 0 (a bottleneck minimises I(X;Z)).")


def train_ib(x_train, y_train, methods: Sequence[str], betas: Sequence[float], *, seed: int = 0,
             dim_z: int = 32, hidden: Sequence[int] = (128, 128), steps: int = 2000,
             batch_size: int = 128, lr: float = 1e-3, sigma_shift: float = 0.0,
             critic_hidden: Sequence[int] = (128, 128), critic_lr: float = 2e-3, critic_steps: int = 3,
             critic_input: str = "mu", critic_kind: str = "concat", critic_activation: str = "elu",
             critic_standardize: bool = True, ema_rate: float = 0.01, device="auto",
             progress: bool = False, threads: int | None = None) -> IBEnsemble:
    """Train K bottleneck models at once, member k with ``methods[k]`` and ``betas[k]``.

    ``x_train (n, dx)`` float pixels, ``y_train (n,)`` int labels. Each step draws an
    independent minibatch of ``batch_size`` rows per member. Encoder ``dx -> hidden ->
    (mu, sigma)`` with ``sigma = softplus(pre - sigma_shift)``, linear softmax classifier on
    ``z = mu + sigma * eps``; one Adam (``lr``) for all encoders. Losses (per member, summed):

    * baseline: ``CE(y, q(y | mu(x)))``;
    * vib: ``CE(y, q(y | z)) + beta * KL(p(z|x) || N(0, I))``;
    * mine: ``CE(y, q(y | z)) + beta * mine(x, z)`` through :func:`mine_penalty`; the critics
      (``critic_kind``/``critic_hidden``/``critic_activation``) ascend the EMA-corrected bound
      (``ema_rate``) with their own Adam (``critic_lr``), taking ``critic_steps`` steps per
      encoder step (``critic_steps - 1`` extra steps on fresh batches, encoder frozen).

    What the statistics network reads: ``critic_input="x"`` gives ``T(x, z)`` on pixels;
    ``"mu"`` (default) gives ``T(x, z) = T'(mu(x), z)``, reading the image through the
    encoder's current mean with the gradient stopped: still a function of ``(x, z)``, so
    still a lower bound on ``I(X;Z)``, but one the critic can track while the encoder moves.
    ``critic_standardize`` standardizes both critic inputs with batch statistics. ``threads``:
    torch intra-op threads (``None``: by the size of the job, :mod:`minebook.threads`).

    Introduced in chapter 10.
    """
    _check_members(methods, betas)
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.as_tensor(np.asarray(x_train), dtype=torch.float32, device=dev)
    y = torch.as_tensor(np.asarray(y_train), dtype=torch.long, device=dev)
    k, n, n_classes = len(methods), len(x), int(y.max()) + 1
    methods = list(methods)
    beta = torch.as_tensor(np.asarray(betas, dtype=np.float32), device=dev).view(k, 1, 1)
    model = StackedEncoder(x.shape[1], hidden, dim_z, n_classes, [m != "baseline" for m in methods], gen,
                           sigma_shift).to(dev)
    opt = adam(model.parameters(), lr)
    mine_idx = torch.as_tensor([i for i, m in enumerate(methods) if m == "mine"], dtype=torch.long, device=dev)
    vib_mask = torch.as_tensor([m == "vib" for m in methods], device=dev)
    mine, critic_opt = None, None
    if len(mine_idx):
        critic = make_critic(critic_kind, x.shape[1] if critic_input == "x" else dim_z, dim_z, critic_hidden,
                             len(mine_idx), critic_activation, gen).to(dev)
        mine = StackedMINE(critic, "mine", ema_rate, generator=gen)
        critic_opt = adam(mine.parameters(), critic_lr)
    hist = {key: np.full((steps, k), np.nan) for key in ("ce", "kl", "mine")}
    idx_mine = lambda: torch.randint(n, (len(mine_idx), batch_size), generator=gen).to(dev)
    modules = [model] if mine is None else [model, mine]
    n_threads = threads_for_modules(modules, rows=critic_steps * batch_size, threads=threads)
    with using_threads(n_threads):
        for step in tqdm(range(steps), disable=not progress, desc=f"bottleneck x{k}", mininterval=1.0):
            idx = torch.randint(n, (k, batch_size), generator=gen).to(dev)
            xb, yb = x[idx], y[idx]
            mu, sigma = model.encode(xb)
            z = sample_codes(mu, sigma, gen)
            logits = model.classify(z)
            ce = F.cross_entropy(logits.reshape(-1, n_classes), yb.reshape(-1), reduction="none").view(k, -1).mean(1)
            kl = gaussian_kl_to_standard(mu, sigma.clamp_min(1e-12)).mean(1)
            loss = ce.sum() + (beta.view(k) * kl * vib_mask).sum()
            if mine is not None:
                for _ in range(critic_steps - 1):
                    _critic_only_step(model, mine, critic_opt, x, idx_mine(), mine_idx, critic_input,
                                      critic_standardize, gen)
                feats, zm = _critic_inputs(xb[mine_idx], mu[mine_idx], z[mine_idx], critic_input, critic_standardize)
                term, mi = mine_penalty(mine, feats, zm, beta.view(k)[mine_idx])
                loss = loss + term.sum()
                hist["mine"][step, mine_idx.cpu().numpy()] = mi.detach().cpu().numpy()
                critic_opt.zero_grad(set_to_none=True)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if critic_opt is not None:
                critic_opt.step()
            hist["ce"][step] = ce.detach().cpu().numpy()
            hist["kl"][step] = kl.detach().cpu().numpy()
    return IBEnsemble(methods, np.asarray(betas, dtype=float), model.eval(), mine, hist)


def _critic_inputs(xb, mu, z, critic_input, standardize):
    """What the statistics network sees: (x or the encoder's detached mean, z), standardized."""
    feats = xb if critic_input == "x" else mu.detach()
    if standardize:
        feats, z = batch_standardize(feats), batch_standardize(z)
    return feats, z


def _critic_only_step(model, mine, critic_opt, x, idx, rows, critic_input, standardize, gen):
    """One extra ascent step of the critics of the members ``rows`` (encoder frozen)."""
    with torch.no_grad():
        xb = x[idx]
        mu, sigma = model.encode_members(xb, rows)
        z = sample_codes(mu, sigma, gen)
    feats, zs = _critic_inputs(xb, mu, z, critic_input, standardize)
    critic_opt.zero_grad(set_to_none=True)
    (-mine(feats, zs).sum()).backward()
    critic_opt.step()


@torch.no_grad()
def mc_predictions(model: StackedEncoder, x, mc_samples: int = 12, seed: int = 0) -> np.ndarray:
    """Predicted labels of every member, softmax averaged over ``mc_samples`` draws of z.

    ``x (n, dx)`` -> ``(K, n)`` int64. Deterministic members give the same prediction for
    every draw. As in Alemi et al. (12 posterior samples). Chapter 10.
    """
    dev = model.head.weights[0].device
    gen = torch.Generator().manual_seed(int(seed))
    k = model.stochastic.shape[0]
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=dev).expand(k, -1, -1)
    mu, sigma = model.encode(xt)
    probs = sum(F.softmax(model.classify(sample_codes(mu, sigma, gen)), dim=-1) for _ in range(mc_samples))
    return probs.argmax(-1).cpu().numpy()


def mc_wrong(model: StackedEncoder, x, y, mc_samples: int = 12, seed: int = 0) -> np.ndarray:
    """Which inputs each member misclassifies (:func:`mc_predictions`): ``(K, n)`` bool. Chapter 10."""
    return mc_predictions(model, x, mc_samples, seed) != np.asarray(y).reshape(1, -1)


def mc_test_error(model: StackedEncoder, x, y, mc_samples: int = 12, seed: int = 0) -> np.ndarray:
    """Test error (%) of every member (:func:`mc_wrong`): ``x (n, dx)``, ``y (n,)`` -> ``(K,)``. Chapter 10."""
    return 100.0 * mc_wrong(model, x, y, mc_samples, seed).mean(1)


@torch.no_grad()
def encoder_mi(mu: torch.Tensor, sigma: torch.Tensor, n_samples: int = 4, seed: int = 0) -> np.ndarray:
    """``I(X;Z)`` in nats for X uniform over N given inputs and a Gaussian encoder (chapter 10).

    ``mu, sigma (K, N, dz)``: the encoder's outputs on the N inputs. Then ``p(z)`` is the
    mixture ``(1/N) sum_j N(z; mu_j, sigma_j^2)`` and ``I(X;Z) = E[log p(z|x_i) - log p(z)]``
    is computed by Monte Carlo (``n_samples`` draws of z per input, float64). This is the
    *known-encoder* value that MINE's estimate can be checked against; it is at most
    ``log N`` (reached when the codes of different inputs do not overlap). Returns ``(K,)``.
    """
    gen = torch.Generator().manual_seed(int(seed))
    mu, sigma = mu.double(), sigma.double().clamp_min(1e-6)
    k, n, dz = mu.shape
    eps = torch.randn((n_samples, k, n, dz), generator=gen, dtype=torch.float64)
    chunk = max(1, int(2**25 // (n * n)))                     # members per pass: (chunk, N, N) <= 256 MiB
    return np.concatenate([_mixture_mi(mu[i:i + chunk], sigma[i:i + chunk], eps[:, i:i + chunk])
                           for i in range(0, k, chunk)])


def _mixture_mi(mu: torch.Tensor, sigma: torch.Tensor, eps: torch.Tensor) -> np.ndarray:
    """:func:`encoder_mi` for a chunk of members, with its noise ``eps (n_samples, K, N, dz)``."""
    k, n, dz = mu.shape
    n_samples = eps.shape[0]
    inv_var = sigma.pow(-2)                                   # (K, N, dz)
    log_norm = -torch.log(sigma).sum(-1) - 0.5 * dz * math.log(2 * math.pi)  # (K, N)
    c = (mu.pow(2) * inv_var).sum(-1)                         # (K, N)
    out = torch.zeros(k, dtype=torch.float64)
    for draw in range(n_samples):
        z = mu + sigma * eps[draw]
        # log N(z_i; mu_j, sigma_j) for all i, j: (K, N, N), by matmuls
        quad = z.pow(2) @ inv_var.transpose(1, 2) - 2 * z @ (mu * inv_var).transpose(1, 2) + c.unsqueeze(1)
        log_p = log_norm.unsqueeze(1) - 0.5 * quad
        cond = torch.diagonal(log_p, dim1=1, dim2=2)
        marg = torch.logsumexp(log_p, dim=2) - math.log(n)
        out += (cond - marg).mean(1).cpu()
    return (out / n_samples).numpy()


@dataclass
class SweepResult:
    """A beta sweep (chapter 10): arrays indexed ``[beta, seed]`` per method.

    ``errors[m]``/``val_errors[m]``: test/validation error (%) of method m, shape
    ``(n_beta, n_seeds)`` (baseline: ``(1, n_seeds)``); ``rate[m]``: VIB's KL upper bound
    on the test inputs (nats); ``wrong[m]``: which test inputs each member misclassifies,
    ``(n_beta, n_seeds, n_test)`` bool (for :func:`minebook.experiments.compare.paired_comparison`);
    ``mi_known[m]``: :func:`encoder_mi` on the first ``mi_inputs`` test inputs
    (nats, at most ``log n_test``); ``mine_train[m]``: the training critic's MINE value,
    averaged over the last 10% of steps (nats; ``"mine"`` only); ``codes[m]``: the
    encoder's ``(mu, sigma)`` on the test inputs, ``(n_beta, n_seeds, n_test, dz)``
    tensors; ``ensemble``: the trained :class:`IBEnsemble`.
    """

    betas: np.ndarray
    n_seeds: int
    errors: dict[str, np.ndarray]
    val_errors: dict[str, np.ndarray]
    rate: dict[str, np.ndarray]
    mi_known: dict[str, np.ndarray]
    mine_train: dict[str, np.ndarray]
    wrong: dict[str, np.ndarray] = field(repr=False)
    codes: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(repr=False)
    ensemble: IBEnsemble = field(repr=False)

    def best(self, method: str) -> int:
        """Index of the beta with the lowest mean *validation* error for ``method``."""
        return int(np.argmin(self.val_errors[method].mean(axis=1)))


def beta_sweep(split, betas: Sequence[float], n_seeds: int = 3, methods: Sequence[str] = METHODS, *,
               validation=None, seed: int = 0, mc_samples: int = 12, mi_samples: int = 4,
               mi_inputs: int = 1000, **train_kwargs) -> SweepResult:
    """Train every method at every beta with ``n_seeds`` seeds as ONE ensemble; evaluate.

    ``split``: a :class:`minebook.datasets.Split` (trains on ``x_train``, tests on
    ``x_test``); ``validation``: ``(x_val, y_val)`` used to pick the best beta (the test
    split when None). The baseline has no beta and trains ``n_seeds`` members; ``"vib"``
    and ``"mine"`` train ``len(betas) * n_seeds`` each. ``train_kwargs`` go to
    :func:`train_ib`. ``mi_inputs``: the known-encoder ``I(X;Z)`` (:func:`encoder_mi`, cost
    ``N^2``) uses the first ``mi_inputs`` test inputs only. Introduced in chapter 10.
    """
    betas = np.asarray(betas, dtype=float)
    members = []
    for m in methods:
        grid = [0.0] if m == "baseline" else list(betas)
        members += [(m, b) for b in grid for _ in range(n_seeds)]
    ens = train_ib(split.x_train, split.y_train, [m for m, _ in members], [b for _, b in members],
                   seed=seed, **train_kwargs)
    x_val, y_val = validation if validation is not None else (split.x_test, split.y_test)
    wrong = mc_wrong(ens.model, split.x_test, split.y_test, mc_samples, seed)
    err = 100.0 * wrong.mean(1)
    val = mc_test_error(ens.model, x_val, y_val, mc_samples, seed)
    with torch.no_grad():
        xt = torch.as_tensor(split.x_test, dtype=torch.float32, device=ens.model.head.weights[0].device)
        mu, sigma = ens.model.encode(xt.expand(len(members), -1, -1))
        rate = gaussian_kl_to_standard(mu, sigma.clamp_min(1e-12)).mean(1).cpu().numpy()
    stoch = np.array([m != "baseline" for m, _ in members])
    mi = np.full(len(members), np.nan)
    if stoch.any():
        m_in = slice(0, int(mi_inputs))
        mi[stoch] = encoder_mi(mu[stoch][:, m_in], sigma[stoch][:, m_in], mi_samples, seed)
    tail = max(1, len(ens.history["mine"]) // 10)
    recent = ens.history["mine"][-tail:]
    online = np.full(len(members), np.nan)
    seen = ~np.isnan(recent).all(axis=0)
    online[seen] = recent[:, seen].mean(axis=0)
    out = {key: {} for key in ("errors", "val", "rate", "mi", "online", "wrong", "codes")}
    for m in methods:
        rows = np.array([i for i, (mm, _) in enumerate(members) if mm == m])
        for key, arr in (("errors", err), ("val", val), ("rate", rate), ("mi", mi), ("online", online)):
            out[key][m] = arr[rows].reshape(-1, n_seeds)
        out["wrong"][m] = wrong[rows].reshape(-1, n_seeds, wrong.shape[1])
        out["codes"][m] = tuple(t[rows].reshape(-1, n_seeds, *t.shape[1:]).cpu() for t in (mu, sigma))
    return SweepResult(betas, n_seeds, out["errors"], out["val"], out["rate"], out["mi"], out["online"],
                       out["wrong"], out["codes"], ens)


def code_mi_mine(codes: tuple[torch.Tensor, torch.Tensor], n_draws: int = 4, seed: int = 0,
                 return_ess: bool = False, **kwargs):
    """A fresh, held-out MINE estimate of ``I(X;Z)`` for every trained encoder (chapter 10).

    ``codes``: ``(mu, sigma)`` on N inputs, each ``(..., N, dz)`` (leading dims flattened
    into K members). Because ``Z`` depends on ``X`` only through ``s(x) = (mu(x),
    log sigma(x))``, ``I(X;Z) = I(s(X); Z)``: the statistics networks read ``s`` (a
    ``2 dz``-vector) instead of pixels. Pairs ``(s(x_i), z)`` with ``n_draws`` codes per
    input go to :func:`minebook.estimate_mi_many` (``kwargs`` too); returns the estimates
    in nats, shaped like the leading dims, or ``(estimates, ess)`` with ``return_ess=True``:
    the effective number of held-out marginal pairs behind each (:attr:`MIEstimate.ess`).
    """

    mu, sigma = codes
    lead = mu.shape[:-2]
    mu, sigma = mu.reshape(-1, *mu.shape[-2:]).double(), sigma.reshape(-1, *mu.shape[-2:]).double()
    gen = torch.Generator().manual_seed(int(seed))
    s = torch.cat([mu, torch.log(sigma.clamp_min(1e-6))], dim=-1).repeat(1, n_draws, 1)
    z = mu.repeat(1, n_draws, 1) + sigma.repeat(1, n_draws, 1) * torch.randn(
        mu.shape[0], mu.shape[1] * n_draws, mu.shape[2], generator=gen, dtype=torch.float64)
    pairs = [(s[k].float().numpy(), z[k].float().numpy()) for k in range(len(mu))]
    est = estimate_mi_many(pairs, seed=seed, **kwargs)
    mi = np.array([r.mi for r in est]).reshape(lead)
    return (mi, np.array([r.ess for r in est]).reshape(lead)) if return_ess else mi
