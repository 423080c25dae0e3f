"""Intra-op threads that follow the work: one thread for a small critic, more for large jobs.

Introduced in chapter 3 (``estimate_mi``); every training loop of ``minebook`` uses it.

Why: on a CPU a small critic is throughput-bound on one core, and torch's OpenMP threads
wait for each other at every operation. With two threads, a second process busy on one core
makes each step wait for the slower thread: on a 2-core machine the default estimate
(d = 5, n = 5000, 1500 steps) took 3x longer with two threads and one busy core, and only
1.25x less time with two threads on an idle machine (``benchmarks/threads.py``). Large jobs
(ensembles of many critics, wide MLPs) split well over threads: about 1.9x faster on an idle
machine, and about 1.2x slower than one thread with one core busy.

The rule (:func:`choose_threads`): ``clamp(round(flops / FLOPS_PER_THREAD), 1, cap)``, where
``flops`` is the floating-point work of one training step (forward and backward, about 6
multiply-adds per weight and row: :func:`step_flops`) and ``cap`` the number of cores this
process may use (``os.sched_getaffinity``), lowered by the environment variable
``MINEBOOK_THREADS`` when it is set. ``make book`` and ``make test`` set it to 1 for each
chapter: chapters then run one per core, and the book's numbers do not depend on how many
run at once. An explicit ``threads=`` argument overrides the rule and the cap.

Numbers: the same seed gives the same numbers for the same thread count. A different
thread count changes the order of some floating-point sums (torch splits long reductions
over threads), so trained critics can differ in the last digits, which training then
amplifies (about 0.005 nats after 1500 steps of the default estimate). Pass ``threads=`` to
fix the count; the book's checked outputs are rounded and computed with one thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import contextmanager

import torch

__all__ = ["ENV_VAR", "FLOPS_PER_THREAD", "available_cores", "thread_cap", "choose_threads",
           "step_flops", "using_threads", "threads_for_modules"]

#: Environment variable: the most intra-op threads that minebook's rule may choose.
ENV_VAR = "MINEBOOK_THREADS"

#: Floating-point operations of one training step per thread: a second thread is chosen from
#: about 7.5e8 (K = 7 default critics at d = 5; the default estimate's step is 1.1e8).
#: Measured on a 2-core Xeon with ``estimate_mi_many`` (d = 5, batch 512, 2x128 critic), two
#: threads against one: K = 1, 2, 4, 8 critics were 1.19x, 1.44x, 1.28x, 1.92x faster on an
#: idle machine, and 0.54x, 0.33x, 0.51x, 0.85x (K = 2, 4, 8, 16) as fast with one core busy.
FLOPS_PER_THREAD = 5.0e8


def available_cores() -> int:
    """The number of cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def thread_cap() -> int:
    """The most threads the rule may choose: the available cores, or ``MINEBOOK_THREADS``.

    Raises ``ValueError`` when ``MINEBOOK_THREADS`` is set to anything but a positive integer.
    """
    cores = available_cores()
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return cores
    try:
        cap = int(raw)
    except ValueError:
        cap = 0
    if cap < 1:
        raise ValueError(f"{ENV_VAR}={raw!r} must be a positive integer (the most intra-op threads "
                         f"minebook may use); unset it to use all {cores} cores.")
    return min(cap, cores)


def choose_threads(flops: float, threads: int | None = None) -> int:
    """The intra-op thread count for a job whose training step costs ``flops`` operations.

    ``threads``: an explicit count (a positive integer) that wins over the rule; ``None``
    applies the rule of this module's docstring. Returns an ``int`` >= 1.
    """
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer or None (choose by the size of the "
                             f"job); got {threads!r}.")
        return threads
    if not flops >= 0:  # also rejects NaN
        raise ValueError(f"flops must be a non-negative number; got {flops!r}.")
    return int(min(thread_cap(), max(1, round(flops / FLOPS_PER_THREAD))))


def step_flops(n_weights: int, rows: int) -> float:
    """Operations of one forward + backward pass of ``rows`` rows through ``n_weights`` weights.

    ``2 * n_weights * rows`` for the forward pass and twice that for the backward pass: a
    dense layer's cost. A convolution re-uses its weights at each output position: pass
    ``rows * positions``.
    """
    return 6.0 * float(n_weights) * float(rows)


def threads_for_modules(modules: Iterable[torch.nn.Module], rows: int,
                        threads: int | None = None) -> int:
    """:func:`choose_threads` for a step of ``rows`` rows through all weights of ``modules``."""
    n_weights = sum(p.numel() for m in modules for p in m.parameters())
    return choose_threads(step_flops(n_weights, rows), threads)


@contextmanager
def using_threads(n: int):
    """Run the block with ``n`` torch intra-op threads, then restore the caller's count."""
    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
