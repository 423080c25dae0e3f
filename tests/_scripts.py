"""Load a repository script (a benchmark) as a module, for the tests of its arithmetic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str, name: str):
    """The module of ``ROOT / relative`` (e.g. ``"benchmarks/trust.py"``), imported as ``name``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
