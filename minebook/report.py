"""The reproduction table: every chapter records the paper's claims next to our numbers.

A chapter ends with::

    import minebook as mb
    mb.report.record("03_mine", [
        {"claim": "MINE tracks the true MI of correlated Gaussians",
         "paper": "Fig. 1", "ours": "max abs err 0.04 nats", "verdict": "reproduced"},
    ])

``record`` writes ``book/results/<chapter>.json``. The book's intro page and the README
render all of these files as one table (``scripts/bookgen.py tables`` regenerates it);
nothing is executed at book-build time.

Where the files go: ``directory`` if given, else ``$MINEBOOK_RESULTS_DIR`` if set, else
``book/results`` of the repository this package lives in (an editable install), else
``book/results`` under the current directory. The test suite sets
``MINEBOOK_RESULTS_DIR`` to a temporary directory so smoke runs never clobber the
committed results.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "check",
    "chapter_tables",
    "verdict_counts",
    "REQUIRED_KEYS",
    "ENV_VAR",
    "results_dir",
    "record",
    "load_chapter",
    "load_all",
    "markdown_table",
    "verdict_summary",
    "VERDICTS",
    "VERDICT_MARKS",
    "Comparison",
    "compare_seeds",
    "combine_verdicts",
    "verdict_lines",
    "across_seed_sets",
    "with_stability",
    "stability_records",
    "SettingsTable",
    "settings_table",
]

REQUIRED_KEYS = ("claim", "paper", "ours", "verdict")
#: The book's verdicts, the only words ``record`` accepts (chapter 1), each with the mark the
#: tables put in front of it: a claim of the paper is **reproduced**, **partly** reproduced (a
#: claim of several parts of which some hold), **not reproduced**, or **inconclusive** (the
#: interval of the difference over seeds straddles the claim's threshold: the seeds cannot
#: tell); the book's own derivations are **confirmed**; a number with no claim to check is
#: **measured**.
VERDICTS = {
    "reproduced": "✔",
    "partly": "◐",
    "not reproduced": "✘",
    "inconclusive": "?",
    "confirmed": "☑",
    "measured": "·",
}
#: The mark in front of each verdict in the table, so that it stands out at a glance.
VERDICT_MARKS = VERDICTS
OPTIONAL_KEYS = ("unconfirmed", "note")
ENV_VAR = "MINEBOOK_RESULTS_DIR"
#: Files in the results directory that are not chapter results.
RESERVED = {"execution_times"}
_CHAPTER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def results_dir(directory: str | os.PathLike | None = None) -> Path:
    """The directory that ``record`` writes to and ``load_all`` reads from."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    if (repo / "_toc.yml").is_file() and (repo / "book").is_dir():
        return repo / "book" / "results"
    return Path.cwd() / "book" / "results"


def _plain(value: Any) -> Any:
    """Convert numpy / torch scalars and other oddities to JSON-friendly values."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError, RuntimeError):
            pass
    return str(value)


def _validate_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(rows, Mapping) or isinstance(rows, str | bytes):
        raise ValueError("rows must be a list of dicts, not a single dict or a string")
    clean: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"row {i} is a {type(row).__name__}, expected a dict")
        missing = [k for k in REQUIRED_KEYS if k not in row]
        if missing:
            raise ValueError(f"row {i} is missing key(s) {missing}; required: {REQUIRED_KEYS}")
        unknown = [k for k in row if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
        if unknown:
            raise ValueError(
                f"row {i} has unknown key(s) {unknown}; allowed: {REQUIRED_KEYS + OPTIONAL_KEYS}"
            )
        out = {k: _plain(row[k]) for k in REQUIRED_KEYS}
        for k in ("claim", "verdict"):
            if not isinstance(out[k], str) or not out[k].strip():
                raise ValueError(f"row {i}: {k!r} must be a non-empty string")
        if out["verdict"] not in VERDICTS:
            raise ValueError(
                f"row {i}: verdict {out['verdict']!r} is not a word of the book's vocabulary "
                f"{tuple(VERDICTS)}; put a qualification in 'ours' and pick one of these "
                "(a comparison over seeds: mb.report.compare_seeds(...).verdict)"
            )
        if "unconfirmed" in row:
            if not isinstance(row["unconfirmed"], bool):
                raise ValueError(f"row {i}: 'unconfirmed' must be a bool")
            out["unconfirmed"] = row["unconfirmed"]
        if "note" in row:
            out["note"] = str(row["note"])
        clean.append(out)
    if not clean:
        raise ValueError("rows is empty: record at least one claim")
    return clean


def record(
    chapter: str,
    rows: Iterable[Mapping[str, Any]],
    directory: str | os.PathLike | None = None,
) -> Path:
    """Validate ``rows`` and write them to ``<results dir>/<chapter>.json``.

    Each row is a dict with keys ``claim``, ``paper``, ``ours``, ``verdict`` and optionally
    ``unconfirmed`` (bool: the paper's number is marked [R] and is shown as
    "(unconfirmed)") and ``note``. Raises ``ValueError`` on malformed rows. Returns the path.
    """
    if not isinstance(chapter, str) or not _CHAPTER_RE.match(chapter):
        raise ValueError(f"chapter id {chapter!r} must be a plain file stem like '03_mine'")
    if chapter in RESERVED:
        raise ValueError(f"chapter id {chapter!r} is reserved")
    clean = _validate_rows(rows)
    out_dir = results_dir(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{chapter}.json"
    text = json.dumps({"chapter": chapter, "rows": clean}, indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_chapter(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of one results file, each with a ``chapter`` key added."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    chapter = data.get("chapter", Path(path).stem)
    rows = _validate_rows(data["rows"])
    return [{"chapter": chapter, **row} for row in rows]


def load_all(
    directory: str | os.PathLike | None = None,
    order: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """All recorded rows, in chapter order.

    Chapter order is ``order`` (a list of chapter ids, e.g. from ``_toc.yml``) where given;
    chapters not in it come after, sorted by name (chapter ids start with their number).
    """
    d = results_dir(directory)
    if not d.is_dir():
        return []
    files = {p.stem: p for p in d.glob("*.json") if p.stem not in RESERVED}
    ordered = [c for c in (order or []) if c in files]
    ordered += sorted(c for c in files if c not in ordered)
    rows: list[dict[str, Any]] = []
    for chapter in ordered:
        rows.extend(load_chapter(files[chapter]))
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value)
    text = " ".join(text.split())  # no newlines inside a table cell
    return text.replace("|", "\\|") or "—"




def _verdict_cell(verdict: Any) -> str:
    text = _cell(verdict)
    mark = VERDICT_MARKS.get(text, "·")
    return f"{mark} **{text}**"


def _chapter_cell(chapter: str, chapter_links: Mapping[str, str] | None) -> str:
    """``10_information_bottleneck`` -> ``10 information bottleneck`` (wraps), linked when known."""
    label = _cell(chapter.replace("_", " ")) if chapter else "—"
    if chapter_links and chapter in chapter_links:
        return f"[{label}]({chapter_links[chapter]})"
    return label


def verdict_summary(rows: Iterable[Mapping[str, Any]]) -> str:
    """One line for the top of the table, e.g. ``"**41 claims checked:** 25 ✔ reproduced, 8 ◐ partly,
    6 ✘ not reproduced, 2 ? inconclusive."``: each verdict of :data:`VERDICTS` that occurs, in
    that order.
    """
    counts = Counter(_cell(r["verdict"]) for r in rows)
    parts = [f"{counts[v]} {mark} {v}" for v, mark in VERDICTS.items() if v in counts]
    return f"**{sum(counts.values())} claims checked:** " + ", ".join(parts) + "."


def verdict_counts(rows: Iterable[Mapping[str, Any]]) -> str:
    """The verdicts of ``rows`` as marks with counts, e.g. ``"3 ✔ 1 ◐ 1 ?"`` (the status page)."""
    counts = Counter(_cell(r["verdict"]) for r in rows)
    return " ".join(f"{counts[v]} {mark}" for v, mark in VERDICTS.items() if v in counts) or "—"


def markdown_table(rows: Iterable[Mapping[str, Any]], chapter_links: Mapping[str, str] | None = None) -> str:
    """A GitHub/MyST markdown table of rows (as returned by ``load_all``), the verdict first.

    Columns: Verdict (marked ✔ / ◐ / ✘ and bold), Claim, Paper, Ours, Chapter. The verdict
    leads so that it is never the column a narrow page cuts off. ``chapter_links`` maps
    chapter id to a link target; without it the chapter id is shown (underscores as spaces,
    so that it wraps). Rows flagged ``unconfirmed`` get "(unconfirmed)" after the paper's
    number.
    """
    rows = list(rows)
    header = "| Verdict | Claim | Paper | Ours | Chapter |\n|---|---|---|---|---|\n"
    if not rows:
        return header + "| — | no chapter has recorded results yet | — | — | — |\n"
    lines = []
    for row in rows:
        paper = _cell(row["paper"])
        if row.get("unconfirmed"):
            paper += " (unconfirmed)"
        lines.append(
            f"| {_verdict_cell(row['verdict'])} | {_cell(row['claim'])} | {paper} | "
            f"{_cell(row['ours'])} | {_chapter_cell(str(row.get('chapter', '')), chapter_links)} |"
        )
    return header + "\n".join(lines) + "\n"


def chapter_tables(rows: Iterable[Mapping[str, Any]], chapter_links: Mapping[str, str],
                   titles: Mapping[str, str]) -> str:
    """The reproduction table grouped by chapter: a heading per chapter (its title, linked), its
    verdict counts, then its claims (Verdict, Claim, Paper, Ours), in chapter order (chapter 1).
    The intro and the README show this, so that each chapter's claims stand together."""
    rows = list(rows)
    if not rows:
        return markdown_table(rows)
    out = []
    for chapter in dict.fromkeys(str(r.get("chapter", "")) for r in rows):
        mine = [r for r in rows if str(r.get("chapter", "")) == chapter]
        title = titles.get(chapter, chapter.replace("_", " "))
        link = chapter_links.get(chapter)
        out.append(f"### {f'[{title}]({link})' if link else title}\n\n{verdict_counts(mine)}\n")
        out.append(claims_table(mine))
    return "\n".join(out)


def claims_table(rows: Iterable[Mapping[str, Any]]) -> str:
    """One chapter's claims as a Markdown table: Verdict (with its mark), Claim, Paper, Ours."""
    lines = ["| Verdict | Claim | Paper | Ours |", "|---|---|---|---|"]
    for row in rows:
        paper = _cell(row["paper"]) + (" (unconfirmed)" if row.get("unconfirmed") else "")
        lines.append(f"| {_verdict_cell(row['verdict'])} | {_cell(row['claim'])} | {paper} | "
                     f"{_cell(row['ours'])} |")
    return "\n".join(lines) + "\n"


class VerdictTable:
    """A chapter's verdicts as the page shows them (chapter 1 onward): rendered in a notebook as
    the verdict counts and a Markdown table (:func:`claims_table`), as plain text the verdict
    lines of :func:`verdict_lines`. The rows are the book's (folded with the re-run on other
    seeds), the same the intro's table reads."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], chapter: str | None = None):
        self.rows = [{"chapter": chapter, **r} for r in _validate_rows(rows)]
        if chapter is not None:
            self.rows = with_stability(self.rows, stability_records())

    def _repr_markdown_(self) -> str:
        return f"{verdict_summary(self.rows)}\n\n{claims_table(self.rows)}"

    def __repr__(self) -> str:
        return "\n".join(f"{VERDICTS.get(str(r['verdict']), '·')} {r['verdict']}: {r['claim']}"
                         for r in self.rows)


def verdict_table(rows: Iterable[Mapping[str, Any]], chapter: str | None = None) -> VerdictTable:
    """:class:`VerdictTable` of a chapter's recorded ``rows``: the last cell of every chapter."""
    return VerdictTable(rows, chapter)


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_seeds` returns (chapter 8): the difference ``a - b`` over seeds.

    ``difference``: the mean of ``a - b`` (paired: of the per-seed differences), in the units
    of the metric; ``low``, ``high``: its Student-t interval at ``level``; ``n_seeds``: seeds
    per method; ``claim``: ``"greater"`` (the paper says ``a - b > threshold``) or ``"less"``;
    ``verdict``: the book's rule (:func:`compare_seeds`).
    """

    difference: float
    low: float
    high: float
    level: float
    n_seeds: int
    paired: bool | None  # None: one method against the threshold
    claim: str
    threshold: float
    verdict: str

    def describe(self, fmt: str = ".2f", unit: str = "") -> str:
        """``"+1.23 [+0.45, +2.01]{unit}, 95% interval over 4 paired seeds"``."""
        how = {True: "paired seeds", False: "seeds each", None: "seeds"}[self.paired]
        return (f"{self.difference:+{fmt}} [{self.low:+{fmt}}, {self.high:+{fmt}}]{unit}, "
                f"{100 * self.level:.0f}% interval over {self.n_seeds} {how}")

    def __str__(self) -> str:
        return f"{self.describe()}: {self.verdict}"


def _seed_values(values, name: str) -> np.ndarray:
    a = np.asarray(values, dtype=float).ravel()
    if a.size < 2:
        raise ValueError(f"{name} needs at least 2 seeds for an interval; got {a.size}. "
                         "Run more seeds (stacked members make them cheap).")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or inf: {a.tolist()}; fix the run before comparing it.")
    return a


def compare_seeds(a, b=None, *, claim: str = "greater", threshold: float = 0.0,
                  paired: bool = True, level: float = 0.95) -> Comparison:
    """The book's one verdict rule for a claim that compares two methods over seeds (chapter 8).

    ``a``, ``b``: one value of the metric per seed, ``(n_seeds,)`` each (``b=None``: compare
    ``a`` itself with ``threshold``, for a claim about one method's level). ``paired``: seed
    ``s`` of ``a`` and of ``b`` share everything but the method (same data, initial weights,
    minibatches), so the interval is that of the mean per-seed difference; otherwise Welch's
    interval of the difference of the means. ``claim``: what the paper says, ``"greater"``
    (``a - b > threshold``) or ``"less"`` (``a - b < threshold``); ``threshold``: 0, or the
    size the claim states. The 95% Student-t interval of ``a - b`` decides:

    * **reproduced** when it lies wholly on the paper's side of the threshold;
    * **not reproduced** when it lies wholly on the other side;
    * **inconclusive** when it straddles the threshold: these seeds cannot tell.

    A t interval over a handful of seeds is wide on purpose: training noise (and the last
    bits of another CPU, which chaotic training amplifies like another seed) moves each seed's
    result, and a verdict must survive a new set of seeds. Raises ``ValueError`` for fewer
    than two seeds, NaN/inf, unequal seed counts when ``paired``, or an unknown ``claim``.
    """
    from scipy.stats import t as student_t

    if claim not in ("greater", "less"):
        raise ValueError(f"claim must be 'greater' (a - b > threshold) or 'less'; got {claim!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}.")
    a = _seed_values(a, "a")
    if b is None:
        diff, se, dof, n, paired = a.mean(), a.std(ddof=1) / math.sqrt(a.size), a.size - 1, a.size, None
    else:
        b = _seed_values(b, "b")
        if paired:
            if a.size != b.size:
                raise ValueError(f"paired seeds need as many values in a as in b; got {a.size} and "
                                 f"{b.size} (pass paired=False for independent seeds).")
            d = a - b
            diff, se, dof, n = d.mean(), d.std(ddof=1) / math.sqrt(d.size), d.size - 1, d.size
        else:
            va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
            diff, se = a.mean() - b.mean(), math.sqrt(va + vb)
            dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if va + vb > 0 else 1
            n = min(a.size, b.size)
    half = float(student_t.ppf(0.5 + level / 2, dof)) * se
    low, high = float(diff - half), float(diff + half)
    threshold = float(threshold)
    if claim == "greater":
        verdict = ("reproduced" if low > threshold else
                   "not reproduced" if high < threshold else "inconclusive")
    else:
        verdict = ("reproduced" if high < threshold else
                   "not reproduced" if low > threshold else "inconclusive")
    return Comparison(float(diff), low, high, float(level), int(n), paired, claim, threshold, verdict)


def combine_verdicts(verdicts: Iterable[str]) -> str:
    """One verdict for a claim of several parts (chapter 8).

    All parts reproduced: **reproduced**; none: **not reproduced**; some of each: **partly**.
    An inconclusive part could go either way, so the claim gets the verdict that every way of
    settling its inconclusive parts agrees on, and **inconclusive** where they disagree: one
    part reproduced and one not give "partly" whatever a third part does; one part not
    reproduced and one inconclusive could be "partly" or "not reproduced", so "inconclusive".
    """
    parts = list(verdicts)
    unknown = [v for v in parts if v not in ("reproduced", "not reproduced", "inconclusive")]
    if not parts or unknown:
        raise ValueError(f"combine_verdicts takes a non-empty list of 'reproduced', 'not reproduced' "
                         f"and 'inconclusive'; got {parts}.")
    settled = {v for v in parts if v != "inconclusive"}
    n_open = parts.count("inconclusive")
    # the sets of definite verdicts the parts could end up with, once the open ones settle
    both = {"reproduced", "not reproduced"}
    endings = ([settled] if not n_open else
               [settled | {"reproduced"}, settled | {"not reproduced"}] + ([both] if n_open > 1 else []))
    outcomes = {"partly" if len(e) == 2 else next(iter(e)) for e in endings}
    return outcomes.pop() if len(outcomes) == 1 else "inconclusive"


def across_seed_sets(verdict_a: str, verdict_b: str) -> str:
    """The book's verdict of a claim run on two disjoint sets of seeds (chapter 8).

    A verdict is a finding only if it survives a new set of seeds: the same verdict on both
    stands; any disagreement (one set inconclusive, or a flip) makes the claim
    **inconclusive**.
    """
    for v in (verdict_a, verdict_b):
        if v not in VERDICTS:
            raise ValueError(f"{v!r} is not a verdict of {tuple(VERDICTS)}")
    return verdict_a if verdict_a == verdict_b else "inconclusive"


def with_stability(rows: Iterable[Mapping[str, Any]],
                   records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (as from :func:`load_all`) with the re-run on other seeds folded in (chapter 8).

    ``records``: ``benchmarks/verdict_stability.json`` (``benchmarks/verdicts.py``). A row whose
    chapter and claim match a record gets :func:`across_seed_sets` of its own verdict and the
    other seeds' one; where the two disagree, ``ours`` says so. Other rows are returned
    unchanged. Because a row's own verdict is used, a run on another machine whose verdict for
    these seeds moved to or from "inconclusive" still gets the same book verdict wherever the
    other seeds were inconclusive.
    """
    index = {(r["chapter"], r["claim"]): r for r in records}
    out = []
    for row in rows:
        row = dict(row)
        rec = index.get((row.get("chapter"), row["claim"]))
        if rec is not None and rec["verdict_b"] in VERDICTS:
            final = across_seed_sets(row["verdict"], rec["verdict_b"])
            if final != row["verdict"]:
                row["ours"] = (f"{row['ours']}; {row['verdict']} on these seeds, "
                               f"{rec['verdict_b']} on a disjoint set (seed parameter "
                               f"{rec['seed_b']})")
            row["verdict"] = final
        out.append(row)
    return out


def stability_records(path: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """The committed re-run on other seeds, ``benchmarks/verdict_stability.json`` of the
    repository this package lives in (or ``path``); ``[]`` where there is none (chapter 8)."""
    path = Path(path) if path is not None else (
        Path(__file__).resolve().parent.parent / "benchmarks" / "verdict_stability.json")
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def verdict_lines(rows: Iterable[Mapping[str, Any]], chapter: str | None = None) -> str:
    """One line per recorded claim, ``"✔ reproduced: <claim>"``: what a chapter's checked cell
    prints after ``record`` (chapter 1).

    With ``chapter``, each verdict is the book's: this run's folded with the committed re-run of
    the chapter on a disjoint set of seeds (:func:`with_stability`), so that what the page prints
    is what the reproduction table says, and does not change with the last bits of another
    CPU where a verdict was not a finding anyway. Only the verdict words are printed; the
    numbers behind them go to the reproduction table.
    """
    return repr(VerdictTable(rows, chapter))


class SettingsTable:
    """A chapter's settings for one budget, shown as a two-column table (chapter 1).

    ``SettingsTable(cfg, budget)``: ``cfg`` maps setting names to values; nested mappings are
    flattened into dotted names (``"tasks.n"``). In a notebook it renders as a Markdown table
    (``_repr_markdown_``), so the settings fit the page instead of one wide dictionary; ``str``
    gives the same table as aligned plain text. Values print as Python literals.
    """

    def __init__(self, cfg: Mapping[str, Any], budget: str = "full"):
        if not isinstance(cfg, Mapping):
            raise ValueError(f"cfg must be a mapping of setting names to values; got {type(cfg).__name__}.")
        self.budget = str(budget)
        self.rows = list(_flatten_settings(cfg))

    def _repr_markdown_(self) -> str:
        lines = [f"Settings at `budget = \"{self.budget}\"`:", "", "| setting | value |", "|---|---|"]
        lines += [f"| {_md_escape(name)} | {_md_escape(value)} |" for name, value in self.rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        width = max((len(name) for name, _ in self.rows), default=0)
        return "\n".join([f"settings at budget = {self.budget!r}:"]
                         + [f"  {name:<{width}}  {value}" for name, value in self.rows])

    __repr__ = __str__


def check(passed, claim: str, *, strict: bool = True) -> str:
    """Assert a chapter's check and print ``PASS <claim>`` (chapter 1 onward).

    The one way a chapter states a check: the line can only be printed after ``passed`` held,
    and the threshold lives once, in the expression ``passed``. ``strict=False`` (a smoke run,
    ``cfg["strict"]``) prints ``SKIPPED (smoke budget) <claim>`` and asserts nothing: few steps
    prove nothing about a claim. A failed check raises ``AssertionError("FAIL <claim>")``.
    Returns the printed line.
    """
    if not strict:
        line = f"SKIPPED (smoke budget) {claim}"
    else:
        assert bool(passed), f"FAIL {claim}"
        line = f"PASS {claim}"
    print(line)
    return line


class Table:
    """Rows of results shown as a table (chapter 12 onward): a Markdown table in a notebook (it
    wraps in the column), aligned plain text elsewhere. ``header``: column names; ``rows``: one
    sequence of cells per row (any values, shown with ``str``)."""

    def __init__(self, header: Sequence[str], rows: Iterable[Sequence[Any]]):
        self.header = [str(h) for h in header]
        self.rows = [[str(c) for c in row] for row in rows]
        if any(len(row) != len(self.header) for row in self.rows):
            raise ValueError(f"every row needs {len(self.header)} cells, one per column of {self.header}.")

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(map(_md_escape, self.header)) + " |", "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(map(_md_escape, row)) + " |" for row in self.rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        widths = [max(len(r[i]) for r in [self.header, *self.rows]) for i in range(len(self.header))]
        return "\n".join(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                         for r in [self.header, *self.rows])


def settings_table(cfg: Mapping[str, Any], budget: str = "full") -> SettingsTable:
    """:class:`SettingsTable` of ``cfg`` at ``budget``: the settings cell of every chapter (chapter 1)."""
    return SettingsTable(cfg, budget)


def _flatten_settings(cfg: Mapping[str, Any], prefix: str = ""):
    for key, value in cfg.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten_settings(value, name + ".")
        else:
            yield name, repr(_setting_value(value))


def _setting_value(value: Any) -> Any:
    """Containers element-wise, numpy/torch scalars as Python numbers (so ``repr`` reads well)."""
    if isinstance(value, tuple | list):
        return type(value)(_setting_value(v) for v in value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", 0) == 0:
        return item()
    return value


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")
