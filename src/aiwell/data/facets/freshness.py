"""`freshness`: how old the newest record is against a service level (`--freshness 30d`), records dated in the
future, days missing from a daily feed, and days whose volume is far from the usual (dbt's and Soda's freshness
checks, with the volume anomalies they leave to monitors)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from aiwell.data.facets import Context, Dataset, Findings, count, facet
from aiwell.data.model import Finding, Kind, Severity, TableProfile
from aiwell.data.stats import robust_z

FUTURE_TOLERANCE = timedelta(days=1)
MIN_DAYS = 14
"""Gaps and anomalies are looked for only in at least this many days of data."""
ANOMALY_Z = 5.0
ANOMALY_CHANGE = 0.5
LONG_GAP = 7


def describe_age(age: timedelta) -> str:
    """An age in the largest unit that keeps it readable."""
    seconds = age.total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def time_column_of(dataset: Dataset, profile: TableProfile, wanted: str | None) -> str | None:
    """The column freshness is measured on: --time, else a document folder's modification times, else the one
    date or timestamp column when there is exactly one."""
    if wanted is not None:
        column = profile.column(wanted)
        return column.name if column is not None else None
    if profile.documents is not None:
        return "modified"
    temporal = [c.name for c in profile.columns if c.kind.temporal]
    return temporal[0] if len(temporal) == 1 else None


def _gaps(findings: Findings, dataset: str, column: str, daily: dict[str, int]) -> None:
    days = sorted(date.fromisoformat(d) for d, n in daily.items() if n)
    if len(days) < MIN_DAYS:
        return
    steps = sorted((b - a).days for a, b in zip(days, days[1:], strict=False))
    if steps[len(steps) // 2] != 1:
        findings.passed("gaps", dataset, column, "records are not daily: no daily gaps to look for")
        return
    gaps = [(a, (b - a).days - 1) for a, b in zip(days, days[1:], strict=False) if (b - a).days > 2]
    if gaps:
        longest = max(length for _, length in gaps)
        shown = ", ".join(f"{length} days after {start}" for start, length in sorted(gaps, key=lambda g: -g[1])[:5])
        findings.failed("gaps", dataset, column, Severity.MEDIUM if longest >= LONG_GAP else Severity.LOW,
                        f"{len(gaps)} gaps of two days or more in a daily feed: {shown}; find out whether data was "
                        "lost before training on it", value=float(longest))
    else:
        findings.passed("gaps", dataset, column, f"records on every day from {days[0]} to {days[-1]} but single days")


def _anomalies(findings: Findings, dataset: str, column: str, daily: dict[str, int]) -> None:
    days = sorted((date.fromisoformat(d), n) for d, n in daily.items() if n)
    # The first and last days are usually partial.
    inner = days[1:-1]
    if len(inner) < MIN_DAYS:
        return
    counts = [n for _, n in inner]
    scores = robust_z(counts)
    median = sorted(counts)[len(counts) // 2]
    odd = [(day, n, z) for (day, n), z in zip(inner, scores, strict=True)
           if abs(z) >= ANOMALY_Z and abs(n - median) >= ANOMALY_CHANGE * median]
    if odd:
        shown = ", ".join(f"{day} ({count(n)} rows)" for day, n, _ in sorted(odd, key=lambda o: -abs(o[2]))[:5])
        findings.failed("volume-anomalies", dataset, column, Severity.LOW,
                        f"{len(odd)} days with a volume far from the usual {count(median)} rows a day: {shown}; "
                        "check for duplicated or partial loads", value=float(len(odd)))
    else:
        findings.passed("volume-anomalies", dataset, column,
                        f"daily volume stays near its median of {count(median)} rows")


@facet("freshness")
def freshness(context: Context) -> Iterable[Finding]:
    """Age against the service level, future records, gaps, volume anomalies by day."""
    findings = Findings("freshness")
    options = context.options
    for dataset, profile in context.readable:
        name = time_column_of(dataset, profile, options.time)
        if name is None:
            if options.time is not None:
                findings.unknown("age", dataset.label, options.time, Severity.HIGH,
                                 f"no column {options.time!r}: freshness not measured")
            elif options.freshness is not None:
                findings.unknown("age", dataset.label, None, Severity.HIGH,
                                 "--freshness needs the time column: name it with --time")
            continue
        column = profile.column(name)
        assert column is not None
        if not column.kind.temporal or column.maximum is None:
            findings.unknown("age", dataset.label, name, Severity.HIGH,
                             f"{name!r} holds {'no dates' if column.kind.temporal else column.kind} values: "
                             "freshness not measured; give a date or timestamp column")
            continue
        newest = datetime.fromtimestamp(column.maximum, tz=UTC)
        age = context.now - newest
        if age < -FUTURE_TOLERANCE:
            findings.failed("future-records", dataset.label, name, Severity.MEDIUM,
                            f"the newest record is dated {newest:%Y-%m-%d %H:%M}, in the future: a clock, time zone "
                            "or parsing error")
        if options.freshness is not None:
            if age > options.freshness:
                findings.failed("age", dataset.label, name, Severity.HIGH,
                                f"the newest record is {describe_age(age)} old ({newest:%Y-%m-%d}), older than the "
                                f"{describe_age(options.freshness)} allowed (--freshness): refresh the data",
                                value=age.total_seconds() / 86400)
            else:
                findings.passed("age", dataset.label, name,
                                f"the newest record is {describe_age(max(age, timedelta()))} old, within "
                                f"{describe_age(options.freshness)}", severity=Severity.HIGH,
                                value=age.total_seconds() / 86400)
        else:
            findings.passed("age", dataset.label, name,
                            f"the newest record is {describe_age(max(age, timedelta()))} old ({newest:%Y-%m-%d}); "
                            "set --freshness to hold it to a service level", value=age.total_seconds() / 86400)
        if profile.daily_counts and column.kind in (Kind.DATE, Kind.TIMESTAMP) and profile.time_column == name:
            _gaps(findings, dataset.label, name, profile.daily_counts)
            _anomalies(findings, dataset.label, name, profile.daily_counts)
    return findings.items
