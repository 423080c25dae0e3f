"""Chapter 13's experiments: digit halves, the reader's CNN critic, the self-consistency tests."""

import numpy as np
import pytest
import torch

from minebook.experiments import real_data as rd


def test_digits_and_halves():
    images, labels = rd.digits(50, seed=1)
    assert images.shape == (50, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and set(labels) <= set(range(10))
    again, _ = rd.digits(50, seed=1)
    assert np.array_equal(images, again)
    x2, y = rd.halves(images, 2)
    x14, _ = rd.halves(images, 14)
    assert x2.shape == y.shape == (50, 14, 28)
    assert not x2[:, :12].any() and np.array_equal(x2[:, 12:], x14[:, 12:])
    assert np.array_equal(y, images[:, 14:])
    with pytest.raises(ValueError, match="t must lie"):
        rd.halves(images, 0)


def test_cnn_scores_one_per_pair_for_any_part_heights():
    cnn = rd.DigitHalvesCNN()
    assert cnn(torch.zeros(5, 14, 28), torch.zeros(5, 14, 28)).shape == (5,)
    tall = rd.DigitHalvesCNN(x_rows=28, z_rows=14)
    assert tall(torch.zeros(3, 28, 28), torch.zeros(3, 14, 28)).shape == (3,)


def test_self_consistency_shapes_and_ratios():
    images, _ = rd.digits(300, seed=0)
    out = rd.self_consistency("mine", images, (2, 14), 2, dict(steps=20, batch_size=32))
    assert out["baseline"].shape == (2, 2)
    for key in ("single", "doubled", "half", "pair", "processing", "additivity"):
        assert out[key].shape == (2,) and np.all(np.isfinite(out[key]))
    assert np.allclose(out["processing"], out["doubled"] / out["baseline"][-1])
    assert np.allclose(out["additivity"], out["pair"] / out["half"])
