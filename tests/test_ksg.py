"""The KSG estimator (minebook.ksg)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minebook as mb
from minebook.ksg import ksg_with_std


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ksg_within_003_nats_d1_n5000(rho):
    # Seed-to-seed spread at n = 5000 is 0.010-0.015 nats (measured over 20 seeds).
    x, z = mb.correlated_gaussian(5000, 1, rho, seed=0)
    assert abs(mb.ksg(x, z, k=3) - mb.gaussian_mi(rho)) < 0.03


def test_ksg_multivariate_and_through_estimate_mi():
    x, z = mb.correlated_gaussian(3000, 3, 0.6, seed=1)
    value = mb.ksg(x, z)
    assert abs(value - mb.gaussian_mi(0.6, 3)) < 0.1
    est = mb.estimate_mi(x, z, estimator="ksg", preprocess="none")   # the raw samples
    assert est.mi == pytest.approx(value) and est.estimator == "ksg"
    from minebook.preprocess import MarginalGaussianizer

    default = mb.estimate_mi(x, z, estimator="ksg")   # default: KSG of the normal scores
    gx, gz = MarginalGaussianizer.fit(x)(x), MarginalGaussianizer.fit(z)(z)
    assert default.mi == pytest.approx(mb.ksg(gx, gz)) and abs(default.mi - value) < 0.05
    assert math.isnan(est.mi_std) and est.critic is None and not est.diverged
    value2, std = ksg_with_std(x, z)
    assert value2 == value and 0 < std < 0.1
    assert mb.estimate_mi(x[:, 0], z, estimator="ksg", k=5, preprocess="none").mi != pytest.approx(value)


def test_ksg_is_symmetric_and_deterministic():
    x, z = mb.correlated_gaussian(2000, 2, 0.7, seed=2)
    assert mb.ksg(x, z) == pytest.approx(mb.ksg(z, x), abs=1e-12)
    assert mb.ksg(x, z) == mb.ksg(x, z)


def test_ksg_counts_strictly_closer_neighbours():
    """Brute-force algorithm 1 on a small sample agrees with the k-d tree version."""
    from scipy.special import digamma

    x, z = mb.correlated_gaussian(60, 1, 0.5, seed=3)
    k = 3
    dx = np.abs(x - x.T)
    dz = np.abs(z - z.T)
    d = np.maximum(dx, dz)
    np.fill_diagonal(d, np.inf)
    eps = np.sort(d, axis=1)[:, k - 1]
    np.fill_diagonal(dx, np.inf)
    np.fill_diagonal(dz, np.inf)
    n_x = (dx < eps[:, None]).sum(1)
    n_z = (dz < eps[:, None]).sum(1)
    brute = digamma(k) + digamma(60) - np.mean(digamma(n_x + 1) + digamma(n_z + 1))
    assert mb.ksg(x, z, k=k) == pytest.approx(brute, abs=1e-12)


def test_ksg_with_ties_discrete_data_gives_the_plug_in_estimate():
    """Exact duplicates (eps_i = 0) use Gao et al.'s rule: on discrete data KSG is the plug-in MI."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (5000, 1))
    z = (x + rng.integers(0, 2, (5000, 1))) % 4  # I = log 2
    table = np.zeros((4, 4))
    np.add.at(table, (x[:, 0], z[:, 0]), 1)
    plug_in = mb.mutual_information(table / table.sum())
    value = mb.ksg(x, z)
    assert math.isfinite(value)
    assert value == pytest.approx(plug_in, abs=0.01)
    assert abs(value - math.log(2)) < 0.02


def test_ksg_with_ties_in_one_variable():
    """x discrete (4 levels), z = x + N(0, 1): the truth h(Z) - h(Z|X) by quadrature."""
    from scipy.integrate import quad
    from scipy.stats import norm

    levels = np.arange(4)

    def p_z(t):
        return norm.pdf(t - levels).mean()

    h_z = quad(lambda t: -p_z(t) * math.log(p_z(t)), -8, 11, limit=200)[0]
    truth = h_z - 0.5 * math.log(2 * math.pi * math.e)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (5000, 1)).astype(float)
    z = x + rng.standard_normal((5000, 1))
    assert abs(mb.ksg(x, z) - truth) < 0.05


def test_ksg_bad_inputs():
    x, z = mb.correlated_gaussian(100, 1, 0.5, seed=0)
    with pytest.raises(ValueError, match="same number of samples"):
        mb.ksg(x, z[:50])
    with pytest.raises(ValueError, match="k"):
        mb.ksg(x[:3], z[:3], k=3)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        mb.ksg(x, z, k=0)
    bad = x.copy()
    bad[4] = np.nan
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        mb.ksg(bad, z)
