"""The checks behind ``MIEstimate.flags``: can this number be trusted? (chapter 3).

Each check is one :class:`Check` record in :data:`CHECKS` (its name, thresholds, function and
what it means). A function takes the estimate and the data (:class:`CheckData`, whose normal
scores are computed once per call and shared by the checks that need them) and returns the note
to add to ``MIEstimate.message`` when it fires, ``None`` otherwise. :func:`run_checks` runs
them in order, records the names in ``MIEstimate.flags`` and warns with the note (which says
how to fix the call). The Gaussian (CCA) baseline and the joint-extremes statistic that two
checks compare against live here too. Adding a check is adding one record.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from .data import mvn_mi
from .estimators import get_estimator
from .ksg import ksg
from .preprocess import preprocess_all
from .result import MIEstimate

__all__ = ["Check", "CheckData", "CHECKS", "run_checks", "flag_divergence", "gaussian_baseline_mi",
           "joint_extremes", "ess_summary", "few_pairs_reported", "MIN_EFFECTIVE_PAIRS",
           "MIN_ROWS_PER_DIM"]


class CheckData:
    """The samples an estimate was made from, ``x (n, dx)`` and ``z (n, dz)`` (float64), with
    their normal scores (:func:`minebook.preprocess.normal_scores` of all rows) computed on first
    use and then shared by every check of one call."""

    def __init__(self, x: np.ndarray, z: np.ndarray):
        self.x, self.z = x, z

    @cached_property
    def normal_scores(self) -> tuple[np.ndarray, np.ndarray]:
        return preprocess_all(self.x, self.z, "gaussianize")


@dataclass(frozen=True)
class Check:
    """One check (chapter 3). ``function(res, data, thresholds) -> note | None``.

    ``scope``: ``"member"`` (every estimate of :func:`minebook.estimate_mi_many` with
    ``checks=True``) or ``"estimate_mi"`` (only the combined result of
    :func:`minebook.estimate_mi`: checks too costly or too noisy per member). ``ksg``: whether it
    also applies to estimates without training (KSG). ``marks_diverged``: a fired check sets
    ``MIEstimate.diverged``. ``continuous_only``: the check's baseline assumes continuous data,
    so it is skipped on the class-label routes (``"ba"``, ``"plugin"``). ``per_coordinate``: the
    check counts or transforms the inputs coordinate by coordinate, which says nothing about a
    reader's critic module on images (skipped there, chapter 13).
    """

    name: str
    function: Callable[[MIEstimate, CheckData, Mapping[str, float]], str | None]
    thresholds: Mapping[str, float] = field(default_factory=dict)
    meaning: str = ""
    scope: str = "member"
    ksg: bool = False
    marks_diverged: bool = False
    continuous_only: bool = False
    per_coordinate: bool = False

    def apply(self, res: MIEstimate, data: CheckData | tuple | None = None) -> bool:
        """Run the check on ``res``; record and warn if it fires. Returns whether it fired."""
        if isinstance(data, tuple):
            data = CheckData(*data)
        note = self.function(res, data, self.thresholds)
        if note is None:
            return False
        res.flags = (*res.flags, self.name)
        res.message = f"{res.message} {note}".strip()
        if self.marks_diverged:
            res.diverged = True
            warnings.warn(f"estimate_mi ({res.estimator}) diverged: {res.message}", RuntimeWarning,
                          stacklevel=3)
        else:
            warnings.warn(f"estimate_mi ({res.estimator}): {note}", RuntimeWarning, stacklevel=3)
        return True


# --------------------------------------------------------------------------- the checks
def _diverged(res, data, th):
    """NaN/inf in training or read-out, or a held-out estimate above ``log n_test``."""
    problems = []
    if not np.all(np.isfinite(res.history)):
        bad = int(np.argmax(~np.isfinite(res.history)))
        problems.append(f"the training estimate became NaN/inf at step {bad}")
    if not math.isfinite(res.mi):
        problems.append("the held-out estimate is NaN/inf")
    elif get_estimator(res.estimator).ceiling is not None and res.mi > math.log(res.n_test) + 1e-6:
        problems.append(
            f"the held-out estimate {res.mi:.2f} nats exceeds log(n_test) = {math.log(res.n_test):.2f}, "
            "more than this many samples can support"
        )
    if not problems:
        return None
    note = "; ".join(problems) + ". Try a smaller lr, estimator='mine', or more samples."
    if res.selected_step >= 0 and math.isfinite(res.mi):
        note += f" (The held-out value comes from the critic validated at step {res.selected_step}.)"
    return note


def _few_pairs(res, data, th):
    """The partition term rests on fewer than ``MIN_EFFECTIVE_PAIRS`` effective pairs."""
    if not res.ess < th["MIN_EFFECTIVE_PAIRS"]:  # NaN (InfoNCE, KSG) never warns
        return None
    return (f"the held-out partition term rests on about {res.ess:.0f} effective marginal pairs "
            f"(Kish's ESS of e^T, fewer than {th['MIN_EFFECTIVE_PAIRS']}): a few extreme samples decide "
            "the estimate. Keep the default preprocess='gaussianize' (or squash long tails, e.g. np.arcsinh), or use "
            "estimator='smile' or 'ksg'.")


def _still_rising(res, data, th):
    """The training curve was still climbing at the end (more steps would help)."""
    h = res.history
    tenth = len(h) // 10
    if tenth < 10 or not np.all(np.isfinite(h)):
        return None
    m8, m9, m10 = (float(h[len(h) - (i + 1) * tenth: len(h) - i * tenth].mean()) for i in (2, 1, 0))
    threshold = max(th["RISE_MIN"], th["RISE_FRACTION"] * abs(res.mi))
    if not (m10 - m9 > threshold and m9 > m8):
        return None
    return (f"the training estimate was still rising at the end ({m9:.2f} -> {m10:.2f} nats over the "
            "last two tenths of the steps): the critic is undertrained and the estimate likely low. "
            f"Pass more steps (e.g. steps={2 * len(h)}) or a larger lr.")


def _near_ceiling(res, data, th):
    """The estimate is close to the most that its read-out can show."""
    ceiling = get_estimator(res.estimator).ceiling_value(res.n_test, res.batch_size)
    if res.diverged or not math.isfinite(res.mi) or ceiling is None:
        return None
    value, what = ceiling
    if res.mi <= value - th["CEILING_MARGIN"]:
        return None
    return (f"the estimate {res.mi:.2f} nats is within {th['CEILING_MARGIN']:g} nat of {what}, the most "
            "this read-out can show: the true MI may be much higher. Use more samples (the ceiling grows "
            "as log n) and read the number as a lower bound.")


def _few_samples(res, data, th):
    """Few training rows per input dimension."""
    dims = data.x.shape[1] + data.z.shape[1]
    neural = get_estimator(res.estimator).neural
    rows = res.n_train + res.n_val if neural else len(data.x)
    if rows >= th["MIN_ROWS_PER_DIM"] * dims:
        return None
    why = "the critic can memorise its training pairs" if neural else "KSG's nearest neighbours lie far apart"
    return (f"only {rows} {'training rows' if neural else 'rows'} for {dims} input dimensions "
            f"(fewer than {th['MIN_ROWS_PER_DIM']} per dimension): {why} and the estimate is likely low. "
            "Use more samples, or fewer dimensions (e.g. PCA first).")


def _train_gap(res, data, th):
    """The critic scores its training pairs far higher than new ones: ``train_mi - mi`` above
    ``max(GAP_MIN, GAP_FRACTION * mi)``, so the truth may lie more than 30% above the estimate."""
    gap = res.train_mi - res.mi
    if not math.isfinite(gap) or gap <= max(th["GAP_MIN"], th["GAP_FRACTION"] * max(res.mi, 0.0)):
        return None
    return (f"the critic scores {res.train_mi:.2f} nats on its own training pairs and {res.mi:.2f} on "
            "held-out pairs: it fitted its sample more than the dependence, and the MI may lie "
            f"anywhere up to about {res.train_mi:.2f} nats (the interval's upper end). More samples "
            "narrow the gap.")


def _well_above(baseline: float, res: MIEstimate, th) -> bool:
    """Whether a baseline lies clearly above the estimate: beyond its interval and by a real gap."""
    upper = res.interval[1] if math.isfinite(res.mi_std) else res.mi
    gap = baseline - res.mi
    return (baseline - upper > th["BASELINE_MARGIN"]
            and gap > max(th["BASELINE_GAP"], th["BASELINE_FRACTION"] * baseline))


def _below_gaussian(res, data, th):
    """Well below the bias-corrected Gaussian (CCA) baseline of the normal scores (the plain
    plug-in reads ``dx dz / (2 n)`` too high, enough at 50x50 to flag accurate estimates)."""
    if res.diverged or not math.isfinite(res.mi):
        return None
    try:
        baseline = gaussian_baseline_mi(*data.normal_scores, bias_corrected=True)
        if max(abs(relative_kurtosis(a) - 1.0) for a in data.normal_scores) > th["KURTOSIS_TOL"]:
            baseline = min(baseline, best_pair_bound(*data.normal_scores))
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not _well_above(baseline, res, th):
        return None
    return (f"the estimate {res.mi:.2f} nats is well below {baseline:.2f} nats, the MI of a Gaussian with the "
            "correlations of the normal scores of x and z: the critic likely missed dependence that a "
            "linear model sees. Pass more samples or steps, a wider hidden=..., or compare with estimator='ksg'.")


def relative_kurtosis(a: np.ndarray) -> float:
    """Mardia's multivariate kurtosis of ``a (n, d)`` over its Gaussian value ``d (d + 2)``: about
    1 for Gaussian rows (and exactly 1 for normal scores in one dimension), far from 1 for rows on
    a low-dimensional manifold or with a shared random scale (chapter 13's families)."""
    w = _whiten(a)
    d = w.shape[1]
    return float(np.mean((w * w).sum(1) ** 2) / (d * (d + 2)))


def best_pair_bound(x: np.ndarray, z: np.ndarray) -> float:
    """A lower bound on ``I(X; Z)`` from the canonical pairs of ``x (n, dx)``, ``z (n, dz)``: the
    largest ``-log(1 - r^2) / 2`` over pairs ``(u_i, v_i)``, ``r`` the correlation of their normal
    scores (a function of x and one of z, with Gaussian marginals: the Gaussian copula has the
    least MI for its correlation). Where the rows are no Gaussian copula, the sum over pairs that
    :func:`gaussian_baseline_mi` takes can exceed the MI (smooth embeddings of a few latent
    dimensions, whose nonlinear features correlate too)."""
    wx, wz = _whiten(x), _whiten(z)
    u, _, vt = np.linalg.svd(wx.T @ wz / (len(x) - 1), full_matrices=False)
    n = len(x)
    best = 0.0
    for i in range(min(u.shape[1], vt.shape[0])):
        a, b = (ndtri((rankdata(c) - 0.5) / n) for c in (wx @ u[:, i], wz @ vt[i]))
        r = min(abs(float(np.corrcoef(a, b)[0, 1])), 1.0 - 1e-12)
        best = max(best, -0.5 * math.log1p(-r * r))
    return best


def _below_ksg(res, data, th):
    """Well below KSG (k = 3) on the normal scores of (a fixed subsample of) the rows."""
    if res.diverged or not math.isfinite(res.mi):
        return None
    x, z = data.normal_scores
    if x.shape[1] + z.shape[1] > th["KSG_MAX_DIMS"]:  # a k-d tree in hundreds of dimensions takes
        return None                                   # minutes, and KSG there reads near 0 anyway
    rows = int(th["KSG_ROWS_LOW_DIM"] if x.shape[1] + z.shape[1] <= 10 else th["KSG_ROWS"])
    if len(x) > rows:  # a fixed subsample (seed 0, whatever the estimate's seed): KSG costs about n^2
        keep = np.random.default_rng(0).choice(len(x), rows, replace=False)
        x, z = x[keep], z[keep]
    try:
        reference = ksg(x, z, k=3)
    except ValueError:
        return None
    if not _well_above(reference, res, th):
        return None
    return (f"the estimate {res.mi:.2f} nats is well below {reference:.2f} nats, the KSG estimate (k = 3) of "
            f"the normal scores of {len(x)} rows, which is itself usually low in many dimensions: the critic "
            "likely missed dependence. Pass more samples or more steps, or report the KSG value beside it.")


def _tail_dependence(res, data, th):
    """x and z are extreme together far more often than their correlations explain (chapter 12).

    Data, not training, decide this check: it fires on a multivariate Student-t (one random
    scale shared by x and z), where chapter 12's estimators all read low at n = 5000 with
    intervals that miss the truth, and (beyond a 5-sigma chance) not on a Gaussian or a
    per-coordinate monotone transform of one. It also fires on U-shaped dependence such as
    ``y = x**2 + noise``, which critics read well: a flag names the kind of data, not an error.
    """
    try:
        far = max(abs(relative_kurtosis(a) - 1.0) for a in data.normal_scores) > th["KURTOSIS_TOL"]
        tails = joint_extremes(data.x, data.z, correlated_only=far)
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not tails["excess"] > max(th["TAIL_EXCESS"], th["TAIL_Z"] * tails["null_sd"]):
        return None
    return (f"of the rows whose x is in the top 5% of its sizes, {tails['observed']:.0%} also have z in its "
            f"top 5%, against {tails['null_mean']:.0%} for a Gaussian with the same correlations: dependence "
            "in the tails (as in Student-t data, where x and z share one random scale), which critics and KSG "
            "learn slowly. On chapter 12's Student-t tasks the estimates read low with intervals that miss "
            "the truth (5x5: 1.12 of 1.47 nats at n = 5000, 1.25 at n = 50,000). Read the estimate as a lower "
            "bound; more samples help, slowly.")


def _near_zero(res, data, th):
    """The 95% interval reaches 0: no dependence the critics could tell from noise."""
    if res.diverged or not (math.isfinite(res.mi) and math.isfinite(res.mi_std)):
        return None
    low, high = res.interval
    if low > 0:
        return None
    return (f"the estimate {res.mi:.2f} nats cannot be told from 0 (95% interval [{low:.2f}, {high:.2f}]): "
            "the critics found no dependence. A lower bound near 0 does not bound the MI from above: "
            "dependence that the critics cannot learn from this sample reads 0 too. Test for any "
            "dependence with minebook.permutation_test(x, z); if you expect some, pass more samples "
            "or steps, or compare with estimator='ksg'.")


#: Below this many effective marginal pairs (``MIEstimate.ess``) a held-out DV/NWJ read-out is
#: decided by a handful of samples: ``estimate_mi`` warns (chapter 12).
MIN_EFFECTIVE_PAIRS = 100
#: Below this many training rows per input dimension ``estimate_mi`` warns (``few_samples``).
MIN_ROWS_PER_DIM = 20
_BASELINE = dict(BASELINE_MARGIN=0.02, BASELINE_GAP=0.05, BASELINE_FRACTION=0.05)

#: The checks, in the order they run; ``CHECKS[name].thresholds`` holds the numbers.
CHECKS: dict[str, Check] = {c.name: c for c in (
    Check("diverged", _diverged, {}, "NaN/inf, or a held-out estimate above log(n_test): more than "
          "the sample can support (McAllester and Stratos 2020)", marks_diverged=True),
    Check("few_pairs", _few_pairs, dict(MIN_EFFECTIVE_PAIRS=MIN_EFFECTIVE_PAIRS),
          "Kish's effective number of held-out marginal pairs behind log E[e^T] is below "
          "MIN_EFFECTIVE_PAIRS: a few extreme samples decide the estimate"),
    Check("still_rising", _still_rising, dict(RISE_MIN=0.05, RISE_FRACTION=0.03),
          "the mean training estimate over the last tenth of the steps exceeds the previous tenth's "
          "by more than RISE_MIN nats and RISE_FRACTION of the estimate, and that tenth exceeded the "
          "one before it: the critic is undertrained"),
    Check("near_ceiling", _near_ceiling, dict(CEILING_MARGIN=1.0),
          "within CEILING_MARGIN nats of log(n_test) (DV read-outs) or log(batch_size) (InfoNCE), "
          "the most the read-out can show"),
    Check("few_samples", _few_samples, dict(MIN_ROWS_PER_DIM=MIN_ROWS_PER_DIM),
          "fewer than MIN_ROWS_PER_DIM training rows per dimension of (x, z)", ksg=True, per_coordinate=True),
    Check("train_gap", _train_gap, dict(GAP_MIN=0.1, GAP_FRACTION=0.3),
          "the read-out on the critic's own training rows (MIEstimate.train_mi) exceeds the held-out "
          "estimate by more than GAP_MIN nats and GAP_FRACTION of it: the truth may lie more than "
          "30% above the estimate"),
    Check("below_gaussian", _below_gaussian, dict(_BASELINE, KURTOSIS_TOL=0.1),
          "the Gaussian (CCA) baseline of the normal scores of all rows, less its plug-in bias "
          "dx dz / (2 n), lies above the upper end of the 95% interval by more than BASELINE_MARGIN "
          "and above the estimate by more than BASELINE_GAP nats and BASELINE_FRACTION of itself "
          "(for one-dimensional x and z a lower bound on the MI: the Gaussian copula has the least "
          "MI for given normal-score correlations; in more dimensions a good guess, not a bound). "
          "Where a block's normal scores are no Gaussian copula (Mardia's kurtosis more than "
          "KURTOSIS_TOL from its Gaussian value), the baseline is at most best_pair_bound, a bound",
          continuous_only=True, per_coordinate=True),
    Check("below_ksg", _below_ksg, dict(_BASELINE, KSG_ROWS=2000, KSG_ROWS_LOW_DIM=10_000, KSG_MAX_DIMS=100),
          "KSG (k = 3) on the normal scores of at most KSG_ROWS rows (KSG_ROWS_LOW_DIM when "
          "dx + dz <= 10) exceeds the estimate by the margins of below_gaussian; KSG is biased low in "
          "many dimensions, so it rarely exceeds an accurate estimate (skipped above KSG_MAX_DIMS "
          "dimensions, where its k-d tree took 31 s on 2000 rows of 784 pixels and reads near 0)", scope="estimate_mi",
          continuous_only=True, per_coordinate=True),
    Check("tail_dependence", _tail_dependence, dict(TAIL_EXCESS=0.1, TAIL_Z=5.0, KURTOSIS_TOL=0.1),
          "of the rows whose x is among the 5% largest (Mahalanobis norm of its normal scores), the "
          "fraction whose z is too exceeds that of Gaussian samples with the same canonical "
          "correlations (joint_extremes) by more than TAIL_EXCESS and TAIL_Z standard deviations: "
          "dependence in the tails, which critics and KSG learn slowly; a property of the data (it "
          "also fires where an estimate is accurate, e.g. y = x**2 + noise); where a block's normal "
          "scores are no Gaussian copula (Mardia's kurtosis more than KURTOSIS_TOL from its Gaussian "
          "value: a few latent dimensions, a shared scale), sizes are taken along the correlated "
          "canonical directions only (joint_extremes(correlated_only=True))",
          scope="estimate_mi", ksg=True, continuous_only=True, per_coordinate=True),
    Check("near_zero", _near_zero, {},
          "the lower end of the 95% interval is at most 0: no dependence found. A lower bound near 0 "
          "bounds nothing from above (chapter 12's 25x25 spiral, 1.02 nats, reads 0.00); on "
          "independent data 0 is right, and minebook.permutation_test says whether any dependence "
          "is there", scope="estimate_mi"),
)}


def run_checks(res: MIEstimate, data: CheckData | tuple, *, full: bool = True,
               per_coordinate: bool = True) -> None:
    """Run every check of :data:`CHECKS` that applies to ``res`` (chapter 3).

    ``data``: the ``(x, z)`` the estimate was made from (or a :class:`CheckData`). ``full=False``
    skips the ``scope="estimate_mi"`` checks of neural estimates (what
    :func:`minebook.estimate_mi_many` runs per member). A run already marked diverged is not
    checked for divergence again. ``per_coordinate=False`` skips the checks that read the inputs
    coordinate by coordinate (:attr:`Check.per_coordinate`), as for a reader's own critic module
    on images (chapter 13).
    """
    data = data if isinstance(data, CheckData) else CheckData(*data)
    record = get_estimator(res.estimator)
    neural = record.neural
    for check in CHECKS.values():
        if (check.continuous_only and not record.continuous) or (check.per_coordinate and not per_coordinate):
            continue
        if not neural:
            if check.ksg:
                check.apply(res, data)
            continue
        if (check.scope == "estimate_mi" and not full) or (check.marks_diverged and res.diverged):
            continue
        check.apply(res, data)


def flag_divergence(res: MIEstimate) -> bool:
    """Only the ``diverged`` check (what ``estimate_mi_many(..., checks=False)`` keeps)."""
    return CHECKS["diverged"].apply(res)


# --------------------------------------------------------------------------- baselines
def gaussian_baseline_mi(x, z, bias_corrected: bool = False) -> float:
    """The Gaussian (CCA) estimate: the MI of a Gaussian with the sample covariance (chapter 12).

    ``-1/2 sum_i log(1 - r_i^2)`` over the canonical correlations ``r_i`` of ``x (n, dx)`` and
    ``z (n, dz)``, computed as ``mvn_mi`` of the sample covariance. Exact (consistent) for
    Gaussian data; for anything else it measures only the linear dependence. Nats.

    Sample correlations are never exactly 0, so the plug-in is biased upwards by about
    ``dx dz / (2 n)`` (``n sum_i r_i^2`` is chi-squared with ``dx dz`` degrees of freedom for
    independent blocks): 0.25 nats at 50x50 and n = 5000, where it reads 1.89 for a truth of
    1.62. ``bias_corrected=True`` subtracts that term.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    z = np.asarray(z, dtype=np.float64).reshape(len(z), -1)
    cov = np.cov(np.hstack([x, z]), rowvar=False)
    bias = x.shape[1] * z.shape[1] / (2.0 * len(x)) if bias_corrected else 0.0
    return mvn_mi(cov, x.shape[1]) - bias


def _whiten(a: np.ndarray) -> np.ndarray:
    """Rows of ``a (n, d)`` centred and whitened: ``(n, r)`` with identity sample covariance (r = rank)."""
    a = a - a.mean(axis=0)
    vals, vecs = np.linalg.eigh(np.atleast_2d(np.cov(a, rowvar=False)))
    keep = vals > 1e-10 * max(float(vals.max()), 1e-300)
    return a @ (vecs[:, keep] / np.sqrt(vals[keep]))


def _co_extreme(size_x: np.ndarray, size_z: np.ndarray, level: float) -> float:
    """``P(size_x and size_z both above their level-quantiles) / (1 - level)``: 1 = always together."""
    both = (size_x > np.quantile(size_x, level)) & (size_z > np.quantile(size_z, level))
    return float(both.mean() / (1.0 - level))


def joint_extremes(x, z, level: float = 0.95, reps: int = 20, max_rows: int = 20_000,
                   seed: int = 0, correlated_only: bool = False, min_rho: float = 0.1) -> dict:
    """How often ``x`` and ``z`` are extreme together, against a Gaussian with their correlations.

    Chapter 12 (behind the ``tail_dependence`` check). ``x (n, dx)``, ``z (n, dz)``: any
    samples; at most ``max_rows`` rows (a fixed subsample) are used, and each coordinate is
    replaced by its exact normal scores ``Phi^{-1}((rank - 1/2) / n)`` (ties share their mean
    rank; exact ranks, not the knots of :class:`minebook.preprocess.MarginalGaussianizer`, because
    the null below is computed from them), so only the copula matters. The *size* of a row is
    then its squared Mahalanobis norm within its own block (each block whitened); with
    ``correlated_only`` only along the canonical directions whose correlation is at least
    ``min_rho`` and half the largest one (all directions when none reaches ``min_rho``, as for a
    Student-t with identity dispersion, whose blocks are uncorrelated): data that live on a few
    latent dimensions (a smooth embedding) are extreme together along their correlated
    directions as a Gaussian is, while their uncorrelated nonlinear features would count as
    co-extreme in the full norm. ``observed``
    is the fraction of rows whose sizes are both in the top ``1 - level`` of their block, divided
    by ``1 - level`` (0.05 for independent blocks, 1 when the extremes always coincide).
    ``null_mean`` and ``null_sd`` are that fraction over ``reps`` Gaussian samples of the same
    size with the same canonical correlations (seeded by ``seed``; the check uses seed 0 whatever
    the estimate's seed, so a flag depends on the data only). A multivariate Student-t, whose
    ``x`` and ``z`` share one random scale, lies far above its null (5x5, df = 2: about 0.67
    against 0.16); any Gaussian, and any per-coordinate monotone transform of one, lies within a
    few ``null_sd`` of it. Returns ``dict(observed, null_mean, null_sd, excess)`` with
    ``excess = observed - null_mean``.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    z = np.asarray(z, dtype=np.float64).reshape(len(z), -1)
    if len(x) > max_rows:
        keep = np.random.default_rng(seed).choice(len(x), max_rows, replace=False)
        x, z = x[keep], z[keep]
    n = len(x)
    wx, wz = (_whiten(ndtri((rankdata(a, axis=0) - 0.5) / n)) for a in (x, z))
    left, rho, right = np.linalg.svd(wx.T @ wz / (n - 1), full_matrices=False)
    rho = np.clip(rho, 0.0, 1.0 - 1e-9)
    if correlated_only and rho[0] >= min_rho:  # sizes along the directions that carry the correlation
        keep = rho >= max(min_rho, rho[0] / 2)
        wx, wz, rho = wx @ left[:, keep], wz @ right[keep].T, rho[keep]
    observed = _co_extreme((wx * wx).sum(1), (wz * wz).sum(1), level)
    rng = np.random.default_rng([seed, 1])
    null, r = [], len(rho)
    for _ in range(reps):  # canonical coordinates: x_i = u_i, z_i = rho_i u_i + sqrt(1 - rho_i^2) e_i
        u = rng.standard_normal((n, wx.shape[1]))
        v = rng.standard_normal((n, wz.shape[1]))
        v[:, :r] = rho * u[:, :r] + np.sqrt(1.0 - rho**2) * v[:, :r]
        null.append(_co_extreme((u * u).sum(1), (v * v).sum(1), level))
    null_mean, null_sd = float(np.mean(null)), float(np.std(null, ddof=1))
    return {"observed": observed, "null_mean": null_mean, "null_sd": null_sd,
            "excess": observed - null_mean}


# --------------------------------------------------------------------------- reporting
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


#: The start of the few-effective-pairs warning, as a ``warnings`` message pattern.
_FEW_PAIRS_PATTERN = r"estimate_mi \(\w+\): the held-out partition term rests on"


@contextmanager
def few_pairs_reported():
    """Silence only the few-effective-pairs warning, for callers that report
    :attr:`MIEstimate.ess` themselves (e.g. with :func:`ess_summary`); divergence warnings
    still show (chapters 10-12)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_FEW_PAIRS_PATTERN, category=RuntimeWarning)
        yield
