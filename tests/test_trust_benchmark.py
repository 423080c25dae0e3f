"""The arithmetic of benchmarks/trust.py (the benchmark itself is not run by the tests)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trust():
    spec = importlib.util.spec_from_file_location("trust", ROOT / "benchmarks" / "trust.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(truth, mi, warned, covered, seconds=1.0):
    return {"task": "t", "seed": 0, "truth": truth, "mi": mi, "warned": warned, "flags": [],
            "covered": covered, "seconds": seconds}


def test_summarise_counts_the_issue_targets(trust):
    rows = [_row(1.0, 0.95, False, True),     # within 10%, unwarned, covered
            _row(1.0, 0.5, False, False),     # off by 50%, unwarned: a miss
            _row(1.0, 0.5, True, False),      # off by 50%, warned
            _row(2.0, 1.9, True, None)]       # within 10% but warned: a false alarm
    s = trust.summarise(rows)
    assert s["runs"] == 4 and s["mae"] == pytest.approx((0.05 + 0.5 + 0.5 + 0.1) / 4)
    assert s["unflagged_off_30"] == 1
    assert s["coverage"] == pytest.approx(0.5)          # 1 of the 2 unwarned runs with an interval
    assert s["false_alarms"] == pytest.approx(0.5)      # 1 of the 2 runs within 10%
    checks = dict((name.split(" ")[0], ok) for name, ok, _ in trust.check_targets(s, {5: 3.0}))
    assert checks["mean"] is False and checks["one"] is True


def test_summarise_without_intervals_reports_nan_coverage(trust):
    s = trust.summarise([_row(1.0, 1.0, False, None)])
    assert math.isnan(s["coverage"]) and s["false_alarms"] == 0.0


def test_reused_rows_must_match_the_tasks_and_seeds(trust, tmp_path):
    import json

    from minebook import beyond_normal as bn

    tasks = bn.trust_tasks([3])
    rows = [{**_row(t.mi, t.mi, False, True), "task": t.name, "seed": s} for t in tasks for s in range(2)]
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps({"ksg": rows, "mine": rows}))
    reused = trust.reused_rows([path], ["mine"], tasks, 2)
    assert list(reused) == ["ksg"] and len(reused["ksg"]) == 2 * len(tasks)  # mine is rerun
    with pytest.raises(SystemExit, match="other tasks or seeds"):
        trust.reused_rows([path], ["mine"], tasks, 3)

