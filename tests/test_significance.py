"""minebook.significance: the permutation test (chapter 12)."""

from __future__ import annotations

import numpy as np
import pytest

import minebook as mb

FAST = dict(steps=150, batch_size=128, hidden=(16, 16))


def test_permutation_test_detects_dependence_and_reports_the_null():
    x, z = mb.correlated_gaussian(1000, d=1, rho=0.5, seed=0)
    res = mb.permutation_test(x, z, n_permutations=9, seed=0, **FAST)
    assert res.null.shape == (9,)
    assert res.p_value == pytest.approx(0.1)        # the smallest p-value with 9 permutations
    assert res.mi > res.null.max() and res.mi == res.estimate.mi
    assert res.null_quantile_95 < 0.05


def test_permutation_test_is_calibrated_under_independence():
    """Independent data: p-values spread over (0, 1]; few data sets reach the smallest one."""
    p = np.array([mb.permutation_test(*mb.correlated_gaussian(600, d=1, rho=0.0, seed=s), n_permutations=9,
                                      estimator="ksg").p_value for s in range(8)])
    assert ((p >= 0.1) & (p <= 1.0)).all()
    assert (p <= 0.1).sum() <= 3 and p.max() >= 0.5


def test_permutation_test_same_seed_same_answer():
    x, z = mb.correlated_gaussian(600, d=2, rho=0.2, seed=3)
    a = mb.permutation_test(x, z, n_permutations=4, seed=1, **FAST)
    b = mb.permutation_test(x, z, n_permutations=4, seed=1, **FAST)
    np.testing.assert_array_equal(a.null, b.null)
    assert a.mi == b.mi and a.p_value == b.p_value


def test_rejection_rates_matches_single_tests_and_validates():
    sets = [mb.correlated_gaussian(600, d=1, rho=r, seed=s) for r, s in ((0.0, 1), (0.6, 2))]
    p, rejected = mb.rejection_rates(sets, n_permutations=4, alpha=0.2, estimator="ksg")
    assert p.shape == rejected.shape == (2,)
    singles = [mb.permutation_test(x, z, n_permutations=4, estimator="ksg").p_value for x, z in sets]
    assert p[1] == pytest.approx(0.2) and singles[1] == pytest.approx(0.2) and rejected[1]
    with pytest.raises(ValueError, match="alpha"):
        mb.rejection_rates(sets, alpha=1.5, estimator="ksg")
    with pytest.raises(ValueError, match="n_permutations"):
        mb.rejection_rates(sets, n_permutations=0, estimator="ksg")


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "19"])
def test_permutation_test_rejects_bad_counts(bad):
    x, z = mb.correlated_gaussian(100, d=1, rho=0.0, seed=0)
    with pytest.raises(ValueError, match="n_permutations"):
        mb.permutation_test(x, z, n_permutations=bad)


def test_permutation_test_passes_bad_input_errors_through():
    x, z = mb.correlated_gaussian(300, d=1, rho=0.0, seed=0)
    with pytest.raises(ValueError):
        mb.permutation_test(x, z[:200], n_permutations=2, estimator="ksg")
    with pytest.raises(ValueError):
        mb.permutation_test(x, z, n_permutations=2, estimator="nope")
    with pytest.raises(ValueError, match="scalar"):
        mb.permutation_test(1.0, z, n_permutations=2)
