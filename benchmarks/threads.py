#!/usr/bin/env python
"""Threads and parallel chapters: what the thread rule and the parallel runs buy (issue 11).

    .venv/bin/python benchmarks/threads.py                      # all parts, baseline = main
    .venv/bin/python benchmarks/threads.py --part estimate      # only the default estimate, idle/busy
    .venv/bin/python benchmarks/threads.py --part builds --baseline REV --current HEAD
    .venv/bin/python benchmarks/threads.py --render             # print the tables of the last run again
    .venv/bin/python benchmarks/threads.py --write-readme       # also put them into benchmarks/README.md

Parts, measured side by side in one run on this machine:

* ``estimate``: the default ``minebook.estimate_mi`` on x, z of 5 dimensions, n = 5000,
  rho = 0.9, 1500 steps, each timing in a fresh process, with the machine otherwise idle and
  with one other process busy on one core (a Python busy loop). "before": torch's default
  intra-op threads (what ``estimate_mi`` used before the rule); "after": ``estimate_mi``'s
  own choice (``minebook.threads``).
* ``builds``: wall time of ``make book`` (full budget) and ``make test`` on a fresh worktree
  of the baseline revision (chapters one after another, torch's default threads) and of the
  current revision (chapters in parallel, one per core), each after ``make venv`` (not timed).

Results go to ``benchmarks/last_run_threads.json``; ``--render`` prints them again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/NAME.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import ROOT, load, write_section  # noqa: E402

LAST = ROOT / "benchmarks" / "last_run_threads.json"
START, END = "<!-- threads-benchmark:start -->", "<!-- threads-benchmark:end -->"

ESTIMATE_JOB = r"""
import sys, time, warnings
import torch
import minebook
warnings.simplefilter("ignore")
mode = sys.argv[1]
x, z = minebook.correlated_gaussian(5000, d=5, rho=0.9, seed=0)
kwargs = dict(steps=1500, seed=0)
if mode == "before":
    kwargs["threads"] = torch.get_num_threads()   # torch's default: what estimate_mi used before
minebook.estimate_mi(x, z, steps=50, seed=1, threads=kwargs.get("threads"))  # warm-up
t0 = time.perf_counter()
est = minebook.estimate_mi(x, z, **kwargs)
print(time.perf_counter() - t0, est.mi, est.threads)
"""


class Busy:
    """One other process busy on one core (a Python busy loop) while the block runs."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


# ----------------------------------------------------------------------------- estimate
def time_estimate(mode: str, repeats: int) -> dict:
    """Best-of-``repeats`` seconds of the default estimate in fresh processes."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", ESTIMATE_JOB, mode], capture_output=True,
                             text=True, check=True, cwd=ROOT).stdout.split()
        runs.append((float(out[0]), float(out[1]), int(out[2])))
    return {"seconds": min(r[0] for r in runs), "all_seconds": [r[0] for r in runs],
            "mi": runs[0][1], "threads": runs[0][2]}


def part_estimate(repeats: int) -> dict:
    out = {}
    for mode in ("before", "after"):
        idle = time_estimate(mode, repeats)
        with Busy():
            busy = time_estimate(mode, repeats)
        out[mode] = {"idle": idle, "busy": busy}
        print(f"estimate {mode}: {idle['threads']} thread(s), idle {idle['seconds']:.2f} s, "
              f"busy {busy['seconds']:.2f} s", flush=True)
    return out


# ----------------------------------------------------------------------------- builds
def _timed(cmd: list[str], cwd: Path, env: dict, log: Path) -> float:
    t0 = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd} (exit {proc.returncode}); see {log}")
    return seconds


def time_builds(rev: str, label: str, workdir: Path) -> dict:
    """``make book`` and ``make test`` wall time on a fresh worktree of ``rev``."""
    tree = workdir / label
    subprocess.run(["git", "worktree", "add", "--detach", "--force", str(tree), rev], cwd=ROOT,
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "MINEBOOK_"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if ".venv" not in p)
    env["CI"] = "true"
    try:
        _timed(["make", "venv"], tree, env, workdir / f"{label}-venv.log")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, text=True,
                                capture_output=True, check=True).stdout.strip()
        out = {"rev": rev, "commit": commit, "date": time.strftime("%Y-%m-%d %H:%M")}
        for target in ("book", "test"):
            print(f"{label} ({commit}): make {target} ...", flush=True)
            out[target] = _timed(["make", target], tree, env, workdir / f"{label}-{target}.log")
            print(f"{label} ({commit}): make {target}: {out[target]:.0f} s", flush=True)
            if target == "book":  # the sum of the chapter times that make book recorded
                times = json.loads((tree / "book" / "results" / "execution_times.json").read_text())
                out["chapter_seconds"] = sum(c["seconds"] for c in times["chapters"].values())
        return out
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       capture_output=True)


def part_builds(baseline: str, current: str, keep: Path | None, sides: list[str]) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="minebook-threads-", dir=keep))
    print(f"worktrees and logs in {workdir}", flush=True)
    revs = {"sequential": baseline, "parallel": current}
    out = {}
    for side in sides:
        out[side] = time_builds(revs[side], side, workdir)
        _save_partial({"builds": out})
    return out


def _save_partial(part: dict) -> None:
    """Keep each measured side in the results file at once (a later failure loses nothing)."""
    res = json.loads(LAST.read_text()) if LAST.is_file() else {}
    for key, value in part.items():
        res.setdefault(key, {}).update(value)
    LAST.write_text(json.dumps(res, indent=2, sort_keys=True) + "\n")


# ----------------------------------------------------------------------------- tables
def render(res: dict) -> str:
    lines = [f"Machine: {res['machine']}; {res['date']}; {res['load_start']} at the start."]
    est = res.get("estimate")
    if est:
        lines += [
            "",
            "Default `estimate_mi` (d = 5, n = 5000, rho = 0.9, 1500 steps), best of "
            f"{len(est['before']['idle']['all_seconds'])} fresh processes:",
            "",
            "| | intra-op threads | idle (s) | one core busy (s) | busy / idle |",
            "|---|---:|---:|---:|---:|",
        ]
        for mode, what in (("before", "before: torch's default"), ("after", "after: the rule")):
            idle, busy = est[mode]["idle"], est[mode]["busy"]
            lines.append(f"| {what} | {idle['threads']} | {idle['seconds']:.2f} | "
                         f"{busy['seconds']:.2f} | {busy['seconds'] / idle['seconds']:.2f}x |")
    builds = res.get("builds")
    if builds and {"sequential", "parallel"} <= set(builds):
        seq, par = builds["sequential"], builds["parallel"]
        lines += [
            "",
            "Wall time of a fresh worktree (after `make venv`):",
            "",
            "| | revision | `make book` (s) | chapter execution (s) | `make test` (s) |",
            "|---|---|---:|---:|---:|",
        ]
        for what, b in (("sequential (baseline)", seq), ("parallel", par)):
            chap = f"{b['chapter_seconds']:.0f}" if b.get("chapter_seconds") else "—"
            when = f" ({b['date']})" if b.get("date") else ""
            lines.append(f"| {what}{when} | {b['commit']} | {b['book']:.0f} | {chap} | {b['test']:.0f} |")
        lines.append(f"| parallel / sequential | | {par['book'] / seq['book']:.2f} | | "
                     f"{par['test'] / seq['test']:.2f} |")
        lines += ["", "Chapter execution: the sum of the per-chapter seconds that `make book` "
                  "records (in the parallel run two chapters share the machine, so the sum exceeds "
                  "the wall time)."]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("estimate", "builds", "all"), default="all")
    ap.add_argument("--baseline", default="main",
                    help="revision run the old way, chapters one after another (default main)")
    ap.add_argument("--current", default="HEAD", help="revision with parallel chapters (default HEAD)")
    ap.add_argument("--side", choices=("sequential", "parallel", "both"), default="both",
                    help="with --part builds: time only one side (the other is kept from the last run)")
    ap.add_argument("--repeats", type=int, default=3, help="fresh processes per estimate timing")
    ap.add_argument("--keep", type=Path, default=None, help="folder for the worktrees and logs")
    ap.add_argument("--render", action="store_true", help="print the last run's tables again")
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args(argv)
    if args.render:
        text = render(json.loads(LAST.read_text()))
    else:
        res = json.loads(LAST.read_text()) if LAST.is_file() else {}
        res.update(machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
                   date=time.strftime("%Y-%m-%d %H:%M"), load_start=load())
        if args.part in ("estimate", "all"):
            res["estimate"] = part_estimate(args.repeats)
            _save_partial({"estimate": res["estimate"]})
        if args.part in ("builds", "all"):
            if shutil.which("make") is None:
                raise SystemExit("make not found")
            sides = ["sequential", "parallel"] if args.side == "both" else [args.side]
            res.setdefault("builds", {}).update(part_builds(args.baseline, args.current, args.keep, sides))
            res["builds"].update(json.loads(LAST.read_text()).get("builds", {}))
        res["load_end"] = load()
        LAST.write_text(json.dumps(res, indent=2, sort_keys=True) + "\n")
        text = render(res)
    print(text)
    if args.write_readme:
        write_section(ROOT / "benchmarks" / "README.md", text, (START, END),
                      heading="## Threads and parallel chapters (`threads.py`)\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
