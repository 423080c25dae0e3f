"""Unit tests of minebook.report: recording, loading and rendering the reproduction table."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minebook import report

ROW = {"claim": "MINE is tight", "paper": 1.0, "ours": 0.98, "verdict": "reproduced"}


def test_record_writes_json(tmp_path):
    path = report.record("03_mine", [ROW], directory=tmp_path)
    assert path == tmp_path / "03_mine.json"
    data = json.loads(path.read_text())
    assert data == {"chapter": "03_mine", "rows": [ROW]}


def test_record_uses_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(report.ENV_VAR, str(tmp_path / "r"))
    path = report.record("01_x", [ROW])
    assert path.parent == tmp_path / "r"
    assert report.load_all() == [{"chapter": "01_x", **ROW}]


def test_default_directory_is_repo_book_results(monkeypatch):
    monkeypatch.delenv(report.ENV_VAR, raising=False)
    d = report.results_dir()
    assert d.parts[-2:] == ("book", "results")
    assert (d.parent.parent / "_toc.yml").is_file()


@pytest.mark.parametrize("key", report.REQUIRED_KEYS)
def test_missing_key_raises(tmp_path, key):
    row = {k: v for k, v in ROW.items() if k != key}
    with pytest.raises(ValueError, match=key):
        report.record("01_x", [row], directory=tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "rows",
    [
        [],
        ROW,  # a dict, not a list of dicts
        ["not a dict"],
        [{**ROW, "extra": 1}],
        [{**ROW, "unconfirmed": "yes"}],
        [{**ROW, "verdict": ""}],
        [{**ROW, "verdict": "reproduced at small batch size only"}],  # qualification goes in 'ours'
        [{**ROW, "verdict": "not tested"}],
    ],
)
def test_bad_rows_raise(tmp_path, rows):
    with pytest.raises(ValueError):
        report.record("01_x", rows, directory=tmp_path)


@pytest.mark.parametrize("chapter", ["", "a/b", "../x", "execution_times", 3])
def test_bad_chapter_ids_raise(tmp_path, chapter):
    with pytest.raises(ValueError):
        report.record(chapter, [ROW], directory=tmp_path)


def test_numpy_scalars_are_serialised(tmp_path):
    row = {**ROW, "paper": np.float32(0.5), "ours": np.int64(3)}
    report.record("02_dv", [row], directory=tmp_path)
    (loaded,) = report.load_all(tmp_path)
    assert loaded["paper"] == pytest.approx(0.5) and loaded["ours"] == 3


def test_load_all_orders_chapters_and_skips_execution_times(tmp_path):
    for c in ["10_ib", "02_dv", "01_mi"]:
        report.record(c, [{**ROW, "claim": c}], directory=tmp_path)
    (tmp_path / "execution_times.json").write_text('{"chapters": {}}')
    assert [r["chapter"] for r in report.load_all(tmp_path)] == ["01_mi", "02_dv", "10_ib"]
    ordered = report.load_all(tmp_path, order=["10_ib", "01_mi"])
    assert [r["chapter"] for r in ordered] == ["10_ib", "01_mi", "02_dv"]


def test_load_all_missing_directory(tmp_path):
    assert report.load_all(tmp_path / "nope") == []


def test_markdown_table_marks_unconfirmed_and_escapes():
    rows = [
        {"chapter": "03_mine", **ROW, "unconfirmed": True},
        {"chapter": "04_bias", "claim": "a | b\nc", "paper": None, "ours": "x", "verdict": "measured"},
    ]
    table = report.markdown_table(rows, chapter_links={"03_mine": "../notebooks/03_mine.ipynb"})
    lines = table.strip().splitlines()
    assert lines[0] == "| Verdict | Claim | Paper | Ours | Chapter |"   # the verdict first: never cut off
    assert "[03 mine](../notebooks/03_mine.ipynb)" in lines[2]
    assert lines[2].startswith("| ✔ **reproduced** |") and lines[3].startswith("| · **measured** |")
    assert "1 (unconfirmed)" in lines[2]
    assert "a \\| b c" in lines[3] and "| — |" in lines[3]
    assert len(lines) == 4


def test_verdict_summary_counts_in_order():
    rows = [{"verdict": v} for v in ("partly", "reproduced", "measured", "reproduced", "not reproduced",
                                     "inconclusive")]
    assert report.verdict_summary(rows) == (
        "**6 claims checked:** 2 ✔ reproduced, 1 ◐ partly, 1 ✘ not reproduced, 1 ? inconclusive, "
        "1 · measured.")


@pytest.mark.parametrize(
    "a, b, claim, threshold, expected",
    [
        ([19, 20, 25, 14], [5, 4, 6, 4], "greater", 0, "reproduced"),      # far ahead on every seed
        ([16, 18, 12, 19], [15, 14, 17, 15], "greater", 0, "inconclusive"),  # within the seed spread
        ([5, 4, 6, 4], [19, 20, 25, 14], "greater", 0, "not reproduced"),  # far behind
        ([10.3, 10.4, 10.5], [12.1, 12.2, 12.0], "less", 0, "reproduced"),
        ([10.3, 10.4, 10.5], [12.1, 12.2, 12.0], "less", -5, "not reproduced"),  # claimed size missed
        ([5, 1, 48], None, "greater", 900, "not reproduced"),             # one method's level
    ],
)
def test_compare_seeds_verdicts(a, b, claim, threshold, expected):
    c = report.compare_seeds(a, b, claim=claim, threshold=threshold)
    assert c.verdict == expected
    assert c.low <= c.difference <= c.high
    assert c.verdict in report.VERDICTS


def test_compare_seeds_interval_is_the_paired_t_interval():
    from scipy import stats

    a, b = np.array([3.0, 5.0, 4.0, 6.0]), np.array([1.0, 2.0, 2.5, 2.0])
    c = report.compare_seeds(a, b)
    d = a - b
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert c.difference == pytest.approx(d.mean())
    assert (c.low, c.high) == (pytest.approx(d.mean() - half), pytest.approx(d.mean() + half))
    assert "95% interval over 4 paired seeds" in c.describe()
    welch = report.compare_seeds(a, b, paired=False)
    assert welch.paired is False and welch.high - welch.low > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(a=[1.0], b=[2.0]), "at least 2 seeds"),
        (dict(a=[1.0, np.nan], b=[2.0, 3.0]), "NaN"),
        (dict(a=[1.0, 2.0, 3.0], b=[2.0, 3.0]), "paired"),
        (dict(a=[1.0, 2.0], b=[2.0, 3.0], claim="better"), "claim"),
    ],
)
def test_compare_seeds_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        report.compare_seeds(**kwargs)


def test_combine_verdicts():
    assert report.combine_verdicts(["reproduced", "reproduced"]) == "reproduced"
    assert report.combine_verdicts(["reproduced", "not reproduced"]) == "partly"
    assert report.combine_verdicts(["not reproduced", "not reproduced"]) == "not reproduced"
    # an inconclusive part could settle either way: a verdict only where every way agrees
    assert report.combine_verdicts(["reproduced", "inconclusive"]) == "inconclusive"
    assert report.combine_verdicts(["not reproduced", "inconclusive"]) == "inconclusive"
    assert report.combine_verdicts(["reproduced", "not reproduced", "inconclusive"]) == "partly"
    assert report.combine_verdicts(["inconclusive", "inconclusive"]) == "inconclusive"
    with pytest.raises(ValueError):
        report.combine_verdicts(["partly"])


def test_markdown_table_empty():
    assert "no chapter has recorded results yet" in report.markdown_table([])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "claim": st.text(min_size=1).filter(str.strip),
                "paper": st.one_of(st.floats(allow_nan=False), st.text(), st.integers()),
                "ours": st.one_of(st.floats(allow_nan=False), st.text(), st.integers()),
                "verdict": st.sampled_from(sorted(report.VERDICTS)),
            },
            optional={"unconfirmed": st.booleans()},
        ),
        min_size=1,
        max_size=5,
    )
)
def test_roundtrip_and_table_shape(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("r")
    report.record("05_ema", rows, directory=d)
    loaded = report.load_all(d)
    assert [{k: v for k, v in r.items() if k != "chapter"} for r in loaded] == rows
    table = report.markdown_table(loaded)
    body = table.strip().splitlines()[2:]
    assert len(body) == len(rows)
    for line in body:
        # every row has exactly five cells: unescaped pipes only at cell borders
        assert line.replace("\\|", "").count("|") == 6


def test_settings_table_flattens_and_renders_markdown():
    table = report.settings_table({"n": 5000, "tasks": {"n_seeds": np.int64(3), "hidden": (64, 64)},
                                   "rhos": [np.float64(0.5), 0.9], "name": "a|b"}, "smoke")
    assert table.rows == [("n", "5000"), ("tasks.n_seeds", "3"), ("tasks.hidden", "(64, 64)"),
                          ("rhos", "[0.5, 0.9]"), ("name", "'a|b'")]
    md = table._repr_markdown_()
    assert md.startswith('Settings at `budget = "smoke"`:') and "| tasks.n\\_seeds | 3 |" in md
    assert "'a\\|b'" in md   # a pipe would end the cell
    assert str(table).splitlines()[1].split() == ["n", "5000"]
    with pytest.raises(ValueError, match="mapping"):
        report.settings_table([("n", 1)])


def test_a_verdict_stands_only_if_another_seed_set_agrees():
    assert report.across_seed_sets("reproduced", "reproduced") == "reproduced"
    assert report.across_seed_sets("reproduced", "inconclusive") == "inconclusive"
    assert report.across_seed_sets("not reproduced", "reproduced") == "inconclusive"
    rows = [{"chapter": "09_x", "claim": "a", "paper": "-", "ours": "+1.0", "verdict": "reproduced"},
            {"chapter": "09_x", "claim": "b", "paper": "-", "ours": "+2.0", "verdict": "reproduced"},
            {"chapter": "01_x", "claim": "c", "paper": "-", "ours": "exact", "verdict": "confirmed"}]
    records = [{"chapter": "09_x", "claim": "a", "verdict_a": "reproduced", "verdict_b": "inconclusive",
                "seed_b": 1000},
               {"chapter": "09_x", "claim": "b", "verdict_a": "reproduced", "verdict_b": "reproduced",
                "seed_b": 1000}]
    a, b, c = report.with_stability(rows, records)
    assert a["verdict"] == "inconclusive" and "inconclusive on a disjoint set" in a["ours"]
    assert b == rows[1] and c == rows[2]
    # another machine's run of the same seeds that came out inconclusive: the same book verdict
    other_cpu = [{**rows[0], "verdict": "inconclusive"}]
    assert report.with_stability(other_cpu, records)[0]["verdict"] == "inconclusive"


def test_verdict_lines_print_the_books_verdict(tmp_path):
    rows = [{"claim": "a", "paper": "-", "ours": "+1.0", "verdict": "reproduced"}]
    assert report.verdict_lines(rows) == "✔ reproduced: a"
    records = [{"chapter": "09_x", "claim": "a", "verdict_a": "reproduced",
                "verdict_b": "inconclusive", "seed_b": 1000}]
    path = tmp_path / "stability.json"
    path.write_text(json.dumps(records))
    assert report.stability_records(path) == records
    assert report.stability_records(tmp_path / "none.json") == []
    assert report.with_stability([{"chapter": "09_x", **rows[0]}], records)[0]["verdict"] == (
        "inconclusive")


def test_check_prints_pass_only_after_its_assert(capsys):
    assert report.check(1 < 2, "one is below two") == "PASS one is below two"
    with pytest.raises(AssertionError, match="FAIL two is below one"):
        report.check(2 < 1, "two is below one")
    assert capsys.readouterr().out == "PASS one is below two\n"  # nothing printed for the failure
    assert report.check(False, "a claim a smoke run cannot decide", strict=False) == (
        "SKIPPED (smoke budget) a claim a smoke run cannot decide")


def test_verdict_counts():
    rows = [{"verdict": v} for v in ("reproduced", "inconclusive", "reproduced", "confirmed")]
    assert report.verdict_counts(rows) == "2 ✔ 1 ? 1 ☑" and report.verdict_counts([]) == "—"


def test_seed_everything_seeds_the_global_generators_and_returns_nothing():
    import numpy as np
    import torch

    import minebook as mb

    assert mb.seed_everything(3) is None
    a = (np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    mb.seed_everything(3)
    assert a == (np.random.rand(), torch.rand(1).item())  # noqa: NPY002


def test_verdict_table_renders_a_table_and_prints_the_verdict_lines():
    rows = [{"claim": "a | b", "paper": "Fig. 1", "ours": "+1.0", "verdict": "reproduced", "unconfirmed": True},
            {"claim": "c", "paper": "-", "ours": "0.5", "verdict": "measured"}]
    table = report.verdict_table(rows)
    assert repr(table) == report.verdict_lines(rows) == "✔ reproduced: a | b\n· measured: c"
    md = table._repr_markdown_()
    assert md.startswith("**2 claims checked:** 1 ✔ reproduced, 1 · measured.")
    assert "| Verdict | Claim | Paper | Ours |" in md and "a \\| b" in md and "Fig. 1 (unconfirmed)" in md
    with pytest.raises(ValueError):
        report.verdict_table([{"claim": "x", "paper": "-", "ours": "-", "verdict": "maybe"}])


def test_table_renders_markdown_and_aligned_text():
    table = report.Table(["a", "b"], [("x|y", 1), ("long cell", 2.5)])
    assert table._repr_markdown_().splitlines()[2] == "| x\\|y | 1 |"
    assert repr(table).splitlines() == ["a         | b", "x|y       | 1", "long cell | 2.5"]
    with pytest.raises(ValueError, match="2 cells"):
        report.Table(["a", "b"], [(1,)])
