"""The `aiwell.data/1` report: datasets with their column profiles, findings by facet, readiness scores; and the
exit code. docs/data.md documents every key; `report.schema.json` is its JSON Schema.

Scores follow the review's formula, per facet and overall:

    score    = 100 × Σ weight(passed) / Σ weight(passed + failed)      weight: high 3, medium 2, low 1
    coverage = 100 × (passed + failed) / (passed + failed + unknown)

A facet without findings (drift without --reference, balance without --label, ...) has no score and
`measured: false`. The exit code is 1 when a finding at or above --fail-on failed or could not be decided
(`unknown`: what was asked for was not measured, so the gate cannot pass on it), or when any data could not be
read (`volume`/`not-read` at high severity, counted whatever --fail-on is, except `none`).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct

from aiwell import __version__
from aiwell.data.facets import Context, Dataset
from aiwell.data.facets.drift import ColumnDrift
from aiwell.data.model import FACETS, ColumnProfile, Finding, Kind, Severity, Status
from aiwell.data.pii import mask, sensitive_name
from aiwell.data.stats import bin_shares, display_edges

SCHEMA = "aiwell.data/1"
HISTOGRAM_BINS = 20
TOP_CATEGORIES = 20


class DataReport(Struct):
    """A finished run: the JSON document and what the renderers need besides it."""

    document: dict[str, Any]
    findings: list[Finding]

    def exit_code(self, fail_on: Severity | None) -> int:
        """1 when a finding at or above `fail_on` failed or is unknown, or data was not read; 0 otherwise;
        `None` never fails."""
        if fail_on is None:
            return 0
        for finding in self.findings:
            if finding.check == "not-read" and finding.severity is Severity.HIGH:
                return 1
            if finding.status is not Status.PASS and finding.severity.weight >= fail_on.weight:
                return 1
        return 0


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return round(value, digits)


def shown_value(column: ColumnProfile, value: str) -> str:
    """A value of `column` as reports may show it: masked (`mask`) when the column holds personal or secret data,
    by content or by name (`sensitive_name`)."""
    return mask(value) if column.pii or sensitive_name(column.name) else value


def histogram(column: ColumnProfile, edges: list[float] | None = None) -> dict[str, Any] | None:
    """A column's histogram for reports: value counts for categories (the top 20 and the rest), counts on 20
    equal-width bins between min and max for numbers and dates (derived from the quantile sketch), text lengths
    for free text."""
    if column.categories is not None:
        ordered = sorted(column.categories.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ordered[:TOP_CATEGORIES]
        rest = sum(n for _, n in ordered[TOP_CATEGORIES:])
        values = [shown_value(column, k) for k, _ in shown] + (["(other)"] if rest else [])
        return {"kind": "categories", "values": values, "counts": [n for _, n in shown] + ([rest] if rest else []),
                "approximate": False}
    quantiles = column.quantiles if (column.kind.numeric or column.kind.temporal) else column.length_quantiles
    if not quantiles:
        return None
    if edges is None:
        edges = display_edges(quantiles[0], quantiles[-1], HISTOGRAM_BINS)
    shares = bin_shares(quantiles, edges) if len(edges) > 2 else [1.0]
    total = column.non_null
    kind = "length" if column.kind is Kind.STRING else ("epoch_seconds" if column.kind.temporal else "values")
    return {"kind": kind, "edges": [_round(e) for e in edges], "counts": [round(float(s) * total) for s in shares],
            "approximate": True}


def _column(column: ColumnProfile) -> dict[str, Any]:
    quantiles = column.quantiles
    return {
        "name": column.name, "type": column.kind.value, "engine_type": column.engine_type,
        "null_share": _round(column.null_share), "nulls": column.nulls, "distinct": column.distinct,
        "approximate": column.distinct_approximate, "parse_failures": column.parse_failures,
        "min": _round(column.minimum), "max": _round(column.maximum), "mean": _round(column.mean),
        "std": _round(column.std),
        "quantiles": None if not quantiles else {f"p{p:02d}": _round(quantiles[p]) for p in (1, 5, 25, 50, 75, 95, 99)},
        "mean_length": _round(column.mean_length),
        "pii": [{"entity": h.entity, "share": _round(h.share), "rows": h.rows, "approximate": h.approximate}
                for h in column.pii],
        "histogram": histogram(column),
    }


def _dataset(dataset: Dataset) -> dict[str, Any]:
    profile = dataset.profile
    base: dict[str, Any] = {"path": dataset.label, "format": dataset.source.format, "role": dataset.role}
    if profile is None:
        return {**base, "rows": None, "bytes": dataset.source.bytes if dataset.source.files else None,
                "files": len(dataset.source.files), "error": dataset.error
                or "; ".join(reason for _, reason in dataset.source.unread) or "not read", "columns": []}
    document: dict[str, Any] = {
        **base, "rows": profile.rows, "bytes": profile.bytes, "files": profile.files, "error": None,
        "engine": profile.engine, "time_column": profile.time_column,
        "exact_duplicates": profile.exact_duplicates, "near_duplicates": profile.near_duplicates,
        "sample_rows": len(profile.sample), "datasheet": str(dataset.datasheet.path) if dataset.datasheet else None,
        "columns": [_column(c) for c in profile.columns],
        "unread": [{"path": p, "reason": r} for p, r in profile.unread],
    }
    if profile.documents is not None:
        kinds = Counter(d.kind for d in profile.documents)
        document["documents"] = {"count": len(profile.documents), "by_kind": dict(sorted(kinds.items())),
                                 "unreadable": sum(1 for d in profile.documents if d.error is not None)}
    return document


def _overlay(reference: ColumnProfile, current: ColumnProfile) -> dict[str, Any] | None:
    """Both sides' histograms on the same edges, for the HTML report."""
    if reference.categories is not None and current.categories is not None:
        keys = sorted(set(reference.categories) | set(current.categories),
                      key=lambda k: -(reference.categories or {}).get(k, 0))[:TOP_CATEGORIES]
        ref_total = sum(reference.categories.values()) or 1
        cur_total = sum(current.categories.values()) or 1
        hidden = bool(reference.pii) or bool(current.pii) or sensitive_name(current.name)
        return {"kind": "categories", "values": [mask(k) if hidden else k for k in keys],
                "reference": [reference.categories.get(k, 0) / ref_total for k in keys],
                "current": [current.categories.get(k, 0) / cur_total for k in keys]}
    numeric = reference.kind.numeric or reference.kind.temporal
    ref_q = reference.quantiles if numeric else reference.length_quantiles
    cur_q = current.quantiles if numeric else current.length_quantiles
    if not ref_q or not cur_q:
        return None
    edges = display_edges(min(ref_q[0], cur_q[0]), max(ref_q[-1], cur_q[-1]), HISTOGRAM_BINS)
    if len(edges) < 3:
        return None
    return {"kind": "length" if not numeric else "values", "edges": [_round(e) for e in edges],
            "reference": [_round(float(s)) for s in bin_shares(ref_q, edges)],
            "current": [_round(float(s)) for s in bin_shares(cur_q, edges)]}


def _drift(context: Context) -> list[dict[str, Any]]:
    reference = context.reference
    if reference is None or reference.profile is None:
        return []
    rows = []
    for dataset, profile in context.readable:
        measured: list[ColumnDrift] = context.drift.get(dataset.label, [])
        for drift in measured:
            ref_column = reference.profile.column(drift.column)
            cur_column = profile.column(drift.column)
            assert ref_column is not None and cur_column is not None
            rows.append({"dataset": dataset.label, "reference": reference.label, "column": drift.column,
                         "method": drift.method, "psi": _round(drift.psi), "js": _round(drift.js),
                         "wasserstein": _round(drift.wasserstein), "p_value": _round(drift.p_value, 8),
                         "null_shift": _round(drift.null_shift), "drifted": drift.drifted,
                         "overlay": _overlay(ref_column, cur_column)})
    return rows


def scores(findings: list[Finding]) -> dict[str, Any]:
    """Readiness scores overall and per facet (every facet present, in report order)."""
    def score(group: list[Finding]) -> dict[str, Any]:
        passed = [f for f in group if f.status is Status.PASS]
        failed = [f for f in group if f.status is Status.FAIL]
        unknown = [f for f in group if f.status is Status.UNKNOWN]
        weighted = sum(f.severity.weight for f in passed + failed)
        decided = len(passed) + len(failed)
        total = decided + len(unknown)
        return {"score": round(100 * sum(f.severity.weight for f in passed) / weighted, 1) if weighted else None,
                "passed": len(passed), "failed": len(failed), "unknown": len(unknown),
                "coverage": round(100 * decided / total, 1) if total else None, "measured": bool(group)}

    overall = score(findings)
    return {"overall": overall["score"], "coverage": overall["coverage"],
            "facets": {name: score([f for f in findings if f.facet == name]) for name in FACETS}}


def _options(context: Context) -> dict[str, Any]:
    options = context.options
    return {"label": options.label, "time": options.time,
            "freshness_days": None if options.freshness is None else options.freshness.total_seconds() / 86400,
            "reference": options.reference, "test": options.test,
            "datasheet": None if options.datasheet is None else str(options.datasheet),
            "engine": options.engine, "segments": list(options.segments), "min_rows": options.min_rows,
            "min_class_rows": options.min_class_rows, "max_null_share": options.max_null_share,
            "sample_rows": options.sample_rows, "fail_on": options.fail_on.value if options.fail_on else "none",
            "as_of": context.now.isoformat()}


def build_report(context: Context, findings: list[Finding]) -> DataReport:
    """The report of a finished run."""
    every = [*context.datasets, *(d for d in (context.reference, context.test) if d is not None)]
    statuses = Counter(f.status.value for f in findings)
    failed_by_severity = Counter(f.severity.value for f in findings if f.status is Status.FAIL)
    document = {
        "schema": SCHEMA,
        "tool": {"name": "aiwell", "version": __version__},
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": context.engine.name,
        "options": _options(context),
        "datasets": [_dataset(d) for d in every],
        "drift": _drift(context),
        "findings": [f.as_dict() for f in findings],
        "scores": scores(findings),
        "summary": {"pass": statuses["pass"], "fail": statuses["fail"], "unknown": statuses["unknown"],
                    "failed_by_severity": {s.value: failed_by_severity[s.value] for s in Severity},
                    "not_read": sum(1 for f in findings if f.check == "not-read")},
    }
    return DataReport(document, findings)


def render_json(report: DataReport) -> str:
    """The report as `aiwell.data/1` JSON."""
    return json.dumps(report.document, indent=2, ensure_ascii=False, default=str) + "\n"


__all__ = ["SCHEMA", "DataReport", "build_report", "histogram", "render_json", "scores"]
