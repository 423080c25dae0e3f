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
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from ._checks import (
    check_estimator,
    check_fraction,
    check_pair,
    check_positive_float,
    check_positive_int,
)
from .bounds import infonce_bound
from .critics import StandardizedCritic, make_critic
from .ema import LogEMA
from .ksg import ksg
from .objectives import batch_objective, cyclic_derangement, off_diagonal
from .preprocess import GaussianizedCritic, MarginalGaussianizer, check_preprocess
from .threads import choose_threads, step_flops, using_threads
from .utils import adam, flush_denormals, resolve_device

__all__ = ["MIEstimate", "estimate_mi", "estimate_mi_many", "default_settings", "DEFAULTS", "CHECKS", "N_CRITICS"]

#: The base settings of ``estimate_mi`` (chapter 3). ``steps``, ``batch_size``, ``hidden`` and
#: ``test_fraction`` are the values at the sample sizes the book mostly uses (a few thousand
#: rows per input dimension); :func:`default_settings` adapts them to ``n`` and the dimensions
#: when they are not given.
DEFAULTS = dict(steps=3000, batch_size=512, lr=1e-3, hidden=(64, 64), ema_rate=0.01,
                test_fraction=0.25, n_shuffles=20, tau=5.0, average_last=0.25, val_fraction=0.05,
                n_checkpoints=10)

#: The critic widths of :func:`default_settings` by training rows per input dimension (chapter 3):
#: ``(rows per dimension below which the tier applies, hidden)``, the last tier applying above.
#: Measured at n = 5000 on the tasks of ``benchmarks/trust.py``: at 25 x 25 a 2x128 critic memorised
#: its training pairs within 300 steps and read out 0.79-0.85 of 1.02 nats on a sparse Gaussian, a
#: 2x32 critic 0.85-0.87; at 3 x 3 and 5 x 5 a 2x64 critic read out what a 2x128 did (within the
#: seed spread, e.g. 0.94-0.99 against 0.97-0.98 at 5 x 5) at a third of the cost.
WIDTH_TIERS = ((100, (32, 32)), (math.inf, (64, 64)))
#: Beyond this many rows, the held-out read-out keeps ``max(HELD_OUT_CAP, 5% of n)`` rows.
HELD_OUT_CAP = 10_000
#: The number of critics (seeds) ``estimate_mi`` trains at once by default (chapter 3).
N_CRITICS = 3


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
    :data:`MIN_ROWS_PER_DIM` training rows per input dimension), ``"train_gap"`` (the critic
    scores its own training pairs far higher than held-out ones: the truth may be well above the
    estimate), and from :func:`estimate_mi` also ``"below_ksg"`` (well below the KSG estimate of
    the normal scores) and ``"tail_dependence"`` (x and z are extreme together far more often
    than a Gaussian with their correlations: dependence that critics learn slowly, as in
    Student-t data; a property of the data, so KSG estimates get it too) and ``"near_zero"`` (the
    interval reaches 0: no dependence found, which bounds nothing from above). See :data:`CHECKS`.
    ``train_mi``: the same read-out of the chosen critic on as many of its own training rows as
    were held out (the same number of rows, so the two values carry the same finite-sample
    bias): an optimistic value, the upper end of :attr:`interval` when above ``mi + 1.96 mi_std``
    (NaN for KSG; from :func:`estimate_mi` the median over critics).
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


def estimate_mi(x, z, *, estimator: str = "mine", seed: int = 0, n_critics: int | None = None,
                **kwargs) -> MIEstimate:
    """Estimate ``I(X; Z)`` in nats from paired samples (chapter 3).

    ``x``: ``(n,)`` or ``(n, dx)``; ``z``: ``(n,)`` or ``(n, dz)``; numpy arrays or tensors.
    ``estimator`` is one of ``"mine"`` (EMA-corrected DV, the default), ``"mine_biased"``,
    ``"mine_f"``, ``"jsd"`` (JSD-trained, DV read-out), ``"infonce"``, ``"smile"``, ``"ksg"``.
    Keyword arguments are those of :func:`estimate_mi_many`; settings not given are chosen from
    ``n`` and the dimensions by :func:`default_settings`, and each coordinate is mapped to normal
    scores first (``preprocess="gaussianize"``, which keeps the MI). A fraction ``test_fraction``
    of the rows is held out; ``mi`` is read out there, with marginal samples from ``n_shuffles``
    cyclic shifts of ``z`` (the held-out rows are in random order).

    Several critics: ``n_critics`` (default :data:`N_CRITICS` = 3 for the neural estimators, 1 for
    KSG) critics are trained at once as one stacked ensemble, critic ``j`` with seed ``seed + j``
    (its own split, initialisation, batches and read-out), and ``mi`` is the median of their
    estimates (one critic whose read-out failed does not move it). ``mi_std`` combines the
    read-out's standard error (the root mean square of the critics'; they read out the same
    sample, so combining them does not shrink it) with the seed-to-seed spread of training,
    ``sqrt(pi / 2) * seed_std / sqrt(n_critics)`` (the error of a median). So :attr:`MIEstimate.interval`
    covers the noise of the read-out and of training, and its upper end reaches up to the
    critics' read-out on their own training rows (``train_mi``), which covers the part of the
    bias that comes from fitting a finite sample; it does **not** cover a critic that never
    found the dependence, and MINE is a lower bound: an estimate can sit below the truth with a
    tight interval. The checks behind :attr:`MIEstimate.flags` (each with a fix in ``message``
    and a ``RuntimeWarning``) look for that: the training curve still rising, an estimate near
    the ``log(n_test)`` ceiling, a large gap between training and held-out read-outs, a large
    shortfall from the Gaussian (CCA) or the KSG estimate of the normal scores, too few
    samples per dimension, dependence in the tails (x and z extreme together far more often
    than their correlations explain, where every estimator of chapter 12 reads low), and an
    interval that reaches 0 (no dependence found: independence, or dependence the critics
    missed; :func:`minebook.permutation_test` tells the first) (:data:`CHECKS`). ``n_critics=1`` is the single critic of
    ``estimate_mi_many(..., seed=seed)[0]``, checks aside.

    What that amounts to, measured at n = 5000 on the 40 tasks of the Beyond Normal benchmark,
    five seeds each (``benchmarks/trust.py``, table in the README): mean absolute error 0.094 nats,
    no run off by more than 30% without a flag, 82% of the unflagged intervals covering the truth
    (99 of 120), flags on 15% of the runs within 10% of it. What no check sees: a joint
    distortion that no map of one coordinate undoes (a spiral after a normal CDF reads 10-17%
    low, unflagged, and neither a larger critic nor more steps helps) and a sharp dependence in
    one dimension (additive noise with epsilon = 0.1 reads 6% low; ``hidden=(64, 64, 64)``
    reads it better, ``benchmarks/misses.py``).

    Example::

        x, z = minebook.correlated_gaussian(20_000, d=5, rho=0.9, seed=0)
        est = minebook.estimate_mi(x, z)          # about 4.1 nats (truth 4.15)
        est.mi, est.mi_std, est.interval, est.flags, est.history[-1]
    """
    estimator = check_estimator(estimator)
    if n_critics is None:
        n_critics = 1 if estimator == "ksg" else N_CRITICS
    n_critics = check_positive_int(n_critics, "n_critics")
    if estimator == "ksg" and n_critics != 1:
        raise ValueError("KSG has no training to repeat: pass n_critics=1 (or leave it out) with estimator='ksg'.")
    members = estimate_mi_many([(x, z)] * n_critics, estimator=estimator, seed=seed, checks=False, **kwargs)
    res = members[0] if n_critics == 1 else _combine_critics(members)
    _run_checks(res, check_pair(x, z), ksg=estimator != "ksg")
    return res


def _combine_critics(members: list[MIEstimate]) -> MIEstimate:
    """One estimate from critics trained on the same data with seeds ``seed + j`` (chapter 3).

    ``mi``: their median; ``mi_std = sqrt(mean(read_out_std^2) + (pi / 2) seed_std^2 / K)``; the
    history and gradient norms are means over critics; the returned critic is the one whose
    estimate is closest to the median.
    """
    values = np.array([m.mi for m in members])
    read_out = float(np.sqrt(np.mean([m.read_out_std**2 for m in members])))
    spread = float(values.std(ddof=1)) if np.all(np.isfinite(values)) else float("nan")
    median = float(np.median(values))
    first = members[int(np.argmin(np.abs(values - median)))] if math.isfinite(median) else members[0]
    return MIEstimate(
        mi=median, mi_std=float(np.sqrt(read_out**2 + math.pi / 2 * spread**2 / len(members))),
        estimator=first.estimator, history=np.mean([m.history for m in members], axis=0),
        grad_norms=np.mean([m.grad_norms for m in members], axis=0), critic=first.critic,
        n_train=first.n_train, n_test=first.n_test, seconds=sum(m.seconds for m in members),
        n_val=first.n_val, selected_step=first.selected_step, batch_size=first.batch_size,
        ess=float(np.min([m.ess for m in members])), threads=first.threads,
        n_critics=len(members), read_out_std=read_out, seed_std=spread, members=tuple(members),
        train_mi=float(np.median([m.train_mi for m in members])))


def default_settings(n: int, dx: int, dz: int, estimator: str = "mine") -> dict:
    """The settings :func:`estimate_mi` uses for those not given, from ``n`` rows and dims ``dx, dz``.

    Chapter 3. Returns ``dict(test_fraction, batch_size, hidden, steps)``:

    * ``test_fraction``: 0.25, but beyond 40,000 rows the held-out read-out keeps
      ``max(HELD_OUT_CAP, 5% of n)`` rows (10,000 at n = 40,000, 50,000 at n = 10^6): enough for a
      ceiling ``log(n_test)`` above 9 nats and a small read-out error, the rest trains.
    * ``batch_size``: :func:`default_batch_size` (512, or half the training rows for small samples).
    * ``hidden``: by training rows per input dimension ``dx + dz`` (:data:`WIDTH_TIERS`): (32, 32)
      below 100, else (64, 64). A wide critic memorises few rows in many dimensions before it
      learns the dependence; with many rows per dimension (1x1 at n = 5000) a (128, 128) critic
      read the paper's 1x1 tasks no better than (64, 64) at 2.4 times the cost
      (``benchmarks/width_1d.py``; only the sharp additive-noise task read 0.04 nats higher).
    * ``steps``: 3000, or two passes over the training rows when that is more (at most 10,000).
    """
    n_test = int(round(DEFAULTS["test_fraction"] * n))
    if n > 4 * HELD_OUT_CAP:
        n_test = max(HELD_OUT_CAP, int(round(0.05 * n)))
    n_train = n - n_test
    batch_size = default_batch_size(n_train, n_test, estimator)
    rows_per_dim = n_train / (dx + dz)
    hidden = next(h for limit, h in WIDTH_TIERS if rows_per_dim < limit)
    steps = min(10_000, max(int(DEFAULTS["steps"]), math.ceil(2 * n_train / batch_size)))
    return dict(test_fraction=n_test / n, batch_size=batch_size,
                hidden=tuple(hidden), steps=steps)


def default_batch_size(n_train: int, n_test: int, estimator: str = "mine") -> int:
    """The batch size :func:`estimate_mi` uses when none is given (chapter 3).

    The book's 512 whenever the split allows it (at least 512 training rows, and for
    InfoNCE, whose read-out scores held-out batches of the same size, 512 held-out rows);
    otherwise half the training rows (for InfoNCE at most ``n_test``), never below 2. So
    samples of a few hundred, common in science, work without arguments, and every call
    that worked before keeps its batch size and its numbers.
    """
    cap = int(DEFAULTS["batch_size"])
    if n_train >= cap and (estimator != "infonce" or n_test >= cap):
        return cap
    size = n_train // 2
    if estimator == "infonce":
        size = min(size, n_test)
    return max(2, min(cap, size))


def estimate_mi_many(pairs: Sequence[tuple], *, estimator: str = "mine", seed: int = 0,
                     steps: int | None = None, batch_size: int | None = None,
                     lr: float = DEFAULTS["lr"], hidden: Sequence[int] | None = None,
                     critic: str = "auto", activation: str = "relu", embed_dim: int = 32,
                     ema_rate: float = DEFAULTS["ema_rate"], tau: float = DEFAULTS["tau"],
                     test_fraction: float | None = None,
                     n_shuffles: int = DEFAULTS["n_shuffles"], standardize: bool | None = None,
                     preprocess: str | None = None,
                     naive_numerics: bool = False, k: int = 3, device="auto",
                     progress: bool = False, desc: str | None = None,
                     average_last: float = DEFAULTS["average_last"],
                     val_fraction: float = DEFAULTS["val_fraction"],
                     n_checkpoints: int = DEFAULTS["n_checkpoints"],
                     threads: int | None = None, checks: bool = True) -> list[MIEstimate]:
    """Estimate MI for K sample pairs at once, training K critics with stacked weights.

    ``pairs``: a list of ``(x_k, z_k)``; all ``x_k`` share one shape ``(n, dx)`` and all
    ``z_k`` one shape ``(n, dz)`` (group sweeps by shape). Member k uses seed ``seed + k``
    for its split, initialisation, minibatches, shuffles and read-out, so its result has
    the distribution of ``estimate_mi(x_k, z_k, seed=seed + k)`` whatever the other
    members are, and a list of K copies of one data set is K independent seeds.
    Returns one :class:`MIEstimate` per pair.

    Training: ``steps`` Adam steps (``lr``) on minibatches of ``batch_size`` rows drawn with
    replacement from the training split (a fraction ``1 - test_fraction``). ``steps``,
    ``batch_size``, ``hidden`` and ``test_fraction`` left at ``None`` come from
    :func:`default_settings` (n and the dimensions: 3000 steps, batch 512 and a quarter held out
    at the book's usual sizes; a 2x64 critic, 2x32 below 100 training rows per input dimension;
    a smaller batch for small samples). Preprocessing, fitted on the training split and
    applied to every row: ``preprocess="gaussianize"`` (the default: each coordinate through its
    empirical CDF and the normal quantile, a strictly increasing map that keeps the MI and tames
    heavy tails and uneven marginals, :class:`minebook.preprocess.MarginalGaussianizer`; also
    applied for ``"ksg"``), ``"standardize"`` (each coordinate to mean 0 and std 1, an affine map;
    also ``standardize=True``; the default before chapter 12's heavy-tailed benchmark) or
    ``"none"`` (also ``standardize=False``). ``critic`` is ``"concat"`` (``T([x, z])``, an
    MLP with widths ``hidden``), ``"separable"`` (``f(x)^T g(z)`` with ``embed_dim``), or
    ``"auto"`` (default): separable for ``"infonce"``, whose all-pairs scores would cost a
    concat critic ``batch_size`` forward passes per step, concat otherwise.
    ``ema_rate`` is MINE's moving-average rate, ``tau`` SMILE's clip, ``k`` KSG's neighbours.

    Choosing the critic that is read out (and returned): the weights are averaged over the
    iterates (Polyak averaging with a memory of ``average_last * steps`` steps: it removes the
    step-to-step noise that a DV read-out pays for, about +0.07 nats at d=5, rho=0.9), a
    fraction ``val_fraction`` of the training rows is set aside (never trained on), the
    average is validated on them at ``n_checkpoints`` evenly spaced steps, and each member
    keeps its best validated average. This is early stopping: with finite data a critic
    trained too long memorises its training pairs (at d=5, rho=0 and n=20000, 3000 steps give
    +0.19 nats on training batches and -0.10 held out without selection, 0.00 with it), and the
    validation rows catch it without touching the held-out read-out. With ``val_fraction=0``
    the critic is the uniform average over the last ``average_last`` fraction of the steps
    (``0``: the last iterate). ``history`` and ``grad_norms`` always describe the whole run.

    Read-out: on the held-out rows, joint pairs against ``n_shuffles`` cyclic shifts of
    ``z`` (marginal pairs with no joint pair among them); InfoNCE uses held-out batches of
    ``batch_size``. ``mi_std`` is the delta-method standard error of that read-out given the
    trained critic (it does not include the seed-to-seed spread of training).

    Threads: ``threads=None`` (default) picks the torch intra-op thread count from the work of
    one training step (one thread for a single small critic, more for large ensembles: the
    rule of :mod:`minebook.threads`, capped by the environment variable ``MINEBOOK_THREADS``),
    sets it for the duration of the call and restores the caller's count afterwards; an
    integer fixes it. The same seed and thread count give the same numbers; another thread
    count can change them in the last digits.

    A run that produces NaN/inf, or a held-out estimate above ``log(n_test)`` (more than the
    sample can support, McAllester and Stratos 2020), gets ``diverged=True``, a ``message``
    and a ``RuntimeWarning``. With ``checks=True`` (default) every member also gets the checks of
    :data:`CHECKS` except the KSG comparison (which :func:`estimate_mi` adds); ``checks=False``
    leaves only the divergence check.

    Introduced in chapter 3; the sweeps of chapters 5-7 and 12 use it.
    """
    estimator = check_estimator(estimator)
    preprocess = check_preprocess(preprocess, standardize)
    pairs = _check_pairs(pairs)
    data = [check_pair(x, z) for x, z in pairs]
    if estimator == "ksg":
        k = check_positive_int(k, "k")
        results = [_ksg_result(x, z, k, preprocess) for x, z in data]
        if checks:
            for res, pair in zip(results, data, strict=True):
                _run_checks(res, pair, ksg=False)
        return results
    shapes = {(x.shape[1], z.shape[1], len(x)) for x, z in data}
    if len(shapes) > 1:
        raise ValueError(
            "all pairs must share shapes to be trained together; got (dx, dz, n) = "
            f"{sorted(shapes)}. Call estimate_mi_many once per shape."
        )
    dx, dz, n = shapes.pop()
    auto = default_settings(n, dx, dz, estimator)
    if test_fraction is None:
        test_fraction = auto["test_fraction"]
    if steps is None:
        steps = auto["steps"]
    if hidden is None:
        hidden = auto["hidden"]
    steps = check_positive_int(steps, "steps")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
        if batch_size < 2:
            raise ValueError(f"batch_size must be at least 2 (marginal samples shuffle the batch); got {batch_size}.")
    n_shuffles = check_positive_int(n_shuffles, "n_shuffles")
    embed_dim = check_positive_int(embed_dim, "embed_dim")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    lr = check_positive_float(lr, "lr")
    tau = check_positive_float(tau, "tau", allow_inf=True)
    if not 0.0 < float(ema_rate) <= 1.0:
        raise ValueError(f"ema_rate must lie in (0, 1]; got {ema_rate!r} (the paper's rate is about 0.01).")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer; got {seed!r}.")
    if not 0.0 <= float(average_last) < 1.0:
        raise ValueError(f"average_last must lie in [0, 1); got {average_last!r}.")
    if not 0.0 <= float(val_fraction) < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1); got {val_fraction!r}.")
    n_checkpoints = check_positive_int(n_checkpoints, "n_checkpoints")
    if threads is not None:
        choose_threads(0.0, threads)  # a clear ValueError before any work
    if critic not in ("auto", "concat", "separable"):
        raise ValueError(f"critic must be 'auto', 'concat' or 'separable'; got {critic!r}.")
    if critic == "auto":
        critic = "separable" if estimator == "infonce" else "concat"
    n_test = int(round(test_fraction * n))
    n_train = n - n_test
    if batch_size is None:
        batch_size = default_batch_size(n_train, n_test, estimator)
    min_test = batch_size if estimator == "infonce" else 2
    if n_train < batch_size or n_test < min_test:
        raise ValueError(
            f"too few samples in x and z: n={n} gives {n_train} training rows (need batch_size={batch_size}) "
            f"and {n_test} held-out rows (need {min_test}) at test_fraction={test_fraction}. "
            "Pass more samples or a smaller batch_size."
        )
    # Validation rows come out of the training split, never below one batch of training rows.
    n_val = min(int(round(val_fraction * n_train)), n_train - batch_size)
    if n_val < 2 or steps < n_checkpoints:
        n_val = 0
    dev = resolve_device(device)
    start = time.perf_counter()
    runner = _Ensemble(data, estimator, seed, n_train, hidden, critic, activation, embed_dim,
                       preprocess, dev, n_val=n_val)
    n_threads = choose_threads(runner.step_flops(batch_size, embed_dim), threads)
    with using_threads(n_threads), flush_denormals():
        history, grad_norms = runner.train(steps, batch_size, lr, ema_rate, tau, naive_numerics,
                                           progress, desc or f"{estimator} x{len(data)}", average_last,
                                           n_checkpoints if n_val else 0)
        mi, mi_std = runner.read_out(estimator, tau, n_shuffles, batch_size)
        ess = runner.read_out_ess
        train_mi = runner.in_sample(estimator, tau, n_shuffles, batch_size)
    seconds = time.perf_counter() - start
    results = []
    for j in range(len(data)):
        res = MIEstimate(mi=float(mi[j]), mi_std=float(mi_std[j]), estimator=estimator,
                         history=history[:, j], grad_norms=grad_norms[:, j],
                         critic=runner.member_critic(j), n_train=n_train - n_val, n_test=n_test,
                         seconds=seconds / len(data), n_val=n_val,
                         selected_step=int(runner.selected_step[j]), ess=float(ess[j]),
                         threads=n_threads, batch_size=batch_size, read_out_std=float(mi_std[j]),
                         train_mi=float(train_mi[j]))
        if checks:
            _run_checks(res, data[j], ksg=False)
        else:
            _flag_divergence(res, n_test)
        results.append(res)
    return results


def _run_checks(res: MIEstimate, pair, ksg: bool) -> None:
    """All checks of :data:`CHECKS` on one (possibly combined) estimate of ``pair = (x, z)``."""
    if res.estimator == "ksg":
        _flag_few_samples(res, pair)
        _flag_tail_dependence(res, pair)
        return
    if not res.diverged:
        _flag_divergence(res, res.n_test)
    _flag_few_pairs(res)
    _flag_still_rising(res)
    _flag_near_ceiling(res, res.n_test, res.batch_size)
    _flag_few_samples(res, pair)
    _flag_train_gap(res)
    _flag_below_gaussian(res, pair)
    if ksg:
        _flag_below_ksg(res, pair)
        _flag_tail_dependence(res, pair)
        _flag_near_zero(res)


def _check_pairs(pairs) -> list:
    if isinstance(pairs, tuple) and len(pairs) == 2 and not isinstance(pairs[0], (tuple, list)):
        raise ValueError("pairs must be a list of (x, z) tuples; for one pair use estimate_mi(x, z).")
    try:
        pairs = list(pairs)
    except TypeError as err:
        raise ValueError("pairs must be a list of (x, z) tuples.") from err
    if len(pairs) == 0:
        raise ValueError("pairs is empty; pass a list of (x, z) tuples.")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"pairs[{i}] is not an (x, z) pair; pass a list of (x, z) tuples.")
    return pairs


def _ksg_result(x: np.ndarray, z: np.ndarray, k: int, preprocess: str) -> MIEstimate:
    """KSG has no held-out read-out, so ``mi_std`` is NaN (``minebook.ksg.ksg_with_std`` gives a rough one)."""
    start = time.perf_counter()
    x, z = _preprocess_all(x, z, preprocess)
    value = ksg(x, z, k=k)
    return MIEstimate(mi=float(value), mi_std=float("nan"), estimator="ksg", n_train=0,
                      n_test=len(x), seconds=time.perf_counter() - start)


def _preprocess_all(x: np.ndarray, z: np.ndarray, preprocess: str) -> tuple[np.ndarray, np.ndarray]:
    """``x, z`` after ``preprocess`` fitted on all rows (KSG and the checks, which use every row)."""
    if preprocess == "gaussianize":
        return MarginalGaussianizer.fit(x)(x), MarginalGaussianizer.fit(z)(z)
    if preprocess == "standardize":
        scale = _scaler(x, z, True)
        return (x - scale[0]) / scale[1], (z - scale[2]) / scale[3]
    return x, z


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
        res.flags = (*res.flags, "diverged")
        res.message = "; ".join(problems) + ". Try a smaller lr, estimator='mine', or more samples."
        if res.selected_step >= 0 and math.isfinite(res.mi):
            res.message += f" (The held-out value comes from the critic validated at step {res.selected_step}.)"
        warnings.warn(f"estimate_mi ({res.estimator}) diverged: {res.message}", RuntimeWarning,
                      stacklevel=3)


#: Below this many effective marginal pairs (``MIEstimate.ess``) a held-out DV/NWJ read-out is
#: decided by a handful of samples: ``estimate_mi`` warns (chapter 12).
MIN_EFFECTIVE_PAIRS = 100


def ess_summary(ess) -> str:
    """One line on the effective held-out marginal pairs of several read-outs (chapters 10-12).

    ``ess``: any array of :attr:`MIEstimate.ess` values (NaN entries, from InfoNCE or KSG,
    are ignored). Returns e.g. ``"rest on 33 to 1203 effective held-out marginal pairs
    (8 of 11 below 100, where estimate_mi warns)"``.
    """
    e = np.asarray(ess, dtype=float).ravel()
    e = e[~np.isnan(e)]
    if e.size == 0:
        return "have no effective-pairs count (InfoNCE or KSG read-outs)"
    return (f"rest on {e.min():.0f} to {e.max():.0f} effective held-out marginal pairs "
            f"({int((e < MIN_EFFECTIVE_PAIRS).sum())} of {e.size} below {MIN_EFFECTIVE_PAIRS}, "
            "where estimate_mi warns)")


@contextmanager
def few_pairs_reported():
    """Silence only ``estimate_mi``'s few-effective-pairs warning, for callers that report
    :attr:`MIEstimate.ess` themselves (e.g. with :func:`ess_summary`); divergence warnings
    still show (chapters 10-12)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_FEW_PAIRS_PATTERN, category=RuntimeWarning)
        yield


#: The start of the few-effective-pairs warning, as a ``warnings`` message pattern.
_FEW_PAIRS_PATTERN = r"estimate_mi \(\w+\): the held-out partition term rests on"


def _flag(res: MIEstimate, name: str, note: str) -> None:
    """Record a fired check: its name in ``res.flags``, its note in ``res.message``, a warning."""
    res.flags = (*res.flags, name)
    res.message = f"{res.message} {note}".strip()
    warnings.warn(f"estimate_mi ({res.estimator}): {note}", RuntimeWarning, stacklevel=4)


#: The checks behind ``MIEstimate.flags``, with their thresholds (chapter 3):
#: ``still_rising``: the mean training estimate over the last tenth of the steps exceeds the
#: previous tenth's by more than ``RISE_MIN`` nats (and ``RISE_FRACTION`` of the estimate), and
#: that tenth exceeded the one before it; ``near_ceiling``: the estimate is within
#: ``CEILING_MARGIN`` nats of ``log n_test`` (DV read-outs) or ``log batch_size`` (InfoNCE);
#: ``below_gaussian``: the Gaussian (CCA) baseline on the normal scores of all rows, less its
#: plug-in bias ``dx dz / (2 n)``, lies above the
#: upper end of the estimate's 95% interval by more than ``BASELINE_MARGIN`` nats, and above the
#: estimate by more than ``BASELINE_GAP`` nats and ``BASELINE_FRACTION`` of itself (for one-dimensional
#: ``x`` and ``z`` that baseline is a lower bound on the MI: the Gaussian copula has the least MI for
#: given normal-score correlations; in more dimensions it is a good guess, not a bound);
#: ``few_samples``: fewer than ``MIN_ROWS_PER_DIM`` training rows per dimension of ``(x, z)``;
#: ``below_ksg`` (:func:`estimate_mi` only): KSG (k = 3) on the normal scores of at most
#: ``KSG_ROWS`` rows (``KSG_ROWS_LOW_DIM`` when ``dx + dz <= 10``) exceeds the estimate by the same
#: margins. KSG is biased low in many dimensions, so it rarely exceeds an accurate estimate;
#: ``train_gap``: the critic's read-out on its own training rows (``MIEstimate.train_mi``) exceeds
#: the held-out estimate by more than ``GAP_MIN`` nats and ``GAP_FRACTION`` of it, so the truth may
#: lie more than 30% above the estimate;
#: ``tail_dependence`` (:func:`estimate_mi` only, KSG included): of the rows whose ``x`` is among
#: the 5% largest (Mahalanobis norm of its normal scores), the fraction whose ``z`` is too exceeds
#: that of Gaussian samples with the same canonical correlations
#: (:func:`minebook.beyond_normal.joint_extremes`) by more than ``TAIL_EXCESS`` and ``TAIL_Z``
#: standard deviations of the Gaussian fraction: dependence in the tails, which critics (and KSG)
#: learn slowly, as on chapter 12's Student-t tasks. A property of the data: it also fires where
#: an estimate is accurate, e.g. on ``y = x**2 + noise``;
#: ``near_zero`` (:func:`estimate_mi` only): the lower end of the 95% interval is at most 0, so
#: the critics found no dependence they could tell from noise. A lower bound near 0 bounds nothing
#: from above: dependence that the critics cannot learn from the sample reads 0 too (chapter 12's
#: 25x25 spiral, 1.02 nats, reads 0.00). It fires on independent data too, where 0 is right;
#: :func:`minebook.permutation_test` then says whether any dependence is there.
CHECKS = dict(RISE_MIN=0.05, RISE_FRACTION=0.03, CEILING_MARGIN=1.0, BASELINE_MARGIN=0.02,
              BASELINE_GAP=0.05, BASELINE_FRACTION=0.05, MIN_ROWS_PER_DIM=20, KSG_ROWS=2000,
              KSG_ROWS_LOW_DIM=10_000, GAP_MIN=0.1, GAP_FRACTION=0.3, TAIL_EXCESS=0.1, TAIL_Z=5.0)
MIN_ROWS_PER_DIM = CHECKS["MIN_ROWS_PER_DIM"]


def _flag_still_rising(res: MIEstimate) -> None:
    """Warn when the training curve was still climbing at the end (more steps would help)."""
    h = res.history
    tenth = len(h) // 10
    if tenth < 10 or not np.all(np.isfinite(h)):
        return
    m8, m9, m10 = (float(h[len(h) - (i + 1) * tenth: len(h) - i * tenth].mean()) for i in (2, 1, 0))
    threshold = max(CHECKS["RISE_MIN"], CHECKS["RISE_FRACTION"] * abs(res.mi))
    if m10 - m9 > threshold and m9 > m8:
        _flag(res, "still_rising",
              f"the training estimate was still rising at the end ({m9:.2f} -> {m10:.2f} nats over the "
              "last two tenths of the steps): the critic is undertrained and the estimate likely low. "
              f"Pass more steps (e.g. steps={2 * len(h)}) or a larger lr.")


def _flag_train_gap(res: MIEstimate) -> None:
    """Warn when the critic scores its training pairs far higher than new ones (chapter 3).

    ``train_mi - mi`` above ``max(GAP_MIN, GAP_FRACTION * mi)``: the critic fitted its sample
    more than the dependence, and the truth may lie anywhere up to ``train_mi``, more than 30%
    above the estimate (the largest error the book accepts without a warning).
    """
    gap = res.train_mi - res.mi
    if not math.isfinite(gap) or gap <= max(CHECKS["GAP_MIN"], CHECKS["GAP_FRACTION"] * max(res.mi, 0.0)):
        return
    _flag(res, "train_gap",
          f"the critic scores {res.train_mi:.2f} nats on its own training pairs and {res.mi:.2f} on "
          "held-out pairs: it fitted its sample more than the dependence, and the MI may lie "
          f"anywhere up to about {res.train_mi:.2f} nats (the interval's upper end). More samples "
          "narrow the gap.")


def _flag_near_zero(res: MIEstimate) -> None:
    """Warn when the 95% interval reaches 0: no dependence the critics could tell from noise (chapter 3)."""
    if res.diverged or not (math.isfinite(res.mi) and math.isfinite(res.mi_std)):
        return
    low, high = res.interval
    if low > 0:
        return
    _flag(res, "near_zero",
          f"the estimate {res.mi:.2f} nats cannot be told from 0 (95% interval [{low:.2f}, {high:.2f}]): "
          "the critics found no dependence. A lower bound near 0 does not bound the MI from above: "
          "dependence that the critics cannot learn from this sample reads 0 too. Test for any "
          "dependence with minebook.permutation_test(x, z); if you expect some, pass more samples "
          "or steps, or compare with estimator='ksg'.")


def _flag_near_ceiling(res: MIEstimate, n_test: int, batch_size: int) -> None:
    """Warn when the estimate is close to the most that its read-out can show."""
    if res.diverged or not math.isfinite(res.mi) or res.estimator == "mine_f":
        return
    ceiling, what = ((math.log(batch_size), f"log(batch_size) = {math.log(batch_size):.2f}")
                     if res.estimator == "infonce" else
                     (math.log(n_test), f"log(n_test) = {math.log(n_test):.2f}"))
    if res.mi > ceiling - CHECKS["CEILING_MARGIN"]:
        _flag(res, "near_ceiling",
              f"the estimate {res.mi:.2f} nats is within {CHECKS['CEILING_MARGIN']:g} nat of {what}, the most "
              "this read-out can show: the true MI may be much higher. Use more samples (the ceiling grows "
              "as log n) and read the number as a lower bound.")


def _flag_few_samples(res: MIEstimate, pair) -> None:
    """Warn when there are few training rows per input dimension."""
    dims = pair[0].shape[1] + pair[1].shape[1]
    rows = len(pair[0]) if res.estimator == "ksg" else res.n_train + res.n_val
    if rows < CHECKS["MIN_ROWS_PER_DIM"] * dims:
        why = ("KSG's nearest neighbours lie far apart" if res.estimator == "ksg" else
               "the critic can memorise its training pairs")
        _flag(res, "few_samples",
              f"only {rows} {'rows' if res.estimator == 'ksg' else 'training rows'} for {dims} input dimensions "
              f"(fewer than {CHECKS['MIN_ROWS_PER_DIM']} per dimension): {why} and the estimate is likely low. "
              "Use more samples, or fewer dimensions (e.g. PCA first).")


def _flag_below_gaussian(res: MIEstimate, pair) -> None:
    """Warn when the estimate is well below the Gaussian (CCA) baseline of the normal scores.

    The baseline is bias-corrected (``gaussian_baseline_mi(..., bias_corrected=True)``): the
    plain plug-in reads ``dx dz / (2 n)`` too high, enough at 50x50 to flag accurate estimates.
    """
    if res.diverged or not math.isfinite(res.mi):
        return
    from .beyond_normal import gaussian_baseline_mi

    x, z = pair
    try:
        baseline = gaussian_baseline_mi(*_preprocess_all(x, z, "gaussianize"), bias_corrected=True)
    except (ValueError, np.linalg.LinAlgError):
        return
    if _well_above(baseline, res):
        _flag(res, "below_gaussian",
              f"the estimate {res.mi:.2f} nats is well below {baseline:.2f} nats, the MI of a Gaussian with the "
              "correlations of the normal scores of x and z: the critic likely missed dependence that a "
              "linear model sees. Pass more samples or steps, a wider hidden=..., or compare with estimator='ksg'.")


def _well_above(baseline: float, res: MIEstimate) -> bool:
    """Whether a baseline lies clearly above the estimate: beyond its interval and by a real gap."""
    upper = res.interval[1] if math.isfinite(res.mi_std) else res.mi
    gap = baseline - res.mi
    return (baseline - upper > CHECKS["BASELINE_MARGIN"]
            and gap > max(CHECKS["BASELINE_GAP"], CHECKS["BASELINE_FRACTION"] * baseline))


def _flag_below_ksg(res: MIEstimate, pair) -> None:
    """Warn when the estimate is well below KSG on the normal scores of (a subsample of) the rows."""
    if res.diverged or not math.isfinite(res.mi):
        return
    x, z = pair
    rows = int(CHECKS["KSG_ROWS_LOW_DIM" if x.shape[1] + z.shape[1] <= 10 else "KSG_ROWS"])
    if len(x) > rows:  # a fixed subsample: KSG costs about n^2 in many dimensions
        keep = np.random.default_rng(0).choice(len(x), rows, replace=False)
        x, z = x[keep], z[keep]
    try:
        reference = ksg(*_preprocess_all(x, z, "gaussianize"), k=3)
    except ValueError:
        return
    if _well_above(reference, res):
        _flag(res, "below_ksg",
              f"the estimate {res.mi:.2f} nats is well below {reference:.2f} nats, the KSG estimate (k = 3) of "
              f"the normal scores of {len(x)} rows, which is itself usually low in many dimensions: the critic "
              "likely missed dependence. Pass more samples or more steps, or report the KSG value beside it.")


def _flag_tail_dependence(res: MIEstimate, pair) -> None:
    """Warn when x and z are extreme together far more often than their correlations explain (chapter 12).

    Data, not training, decide this check: it fires on a multivariate Student-t (one random
    scale shared by x and z), where chapter 12's estimators all read low at n = 5000 with
    intervals that miss the truth, and (beyond a 5-sigma chance) not on a Gaussian or a
    per-coordinate monotone transform of one. It also fires on U-shaped dependence such as
    ``y = x**2 + noise``, which critics read well: a flag names the kind of data, not an error.
    """
    from .beyond_normal import joint_extremes

    x, z = pair
    try:
        tails = joint_extremes(x, z)
    except (ValueError, np.linalg.LinAlgError):
        return
    if not tails["excess"] > max(CHECKS["TAIL_EXCESS"], CHECKS["TAIL_Z"] * tails["null_sd"]):
        return
    _flag(res, "tail_dependence",
          f"of the rows whose x is in the top 5% of its sizes, {tails['observed']:.0%} also have z in its top 5%, "
          f"against {tails['null_mean']:.0%} for a Gaussian with the same correlations: dependence in the tails "
          "(as in Student-t data, where x and z share one random scale), which critics and KSG learn slowly. "
          "On chapter 12's Student-t tasks the estimates read low with intervals that miss the truth (5x5: "
          "1.12 of 1.47 nats at n = 5000, 1.25 at n = 50,000). Read the estimate as a lower bound; more "
          "samples help, slowly.")


def _flag_few_pairs(res: MIEstimate) -> None:
    """Warn (and say so in ``res.message``) when the partition term rests on few marginal pairs."""
    if not res.ess < MIN_EFFECTIVE_PAIRS:  # NaN (InfoNCE, KSG) never warns
        return
    note = (f"the held-out partition term rests on about {res.ess:.0f} effective marginal pairs "
            f"(Kish's ESS of e^T, fewer than {MIN_EFFECTIVE_PAIRS}): a few extreme samples decide "
            "the estimate. Keep the default preprocess='gaussianize' (or squash long tails, e.g. np.arcsinh), or use "
            "estimator='smile' or 'ksg'.")
    _flag(res, "few_pairs", note)


class _Ensemble:
    """K stacked critics with their data: the engine behind ``estimate_mi_many``.

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
                 preprocess, device, n_val=0):
        self.estimator, self.device = estimator, device
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
            scale = _scaler(x[:n_train], z[:n_train], preprocess == "standardize")
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
        self.critic = make_critic(critic, dx, dz, hidden, self.K, activation, None, embed_dim=embed_dim)
        with torch.no_grad():  # member j initialised from its own generator
            for j, g in enumerate(self.generators):
                single = make_critic(critic, dx, dz, hidden, 1, activation, g, embed_dim=embed_dim)
                for dst, src in zip(self.critic.parameters(), single.parameters(), strict=True):
                    dst[j].copy_(src[0])
        self.critic.to(device)
        self.pairwise = estimator == "infonce" or self.critic.separable
        self.selected_step = np.full(self.K, -1)
        # Validation shifts, drawn once so that every checkpoint is compared on the same pairs.
        self.val_shifts = self._draw_shifts(n_val, 5) if n_val >= 2 else None

    def step_flops(self, batch_size: int, embed_dim: int) -> float:
        """Operations of one training step of all members (for the thread rule)."""
        n_weights = sum(p.numel() for p in self.critic.parameters())
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
            t_marg = None if self.estimator == "infonce" else off_diagonal(scores)  # InfoNCE needs only scores
            return torch.diagonal(scores, dim1=-2, dim2=-1), t_marg, scores
        x = self.x_flat.index_select(0, rows[0].reshape(-1)).view(k, 2 * batch_size, -1)
        z = self.z_flat.index_select(0, rows[1].reshape(-1)).view(k, 2 * batch_size, -1)
        t = self.critic(x, z)  # joint and shuffled pairs in one pass: (K, 2B)
        return t[:, :batch_size], t[:, batch_size:], None

    # ----------------------------------------------------------------- training
    def train(self, steps, batch_size, lr, ema_rate, tau, naive_numerics, progress, desc,
              average_last=0.0, n_checkpoints=0):
        """Train all members; leave in the critic the weights chosen for the read-out.

        The iterates are averaged with a memory of ``average_last * steps`` steps. With
        ``n_checkpoints > 0`` (and validation rows) that average is validated at
        ``n_checkpoints`` evenly spaced steps and every member keeps its best one; otherwise
        the critic is the average of the last ``average_last * steps`` iterates.
        Returns the per-step training estimates and gradient norms, ``(steps, K)`` each.
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
            value, target = batch_objective(self.estimator, t_joint, t_marg, scores, ema, tau,
                                            naive_numerics)
            opt.zero_grad(set_to_none=True)
            (-target.sum()).backward()
            history[step] = value.detach()
            for i, p in enumerate(params):  # squared gradient norm of every member, per tensor
                torch.sum(p.grad.detach().reshape(self.K, -1).square(), dim=1, out=grad_sq[step, i])
            opt.step()
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
        value = self._estimate(self.x_val, self.z_val, self.estimator, tau, self.val_shifts,
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
    def read_out(self, estimator, tau, n_shuffles, batch_size):
        """Held-out estimate and its standard error for every member, shape ``(K,)`` each.

        Marginal pairs ``(x_i, z_{i+s mod n})`` for ``n_shuffles`` distinct shifts ``s != 0``
        per member: every held-out x and z is used ``n_shuffles`` times and no joint pair is
        ever counted as a marginal one. InfoNCE: held-out batches of ``batch_size``.
        """
        self.read_out_ess = np.full(self.K, np.nan)
        value, std = self._read(self.x_test, self.z_test, estimator, tau, n_shuffles, batch_size)
        if estimator != "infonce":
            self.read_out_ess = self._last_ess
        return value, std

    @torch.no_grad()
    def in_sample(self, estimator, tau, n_shuffles, batch_size):
        """The read-out of :meth:`read_out` on the first ``n_test`` training rows, ``(K,)``.

        The same estimator, shifts and number of rows as the held-out read-out, on pairs the
        critic was fit to: an optimistic value (``MIEstimate.train_mi``). Called after
        :meth:`read_out`, so it leaves the held-out numbers as they were.
        """
        m = min(self.x_test.shape[1], self.x_train.shape[1])
        return self._read(self.x_train[:, :m], self.z_train[:, :m], estimator, tau, n_shuffles,
                          batch_size)[0]

    def _read(self, x, z, estimator, tau, n_shuffles, batch_size):
        """The estimator's read-out on rows ``x (K, n, dx)``, ``z (K, n, dz)`` with fresh shifts
        (InfoNCE: re-batched passes) from the members' generators: value, std ``(K,)``."""
        if estimator == "infonce":
            passes = n_shuffles if self.critic.separable else 1
            return _infonce_read_out(self.critic, x, z, min(batch_size, x.shape[1]), passes,
                                     self.generators)
        shifts = self._draw_shifts(x.shape[1], n_shuffles)
        return self._estimate(x, z, estimator, tau, shifts, batch_size)

    def _draw_shifts(self, n: int, n_shifts: int) -> torch.Tensor:
        """``(K, min(n_shifts, n - 1))`` distinct cyclic shifts in ``[1, n)`` per member."""
        n_shifts = min(n_shifts, n - 1)
        shifts = torch.stack([1 + torch.randperm(n - 1, generator=g)[:n_shifts] for g in self.generators])
        return shifts.to(self.device)

    @torch.no_grad()
    def _estimate(self, x, z, estimator, tau, shifts, batch_size):
        """The estimator's read-out on rows ``x (K, n, dx)``, ``z (K, n, dz)``: value, std ``(K,)``."""
        if estimator == "infonce":
            return _infonce_read_out(self.critic, x, z, batch_size)
        n = x.shape[1]
        t_joint = self._scores_in_chunks(x, z)
        arange = torch.arange(n, device=self.device)
        t_marg = torch.empty(self.K, shifts.shape[1], n, device=self.device)
        for s in range(shifts.shape[1]):
            cols = (arange + shifts[:, s:s + 1]) % n  # (K, n)
            z_s = torch.gather(z, 1, cols.unsqueeze(-1).expand_as(z))
            t_marg[:, s] = self._scores_in_chunks(x, z_s)
        self._last_ess = _effective_pairs(t_marg, tau if estimator == "smile" else None)
        if estimator == "mine_f":
            return _nwj_read_out(t_joint, t_marg, shifts)
        return _dv_read_out(t_joint, t_marg, shifts, tau if estimator == "smile" else None)

    def _scores_in_chunks(self, x, z, max_rows: int = 1 << 18):
        """Critic scores ``(K, n)`` of aligned pairs, evaluated ``max_rows / K`` rows at a time."""
        n = x.shape[1]
        step = max(1, max_rows // self.K)
        return torch.cat([self.critic(x[:, i:i + step], z[:, i:i + step]) for i in range(0, n, step)], dim=1)

    def member_critic(self, j: int) -> StandardizedCritic | GaussianizedCritic:
        mx, sx, mz, sz = self.scalers[j]
        # On the training device, buffers included (raw inputs are moved there by the critic).
        critic = StandardizedCritic(self.critic.member(j).eval(), mx, sx, mz, sz).to(self.device)
        return GaussianizedCritic(critic, *self.maps[j]) if self.maps else critic


def _effective_pairs(t_marg: torch.Tensor, tau: float | None = None) -> np.ndarray:
    """Kish's effective sample size of the weights ``e^T`` over all marginal pairs, ``(K,)``.

    ``t_marg``: ``(K, ...)`` marginal scores. ``(sum w)^2 / sum w^2`` in log space; SMILE's
    clipped scores when ``tau`` is given. Equal weights give the number of pairs; one
    dominant pair gives about 1 (chapter 12).
    """
    t = t_marg.reshape(t_marg.shape[0], -1).double()
    if tau is not None:
        t = t.clamp(-tau, tau)
    return torch.exp(2 * torch.logsumexp(t, 1) - torch.logsumexp(2 * t, 1)).cpu().numpy()


def _scaler(x, z, standardize):
    if not standardize:
        return (np.zeros(x.shape[1]), np.ones(x.shape[1]), np.zeros(z.shape[1]), np.ones(z.shape[1]))

    def safe_std(a):
        s = a.std(axis=0)
        return np.where(s > 1e-12, s, 1.0)

    return x.mean(axis=0), safe_std(x), z.mean(axis=0), safe_std(z)


def _row_col_means(w, shifts):
    """Row and column means of the shifted marginal weights, for the delta-method error.

    ``w (K, S, n)`` with ``w[k, s, i] = w(x_i, z_{i + shift[k, s]})``;
    returns ``a, b`` of shape ``(K, n)``. The marginal mean is a two-sample U-statistic over the held-out
    pairs: sample ``i`` enters through ``x_i`` (row mean ``a_i``) and through ``z_i``
    (column mean ``b_i``), so its influence is ``phi_i = T_ii - (a_i + b_i) * F'`` and the
    variance is ``var(phi) / n``. With ``S`` shifts the row and column means carry extra noise
    of order ``var(w)/S``, which errs on the side of a larger (conservative) error.
    """
    n = w.shape[2]
    a = w.mean(dim=1)
    arange = torch.arange(n, device=w.device)
    cols = (arange.view(1, 1, n) - shifts.unsqueeze(-1)) % n  # z_i sits at column i - s in row s
    b = torch.gather(w, 2, cols).mean(dim=1)
    return a, b


def _dv_read_out(t_joint, t_marg, shifts, clip=None):
    """DV value and its standard error: ``t_joint (K, n)``, ``t_marg (K, S, n)`` -> ``(K,)``, ``(K,)``.

    ``clip`` (SMILE's ``tau``) clips the marginal scores to ``[-tau, tau]`` first. The log of
    the marginal mean is a log-sum-exp; the error uses ``w = e^(T - c)`` with
    ``c = log mean e^T`` (so ``mean(w) = 1`` and nothing overflows) and
    :func:`_row_col_means`: ``phi_i = T_ii - a_i - b_i``.
    """
    t_joint, t_marg = t_joint.double(), t_marg.double()
    if clip is not None:
        t_marg = torch.clamp(t_marg, -clip, clip)
    k, _, n = t_marg.shape
    flat = t_marg.reshape(k, -1)
    log_mean = torch.logsumexp(flat, dim=1) - math.log(flat.shape[1])
    value = t_joint.mean(dim=1) - log_mean
    w = torch.exp(t_marg - log_mean.view(k, 1, 1))
    a, b = _row_col_means(w, shifts)
    phi = t_joint - a - b
    std = phi.std(dim=1) / math.sqrt(n)
    return value.cpu().numpy(), std.cpu().numpy()


def _nwj_read_out(t_joint, t_marg, shifts):
    """NWJ value ``mean(T_joint) - mean(e^(T_marg - 1))`` and its standard error (as DV's)."""
    t_joint, t_marg = t_joint.double(), t_marg.double()
    k, _, n = t_marg.shape
    w = torch.exp(t_marg - 1)
    value = t_joint.mean(dim=1) - w.reshape(k, -1).mean(dim=1)
    a, b = _row_col_means(w, shifts)
    std = (t_joint - a - b).std(dim=1) / math.sqrt(n)
    return value.cpu().numpy(), std.cpu().numpy()


def _infonce_read_out(critic, x, z, batch_size, passes=1, generators=None):
    """InfoNCE on consecutive held-out batches of ``batch_size`` rows, averaged over batches.

    ``passes > 1`` re-batches the held-out rows with a fresh permutation per member per pass
    (drawn from ``generators``). The standard error is the spread of the first pass's batch
    values over ``sqrt(number of batches)`` (NaN with a single batch).
    """
    n = x.shape[1]
    n_batches = n // batch_size
    values = []
    for p in range(passes):
        if p == 0:
            xp, zp = x, z
        else:
            perm = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(x.device)
            xp = torch.gather(x, 1, perm.unsqueeze(-1).expand_as(x))
            zp = torch.gather(z, 1, perm.unsqueeze(-1).expand_as(z))
        for i in range(n_batches):
            sl = slice(i * batch_size, (i + 1) * batch_size)
            values.append(infonce_bound(critic.scores(xp[:, sl], zp[:, sl])))
    values = torch.stack(values, dim=1).double()
    first = values[:, :n_batches]
    if n_batches > 1:
        std = first.std(dim=1) / math.sqrt(n_batches)
    else:
        std = torch.full_like(first[:, 0], float("nan"))
    return values.mean(dim=1).cpu().numpy(), std.cpu().numpy()
