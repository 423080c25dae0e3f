"""Trained estimates shared by the core test files, computed once per test session.

Training is the expensive part of the core tests, so every run lives here behind
``functools.cache``: tests that need the same run share it (a session-scoped fixture that
works across files without a conftest). Sizes are the smallest the issue's tolerances allow.
"""

from __future__ import annotations

import functools

import minebook as mb

#: d=1 runs: estimate_mi's defaults (3000 steps); n = 20000, as in the book's chapters.
D1 = dict(n=20_000, steps=3000)
#: d=5, rho=0.9 (4.15 nats): estimate_mi with its defaults.
D5 = dict(n=20_000, rho=0.9, d=5)


@functools.cache
def d1_data():
    """(x, z) at rho=0.9 (0.830 nats) and (x0, z0) at rho=0, d=1."""
    return mb.correlated_gaussian(D1["n"], 1, 0.9, seed=11), mb.correlated_gaussian(D1["n"], 1, 0.0, seed=12)


@functools.cache
def d1_runs():
    """One batched run of four d=1 estimates (member j uses seed j, as estimate_mi(seed=j) would).

    Keys: ``xz`` (rho=0.9), ``zx`` (the same data with x and z swapped), ``cubic`` (x -> x^3),
    ``zero`` (rho=0).
    """
    (x, z), (x0, z0) = d1_data()
    pairs = [(x, z), (z, x), (mb.transform(x, "cubic"), z), (x0, z0)]
    out = mb.estimate_mi_many(pairs, seed=0, steps=D1["steps"])
    return dict(zip(("xz", "zx", "cubic", "zero"), out, strict=True))


@functools.cache
def d5_run():
    """estimate_mi with its defaults on d=5, rho=0.9 (4.15 nats)."""
    x, z = mb.correlated_gaussian(D5["n"], D5["d"], D5["rho"], seed=21)
    return mb.estimate_mi(x, z, seed=0)


SMALL = dict(steps=200, hidden=(32, 32), batch_size=128, n_shuffles=5)


@functools.cache
def small_data(n: int = 4000):
    return mb.correlated_gaussian(n, 2, 0.7, seed=31)


@functools.cache
def small_run(seed: int = 0, estimator: str = "mine"):
    """A short, cheap run used for determinism and plumbing checks."""
    x, z = small_data()
    return mb.estimate_mi(x, z, estimator=estimator, seed=seed, n_critics=1, **SMALL)
