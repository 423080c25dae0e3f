"""minebook.experiments.sweeps: batched sweeps over parameters x seeds, tolerances, tables, equitability truth."""

from __future__ import annotations

import numpy as np
import pytest

import minebook as mb
from minebook.experiments import sweeps


def _gauss(n, d=1):
    return lambda rho, s: mb.correlated_gaussian(n, d, rho, s)


def test_data_seed_distinct_and_deterministic():
    seeds = {sweeps.data_seed(0, i, s) for i in range(13) for s in range(3)}
    assert len(seeds) == 39
    assert sweeps.data_seed(0, 2, 1) == sweeps.data_seed(0, 2, 1)
    assert sweeps.data_seed(0, 2, 1) != sweeps.data_seed(1, 2, 1)


def test_make_pairs_order_is_value_major():
    params = [0.1, 0.5]
    pairs = sweeps.make_pairs(lambda p, s: (np.full((4, 1), p), np.full((4, 1), s)), params, 3, seed=7)
    assert len(pairs) == 6
    assert [float(x[0, 0]) for x, _ in pairs] == [0.1, 0.1, 0.1, 0.5, 0.5, 0.5]
    assert pairs[4][1][0, 0] == sweeps.data_seed(7, 1, 1)


def test_run_sweep_matches_estimate_mi_many_member_by_member():
    rhos = [0.0, 0.8]
    truth = mb.gaussian_mi(np.array(rhos))
    kw = dict(steps=20, batch_size=64, hidden=(16,), n_shuffles=2)
    sw = sweeps.run_sweep(_gauss(400), rhos, truth, "mine", n_seeds=2, seed=3, **kw)
    assert sw.values.shape == (2, 2) and sw.mi_std.shape == (2, 2) and sw.diverged.shape == (2, 2)
    assert sw.steps == 20 and sw.n == 400 and sw.n_members == 4 and sw.seconds > 0
    pairs = sweeps.make_pairs(_gauss(400), rhos, 2, seed=3)
    direct = mb.estimate_mi_many(pairs, estimator="mine", seed=3, **kw)
    np.testing.assert_allclose(sw.values.ravel(), [e.mi for e in direct], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sw.mean, sw.values.mean(axis=1))
    np.testing.assert_allclose(sw.error, sw.mean - truth)


def test_run_sweep_ksg_is_deterministic_and_accurate():
    rhos = [0.0, 0.9]
    truth = mb.gaussian_mi(np.array(rhos))
    a = sweeps.run_sweep(_gauss(3000), rhos, truth, "ksg", n_seeds=3, seed=0, k=3)
    b = sweeps.run_sweep(_gauss(3000), rhos, truth, "ksg", n_seeds=3, seed=0, k=3)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.steps == 0 and np.isnan(a.seconds_per_step)
    assert np.all(a.abs_error < 0.05), f"KSG mean errors {a.abs_error} exceed 0.05 nats"
    assert a.mi_std.shape == (2, 3)


def test_ksg_bruteforce_matches_ksg():
    for d, rho in [(1, 0.5), (4, 0.9), (10, 0.3)]:
        x, z = mb.correlated_gaussian(700, d, rho, seed=d)
        assert abs(sweeps.ksg_bruteforce(x, z, k=3, chunk=128) - mb.ksg(x, z, k=3)) < 1e-4
    est = sweeps.ksg_bruteforce(x, z, as_estimate=True)
    assert est.estimator == "ksg" and est.n_test == 700 and est.mi_std > 0


def test_ksg_bruteforce_rejects_duplicates():
    x = np.repeat(np.arange(10.0), 5)[:, None]
    with pytest.raises(ValueError, match="duplicate samples"):
        sweeps.ksg_bruteforce(x, x, k=3)


def test_run_sweep_ksg_bruteforce_equals_ksg():
    rhos = [0.2, -0.7]
    truth = mb.gaussian_mi(np.array(rhos), 3)
    a = sweeps.run_sweep(_gauss(500, 3), rhos, truth, "ksg", n_seeds=2, seed=1, preprocess="none")
    b = sweeps.run_sweep(_gauss(500, 3), rhos, truth, "ksg_bruteforce", n_seeds=2, seed=1)
    np.testing.assert_allclose(a.values, b.values, atol=1e-4)
    assert b.steps == 0


def test_run_sweep_rejects_mismatched_truth():
    with pytest.raises(ValueError, match="truth has 1 values for 2 parameters"):
        sweeps.run_sweep(_gauss(100), [0.1, 0.2], [0.0], "ksg", n_seeds=1)


def test_tolerance_and_within_use_the_floor_near_zero():
    truth = np.array([0.0, 0.1, 1.0, 4.0])
    np.testing.assert_allclose(sweeps.tolerance(truth, 0.05, 0.02), [0.02, 0.02, 0.05, 0.2])
    values = np.array([[0.015, -0.019], [0.13, 0.1], [1.04, 0.94], [4.1, 3.7]])
    ok = sweeps.within(values, truth, 0.05, 0.02)
    assert ok.tolist() == [[True, True], [False, True], [True, False], [True, False]]
    assert sweeps.within(values[:, 0], truth, 0.05, 0.02).tolist() == [True, False, True, True]


def test_error_table_lists_every_value_and_estimator():
    sw = sweeps.Sweep("ksg", [-0.5, 0.5], np.array([0.14, 0.14]), np.array([[0.1, 0.2], [0.15, 0.13]]),
                      mi_std=np.zeros((2, 2)), diverged=np.zeros((2, 2), bool))
    text = sweeps.error_table({"KSG": sw, "again": sw})
    lines = text.splitlines()
    assert len(lines) == 4 and "KSG (mean ± sd)" in lines[0] and "again" in lines[0]
    assert lines[2].strip().startswith("-0.50") and "+0.010" in lines[2]
    assert "<" not in text  # plain text, no HTML


def test_equitability_truth_coarse_grid_matches_default():
    sigmas = [0.01, 0.1, 3.0]
    fs = ["x", "x^3", "sin(x)"]
    coarse = sweeps.equitability_truth(fs, sigmas)
    assert coarse.shape == (3, 3)
    # The default grid (4001 x 4001) is slow: compare at the worst case (x^3, smallest sigma) and two others.
    for i, j in [(1, 0), (2, 1), (0, 2)]:
        assert abs(coarse[i, j] - mb.equitability_mi(fs[i], sigmas[j])) < 1e-4


@pytest.mark.parametrize("f", ["x", "x^3", "sin(x)"])
@pytest.mark.parametrize("sigma", [0.03, 0.3, 2.0])
def test_equitability_quadrature_agrees_with_monte_carlo(f, sigma):
    seed = 10 * ["x", "x^3", "sin(x)"].index(f) + int(sigma * 10)
    mc, se = sweeps.equitability_mi_monte_carlo(f, sigma, n=5000, seed=seed)
    quad = sweeps.equitability_truth([f], [sigma])[0, 0]
    assert abs(mc - quad) < 4 * se + 1e-3, f"{f}, sigma={sigma}: MC {mc:.4f} ± {se:.4f} vs quadrature {quad:.4f}"


def test_equitability_f_x_closed_form_limits():
    # sigma -> 0: I -> h(U(-1,1)) - h(N(0, sigma^2)) = log 2 - 0.5 log(2 pi e sigma^2).
    s = 0.002
    limit = np.log(2) - 0.5 * np.log(2 * np.pi * np.e * s**2)
    assert abs(sweeps.equitability_truth(["x"], [s], n_y=4001)[0, 0] - limit) < 0.01
    # sigma large: Y nearly Gaussian, I ~ 0.5 log(1 + Var(X) / sigma^2) with Var(X) = 1/3.
    s = 10.0
    approx = 0.5 * np.log1p(1 / 3 / s**2)
    assert abs(sweeps.equitability_truth(["x"], [s])[0, 0] - approx) < 1e-4


def test_equitability_r2():
    r2 = sweeps.equitability_r2("x", [0.1, 1.0])
    np.testing.assert_allclose(r2, [(1 / 3) / (1 / 3 + 0.01), (1 / 3) / (1 / 3 + 1)], rtol=1e-8)
    var_cube = 1 / 7
    np.testing.assert_allclose(sweeps.equitability_r2("x^3", [0.5]), [var_cube / (var_cube + 0.25)], rtol=1e-8)
    var_sin = 0.5 * (1 - np.sin(2) / 2)
    np.testing.assert_allclose(sweeps.equitability_r2("sin(x)", [0.5]), [var_sin / (var_sin + 0.25)], rtol=1e-8)


def test_ensemble_step_cost_is_positive_and_validates():
    x, z = mb.correlated_gaussian(300, 2, 0.5, seed=0)
    cost = sweeps.ensemble_step_cost(x, z, 3, steps=(2, 12), batch_size=32, hidden=(8,))
    assert 0 <= cost < 1.0
    with pytest.raises(ValueError, match="two increasing"):
        sweeps.ensemble_step_cost(x, z, 3, steps=(5, 5))
