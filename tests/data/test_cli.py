"""`aiwell data` as a user meets it: the `aiwell.data/1` JSON contract, exit codes (DESIGN.md §1.6), usage errors
as messages, and unreadable files as findings while the rest is read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from aiwell.cli.main import main
from aiwell.data.model import FACETS
from data.datagen import AS_OF, clean_table, filled_datasheet, findings_of, write_parquet


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(["data", *args])
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


def _profile(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _run(capsys, "profile", *args, "--as-of", AS_OF.isoformat(), "--format", "json")
    assert "Traceback" not in err
    return code, json.loads(out)


def test_json_keeps_the_contract_of_the_issue(capsys: pytest.CaptureFixture[str], data_dir: Path,
                                              tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    code, _, err = _run(capsys, "profile", str(data_dir / "planted.csv"), "--label", "churned", "--time",
                        "signed_up", "--as-of", AS_OF.isoformat(), "--format", "json", "-o", str(output))
    assert code == 1, err
    document = json.loads(output.read_text())
    assert document["schema"] == "aiwell.data/1"
    (dataset,) = document["datasets"]
    assert {"path", "format", "rows", "columns"} <= set(dataset)
    assert dataset["path"] == str(data_dir / "planted.csv") and dataset["format"] == "csv"
    assert dataset["rows"] == 3940
    for column in dataset["columns"]:
        assert {"name", "type", "null_share", "distinct", "approximate", "pii"} <= set(column)
        assert isinstance(column["approximate"], bool) and 0 <= column["null_share"] <= 1
        for hit in column["pii"]:
            assert {"entity", "share"} <= set(hit) and 0 < hit["share"] <= 1
    notes = next(c for c in dataset["columns"] if c["name"] == "notes")
    assert {h["entity"] for h in notes["pii"]} >= {"CREDIT_CARD", "IBAN_CODE"}
    assert document["findings"]
    for finding in document["findings"]:
        assert {"facet", "dataset", "column", "status", "severity", "message"} <= set(finding)
        assert finding["facet"] in FACETS and finding["status"] in ("pass", "fail", "unknown")
        assert finding["severity"] in ("high", "medium", "low") and finding["message"]
    scores = document["scores"]
    assert 0 <= scores["overall"] < 100
    assert list(scores["facets"]) == list(FACETS)
    assert scores["facets"]["drift"]["measured"] is False and scores["facets"]["sensitivity"]["score"] == 0
    # Values of personal data never reach the report, masked or not.
    assert "4111111111111111" not in output.read_text() and "customer7@example.com" not in output.read_text()


def test_exit_codes_follow_fail_on_and_unknowns_gate_too(capsys: pytest.CaptureFixture[str], data_dir: Path,
                                                         tmp_path: Path) -> None:
    clean = str(data_dir / "clean.parquet")
    assert _profile(capsys, clean, "--label", "churned")[0] == 0
    # Without a datasheet, origins are unknown (medium): a gate at medium can't pass on them.
    code, document = _profile(capsys, clean, "--label", "churned", "--fail-on", "medium")
    assert code == 1 and findings_of(document, status="fail") == []
    assert [f["check"] for f in findings_of(document, status="unknown")] == ["datasheet"]
    sheet = tmp_path / "datasheet.yaml"
    sheet.write_text(filled_datasheet())
    assert _profile(capsys, clean, "--label", "churned", "--datasheet", str(sheet), "--fail-on", "low")[0] == 0
    planted = str(data_dir / "planted.parquet")
    assert _profile(capsys, planted, "--label", "churned")[0] == 1
    assert _profile(capsys, planted, "--label", "churned", "--fail-on", "none")[0] == 0
    # --freshness asked for on data with no time column: not measured, so not green.
    undated = write_parquet(clean_table(500).drop_columns(["signed_up"]), tmp_path / "undated.parquet")
    code, document = _profile(capsys, str(undated), "--freshness", "30d")
    (age,) = findings_of(document, facet="freshness", check="age")
    assert code == 1 and age["status"] == "unknown" and age["severity"] == "high"


@pytest.mark.parametrize(("args", "message"), [
    (["--label", "churn"], "--label churn: no such column"),
    (["--time", "signup"], "--time signup: no such column"),
    (["--segment", "segmnt"], "--segment segmnt: no such column"),
    (["--freshness", "30 days"], "--freshness '30 days'"),
    (["--as-of", "yesterday"], "--as-of 'yesterday'"),
    (["--reference", "missing.parquet"], "no such file or directory: missing.parquet"),
    (["--datasheet", "missing.yaml"], "no such datasheet"),
    (["--engine", "pandas"], "Invalid value for '--engine'"),
])
def test_usage_errors_are_messages_with_exit_2(capsys: pytest.CaptureFixture[str], data_dir: Path,
                                               args: list[str], message: str) -> None:
    code, out, err = _run(capsys, "profile", str(data_dir / "clean.parquet"), *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_a_missing_path_and_an_existing_datasheet_are_usage_errors(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    code, _, err = _run(capsys, "profile", str(tmp_path / "nowhere.csv"))
    assert code == 2 and "no such file or directory" in err
    sheet = tmp_path / "datasheet.yaml"
    assert _run(capsys, "init", str(sheet))[0] == 0 and "schema: aiwell.datasheet/1" in sheet.read_text()
    code, _, err = _run(capsys, "init", str(sheet))
    assert code == 2 and "exists" in err and "--force" in err


def test_an_unreadable_file_is_a_finding_and_the_rest_is_read(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    folder = tmp_path / "events"
    write_parquet(clean_table(800, seed=1), folder / "day=1" / "part-0.parquet")
    write_parquet(clean_table(700, seed=2), folder / "day=2" / "part-0.parquet")
    (folder / "day=3").mkdir()
    (folder / "day=3" / "part-0.parquet").write_bytes(b"PAR1 truncated by a failed copy")
    code, document = _profile(capsys, str(folder), "--fail-on", "none")
    assert code == 0
    (dataset,) = document["datasets"]
    assert dataset["rows"] == 1500 and dataset["error"] is None
    assert [Path(u["path"]).parent.name for u in dataset["unread"]] == ["day=3"]
    (unread,) = findings_of(document, check="not-read")
    assert unread["status"] == "unknown" and unread["severity"] == "high" and "day=3" in unread["message"]
    assert findings_of(document, status="pass", facet="preparation")
    # What was not read fails the gate at any --fail-on but none, and is counted.
    code, document = _profile(capsys, str(folder), "--fail-on", "low")
    assert code == 1 and document["summary"]["not_read"] == 1


def test_nothing_readable_is_never_green(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    code, document = _profile(capsys, str(tmp_path / "broken.parquet"))
    assert code == 1
    (dataset,) = document["datasets"]
    assert dataset["rows"] is None and dataset["error"]
    assert document["scores"]["overall"] is None
    assert document["summary"]["pass"] == 0 and document["summary"]["not_read"] == 1


def test_terminal_and_markdown_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    table = pa.Table.from_pylist([{"x": i % 7, "y": "same"} for i in range(300)])
    path = write_parquet(table, tmp_path / "small.parquet")
    report = tmp_path / "report.txt"
    code, _, err = _run(capsys, "profile", str(path), "--as-of", AS_OF.isoformat(), "-o", str(report))
    text = report.read_text()
    assert code == 0 and "Report written to" in err
    assert "Readiness by facet" in text and "every value is the same" in text and "\x1b[" not in text
    code, out, _ = _run(capsys, "profile", str(path), "--format", "markdown", "--as-of", AS_OF.isoformat())
    assert code == 0 and out.startswith("# ") and "| preparation |" in out
