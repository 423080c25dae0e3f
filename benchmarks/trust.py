"""Can you trust the number? ``estimate_mi`` on tasks with known MI that it was never tuned on.

Three task lists (``--tasks``):

* ``czyz`` (default): the 40 tasks of the Beyond Normal benchmark, Czyż et al. 2023
  (``minebook.experiments.beyond_normal.czyz_tasks()``: bmi's v1 task list, 1x1 to 50x50: Gaussians,
  transformed Gaussians, spirals, Student-t, additive noise, bimodal, Swiss roll);
* ``book``: chapter 12's harder set (``trust_tasks()``: Gaussian, transformed and correlated
  Student-t tasks at 3x3, 5x5 and 25x25, plus a high-MI 50x50 Gaussian above the log(n_test)
  ceiling);
* ``families``: kinds of data beyond the Beyond Normal list (issue #29,
  ``minebook.experiments.families``): joint Gaussian mixtures with several modes, a shared
  random scale (dependence in the tails by construction), class labels, a 2-D latent embedded
  smoothly in 10 and 25 dimensions, noise whose size depends on the signal, two labels; truths
  exact or Monte Carlo with a stated standard error. Its targets are issue #29's: no unwarned
  run more than 20% off (instead of 30%).

For every estimator and task, at n = 5000 and several seeds, this prints:

* the error of each estimate against the true MI (nats),
* whether a warning fired (``MIEstimate.flags`` non-empty: any of the checks of
  ``minebook.CHECKS``; the flags of every run go to ``--json``),
* whether the reported 95% ``interval`` covers the truth,
* seconds per estimate,

and checks the targets of issue #14 for the default estimator (``estimate_mi(x, z)`` with no
arguments): mean absolute error over the tasks at most 0.12 nats; no run off by more than 30%
of the truth without a warning; coverage of at least 80% among runs without a warning;
warnings on at most 20% of the runs within 10% of the truth. Every
estimate is one ``estimate_mi(x, z)`` call, as a user would make it, and is timed (its
checks included); the time of one plain call at 1x1, 5x5 and 25x25 on a Gaussian is
also printed. This is a benchmark, not a test: it prints, and exits 0 either way
unless ``--strict`` is given.

    .venv/bin/python benchmarks/trust.py                       # default, standardized, KSG, CCA; 3 seeds
    .venv/bin/python benchmarks/trust.py --estimators mine smile infonce ksg gaussian --seeds 2
    .venv/bin/python benchmarks/trust.py --tasks book --seeds 2
    .venv/bin/python benchmarks/trust.py --quick               # tasks up to 5x5, 1 seed, 500 steps
    .venv/bin/python benchmarks/trust.py --write-readme        # also replace the table in ../README.md

Two processes side by side: ``--part 1/2 --json a.json`` and ``--part 2/2 --json b.json`` each
run every other task; ``--estimators --reuse a.json b.json --write-readme`` merges and reports.
More seeds for one estimator: ``--estimators mine --seeds 5 --resume --reuse last_run_czyz.json``
keeps the stored rows of seeds 0-1 and runs seeds 2-4 (the other estimators keep their own seeds,
and the report says how many each has). The coverage target is printed with its 95% Wilson
interval: on about 45 unwarned runs, a measured 78% is compatible with anything from 64% to 87%.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

import minebook as mb
from minebook.checks import CheckData
from minebook.experiments import beyond_normal as bn
from minebook.experiments import families
from minebook.validation import check_pair

if __package__ in (None, ""):  # run as `python benchmarks/NAME.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import ROOT, take_part, write_section  # noqa: E402

#: README markers of each task list's table.
MARKS = {"czyz": ("<!-- trust:start -->", "<!-- trust:end -->"),
         "book": ("<!-- trust-book:start -->", "<!-- trust-book:end -->"),
         "families": ("<!-- trust-families:start -->", "<!-- trust-families:end -->")}

#: The issue's targets for the default estimator.
TARGETS = {"mae": 0.12, "unflagged_off_30": 0, "coverage": 0.80, "false_alarms": 0.20, "seconds": 15.0}
#: How far off (fraction of the truth) an unwarned run may not be, by task list (#14: 30%, #29: 20%).
OFF_LIMIT = {"czyz": 30, "book": 30, "families": 20}


def run_one_estimator(spec: str, tasks, n: int, seeds, kwargs: dict, done: dict | None = None) -> list[dict]:
    """Rows ``{task, seed, truth, mi, warned, flags, covered, seconds}`` for one estimator.

    ``spec``: an estimator name, optionally with a preprocessing: ``"mine:standardize"``.
    Every estimate is one :func:`minebook.estimate_mi` call, as a user would make it (for the
    neural estimators: its default ``n_critics`` critics, trained at once); seed ``s`` of a task
    samples its data with seed ``s`` and trains with ``seed=10 * s``. ``done``: rows already
    measured, by ``(task, seed)`` (``--resume``): returned in their place, not rerun.
    """
    estimator, _, preprocess = spec.partition(":")
    if preprocess:
        kwargs = {**kwargs, "preprocess": preprocess}
    rows, done = [], done or {}
    for task in tqdm(tasks, desc=spec, mininterval=5.0):
        for s in seeds:
            if (task.name, s) in done:
                rows.append(done[(task.name, s)])
                continue
            x, z = task.sample(n, s)
            start = time.perf_counter()
            if estimator == "gaussian":
                res, value = None, mb.checks.gaussian_baseline_mi(x, z)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # counted through MIEstimate.flags
                    res = mb.estimate_mi(x, z, estimator=estimator, seed=10 * s, **kwargs)
                value = res.mi
            has_interval = res is not None and math.isfinite(res.mi_std)
            rows.append({"task": task.name, "seed": s, "truth": task.mi, "mi": float(value),
                         "warned": bool(res is not None and (res.diverged or res.flags)),
                         "flags": list(res.flags) if res is not None else [],
                         "covered": (bool(res.interval[0] <= task.mi <= res.interval[1])
                                     if has_interval else None),
                         "interval": list(res.interval) if has_interval else None,
                         "train_mi": res.train_mi if res is not None else math.nan,
                         "seconds": time.perf_counter() - start})
    return rows


def summarise(rows: list[dict]) -> dict:
    """The issue's four accuracy numbers over a list of rows (:func:`bn.trust_counts`)."""
    covered = [math.nan if r["covered"] is None else float(r["covered"]) for r in rows]
    counts = bn.trust_counts([r["mi"] for r in rows], [r["truth"] for r in rows],
                             [r["warned"] for r in rows], covered)
    return {"runs": len(rows), "mae": counts["mae"], "unflagged_off_30": counts["unflagged_off_30"],
            "unflagged_off_20": counts["unflagged_off_20"],
            "coverage": counts["coverage"], "judged": counts["n_unflagged_with_interval"],
            "covered": counts["n_covered"], "coverage_interval": counts["coverage_interval"],
            "false_alarms": counts["false_alarms"],
            "warned": float(np.mean([r["warned"] for r in rows])),
            "seconds": float(np.mean([r["seconds"] for r in rows]))}


def time_default_call(dims=(1, 5, 25), n: int = 5000) -> dict:
    """Seconds of one ``estimate_mi(x, z)`` call with no arguments on the 2-pair Gaussian
    (at 1x1: the bivariate normal with correlation 0.8)."""
    out = {}
    for d in dims:
        x, z = bn.gaussian_task(bn.two_pair_cov(d), d).sample(n, 0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # only the time is reported
            mb.estimate_mi(x, z)
        out[d] = time.perf_counter() - start
    return out


def select_tasks(name: str, dims, part: str | None = None, quick: bool = False) -> list:
    """The task list ``name`` (``"czyz"`` or ``"book"``), with ``--quick`` only tasks up to 5x5,
    with ``part = "k/m"`` every m-th task starting at the k-th."""
    if name not in OFF_LIMIT:
        raise SystemExit(f"--tasks must be one of {', '.join(OFF_LIMIT)}; got {name!r}")
    if name == "families":
        tasks = [task for task, _ in families.family_tasks()]
    else:
        tasks = bn.czyz_tasks() if name == "czyz" else bn.trust_tasks(dims)
    if quick:
        tasks = [t for t in tasks if int(t.name.split("x")[0]) <= 5]
    return take_part(tasks, part)


def task_table(per_estimator: dict[str, list[dict]], tasks) -> str:
    """Markdown: one row per task, mean |error| (warned runs / runs) per estimator."""
    names = list(per_estimator)
    lines = ["| task | true MI | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for task in tasks:
        cells = []
        for est in names:
            rs = [r for r in per_estimator[est] if r["task"] == task.name]  # names are unique
            err = np.mean([abs(r["mi"] - r["truth"]) for r in rs])
            cells.append(f"{err:.2f} ({sum(r['warned'] for r in rs)}/{len(rs)})")
        lines.append(f"| {task.name} | {task.mi:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_table(per_estimator: dict[str, list[dict]], off: int = 30) -> str:
    """Markdown: the four target numbers and seconds per estimate, per estimator (``off``: the
    percentage an unwarned run may not be off by)."""
    lines = [f"| estimator | runs | mean abs. error (nats) | off > {off}%, no warning | coverage, no warning "
             "| warnings when within 10% | s / estimate |", "|---|---|---|---|---|---|---|"]
    common = set.intersection(*({r["seed"] for r in rows} for rows in per_estimator.values()))
    for est, rows in per_estimator.items():
        lines.append(_summary_row(est, rows, off))
        if {r["seed"] for r in rows} != common:  # also on the seeds that every estimator has
            same = [r for r in rows if r["seed"] in common]
            lines.append(_summary_row(f"{est}, seeds {', '.join(map(str, sorted(common)))}", same, off))
    return "\n".join(lines)


def _summary_row(name: str, rows: list[dict], off: int = 30) -> str:
    s = summarise(rows)
    coverage = "no interval" if math.isnan(s["coverage"]) else f"{100 * s['coverage']:.0f}%"
    return (f"| {name} | {s['runs']} | {s['mae']:.3f} | {s[f'unflagged_off_{off}']} | "
            f"{coverage} | {100 * s['false_alarms']:.0f}% | {s['seconds']:.1f} |")


def coverage_text(s: dict) -> str:
    """``78% (35 of 45; 95% Wilson interval 64-87%)``: the measured coverage and its sampling error."""
    if not s.get("judged"):
        return f"{s['coverage']:.0%}"
    low, high = s["coverage_interval"]
    return (f"{s['coverage']:.0%} ({s['covered']} of {s['judged']}; 95% Wilson interval "
            f"{100 * low:.0f}-{100 * high:.0f}%)")


def check_targets(s: dict, seconds: dict, off: int = 30) -> list[tuple[str, bool, str]]:
    """(target, met, measured) for the default estimator (``off``: see :data:`OFF_LIMIT`)."""
    worst = max(seconds.values()) if seconds else math.nan
    timing = (f"one default estimate (n = 5000, d <= 25) in <= {TARGETS['seconds']:.0f} s",
              worst <= TARGETS["seconds"], f"{worst:.1f} s")
    return [
        (f"mean absolute error <= {TARGETS['mae']} nats", s["mae"] <= TARGETS["mae"], f"{s['mae']:.3f}"),
        (f"no run off by > {off}% without a warning", s[f"unflagged_off_{off}"] == 0, str(s[f"unflagged_off_{off}"])),
        (f"coverage >= {TARGETS['coverage']:.0%} among unwarned runs", s["coverage"] >= TARGETS["coverage"],
         coverage_text(s)),
        (f"warnings on <= {TARGETS['false_alarms']:.0%} of runs within 10%",
         s["false_alarms"] <= TARGETS["false_alarms"], f"{s['false_alarms']:.0%}"),
    ] + ([timing] if seconds else [])


def gathered_rows(paths) -> dict[str, dict[tuple[str, int], dict]]:
    """The rows of earlier ``--json`` files by estimator and ``(task, seed)``; the rows of one
    estimator may come from several files (runs of ``--part``), the first file's row wins."""
    gathered: dict[str, dict] = {}
    for path in paths:
        for est, rows in json.loads(Path(path).read_text()).items():
            for r in rows:
                gathered.setdefault(est, {}).setdefault((r["task"], r["seed"]), r)
    return gathered


def reused_rows(paths, rerun, tasks) -> dict[str, list[dict]]:
    """Rows of estimators not in ``rerun`` from earlier ``--json`` files, checked to cover the
    given tasks, each with the same seeds (an estimator's seeds may differ from this run's: the
    report says how many each has). Rows of other tasks are left out (a ``--part`` run may
    reuse a file of the whole list)."""
    out, names = {}, {t.name for t in tasks}
    for est, by_key in gathered_rows(paths).items():
        if est in rerun:
            continue
        by_key = {key: r for key, r in by_key.items() if key[0] in names}
        seeds = sorted({s for _, s in by_key})
        if set(by_key) != {(t.name, s) for t in tasks for s in seeds}:
            raise SystemExit(f"{', '.join(str(p) for p in paths)}: the rows of {est!r} lack some of "
                             "this run's tasks, or are not for the same seeds on every task")
        out[est] = [by_key[(t.name, s)] for t in tasks for s in seeds]
    return out


def resumed_rows(paths, estimators, tasks, seeds) -> dict[str, dict[tuple[str, int], dict]]:
    """``--resume``: the rows of this run's ``estimators`` that earlier ``--json`` files already
    hold for this run's tasks and seeds, by ``(task, seed)``; only the others are run."""
    want = {(t.name, s) for t in tasks for s in seeds}
    gathered = gathered_rows(paths)
    return {est: {key: r for key, r in gathered.get(est, {}).items() if key in want} for est in estimators}


#: The checks that ``--recheck`` re-evaluates on stored rows.
RECHECKED = ("below_gaussian", "tail_dependence", "near_zero")


def recheck_flags(rows: list[dict], tasks, n: int) -> int:
    """Re-evaluate the ``below_gaussian``, ``tail_dependence`` and ``near_zero`` flags of stored rows
    with today's checks, in place.

    These checks compare the stored estimate and interval with something computed from the data
    alone (the Gaussian baseline, the joint extremes; each task regenerates its data from its
    seed) or with nothing (``near_zero``), so running ``estimate_mi``'s own checks on an estimate rebuilt from the row
    gives exactly the flags a rerun would, as long as nothing else changed for that estimate.
    Rows without an interval (KSG, the CCA baseline) and diverged runs are left alone (the
    checks skip them). Returns how many rows changed.
    """
    by_name, changed = {t.name: t for t in tasks}, 0
    for r in rows:
        if r.get("interval") is None or "diverged" in r["flags"] or not math.isfinite(r["mi"]):
            continue
        low, high = r["interval"]  # mi - 1.96 mi_std, and max(mi + 1.96 mi_std, train_mi)
        res = mb.MIEstimate(mi=r["mi"], mi_std=(r["mi"] - low) / 1.96, estimator="mine", train_mi=high)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            data = CheckData(*check_pair(*by_name[r["task"]].sample(n, r["seed"])))
            for name in RECHECKED:
                mb.CHECKS[name].apply(res, data)
        kept = {f for f in r["flags"] if f not in RECHECKED}
        flags = [name for name in mb.CHECKS if name in kept | set(res.flags)]  # run_checks' order
        if flags != r["flags"]:
            changed += 1
            r["flags"], r["warned"] = flags, bool(flags)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--estimators", nargs="*", default=["mine", "mine:standardize", "ksg", "gaussian"],
                        help="estimator names, optionally with a preprocessing: mine:standardize")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--tasks", default="czyz",
                        help="czyz (the paper's 40 tasks), book (chapter 12's) or families (issue #29)")
    parser.add_argument("--dims", type=int, nargs="+", default=[3, 5, 25], help="sizes of --tasks book")
    parser.add_argument("--part", help="k/m: run only every m-th task from the k-th (merge with --reuse)")
    parser.add_argument("--quick", action="store_true", help="tasks up to 5x5, 1 seed, 500 steps")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--reuse", type=Path, nargs="+", default=[],
                        help="--json files of earlier runs (same tasks, n and seeds): their rows of "
                             "estimators not in --estimators are reported as they are, not rerun")
    parser.add_argument("--resume", action="store_true",
                        help="rows of --estimators that the --reuse files already hold (same tasks and "
                             "seeds) are kept, only the missing ones are run (more seeds, a cut-off run)")
    parser.add_argument("--recheck", action="store_true",
                        help="re-evaluate the below_gaussian and near_zero flags of the reused rows with "
                             "today's checks (they need only the data and the stored interval)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    seeds, kwargs = range(args.seeds), {}
    if args.quick:
        seeds, kwargs = range(1), {"steps": 500}
    tasks = select_tasks(args.tasks, args.dims, args.part, args.quick)
    per_estimator, reused = {}, reused_rows(args.reuse, args.estimators, tasks)
    done = resumed_rows(args.reuse, args.estimators, tasks, seeds) if args.resume else {}
    for est in args.estimators:
        start = time.perf_counter()
        per_estimator[est] = run_one_estimator(est, tasks, args.n, seeds,
                                               {} if est.startswith("ksg") else kwargs, done.get(est))
        print(f"{est}: {len(per_estimator[est])} estimates in {time.perf_counter() - start:.0f} s",
              file=sys.stderr)
    if args.recheck:
        for est, rows in reused.items():
            print(f"{est}: {', '.join(RECHECKED)} re-evaluated, {recheck_flags(rows, tasks, args.n)} "
                  "row(s) changed", file=sys.stderr)
    per_estimator.update(reused)
    seconds = {} if args.quick or args.part else time_default_call()
    sizes = sorted({t.name.split()[0] for t in tasks}, key=lambda size: tuple(map(int, size.split("x"))))
    title = {"czyz": "the Beyond Normal task list", "book": "chapter 12's tasks",
             "families": "task families beyond the Beyond Normal list"}[args.tasks]
    off = OFF_LIMIT[args.tasks]
    n_seeds = {est: len(rows) // len(tasks) for est, rows in per_estimator.items()}
    seed_text = (f"{len(seeds)} seed(s)" if set(n_seeds.values()) <= {len(seeds)} else
                 "seeds: " + ", ".join(f"{est} {k}" for est, k in n_seeds.items()))
    header = (f"{title}; n = {args.n}, {len(tasks)} tasks ({', '.join(sizes)}), "
              f"{seed_text}; error in nats; (w/r): runs with a warning / runs")
    if reused:
        header += (f"; the rows of {', '.join(reused)} are those of separate runs saved with --json "
                   f"({', '.join(p.name for p in args.reuse)})")
    kept = {est: len(rows) for est, rows in done.items() if rows}
    if kept:
        header += "; kept from those files (--resume): " + ", ".join(f"{k} rows of {est}" for est, k in kept.items())
    text = "\n\n".join([f"*{header}.*", summary_table(per_estimator, off), task_table(per_estimator, tasks)])
    if seconds:
        text += "\n\nOne `estimate_mi(x, z)` call with no arguments: " + ", ".join(
            f"{s:.1f} s at {d}x{d}" for d, s in seconds.items()) + "."
    text += (f"\n\nMachine: {platform.machine()}, {os.cpu_count()} CPU(s), torch {torch.__version__}, "
             f"{time.strftime('%Y-%m-%d')}. Command: `python benchmarks/trust.py {' '.join(argv or sys.argv[1:])}`.")
    if "mine" in per_estimator:
        checks = check_targets(summarise(per_estimator["mine"]), seconds, off)
        text += "\n\nTargets for the default estimator:\n\n" + "\n".join(
            f"- {'met' if ok else 'MISSED'}: {name} (measured {value})" for name, ok, value in checks)
    else:
        checks = []
    print(text)
    if args.json:
        args.json.write_text(json.dumps(per_estimator, indent=1))
    if args.write_readme:
        write_section(ROOT / "README.md", text, MARKS[args.tasks])
    return 1 if args.strict and not all(ok for _, ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
