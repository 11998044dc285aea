"""The aiwell.eval/1 report, the comparison, the gates and the renderers, on synthetic run-log samples."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any
from xml.etree import ElementTree

import jsonschema
import numpy as np
import pytest
from rich.console import Console

from aiwell.errors import UserError
from aiwell.eval import report as R


def _samples(outcomes: dict[str, list[bool | None]], *, tags: dict[str, list[str]] | None = None,
             clusters: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Run-log samples for the given per-case outcomes (None = an errored sample)."""
    out = []
    for case_id, values in outcomes.items():
        for repeat, passed in enumerate(values):
            out.append({
                "case_id": case_id, "repeat": repeat, "output": "x", "latency_s": 0.01,
                "error": "timeout" if passed is None else None, "error_kind": "timeout" if passed is None else None,
                "scores": [] if passed is None else [{"name": "contains", "passed": passed, "value": None,
                                                      "reason": ""}],
                "passed": passed, "tags": (tags or {}).get(case_id, []), "cluster": (clusters or {}).get(case_id),
            })
    return out


def _schema(path: Any) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _random_run(seed: int, rates: np.ndarray, repeats: int) -> dict[str, list[bool | None]]:
    rng = np.random.default_rng(seed)
    draws = rng.random((rates.size, repeats)) < rates[:, None]
    return {f"case-{i:03d}": [bool(v) for v in row] for i, row in enumerate(draws)}


def test_report_has_the_documented_shape_and_validates_against_its_schema() -> None:
    outcomes: dict[str, list[bool | None]] = {
        "steady": [True] * 10, "coin": [True, False] * 5, "broken": [False] * 10, "down": [None, None],
        "partly-down": [True, None, True, True],
    }
    report = R.build_report(_samples(outcomes, tags={"coin": ["math"]}), suite="demo", log="run.jsonl")
    jsonschema.validate(json.loads(R.render_json(report)), _schema(R.REPORT_SCHEMA_PATH))
    summary = report["summary"]
    assert report["schema"] == "aiwell.eval/1" and report["suite"] == "demo" and report["log"] == "run.jsonl"
    assert summary["n_cases"] == 4 and summary["n_samples"] == 33 and summary["errors"] == 3
    assert summary["n_cases_errored"] == 1
    assert summary["ci_low"] < summary["pass_rate"] < summary["ci_high"]
    # The estimand is the mean of case pass rates, not the pooled sample rate.
    assert summary["pass_rate"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    ids = [c["id"] for c in report["cases"]]
    assert ids[0] == "coin" and ids[-1] == "down"  # flakiest first, no-data last
    coin = report["cases"][0]
    assert coin["label"] == "flaky" and coin["tags"] == ["math"] and coin["n"] == 10
    assert coin["pass_at_k"]["1"] == pytest.approx(0.5) and coin["pass_hat_k"]["3"] == pytest.approx(1 / 12)
    by_id = {c["id"]: c for c in report["cases"]}
    assert by_id["steady"]["label"] == "stable-pass" and by_id["broken"]["label"] == "stable-fail"
    assert by_id["down"]["pass_rate"] is None and by_id["down"]["errors"] == 2
    assert by_id["partly-down"]["n"] == 3 and by_id["partly-down"]["errors"] == 1
    assert len(report["samples"]) == 36


def test_one_case_suite_uses_that_cases_wilson_interval() -> None:
    report = R.build_report(_samples({"add-1": [True] * 9 + [False]}), suite="arithmetic")
    summary, (case,) = report["summary"], report["cases"]
    assert summary["method"] == "wilson" and summary["n_cases"] == 1 and summary["n_samples"] == 10
    assert (summary["pass_rate"], summary["ci_low"], summary["ci_high"]) == (case["pass_rate"], case["ci_low"],
                                                                             case["ci_high"])
    assert summary["ci_low"] == pytest.approx(0.5958, abs=1e-3)  # Wilson 9/10


def test_clustered_cases_show_a_design_effect() -> None:
    rng = np.random.default_rng(7)
    outcomes: dict[str, list[bool | None]] = {}
    clusters = {}
    for doc in range(10):
        rate = rng.choice([0.1, 0.9])
        for i in range(5):
            outcomes[f"d{doc}-{i}"] = [bool(v) for v in rng.random(4) < rate]
            clusters[f"d{doc}-{i}"] = f"doc-{doc}"
    summary = R.build_report(_samples(outcomes, clusters=clusters), suite="rag")["summary"]
    assert summary["method"] == "cluster-robust" and summary["design_effect"] > 1.5
    assert summary["effective_n"] < summary["n_samples"]


def test_everything_errored_gives_no_rate_and_a_failing_gate() -> None:
    report = R.build_report(_samples({"a": [None, None], "b": [None]}), suite="down")
    assert report["summary"]["pass_rate"] is None and report["summary"]["errors"] == 3
    gate = R.min_pass_rate_gate(report, 0.5)
    assert not gate.passed and "every sample errored" in gate.message
    R.render_terminal(report, Console(file=StringIO()))  # renders without a rate
    assert "no data" in R.render_markdown(report)


def test_min_pass_rate_gates_on_the_lower_bound_not_the_point_estimate() -> None:
    report = R.build_report(_samples({f"c{i}": [True] * 9 + [False] for i in range(3)}), suite="s")
    assert report["summary"]["pass_rate"] == pytest.approx(0.9)
    gate = R.min_pass_rate_gate(report, 0.85)
    assert not gate.passed
    assert "point estimate 90.0% clears 85.0%" in gate.message and "lower bound" in gate.message
    assert R.min_pass_rate_gate(report, report["summary"]["ci_low"]).passed


def test_errors_gate_tolerates_up_to_n() -> None:
    report = R.build_report(_samples({"a": [True, None, None]}), suite="s")
    assert R.errors_gate(report, 2).passed and not R.errors_gate(report, 1).passed


def test_compare_finds_a_planted_regression_and_adjusts_across_tags() -> None:
    rates = np.random.default_rng(1).beta(8, 2, size=200)
    a = _random_run(2, rates, 5)
    b = _random_run(3, np.clip(rates - 0.1, 0, 1), 5)
    tags = {case: ["even" if i % 2 == 0 else "odd"] for i, case in enumerate(a)}
    report_a = R.build_report(_samples(a, tags=tags), suite="s")
    report_b = R.build_report(_samples(b, tags=tags), suite="s")
    comparison = R.compare_reports(report_a, report_b)
    jsonschema.validate(json.loads(R.render_json(comparison)), _schema(R.COMPARE_SCHEMA_PATH))
    assert comparison["schema"] == "aiwell.eval-compare/1" and comparison["n_pairs"] == 200
    assert comparison["significant"] and comparison["ci_high"] < 0 and comparison["test"] == "paired-t"
    paired = comparison["b"]["paired_pass_rate"], comparison["a"]["paired_pass_rate"]
    assert comparison["delta"] == pytest.approx(paired[0] - paired[1])
    assert [row["tag"] for row in comparison["by_tag"]] == ["even", "odd"]
    assert all(row["p_adjusted"] >= row["p_value"] for row in comparison["by_tag"])
    assert comparison["cases"][0]["delta"] <= comparison["cases"][-1]["delta"]  # biggest drop first
    assert not R.non_inferiority_gate(comparison, 0.02).passed
    assert R.non_inferiority_gate(comparison, 0.5).passed


def test_compare_with_itself_is_not_significant_and_passes_non_inferiority() -> None:
    report = R.build_report(_samples(_random_run(4, np.full(50, 0.7), 3)), suite="s")
    comparison = R.compare_reports(report, report)
    assert comparison["delta"] == 0 and not comparison["significant"]
    assert R.non_inferiority_gate(comparison, 0.0).passed


def test_single_sample_pass_fail_runs_use_mcnemar() -> None:
    a = {f"c{i}": [i % 4 != 0] for i in range(40)}
    b = {f"c{i}": [i % 4 != 0 and i % 3 != 0] for i in range(40)}
    comparison = R.compare_reports(R.build_report(_samples(a), suite="s"), R.build_report(_samples(b), suite="s"))
    assert comparison["test"] == "mcnemar-exact" and comparison["delta"] < 0


def test_runs_with_different_cases_are_refused_naming_the_ids() -> None:
    a = R.build_report(_samples({"x": [True, False], "y": [True, True]}), suite="s")
    b = R.build_report(_samples({"x": [True, False], "z": [True, True]}), suite="s")
    with pytest.raises(UserError, match=r"only in A: y.*only in B: z"):
        R.compare_reports(a, b)


def test_a_case_errored_in_one_run_is_excluded_from_the_pairs() -> None:
    a = R.build_report(_samples({"x": [True, False], "y": [True, True], "w": [False, True]}), suite="s")
    b = R.build_report(_samples({"x": [True, True], "y": [None, None], "w": [True, True]}), suite="s")
    comparison = R.compare_reports(a, b)
    assert comparison["excluded"] == ["y"] and comparison["n_pairs"] == 2


def test_load_report_reads_reports_and_refuses_other_json(tmp_path: Any) -> None:
    report = R.build_report(_samples({"x": [True, False]}), suite="s")
    (tmp_path / "run.json").write_text(R.render_json(report))
    assert R.load_report(tmp_path / "run.json")["cases"] == report["cases"]
    (tmp_path / "other.json").write_text(json.dumps({"schema": "aiwell.report/1"}))
    with pytest.raises(UserError, match="not an aiwell eval report"):
        R.load_report(tmp_path / "other.json")
    with pytest.raises(UserError, match="cannot read"):
        R.load_report(tmp_path / "absent.json")


def test_render_json_writes_non_finite_numbers_as_null() -> None:
    assert json.loads(R.render_json({"x": float("nan"), "y": [float("inf")]})) == {"x": None, "y": [None]}


def test_render_json_writes_what_the_statistics_return() -> None:
    import numpy as np

    document = {1: np.float64(0.25), "n": np.int64(3), "ok": np.bool_(True), "pair": (1, 2.5), "é": "ü",
                "nested": {"m": np.float64("nan")}}
    text = R.render_json(document)
    assert json.loads(text) == {"1": 0.25, "n": 3, "ok": True, "pair": [1, 2.5], "é": "ü", "nested": {"m": None}}
    assert text.endswith("}\n") and '\n  "n": 3' in text and "ü" in text  # indented, UTF-8 as written


def test_junit_fails_stable_fail_cases_and_cases_whose_upper_bound_is_below_the_gate() -> None:
    outcomes: dict[str, list[bool | None]] = {
        "good": [True] * 10, "broken": [False] * 10, "weak": [True, False, False, True, False, True, False, False],
        "down": [None],
    }
    report = R.build_report(_samples(outcomes), suite="s")
    root = ElementTree.fromstring(R.render_junit(report, min_pass_rate=0.9))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4"
    verdicts = {case.get("name"): [child.tag for child in case if child.tag != "system-out"]
                for case in suite.iter("testcase")}
    assert verdicts == {"good": [], "broken": ["failure"], "weak": ["failure"], "down": ["error"]}
    assert suite.get("failures") == "2" and suite.get("errors") == "1"
    # Without a gate only stable-fail cases fail: a flaky case is not a CI failure on its own.
    no_gate = ElementTree.fromstring(R.render_junit(report))
    assert [c.get("name") for c in no_gate.iter("testcase") if c.find("failure") is not None] == ["broken"]


def test_markdown_and_terminal_show_the_interval_and_the_gate_verdict() -> None:
    report = R.build_report(_samples({f"c{i}": [True] * 9 + [False] for i in range(3)}), suite="pr|check")
    report["gates"] = [R.min_pass_rate_gate(report, 0.85).as_dict()]
    markdown = R.render_markdown(report)
    assert "### aiwell eval: pr\\|check" in markdown and "❌ **min-pass-rate**" in markdown
    assert re.search(r"\*\*Pass rate 90\.0%\*\* \(95% CI \d+\.\d% – \d+\.\d%", markdown)
    buffer = StringIO()
    R.render_terminal(report, Console(file=buffer, width=120, color_system=None))
    text = buffer.getvalue()
    assert "pass rate 90.0%" in text and "95% CI" in text and "gate min-pass-rate: FAIL" in text


def test_html_is_self_contained_with_an_interval_per_case() -> None:
    report = R.build_report(_samples({"a <b>": [True, False, True], "c": [True] * 4}), suite="s")
    page = R.render_html(report)
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"""(src|href)=["']?https?:""", page) and "<script" not in page
    assert page.count("<svg") == 2 and "a &lt;b&gt;" in page  # escaped, one interval bar per case


def test_compare_renderers_draw_a_forest_plot_per_tag() -> None:
    rates = np.random.default_rng(5).beta(8, 2, size=60)
    tags = {f"case-{i:03d}": [f"t{i % 3}"] for i in range(60)}
    a = R.build_report(_samples(_random_run(6, rates, 4), tags=tags), suite="s")
    b = R.build_report(_samples(_random_run(7, np.clip(rates - 0.2, 0, 1), 4), tags=tags), suite="s")
    comparison = R.compare_reports(a, b, adjust="bh")
    page = R.render_compare_html(comparison)
    assert "forest plot" in page and all(f">t{i}</text>" in page for i in range(3)) and ">overall</text>" in page
    assert "<script" not in page
    plot = R.forest_plot([{"tag": "x", "delta": -0.1, "ci_low": -0.15, "ci_high": -0.05, "significant": True,
                           "overall": True}])
    (row,) = plot["rows"]
    assert row["x_low"] < row["x"] < row["x_high"] < plot["zero"]
    # JUnit agrees with the exit code: without a gate nothing fails (the change is in system-out) ...
    junit = ElementTree.fromstring(R.render_compare_junit(comparison))
    assert junit.find(".//failure") is None
    assert "significant" in (junit.find("testsuite/testcase[@name='overall']/system-out").text or "")
    # ... and a gate that failed (exit 1) is the one failing testcase.
    gated = {**comparison, "gates": [R.Gate("regression", False, "a significant drop from A to B").as_dict()]}
    junit = ElementTree.fromstring(R.render_compare_junit(gated))
    assert [e.get("name") for e in junit.iter("testcase") if e.find("failure") is not None] == ["gate: regression"]
    markdown = R.render_compare_markdown(comparison)
    assert "| t0 |" in markdown and "p (bh)" in markdown
    buffer = StringIO()
    R.render_compare_terminal(comparison, Console(file=buffer, width=120, color_system=None))
    assert "significant" in buffer.getvalue() and "by tag (bh-adjusted p)" in buffer.getvalue()
