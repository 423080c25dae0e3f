#!/usr/bin/env python
"""Build helpers of the MINE book: the chapter list, chapter execution, generated tables.

    python scripts/bookgen.py chapters [--ipynb | --py | --ids]   # chapters listed in _toc.yml
    python scripts/bookgen.py run [--budget full] [--jobs N] [NOTEBOOK ...]  # sync + execute
    python scripts/bookgen.py tables [--check]                    # regenerate / check tables

``run`` executes each chapter (default: every chapter in ``_toc.yml``) with papermill in
place, after ``jupytext --sync`` so the ``.ipynb`` has the current source of the paired
``.py``. ``--jobs`` chapters run at once (default: one per core), the longest first, each
kernel with one intra-op thread, so the outputs do not depend on ``--jobs``. It prints one
line per finished chapter (``[i/N] chapter 12.3 s: 3 reproduced``), keeps papermill's output
in ``_build/logs/``, records the times in ``book/results/execution_times.json`` and
regenerates the tables.

``tables`` rewrites the parts of ``README.md``, ``book/intro.md`` and ``book/status.md``
between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers from the JSON files in
``book/results``. With ``--check`` it writes nothing and exits 1 if any of them is stale.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minebook import report  # noqa: E402
from minebook.threads import available_cores  # noqa: E402

TOC = ROOT / "_toc.yml"
RESULTS = ROOT / "book" / "results"
TIMES = RESULTS / "execution_times.json"
#: The verdicts re-run on a disjoint set of seeds (benchmarks/verdicts.py).
STABILITY = ROOT / "benchmarks" / "verdict_stability.json"
DEFAULT_BUDGET = "full"
#: Wall-clock budget for executing all chapters at full budget on CI (2 cores).
TIME_BUDGET_S = 40 * 60
BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------- chapters
def _toc_files(entries) -> list[str]:
    files: list[str] = []
    for entry in entries or []:
        if "file" in entry:
            files.append(str(entry["file"]))
        files += _toc_files(entry.get("sections"))
        for part in entry.get("parts", []) or []:
            files += _toc_files(part.get("chapters"))
    return files


def toc_files(toc: Path = TOC) -> list[str]:
    """Every ``file:`` of ``_toc.yml`` (without suffix), in order; the root first."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    files = [str(data["root"])]
    files += _toc_files(data.get("chapters"))
    for part in data.get("parts", []) or []:
        files += _toc_files(part.get("chapters"))
    return files


def chapters(toc: Path = TOC) -> list[Path]:
    """The chapter notebooks (``notebooks/NN_name.ipynb``) listed in ``_toc.yml``, in order."""
    out = []
    for f in toc_files(toc):
        p = Path(f)
        if p.parts and p.parts[0] == "notebooks":
            out.append(ROOT / p.with_suffix(".ipynb"))
    return out


def chapter_ids(toc: Path = TOC) -> list[str]:
    return [p.stem for p in chapters(toc)]


# --------------------------------------------------------------------------- tables
def _between(text: str, name: str, body: str, where: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise SystemExit(f"{where}: markers {start} ... {end} not found")
    return text[: i + len(start)] + "\n" + body.rstrip("\n") + "\n" + text[j:]


def reproduction_table(link_prefix: str) -> str:
    ids = chapter_ids()
    # Only chapters listed in _toc.yml: a results file of a chapter in progress stays out.
    rows = [r for r in report.load_all(RESULTS, order=ids) if r.get("chapter") in ids]
    if STABILITY.is_file():  # a verdict is a finding only if it survives other seeds
        rows = report.with_stability(rows, json.loads(STABILITY.read_text(encoding="utf-8")))
    links = {c: f"{link_prefix}{c}.ipynb" for c in ids}
    summary = report.verdict_summary(rows) + "\n\n" if rows else ""
    return summary + report.chapter_tables(rows, links, {c: chapter_title(c) for c in ids})


def chapter_title(chapter: str) -> str:
    """The title of a chapter, its notebook's first heading (``"1. Mutual information"``)."""
    for line in (ROOT / "notebooks" / f"{chapter}.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return chapter.replace("_", " ")


def _chapter_verdicts(ids: list[str]) -> dict[str, str]:
    """``{chapter: "3 ✔ 1 ?"}``: the counts of the book's verdicts (with the re-run on other seeds
    folded in, as in the reproduction table) per chapter, and ``"all"`` over the book."""
    rows = [r for r in report.load_all(RESULTS, order=ids) if r.get("chapter") in ids]
    if STABILITY.is_file():
        rows = report.with_stability(rows, json.loads(STABILITY.read_text(encoding="utf-8")))
    out = {c: report.verdict_counts([r for r in rows if r["chapter"] == c]) for c in ids}
    out["all"] = report.verdict_counts(rows)
    return out


def load_times() -> dict:
    if TIMES.is_file():
        return json.loads(TIMES.read_text(encoding="utf-8"))
    return {"time_budget_s": TIME_BUDGET_S, "chapters": {}}


def times_table(link_prefix: str | None) -> str:
    data = load_times()
    ids = chapter_ids()
    recorded, smoke = data.get("chapters", {}), data.get("smoke", {})
    lines = [
        "| Chapter | Verdicts | Budget | Seconds | Executed (UTC) | Smoke budget (s) |",
        "|---|---|---|---:|---|---:|",
    ]
    verdicts = _chapter_verdicts(ids)
    total = smoke_total = 0.0
    for c in ids:
        link = f"[{c}]({link_prefix}{c}.ipynb)" if link_prefix is not None else c
        info = recorded.get(c)
        quick = f"{smoke[c]['seconds']:.1f}" if c in smoke else "—"
        smoke_total += float(smoke[c]["seconds"]) if c in smoke else 0.0
        if info is None:
            lines.append(f"| {link} | {verdicts.get(c, '—')} | — | not executed yet | — | {quick} |")
            continue
        total += float(info["seconds"])
        lines.append(f"| {link} | {verdicts.get(c, '—')} | {info['budget']} | {info['seconds']:.1f} | "
                     f"{info['date']} | {quick} |")
    budget = data.get("time_budget_s", TIME_BUDGET_S)
    lines.append(f"| **total** | {verdicts.get('all', '')} | | **{total:.1f}** | budget {budget:.0f} s | "
                 f"{smoke_total:.1f} |")
    machine = data.get("machine")
    tail = f"\nMachine of the last run: {machine}." if machine else ""
    software = data.get("software")
    if software:
        tail += " Software: " + ", ".join(f"{k} {v}" for k, v in software.items()) + "."
    jobs = {(info.get("jobs", 1), info.get("threads")) for c, info in recorded.items() if c in ids}
    if len(jobs) == 1:
        n_jobs, threads = jobs.pop()
        how = ("one chapter at a time" if n_jobs == 1 else
               f"{n_jobs} chapters at a time, each its own process, longest first")
        thr = "torch's default threads" if threads is None else f"{threads} intra-op thread(s) per chapter"
        tail += (f" Chapters executed {how}, with {thr}: each time is that chapter's wall time"
                 + (", while other chapters shared the machine, so the total exceeds the wall time"
                    " of the run." if n_jobs > 1 else "."))
    last = data.get("last_run")
    if last:
        tail += (f" The last run of all chapters (`make book`, {last['date']} UTC) took "
                 f"{last['wall_seconds']:.0f} s of wall time, {last['jobs']} chapter(s) at a time.")
    tail = tail + "\n" if tail else ""
    return "\n".join(lines) + "\n" + tail


def generated() -> dict[Path, str]:
    """The files with generated sections, and the text they should have."""
    out: dict[Path, str] = {}
    specs = [
        (ROOT / "README.md", "reproduction-table", lambda: reproduction_table("notebooks/")),
        (ROOT / "book" / "intro.md", "reproduction-table",
         lambda: reproduction_table("../notebooks/")),
        (ROOT / "book" / "status.md", "execution-times", lambda: times_table("../notebooks/")),
    ]
    for path, name, body in specs:
        text = out.get(path) or path.read_text(encoding="utf-8")
        out[path] = _between(text, name, body(), str(path.relative_to(ROOT)))
    return out


def stale() -> list[Path]:
    return [p for p, text in generated().items() if p.read_text(encoding="utf-8") != text]


def write_tables(quiet: bool = False) -> None:
    for path, text in generated().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            if not quiet:
                print(f"updated {path.relative_to(ROOT)}")


# --------------------------------------------------------------------------- execution
def kernel_env() -> dict[str, str]:
    """Environment in which the ``python3`` kernelspec of this venv wins."""
    env = dict(os.environ)
    share = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join([share] + [p for p in [env.get("JUPYTER_PATH")] if p])
    env["PYTHONHASHSEED"] = env.get("PYTHONHASHSEED", "0")
    return env


def has_injected_parameters(nb: Path) -> bool:
    if not nb.is_file():
        return False
    data = json.loads(nb.read_text(encoding="utf-8"))
    return any(
        "injected-parameters" in c.get("metadata", {}).get("tags", []) for c in data["cells"]
    )


def sync(py: Path) -> None:
    """Bring the paired .ipynb up to date with the .py source (``jupytext --update --to ipynb``).

    The .py is the reviewed source, so its cells always win and the notebook keeps only its
    outputs. (``jupytext --sync`` would instead copy a *newer* .ipynb over the .py: after a
    ``git checkout`` of the notebook, that silently threw away uncommitted edits of the .py.)
    A notebook left over from a reduced-budget run, with papermill's injected-parameters cell,
    is handled the same way, so that cell never reaches the source.
    """
    nb = py.with_suffix(".ipynb")
    if nb.exists() and nb.stat().st_mtime > py.stat().st_mtime and not has_injected_parameters(nb):
        print(f"note: {nb.name} is newer than its .py; the .py is the source, so its cells "
              "replace the notebook's (outputs are kept)", file=sys.stderr)
    cmd = ["--update", "--to", "ipynb"]
    subprocess.run([str(BIN / "jupytext"), *cmd, "--quiet", str(py)], check=True, cwd=ROOT)


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def _save_times(times: dict) -> None:
    TIMES.parent.mkdir(parents=True, exist_ok=True)
    TIMES.write_text(json.dumps(times, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _machine() -> str:
    """The machine of a run, for the status page: architecture, CPU model, cores, Python."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " ".join(line.split(":", 1)[1].split()) + ", "
                break
    except OSError:
        pass
    return f"{platform.machine()}, {model}{os.cpu_count()} CPUs, Python {platform.python_version()}"


#: The packages whose versions the status page lists (those that change the book's numbers or pages).
SOFTWARE = ("torch", "numpy", "scipy", "scikit-learn", "matplotlib", "seaborn", "jupyter-book",
            "papermill", "nbval")


def _software() -> dict[str, str]:
    """``{package: version}`` of :data:`SOFTWARE` in this environment (recorded with each run)."""
    from importlib import metadata

    out = {}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


#: Intra-op / BLAS threads of every chapter kernel that ``run`` and the test suite start.
CHAPTER_THREADS = 1


def chapter_thread_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with one intra-op thread for a chapter kernel.

    ``MINEBOOK_THREADS`` caps minebook's thread rule (``minebook.threads``); the OpenMP, MKL
    and OpenBLAS variables do the same for torch and numpy code outside minebook's loops.
    Chapters run one per core, and their numbers do not depend on how many run at once.
    """
    env = dict(os.environ if env is None else env)
    for var in ("MINEBOOK_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(CHAPTER_THREADS)
    return env


#: The floating-point path on which the test suite re-executes the chapters (smoke and nbval),
#: another than the one ``make book`` executes them on: MKL (torch's matrix products) limited to
#: its AVX kernels, oneDNN (torch's convolutions) to AVX2. On an AVX2 or AVX-512 CPU both pick
#: other kernels than by default, so the last bits of every result change, as on a reader's CPU;
#: a checked output that depends on them fails here, not there. Cheap: about the time of the
#: default path (MKL_CBWR=COMPATIBLE, the SSE2 path, costs 1.5-3x). DEVELOPING.md says more.
PERTURBED_FP_ENV = {"MKL_CBWR": "AVX", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def perturbed_fp_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with :data:`PERTURBED_FP_ENV` where not set already.

    A variable that is set wins (``MKL_CBWR=COMPATIBLE make test`` checks the SSE2 path);
    ``MINEBOOK_FP_PATH=native`` keeps the default path.
    """
    env = dict(os.environ if env is None else env)
    if env.get("MINEBOOK_FP_PATH", "perturbed") != "native":
        for var, value in PERTURBED_FP_ENV.items():
            env.setdefault(var, value)
    return env


def longest_first(notebooks: list[Path], times: dict) -> list[Path]:
    """``notebooks`` ordered by their recorded seconds, longest first (unknown ones first).

    Starting the longest chapters first keeps a parallel run from ending on one long chapter
    while the other cores idle (the longest-processing-time rule).
    """
    recorded = times.get("chapters", {})
    return sorted(notebooks, key=lambda nb: -float(recorded.get(nb.stem, {}).get("seconds", 1e9)))


def _log_path(nb: Path, budget: str) -> Path:
    return ROOT / "_build" / "logs" / f"{nb.stem}.{budget}.log"


def _start(nb: Path, budget: str, env: dict[str, str]) -> subprocess.Popen:
    """Start papermill on ``nb`` (in place, kernel ``python3``); its output goes to a log file."""
    cmd = [str(BIN / "papermill"), "-k", "python3", "--cwd", str(nb.parent), "--no-progress-bar"]
    if budget != DEFAULT_BUDGET:
        # Only non-default budgets inject a parameters cell: a committed, full-budget
        # notebook stays identical in its cells to its .py source.
        cmd += ["-p", "budget", budget]
    cmd += [str(nb), str(nb)]
    log = _log_path(nb, budget)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as fh:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)


def _verdicts(nb: Path, env: dict[str, str]) -> str:
    """``"3 reproduced, 1 partly"``: the verdicts the chapter just recorded."""
    try:
        rows = report.load_chapter(Path(env.get(report.ENV_VAR) or RESULTS) / f"{nb.stem}.json")
    except (OSError, ValueError, KeyError):
        return "no results recorded"
    return ", ".join(f"{n} {v}" for v, n in Counter(r["verdict"] for r in rows).items())


def _failure_tail(nb: Path, budget: str, lines: int = 15) -> str:
    text = _log_path(nb, budget).read_text(encoding="utf-8", errors="replace").splitlines()
    keep = [ln for ln in text if "Kernel is running over TCP" not in ln]
    return "\n".join("    " + ln for ln in keep[-lines:])


def run(notebooks: list[Path], budget: str, jobs: int | None = None) -> int:
    """Sync and execute ``notebooks``, ``jobs`` at a time (default: one per core), longest first.

    Each chapter kernel runs with one intra-op thread (:func:`chapter_thread_env`), so the
    outputs are the same whatever ``jobs`` is. Prints one line per finished chapter (seconds,
    verdicts), keeps papermill's output in ``_build/logs/``, records each chapter's wall time
    (with ``jobs`` chapters sharing the machine) and regenerates the tables.
    """
    start = time.perf_counter()
    jobs = max(1, int(jobs or available_cores()))  # default: one chapter per core
    env = chapter_thread_env(kernel_env())
    if budget != DEFAULT_BUDGET:
        # A preview at a reduced budget must not overwrite the committed results.
        env[report.ENV_VAR] = str(ROOT / "_build" / f"results-{budget}")
        print(f"budget={budget}: results go to {env[report.ENV_VAR]}; "
              "do not commit the notebooks of this run")
    else:
        env.pop(report.ENV_VAR, None)
    times = load_times()
    times["time_budget_s"] = TIME_BUDGET_S
    for nb in notebooks:
        py = nb.with_suffix(".py")
        if py.is_file():
            sync(py)
    queue = longest_first(notebooks, times) if jobs > 1 else list(notebooks)
    n, done, failed = len(notebooks), 0, []
    print(f"executing {n} chapter(s) at budget={budget}, {min(jobs, n)} at a time, "
          f"{CHAPTER_THREADS} thread each (logs: {_log_path(queue[0], budget).parent.relative_to(ROOT)})",
          flush=True)
    running: dict[Path, tuple[subprocess.Popen, float]] = {}
    while queue or running:
        while queue and len(running) < jobs and not failed:
            nb = queue.pop(0)
            running[nb] = (_start(nb, budget, env), time.perf_counter())
        if failed and not running:
            break
        time.sleep(0.2)
        for nb, (proc, t0) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[nb]
            done += 1
            dt = time.perf_counter() - t0
            label = f"[{done}/{n}] {nb.stem}"
            if proc.returncode != 0:
                print(f"{label} FAILED after {dt:.1f} s:\n{_failure_tail(nb, budget)}", flush=True)
                failed.append(nb)
                continue
            print(f"{label} {dt:.1f} s: {_verdicts(nb, env)}", flush=True)
            if budget == DEFAULT_BUDGET:
                times["chapters"][nb.stem] = {"seconds": round(dt, 1), "budget": budget, "date": _utc_now(),
                                              "jobs": min(jobs, n), "threads": CHAPTER_THREADS}
                times["machine"] = _machine()
                times["software"] = _software()
                _save_times(times)
            elif budget == "smoke":  # the page of each chapter quotes this too (book/_ext/chapter_times.py)
                times.setdefault("smoke", {})[nb.stem] = {"seconds": round(dt, 1), "date": _utc_now()}
                _save_times(times)
    total = time.perf_counter() - start
    if budget == DEFAULT_BUDGET and not failed and {nb.resolve() for nb in notebooks} == set(chapters()):
        times["last_run"] = {"wall_seconds": round(total, 1), "jobs": min(jobs, n), "date": _utc_now()}
        _save_times(times)
    write_tables(quiet=True)
    if failed:
        names = ", ".join(str(nb.relative_to(ROOT)) for nb in failed)
        print(f"error: {names} failed after {total:.0f} s; the outputs show the traceback",
              file=sys.stderr)
        return 1
    print(f"executed {n} chapter(s) in {total:.0f} s (wall time); times: book/status.md", flush=True)
    return 0


# --------------------------------------------------------------------------- cli
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("chapters", help="list the chapters of _toc.yml")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--ipynb", action="store_true", help="paths of the .ipynb (default)")
    g.add_argument("--py", action="store_true", help="paths of the paired .py sources")
    g.add_argument("--ids", action="store_true", help="chapter ids (file stems)")
    r = sub.add_parser("run", help="sync and execute chapters in place")
    r.add_argument("--budget", default=DEFAULT_BUDGET)
    r.add_argument("--jobs", type=int, default=None,
                   help="chapters executed at once (default: one per core)")
    r.add_argument("notebooks", nargs="*", help="default: every chapter of _toc.yml")
    t = sub.add_parser("tables", help="regenerate the tables in README/intro/status")
    t.add_argument("--check", action="store_true", help="exit 1 if a table is stale")
    args = ap.parse_args(argv)

    if args.cmd == "chapters":
        for p in chapters():
            if args.ids:
                print(p.stem)
            elif args.py:
                print(p.with_suffix(".py").relative_to(ROOT))
            else:
                print(p.relative_to(ROOT))
        return 0
    if args.cmd == "tables":
        if args.check:
            bad = stale()
            for p in bad:
                print(f"stale: {p.relative_to(ROOT)} (run `make tables`)", file=sys.stderr)
            return 1 if bad else 0
        write_tables()
        return 0
    if args.cmd == "run":
        nbs = [Path(p).resolve().with_suffix(".ipynb") for p in args.notebooks] or chapters()
        return run(nbs, args.budget, args.jobs)
    return 2


if __name__ == "__main__":
    sys.exit(main())
