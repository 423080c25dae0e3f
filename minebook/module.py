"""``MINE``: a differentiable MI lower bound to put inside other models (chapters 8-10).

Sign convention
---------------
``mine(x, z)`` returns an estimate of ``I(X; Z)`` in nats (a lower bound, larger means
more dependence). The critic inside always *maximises* it. What you do with it decides
whether MI goes up or down in your model:

* maximise MI (GAN mode collapse, BiGAN, Deep InfoMax): add ``- beta * mine(x, z)`` to the
  generator/encoder loss, and the critic's own loss is ``- mine(x, z)``;
* minimise MI (information bottleneck): add ``+ beta * mine(x, z)`` to the encoder loss, and
  train the critic with its own optimizer on ``- mine(x.detach(), z.detach())``.

Example (maximising)::

    mine = minebook.MINE(minebook.ConcatCritic(2, 10), ema_rate=0.01)
    critic_opt = torch.optim.Adam(mine.parameters(), lr=1e-4)
    loss = gan_loss - beta * mine(fake, code)      # generator step
    critic_loss = -mine(fake.detach(), code)       # statistics-network step

Example (minimising, information bottleneck)::

    encoder_loss = task_loss + beta * mine(x, z)   # z = encoder(x): pushes I(X; Z) down
    critic_loss = -mine(x.detach(), z.detach())    # the critic still maximises the bound

Both directions are tested in ``tests/test_module.py`` (an encoder ``z = w x + noise``: the
first raises the estimate and the true MI, the second lowers both).
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import ESTIMATORS
from .ema import LogEMA
from .objectives import batch_objective, critic_outputs

__all__ = ["MINE", "StackedMINE"]


class StackedMINE(nn.Module):
    """K MINE estimators at once, for a ``K``-member critic (chapter 8; also chapters 9, 10).

    ``critic``: a :class:`~minebook.ConcatCritic` or :class:`~minebook.SeparableCritic` with
    ``n_critics = K``. ``forward(x (K, B, dx), z (K, B, dz))`` returns ``(K,)`` bounds in
    nats, member ``k``'s bound on its own batch, whose gradient (for the critic *and* for the
    inputs) is the estimator's training gradient; with ``estimator="mine"`` one moving average
    of ``mean(e^T)`` per member (rate ``ema_rate``) corrects the minibatch gradient. Marginal
    samples and ``eval()`` mode as for :class:`MINE`, which is this class with ``K = 1``.
    Sign convention: see the module docstring (a model that maximises MI adds
    ``- beta * mine(x, z).sum()`` to its loss).
    """

    def __init__(self, critic: nn.Module, estimator: str = "mine", ema_rate: float = 0.01,
                 tau: float = 5.0, generator: torch.Generator | None = None):
        super().__init__()
        if estimator not in ESTIMATORS or estimator == "ksg":
            raise ValueError(f"unknown estimator {estimator!r} for MINE; choose one of "
                             f"{', '.join(e for e in ESTIMATORS if e != 'ksg')}.")
        self.critic = critic
        self.estimator = estimator
        self.tau = float(tau)
        self.ema = LogEMA(ema_rate)
        self.generator = generator

    @property
    def ema_rate(self) -> float:
        return self.ema.ema_rate

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or z.dim() != 3 or x.shape[:2] != z.shape[:2]:
            raise ValueError(f"StackedMINE expects x (K, B, dx) and z (K, B, dz) with the same K and B; "
                             f"got {tuple(x.shape)} and {tuple(z.shape)}.")
        if x.shape[1] < 2:
            raise ValueError("MINE needs a batch of at least 2 samples to shuffle marginals.")
        estimator = self.estimator
        if estimator == "mine" and not self.training:
            estimator = "mine_biased"  # evaluation: the DV value, no moving-average update
        t_joint, t_marg, scores = critic_outputs(self.critic, x, z, estimator, self.generator)
        value, train = batch_objective(estimator, t_joint, t_marg, scores, self.ema, self.tau)
        return value.detach() + (train - train.detach())


class MINE(StackedMINE):
    """Mutual information neural estimator as a module (Belghazi et al. 2018).

    ``critic``: a one-member :class:`~minebook.ConcatCritic` or
    :class:`~minebook.SeparableCritic`. ``estimator``: any neural estimator of
    ``estimate_mi``; the default ``"mine"`` uses the moving average ``ema_rate`` to correct
    the minibatch gradient. ``forward(x (B, dx), z (B, dz))`` returns a scalar in nats whose
    value is the estimator's bound on this batch and whose gradient (for the critic *and*
    for ``x``, ``z``) is the estimator's training gradient. Marginal samples come from an
    in-batch derangement of ``z`` (a shuffle with no fixed point, drawn from ``generator``),
    or all off-diagonal pairs for separable critics; the joint and shuffled pairs go through
    the critic in one forward pass. In ``eval()`` mode ``"mine"`` returns the DV value
    without updating its moving average. For many estimators at once (a stacked critic),
    use :class:`StackedMINE`.

    Introduced in chapter 8; also used in chapters 9 and 10.
    """

    def __init__(self, critic: nn.Module, estimator: str = "mine", ema_rate: float = 0.01,
                 tau: float = 5.0, generator: torch.Generator | None = None):
        if getattr(critic, "n_critics", 1) != 1:
            raise ValueError("MINE needs a one-member critic (n_critics=1); use minebook.StackedMINE for K members.")
        super().__init__(critic, estimator, ema_rate, tau, generator)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        if x.dim() == 1:
            x = x.unsqueeze(-1)
        if z.dim() == 1:
            z = z.unsqueeze(-1)
        if x.dim() != 2 or z.dim() != 2 or len(x) != len(z):
            raise ValueError(f"MINE expects x (B, dx) and z (B, dz) with the same B; got "
                             f"{tuple(x.shape)} and {tuple(z.shape)}.")
        if len(x) < 2:
            raise ValueError("MINE needs a batch of at least 2 samples to shuffle marginals.")
        return super().forward(x.unsqueeze(0), z.unsqueeze(0)).squeeze(0)
