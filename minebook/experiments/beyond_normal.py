"""Non-Gaussian tasks with known mutual information, after Czyż et al. (2023), "Beyond Normal".

Two families, both implemented here from their definitions:

* **Invertible transforms of a Gaussian task.** If ``f`` and ``g`` are invertible (and
  differentiable), ``I(f(X); g(Z)) = I(X; Z)``: the transformed task keeps the Gaussian's
  closed-form MI while its marginals and its dependence look nothing like a Gaussian.
  Transforms: ``half_cube`` (``a |a|^{1/2}``, heavier tails), ``asinh`` (lighter tails),
  ``normal_cdf`` (uniform marginals) act coordinate-wise; ``spiral`` rotates the whole vector
  by an angle that grows with its squared norm.
* **The multivariate Student-t.** Its MI is that of the Gaussian with the same dispersion
  matrix plus a correction that depends only on the degrees of freedom and the two
  dimensions (:func:`student_t_mi_correction`).

Plus the Gaussian (CCA) baseline estimator, exact for Gaussian data only, and the helper
that runs every estimator on every task. Samples are float64 arrays ``x (n, dx)``,
``z (n, dz)``; MI in nats. Introduced in chapter 12.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy.special import gammaln, ndtr, ndtri, psi

from ..checks import gaussian_baseline_mi
from ..data import TRANSFORMS as _CORE_TRANSFORMS
from ..data import mvn_mi, sample_mvn
from ..estimate import estimate_mi_many
from ..estimators import get_estimator
from ..ksg import ksg
from ..readouts import dv_read_out, shifted_scores

__all__ = [
    "SPIRAL_SPEED", "spiral", "INVERTIBLE_TRANSFORMS", "apply_transform", "invert_transform",
    "student_t_entropy_term", "student_t_mi_correction", "student_t_mi", "sample_student_t",
    "student_t_logpdf", "student_t_log_ratio", "student_t_true_read_out",
    "Task", "gaussian_task", "transformed_task", "student_t_task", "two_pair_cov",
    "beyond_normal_tasks", "trust_tasks", "run_estimators", "trust_counts",
    "additive_uniform_mi", "sample_additive_uniform", "wiggly_x", "wiggly_z", "mixture_icdf",
    "swiss_roll", "dense_cov", "paired_task", "czyz_tasks",
]


# --------------------------------------------------------------------------- transforms
#: Radians of rotation per unit of squared norm in :func:`spiral`.
SPIRAL_SPEED = 0.5


def spiral(a, speed: float = SPIRAL_SPEED, inverse: bool = False,
           plane: tuple[int, int] = (0, 1)) -> np.ndarray:
    """The spiral diffeomorphism of Czyż et al.: rotate ``a`` by an angle ``speed * |a|^2`` (chapter 12).

    ``a (n, d)`` with ``d > max(plane)``; the rotation acts in the plane of coordinates
    ``plane`` (the rotation ``exp(speed |a|^2 A)`` with ``A`` the canonical generator of so(d)
    for that plane). A rotation keeps the norm, so ``|f(a)| = |a|`` and the inverse rotates
    back by the same angle: the map is invertible (``inverse=True`` applies the inverse).
    Returns ``(n, d)``.
    """
    a = np.asarray(a, dtype=np.float64)
    i, j = plane
    if a.ndim != 2 or not 0 <= i < j < a.shape[1]:
        raise ValueError(f"spiral in the plane {plane} needs (n, d) inputs with d > {j}; "
                         f"got shape {a.shape}.")
    angle = speed * np.sum(a * a, axis=1) * (-1.0 if inverse else 1.0)
    c, s = np.cos(angle), np.sin(angle)
    out = a.copy()
    out[:, i] = c * a[:, i] - s * a[:, j]
    out[:, j] = s * a[:, i] + c * a[:, j]
    return out


#: name -> (forward, inverse) of the invertible transforms; the coordinate-wise ones reuse
#: ``minebook.data.TRANSFORMS`` for the forward map.
INVERTIBLE_TRANSFORMS: dict[str, tuple[Callable, Callable]] = {
    "half_cube": (_CORE_TRANSFORMS["half_cube"], lambda b: np.sign(b) * np.abs(b) ** (2.0 / 3.0)),
    "asinh": (_CORE_TRANSFORMS["asinh"], np.sinh),
    "normal_cdf": (_CORE_TRANSFORMS["normal_cdf"], ndtri),
    "spiral": (spiral, lambda b: spiral(b, inverse=True)),
}


def _check_transform(name: str) -> tuple[Callable, Callable]:
    if name not in INVERTIBLE_TRANSFORMS:
        raise ValueError(f"unknown transform {name!r}; choose one of {sorted(INVERTIBLE_TRANSFORMS)}.")
    return INVERTIBLE_TRANSFORMS[name]


def apply_transform(a, name: str) -> np.ndarray:
    """Apply the invertible transform ``name`` to ``a (n, d)`` (chapter 12)."""
    return _check_transform(name)[0](np.asarray(a, dtype=np.float64))


def invert_transform(b, name: str) -> np.ndarray:
    """Undo :func:`apply_transform`: ``invert_transform(apply_transform(a, f), f) == a`` (chapter 12)."""
    return _check_transform(name)[1](np.asarray(b, dtype=np.float64))


# --------------------------------------------------------------------------- Student-t
def student_t_entropy_term(k: int, df: float) -> float:
    """``h(T) - 1/2 log det S - k/2 log(df pi)`` for a k-dimensional Student-t (chapter 12).

    The differential entropy of ``t_df(0, S)`` in ``k`` dimensions is
    ``1/2 log det S + k/2 log(df pi) + log G(df/2) - log G((df+k)/2)
    + (df+k)/2 [psi((df+k)/2) - psi(df/2)]`` (Arellano-Valle et al. 2013, eq. 7); this returns the
    last three terms, the only ones that do not cancel in the MI. Nats.
    """
    half = 0.5 * (df + k)
    return float(gammaln(0.5 * df) - gammaln(half) + half * (psi(half) - psi(0.5 * df)))


def student_t_mi_correction(df: float, dim_x: int, dim_z: int) -> float:
    """``I_t - I_Gauss`` for a multivariate Student-t with ``df`` degrees of freedom (chapter 12).

    ``c(df, m, n) = log G(df/2) + log G((df+m+n)/2) - log G((df+m)/2) - log G((df+n)/2)
    + (df+m)/2 psi((df+m)/2) + (df+n)/2 psi((df+n)/2) - (df+m+n)/2 psi((df+m+n)/2) - df/2 psi(df/2)``,
    from ``I = h(X) + h(Z) - h(X, Z)`` with Student-t marginals of the same ``df``. Positive, and
    independent of the dispersion matrix; it tends to 0 as ``df -> inf``. Nats.
    """
    if df <= 0:
        raise ValueError(f"df must be positive; got {df}.")
    return (student_t_entropy_term(dim_x, df) + student_t_entropy_term(dim_z, df)
            - student_t_entropy_term(dim_x + dim_z, df))


def student_t_mi(dispersion, dim_x: int, df: float) -> float:
    """Closed-form ``I(X; Z)`` of ``(X, Z) ~ t_df(0, dispersion)`` (chapter 12).

    The MI of the Gaussian with covariance ``dispersion`` (:func:`minebook.data.mvn_mi`) plus
    :func:`student_t_mi_correction`. Nats.
    """
    s = np.asarray(dispersion, dtype=np.float64)
    return mvn_mi(s, dim_x) + student_t_mi_correction(df, dim_x, len(s) - dim_x)


def sample_student_t(n: int, dispersion, dim_x: int, df: float, seed: int = 0):
    """``n`` samples of the multivariate Student-t, split as ``x (n, dim_x)``, ``z (n, d - dim_x)``.

    ``(x, z) = g / sqrt(u / df)`` with ``g ~ N(0, dispersion)`` and one ``u ~ chi2(df)`` per row,
    shared by ``x`` and ``z``: that shared scale is why the MI exceeds the Gaussian's (chapter 12).
    """
    x, z = sample_mvn(n, dispersion, dim_x, seed)
    u = np.random.default_rng([seed, 1]).chisquare(df, size=(n, 1))
    scale = 1.0 / np.sqrt(u / df)
    return x * scale, z * scale


def student_t_logpdf(a, dispersion, df: float) -> np.ndarray:
    """Log density of ``t_df(0, dispersion)`` at the rows of ``a (n, k)``, shape ``(n,)`` (chapter 12)."""
    a = np.asarray(a, dtype=np.float64)
    s = np.asarray(dispersion, dtype=np.float64)
    k = s.shape[0]
    chol = np.linalg.cholesky(s)
    sol = np.linalg.solve(chol, a.T)
    maha = np.sum(sol * sol, axis=0)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    return (gammaln(0.5 * (df + k)) - gammaln(0.5 * df) - 0.5 * k * np.log(df * np.pi) - 0.5 * log_det
            - 0.5 * (df + k) * np.log1p(maha / df))


def student_t_log_ratio(x, z, dispersion, df: float) -> np.ndarray:
    """``log p(x, z) - log p(x) - log p(z)`` for the Student-t task, shape ``(n,)`` (chapter 12).

    Marginals of a multivariate Student-t are Student-t with the same ``df`` and the diagonal
    blocks of the dispersion. The mean of this ratio under the joint is the MI: the Monte-Carlo
    check of :func:`student_t_mi`.
    """
    x, z = np.asarray(x, dtype=np.float64), np.asarray(z, dtype=np.float64)
    s = np.asarray(dispersion, dtype=np.float64)
    dx = x.shape[1]
    return (student_t_logpdf(np.hstack([x, z]), s, df) - student_t_logpdf(x, s[:dx, :dx], df)
            - student_t_logpdf(z, s[dx:, dx:], df))


def student_t_true_read_out(x, z, dispersion, df: float, n_test: int, n_shifts: int) -> float:
    """The DV read-out with the true log density ratio as the critic, nats (chapter 12).

    On the first ``n_test`` rows of ``x (n, dx)``, ``z (n, dz)``: the mean of
    :func:`student_t_log_ratio` over the joint pairs minus the log-mean-exp over ``n_shifts``
    cyclic shifts of ``z`` (the marginal pairs of ``estimate_mi``'s read-out). What a perfect
    critic reads on that many rows: if it is close to the truth where trained critics fall
    short, training, not the read-out, holds the estimate down.
    """
    x, z = np.asarray(x, dtype=np.float64)[:n_test], np.asarray(z, dtype=np.float64)[:n_test]
    shifts = (len(z) - torch.arange(1, n_shifts + 1)).unsqueeze(0)  # one member; z_{i - s}, s = 1..n_shifts

    def score(xs, zs):
        return torch.as_tensor(student_t_log_ratio(xs[0].numpy(), zs[0].numpy(), dispersion, df)).unsqueeze(0)

    t_joint, t_marg = shifted_scores(score, torch.as_tensor(x)[None], torch.as_tensor(z)[None], shifts)
    return float(dv_read_out(t_joint, t_marg, shifts)[0][0])


# --------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Task:
    """A task with known MI (chapter 12): ``sample(n, seed) -> (x, z)`` and ``mi`` in nats.

    ``base`` is the task it was transformed from (or ``None``); ``family`` is ``"gaussian"``,
    ``"transformed"`` or ``"student_t"``.
    """

    name: str
    mi: float
    sampler: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    family: str
    base: Task | None = None
    transform: str | None = None

    def sample(self, n: int, seed: int = 0):
        """``x (n, dx)``, ``z (n, dz)`` float64."""
        return self.sampler(int(n), int(seed))


def two_pair_cov(dim: int = 3, rho: float = 0.8) -> np.ndarray:
    """Covariance of the "2-pair" Gaussian: ``x_1-z_1`` and ``x_2-z_2`` correlated by ``rho`` (chapter 12).

    ``x, z`` in ``R^dim``, unit variances, every other pair independent; ``(2 dim, 2 dim)``.
    """
    cov = np.eye(2 * dim)
    for i in range(min(2, dim)):
        cov[i, dim + i] = cov[dim + i, i] = rho
    return cov


def gaussian_task(cov, dim_x: int, name: str = "gaussian") -> Task:
    """The Gaussian task ``N(0, cov)`` split after ``dim_x`` coordinates (chapter 12)."""
    cov = np.asarray(cov, dtype=np.float64)
    return Task(name, mvn_mi(cov, dim_x), lambda n, seed: sample_mvn(n, cov, dim_x, seed), "gaussian")


def transformed_task(base: Task, transform: str) -> Task:
    """``(f(X), f(Z))`` for ``(X, Z)`` drawn from ``base``: the same MI, by invertibility (chapter 12)."""
    _check_transform(transform)

    def sampler(n, seed):
        x, z = base.sample(n, seed)
        return apply_transform(x, transform), apply_transform(z, transform)

    return Task(f"{transform}({base.name})", base.mi, sampler, "transformed", base, transform)


def student_t_task(dispersion, dim_x: int, df: float, name: str | None = None) -> Task:
    """The multivariate Student-t task with closed-form MI :func:`student_t_mi` (chapter 12)."""
    s = np.asarray(dispersion, dtype=np.float64)
    return Task(name or f"student_t(df={df:g})", student_t_mi(s, dim_x, df),
                lambda n, seed: sample_student_t(n, s, dim_x, df, seed), "student_t")


def beyond_normal_tasks(dim: int = 3, rho: float = 0.8, df: float = 2.0) -> list[Task]:
    """The chapter-12 benchmark: ``dim x dim`` tasks in the spirit of Czyż et al. (2023).

    A 2-pair Gaussian, its half-cube, asinh, normal-CDF and spiral transforms, a Student-t with
    the same dispersion, asinh of that Student-t, and a Student-t with identity dispersion (whose
    MI comes from the correction term alone). All share shapes ``(n, dim)``.
    """
    base = gaussian_task(two_pair_cov(dim, rho), dim, "gaussian")
    tasks = [base] + [transformed_task(base, t) for t in ("half_cube", "asinh", "normal_cdf", "spiral")]
    student = student_t_task(two_pair_cov(dim, rho), dim, df, "student_t")
    return tasks + [student, transformed_task(student, "asinh"),
                    student_t_task(np.eye(2 * dim), dim, df, "student_t(identity)")]


def trust_tasks(dims: Sequence[int] = (3, 5, 25), high_mi: bool = True) -> list[Task]:
    """The tasks of ``benchmarks/trust.py``: :func:`beyond_normal_tasks` at several sizes (chapter 12).

    For each ``d`` in ``dims`` the eight ``d x d`` tasks of :func:`beyond_normal_tasks`, named
    ``"{d}x{d} {name}"``; with ``high_mi`` also a 50x50 Gaussian with componentwise correlation
    0.5 (``-25 log(0.75)`` = 7.19 nats): above ``log(1250)`` = 7.13, the most that a DV
    read-out on the 1250 held-out rows of 5000 samples can show, so an estimate must fall short
    and should say so.
    """
    tasks = [replace(t, name=f"{d}x{d} {t.name}") for d in dims for t in beyond_normal_tasks(dim=d)]
    if high_mi:
        cov = np.eye(100)
        for i in range(50):
            cov[i, 50 + i] = cov[50 + i, i] = 0.5
        tasks.append(gaussian_task(cov, 50, "50x50 gaussian(rho=0.5)"))
    return tasks


# --------------------------------------------------------------------------- the paper's task list
def additive_uniform_mi(epsilon: float) -> float:
    """``I(X; X + N)`` for ``X ~ U(0, 1)``, ``N ~ U(-epsilon, epsilon)``, nats (chapter 12).

    ``h(X + N) - h(N)``: the density of ``X + N`` is a trapezoid, which gives
    ``epsilon - log(2 epsilon)`` when ``2 epsilon <= 1`` and ``1 / (4 epsilon)`` otherwise.
    """
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive; got {epsilon}.")
    return float(epsilon - np.log(2 * epsilon)) if epsilon <= 0.5 else 0.25 / epsilon


def sample_additive_uniform(n: int, epsilon: float, seed: int = 0):
    """``x ~ U(0, 1)`` and ``z = x + U(-epsilon, epsilon)``, each ``(n, 1)`` (chapter 12)."""
    rng = np.random.default_rng([seed, 2])
    x = rng.uniform(0.0, 1.0, size=(n, 1))
    return x, x + rng.uniform(-epsilon, epsilon, size=(n, 1))


def wiggly_x(a) -> np.ndarray:
    """The "wiggly" map of the x coordinate (Czyż et al.): ``a + sines``, strictly increasing (chapter 12).

    ``a + 0.4 sin a + 0.2 sin(1.7 a + 1) + 0.03 sin(3.3 a - 2.5)``; its derivative is at least
    ``1 - 0.4 - 0.34 - 0.099 > 0``, so it is invertible and keeps the MI. Elementwise.
    """
    a = np.asarray(a, dtype=np.float64)
    return a + 0.4 * np.sin(a) + 0.2 * np.sin(1.7 * a + 1) + 0.03 * np.sin(3.3 * a - 2.5)


def wiggly_z(a) -> np.ndarray:
    """The "wiggly" map of the z coordinate: derivative at least ``1 - 0.16 - 0.221 - 0.086`` (chapter 12)."""
    a = np.asarray(a, dtype=np.float64)
    return a - 0.4 * np.sin(0.4 * a) + 0.17 * np.sin(1.3 * a + 3.5) + 0.02 * np.sin(4.3 * a - 2.5)


def mixture_icdf(u, weights: Sequence[float], means: Sequence[float]) -> np.ndarray:
    """Inverse CDF of the unit-variance Gaussian mixture ``sum_k w_k N(m_k, 1)`` at ``u`` (chapter 12).

    Elementwise on ``u`` in (0, 1), by bisection to below 1e-12 (the mixture CDF is strictly
    increasing); it maps uniform marginals to bimodal ones and keeps the MI.
    """
    u = np.asarray(u, dtype=np.float64)
    w, m = np.asarray(weights, dtype=np.float64), np.asarray(means, dtype=np.float64)
    lo, hi = np.full(u.shape, m.min() - 40.0), np.full(u.shape, m.max() + 40.0)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        below = (w * ndtr(mid[..., None] - m)).sum(-1) < u
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def swiss_roll(u) -> np.ndarray:
    """The Swiss-roll embedding of ``u (n, 1)`` in [0, 1] into the plane, ``(n, 2)`` (chapter 12).

    ``t (cos t, sin t) / 21`` with ``t = 1.5 pi (1 + 2 u)``: injective, so ``I(f(U); Z) = I(U; Z)``
    although ``f(U)`` lies on a curve (it has no density in the plane).
    """
    u = np.asarray(u, dtype=np.float64).reshape(-1, 1)
    t = 1.5 * np.pi * (1.0 + 2.0 * u)
    return np.hstack([t * np.cos(t), t * np.sin(t)]) / 21.0


def dense_cov(dim: int, off_diag: float = 0.5) -> np.ndarray:
    """Unit variances, every pair of the ``2 dim`` coordinates correlated by ``off_diag``, ``(2 dim, 2 dim)``."""
    return np.eye(2 * dim) * (1.0 - off_diag) + off_diag


def paired_task(base: Task, f_x: Callable, f_z: Callable, name: str, family: str = "transformed") -> Task:
    """``(f_x(X), f_z(Z))`` for ``(X, Z)`` drawn from ``base``; ``f_x``, ``f_z`` injective (chapter 12)."""

    def sampler(n, seed):
        x, z = base.sample(n, seed)
        return f_x(x), f_z(z)

    return Task(name, base.mi, sampler, family, base)


def czyz_tasks() -> list[Task]:
    """The 40 tasks of the Beyond Normal benchmark (Czyż et al. 2023, bmi's v1 task list), chapter 12.

    Built from the definitions of the paper's code, with the same parameters: nine 1x1 tasks
    (bivariate normal with correlation 0.75; its normal-CDF transform, "uniform"; additive
    uniform noise with epsilon 0.1 and 0.75; bimodal marginals; the wiggly maps; half-cube;
    Student-t with df = 1 and its asinh), the Swiss roll 2x1 (x of the uniform task embedded),
    dense Gaussians (all correlations 0.5) at 2, 3, 5, 25, 50 and 2-pair Gaussians
    (:func:`two_pair_cov`, correlation 0.8) at 2, 3, 5, 25, Student-t with identity
    dispersion (2x2 df 1 and 2, 3x3 and 5x5 df 2 and 3), and the 2-pair Gaussians at 3, 5, 25
    under normal CDF, half-cube, spiral and spiral after normal CDF, plus asinh of three of the
    Student-t tasks. The spiral is the paper's: speed ``1 / dim``, rotating coordinates (0, 1) of
    ``x`` and (1, 2) of ``z``. Names are ``"{dx}x{dz} {task}"``; MI in nats.
    """
    def named(task, name):
        return replace(task, name=name)

    normal = named(gaussian_task([[1.0, 0.75], [0.75, 1.0]], 1), "1x1 normal")
    uniform = named(transformed_task(normal, "normal_cdf"), "1x1 uniform")
    student_1 = student_t_task(np.eye(2), 1, 1.0, "1x1 student_t(df=1)")
    tasks = [normal, uniform]
    for eps in (0.1, 0.75):
        tasks.append(Task(f"1x1 additive(eps={eps:g})", additive_uniform_mi(eps),
                          lambda n, seed, e=eps: sample_additive_uniform(n, e, seed), "additive"))
    tasks += [
        paired_task(uniform, lambda u: mixture_icdf(u, (0.3, 0.7), (0.0, 5.0)),
                    lambda u: mixture_icdf(u, (0.5, 0.5), (-1.0, 3.0)), "1x1 bimodal"),
        paired_task(normal, wiggly_x, wiggly_z, "1x1 wiggly"),
        named(transformed_task(normal, "half_cube"), "1x1 half_cube(normal)"),
        student_1, named(transformed_task(student_1, "asinh"), "1x1 asinh(student_t(df=1))"),
        paired_task(uniform, swiss_roll, lambda u: u, "2x1 swiss_roll(uniform)"),
    ]
    tasks += [gaussian_task(dense_cov(d), d, f"{d}x{d} dense") for d in (2, 3, 5, 25, 50)]
    two_pair = {d: gaussian_task(two_pair_cov(d), d, f"{d}x{d} 2-pair") for d in (2, 3, 5, 25)}
    tasks += list(two_pair.values())
    students = {(d, df): student_t_task(np.eye(2 * d), d, float(df), f"{d}x{d} student_t(df={df})")
                for d, df in ((2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3))}
    tasks += list(students.values())
    for transform in ("normal_cdf", "half_cube", "spiral", "spiral_cdf"):
        for d in (3, 5, 25):
            base = two_pair[d]
            if transform.startswith("spiral"):
                f_x = lambda a, d=d: spiral(a, 1.0 / d, plane=(0, 1))  # noqa: E731
                f_z = lambda a, d=d: spiral(a, 1.0 / d, plane=(1, 2))  # noqa: E731
                if transform == "spiral_cdf":
                    base = transformed_task(base, "normal_cdf")
                label = "spiral(2-pair)" if transform == "spiral" else "spiral(normal_cdf(2-pair))"
                tasks.append(paired_task(base, f_x, f_z, f"{d}x{d} {label}"))
            else:
                tasks.append(named(transformed_task(base, transform), f"{d}x{d} {transform}(2-pair)"))
    for d, df in ((2, 1), (3, 2), (5, 2)):
        tasks.append(named(transformed_task(students[d, df], "asinh"), f"{d}x{d} asinh(student_t(df={df}))"))
    return tasks


# --------------------------------------------------------------------------- evaluation
def run_estimators(tasks: Sequence[Task], n: int, seeds: Sequence[int], estimators: Sequence[str],
                   neural_kwargs: dict | None = None, critic_for: dict | None = None,
                   progress: bool = False, ess: dict | None = None) -> dict[str, np.ndarray]:
    """Every estimator on every task and seed (chapter 12).

    Neural estimators train one stacked ensemble per estimator over all ``len(tasks) x len(seeds)``
    data sets at once (:func:`minebook.estimate.estimate_mi_many`); ``"ksg"`` and ``"gaussian"``
    (:func:`gaussian_baseline_mi`) need no training. ``critic_for`` maps an estimator to its critic
    kind (default ``"concat"``). Returns ``{estimator: array (n_tasks, n_seeds)}`` of estimates in
    nats (held-out for the neural ones). If a dict ``ess`` is given, it receives
    ``{estimator: array (n_tasks, n_seeds)}`` of :attr:`minebook.MIEstimate.ess` (the effective
    number of held-out marginal pairs, NaN for InfoNCE) for the neural estimators.
    """
    data = [task.sample(n, seed) for task in tasks for seed in seeds]
    shape = (len(tasks), len(seeds))
    out = {}
    for est in estimators:
        if est == "gaussian":
            values = [gaussian_baseline_mi(x, z) for x, z in data]
        elif not get_estimator(est).neural:
            values = [ksg(x, z, k=3) for x, z in data]
        else:
            kind = (critic_for or {}).get(est, "concat")
            res = estimate_mi_many(data, estimator=est, critic=kind, progress=progress,
                                   **(neural_kwargs or {}))
            values = [r.mi for r in res]
            if ess is not None:
                ess[est] = np.asarray([r.ess for r in res], dtype=float).reshape(shape)
        out[est] = np.asarray(values, dtype=float).reshape(shape)
    return out


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / trials`` (95% for ``z = 1.96``).

    Chapter 12: how far a coverage counted on a few runs can sit from the coverage of the method
    (35 of 45 covered: 64-87%). ``(nan, nan)`` for no trials.
    """
    if trials <= 0:
        return (float("nan"), float("nan"))
    p, z2 = successes / trials, z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2)) / (1 + z2 / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))


def trust_counts(mi, truth, flagged, covered) -> dict:
    """What the book promises of a set of estimates with known MI: a flag, or a covering interval.

    ``mi``, ``truth``: ``(R,)`` estimates and true values, nats; ``flagged``: ``(R,)`` whether a
    check fired (``bool(MIEstimate.flags)``); ``covered``: ``(R,)`` whether the 95% interval
    contains the truth, NaN where an estimator has no interval. Returns ``off_30`` and
    ``close_10`` (``(R,)`` masks: more than 30% / at most 10% of the truth off), ``mae`` (nats),
    ``unflagged_off_30`` and ``unflagged_off_20`` (counts of unflagged runs more than 30% / 20%
    off), ``coverage`` (among the unflagged runs that have an interval,
    the fraction whose interval covers the truth; NaN without any) with ``n_unflagged_with_interval``,
    ``n_covered`` and ``coverage_interval`` (its 95% Wilson interval, :func:`wilson_interval`), and
    ``false_alarms`` (fraction of the ``close_10`` runs that were flagged; NaN without any).
    Chapter 12 and ``benchmarks/trust.py``.
    """
    mi, truth = np.asarray(mi, dtype=float), np.asarray(truth, dtype=float)
    flagged = np.asarray(flagged, dtype=bool)
    covered = np.asarray(covered, dtype=float)
    rel = np.abs(mi - truth) / truth
    off_30, close_10 = rel > 0.30, rel <= 0.10
    off_20 = rel > 0.20
    judged = ~flagged & ~np.isnan(covered)
    n_covered = int(covered[judged].sum())
    return {"off_30": off_30, "close_10": close_10, "mae": float(np.mean(np.abs(mi - truth))),
            "unflagged_off_30": int(np.sum(off_30 & ~flagged)),
            "unflagged_off_20": int(np.sum(off_20 & ~flagged)),
            "n_unflagged_with_interval": int(judged.sum()),
            "n_covered": n_covered,
            "coverage_interval": wilson_interval(n_covered, int(judged.sum())),
            "coverage": float(covered[judged].mean()) if judged.any() else float("nan"),
            "false_alarms": float(flagged[close_10].mean()) if close_10.any() else float("nan")}
