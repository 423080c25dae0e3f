"""minebook.experiments.bigan (chapter 9): metrics on hand-made samples, shapes, a few training steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minebook.experiments import bigan, gan


def test_reconstruction_error_hand_made():
    x = np.array([[0.0, 0.0], [1.0, 2.0]])
    rec = np.array([[3.0, 4.0], [1.0, 2.0]])
    assert bigan.reconstruction_error(x, rec).tolist() == [25.0, 0.0]
    assert bigan.reconstruction_error(x, rec[None].repeat(2, 0)).shape == (2, 2)


def test_same_mode_fraction_hand_made():
    labels = np.array([12, 12, 24, 0])          # centres (0,0), (0,0), (4,4), (-4,-4)
    rec = np.array([[0.9, 0.0],                 # nearest centre (0,0): same mode, even if far
                    [1.1, 0.0],                 # nearest centre (2,0): another mode
                    [4.0, 4.0],                 # exact
                    [-4.0, 3.0]])               # nearest (-4, 4): another mode
    assert bigan.same_mode_fraction(labels, rec) == pytest.approx(0.5)
    both = bigan.same_mode_fraction(labels, np.stack([rec, gan.grid_centres().numpy()[labels]]))
    assert both.tolist() == [0.5, 1.0]


def test_train_bigan_shapes_and_variants():
    ex, _ = gan.sample_grid(40, 0.05, torch.Generator().manual_seed(1))
    run = bigan.train_bigan(lambda n, g: gan.sample_grid(n, 0.05, g)[0], 2, betas=(0.0, 1.0, 1.0),
                            clip=(True, True, False), n_seeds=2, steps=6, batch_size=16, hidden=(8,),
                            critic_hidden=(8,), eval_x=ex, log_every=3)
    assert run.n_members == 6
    assert run.betas.tolist() == [0, 0, 1, 1, 1, 1] and run.clip.tolist() == [True] * 4 + [False] * 2
    assert run.encode(ex.numpy()).shape == (6, 40, 2)
    assert run.reconstruct(ex.numpy()).shape == (6, 40, 2)
    assert run.sample(9).shape == (6, 9, 2)
    assert run.mi.shape == (6, 6) and np.all(np.isfinite(run.mi))
    assert run.log_steps.tolist() == [0, 3, 6] and run.log_error.shape == (3, 6)
    assert np.all(run.norm_m[:, :2] == 0) and np.all(run.norm_m[:, 2:] > 0)
    # before training, members of one seed are identical (tied initial weights)
    assert np.allclose(run.log_error[0, 0], run.log_error[0, 2])


def test_train_bigan_deterministic_and_clipping_matters():
    kw = dict(betas=(1.0, 1.0), clip=(True, False), n_seeds=1, steps=8, batch_size=16, hidden=(8,),
              critic_hidden=(8,), seed=2)
    sample = lambda n, g: gan.sample_grid(n, 0.05, g)[0]  # noqa: E731
    x = gan.sample_grid(30, 0.05, torch.Generator().manual_seed(0))[0].numpy()
    a = bigan.train_bigan(sample, 2, **kw).reconstruct(x)
    b = bigan.train_bigan(sample, 2, **kw).reconstruct(x)
    assert np.array_equal(a, b)
    assert not np.allclose(a[0], a[1])  # clipped and unclipped members part ways


def test_train_bigan_images_tanh_output():
    gen = torch.Generator().manual_seed(2)
    images = torch.rand(50, 16, generator=gen) * 2 - 1
    run = bigan.train_bigan(lambda n, g: images[torch.randint(50, (n,), generator=g)], 16, betas=(0.0, 1.0),
                            n_seeds=1, steps=4, batch_size=8, latent_dim=3, hidden=(8,), critic_hidden=(8,),
                            activation="leaky_relu", output="tanh", standardize=True)
    rec, samples = run.reconstruct(images[:5].numpy()), run.sample(7)
    assert rec.shape == (2, 5, 16) and samples.shape == (2, 7, 16)
    assert np.abs(rec).max() <= 1 and np.abs(samples).max() <= 1  # tanh output stays in [-1, 1]
    assert run.output == "tanh" and np.all(np.isfinite(run.mi))


def test_image_distance_and_ms_ssim():
    gen = torch.Generator().manual_seed(3)
    x = (torch.rand(2, 5, 784, generator=gen) * 2 - 1).numpy()
    assert np.allclose(bigan.image_distance(x, x), 0)
    assert np.allclose(bigan.image_distance(-np.ones((1, 784)), np.ones((1, 784))), 28.0)  # all 784 pixels 0 -> 1
    same = bigan.ms_ssim(x, x)
    assert same.shape == (2, 5) and np.allclose(same, 1.0, atol=1e-4)
    noisy = np.clip(x + 0.3 * np.random.default_rng(0).standard_normal(x.shape), -1, 1)
    worse = np.clip(x + 1.0 * np.random.default_rng(1).standard_normal(x.shape), -1, 1)
    assert np.all(bigan.ms_ssim(x, worse) < bigan.ms_ssim(x, noisy)) and np.all(bigan.ms_ssim(x, noisy) < 1)
    with pytest.raises(ValueError, match="784"):
        bigan.ms_ssim(x[..., :100], x[..., :100])


def test_ms_ssim_broadcasts_x_against_members():
    gen = torch.Generator().manual_seed(4)
    x = (torch.rand(6, 784, generator=gen) * 2 - 1).numpy()
    rec = np.stack([x, np.clip(x + 0.5, -1, 1)])
    out = bigan.ms_ssim(x, rec)
    assert out.shape == (2, 6) and np.allclose(out[0], 1.0, atol=1e-4) and np.all(out[1] < 1)
    with pytest.raises(ValueError, match="broadcast"):
        bigan.ms_ssim(x, rec[:, :4])
