"""The run log: writer, reader, torn last lines, schema versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwell.errors import UserError
from aiwell.eval.runlog import SCHEMA, RunLogError, RunLogWriter, make_header, make_sample, read_log


def _header(**overrides: Any) -> dict[str, Any]:
    header = make_header(suite="s", suite_path="s.yaml", target={"type": "python", "function": "m:f"},
                         target_key="k1", scorers=[{"name": "contains", "args": {"value": "4"}}], repeats=2,
                         n_cases=2)
    header.update(overrides)
    return header


def _sample(case_id: str, repeat: int, *, passed: bool = True, error: str | None = None) -> dict[str, Any]:
    scores = [] if error else [{"name": "contains", "passed": passed, "value": float(passed), "reason": ""}]
    return make_sample(case_id=case_id, repeat=repeat, output=None if error else "4", latency_s=0.1, error=error,
                       error_kind="timeout" if error else None, scores=scores, tags=["math"], cluster="c1")


def _write(path: Path, samples: list[dict[str, Any]]) -> None:
    with RunLogWriter(path, header=_header()) as writer:
        for sample in samples:
            writer.write_sample(sample)


def test_header_has_the_contract_fields() -> None:
    header = _header()
    assert header["schema"] == SCHEMA == "aiwell.eval-log/1.1"
    assert header["target"] == {"spec": {"type": "python", "function": "m:f"}, "key": "k1"}
    assert {"suite", "suite_path", "scorers", "started", "aiwell"} <= header.keys()


def test_sample_passed_is_derived() -> None:
    assert _sample("a", 0)["passed"] is True
    assert _sample("a", 0, passed=False)["passed"] is False
    errored = _sample("a", 0, error="timed out")
    assert errored["passed"] is None and errored["error_kind"] == "timeout"
    two = make_sample(case_id="a", repeat=0, output="x", latency_s=0.0, error=None, error_kind=None,
                      scores=[{"passed": True}, {"passed": False}], tags=[], cluster=None)
    assert two["passed"] is False


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    _write(path, [_sample("a", 0), _sample("b", 0, passed=False), _sample("a", 1, error="boom")])
    log = read_log(path)
    assert log.header["suite"] == "s"
    assert [(s["case_id"], s["repeat"], s["passed"]) for s in log.samples] == [
        ("a", 0, True), ("b", 0, False), ("a", 1, None)]
    assert log.samples[1]["tags"] == ["math"] and log.samples[1]["cluster"] == "c1"
    assert not log.torn
    assert log.valid_bytes == path.stat().st_size
    assert log.done() == {("a", 0), ("b", 0), ("a", 1)}
    assert log.done(include_errors=False) == {("a", 0), ("b", 0)}


def test_each_line_is_on_disk_before_close(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    writer = RunLogWriter(path, header=_header())
    writer.write_sample(_sample("a", 0))
    # Another reader (or a crash right now) already sees the sample.
    assert len(read_log(path).samples) == 1
    writer.close()
    writer.close()


def test_torn_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    _write(path, [_sample("a", 0), _sample("b", 0)])
    intact = path.stat().st_size
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(_sample("a", 1))[:25])
    log = read_log(path)
    assert log.torn
    assert [s["case_id"] for s in log.samples] == ["a", "b"]
    assert log.valid_bytes == intact


def test_broken_final_line_with_newline_is_treated_as_torn(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    _write(path, [_sample("a", 0)])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"case_id": "b", "rep\n')
    log = read_log(path)
    assert log.torn and len(log.samples) == 1


def test_resume_writer_cuts_the_torn_tail_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    _write(path, [_sample("a", 0)])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"case_id": "b", "re')
    torn = read_log(path)
    with RunLogWriter(path, resume_at=torn.valid_bytes) as writer:
        writer.write_sample(_sample("b", 0))
    log = read_log(path)
    assert not log.torn
    assert [s["case_id"] for s in log.samples] == ["a", "b"]


def test_corrupt_middle_line_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    _write(path, [_sample("a", 0)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RunLogError, match=r"run\.jsonl:2: corrupt"):
        read_log(path)


def test_later_line_for_the_same_sample_wins_in_first_seen_order(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    _write(path, [_sample("a", 0, error="500"), _sample("b", 0), _sample("a", 0, passed=False)])
    log = read_log(path)
    assert [(s["case_id"], s["passed"]) for s in log.samples] == [("a", False), ("b", True)]


@pytest.mark.parametrize("schema", ["aiwell.eval-log/2", "aiwell.eval-log/0"])
def test_unknown_major_version_is_refused(tmp_path: Path, schema: str) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps(_header(schema=schema)) + "\n", encoding="utf-8")
    with pytest.raises(RunLogError, match="not supported") as info:
        read_log(path)
    assert isinstance(info.value, UserError)
    assert "aiwell.eval-log/1" in info.value.message


def test_minor_version_of_the_same_major_is_read(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps(_header(schema="aiwell.eval-log/1.4")) + "\n" + json.dumps(_sample("a", 0)) + "\n",
                    encoding="utf-8")
    assert len(read_log(path).samples) == 1


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty run log"),
    ('{"schema": "aiwell.eval/1"}\n', "not an aiwell run log"),
    ("[1, 2]\n", "must be a JSON object"),
])
def test_not_a_run_log(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RunLogError, match=message):
        read_log(path)


def test_sample_without_keys_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps(_header()) + "\n" + '{"output": "x"}\n' + json.dumps(_sample("a", 0)) + "\n",
                    encoding="utf-8")
    with pytest.raises(RunLogError, match=r":2: sample line without case_id, repeat"):
        read_log(path)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(RunLogError, match="cannot read run log"):
        read_log(tmp_path / "nope.jsonl")


def test_writer_needs_header_or_resume_point(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="either header"):
        RunLogWriter(tmp_path / "x.jsonl")
