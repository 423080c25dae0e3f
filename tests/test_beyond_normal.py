"""Tests of minebook.experiments.beyond_normal: non-Gaussian tasks with known MI (chapter 12)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import minebook as mb
from minebook.experiments import beyond_normal as bn


def test_student_t_closed_form_matches_monte_carlo():
    disp, df = bn.two_pair_cov(3, 0.8), 2.0
    x, z = bn.sample_student_t(100_000, disp, 3, df, seed=3)
    ratio = bn.student_t_log_ratio(x, z, disp, df)
    se = ratio.std() / np.sqrt(len(ratio))
    assert abs(ratio.mean() - bn.student_t_mi(disp, 3, df)) < 4 * se + 1e-3


@pytest.mark.parametrize("df,dims", [(1.0, (1, 1)), (3.0, (2, 3)), (5.0, (4, 2))])
def test_student_t_monte_carlo_other_shapes(df, dims):
    m, n = dims
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m + n, m + n))
    disp = a @ a.T / (m + n) + np.eye(m + n)
    x, z = bn.sample_student_t(60_000, disp, m, df, seed=1)
    ratio = bn.student_t_log_ratio(x, z, disp, df)
    se = ratio.std() / np.sqrt(len(ratio))
    assert abs(ratio.mean() - bn.student_t_mi(disp, m, df)) < 4 * se + 2e-3


def test_student_t_logpdf_matches_scipy():
    disp = bn.two_pair_cov(2, 0.6)
    pts = np.random.default_rng(1).standard_normal((7, 4)) * 3
    ref = stats.multivariate_t(np.zeros(4), disp, df=2.5).logpdf(pts)
    np.testing.assert_allclose(bn.student_t_logpdf(pts, disp, 2.5), ref, rtol=1e-10, atol=1e-10)


def test_student_t_correction_properties():
    values = [bn.student_t_mi_correction(df, 3, 3) for df in (1, 2, 5, 30, 1e4)]
    assert all(v > 0 for v in values)
    assert all(a > b for a, b in zip(values, values[1:], strict=False)), "correction should fall with df"
    assert values[-1] < 1e-5
    # identity dispersion: the MI is the correction alone
    assert bn.student_t_mi(np.eye(6), 3, 2.0) == pytest.approx(bn.student_t_mi_correction(2.0, 3, 3))
    # known value (Czyż et al.'s 1x1, df=1 task has I = 0.224 nats for identity dispersion)
    assert bn.student_t_mi_correction(1.0, 1, 1) == pytest.approx(0.2242, abs=1e-3)
    with pytest.raises(ValueError):
        bn.student_t_mi_correction(0.0, 1, 1)


@pytest.mark.parametrize("name", sorted(bn.INVERTIBLE_TRANSFORMS))
def test_transforms_invert(name):
    a = np.random.default_rng(2).standard_normal((500, 3))
    b = bn.apply_transform(a, name)
    assert b.shape == a.shape
    np.testing.assert_allclose(bn.invert_transform(b, name), a, atol=1e-8)


def test_spiral_keeps_norm_and_rotates():
    a = np.random.default_rng(3).standard_normal((200, 4))
    b = bn.spiral(a, speed=0.7)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), np.linalg.norm(a, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(b[:, 2:], a[:, 2:])
    one = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(bn.spiral(one, speed=np.pi / 2), [[0.0, 1.0]], atol=1e-12)
    with pytest.raises(ValueError):
        bn.spiral(np.zeros((3, 1)))
    with pytest.raises(ValueError):
        bn.apply_transform(a, "nope")


def test_tasks_keep_base_mi_and_shapes():
    tasks = bn.beyond_normal_tasks(dim=3, rho=0.8, df=2.0)
    assert len({t.name for t in tasks}) == len(tasks) == 8
    base = tasks[0]
    assert base.mi == pytest.approx(-np.log(1 - 0.64))
    for t in tasks:
        x, z = t.sample(50, seed=4)
        assert x.shape == z.shape == (50, 3)
        np.testing.assert_array_equal(t.sample(50, seed=4)[0], x)  # deterministic
        if t.base is not None:
            assert t.mi == t.base.mi
            xb, zb = t.base.sample(50, seed=4)
            np.testing.assert_allclose(bn.invert_transform(x, t.transform), xb, atol=1e-6)
            np.testing.assert_allclose(bn.invert_transform(z, t.transform), zb, atol=1e-6)
    ident = [t for t in tasks if t.name == "student_t(identity)"][0]
    assert ident.mi == pytest.approx(bn.student_t_mi_correction(2.0, 3, 3))


def test_gaussian_baseline_exact_for_gaussians():
    cov = bn.two_pair_cov(3, 0.8)
    x, z = mb.sample_mvn(100_000, cov, 3, seed=5)
    assert mb.checks.gaussian_baseline_mi(x, z) == pytest.approx(mb.mvn_mi(cov, 3), abs=0.02)
    x, z = mb.correlated_gaussian(50_000, 2, 0.9, seed=6)
    assert mb.checks.gaussian_baseline_mi(x, z) == pytest.approx(mb.gaussian_mi(0.9, 2), abs=0.03)
    # and it is blind to dependence without correlation
    xi, zi = bn.sample_student_t(50_000, np.eye(2), 1, 30.0, seed=7)
    assert abs(mb.checks.gaussian_baseline_mi(xi, zi)) < 0.01


def test_run_estimators_shapes():
    tasks = bn.beyond_normal_tasks()[:2]
    ess = {}
    out = bn.run_estimators(tasks, 400, [0, 1], ["gaussian", "ksg", "mine"],
                            neural_kwargs=dict(steps=3, batch_size=32, hidden=(8,)), ess=ess)
    assert set(out) == {"gaussian", "ksg", "mine"}
    for v in out.values():
        assert v.shape == (2, 2) and np.all(np.isfinite(v))
    assert set(ess) == {"mine"} and ess["mine"].shape == (2, 2)
    assert np.all((ess["mine"] >= 1) & (ess["mine"] <= 100 * 20 + 1e-6))  # 100 held-out rows x 20 shifts


def test_trust_counts_flag_or_cover():
    counts = bn.trust_counts(mi=[0.95, 0.5, 0.5, 1.9], truth=[1.0, 1.0, 1.0, 2.0],
                             flagged=[False, False, True, True], covered=[1.0, 0.0, 0.0, float("nan")])
    assert counts["off_30"].tolist() == [False, True, True, False]
    assert counts["close_10"].tolist() == [True, False, False, True]
    assert counts["unflagged_off_30"] == 1 and counts["n_unflagged_with_interval"] == 2
    assert counts["coverage"] == pytest.approx(0.5) and counts["false_alarms"] == pytest.approx(0.5)
    assert counts["mae"] == pytest.approx((0.05 + 0.5 + 0.5 + 0.1) / 4)


def test_joint_extremes_separates_student_t_from_gaussian_copulas():
    tasks = {t.name: t for t in bn.beyond_normal_tasks(dim=5)}
    for name in ("gaussian", "half_cube(gaussian)", "normal_cdf(gaussian)"):
        r = mb.checks.joint_extremes(*tasks[name].sample(5000, 0))
        assert abs(r["excess"]) < 3 * r["null_sd"], (name, r)  # a Gaussian copula is its own null
    for name in ("student_t", "asinh(student_t)", "student_t(identity)"):
        r = mb.checks.joint_extremes(*tasks[name].sample(5000, 0))
        assert r["excess"] > 0.4 and r["excess"] > 10 * r["null_sd"], (name, r)  # one shared scale
    x, z = tasks["student_t"].sample(3000, 1)
    assert mb.checks.joint_extremes(x, z) == mb.checks.joint_extremes(x, z)  # seeded null: deterministic


def test_joint_extremes_rates_and_rank_deficient_blocks():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 2))
    same = mb.checks.joint_extremes(x, x.copy())
    assert same["observed"] == pytest.approx(1.0) and same["null_mean"] > 0.99  # extremes coincide
    indep = mb.checks.joint_extremes(x, rng.standard_normal((4000, 3)))
    assert indep["observed"] == pytest.approx(0.05, abs=0.03) and indep["null_mean"] == pytest.approx(0.05, abs=0.02)
    dup = np.hstack([x, x[:, :1]])  # a repeated column: whitened within its rank
    assert np.isfinite(mb.checks.joint_extremes(dup, x)["observed"])


def test_student_t_true_read_out_is_close_to_the_truth():
    dispersion = bn.two_pair_cov(5, 0.8)
    task = bn.student_t_task(dispersion, 5, 2.0)
    x, z = task.sample(5000, 0)
    value = bn.student_t_true_read_out(x, z, dispersion, 2.0, 1250, 20)
    assert abs(value - task.mi) < 0.15  # the read-out of a perfect critic on 1250 rows
    shuffled = bn.student_t_true_read_out(x, np.roll(z, 7, axis=0), dispersion, 2.0, 1250, 20)
    assert shuffled < 0.1  # independent pairs: the bound says about nothing


# --------------------------------------------------------------------------- the paper's task list
def test_czyz_tasks_are_the_papers_forty():
    tasks = bn.czyz_tasks()
    assert len(tasks) == 40 and len({t.name for t in tasks}) == 40
    for task in tasks:
        x, z = task.sample(300, seed=1)
        dx, dz = (int(v) for v in task.name.split()[0].split("x"))
        assert x.shape == (300, dx) and z.shape == (300, dz), task.name
        assert np.isfinite(x).all() and np.isfinite(z).all() and task.mi > 0
        x2, _ = task.sample(300, seed=1)
        np.testing.assert_array_equal(x, x2)  # seeded
    by_name = {t.name: t for t in tasks}
    # the closed forms, to two decimals (the issue quotes 0.448 for the 5x5 Student-t, df = 2)
    for name, mi in [("1x1 normal", 0.41), ("1x1 additive(eps=0.1)", 1.71), ("1x1 additive(eps=0.75)", 0.33),
                     ("1x1 student_t(df=1)", 0.22), ("2x2 student_t(df=1)", 0.43),
                     ("5x5 student_t(df=2)", 0.45), ("2x2 dense", 0.29), ("50x50 dense", 1.62),
                     ("25x25 spiral(2-pair)", 1.02)]:
        assert round(by_name[name].mi, 2) == mi, name


@pytest.mark.parametrize("epsilon", [0.1, 0.75])
def test_additive_uniform_mi_matches_monte_carlo(epsilon):
    x, z = bn.sample_additive_uniform(200_000, epsilon, seed=4)
    # log p(z | x) - log p(z): p(z | x) = 1 / (2 eps); p(z) = overlap of [z - eps, z + eps] with [0, 1]
    p_z = (np.minimum(z + epsilon, 1.0) - np.maximum(z - epsilon, 0.0)) / (2 * epsilon)
    ratio = -np.log(2 * epsilon) - np.log(p_z)
    se = ratio.std() / np.sqrt(len(ratio))
    assert abs(ratio.mean() - bn.additive_uniform_mi(epsilon)) < 4 * se + 1e-3
    with pytest.raises(ValueError, match="positive"):
        bn.additive_uniform_mi(0.0)


def test_paper_maps_are_invertible():
    grid = np.linspace(-8, 8, 20001)
    assert np.all(np.diff(bn.wiggly_x(grid)) > 0) and np.all(np.diff(bn.wiggly_z(grid)) > 0)
    u = np.linspace(0.001, 0.999, 999)
    q = bn.mixture_icdf(u, (0.3, 0.7), (0.0, 5.0))
    np.testing.assert_allclose(0.3 * stats.norm.cdf(q) + 0.7 * stats.norm.cdf(q - 5.0), u, atol=1e-10)
    roll = bn.swiss_roll(u[:, None])
    assert roll.shape == (999, 2) and np.all(np.diff(np.linalg.norm(roll, axis=1)) > 0)  # injective
    a = np.random.default_rng(0).standard_normal((50, 3))
    b = bn.spiral(a, 1 / 3, plane=(1, 2))
    np.testing.assert_allclose(b[:, 0], a[:, 0])
    np.testing.assert_allclose(bn.spiral(b, 1 / 3, inverse=True, plane=(1, 2)), a, atol=1e-12)
    with pytest.raises(ValueError, match="plane"):
        bn.spiral(a[:, :2], plane=(1, 2))


def test_gaussian_baseline_bias_correction():
    task = bn.gaussian_task(bn.dense_cov(50), 50)
    x, z = task.sample(5000, seed=0)
    plain, corrected = mb.checks.gaussian_baseline_mi(x, z), mb.checks.gaussian_baseline_mi(x, z, bias_corrected=True)
    assert plain - corrected == pytest.approx(50 * 50 / 10_000)
    assert abs(corrected - task.mi) < 0.1 < plain - task.mi


def test_wilson_interval_of_a_coverage():
    low, high = bn.wilson_interval(35, 45)
    assert 0.63 < low < 0.65 and 0.86 < high < 0.88  # 78% of 45 runs: 64-87%
    assert bn.wilson_interval(0, 10)[0] == 0.0 and bn.wilson_interval(10, 10)[1] == 1.0
    assert all(np.isnan(v) for v in bn.wilson_interval(0, 0))
    wide, narrow = bn.wilson_interval(8, 10), bn.wilson_interval(80, 100)  # more runs, narrower
    assert wide[1] - wide[0] > narrow[1] - narrow[0]
    counts = bn.trust_counts(mi=[1.0, 1.0, 1.0], truth=[1.0, 1.0, 1.0], flagged=[False, False, True],
                             covered=[1.0, 0.0, 1.0])
    assert counts["n_covered"] == 1 and counts["coverage_interval"] == bn.wilson_interval(1, 2)
