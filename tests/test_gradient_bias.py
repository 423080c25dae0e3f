"""Tests of minebook.experiments.gradient_bias (chapters 4 and 5)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import minebook as mb
from minebook.experiments import gradient_bias as gb


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These workloads are tiny: one thread avoids spinning on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def critic():
    torch.manual_seed(0)
    c = mb.ConcatCritic(1, 1, hidden=(16, 16), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # a larger output scale makes e^T uneven, as for a trained critic
        c.net.weights[-1].mul_(4.0)
    return c


@pytest.fixture(scope="module")
def data():
    xj, zj = mb.correlated_gaussian(300, 1, 0.9, seed=1)
    xm, zm = mb.correlated_gaussian(300, 1, 0.0, seed=2)
    return xj, zj, xm, zm


def _autograd(critic, loss_fn):
    critic.zero_grad()
    loss_fn().backward()
    return torch.cat([p.grad.reshape(-1) for p in critic.parameters()]).double()


def _t(a):
    return torch.as_tensor(a, dtype=torch.float32)


def test_param_grads_matches_autograd(critic, data):
    xj, zj, _, _ = data
    w = np.random.default_rng(0).standard_normal((2, len(xj)))
    got = gb.param_grads(critic, xj, zj, w)
    for m in range(2):
        want = _autograd(critic, lambda m=m: (critic(_t(xj), _t(zj)) * _t(w[m])).sum())
        torch.testing.assert_close(got[m], want, rtol=1e-4, atol=1e-6)
    assert gb.param_grads(critic, xj, zj, w[0]).shape == got[0].shape


def test_full_gradient_matches_autograd(critic, data):
    xj, zj, xm, zm = data
    want = _autograd(critic, lambda: mb.dv_bound(critic(_t(xj), _t(zj)), critic(_t(xm), _t(zm))))
    torch.testing.assert_close(gb.full_dv_gradient(critic, *data), want, rtol=1e-4, atol=1e-6)


def test_weight_trick_is_the_mean_of_minibatch_gradients(critic, data):
    rng = np.random.default_rng(3)
    ij, im = rng.integers(0, 300, (50, 8)), rng.integers(0, 300, (50, 8))
    explicit = gb.explicit_minibatch_mean(critic, *data, ij, im)
    trick = gb.weight_trick_mean(critic, *data, ij, im)
    assert float((explicit - trick).norm() / explicit.norm()) < 1e-4


def _exact_delta(p, batch_size):
    """E[w] - p/N by enumerating every ordered minibatch (tiny N and B only)."""
    n = len(p)
    acc = np.zeros(n)
    for idx in itertools.product(range(n), repeat=batch_size):
        pe = p[list(idx)]
        np.add.at(acc, list(idx), pe / pe.sum())
    return acc / n**batch_size - p / n


@pytest.mark.parametrize("control_variate", [True, False])
def test_stream_weights_converge_to_the_exact_expectation(control_variate):
    p = np.array([0.2, 0.5, 1.0, 2.3])
    p = p / p.mean()
    exact = _exact_delta(p, 3)
    got = gb.stream_bias_weights(p, 3, 200_000, seed=0, control_variate=control_variate)[0, 0]
    np.testing.assert_allclose(got, exact, atol=0.1 * np.abs(exact).max())


def test_ema_rate_one_is_the_plain_gradient():
    p = np.random.default_rng(0).lognormal(size=50)
    p = p / p.mean()
    delta = gb.stream_bias_weights(p, 8, 2000, ema_rates=(1.0,), seed=1)[0]
    np.testing.assert_allclose(delta[0], delta[1], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("rate", [1.0, 0.2])
def test_second_order_prediction(rate):
    p = np.random.default_rng(0).lognormal(sigma=0.7, size=200)
    p = p / p.mean()
    pred = gb.predicted_bias_weights(p, 128, rate)
    got = gb.stream_bias_weights(p, 128, 20_000, ema_rates=(rate,), seed=2)[0, 1]
    assert np.linalg.norm(got - pred) < 0.15 * np.linalg.norm(pred)


def test_ema_filter_matches_loop_and_logema():
    rng = np.random.default_rng(0)
    m = rng.lognormal(size=400)
    a = 0.05
    v, ref = gb.ema_filter(m, a, 1.0), []
    prev = 1.0
    for x in m:
        prev = a * x + (1 - a) * prev
        ref.append(prev)
    np.testing.assert_allclose(v, ref, rtol=1e-12)
    ema = mb.LogEMA(a)  # the core's debiased average forgets its start like the plain one
    for x in m:
        log_v = ema.update(torch.tensor(math.log(x), dtype=torch.float64))
    assert abs(float(log_v.exp()) / v[-1] - 1) < 1e-6 + (1 - a) ** 400


def test_ema_variance_formula():
    m = gb.batch_mean_stream(np.random.default_rng(0).lognormal(size=500), 16, 100_000, seed=0)
    emp, pred = gb.ema_variance_check(m, (0.5, 0.1))
    np.testing.assert_allclose(emp, pred, rtol=0.1)


def test_gradient_bias_curves_shapes_and_law(critic, data):
    _, _, xm, zm = data
    res = gb.gradient_bias_curves(critic, xm, zm, [32, 128], 2000, (0.1,), n_groups=2)
    assert res["measured"].shape == (2, 2) and res["rates"].tolist() == [1.0, 0.1]
    assert np.all(res["measured"][1] < res["measured"][0])
    assert -1.3 < gb.fit_loglog_slope(res["batch_sizes"], res["measured"][0]) < -0.7


def test_fit_loglog_slope():
    b = np.array([16, 64, 256])
    assert gb.fit_loglog_slope(b, 3.0 / b) == pytest.approx(-1.0)


def test_stack_runs_and_nonfinite():
    run = {"mi": np.arange(6.0), "history": np.tile([[0.0], [1.0], [np.inf]], (1, 6)),
           "eval_steps": np.array([3])}
    out = gb.stack_runs(run, (2, 3))
    assert out["mi"].shape == (2, 3) and out["history"].shape == (2, 3, 3)
    assert out["mi"][1, 0] == 3.0 and out["eval_steps"].tolist() == [3]
    assert gb.first_nonfinite_step(out["history"]).tolist() == [[2, 2, 2], [2, 2, 2]]
    assert gb.first_nonfinite_step(np.zeros((2, 4))).tolist() == [-1, -1]


def test_shift_overflow(critic, data):
    out = gb.shift_overflow(critic, *data, [0.0, 50.0, 200.0])
    assert np.allclose(out["lse"], out["lse"][0], atol=1e-3)
    assert abs(out["naive"][0] - out["lse"][0]) < 1e-4
    assert not np.isfinite(out["naive"][2])


def test_shift_overflow_threshold(critic, data):
    offsets = np.arange(0.0, 100.0, 0.25)
    out = gb.shift_overflow(critic, *data, offsets)
    first_inf = offsets[np.argmax(~np.isfinite(out["naive"]))]
    assert abs(first_inf - (np.log(np.finfo(np.float32).max) - out["log_sum_exp"])) <= 0.5


def test_train_with_checkpoints_is_the_library_engine():
    """The same engine as estimate_mi_many: identical training, and the last checkpoint is the
    library's DV read-out of the last iterate (other shifts: equal within its standard error)."""
    pairs = [mb.correlated_gaussian(2000, 1, rho, seed=i) for i, rho in enumerate([0.5, 0.8])]
    kw = dict(steps=200, batch_size=64, hidden=(16, 16), lr=3e-3, seed=3)
    lib = mb.estimate_mi_many(pairs, estimator="mine", preprocess="standardize", average_last=0.0,
                              val_fraction=0.0, critic="concat", n_shuffles=5, **kw)
    ours = gb.train_with_checkpoints(pairs, "mine", eval_every=50, **kw)
    np.testing.assert_array_equal(ours["history"], np.stack([r.history for r in lib], axis=1))
    np.testing.assert_allclose(ours["mi"], [r.mi for r in lib], atol=4 * max(r.mi_std for r in lib))
    assert ours["eval_steps"].tolist() == [50, 100, 150, 200] and ours["held_out"].shape == (4, 2)
    assert ours["history"].shape == ours["grad_norms"].shape == ours["t_max"].shape == (200, 2)
    stacked = gb.stack_runs(ours, (1, 2))
    assert stacked["history"].shape == (1, 2, 200) and stacked["mi"].shape == (1, 2)
    assert "critic" not in stacked


def test_train_with_checkpoints_is_deterministic():
    pairs = [mb.correlated_gaussian(500, 1, 0.8, seed=0)]
    a, b = (gb.train_with_checkpoints(pairs, "mine", steps=20, batch_size=16, hidden=(8,), eval_every=10)
            for _ in range(2))
    np.testing.assert_array_equal(a["history"], b["history"])
    np.testing.assert_array_equal(a["held_out"], b["held_out"])
