"""`print_plain_line` prints what rich's console on standard error prints, with or without rich."""

from __future__ import annotations

import pytest

from aiwell.cli.runner import print_plain_line, stderr_console

TEXTS = ["json report written to out/aiwell.json",
         "sarif report written to " + "deep/" * 20 + "aiwell.sarif",  # longer than the console: rich wraps it
         "json report written to a path with spaces/r.json",
         "json report written to :smile:.json",  # rich reads an emoji code
         "json report written to C:/reports/r.json",
         "junit report written to tab\there.xml",
         "markdown report written to ünïcode.md",
         "json report written to trailing space ",
         "x" * 80,
         "x" * 81]


@pytest.mark.parametrize("columns", [None, "40", "200"])
@pytest.mark.parametrize("text", TEXTS)
def test_print_plain_line_prints_as_rich_does(text: str, columns: str | None, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    stderr_console().print(text, markup=False)
    by_rich = capsys.readouterr().err
    print_plain_line(text)
    assert capsys.readouterr().err == by_rich
