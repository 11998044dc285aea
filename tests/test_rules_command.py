"""`aiwell rules` as a user reads it: every rule's name whole in an 80-column table, filters by design area."""

from __future__ import annotations

import json

import pytest

from aiwell.rules import load_registry
from cli_run import run_cli


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    return out


def test_the_table_keeps_every_name_whole_at_80_columns(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = _run(capsys, "rules")
    assert "…" not in out and all(len(line) <= 80 for line in out.splitlines())
    # A name folded over two lines is still there, in order, once the table's borders are taken away.
    cells = "".join(line.split("│")[4].strip() for line in out.splitlines() if line.count("│") == 5)
    for rule in load_registry().rules:
        assert rule.name in cells, rule.name


def test_design_area_filter(capsys: pytest.CaptureFixture[str]) -> None:
    listed = json.loads(_run(capsys, "rules", "--design-area", "data-platform", "--format", "json"))
    assert listed and {rule["design_area"] for rule in listed} == {"data-platform"}
