"""The quiet terminal report: the golden, and its order (file, then line)."""

from __future__ import annotations

from golden_files import GOLDEN, assert_golden


def test_matches_golden() -> None:
    assert_golden("terminal-quiet.txt")


def test_one_line_per_gating_failure_in_file_order() -> None:
    lines = (GOLDEN / "terminal-quiet.txt").read_text(encoding="utf-8").splitlines()
    keys = [(line.split(":")[0], int(line.split(":")[1])) for line in lines]
    assert keys == sorted(keys)
    # The suppressed failure (AIS003) and the one in the baseline (STG003) gate nothing: not listed.
    assert not any(" AIS003 " in line or " STG003 " in line for line in lines)
