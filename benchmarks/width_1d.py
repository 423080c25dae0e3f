"""Which critic width should ``estimate_mi`` default to when rows are plentiful? (chapter 3)

On the 1x1 tasks of the Beyond Normal list (``minebook.beyond_normal.czyz_tasks()``) at
n = 5000, two seeds each, one default ``estimate_mi(x, z)`` call with ``hidden=(128, 128)`` and
one with ``hidden=(64, 64)`` (everything else default): the estimate, its interval, its flags
and the seconds per call, measured side by side in one process. This is the measurement behind
``minebook.estimate.WIDTH_TIERS``. It prints a Markdown table and exits 0.

    .venv/bin/python benchmarks/width_1d.py
    .venv/bin/python benchmarks/width_1d.py --tasks "1x1 normal" "1x1 additive(eps=0.1)"
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from trust import czyz_by_name  # benchmarks/ is on the path when run as a script

import minebook as mb

TASKS = ["1x1 normal", "1x1 additive(eps=0.1)", "1x1 additive(eps=0.75)", "1x1 bimodal",
         "1x1 student_t(df=1)"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=TASKS)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args(argv)
    print("| task | seed | true MI | width | estimate | interval | flags | s |")
    print("|---|---|---|---|---|---|---|---|")
    for task in czyz_by_name(args.tasks):
        name = task.name
        for seed in range(args.seeds):
            x, z = task.sample(args.n, seed)
            for width in (128, 64):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # flags are printed
                    res = mb.estimate_mi(x, z, hidden=(width, width), seed=10 * seed)
                low, high = res.interval
                print(f"| {name} | {seed} | {task.mi:.3f} | {width}x{width} | {res.mi:.3f} | "
                      f"[{low:.3f}, {high:.3f}] | {', '.join(res.flags) or '-'} | "
                      f"{time.perf_counter() - start:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
