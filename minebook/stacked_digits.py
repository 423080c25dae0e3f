"""Stacked digits: the laptop version of Stacked MNIST (chapter 8).

Three 8x8 digits of scikit-learn's ``load_digits`` stacked as channels give a 192-d image with
``10^3 = 1000`` modes (one per triple of digit classes). A small classifier labels each channel
of a generated sample; the mode of a sample is ``100 * d0 + 10 * d1 + d2``. As for Stacked MNIST
(Metz et al. 2017; Srivastava et al. 2017), a generator is scored by the number of modes it
produces at least once in many samples and by ``KL(p_modes || uniform)``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .gan import mode_metrics

__all__ = ["load_digit_images", "sample_stacked", "DigitClassifier", "train_digit_classifier",
           "label_stacked", "stacked_metrics", "mosaic", "N_MODES"]

#: Number of modes of stacked digits: 10 classes in each of 3 channels.
N_MODES = 1000


def load_digit_images() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1797 handwritten 8x8 digits as ``images (1797, 64)`` in ``[-1, 1]``, ``labels (1797,)``.

    Pixel values 0..16 are mapped linearly to ``[-1, 1]`` (the range of a ``tanh`` generator).
    Introduced in chapter 8.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.as_tensor(data.data, dtype=torch.float32) / 8.0 - 1.0
    return images, torch.as_tensor(data.target, dtype=torch.long)


def sample_stacked(n: int, images: torch.Tensor, labels: torch.Tensor,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` stacked-digit samples: three independent random digits side by side.

    ``images (M, 64)``, ``labels (M,)`` -> ``x (n, 192)`` (channel ``j`` in columns
    ``64j..64j+63``) and the mode ``(n,)`` in ``0..999``. Introduced in chapter 8.
    """
    idx = torch.randint(len(images), (n, 3), generator=generator)
    x = images[idx].reshape(n, 3 * images.shape[1])
    digits = labels[idx]
    return x, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]


class DigitClassifier(nn.Module):
    """MLP ``64 -> hidden -> 10`` (ReLU) on 8x8 digits in ``[-1, 1]``: ``(N, 64) -> (N, 10)`` logits.

    Introduced in chapter 8.
    """

    def __init__(self, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def train_digit_classifier(images: torch.Tensor, labels: torch.Tensor, seed: int = 0,
                           steps: int = 500, test_fraction: float = 0.25, lr: float = 3e-3,
                           weight_decay: float = 1e-4, noise: float = 0.1,
                           hidden: int = 128) -> tuple[DigitClassifier, float]:
    """Train a :class:`DigitClassifier` (full-batch Adam) and return it with its test accuracy.

    A random ``test_fraction`` of the images (fixed by ``seed``) is held out; the accuracy
    (in ``[0, 1]``) is measured on it. Gaussian pixel ``noise`` during training makes the
    classifier a little more tolerant of imperfect generated digits. Introduced in chapter 8.
    """
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(images), generator=gen)
    n_test = int(round(test_fraction * len(images)))
    test, train = perm[:n_test], perm[n_test:]
    torch.manual_seed(seed)
    model = DigitClassifier(hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    x, y = images[train], labels[train]
    for _ in range(steps):
        loss = F.cross_entropy(model(x + noise * torch.randn(x.shape, generator=gen)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(images[test]).argmax(dim=1) == labels[test]).float().mean().item()
    return model, acc


@torch.no_grad()
def label_stacked(classifier: nn.Module, samples) -> np.ndarray:
    """Mode of each stacked sample: ``(..., N, 192)`` -> ``(..., N)`` integers in ``0..999``.

    Each 64-pixel channel is classified; the mode is ``100 d0 + 10 d1 + d2``. Introduced in
    chapter 8.
    """
    s = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
    digits = classifier(s.reshape(-1, 64)).argmax(dim=1).reshape(*s.shape[:-1], 3)
    return (digits[..., 0] * 100 + digits[..., 1] * 10 + digits[..., 2]).numpy()


def stacked_metrics(classifier: nn.Module, samples) -> dict:
    """Modes captured (out of 1000, at least one sample) and ``KL(p || uniform)`` in nats.

    ``samples (N, 192)``; returns :func:`~minebook.gan.mode_metrics`'s dict (every sample gets a
    mode, so ``high_quality`` is 1). Introduced in chapter 8.
    """
    return mode_metrics(label_stacked(classifier, samples), N_MODES, min_count=1)


def mosaic(samples, n_rows: int = 4, n_cols: int = 4, pad: float = 0.0) -> np.ndarray:
    """Tile stacked-digit samples ``(>= n_rows*n_cols, 192)`` into one grey image.

    Each sample is drawn as its three 8x8 channels side by side (8 x 24 pixels); tiles are
    separated by ``pad``-valued lines (0: mid-grey for pixels in ``[-1, 1]``, -1 being the blank
    background). Returns a 2-D array for ``imshow(..., cmap="gray_r")``. Introduced in chapter 8.
    """
    s = np.asarray(samples)[: n_rows * n_cols].reshape(-1, 3, 8, 8)
    strips = np.concatenate([s[:, 0], s[:, 1], s[:, 2]], axis=2)  # (n, 8, 24)
    h, w = 9, 25
    out = np.full((n_rows * h + 1, n_cols * w + 1), pad, dtype=float)
    for i, strip in enumerate(strips):
        r, c = divmod(i, n_cols)
        out[1 + r * h: 1 + r * h + 8, 1 + c * w: 1 + c * w + 24] = strip
    return out
