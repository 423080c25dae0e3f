"""The arithmetic of benchmarks/trust.py (the benchmark itself is not run by the tests)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trust():
    return load_script("benchmarks/trust.py", "trust")


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

    from minebook.experiments import beyond_normal as bn

    tasks = bn.trust_tasks([3])
    rows = [{**_row(t.mi, t.mi, False, True), "task": t.name, "seed": s} for t in tasks for s in range(2)]
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps({"ksg": rows, "mine": rows}))
    reused = trust.reused_rows([path], ["mine"], tasks)
    assert list(reused) == ["ksg"] and len(reused["ksg"]) == 2 * len(tasks)  # mine is rerun
    with pytest.raises(SystemExit, match="lack some of this run's tasks"):
        trust.reused_rows([path], ["mine"], tasks + bn.trust_tasks([5])[:1])
    part = trust.reused_rows([path], ["mine"], tasks[:2])  # a --part run: the other tasks left out
    assert len(part["ksg"]) == 2 * 2
    uneven = json.dumps({"ksg": rows[:-1]})  # the last task lacks its second seed
    path.write_text(uneven)
    with pytest.raises(SystemExit, match="same seeds"):
        trust.reused_rows([path], ["mine"], tasks)


def test_resume_keeps_stored_rows_and_runs_only_the_missing_seeds(trust, tmp_path):
    import json

    from minebook.experiments import beyond_normal as bn

    tasks = bn.czyz_tasks()[:1]  # 1x1 normal
    stored = [{**_row(t.mi, 123.0, False, True), "task": t.name, "seed": 0} for t in tasks]
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps({"gaussian": stored}))
    done = trust.resumed_rows([path], ["gaussian"], tasks, range(2))
    assert list(done["gaussian"]) == [(tasks[0].name, 0)]
    rows = trust.run_one_estimator("gaussian", tasks, 500, range(2), {}, done["gaussian"])
    assert [r["seed"] for r in rows] == [0, 1]
    assert rows[0]["mi"] == 123.0  # kept, not rerun
    assert abs(rows[1]["mi"] - tasks[0].mi) < 0.15  # run: the CCA estimate of a Gaussian


def test_coverage_text_carries_the_wilson_interval(trust):
    rows = [_row(1.0, 1.0, False, i < 35) for i in range(45)] + [_row(1.0, 0.5, True, False)]
    text = trust.coverage_text(trust.summarise(rows))  # the warned run is not counted
    assert text == "78% (35 of 45; 95% Wilson interval 64-87%)"


def test_summary_adds_a_row_on_the_common_seeds(trust):
    rows = {"mine": [{**_row(1.0, 0.5 if s >= 2 else 1.0, False, s < 2), "seed": s} for s in range(5)],
            "ksg": [{**_row(1.0, 1.0, False, None), "seed": s} for s in range(2)]}
    table = trust.summary_table(rows)
    assert "| mine | 5 |" in table and "| mine, seeds 0, 1 | 2 | 0.000 | 0 | 100% |" in table
    assert "ksg, seeds" not in table


def test_take_part_and_tasks_by_name():
    shared = load_script("benchmarks/common.py")
    assert shared.take_part(list(range(7)), "2/3") == [1, 4] and shared.take_part([1, 2], None) == [1, 2]
    with pytest.raises(SystemExit, match="k/m"):
        shared.take_part([1], "4/3")
    tasks = shared.czyz_by_name(["5x5 dense", "1x1 normal"])
    assert [t.name for t in tasks] == ["5x5 dense", "1x1 normal"]
    with pytest.raises(SystemExit, match="unknown tasks"):
        shared.czyz_by_name(["1x1 nope"])


def test_width_1d_parses_critic_shapes():
    width_1d = load_script("benchmarks/width_1d.py", "width_1d")
    assert width_1d.parse_hidden("64x64x64") == (64, 64, 64) and width_1d.parse_hidden("128") == (128,)
    for bad in ("64xa", "0x64", ""):
        with pytest.raises(SystemExit, match="hidden widths"):
            width_1d.parse_hidden(bad)
