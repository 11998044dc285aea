"""Renderers of a data report: terminal (a readiness scorecard by facet, then the findings), Markdown and HTML
(with a histogram per column, reference and current overlaid when drift is measured). All of them read the
`aiwell.data/1` document only, so a saved JSON report renders the same."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from aiwell.data.model import FACETS

_STATUS_STYLE = {"pass": "green", "fail": "red", "unknown": "yellow"}
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_STATUS_ORDER = {"fail": 0, "unknown": 1, "pass": 2}


def _rows(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def _size(value: Any) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def _score(facet: Mapping[str, Any]) -> str:
    if not facet["measured"]:
        return "not measured"
    return "—" if facet["score"] is None else f"{facet['score']:.0f}"


def ordered_findings(document: Mapping[str, Any], *, verbose: bool) -> list[Mapping[str, Any]]:
    """Findings to show, worst first within each facet (passes only when verbose)."""
    shown = [f for f in document["findings"] if verbose or f["status"] != "pass"]
    facet_order = {name: i for i, name in enumerate(FACETS)}
    return sorted(shown, key=lambda f: (facet_order[f["facet"]], _STATUS_ORDER[f["status"]],
                                        _SEVERITY_ORDER[f["severity"]]))


def _hint(name: str) -> str:
    hints = {"freshness": "give --time COL (and --freshness 30d)", "balance": "give --label COL",
             "leakage": "give --label COL or --test PATH", "drift": "give --reference PATH"}
    return hints.get(name, "")


def render_terminal(document: Mapping[str, Any], console: Console, *, verbose: bool = False) -> None:
    """The scorecard, the datasets and the findings."""
    scores = document["scores"]
    overall = "—" if scores["overall"] is None else f"{scores['overall']:.0f}/100"
    console.print(Text.assemble(("aiwell data", "bold"), f" · readiness {overall}",
                                f" · coverage {scores['coverage']:.0f}%" if scores["coverage"] is not None else "",
                                f" · engine {document['engine']}"))
    datasets = Table(show_edge=False, header_style="bold", pad_edge=False)
    for name, justify in (("dataset", "left"), ("role", "left"), ("format", "left"), ("rows", "right"),
                          ("columns", "right"), ("size", "right")):
        datasets.add_column(name, justify=justify)  # type: ignore[arg-type]
    for dataset in document["datasets"]:
        datasets.add_row(dataset["path"], dataset["role"], dataset["format"], _rows(dataset["rows"]),
                         str(len(dataset["columns"])), _size(dataset.get("bytes")))
    console.print(datasets)
    console.print()
    card = Table(title="Readiness by facet", title_justify="left", show_edge=False, header_style="bold",
                 pad_edge=False)
    for name, justify in (("facet", "left"), ("score", "right"), ("pass", "right"), ("fail", "right"),
                          ("unknown", "right"), ("", "left")):
        card.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name in FACETS:
        facet = scores["facets"][name]
        style = "red" if facet["failed"] else ("yellow" if facet["unknown"] else "green")
        card.add_row(Text(name, style=style if facet["measured"] else "dim"), _score(facet), str(facet["passed"]),
                     str(facet["failed"]), str(facet["unknown"]),
                     Text(_hint(name) if not facet["measured"] else "", style="dim"))
    console.print(card)
    shown = ordered_findings(document, verbose=verbose)
    console.print()
    if not shown:
        console.print(Text("No failed or unknown findings.", style="green"))
        return
    findings = Table(title="Findings", title_justify="left", show_edge=False, header_style="bold", pad_edge=False)
    for name in ("facet", "status", "severity", "where", "finding"):
        findings.add_column(name, overflow="fold", ratio=3 if name == "finding" else None)
    for finding in shown:
        where = finding["dataset"] + (f" · {finding['column']}" if finding["column"] else "")
        findings.add_row(finding["facet"], Text(finding["status"], style=_STATUS_STYLE[finding["status"]]),
                         finding["severity"], where, finding["message"])
    console.print(findings)
    summary = document["summary"]
    console.print(f"\n{summary['fail']} failed, {summary['unknown']} unknown, {summary['pass']} passed"
                  + ("" if verbose else " (-v lists the passes)"), highlight=False)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(document: Mapping[str, Any], *, verbose: bool = False) -> str:
    """The report as Markdown (GitHub tables), for pull requests and wikis."""
    scores = document["scores"]
    lines = ["# Data readiness", ""]
    overall = "—" if scores["overall"] is None else f"{scores['overall']:.0f}/100"
    lines.append(f"Readiness **{overall}** · engine {document['engine']} · aiwell {document['tool']['version']}")
    lines += ["", "| dataset | role | format | rows | columns | size |", "|---|---|---|---:|---:|---:|"]
    for d in document["datasets"]:
        lines.append(f"| {_md(d['path'])} | {d['role']} | {d['format']} | {_rows(d['rows'])} | {len(d['columns'])} "
                     f"| {_size(d.get('bytes'))} |")
    lines += ["", "## Readiness by facet", "", "| facet | score | pass | fail | unknown |", "|---|---:|---:|---:|---:|"]
    for name in FACETS:
        facet = scores["facets"][name]
        lines.append(f"| {name} | {_score(facet)} | {facet['passed']} | {facet['failed']} | {facet['unknown']} |")
    shown = ordered_findings(document, verbose=verbose)
    lines += ["", "## Findings", ""]
    if not shown:
        lines.append("No failed or unknown findings.")
    else:
        lines += ["| facet | status | severity | dataset | column | finding |", "|---|---|---|---|---|---|"]
        for f in shown:
            lines.append(f"| {f['facet']} | {f['status']} | {f['severity']} | {_md(f['dataset'])} | "
                         f"{_md(f['column'] or '')} | {_md(f['message'])} |")
    return "\n".join(lines) + "\n"


# --- HTML --------------------------------------------------------------------------------------------------------

_WIDTH, _HEIGHT = 240, 64


def _tick(value: float | None, kind: str) -> str:
    if value is None:
        return ""
    if kind == "epoch_seconds":
        from datetime import UTC, datetime

        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d")
    return f"{value:.4g}"


def svg_histogram(histogram: Mapping[str, Any] | None, overlay: Mapping[str, Any] | None = None) -> str:
    """An inline SVG of a column's histogram; with `overlay`, reference (grey) and current (blue) shares on the
    same bins."""
    if overlay is not None:
        series = [("reference", overlay["reference"], "#afb8c1"), ("current", overlay["current"], "#0969da")]
        labels = overlay.get("values")
        edges = overlay.get("edges")
        kind = overlay["kind"]
    elif histogram is not None:
        total = sum(histogram["counts"]) or 1
        series = [("values", [c / total for c in histogram["counts"]], "#0969da")]
        labels = histogram.get("values")
        edges = histogram.get("edges")
        kind = histogram["kind"]
    else:
        return ""
    bins = len(series[0][1])
    if not bins:
        return ""
    top = max(max(values) for _, values, _ in series) or 1
    width = _WIDTH / bins
    bars = []
    for index in range(bins):
        for offset, (name, values, colour) in enumerate(series):
            share = values[index] or 0
            height = (_HEIGHT - 14) * share / top
            x = index * width + (offset * width / len(series) if len(series) > 1 else 0)
            what = labels[index] if labels else (f"{_tick(edges[index], kind)} – {_tick(edges[index + 1], kind)}"
                                                if edges else "")
            bars.append(f'<rect class="bar {name}" x="{x:.1f}" y="{_HEIGHT - 14 - height:.1f}" '
                        f'width="{max(width / len(series) - 1, 0.5):.1f}" height="{height:.1f}" fill="{colour}">'
                        f"<title>{escape(str(what))}: {share:.1%} ({name})</title></rect>")
    axis = ""
    if edges:
        axis = (f'<text x="0" y="{_HEIGHT - 2}">{escape(_tick(edges[0], kind))}</text>'
                f'<text x="{_WIDTH}" y="{_HEIGHT - 2}" text-anchor="end">{escape(_tick(edges[-1], kind))}</text>')
    elif labels:
        axis = f'<text x="0" y="{_HEIGHT - 2}">{escape(str(labels[0])[:18])}</text>'
    return (f'<svg class="histogram" width="{_WIDTH}" height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
            f'role="img" aria-label="histogram">{"".join(bars)}{axis}</svg>')


def render_html(document: Mapping[str, Any], *, verbose: bool = False) -> str:
    """A self-contained HTML page (no scripts, no network): scorecard, findings, and per dataset a table of its
    columns with a histogram each."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("aiwell.data", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    overlays: dict[tuple[str, str], Mapping[str, Any]] = {
        (d["dataset"], d["column"]): d["overlay"] for d in document.get("drift", []) if d.get("overlay")}

    def chart(dataset: str, column: Mapping[str, Any]) -> Markup:
        return Markup(svg_histogram(column.get("histogram"), overlays.get((dataset, column["name"]))))

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    def span(column: Mapping[str, Any]) -> str:
        if column["min"] is None:
            return ""
        kind = "epoch_seconds" if column["type"] in ("date", "timestamp") else "values"
        return f"{_tick(column['min'], kind)} – {_tick(column['max'], kind)}"

    template = env.get_template("report.html.j2")
    return template.render(report=document, facets=FACETS, findings=ordered_findings(document, verbose=verbose),
                           chart=chart, pct=pct, rows=_rows, size=_size, score=_score, span=span)


__all__ = ["ordered_findings", "render_html", "render_markdown", "render_terminal", "svg_histogram"]
