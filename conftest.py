"""Session-wide test setup of the MINE book (root conftest: it also applies to nbval items).

- Results recorded by notebooks executed in tests go to a temporary directory
  (``MINEBOOK_RESULTS_DIR``), never to the committed ``book/results``.
- The Jupyter kernel ``python3`` is the one installed in this virtual environment.
- nbval only collects the chapters listed in ``_toc.yml`` and compares only text outputs.
- Tests run in stages: units, sync, smoke, nbval, book, browser.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

_spec = importlib.util.spec_from_file_location("bookgen", ROOT / "scripts" / "bookgen.py")
bookgen = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bookgen", bookgen)
_spec.loader.exec_module(bookgen)

#: Output types nbval must not compare: only text/plain and stdout streams count.
NBVAL_SKIP = (
    "text/html",
    "text/markdown",
    "text/latex",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "application/javascript",
    "application/json",
    "application/vnd.plotly.v1+json",
)

STAGES = ["unit", "sync", "notebooks", "nbval", "book", "browser"]


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("MINEBOOK_RESULTS_DIR"):
        results = tempfile.mkdtemp(prefix="minebook-test-results-")
        os.environ["MINEBOOK_RESULTS_DIR"] = results
    share = str(Path(sys.prefix) / "share" / "jupyter")
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if share not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([share, *paths])
    os.environ.setdefault("PYTHONHASHSEED", "0")
    config.addinivalue_line("markers", "sync: .py and .ipynb of a chapter agree")
    config.addinivalue_line("markers", "nbval: re-executes a committed chapter (nbval)")


@functools.cache
def _listed_notebooks() -> frozenset[Path]:
    return frozenset(p.resolve() for p in bookgen.chapters())


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """nbval: collect only the chapter notebooks listed in _toc.yml."""
    if collection_path.suffix == ".ipynb" and collection_path.resolve() not in _listed_notebooks():
        return True
    return None


def _stage(item: pytest.Item) -> int:
    if type(item).__name__ == "IPyNbCell":
        return STAGES.index("nbval")
    for name in reversed(STAGES[1:]):
        if item.get_closest_marker(name):
            return STAGES.index(name)
    return 0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.nbval)
            parent = item.parent
            skip = tuple(getattr(parent, "skip_compare", ()))
            if "text/html" not in skip:
                parent.skip_compare = skip + NBVAL_SKIP
    items.sort(key=_stage)  # stable: keeps the order within a stage
