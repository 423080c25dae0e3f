"""Small shared helpers: devices, seeding, tensor conversion (used by every chapter)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["resolve_device", "seed_everything", "as_tensor"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return a torch device; ``"auto"`` picks CUDA when available, else the CPU.

    Introduced in chapter 3 (MINE). Nothing in ``minebook`` hard-codes a device.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'."
        ) from err


def seed_everything(seed: int) -> torch.Generator:
    """Seed numpy's and torch's global generators and return a seeded CPU ``torch.Generator``.

    Introduced in chapter 1. Every experiment of the book calls it (or passes ``seed=``),
    so that the same seed gives the same numbers on the same machine.
    """
    np.random.seed(seed)  # noqa: NPY002 (seeds legacy global users too)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def as_tensor(a, device: torch.device | None = None, dtype=torch.float32) -> torch.Tensor:
    """Convert a numpy array or tensor to a float tensor on ``device`` (no copy when possible)."""
    if isinstance(a, torch.Tensor):
        return a.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(a), dtype=dtype, device=device)
