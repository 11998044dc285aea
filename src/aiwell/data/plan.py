"""The plan of a table's scan, shared by the engines so both compute the same statistics.

Planning reads the head of the table (`HEAD_ROWS` rows, which every format reads cheaply) to decide which columns
get exact per-value counts (few distinct values: categories, labels, flags) and which get sketches only
(approximate distinct counts and quantiles). Then one aggregate scan computes every statistic of every column; the
engines return them as a flat mapping (`TableValues`) that `profile_columns` turns into column profiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct

from aiwell.data.model import ColumnProfile, Kind

QUANTILES = tuple(i / 100 for i in range(101))
"""Points of the quantile function every numeric, temporal and text-length column gets."""
HEAD_ROWS = 10_000
CATEGORICAL_MAX = 50
"""A column with at most this many distinct values in the head is counted exactly per value."""
CATEGORY_MAX_LENGTH = 100
"""... unless a value in the head is longer than this: free text (documents, comments) is not a category, and its
values are not listed in reports."""
FORCED_CATEGORICAL_MAX = 1_000
"""The label and segment columns are counted per value unless their head has more distinct values than this (a
continuous target, an identifier)."""
SAMPLE_MODULUS = 1_000_000
QUANTILE_ROWS = 100_000
"""Rows (about: chosen by row hash) the quantile sketches of a larger table read. The t-digest is the costliest
part of the scan per row; on 100,000 rows its rank error stays near 0.1% on average (measured on the columns of
more than 100 distinct values of a 1,000,000-row table: 0.005-0.21% per column, at most 0.42% at any of the 99
inner points, where 200,000 rows gave 0.34%), below the 1% steps of the quantiles kept, so histograms, outlier
fences and drift bins come out the same within their stated approximation."""
NULL_TOKENS = ("", "NA", "N/A", "n/a", "NULL", "null", "None", "NaN", "nan", "#N/A", "-")
"""Text read as missing in CSV files (pandas' defaults, and a lone dash)."""
FAILURE_EXAMPLES = 3
NUMBER_TEXT = {
    Kind.INTEGER: "^[+-]?[0-9]+$",
    Kind.FLOAT: "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$|^[+-]?(?i:inf|infinity|nan)$",
}
"""What text parses as an integer or a float, in both engines (the patterns are valid in RE2 and Java): DuckDB's
own casts are lenient (`'95.59'` casts to the integer 96, `'0x10'` to 16, `'1_000'` to 1000), Spark's are not, and
a value rounded without a word would hide a wrongly typed column."""


class HeadShape(Struct, frozen=True):
    """What planning learns of a column from the head of its table."""

    distinct: int
    longest: int
    """Characters of the longest value, as text."""


class ColumnPlan(Struct):
    """How one column is scanned."""

    index: int
    name: str
    kind: Kind
    engine_type: str
    cast: bool
    """The engine reads text and parses it to `kind` (counting what fails)."""
    categorical: bool
    probe: bool
    """A string column: measure the share of values that parse as numbers and as timestamps."""


class ScanPlan(Struct):
    """The plan of one scan."""

    columns: list[ColumnPlan]
    time_column: ColumnPlan | None
    row_columns: list[ColumnPlan]
    """Columns whose values make a row's identity (duplicates, the sample, train/test overlap)."""
    sample_threshold: int
    """A row is in the sample when hash(row) % SAMPLE_MODULUS < this."""
    quantile_threshold: int = SAMPLE_MODULUS
    """A row feeds the quantile sketches when hash(row) % SAMPLE_MODULUS < this (all rows at SAMPLE_MODULUS)."""


def kind_of_duckdb_type(type_name: str) -> Kind:
    """The kind of a DuckDB (or Arrow-through-DuckDB) type name."""
    upper = type_name.upper()
    if upper.endswith("[]") or upper.startswith(("STRUCT", "MAP", "LIST", "UNION", "ARRAY")):
        return Kind.NESTED
    if upper in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT", "INT", "INT8", "INT4", "INT2"):
        return Kind.INTEGER
    if upper in ("FLOAT", "DOUBLE", "REAL") or upper.startswith("DECIMAL"):
        return Kind.FLOAT
    if upper == "BOOLEAN":
        return Kind.BOOLEAN
    if upper == "DATE":
        return Kind.DATE
    if upper.startswith("TIMESTAMP"):
        return Kind.TIMESTAMP
    if upper in ("BLOB", "BIT"):
        return Kind.BINARY
    return Kind.STRING


def widest(kinds: Sequence[Kind]) -> Kind:
    """The kind that holds values of all `kinds` (for one column across the files of a dataset)."""
    unique = set(kinds)
    if len(unique) == 1:
        return kinds[0]
    if unique <= {Kind.INTEGER, Kind.FLOAT}:
        return Kind.FLOAT
    if unique <= {Kind.DATE, Kind.TIMESTAMP}:
        return Kind.TIMESTAMP
    return Kind.STRING


def build_plan(schema: Sequence[tuple[str, str, Kind]], *, cast: bool, head: Mapping[str, HeadShape],
               estimated_rows: int | None, sample_rows: int, time_column: str | None, force_categorical: Sequence[str],
               identity: Sequence[str] | None = None) -> ScanPlan:
    """Plan the scan of a table with columns `schema` (name, engine type, kind) from the distinct counts of its
    head. `cast`: the engine reads the columns as text and parses them to their kinds."""
    forced = {name.lower() for name in force_categorical}
    unknown = HeadShape(FORCED_CATEGORICAL_MAX + 1, CATEGORY_MAX_LENGTH + 1)
    columns = []
    for index, (name, engine_type, kind) in enumerate(schema):
        shape = head.get(name, unknown)
        categorical = kind is Kind.BOOLEAN or (name.lower() in forced and shape.distinct <= FORCED_CATEGORICAL_MAX) or (
            kind in (Kind.STRING, Kind.INTEGER) and shape.distinct <= CATEGORICAL_MAX
            and shape.longest <= CATEGORY_MAX_LENGTH)
        columns.append(ColumnPlan(index=index, name=name, kind=kind, engine_type=engine_type,
                                  cast=cast and kind not in (Kind.STRING, Kind.NESTED, Kind.BINARY),
                                  categorical=categorical, probe=kind is Kind.STRING))
    time_plan = None
    if time_column is None:
        # Without --time, the one date or timestamp column (if there is exactly one) is the time column.
        temporal = [c for c in columns if c.kind.temporal]
        time_plan = temporal[0] if len(temporal) == 1 else None
    else:
        time_plan = next((c for c in columns if c.name == time_column), None) or next(
            (c for c in columns if c.name.lower() == time_column.lower()), None)
    if identity is not None:
        wanted = set(identity)
        row_columns = [c for c in columns if c.name in wanted]
    else:
        row_columns = list(columns)
    return ScanPlan(columns=columns, time_column=time_plan, row_columns=row_columns,
                    sample_threshold=_hash_threshold(sample_rows, estimated_rows),
                    quantile_threshold=(_hash_threshold(QUANTILE_ROWS, estimated_rows) if row_columns
                                        else SAMPLE_MODULUS))


def _hash_threshold(wanted: int, estimated_rows: int | None) -> int:
    """The threshold on hash(row) % SAMPLE_MODULUS that picks about `wanted` of `estimated_rows` rows (all of them
    when the table is no larger, or its size is not known)."""
    if estimated_rows is None or estimated_rows <= wanted:
        return SAMPLE_MODULUS
    return max(1, round(SAMPLE_MODULUS * wanted / estimated_rows))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _quantiles(values: Any) -> list[float] | None:
    if values is None:
        return None
    points = [float(v) for v in values if v is not None]
    return points if len(points) == len(QUANTILES) else None


def profile_columns(plan: ScanPlan, values: Sequence[Mapping[str, Any]], rows: int) -> list[ColumnProfile]:
    """Column profiles from the per-column statistics an engine computed for `plan` (same order as its columns).

    Keys: `count` (non-null after parsing), `raw_count` (non-null text, cast columns), `distinct`,
    `failures` (most common unparsed texts), `min`, `max`, `mean`, `std`, `q` (quantiles), `zeros`,
    `non_finite`, `true`, `blank`, `len_mean`, `len_q`, `numeric_ok`, `temporal_ok`, `probe_base`,
    `categories`."""
    profiles = []
    for column, stats in zip(plan.columns, values, strict=True):
        count = int(stats.get("count") or 0)
        raw_count = int(stats.get("raw_count") or count)
        profile = ColumnProfile(
            name=column.name, kind=column.kind, engine_type=column.engine_type, rows=rows, nulls=rows - raw_count,
            distinct=None if stats.get("distinct") is None else int(stats["distinct"]),
            parse_failures=max(0, raw_count - count) if column.cast else 0,
            failure_examples=[str(v) for v in (stats.get("failures") or []) if v is not None][:FAILURE_EXAMPLES],
        )
        if column.kind.numeric or column.kind.temporal:
            profile.minimum = _float(stats.get("min"))
            profile.maximum = _float(stats.get("max"))
            profile.quantiles = _quantiles(stats.get("q"))
        if column.kind.numeric:
            profile.mean = _float(stats.get("mean"))
            profile.std = _float(stats.get("std"))
            profile.zeros = int(stats.get("zeros") or 0)
            profile.non_finite = int(stats.get("non_finite") or 0)
        if column.kind is Kind.BOOLEAN:
            profile.true_count = int(stats.get("true") or 0)
        if column.kind is Kind.STRING:
            profile.blank = int(stats.get("blank") or 0)
            profile.mean_length = _float(stats.get("len_mean"))
            profile.length_quantiles = _quantiles(stats.get("len_q"))
            base = int(stats.get("probe_base") or 0)
            if base:
                profile.numeric_share = int(stats.get("numeric_ok") or 0) / base
                profile.temporal_share = int(stats.get("temporal_ok") or 0) / base
        if column.categorical and stats.get("categories") is not None:
            profile.categories = {str(k): int(v) for k, v in stats["categories"].items() if k is not None}
            profile.distinct = len(profile.categories)
            profile.distinct_approximate = False
        profiles.append(profile)
    return profiles


__all__ = ["CATEGORICAL_MAX", "CATEGORY_MAX_LENGTH", "HEAD_ROWS", "NULL_TOKENS", "NUMBER_TEXT", "QUANTILES",
           "QUANTILE_ROWS", "SAMPLE_MODULUS",
           "ColumnPlan", "HeadShape", "ScanPlan", "build_plan", "kind_of_duckdb_type", "profile_columns", "widest"]
