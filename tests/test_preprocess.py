"""minebook.preprocess (chapter 3): the MI-preserving marginal Gaussianization."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minebook as mb
from minebook.preprocess import MarginalGaussianizer, check_preprocess


def test_gaussianizer_is_strictly_increasing_and_gives_normal_scores():
    rng = np.random.default_rng(0)
    a = np.column_stack([rng.standard_t(1.5, 4000), rng.exponential(size=4000), rng.integers(0, 3, 4000)])
    g = MarginalGaussianizer.fit(a)
    out = g(a)
    assert np.all(np.isfinite(out))
    for j in (0, 1):  # continuous columns: about standard normal
        assert abs(out[:, j].mean()) < 0.02 and abs(out[:, j].std() - 1) < 0.03
    grid = np.linspace(-1e6, 1e6, 20001)
    mapped = g(np.column_stack([grid] * 3))
    assert np.all(np.diff(mapped[:, 0]) > 0) and np.all(np.isfinite(mapped))  # invertible, finite far out
    assert len(np.unique(out[:, 2])) == 3  # a discrete column keeps its three values apart


def test_gaussianizer_torch_matches_numpy_and_constant_column():
    rng = np.random.default_rng(1)
    a = np.column_stack([rng.lognormal(size=500), np.full(500, 3.0)])
    g = MarginalGaussianizer.fit(a, max_knots=100)
    new = np.column_stack([rng.lognormal(size=50) * 3, np.full(50, 3.0)])
    np_out = g(new)
    torch_out = g.torch_call(torch.as_tensor(new, dtype=torch.float64)).numpy()
    assert np.allclose(np_out, torch_out, atol=1e-9) and np.all(np_out[:, 1] == 0)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        g(np.zeros((3, 5)))


def test_check_preprocess_names():
    assert check_preprocess(None) == "gaussianize" and check_preprocess(None, standardize=False) == "none"
    assert check_preprocess(None, standardize=True) == "standardize"
    assert check_preprocess("gaussianize") == "gaussianize"
    with pytest.raises(ValueError, match="unknown preprocess 'rank'"):
        check_preprocess("rank")
    with pytest.raises(ValueError, match="unknown preprocess"):
        mb.estimate_mi(np.zeros((100, 1)), np.zeros((100, 1)), preprocess="rank")


def test_gaussianize_is_invariant_to_increasing_maps_of_each_coordinate():
    x, z = mb.correlated_gaussian(2000, d=2, rho=0.8, seed=0)
    kw = dict(preprocess="gaussianize", steps=200, batch_size=256, seed=3)
    a = mb.estimate_mi(x, z, **kw)
    b = mb.estimate_mi(np.exp(3 * x), z**3 + z, **kw)  # strictly increasing per coordinate
    assert a.mi == pytest.approx(b.mi, abs=0.03)
    raw = mb.estimate_mi(np.exp(3 * x), z**3 + z, steps=200, batch_size=256, seed=3, preprocess="standardize")
    assert abs(raw.mi - a.mi) > abs(b.mi - a.mi)  # standardizing alone is not invariant
    scores = a.critic(x[:7], z[:7])  # the returned critic takes raw inputs
    assert scores.shape == (7,) and torch.all(torch.isfinite(scores))


def test_gaussianize_rescues_heavy_tails_for_ksg_too():
    x, z = mb.correlated_gaussian(1500, d=1, rho=0.9, seed=2)
    x_heavy = np.sinh(3 * x)  # increasing, very heavy tails; the MI stays 0.83 nats
    raw = mb.estimate_mi(x_heavy, z, estimator="ksg").mi
    fixed = mb.estimate_mi(x_heavy, z, estimator="ksg", preprocess="gaussianize").mi
    truth = mb.gaussian_mi(0.9)
    assert abs(fixed - truth) < 0.1 and abs(fixed - truth) <= abs(raw - truth) + 1e-9


def test_gaussianizer_tails_stay_tame_beyond_the_end_knots():
    rng = np.random.default_rng(2)
    a = rng.standard_t(2.0, size=(100_000, 1)) ** 3  # far heavier than the 2000 knots can follow
    g = MarginalGaussianizer.fit(a[:75_000])
    out = g(a)
    assert np.abs(out).max() < 8  # a linear extension gave scores in the thousands
    v, q = g.knots[0], g.scores[0]
    for end, step in ((v[-1], v[-1] - v[-2]), (v[0], v[0] - v[1])):  # value and slope continuous
        eps = 1e-6 * step
        left, at, right = g(np.array([[end - eps], [end], [end + eps]]))[:, 0]
        assert abs(right - at) == pytest.approx(abs(at - left), rel=1e-3)
    far = np.array([[v[-1] + 1000 * (v[-1] - v[-2])]])
    assert g(far)[0, 0] == pytest.approx(q[-1] + (q[-1] - q[-2]) * np.log(1001))
