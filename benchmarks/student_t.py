"""Why the default estimate reads a Student-t low: the critic, not the read-out, and how n helps.

On the 5x5 Student-t tasks of ``minebook.experiments.beyond_normal.trust_tasks`` (df = 2; the 2-pair
dispersion, and the identity one whose MI is the shared-scale term alone), for n = 5000,
20,000 and 50,000 (one data set each, seed 0), this prints:

* the default ``estimate_mi(x, z)`` (median of three critics, nats), its interval and flags;
* the same DV read-out with the *true* log density ratio as the critic
  (``minebook.experiments.beyond_normal.student_t_true_read_out``) on as many rows as the default holds out,
  against ``n_shuffles`` cyclic shifts: what a perfect critic would read on that many rows;
* seconds per default estimate.

If the true critic reads close to the truth where the trained ones fall short, the shortfall is
training's (the critic does not learn the scale term), not the read-out's. This is a benchmark:
it prints and exits 0 (chapter 12 and the ``tail_dependence`` check cite it).

    .venv/bin/python benchmarks/student_t.py
    .venv/bin/python benchmarks/student_t.py --ns 5000 20000
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import torch

import minebook as mb
from minebook.experiments import beyond_normal as bn


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ns", type=int, nargs="+", default=[5000, 20_000, 50_000])
    args = parser.parse_args(argv)
    tasks = {"5x5 student_t": bn.two_pair_cov(5, 0.8), "5x5 student_t(identity)": np.eye(10)}
    print("| task | true MI | n | default estimate | interval | flags | true critic, same rows | s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, dispersion in tasks.items():
        task = bn.student_t_task(dispersion, 5, 2.0, name)
        for n in args.ns:
            x, z = task.sample(n, 0)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # the flags are printed
                est = mb.estimate_mi(x, z)
            seconds = time.perf_counter() - start
            oracle = bn.student_t_true_read_out(x, z, dispersion, 2.0, est.n_test,
                                                mb.DEFAULTS["n_shuffles"])
            lo, hi = est.interval
            print(f"| {name} | {task.mi:.3f} | {n} | {est.mi:.3f} | [{lo:.3f}, {hi:.3f}] | "
                  f"{', '.join(est.flags) or '-'} | {oracle:.3f} | {seconds:.1f} |", flush=True)
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} CPU(s), torch {torch.__version__}, "
          f"{time.strftime('%Y-%m-%d')}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
