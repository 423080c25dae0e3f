"""The book pipeline: table of contents, generated tables, citations, the Jupyter kernel."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pybtex.database
from bookgen import ROOT, chapters, stale, toc_files
from nbclient import NotebookClient


def test_toc_files_exist():
    missing = []
    for f in toc_files():
        stem = ROOT / f
        if not any(stem.with_suffix(s).is_file() for s in (".md", ".ipynb")):
            missing.append(f)
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_toc_layout():
    files = toc_files()
    assert files[0] == "book/intro"
    assert files[-4:] == ["book/status", "book/references", "book/appendix", "book/changelog"]
    nbs = [f for f in files if f.startswith("notebooks/")]
    assert nbs == sorted(nbs), "chapters must be listed in the order of their numbers"
    assert files[1 : 1 + len(nbs)] == nbs, "chapters come right after the intro"


def test_generated_tables_are_up_to_date():
    bad = [str(p.relative_to(ROOT)) for p in stale()]
    assert not bad, (
        f"{bad} do not match book/results/*.json: run `make tables` and commit the result"
    )


def _bib_keys() -> set[str]:
    return set(pybtex.database.parse_file(ROOT / "book" / "references.bib").entries)


def test_citations_resolve():
    keys = _bib_keys()
    sources = [ROOT / f"{f}.md" for f in toc_files() if (ROOT / f"{f}.md").is_file()]
    sources += [p.with_suffix(".py") for p in chapters()]
    unknown = {}
    for src in sources:
        text = src.read_text(encoding="utf-8")
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]*)`", text):
            for key in (k.strip() for k in group.split(",")):
                if key not in keys:
                    unknown.setdefault(str(src.relative_to(ROOT)), []).append(key)
    assert not unknown, f"citation keys missing from book/references.bib: {unknown}"


def test_required_references_present():
    required = {
        "belghazi2018mine", "donsker1983asymptotic", "nguyen2010estimating",
        "kraskov2004estimating", "poole2019variational", "song2020understanding",
        "mcallester2020formal", "czyz2023beyond", "hjelm2019learning", "alemi2017deep",
        "tishby1999information", "goodfellow2014generative", "donahue2017adversarial",
        "dumoulin2017adversarially", "srivastava2017veegan", "metz2017unrolled",
        "lin2018pacgan", "chen2016infogan", "oord2018representation", "reshef2011detecting",
        "kinney2014equitability", "cover2006elements",
    }
    assert required <= _bib_keys()


def test_kernel_python3_is_this_environment(tmp_path: Path):
    """The kernel `python3` that papermill and nbval use runs this venv's Python."""
    nb = jupytext.reads(
        "# %%\nimport sys, minebook.report\nprint(sys.prefix)\n", fmt="py:percent"
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={
        "metadata": {"path": str(tmp_path)}}).execute()
    (out,) = nb.cells[0].outputs
    assert out["text"].strip() == sys.prefix
    nbformat.validate(nb)


def test_ruff_is_clean():
    """The style rule of the project: ``ruff check .`` (sources, tests, notebooks) reports nothing."""
    import subprocess

    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.is_file():
        import pytest

        pytest.skip("ruff is not installed in this environment (it is in requirements.txt)")
    out = subprocess.run([str(ruff), "check", "--output-format", "concise", "."], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, f"ruff check . failed; fix these (or run `ruff check --fix .`):\n{out.stdout}"


def test_sync_takes_the_py_source_even_when_the_notebook_is_newer(tmp_path: Path):
    import os

    from bookgen import sync

    py = tmp_path / "chapter.py"
    py.write_text("# %%\nx = 1\n")
    nb = jupytext.reads(py.read_text(), fmt="py:percent")
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    jupytext.write(nb, tmp_path / "chapter.ipynb")
    py.write_text("# %%\nx = 2  # an uncommitted edit of the source\n")
    ipynb = tmp_path / "chapter.ipynb"
    os.utime(ipynb, (py.stat().st_mtime + 60, py.stat().st_mtime + 60))  # as after a git checkout
    sync(py)
    assert "x = 2" in py.read_text()
    assert "x = 2" in jupytext.read(ipynb).cells[0].source


def test_perturbed_fp_env_sets_other_kernels_unless_told():
    """The test suite's chapter kernels run on another floating-point path than `make book`."""
    from bookgen import perturbed_fp_env

    env = perturbed_fp_env({})
    assert env["MKL_CBWR"] == "AVX" and env["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert perturbed_fp_env({"MKL_CBWR": "COMPATIBLE"})["MKL_CBWR"] == "COMPATIBLE"
    native = perturbed_fp_env({"MINEBOOK_FP_PATH": "native"})
    assert "MKL_CBWR" not in native and "ONEDNN_MAX_CPU_ISA" not in native


def test_package_layers():
    """The library never imports the chapters' experiments or the book's tooling, has no import
    cycle (function-level imports included), and no module imports another's private names."""
    import ast

    pkg = ROOT / "minebook"
    core = {p.stem for p in pkg.glob("*.py")} - {"__init__"}
    edges, private = {m: set() for m in core}, []
    for path in [*pkg.glob("*.py"), *(pkg / "experiments").glob("*.py"), *(ROOT / "benchmarks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module is None and node.level == 0:
                continue
            target = (node.module or "").split(".")
            private += [f"{path.name}: {a.name}" for a in node.names
                        if a.name.startswith("_") and a.name != "__future__" and node.module != "__future__"]
            if path.parent == pkg and path.stem in core and node.level == 1 and target[0] in core:
                edges[path.stem].add(target[0])
            if path.parent == pkg and path.stem != "__init__":
                assert target[0] not in ("experiments", "report", "plotting"), f"{path.name} imports {node.module}"
    assert private == [], f"private names imported across modules: {private}"
    state = {}

    def visit(m, trail):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", f"import cycle: {' -> '.join([*trail, m])}"
        state[m] = "open"
        for n in edges[m]:
            visit(n, [*trail, m])
        state[m] = "done"

    for m in sorted(edges):
        visit(m, [])


def test_intro_table_agrees_with_every_chapter():
    """The verdict a chapter prints for a claim (its checked last cell) is the intro's verdict."""
    import json

    from minebook import report

    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    marks = "|".join(re.escape(m) for m in report.VERDICTS.values())
    in_intro = {}
    for verdict, claim in re.findall(rf"^\| (?:{marks}) \*\*([a-z ]+)\*\* \| (.*?) \| ", intro, flags=re.M):
        in_intro[claim.replace("\\|", "|").replace("\\*", "*").replace("\\_", "_")] = verdict
    checked = 0
    for nb_path in chapters():
        cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
        outputs = cells[-1].get("outputs", [])  # the verdict table's plain text is its verdict lines
        text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                       for o in outputs)
        for verdict, claim in re.findall(rf"^(?:{marks}) ([a-z ]+): (.*)$", text, flags=re.M):
            assert in_intro.get(claim) == verdict, (
                f"{nb_path.stem} prints '{verdict}' for {claim!r}; the intro says {in_intro.get(claim)!r}")
            checked += 1
    assert checked >= 20, f"only {checked} printed verdicts found"
