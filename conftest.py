"""Session-wide test setup of the MINE book (root conftest: it also applies to nbval items).

- Results recorded by notebooks executed in tests go to a temporary directory
  (``MINEBOOK_RESULTS_DIR``), never to the committed ``book/results``.
- The Jupyter kernel ``python3`` is the one installed in this virtual environment.
- nbval only collects the chapters listed in ``_toc.yml`` and compares only text outputs.
- Tests run in stages: units, sync, smoke, then nbval with the book build and browser checks;
  within the smoke and nbval stages the longest jobs (by the recorded times) come first.
- Chapter kernels (smoke and nbval) run with one intra-op thread, as ``make book`` runs
  them (``bookgen.chapter_thread_env``), so that their outputs match the committed ones
  whatever the number of workers, but on another floating-point path
  (``bookgen.perturbed_fp_env``: MKL and oneDNN kernels of an older instruction set), so that
  a checked output that depends on the last bits of the arithmetic fails here, as it would on
  a reader's CPU. Under pytest-xdist (``make test``: one worker per core,
  ``--dist loadfile``) each worker's own torch gets its share of the cores, and each file
  (all cells of one notebook, all tests of the book build) runs on one worker, files in the
  order sorted here.
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
    os.environ.update(bookgen.chapter_thread_env({}))
    # another floating-point path than `make book`'s: checked outputs must not depend on it
    os.environ.update(bookgen.perturbed_fp_env())
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if workers > 1:
        import torch

        from minebook.threads import available_cores

        torch.set_num_threads(max(1, available_cores() // workers))
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


def _chapter(item: pytest.Item) -> str | None:
    """The chapter an item executes (an nbval cell or a parametrized smoke run), else None."""
    if type(item).__name__ == "IPyNbCell":
        return Path(str(item.path)).stem
    callspec = getattr(item, "callspec", None)
    if callspec is not None and item.get_closest_marker("notebooks"):
        nb = callspec.params.get("nb_path")
        return Path(nb).stem if nb is not None else None
    return None


@functools.cache
def _recorded_seconds() -> dict[str, float]:
    chapters = bookgen.load_times().get("chapters", {})
    return {c: float(info.get("seconds", 0.0)) for c, info in chapters.items()}


#: About how long the book build and its browser checks (tests/test_book.py) take, in seconds.
BOOK_GROUP_SECONDS = 150.0


def _order(item: pytest.Item) -> tuple[int, float]:
    """Stage first; within the smoke and nbval stages, the longest chapter first.

    The book build and browser checks do not depend on nbval, so they are sorted into the
    nbval stage as one more long job (``BOOK_GROUP_SECONDS``): with two workers, the build
    then overlaps the re-execution of the chapters instead of running after it alone.
    pytest-xdist (``--dist loadfile --no-loadscope-reorder``) hands out whole files in the
    order in which their first item appears here.
    """
    stage = _stage(item)
    if stage >= STAGES.index("book"):
        return STAGES.index("nbval"), -BOOK_GROUP_SECONDS
    chapter = _chapter(item)
    return stage, -_recorded_seconds().get(chapter, 0.0) if chapter else 0.0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.nbval)
            parent = item.parent
            skip = tuple(getattr(parent, "skip_compare", ()))
            if "text/html" not in skip:
                parent.skip_compare = skip + NBVAL_SKIP
    items.sort(key=_order)  # stable: keeps the order of the cells within a notebook
