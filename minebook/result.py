"""``MIEstimate``: the result of one estimate (chapter 3)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["MIEstimate"]


@dataclass
class MIEstimate:
    """The result of one estimate (chapter 3).

    Attributes: ``mi`` (nats, on held-out samples that training never saw; from
    :func:`estimate_mi` the median over ``n_critics`` critics trained with different seeds),
    ``mi_std`` (its standard error: the held-out read-out's, delta method, combined with the
    seed-to-seed spread of the critics, see :func:`estimate_mi`; NaN for KSG), ``read_out_std``
    (the read-out's part alone), ``seed_std`` (the standard deviation of the estimates of the
    ``n_critics`` critics, NaN for one), ``members`` (their own results, ``()`` for one critic),
    ``history`` (the training-batch estimate at every step, nats, shape ``(steps,)``; with several
    critics their mean), ``grad_norms``
    (global gradient norm per step), ``critic`` (the trained critic on raw inputs, or
    ``None`` for KSG), ``diverged`` with ``message``, ``n_train`` (rows trained on),
    ``n_val`` (training rows set aside to choose the read-out critic), ``n_test`` (held-out
    rows of the read-out), ``selected_step`` (the last step of the window whose averaged
    critic was chosen; ``-1`` without selection), ``seconds``, ``threads`` (the torch intra-op
    threads it trained with, :mod:`minebook.threads`; 0 for KSG) and ``ess``: the effective number
    of held-out marginal pairs behind the partition term ``log E_Q[e^T]`` (or ``E_Q[e^(T-1)]``),
    Kish's ``(sum w)^2 / sum w^2`` with ``w = e^T`` (NaN for InfoNCE and KSG). A small ``ess``
    means that a handful of pairs decide the estimate (heavy tails, chapter 12). ``flags``: the
    names of the checks that fired (each also explained in ``message`` and warned about, with a
    fix): ``"diverged"``, ``"few_pairs"``, ``"still_rising"`` (the training curve was still
    climbing at the end), ``"near_ceiling"`` (the estimate is within a nat of the most that the
    read-out can show), ``"below_gaussian"`` (well below the Gaussian baseline of the normal
    scores, a sign of an undertrained critic) and ``"few_samples"`` (fewer than
    :data:`minebook.checks.MIN_ROWS_PER_DIM` training rows per input dimension), ``"train_gap"`` (the critic
    scores its own training pairs far higher than held-out ones: the truth may be well above the
    estimate), and from :func:`estimate_mi` also ``"below_ksg"`` (well below the KSG estimate of
    the normal scores) and ``"tail_dependence"`` (x and z are extreme together far more often
    than a Gaussian with their correlations: dependence that critics learn slowly, as in
    Student-t data; a property of the data, so KSG estimates get it too) and ``"near_zero"`` (the
    interval reaches 0: no dependence found, which bounds nothing from above). See :data:`minebook.checks.CHECKS`.
    ``train_mi``: the same read-out of the chosen critic on as many of its own training rows as
    were held out (the same number of rows, so the two values carry the same finite-sample
    bias): an optimistic value, the upper end of :attr:`interval` when above ``mi + 1.96 mi_std``
    (NaN for KSG; from :func:`estimate_mi` the median over critics). ``route``: how a pair with a
    class label was estimated (empty for continuous data), e.g. ``"z is a class label (10
    classes): the classifier bound, estimator='ba'"`` (:mod:`minebook.discrete`).
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
    n_val: int = 0
    selected_step: int = -1
    ess: float = float("nan")
    threads: int = 0
    flags: tuple[str, ...] = ()
    n_critics: int = 1
    batch_size: int = 0
    read_out_std: float = float("nan")
    seed_std: float = float("nan")
    members: tuple = field(default=(), repr=False)
    train_mi: float = float("nan")
    route: str = ""

    @property
    def interval(self) -> tuple[float, float]:
        """An approximate 95% interval (nats): ``mi ± 1.96 mi_std``, its upper end raised to
        :attr:`train_mi` when that is higher.

        The symmetric part covers the noise of the held-out read-out and, with several critics,
        the spread of training over seeds. The upper end also covers the gap between what the
        critic scores on the pairs it was trained on and on new pairs: a critic fitted to a
        finite sample scores its own pairs too high and new pairs too low, and the truth lies
        between when that gap is what keeps the held-out estimate low (measured in chapter 12).
        It does not cover a critic that is too small or too briefly trained to find the
        dependence at all: then both values sit below the truth. MINE and the other
        DV/NWJ/InfoNCE estimators are lower bounds, so an estimate can sit below the truth with
        a tight interval; the checks behind :attr:`flags` are there to catch that (chapter 3).
        """
        low, high = self.mi - 1.96 * self.mi_std, self.mi + 1.96 * self.mi_std
        if math.isfinite(self.train_mi):
            high = max(high, self.train_mi)
        return (low, high)
