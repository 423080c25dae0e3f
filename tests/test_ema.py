"""The moving-average correction of MINE (minebook.ema): LogEMA and the surrogate's gradient."""

from __future__ import annotations

import math

import pytest
import torch

import minebook as mb


def test_log_ema_debiased_weighted_mean():
    a = 0.1
    ema = mb.LogEMA(a)
    means = [2.0, 5.0, 1.0, 7.0, 3.0]
    for t, m in enumerate(means, start=1):
        log_v = ema.update(torch.tensor(math.log(m), dtype=torch.float64))
        weights = [a * (1 - a) ** (t - s) for s in range(1, t + 1)]
        expected = sum(w * x for w, x in zip(weights, means[:t], strict=True)) / sum(weights)
        assert math.exp(log_v.item()) == pytest.approx(expected, rel=1e-12)
    assert ema.steps == len(means)


def test_log_ema_first_step_and_constant_input_are_exact():
    ema = mb.LogEMA(0.01)
    assert ema.update(torch.tensor([0.3, -2.0])).tolist() == pytest.approx([0.3, -2.0])
    for _ in range(10):  # no start-up bias: an un-debiased EMA from 0 would give 0.1 * v here
        log_v = ema.update(torch.tensor([0.3, -2.0]))
    assert log_v.tolist() == pytest.approx([0.3, -2.0], abs=1e-6)


def test_log_ema_never_overflows():
    ema = mb.LogEMA(0.5)
    for value in (800.0, 1000.0, -900.0):
        log_v = ema.update(torch.tensor(value))
        assert torch.isfinite(log_v)
    # raw sum 0.125 e^800 + 0.25 e^1000 + 0.5 e^-900, debiased by 1 - 0.5^3:
    expected = 1000 + math.log(0.125 * math.exp(-200) + 0.25 + 0.5 * math.exp(-1900)) - math.log(0.875)
    assert log_v.item() == pytest.approx(expected, rel=1e-6)


def test_log_ema_state_roundtrip_and_device_follow():
    ema = mb.LogEMA(0.2)
    ema.update(torch.tensor([1.0, 2.0]))
    state = ema.state_dict()
    other = mb.LogEMA(0.9)
    other.load_state_dict(state)
    assert other.ema_rate == 0.2
    assert torch.equal(other.update(torch.tensor([1.0, 2.0])), ema.update(torch.tensor([1.0, 2.0])))
    # The state follows the device of the next input (here the shape-only "meta" device).
    meta = ema.update(torch.tensor([1.0, 2.0], device="meta"))
    assert meta.device.type == "meta"


def test_log_ema_rejects_bad_rate():
    for rate in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="ema_rate"):
            mb.LogEMA(rate)
    with pytest.raises(RuntimeError):
        _ = mb.LogEMA(0.1).log_v


def test_ema_surrogate_gradient_matches_the_formula():
    """Tiny critic T(x, z) = w0 * x * z + w1 * x + w2 * z^2: compare autograd with the hand formula."""
    gen = torch.Generator().manual_seed(0)
    w = torch.tensor([0.7, -0.3, 0.2], dtype=torch.float64, requires_grad=True)
    x = torch.randn(6, generator=gen, dtype=torch.float64)
    z = torch.randn(6, generator=gen, dtype=torch.float64)
    z_marg = z[torch.tensor([1, 2, 3, 4, 5, 0])]
    log_v = torch.tensor(math.log(1.7), dtype=torch.float64)  # some moving average v = 1.7

    def features(a, b):  # dT/dw for the linear-in-parameters critic
        return torch.stack([a * b, a, b**2], dim=-1)

    t_joint, t_marg = features(x, z) @ w, features(x, z_marg) @ w
    value = mb.ema_dv_surrogate(t_joint, t_marg, log_v)
    (grad,) = torch.autograd.grad(value, w)
    # E_B[grad T] - E_B[grad T e^T] / v, computed by hand:
    with torch.no_grad():
        expected = features(x, z).mean(0) - (features(x, z_marg) * torch.exp(t_marg)[:, None]).mean(0) / 1.7
    assert torch.allclose(grad, expected, atol=1e-12)
    # Its forward value is the DV bound on the batch.
    assert value.item() == pytest.approx(mb.dv_bound(t_joint, t_marg).item(), abs=1e-12)
    # With v equal to the batch mean it is exactly the biased minibatch DV gradient.
    t_joint, t_marg = features(x, z) @ w, features(x, z_marg) @ w
    log_batch = mb.logmeanexp(t_marg.detach())
    (g_batch,) = torch.autograd.grad(mb.ema_dv_surrogate(t_joint, t_marg, log_batch), w, retain_graph=True)
    (g_dv,) = torch.autograd.grad(mb.dv_bound(t_joint, t_marg), w)
    assert torch.allclose(g_batch, g_dv, atol=1e-12)


def test_ema_surrogate_is_finite_for_huge_scores():
    t_joint = torch.full((4,), 500.0, requires_grad=True)
    t_marg = torch.tensor([480.0, 470.0, 300.0], requires_grad=True)
    ema = mb.LogEMA(0.01)
    value = mb.ema_dv_surrogate(t_joint, t_marg, ema.update(mb.logmeanexp(t_marg)))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(t_marg.grad).all()


def test_batch_objective_mine_updates_ema_and_keeps_dv_value():
    gen = torch.Generator().manual_seed(0)
    tj, tm = torch.randn(2, 8, generator=gen), torch.randn(2, 8, generator=gen)
    ema = mb.LogEMA(0.01)
    value, train = mb.batch_objective("mine", tj, tm, ema=ema)
    assert torch.allclose(value, mb.dv_bound(tj, tm)) and torch.allclose(train, value)
    assert ema.steps == 1
    with pytest.raises(ValueError, match="LogEMA"):
        mb.batch_objective("mine", tj, tm)
