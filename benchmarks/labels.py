"""How well does the default estimate read the MI between features and a class label?

Issue #29: a class label stored as one integer column read 26-29% low with MINE, unflagged.
``estimate_mi`` now routes a label to the classifier bound (``estimator="ba"``,
:mod:`minebook.discrete`). This benchmark measures both routes on Gaussian class mixtures
(``z`` uniform over ``C`` classes, ``x | z ~ N(mu_z, I_d)`` with ``mu_z ~ N(0, sep^2 I)``), whose
MI ``log C + E[log p(z | x)]`` is computed by Monte Carlo with the exact posterior (standard
error printed), at n = 5000 with the default call, and on a pair of two labels (exact truth):

    .venv/bin/python benchmarks/labels.py                 # C = 2, 10, 100; 2 draws each
    .venv/bin/python benchmarks/labels.py --write-readme  # also the table in benchmarks/README.md

It prints a Markdown table: truth, the default estimate (its route), its interval, flags,
and MINE on the label as a number (``discrete=False``), seconds per call.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.special import logsumexp

import minebook as mb

if __package__ in (None, ""):  # run as `python benchmarks/NAME.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import load, publish  # noqa: E402

MARKS = ("<!-- labels:start -->", "<!-- labels:end -->")


def mixture(n: int, n_classes: int, d: int, sep: float, seed: int, task_seed: int = 0):
    """``x (n, d)`` and labels ``z (n,)`` of the class mixture; the means come from ``task_seed``."""
    mu = np.random.default_rng(task_seed).standard_normal((n_classes, d)) * sep
    rng = np.random.default_rng([task_seed, seed])
    z = rng.integers(n_classes, size=n)
    return mu[z] + rng.standard_normal((n, d)), z, mu


def mixture_mi(n_classes: int, d: int, sep: float, task_seed: int = 0, m: int = 400_000):
    """``log C + E[log p(z | x)]`` by Monte Carlo, nats, and its standard error."""
    x, z, mu = mixture(m, n_classes, d, sep, seed=10**6, task_seed=task_seed)
    ll = -0.5 * ((x[:, None, :] - mu[None]) ** 2).sum(-1)
    post = (ll - logsumexp(ll, axis=1, keepdims=True))[np.arange(m), z]
    return float(np.log(n_classes) + post.mean()), float(post.std() / np.sqrt(m))


def run(classes, d: int, seeds: int) -> list[str]:
    rows = ["| C | d | truth (nats) | draw | default estimate | route | 95% interval | flags | "
            "MINE on the label as a number | s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for c in classes:
        sep = 1.5 if c == 2 else 1.0
        truth, se = mixture_mi(c, d, sep)
        for s in range(seeds):
            x, z, _ = mixture(5000, c, d, sep, seed=s)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                start = time.perf_counter()
                res = mb.estimate_mi(x, z, seed=s)
                seconds = time.perf_counter() - start
                raw = mb.estimate_mi(x, z, seed=s, discrete=False)
            low, high = res.interval
            rows.append(f"| {c} | {d} | {truth:.3f} ± {se:.3f} | {s} | {res.mi:.3f} "
                        f"({100 * (res.mi - truth) / truth:+.0f}%) | {res.estimator} | [{low:.2f}, {high:.2f}]"
                        f"{' covers' if low <= truth <= high else ''} | {', '.join(res.flags) or '-'} | "
                        f"{raw.mi:.3f} ({100 * (raw.mi - truth) / truth:+.0f}%) | {seconds:.1f} |")
            print(rows[-1], flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--classes", type=int, nargs="+", default=[2, 10, 100])
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args(argv)
    head = f"n = 5000, default `estimate_mi(x, z)`; {load()}."
    rows = run(args.classes, args.d, args.seeds)
    text = head + "\n\n" + "\n".join(rows)
    publish(text, MARKS, "## Class labels (`labels.py`)\n\n", args.write_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
