"""A team's own rules (`--rules-dir`, `rules_dir` in [tool.aiwell]): loaded beside the catalog, run in the review,
listed and documented by `aiwell rules`, tested by their fixtures with `aiwell rules --test`, and refused with the
file and line when malformed or missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_run import run_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ai-chat"
CUSTOM = ROOT / "examples" / "custom-rules"

RULE = """\
- id: ORG100
  name: search-service-name-off-convention
  title: Search service name does not start with srch-
  resource_types: [Microsoft.Search/searchServices]
  pillars: [operational-excellence]
  design_area: operations
  severity: high
  condition: {field: name, like: "srch-*"}
  doc:
    what: Checks the search service's name.
    why: Names say what a resource is.
    example: '{"name": "search"}'
    use_instead: {arm: '{"name": "srch-chat"}'}
  references: [https://learn.microsoft.com/azure/cloud-adoption-framework/]
"""


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")   # messages on one line, as the assertions read them


def _folder(tmp_path: Path, text: str = RULE, name: str = "rules.yaml") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_review_runs_the_bundled_custom_rules_beside_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(CUSTOM), "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    names = {r["id"]: r["name"] for r in report["resources"]}
    statuses = {(r["rule_id"], names.get(r.get("resource_id", ""), "")): r["status"] for r in report["results"]}
    account = next(r["name"] for r in report["resources"] if r["type"] == "Microsoft.CognitiveServices/accounts")
    # The example's account is called contoso-chat-oai-...: off the oai-/ais- convention.
    assert statuses[("ORG001", account)] == "fail"
    assert statuses[("ORG004", f"{account}/gpt-4o")] == "fail"
    assert statuses[("AIS002", account)] == "fail"   # the catalog still runs
    assert any(action["rule_id"].startswith("ORG") for action in report["top_actions"])


def test_custom_rules_are_listed_and_documented(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "rules", "--rules-dir", str(CUSTOM), "--format", "json")
    assert code == 0
    listed = {rule["id"]: rule for rule in json.loads(out)}
    assert {"ORG001", "ORG002", "ORG003", "ORG004", "AIS001"} <= set(listed)
    assert listed["ORG001"]["origin"].endswith("naming.yaml:2")
    code, out, _ = run_cli(capsys, "rules", "ORG003", "--rules-dir", str(CUSTOM))
    assert code == 0 and "region-not-allowed" in out


def test_rules_test_runs_the_fixtures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "rules", "--rules-dir", str(CUSTOM), "--test")
    assert code == 0, out
    assert "4 rules, 4 fixture cases, 0 failed" in out
    # A fixture whose expectation the rule does not meet fails the run.
    broken = tmp_path / "custom"
    shutil.copytree(CUSTOM, broken)
    fixture = broken / "fixtures" / "ORG001.yaml"
    fixture.write_text(fixture.read_text().replace("{resource: oai-chat-prod, status: pass}",
                                                   "{resource: oai-chat-prod, status: fail}"))
    code, out, _ = run_cli(capsys, "rules", "--rules-dir", str(broken), "--test")
    assert code == 1
    assert "FAIL ORG001" in out and "unexpected oai-chat-prod pass" in out
    # A rule without a fixture is not covered: that fails too.
    (broken / "fixtures" / "ORG002.yaml").unlink()
    fixture.write_text((CUSTOM / "fixtures" / "ORG001.yaml").read_text())
    code, out, _ = run_cli(capsys, "rules", "--rules-dir", str(broken), "--test")
    assert code == 1 and "ORG002: no fixture" in out


@pytest.mark.parametrize(("text", "message"), [
    (RULE.replace("like:", "likee:"), "rules.yaml:8: rule ORG100: condition: unknown operator likee"),
    (RULE.replace("[operational-excellence]", "[operations]"), "rules.yaml:5: rule ORG100: `pillars` is"),
    (RULE.replace("ORG100", "SRC100"), "the prefix SRC belongs to aiwell's own rules"),
    (RULE.replace("search-service-name-off-convention", "ai-services-local-auth-enabled"),
     "'ai-services-local-auth-enabled' is already used by AIS002"),
    (RULE + "  check: python\n", "custom rules are declarative"),
    (RULE.replace("  title:", "  title: [\n"), "rules.yaml:5: not valid YAML"),
    ("id: ORG100\n", "rules.yaml:1: a rule file is a YAML list of rule entries"),
    ("# nothing yet\n", "rules.yaml: the rule file holds no rules"),
])
def test_a_malformed_rule_file_is_a_usage_error_naming_file_and_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str) -> None:
    folder = _folder(tmp_path, text)
    code, out, err = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(folder))
    assert code == 2
    assert message in err, err
    assert "Traceback" not in err and out == ""


def test_a_rules_folder_without_rules_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(empty))
    assert code == 2 and "no rule files" in err
    code, _, err = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(tmp_path / "missing"))
    assert code == 2 and "missing" in err


def test_rules_dir_from_the_configuration(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.aiwell]\nrules_dir = "rules"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "review", str(EXAMPLE), "--format", "json")
    assert code == 1, err
    results = [r for r in json.loads(out)["results"] if r["rule_id"] == "ORG100"]
    assert [r["status"] for r in results] == ["fail"]   # contoso-chat-srch-... is off the convention
    assert folder.is_dir()


def test_fixture_cases_through_the_loaders_and_malformed_fixtures(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    fixtures = folder / "fixtures"
    fixtures.mkdir()
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "parameters": {"name": {"type": "string"}},
                "resources": [{"type": "Microsoft.Search/searchServices", "apiVersion": "2024-06-01-preview",
                               "name": "[parameters('name')]", "location": "eastus"}]}
    fixture = fixtures / "ORG100.yaml"
    fixture.write_text(json.dumps({"rule": "ORG100", "cases": [
        {"name": "named by a parameter", "template": template, "parameters": {"name": "srch-chat"},
         "expected": [{"resource": "srch-chat", "status": "pass", "not_message": "convention"}]},
        {"name": "plain", "resources": [{"type": "Microsoft.Search/searchServices", "name": "search"}],
         "expected": [{"resource": "search", "status": "fail"}]},
        {"name": "unresolved", "template": template,
         "expected": [{"resource": "<unresolved: parameters('name')>", "status": "unknown"}]},
    ]}), encoding="utf-8")
    code, out, err = run_cli(capsys, "rules", "--rules-dir", str(folder), "--test")
    assert code == 0, out + err
    assert "1 rules, 3 fixture cases, 0 failed" in out
    # A template that can't be read proves nothing: the case fails.
    broken = json.loads(fixture.read_text())
    broken["cases"][0]["template"] = {"resources": "not a list"}
    fixture.write_text(json.dumps(broken), encoding="utf-8")
    code, out, _ = run_cli(capsys, "rules", "--rules-dir", str(folder), "--test")
    assert code == 1 and "the case's input was not analysed" in out
    for case, message in [({"resources": [], "expected": [{"resource": "x", "status": "passed"}]}, "status 'passed'"),
                          ({"resources": [], "expectd": []}, "unknown key(s) expectd"),
                          ({"resources": [], "expected": []}, "`expected` lists the results")]:
        fixture.write_text(json.dumps({"rule": "ORG100", "cases": [case]}), encoding="utf-8")
        code, out, err = run_cli(capsys, "rules", "--rules-dir", str(folder), "--test")
        assert code == 2 and message in err and "ORG100.yaml: case 1" in err, err


def test_rule_selects_among_the_custom_rules_too(capsys: pytest.CaptureFixture[str]) -> None:
    def ran(*args: str) -> set[str]:
        code, out, err = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(CUSTOM), "--format", "json", *args)
        assert code in (0, 1), err
        return {r["rule_id"] for r in json.loads(out)["results"]}

    assert ran("--rule", "ORG001") == {"ORG001"}
    assert ran("--rule", "AIS002") == {"AIS002"}            # --rule limits the custom rules as well
    assert ran("--rule", "region-not-allowed", "--rule", "AIS002") == {"ORG003", "AIS002"}
    code, _, err = run_cli(capsys, "review", str(EXAMPLE), "--rule", "ORG001")
    assert code == 2 and "'ORG001', which matches no rule" in err and "--rules-dir" in err


def test_a_rule_whose_type_matches_nothing_says_nothing_was_checked(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, RULE.replace("Microsoft.Search/searchServices", "Microsoft.Serch/searchServices"))
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(folder), "--rule", "ORG100")
    assert code == 1
    assert "Nothing was checked: none of the rules run applies to these 11 resources" in out
    assert "exit 1: nothing was checked: no rule run applies to the 11 resources (--allow-nothing-checked passes)" \
        in " ".join(out.split())
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(folder), "--rule", "ORG100",
                           "--allow-nothing-checked")
    assert code == 0 and "allowed by --allow-nothing-checked" in " ".join(out.split())
    # --quiet prints a line for every reason the review fails: here, that it checked nothing.
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(folder), "--rule", "ORG100", "--quiet")
    assert (code, out) == (1, "nothing was checked: no rule run applies to the 11 resources "
                              "(--allow-nothing-checked passes)\n")
    assert run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(folder), "--rule", "ORG100", "--quiet",
                   "--allow-nothing-checked")[:2] == (0, "")
    monkeypatch.setenv("AIWELL_ALLOW_NOTHING_CHECKED", "true")
    assert run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(folder), "--rule", "ORG100")[0] == 0
    monkeypatch.delenv("AIWELL_ALLOW_NOTHING_CHECKED")
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), "--rules-dir", str(CUSTOM), "--rule", "ORG001")
    assert "Nothing was checked" not in out
