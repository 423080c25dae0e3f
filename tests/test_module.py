"""The MINE module (minebook.module) and the stacked critics (minebook.critics)."""

from __future__ import annotations

import math

import pytest
import torch

import minebook as mb


@pytest.fixture
def one_thread():
    """Tiny networks: one intra-op thread avoids thread hand-off costs (and spinning on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _encoder_game(sign: float, steps: int = 200, seed: int = 0):
    """Encoder z = w x + eps (I = 0.5 log(1 + w^2)); the critic maximises MINE, the encoder
    adds ``-sign * beta * mine(x, z)`` to its loss (sign=+1 maximises MI, -1 minimises it).

    Returns the MINE estimate (eval mode, large fresh batch) and the true MI, before and after.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    w = torch.nn.Parameter(torch.tensor(1.0))
    mine = mb.MINE(mb.ConcatCritic(1, 1, hidden=(16, 16), generator=gen), ema_rate=0.05, generator=gen)
    critic_opt = torch.optim.Adam(mine.parameters(), lr=3e-3)
    encoder_opt = torch.optim.Adam([w], lr=0.02)

    def batch(b=128):
        x = torch.randn(b, 1, generator=gen)
        return x, w * x + torch.randn(b, 1, generator=gen)

    def critic_steps(k):
        for _ in range(k):
            x, z = batch()
            critic_opt.zero_grad()
            (-mine(x.detach(), z.detach())).backward()
            critic_opt.step()

    def evaluate():
        mine.eval()
        with torch.no_grad():
            value = mine(*batch(8192)).item()
        mine.train()
        return value, 0.5 * math.log(1 + w.item() ** 2)

    critic_steps(200)  # the critic learns the initial dependence first
    before = evaluate()
    for _ in range(steps):
        critic_steps(1)
        x, z = batch()
        encoder_opt.zero_grad()
        (-sign * 1.0 * mine(x, z)).backward()  # encoder loss: -beta*mine maximises, +beta*mine minimises
        encoder_opt.step()
    critic_steps(50)
    return before, evaluate()


def test_maximising_mi_through_an_encoder_raises_the_estimate(one_thread):
    (est0, true0), (est1, true1) = _encoder_game(+1.0)
    assert true1 > true0 + 0.3, "the encoder did not increase I(X;Z)"
    assert est1 > est0 + 0.3, f"MINE estimate {est0:.2f} -> {est1:.2f}"


def test_minimising_mi_through_an_encoder_lowers_the_estimate(one_thread):
    (est0, true0), (est1, true1) = _encoder_game(-1.0)
    assert true1 < true0 - 0.2, "the encoder did not decrease I(X;Z)"
    assert est1 < est0 - 0.2, f"MINE estimate {est0:.2f} -> {est1:.2f}"
    assert est1 < 0.1


def test_mine_value_is_the_bound_and_gradient_reaches_inputs():
    gen = torch.Generator().manual_seed(0)
    critic = mb.SeparableCritic(2, 3, hidden=(8,), embed_dim=4, generator=gen)
    x = torch.randn(16, 2, generator=gen, requires_grad=True)
    z = torch.randn(16, 3, generator=gen)
    scores = critic.scores(x, z).detach()
    diag, off = torch.diagonal(scores), scores[~torch.eye(16, dtype=torch.bool)]
    for estimator, bound in (("mine", mb.dv_bound), ("mine_biased", mb.dv_bound), ("mine_f", mb.nwj_bound)):
        mine = mb.MINE(critic, estimator=estimator)
        value = mine(x, z)
        assert value.shape == ()
        assert value.item() == pytest.approx(bound(diag, off).item(), abs=1e-5)
        (grad,) = torch.autograd.grad(value, x)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    nce = mb.MINE(critic, estimator="infonce")
    assert nce(x, z).item() == pytest.approx(mb.infonce_bound(scores).item(), abs=1e-5)


def test_mine_eval_mode_leaves_the_moving_average_alone():
    gen = torch.Generator().manual_seed(0)
    mine = mb.MINE(mb.ConcatCritic(1, 1, hidden=(8,), generator=gen), generator=gen)
    x, z = torch.randn(32, 1, generator=gen), torch.randn(32, 1, generator=gen)
    mine(x, z)
    assert mine.ema.steps == 1
    mine.eval()
    mine(x, z)
    assert mine.ema.steps == 1
    assert mine.ema_rate == 0.01


def test_mine_accepts_one_dimensional_inputs_and_moves_devices():
    gen = torch.Generator().manual_seed(0)
    mine = mb.MINE(mb.ConcatCritic(1, 1, hidden=(8,), generator=gen), generator=gen)
    value = mine(torch.randn(32, generator=gen), torch.randn(32, generator=gen))
    assert torch.isfinite(value)
    mine = mine.to("cpu")  # the moving-average state follows the module's inputs
    assert torch.isfinite(mine(torch.randn(32, 1, generator=gen), torch.randn(32, 1, generator=gen)))


def test_mine_bad_arguments():
    critic = mb.ConcatCritic(1, 1, hidden=(8,))
    with pytest.raises(ValueError, match="unknown estimator"):
        mb.MINE(critic, estimator="ksg")
    with pytest.raises(ValueError, match="n_critics=1"):
        mb.MINE(mb.ConcatCritic(1, 1, hidden=(8,), n_critics=2))
    mine = mb.MINE(critic)
    with pytest.raises(ValueError, match="same B"):
        mine(torch.zeros(4, 1), torch.zeros(5, 1))
    with pytest.raises(ValueError, match="at least 2"):
        mine(torch.zeros(1, 1), torch.zeros(1, 1))


# ----------------------------------------------------------------------------- critics
def test_stacked_critics_are_independent_members():
    gen = torch.Generator().manual_seed(0)
    k, n = 3, 10
    critic = mb.ConcatCritic(2, 3, hidden=(16, 16), n_critics=k, generator=gen)
    x, z = torch.randn(k, n, 2, generator=gen), torch.randn(k, n, 3, generator=gen)
    out = critic(x, z)
    assert out.shape == (k, n)
    for j in range(k):
        assert torch.allclose(critic.member(j)(x[j], z[j]), out[j], atol=1e-6)
    scores = critic.scores(x, z)
    assert scores.shape == (k, n, n)
    assert torch.allclose(torch.diagonal(scores, dim1=-2, dim2=-1), out, atol=1e-6)
    assert torch.allclose(scores[1, 2, 5], critic(x[1:2, 2:3].expand(k, 1, 2).contiguous(),
                                                  z[1:2, 5:6].expand(k, 1, 3).contiguous())[1, 0], atol=1e-6)


def test_separable_critic_scores_all_pairs():
    gen = torch.Generator().manual_seed(1)
    critic = mb.SeparableCritic(2, 2, hidden=(8,), embed_dim=4, n_critics=2, generator=gen)
    x, z = torch.randn(2, 6, 2, generator=gen), torch.randn(2, 6, 2, generator=gen)
    scores = critic.scores(x, z)
    assert torch.allclose(torch.diagonal(scores, dim1=-2, dim2=-1), critic(x, z), atol=1e-6)
    assert torch.allclose(critic.member(1).scores(x[1], z[1]), scores[1], atol=1e-6)


def test_critic_seeding_and_shape_errors():
    a = mb.ConcatCritic(1, 1, generator=torch.Generator().manual_seed(3))
    b = mb.ConcatCritic(1, 1, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    with pytest.raises(ValueError, match="critic inputs"):
        a(torch.zeros(3, 1), torch.zeros(1, 3, 1))
    with pytest.raises(ValueError, match="unknown critic"):
        mb.make_critic("bilinear", 1, 1)
    mlp = mb.StackedMLP(4, (8,), 2, n_critics=5)
    assert mlp(torch.zeros(5, 7, 4)).shape == (5, 7, 2)


def test_shuffle_rows_is_a_derangement():
    gen = torch.Generator().manual_seed(0)
    z = torch.arange(50, dtype=torch.float32).view(1, 50, 1).expand(4, 50, 1)
    for _ in range(20):
        shuffled = mb.shuffle_rows(z, gen)
        assert (shuffled != z).all(), "a joint pair survived the shuffle"
        assert torch.equal(shuffled.sort(dim=1).values, z)


@pytest.mark.parametrize("estimator", ["mine_biased", "mine_f", "infonce", "jsd"])
def test_stacked_mine_members_equal_single_mine(estimator):
    """mb.StackedMINE with K members = K MINE modules on each member's critic (separable: no shuffle)."""
    g = torch.Generator().manual_seed(3)
    critic = mb.SeparableCritic(2, 3, hidden=(8,), embed_dim=4, n_critics=3, generator=g)
    x, z = torch.randn(3, 16, 2, generator=g), torch.randn(3, 16, 3, generator=g)
    stacked = mb.StackedMINE(critic, estimator=estimator)(x, z)
    assert stacked.shape == (3,)
    for k in range(3):
        single = mb.MINE(critic.member(k), estimator=estimator)(x[k], z[k])
        torch.testing.assert_close(stacked[k], single, rtol=1e-5, atol=1e-5)


def test_stacked_mine_bad_shapes_and_estimator():
    critic = mb.ConcatCritic(2, 2, hidden=(8,), n_critics=2)
    mine = mb.StackedMINE(critic)
    with pytest.raises(ValueError, match=r"x \(K, B, dx\)"):
        mine(torch.randn(16, 2), torch.randn(16, 2))
    with pytest.raises(ValueError, match="same K and B"):
        mine(torch.randn(2, 16, 2), torch.randn(2, 15, 2))
    with pytest.raises(ValueError, match="at least 2"):
        mine(torch.randn(2, 1, 2), torch.randn(2, 1, 2))
    with pytest.raises(ValueError, match="unknown estimator"):
        mb.StackedMINE(critic, estimator="ksg")
    with pytest.raises(ValueError, match="StackedMINE"):
        mb.MINE(critic)
