"""Chapter notebooks: the .py source and the committed .ipynb agree; each chapter runs.

The chapters are those listed in ``_toc.yml``. Their re-execution at full budget against
the committed outputs (nbval) is collected by pytest from ``notebooks/*.ipynb`` itself
(see ``conftest.py`` and ``addopts`` in ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import papermill
import pytest
from bookgen import ROOT, chapters

CHAPTERS = chapters()
IDS = [p.stem for p in CHAPTERS]
SMOKE_TIMEOUT_S = 300
#: The text column at 1366 px, in pixels (the figures are saved at 100 dpi). A figure may exceed
#: it by 5% (the tight bounding box of a 7.45-inch figure adds a few pixels of labels): the
#: browser then renders its fonts at 95% of their size or more.
COLUMN_PX = 745
MAX_FIGURE_PX = round(1.05 * COLUMN_PX)


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def test_chapter_files_exist():
    missing = [
        str(p.relative_to(ROOT)) for nb in CHAPTERS for p in (nb, nb.with_suffix(".py"))
        if not p.is_file()
    ]
    assert not missing, f"listed in _toc.yml but missing: {missing}"


@pytest.mark.sync
@pytest.mark.parametrize("nb_path", CHAPTERS, ids=IDS)
def test_py_and_ipynb_in_sync(nb_path: Path):
    py_path = nb_path.with_suffix(".py")
    rel = py_path.relative_to(ROOT)
    py = jupytext.read(py_path)
    ipynb = jupytext.read(nb_path)
    injected = [i for i, c in enumerate(ipynb.cells) if "injected-parameters" in _tags(c)]
    assert not injected, (
        f"{nb_path.relative_to(ROOT)} was executed with non-default parameters (it has "
        f"papermill's injected-parameters cell): re-run `make chapter NB={rel}`"
    )
    assert _cells(py) == _cells(ipynb), (
        f"{rel} and its .ipynb differ in their cells: run `jupytext --sync {rel}` "
        f"(then `make chapter NB={rel}` to refresh the outputs)"
    )


@pytest.mark.sync
@pytest.mark.parametrize("nb_path", CHAPTERS, ids=IDS)
def test_chapter_conventions(nb_path: Path):
    """A parameters cell with budget and seed, a checked last cell, executed, no errors."""
    nb = jupytext.read(nb_path)
    rel = nb_path.relative_to(ROOT)
    params = [c for c in nb.cells if "parameters" in _tags(c)]
    assert len(params) == 1, f"{rel}: needs exactly one cell tagged 'parameters'"
    assert "budget" in params[0].source and "seed" in params[0].source, (
        f"{rel}: the parameters cell must define `budget` and `seed`"
    )
    checked = [c for c in nb.cells if "nbval-check-output" in _tags(c)]
    assert checked, f"{rel}: needs a cell tagged 'nbval-check-output' (see DEVELOPING.md)"
    code = [c for c in nb.cells if c.cell_type == "code"]
    last = code[-1]
    assert "nbval-check-output" in _tags(last) and "hide-input" in _tags(last), (
        f"{rel}: the last code cell builds the records: checked and hidden (hide-input)"
    )
    assert last.source.strip().splitlines()[-1].startswith("mb.report.verdict_table("), (
        f"{rel}: the chapter must end with its verdict table, mb.report.verdict_table(rows, chapter=...)"
    )
    assert all(c.get("execution_count") for c in code if c.source.strip()), (
        f"{rel}: not fully executed: run `make chapter NB={nb_path.with_suffix('.py')}`"
    )
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{rel}: committed with error outputs"
    for c in checked:
        streams = [o.get("name") for o in c.get("outputs", []) if o["output_type"] == "stream"]
        assert "stderr" not in streams, (
            f"{rel}: a 'nbval-check-output' cell writes to stderr; print to stdout only"
        )


@pytest.mark.notebooks
@pytest.mark.timeout(SMOKE_TIMEOUT_S)
@pytest.mark.parametrize("nb_path", CHAPTERS, ids=IDS)
def test_smoke(nb_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Execute the chapter's current .py source with budget="smoke"."""
    results = tmp_path / "results"
    monkeypatch.setenv("MINEBOOK_RESULTS_DIR", str(results))
    src = tmp_path / f"{nb_path.stem}.ipynb"
    nbformat.write(jupytext.read(nb_path.with_suffix(".py")), src)
    out = tmp_path / f"{nb_path.stem}.smoke.ipynb"
    papermill.execute_notebook(
        str(src),
        str(out),
        parameters={"budget": "smoke"},
        kernel_name="python3",
        cwd=str(nb_path.parent),
        progress_bar=False,
        log_output=False,
    )
    recorded = list(results.glob("*.json"))
    assert recorded, (
        f"{nb_path.stem} recorded no results: call minebook.report.record(...) (DEVELOPING.md)"
    )


#: The longest code line a chapter may have, so that code fits the book's column (notebooks/ruff.toml).
MAX_CODE_LINE = 100


@pytest.mark.sync
@pytest.mark.parametrize("nb_path", CHAPTERS, ids=IDS)
def test_chapter_code_lines_fit_the_page(nb_path: Path):
    """Code cells have lines of at most 100 characters (`ruff format notebooks/NN.py` wraps most)."""
    nb = jupytext.read(nb_path.with_suffix(".py"))
    long = [line for c in nb.cells if c.cell_type == "code" for line in c.source.split("\n")
            if len(line) > MAX_CODE_LINE]
    assert not long, f"{nb_path.stem}: {len(long)} code lines over {MAX_CODE_LINE} characters, e.g. {long[0]!r}"


@pytest.mark.sync
@pytest.mark.parametrize("nb_path", CHAPTERS, ids=IDS)
def test_chapter_settings_are_a_table_in_a_collapsed_cell(nb_path: Path):
    """The cell that defines ``cfg`` is collapsed in the book and shows the settings as a table."""
    nb = jupytext.read(nb_path.with_suffix(".py"))
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("cfg = {")]
    assert len(cells) == 1, f"{nb_path.stem}: one code cell should start with 'cfg = {{'"
    assert "hide-input" in _tags(cells[0]), f"{nb_path.stem}: tag the cfg cell 'hide-input'"
    assert cells[0].source.rstrip().endswith("mb.report.settings_table(cfg, budget)"), nb_path.stem


@pytest.mark.sync
@pytest.mark.parametrize("nb_path", CHAPTERS, ids=IDS)
def test_figures_fit_the_column(nb_path: Path):
    """Every figure is at most as wide as the text column at 1366 px (745 px at 100 dpi), so the
    browser never scales it down and its 10 pt labels render at their size (issue #30)."""
    import base64
    import struct

    nb = nbformat.read(nb_path, as_version=4)
    widths = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                widths.append(struct.unpack(">I", base64.b64decode(png)[16:20])[0])
    too_wide = [w for w in widths if w > MAX_FIGURE_PX]
    assert not too_wide, (f"{nb_path.name}: figures {too_wide} px wide, more than 5% wider than the {COLUMN_PX} px "
                          "column: lay the panels out for the column (mb.plotting.setup narrows new "
                          "figures; a legend outside the axes widens the saved PNG)")
