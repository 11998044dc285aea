"""`preparation`: what cleansing the data needs before use: missing values, duplicates (exact and near),
constant and near-constant columns, outliers and non-finite numbers; for documents: empty and image-only files,
boilerplate lines repeated across documents, near-duplicate documents and broken encodings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from aiwell.data.facets import Context, Findings, count, facet, percent
from aiwell.data.model import ColumnProfile, Document, Finding, Kind, Severity, TableProfile
from aiwell.data.stats import cdf

OUTLIER_FENCE = 3.0
"""Tukey's far-out fence: Q1 − 3·IQR and Q3 + 3·IQR."""
OUTLIER_SHARE = 0.005
NEAR_CONSTANT = 0.99
BLANK_SHARE = 0.01
SHORT_DOCUMENT = 50
BOILERPLATE_SHARE = 0.5
BOILERPLATE_MIN_LINE = 20
NEAR_DUPLICATE_JACCARD = 0.9
_SHINGLE = 5


def _nulls(findings: Findings, dataset: str, profile: TableProfile, limit: float) -> None:
    flagged = False
    for column in profile.columns:
        share = column.null_share
        if column.rows and column.nulls == column.rows:
            findings.failed("nulls", dataset, column.name, Severity.HIGH, "the column is empty: every value is "
                            "missing; drop it or fix the extract", value=1.0)
        elif share >= limit:
            severity = Severity.MEDIUM if share >= 0.5 else Severity.LOW
            findings.failed("nulls", dataset, column.name, severity,
                            f"{percent(share)} of values are missing ({count(column.nulls)} rows): impute, drop the "
                            "rows or the column, or find out why they are missing", value=share)
        else:
            continue
        flagged = True
    if not flagged:
        findings.passed("nulls", dataset, None, f"no column misses more than {percent(limit)} of its values",
                        severity=Severity.MEDIUM)


def _duplicates(findings: Findings, dataset: str, profile: TableProfile, what: str) -> None:
    if profile.exact_duplicates is None or not profile.rows:
        return
    share = profile.exact_duplicates / profile.rows
    if profile.exact_duplicates:
        findings.failed("duplicates", dataset, None, Severity.MEDIUM if share >= 0.01 else Severity.LOW,
                        f"{count(profile.exact_duplicates)} {what} ({percent(share)}) are exact copies of another: "
                        "deduplicate, or they weigh double in training and leak across splits", value=share)
    else:
        findings.passed("duplicates", dataset, None, f"no two {what} are identical", severity=Severity.MEDIUM)
    near = profile.near_duplicates or 0
    near_share = near / profile.rows
    if near:
        findings.failed("near-duplicates", dataset, None, Severity.MEDIUM if near_share >= 0.05 else Severity.LOW,
                        f"{count(near)} more {what} ({percent(near_share)}) are copies of another once case and "
                        "spaces are ignored (and numbers rounded to 6 decimals)", value=near_share)
    else:
        findings.passed("near-duplicates", dataset, None,
                        f"no two {what} match once case and spaces are ignored")


def _constant(findings: Findings, dataset: str, column: ColumnProfile, label: str | None) -> None:
    if column.name == label or not column.non_null:
        return
    if column.distinct == 1 or (column.minimum is not None and column.minimum == column.maximum):
        findings.failed("constant", dataset, column.name, Severity.MEDIUM,
                        "every value is the same: the column carries no information; drop it")
        return
    if column.categories:
        top_value, top = max(column.categories.items(), key=lambda kv: kv[1])
        share = top / max(1, sum(column.categories.values()))
        if share >= NEAR_CONSTANT:
            findings.failed("near-constant", dataset, column.name, Severity.LOW,
                            f"{percent(share)} of values are {top_value!r}: almost no information; check it is "
                            "meant to be this way", value=share)
    elif column.kind.numeric and column.quantiles and column.quantiles[1] == column.quantiles[99]:
        findings.failed("near-constant", dataset, column.name, Severity.LOW,
                        f"at least 98% of values are {column.quantiles[50]:g}: almost no information",
                        approximate=True)


def _outliers(findings: Findings, dataset: str, column: ColumnProfile) -> None:
    if not column.kind.numeric or column.categories is not None or not column.quantiles:
        return
    q1, q3 = column.quantiles[25], column.quantiles[75]
    spread = q3 - q1
    if spread <= 0:
        return
    low, high = q1 - OUTLIER_FENCE * spread, q3 + OUTLIER_FENCE * spread
    shares = cdf(column.quantiles, np.array([low, high]))
    below = float(shares[0]) if column.minimum is not None and column.minimum < low else 0.0
    above = float(1 - shares[1]) if column.maximum is not None and column.maximum > high else 0.0
    share = below + above
    if share >= OUTLIER_SHARE:
        findings.failed("outliers", dataset, column.name, Severity.LOW,
                        f"≈{percent(share)} of values lie beyond Tukey's far-out fences [{low:.4g}, {high:.4g}] "
                        f"(min {column.minimum:.4g}, max {column.maximum:.4g}): check for unit errors, sentinels "
                        "such as -1 or 9999, and heavy tails before training", value=share, approximate=True)


def _non_finite(findings: Findings, dataset: str, column: ColumnProfile) -> None:
    if column.non_finite:
        findings.failed("non-finite", dataset, column.name, Severity.MEDIUM,
                        f"{count(column.non_finite)} values are NaN or infinite: most training code fails or "
                        "silently skews on them", value=float(column.non_finite))


def _blank(findings: Findings, dataset: str, column: ColumnProfile) -> None:
    share = column.blank / max(1, column.non_null)
    if column.kind is Kind.STRING and share >= BLANK_SHARE:
        findings.failed("blank-strings", dataset, column.name, Severity.LOW,
                        f"{percent(share)} of values are empty or only spaces: missing values in disguise",
                        value=share)


def _shingles(text: str) -> set[str]:
    words = text.lower().split()
    return {" ".join(words[i:i + _SHINGLE]) for i in range(max(1, len(words) - _SHINGLE + 1))}


def _near_duplicate_documents(documents: list[Document]) -> list[tuple[str, str]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=NEAR_DUPLICATE_JACCARD, num_perm=128)
    signatures: dict[str, MinHash] = {}
    pairs = []
    for document in documents:
        shingles = _shingles(document.text)
        if len(document.text.split()) < _SHINGLE:
            continue
        signature = MinHash(num_perm=128)
        signature.update_batch([s.encode("utf-8") for s in shingles])
        for other in lsh.query(signature):
            if signatures[other].jaccard(signature) >= NEAR_DUPLICATE_JACCARD:
                pairs.append((other, document.path))
        lsh.insert(document.path, signature)
        signatures[document.path] = signature
    return pairs


def _documents(findings: Findings, dataset: str, documents: list[Document]) -> None:
    readable = [d for d in documents if d.error is None]
    image_only = [d for d in readable if d.kind == "pdf" and d.pages and d.pages_without_text == d.pages]
    for document in image_only:
        findings.failed("image-only", dataset, None, Severity.MEDIUM,
                        f"{document.path}: no page has a text layer ({document.pages} pages): scanned or image-only; "
                        "run OCR before indexing, or it grounds nothing")
    partial = [d for d in readable if d.kind == "pdf" and d.pages and 0 < d.pages_without_text < d.pages]
    for document in partial:
        findings.failed("image-only", dataset, None, Severity.LOW,
                        f"{document.path}: {document.pages_without_text} of {document.pages} pages have no text "
                        "layer; their content is missing from the index")
    empty = [d for d in readable if len(d.text.strip()) < SHORT_DOCUMENT and d not in image_only]
    for document in empty:
        findings.failed("empty", dataset, None, Severity.MEDIUM,
                        f"{document.path}: {len(document.text.strip())} characters of text: empty or nearly so")
    broken = [d for d in readable if d.replacement_chars]
    for document in broken:
        findings.failed("encoding", dataset, None, Severity.LOW,
                        f"{document.path}: {count(document.replacement_chars)} characters could not be decoded as "
                        "UTF-8: convert the file's encoding")
    if not (image_only or partial or empty or broken) and readable:
        findings.passed("text-quality", dataset, None,
                        f"every one of {count(len(readable))} documents has a text layer and decodes cleanly",
                        severity=Severity.MEDIUM)
    _boilerplate(findings, dataset, readable)
    pairs = _near_duplicate_documents(readable)
    if pairs:
        shown = "; ".join(f"{a} ~ {b}" for a, b in pairs[:5])
        findings.failed("near-duplicate-documents", dataset, None, Severity.LOW,
                        f"{len(pairs)} pairs of documents share ≥{NEAR_DUPLICATE_JACCARD:.0%} of their 5-word "
                        f"shingles: {shown}; index one of each, or answers cite stale copies",
                        value=float(len(pairs)), approximate=True)
    elif readable:
        findings.passed("near-duplicate-documents", dataset, None, "no two documents are near copies")


def _boilerplate(findings: Findings, dataset: str, documents: list[Document]) -> None:
    if len(documents) < 5:
        return
    lines: Counter[str] = Counter()
    for document in documents:
        lines.update({line.strip() for line in document.text.splitlines() if len(line.strip()) >= BOILERPLATE_MIN_LINE})
    repeated = [(line, n) for line, n in lines.most_common(20) if n >= BOILERPLATE_SHARE * len(documents)]
    if repeated:
        shown = "; ".join(f"{line[:60]!r} ({n} documents)" for line, n in repeated[:3])
        findings.failed("boilerplate", dataset, None, Severity.LOW,
                        f"{len(repeated)} lines repeat in at least half the documents: {shown}; strip headers, "
                        "footers and disclaimers before chunking so they don't dominate retrieval",
                        value=float(len(repeated)))
    else:
        findings.passed("boilerplate", dataset, None, "no line repeats across half the documents")


@facet("preparation")
def preparation(context: Context) -> Iterable[Finding]:
    """Cleansing the data needs."""
    findings = Findings("preparation")
    label = context.options.label
    for dataset, profile in context.readable:
        if profile.documents is not None:
            _duplicates(findings, dataset.label, profile, "documents")
            _documents(findings, dataset.label, profile.documents)
            continue
        _nulls(findings, dataset.label, profile, context.options.max_null_share)
        _duplicates(findings, dataset.label, profile, "rows")
        for column in profile.columns:
            _constant(findings, dataset.label, column, label)
            _outliers(findings, dataset.label, column)
            _non_finite(findings, dataset.label, column)
            _blank(findings, dataset.label, column)
    return findings.items
