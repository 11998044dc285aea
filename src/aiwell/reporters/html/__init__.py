"""The HTML report: one self-contained file (CSS and script inline, system fonts, no request to anywhere) for
architects and leads, printable on A4.

It opens on the scores per pillar and per design area as bar charts (with coverage), then the trend over past runs
when a history is given, the workload archetypes (when the report has them), top actions with their fix, inputs not
analysed, warnings, and the findings grouped by rule — each with its rationale and remediation snippets (ARM,
Bicep, Terraform) — filterable by pillar, severity, status, design area and resource; questionnaire answers (results
of `Q-` ids) close it.

Everything from the input is escaped twice over: `reporters._text.visible` shows control characters as escapes
and jinja2's autoescape makes `<`, `>`, `&` and quotes text. A Content-Security-Policy forbids every request and
every script but the page's own (allowed by its SHA-256), so even a mistake in escaping could not run code or
reach the network.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct

from aiwell.model import AIW000, Pillar, Result, Severity, Status, Suppression, display_text
from aiwell.report import Report
from aiwell.reporters._labels import area_title, number, pillar_title
from aiwell.reporters._rules import SNIPPET_TITLES, RuleHelp, rule_help
from aiwell.reporters._text import visible

HERE = Path(__file__).resolve().parent
_TREND_COLOURS = ("#1f2328", "#0969da", "#1a7f37", "#cf222e", "#8250df", "#9a6700")

TrendPoint = tuple[str, Mapping[str, float | None]]
"""One past run for the trend chart: its label (a date) and its scores (`overall` and each pillar's value)."""


def _inert(value: Any) -> str:
    return visible(display_text(value))


def _safe_uri(value: Any) -> str:
    text = display_text(value)
    return visible(text) if text.startswith(("https://", "http://")) else "#"


class _Row(Struct, frozen=True):
    status: str
    """fail, unknown, pass or suppressed."""
    baselined: bool
    name: str
    id: str
    where: str
    input: str
    message: str
    suppression: Suppression | None
    search: str


class _Group(Struct, frozen=True):
    help: RuleHelp
    pillars: str
    pillar_titles: str
    rows: tuple[_Row, ...]


class _Action(Struct, frozen=True):
    rule: Any
    count: int
    gain: float
    help: RuleHelp


_STATUS_ORDER = {"fail": 0, "unknown": 1, "suppressed": 2, "pass": 3}


def _row(result: Result, *, with_input: bool) -> _Row:
    location = result.location
    where = "" if location is None else location.file if location.line is None else f"{location.file}:{location.line}"
    status = "suppressed" if result.suppression is not None else result.status.value
    name = display_text(result.resource_name) or display_text(result.resource_id)
    label = result.input if with_input and (location is None or result.input != location.file) else ""
    return _Row(status=status, baselined=result.baselined, name=name, id=display_text(result.resource_id),
                where=where, input=label, message=display_text(result.message), suppression=result.suppression,
                search=f"{name} {display_text(result.resource_id)}".lower())


def _groups(report: Report, results: Sequence[Result]) -> list[_Group]:
    by_rule: dict[str, list[Result]] = {}
    for result in results:
        by_rule.setdefault(result.rule.id, []).append(result)
    with_input = len(report.input_labels) > 1
    groups = []
    for found in by_rule.values():
        info = found[0].rule
        rows = sorted((_row(result, with_input=with_input) for result in found),
                      key=lambda row: (_STATUS_ORDER[row.status], row.name.lower()))
        groups.append(_Group(help=rule_help(report, info), pillars=" ".join(p.value for p in info.pillars),
                             pillar_titles=", ".join(pillar_title(p) for p in info.pillars), rows=tuple(rows)))
    # Rules with failures first, the most severe first; then the rest by id.
    groups.sort(key=lambda g: (min(_STATUS_ORDER[row.status] for row in g.rows), -g.help.info.severity.rank,
                               g.help.info.id))
    return groups


def _chart(title: str, rows: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    bars = [{"label": label, "score": score.score, "coverage": score.coverage, "y": 4 + 24 * index}
            for index, (label, score) in enumerate(rows)]
    return {"title": title, "bars": bars, "height": 8 + 24 * len(bars)}


def _trend(points: Sequence[TrendPoint], pillars: Sequence[Pillar]) -> dict[str, Any] | None:
    if len(points) < 2:
        return None
    keys = [("overall", "Overall"), *((pillar.value, pillar_title(pillar)) for pillar in pillars)]
    step = 580 / (len(points) - 1)
    lines = []
    for (key, label), colour in zip(keys, _TREND_COLOURS, strict=False):
        coordinates = [f"{40 + step * index:.1f},{170 - 1.6 * score:.1f}"
                       for index, (_, scores) in enumerate(points) if (score := scores.get(key)) is not None]
        if coordinates:
            lines.append({"label": label, "colour": colour, "points": " ".join(coordinates)})
    every = max(1, len(points) // 6)
    last = len(points) - 1
    ticks = [{"x": f"{40 + step * index:.1f}", "label": label,
              "anchor": "start" if index == 0 else "end" if index == last else "middle"}
             for index, (label, _) in enumerate(points) if index % every == 0 or index == last]
    return {"lines": lines, "ticks": ticks, "height": 196}


@functools.cache
def _assets() -> tuple[Any, str, str, str]:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["inert"] = _inert
    environment.filters["safe_uri"] = _safe_uri
    script = (HERE / "report.js").read_text(encoding="utf-8")
    css = (HERE / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return environment.get_template("report.html.j2"), css, script, f"sha256-{digest}"


def render_html(report: Report, *, gate: tuple[int, str] | None = None, trend: Sequence[TrendPoint] = ()) -> str:
    """The report as one self-contained HTML page (see the module docstring).

    `gate` is the run's exit code and why, as `aiwell.report.exit_reason` gives them for the run's `--fail-on` and
    `--allow-*` flags: the page says it (None: it does not). `trend` (oldest first) draws the scores of past runs
    from the history.
    """
    from aiwell.reporters.terminal import summary_line

    template, css, script, script_hash = _assets()
    listed = [r for r in report.listed_results if r.rule.id != AIW000.id]
    findings = [r for r in listed if not r.rule.id.startswith("Q-")]
    questions = [r for r in listed if r.rule.id.startswith("Q-")]
    areas = [area for area, score in report.scores.design_areas.items()
             if score.passed or score.failed or score.unknown]
    actions = [_Action(rule=action.rule, count=len(action.resources), gain=action.gain,
                       help=rule_help(report, action.rule)) for action in report.top_actions]
    overall = report.scores.overall
    headline = f"score {number(overall.score)}, {report.summary.failed} failed"
    return str(template.render(
        report=report,
        headline=headline,
        css=css,
        script=script,
        script_hash=script_hash,
        gate=gate,
        charts=[_chart("Pillars", [(pillar_title(p), s) for p, s in report.scores.pillars.items()]),
                _chart("AI design areas", [(area_title(a), report.scores.design_areas[a]) for a in areas])],
        trend=_trend(trend, report.pillars),
        actions=actions,
        partial=list(report.partial_inputs.items()),
        groups=_groups(report, findings),
        open_count=sum(1 for r in findings if r.suppression is None and r.status in (Status.FAIL, Status.UNKNOWN)),
        questions=questions,
        severities=sorted(Severity, key=lambda s: -s.rank),
        areas=areas,
        pillar_title=pillar_title,
        area_title=area_title,
        number=number,
        text=display_text,
        snippet_titles=SNIPPET_TITLES,
        summary_line=summary_line(report),
    ))


__all__ = ["TrendPoint", "render_html"]
