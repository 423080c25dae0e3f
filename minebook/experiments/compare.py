"""Is one classifier's lower test error real? Paired comparisons on the same test items (chapter 10).

Two classifiers evaluated on the same ``n`` test digits make correlated mistakes: most digits
are right (or wrong) for both. Comparing their two error rates as if they were independent
throws that away; comparing them *digit by digit* keeps it. Two paired tools:

* the **paired bootstrap**: resample the test digits with replacement, recompute the
  difference of the two (seed-averaged) error rates, and read a percentile interval. It says
  how much the difference could move with another test set of the same size;
* **McNemar's exact test** for one pair of trained models: only the *discordant* digits
  count (``b``: A wrong and B right; ``c``: A right and B wrong); under "equally good" each
  discordant digit is a fair coin, so ``p = P(Binomial(b + c, 1/2) as extreme as b)``.

Neither accounts for training randomness: that is the seed spread, reported beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PairedComparison", "paired_comparison", "mcnemar_p"]


def _as_wrong(wrong, name: str) -> np.ndarray:
    """``(n,)`` or ``(n_seeds, n)`` of 0/1 -> float ``(n_seeds, n)``; ValueError on bad input."""
    a = np.asarray(wrong)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"{name} must be (n_test,) or (n_seeds, n_test) with n_test >= 2; got shape {a.shape}.")
    if not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must hold 0/1 (or False/True) per test item: 1 = misclassified.")
    return a.astype(float)


def mcnemar_p(wrong_a, wrong_b) -> float:
    """Two-sided exact McNemar p-value for two classifiers on the same test items (chapter 10).

    ``wrong_a``, ``wrong_b``: ``(n,)`` 0/1 arrays (1 = misclassified). With ``b`` = #(A wrong,
    B right) and ``c`` = #(A right, B wrong), ``p = min(1, 2 P(Binomial(b + c, 1/2) <= min(b,
    c)))``; 1.0 when there is no discordant item.
    """
    from scipy.stats import binom

    a, b_ = _as_wrong(wrong_a, "wrong_a"), _as_wrong(wrong_b, "wrong_b")
    if a.shape != b_.shape or a.shape[0] != 1:
        raise ValueError(f"mcnemar_p compares two (n,) arrays of the same length; got {a.shape[1:]} and "
                         f"{b_.shape[1:]} (for seeds, call it once per seed pair).")
    b = int(((a == 1) & (b_ == 0)).sum())
    c = int(((a == 0) & (b_ == 1)).sum())
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(b, c), b + c, 0.5)))


@dataclass
class PairedComparison:
    """What :func:`paired_comparison` returns (chapter 10); errors in percentage points.

    ``error_a``, ``error_b``: seed-averaged test errors (%); ``difference = error_a -
    error_b`` (negative: A makes fewer mistakes) with the paired-bootstrap interval
    ``[low, high]`` at ``level``; ``mcnemar``: one exact McNemar p-value per seed pair
    (seed s of A against seed s of B); ``n_test``: the number of test items.
    """

    error_a: float
    error_b: float
    difference: float
    low: float
    high: float
    level: float
    mcnemar: np.ndarray
    n_test: int

    @property
    def verdict(self) -> str:
        """``"lower"`` / ``"higher"`` when the interval excludes 0, else ``"no clear difference"``."""
        if self.high < 0:
            return "lower"
        if self.low > 0:
            return "higher"
        return "no clear difference"

    def __str__(self) -> str:
        ps = ", ".join(f"{p:.2g}" for p in self.mcnemar)
        return (f"{self.error_a:.2f}% vs {self.error_b:.2f}%: difference {self.difference:+.2f} points, "
                f"{100 * self.level:.0f}% paired-bootstrap interval [{self.low:+.2f}, {self.high:+.2f}] "
                f"on {self.n_test} test items ({self.verdict}); McNemar p per seed pair: {ps}")


def paired_comparison(wrong_a, wrong_b, *, n_boot: int = 4000, level: float = 0.95,
                      seed: int = 0) -> PairedComparison:
    """Compare classifier A with classifier B on the same test items (chapter 10).

    ``wrong_a``, ``wrong_b``: ``(n_seeds, n)`` (or ``(n,)``) 0/1 arrays, 1 = misclassified,
    the same test items in the same order, seed s of A paired with seed s of B. The error
    of each item is averaged over seeds; the paired bootstrap resamples items (``n_boot``
    times, ``seed``) and returns the percentile interval of ``error_a - error_b`` at
    ``level``, in percentage points, plus McNemar's exact test per seed pair.
    """
    a, b = _as_wrong(wrong_a, "wrong_a"), _as_wrong(wrong_b, "wrong_b")
    if a.shape != b.shape:
        raise ValueError(f"wrong_a and wrong_b must have the same shape (same seeds, same test items); "
                         f"got {a.shape} and {b.shape}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}.")
    if int(n_boot) < 100:
        raise ValueError(f"n_boot must be at least 100 for a percentile interval; got {n_boot}.")
    per_item = 100.0 * (a.mean(0) - b.mean(0))             # (n,) percentage points
    n = per_item.shape[0]
    rng = np.random.default_rng(seed)
    boot = np.empty(int(n_boot))
    for start in range(0, int(n_boot), 500):               # 500 resamples at a time: bounded memory
        stop = min(int(n_boot), start + 500)
        boot[start:stop] = per_item[rng.integers(0, n, size=(stop - start, n))].mean(1)
    tail = 100.0 * (1 - level) / 2
    low, high = np.percentile(boot, [tail, 100.0 - tail])
    pvals = np.array([mcnemar_p(a[s], b[s]) for s in range(a.shape[0])])
    return PairedComparison(float(100 * a.mean()), float(100 * b.mean()), float(per_item.mean()),
                            float(low), float(high), float(level), pvals, int(n))
