"""The quiet terminal report (`--quiet`): the failures, one line each, in the `file:line: ID message`
shape editors and CI log parsers jump to, sorted by file and line. Nothing else is printed.

A failure without a file (an inventory row read from standard input) names its resource id instead. Suppressed
failures and failures in the findings baseline are left out; inputs not analysed are `AIW000` lines. Results that
could not be decided and gate the run (`unknown` at or above `--fail-on`, without `--allow-unknown`) are lines
too, their message starting `unknown:`, so a failing exit code always has a line that says why. Lines are
never wrapped, and text from the input has control characters shown as escapes.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from aiwell.model import Result, Severity, Status, display_text
from aiwell.report import Report, gating_failures, gating_unknowns
from aiwell.reporters._text import one_line


def quiet_line(result: Result) -> str:
    """One failure as `file:line: ID message` (`file:line: ID unknown: message` for a result not decided)."""
    location = result.location
    if location is not None and location.file:
        where = location.file if location.line is None else f"{location.file}:{location.line}"
    else:
        where = display_text(result.resource_id)
    message = display_text(result.message) or result.rule.title
    if result.status is Status.UNKNOWN:
        message = f"unknown: {message}"
    return one_line(f"{where}: {result.rule.id} {message}")


def _order(result: Result) -> tuple[str, int, str, str]:
    location = result.location
    return (location.file if location else "", (location.line or 0) if location else 0, result.rule.id,
            display_text(result.resource_id))


def render_quiet(report: Report, console: Console, *, fail_on: Severity | None = None) -> None:
    """Print every failure that is neither suppressed nor in the baseline, one line each, whatever its severity,
    and the unknown results that gate at `fail_on` (None: none of them)."""
    shown = gating_failures(report, Severity.LOW) + (gating_unknowns(report, fail_on) if fail_on else [])
    for result in sorted(shown, key=_order):
        console.print(Text(quiet_line(result)), soft_wrap=True, highlight=False)


__all__ = ["quiet_line", "render_quiet"]
