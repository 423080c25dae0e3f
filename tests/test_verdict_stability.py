"""benchmarks/verdicts.py: matching claims across two seed sets and what counts as a flip
(the chapters themselves are not run by the tests), and the committed stability record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _scripts import load_script

from minebook import report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def verdicts():
    return load_script("benchmarks/verdicts.py", "verdicts")


def _rows(*verdict_words):
    return [{"claim": f"claim {i}", "paper": "-", "ours": "x", "verdict": v}
            for i, v in enumerate(verdict_words)]


def test_flips_are_changes_between_definite_verdicts(verdicts, tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    report.record("09_x", _rows("reproduced", "reproduced", "not reproduced", "partly"), a)
    report.record("09_x", _rows("inconclusive", "not reproduced", "not reproduced", "reproduced"), b)
    monkeypatch.setattr(verdicts.bookgen, "RESULTS", a)
    records = verdicts.compare(["09_x"], b, 0, 1000)
    assert [r["flip"] for r in records] == [False, True, False, True]
    assert records[0]["verdict_a"] == "reproduced" and records[0]["verdict_b"] == "inconclusive"
    table = verdicts.markdown(records)
    assert "**2 flips**" in table and table.count("**yes**") == 2


def test_a_claim_missing_from_the_new_run_counts_as_a_flip(verdicts, tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    report.record("09_x", _rows("reproduced"), a)
    b.mkdir()
    monkeypatch.setattr(verdicts.bookgen, "RESULTS", a)
    (record,) = verdicts.compare(["09_x"], b, 0, 1000)
    assert record["verdict_b"] == "missing" and record["flip"]


def test_the_committed_stability_record_has_no_flip():
    path = ROOT / "benchmarks" / "verdict_stability.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    chapters = {rec["chapter"] for rec in records}
    committed = {(r["chapter"], r["claim"], r["verdict"])
                 for r in report.load_all(ROOT / "book" / "results") if r["chapter"] in chapters}
    assert committed == {(r["chapter"], r["claim"], r["verdict_a"]) for r in records}, (
        "benchmarks/verdict_stability.json is stale: run benchmarks/verdicts.py --write-readme")
    assert all(r["verdict_a"] in report.VERDICTS for r in records)
    assert not [r["claim"] for r in records if r["flip"]]
