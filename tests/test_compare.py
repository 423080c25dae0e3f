"""minebook.experiments.compare: paired bootstrap and McNemar's exact test (chapter 10)."""

import numpy as np
import pytest

from minebook.experiments import compare


def test_mcnemar_matches_the_binomial_by_hand():
    # 10 items: A wrong and B right on 4 (b=4), A right and B wrong on 0 (c=0): p = 2 * 0.5**4
    a = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    b = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 0])
    assert compare.mcnemar_p(a, b) == pytest.approx(2 * 0.5**4)
    assert compare.mcnemar_p(b, a) == pytest.approx(2 * 0.5**4)
    assert compare.mcnemar_p(a, a) == 1.0  # no discordant item


def test_paired_comparison_sees_a_real_difference_and_not_a_fake_one():
    rng = np.random.default_rng(0)
    n = 2000
    shared = rng.random(n) < 0.05                       # hard digits both get wrong
    a = shared | (rng.random((3, n)) < 0.01)            # A: about 6% errors
    b = shared | (rng.random((3, n)) < 0.06)            # B: about 11%
    res = compare.paired_comparison(a, b, n_boot=2000, seed=0)
    assert res.high < 0 and res.verdict == "lower"
    assert res.difference == pytest.approx(res.error_a - res.error_b)
    assert res.low < res.difference < res.high
    assert res.mcnemar.shape == (3,) and (res.mcnemar < 1e-6).all()
    same = compare.paired_comparison(a, a[::-1], n_boot=2000, seed=0)  # same classifier, seeds swapped
    assert same.verdict == "no clear difference" and same.low <= 0 <= same.high
    assert "paired-bootstrap interval" in str(res)


def test_paired_comparison_is_deterministic_and_one_dimensional_input_works():
    rng = np.random.default_rng(1)
    a, b = rng.random(500) < 0.1, rng.random(500) < 0.1
    r1, r2 = compare.paired_comparison(a, b, seed=3), compare.paired_comparison(a, b, seed=3)
    assert (r1.low, r1.high) == (r2.low, r2.high) and r1.mcnemar.shape == (1,)


@pytest.mark.parametrize("a, b, match", [
    (np.zeros((2, 10)), np.zeros((3, 10)), "same shape"),
    (np.full(10, 0.5), np.zeros(10), "0/1"),
    (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), "n_seeds, n_test"),
    (np.zeros(1), np.zeros(1), "n_test >= 2"),
])
def test_paired_comparison_bad_input(a, b, match):
    with pytest.raises(ValueError, match=match):
        compare.paired_comparison(a, b)


def test_paired_comparison_bad_level_and_n_boot():
    a = np.zeros(10)
    with pytest.raises(ValueError, match="level"):
        compare.paired_comparison(a, a, level=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        compare.paired_comparison(a, a, n_boot=10)
    with pytest.raises(ValueError, match="seed pair"):
        compare.mcnemar_p(np.zeros((2, 10)), np.zeros((2, 10)))
