"""Importers read other harnesses' result files as run-log samples. The fixtures are files the real tools wrote
against aiwell's stub model (scripts/regen_eval_fixtures.py; the tool's version is in the file name): the same
questions for each, one the stub answers right on the second of three tries only ("france"), one always right
("add"), one whose requests always fail with HTTP 500 ("refund"), and for azure-ai-evaluation one whose judge reply
can't be read ("ebook")."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from aiwell.errors import UsageError
from aiwell.eval.importers import import_results
from aiwell.eval.report import build_report, compare_reports, error_groups

IMPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "imports"
PROMPTFOO = IMPORTS / "promptfoo-0.123.1.json"
INSPECT = IMPORTS / "inspect-0.3.285.json"
AZURE = IMPORTS / "azure-ai-evaluation-1.18.10.json"
LM_EVAL = IMPORTS / "lm-eval-0.4.13.jsonl"


def _by_case(samples: list[dict[str, Any]]) -> dict[str, list[bool | None]]:
    out: dict[str, list[bool | None]] = {}
    for sample in sorted(samples, key=lambda s: (str(s["case_id"]), int(s["repeat"]))):
        out.setdefault(str(sample["case_id"]), []).append(sample["passed"])
    return out


def _copy(tmp_path: Path, source: Path, edit: Any) -> Path:
    """A copy of a real fixture with one change made by `edit(data)`."""
    data = json.loads(source.read_text(encoding="utf-8"))
    edit(data)
    target = tmp_path / source.name
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def test_the_fixtures_are_the_tools_own_files() -> None:
    assert json.loads(PROMPTFOO.read_text())["metadata"]["promptfooVersion"] == "0.123.1"
    assert json.loads(INSPECT.read_text())["eval"]["packages"]["inspect_ai"] == "0.3.285"
    assert "rows" in json.loads(AZURE.read_text())
    assert all("doc_hash" in json.loads(line) for line in LM_EVAL.read_text().splitlines())


def test_promptfoo_repeats_are_samples_of_one_test_and_provider_errors_are_errors() -> None:
    run = import_results(PROMPTFOO, "promptfoo")
    assert run.suite == "aiwell importer fixture" and run.details["providers"] == ["openai:chat:stub-model"]
    # promptfoo --repeat 3 writes each repeat as a test of its own (testIdx 0..8): the importer joins them again.
    assert _by_case(run.samples) == {"add": [True] * 3, "france": [False, True, False], "refund": [None] * 3}
    errored = next(s for s in run.samples if s["passed"] is None)
    assert str(errored["error"]).startswith("API error: 500 Internal Server Error")
    assert errored["scores"] == [] and errored["usage"] is None  # an error is not a failed assertion
    failed = next(s for s in run.samples if s["passed"] is False)
    assert failed["error"] is None and failed["output"] == "I am not sure."
    assert failed["scores"] == [{"name": "icontains", "passed": False, "value": 0.0,
                                 "reason": 'Expected output to contain "Paris"'}]
    assert failed["tags"] == ["geo"] and failed["latency_s"] > 0
    assert failed["usage"] == {"prompt_tokens": 8, "completion_tokens": 4} and failed["model"] == "stub-model"


def test_promptfoo_with_two_providers_keeps_them_apart(tmp_path: Path) -> None:
    def second_provider(data: dict[str, Any]) -> None:
        for result in data["results"]["results"][:3]:
            result["provider"] = {"id": "azureopenai:chat:gpt-4o", "label": ""}

    run = import_results(_copy(tmp_path, PROMPTFOO, second_provider), "promptfoo")
    assert _by_case(run.samples)["azureopenai:chat:gpt-4o | {{question}} | france"] == [False, True, False]
    assert "openai:chat:stub-model | {{question}} | add" in _by_case(run.samples)
    first = next(s for s in run.samples if s["case_id"].startswith("azureopenai"))
    assert "provider:azureopenai:chat:gpt-4o" in first["tags"] and first["model"] == "gpt-4o"


def test_promptfoo_tests_sharing_a_description_but_not_vars_are_two_cases(tmp_path: Path) -> None:
    def same_description(data: dict[str, Any]) -> None:
        for result in data["results"]["results"]:
            result["testCase"]["description"] = "geography and arithmetic"

    run = import_results(_copy(tmp_path, PROMPTFOO, same_description), "promptfoo")
    cases = _by_case(run.samples)
    assert len(cases) == 3 and all(len(outcomes) == 3 for outcomes in cases.values())
    assert cases['geography and arithmetic {"question": "What is the capital of France?"}'] == [False, True, False]


def test_inspect_epochs_are_repeats_and_the_error_is_the_one_tenacity_wrapped() -> None:
    run = import_results(INSPECT, "inspect")
    assert run.suite == "aiwell_fixture" and run.details["model"] == "openai-api/stub/stub-model"
    assert _by_case(run.samples) == {"add": [True] * 3, "france": [False, True, False], "refund": [None] * 3}
    errored = [s for s in run.samples if s["passed"] is None]
    # Inspect logs "RetryError[<Future at 0x... raised InternalServerError>]"; the cause is in the traceback.
    raw = json.loads(INSPECT.read_text())["samples"]
    assert all("RetryError" in s["error"]["message"] for s in raw if s.get("error"))
    assert {s["error"] for s in errored} == {"openai.InternalServerError: Error code: 500 - Internal server error "
                                             "(stub)."}
    assert all(s["output"] is None and s["scores"] == [] for s in errored)
    france = next(s for s in run.samples if s["case_id"] == "france" and s["repeat"] == 1)
    assert france["output"] == "Paris is the capital of France." and france["tags"] == ["geo"]
    assert france["usage"] == {"prompt_tokens": 8, "completion_tokens": 8} and france["model"] == "stub-model"


def test_inspect_threshold_decides_partial_credit(tmp_path: Path) -> None:
    def partial(data: dict[str, Any]) -> None:
        for sample in data["samples"]:
            if sample["id"] == "france" and sample["epoch"] == 1:
                sample["scores"]["includes"]["value"] = "P"

    path = _copy(tmp_path, INSPECT, partial)
    strict = import_results(path, "inspect")
    lenient = import_results(path, "inspect", threshold=0.5)
    assert _by_case(strict.samples)["france"][0] is False
    assert _by_case(lenient.samples)["france"][0] is True
    first = next(s for s in strict.samples if s["case_id"] == "france" and s["repeat"] == 0)
    assert first["scores"][0]["value"] == 0.5


def test_azure_rows_with_one_id_are_repeats_and_an_unreadable_judge_is_an_error() -> None:
    run = import_results(AZURE, "azure-ai-evaluation")
    assert _by_case(run.samples) == {"add": [True] * 3, "ebook": [None], "france": [False, True, False]}
    failed = next(s for s in run.samples if s["passed"] is False)
    assert {(s["name"], s["passed"]) for s in failed["scores"]} == {("f1.f1_score", False),
                                                                   ("relevance.relevance", False)}
    assert next(s["value"] for s in failed["scores"] if s["name"] == "relevance.relevance") == 1.0
    assert failed["judge_usage"]["prompt_tokens"] > 1000  # the relevance judge's prompt, from its properties
    errored = next(s for s in run.samples if s["passed"] is None)
    assert errored["error"] == "no result from: relevance.relevance"
    # azure-ai-evaluation itself counts the unjudged row as a failure (6 of 7 rows "pass" relevance would be 0.86).
    assert run.details["metrics"]["relevance.binary_aggregate"] == 0.57


def test_lm_eval_docs_are_cases_scored_by_their_metrics(tmp_path: Path) -> None:
    run = import_results(LM_EVAL, "lm-eval")
    assert _by_case(run.samples) == {"0": [False], "1": [True], "2": [True]}
    assert run.details["filter"] == "none"
    failed = next(s for s in run.samples if s["passed"] is False)
    assert failed["output"] == "I am not sure." and failed["scores"][0]["name"] == "exact_match"
    # lm-eval names its file samples_<task>_<time>.jsonl: the task is the suite.
    named = tmp_path / "samples_aiwell_fixture_2026-12-02T13-08-55.123456.jsonl"
    named.write_text(LM_EVAL.read_text())
    assert import_results(named, "lm-eval").suite == "aiwell_fixture"
    assert _by_case(import_results(LM_EVAL, "lm-eval", threshold=0.0).samples)["0"] == [True]


def test_lm_eval_with_several_filters_needs_one_chosen(tmp_path: Path) -> None:
    records = [json.loads(line) for line in LM_EVAL.read_text().splitlines()]
    loose = [{**r, "filter": "loose", "exact_match": 1.0} for r in records]
    path = tmp_path / "two-filters.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records + loose))
    with pytest.raises(UsageError, match="2 filters \\(none, loose\\)") as caught:
        import_results(path, "lm-eval")
    assert "--filter" in str(caught.value.hint)
    assert _by_case(import_results(path, "lm-eval", lm_eval_filter="loose").samples)["0"] == [True]
    assert _by_case(import_results(path, "lm-eval", lm_eval_filter="none").samples)["0"] == [False]
    with pytest.raises(UsageError, match="no filter 'strict'"):
        import_results(path, "lm-eval", lm_eval_filter="strict")
    (tmp_path / "nan.jsonl").write_text(json.dumps({**records[0], "exact_match": float("nan")}) + "\n")
    errored = import_results(tmp_path / "nan.jsonl", "lm-eval").samples[0]
    assert errored["passed"] is None and errored["error"] == "no value for: exact_match"


@pytest.mark.parametrize(("path", "source", "errors"), [(PROMPTFOO, "promptfoo", 3), (INSPECT, "inspect", 3),
                                                         (AZURE, "azure-ai-evaluation", 1), (LM_EVAL, "lm-eval", 0)])
def test_imported_runs_get_the_statistics_and_compare_with_themselves(path: Path, source: str, errors: int) -> None:
    run = import_results(path, source)
    report = build_report(run.samples, suite=run.suite)
    assert report["summary"]["errors"] == errors and report["summary"]["n_cases"] == len(report["cases"]) - (
        errors > 0)  # the case whose every sample errored is listed, not counted
    assert 0 <= report["summary"]["ci_low"] <= report["summary"]["pass_rate"] <= report["summary"]["ci_high"] <= 1
    assert compare_reports(report, report)["delta"] == 0
    if errors:
        (group,) = error_groups(run.samples)  # every error of a file has one cause
        assert group["count"] == errors


def test_errors_differing_only_in_addresses_have_one_cause() -> None:
    samples = [{"case_id": "a", "passed": None, "error_kind": "imported",
                "error": f"RetryError[<Future at 0x7f96{n}8818f950 state=finished raised InternalServerError>]"}
               for n in ("a", "bc", "d")]
    assert [g["count"] for g in error_groups(samples)] == [3]


@pytest.mark.parametrize("source", ["promptfoo", "inspect", "azure-ai-evaluation", "lm-eval"])
def test_another_tools_file_is_a_usage_error(source: str) -> None:
    for path in (PROMPTFOO, INSPECT, AZURE, LM_EVAL):
        if path.name.startswith(source):
            assert import_results(path, source).samples
            continue
        with pytest.raises(UsageError, match="does not look like|Inspect eval log|JSON Lines"):
            import_results(path, source)


def test_azure_rows_without_thresholded_results_say_how_to_get_them(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(json.dumps({"rows": [{"inputs.query": "q", "outputs.f1.f1_score": 0.4}]}))
    with pytest.raises(UsageError, match="no pass/fail results") as caught:
        import_results(tmp_path / "old.json", "azure-ai-evaluation")
    assert "threshold" in str(caught.value.hint)


def test_unreadable_inputs_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(UsageError, match=r"bad\.json:1: not valid JSON"):
        import_results(tmp_path / "bad.json", "inspect")
    with pytest.raises(UsageError, match=r"bad\.json:1: not valid JSON"):
        import_results(tmp_path / "bad.json", "lm-eval")
    (tmp_path / "torn.jsonl").write_text(LM_EVAL.read_text() + '{"doc_id": 3, "metr\n')
    with pytest.raises(UsageError, match=r"torn\.jsonl:4: not valid JSON"):
        import_results(tmp_path / "torn.jsonl", "lm-eval")
    with pytest.raises(UsageError, match="cannot read"):
        import_results(tmp_path / "missing.json", "inspect")
    with zipfile.ZipFile(tmp_path / "log.eval", "w") as archive:
        archive.writestr("header.json", "{}")
    with pytest.raises(UsageError, match="zip archive") as caught:
        import_results(tmp_path / "log.eval", "inspect")
    assert "inspect log convert" in str(caught.value.hint)
    (tmp_path / "nosamples.json").write_text(json.dumps({"eval": {"task": "t"}, "status": "success"}))
    with pytest.raises(UsageError, match="no samples"):
        import_results(tmp_path / "nosamples.json", "inspect")
    with pytest.raises(UsageError, match="unknown import format"):
        import_results(INSPECT, "deepeval")
