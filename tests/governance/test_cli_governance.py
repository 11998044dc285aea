"""The governance and reporting features from the command line, on the bundled example: several outputs in one
run, --quiet, configuration files and variables, suppressions found at the repository root, baselines, rule sets
and history."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from aiwell.cli.main import main
from aiwell.loaders.jsonc import parse_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ai-chat"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository holding the bundled example, as the working directory."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(EXAMPLE, tmp_path / "infra")
    monkeypatch.chdir(tmp_path)
    for name in [name for name in __import__("os").environ if name.startswith("AIWELL_")]:
        monkeypatch.delenv(name)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


def test_several_outputs_in_one_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "review", "infra", "-o", "sarif=out/aiwell.sarif", "-o", "html=out/report.html",
                          "-o", "junit=out/junit.xml", "-o", "markdown=out/summary.md", "-o", "json=out/r.json",
                          "-o", "terminal")
    assert code == 1
    assert "exit 1: " in out and "≥ --fail-on high" in out
    sarif = json.loads((repo / "out" / "aiwell.sarif").read_text())
    document = json.loads((repo / "out" / "r.json").read_text())
    fails = [r for r in document["results"] if r["status"] == "fail"]
    assert len([r for r in sarif["runs"][0]["results"] if r["kind"] == "fail"]) == len(fails)
    junit = ElementTree.parse(repo / "out" / "junit.xml").getroot()
    assert int(junit.get("failures", "0")) == len(fails)
    assert (repo / "out" / "summary.md").read_text().startswith("## aiwell review · score")
    assert "<!DOCTYPE html>" in (repo / "out" / "report.html").read_text()
    assert "sarif report written to out/aiwell.sarif" in err


def test_outputs_misused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "review", "infra", "-o", "json", "-o", "terminal")
    assert code == 2 and "json and terminal would both go to standard output" in err
    code, _, err = _run(capsys, "review", "infra", "-o", "pdf=x.pdf")
    assert code == 2 and "unknown format 'pdf'" in err
    code, _, err = _run(capsys, "review", "infra", "-o", "sarif=infra/azuredeploy.json")
    assert code == 2 and "is one of the inputs" in err
    # The older form: -f FORMAT -o PATH.
    code, _, _ = _run(capsys, "review", "infra", "-f", "sarif", "-o", "legacy.sarif", "--fail-on", "none")
    assert code == 0 and json.loads((repo / "legacy.sarif").read_text())["version"] == "2.1.0"


def test_quiet_prints_one_line_per_failure(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "review", "infra", "--quiet", "--fail-on", "low")
    lines = out.splitlines()
    assert code == 1 and lines
    assert all(re.fullmatch(r"infra/azuredeploy\.json:\d+: [A-Z]{3}\d{3} \S.*", line) for line in lines), lines
    assert [int(line.split(":")[1]) for line in lines] == sorted(int(line.split(":")[1]) for line in lines)


def test_configuration_file_environment_and_flags(repo: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "aiwell.toml").write_text('fail_on = "none"\nselect = ["reliability"]\nenvironment = "prod"\n',
                                      encoding="utf-8")
    code, out, _ = _run(capsys, "review", "infra", "-f", "json")
    document = json.loads(out)
    assert code == 0 and document["environment"] == "prod"
    assert all("reliability" in r["pillars"] for r in document["results"] if r["rule_id"] != "AIW000")
    monkeypatch.setenv("AIWELL_FAIL_ON", "high")
    assert _run(capsys, "review", "infra", "-f", "json")[0] == 1
    assert _run(capsys, "review", "infra", "-f", "json", "--fail-on", "none")[0] == 0
    code, out, _ = _run(capsys, "config", "-f", "json")
    settings = json.loads(out)["settings"]
    assert settings["fail_on"] == {"value": "high", "source": "environment AIWELL_FAIL_ON"}
    assert settings["select"]["source"] == "aiwell.toml"
    code, out, _ = _run(capsys, "config")
    assert code == 0 and "environment AIWELL_FAIL_ON" in out and "rule_set" in out
    (repo / "aiwell.toml").write_text('fail_on = "none"\nsupressions = "x.yaml"\n', encoding="utf-8")
    code, _, err = _run(capsys, "review", "infra")
    assert code == 2 and "aiwell.toml:2: unknown key `supressions`" in err and "Traceback" not in err


def test_rule_sets_and_selection_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "review", "infra", "-f", "json", "--rule-set", "2026.12", "--fail-on", "none")
    assert code == 0 and json.loads(out)["rule_set"] == "2026.12"
    code, _, err = _run(capsys, "review", "infra", "--rule-set", "1999.01")
    assert code == 2 and "rule set '1999.01' does not exist" in err
    code, _, err = _run(capsys, "review", "infra", "--select", "NOPE*")
    assert code == 2 and "matches no rule" in err
    code, out, _ = _run(capsys, "review", "infra", "-f", "json", "--severity", "AIS002=low", "--rule", "AIS002",
                        "--fail-on", "none")
    assert {(r["rule_id"], r["severity"]) for r in json.loads(out)["results"]} == {("AIS002", "low")}


def test_suppressions_file_at_the_repository_root(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".aiwell").mkdir()
    (repo / ".aiwell" / "suppressions.yaml").write_text(
        "- rule: '*'\n  resource: '*'\n  reason: accepted for the demo\n  expires: 2999-01-01\n"
        "- rule: AIS002\n  resource: gone\n  reason: old\n  expires: 2000-01-01\n", encoding="utf-8")
    code, out, err = _run(capsys, "review", "infra", "-f", "json")
    document = json.loads(out)
    assert code == 0, err
    assert document["summary"]["suppressed"] > 0 and document["summary"]["fail"] == 0
    assert "expired on 2000-01-01" in err and any("expired" in w for w in document["warnings"])
    code, out, _ = _run(capsys, "review", "infra", "-f", "json", "--no-suppressions")
    assert code == 1 and json.loads(out)["summary"]["suppressed"] == 0


def test_baseline_gates_only_on_new_failures(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "baseline", "write", "infra", "--output", ".aiwell/baseline.json")
    assert code == 0 and "written to .aiwell/baseline.json" in err
    code, out, _ = _run(capsys, "review", "infra", "--baseline", ".aiwell/baseline.json", "--fail-on", "low")
    assert code == 0 and "in the baseline" in out
    template = parse_text((repo / "infra" / "azuredeploy.json").read_text()).value
    template["resources"].append({"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
                                  "name": "newstorage1", "location": "eastus2", "kind": "StorageV2",
                                  "sku": {"name": "Standard_LRS"}, "properties": {"allowBlobPublicAccess": True}})
    (repo / "infra" / "azuredeploy.json").write_text(json.dumps(template, indent=4), encoding="utf-8")
    code, out, _ = _run(capsys, "review", "infra", "--baseline", ".aiwell/baseline.json", "--quiet",
                        "--fail-on", "low")
    assert code == 1 and out and all("STG" in line for line in out.splitlines())


def test_history_records_runs_and_shows_the_trend(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert _run(capsys, "review", "infra", "-o", "html=report.html", "--fail-on", "none", "--history")[0] == 0
    assert (repo / ".aiwell" / "history.db").is_file()
    assert 'id="trend"' in (repo / "report.html").read_text()
    code, out, _ = _run(capsys, "history")
    assert code == 0 and "Scores per run" in out and "From run 1 to run 2: 0 fixed, 0 introduced" in out
    code, out, _ = _run(capsys, "history", "-f", "json")
    assert [run["id"] for run in json.loads(out)["runs"]] == [1, 2]
    code, _, err = _run(capsys, "review", "infra", "--history", "infra")
    assert code == 2 and "a folder, not a history file" in err


def test_skip_path_from_flag_and_configuration(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(repo / "infra", repo / "infra" / "bin")
    code, out, _ = _run(capsys, "review", "infra", "-f", "json", "--fail-on", "none")
    assert len(json.loads(out)["inputs"]) == 2
    code, out, _ = _run(capsys, "review", "infra", "-f", "json", "--fail-on", "none", "--skip-path", "bin")
    assert [record["path"] for record in json.loads(out)["inputs"]] == ["infra/azuredeploy.json"]
    (repo / "aiwell.toml").write_text('skip_paths = ["**/bin/**"]\n', encoding="utf-8")
    code, out, _ = _run(capsys, "review", "infra", "-f", "json", "--fail-on", "none")
    assert [record["path"] for record in json.loads(out)["inputs"]] == ["infra/azuredeploy.json"]


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_review_standard_input(repo: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, (repo / "infra" / "azuredeploy.json").read_bytes())
    code, out, _ = _run(capsys, "review", "-", "--quiet")
    assert code == 1 and out and all(line.startswith("stdin.json:") for line in out.splitlines())
    bicep = b"resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n  name: 'chat-oai'\n" \
            b"  location: 'eastus2'\n  kind: 'OpenAI'\n  sku: { name: 'S0' }\n  properties: {}\n}\n"
    _stdin(monkeypatch, bicep)
    code, out, _ = _run(capsys, "review", "-", "--stdin-name", "main.bicep", "-f", "json", "--fail-on", "none")
    document = json.loads(out)
    assert code == 0 and [record["path"] for record in document["inputs"]] == ["main.bicep"]
    assert {r["resource_name"] for r in document["results"]} == {"chat-oai"}
    _stdin(monkeypatch, bicep)
    code, _, err = _run(capsys, "review", "-")
    assert code == 2 and "--stdin-name" in err
    code, _, err = _run(capsys, "review", "-", "infra")
    assert code == 2 and "must be the only path" in err


INVENTORY = EXAMPLE.parent / "inventory" / "resource-graph.json"


def test_unknown_results_fail_the_gate_in_every_format_unless_allowed(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # Resource Graph exports carry no diagnostic settings: AIS005 (medium) can only be unknown on them.
    shutil.copy(INVENTORY, repo / "export.json")
    only = ["review", "export.json", "--select", "AIS005", "--fail-on", "medium"]
    code, out, err = _run(capsys, *only, "-o", "sarif=o/a.sarif", "-o", "junit=o/j.xml", "-o", "markdown=o/s.md",
                          "-o", "html=o/r.html", "-o", "json=o/r.json", "-o", "terminal")
    reason = "exit 1: 1 medium unknown ≥ --fail-on medium (--allow-unknown passes them)"
    assert code == 1 and reason in out and "0 failed, 1 unknown" in out, out + err
    document = json.loads((repo / "o" / "r.json").read_text())
    assert [(r["rule_id"], r["status"]) for r in document["results"]] == [("AIS005", "unknown")]
    sarif = json.loads((repo / "o" / "a.sarif").read_text())
    assert [(r["ruleId"], r["kind"]) for r in sarif["runs"][0]["results"]] == [("AIS005", "review")]
    junit = ElementTree.parse(repo / "o" / "j.xml").getroot()
    assert junit.get("skipped") == "1" and "diagnostic settings" in ElementTree.tostring(junit, encoding="unicode")
    assert reason in (repo / "o" / "s.md").read_text() and reason in (repo / "o" / "r.html").read_text()
    code, out, _ = _run(capsys, *only, "--quiet")
    assert code == 1 and out == "export.json:4: AIS005 unknown: Resource Graph exports carry no diagnostic settings\n"

    code, out, _ = _run(capsys, *only, "--allow-unknown")
    assert code == 0 and "exit 0: no finding ≥ --fail-on medium; 1 unknown allowed by --allow-unknown" in out
    assert _run(capsys, *only, "--allow-unknown", "--quiet")[1] == ""
    monkeypatch.setenv("AIWELL_ALLOW_UNKNOWN", "true")
    assert _run(capsys, *only)[0] == 0
    monkeypatch.delenv("AIWELL_ALLOW_UNKNOWN")
    (repo / "aiwell.toml").write_text("allow_unknown = true\n", encoding="utf-8")
    assert _run(capsys, *only)[0] == 0
    (repo / "aiwell.toml").unlink()
    # A baseline records today's unknowns too: adopting the gate on an export does not fail on them.
    assert _run(capsys, "baseline", "write", "export.json", "--select", "AIS005", "--output", "b.json")[0] == 0
    findings = json.loads((repo / "b.json").read_text())["findings"]
    assert [(f["rule_id"], f["status"]) for f in findings] == [("AIS005", "unknown")]
    code, out, _ = _run(capsys, *only, "--baseline", "b.json")
    assert code == 0 and "in the baseline" in out


def test_a_baseline_holds_wherever_the_run_starts(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # Written at the repository root on `infra`, used from inside `infra` on `.` (or with an absolute path).
    assert _run(capsys, "baseline", "write", "infra", "--output", ".aiwell/baseline.json")[0] == 0
    monkeypatch.chdir(repo / "infra")
    code, out, _ = _run(capsys, "review", ".", "--baseline", "../.aiwell/baseline.json", "--fail-on", "low")
    assert code == 0 and "in the baseline" in out
    code, _, _ = _run(capsys, "review", str(repo / "infra"), "--baseline", "../.aiwell/baseline.json",
                      "--fail-on", "low")
    assert code == 0
