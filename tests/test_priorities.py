"""Priorities, weights, WAF codes and the ranked top actions: what to fix first, with the fix in the language of
the failing resources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwell.model import (
    DesignArea,
    Pillar,
    QuestionAnswer,
    Resource,
    Result,
    RuleInfo,
    Severity,
    Source,
    SourceFormat,
    Status,
)
from aiwell.priorities import Remedy, priority, top_actions, waf_code, weight
from cli_run import run_cli

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ai-chat"


def _rule(rule_id: str, severity: Severity, *pillars: Pillar, waf: tuple[str, ...] = ()) -> RuleInfo:
    return RuleInfo(id=rule_id, name=rule_id.lower(), title=rule_id, severity=severity,
                    pillars=pillars or (Pillar.SECURITY,), design_area=DesignArea.APPLICATION_PLATFORM, waf=waf)


def _result(rule: RuleInfo, status: Status, resource: str, answer: QuestionAnswer | None = None) -> Result:
    return Result(rule=rule, status=status, resource_id=resource, resource_type="t", resource_name=resource,
                  message="m", answer=answer)


def test_priority_weight_and_waf_code() -> None:
    assert (priority(_rule("A", Severity.HIGH)), weight(_rule("A", Severity.HIGH))) == ("High", 100)
    assert (priority(_rule("A", Severity.MEDIUM)), weight(_rule("A", Severity.MEDIUM))) == ("Medium", 65)
    assert (priority(_rule("A", Severity.LOW)), weight(_rule("A", Severity.LOW))) == ("Low", 32)
    assert weight(_rule("A", Severity.HIGH, Pillar.COST_OPTIMIZATION), {Pillar.COST_OPTIMIZATION: 0.5}) == 50
    assert waf_code(_rule("A", Severity.LOW, waf=("SE:05", "RE:04"))) == "SE:05"
    assert waf_code(_rule("A", Severity.LOW)) is None


def test_actions_rank_by_severity_then_pillar_weight_then_resources_then_gain() -> None:
    high_one = _rule("HHH001", Severity.HIGH, Pillar.SECURITY)
    high_two = _rule("HHH002", Severity.HIGH, Pillar.RELIABILITY)
    high_cost = _rule("HHH003", Severity.HIGH, Pillar.COST_OPTIMIZATION)
    medium = _rule("MMM001", Severity.MEDIUM)
    question = _rule("Q-TE-01", Severity.HIGH, Pillar.RELIABILITY)
    results = [
        _result(high_one, Status.FAIL, "/a"),
        _result(high_two, Status.FAIL, "/a"), _result(high_two, Status.FAIL, "/b"),
        _result(high_cost, Status.FAIL, "/a"), _result(high_cost, Status.FAIL, "/b"),
        _result(high_cost, Status.FAIL, "/c"),
        *(_result(medium, Status.FAIL, f"/m{i}") for i in range(5)),
        _result(high_one, Status.PASS, "/c"),
        _result(question, Status.FAIL, "", QuestionAnswer(("small-set",), 0.33)),
    ]
    remedies = {"HHH001": Remedy({"arm": "ARM fix", "terraform": "TF fix"}, "text"),
                "Q-TE-01": Remedy({}, "Run a suite of cases several times.")}
    ranked = top_actions(results, remedies=remedies, weights={Pillar.COST_OPTIMIZATION: 0.5}, limit=None)
    # Cost weighs half: its three resources rank after the other high actions; medium comes last.
    assert [a.rule.id for a in ranked] == ["HHH002", "HHH001", "Q-TE-01", "HHH003", "MMM001"]
    by_id = {a.rule.id: a for a in ranked}
    total = 3 * 1 + 3 * 2 + 3 * 3 + 2 * 5 + 3 + 3   # every decided result's weight
    assert by_id["HHH002"].gain == round(100 * 6 / total, 1)
    assert by_id["Q-TE-01"].gain == round(100 * 3 * 0.67 / total, 1)   # what the better answer would add
    assert by_id["HHH002"].resources == ("/a", "/b") and by_id["Q-TE-01"].resources == ()
    assert by_id["Q-TE-01"].remediation == "Run a suite of cases several times."
    assert by_id["HHH003"].weight == 50
    assert len(top_actions(results, remedies=remedies)) == 5
    assert top_actions(results, remedies=remedies, weights={Pillar.COST_OPTIMIZATION: 0.5}, limit=2) == ranked[:2]


def test_the_fix_is_in_the_language_of_the_failing_resource() -> None:
    rule = _rule("HHH001", Severity.HIGH)
    remedies = {"HHH001": Remedy({"arm": "ARM fix", "terraform": "TF fix"}, "what to do")}
    for source_format, expected in ((SourceFormat.TERRAFORM, ("terraform", "TF fix")),
                                    (SourceFormat.INVENTORY, ("arm", "ARM fix")),
                                    (SourceFormat.BICEP, ("text", "what to do"))):   # no Bicep snippet: the text
        resource = Resource.from_arm({"type": "t", "name": "a"}, Source(source_format, "f"), resource_id="/a")
        (action,) = top_actions([_result(rule, Status.FAIL, "/a")], remedies=remedies, resources=[resource])
        assert (action.remediation_format, action.remediation) == expected


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    return run_cli(capsys, *args)[1]


def test_top_actions_come_first_in_the_terminal_and_in_json(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = _run(capsys, "review", str(EXAMPLE))
    assert out.index("Top actions") < out.index("Reliability · score") < out.index("Security · score")
    top = out[out.index("Top actions"):out.index("Reliability · score")]
    assert "Fix (arm):" in top and " 5. " in top and " 6. " not in top
    out = _run(capsys, "review", str(EXAMPLE), "--top", "2")
    top = out[out.index("Top actions"):out.index("Reliability · score")]
    assert " 2. " in top and " 3. " not in top
    assert "Top actions" not in _run(capsys, "review", str(EXAMPLE), "--top", "0")
    report = json.loads(_run(capsys, "review", str(EXAMPLE), "--format", "json", "--top", "3"))
    actions = report["top_actions"]
    assert len(actions) == 3 and all(a["severity"] == "high" for a in actions)
    assert {"rule_id", "resources", "gain", "remediation", "priority", "weight", "waf_code"} <= set(actions[0])
    assert actions[0]["remediation"]["format"] == "arm" and actions[0]["remediation"]["text"]


def test_top_actions_name_a_resource_with_an_unresolved_id_as_its_findings_do(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    template = tmp_path / "main.bicep"
    template.write_text("param suffix string\n"
                        "resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {\n"
                        "  name: 'kv-${suffix}'\n  location: 'eastus2'\n"
                        "  properties: { tenantId: subscription().tenantId, sku: { family: 'A', name: 'standard' } }\n"
                        "}\n", encoding="utf-8")
    out = _run(capsys, "review", str(template))
    top = out[out.index("Top actions"):out.index(" · score")]
    assert "<unresolved: 'kv-${suffix}'>" in top  # the name, as in the findings below
    assert "vault.id" not in top  # not the symbolic id expression
