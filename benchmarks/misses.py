"""Where the default interval misses: would other settings, or more rows, read those tasks? (chapter 3)

``benchmarks/trust.py`` finds unflagged runs whose interval ends below the truth, most of them on
two families of the Beyond Normal list: spirals after a normal CDF and sharp additive noise. This
script asks whether the default settings are to blame. On those tasks at n = 5000, with the
same data and training seeds as ``trust.py`` (data seed ``s``, ``seed=10 * s``), it runs one
``estimate_mi(x, z)`` call per variant, everything else default:

* ``default``: no arguments (the row of ``trust.py``);
* ``2x128``, ``3x64``: a wider or a deeper critic;
* ``steps 6000``: twice the default steps; ``lr 3e-4, 6000``: a smaller step size, twice the steps;
* ``half rows``: ``test_fraction=0.625``, half the default training rows (and more held out),
  which says how much the estimate still gains from data.

It prints a Markdown table (estimate, interval, flags, seconds) and exits 0. ``--part k/m`` runs
every m-th row from the k-th, for two processes side by side.

    .venv/bin/python benchmarks/misses.py
    .venv/bin/python benchmarks/misses.py --part 1/2 & .venv/bin/python benchmarks/misses.py --part 2/2
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import minebook as mb

if __package__ in (None, ""):  # run as `python benchmarks/NAME.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import czyz_by_name, take_part  # noqa: E402

TASKS = ["3x3 spiral(normal_cdf(2-pair))", "5x5 spiral(normal_cdf(2-pair))", "1x1 additive(eps=0.1)"]
VARIANTS = {
    "default": {},
    "2x128": {"hidden": (128, 128)},
    "3x64": {"hidden": (64, 64, 64)},
    "steps 6000": {"steps": 6000},
    "lr 3e-4, 6000": {"lr": 3e-4, "steps": 6000},
    "half rows": {"test_fraction": 0.625},
}


def rows(tasks, seeds: int, part: str | None) -> list[tuple]:
    """``(task, seed, variant)`` to run, every m-th from the k-th with ``part = "k/m"``."""
    return take_part([(t, s, v) for t in tasks for s in range(seeds) for v in VARIANTS], part)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=TASKS)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--part", help="k/m: run only every m-th row from the k-th")
    args = parser.parse_args(argv)
    print("| task | seed | true MI | variant | estimate | interval | flags | s |")
    print("|---|---|---|---|---|---|---|---|")
    for task, seed, variant in rows(czyz_by_name(args.tasks), args.seeds, args.part):
        x, z = task.sample(args.n, seed)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # flags are printed
            res = mb.estimate_mi(x, z, seed=10 * seed, **VARIANTS[variant])
        low, high = res.interval
        print(f"| {task.name} | {seed} | {task.mi:.3f} | {variant} | {res.mi:.3f} | [{low:.3f}, {high:.3f}] | "
              f"{', '.join(res.flags) or '-'} | {time.perf_counter() - start:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
