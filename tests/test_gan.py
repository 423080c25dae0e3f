"""minebook.experiments.gan and .stacked_mnist (chapter 8): clipping, metrics, samplers, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minebook as mb
from minebook.experiments import adversarial as adv
from minebook.experiments import gan
from minebook.experiments import stacked_mnist as sm


# --------------------------------------------------------------------------- clipping
def test_member_norms_per_member():
    g = [torch.tensor([[3.0, 0.0], [0.0, 1.0]]), torch.tensor([[[4.0]], [[0.0]]])]
    assert torch.allclose(adv.member_norms(g), torch.tensor([5.0, 1.0]))


def test_adaptive_clip_rule():
    # member 0: |g_m| = 1 < |g_u| = 5, unchanged; member 1: |g_m| = 10 > |g_u| = 0.5, cut to 0.5
    g_u = [torch.tensor([[3.0, 4.0], [0.3, 0.4]])]
    g_m = [torch.tensor([[0.6, 0.8], [6.0, 8.0]])]
    out = adv.adaptive_clip(g_u, g_m)[0]
    assert torch.allclose(out[0], g_m[0][0])
    assert torch.allclose(out[1], torch.tensor([0.3, 0.4]))  # norm 0.5, direction of g_m


def test_adaptive_clip_norm_is_min_and_direction_kept():
    gen = torch.Generator().manual_seed(0)
    shapes = [(4, 3, 5), (4, 1, 5), (4, 5, 2)]
    g_u = [torch.randn(s, generator=gen) * 0.1 for s in shapes]
    g_m = [torch.randn(s, generator=gen) * torch.tensor([0.01, 1.0, 10.0, 0.0]).reshape(4, 1, 1) for s in shapes]
    out = adv.adaptive_clip(g_u, g_m)
    n_u, n_m, n_out = adv.member_norms(g_u), adv.member_norms(g_m), adv.member_norms(out)
    assert torch.allclose(n_out, torch.minimum(n_u, n_m), atol=1e-6)
    for a, b in zip(out, g_m, strict=True):  # same direction: out = scale * g_m, scale in [0, 1]
        ratio = (a.reshape(4, -1) * b.reshape(4, -1)).sum(1) / b.reshape(4, -1).pow(2).sum(1).clamp_min(1e-30)
        assert torch.all(ratio <= 1 + 1e-6) and torch.all(ratio >= 0)
    assert all(torch.all(a[3] == 0) for a in out)  # a zero MI gradient stays zero (no NaN)


def test_combine_gradients_equals_adaptive_clip_of_the_weighted_mi_gradient():
    gen = torch.Generator().manual_seed(1)
    shapes = [(4, 3, 5), (4, 5)]
    g_u = [torch.randn(s, generator=gen) for s in shapes]
    g_mi = [torch.randn(s, generator=gen) * torch.tensor([0.01, 1.0, 10.0, 3.0]).reshape(4, *[1] * (len(s) - 1))
            for s in shapes]
    beta = torch.tensor([0.0, 1.0, 1.0, 0.5])
    g_m = [g * beta.reshape(4, *[1] * (g.dim() - 1)) for g in g_mi]
    combined, norm_u, norm_m = adv.combine_gradients(g_u, g_mi, beta, clip=True)
    expected = [u + m for u, m in zip(g_u, adv.adaptive_clip(g_u, g_m), strict=True)]
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(combined, expected, strict=True))
    assert torch.allclose(norm_m, adv.member_norms(g_m)) and torch.allclose(norm_u, adv.member_norms(g_u))
    unclipped, _, _ = adv.combine_gradients(g_u, g_mi, beta, clip=False)
    assert all(torch.allclose(a, u + m) for a, u, m in zip(unclipped, g_u, g_m, strict=True))
    flags = torch.tensor([True, True, False, True])  # one member left unclipped
    mixed, _, _ = adv.combine_gradients(g_u, g_mi, beta, clip=flags)
    assert torch.allclose(mixed[0][2], unclipped[0][2]) and torch.allclose(mixed[0][1], combined[0][1])


# --------------------------------------------------------------------------- data and metrics
def test_grid_centres_and_sampler():
    c = gan.grid_centres()
    assert c.shape == (25, 2) and set(c[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    x, labels = gan.sample_grid(5000, 0.05, torch.Generator().manual_seed(0))
    assert x.shape == (5000, 2) and labels.shape == (5000,)
    assert torch.all((x - c[labels]).norm(dim=1) < 0.5)
    assigned = gan.assign_grid(x.numpy(), 0.05)
    # within 3 std in both coordinates: the 2-D radius 3 std holds ~98.9% of a Gaussian
    assert np.mean(assigned == labels.numpy()) > 0.97
    assert set(np.unique(assigned)) <= set(range(-1, 25))


def test_assign_grid_hand_made():
    pts = np.array([[0.0, 0.0], [2.1, -3.95], [1.0, 1.0], [4.0, 4.16], [4.0, 4.14]])
    assert gan.assign_grid(pts, 0.05).tolist() == [12, 15, -1, -1, 24]
    assert gan.assign_grid(pts[None].repeat(3, 0), 0.05).shape == (3, 5)


def test_mode_metrics_hand_made():
    labels = np.array([0] * 50 + [1] * 50 + [2] * 5 + [-1] * 45)
    m = gan.mode_metrics(labels, n_modes=4, min_count=10)
    assert m["modes"] == 2
    assert m["high_quality"] == pytest.approx(105 / 150)
    p = np.array([50, 50, 5]) / 105
    assert m["kl"] == pytest.approx(float(np.sum(p * np.log(p * 4))))
    assert m["counts"].tolist() == [50, 50, 5, 0]
    uniform = gan.mode_metrics(np.repeat(np.arange(25), 4), 25, 4)
    assert uniform["modes"] == 25 and uniform["kl"] == pytest.approx(0.0, abs=1e-12)
    one = gan.mode_metrics(np.zeros(100, dtype=int), 25)
    assert one["modes"] == 1 and one["kl"] == pytest.approx(math.log(25))
    assert math.isnan(gan.mode_metrics(-np.ones(10, dtype=int), 25)["kl"])


def test_spiral_sampler_and_segments():
    x, seg = gan.sample_spiral(4000, 0.05, torch.Generator().manual_seed(1), n_segments=20)
    assert x.shape == (4000, 2) and seg.min() >= 0 and seg.max() <= 19
    assigned = gan.assign_spiral(x.numpy(), 0.05, 20)
    assert np.mean(assigned >= 0) > 0.97
    assert np.mean(assigned == seg.numpy()) > 0.9  # only boundary samples may switch segment
    m = gan.mode_metrics(assigned, 20, 40)
    assert m["modes"] == 20 and m["kl"] < 0.05
    far = np.array([[0.0, 0.0], [10.0, 10.0]])
    assert gan.assign_spiral(far, 0.05).tolist() == [-1, -1]


# --------------------------------------------------------------------------- MINE for K members
def test_stacked_mine_matches_mb_mine_for_one_member():
    gen = torch.Generator().manual_seed(0)
    x, z = torch.randn(64, 2, generator=gen), torch.randn(64, 3, generator=gen)
    c1 = mb.ConcatCritic(2, 3, (16,), generator=torch.Generator().manual_seed(5))
    c2 = mb.ConcatCritic(2, 3, (16,), generator=torch.Generator().manual_seed(5))
    ref = mb.MINE(c1, ema_rate=0.1, generator=torch.Generator().manual_seed(7))
    ours = mb.StackedMINE(c2, ema_rate=0.1, generator=torch.Generator().manual_seed(7))
    for _ in range(3):
        a, b = ref(x, z), ours(x[None], z[None])
        assert b.shape == (1,)
        assert torch.allclose(a, b[0], atol=1e-6)
        ga = torch.autograd.grad(a, list(c1.parameters()))
        gb = torch.autograd.grad(b.sum(), list(c2.parameters()))
        assert all(torch.allclose(u, v, atol=1e-6) for u, v in zip(ga, gb, strict=True))


def test_standardize_batch():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 100, 3, generator=gen) * torch.tensor([0.01, 10.0]).reshape(2, 1, 1) + 5
    y = mb.module.standardize_batch(x)
    assert y.shape == x.shape
    assert torch.allclose(y.mean(dim=1), torch.zeros(2, 3), atol=1e-3)
    assert torch.allclose(y.std(dim=1).mean(dim=1), torch.ones(2), atol=1e-3)


# --------------------------------------------------------------------------- training
def test_train_gan_runs_and_ties_seeds():
    run = gan.train_gan(lambda n, g: gan.sample_grid(n, 0.05, g)[0], 2, betas=(0.0, 1.0), n_seeds=2,
                        steps=6, batch_size=16, hidden=(8,), critic_hidden=(8,), n_codes=5,
                        snapshot_steps=(0, 3, 6), n_snapshot=10)
    assert run.n_members == 4 and run.betas.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert sorted(run.snapshots) == [0, 3, 6] and run.snapshots[6].shape == (4, 10, 2)
    s0 = run.snapshots[0]
    assert np.allclose(s0[0], s0[2]) and np.allclose(s0[1], s0[3])  # variants share each seed's init
    assert not np.allclose(s0[0], s0[1])                            # seeds differ
    assert run.mi.shape == (6, 4) and np.all(np.isfinite(run.mi))
    assert np.all(run.norm_m[:, :2] == 0) and np.all(run.norm_m[:, 2:] > 0)  # beta = 0: no MI gradient
    assert run.sample(7).shape == (4, 7, 2)
    ev = gan.evaluate_snapshots(run, lambda s: gan.assign_grid(s, 0.05), 25, 1)
    assert ev["modes"].shape == (3, 4) and ev["steps"].tolist() == [0, 3, 6]


def test_train_gan_deterministic_and_beta0_matches_vanilla():
    kw = dict(n_seeds=1, steps=5, batch_size=16, hidden=(8,), critic_hidden=(8,), n_codes=3, seed=3)
    sample = lambda n, g: gan.sample_grid(n, 0.05, g)[0]  # noqa: E731
    a = gan.train_gan(sample, 2, betas=(0.0, 1.0), **kw).sample(20)
    b = gan.train_gan(sample, 2, betas=(0.0, 1.0), **kw).sample(20)
    assert np.array_equal(a, b)
    assert not np.allclose(a[0], a[1])  # the MI term changed the GAN+MINE member
    c = gan.train_gan(sample, 2, betas=(0.0, 0.0), **kw).sample(20)
    assert np.allclose(a[0], c[0], atol=1e-6) and np.allclose(c[0], c[1], atol=1e-6)


def test_metrics_table_and_mean_spread():
    assert gan.mean_spread([1.0, 2.0, 3.0]) == "2.0 ± 1.0"
    table = gan.metrics_table({"GAN": {"modes": np.array([5, 6, 7])}}, [("modes", "modes", 1, ".1f")])
    assert "GAN" in table and "6.0 ± 1.0" in table


# --------------------------------------------------------------------------- Stacked MNIST
@pytest.fixture(scope="module")
def digits():
    return sm.load_digits_pm1()


def test_stacked_mnist_data_and_labels(digits):
    assert digits["x_train"].shape == (4000, 784) and digits["x_test"].shape == (1000, 784)
    assert digits["x_train"].min() >= -1 and digits["x_train"].max() <= 1
    assert digits["x_train"].min() == -1 and digits["x_train"].max() == 1
    x, modes = sm.sample_stacked(50, digits["x_train"], digits["y_train"], torch.Generator().manual_seed(0))
    assert x.shape == (50, 2352) and modes.min() >= 0 and modes.max() < 1000

    class Oracle(torch.nn.Module):  # "classifies" a channel by a label hidden in its first pixel
        def forward(self, h):
            return torch.nn.functional.one_hot(h[:, 0].long(), 10).float()

    fake = torch.zeros(4, 2352)
    for i, (a, b, c) in enumerate([(1, 2, 3), (0, 0, 0), (9, 9, 9), (1, 2, 3)]):
        fake[i, 0], fake[i, 784], fake[i, 1568] = a, b, c
    assert sm.label_stacked(Oracle(), fake).tolist() == [123, 0, 999, 123]
    m = sm.stacked_metrics(Oracle(), fake)
    assert m["modes"] == 3 and m["high_quality"] == 1.0
    assert m["kl"] == pytest.approx(0.5 * math.log(500) + 0.5 * math.log(250))
    tiles = sm.mosaic(x, 2, 3)
    assert tiles.shape == (59, 88, 3) and tiles.min() >= 0 and tiles.max() <= 1
    with pytest.raises(ValueError, match="2352 columns"):
        sm.label_stacked(Oracle(), torch.zeros(3, 192))


def test_shift_keeps_the_digit_and_blanks_the_border():
    img = -torch.ones(1, 28, 28)
    img[0, 10:14, 10:14] = 1.0
    out = sm._shift(img.reshape(1, 784).repeat(50, 1), 2, torch.Generator().manual_seed(0)).reshape(50, 28, 28)
    assert torch.all((out == 1).sum(dim=(1, 2)) == 16)  # the square moved, never cut
    assert out.min() == -1


def test_digit_classifier_quick(digits):
    model, acc = sm.train_digit_classifier(digits, epochs=1)
    assert acc > 0.85
    x, modes = sm.sample_stacked(500, digits["x_test"], digits["y_test"], torch.Generator().manual_seed(1))
    assert np.mean(sm.label_stacked(model, x) == modes.numpy()) > 0.6


def test_half_resolution_digits_and_classifier(digits):
    small = sm.load_digits_pm1(side=14)
    assert small["x_train"].shape == (4000, 196) and torch.equal(small["y_test"], digits["y_test"])
    # 2x2 average pooling: the mean brightness is kept
    assert torch.allclose(small["x_train"].mean(dim=1), digits["x_train"].mean(dim=1), atol=1e-5)
    model, acc = sm.train_digit_classifier(small, epochs=2, lr=5e-3, max_shift=1)
    assert model.side == 14 and acc > 0.85
    x, _ = sm.sample_stacked(8, small["x_test"], small["y_test"], torch.Generator().manual_seed(0))
    assert sm.label_stacked(model, x).shape == (8,) and sm.mosaic(x, 2, 4).shape == (31, 61, 3)
    with pytest.raises(ValueError, match="side must be 28"):
        sm.load_digits_pm1(side=7)
    with pytest.raises(ValueError, match="588 columns"):
        sm.label_stacked(model, np.zeros((2, 2352)))


def test_train_gan_activation_reaches_both_networks():
    run = gan.train_gan(lambda n, g: gan.sample_grid(n, 0.05, g)[0], 2, betas=(0.0, 1.0), n_seeds=1, steps=2,
                        batch_size=8, hidden=(8,), critic_hidden=(8,), activation="leaky_relu")
    assert run.generator.activation == "leaky_relu" and run.discriminator.activation == "leaky_relu"
    with pytest.raises(ValueError, match="unknown activation"):
        gan.train_gan(lambda n, g: gan.sample_grid(n, 0.05, g)[0], 2, steps=1, activation="swish")
