"""`volume`: is there enough data, was all of it read, and how does it grow."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from aiwell.data.facets import Context, Findings, count, facet, percent
from aiwell.data.model import Finding, Severity

_UNSUPPORTED = "are not read"


def _size(bytes_: int | None) -> str:
    if bytes_ is None:
        return ""
    size = float(bytes_)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f", {size:.1f} {unit}" if unit != "B" else f", {int(size)} B"
        size /= 1024
    return ""


def _floor(findings: Findings, dataset: str, column: str, counts: dict[str, int], floor: int, check: str,
           what: str) -> None:
    small = sorted(((k, v) for k, v in counts.items() if v < floor), key=lambda kv: kv[1])
    if small:
        listed = ", ".join(f"{k!r} ({count(v)})" for k, v in small[:8]) + (" ..." if len(small) > 8 else "")
        findings.failed(check, dataset, column, Severity.MEDIUM,
                        f"{len(small)} {what} of {column!r} have fewer than {count(floor)} rows: {listed}; collect "
                        "more of them, merge them, or leave them out of training and evaluation",
                        value=float(len(small)))
    else:
        findings.passed(check, dataset, column, f"every {what[:-1]} of {column!r} has at least {count(floor)} rows")


def _growth(findings: Findings, dataset: str, column: str, daily: dict[str, int]) -> None:
    days = sorted((date.fromisoformat(d), n) for d, n in daily.items())
    if len(days) < 2:
        return
    span = (days[-1][0] - days[0][0]).days + 1
    months: dict[str, int] = {}
    for day, rows in days:
        months[day.strftime("%Y-%m")] = months.get(day.strftime("%Y-%m"), 0) + rows
    ordered = list(months.items())
    message = f"rows over {count(span)} days ({days[0][0]} to {days[-1][0]}): {count(sum(n for _, n in days))}"
    growth = None
    if len(ordered) >= 3:
        # The first and last months are usually partial: compare the last full month with the one before it.
        (previous_month, previous), (last_month, last) = ordered[-3], ordered[-2]
        if previous:
            growth = (last - previous) / previous
            message += (f"; {last_month}: {count(last)} rows, {'+' if growth >= 0 else ''}{percent(growth)} on "
                        f"{previous_month}")
    findings.passed("growth", dataset, column, message, value=growth)


@facet("volume")
def volume(context: Context) -> Iterable[Finding]:
    """Rows and bytes, files not read, rows per class and per segment against a floor, growth over time."""
    findings = Findings("volume")
    options = context.options
    for dataset in [*context.datasets, *(d for d in (context.reference, context.test) if d is not None)]:
        for path, reason in dataset.source.unread:
            severity = Severity.MEDIUM if _UNSUPPORTED in reason else Severity.HIGH
            findings.unknown("not-read", dataset.label, None, severity, f"{path} was not read: {reason}")
        if dataset.profile is None:
            if dataset.error is not None:
                findings.unknown("not-read", dataset.label, None, Severity.HIGH,
                                 f"{dataset.label} could not be read: {dataset.error}")
            continue
        profile = dataset.profile
        for path, reason in profile.unread:
            if (path, reason) not in dataset.source.unread:
                findings.unknown("not-read", dataset.label, None, Severity.HIGH, f"{path} was not read: {reason}")
        if dataset.role != "data":
            continue
        what = "documents" if profile.documents is not None else "rows"
        shape = f"{count(profile.rows)} {what}" + (f" × {len(profile.columns)} columns"
                                                   if profile.documents is None else "")
        shape += _size(profile.bytes) + (f" in {count(profile.files)} files" if profile.files > 1 else "")
        if profile.rows == 0:
            findings.failed("rows", dataset.label, None, Severity.HIGH, f"the dataset is empty ({shape})", value=0)
        elif profile.documents is None and profile.rows < options.min_rows:
            findings.failed("rows", dataset.label, None, Severity.MEDIUM,
                            f"{shape}: fewer than the {count(options.min_rows)} rows expected (--min-rows); too few "
                            "to train or evaluate on with confidence", value=profile.rows)
        else:
            findings.passed("rows", dataset.label, None, shape, value=profile.rows)
        if options.label is not None:
            label = profile.column(options.label)
            if label is not None and label.categories is not None:
                _floor(findings, dataset.label, label.name, label.categories, options.min_class_rows, "class-rows",
                       "classes")
        for segment in options.segments:
            column = profile.column(segment)
            if column is None:
                findings.unknown("segment-rows", dataset.label, segment, Severity.MEDIUM,
                                 f"no column {segment!r} to count segments of")
            elif column.categories is None:
                findings.unknown("segment-rows", dataset.label, column.name, Severity.LOW,
                                 f"{segment!r} has too many distinct values to count rows per segment")
            else:
                _floor(findings, dataset.label, column.name, column.categories, options.min_class_rows,
                       "segment-rows", "segments")
        if profile.daily_counts and profile.time_column:
            _growth(findings, dataset.label, profile.time_column, profile.daily_counts)
    return findings.items
