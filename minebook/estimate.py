"""``estimate_mi`` and ``estimate_mi_many``: train critics, read MI out on held-out samples.

Introduced in chapter 3. ``estimate_mi_many`` trains K critics at once with stacked
weights (one batched matmul per layer for all of them); ``estimate_mi`` is the K = 1 case,
so the two agree by construction. Everything is in nats.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .checks import flag_divergence, run_checks
from .discrete import MAX_CLASSES, label_codes, one_hot
from .engine import Ensemble, TrainingState
from .estimators import get_estimator
from .module import OneModule
from .preprocess import check_preprocess
from .result import MIEstimate
from .threads import choose_threads, using_threads
from .utils import flush_denormals, resolve_device
from .validation import (
    check_fraction,
    check_pair,
    check_pair_any,
    check_positive_float,
    check_positive_int,
    check_seed,
)

__all__ = ["MIEstimate", "estimate_mi", "estimate_mi_many", "default_settings", "default_batch_size",
           "DEFAULTS", "MODULE_DEFAULTS", "N_CRITICS", "TrainingState"]

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
#: The settings for a reader's critic module that differ from :data:`DEFAULTS` (chapter 13): a
#: convolutional critic costs far more per row than the default MLP. Measured on the 5000 shipped
#: MNIST digits (top half against bottom half, 3 copies of a two-layer CNN, 2 cores): 1000 steps at
#: batch 256 took 50 s; 3000 steps at 512 would take about 5 minutes.
MODULE_DEFAULTS = dict(steps=1000, batch_size=256)
#: The number of critics (seeds) ``estimate_mi`` trains at once by default (chapter 3).
N_CRITICS = 3


def estimate_mi(x, z, *, estimator: str = "mine", seed: int = 0, n_critics: int | None = None,
                checks: bool = True, discrete: bool | None = None, **kwargs) -> MIEstimate:
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
    missed; :func:`minebook.permutation_test` tells the first) (:data:`minebook.CHECKS`);
    ``checks=False`` keeps only the divergence check. ``n_critics=1`` is the single critic of
    ``estimate_mi_many(..., seed=seed)[0]``, checks aside.

    How far that goes is measured, not promised here: ``benchmarks/trust.py`` runs the default
    estimate on the 40 tasks of the Beyond Normal benchmark and 25 harder ones with known MI (mean
    error, unflagged misses, coverage of the interval, false alarms) and keeps its last numbers in
    the README's "Trust benchmark" tables; ``benchmarks/misses.py`` the families that no
    check sees (a spiral after a normal CDF, sharp additive noise in one dimension).

    Class labels: a side that is one column of at most ``MAX_CLASSES`` distinct integers (or
    booleans), or a one-hot block, is a class label, and a critic reading it as a number reads
    low. With the default estimator such a pair takes another route (``discrete=None``): one
    label, the classifier bound ``H(label) - cross-entropy`` of a classifier of the label from
    the other side on held-out rows (``estimator="ba"``, a lower bound, with the same interval
    and checks); two labels, the plug-in estimate of their table (``estimator="plugin"``).
    :attr:`MIEstimate.route` says which; ``discrete=False`` estimates the numbers as they are.

    Your own statistics network: ``critic=module``, any ``torch.nn.Module`` whose
    ``forward(x_batch, z_batch)`` returns one score per pair; ``x`` and ``z`` may then have any
    shape after the first axis (images ``(n, 1, 28, 28)``) and reach it as given (no
    per-coordinate preprocessing unless ``preprocess=`` asks). The ``n_critics`` copies are
    re-initialised from their seeds and train at once (:class:`minebook.ModuleCritic`), with the
    same held-out read-out and interval; the checks that read inputs coordinate by coordinate
    are skipped, and :data:`MODULE_DEFAULTS` (fewer steps, smaller batches) replace the defaults
    not given. ``result.critic.critic.module`` is the trained network (chapter 13).

    Example::

        x, z = minebook.correlated_gaussian(20_000, d=5, rho=0.9, seed=0)
        est = minebook.estimate_mi(x, z)          # about 4.1 nats (truth 4.15)
        est.mi, est.mi_std, est.interval, est.flags, est.history[-1]
    """
    module = isinstance(kwargs.get("critic"), torch.nn.Module)
    if module:  # a reader's network: inputs of any shape, as given; no label route
        x_flat, z_flat, _, _ = check_pair_any(x, z)
        record, pair, route = get_estimator(estimator), (x_flat, z_flat), module_route(discrete)
    else:
        record, (pair,), route = route_labels(get_estimator(estimator), [check_pair(x, z)], discrete)
    if n_critics is None:
        n_critics = N_CRITICS if record.neural else 1
    n_critics = check_positive_int(n_critics, "n_critics")
    if not record.neural and n_critics != 1:
        raise ValueError(f"{record.name} has no training to repeat: pass n_critics=1 (or leave it out) "
                         f"with estimator={record.name!r}.")
    members = estimate_mi_many([(x, z) if module else pair] * n_critics, estimator=record.name, seed=seed,
                               checks=False, discrete=False, **kwargs)
    res = members[0] if n_critics == 1 else _combine_critics(members)
    res.route = route
    if checks:
        run_checks(res, pair, full=True, per_coordinate=not module)
    elif not res.diverged:
        flag_divergence(res)
    return res


def module_route(discrete: bool | None) -> str:
    """The :attr:`MIEstimate.route` of an estimate with a reader's critic module (chapter 13)."""
    if discrete:
        raise ValueError("discrete=True routes a class label to the built-in classifier; with a critic "
                         "module, pass the label as the module expects it (e.g. one-hot) and leave discrete out.")
    return ("a critic module (minebook.critics.ModuleCritic): inputs reach it as given; the checks that "
            "read the inputs coordinate by coordinate are skipped")


def route_labels(record, data: list, discrete: bool | None):
    """The estimator and data for pairs in which a side is a class label (chapter 3).

    ``discrete=None`` routes only the default estimator ``"mine"``; ``True`` requires a label;
    ``False`` never routes. A label (:func:`minebook.discrete.label_codes`) on one side goes to
    the classifier bound ``"ba"`` with that side one-hot as ``z`` (``x`` and ``z`` swapped when
    the label is ``x``), labels on both sides to the plug-in estimate ``"plugin"``. Returns
    ``(record, data, route)``, ``route`` a sentence for :attr:`MIEstimate.route` (``""`` if not
    routed).
    """
    if discrete is False or (discrete is None and record.name != "mine"):
        return record, data, ""
    codes = [(label_codes(x), label_codes(z)) for x, z in data]
    kinds = {(cx is not None, cz is not None) for cx, cz in codes}
    if kinds == {(False, False)}:
        if discrete:
            raise ValueError("discrete=True, but neither x nor z is a class label (one column of at most "
                             f"{MAX_CLASSES} distinct integers, or a one-hot block); pass discrete=None.")
        return record, data, ""
    if len(kinds) > 1:
        raise ValueError("the pairs differ in which side is a class label; call estimate_mi_many once per kind.")
    x_label, z_label = kinds.pop()
    if x_label and z_label:
        out = [(cx[:, None].astype(float), cz[:, None].astype(float)) for cx, cz in codes]
        n = max(len(np.unique(c)) for pair in codes for c in pair)
        return get_estimator("plugin"), out, (f"x and z are class labels (up to {n} classes): the plug-in "
                                              "estimate of their table, estimator='plugin'")
    if x_label:  # the label goes to z: I(X; Z) = I(Z; X)
        out = [(z, one_hot(cx)) for (x, z), (cx, _) in zip(data, codes, strict=True)]
        side, swap = "x", " (x and z swapped: the returned critic takes (z, one-hot x))"
    else:
        out = [(x, one_hot(cz)) for (x, z), (_, cz) in zip(data, codes, strict=True)]
        side, swap = "z", ""
    n = max(pair[1].shape[1] for pair in out)
    return get_estimator("ba"), out, (f"{side} is a class label ({n} classes): the classifier bound "
                                      f"H(label) - cross-entropy, estimator='ba'{swap}")


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
    test_batch = get_estimator(estimator).test_batch
    if n_train >= cap and (not test_batch or n_test >= cap):
        return cap
    size = n_train // 2
    if test_batch:
        size = min(size, n_test)
    return max(2, min(cap, size))


def estimate_mi_many(pairs: Sequence[tuple], *, estimator: str = "mine", seed: int = 0,
                     steps: int | None = None, batch_size: int | None = None,
                     lr: float = DEFAULTS["lr"], hidden: Sequence[int] | None = None,
                     critic: str | torch.nn.Module = "auto", activation: str = "relu", embed_dim: int = 32,
                     ema_rate: float = DEFAULTS["ema_rate"], tau: float = DEFAULTS["tau"],
                     test_fraction: float | None = None,
                     n_shuffles: int = DEFAULTS["n_shuffles"], standardize: bool | None = None,
                     preprocess: str | None = None,
                     naive_numerics: bool = False, k: int = 3, device="auto",
                     progress: bool = False, desc: str | None = None,
                     average_last: float = DEFAULTS["average_last"],
                     val_fraction: float = DEFAULTS["val_fraction"],
                     n_checkpoints: int = DEFAULTS["n_checkpoints"],
                     threads: int | None = None, checks: bool = True, discrete: bool | None = None,
                     callback: Callable[[TrainingState], None] | None = None) -> list[MIEstimate]:
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
    concat critic ``batch_size`` forward passes per step, concat otherwise; or a
    ``torch.nn.Module`` (see :func:`estimate_mi`; pairs of any shapes, ``preprocess="none"`` unless
    given).
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
    :data:`minebook.checks.CHECKS` whose scope is ``"member"`` (:func:`estimate_mi` adds the
    rest); ``checks=False`` leaves only the divergence check.

    ``discrete``: how a side that is a class label is handled (:func:`route_labels`; ``None``
    routes it away from the default ``"mine"``, ``False`` never, ``True`` requires a label).

    ``callback(state)``: called after every training step with a
    :class:`minebook.engine.TrainingState` (step, batch estimates and scores, and the ensemble
    whose critic holds that step's weights), to follow the critics during training (chapter 5).

    Introduced in chapter 3; the sweeps of chapters 5-7 and 12 use it.
    """
    module = isinstance(critic, torch.nn.Module)
    if module:  # a reader's network (chapter 13): any shapes, as given unless preprocess is set
        given = preprocess is not None or standardize is not None
        preprocess = check_preprocess(preprocess, standardize) if given else "none"
        checked = [check_pair_any(x, z) for x, z in _check_pairs(pairs)]
        shapes = {c[2:] for c in checked}
        if len(shapes) > 1:
            raise ValueError(f"all pairs must share shapes to be trained together; got {sorted(shapes)}.")
        record, data, route = get_estimator(estimator), [c[:2] for c in checked], module_route(discrete)
        if not record.neural:
            raise ValueError(f"estimator {record.name!r} trains no critic: leave critic out (or pass a "
                             "neural estimator such as 'mine').")
        _check_module(critic, data[0], shapes.pop() if shapes else None)
    else:
        preprocess = check_preprocess(preprocess, standardize)
        record, data, route = route_labels(get_estimator(estimator),
                                           [check_pair(x, z) for x, z in _check_pairs(pairs)], discrete)
    if not record.neural:
        k = check_positive_int(k, "k")
        results = [_direct_result(record, x, z, k, preprocess) for x, z in data]
        for res, pair in zip(results, data, strict=True):
            res.route = route
            if checks:
                run_checks(res, pair, full=False)
        return results
    opts = _settings(data, record, dict(
        seed=seed, steps=steps, batch_size=batch_size, lr=lr, hidden=hidden, critic=critic,
        embed_dim=embed_dim, ema_rate=ema_rate, tau=tau, test_fraction=test_fraction,
        n_shuffles=n_shuffles, average_last=average_last, val_fraction=val_fraction,
        n_checkpoints=n_checkpoints, threads=threads))
    start = time.perf_counter()
    runner = Ensemble(data, record.name, opts["seed"], opts["n_train"], opts["hidden"], opts["critic"],
                      activation, opts["embed_dim"], preprocess, resolve_device(device), n_val=opts["n_val"],
                      shapes=checked[0][2:] if module else None)
    n_threads = choose_threads(runner.step_flops(opts["batch_size"], opts["embed_dim"]), threads)
    with using_threads(n_threads), flush_denormals():
        history, grad_norms = runner.train(
            opts["steps"], opts["batch_size"], opts["lr"], opts["ema_rate"], opts["tau"], naive_numerics,
            progress, desc or f"{record.name} x{len(data)}", opts["average_last"],
            opts["n_checkpoints"] if opts["n_val"] else 0, callback=callback)
        mi, mi_std = runner.read_out(opts["tau"], opts["n_shuffles"], opts["batch_size"])
        train_mi = runner.in_sample(opts["tau"], opts["n_shuffles"], opts["batch_size"])
    seconds = time.perf_counter() - start
    results = []
    for j, pair in enumerate(data):
        res = MIEstimate(mi=float(mi[j]), mi_std=float(mi_std[j]), estimator=record.name,
                         history=history[:, j], grad_norms=grad_norms[:, j],
                         critic=runner.member_critic(j), n_train=opts["n_train"] - opts["n_val"],
                         n_test=opts["n_test"], seconds=seconds / len(data), n_val=opts["n_val"],
                         selected_step=int(runner.selected_step[j]), ess=float(runner.read_out_ess[j]),
                         threads=n_threads, batch_size=opts["batch_size"], read_out_std=float(mi_std[j]),
                         train_mi=float(train_mi[j]))
        res.route = route
        if checks:
            run_checks(res, pair, full=False, per_coordinate=not module)
        else:
            flag_divergence(res)
        results.append(res)
    return results


def _settings(data: list, record, given: dict) -> dict:
    """The validated training settings of :func:`estimate_mi_many`, the ones not given
    (``None``) chosen by :func:`default_settings`; adds ``n_train``, ``n_test``, ``n_val``."""
    shapes = {(x.shape[1], z.shape[1], len(x)) for x, z in data}
    if len(shapes) > 1:
        raise ValueError(
            "all pairs must share shapes to be trained together; got (dx, dz, n) = "
            f"{sorted(shapes)}. Call estimate_mi_many once per shape."
        )
    dx, dz, n = shapes.pop()
    opts = dict(given)
    auto = default_settings(n, dx, dz, record.name)
    module = isinstance(opts["critic"], torch.nn.Module)
    if module:
        auto["steps"] = MODULE_DEFAULTS["steps"]
    for name in ("test_fraction", "steps", "hidden"):
        if opts[name] is None:
            opts[name] = auto[name]
    opts["steps"] = check_positive_int(opts["steps"], "steps")
    if opts["batch_size"] is not None:
        opts["batch_size"] = check_positive_int(opts["batch_size"], "batch_size")
        if opts["batch_size"] < 2:
            raise ValueError("batch_size must be at least 2 (marginal samples shuffle the batch); "
                             f"got {opts['batch_size']}.")
    for name in ("n_shuffles", "embed_dim", "n_checkpoints"):
        opts[name] = check_positive_int(opts[name], name)
    opts["test_fraction"] = check_fraction(opts["test_fraction"], "test_fraction")
    opts["lr"] = check_positive_float(opts["lr"], "lr")
    opts["tau"] = check_positive_float(opts["tau"], "tau", allow_inf=True)
    if not 0.0 < float(opts["ema_rate"]) <= 1.0:
        raise ValueError(f"ema_rate must lie in (0, 1]; got {opts['ema_rate']!r} (the paper's rate is about 0.01).")
    opts["seed"] = check_seed(opts["seed"])
    for name in ("average_last", "val_fraction"):
        if not 0.0 <= float(opts[name]) < 1.0:
            raise ValueError(f"{name} must lie in [0, 1); got {opts[name]!r}.")
    if opts["threads"] is not None:
        choose_threads(0.0, opts["threads"])  # a clear ValueError before any work
    if not isinstance(opts["critic"], torch.nn.Module) and opts["critic"] not in ("auto", "concat", "separable"):
        raise ValueError("critic must be 'auto', 'concat', 'separable' or a torch.nn.Module whose forward(x_batch, "
                         f"z_batch) returns one score per pair; got {opts['critic']!r}.")
    if isinstance(opts["critic"], str) and opts["critic"] == "auto":
        opts["critic"] = record.critic
    n_test = int(round(opts["test_fraction"] * n))
    n_train = n - n_test
    if opts["batch_size"] is None:
        opts["batch_size"] = default_batch_size(n_train, n_test, record.name)
        if module:
            opts["batch_size"] = min(opts["batch_size"], MODULE_DEFAULTS["batch_size"])
    batch_size, min_test = opts["batch_size"], record.min_test_rows(opts["batch_size"])
    if n_train < batch_size or n_test < min_test:
        raise ValueError(
            f"too few samples in x and z: n={n} gives {n_train} training rows (need batch_size={batch_size}) "
            f"and {n_test} held-out rows (need {min_test}) at test_fraction={opts['test_fraction']}. "
            "Pass more samples or a smaller batch_size."
        )
    # Validation rows come out of the training split, never below one batch of training rows.
    n_val = min(int(round(opts["val_fraction"] * n_train)), n_train - batch_size)
    if n_val < 2 or opts["steps"] < opts["n_checkpoints"]:
        n_val = 0
    return dict(opts, n_train=n_train, n_test=n_test, n_val=n_val)


def _check_module(module: torch.nn.Module, pair: tuple, shapes: tuple) -> None:
    """Call a copy of a reader's critic module once on two rows of its data: the clear
    ``ValueError`` of :class:`minebook.module.OneModule` if it fails or does not return one score
    per pair (chapter 13)."""
    x, z = (torch.as_tensor(a[:2], dtype=torch.float32).reshape(1, 2, *s) for a, s in zip(pair, shapes, strict=True))
    with torch.no_grad():
        OneModule(copy.deepcopy(module).cpu())(x, z)


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


def _direct_result(record, x: np.ndarray, z: np.ndarray, k: int, preprocess: str) -> MIEstimate:
    """An estimator without training (KSG, plug-in) on all rows; KSG's ``mi_std`` is NaN
    (``minebook.ksg.ksg_with_std`` gives a rough one)."""
    start = time.perf_counter()
    value, std = record.direct(x, z, k, preprocess)
    return MIEstimate(mi=float(value), mi_std=float(std), estimator=record.name, n_train=0,
                      n_test=len(x), seconds=time.perf_counter() - start, read_out_std=float(std))
