"""The quiet terminal report (`--quiet`): the failures, one line each, in the `file:line: ID message`
shape editors and CI log parsers jump to, sorted by file and line. Nothing else is printed.

A failure without a file (an inventory row read from standard input) names its resource id instead. Suppressed
failures and failures in the findings baseline are left out; inputs not analysed are `AIW000` lines. What else
gates the run is a line too, so a failing exit code always has a line that says why: a result that could not be
decided (`unknown` at or above `--fail-on`, without `--allow-unknown`) and a question left unanswered (without
`--allow-unanswered`), their message starting `unknown:`, and a review that checked nothing (without
`--allow-nothing-checked`). Lines are never wrapped, and text from the input has control characters shown as
escapes.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from aiwell.model import Result, Severity, Status, display_text
from aiwell.report import Report, gating_failures, gating_unknowns, nothing_checked, nothing_checked_reason
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


def render_quiet(report: Report, console: Console, *, fail_on: Severity | None = None, allow_unknown: bool = False,
                 allow_unanswered: bool = False, allow_nothing_checked: bool = False) -> None:
    """Print every failure that is neither suppressed nor in the baseline, one line each, whatever its severity,
    and what else gates the run at `fail_on` with these `allow_*` flags, as `aiwell.report.exit_code` gates it
    (`fail_on` None: nothing else)."""
    shown = gating_failures(report, Severity.LOW)
    if fail_on is not None:
        if not allow_unknown:
            shown += [result for result in gating_unknowns(report, fail_on) if not result.rule.id.startswith("Q-")]
        questionnaire = report.questionnaire
        if questionnaire is not None and questionnaire.unanswered and not allow_unanswered:
            # Any question left unanswered gates, whatever its severity.
            shown += [result for result in gating_unknowns(report, Severity.LOW) if result.rule.id.startswith("Q-")]
    for result in sorted(shown, key=_order):
        console.print(Text(quiet_line(result)), soft_wrap=True, highlight=False)
    if fail_on is not None and not allow_nothing_checked and nothing_checked(report):
        console.print(Text(f"{nothing_checked_reason(report)} (--allow-nothing-checked passes)"), soft_wrap=True,
                      highlight=False)


__all__ = ["quiet_line", "render_quiet"]
