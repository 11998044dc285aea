"""`types`: what each column holds, values that don't parse as it, mixed types, and schemas that differ between
the files of a dataset and between datasets that should match (training and test, reference and current)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from aiwell.data.facets import Context, Findings, count, facet, percent
from aiwell.data.model import Finding, Kind, Severity, TableProfile
from aiwell.data.pii import mask
from aiwell.data.plan import kind_of_duckdb_type

MIXED_LOW = 0.5
"""A text column whose values are numbers (or timestamps) at least this often, but not always, mixes types."""
AS_TEXT = 0.99


def _examples(values: list[str]) -> str:
    # Unparsed values can be anything, personal data included: short ones with few digits ('n/a', '12O', 'oops')
    # are shown, anything longer or digit-heavy only by its shape.
    return ", ".join(repr(v) if len(v) <= 16 and sum(ch.isdigit() for ch in v) <= 4 else repr(mask(v))
                     for v in values)


def _parse_failures(findings: Findings, dataset: str, profile: TableProfile) -> None:
    failing = [c for c in profile.columns if c.parse_failures]
    for column in failing:
        share = column.parse_failures / max(1, column.rows - column.nulls)
        examples = f", e.g. {_examples(column.failure_examples)}" if column.failure_examples else ""
        findings.failed("parse-failures", dataset, column.name, Severity.MEDIUM if share >= 0.01 else Severity.LOW,
                        f"{count(column.parse_failures)} values ({percent(share)}) don't parse as {column.kind}"
                        f"{examples}: fix them at the source, or declare them missing", value=share)
    if not failing and profile.format in ("csv", "jsonl", "excel", "sqlite"):
        findings.passed("parse-failures", dataset, None, "every value parses as its column's type")


def _mixed(findings: Findings, dataset: str, profile: TableProfile) -> None:
    for column in profile.columns:
        if column.kind is not Kind.STRING or column.numeric_share is None:
            continue
        for share, what in ((column.numeric_share, "numbers"), (column.temporal_share or 0.0, "dates or times")):
            if share >= AS_TEXT:
                findings.failed("numbers-as-text" if what == "numbers" else "dates-as-text", dataset, column.name,
                                Severity.LOW, f"the values are {what} stored as text: store them as {what} so range "
                                              "checks, statistics and drift work on them", value=share)
                break
            if share >= MIXED_LOW:
                findings.failed("mixed-types", dataset, column.name, Severity.MEDIUM,
                                f"{percent(share)} of the values are {what} and the rest text: one column, two "
                                "types; split it or clean the odd values", value=share)
                break


def _file_schemas(findings: Findings, dataset: str, profile: TableProfile) -> None:
    if len(profile.file_schemas) < 2:
        return
    files = len(profile.file_schemas)
    every = {name for schema in profile.file_schemas for name in schema.columns}
    problems = []
    for name in sorted(every):
        having = [s for s in profile.file_schemas if name in s.columns]
        if len(having) < files:
            problems.append(f"{name!r} is missing from {files - len(having)} of {files} files "
                            f"(e.g. {next(s.path for s in profile.file_schemas if name not in s.columns)})")
            continue
        kinds = {kind_of_duckdb_type(s.columns[name]) for s in having}
        if len(kinds) > 1:
            problems.append(f"{name!r} is {' in some files, '.join(sorted(kinds))} in others")
    if problems:
        findings.failed("file-schemas", dataset, None, Severity.MEDIUM,
                        f"the {files} files don't share one schema: " + "; ".join(problems[:5])
                        + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""),
                        value=float(len(problems)))
    else:
        findings.passed("file-schemas", dataset, None, f"the {files} files share one schema")


def compare_schemas(findings: Findings, dataset: str, profile: TableProfile, other: TableProfile,
                    other_role: str) -> None:
    """Columns missing from, added to, or of another type in `profile` than in `other`."""
    ours = {c.name: c for c in profile.columns}
    theirs = {c.name: c for c in other.columns}
    missing = [n for n in theirs if n not in ours]
    added = [n for n in ours if n not in theirs]
    changed = [f"{n!r} ({theirs[n].kind} → {ours[n].kind})" for n in ours
               if n in theirs and theirs[n].kind != ours[n].kind
               and {theirs[n].kind, ours[n].kind} != {Kind.INTEGER, Kind.FLOAT}]
    check = f"schema-vs-{other_role}"
    if missing:
        findings.failed(check, dataset, None, Severity.HIGH,
                        f"columns of the {other_role} data missing here: {', '.join(map(repr, missing))}; a model "
                        "trained on them can't be fed", value=float(len(missing)))
    if changed:
        findings.failed(check, dataset, None, Severity.MEDIUM,
                        f"columns whose type differs from the {other_role} data: {', '.join(changed)}",
                        value=float(len(changed)))
    if added:
        findings.failed(check, dataset, None, Severity.LOW,
                        f"columns not in the {other_role} data: {', '.join(map(repr, added))}",
                        value=float(len(added)))
    if not (missing or changed or added):
        findings.passed(check, dataset, None, f"same columns and types as the {other_role} data")


@facet("types")
def types(context: Context) -> Iterable[Finding]:
    """Parse failures, mixed types, numbers stored as text, schema differences."""
    findings = Findings("types")
    for dataset, profile in context.readable:
        kinds = Counter(c.kind.value for c in profile.columns)
        findings.passed("column-types", dataset.label, None,
                        "columns: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
        _parse_failures(findings, dataset.label, profile)
        _mixed(findings, dataset.label, profile)
        _file_schemas(findings, dataset.label, profile)
        for other in (context.reference, context.test):
            if other is not None and other.profile is not None:
                compare_schemas(findings, dataset.label, profile, other.profile, other.role)
    return findings.items
