"""Say near the top of every chapter page how long the chapter takes to execute.

The seconds come from ``book/results/execution_times.json``, which ``make book`` (full
budget) and ``make chapter BUDGET=smoke`` (smoke budget) write when they run the chapter.
After the chapter's title, a short paragraph such as "Executes in 164 s at the full budget
and 19 s at the smoke budget, one chapter per core of a 2-CPU machine" is inserted, with a
link to the status page that lists every chapter.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

TIMES = Path(__file__).resolve().parents[1] / "results" / "execution_times.json"
PREFIX = "notebooks/"


def load_times(path: Path = TIMES) -> dict:
    """The recorded times, or an empty record when the file is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def timing_sentence(chapter: str, times: dict) -> str | None:
    """``"Executes in 164 s at the full budget and 19 s at the smoke budget ..."``, or None."""
    full = times.get("chapters", {}).get(chapter)
    if not full:
        return None
    text = f"Executes in {full['seconds']:.0f} s at the full budget"
    smoke = times.get("smoke", {}).get(chapter)
    if smoke:
        text += f" and {smoke['seconds']:.0f} s at the smoke budget"
    machine = times.get("machine", "")
    cpus = next((part.strip() for part in machine.split(",") if "CPU" in part), "")
    where = f" on {cpus.replace('CPUs', 'CPU cores')}" if cpus else ""
    jobs = full.get("jobs", 1)
    share = f", {jobs} chapters at a time, one thread each" if jobs and jobs > 1 else ""
    return text + f"{where}{share} (recorded {full['date']} UTC). "


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if not docname.startswith(PREFIX):
        return
    sentence = timing_sentence(docname[len(PREFIX):], load_times())
    section = next(iter(doctree.findall(nodes.section)), None)
    if sentence is None or section is None:
        return
    para = nodes.paragraph(classes=["chapter-times"])
    para += nodes.emphasis(text=sentence)
    para += nodes.reference(text="All chapters", refuri="../book/status.html")
    para += nodes.Text(".")
    title = next(iter(section.findall(nodes.title)), None)
    section.insert(section.index(title) + 1 if title is not None else 0, para)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
