"""Tasks with known MI (minebook.data) and exact information quantities (minebook.information)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import minebook as mb


@pytest.mark.parametrize(("rho", "d"), [(0.5, 1), (0.9, 1), (0.9, 3), (-0.7, 2)])
def test_gaussian_mi_matches_monte_carlo_log_ratio(rho, d):
    x, z = mb.correlated_gaussian(200_000, d, rho, seed=1)
    ratio = mb.gaussian_log_ratio(x, z, rho)
    se = ratio.std() / math.sqrt(len(ratio))
    assert abs(ratio.mean() - mb.gaussian_mi(rho, d)) < 4 * se + 1e-12


def test_gaussian_log_ratio_is_the_density_ratio():
    rho = 0.6
    x, z = mb.correlated_gaussian(5, 1, rho, seed=0)
    cov = np.array([[1, rho], [rho, 1]])
    joint = multivariate_normal(np.zeros(2), cov).logpdf(np.hstack([x, z]))
    product = multivariate_normal(0, 1).logpdf(x[:, 0]) + multivariate_normal(0, 1).logpdf(z[:, 0])
    assert np.allclose(mb.gaussian_log_ratio(x, z, rho), joint - product)
    assert np.allclose(mb.gaussian_log_ratio(x[:, 0], z[:, 0], rho), joint - product)


def test_mvn_mi_matches_closed_form_and_monte_carlo():
    d, rho = 3, 0.8
    cov = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
    assert mb.mvn_mi(cov, d) == pytest.approx(mb.gaussian_mi(rho, d), rel=1e-12)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    cov = a @ a.T + 0.5 * np.eye(4)
    x, z = mb.sample_mvn(100_000, cov, 1, seed=3)
    assert x.shape == (100_000, 1) and z.shape == (100_000, 3)
    s = np.hstack([x, z])
    log_ratio = (multivariate_normal(np.zeros(4), cov).logpdf(s)
                 - multivariate_normal(np.zeros(1), cov[:1, :1]).logpdf(x)
                 - multivariate_normal(np.zeros(3), cov[1:, 1:]).logpdf(z))
    se = log_ratio.std() / math.sqrt(len(log_ratio))
    assert abs(log_ratio.mean() - mb.mvn_mi(cov, 1)) < 4 * se
    with pytest.raises(ValueError, match="positive definite"):
        mb.mvn_mi(np.array([[1.0, 2.0], [2.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="positive definite"):  # det > 0 but two negative eigenvalues
        mb.sample_mvn(10, -np.eye(4), 2)
    with pytest.raises(ValueError, match="symmetric"):
        mb.mvn_mi(np.array([[1.0, 0.5], [0.0, 1.0]]), 1)


def test_rho_for_mi_inverts_gaussian_mi_vectorised():
    rho = np.array([0.0, 0.1, 0.5, 0.9, 0.99])
    for d in (1, 5, 20):
        assert np.allclose(mb.rho_for_mi(mb.gaussian_mi(rho, d), d), rho)
    assert mb.gaussian_mi(0.9, 5) == pytest.approx(4.1518, abs=1e-4)
    assert mb.gaussian_mi(0.9) == pytest.approx(0.8304, abs=1e-4)


def test_correlated_gaussian_shapes_correlation_and_seed():
    x, z = mb.correlated_gaussian(50_000, 4, 0.7, seed=2)
    assert x.shape == z.shape == (50_000, 4)
    corr = [np.corrcoef(x[:, i], z[:, i])[0, 1] for i in range(4)]
    assert np.allclose(corr, 0.7, atol=0.01)
    assert abs(np.corrcoef(x[:, 0], z[:, 1])[0, 1]) < 0.02
    assert np.array_equal(mb.correlated_gaussian(10, 2, 0.5, seed=4)[1], mb.correlated_gaussian(10, 2, 0.5, seed=4)[1])


@pytest.mark.parametrize("bad", [1.0, -1.0, 1.5, float("nan")])
def test_rho_out_of_range_raises(bad):
    with pytest.raises(ValueError, match="rho"):
        mb.correlated_gaussian(10, 1, bad)
    with pytest.raises(ValueError, match="rho"):
        mb.gaussian_mi(bad)


@pytest.mark.parametrize("name", ["identity", "cubic", "asinh", "half_cube", "normal_cdf"])
def test_transforms_are_strictly_increasing(name):
    a = np.linspace(-4, 4, 1001)
    out = mb.transform(a, name)
    assert np.all(np.diff(out) > 0), f"{name} is not strictly increasing (not invertible)"
    assert out.shape == a.shape


def test_unknown_transform_raises():
    with pytest.raises(ValueError, match="unknown transform"):
        mb.transform(np.zeros(3), "square")


def _equitability_mi_monte_carlo(f, sigma, n=4_000, grid=2_000, seed=0):
    """Independent check: E[log p(y|x) - log p(y)] with p(y) a midpoint rule over x."""
    x, y = mb.equitability_sample(n, f, sigma, seed)
    fn = mb.data.EQUITABILITY_FUNCTIONS[f]
    xs = -1 + (np.arange(grid) + 0.5) * 2 / grid
    log_cond = -0.5 * ((y[:, 0] - fn(x[:, 0])) / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))
    dens = np.exp(-0.5 * ((y - fn(xs)[None, :]) / sigma) ** 2).mean(axis=1) / (sigma * math.sqrt(2 * math.pi))
    values = log_cond - np.log(dens)
    return values.mean(), values.std() / math.sqrt(n)


@pytest.mark.parametrize(("f", "sigma"), [("x", 0.1), ("x^3", 0.3), ("sin(x)", 1.0)])
def test_equitability_mi_quadrature_matches_monte_carlo(f, sigma):
    mc, se = _equitability_mi_monte_carlo(f, sigma)
    assert abs(mb.equitability_mi(f, sigma) - mc) < 4 * se + 2e-3


def test_equitability_small_noise_limit():
    """For Y = X + sigma eps, sigma -> 0: I -> h(U(-1, 1)) - h(N(0, sigma^2)) = log 2 - log(sigma sqrt(2 pi e))."""
    sigma = 1e-3
    limit = math.log(2) - 0.5 * math.log(2 * math.pi * math.e * sigma**2)
    assert mb.equitability_mi("x", sigma) == pytest.approx(limit, abs=5e-3)
    x, y = mb.equitability_sample(1000, "x^3", 0.1, seed=0)
    assert x.shape == y.shape == (1000, 1) and np.all(np.abs(x) <= 1)
    with pytest.raises(ValueError, match="sigma"):
        mb.equitability_mi("x", 0.0)
    with pytest.raises(ValueError, match="unknown function"):
        mb.equitability_sample(10, "tan(x)")


def test_discrete_information_quantities():
    assert mb.entropy([0.5, 0.5]) == pytest.approx(math.log(2))
    assert mb.entropy([1.0, 0.0]) == 0.0
    assert mb.kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert mb.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    p_xz = np.array([[0.2, 0.1], [0.3, 0.4]])
    h = mb.entropy(p_xz.sum(1)) + mb.entropy(p_xz.sum(0)) - mb.entropy(p_xz)
    assert mb.mutual_information(p_xz) == pytest.approx(h, abs=1e-12)
    assert mb.mutual_information(np.outer([0.3, 0.7], [0.6, 0.4])) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="sum to 1"):
        mb.entropy([0.5, 0.6])


def test_gaussian_kl_closed_form_matches_monte_carlo():
    m0, s0 = np.array([0.0, 1.0]), np.array([[1.0, 0.3], [0.3, 2.0]])
    m1, s1 = np.array([0.5, 0.0]), np.array([[2.0, -0.2], [-0.2, 1.0]])
    rng = np.random.default_rng(0)
    s = rng.multivariate_normal(m0, s0, size=200_000)
    log_ratio = multivariate_normal(m0, s0).logpdf(s) - multivariate_normal(m1, s1).logpdf(s)
    se = log_ratio.std() / math.sqrt(len(s))
    assert abs(mb.gaussian_kl(m0, s0, m1, s1) - log_ratio.mean()) < 4 * se
    assert mb.gaussian_kl(m0, s0, m0, s0) == pytest.approx(0.0, abs=1e-12)
