"""book/_ext/chapter_times.py: the execution-time sentence at the top of every chapter page."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))

import chapter_times  # noqa: E402

TIMES = {
    "machine": "x86_64, 2 CPUs, Python 3.12.3",
    "chapters": {"11_deep_infomax": {"seconds": 164.0, "date": "2026-12-01 11:35", "jobs": 2, "threads": 1},
                 "03_mine": {"seconds": 35.8, "date": "2026-12-01 08:20", "jobs": 1}},
    "smoke": {"11_deep_infomax": {"seconds": 18.8, "date": "2026-12-01 11:36"}},
}


def test_sentence_with_both_budgets_and_the_machine():
    text = chapter_times.timing_sentence("11_deep_infomax", TIMES)
    assert text.startswith("Executes in 164 s at the full budget and 19 s at the smoke budget on 2 CPU cores")
    assert "2 chapters at a time, one thread each" in text and "2026-12-01 11:35 UTC" in text


def test_sentence_without_smoke_time_or_record():
    assert "smoke" not in chapter_times.timing_sentence("03_mine", TIMES)
    assert "at a time" not in chapter_times.timing_sentence("03_mine", TIMES)
    assert chapter_times.timing_sentence("99_new", TIMES) is None
    assert chapter_times.load_times(Path("/nonexistent/times.json")) == {}


def test_every_chapter_of_the_book_has_a_recorded_full_time():
    from bookgen import chapters

    times = chapter_times.load_times()
    missing = [nb.stem for nb in chapters() if chapter_times.timing_sentence(nb.stem, times) is None]
    assert not missing, f"no recorded execution time for {missing}: run make book (or make chapter)"
