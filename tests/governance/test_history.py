"""The run history: runs recorded with their scores and findings, read back oldest first, changes between runs
by fingerprint, the trend for the HTML report, and a file that is not a history refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from msgspec.structs import replace

from aiwell.errors import ConfigError
from aiwell.history import changes, record_run, runs, trend_points
from aiwell.model import Status
from aiwell.report import build_report
from golden_files import REGEN


def test_record_read_and_compare(tmp_path: Path) -> None:
    path = tmp_path / ".aiwell" / "history.db"
    first = REGEN.sample_report()
    # The next run: the search replica fixed, a new failure on the vault, an unknown now failing.
    results = []
    for result in first.results:
        if result.rule.id == "SRC003":
            result = replace(result, status=Status.PASS)
        elif result.rule.id == "KVT001":
            result = replace(result, status=Status.FAIL)
        results.append(result)
    second = build_report(first.inputs, first.resources, results, tool_version=first.tool_version)
    ids = [record_run(path, first, when=dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)),
           record_run(path, second, when=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))]
    recorded = runs(path)
    assert [run.id for run in recorded] == ids
    assert recorded[0].recorded == "2026-11-01T09:00:00+00:00"
    assert recorded[0].overall == first.scores.overall.score and recorded[1].overall == second.scores.overall.score
    assert recorded[1].pillars["reliability"] == second.scores.pillars[
        next(p for p in second.scores.pillars if p.value == "reliability")].score
    assert set(recorded[0].design_areas) == {area.value for area in first.scores.design_areas}
    assert recorded[0].inputs == tuple(first.input_labels)
    found = changes(path)
    assert found is not None
    assert [(f.rule_id, f.resource_name) for f in found.fixed] == [("SRC003", "chat-search")]
    assert [(f.rule_id, f.resource_name) for f in found.introduced] == [("KVT001", "chat-kv")]
    assert changes(path, ids[1], ids[0]) is not None
    assert trend_points(path) == [("2026-11-01", {"overall": recorded[0].overall, **recorded[0].pillars}),
                                  ("2026-12-01", {"overall": recorded[1].overall, **recorded[1].pillars})]
    assert [run.id for run in runs(path, limit=1)] == [ids[1]]
    with pytest.raises(ConfigError, match="no run 99"):
        changes(path, 99)


def test_one_run_has_no_changes_and_bad_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    record_run(path, REGEN.sample_report())
    assert changes(path) is None
    with pytest.raises(ConfigError, match="no such file"):
        runs(tmp_path / "missing.db")
    other = tmp_path / "other.db"
    other.write_text("not a database" * 100, encoding="utf-8")
    with pytest.raises(ConfigError, match="not an aiwell history"):
        runs(other)
