"""The DuckDB engine: every statistic of a table in aggregate queries over the files, never through pandas.

A source becomes a view (`read_csv`, `read_parquet`, `read_json`, or an Arrow table or dataset for the other
readers). Text sources are read as text and parsed with TRY_CAST to the sniffed or declared type, so values that
don't parse are counted instead of failing the read. The scan computes, per column: counts, nulls,
`approx_count_distinct` (HyperLogLog), min/max/mean/std, `approx_quantile` at 101 points (t-digest), exact value
counts (`histogram`) for columns planned as categorical, text lengths and mixed-type probes; per table: the row
count, exact duplicates and near duplicates, rows per day of the time column, and a deterministic sample of rows
chosen by row hash. A text source is scanned by one query (each read parses it again); a columnar one by up to
three that each read only the columns they need (`DuckDBEngine._split_scan`)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from msgspec import Struct, field
from msgspec.structs import replace

from aiwell.data.engine import DOCUMENT_IDENTITY, Matches, ScanOptions, arrow_rows, read_to_arrow
from aiwell.data.model import Document, FileSchema, Kind, TableProfile
from aiwell.data.plan import (
    FAILURE_EXAMPLES,
    HEAD_ROWS,
    NULL_TOKENS,
    NUMBER_TEXT,
    QUANTILES,
    SAMPLE_MODULUS,
    ColumnPlan,
    HeadShape,
    ScanPlan,
    build_plan,
    kind_of_duckdb_type,
    profile_columns,
    widest,
)
from aiwell.data.sources import Source
from aiwell.errors import InputError, UsageError

_CAST_TYPE = {Kind.INTEGER: "BIGINT", Kind.FLOAT: "DOUBLE", Kind.BOOLEAN: "BOOLEAN", Kind.DATE: "DATE",
              Kind.TIMESTAMP: "TIMESTAMP"}
_SCHEMA_FILES = 500
"""Files of a multi-file dataset whose schemas are compared (the first ones, in path order)."""
_RETYPE_SHARE = 0.95
"""A text column whose head parses as a number or timestamp at least this often is profiled as one."""
_RETYPE_MIN_VALUES = 20
_GZIP_RATIO = 4
MEMORY_CAP = 1 << 30
"""DuckDB's default memory limit here, at most: 1 GiB. DuckDB's own default, 80% of RAM, let the scan of a
10,000,000-row × 20-column Parquet file grow to 4.5 GB resident; at 1 GiB it spills its hash tables to disk and
peaked at 1.2 GB (the rest is Python and Arrow), for about the same CPU time."""
_MEMORY_SHARE = 0.5
"""... and at most this share of the memory available when the run starts."""
_MEMORY_FLOOR = 256 << 20


def available_memory() -> int | None:
    """Bytes of memory available to a new process (Linux's MemAvailable), else the physical memory, else None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def default_memory_limit() -> str:
    """The memory limit DuckDB gets unless `--memory-limit` says otherwise: half the available memory, capped at
    `MEMORY_CAP` (and no less than 256 MiB), in MiB."""
    available = available_memory()
    limit = MEMORY_CAP if available is None else min(MEMORY_CAP, int(available * _MEMORY_SHARE))
    return f"{max(limit, _MEMORY_FLOOR) >> 20}MiB"


_KEY_SHARE = 0.97
"""A column whose approximate distinct count is at least this share of the rows (HyperLogLog's error is near
1.6%) may be a key: its exact distinct count is taken (`DuckDBEngine._unique_key`)."""
_KEY_TRIES = 2
_KEY_BITS_PER_ROW = 64
_KEY_BITS = 1 << 27
"""An integer key whose values span fewer than this many values per row, and fewer than this many in all (16 MiB
of bits), has its distinct values counted in a bitmap of its span (`DuckDBEngine._unique_key`)."""
_ROW_HASH = "__aiwell_row_hash"
_NORMALISED_HASH = "__aiwell_normalised_hash"
"""Assumed compression of .gz text files when estimating their rows for the sample rate."""


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _list_literal(paths: list[Path]) -> str:
    return "[" + ", ".join(literal(str(p)) for p in paths) + "]"


_NULLS = "[" + ", ".join(literal(t) for t in NULL_TOKENS) + "]"


class Prepared(Struct):
    """A source opened and planned, before its scan."""

    relation: str
    text: bool
    """Values arrive as text and are parsed to the planned kinds."""
    schema: list[tuple[str, str, Kind]] | None
    rows: int | None
    file_schemas: list[FileSchema]
    documents: list[Document] | None = None
    arrow: Any = None
    """The Arrow table or dataset of a source read by `engine.read_to_arrow`."""
    csv_dialect: dict[str, Any] = field(default_factory=dict)
    hive: bool = False
    row_groups: int | None = None
    """Row groups of a Parquet source: DuckDB reads one with one thread."""
    raw: str = ""
    plan: ScanPlan | None = None


def table_profile(source: Source, prepared: Prepared, values: dict[str, Any], engine: str) -> TableProfile:
    """The profile of a table from the values an engine's scan computed (same keys in every engine)."""
    plan = prepared.plan
    assert plan is not None
    rows = int(values["rows"])
    return TableProfile(
        path=source.label, format=source.format, rows=rows, bytes=source.bytes,
        columns=profile_columns(plan, values["columns"], rows), engine=engine,
        files=len(source.files) if source.format == "documents" else max(1, len(source.files)),
        exact_duplicates=rows - int(values["distinct_rows"]) if plan.row_columns else None,
        near_duplicates=int(values["distinct_rows"]) - int(values["distinct_normalised"]) if plan.row_columns else None,
        daily_counts=values.get("daily"), time_column=plan.time_column.name if plan.time_column else None,
        sample=values["sample"], file_schemas=prepared.file_schemas, documents=prepared.documents,
        unread=list(source.unread),
    )


class DuckDBTable(Struct):
    """A profiled table: the view the follow-up queries run on."""

    view: str
    plan: ScanPlan
    documents: list[Document] | None = None
    keep: list[Any] = field(default_factory=list)
    """Arrow objects registered with the connection (kept alive as long as the view)."""


class DuckDBEngine:
    """Profiles tables with DuckDB; one connection per run."""

    name = "duckdb"

    def __init__(self, *, memory_limit: str | None = None) -> None:
        # Spilled data goes to a folder of its own under the system's temporary directory (DuckDB's default is
        # `.tmp` in the current directory), removed on close.
        self._spill = Path(tempfile.mkdtemp(prefix="aiwell-duckdb-"))
        config: dict[str, Any] = {"enable_external_access": True, "temp_directory": str(self._spill),
                                  "memory_limit": memory_limit or default_memory_limit()}
        try:
            self._con = duckdb.connect(config=config)
        except duckdb.Error as exc:
            shutil.rmtree(self._spill, ignore_errors=True)
            raise UsageError(f"--memory-limit {memory_limit}: {_first_line(exc)}",
                             hint="a size such as 1GB, 512MB or 4GiB") from exc
        self._con.execute("SET preserve_insertion_order = false")
        row = self._one("SELECT current_setting('threads')")
        self._threads = int(row[0]) if row else 1
        self._names = itertools.count()

    def close(self) -> None:
        """Close the connection and remove what it spilled."""
        self._con.close()
        shutil.rmtree(self._spill, ignore_errors=True)

    # --- reading -------------------------------------------------------------------------------------------------

    def _sql(self, query: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._con.execute(query, parameters).fetchall()

    def _one(self, query: str, parameters: list[Any] | None = None) -> tuple[Any, ...] | None:
        """The first row of a query's result. The whole result is fetched: DuckDB refuses other work on a
        connection whose last result was not read to its end."""
        rows = self._sql(query, parameters)
        return rows[0] if rows else None

    def _csv_schema(self, files: list[Path]) -> tuple[list[tuple[str, str, Kind]], list[FileSchema],
                                                       dict[str, Any]]:
        schemas = []
        dialect: dict[str, Any] = {}
        for index, path in enumerate(files[:_SCHEMA_FILES]):
            row = self._one(f"SELECT Delimiter, Quote, Escape, HasHeader, Columns FROM sniff_csv("
                                    f"{literal(str(path))}, nullstr={_NULLS})")
            assert row is not None
            delimiter, quote_char, escape, header, columns = row
            if index == 0:
                dialect = {"delim": delimiter, "header": bool(header)}
                if quote_char and quote_char != "(empty)":
                    dialect["quote"] = quote_char
                if escape and escape != "(empty)":
                    dialect["escape"] = escape
            schemas.append(FileSchema(str(path), {c["name"]: c["type"] for c in columns}))
        # The sniffer reads yes/no and y/n as booleans; a CSV column keeps its own spelling (labels say 'yes').
        merged: list[tuple[str, str, Kind]] = [(n, t, Kind.STRING if k is Kind.BOOLEAN else k)
                                               for n, t, k in _merge_schemas(schemas)]
        return merged, schemas if len(files) > 1 else [], dialect

    def _json_schema(self, files: list[Path]) -> tuple[list[tuple[str, str, Kind]], list[FileSchema]]:
        schemas = []
        for path in files[:_SCHEMA_FILES]:
            described = self._sql(f"DESCRIBE SELECT * FROM read_json({literal(str(path))}, "
                                  "format='newline_delimited')")
            schemas.append(FileSchema(str(path), {r[0]: r[1] for r in described}))
        return _merge_schemas(schemas), schemas if len(files) > 1 else []

    def _parquet_schema(self, files: list[Path]) -> list[FileSchema]:
        if len(files) < 2:
            return []
        rows = self._sql("SELECT file_name, name, type, logical_type, num_children FROM parquet_schema("
                         f"{_list_literal(files[:_SCHEMA_FILES])})")
        by_file: dict[str, dict[str, str]] = {}
        for file_name, name, physical, logical, children in rows:
            columns = by_file.setdefault(file_name, {})
            if children is None and name != "schema":
                columns[name] = str(logical or physical)
        return [FileSchema(f, c) for f, c in by_file.items()]

    def _open(self, source: Source) -> Prepared:
        """The source as a DuckDB relation, with what its reader knows: the sniffed or declared schema of a text
        source, the rows when cheap to know, the schemas of its files, the documents of a folder."""
        files = source.files
        if source.format == "csv":
            schema, file_schemas, dialect = self._csv_schema(files)
            options = "".join(f", {key}={literal(value) if isinstance(value, str) else str(value).lower()}"
                              for key, value in dialect.items())
            relation = (f"read_csv({_list_literal(files)}, all_varchar=true, nullstr={_NULLS}, "
                        f"union_by_name=true{options})")
            return Prepared(relation, True, schema, None, file_schemas, csv_dialect=dialect)
        if source.format == "jsonl":
            schema, file_schemas = self._json_schema(files)
            columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n, _, _ in schema) + "}"
            relation = (f"read_json({_list_literal(files)}, format='newline_delimited', union_by_name=true, "
                        f"columns={columns})")
            return Prepared(relation, True, schema, None, file_schemas)
        if source.format == "parquet":
            hive = any("=" in part for f in files for part in f.parts)
            relation = (f"read_parquet({_list_literal(files)}, union_by_name=true, "
                        f"hive_partitioning={'true' if hive else 'false'})")
            counted = self._one(f"SELECT sum(num_rows), sum(num_row_groups) FROM "
                                f"parquet_file_metadata({_list_literal(files)})")
            rows = int(counted[0]) if counted and counted[0] is not None else None
            groups = int(counted[1]) if counted and counted[1] is not None else None
            return Prepared(relation, False, None, rows, self._parquet_schema(files), hive=hive, row_groups=groups)
        arrow = read_to_arrow(source)
        name = f"arrow_{next(self._names)}"
        self._con.register(name, arrow.data)
        declared = None if arrow.kinds is None else [(n, "VARCHAR", k) for n, k in arrow.kinds.items()]
        return Prepared(name, arrow.kinds is not None, declared, arrow_rows(arrow.data), [], arrow.documents,
                        arrow=arrow.data)

    def prepare(self, source: Source, options: ScanOptions) -> Prepared:
        """Open `source` and plan its scan from its head (the Spark engine plans with this too, so both engines
        compute the same statistics of the same columns)."""
        try:
            prepared = self._open(source)
            prepared.raw = f"raw_{next(self._names)}"
            self._con.execute(f"CREATE TEMP VIEW {prepared.raw} AS SELECT * FROM {prepared.relation}")
            described = [(r[0], r[1]) for r in self._sql(f"DESCRIBE SELECT * FROM {prepared.raw}")]
            if prepared.schema is None:
                schema = [(n, t, kind_of_duckdb_type(t)) for n, t in described]
            else:
                # Hive partition columns and union-by-name columns come from the reader, not the sniffer.
                known = {n for n, _, _ in prepared.schema}
                present = {n for n, _ in described}
                schema = [s for s in prepared.schema if s[0] in present] + [
                    (n, t, kind_of_duckdb_type(t)) for n, t in described if n not in known]
            # Only text and integer columns (and the label and segments) can be planned as categorical: the
            # others' distinct counts in the head decide nothing.
            forced = {c.lower() for c in options.categorical}
            head = self._head_shape(prepared.raw, [n for n, _, k in schema if k in (Kind.STRING, Kind.INTEGER)
                                                   or n.lower() in forced])
            if prepared.text:
                schema = self._retype_mostly_parsed(prepared.raw, schema)
            estimated = prepared.rows if prepared.rows is not None else self._estimate_rows(source, prepared.raw)
            prepared.plan = build_plan(schema, cast=prepared.text, head=head,
                                       estimated_rows=estimated, sample_rows=options.sample_rows,
                                       time_column=options.time_column, force_categorical=options.categorical,
                                       identity=DOCUMENT_IDENTITY if prepared.documents is not None else None)
        except duckdb.Error as exc:
            raise InputError(_first_line(exc)) from exc
        return prepared

    def profile(self, source: Source, options: ScanOptions) -> tuple[TableProfile, DuckDBTable]:
        """Profile `source` in one scan (after planning on its head)."""
        prepared = self.prepare(source, options)
        plan = prepared.plan
        assert plan is not None
        try:
            view = f"typed_{next(self._names)}"
            self._con.execute(f"CREATE TEMP VIEW {view} AS SELECT {_typed_select(plan)} FROM {prepared.raw}")
            if prepared.row_groups is not None and prepared.row_groups < self._threads:
                # More threads than row groups only wait for work (and cost CPU time doing it): measured on a
                # 1,000,000-row file of one row group, 2 threads took 14% more CPU time than 1, and no less wall.
                self._con.execute(f"SET threads = {max(1, prepared.row_groups)}")
            values = self._scan(view, plan, columnar=not prepared.text)
        except duckdb.Error as exc:
            raise InputError(_first_line(exc)) from exc
        finally:
            self._con.execute(f"SET threads = {self._threads}")
        profile = table_profile(source, prepared, values, self.name)
        return profile, DuckDBTable(view, plan, prepared.documents, [prepared.arrow])

    def _head_shape(self, raw: str, names: list[str]) -> dict[str, HeadShape]:
        if not names:
            return {}
        select = ", ".join(f"count(DISTINCT {quote(n)}), max(length(CAST({quote(n)} AS VARCHAR)))" for n in names)
        # Without prefetching, a Parquet file's head is read page by page instead of each column's whole chunk of
        # the first row group (the head of the bench's 1,000,000-row file: 0.045 -> 0.025 s CPU).
        self._con.execute("SET disable_parquet_prefetching = true")
        try:
            row = self._one(f"SELECT {select} FROM (SELECT * FROM {raw} LIMIT {HEAD_ROWS})")
        finally:
            self._con.execute("RESET disable_parquet_prefetching")
        assert row is not None
        return {name: HeadShape(int(row[2 * i]), int(row[2 * i + 1] or 0)) for i, name in enumerate(names)}

    def _retype_mostly_parsed(self, raw: str, schema: list[tuple[str, str, Kind]]) -> list[tuple[str, str, Kind]]:
        """A text column the sniffer left as text because a few of its values don't parse (`n/a`, `12O`) takes the
        kind most of its head parses as, so the scan profiles it as that kind and counts the rest as failures."""
        strings = [n for n, _, k in schema if k is Kind.STRING]
        if not strings:
            return schema
        probes = []
        for name in strings:
            present = f"nullif(trim({quote(name)}), '')"
            probes += [f"count({present})", f"count({parse(present, Kind.INTEGER)})",
                       f"count({parse(present, Kind.FLOAT)})", f"count({parse(present, Kind.TIMESTAMP)})"]
        row = self._one(f"SELECT {', '.join(probes)} FROM (SELECT * FROM {raw} LIMIT {HEAD_ROWS})"
                                )
        assert row is not None
        kinds: dict[str, Kind] = {}
        for index, name in enumerate(strings):
            present, integers, floats, times = row[4 * index:4 * index + 4]
            if not present or present < _RETYPE_MIN_VALUES:
                continue
            if integers >= _RETYPE_SHARE * present:
                kinds[name] = Kind.INTEGER
            elif floats >= _RETYPE_SHARE * present:
                kinds[name] = Kind.FLOAT
            elif times >= _RETYPE_SHARE * present:
                kinds[name] = Kind.TIMESTAMP
        return [(n, t, kinds.get(n, k)) for n, t, k in schema]

    def _estimate_rows(self, source: Source, raw: str) -> int | None:
        """Rows of a text file from its size and the bytes per row of its head: only to set the sample rate."""
        size = source.bytes
        if not size:
            return None
        names = [r[0] for r in self._sql(f"DESCRIBE SELECT * FROM {raw}")]
        if not names:
            return None
        widths = " + ".join(f"coalesce(length({quote(n)}), 0) + 1" for n in names)
        row = self._one(f"SELECT count(*), sum({widths}) FROM (SELECT * FROM {raw} LIMIT {HEAD_ROWS})"
                                )
        if not row or not row[0] or not row[1]:
            return None
        if any(str(f).endswith(".gz") for f in source.files):
            size *= _GZIP_RATIO
        return int(size / (row[1] / row[0]))

    def _scan(self, view: str, plan: ScanPlan, *, columnar: bool) -> dict[str, Any]:
        """Every statistic of the plan. A text source (CSV, JSON Lines: each read parses the file) is scanned by one
        query; a columnar one (Parquet, Arrow) by up to three, each reading only the columns it needs
        (`_split_scan`)."""
        if columnar:
            return self._split_scan(view, plan)
        # One projection under the aggregate computes what several aggregates read (each row's hashes, a float's
        # finite value, a text's first character), so each is computed once per row.
        derived = [sql for column in plan.columns for sql in _derived(column)]
        subsampled: str | None = None
        if plan.row_columns:
            # Categorical text columns enter the near-duplicate key as they are: their values are all known after
            # the scan, and `_near_duplicate_key_holds` checks that normalising them would not have merged two of
            # them (else the count is taken again, normalised).
            identity = ", ".join(quote(c.name) for c in plan.row_columns)
            normalised = ", ".join(_normalised(c, raw_categories=True) for c in plan.row_columns)
            derived += [f"hash({identity}) AS {_ROW_HASH}", f"hash({normalised}) AS {_NORMALISED_HASH}"]
            if plan.quantile_threshold < SAMPLE_MODULUS:
                subsampled = f"{_ROW_HASH} % {SAMPLE_MODULUS} < {plan.quantile_threshold}"
        expressions: list[tuple[str, str]] = [("rows", "count(*)")]
        for column in plan.columns:
            expressions.extend((f"{column.index}.{key}", sql) for key, sql in _column_aggregates(column, subsampled))
        if plan.row_columns:
            expressions.append(("distinct_rows", f"count(DISTINCT {_ROW_HASH})"))
            expressions.append(("distinct_normalised", f"count(DISTINCT {_NORMALISED_HASH})"))
            expressions.append(("sample", _sample_aggregate(plan)))
        if plan.time_column is not None:
            expressions.append(("daily", f"histogram(CAST({quote(plan.time_column.name)} AS DATE))"))
        source = f"(SELECT *, {', '.join(derived)} FROM {view})" if derived else view
        flat = self._aggregate(expressions, source, plan)
        per_column = self._per_column(plan, flat)
        distinct_normalised = flat.get("distinct_normalised", 0)
        if plan.row_columns and not self._near_duplicate_key_holds(plan, per_column):
            distinct_normalised = self._distinct_normalised_rows(view, plan)
        return self._values(flat, per_column, flat.get("distinct_rows", 0), distinct_normalised)

    def _distinct_normalised_rows(self, view: str, plan: ScanPlan) -> int:
        """The distinct rows once normalised with the raw categories normalised too, counted again: what the scan
        counts when the categories' normalised values can't stand for them (`_near_duplicate_key_holds`)."""
        identity = ", ".join(_normalised(c, raw_categories=False) for c in plan.row_columns)
        counted = self._one(f"SELECT count(DISTINCT hash({identity})) FROM {view}")
        return int(counted[0]) if counted else 0

    def _aggregate(self, expressions: list[tuple[str, str]], source: str, plan: ScanPlan) -> dict[str, Any]:
        """The aggregates `expressions` (key, SQL) over `source`, by key. The sample's list of rows is kept in a
        temporary table and read back as rows: DuckDB turns a result's rows into Python values at less than half
        the cost of a list of structs (0.1 s for the 10,000 rows of 30 columns of the bench's sample)."""
        if not any(key == "sample" for key, _ in expressions):
            row = self._one(f"SELECT {', '.join(sql for _, sql in expressions)} FROM {source}")
            assert row is not None
            return dict(zip((k for k, _ in expressions), row, strict=True))
        table = f"scanned_{next(self._names)}"
        aliases = [f"a{index}" for index in range(len(expressions))]
        select = ", ".join(f"{sql} AS {alias}" for (_, sql), alias in zip(expressions, aliases, strict=True))
        sample = aliases[next(i for i, (key, _) in enumerate(expressions) if key == "sample")]
        self._con.execute(f"CREATE TEMP TABLE {table} AS SELECT {select} FROM {source}")
        try:
            row = self._one(f"SELECT * EXCLUDE ({sample}) FROM {table}")
            rows = self._sql(f"SELECT unnest({sample}, recursive := true) FROM {table}")
        finally:
            self._con.execute(f"DROP TABLE {table}")
        assert row is not None
        flat = dict(zip((k for k, _ in expressions if k != "sample"), row, strict=True))
        names = [c.name for c in plan.columns]
        flat["sample"] = [dict(zip(names, values, strict=True)) for values in rows]
        return flat

    def _split_scan(self, view: str, plan: ScanPlan) -> dict[str, Any]:
        """The scan of a columnar source in up to three queries, each reading only the columns it needs (re-reading
        a column of a Parquet file or an Arrow table costs little next to what a query computes of it):

        1. the sketches and moments of every column, the sample and the row count (the row hash, once per row,
           picks the sample and the quantile subsample);
        2. the exact value counts of the categorical columns and the rows per day (few distinct values each);
        3. the duplicate counts, only where the table has rows to compare: when a column of the row's identity has
           no missing value and its approximate distinct count is near the row count, its exact distinct count of
           normalised values is taken; if every row has its own, no two rows can be equal, exactly or once
           normalised, and nothing else is hashed. Otherwise, the exact and normalised row hashes are counted.

        One query for all of this made DuckDB materialise every column of every row (for its distinct and
        histogram aggregates) before aggregating: that cost more than reading the file three times."""
        derived = [sql for column in plan.columns for sql in _derived(column)]
        subsampled: str | None = None
        if plan.row_columns:
            identity = ", ".join(quote(c.name) for c in plan.row_columns)
            derived.append(f"hash({identity}) AS {_ROW_HASH}")
            if plan.quantile_threshold < SAMPLE_MODULUS:
                subsampled = f"{_ROW_HASH} % {SAMPLE_MODULUS} < {plan.quantile_threshold}"
        expressions: list[tuple[str, str]] = [("rows", "count(*)")]
        for column in plan.columns:
            expressions.extend((f"{column.index}.{key}", sql) for key, sql in _column_aggregates(column, subsampled)
                               if key != "categories" and not (key == "distinct" and column.categorical))
        if plan.row_columns:
            expressions.append(("sample", _sample_aggregate(plan)))
        source = f"(SELECT *, {', '.join(derived)} FROM {view})" if derived else view
        flat = self._aggregate(expressions, source, plan)
        flat.update(self._value_counts(view, plan))
        per_column = self._per_column(plan, flat)
        for column in plan.columns:
            if column.categorical and per_column[column.index].get("categories") is None:
                per_column[column.index]["distinct"] = 0  # no value to count (one query gave its HLL count: 0)
        rows = int(flat["rows"])
        distinct_rows = distinct_normalised = 0
        if plan.row_columns and rows:
            if self._unique_key(view, plan, per_column, rows):
                distinct_rows = distinct_normalised = rows
            else:
                identity = ", ".join(quote(c.name) for c in plan.row_columns)
                normalised = ", ".join(_normalised(c, raw_categories=True) for c in plan.row_columns)
                # The hashes in a subquery: DuckDB then materialises them for the two distinct counts, not the
                # columns they are computed from.
                found = self._one(f"SELECT count(DISTINCT {_ROW_HASH}), count(DISTINCT {_NORMALISED_HASH}) FROM "
                                  f"(SELECT hash({identity}) AS {_ROW_HASH}, hash({normalised}) AS "
                                  f"{_NORMALISED_HASH} FROM {view})")
                assert found is not None
                distinct_rows, distinct_normalised = int(found[0]), int(found[1])
                if not self._near_duplicate_key_holds(plan, per_column):
                    distinct_normalised = self._distinct_normalised_rows(view, plan)
        return self._values(flat, per_column, distinct_rows, distinct_normalised)

    def _value_counts(self, view: str, plan: ScanPlan) -> dict[str, dict[Any, int] | None]:
        """The exact value counts of the categorical columns (as text) and the rows per day of the time column, in
        one query of grouping sets: one hash table per column, which costs less than a `histogram` aggregate per
        column. The same counts as `histogram`: missing values are not counted, and a column without a value has
        none (None)."""
        keyed = [(f"{c.index}.categories", quote(c.name), True) for c in plan.columns if c.categorical]
        if plan.time_column is not None:
            keyed.append(("daily", f"CAST({quote(plan.time_column.name)} AS DATE)", False))
        if not keyed:
            return {}
        select = ", ".join(f"CAST({sql} AS VARCHAR)" if text else sql for _, sql, text in keyed)
        sets = ", ".join(f"({sql})" for _, sql, _ in keyed)
        counts: list[dict[Any, int]] = [{} for _ in keyed]
        # In each set's rows every other key is NULL, so a row's one non-NULL key says which set it counts; the
        # rows whose keys are all NULL count the missing values, which are left out.
        for row in self._sql(f"SELECT {select}, count(*) FROM {view} GROUP BY GROUPING SETS ({sets})"):
            for index, value in enumerate(row[:-1]):
                if value is not None:
                    counts[index][value] = int(row[-1])
                    break
        return {key: dict(sorted(found.items())) if found else None
                for (key, _, _), found in zip(keyed, counts, strict=True)}

    def _unique_key(self, view: str, plan: ScanPlan, per_column: list[dict[str, Any]], rows: int) -> bool:
        """Whether a column of the row's identity holds a different value in every row once normalised (then no two
        rows are equal, exactly or near), measured exactly on the likeliest column: no missing value and an
        approximate distinct count within `_KEY_SHARE` of the rows."""
        candidates = [(int(per_column[c.index].get("distinct") or 0), c) for c in plan.row_columns
                      if c.kind not in (Kind.NESTED, Kind.BINARY) and not c.categorical
                      and int(per_column[c.index].get("count") or 0) == rows
                      and int(per_column[c.index].get("raw_count") or rows) == rows]
        # Identifiers first (integers, text, times), before floats, which round to equal values more often; the
        # first column of a kind first, where keys usually are.
        likely = sorted((c for d, c in candidates if d >= _KEY_SHARE * rows),
                        key=lambda c: (c.kind is Kind.FLOAT, c.index))
        for column in likely[:_KEY_TRIES]:
            stats = per_column[column.index]
            # Integers that a double holds exactly stay apart once normalised (rounded as doubles) if they are apart
            # as they are, which is cheaper to count.
            exact = column.kind is Kind.INTEGER and max(abs(stats.get("min") or 0), abs(stats.get("max") or 0)) < 2**53
            if exact and int(stats["max"]) - int(stats["min"]) < min(_KEY_BITS_PER_ROW * rows, _KEY_BITS):
                # Integers in a span of few values per row: one bit per value of the span, set by each row, counts
                # the distinct values exactly at a third of the cost of a hash table.
                row = self._one(f"SELECT bit_count(bitstring_agg({quote(column.name)}, ?::BIGINT, ?::BIGINT)) "
                                f"FROM {view}", [int(stats["min"]), int(stats["max"])])
            else:
                value = quote(column.name) if exact else _normalised(column, raw_categories=False)
                row = self._one(f"SELECT count(DISTINCT {value}) FROM {view}")
            if row is not None and int(row[0]) == rows:
                return True
        return False

    def _per_column(self, plan: ScanPlan, flat: dict[str, Any]) -> list[dict[str, Any]]:
        per_column: list[dict[str, Any]] = [{} for _ in plan.columns]
        for key, value in flat.items():
            head, _, stat = key.partition(".")
            if stat:
                per_column[int(head)][stat] = value
        for column, stats in zip(plan.columns, per_column, strict=True):
            if _from_categories(column):
                stats.update(self._category_statistics(stats.get("categories") or {}))
            if "blank" in stats:
                stats["probe_base"] = int(stats["count"] or 0) - int(stats["blank"] or 0)
        return per_column

    @staticmethod
    def _values(flat: dict[str, Any], per_column: list[dict[str, Any]], distinct_rows: int,
                distinct_normalised: int) -> dict[str, Any]:
        daily = flat.get("daily")
        return {
            "rows": flat["rows"], "columns": per_column,
            "distinct_rows": distinct_rows, "distinct_normalised": distinct_normalised,
            "sample": flat.get("sample") or [],
            "daily": {str(k): int(v) for k, v in daily.items() if k is not None} if daily is not None else None,
        }

    def _category_statistics(self, categories: dict[str, int]) -> dict[str, Any]:
        """The text statistics of a categorical text column, from its exact value counts instead of its rows (the
        same predicates as the scan's, on each distinct value, weighted by its count): blank values, lengths,
        values that parse as numbers or timestamps."""
        values = [k for k in categories if k is not None]
        if not values:
            return {"blank": 0, "len_mean": None, "len_q": None, "numeric_ok": 0, "temporal_ok": 0}
        counts = [int(categories[k]) for k in values]
        probes = _string_probes("v")
        select = ", ".join(f"coalesce(sum(n) FILTER (WHERE {sql}), 0)" for _, sql in probes)
        row = self._one(f"SELECT {select}, list({{'length': length(v), 'n': n}}) FROM (SELECT "
                        "unnest(?::VARCHAR[]) AS v, unnest(?::BIGINT[]) AS n)", [values, counts])
        assert row is not None
        stats: dict[str, Any] = {key: int(value) for (key, _), value in zip(probes, row, strict=False)}
        lengths = [int(pair["length"]) for pair in row[-1]]
        weights = [int(pair["n"]) for pair in row[-1]]
        stats["len_mean"] = sum(n * c for n, c in zip(lengths, weights, strict=True)) / sum(weights)
        stats["len_q"] = weighted_quantiles(lengths, weights)
        return stats

    def _near_duplicate_key_holds(self, plan: ScanPlan, per_column: list[dict[str, Any]]) -> bool:
        """Whether the scan's near-duplicate key (categorical text taken as it is) gives the normalised count:
        true when no two values of any such column normalise alike."""
        for column in plan.row_columns:
            if not _from_categories(column):
                continue
            values = [k for k in (per_column[column.index].get("categories") or {}) if k is not None]
            if len(values) < 2:
                continue
            row = self._one(f"SELECT count(DISTINCT {_normalised(column, raw_categories=False, name='v')}) "
                            "FROM (SELECT unnest(?::VARCHAR[]) AS v)", [values])
            if row is None or int(row[0]) != len(values):
                return False
        return True

    # --- follow-up questions ---------------------------------------------------------------------------------------

    def matches(self, handle: DuckDBTable, column: str, pattern: str, limit: int) -> Matches:
        """Values of `column` containing a match of `pattern` (RE2 syntax), most frequent first."""
        text = f"CAST({quote(column)} AS VARCHAR)"
        rows = self._sql(
            f"SELECT value, n, sum(n) OVER (), count(*) OVER () FROM (SELECT {text} AS value, count(*) AS n "
            f"FROM {handle.view} WHERE regexp_matches({text}, {literal(pattern)}) GROUP BY 1) "
            f"ORDER BY n DESC, value LIMIT {int(limit)}")
        if not rows:
            return Matches([], 0, 0)
        return Matches([(r[0], int(r[1])) for r in rows], int(rows[0][2]), int(rows[0][3]))

    def shared_rows(self, train: DuckDBTable, test: DuckDBTable, columns: list[str]) -> int:
        """Rows of `test` equal, on `columns` compared as text, to some row of `train`."""
        identity = ", ".join(f"CAST({quote(c)} AS VARCHAR)" for c in columns)
        row = self._one(
            f"SELECT count(*) FROM {test.view} WHERE hash({identity}) IN "
            f"(SELECT DISTINCT hash({identity}) FROM {train.view})")
        return int(row[0]) if row else 0

    def rows_after(self, handle: DuckDBTable, column: str, epoch_seconds: float) -> int:
        """Rows with `column` later than `epoch_seconds`."""
        row = self._one(f"SELECT count(*) FROM {handle.view} WHERE epoch({quote(column)}) > ?",
                                [epoch_seconds])
        return int(row[0]) if row else 0


def unreadable_files(source: Source) -> list[tuple[str, str]]:
    """The files of a multi-file dataset that can't be opened on their own, with the reason: a scan that failed
    on the dataset is retried without them, so one corrupt file of a folder does not leave the rest unread."""
    if len(source.files) < 2 or source.format not in ("parquet", "csv", "jsonl"):
        return []
    found = []
    probe = DuckDBEngine()
    try:
        for path in source.files:
            try:
                probe.prepare(replace(source, files=[path], unread=[]), ScanOptions(sample_rows=100))
            except InputError as exc:
                found.append((str(path), exc.message))
    finally:
        probe.close()
    return found


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _merge_schemas(schemas: list[FileSchema]) -> list[tuple[str, str, Kind]]:
    """One schema for the files of a dataset: every column of any file, with the widest kind the files give it."""
    kinds: dict[str, list[Kind]] = {}
    types: dict[str, str] = {}
    for schema in schemas:
        for name, type_name in schema.columns.items():
            kinds.setdefault(name, []).append(kind_of_duckdb_type(type_name))
            types.setdefault(name, type_name)
    return [(name, types[name], widest(found)) for name, found in kinds.items()]


def parse(text: str, kind: Kind) -> str:
    """SQL that parses the text expression `text` as `kind`, NULL where it doesn't parse (`plan.NUMBER_TEXT`)."""
    cast = f"TRY_CAST({text} AS {_CAST_TYPE[kind]})"
    pattern = NUMBER_TEXT.get(kind)
    return cast if pattern is None else f"(CASE WHEN regexp_matches({text}, {literal(pattern)}) THEN {cast} END)"


def _typed_select(plan: ScanPlan) -> str:
    parts = []
    for column in plan.columns:
        name = quote(column.name)
        if column.cast:
            parts.append(f"{name} AS {quote(f'__raw_{column.index}')}")
            present = f"nullif(trim({name}), '')"
            parts.append(f"{parse(present, column.kind)} AS {name}")
        else:
            parts.append(name)
    return ", ".join(parts) or "1 AS __empty"


def _sample_aggregate(plan: ScanPlan) -> str:
    """The aggregate that lists the sample's rows (all of them when the table is small)."""
    fields = ", ".join(f"{literal(c.name)}: {quote(c.name)}" for c in plan.columns)
    if plan.sample_threshold >= SAMPLE_MODULUS:
        return f"list({{{fields}}})"
    return f"list({{{fields}}}) FILTER (WHERE {_ROW_HASH} % {SAMPLE_MODULUS} < {plan.sample_threshold})"


def _quantile_list() -> str:
    return "[" + ", ".join(f"{q:.2f}" for q in QUANTILES) + "]"


def _from_categories(column: ColumnPlan) -> bool:
    """A categorical text column: its text statistics come from its exact value counts, not from every row."""
    return column.categorical and column.kind is Kind.STRING


def _string_probes(name: str) -> list[tuple[str, str]]:
    """Predicates on a text value `name`: blank, parses as a number, parses as a timestamp.

    They trim and parse only values whose first character allows it: a blank value starts with whitespace, a
    number with a sign, a point or a digit, or is inf or nan; a timestamp starts with a digit or sign. Free text,
    which starts with a letter, is never parsed. The first character is tested by comparing the value with
    one-character strings (byte order: DuckDB compares strings by the prefix it stores inline, far cheaper than
    `ascii` or `length`, which decode the text); values starting outside ASCII take the full path."""
    spaced = f"({name} < '!' OR {name} >= chr(128))"
    signed = f"({name} >= '+' AND {name} < ':')"
    # Only inf, infinity and nan parse as numbers among values starting with a letter (`NUMBER_TEXT`); the
    # pattern runs only on values starting with i or n.
    letters = " OR ".join(f"({name} >= '{c}' AND {name} < '{chr(ord(c) + 1)}')" for c in "INin")
    infinite = f"(({letters}) AND regexp_matches({name}, '^(?i:inf|nan)'))"
    present = f"nullif(trim({name}), '')"
    return [("blank", f"CASE WHEN {spaced} THEN trim({name}) = '' ELSE false END"),
            ("numeric_ok", f"CASE WHEN {signed} OR {infinite} OR {spaced} THEN {parse(present, Kind.FLOAT)} "
                           "IS NOT NULL ELSE false END"),
            ("temporal_ok", f"CASE WHEN {signed} OR {spaced} THEN {parse(present, Kind.TIMESTAMP)} IS NOT NULL "
                            "ELSE false END")]


def weighted_quantiles(values: list[int], counts: list[int]) -> list[float]:
    """The `QUANTILES` of values given with their counts, exactly: at each point, the smallest value whose
    cumulative share reaches it."""
    order = sorted(range(len(values)), key=values.__getitem__)
    total = sum(counts)
    points: list[float] = []
    cumulative = 0
    position = 0
    for q in QUANTILES:
        target = q * total
        while position < len(order) - 1 and cumulative + counts[order[position]] < target:
            cumulative += counts[order[position]]
            position += 1
        points.append(float(values[order[position]]))
    return points


def _finite(column: ColumnPlan) -> str:
    return f"__aiwell_finite_{column.index}"


def _derived(column: ColumnPlan) -> list[str]:
    """Values of one column that several of its aggregates read, computed once per row: a float's value when
    finite (an integer is always)."""
    name = quote(column.name)
    if column.kind is Kind.FLOAT:
        return [f"CASE WHEN isfinite({name}::DOUBLE) THEN {name}::DOUBLE END AS {_finite(column)}"]
    return []


def _column_aggregates(column: ColumnPlan, subsampled: str | None = None) -> list[tuple[str, str]]:
    """The aggregates of one column, reading the values `_derived` computed; `subsampled` (a condition on the row,
    or None for every row) limits the quantile sketches to a subsample."""
    name = quote(column.name)
    kind = column.kind

    def sketch(value: str) -> str:
        # A CASE rather than a FILTER clause: the aggregate skips the NULLs as cheaply, and DuckDB plans aggregates
        # with filters as separate consumers of the scan.
        picked = value if subsampled is None else f"CASE WHEN {subsampled} THEN {value} END"
        return f"approx_quantile({picked}, {_quantile_list()})"

    aggregates: list[tuple[str, str]] = [("count", f"count({name})")]
    if kind in (Kind.NESTED, Kind.BINARY):
        aggregates.append(("distinct", f"approx_count_distinct(hash({name}))"))
    else:
        aggregates.append(("distinct", f"approx_count_distinct({name})"))
    if column.cast:
        raw = quote(f"__raw_{column.index}")
        aggregates.append(("raw_count", f"count(nullif(trim({raw}), ''))"))
        aggregates.append(("failures", f"approx_top_k({raw}, {FAILURE_EXAMPLES}) FILTER (WHERE {name} IS NULL "
                                       f"AND nullif(trim({raw}), '') IS NOT NULL)"))
    if kind.numeric:
        finite = _finite(column) if kind is Kind.FLOAT else f"{name}::DOUBLE"
        aggregates += [("min", f"min({finite})"), ("max", f"max({finite})"), ("mean", f"avg({finite})"),
                       ("std", f"stddev_samp({finite})"), ("q", sketch(finite)),
                       ("zeros", f"count_if({name} = 0)"),
                       ("non_finite", f"count({name}) - count({finite})")]
    elif kind.temporal:
        epoch = f"epoch({name})"
        aggregates += [("min", f"min({epoch})"), ("max", f"max({epoch})"), ("q", sketch(epoch))]
    elif kind is Kind.BOOLEAN:
        aggregates.append(("true", f"count_if({name})"))
    elif kind is Kind.STRING and not _from_categories(column):
        aggregates += [("len_mean", f"avg(length({name}))"), ("len_q", sketch(f"length({name})"))]
        aggregates += [(key, f"count_if({sql})") for key, sql in _string_probes(name)]
    if column.categorical:
        aggregates.append(("categories", f"histogram(CAST({name} AS VARCHAR))"))
    return aggregates


def _normalised(column: ColumnPlan, *, raw_categories: bool, name: str | None = None) -> str:
    """A column's value as near-duplicate detection compares it: text lower-cased without its spaces; numbers
    rounded to 6 decimals. (Dropping punctuation too, by a regular expression, made this the scan's costliest
    part: three times the cost of the rest of the duplicate checks on free text.) `raw_categories`: categorical
    text as it is (see `_scan`). `name`: the SQL of the value (default: the column)."""
    value = name or quote(column.name)
    if column.kind is Kind.STRING:
        return value if raw_categories and _from_categories(column) else f"lower(replace({value}, ' ', ''))"
    if column.kind.numeric:
        return f"round({value}::DOUBLE, 6)"
    return value


__all__ = ["MEMORY_CAP", "DuckDBEngine", "DuckDBTable", "Prepared", "available_memory", "default_memory_limit",
           "literal", "quote", "table_profile", "unreadable_files"]
