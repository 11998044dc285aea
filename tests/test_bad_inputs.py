"""Bad input gets a clear not-analysed result or a user error; never a hang, crash or traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.cli.main import main

BAD = Path(__file__).parent / "fixtures" / "bad-inputs"
CASES: list[dict[str, Any]] = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))


def _review_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SystemExit) as done:
        main(["review", *args, "--format", "json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    code = done.value.code
    assert isinstance(code, int)
    return code, json.loads(captured.out)


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_input_is_reported_not_fatal(case: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _review_json(capsys, str(BAD / case["file"]))
    records = [i for i in report["inputs"] if Path(i["path"]).name == case["file"]]
    assert records, f"no input record for {case['file']}: {report['inputs']}"
    record = records[0]
    assert record["status"] == case["status"], record
    if case["status"] == "not_analysed":
        assert case["reason"].lower() in record["reason"].lower(), record
        assert (record.get("line") is not None) == case["line"], record
        aiw = [r for r in report["results"] if r["rule_id"] == "AIW000"]
        assert len(aiw) == 1 and aiw[0]["status"] == "fail"
        assert code == 1
    for rule_id in case.get("unknown_rules", []):
        statuses = {r["status"] for r in report["results"] if r["rule_id"] == rule_id}
        assert statuses == {"unknown"}, (rule_id, statuses)
    for rule_id in case.get("fail_rules", []):
        statuses = {r["status"] for r in report["results"] if r["rule_id"] == rule_id}
        assert statuses == {"fail"}, (rule_id, statuses)


def test_one_bad_file_does_not_stop_the_others(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _review_json(capsys, str(BAD / "truncated.json"), str(BAD / "self-referencing-variable.json"))
    statuses = {Path(i["path"]).name: i["status"] for i in report["inputs"]}
    assert statuses["truncated.json"] == "not_analysed"
    assert statuses["self-referencing-variable.json"] == "analysed"
    assert any(r["rule_id"].startswith("SRC") for r in report["results"])
    assert code == 1


def test_json_nested_ten_thousand_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    body = '{"a":' * 10_000 + "1" + "}" * 10_000
    deep.write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",'
        ' "contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Storage/storageAccounts",'
        f' "name": "st", "properties": {body}}}]}}',
        encoding="utf-8",
    )
    code, report = _review_json(capsys, str(deep))
    (record,) = report["inputs"]
    assert record["status"] == "not_analysed"
    assert "deep" in record["reason"].lower()
    assert code == 1


def test_fifty_megabyte_inventory_is_analysed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = []
    filler = "x" * 900
    for index in range(50_000):
        rows.append({
            "id": f"/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/app{index}",
            "name": f"app{index}", "type": "microsoft.web/sites",
            "properties": {"httpsOnly": index % 2 == 0, "note": filler},
        })
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"data": rows}), encoding="utf-8")
    assert big.stat().st_size > 50 * 1024 * 1024
    code, report = _review_json(capsys, str(big), "--rule", "APP001")
    (record,) = report["inputs"]
    assert record["status"] == "analysed" and record["resources"] == 50_000
    assert report["summary"]["fail"] == 25_000 and report["summary"]["pass"] == 25_000
    assert code == 1


def test_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["review", "no/such/dir"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "no such file or directory" in err and "Traceback" not in err
