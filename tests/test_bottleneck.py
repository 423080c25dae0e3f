"""minebook.experiments.bottleneck: the pieces of chapter 10 (VIB, MINE-IB, the sweep, the MI of a Gaussian encoder)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minebook as mb
from minebook.experiments import bottleneck as bn


def test_scale_grad_is_identity_forward_and_scales_backward():
    x = torch.randn(2, 3, 4, requires_grad=True)
    y = bn.scale_grad(x, torch.tensor([-2.0, 0.5]).view(2, 1, 1))
    assert torch.equal(y, x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad[0].numpy(), -2.0)
    np.testing.assert_allclose(x.grad[1].numpy(), 0.5)


def test_stacked_mine_matches_minebook_mine_for_one_member():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    critic = mb.ConcatCritic(2, 3, (16,), generator=torch.Generator().manual_seed(0))
    single = mb.MINE(critic, ema_rate=0.1, generator=g1)
    stacked = bn.StackedMINE(critic, ema_rate=0.1, generator=g2)
    x, z = torch.randn(32, 2), torch.randn(32, 3)
    for _ in range(3):  # same values, and the same EMA state, step after step
        a, b = single(x, z), stacked(x.unsqueeze(0), z.unsqueeze(0))
        assert b.shape == (1,)
        torch.testing.assert_close(a, b[0])
    ga = torch.autograd.grad(single(x, z), critic.parameters())
    gb = torch.autograd.grad(stacked(x.unsqueeze(0), z.unsqueeze(0)).sum(), critic.parameters())
    for u, v in zip(ga, gb, strict=True):
        torch.testing.assert_close(u, v)


def test_gaussian_kl_to_standard():
    mu, sigma = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 2.0]])
    expected = 0.5 * (1.0) + 0.5 * (4.0 - 1.0 - 2 * math.log(2.0))
    torch.testing.assert_close(bn.gaussian_kl_to_standard(mu, sigma), torch.tensor([expected]))
    assert float(bn.gaussian_kl_to_standard(torch.zeros(1, 5), torch.ones(1, 5))) == 0.0


def test_batch_standardize():
    z = torch.randn(3, 50, 4) * 7 + 2
    s = bn.batch_standardize(z)
    torch.testing.assert_close(s.mean(1), torch.zeros(3, 4), atol=1e-5, rtol=0)
    torch.testing.assert_close(s.std(1), torch.ones(3, 4), atol=1e-4, rtol=0)


def test_encoder_mi_limits():
    n, dz = 40, 3
    mu = torch.randn(1, n, dz) * 100  # far apart codes: I(X;Z) = log N
    assert abs(bn.encoder_mi(mu, torch.full((1, n, dz), 1e-2))[0] - math.log(n)) < 1e-3
    same = torch.zeros(1, n, dz)      # identical codes: I(X;Z) = 0
    assert abs(bn.encoder_mi(same, torch.ones(1, n, dz))[0]) < 1e-9


def test_encoder_mi_two_points_against_quadrature():
    # X uniform on {0, 1}, Z | X ~ N(+-m, 1) in 1-D: MI by numerical integration.
    m = 0.8
    grid = np.linspace(-12, 12, 20001)
    p0 = np.exp(-0.5 * (grid - m) ** 2) / math.sqrt(2 * math.pi)
    p1 = np.exp(-0.5 * (grid + m) ** 2) / math.sqrt(2 * math.pi)
    pz = 0.5 * (p0 + p1)
    exact = 0.5 * np.trapezoid(p0 * np.log(p0 / pz) + p1 * np.log(p1 / pz), grid)
    mu = torch.tensor([[[m], [-m]]]).repeat(1, 500, 1)  # 1000 inputs, half at each point
    est = bn.encoder_mi(mu, torch.ones_like(mu), n_samples=8)[0]
    assert abs(est - exact) < 0.02


def _linear_mi(a: torch.Tensor, sigma: float) -> float:
    """I(X;Z) for X ~ N(0, I), Z = A X + sigma * eps (nats)."""
    cov = torch.eye(len(a)) + a @ a.T / sigma**2
    return 0.5 * float(torch.logdet(cov))


@pytest.mark.parametrize("beta, direction", [(1.0, -1), (-1.0, +1)])
def test_mine_penalty_sign_minimises_or_maximises_mi(beta, direction):
    """THE sign test: +beta*mine in the encoder loss lowers I(X;Z); -beta*mine raises it.

    Toy problem: X ~ N(0, I_2), a linear encoder Z = A X + 0.5 eps with known I(X;Z); the
    critic ascends MINE while A descends the total loss built by ``mine_penalty``.
    """
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    a = torch.nn.Parameter(torch.tensor([[1.0, 0.3], [0.2, 0.8]]))
    critic = mb.ConcatCritic(2, 2, (32, 32), generator=gen)
    mine = bn.StackedMINE(critic, ema_rate=0.05, generator=gen)
    critic_opt = torch.optim.Adam(critic.parameters(), lr=3e-3)
    enc_opt = torch.optim.SGD([a], lr=0.02)
    draw = lambda: torch.randn(1, 256, 2, generator=gen)
    for _ in range(200):  # warm the critic up first
        x = draw()
        z = (x @ a.T + 0.5 * torch.randn(x.shape, generator=gen)).detach()
        critic_opt.zero_grad()
        (-mine(x, z).sum()).backward()
        critic_opt.step()
    start_mi, start_est = _linear_mi(a.detach(), 0.5), float(mine.eval()(x, z).detach())
    mine.train()
    for _ in range(150):
        x = draw()
        z = x @ a.T + 0.5 * torch.randn(x.shape, generator=gen)
        term, _ = bn.mine_penalty(mine, x, z, torch.tensor([beta]))
        enc_opt.zero_grad()
        critic_opt.zero_grad()
        term.sum().backward()
        enc_opt.step()
        critic_opt.step()
    end_mi = _linear_mi(a.detach(), 0.5)
    x = draw()
    end_est = float(mine.eval()(x, x @ a.detach().T + 0.5 * torch.randn(x.shape, generator=gen)).detach())
    assert direction * (end_mi - start_mi) > 0.3, (start_mi, end_mi)
    assert direction * (end_est - start_est) > 0.2, (start_est, end_est)


def test_mine_penalty_gradient_signs_on_critic_and_encoder():
    gen = torch.Generator().manual_seed(1)
    critic = mb.ConcatCritic(1, 1, (8,), generator=gen)
    mine = bn.StackedMINE(critic, estimator="mine_biased", generator=gen)
    x = torch.randn(1, 64, 1, generator=gen)
    z = (2 * x).requires_grad_()
    mine.generator = torch.Generator().manual_seed(7)  # the same shuffle in both calls
    term, mi = bn.mine_penalty(mine, x, z, 0.5)
    term.sum().backward()
    g_z = z.grad.clone()
    g_critic = [p.grad.clone() for p in critic.parameters()]
    z2 = (2 * x).requires_grad_()
    critic.zero_grad()
    mine.generator = torch.Generator().manual_seed(7)
    mi2 = mine(x, z2)
    gz_mi, *gc_mi = torch.autograd.grad(mi2.sum(), [z2, *critic.parameters()])
    torch.testing.assert_close(g_z, 0.5 * gz_mi)            # encoder: + beta * grad mine
    for u, v in zip(g_critic, gc_mi, strict=True):
        torch.testing.assert_close(u, -v)                    # critic: - grad mine (ascent)
    torch.testing.assert_close(term, -mi)


def _toy_split(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + 2 * (x[:, 2] > 0)
    from minebook.datasets import Split
    return Split(x[:300], y[:300], x[300:], y[300:], (2, 3), "toy", np.zeros(6), np.ones(6))


def test_train_ib_beta_compresses_the_code():
    split = _toy_split()
    small = dict(dim_z=4, hidden=(32,), steps=200, batch_size=64, critic_hidden=(32,), critic_steps=2,
                 sigma_shift=0.0, lr=3e-3)
    ens = bn.train_ib(split.x_train, split.y_train, ["mine", "mine", "vib", "vib"], [0.0, 1.0, 0.0, 1.0], **small)
    xt = torch.as_tensor(split.x_train).expand(4, -1, -1)
    with torch.no_grad():
        mu, sigma = ens.model.encode(xt)
    mi = bn.encoder_mi(mu, sigma)
    assert mi[1] < mi[0] - 0.5, mi   # MINE-IB: beta = 1 compresses
    assert mi[3] < mi[2] - 0.5, mi   # VIB: beta = 1 compresses
    assert np.all(np.isfinite(ens.history["ce"]))
    assert np.isnan(ens.history["mine"][:, 2:]).all() and np.isfinite(ens.history["mine"][:, :2]).all()


def test_beta_sweep_shapes_and_determinism():
    split = _toy_split()
    kw = dict(dim_z=3, hidden=(16,), steps=20, batch_size=32, critic_hidden=(16,), mc_samples=2, mi_samples=1)
    a = bn.beta_sweep(split, [0.01, 0.1], n_seeds=2, seed=5, **kw)
    b = bn.beta_sweep(split, [0.01, 0.1], n_seeds=2, seed=5, **kw)
    assert a.errors["baseline"].shape == (1, 2)
    assert a.errors["vib"].shape == (2, 2) and a.errors["mine"].shape == (2, 2)
    assert np.isnan(a.mi_known["baseline"]).all() and np.isfinite(a.mi_known["mine"]).all()
    for m in bn.METHODS:
        np.testing.assert_array_equal(a.errors[m], b.errors[m])
        np.testing.assert_array_equal(a.mi_known[m], b.mi_known[m])
    assert a.codes["vib"][0].shape == (2, 2, 100, 3)


def test_mc_test_error_deterministic_member_and_bad_input():
    model = bn.StackedEncoder(6, (8,), 2, 4, [False, True], torch.Generator().manual_seed(0))
    split = _toy_split()
    err = bn.mc_test_error(model, split.x_test, split.y_test, mc_samples=3)
    assert err.shape == (2,) and np.all((0 <= err) & (err <= 100))
    with pytest.raises(ValueError, match="unknown method"):
        bn.train_ib(split.x_train, split.y_train, ["nope"], [0.1], steps=1)
    with pytest.raises(ValueError, match="beta"):
        bn.train_ib(split.x_train, split.y_train, ["vib"], [-1.0], steps=1)


def test_code_mi_mine_orders_encoders_and_reports_ess():
    """A sharp encoder (small sigma) keeps more of X than a blurry one; shapes follow the leading dims."""
    gen = torch.Generator().manual_seed(0)
    mu = torch.randn(1, 2, 800, 2, generator=gen).expand(1, 2, 800, 2).clone()
    sigma = torch.stack([torch.full((800, 2), 0.1), torch.full((800, 2), 10.0)]).unsqueeze(0)
    mi, ess = bn.code_mi_mine((mu, sigma), n_draws=2, seed=0, steps=300, batch_size=128, hidden=(32, 32),
                              return_ess=True)
    assert mi.shape == ess.shape == (1, 2)
    assert mi[0, 0] > 1.5 and abs(mi[0, 1]) < 0.2
    assert (ess > 1).all()
    np.testing.assert_allclose(bn.code_mi_mine((mu, sigma), n_draws=2, seed=0, steps=300, batch_size=128,
                                               hidden=(32, 32)), mi)
