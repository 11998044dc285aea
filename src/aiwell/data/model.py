"""What a data scan produces and what the facets turn it into: column and table profiles, documents, findings.

Profiles are engine-neutral: the DuckDB and the Spark engine fill the same classes, so every facet, report and
test works on either. Quantiles are stored as a quantile function (the value at 0%, 1%, ..., 100%) from which
histograms on any fixed edges, CDFs and the Wasserstein distance are derived (`aiwell.data.stats`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from msgspec import Struct, field


class Severity(StrEnum):
    """How much a failed finding matters; `--fail-on` gates on it."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def weight(self) -> int:
        """Weight in the readiness score (as the review's: high 3, medium 2, low 1)."""
        return {"high": 3, "medium": 2, "low": 1}[self.value]


class Status(StrEnum):
    """A finding passed, failed, or could not be decided (`unknown`: something needed was not there or not read)."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


FACETS = ("volume", "types", "origins", "sensitivity", "preparation", "freshness", "balance", "leakage", "drift")
"""The facets, in report order; the names are part of the `aiwell.data/1` contract."""


class Kind(StrEnum):
    """What a column holds, independent of the engine's type names; this is the column's `type` in the report."""

    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    STRING = "string"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BINARY = "binary"
    NESTED = "nested"

    @property
    def numeric(self) -> bool:
        """Integers and floats: quantiles, outliers, numeric drift."""
        return self in (Kind.INTEGER, Kind.FLOAT)

    @property
    def temporal(self) -> bool:
        """Dates and timestamps: freshness and time leakage; quantiles in epoch seconds."""
        return self in (Kind.DATE, Kind.TIMESTAMP)


class PiiHit(Struct):
    """One entity found in a column: the share of its non-null values that hold it."""

    entity: str
    share: float
    rows: int
    approximate: bool
    """True when the share was extrapolated (too many distinct candidates to confirm each) or only sampled."""
    masked_example: str | None = None


class ColumnProfile(Struct):
    """Everything one scan learns about one column."""

    name: str
    kind: Kind
    engine_type: str
    """The type as the engine read it (e.g. BIGINT, VARCHAR); text sources are read as text and cast to `kind`."""
    rows: int
    nulls: int
    """Rows without a value in the source (values that fail to parse are `parse_failures`, not nulls)."""
    distinct: int | None
    distinct_approximate: bool = True
    parse_failures: int = 0
    """Non-null source values that did not parse as `kind` (text sources: CSV, JSON Lines, SQLite)."""
    failure_examples: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: list[float] | None = None
    """101 points of the quantile function (0%, 1%, ..., 100%); approximate; epoch seconds for temporal columns."""
    non_finite: int = 0
    zeros: int = 0
    true_count: int | None = None
    blank: int = 0
    """Strings that are empty or only whitespace."""
    length_quantiles: list[float] | None = None
    mean_length: float | None = None
    numeric_share: float | None = None
    """Of a string column's non-blank values, the share that parses as a number (mixed-type and numbers-as-text)."""
    temporal_share: float | None = None
    categories: dict[str, int] | None = None
    """Exact counts of each value, for columns planned as categorical (few distinct values); None otherwise."""
    pii: list[PiiHit] = field(default_factory=list)

    @property
    def non_null(self) -> int:
        """Values present and parsed (the values every statistic describes)."""
        return self.rows - self.nulls - self.parse_failures

    @property
    def null_share(self) -> float:
        """Share of rows without a value; 0 for an empty table."""
        return self.nulls / self.rows if self.rows else 0.0


class FileSchema(Struct):
    """The columns one file of a multi-file dataset declares, for schema differences between files."""

    path: str
    columns: dict[str, str]


class Document(Struct):
    """One file of a document folder, read to text."""

    path: str
    kind: str
    """pdf, markdown, html, docx or text."""
    chars: int
    pages: int | None = None
    pages_without_text: int = 0
    replacement_chars: int = 0
    error: str | None = None
    text: str = ""


class TableProfile(Struct):
    """One dataset after its scan: a table (or a folder of documents, profiled as a table of documents)."""

    path: str
    format: str
    rows: int
    bytes: int | None
    columns: list[ColumnProfile]
    engine: str
    files: int = 1
    exact_duplicates: int | None = None
    near_duplicates: int | None = None
    daily_counts: dict[str, int] | None = None
    """Rows per day (ISO date) of the time column, when one is given."""
    time_column: str | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    """A deterministic sample of rows (by row hash) for PII, label-leakage and fixed-size tests; never reported."""
    file_schemas: list[FileSchema] = field(default_factory=list)
    documents: list[Document] | None = None
    unread: list[tuple[str, str]] = field(default_factory=list)
    """Files of the dataset that were not read, with the reason."""

    def column(self, name: str) -> ColumnProfile | None:
        """The column named `name` (exact, then case-insensitive), or None."""
        for column in self.columns:
            if column.name == name:
                return column
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)


class Finding(Struct):
    """One check's outcome; the JSON keys `facet`, `dataset`, `column`, `status`, `severity`, `message` are the
    contract, `check`, `value` and `approximate` are additions."""

    facet: str
    check: str
    dataset: str
    column: str | None
    status: Status
    severity: Severity
    message: str
    value: float | None = None
    approximate: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The finding as it appears in `findings[]` of `aiwell.data/1`."""
        return {"facet": self.facet, "check": self.check, "dataset": self.dataset, "column": self.column,
                "status": self.status.value, "severity": self.severity.value, "message": self.message,
                "value": self.value, "approximate": self.approximate}


__all__ = ["FACETS", "ColumnProfile", "Document", "FileSchema", "Finding", "Kind", "PiiHit", "Severity", "Status",
           "TableProfile"]
