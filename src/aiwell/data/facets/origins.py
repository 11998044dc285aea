"""`origins`: a datasheet says where the data comes from, who owns it, under which licence and consent it may be
used, when it was collected and what for; this facet checks that it is there, complete, and consistent with the
data (personal data found where the datasheet says consent is not needed, records outside the collection period).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from aiwell.data.datasheet import REQUIRED
from aiwell.data.facets import Context, Findings, facet
from aiwell.data.model import Finding, Severity


@facet("origins")
def origins(context: Context) -> Iterable[Finding]:
    """Datasheet present, complete and consistent."""
    findings = Findings("origins")
    for dataset, profile in context.readable:
        sheet = dataset.datasheet
        if sheet is None:
            findings.unknown("datasheet", dataset.label, None, Severity.MEDIUM,
                             "no datasheet: source, owner, licence, collection period, consent and intended use are "
                             "unknown; `aiwell data init` writes one to fill in (pass it with --datasheet, or name "
                             "it datasheet.yaml beside the data)")
            continue
        missing = sheet.missing()
        if missing:
            findings.failed("datasheet", dataset.label, None, Severity.MEDIUM,
                            f"{sheet.path} leaves {', '.join(missing)} empty; fill them in so reviewers know where "
                            "the data may be used", value=float(len(missing)))
        else:
            findings.passed("datasheet", dataset.label, None,
                            f"{sheet.path} names {', '.join(REQUIRED)}", severity=Severity.MEDIUM)
        start, end = sheet.period()
        if "collection_period" not in missing and (start is None or end is None):
            findings.failed("collection-period", dataset.label, None, Severity.LOW,
                            f"{sheet.path}: collection_period needs dates as YYYY-MM-DD (end may be 'ongoing')")
        elif isinstance(end, date) and start is not None and end < start:
            findings.failed("collection-period", dataset.label, None, Severity.LOW,
                            f"{sheet.path}: the collection period ends ({end}) before it starts ({start})")
        elif start is not None and profile.time_column:
            time_column = profile.column(profile.time_column)
            if time_column is not None and time_column.minimum is not None and time_column.maximum is not None:
                first = datetime.fromtimestamp(time_column.minimum, tz=UTC).date()
                last = datetime.fromtimestamp(time_column.maximum, tz=UTC).date()
                outside = first < start - timedelta(days=1) or (isinstance(end, date)
                                                                 and last > end + timedelta(days=1))
                if outside:
                    findings.failed("collection-period", dataset.label, profile.time_column, Severity.LOW,
                                    f"records run from {first} to {last}, outside the datasheet's collection "
                                    f"period ({start} to {end}): update the datasheet or the data")
                else:
                    findings.passed("collection-period", dataset.label, profile.time_column,
                                    f"records ({first} to {last}) fall within the collection period")
        personal = sorted({hit.entity for c in profile.columns for hit in c.pii})
        if personal and sheet.consent_not_needed:
            findings.failed("consent", dataset.label, None, Severity.HIGH,
                            f"the datasheet says consent is not applicable, but the data holds "
                            f"{', '.join(personal)}: record the legal basis for using it, or remove it")
    return findings.items
