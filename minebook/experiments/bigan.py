"""Bidirectional GANs (BiGAN / ALI) with a MINE term on the encoder (chapter 9).

A BiGAN (Donahue et al. 2017; Dumoulin et al. 2017) learns a generator ``G: z -> x`` and an
encoder ``E: x -> z`` together: the discriminator ``D(x, z)`` tells data pairs ``(x, E(x))``
from generated pairs ``(G(z), z)``. At the optimum ``E`` inverts ``G``, so ``G(E(x))``
reconstructs ``x``; in practice the reconstructions are poor. Belghazi et al. (2018, section
5.2) add ``- beta * I(x; E(x))``, estimated with MINE, to the encoder loss, so that the code
keeps the information needed to rebuild ``x``. The MI gradient is clipped as in chapter 8
(:func:`minebook.experiments.gan.adaptive_clip`).

Everything trains as a stacked ensemble of ``K = n_variants * n_seeds`` BiGANs laid out as in
:mod:`minebook.experiments.gan`: member ``k = v * n_seeds + s`` has ``betas[v]`` and seed ``s``, and the
members of one seed share their initial weights and their data and noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..critics import ConcatCritic, StackedMLP
from ..module import StackedMINE
from ..threads import threads_for_modules, using_threads
from ..utils import adam
from .adversarial import assign_grid, mine_regularized_step, tie_members, tile_members

__all__ = ["BiGANRun", "train_bigan", "reconstruction_error", "same_mode_fraction", "image_distance",
           "ms_ssim", "MS_SSIM_BETAS", "MS_SSIM_SIGMA"]


def reconstruction_error(x, x_rec) -> np.ndarray:
    """Squared Euclidean reconstruction error ``|x - G(E(x))|^2`` per sample.

    ``x``, ``x_rec``: ``(..., N, dx)`` -> ``(..., N)`` (units of ``x`` squared). Introduced in
    chapter 9.
    """
    return np.sum((np.asarray(x) - np.asarray(x_rec)) ** 2, axis=-1)


def same_mode_fraction(x_labels, x_rec, std: float = 0.05) -> np.ndarray:
    """Fraction of reconstructions whose nearest grid centre is the mode of ``x`` (25 Gaussians).

    ``x_labels (N,)``: the mode of each data point; ``x_rec (..., N, 2)``: reconstructions.
    A reconstruction "lands in the mode of ``x``" when its nearest centre is ``x``'s (the
    Voronoi cell of the mode, no distance cut). Returns ``(...)`` in ``[0, 1]``. Chapter 9.
    """
    rec_labels = assign_grid(x_rec, std, n_std=np.inf)
    return np.mean(rec_labels == np.asarray(x_labels), axis=-1)


def image_distance(x, x_rec, pixel_range: float = 2.0) -> np.ndarray:
    """Euclidean distance ``|x - x_rec|`` per image, in units of the pixel range.

    ``x``, ``x_rec``: ``(..., N, P)`` flat images whose pixels span ``pixel_range`` (2 for
    ``[-1, 1]``); the distance is divided by it, so the result is the distance of the same
    images with pixels in ``[0, 1]``: ``(..., N)``. Introduced in chapter 9.
    """
    return np.sqrt(reconstruction_error(x, x_rec)) / pixel_range


#: Weights of the MS-SSIM scales used here: the first three of Wang et al.'s five
#: (0.0448, 0.2856, 0.3001, 0.2363, 0.1333). Five scales need images of about 161 pixels or more;
#: a 28x28 digit has three (28, 14 and 7 pixels). Chapter 9.
MS_SSIM_BETAS = (0.0448, 0.2856, 0.3001)
#: Gaussian window of the MS-SSIM here: sigma 0.8 (a 7-pixel window, which fits the coarsest
#: 7x7 scale) instead of the usual 1.5 (11 pixels). Chapter 9.
MS_SSIM_SIGMA = 0.8


def ms_ssim(x, x_rec, side: int = 28, chunk: int = 2000) -> np.ndarray:
    """Multi-scale structural similarity of each image with its reconstruction, ``(..., N)``.

    ``x``, ``x_rec``: ``(..., N, side**2)`` flat grey images in ``[-1, 1]``, broadcast against
    each other (``x (N, P)`` against ``x_rec (K, N, P)``; mapped to
    ``[0, 1]``, ``data_range = 1``). torchmetrics' MS-SSIM with a Gaussian window of
    :data:`MS_SSIM_SIGMA` over the three scales of :data:`MS_SSIM_BETAS`; 1 means identical
    images.
    Introduced in chapter 9.
    """
    from torchmetrics.functional.image import multiscale_structural_similarity_index_measure as msssim

    a, b = np.asarray(x, dtype=np.float32), np.asarray(x_rec, dtype=np.float32)
    if a.shape[-1] != side * side or b.shape[-1] != side * side:
        raise ValueError(f"x and x_rec must both be (..., N, {side * side}) images of {side}x{side} "
                         f"pixels; got {a.shape} and {b.shape}.")
    try:
        a, b = np.broadcast_arrays(a, b)  # x (N, P) against every member's x_rec (K, N, P)
    except ValueError as err:
        raise ValueError(f"x {a.shape} and x_rec {b.shape} do not broadcast: give one x_rec per x.") from err
    flat_a = torch.from_numpy((a.reshape(-1, 1, side, side) + 1.0) / 2.0)
    flat_b = torch.from_numpy((b.reshape(-1, 1, side, side) + 1.0) / 2.0).clamp(0.0, 1.0)
    out = [msssim(flat_b[i: i + chunk], flat_a[i: i + chunk], data_range=1.0, betas=MS_SSIM_BETAS,
                  sigma=MS_SSIM_SIGMA, kernel_size=7, reduction="none", normalize="relu")
           for i in range(0, len(flat_a), chunk)]
    return torch.cat(out).reshape(a.shape[:-1]).numpy()


@dataclass
class BiGANRun:
    """A trained ensemble of BiGANs and its training log (chapter 9).

    ``encoder``, ``generator``: :class:`~minebook.StackedMLP` of ``K`` members;
    ``betas (K,)``; ``clip (K,)``: whether the member's MI gradient is clipped;
    ``mi (steps, K)``: MINE's training estimate of ``I(x; E(x))`` in nats
    (the statistics network also trains for ``beta = 0``, where it only watches);
    ``log_steps (S,)`` and ``log_error (S, K)``: mean reconstruction error of a fixed
    evaluation batch during training; ``norm_u``/``norm_m (steps, K)``: encoder gradient norms
    of the adversarial and (unclipped) MI terms.
    """

    encoder: StackedMLP
    generator: StackedMLP
    discriminator: StackedMLP
    mine: StackedMINE
    betas: np.ndarray
    n_seeds: int
    latent_dim: int
    clip: np.ndarray | None = None
    mi: np.ndarray | None = None
    norm_u: np.ndarray | None = None
    norm_m: np.ndarray | None = None
    log_steps: np.ndarray | None = None
    log_error: np.ndarray | None = None
    output: str = "linear"

    @property
    def n_members(self) -> int:
        return len(self.betas)

    def _stack(self, x) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        return x.expand(self.n_members, *x.shape) if x.dim() == 2 else x

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """``G(z)``: ``(K, n, latent_dim) -> (K, n, dx)``, through ``tanh`` when ``output="tanh"``."""
        out = self.generator(z)
        return torch.tanh(out) if self.output == "tanh" else out

    @torch.no_grad()
    def encode(self, x) -> np.ndarray:
        """``E(x)``: ``x (N, dx)`` (the same for every member) or ``(K, N, dx)`` -> ``(K, N, dz)``."""
        return self.encoder(self._stack(x)).numpy()

    @torch.no_grad()
    def reconstruct(self, x) -> np.ndarray:
        """``G(E(x))``: ``(N, dx)`` or ``(K, N, dx)`` -> ``(K, N, dx)``."""
        return self.generate(self.encoder(self._stack(x))).numpy()

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``G(z)`` for ``z ~ N(0, I)``, the same ``z`` for every member: ``(K, n, dx)``."""
        z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed))
        return self.generate(z.expand(self.n_members, n, self.latent_dim)).numpy()


def train_bigan(sample_data: Callable[[int, torch.Generator], torch.Tensor], dim_x: int, *,
                betas: Sequence[float] = (0.0, 1.0), n_seeds: int = 3, seed: int = 0,
                steps: int = 3000, batch_size: int = 128, latent_dim: int = 2,
                hidden: Sequence[int] = (128, 128), critic_hidden: Sequence[int] = (64, 64),
                lr: float = 1e-3, lr_final: float = 1.0, critic_lr: float = 1e-3,
                ema_rate: float = 0.01, clip: bool | Sequence[bool] = True, eval_x=None, log_every: int = 100,
                activation: str = "relu", output: str = "linear", standardize: bool = False,
                progress: bool = False, desc: str = "BiGAN", threads: int | None = None) -> BiGANRun:
    """Train ``len(betas) * n_seeds`` BiGANs at once; member ``k = v*n_seeds + s`` has ``betas[v]``.

    ``sample_data(n, generator) -> (n, dim_x)`` draws real data; ``z ~ N(0, I_latent_dim)``.
    Encoder ``E: dim_x -> latent_dim``, generator ``G: latent_dim -> dim_x`` and discriminator
    ``D(x, z)`` on the concatenated pair are MLPs (``hidden``, ``activation`` of
    :class:`~minebook.StackedMLP`); ``output="tanh"`` squashes ``G``'s output into ``[-1, 1]``
    (images). Losses (logits, the
    non-saturating form with the labels swapped for E and G):

        L_D = E[softplus(-D(x, E(x)))] + E[softplus(D(G(z), z))],
        L_G = E[softplus(-D(G(z), z))],
        L_E = E[softplus(D(x, E(x)))] - beta_k * I(x; E(x)),

    the MI estimated by EMA-corrected MINE with a ``critic_hidden`` statistics network
    ``T(x, E(x))`` (``x`` rescaled per batch by :func:`~minebook.module.standardize_batch` if
    ``standardize``). With ``clip`` the MI gradient of the encoder is rescaled per member by
    :func:`~minebook.experiments.gan.adaptive_clip` against the encoder's adversarial gradient; ``clip``
    may also be one flag per variant (e.g. ``betas=(0, 1, 1), clip=(True, True, False)``). Adam
    (``lr`` decaying linearly to ``lr * lr_final``, betas (0.5, 0.999)) for E, G, D; Adam
    (``critic_lr``) for the statistics network. Every ``log_every`` steps the mean
    reconstruction error on ``eval_x (N, dim_x)`` is logged. ``threads``: torch intra-op threads
    (``None``: by the size of the job, :mod:`minebook.threads`). Returns a :class:`BiGANRun`.
    Introduced in chapter 9.
    """
    betas_v = np.asarray(betas, dtype=float)
    n_variants = len(betas_v)
    k = n_variants * n_seeds
    gen = torch.Generator().manual_seed(seed)
    E = tie_members(n_seeds, n_variants, dim_x, hidden, latent_dim, gen, activation)
    G = tie_members(n_seeds, n_variants, latent_dim, hidden, dim_x, gen, activation)
    D = tie_members(n_seeds, n_variants, dim_x + latent_dim, hidden, 1, gen, activation)
    critic = ConcatCritic(dim_x, latent_dim, critic_hidden, n_critics=k, generator=gen)
    mine = StackedMINE(critic, "mine", ema_rate, generator=gen, standardize=standardize)
    member_beta = torch.as_tensor(np.repeat(betas_v, n_seeds), dtype=torch.float32)
    clip_v = np.broadcast_to(np.asarray(clip, dtype=bool), (n_variants,))
    member_clip = torch.as_tensor(np.repeat(clip_v, n_seeds))
    run = BiGANRun(E, G, D, mine, np.repeat(betas_v, n_seeds), n_seeds, latent_dim,
                   clip=np.repeat(clip_v, n_seeds), output=output)
    e_params, c_params = list(E.parameters()), list(critic.parameters())
    opt_eg = adam(e_params + list(G.parameters()), lr, betas=(0.5, 0.999))
    opt_d = adam(D.parameters(), lr, betas=(0.5, 0.999))
    opt_c = adam(c_params, critic_lr)
    schedules = [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1.0 + (lr_final - 1.0) * i / max(steps - 1, 1))
                 for o in (opt_eg, opt_d)]
    mi_log, nu_log, nm_log = (np.zeros((steps, k)) for _ in range(3))
    log_steps, log_error = [], []

    def log(step):
        if eval_x is not None and (step % log_every == 0 or step == steps):
            log_steps.append(step)
            log_error.append(reconstruction_error(eval_x, run.reconstruct(eval_x)).mean(axis=-1))

    log(0)
    iterator = range(steps)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=desc, mininterval=2.0)
    n_threads = threads_for_modules([E, G, D, critic], rows=3 * batch_size, threads=threads)
    with using_threads(n_threads):
        for step in iterator:
            x = tile_members(sample_data(n_seeds * batch_size, gen).reshape(n_seeds, batch_size, dim_x), n_variants)
            z = tile_members(torch.randn(n_seeds, batch_size, latent_dim, generator=gen), n_variants)
            ex, gz = E(x), run.generate(z)
            # discriminator step
            d_loss = (F.softplus(-D(torch.cat([x, ex.detach()], -1))).mean()
                      + F.softplus(D(torch.cat([gz.detach(), z], -1))).mean())
            opt_d.zero_grad(set_to_none=True)
            (d_loss * k).backward()
            opt_d.step()
            # encoder + generator + statistics-network step
            adv_e = F.softplus(D(torch.cat([x, ex], -1))).squeeze(-1).mean(dim=1)     # (K,)
            adv_g = F.softplus(-D(torch.cat([gz, z], -1))).squeeze(-1).mean(dim=1)    # (K,)
            mi = mine(x, ex)                                                            # (K,)
            opt_eg.zero_grad(set_to_none=True)
            adv_g.sum().backward(inputs=list(G.parameters()))
            norm_u, norm_m = mine_regularized_step(adv_e, mi, e_params, c_params, member_beta, member_clip,
                                                   (opt_eg, opt_c), schedules)
            nu_log[step], nm_log[step] = norm_u.numpy(), norm_m.numpy()
            mi_log[step] = mi.detach().numpy()
            log(step + 1)
    run.mi, run.norm_u, run.norm_m = mi_log, nu_log, nm_log
    run.log_steps, run.log_error = np.array(log_steps), np.array(log_error)
    return run
