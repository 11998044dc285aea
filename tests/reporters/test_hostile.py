"""The hostile-names review through every reporter: nothing from the input acts in its format (terminal escape
sequences, HTML, Markdown, invalid XML or JSON), and the hostile names still show, as text."""

from __future__ import annotations

import json
from io import StringIO

from rich.console import Console

from aiwell.report import Report
from aiwell.reporters import render_json, render_terminal
from aiwell.reporters.quiet import render_quiet

CONTROLS = ("\x1b", "\x00", "\x07", "\u202e", "\x9b")


def _terminal(report: Report, **options: object) -> str:
    buffer = StringIO()
    render_terminal(report, Console(file=buffer, width=100, color_system=None), **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_terminal_prints_no_escape_sequence_from_the_input(hostile_report: Report) -> None:
    for text in (_terminal(hostile_report), _terminal(hostile_report, verbose=True)):
        assert not any(control in text for control in CONTROLS)
        assert "<img src=x onerror=alert(1)>" in text
        assert "\\x1b[31mred" in text


def test_quiet_prints_no_escape_sequence_from_the_input(hostile_report: Report) -> None:
    buffer = StringIO()
    render_quiet(hostile_report, Console(file=buffer, width=80, color_system=None))
    text = buffer.getvalue()
    assert text and not any(control in text for control in CONTROLS)
    assert all(": AIW000 " in line or ": " in line for line in text.splitlines())


def test_colour_terminal_keeps_only_its_own_escape_sequences(hostile_report: Report) -> None:
    buffer = StringIO()
    render_terminal(hostile_report, Console(file=buffer, width=100, color_system="truecolor", force_terminal=True))
    text = buffer.getvalue()
    # The input's own sequences (a colour, an OSC 8 hyperlink, a screen clear) never reach the terminal.
    assert "\x1b[31mred" not in text and "\x1b]8;;" not in text and "\x1b[2J" not in text


def test_json_stays_valid_and_keeps_the_names(hostile_report: Report) -> None:
    document = json.loads(render_json(hostile_report))
    names = {result["resource_name"] for result in document["results"]}
    assert "<img src=x onerror=alert(1)>" in names
