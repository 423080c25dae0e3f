#!/usr/bin/env python
"""Build helpers of the MINE book: the chapter list, chapter execution, generated tables.

    python scripts/bookgen.py chapters [--ipynb | --py | --ids]   # chapters listed in _toc.yml
    python scripts/bookgen.py run [--budget full] [NOTEBOOK ...]  # sync + execute in place
    python scripts/bookgen.py tables [--check]                    # regenerate / check tables

``run`` executes each chapter (default: every chapter in ``_toc.yml``, in order) with
papermill in place, after ``jupytext --sync`` so the ``.ipynb`` has the current source of
the paired ``.py``; it prints ``[i/N] chapter ... 12.3 s``, records the times in
``book/results/execution_times.json`` and regenerates the tables.

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
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minebook import report  # noqa: E402

TOC = ROOT / "_toc.yml"
RESULTS = ROOT / "book" / "results"
TIMES = RESULTS / "execution_times.json"
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
    links = {c: f"{link_prefix}{c}.ipynb" for c in ids}
    return report.markdown_table(rows, chapter_links=links)


def load_times() -> dict:
    if TIMES.is_file():
        return json.loads(TIMES.read_text(encoding="utf-8"))
    return {"time_budget_s": TIME_BUDGET_S, "chapters": {}}


def times_table(link_prefix: str | None) -> str:
    data = load_times()
    ids = chapter_ids()
    recorded = data.get("chapters", {})
    lines = [
        "| Chapter | Budget | Seconds | Executed (UTC) |",
        "|---|---|---:|---|",
    ]
    total = 0.0
    for c in ids:
        link = f"[{c}]({link_prefix}{c}.ipynb)" if link_prefix is not None else c
        info = recorded.get(c)
        if info is None:
            lines.append(f"| {link} | — | not executed yet | — |")
            continue
        total += float(info["seconds"])
        lines.append(f"| {link} | {info['budget']} | {info['seconds']:.1f} | {info['date']} |")
    budget = data.get("time_budget_s", TIME_BUDGET_S)
    lines.append(f"| **total** | | **{total:.1f}** | budget {budget:.0f} s |")
    machine = data.get("machine")
    tail = f"\nMachine of the last run: {machine}.\n" if machine else ""
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


def write_tables() -> None:
    for path, text in generated().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
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
    """``jupytext --sync``: bring the paired .ipynb up to date with the .py source.

    A notebook left over from a reduced-budget run carries papermill's injected-parameters
    cell; it is then updated from the .py only, so that the cell never reaches the source.
    """
    nb = py.with_suffix(".ipynb")
    if has_injected_parameters(nb):
        cmd = ["--update", "--to", "ipynb"]
    else:
        cmd = ["--sync"]
    subprocess.run([str(BIN / "jupytext"), *cmd, "--quiet", str(py)], check=True, cwd=ROOT)


def execute(nb: Path, budget: str, env: dict[str, str]) -> None:
    """Execute ``nb`` in place with papermill (the kernel ``python3`` of this venv)."""
    cmd = [str(BIN / "papermill"), "-k", "python3", "--cwd", str(nb.parent), "--no-progress-bar"]
    if budget != DEFAULT_BUDGET:
        # Only non-default budgets inject a parameters cell: a committed, full-budget
        # notebook stays identical in its cells to its .py source.
        cmd += ["-p", "budget", budget]
    cmd += [str(nb), str(nb)]
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def run(notebooks: list[Path], budget: str) -> int:
    env = kernel_env()
    if budget != DEFAULT_BUDGET:
        # A preview at a reduced budget must not overwrite the committed results.
        env[report.ENV_VAR] = str(ROOT / "_build" / f"results-{budget}")
        print(f"budget={budget}: results go to {env[report.ENV_VAR]}; "
              "do not commit the notebooks of this run")
    else:
        env.pop(report.ENV_VAR, None)
    times = load_times()
    times["time_budget_s"] = TIME_BUDGET_S
    n = len(notebooks)
    failed = None
    for i, nb in enumerate(notebooks, 1):
        py = nb.with_suffix(".py")
        label = f"[{i}/{n}] {nb.stem}"
        print(f"{label} ...", flush=True)
        t0 = time.perf_counter()
        try:
            if py.is_file():
                sync(py)
            execute(nb, budget, env)
        except subprocess.CalledProcessError:
            print(f"{label} FAILED after {time.perf_counter() - t0:.1f} s", flush=True)
            failed = nb
            break
        dt = time.perf_counter() - t0
        print(f"{label} {dt:.1f} s", flush=True)
        if budget == DEFAULT_BUDGET:
            times["chapters"][nb.stem] = {
                "seconds": round(dt, 1),
                "budget": budget,
                "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            }
            times["machine"] = _machine()
            TIMES.parent.mkdir(parents=True, exist_ok=True)
            TIMES.write_text(json.dumps(times, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_tables()
    print()
    print(times_table(None))
    if failed is not None:
        print(f"error: {failed.relative_to(ROOT)} failed; its outputs show the traceback",
              file=sys.stderr)
        return 1
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
        return run(nbs, args.budget)
    return 2


if __name__ == "__main__":
    sys.exit(main())
