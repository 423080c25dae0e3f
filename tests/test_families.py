"""The task families beyond the Beyond Normal list (benchmarks/trust.py --tasks families)."""

import numpy as np
import pytest

import minebook as mb
from minebook.experiments import families as fam


def test_mixture_truth_is_zero_for_one_mode_and_grows_with_the_spread():
    assert fam.mixture_mi(1, 2, 2, 3.0, m=20_000)[0] == pytest.approx(0.0, abs=1e-12)
    low, high = fam.mixture_mi(3, 1, 1, 1.0, m=20_000)[0], fam.mixture_mi(3, 1, 1, 4.0, m=20_000)[0]
    assert 0 < low < high < np.log(3)  # at most H(mode)


def test_scale_mixture_with_one_scale_is_the_gaussian():
    mi, se = fam.scale_mixture_mi(2, 0.6, (1.0,), (1.0,), m=50_000)
    assert mi == pytest.approx(2 * mb.gaussian_mi(0.6), abs=4 * se + 1e-3)


def test_label_truth_is_below_log_classes_and_two_labels_exact():
    mi, _ = fam.class_mixture_mi(10, 4, 1.0, m=20_000)
    assert 0 < mi < np.log(10)
    joint = (0.6 * np.eye(6) + 0.4 / 6) / 6  # the exact table
    exact = float(np.sum(joint * np.log(joint * 36)))
    assert fam.two_labels_mi(6, 0.6) == pytest.approx(exact, abs=1e-12)
    x, z = fam._sample_two_labels(200_000, 0, 6, 0.6)
    assert np.mean(x == z) == pytest.approx(0.6 + 0.4 / 6, abs=0.005)


def test_heteroscedastic_truth_matches_a_brute_force_density():
    mi, se = fam.heteroscedastic_mi(m=20_000)
    x, z = fam._sample_heteroscedastic(20_000, 10**6)
    grid = np.linspace(-8, 8, 4001)
    prior = np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi) * (grid[1] - grid[0])
    s = fam._noise_scale(grid)
    p_z = (np.exp(-0.5 * ((z - grid) / s) ** 2) / (s * np.sqrt(2 * np.pi)) * prior).sum(1)
    sx = fam._noise_scale(x[:, 0])
    log_cond = -0.5 * ((z[:, 0] - x[:, 0]) / sx) ** 2 - np.log(sx * np.sqrt(2 * np.pi))
    assert mi == pytest.approx(float(np.mean(log_cond - np.log(p_z))), abs=5e-3)


def test_family_tasks_sample_their_shapes():
    tasks = fam.family_tasks()
    assert len({t.name for t, _ in tasks}) == len(tasks) >= 10
    for task, se in tasks:
        x, z = task.sample(50, 1)
        assert len(x) == len(z) == 50 and task.mi > 0 and 0 <= se < 0.01
        assert np.array_equal(task.sample(50, 1)[0], x)


def test_checks_tell_a_smooth_embedding_from_tail_dependence():
    """A 2-D Gaussian latent embedded in 25 dimensions: the Gaussian baseline reads above the truth
    and the full-norm extremes go together, so below_gaussian and tail_dependence would cry wolf;
    a shared random scale (tail dependence by construction) still fires."""
    from minebook.checks import CHECKS, CheckData, best_pair_bound, joint_extremes, relative_kurtosis

    tasks = {t.name: t for t, _ in fam.family_tasks()}
    x, z = tasks["25x25 embedded(2-d latent)"].sample(5000, 0)
    data = CheckData(x, z)
    assert min(relative_kurtosis(a) for a in data.normal_scores) > 1.5  # no Gaussian copula
    assert mb.checks.gaussian_baseline_mi(*data.normal_scores, bias_corrected=True) > 1.1  # truth 1.02
    assert best_pair_bound(*data.normal_scores) < 1.02
    assert joint_extremes(x, z)["excess"] > 0.2 > joint_extremes(x, z, correlated_only=True)["excess"]
    accurate = mb.MIEstimate(mi=0.99, mi_std=0.04, estimator="mine", train_mi=1.07)
    for name in ("below_gaussian", "tail_dependence"):
        assert not CHECKS[name].apply(accurate, data)
    x, z = tasks["3x3 scale mixture(rho=0.6)"].sample(5000, 0)
    low = mb.MIEstimate(mi=0.75, mi_std=0.04, estimator="mine", train_mi=0.83)
    with pytest.warns(RuntimeWarning, match="tails"):
        assert CHECKS["tail_dependence"].apply(low, CheckData(x, z))
