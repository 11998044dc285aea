"""Importers read other harnesses' result files, in their documented shapes, as run-log samples."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from aiwell.errors import UsageError
from aiwell.eval.importers import import_results
from aiwell.eval.report import build_report, compare_reports

IMPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "imports"


def _by_case(samples: list[dict[str, object]]) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for sample in sorted(samples, key=lambda s: (str(s["case_id"]), int(s["repeat"]))):  # type: ignore[call-overload]
        out.setdefault(str(sample["case_id"]), []).append(sample["passed"])
    return out


def test_promptfoo_repeats_become_samples_of_one_case_and_provider_errors_are_errors() -> None:
    run = import_results(IMPORTS / "promptfoo.json", "promptfoo")
    assert run.suite == "support bot"
    assert _by_case(run.samples) == {"capital of France": [True, True, False], "refund policy": [True, None, True]}
    errored = next(s for s in run.samples if s["passed"] is None)
    assert errored["error"] == "API error: 500 Internal Server Error"
    failed = next(s for s in run.samples if s["passed"] is False)
    assert failed["error"] is None  # an assertion failure is a failure, not an error
    assert failed["scores"] == [{"name": "icontains", "passed": False, "value": 0.0,
                                 "reason": 'Expected output to contain "Paris"'}]
    assert failed["tags"] == ["geo"] and failed["latency_s"] == pytest.approx(0.422)


def test_promptfoo_with_two_providers_keeps_them_apart(tmp_path: Path) -> None:
    data = json.loads((IMPORTS / "promptfoo.json").read_text())
    for result in data["results"]["results"][:3]:
        result["provider"] = {"id": "azureopenai:chat:gpt-4o", "label": ""}
    (tmp_path / "two.json").write_text(json.dumps(data))
    run = import_results(tmp_path / "two.json", "promptfoo")
    ids = {s["case_id"] for s in run.samples}
    assert ids == {"azureopenai:chat:gpt-4o | Answer: {{question}} | capital of France",
                   "openai:gpt-4o-mini | Answer: {{question}} | refund policy"}
    assert "provider:azureopenai:chat:gpt-4o" in run.samples[0]["tags"]  # type: ignore[operator]


def test_inspect_epochs_are_repeats_and_letter_grades_are_read_like_inspect() -> None:
    run = import_results(IMPORTS / "inspect.json", "inspect")
    assert run.suite == "arithmetic" and run.details["model"] == "openai/gpt-4o-mini"
    assert _by_case(run.samples) == {"1": [True, True], "2": [False, True], "3": [True, None]}
    errored = next(s for s in run.samples if s["passed"] is None)
    assert "429" in str(errored["error"])
    assert next(s for s in run.samples if s["case_id"] == "2")["output"] == "41"


def test_inspect_threshold_decides_partial_credit(tmp_path: Path) -> None:
    data = json.loads((IMPORTS / "inspect.json").read_text())
    data["samples"][2]["scores"]["match"]["value"] = "P"
    (tmp_path / "partial.json").write_text(json.dumps(data))
    strict = import_results(tmp_path / "partial.json", "inspect")
    lenient = import_results(tmp_path / "partial.json", "inspect", threshold=0.5)
    assert _by_case(strict.samples)["2"][0] is False
    assert _by_case(lenient.samples)["2"][0] is True
    assert next(s for s in strict.samples if s["case_id"] == "2")["scores"][0]["value"] == 0.5  # type: ignore[index]


def test_azure_rows_with_one_id_are_repeats_and_a_missing_result_is_an_error() -> None:
    run = import_results(IMPORTS / "azure-ai-evaluation.json", "azure-ai-evaluation")
    assert _by_case(run.samples) == {"q1": [True, False], "q2": [True, False], "q3": [None, True]}
    first = run.samples[0]
    assert {s["name"] for s in first["scores"]} == {"relevance.relevance", "groundedness.groundedness"}  # type: ignore[union-attr]
    assert next(s for s in run.samples if s["passed"] is None)["error"] == "no result from: groundedness.groundedness"
    assert run.details["metrics"]["groundedness.binary_aggregate"] == 0.6


@pytest.mark.parametrize(("name", "source"), [("promptfoo.json", "promptfoo"), ("inspect.json", "inspect"),
                                               ("azure-ai-evaluation.json", "azure-ai-evaluation")])
def test_imported_runs_get_the_statistics_and_compare_with_themselves(name: str, source: str) -> None:
    run = import_results(IMPORTS / name, source)
    report = build_report(run.samples, suite=run.suite)
    assert report["summary"]["errors"] == 1 and report["summary"]["n_cases"] == len(report["cases"])
    assert 0 <= report["summary"]["ci_low"] <= report["summary"]["pass_rate"] <= report["summary"]["ci_high"] <= 1
    assert compare_reports(report, report)["delta"] == 0


def test_a_file_in_the_wrong_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="does not look like promptfoo"):
        import_results(IMPORTS / "azure-ai-evaluation.json", "promptfoo")
    with pytest.raises(UsageError, match="Inspect eval log"):
        import_results(IMPORTS / "promptfoo.json", "inspect")
    with pytest.raises(UsageError, match="does not look like azure-ai-evaluation"):
        import_results(IMPORTS / "inspect.json", "azure-ai-evaluation")


def test_azure_rows_without_thresholded_results_say_how_to_get_them(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(json.dumps({"rows": [{"inputs.query": "q", "outputs.f1.f1_score": 0.4}]}))
    with pytest.raises(UsageError, match="no pass/fail results") as caught:
        import_results(tmp_path / "old.json", "azure-ai-evaluation")
    assert "threshold" in str(caught.value.hint)


def test_unreadable_inputs_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(UsageError, match=r"bad\.json:1: not valid JSON"):
        import_results(tmp_path / "bad.json", "inspect")
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
        import_results(IMPORTS / "inspect.json", "deepeval")
