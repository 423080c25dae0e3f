"""What the benchmark scripts share: the repository root, the machine's load, generated README
sections, task selection. A module, not a script: ``from benchmarks.common import ...``."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    """The machine's load averages, for the header of a timing table."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # pragma: no cover
        return "load average unavailable"
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} CPUs"


def write_section(path: Path, text: str, marks: tuple[str, str], heading: str | None = None) -> None:
    """Replace the text between ``marks`` in ``path`` by ``text``; append ``heading`` and the
    marked block when ``path`` has none (with ``heading=None``, a missing block is an error)."""
    start, end = marks
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{start}\n{text.rstrip(chr(10))}\n{end}"
    if start in old and end in old:
        new = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, old, flags=re.S)
    elif heading is None:
        raise SystemExit(f"{path.name} has no {start} ... {end} section to replace")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + heading + block + "\n"
    path.write_text(new, encoding="utf-8")
    print(f"wrote the tables into {path.relative_to(ROOT)}")


def publish(text: str, marks: tuple[str, str], heading: str, write_readme: bool) -> None:
    """Print a benchmark's table; with ``write_readme``, also put it between ``marks`` in
    benchmarks/README.md (under ``heading`` when the section is new)."""
    print(text)
    if write_readme:
        write_section(ROOT / "benchmarks" / "README.md", text, marks, heading=heading)


def take_part(items: list, part: str | None) -> list:
    """Every m-th item from the k-th with ``part = "k/m"`` (all of them for ``None``): the share of
    one of m processes run side by side."""
    if not part:
        return items
    k, m = (int(v) for v in part.split("/"))
    if not 1 <= k <= m:
        raise SystemExit(f"--part must be k/m with 1 <= k <= m; got {part!r}")
    return items[k - 1::m]


def czyz_by_name(names) -> list:
    """The tasks of ``minebook.experiments.beyond_normal.czyz_tasks()`` with these names, in this
    order (a clear exit for an unknown name)."""
    from minebook.experiments import beyond_normal as bn

    by_name = {t.name: t for t in bn.czyz_tasks()}
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise SystemExit(f"unknown tasks {unknown}; choose from {sorted(by_name)}")
    return [by_name[name] for name in names]
