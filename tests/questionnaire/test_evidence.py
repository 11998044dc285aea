"""Pre-filling answers from evidence: real `aiwell eval` and `aiwell size` reports written by the commands, an
`aiwell.data/1` document with the documented keys, and the reviewed resources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from aiwell.cli.main import cli
from aiwell.model import Resource, Source, SourceFormat
from aiwell.questionnaire import load_questions
from aiwell.questionnaire.evidence import EvidenceError, infer_answers, load_evidence

CATALOG = load_questions()


def _invoke(*args: str) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(args=list(args), prog_name="aiwell")
    assert done.value.code in (0, None)


@pytest.fixture(scope="module")
def eval_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("eval")
    (folder / "evidencebot.py").write_text("def answer(question):\n    return 'a safe answer'\n")
    suite = {"name": "support", "target": {"type": "python", "function": "evidencebot:answer"}, "repeats": 2,
             "cases": [{"id": f"c{i:02d}", "input": f"question {i}", "tags": ["jailbreak"] if i < 3 else [],
                        "assert": [{"type": "contains", "value": "safe"}]} for i in range(30)]}
    (folder / "suite.yaml").write_text(yaml.safe_dump(suite))
    import sys
    sys.path.insert(0, str(folder))
    try:
        _invoke("eval", "run", str(folder / "suite.yaml"), "--format", "json", "--output", str(folder / "run.json"),
                "--log", str(folder / "run.jsonl"), "--min-pass-rate", "0.5")
    finally:
        sys.path.remove(str(folder))
    return folder / "run.json"


def test_an_eval_report_pre_fills_the_testing_questions(eval_report: Path) -> None:
    inferred = infer_answers(CATALOG, reports=[load_evidence(eval_report)])
    assert inferred["Q-TE-01"].choices == ("statistical",)
    assert "30 cases × 2 repeat(s), 2 gate(s)" in (inferred["Q-TE-01"].inferred or "")
    assert inferred["Q-TE-02"].choices == ("under-50",)
    assert inferred["Q-TE-05"].choices == ("jailbreak",)
    assert inferred["Q-MLO-04"].choices == ("defined",)
    assert all(answer.inferred for answer in inferred.values())


def test_a_size_report_pre_fills_the_sizing_questions(tmp_path: Path) -> None:
    out = tmp_path / "ptu.json"
    _invoke("size", "ptu", "--model", "gpt-4o", "--deployment", "global", "--rpm", "60", "--input-tokens", "1000",
            "--output-tokens", "200", "--format", "json", "--output", str(out))
    inferred = infer_answers(CATALOG, reports=[load_evidence(out)])
    assert inferred["Q-AP-01"].choices == ("estimated",)
    assert inferred["Q-AP-08"].choices == ("decided-once",)
    assert "Q-AP-02" not in inferred  # no training was sized


def test_a_data_report_pre_fills_the_data_questions(tmp_path: Path) -> None:
    facets = {name: {"score": None, "passed": 0, "failed": 0, "unknown": 0, "coverage": None, "measured": False}
              for name in ("volume", "types", "origins", "sensitivity", "preparation", "freshness", "balance",
                           "leakage", "drift")}
    facets["volume"].update(measured=True, passed=1, score=100.0)
    facets["sensitivity"].update(measured=True, failed=2, score=0.0)
    facets["preparation"].update(measured=True, passed=3, score=100.0)
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"schema": "aiwell.data/1", "scores": {"overall": 50.0, "facets": facets}}))
    inferred = infer_answers(CATALOG, reports=[load_evidence(path)])
    assert inferred["Q-DD-01"].choices == ("measured",)
    assert inferred["Q-DD-05"].choices == ("defined",)
    assert inferred["Q-RAI-07"].choices == ("ad-hoc",) and inferred["Q-DD-04"].choices == ("ad-hoc",)
    assert "Q-DD-06" not in inferred  # freshness was not measured


def test_the_reviewed_iac_pre_fills_what_it_shows() -> None:
    source = Source(SourceFormat.BICEP, "infra/main.bicep", 1)
    resources = [
        Resource.from_arm({"type": "Microsoft.CognitiveServices/accounts", "name": "oai", "kind": "OpenAI"}, source),
        Resource.from_arm({"type": "Microsoft.CognitiveServices/accounts/deployments", "name": "oai/gpt",
                           "properties": {"raiPolicyName": "strict"}}, source),
    ]
    inferred = infer_answers(CATALOG, resources=resources)
    assert inferred["Q-MLO-03"].choices == ("defined",) and "infra/main.bicep" in (inferred["Q-MLO-03"].inferred or "")
    assert inferred["Q-RAI-06"].choices == ("model-filter",)
    inventory = [Resource.from_arm({"type": "Microsoft.CognitiveServices/accounts", "name": "oai"},
                                   Source(SourceFormat.INVENTORY, "export.json"))]
    assert "Q-MLO-03" not in infer_answers(CATALOG, resources=inventory)


def test_a_file_that_is_not_an_aiwell_report_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"schema": "aiwell.report/1"}')
    with pytest.raises(EvidenceError, match="other.json: not an aiwell eval, size or data report"):
        load_evidence(path)
    path.write_text("{")
    with pytest.raises(EvidenceError, match=r"other.json:1: not valid JSON"):
        load_evidence(path)
