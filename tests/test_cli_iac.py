"""Command-line options for Bicep and Terraform inputs: --var, --var-file, --bicep-cli."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from aiwell.cli.main import main

CLI = Path(__file__).parent / "fixtures" / "cli"


def _review(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    with pytest.raises(SystemExit) as done:
        main(["review", *args, "--format", "json", "--fail-on", "none"])
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, json.loads(captured.out) if captured.out else {}, captured.err


def _status(report: dict[str, Any], rule_id: str) -> str:
    (result,) = [r for r in report["results"] if r["rule_id"] == rule_id]
    return str(result["status"])


def test_terraform_variable_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, _ = _review(capsys, str(CLI / "terraform-vars"))
    assert _status(report, "AIS002") == "fail"


def test_var_file_overrides_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, _ = _review(capsys, str(CLI / "terraform-vars"), "--var-file",
                           str(CLI / "terraform-vars" / "strict.tfvars"))
    assert _status(report, "AIS002") == "pass"


def test_var_overrides_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, _ = _review(capsys, str(CLI / "terraform-vars"), "--var", "local_auth=false")
    assert _status(report, "AIS002") == "pass"


def test_malformed_var_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _review(capsys, str(CLI / "terraform-vars"), "--var", "local_auth")
    assert code == 2 and "NAME=VALUE" in err


def test_bicep_native_reader_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, _ = _review(capsys, str(CLI / "bicep"))
    (record,) = report["inputs"]
    assert record["format"] == "bicep" and record["status"] == "analysed"
    assert not any("bicep build" in note for note in record["notes"])
    assert _status(report, "SRC005") == "fail"
    (resource,) = report["resources"]
    assert resource["source"]["line"] == 3


def test_bicep_cli_without_the_cli_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = _review(capsys, str(CLI / "bicep"), "--bicep-cli")
    assert code == 2 and "no `bicep` executable" in err


def test_bicep_cli_builds_with_the_cli_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # A stand-in `bicep` that prints the ARM template the real compiler would for main.bicep.
    compiled = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"searchName": {"type": "string", "defaultValue": "srch-cli"}},
        "resources": [{"type": "Microsoft.Search/searchServices", "apiVersion": "2024-06-01-preview",
                       "name": "[parameters('searchName')]", "location": "westeurope",
                       "sku": {"name": "standard"}, "properties": {"replicaCount": 1}}],
    }
    (tmp_path / "compiled.json").write_text(json.dumps(compiled), encoding="utf-8")
    fake = tmp_path / "bicep"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write(open({str(tmp_path / 'compiled.json')!r})"
                    ".read())\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    _, report, _ = _review(capsys, str(CLI / "bicep"), "--bicep-cli")
    (record,) = report["inputs"]
    assert record["format"] == "bicep" and any("bicep build" in note for note in record["notes"])
    # The stand-in compiled a standard tier, so the result differs from the native reading of the file.
    assert _status(report, "SRC005") == "pass"
    (resource,) = report["resources"]
    assert resource["source"]["format"] == "bicep" and resource["name"] == "srch-cli"
