"""Import a benchmark as a module of the ``benchmarks`` package, for the tests of its arithmetic."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str, name: str | None = None):
    """The module of ``ROOT / relative`` (e.g. ``"benchmarks/trust.py"`` -> ``benchmarks.trust``)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(relative.removesuffix(".py").replace("/", "."))
