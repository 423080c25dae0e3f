"""The estimators of the book: one record per name, the only list of names (chapter 3).

Everything that differs between estimators lives in its :class:`Estimator` record: what it
trains with (:attr:`~Estimator.objective`), how the trained critic is read out, the most that
read-out can show (:attr:`~Estimator.ceiling`), whether the critic scores every pair of a batch,
the batch rule and whether the number is a lower bound. The training engine
(:mod:`minebook.engine`), :func:`minebook.estimate_mi`, :class:`minebook.MINE`, the sweeps, the
staircase and Deep InfoMax all look the record up here; none of them compares names.

=============  ===========================  ==========================================
estimator      trains with                  reports (value and held-out read-out)
=============  ===========================  ==========================================
mine           DV, EMA-corrected gradient   DV
mine_biased    DV, plain minibatch gradient DV
mine_f         NWJ (f-divergence)           NWJ
jsd            Jensen-Shannon (softplus)    DV
infonce        InfoNCE                      InfoNCE (at most log B)
smile          Jensen-Shannon               DV with marginal scores clipped to ±tau
ba             cross-entropy of a           H(Z) - cross-entropy (Barber-Agakov), for a
               classifier of z from x       class label z
ksg            (no training)                KSG nearest-neighbour estimate
plugin         (no training)                the contingency table of two class labels
=============  ===========================  ==========================================

``ba`` and ``plugin`` are the routes :func:`minebook.estimate_mi` takes when one or both sides
are class labels (:mod:`minebook.discrete`).

Adding an estimator is adding one record to :data:`ESTIMATORS` (DEVELOPING.md, "Adding an
estimator", has a worked example and the tests it must pass).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .bounds import dv_bound, infonce_bound, jsd_objective, logmeanexp, naive_log_mean_exp, nwj_bound, smile_bound
from .discrete import label_codes, plugin_mi
from .ema import LogEMA, ema_dv_surrogate
from .ksg import ksg
from .objectives import off_diagonal, shuffle_rows_any
from .preprocess import preprocess_all

__all__ = ["Estimator", "ESTIMATORS", "NEURAL_ESTIMATORS", "get_estimator", "batch_objective",
           "critic_outputs"]

#: ``objective(t_joint (K, B), t_marginal (K, M), scores (K, B, B) | None, ema, tau, naive_numerics)``
#: returns ``(value, train)``, each ``(K,)``: the bound reported on the batch and the tensor whose
#: gradient is the training gradient (maximise it).
Objective = Callable[..., tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Estimator:
    """One estimator of the book (chapter 3): every rule that depends on its name.

    ``name``: what ``estimate_mi(estimator=...)`` takes. ``trains``: the training objective in
    words. ``objective``: see :data:`Objective` (``None`` for KSG, which does not train).
    ``read_out``: ``"dv"`` (``mean T - log mean e^T`` over held-out joint and shifted pairs),
    ``"nwj"`` (``mean T - mean e^(T-1)``), ``"infonce"`` (held-out batches of ``batch_size``) or
    ``"ksg"``, ``"mean"`` (the mean joint score, the classifier bound) or ``"plugin"``.
    ``clips_read_out``: the DV read-out clips marginal scores to ``[-tau, tau]``
    (SMILE). ``ceiling``: what bounds the read-out, ``"log_n_test"``, ``"log_batch_size"`` or
    ``None`` (NWJ, KSG): above ``log n_test`` a run is marked diverged, within a nat of its ceiling
    it is flagged ``near_ceiling``. ``pairwise``: the objective uses only the ``(B, B)`` matrix of
    all pairs of a batch. ``critic``: the critic ``critic="auto"`` gives (``"separable"`` when
    every pair is scored, ``"concat"`` otherwise). ``test_batch``: the read-out needs at least
    one held-out batch of ``batch_size`` rows (InfoNCE), which also caps the default batch size.
    ``lower_bound``: the number is a lower bound on the MI in expectation. ``eval_as``: the
    estimator whose objective evaluation uses (MINE's moving average is not updated by
    ``MINE.eval()``). ``needs_marginals``: the objective uses marginal (shuffled) pairs (the
    classifier bound does not). ``direct``: for estimators that train nothing,
    ``direct(x, z, k, preprocess) -> (mi, mi_std)`` on all rows. ``labels``: the estimator wants
    ``z`` to be a class label (one-hot), or both sides (``"both"``).
    """

    name: str
    trains: str
    objective: Objective | None
    read_out: str
    ceiling: str | None
    lower_bound: bool
    pairwise: bool = False
    critic: str = "concat"
    test_batch: bool = False
    clips_read_out: bool = False
    eval_as: str | None = None
    needs_marginals: bool = True
    direct: Callable | None = None
    labels: str | None = None

    @property
    def neural(self) -> bool:
        """Whether the estimator trains a critic."""
        return self.objective is not None

    @property
    def continuous(self) -> bool:
        """Whether the estimator is meant for continuous data (not a class-label route)."""
        return self.labels is None

    def ceiling_value(self, n_test: int, batch_size: int) -> tuple[float, str] | None:
        """The most the read-out can show, nats, with its formula; ``None`` without a ceiling."""
        if self.ceiling == "log_n_test":
            return math.log(n_test), f"log(n_test) = {math.log(n_test):.2f}"
        if self.ceiling == "log_batch_size":
            return math.log(batch_size), f"log(batch_size) = {math.log(batch_size):.2f}"
        return None

    def min_test_rows(self, batch_size: int) -> int:
        """The fewest held-out rows its read-out works with."""
        return batch_size if self.test_batch else 2


# --------------------------------------------------------------------------- objectives
def _dv_terms(t_joint, t_marginal, naive_numerics):
    log_mean_exp = naive_log_mean_exp if naive_numerics else logmeanexp
    return t_joint.mean(dim=-1) - log_mean_exp(t_marginal), log_mean_exp


def _mine(t_joint, t_marginal, scores, ema, tau, naive_numerics):
    """DV value; the gradient divides by a moving average of ``mean e^T`` (chapters 4-5)."""
    value, log_mean_exp = _dv_terms(t_joint, t_marginal, naive_numerics)
    if ema is None:
        raise ValueError("estimator 'mine' needs a LogEMA state (ema=...).")
    log_v = ema.update(log_mean_exp(t_marginal.detach()))
    if naive_numerics:  # the paper's formula evaluated as written: mean(e^T) / v
        surrogate = t_joint.mean(dim=-1) - torch.exp(t_marginal).mean(dim=-1) / torch.exp(log_v)
        return value, value.detach() + (surrogate - surrogate.detach())
    return value, ema_dv_surrogate(t_joint, t_marginal, log_v)


def _mine_biased(t_joint, t_marginal, scores, ema, tau, naive_numerics):
    """DV value and its plain minibatch gradient (chapter 3)."""
    value, _ = _dv_terms(t_joint, t_marginal, naive_numerics)
    return value, value


def _mine_f(t_joint, t_marginal, scores, ema, tau, naive_numerics):
    """NWJ (the f-divergence bound) as value and training target (chapter 3)."""
    value = nwj_bound(t_joint, t_marginal)
    return value, value


def _jsd(t_joint, t_marginal, scores, ema, tau, naive_numerics):
    """Trains on the Jensen-Shannon objective; reports the DV value (chapter 12)."""
    return dv_bound(t_joint, t_marginal).detach(), jsd_objective(t_joint, t_marginal)


def _smile(t_joint, t_marginal, scores, ema, tau, naive_numerics):
    """Trains on Jensen-Shannon; reports DV with clipped marginal scores (chapter 12)."""
    return smile_bound(t_joint, t_marginal, tau).detach(), jsd_objective(t_joint, t_marginal)


def _ba(t_joint, t_marginal, scores, ema, tau, naive_numerics):
    """The classifier bound ``mean log q(z | x) - log p(z)``: joint scores only (chapter 3)."""
    value = t_joint.mean(dim=-1)
    return value, value


def _ksg(x, z, k, preprocess):
    """KSG (k neighbours) on ``x, z`` after ``preprocess`` fitted on all rows; no standard error."""
    return float(ksg(*preprocess_all(x, z, preprocess), k=k)), float("nan")


def _plugin(x, z, k, preprocess):
    """The plug-in MI of two class labels (:func:`minebook.discrete.plugin_mi`)."""
    return plugin_mi(label_codes(x), label_codes(z))


def _infonce(t_joint, t_marginal, scores, ema, tau, naive_numerics):
    """InfoNCE on the all-pairs scores, as value and training target (chapter 12)."""
    value = infonce_bound(scores)
    return value, value


#: The estimators, by name, in the order the book introduces them. The only list of names.
ESTIMATORS: dict[str, Estimator] = {e.name: e for e in (
    Estimator("mine", "DV, EMA-corrected gradient", _mine, "dv", "log_n_test", True,
              eval_as="mine_biased"),
    Estimator("mine_biased", "DV, plain minibatch gradient", _mine_biased, "dv", "log_n_test", True),
    Estimator("mine_f", "NWJ (f-divergence)", _mine_f, "nwj", None, True),
    Estimator("jsd", "Jensen-Shannon (softplus)", _jsd, "dv", "log_n_test", True),
    Estimator("infonce", "InfoNCE", _infonce, "infonce", "log_batch_size", True, pairwise=True,
              critic="separable", test_batch=True),
    Estimator("smile", "Jensen-Shannon", _smile, "dv", "log_n_test", True, clips_read_out=True),
    Estimator("ba", "cross-entropy of a classifier of z from x", _ba, "mean", None, True,
              critic="categorical", needs_marginals=False, labels="z"),
    Estimator("ksg", "(no training)", None, "ksg", None, False, direct=_ksg),
    Estimator("plugin", "(no training)", None, "plugin", None, False, direct=_plugin, labels="both"),
)}

#: The names of the estimators that train a critic on continuous data (the classifier bound
#: ``"ba"`` trains one too, on the class-label route of :func:`minebook.estimate_mi`).
NEURAL_ESTIMATORS = tuple(name for name, e in ESTIMATORS.items() if e.neural and e.continuous)


def get_estimator(name, neural: bool = False) -> Estimator:
    """The record of estimator ``name``; a ``ValueError`` listing the names otherwise.

    ``neural=True`` also rejects estimators that train no critic (KSG). Chapter 3.
    """
    if isinstance(name, Estimator):
        name = name.name
    choices = NEURAL_ESTIMATORS if neural else tuple(ESTIMATORS)
    if not isinstance(name, str) or name not in choices:
        where = " here (this needs one that trains a critic)" if neural and name in ESTIMATORS else ""
        raise ValueError(f"unknown estimator {name!r}{where}; choose one of {', '.join(choices)}.")
    return ESTIMATORS[name]


def batch_objective(estimator: str, t_joint, t_marginal, scores=None, ema: LogEMA | None = None,
                    tau: float = 5.0, naive_numerics: bool = False):
    """Return ``(value, train)`` of shape ``(K,)``: the reported bound and the training target.

    Chapter 3. ``t_joint (K, B)``, ``t_marginal (K, M)``, ``scores (K, B, B)`` (pairwise
    estimators only), nats. ``ema`` is required for ``"mine"`` and is updated in place with this
    batch. ``naive_numerics=True`` evaluates ``log mean exp`` as ``log(mean(exp(t)))`` in the DV
    value, in the moving average and in the MINE surrogate ``mean(e^T)/v`` (chapter 5's overflow
    and underflow demo); the default uses log-sum-exp everywhere.
    """
    record = get_estimator(estimator, neural=True)
    return record.objective(t_joint, t_marginal, scores, ema, tau, naive_numerics)


def critic_outputs(critic, x: torch.Tensor, z: torch.Tensor, estimator: str,
                   generator: torch.Generator | None = None):
    """Joint scores, marginal scores and (if needed) the all-pairs matrix for one batch.

    ``x (K, B, dx)``, ``z (K, B, dz)`` -> ``t_joint (K, B)``, ``t_marginal (K, M)``,
    ``scores (K, B, B) or None``. Separable critics and pairwise estimators use all off-diagonal
    pairs as marginal samples (``M = B(B-1)``); concat critics pair each ``x_i`` with
    ``z_{pi(i)}`` for a random derangement ``pi`` (:func:`minebook.shuffle_rows`, ``M = B``), and
    evaluate the joint and the shuffled pairs in one forward pass of ``2B`` rows (chapter 3).
    """
    if get_estimator(estimator, neural=True).pairwise or critic.separable:
        scores = critic.scores(x, z)
        return torch.diagonal(scores, dim1=-2, dim2=-1), off_diagonal(scores), scores
    b = x.shape[1]
    t = critic(torch.cat([x, x], dim=1), torch.cat([z, shuffle_rows_any(z, generator)], dim=1))
    return t[..., :b], t[..., b:], None
