"""Unit tests of minebook.experiments.dv_demo: the helpers of chapters 1 (MI) and 2 (DV representation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

import minebook as mb
from minebook.experiments import dv_demo as dv


# --------------------------------------------------------------------------- chapter 1
def test_random_joint_is_a_seeded_distribution():
    p = dv.random_joint(3, 4, seed=7)
    assert p.shape == (3, 4)
    assert np.all(p > 0) and math.isclose(p.sum(), 1.0)
    np.testing.assert_array_equal(p, dv.random_joint(3, 4, seed=7))
    assert not np.allclose(p, dv.random_joint(3, 4, seed=8))
    with pytest.raises(ValueError, match="concentration"):
        dv.random_joint(2, 2, concentration=0)


@settings(max_examples=30, deadline=None)
@given(nx=st.integers(1, 5), nz=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_entropy_form_equals_kl_form_and_symmetry(nx, nz, seed):
    p = dv.random_joint(nx, nz, seed=seed)
    kl_form = mb.mutual_information(p)
    assert dv.mi_from_entropies(p) == pytest.approx(kl_form, abs=1e-12)
    assert mb.mutual_information(p.T) == pytest.approx(kl_form, abs=1e-12)
    assert kl_form >= -1e-12
    assert mb.mutual_information(dv.product_of_marginals(p)) == pytest.approx(0.0, abs=1e-12)


def test_mixture_path_keeps_marginals_and_ends_independent():
    p = dv.random_joint(3, 4, seed=1)
    path = dv.mixture_path(p, [0.0, 0.5, 1.0])
    assert path.shape == (3, 3, 4)
    np.testing.assert_allclose(path[0], p)
    np.testing.assert_allclose(path[-1], dv.product_of_marginals(p))
    for table in path:
        np.testing.assert_allclose(table.sum(axis=1), p.sum(axis=1))
        np.testing.assert_allclose(table.sum(axis=0), p.sum(axis=0))
    mis = [mb.mutual_information(t) for t in path]
    assert mis[0] > mis[1] > mis[2] - 1e-15 and abs(mis[2]) < 1e-12


def test_mc_mean_and_errors():
    mean, se = dv.mc_mean(np.array([[1.0, 3.0], [2.0, 2.0]]))
    np.testing.assert_allclose(mean, [2.0, 2.0])
    np.testing.assert_allclose(se, [1.0, 0.0])
    with pytest.raises(ValueError):
        dv.mc_mean([1.0])


@pytest.mark.parametrize("d", [1, 4])
def test_mc_gaussian_mi_matches_closed_form(d):
    rhos = np.array([-0.8, 0.0, 0.5, 0.9])
    mean, se = dv.mc_gaussian_mi(rhos, d=d, n=20_000, seed=3)
    truth = mb.gaussian_mi(rhos, d)
    assert np.all(np.abs(mean - truth) <= 5 * se + 1e-12), (mean, truth, se)
    # theory: Var_P[log p/q] = d rho^2
    np.testing.assert_allclose(se, np.sqrt(d) * np.abs(rhos) / math.sqrt(20_000), rtol=0.1, atol=1e-12)
    again, _ = dv.mc_gaussian_mi(rhos, d=d, n=20_000, seed=3)
    np.testing.assert_array_equal(mean, again)


def test_gaussian_log_pdf_matches_scipy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + np.eye(3)
    mean = rng.standard_normal(3)
    x = rng.standard_normal((10, 3))
    np.testing.assert_allclose(dv.gaussian_log_pdf(x, mean, cov),
                               multivariate_normal(mean, cov).logpdf(x), rtol=1e-10)


def test_mc_gaussian_kl_matches_closed_form():
    m0, s0 = np.array([0.0, 1.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    m1, s1 = np.array([0.5, 0.0]), np.array([[2.0, 0.0], [0.0, 1.0]])
    mean, se = dv.mc_gaussian_kl(m0, s0, m1, s1, n=50_000, seed=1)
    assert abs(mean - mb.gaussian_kl(m0, s0, m1, s1)) < 5 * se


# --------------------------------------------------------------------------- chapter 2
def _pq(seed, shape=(3, 4)):
    p = dv.random_joint(*shape, seed=seed, concentration=2.0)
    return p.ravel(), dv.product_of_marginals(p).ravel()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 5.0))
def test_dv_gap_is_kl_to_gibbs_and_nwj_is_looser(seed, scale):
    p, q = _pq(seed)
    t = torch.as_tensor(np.random.default_rng(seed).standard_normal(p.shape) * scale)
    kl = mb.kl_divergence(p, q)
    g = dv.gibbs(t, q).numpy()
    assert g.sum() == pytest.approx(1.0)
    dv_value = float(dv.dv_discrete(t, p, q))
    assert kl - dv_value == pytest.approx(mb.kl_divergence(p, g), abs=1e-10)
    assert float(dv.nwj_discrete(t, p, q)) <= dv_value + 1e-12
    # DV is shift invariant; NWJ equals DV when log E_Q[e^T] = 1
    assert float(dv.dv_discrete(t + 3.0, p, q)) == pytest.approx(dv_value, abs=1e-10)
    t1 = t - torch.logsumexp(t + torch.log(torch.as_tensor(q)), dim=-1) + 1.0
    assert float(dv.nwj_discrete(t1, p, q)) == pytest.approx(dv_value, abs=1e-10)


def test_optimal_critics_attain_kl():
    p, q = _pq(0)
    kl = mb.kl_divergence(p, q)
    t_star = np.log(p / q)
    assert float(dv.dv_discrete(t_star, p, q)) == pytest.approx(kl, abs=1e-12)
    assert float(dv.nwj_discrete(t_star + 1, p, q)) == pytest.approx(kl, abs=1e-12)
    assert float(dv.nwj_discrete(t_star, p, q)) < kl - 0.1  # T* is not NWJ's maximiser


def test_ascend_free_critic_reaches_kl_with_offset_critics():
    pairs = [_pq(s) for s in range(3)]
    p, q = np.stack([a for a, _ in pairs]), np.stack([b for _, b in pairs])
    kl = np.array([mb.kl_divergence(a, b) for a, b in pairs])
    run_dv = dv.ascend_free_critic(p, q, "dv", steps=1500)
    run_nwj = dv.ascend_free_critic(p, q, "nwj", steps=1500)
    assert run_dv.t.shape == p.shape and run_dv.history.shape == (1500, 3)
    np.testing.assert_allclose(run_dv.history[-1], kl, atol=1e-8)
    np.testing.assert_allclose(run_nwj.history[-1], kl, atol=1e-8)
    t_dv = run_dv.t - np.log((q * np.exp(run_dv.t)).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(t_dv, np.log(p / q), atol=1e-4)
    np.testing.assert_allclose(run_nwj.t - t_dv, 1.0, atol=1e-4)
    assert np.all(run_nwj.dv_history >= run_nwj.nwj_history - 1e-12)
    assert np.all(run_dv.history[0] < run_dv.history[-1] - 0.01)


def test_ascend_free_critic_validates():
    p, q = _pq(0)
    with pytest.raises(ValueError, match="bound"):
        dv.ascend_free_critic(p, q, "jsd")
    with pytest.raises(ValueError, match="strictly positive"):
        dv.ascend_free_critic(p, np.r_[0.0, q[1:] / q[1:].sum()], "dv")
    with pytest.raises(ValueError, match="same shape"):
        dv.ascend_free_critic(p, q[:-1] / q[:-1].sum(), "dv")


def test_empirical_dv_optimal_bias_signs_and_consistency():
    rho, d = 0.9, 1
    truth = mb.gaussian_mi(rho, d)
    small_ind = dv.empirical_dv_optimal(8, rho, d, n_repeats=4000, seed=0)
    small_shuf = dv.empirical_dv_optimal(8, rho, d, n_repeats=4000, seed=0, marginals="shuffled")
    assert small_ind.shape == (4000,)
    se = small_ind.std() / math.sqrt(4000)
    assert small_ind.mean() - truth > 4 * se, "independent marginals: the DV value is biased upwards"
    assert small_shuf.mean() - truth < -4 * se, "shuffled marginals: the DV value is biased downwards"
    small_der = dv.empirical_dv_optimal(8, rho, d, n_repeats=4000, seed=0, marginals="deranged")
    assert small_der.mean() - truth > 4 * se, "deranged marginals: no joint pair, the bias is upwards again"
    large = dv.empirical_dv_optimal(4096, rho, d, n_repeats=200, seed=1, chunk=100_000)
    assert abs(large.mean() - truth) < 4 * large.std() / math.sqrt(200)
    np.testing.assert_array_equal(large, dv.empirical_dv_optimal(4096, rho, d, 200, seed=1, chunk=100_000))
    with pytest.raises(ValueError, match="marginals"):
        dv.empirical_dv_optimal(8, rho, d, 10, marginals="other")


def test_derangement_has_no_fixed_points():
    keys = np.random.default_rng(0).random((50, 7))
    pi = dv._derangement(keys)
    assert np.all(np.sort(pi, axis=1) == np.arange(7))
    assert not np.any(pi == np.arange(7))


def test_dv_delta_method():
    bias, std = dv.dv_delta_method(np.array([10, 1000]), 0.9, 1)
    chi2 = 1 / (1 - 0.81) - 1  # e^(2I) - 1 for d = 1
    np.testing.assert_allclose(bias, chi2 / (2 * np.array([10, 1000])))
    np.testing.assert_allclose(std, np.sqrt((0.81 + chi2) / np.array([10, 1000])))
    assert std[0] / std[1] == pytest.approx(10.0)
