#!/usr/bin/env python
"""Do the book's verdicts survive a new set of seeds? Re-run the chapters that compare methods
over seeds on a disjoint set of seeds and compare their verdicts with the committed ones.

    .venv/bin/python benchmarks/verdicts.py                 # chapters 05, 08-11, 13 at seed=1000
    .venv/bin/python benchmarks/verdicts.py --seed 2000 --jobs 2 08_gan_mode_collapse
    .venv/bin/python benchmarks/verdicts.py --reuse DIR     # compare a finished run again
    .venv/bin/python benchmarks/verdicts.py --write-readme  # also rewrite the table in README.md

Each chapter is executed by papermill at full budget with its ``seed`` parameter set to
``--seed`` (every random number generator of a chapter derives from it; seed 1000 shares none
of the seeds that the committed run, seed 0, used), one intra-op thread per kernel as in
``make book``, into a temporary directory; its recorded claims (``MINEBOOK_RESULTS_DIR``)
are matched by claim text with ``book/results``. A claim **flips** when the two verdicts differ
and neither is "inconclusive" (a verdict may move to or from "inconclusive": that is what the
word means). Writes ``benchmarks/verdict_stability.json``: a list of ``{"claim", "chapter",
"verdict_a", "verdict_b", "seed_a", "seed_b", "ours_a", "ours_b", "flip"}``, and exits 1 if
any claim flips. Chapters 1-4, 6, 7 and 12 check derivations and single runs, not methods
against each other over seeds; pass them by name to include them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/NAME.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import ROOT, write_section  # noqa: E402

_spec = importlib.util.spec_from_file_location("bookgen", ROOT / "scripts" / "bookgen.py")
bookgen = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bookgen", bookgen)
_spec.loader.exec_module(bookgen)
report = bookgen.report

#: The chapters whose claims compare methods over seeds.
COMPARISON_CHAPTERS = (
    "05_ema_correction",
    "08_gan_mode_collapse",
    "09_bigan",
    "10_information_bottleneck",
    "11_deep_infomax",
    "13_real_data",
)
OUT = ROOT / "benchmarks" / "verdict_stability.json"
README = ROOT / "benchmarks" / "README.md"


def execute(chapters: list[str], seed: int, workdir: Path, jobs: int) -> list[str]:
    """Run ``chapters`` at full budget with ``seed``, ``jobs`` at a time; the failed ones."""
    env = bookgen.chapter_thread_env(bookgen.kernel_env())
    env[report.ENV_VAR] = str(workdir / "results")
    queue = bookgen.longest_first([ROOT / "notebooks" / f"{c}.ipynb" for c in chapters],
                                  bookgen.load_times())
    running: dict[str, tuple[subprocess.Popen, float, object]] = {}
    failed = []
    while queue or running:
        while queue and len(running) < jobs:
            nb = queue.pop(0)
            log = (workdir / f"{nb.stem}.log").open("w")
            cmd = [str(bookgen.BIN / "papermill"), "-k", "python3", "--cwd", str(nb.parent),
                   "--no-progress-bar", "-p", "seed", str(seed), str(nb),
                   str(workdir / nb.name)]
            running[nb.stem] = (subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT),
                                time.perf_counter(), log)
        time.sleep(0.5)
        for name, (proc, t0, log) in list(running.items()):
            if proc.poll() is None:
                continue
            log.close()
            del running[name]
            status = "ok" if proc.returncode == 0 else "FAILED (log: " + str(workdir / name) + ".log)"
            print(f"{name} at seed {seed}: {time.perf_counter() - t0:.0f} s, {status}", flush=True)
            if proc.returncode != 0:
                failed.append(name)
    return failed


def compare(chapters: list[str], results_b: Path, seed_a: int, seed_b: int) -> list[dict]:
    """One record per claim of ``chapters``: the committed verdict against the new run's."""
    records = []
    for chapter in chapters:
        rows_a = report.load_chapter(bookgen.RESULTS / f"{chapter}.json")
        path_b = results_b / f"{chapter}.json"
        rows_b = {r["claim"]: r for r in report.load_chapter(path_b)} if path_b.is_file() else {}
        for row in rows_a:
            other = rows_b.get(row["claim"], {})
            va, vb = row["verdict"], other.get("verdict", "missing")
            records.append({
                "claim": row["claim"], "chapter": chapter, "verdict_a": va, "verdict_b": vb,
                "seed_a": seed_a, "seed_b": seed_b, "ours_a": row["ours"],
                "ours_b": other.get("ours", ""),
                "flip": va != vb and "inconclusive" not in (va, vb),
            })
    return records


def markdown(records: list[dict]) -> str:
    """The table for benchmarks/README.md: one row per claim."""
    flips = sum(r["flip"] for r in records)
    seeds = sorted({(r["seed_a"], r["seed_b"]) for r in records})
    head = (f"{len(records)} claims, chapter seeds {', '.join(f'{a} vs {b}' for a, b in seeds)}: "
            f"**{flips} flip{'s' if flips != 1 else ''}** (a change to or from \"inconclusive\" "
            "is not a flip).\n\n| Chapter | Claim | Seed a | Seed b | Flip |\n|---|---|---|---|---|\n")
    lines = [f"| {r['chapter'][:2]} | {r['claim']} | {r['verdict_a']} | {r['verdict_b']} | "
             f"{'**yes**' if r['flip'] else 'no'} |" for r in records]
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("chapters", nargs="*", default=list(COMPARISON_CHAPTERS))
    ap.add_argument("--seed", type=int, default=1000, help="the new runs' seed parameter")
    ap.add_argument("--jobs", type=int, default=bookgen.available_cores())
    ap.add_argument("--reuse", type=Path, help="a directory of an earlier run: compare only")
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args(argv)
    unknown = [c for c in args.chapters if c not in bookgen.chapter_ids()]
    if unknown:
        ap.error(f"unknown chapter(s) {unknown}; choose from {bookgen.chapter_ids()}")
    if args.reuse:
        workdir = args.reuse
    else:
        workdir = Path(tempfile.mkdtemp(prefix="minebook-verdicts-"))
        print(f"executing {len(args.chapters)} chapter(s) at seed {args.seed} in {workdir}")
        failed = execute(args.chapters, args.seed, workdir, max(1, args.jobs))
        if failed:
            print(f"error: {failed} failed", file=sys.stderr)
            return 2
    records = compare(args.chapters, workdir / "results", 0, args.seed)
    kept = [r for r in report.stability_records(OUT) if r["chapter"] not in args.chapters]
    records = [*kept, *records]  # the chapters not re-run keep their records
    OUT.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    table = markdown(records)
    print(table)
    if args.write_readme:
        write_section(README, table, ("<!-- verdict-stability:start -->", "<!-- verdict-stability:end -->"),
                      heading=("## Verdict stability\n\n`verdicts.py` re-runs every chapter that compares "
                               "methods over seeds on a disjoint set of seeds (see its docstring).\n\n"))
    return 1 if any(r["flip"] for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
