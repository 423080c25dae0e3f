"""GANs with and without a MINE regularizer, trained as stacked ensembles (chapters 8 and 9).

The generator sees ``[eps, c]``: Gaussian noise ``eps`` and a one-hot code ``c``. GAN+MINE adds
``- beta * I(G([eps, c]); c)`` to the generator loss, with the MI estimated by MINE's
EMA-corrected Donsker-Varadhan bound (Belghazi et al. 2018, section 5.1). The MI gradient is
rescaled with the paper's *adaptive gradient clipping*

    g_m <- min(|g_u|, |g_m|) g_m / |g_m|,

so that it is never larger than the adversarial gradient ``g_u`` of the same step.

Everything trains as an ensemble of ``K = n_variants * n_seeds`` independent GANs with stacked
weights (:class:`~minebook.StackedMLP`): member ``k = v * n_seeds + s`` is variant ``v`` (its
``beta``) with seed ``s``. Members with the same seed share their initial weights and their data,
noise and codes, so vanilla GAN and GAN+MINE differ only by ``beta``.

Also here: the spiral data set and the evaluation of chapter 8. The machinery chapter 9 shares
(stacked members, clipping, the MINE-regularised step, the 25 Gaussians, mode metrics) lives in
:mod:`minebook.experiments.adversarial`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..critics import ConcatCritic, StackedMLP
from ..module import StackedMINE
from ..threads import threads_for_modules, using_threads
from ..utils import adam
from .adversarial import (
    assign_grid,
    grid_centres,
    mine_regularized_step,
    mode_metrics,
    one_hot_codes,
    sample_grid,
    tie_members,
    tile_members,
)

# Re-exported for chapter 8's page: the 25 Gaussians and the mode metrics live in
# :mod:`minebook.experiments.adversarial`, shared with chapter 9.
__all__ = [
    "grid_centres", "sample_grid", "assign_grid", "sample_spiral", "spiral_curve", "assign_spiral",
    "mode_metrics", "GANRun", "train_gan", "evaluate_snapshots", "mean_spread", "metrics_table",
    "plot_samples",
]


# --------------------------------------------------------------------------- data
def spiral_curve(t: torch.Tensor, scale: float = 1.0 / 3.0) -> torch.Tensor:
    """The 2-D swiss roll ``scale * t (cos t, sin t)``: ``t (...)`` -> ``(..., 2)`` (chapter 8)."""
    return scale * torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=-1)


#: Range of the spiral parameter (scikit-learn's ``make_swiss_roll``: 1.5 pi to 4.5 pi).
SPIRAL_T = (1.5 * math.pi, 4.5 * math.pi)


def sample_spiral(n: int, noise: float = 0.05, generator: torch.Generator | None = None,
                  n_segments: int = 20) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of the 2-D spiral (swiss roll) with isotropic Gaussian ``noise``.

    ``t`` is uniform on :data:`SPIRAL_T`; returns ``x (n, 2)`` and the segment of ``t``
    each sample comes from, ``labels (n,)`` in ``0..n_segments-1`` (equal-mass segments, the
    spiral's "modes" for the metrics). Introduced in chapter 8.
    """
    u = torch.rand(n, generator=generator)
    t = SPIRAL_T[0] + (SPIRAL_T[1] - SPIRAL_T[0]) * u
    x = spiral_curve(t) + noise * torch.randn(n, 2, generator=generator)
    labels = torch.clamp((u * n_segments).long(), max=n_segments - 1)
    return x, labels


def assign_spiral(samples, noise: float = 0.05, n_segments: int = 20, n_std: float = 3.0,
                  resolution: int = 4000) -> np.ndarray:
    """Segment of the spiral nearest to each sample, or ``-1`` if farther than ``n_std * noise``.

    ``samples (..., N, 2)`` -> integer labels ``(..., N)``; segments as in
    :func:`sample_spiral`. Introduced in chapter 8.
    """
    s = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
    u = (torch.arange(resolution, dtype=torch.float32) + 0.5) / resolution
    curve = spiral_curve(SPIRAL_T[0] + (SPIRAL_T[1] - SPIRAL_T[0]) * u)
    dist, idx = torch.cdist(s.reshape(-1, 2), curve).min(dim=1)
    seg = torch.clamp((u[idx] * n_segments).long(), max=n_segments - 1)
    seg[dist > n_std * noise] = -1
    return seg.reshape(s.shape[:-1]).numpy()


@dataclass
class GANRun:
    """A trained ensemble of GANs (``K = len(betas)`` members) and what was logged.

    ``betas (K,)``: MI weight of each member; ``snapshots``: training step -> generated samples
    ``(K, n, dx)`` (numpy, the same noise at every step); ``mi (steps, K)``: MINE's training
    estimate of ``I(G([eps, c]); c)`` in nats (also for ``beta = 0``, where it only monitors);
    ``norm_u``/``norm_m (steps, K)``: adversarial and (unclipped) MI gradient norms.
    Introduced in chapter 8.
    """

    generator: StackedMLP
    discriminator: StackedMLP
    mine: StackedMINE
    betas: np.ndarray
    n_seeds: int
    noise_dim: int
    n_codes: int
    output: str = "linear"
    snapshots: dict = field(default_factory=dict)
    mi: np.ndarray | None = None
    norm_u: np.ndarray | None = None
    norm_m: np.ndarray | None = None

    @property
    def n_members(self) -> int:
        return len(self.betas)

    def generator_input(self, n: int, generator: torch.Generator | None = None):
        """Noise and codes ``(K, n, noise_dim)``, ``(K, n, n_codes)``, shared across variants."""
        n_variants = self.n_members // self.n_seeds
        eps = torch.randn(self.n_seeds, n, self.noise_dim, generator=generator)
        c = one_hot_codes((self.n_seeds, n), self.n_codes, generator)
        return tile_members(eps, n_variants), tile_members(c, n_variants)

    def generate(self, eps: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``G([eps, c])``: ``(K, n, noise_dim)``, ``(K, n, n_codes)`` -> ``(K, n, dx)``."""
        out = self.generator(torch.cat([eps, c], dim=-1))
        return torch.tanh(out) if self.output == "tanh" else out

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` samples from every member: ``(K, n, dx)`` numpy (seeded, reproducible)."""
        eps, c = self.generator_input(n, torch.Generator().manual_seed(seed))
        return self.generate(eps, c).numpy()


def train_gan(sample_data: Callable[[int, torch.Generator], torch.Tensor], dim_x: int, *,
              betas: Sequence[float] = (0.0, 1.0), n_seeds: int = 3, seed: int = 0,
              steps: int = 3000, batch_size: int = 256, noise_dim: int = 2, n_codes: int = 10,
              hidden: Sequence[int] = (128, 128), d_hidden: Sequence[int] | None = None,
              critic_hidden: Sequence[int] = (128, 128), lr: float = 1e-3, critic_lr: float = 1e-3,
              ema_rate: float = 0.01, clip: bool = True, output: str = "linear", lr_final: float = 1.0,
              standardize: bool = True, activation: str = "relu",
              snapshot_steps: Sequence[int] = (), n_snapshot: int = 1000,
              progress: bool = False, desc: str = "GAN", threads: int | None = None) -> GANRun:
    """Train ``len(betas) * n_seeds`` GANs at once; member ``k = v*n_seeds + s`` has ``betas[v]``.

    ``sample_data(n, generator) -> (n, dim_x)`` draws real data. The generator
    ``G([eps, c])`` (``eps ~ N(0, I_noise_dim)``, ``c`` one-hot of ``n_codes`` categories) and
    the discriminator are MLPs (``hidden``; ``d_hidden`` defaults to ``hidden``; ``activation``
    of :class:`~minebook.StackedMLP`, ReLU by default); the
    non-saturating GAN loss is used. The generator loss of member ``k`` is

        L_G = E[softplus(-D(G([eps, c])))] - beta_k * I(G([eps, c]); c),

    the MI estimated by a ``critic_hidden`` statistics network (concat critic on ``(G, c)``)
    with EMA-corrected MINE (``ema_rate``; inputs rescaled by :func:`standardize_batch` if
    ``standardize``); with ``clip`` the MI gradient is rescaled by
    :func:`adaptive_clip` per member. Adam (``lr``, betas (0.5, 0.999)) for G and D, Adam
    (``critic_lr``) for the statistics network, which trains for every member (with ``beta = 0``
    it just monitors the MI). One discriminator step per generator step. The learning rate of G
    and D decays linearly from ``lr`` to ``lr * lr_final`` over the ``steps``.

    ``output``: ``"linear"`` or ``"tanh"`` (data in ``[-1, 1]``). ``snapshot_steps``: steps
    (0 = before training) at which ``n_snapshot`` samples are kept, always with the same noise.
    ``threads``: torch intra-op threads (``None``: by the size of the job, :mod:`minebook.threads`).
    Returns a :class:`GANRun`. Introduced in chapter 8.
    """
    betas_v = np.asarray(betas, dtype=float)
    n_variants = len(betas_v)
    k = n_variants * n_seeds
    gen = torch.Generator().manual_seed(seed)
    G = tie_members(n_seeds, n_variants, noise_dim + n_codes, hidden, dim_x, gen, activation)
    D = tie_members(n_seeds, n_variants, dim_x, d_hidden or hidden, 1, gen, activation)
    critic = ConcatCritic(dim_x, n_codes, critic_hidden, n_critics=k, generator=gen)
    mine = StackedMINE(critic, "mine", ema_rate, generator=gen, standardize=standardize)
    member_beta = torch.as_tensor(np.repeat(betas_v, n_seeds), dtype=torch.float32)
    run = GANRun(G, D, mine, np.repeat(betas_v, n_seeds), n_seeds, noise_dim, n_codes, output)
    g_params, c_params = list(G.parameters()), list(critic.parameters())
    opt_g = adam(g_params, lr, betas=(0.5, 0.999))
    opt_d = adam(D.parameters(), lr, betas=(0.5, 0.999))
    opt_c = adam(c_params, critic_lr)
    schedules = [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1.0 + (lr_final - 1.0) * i / max(steps - 1, 1))
                 for o in (opt_g, opt_d)]
    snap_input = run.generator_input(n_snapshot, torch.Generator().manual_seed(seed + 12345))
    mi_log, nu_log, nm_log = (np.zeros((steps, k)) for _ in range(3))

    def snapshot(step):
        if step in snapshot_steps:
            with torch.no_grad():
                run.snapshots[step] = run.generate(*snap_input).numpy()

    snapshot(0)
    iterator = range(steps)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=desc, mininterval=2.0)
    n_threads = threads_for_modules([G, D, critic], rows=3 * batch_size, threads=threads)
    with using_threads(n_threads):
        for step in iterator:
            real = tile_members(sample_data(n_seeds * batch_size, gen).reshape(n_seeds, batch_size, dim_x),
                                n_variants)
            eps, c = run.generator_input(batch_size, gen)
            fake = run.generate(eps, c)
            # discriminator step (non-saturating GAN, logits)
            d_loss = F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()
            opt_d.zero_grad(set_to_none=True)
            (d_loss * k).backward()
            opt_d.step()
            # generator + statistics-network step
            adv = F.softplus(-D(fake)).squeeze(-1).mean(dim=1)  # (K,)
            mi = mine(fake, c)  # (K,)
            norm_u, norm_m = mine_regularized_step(adv, mi, g_params, c_params, member_beta, clip,
                                                   (opt_g, opt_c), schedules)
            nu_log[step], nm_log[step] = norm_u.numpy(), norm_m.numpy()
            mi_log[step] = mi.detach().numpy()
            snapshot(step + 1)
    run.mi, run.norm_u, run.norm_m = mi_log, nu_log, nm_log
    return run


# --------------------------------------------------------------------------- evaluation and plots
def evaluate_snapshots(run: GANRun, assign: Callable[[np.ndarray], np.ndarray], n_modes: int,
                       min_count: int) -> dict:
    """Mode metrics of every member at every snapshot of ``run``.

    ``assign``: samples ``(K, n, dx)`` -> labels ``(K, n)`` (e.g. :func:`assign_grid`).
    Returns ``steps (S,)`` and arrays ``modes``, ``high_quality``, ``kl`` of shape ``(S, K)``
    (see :func:`mode_metrics`). Introduced in chapter 8.
    """
    steps = np.array(sorted(run.snapshots))
    out = {"steps": steps, "modes": [], "high_quality": [], "kl": []}
    for step in steps:
        labels = assign(run.snapshots[step])
        ms = [mode_metrics(labels[k], n_modes, min_count) for k in range(run.n_members)]
        for key in ("modes", "high_quality", "kl"):
            out[key].append([m[key] for m in ms])
    for key in ("modes", "high_quality", "kl"):
        out[key] = np.array(out[key], dtype=float)
    return out


def mean_spread(values, fmt: str = ".1f") -> str:
    """``"mean ± std"`` of a few values (sample std over seeds; 0 for one value). Chapter 8."""
    v = np.asarray(values, dtype=float)
    std = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():{fmt}} ± {std:{fmt}}"


def metrics_table(rows: dict, columns: Sequence[tuple[str, str, float, str]]) -> str:
    """A plain-text table of mean ± spread over seeds.

    ``rows``: model name -> dict of metric arrays over seeds; ``columns``: tuples
    ``(key, header, factor, fmt)`` (``factor`` multiplies the values, e.g. 100 for %).
    Introduced in chapter 8.
    """
    width, first = 18, max(12, *(len(name) + 2 for name in rows))
    lines = ["model".ljust(first) + "".join(h.rjust(width) for _, h, _, _ in columns)]
    for name, metrics in rows.items():
        cells = [mean_spread(np.asarray(metrics[key]) * factor, fmt) for key, _, factor, fmt in columns]
        lines.append(name.ljust(first) + "".join(c.rjust(width) for c in cells))
    return "\n".join(lines)


def plot_samples(ax, samples, reference=None, color="C0", s: float = 2.0, lim: float = 5.5) -> None:
    """Scatter 2-D ``samples (n, 2)`` on ``ax`` over optional ``reference`` points (chapter 8)."""
    samples = np.asarray(samples)
    if reference is not None:
        ref = np.asarray(reference)
        ax.scatter(ref[:, 0], ref[:, 1], s=s, color="0.75", label="data", rasterized=True)
    ax.scatter(samples[:, 0], samples[:, 1], s=s, color=color, alpha=0.5, label="samples", rasterized=True)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
