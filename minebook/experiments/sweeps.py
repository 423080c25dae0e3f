"""Sweep runners: one estimator over a grid of parameters x seeds as ONE batched ensemble.

Introduced in chapter 6 (MINE against KSG on Gaussians) and used again in chapter 7
(equitability). A sweep is a list of parameter values (``rho``, or ``(f, sigma)`` pairs), a
``sample(param, data_seed) -> (x, z)`` function, the true MI of every value (nats) and a
number of seeds. :func:`run_sweep` draws one data set per (value, seed), hands all of them
to :func:`minebook.estimate_mi_many` at once (K = values x seeds critics with stacked
weights, one batched matmul per layer) and returns a :class:`Sweep` whose ``values`` is a
tidy ``(n_params, n_seeds)`` array of held-out estimates in nats.

Also here: tolerance checks with a relative part and an absolute floor, plain-text error
tables (the book prints no HTML tables), and the ground truth of the equitability task on a
whole grid, with an independent Monte-Carlo check of it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.special import digamma

from ..data import EQUITABILITY_FUNCTIONS, equitability_mi, equitability_sample
from ..estimate import MIEstimate, estimate_mi_many
from ..threads import thread_cap
from ..validation import check_pair, check_positive_int

__all__ = [
    "Sweep", "data_seed", "make_pairs", "run_sweep", "ensemble_step_cost", "ksg_bruteforce", "tolerance", "within",
    "error_table", "equitability_truth", "equitability_r2", "equitability_mi_monte_carlo",
]


@dataclass
class Sweep:
    """The estimates of one estimator over a grid of parameters and seeds (chapter 6).

    ``params``: the P parameter values (a list; floats or tuples). ``truth``: ``(P,)`` true MI,
    nats. ``values``: ``(P, S)`` held-out estimates, nats (``values[i, s]`` is value i, seed s).
    ``mi_std``: ``(P, S)`` read-out standard errors (NaN for KSG). ``diverged``: ``(P, S)``
    bools. ``seconds``: wall-clock seconds of the whole sweep; ``steps`` training steps
    (0 for KSG); ``n``: samples per data set.
    """

    estimator: str
    params: list
    truth: np.ndarray
    values: np.ndarray
    mi_std: np.ndarray = field(repr=False)
    diverged: np.ndarray = field(repr=False)
    seconds: float = 0.0
    steps: int = 0
    n: int = 0

    @property
    def mean(self) -> np.ndarray:
        """Mean estimate over seeds, ``(P,)`` nats."""
        return self.values.mean(axis=1)

    @property
    def spread(self) -> np.ndarray:
        """Standard deviation over seeds (ddof=1 when S > 1), ``(P,)`` nats."""
        ddof = 1 if self.values.shape[1] > 1 else 0
        return self.values.std(axis=1, ddof=ddof)

    @property
    def error(self) -> np.ndarray:
        """Signed error of the seed mean, ``mean - truth``, ``(P,)`` nats."""
        return self.mean - self.truth

    @property
    def abs_error(self) -> np.ndarray:
        """``|mean - truth|``, ``(P,)`` nats."""
        return np.abs(self.error)

    @property
    def seconds_per_step(self) -> float:
        """Wall-clock seconds per training step of the whole ensemble (read-out included)."""
        return self.seconds / self.steps if self.steps else float("nan")

    @property
    def n_members(self) -> int:
        """How many critics (or KSG runs) the sweep trained: P x S."""
        return int(self.values.size)


def data_seed(seed: int, i: int, s: int) -> int:
    """An independent data seed for parameter index ``i`` and seed index ``s`` (chapter 6).

    Derived with ``numpy.random.SeedSequence([seed, i, s])`` so that no two cells of a sweep
    share random numbers and the same ``seed`` always gives the same data.
    """
    return int(np.random.SeedSequence([int(seed), int(i), int(s)]).generate_state(1)[0])


def make_pairs(sample: Callable, params: Sequence, n_seeds: int, seed: int = 0) -> list[tuple]:
    """``[sample(param_i, data_seed(seed, i, s)) ...]`` in value-major order (chapter 6).

    Member ``k = i * n_seeds + s`` holds value ``i``, seed ``s``: a list of P x S ``(x, z)``
    pairs ready for :func:`minebook.estimate_mi_many`.
    """
    return [sample(p, data_seed(seed, i, s)) for i, p in enumerate(params) for s in range(n_seeds)]


def run_sweep(sample: Callable, params: Sequence, truth, estimator: str, *, n_seeds: int = 3,
              seed: int = 0, **kwargs) -> Sweep:
    """Estimate MI on every (value, seed) cell with ONE ``estimate_mi_many`` call (chapter 6).

    ``sample(param, data_seed) -> (x (n, dx), z (n, dz))`` must give the same shapes for
    every value. ``truth``: ``(P,)`` true MI in nats. ``kwargs`` go to
    :func:`minebook.estimate_mi_many` (``steps``, ``batch_size``, ``hidden``, ``k`` ...); its
    member k gets training seed ``seed + k``. ``estimator="ksg_bruteforce"`` runs
    :func:`ksg_bruteforce` (the same KSG estimate, faster in high dimension) on every cell
    instead, ``workers`` cells at a time in threads (default: one per core this process may
    use, :func:`minebook.threads.thread_cap`; numpy releases the GIL). Returns a :class:`Sweep`
    with ``(P, S)`` arrays. The ``RuntimeWarning`` that
    ``estimate_mi_many`` issues for each flagged member is not shown: the flags are in
    ``Sweep.diverged`` (count them in the chapter); nor is the few-effective-pairs warning.
    """
    params = list(params)
    truth = np.asarray(truth, dtype=np.float64).reshape(-1)
    if len(truth) != len(params):
        raise ValueError(f"truth has {len(truth)} values for {len(params)} parameters.")
    pairs = make_pairs(sample, params, n_seeds, seed)
    start = time.perf_counter()
    if estimator == "ksg_bruteforce":
        k = kwargs.get("k", 3)
        with ThreadPoolExecutor(max_workers=kwargs.get("workers") or thread_cap()) as pool:
            ests = list(pool.map(lambda pair: ksg_bruteforce(*pair, k=k, as_estimate=True), pairs))
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"estimate_mi \(", category=RuntimeWarning)
            ests = estimate_mi_many(pairs, estimator=estimator, seed=seed, **kwargs)
    seconds = time.perf_counter() - start
    shape = (len(params), n_seeds)

    def grid(attr):
        return np.array([getattr(e, attr) for e in ests]).reshape(shape)

    steps = 0 if estimator.startswith("ksg") else int(kwargs.get("steps", 3000))
    return Sweep(estimator=estimator, params=params, truth=truth, values=grid("mi"),
                 mi_std=grid("mi_std"), diverged=grid("diverged"), seconds=seconds,
                 steps=steps, n=len(pairs[0][0]))


def ensemble_step_cost(x, z, n_members: int, steps: tuple[int, int] = (10, 60), **kwargs) -> float:
    """Wall-clock seconds per training step of an ensemble of ``n_members`` critics on ``(x, z)`` (chapter 6).

    Times :func:`minebook.estimate_mi_many` on ``n_members`` copies of ``(x, z)`` at two step
    counts and divides the difference by the difference in steps, so that set-up and the
    held-out read-out cancel. ``kwargs`` as for ``estimate_mi_many`` (``batch_size``, ``hidden`` ...).
    Depends on the machine and its load: compare numbers measured together.
    """
    lo, hi = steps
    if not 0 < lo < hi:
        raise ValueError(f"steps must be two increasing positive counts; got {steps}.")
    pairs = [(x, z)] * check_positive_int(n_members, "n_members")
    kwargs = dict(kwargs, n_shuffles=1)
    times = []
    for s in (lo, hi):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            estimate_mi_many(pairs, steps=s, **kwargs)
        times.append(time.perf_counter() - start)
    return max(times[1] - times[0], 0.0) / (hi - lo)


def _max_norm_into(out: np.ndarray, tmp: np.ndarray, a: np.ndarray, b_t: np.ndarray) -> np.ndarray:
    """Max-norm distances of rows ``a (c, d)`` to all columns of ``b_t (d, n)``, written into ``out (c, n)``."""
    np.subtract(a[:, 0:1], b_t[0][None, :], out=out)
    np.abs(out, out=out)
    for j in range(1, a.shape[1]):
        np.subtract(a[:, j:j + 1], b_t[j][None, :], out=tmp)
        np.abs(tmp, out=tmp)
        np.maximum(out, tmp, out=out)
    return out


def ksg_bruteforce(x, z, k: int = 3, chunk: int = 256, as_estimate: bool = False):
    """KSG algorithm 1 by brute force (float32 numpy), in nats: :func:`minebook.ksg` without trees.

    ``x (n, dx)``, ``z (n, dz)``. For each block of ``chunk`` rows it forms the max-norm
    distances to all n samples in each marginal space, takes ``eps_i`` as the (k+1)-th
    smallest joint distance ``max(d_x, d_z)`` (the first is the sample itself) and counts
    the samples strictly closer than ``eps_i`` in each marginal:
    ``I = psi(k) + psi(n) - < psi(n_x + 1) + psi(n_z + 1) >``. O(n^2 (dx + dz)) work in
    O(chunk n) memory, single-threaded: in d = 10 it is several times faster than the k-d
    trees of :func:`minebook.ksg`, which degrade to brute force there anyway. Continuous data
    only (exact duplicates raise); agrees with :func:`minebook.ksg` up to float32 rounding
    (tested). ``as_estimate=True`` returns a :class:`minebook.MIEstimate`. Introduced in chapter 6.
    """
    x, z = check_pair(x, z)
    k = check_positive_int(k, "k")
    n = len(x)
    if n <= k:
        raise ValueError(f"KSG needs more samples than neighbours: n={n}, k={k}.")
    start = time.perf_counter()
    x, z = x.astype(np.float32), z.astype(np.float32)
    x_t, z_t = np.ascontiguousarray(x.T), np.ascontiguousarray(z.T)
    d_x, d_z, tmp = (np.empty((min(chunk, n), n), dtype=np.float32) for _ in range(3))
    n_x, n_z = np.empty(n), np.empty(n)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        c = hi - lo
        dx_c = _max_norm_into(d_x[:c], tmp[:c], x[lo:hi], x_t)
        dz_c = _max_norm_into(d_z[:c], tmp[:c], z[lo:hi], z_t)
        np.maximum(dx_c, dz_c, out=tmp[:c])
        eps = np.partition(tmp[:c], k, axis=1)[:, k:k + 1]
        if np.any(eps == 0):
            raise ValueError("duplicate samples (eps_i = 0): use minebook.ksg, which handles ties.")
        n_x[lo:hi] = np.count_nonzero(dx_c < eps, axis=1) - 1
        n_z[lo:hi] = np.count_nonzero(dz_c < eps, axis=1) - 1
    terms = digamma(k) - digamma(n_x + 1) - digamma(n_z + 1)
    value = float(digamma(n) + terms.mean())
    if not as_estimate:
        return value
    return MIEstimate(mi=value, mi_std=float(terms.std() / np.sqrt(n)), estimator="ksg", n_test=n,
                      seconds=time.perf_counter() - start)


def tolerance(truth, rel: float, floor: float) -> np.ndarray:
    """The allowed error ``max(rel * |truth|, floor)`` in nats, same shape as ``truth`` (chapter 6).

    A purely relative tolerance is zero at zero MI, which no finite-sample estimator can
    meet; the absolute ``floor`` (nats) takes over there.
    """
    return np.maximum(rel * np.abs(np.asarray(truth, dtype=np.float64)), floor)


def within(values, truth, rel: float, floor: float) -> np.ndarray:
    """``|values - truth| <= tolerance(truth, rel, floor)``, elementwise bools (chapter 6).

    ``values``: ``(P,)`` or ``(P, S)``; ``truth``: ``(P,)`` (broadcast over seeds).
    """
    values = np.asarray(values, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    if values.ndim == 2:
        truth = truth[:, None]
    return np.abs(values - truth) <= tolerance(truth, rel, floor)


def error_table(sweeps: Mapping[str, Sweep], param_name: str = "rho",
                param_fmt: Callable[[object], str] = "{:+.2f}".format) -> str:
    """A plain-text table: one row per value; truth, then mean ± sd over seeds and error per estimator.

    ``sweeps`` maps a column label to a :class:`Sweep`; all share the same ``params`` and
    ``truth``. Numbers are nats with 3 decimals. Introduced in chapter 6.
    """
    sweeps = dict(sweeps)
    first = next(iter(sweeps.values()))
    width = max(9, max(len(param_fmt(p)) for p in first.params))
    head = f"{param_name:>{width}} {'truth':>8}"
    for label in sweeps:
        head += f" | {label + ' (mean ± sd)':>22} {'error':>8}"
    lines = [head, "-" * len(head)]
    for i, p in enumerate(first.params):
        row = f"{param_fmt(p):>{width}} {first.truth[i]:8.3f}"
        for sw in sweeps.values():
            row += f" | {sw.mean[i]:13.3f} ± {sw.spread[i]:6.3f} {sw.error[i]:+8.3f}"
        lines.append(row)
    return "\n".join(lines)


def equitability_truth(fs: Sequence[str], sigmas: Sequence[float], n_x: int = 401,
                       n_y: int = 1201) -> np.ndarray:
    """True ``I(X;Y)`` of the equitability task on a grid, ``(len(fs), len(sigmas))`` nats (chapter 7).

    Calls :func:`minebook.equitability_mi` with a coarser grid than its default (401 x 1201
    instead of 4001 x 4001): about 30 times faster, and within 1e-4 nats of the default for
    ``sigma >= 0.01`` (checked in ``tests/test_sweeps.py``).
    """
    return np.array([[equitability_mi(f, s, n_x=n_x, n_y=n_y) for s in sigmas] for f in fs])


def equitability_r2(f: str, sigmas) -> np.ndarray:
    """The noise level as Reshef's R^2: ``Var f(X) / (Var f(X) + sigma^2)``, ``(len(sigmas),)`` (chapter 7).

    ``X ~ U(-1, 1)``; ``Var f(X)`` by the midpoint rule on 200,001 points (exact to ~1e-10).
    """
    fn = EQUITABILITY_FUNCTIONS[f]
    m = 200_001
    xs = -1 + (np.arange(m) + 0.5) * (2.0 / m)
    var = np.var(fn(xs))
    s2 = np.asarray(sigmas, dtype=np.float64) ** 2
    return var / (var + s2)


def equitability_mi_monte_carlo(f: str, sigma: float, n: int = 5_000, seed: int = 0,
                                n_grid: int | None = None) -> tuple[float, float]:
    """Monte-Carlo ``I(X;Y) = E[log p(y|x) - log p(y)]`` and its standard error, nats (chapter 7).

    An independent check of the quadrature: samples from :func:`minebook.equitability_sample`,
    ``log p(y|x)`` exact, and ``p(y) = 1/2 int_{-1}^{1} N(y; f(x), sigma^2) dx`` by Simpson's
    rule on ``n_grid`` x-points (no cell linearisation). By default ``n_grid`` puts 20 points
    within one ``sigma / max|f'|`` of x, enough for Simpson's rule on a Gaussian bump.
    """
    from scipy.special import logsumexp

    fn = EQUITABILITY_FUNCTIONS[f]
    if n_grid is None:
        probe = np.linspace(-1.0, 1.0, 2001)
        slope = np.max(np.abs(np.diff(fn(probe)))) / (probe[1] - probe[0])
        n_grid = 2 * int(np.ceil(20 * slope / sigma)) + 1
        n_grid = max(n_grid, 201)
    if n_grid % 2 == 0:
        raise ValueError(f"Simpson's rule needs an odd n_grid; got {n_grid}.")

    x, y = equitability_sample(n, f, sigma, seed)
    x, y = x[:, 0], y[:, 0]
    log_norm = -0.5 * np.log(2 * np.pi * sigma**2)
    log_cond = log_norm - 0.5 * ((y - fn(x)) / sigma) ** 2
    grid = np.linspace(-1.0, 1.0, n_grid)
    f_grid = fn(grid)
    # Simpson weights 1, 4, 2, 4, ..., 4, 1 (times h/3); log p(y) = logsumexp(log w + log N).
    w = np.ones(n_grid)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    w *= (grid[1] - grid[0]) / 3.0
    log_marg = np.empty(n)
    for s in range(0, n, 1000):
        yy = y[s:s + 1000, None]
        log_marg[s:s + 1000] = logsumexp(np.log(w) - 0.5 * ((yy - f_grid) / sigma) ** 2, axis=1)
    log_marg += log_norm + np.log(0.5)
    ratio = log_cond - log_marg
    return float(ratio.mean()), float(ratio.std(ddof=1) / np.sqrt(n))
