"""Markdown for a pull-request comment or a GitHub step summary (GitHub-flavoured).

In order: the overall score and counts (and why the gate passes or fails, when told `fail_on`), scores per pillar
and design area, the detected workload archetypes (when the report has them), top actions with their fix, inputs
not analysed, governance warnings, then the failures grouped by pillar in collapsible sections, the unknowns and
the suppressed results.

The comment is cut under `limit` characters (65,000 by default; GitHub refuses comments over 65,536, counted in
UTF-16 code units): the summary always fits, the finding rows fill what is left in order, and a closing note says
how many rows were left out and where the full list is. Every collapsible section that is opened is closed.

Nothing from the input is rendered as Markdown or HTML: names, ids and paths are code spans, messages and reasons
escaped text (`reporters._text`), so a resource named `<img src=x onerror=alert(1)>` or `@org/team` shows as
written and pings no one. The HTML of the layout (`<details>`, `<summary>`) is aiwell's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiwell.model import AIW000, Result, Status, display_text
from aiwell.report import Report
from aiwell.reporters._labels import area_title, number, pillar_title
from aiwell.reporters._rules import SNIPPET_TITLES, rule_help
from aiwell.reporters._text import markdown_code, markdown_text, utf16_length
from aiwell.scoring import Score

GITHUB_COMMENT_LIMIT = 65_000
"""Under GitHub's 65,536 characters, with room to spare for what a CI step adds around it."""


def _where(result: Result) -> str:
    location = result.location
    if location is None or not location.file:
        return ""
    return markdown_code(location.file if location.line is None else f"{location.file}:{location.line}")


def _resource(result: Result) -> str:
    return markdown_code(display_text(result.resource_name) or display_text(result.resource_id))


class _Writer:
    """Lines of Markdown, with the room left under the limit."""

    def __init__(self, limit: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.limit = limit
        self.left_out = 0

    def add(self, *lines: str) -> None:
        for line in lines:
            self.lines.append(line)
            self.size += utf16_length(line) + 1

    def fits(self, *lines: str, reserve: int = 0) -> bool:
        return self.size + sum(utf16_length(line) + 1 for line in lines) + reserve <= self.limit

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


_RESERVE = 600
"""Room kept for closing tags and the note on what was left out."""


def _score_table(rows: Iterable[tuple[str, Score]], heading: str) -> list[str]:
    lines = [f"| {heading} | Score | Coverage | Failed | Unknown | Passed |", "|---|--:|--:|--:|--:|--:|"]
    for label, score in rows:
        lines.append(f"| {label} | {number(score.score)} | {number(score.coverage, '%')} | {score.failed} | "
                     f"{score.unknown} | {score.passed} |")
    return lines


def _headline(report: Report, gate: tuple[int, str] | None) -> list[str]:
    summary = report.summary
    overall = report.scores.overall
    title = f"## aiwell review · score {number(overall.score)}" if overall.score is not None \
        else "## aiwell review · no score"
    counts = [f"**{summary.failed} failed**", f"{summary.unknown} unknown", f"{summary.passed} passed"]
    severities = ", ".join(f"{counts_.failed} {severity.value}" for severity, counts_ in summary.by_severity.items()
                           if counts_.failed)
    if severities:
        counts[0] += f" ({severities})"
    if summary.suppressed:
        counts.append(f"{summary.suppressed} suppressed")
    if summary.baselined:
        counts.append(f"{summary.baselined} in the baseline")
    if summary.not_analysed:
        counts.append(f"**{summary.not_analysed} input{'s' if summary.not_analysed != 1 else ''} not analysed**")
    if summary.partial:
        counts.append(f"{summary.partial} partly reviewed")
    context = [f"coverage {number(overall.coverage, '%')}", f"{len(report.resources)} resources",
               f"{len(report.inputs)} inputs", f"rule set {markdown_code(report.rule_set)}"]
    if report.environment:
        context.append(f"environment {markdown_code(report.environment)}")
    lines = [title, "", " · ".join(counts), "", " · ".join(context) + f" · aiwell {report.tool_version}"]
    if gate is not None:
        code, reason = gate
        lines += ["", ("❌ " if code else "✅ ") + reason]
    return lines


def _workload(report: Report) -> list[str]:
    """The workload archetypes the resources show, each with the resources that show it."""
    if not report.workload:
        return []
    lines = ["", "### Workload", ""]
    for archetype in report.workload:
        shown = ", ".join(markdown_code(display_text(item)) for item in archetype.evidence[:5])
        more = f" and {len(archetype.evidence) - 5} more" if len(archetype.evidence) > 5 else ""
        lines.append(f"- **{markdown_text(archetype.name)}**" + (f" — from {shown}{more}" if shown else ""))
    return lines


def _fence(snippet: str) -> str:
    fence = "```"
    while fence in snippet:
        fence += "`"
    return fence


def _top_actions(report: Report) -> list[str]:
    if not report.top_actions:
        return []
    lines = ["", "### Top actions", ""]
    for position, action in enumerate(report.top_actions, start=1):
        rule = action.rule
        count = len(action.resources)
        lines.append(f"{position}. **{rule.id}** {markdown_text(rule.title)} — {count} resource"
                     f"{'s' if count != 1 else ''}, +{action.gain:.1f} points ({rule.severity.value})")
        snippets = rule_help(report, rule).snippets
        if snippets:
            lines += ["", "   <details><summary>How to fix</summary>", ""]
            for kind, snippet in snippets:
                fence = _fence(snippet)
                language = {"arm": "json", "bicep": "bicep", "terraform": "hcl"}[kind]
                lines += [f"   {SNIPPET_TITLES[kind]}:", "", f"   {fence}{language}",
                          *(f"   {line}" for line in snippet.splitlines()), f"   {fence}", ""]
            lines += ["   </details>", ""]
    return lines


def _not_analysed(report: Report) -> list[str]:
    records = report.not_analysed
    if not records:
        return []
    lines = ["", f"### {len(records)} input{'s' if len(records) != 1 else ''} not analysed", "",
             "Their resources were not reviewed; each counts as a high finding.", ""]
    for record in records:
        place = record.path if record.line is None else f"{record.path}:{record.line}"
        lines.append(f"- {markdown_code(place)}: {markdown_text(record.reason or 'the input could not be analysed')}")
    return lines


def _warnings(report: Report) -> list[str]:
    if not report.warnings and not report.partial_inputs:
        return []
    lines = ["", "### Warnings", ""]
    lines += [f"- {markdown_text(warning)}" for warning in report.warnings]
    for label, parts in report.partial_inputs.items():
        for part in parts:
            lines.append(f"- {markdown_code(label)} partly reviewed: {markdown_text(part)}")
    return lines


_FINDING_HEADER = ["| Severity | Rule | Resource | Where | Message |", "|---|---|---|---|---|"]


def _finding_row(result: Result) -> str:
    new = " (baseline)" if result.baselined else ""
    return (f"| {result.rule.severity.value}{new} | **{result.rule.id}** {markdown_text(result.rule.title)} | "
            f"{_resource(result)} | {_where(result)} | {markdown_text(display_text(result.message))} |")


def _suppressed_row(result: Result) -> str:
    suppression = result.suppression
    assert suppression is not None
    owner = markdown_text(suppression.owner) if suppression.owner else ""
    return (f"| **{result.rule.id}** | {_resource(result)} | {markdown_text(suppression.reason)} | {owner} | "
            f"{suppression.expires or ''} | {markdown_code(suppression.source)} |")


def _section(out: _Writer, summary: str, header: Sequence[str], rows: Sequence[str]) -> None:
    """A collapsible section of table rows, as many as fit; the rest are counted as left out."""
    opening = ["", f"<details><summary>{summary}</summary>", "", *header]
    closing = ["", "</details>"]
    if not rows:
        return
    if not out.fits(*opening, rows[0], *closing, reserve=_RESERVE):
        out.left_out += len(rows)
        return
    out.add(*opening)
    for position, row in enumerate(rows):
        if not out.fits(row, *closing, reserve=_RESERVE):
            out.left_out += len(rows) - position
            break
        out.add(row)
    out.add(*closing)


def _order(result: Result) -> tuple[int, str, str]:
    return (-result.rule.severity.rank, result.rule.id, display_text(result.resource_name).lower())


def render_markdown(report: Report, *, gate: tuple[int, str] | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The report as GitHub-flavoured Markdown of at most `limit` characters (see the module docstring).

    `gate` is the run's exit code and why, as `aiwell.report.exit_reason` gives them for the run's `--fail-on` and
    `--allow-*` flags: the headline says it. None: the headline does not.
    """
    out = _Writer(limit)
    out.add(*_headline(report, gate))
    out.add("", *_score_table(((pillar_title(p), s) for p, s in report.scores.pillars.items()), "Pillar"))
    areas = [(area, score) for area, score in report.scores.design_areas.items()
             if score.passed or score.failed or score.unknown]
    if areas:
        out.add("", *_score_table(((area_title(a), s) for a, s in areas), "Design area"))
    out.add(*_workload(report))
    top = _top_actions(report)
    if top and out.fits(*top, reserve=_RESERVE):
        out.add(*top)
    out.add(*_not_analysed(report))
    warnings = _warnings(report)
    if warnings and out.fits(*warnings, reserve=_RESERVE):
        out.add(*warnings)
    listed = [r for r in report.listed_results if r.rule.id != AIW000.id and not r.rule.id.startswith("Q-")]
    failures = [r for r in listed if r.status is Status.FAIL and r.suppression is None]
    if failures:
        out.add("", "### Failures by pillar")
    for pillar in report.pillars:
        in_pillar = sorted((r for r in failures if pillar in r.rule.pillars), key=_order)
        if in_pillar:
            score = report.scores.pillars[pillar]
            _section(out, f"<b>{pillar_title(pillar)}</b> · {len(in_pillar)} failed · score {number(score.score)}",
                     _FINDING_HEADER, [_finding_row(r) for r in in_pillar])
    unknown = sorted((r for r in listed if r.status is Status.UNKNOWN and r.suppression is None), key=_order)
    _section(out, f"<b>Unknown</b> · {len(unknown)} could not be decided", _FINDING_HEADER,
             [_finding_row(r) for r in unknown])
    suppressed = sorted((r for r in report.listed_results if r.suppression is not None), key=_order)
    _section(out, f"<b>Suppressed</b> · {len(suppressed)}",
             ["| Rule | Resource | Reason | Owner | Expires | Declared in |", "|---|---|---|---|---|---|"],
             [_suppressed_row(r) for r in suppressed])
    if out.left_out:
        out.add("", f"_{out.left_out} row{'s' if out.left_out != 1 else ''} left out to stay under "
                    f"{out.limit:,} characters: the SARIF, HTML or JSON report has every finding._")
    return out.text()


__all__ = ["GITHUB_COMMENT_LIMIT", "render_markdown"]
