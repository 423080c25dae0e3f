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

from .critics import Critic, ModuleCritic
from .ema import LogEMA
from .estimators import batch_objective, critic_outputs, get_estimator

__all__ = ["MINE", "StackedMINE", "standardize_batch", "OneModule"]


class OneModule(nn.Module):
    """A reader's network ``module(x_batch, z_batch) -> (B,)`` as a one-member critic (chapter 13).

    ``forward(x (1, B, ...), z (1, B, ...)) -> (1, B)`` calls ``module(x[0], z[0])`` (inputs of
    any shape, e.g. images ``(1, B, 1, 28, 28)``); ``scores`` evaluates all ``B*B`` pairs. The
    module is held as given, so its parameters are this critic's and training updates them.
    A ``ValueError`` says so when it does not return one score per pair.
    """

    separable = False
    n_critics = 1

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        try:
            out = self.module(x[0], z[0])
        except Exception as err:  # noqa: BLE001 - say which call failed and how to fix it
            raise ValueError(f"the critic module failed on a batch x {tuple(x.shape[1:])}, z {tuple(z.shape[1:])}: "
                             f"{type(err).__name__}: {err}. Its forward(x_batch, z_batch) must take both "
                             "batches and return one score per pair.") from err
        if not isinstance(out, torch.Tensor) or tuple(out.shape) not in ((n,), (n, 1)):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"the critic module returned {shape} for a batch of {n} pairs; it must return "
                             f"one score per pair, shape ({n},) or ({n}, 1).")
        return out.reshape(1, n)

    def scores(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """All-pairs scores ``(1, B, B)``: ``B*B`` pairs through the module."""
        b = x.shape[1]
        xx = x[0].unsqueeze(1).expand(b, b, *x.shape[2:]).reshape(b * b, *x.shape[2:])
        zz = z[0].unsqueeze(0).expand(b, b, *z.shape[2:]).reshape(b * b, *z.shape[2:])
        return self.forward(xx.unsqueeze(0), zz.unsqueeze(0)).reshape(1, b, b)


def standardize_batch(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Centre each feature and divide by the member's average feature std (batch statistics).

    ``x (K, B, d) -> (K, B, d)``; the statistics are constants for the gradient (detached).
    One scale per member (not per feature), so constant pixels are not blown up.
    Introduced in chapter 8; also chapter 9.
    """
    x_detached = x.detach()
    mean = x_detached.mean(dim=1, keepdim=True)
    n = x.shape[1]
    # the sample std (n - 1), written out: torch's std over the middle axis is 3x slower here
    var = (x_detached - mean).square().sum(dim=1, keepdim=True) / max(n - 1, 1)
    scale = var.sqrt().mean(dim=2, keepdim=True)
    return (x - mean) / (scale + eps)


class StackedMINE(nn.Module):
    """K MINE estimators at once, for a ``K``-member critic (chapter 8; also chapters 9, 10).

    ``critic``: a :class:`~minebook.ConcatCritic` or :class:`~minebook.SeparableCritic` with
    ``n_critics = K``. ``forward(x (K, B, dx), z (K, B, dz))`` returns ``(K,)`` bounds in
    nats, member ``k``'s bound on its own batch, whose gradient (for the critic *and* for the
    inputs) is the estimator's training gradient; with ``estimator="mine"`` one moving average
    of ``mean(e^T)`` per member (rate ``ema_rate``) corrects the minibatch gradient. Marginal
    samples and ``eval()`` mode as for :class:`MINE`, which is this class with ``K = 1``.
    Sign convention: see the module docstring (a model that maximises MI adds
    ``- beta * mine(x, z).sum()`` to its loss). ``standardize=True`` first rescales ``x`` by
    :func:`standardize_batch` (batch statistics, no gradient through them): the critic then sees
    unit-scale inputs whatever the scale of a generator's output (chapters 8 and 9).
    """

    def __init__(self, critic: nn.Module, estimator: str = "mine", ema_rate: float = 0.01,
                 tau: float = 5.0, generator: torch.Generator | None = None, standardize: bool = False):
        super().__init__()
        self.record = get_estimator(estimator, neural=True)
        self.critic = critic
        self.estimator = estimator
        self.standardize = standardize
        self.tau = float(tau)
        self.ema = LogEMA(ema_rate)
        self.generator = generator

    @property
    def ema_rate(self) -> float:
        return self.ema.ema_rate

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        shaped = isinstance(self.critic, (OneModule, ModuleCritic))  # any trailing shape
        if x.dim() < 2 or z.dim() < 2 or x.shape[:2] != z.shape[:2] or (not shaped and (x.dim(), z.dim()) != (3, 3)):
            raise ValueError(f"StackedMINE expects x (K, B, dx) and z (K, B, dz) with the same K and B; "
                             f"got {tuple(x.shape)} and {tuple(z.shape)}.")
        if x.shape[1] < 2:
            raise ValueError("MINE needs a batch of at least 2 samples to shuffle marginals.")
        if self.standardize:
            x = standardize_batch(x)
        estimator = self.estimator
        if self.record.eval_as and not self.training:
            estimator = self.record.eval_as  # evaluation: the DV value, no moving-average update
        t_joint, t_marg, scores = critic_outputs(self.critic, x, z, estimator, self.generator)
        value, train = batch_objective(estimator, t_joint, t_marg, scores, self.ema, self.tau)
        return value.detach() + (train - train.detach())


class MINE(StackedMINE):
    """Mutual information neural estimator as a module (Belghazi et al. 2018).

    ``critic``: a one-member :class:`~minebook.ConcatCritic` or
    :class:`~minebook.SeparableCritic`, or any ``torch.nn.Module`` whose ``forward(x_batch,
    z_batch)`` returns one score per pair (a statistics network of any architecture, e.g. a CNN
    on images ``(B, 1, 28, 28)``; held as given, :class:`OneModule`, chapter 13). ``estimator``: any neural estimator of
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
                 tau: float = 5.0, generator: torch.Generator | None = None, standardize: bool = False):
        if getattr(critic, "n_critics", 1) != 1:
            raise ValueError("MINE needs a one-member critic (n_critics=1); use minebook.StackedMINE for K members.")
        custom = not isinstance(critic, (Critic, ModuleCritic))
        if custom and standardize:
            raise ValueError("standardize=True rescales flat features; with your own critic module, "
                             "normalise inside its forward instead.")
        super().__init__(OneModule(critic) if custom else critic, estimator, ema_rate, tau, generator, standardize)
        self.custom = custom

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        if self.custom:  # a reader's module: batches of any shape, as given
            if x.dim() < 1 or z.dim() < 1 or len(x) != len(z):
                raise ValueError(f"MINE expects x (B, ...) and z (B, ...) with the same B; got "
                                 f"{tuple(x.shape)} and {tuple(z.shape)}.")
            if len(x) < 2:
                raise ValueError("MINE needs a batch of at least 2 samples to shuffle marginals.")
            return StackedMINE.forward(self, x.unsqueeze(0), z.unsqueeze(0)).squeeze(0)
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
