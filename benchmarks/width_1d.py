"""Which critic should ``estimate_mi`` default to when rows are plentiful? (chapter 3)

On the 1x1 tasks of the Beyond Normal list (``minebook.experiments.beyond_normal.czyz_tasks()``) at
n = 5000, two seeds each, one default ``estimate_mi(x, z)`` call per critic shape in
``--critics`` (default ``128x128 64x64``: ``hidden=(128, 128)`` and ``hidden=(64, 64)``;
``64x64x64`` is three hidden layers), everything else default: the estimate, its interval, its
flags and the seconds per call, measured side by side in one process (``--part k/m`` runs every
m-th row from the k-th, for processes side by side). This is the measurement behind
``minebook.estimate.WIDTH_TIERS``. It prints a Markdown table and exits 0.

    .venv/bin/python benchmarks/width_1d.py
    .venv/bin/python benchmarks/width_1d.py --tasks "1x1 normal" "1x1 additive(eps=0.1)"
    .venv/bin/python benchmarks/width_1d.py --critics 64x64x64 64x64
    .venv/bin/python benchmarks/width_1d.py --critics 64x64x64 64x64 --tasks "1x1 additive(eps=0.1)" --timing 2
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

TASKS = ["1x1 normal", "1x1 additive(eps=0.1)", "1x1 additive(eps=0.75)", "1x1 bimodal",
         "1x1 student_t(df=1)"]


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"64x64x64"`` -> ``(64, 64, 64)``."""
    try:
        hidden = tuple(int(v) for v in text.split("x"))
    except ValueError:
        hidden = ()
    if not hidden or min(hidden) < 1:
        raise SystemExit(f"--critics takes hidden widths like 64x64 or 64x64x64; got {text!r}")
    return hidden


def time_critics(task, shapes, n: int, reps: int) -> int:
    """Best-of-``reps`` seconds of one default call per critic shape, alternating, and the ratio to
    the last shape (the baseline): a ratio measured side by side, not one absolute figure."""
    x, z = task.sample(n, 0)
    best = {hidden: float("inf") for hidden in shapes}
    for _ in range(reps):
        for hidden in shapes:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mb.estimate_mi(x, z, hidden=hidden)
            best[hidden] = min(best[hidden], time.perf_counter() - start)
    base = best[shapes[-1]]
    for hidden, seconds in best.items():
        print(f"{task.name}, {'x'.join(map(str, hidden))}: best of {reps} {seconds:.1f} s, "
              f"{seconds / base:.2f} x {'x'.join(map(str, shapes[-1]))}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=TASKS)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--critics", nargs="+", default=["128x128", "64x64"],
                        help="hidden widths per critic, e.g. 64x64x64")
    parser.add_argument("--part", help="k/m: run only every m-th row from the k-th")
    parser.add_argument("--timing", type=int, metavar="REPS",
                        help="only time: REPS default calls per critic on the first task's data, the "
                             "critics alternating in one process; prints the best of each and the ratios")
    args = parser.parse_args(argv)
    shapes = [parse_hidden(c) for c in args.critics]
    if args.timing:
        return time_critics(czyz_by_name(args.tasks)[0], shapes, args.n, args.timing)
    todo = [(t, s, h) for t in czyz_by_name(args.tasks) for s in range(args.seeds) for h in shapes]
    print("| task | seed | true MI | width | estimate | interval | flags | s |")
    print("|---|---|---|---|---|---|---|---|")
    for task, seed, hidden in take_part(todo, args.part):
        x, z = task.sample(args.n, seed)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # flags are printed
            res = mb.estimate_mi(x, z, hidden=hidden, seed=10 * seed)
        low, high = res.interval
        print(f"| {task.name} | {seed} | {task.mi:.3f} | {'x'.join(map(str, hidden))} | {res.mi:.3f} | "
              f"[{low:.3f}, {high:.3f}] | {', '.join(res.flags) or '-'} | "
              f"{time.perf_counter() - start:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
