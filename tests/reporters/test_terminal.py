"""The terminal reporter: golden output at 80 columns, ordering, markup safety, NO_COLOR."""

from __future__ import annotations

import importlib.util
import re
from io import StringIO
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_h
from rich.console import Console
from rich.text import Text

from aiwell.model import (
    DesignArea,
    InputRecord,
    InputStatus,
    Location,
    Pillar,
    Result,
    RuleInfo,
    Severity,
    Status,
)
from aiwell.report import Report, build_report
from aiwell.reporters import render_terminal
from aiwell.reporters.terminal import _ascii_wrapped, _Findings, _print_findings, _wrapped, summary_line

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7])[0-9;]*m")
"""An escape sequence that sets a foreground colour."""


def _regen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGEN = _regen()


def _render(report: Report, *, verbose: bool = False, width: int = 80) -> str:
    buffer = StringIO()
    render_terminal(report, Console(file=buffer, width=width, color_system=None), verbose=verbose)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["terminal-80.txt", "terminal-80-verbose.txt", "terminal-80-empty.txt"])
def test_terminal_matches_golden(name: str) -> None:
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert REGEN.render_goldens()[name] == expected, "run scripts/regen_golden.py, review the diff"


@pytest.mark.parametrize("verbose", [False, True])
def test_fits_in_80_columns(verbose: bool) -> None:
    text = _render(REGEN.sample_report(), verbose=verbose)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_not_analysed_inputs_come_first_and_summary_last() -> None:
    lines = _render(REGEN.sample_report()).rstrip().splitlines()
    assert lines[2] == "2 inputs not analysed: their resources were not reviewed"
    assert lines[3].split() == ["AIW000", "infra/broken.json:12"]
    assert lines[5].split()[:3] == ["AIW000", "infra/search.json:30", "(parameters"]
    summary = " ".join(line.strip() for line in lines[-2:])
    assert summary == "6 failed, 3 unknown, 6 passed · 2 inputs not analysed · 1 input partly reviewed · score 44.8"


def test_failures_then_unknowns_then_a_count_of_passes() -> None:
    text = _render(REGEN.sample_report())
    security = text[text.index(" Security · score 45.0 · coverage 80.0%"):text.index(" Cost optimization")]
    statuses = [line.split()[0] for line in security.splitlines() if line.startswith("  ") and
                line.split()[0] in ("fail", "unknown", "pass")]
    assert statuses == ["fail"] * 4 + ["unknown"] * 2
    # Most severe first within a status.
    assert [line.split()[2] for line in security.splitlines() if line.startswith("  fail")] == [
        "AIS001", "AIS002", "STG003", "AIS003"]
    assert "4 passed (--verbose lists them)" in security
    # An unknown shows why it is unknown; a failure shows no message unless verbose.
    assert "diagnostic settings are not in a Resource Graph export" in security
    assert "properties.disableLocalAuth is false" not in security


def test_verbose_lists_passes_and_messages() -> None:
    text = _render(REGEN.sample_report(), verbose=True)
    assert "passed (--verbose lists them)" not in text
    assert "pass    high   STG001 Storage account allows anonymous blob access" in text
    assert "properties.disableLocalAuth is false" in text


def test_a_rule_in_two_pillars_is_listed_in_each() -> None:
    text = _render(REGEN.sample_report())
    assert text.count("AID002 Model deployment upgrades") == 2


def test_user_text_is_never_read_as_markup() -> None:
    rule = RuleInfo(id="AIS002", name="n", title="Title with [bold]brackets[/bold]", severity=Severity.LOW,
                    pillars=(Pillar.SECURITY,), design_area=DesignArea.APPLICATION_PLATFORM)
    result = Result(rule=rule, status=Status.UNKNOWN, resource_id="/x", resource_type="t",
                    resource_name="[red]acct[/red]", message="value [link=x]y[/link]",
                    location=Location("[dim]main.json", 4))
    record = InputRecord(path="[b]bad.json", format="arm", status=InputStatus.NOT_ANALYSED,
                         reason="invalid [i]JSON[/i]")
    text = _render(build_report([record], [], [result]))
    for literal in ("Title with [bold]brackets[/bold]", "[red]acct[/red] · [dim]main.json:4",
                    "value [link=x]y[/link]", "[b]bad.json", "invalid [i]JSON[/i]"):
        assert literal in text


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    def coloured() -> str:
        buffer = StringIO()
        console = Console(file=buffer, width=80, force_terminal=True, color_system="truecolor")
        render_terminal(REGEN.sample_report(), console)
        return buffer.getvalue()

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert COLOUR.search(coloured())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not COLOUR.search(coloured())


def test_summary_line_without_findings() -> None:
    assert summary_line(build_report([], [], [])) == "0 failed, 0 unknown, 0 passed · no score"


def test_narrow_terminal_still_renders() -> None:
    text = _render(REGEN.sample_report(), width=40)
    assert text.rstrip().endswith("score 44.8")


def test_long_resource_and_location_go_on_lines_of_their_own() -> None:
    rule = RuleInfo(id="AIS002", name="n", title="AI Services account accepts API keys",
                    severity=Severity.HIGH, pillars=(Pillar.SECURITY,),
                    design_area=DesignArea.APPLICATION_PLATFORM)
    name = "contoso-chat-oai-ibj7dl/text-embedding-3-large"
    result = Result(rule=rule, status=Status.FAIL, resource_id="/x", resource_type="t", resource_name=name,
                    message="m", location=Location("examples/ai-chat/azuredeploy.json", 65))
    lines = _render(build_report([], [], [result])).splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == name)
    assert lines[at + 1].strip() == "examples/ai-chat/azuredeploy.json:65"


def test_multi_line_and_unbreakable_text_stays_in_its_column() -> None:
    rule = RuleInfo(id="AIS002", name="n", title="x" * 120, severity=Severity.HIGH,
                    pillars=(Pillar.SECURITY,), design_area=DesignArea.APPLICATION_PLATFORM)
    result = Result(rule=rule, status=Status.UNKNOWN, resource_id="/x", resource_type="t", resource_name="acct",
                    message="first line\nsecond line", location=None)
    lines = _render(build_report([], [], [result])).splitlines()
    assert max(len(line) for line in lines) <= 80
    column = lines[next(i for i, line in enumerate(lines) if "AIS002" in line)].index("x")
    assert [line[column:] for line in lines if line.strip() in ("first line", "second line")] == [
        "first line", "second line"]


@settings(max_examples=400, deadline=None)
@given(st_h.text(alphabet=st_h.sampled_from(" ab-/.:'()xyz0123456789"), max_size=300), st_h.integers(1, 90))
def test_printable_ascii_is_wrapped_as_rich_wraps_it(line: str, width: int) -> None:
    """The reporter's own wrapping of printable ASCII (`_ascii_wrapped`, which every verbose message goes
    through) breaks where rich's `Text.wrap` does, words longer than the width included."""
    console = Console(width=200, color_system=None)
    wanted = [part.plain.rstrip() for part in Text(line).wrap(console, width)]
    assert _ascii_wrapped(line, width) == wanted
    assert _wrapped(line, width, console) == (wanted if len(line) > width else [line])


def test_a_verbose_report_to_a_plain_console_is_what_rich_prints_of_the_findings() -> None:
    """Without styles to show, the findings are written as plain lines (`_print_findings`): the same text rich
    prints of them, line for line, at several widths."""
    shown = [result for result in REGEN.sample_report().results if result.status is not Status.NOT_APPLICABLE]
    for width in (30, 40, 46, 80, 132):
        findings = _Findings(list(shown), verbose=True, with_input=True)
        through_rich = StringIO()
        Console(file=through_rich, width=width, color_system=None).print(findings)
        plain = StringIO()
        _print_findings(findings, Console(file=plain, width=width, color_system=None))
        assert plain.getvalue() == through_rich.getvalue()
        assert findings.fits(width) is (width >= 44)  # narrower, rich crops the lines: it prints them itself
        assert len(plain.getvalue().splitlines()) > len(shown)
