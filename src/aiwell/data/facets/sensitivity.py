"""`sensitivity`: personal and secret data, by content and by column name.

Content is searched in two steps, as the research design has it: the recognizers run on the scan's sample of
rows; each entity they find in a column is then confirmed on the whole column: the engine picks every value that
matches the entity's prefilter, and the recognizer (with its checksum) decides on each. When a column has more
distinct candidates than `CONFIRM_LIMIT`, the most frequent are checked and the share extrapolated (marked
approximate). Values are never reported, only their masked shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from aiwell.data.engine import Engine, Handle
from aiwell.data.facets import Context, Findings, count, facet, percent
from aiwell.data.model import ColumnProfile, Finding, Kind, PiiHit, Severity, TableProfile
from aiwell.data.ner import NER_ENTITIES
from aiwell.data.pii import (
    BY_NAME,
    INTEGER_CARD_SHARE,
    PATTERN_ONLY_SHARE,
    Scanner,
    combined_prefilter,
    name_hints,
)

CONFIRM_LIMIT = 20_000
_NAME_SEVERITY = {"SECRET": Severity.HIGH, "NATIONAL_ID": Severity.HIGH, "CREDIT_CARD": Severity.HIGH,
                  "BANK_ACCOUNT": Severity.HIGH, "SPECIAL_CATEGORY": Severity.HIGH}
_HINT_COVERED_BY = {"NATIONAL_ID": {"US_SSN", "UK_NHS", "UK_NINO", "ES_NIF", "IT_FISCAL_CODE", "IN_AADHAAR",
                                    "IN_PAN", "SG_NRIC_FIN", "AU_TFN", "PL_PESEL"},
                    "BANK_ACCOUNT": {"IBAN_CODE"}, "PERSON_NAME": {"PERSON"}, "ADDRESS": {"LOCATION"}}


def _scannable(column: ColumnProfile) -> tuple[str, ...] | None:
    """The entities to look for in a column: all of them in text, only card numbers in integers."""
    if column.kind is Kind.STRING:
        return tuple(BY_NAME)
    if column.kind is Kind.INTEGER and (column.maximum or 0) >= 1e12:
        return ("CREDIT_CARD",)
    return None


def _keep(entity: str, share: float, column: ColumnProfile) -> bool:
    if column.kind is Kind.INTEGER:
        return share >= INTEGER_CARD_SHARE
    if BY_NAME[entity].validated:
        return True
    hinted = entity in name_hints(column.name) or any(entity in _HINT_COVERED_BY.get(h, ()) for h in
                                                      name_hints(column.name))
    return share >= PATTERN_ONLY_SHARE or hinted


def _ner_hits(profile: TableProfile, column: ColumnProfile, scanner: Scanner, whole: bool) -> None:
    """Names and places found by the NER model in the column's sampled values (sample shares, extrapolated)."""
    if scanner.ner is None or column.kind is not Kind.STRING or not column.non_null:
        return
    values = Counter(str(row[column.name]) for row in profile.sample if row.get(column.name) is not None)
    sampled = sum(values.values())
    if not sampled:
        return
    rows, examples = scanner.ner.detect(values)
    hinted = {"PERSON"} if "PERSON_NAME" in name_hints(column.name) else set()
    hinted |= {"LOCATION"} if {"ADDRESS", "LOCATION"} & set(name_hints(column.name)) else set()
    for entity in sorted(rows):
        share = rows[entity] / sampled
        if share >= PATTERN_ONLY_SHARE or entity in hinted:
            column.pii.append(PiiHit(entity, share, round(share * column.non_null), approximate=not whole,
                                     masked_example=examples.get(entity)))


def scan_dataset(engine: Engine, handle: Handle, profile: TableProfile, scanner: Scanner) -> None:
    """Fill `pii` of every column of `profile` (sample first, then confirmed on the full column)."""
    whole = len(profile.sample) >= profile.rows
    for column in profile.columns:
        _ner_hits(profile, column, scanner, whole)
        entities = _scannable(column)
        if entities is None or not column.non_null:
            continue
        values = Counter(str(row[column.name]) for row in profile.sample if row.get(column.name) is not None)
        sampled = scanner.detect(values, entities)
        if not sampled.rows:
            continue
        found = sorted(sampled.rows)
        if whole:
            detection, extrapolate = sampled, 1.0
        else:
            matches = engine.matches(handle, column.name, combined_prefilter(found), CONFIRM_LIMIT)
            detection = scanner.detect(dict(matches.values), found)
            fetched = sum(n for _, n in matches.values)
            extrapolate = matches.rows / fetched if fetched and matches.distinct > len(matches.values) else 1.0
        for entity in found:
            rows = round(detection.rows[entity] * extrapolate)
            share = rows / column.non_null
            if rows and _keep(entity, share, column):
                column.pii.append(PiiHit(entity, share, rows, approximate=extrapolate != 1.0,
                                         masked_example=detection.examples.get(entity)))


@facet("sensitivity")
def sensitivity(context: Context) -> Iterable[Finding]:
    """Findings from the PII scan and from column names."""
    findings = Findings("sensitivity")
    for dataset, profile in context.readable:
        flagged = 0
        for column in profile.columns:
            content = {hit.entity for hit in column.pii}
            for hit in column.pii:
                severity = BY_NAME[hit.entity].severity if hit.entity in BY_NAME else NER_ENTITIES[hit.entity]
                example = f", e.g. {hit.masked_example}" if hit.masked_example else ""
                findings.failed(
                    "personal-data" if hit.entity != "SECRET" else "secrets", dataset.label, column.name,
                    severity,
                    f"{'≈' if hit.approximate else ''}{percent(hit.share)} of values ({count(hit.rows)}) hold "
                    f"{hit.entity}{example}: " + ("remove the secret and rotate it" if hit.entity == "SECRET" else
                                                  "mask, tokenise or drop it before the data is used, and record "
                                                  "the legal basis in the datasheet"),
                    value=hit.share, approximate=hit.approximate)
                flagged += 1
            for hint in name_hints(column.name):
                if hint in content or content & _HINT_COVERED_BY.get(hint, set()):
                    continue
                findings.failed("sensitive-name", dataset.label, column.name,
                                _NAME_SEVERITY.get(hint, Severity.MEDIUM),
                                f"the column's name says it holds {hint.replace('_', ' ').lower()} (its values "
                                "match no pattern: hashed, encoded or free-form?); confirm what it holds and "
                                "protect it like the real thing")
                flagged += 1
            if column.kind in (Kind.NESTED, Kind.BINARY) and column.non_null:
                findings.unknown("not-scanned", dataset.label, column.name, Severity.LOW,
                                 f"{column.kind} values are not searched for personal data")
        if not flagged:
            text_columns = sum(1 for c in profile.columns if _scannable(c) is not None)
            findings.passed("personal-data", dataset.label, None,
                            f"no personal or secret data found in {text_columns} text columns (a sample of "
                            f"{count(len(profile.sample))} rows; hits are confirmed on the full column) and no "
                            "column is named for it", severity=Severity.HIGH)
    return findings.items
