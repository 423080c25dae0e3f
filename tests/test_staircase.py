"""Tests of minebook.experiments.staircase: the stacked staircase loop and the optimal-critic bounds (chapter 12)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minebook as mb
from minebook.experiments import staircase as sc


def test_schedule():
    true_mi, rho = sc.staircase_schedule((2.0, 4.0), 3, d=20)
    np.testing.assert_array_equal(true_mi, [2, 2, 2, 4, 4, 4])
    np.testing.assert_allclose(mb.gaussian_mi(rho, 20), true_mi)


@pytest.mark.parametrize("hidden", [(16,), (8, 8)])
def test_concat_all_pairs_matches_scores(hidden):
    critic = mb.ConcatCritic(3, 2, hidden, n_critics=4, generator=torch.Generator().manual_seed(0))
    x, z = torch.randn(4, 5, 3), torch.randn(4, 5, 2)
    members = torch.tensor([1, 3])
    fast = sc.concat_all_pairs(critic, x[members], z[members], members)
    torch.testing.assert_close(fast, critic.scores(x, z)[members], rtol=1e-5, atol=1e-5)


def test_run_staircase_small():
    res = sc.run_staircase(d=4, mi_levels=(1.0, 3.0), steps_per_level=6, batch_size=16, hidden=(8,), embed_dim=4)
    assert res.estimates.shape == (12, 10)
    assert res.members[:5] == [(e, "concat") for e in sc.STAIRCASE_ESTIMATORS]
    assert np.all(np.isfinite(res.estimates))
    for critic in ("concat", "separable"):
        assert np.max(res.member("infonce", critic)) <= math.log(16) + 1e-5
    again = sc.run_staircase(d=4, mi_levels=(1.0, 3.0), steps_per_level=6, batch_size=16, hidden=(8,), embed_dim=4)
    np.testing.assert_array_equal(res.estimates, again.estimates)
    pairs = sc.run_staircase(d=4, mi_levels=(1.0,), steps_per_level=4, batch_size=16, hidden=(8, 8),
                             critics=("concat",), all_pairs=True)
    assert pairs.estimates.shape == (4, 5) and np.all(np.isfinite(pairs.estimates))


def test_subset_of_estimators_one_critic():
    kw = dict(d=3, mi_levels=(1.0,), steps_per_level=4, batch_size=8, hidden=(8,), critics=("separable",))
    both = sc.run_staircase(estimators=("mine", "infonce"), **kw)
    assert both.estimates.shape == (4, 2)
    assert np.max(both.member("infonce", "separable")) <= math.log(8) + 1e-5


def test_level_stats():
    est = np.concatenate([np.full(4, 1.5), np.array([3.0, 5.0, 3.0, 5.0])])[:, None]
    res = sc.StaircaseResult(est, [("mine", "concat")], np.repeat([2.0, 4.0], 4), (2.0, 4.0), 4, 64)
    s = sc.level_stats(res, tail=0.5)[("mine", "concat")]
    np.testing.assert_allclose(s[0], [1.5, -0.5, 0.0, 0.25])
    np.testing.assert_allclose(s[1], [4.0, 0.0, 1.0, 1.0])


def test_oracle_bounds():
    o = sc.oracle_bounds(1.0, d=2, batch_size=32, n_batches=400, seed=0)
    assert set(o) == {"dv_shuffle", "dv_pairs", "nwj_shuffle", "nwj_pairs", "infonce"}
    assert np.all(o["infonce"] <= math.log(32) + 1e-9)
    # NWJ with the optimal critic is unbiased; DV with few marginal samples is biased upwards
    assert abs(o["nwj_pairs"].mean() - 1.0) < 0.05
    assert o["dv_shuffle"].mean() > o["dv_pairs"].mean() - 0.02
    big = sc.oracle_bounds(8.0, d=20, batch_size=64, n_batches=200, seed=1)
    assert big["dv_shuffle"].mean() > 8.5
    assert big["infonce"].max() <= math.log(64)


def test_log_ratio_matrix_matches_core():
    x, z = mb.correlated_gaussian(6, 3, 0.7, seed=2)
    m = sc.gaussian_log_ratio_matrix(torch.as_tensor(x), torch.as_tensor(z), 0.7).numpy()
    np.testing.assert_allclose(np.diag(m), mb.gaussian_log_ratio(x, z, 0.7), rtol=1e-10)
    np.testing.assert_allclose(m[1, 4], mb.gaussian_log_ratio(x[1:2], z[4:5], 0.7)[0], rtol=1e-10)


def test_oracle_infonce():
    rho = mb.rho_for_mi(6.0, 3)
    x, z = mb.correlated_gaussian(300, 3, rho, seed=3)
    full = sc.oracle_infonce(x, z, rho, max_rows=300, chunk=64)
    assert full <= math.log(300)
    # a row subset is an estimate of the same mean
    assert abs(sc.oracle_infonce(x, z, rho, max_rows=200) - full) < 0.2
    # low MI: close to the truth
    x, z = mb.correlated_gaussian(2000, 1, 0.5, seed=4)
    assert sc.oracle_infonce(x, z, 0.5) == pytest.approx(mb.gaussian_mi(0.5), abs=0.05)
