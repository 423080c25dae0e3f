"""Is there any dependence at all? A permutation test on top of any estimator (chapter 12).

An estimate of 0.02 nats on a finite sample does not say whether ``X`` and ``Z`` are
dependent: even independent data give small non-zero estimates, positive or negative.
Shuffling ``z`` against ``x`` destroys every dependence and keeps both marginals, so the
estimates on shuffled copies are draws from the estimator's distribution *under
independence*, training noise and held-out split included. The observed estimate is
significant when it exceeds (nearly) all of them. All copies train as one stacked ensemble
(:func:`minebook.estimate_mi_many`), so ``n_permutations = 19`` costs about one run of 20
critics, not 20 runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .estimate import MIEstimate, estimate_mi_many

__all__ = ["PermutationTest", "permutation_test", "rejection_rates"]


@dataclass
class PermutationTest:
    """The result of :func:`permutation_test` (chapter 12).

    ``estimate``: the :class:`MIEstimate` on the data as given; ``null``: the held-out
    estimates (nats) on ``n_permutations`` copies with ``z`` shuffled, shape
    ``(n_permutations,)``; ``p_value``: ``(1 + #{null >= observed}) / (1 + n_permutations)``,
    the probability under independence of an estimate at least as large (never below
    ``1 / (1 + n_permutations)``).
    """

    estimate: MIEstimate
    null: np.ndarray = field(repr=False)
    p_value: float

    @property
    def mi(self) -> float:
        """The observed estimate (nats)."""
        return self.estimate.mi

    @property
    def null_quantile_95(self) -> float:
        """The 95th percentile of the null estimates (nats): a data-driven detection floor."""
        return float(np.quantile(self.null, 0.95))


def permutation_test(x, z, *, n_permutations: int = 19, estimator: str = "mine", seed: int = 0,
                     **kwargs) -> PermutationTest:
    """Test ``H0: X and Z are independent`` with estimator ``estimator`` (chapter 12).

    ``x (n,)`` or ``(n, dx)``, ``z (n,)`` or ``(n, dz)``; ``kwargs`` go to
    :func:`minebook.estimate_mi_many` (``steps``, ``batch_size``, ...). Member 0 is the data
    as given (seed ``seed``); members ``1..n_permutations`` pair ``x`` with a random
    permutation of the rows of ``z`` (drawn from ``seed``) and train with seeds
    ``seed + 1, ...``. With the default 19 permutations the smallest attainable p-value is
    0.05. Works with every estimator, ``"ksg"`` included.
    """
    _check_n_permutations(n_permutations)
    x_arr, z_arr = np.asarray(x), np.asarray(z)
    if z_arr.ndim == 0 or x_arr.ndim == 0:
        raise ValueError("x and z must be arrays of shape (n,) or (n, d); got a scalar.")
    rng = np.random.default_rng(seed)
    results = estimate_mi_many(_with_permutations(x_arr, z_arr, int(n_permutations), rng),
                               estimator=estimator, seed=seed, **kwargs)
    null = np.array([r.mi for r in results[1:]])
    return PermutationTest(results[0], null, _p_value(results[0].mi, null))


def _check_n_permutations(n_permutations) -> None:
    """``ValueError`` unless ``n_permutations`` is a positive integer."""
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) \
            or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer (19 gives p-values down to 0.05); "
                         f"got {n_permutations!r}.")


def _with_permutations(x, z, n_permutations: int, rng: np.random.Generator) -> list[tuple]:
    """``[(x, z), (x, z[perm_1]), ..., (x, z[perm_m])]``: the data and m shuffled copies."""
    return [(x, z)] + [(x, z[rng.permutation(len(z))]) for _ in range(n_permutations)]


def _p_value(observed: float, null: np.ndarray) -> float:
    """``(1 + #{null >= observed}) / (1 + len(null))``: a valid permutation p-value."""
    return (1.0 + float(np.sum(np.asarray(null) >= observed))) / (1.0 + len(null))


def rejection_rates(datasets, *, n_permutations: int = 19, alpha: float = 0.05, estimator: str = "mine",
                    seed: int = 0, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Permutation tests on many data sets, all trained as one ensemble (chapter 12).

    ``datasets``: a list of ``(x, z)`` of one shape. Each gets ``n_permutations`` shuffled
    copies; the ``len(datasets) * (1 + n_permutations)`` estimates train in a single
    :func:`minebook.estimate_mi_many` call (``kwargs`` go there). Returns the p-values
    ``(len(datasets),)`` and the boolean rejections ``p <= alpha``: over data sets drawn
    with one dependence strength, their mean is the test's power (or, under independence,
    its false-positive rate, at most ``alpha`` by construction).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha!r}.")
    _check_n_permutations(n_permutations)
    rng = np.random.default_rng(seed)
    m = int(n_permutations) + 1
    pairs = [p for x, z in datasets for p in _with_permutations(np.asarray(x), np.asarray(z), m - 1, rng)]
    mi = np.array([r.mi for r in estimate_mi_many(pairs, estimator=estimator, seed=seed, **kwargs)]).reshape(-1, m)
    p_values = np.array([_p_value(row[0], row[1:]) for row in mi])
    return p_values, p_values <= alpha
