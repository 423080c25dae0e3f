"""Serve MathJax 3 from the book itself, so that math is typeset offline.

The MathJax 3.2.2 files come from the PyPI package ``sphinx-mathjax-offline`` (pinned in
requirements.txt). This extension adds its ``static/`` directory to ``html_static_path``, so
Sphinx copies it to ``_build/html/_static/mathjax/``, and points ``mathjax_path`` there
instead of the default CDN URL.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

MATHJAX_FILE = "mathjax/tex-chtml.js"


def mathjax_static_dir() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise ExtensionError(
            "package sphinx-mathjax-offline is missing: pip install -r requirements.txt"
        )
    static = Path(spec.origin).parent / "static"
    if not (static / MATHJAX_FILE).is_file():
        raise ExtensionError(f"{static / MATHJAX_FILE} not found")
    return static


def _config_inited(app: Sphinx, config: Config) -> None:
    static = str(mathjax_static_dir())
    if static not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, static]
    config.mathjax_path = MATHJAX_FILE


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _config_inited, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
