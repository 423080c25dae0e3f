"""minebook.datasets: the digits split and the local MNIST IDX reader (chapters 10-11)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from minebook import datasets


def _write_idx(path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(path.with_name(path.name + ".gz"), "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def _fake_mnist(tmp_path, gz: bool, n_train=12, n_test=5, side=4):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, side, side)), "y_train": rng.integers(0, 10, n_train),
        "x_test": rng.integers(0, 256, (n_test, side, side)), "y_test": rng.integers(0, 10, n_test),
    }
    for key, stem in datasets.MNIST_FILES.items():
        _write_idx(tmp_path / stem, arrays[key], gz)
    return arrays


def test_digits_split_is_fixed_stratified_and_standardized():
    a, b = datasets.load_digits(), datasets.load_digits()
    assert a.x_train.shape == (1347, 64) and a.x_test.shape == (450, 64)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    # stratified: every class holds about a quarter of its images in the test split
    counts = np.bincount(a.y_test, minlength=10) / (np.bincount(a.y_test, minlength=10)
                                                    + np.bincount(a.y_train, minlength=10))
    assert np.all(np.abs(counts - 0.25) < 0.02)
    assert a.n_classes == 10 and a.dim == 64 and a.image_shape == (8, 8)
    assert a.x_train.dtype == np.float32
    varying = a.std > 1
    np.testing.assert_allclose(a.x_train.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(a.x_train.std(0)[varying], 1, atol=1e-4)


def test_standardize_keeps_constant_pixels_finite():
    x = np.array([[0.0, 1.0], [0.0, 3.0]])
    tr, te, mean, std = datasets.standardize(x, x[:1])
    assert np.all(np.isfinite(tr)) and std[0] == 1.0
    np.testing.assert_allclose(tr[:, 1], [-1, 1])


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, gz):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a-idx3-ubyte", arr, gz)
    path = tmp_path / ("a-idx3-ubyte.gz" if gz else "a-idx3-ubyte")
    np.testing.assert_array_equal(datasets.read_idx(path), arr)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX"):
        datasets.read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">i", 10) + b"abc")
    with pytest.raises(ValueError, match="header says"):
        datasets.read_idx(short)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_local_idx(tmp_path, gz):
    arrays = _fake_mnist(tmp_path, gz)
    split = datasets.load_mnist(str(tmp_path))
    assert split.name == "mnist" and split.image_shape == (4, 4)
    assert split.x_train.shape == (12, 16) and split.x_test.shape == (5, 16)
    np.testing.assert_array_equal(split.y_test, arrays["y_test"])
    expected = (arrays["x_test"].reshape(5, -1) / 255.0 - split.mean) / split.std
    np.testing.assert_allclose(split.x_test, expected, rtol=1e-5, atol=1e-5)
    small = datasets.load_mnist(tmp_path, max_train=4)
    assert small.x_train.shape == (4, 16)


def test_load_mnist_missing_files_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        datasets.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        datasets.load_mnist(tmp_path / "nope")



def test_holdout_is_stratified_and_disjoint():
    split = datasets.load_digits()
    fit, (x_val, y_val) = datasets.holdout(split, 0.2)
    assert len(fit.y_train) + len(y_val) == len(split.y_train)
    assert abs(len(y_val) - 0.2 * len(split.y_train)) <= 1
    np.testing.assert_array_equal(fit.x_test, split.x_test)
    rows = {r.tobytes() for r in fit.x_train}
    assert not any(r.tobytes() in rows for r in x_val)
    assert np.all(np.abs(np.bincount(y_val, minlength=10) / len(y_val) - 0.1) < 0.02)


# --------------------------------------------------------------------------- shipped MNIST sample
@pytest.fixture(scope="module")
def mnist_5k():
    return datasets.load_mnist()


def test_shipped_mnist_shapes_labels_and_pixels():
    x, y = datasets.shipped_mnist()
    assert x.shape == (5000, 784) and x.dtype == np.uint8 and y.shape == (5000,)
    assert x.min() == 0 and x.max() == 255
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.full(10, 500))


def test_load_mnist_without_a_folder_is_the_fixed_stratified_5k_split(mnist_5k):
    s = mnist_5k
    assert s.name == "mnist-5k" and s.image_shape == (28, 28)
    assert s.x_train.shape == (4000, 784) and s.x_test.shape == (1000, 784)
    np.testing.assert_array_equal(np.bincount(s.y_train, minlength=10), np.full(10, 400))
    np.testing.assert_array_equal(np.bincount(s.y_test, minlength=10), np.full(10, 100))
    assert abs(float(s.x_train.mean())) < 1e-3  # standardized with the training statistics
    again = datasets.load_mnist("")
    np.testing.assert_array_equal(again.y_test, s.y_test)
    np.testing.assert_array_equal(again.x_test, s.x_test)
    assert datasets.load_mnist(max_train=100).x_train.shape == (100, 784)


def test_load_mnist_opens_no_network_connection(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("load_mnist tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert datasets.load_mnist().x_train.shape == (4000, 784)


def test_mnist_is_standardized_with_one_mean_and_std(mnist_5k):
    """A border pixel that is almost always 0 must not be blown up: one scale for all pixels."""
    assert np.unique(mnist_5k.std).size == 1 and np.unique(mnist_5k.mean).size == 1
    assert abs(float(mnist_5k.x_train.mean())) < 1e-3 and abs(float(mnist_5k.x_train.std()) - 1) < 1e-3
    assert float(np.abs(mnist_5k.x_test).max()) < 10
    per_pixel = datasets.standardize(np.array([[0.0, 1.0], [0.0, 3.0]]), np.array([[0.0, 2.0]]))
    np.testing.assert_allclose(per_pixel[3], [1.0, 1.0])  # a constant pixel keeps std 1
