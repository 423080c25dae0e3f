"""Small shared helpers: devices, seeding, tensor conversion (used by every chapter)."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

__all__ = ["resolve_device", "available_devices", "seed_everything", "as_tensor", "flush_denormals", "adam"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return a torch device; ``"auto"`` picks CUDA when available, else the CPU.

    Introduced in chapter 3 (MINE). Nothing in ``minebook`` hard-codes a device.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'."
        ) from err
    if not _device_available(dev):
        raise ValueError(f"device={device!r} is not available on this machine; available: "
                         f"{', '.join(available_devices())} (or 'auto', which picks the first).")
    return dev


def available_devices() -> list[str]:
    """The torch devices this machine can use, e.g. ``["cpu"]`` or ``["cpu", "cuda:0"]`` (chapter 3)."""
    out = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count() if torch.cuda.is_available() else 0)]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append("mps")
    return out


def _device_available(dev: torch.device) -> bool:
    if dev.type == "cpu":
        return True
    if dev.type == "cuda":
        return torch.cuda.is_available() and (dev.index is None or dev.index < torch.cuda.device_count())
    if dev.type == "mps":
        return "mps" in available_devices()
    return False


def seed_everything(seed: int) -> None:
    """Seed numpy's and torch's global generators (the seeding contract: DEVELOPING.md, "Seeds").

    Every chapter calls it once after its imports, for code that draws from the global
    generators; library functions take ``seed=`` or a ``torch.Generator`` instead. Returns
    nothing, so that a chapter's cell shows no generator object.
    """
    np.random.seed(seed)  # noqa: NPY002 (seeds legacy global users too)
    torch.manual_seed(seed)


def as_tensor(a, device: torch.device | None = None, dtype=torch.float32) -> torch.Tensor:
    """Convert a numpy array or tensor to a float tensor on ``device`` (no copy when possible)."""
    if isinstance(a, torch.Tensor):
        return a.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(a), dtype=dtype, device=device)


def _denormals_flushed() -> bool:
    """Whether this thread currently flushes subnormal floats to zero (probe: 1e-39 * 1 == 0)."""
    return (torch.tensor([1e-39], dtype=torch.float32) * 1.0).item() == 0.0


@contextmanager
def flush_denormals():
    """Treat subnormal floats (below 1.2e-38) as zero on the CPU inside the block, then restore.

    Introduced in chapter 3 (used by ``estimate_mi``). Softmax and log-sum-exp gradients over
    widely spread scores (InfoNCE's B x B matrix at high MI) produce many subnormal numbers,
    which x86 CPUs process up to 100x slower; flushing them changes values only below
    1e-38 and made InfoNCE training about 1.7x faster. It affects the calling thread.
    """
    before = _denormals_flushed()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


def adam(params, lr: float, **kwargs) -> torch.optim.Adam:
    """Adam with the fused single-kernel update where this torch build offers it.

    On a CPU the fused update of a stacked ensemble's few large tensors is several times
    faster than the default one (one thread, the 4.9M parameters of chapter 10's 27 encoders:
    4 ms against 39 ms a step). ``kwargs`` go to :class:`torch.optim.Adam` (``betas``,
    ``weight_decay``). Introduced with :func:`minebook.estimate_mi` (chapter 3).
    """
    try:
        return torch.optim.Adam(params, lr=lr, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # pragma: no cover - depends on the build
        return torch.optim.Adam(params, lr=lr, **kwargs)
