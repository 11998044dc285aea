"""The Spark engine (`--engine spark`): the same plan as DuckDB's, computed by PySpark where the data lives
(Databricks, Synapse, Fabric, or a local Spark).

Planning is shared: DuckDB reads the head of each source (a few thousand rows, cheap wherever the files are) to
sniff types and pick the categorical columns, so both engines compute the same statistics of the same columns.
Spark then reads the data itself (CSV, JSON Lines and Parquet natively; other sources through Arrow), parses text
with the same rules (`plan.NUMBER_TEXT`, then `try_cast`), and computes everything in four jobs over the cached,
typed frame: the aggregate statistics (DataSketches HLL distinct counts, `percentile_approx`, ...), exact value
counts of the categorical columns and rows per day, exact distinct row hashes, and the sample. Approximations
differ from DuckDB's within their stated bounds: distinct counts (HLL at lgK 12, relative standard error ≈ 1.6%,
vs DuckDB's HyperLogLog), quantiles (Greenwald–Khanna at accuracy 10,000, rank error ≤ 1e-4, vs DuckDB's
t-digest); the sample is chosen by another hash, so what it alone decides (sensitive data found in the sample
only, label proxies, p-values) can differ at the margin.
"""

from __future__ import annotations

import os
from typing import Any

from msgspec import Struct

from aiwell.data.duckdb_engine import DuckDBEngine, Prepared, table_profile
from aiwell.data.engine import Matches, ScanOptions
from aiwell.data.model import Kind, TableProfile
from aiwell.data.plan import NULL_TOKENS, NUMBER_TEXT, QUANTILES, SAMPLE_MODULUS, ColumnPlan, ScanPlan
from aiwell.data.sources import Source
from aiwell.errors import InputError, UsageError

_CAST_TYPE = {Kind.INTEGER: "BIGINT", Kind.FLOAT: "DOUBLE", Kind.BOOLEAN: "BOOLEAN", Kind.DATE: "DATE",
              Kind.TIMESTAMP: "TIMESTAMP"}
_HLL_LG_K = 12
"""log2 of the HLL sketch's registers: relative standard error ≈ 1.04 / √4096 ≈ 1.6%. DataSketches' `hll_sketch_agg`
rather than `approx_count_distinct` at that precision: HLL++ keeps its registers as hundreds of aggregation-buffer
fields per column, which makes a wide table's one aggregate slow to compile and run."""
_ACCURACY = 10_000


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def spark_session() -> Any:
    """The active Spark session (Databricks, Synapse, Fabric), or a local one: `AIWELL_SPARK_MASTER` (default
    local[2]), UI off, few shuffle partitions, UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UsageError("--engine spark needs PySpark", hint="pip install 'aiwell[spark]' (and a Java runtime)") \
            from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    try:
        session = (SparkSession.builder.master(os.environ.get("AIWELL_SPARK_MASTER", "local[2]"))
                .appName("aiwell-data")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.ansi.enabled", "false")
                .getOrCreate())
    except Exception as exc:  # the JVM failing to start surfaces as assorted py4j and runtime errors
        raise UsageError(f"cannot start Spark: {str(exc).strip().splitlines()[0]}",
                         hint="Spark needs a Java runtime (JAVA_HOME or java on PATH)") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkTable(Struct):
    """A profiled table: the typed, cached frame."""

    frame: Any
    plan: ScanPlan


class SparkEngine:
    """Profiles tables with PySpark."""

    name = "spark"

    def __init__(self, session: Any = None) -> None:
        self._spark = session or spark_session()
        self._planner = DuckDBEngine()
        self._cached: list[Any] = []

    def close(self) -> None:
        """Drop the cached frames (the session stays: it may be the platform's, or serve the next run)."""
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        self._planner.close()

    # --- reading -------------------------------------------------------------------------------------------------

    def _raw(self, source: Source, prepared: Prepared) -> Any:
        files = [str(f) for f in source.files]
        reader = self._spark.read
        if source.format == "csv":
            dialect = prepared.csv_dialect
            reader = (reader.option("header", str(dialect.get("header", True)).lower())
                      .option("sep", dialect.get("delim", ",")).option("inferSchema", "false")
                      .option("mode", "PERMISSIVE"))
            if "quote" in dialect:
                reader = reader.option("quote", dialect["quote"])
            if "escape" in dialect:
                reader = reader.option("escape", dialect["escape"])
            frames = [reader.schema(_text_schema(header)).csv(group) if header else reader.csv(group)
                      for header, group in _csv_groups(files, prepared)]
            frame = frames[0]
            for other in frames[1:]:
                frame = frame.unionByName(other, allowMissingColumns=True)
            return self._nulls(frame)
        if source.format == "jsonl":
            assert prepared.plan is not None
            return reader.schema(_text_schema(tuple(c.name for c in prepared.plan.columns))).json(files)
        if source.format == "parquet":
            if prepared.hive and source.root is not None:
                reader = reader.option("basePath", str(source.root))
            return reader.option("mergeSchema", str(len(files) > 1).lower()).parquet(*files)
        data = prepared.arrow
        table = data.to_table() if hasattr(data, "to_table") else data
        return self._spark.createDataFrame(table)

    def _nulls(self, frame: Any) -> Any:
        """CSV null markers as DuckDB reads them (`plan.NULL_TOKENS`)."""
        from pyspark.sql import functions as F

        tokens = [t for t in NULL_TOKENS if t]
        return frame.select([F.when(F.trim(F.col(_q(n))).isin(tokens) | (F.trim(F.col(_q(n))) == ""), None)
                             .otherwise(F.col(_q(n))).alias(n) for n in frame.columns])

    def _typed(self, raw: Any, plan: ScanPlan) -> Any:
        from pyspark.sql import functions as F

        columns = []
        for column in plan.columns:
            name = _q(column.name)
            if column.cast:
                columns.append(F.col(name).alias(f"__raw_{column.index}"))
                columns.append(F.expr(_parse(f"nullif(trim({name}), '')", column.kind)).alias(column.name))
            elif column.kind in (Kind.NESTED, Kind.BINARY) or column.engine_type.upper() == "JSON":
                columns.append(F.col(name).cast("string").alias(column.name) if column.kind is Kind.NESTED
                               else F.col(name))
            else:
                columns.append(F.col(name))
        return raw.select(columns)

    def profile(self, source: Source, options: ScanOptions) -> tuple[TableProfile, SparkTable]:
        """Profile `source` with Spark, on the plan DuckDB made from its head."""
        prepared = self._planner.prepare(source, options)
        plan = prepared.plan
        assert plan is not None
        try:
            frame = self._typed(self._raw(source, prepared), plan).persist()
            self._cached.append(frame)
            values = self._scan(frame, plan)
        except Exception as exc:  # Spark's analysis and execution errors have no common Python base class
            if isinstance(exc, UsageError | InputError):
                raise
            raise InputError(str(exc).strip().splitlines()[0]) from exc
        return table_profile(source, prepared, values, self.name), SparkTable(frame, plan)

    # --- the scan ---------------------------------------------------------------------------------------------------

    def _scan(self, frame: Any, plan: ScanPlan) -> dict[str, Any]:
        from pyspark.sql import functions as F

        expressions: list[tuple[str, str]] = [("rows", "count(1)")]
        for column in plan.columns:
            expressions.extend((f"{column.index}.{key}", sql) for key, sql in _column_aggregates(column))
        row = frame.agg(*[F.expr(sql).alias(f"a{i}") for i, (_, sql) in enumerate(expressions)]).collect()[0]
        per_column: list[dict[str, Any]] = [{} for _ in plan.columns]
        rows = int(row[0])
        for (key, _), value in zip(expressions[1:], list(row)[1:], strict=True):
            head, _, stat = key.partition(".")
            per_column[int(head)][stat] = value
        for column in plan.columns:
            failures = per_column[column.index].pop("failures_low", None), per_column[column.index].pop(
                "failures_high", None)
            if column.cast:
                per_column[column.index]["failures"] = sorted({f for f in failures if f is not None})
        counts, daily = self._counts(frame, plan)
        for index, categories in counts.items():
            per_column[index]["categories"] = categories
        for column in plan.columns:
            if column.categorical:
                per_column[column.index].setdefault("categories", {})
        distinct_rows = distinct_normalised = 0
        sample: list[dict[str, Any]] = []
        if plan.row_columns:
            identity = f"xxhash64({', '.join(_q(c.name) for c in plan.row_columns)})"
            normalised = f"xxhash64({', '.join(_normalised(c) for c in plan.row_columns)})"
            hashes = frame.select(F.expr(identity).alias("h"), F.expr(normalised).alias("n")).agg(
                F.countDistinct("h"), F.countDistinct("n")).collect()[0]
            distinct_rows, distinct_normalised = int(hashes[0]), int(hashes[1])
            picked = frame if plan.sample_threshold >= SAMPLE_MODULUS else frame.where(
                F.expr(f"pmod({identity}, {SAMPLE_MODULUS}) < {plan.sample_threshold}"))
            names = [c.name for c in plan.columns]
            sample = [{n: r[n] for n in names} for r in picked.select([_q(n) for n in names]).collect()]
        return {"rows": rows, "columns": per_column, "distinct_rows": distinct_rows,
                "distinct_normalised": distinct_normalised, "sample": sample,
                "daily": daily if plan.time_column is not None else None}

    def _counts(self, frame: Any, plan: ScanPlan) -> tuple[dict[int, dict[str, int]], dict[str, int]]:
        """Exact value counts of the categorical columns and rows per day of the time column, in one job: each row
        becomes (column, value) pairs, grouped and counted."""
        from pyspark.sql import functions as F

        pairs = [F.struct(F.lit(c.index).alias("i"), F.col(_q(c.name)).cast("string").alias("v"))
                 for c in plan.columns if c.categorical]
        if plan.time_column is not None:
            pairs.append(F.struct(F.lit(-1).alias("i"),
                                  F.to_date(F.col(_q(plan.time_column.name))).cast("string").alias("v")))
        if not pairs:
            return {}, {}
        exploded = (frame.select(F.explode(F.array(*pairs)).alias("p")).select("p.i", "p.v")
                    .where(F.col("v").isNotNull()))
        counts: dict[int, dict[str, int]] = {}
        for index, value, number in exploded.groupBy("i", "v").count().collect():
            counts.setdefault(int(index), {})[str(value)] = int(number)
        return counts, counts.pop(-1, {})

    # --- follow-up questions ---------------------------------------------------------------------------------------

    def matches(self, handle: SparkTable, column: str, pattern: str, limit: int) -> Matches:
        """Values of `column` containing a match of `pattern` (Java regex), most frequent first."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        text = F.col(_q(column)).cast("string")
        everything = Window.partitionBy()
        grouped = (handle.frame.select(text.alias("value")).where(F.col("value").rlike(pattern)).groupBy("value")
                   .count().select("value", "count", F.sum("count").over(everything).alias("rows"),
                                   F.count(F.lit(1)).over(everything).alias("distinct")))
        top = grouped.orderBy(F.col("count").desc(), F.col("value")).limit(int(limit)).collect()
        if not top:
            return Matches([], 0, 0)
        return Matches([(r["value"], int(r["count"])) for r in top], int(top[0]["rows"]), int(top[0]["distinct"]))

    def shared_rows(self, train: SparkTable, test: SparkTable, columns: list[str]) -> int:
        """Rows of `test` equal, on `columns` compared as text, to some row of `train`."""
        from pyspark.sql import functions as F

        identity = F.xxhash64(*[F.col(_q(c)).cast("string") for c in columns]).alias("h")
        seen = train.frame.select(identity).distinct()
        return int(test.frame.select(identity).join(seen, "h", "left_semi").count())

    def rows_after(self, handle: SparkTable, column: str, epoch_seconds: float) -> int:
        """Rows with `column` later than `epoch_seconds`."""
        from pyspark.sql import functions as F

        return int(handle.frame.where(F.expr(f"{_epoch(_q(column))} > {float(epoch_seconds)!r}")).count())


def _text_schema(names: tuple[str, ...]) -> Any:
    from pyspark.sql.types import StringType, StructField, StructType

    return StructType([StructField(name, StringType()) for name in names])


def _csv_groups(files: list[str], prepared: Prepared) -> list[tuple[tuple[str, ...], list[str]]]:
    """CSV files grouped by the header DuckDB sniffed, so Spark reads each group with a given schema (no job to
    read headers) and the groups are combined by column name; files past the sniffed ones (an empty header)
    have Spark read their header."""
    if len(files) == 1:
        assert prepared.plan is not None
        return [(tuple(c.name for c in prepared.plan.columns), files)]
    sniffed = {schema.path: tuple(schema.columns) for schema in prepared.file_schemas}
    groups: dict[tuple[str, ...], list[str]] = {}
    for path in files:
        groups.setdefault(sniffed.get(path, ()), []).append(path)
    return list(groups.items())


def _parse(text: str, kind: Kind) -> str:
    """As `duckdb_engine.parse`, in Spark SQL."""
    cast = f"try_cast({text} AS {_CAST_TYPE[kind]})"
    pattern = NUMBER_TEXT.get(kind)
    return cast if pattern is None else f"(CASE WHEN {text} RLIKE '{pattern}' THEN {cast} END)"


def _epoch(expression: str) -> str:
    return f"(unix_micros(CAST({expression} AS TIMESTAMP)) / 1000000.0)"


def _quantile_array() -> str:
    return "array(" + ", ".join(f"{q:.2f}" for q in QUANTILES) + ")"


def _column_aggregates(column: ColumnPlan) -> list[tuple[str, str]]:
    """Spark SQL for the statistics `duckdb_engine._column_aggregates` computes, under the same keys."""
    name = _q(column.name)
    kind = column.kind
    aggregates: list[tuple[str, str]] = [("count", f"count({name})")]
    # hll_sketch_agg takes integers and strings only, so every value is counted by its 64-bit hash (nulls left out:
    # xxhash64 would hash them to its seed).
    aggregates.append(("distinct", f"coalesce(hll_sketch_estimate(hll_sketch_agg(CASE WHEN {name} IS NOT NULL "
                                   f"THEN xxhash64({name}) END, {_HLL_LG_K})), 0)"))
    if column.cast:
        raw = _q(f"__raw_{column.index}")
        failing = f"{name} IS NULL AND nullif(trim({raw}), '') IS NOT NULL"
        aggregates += [("raw_count", f"count(nullif(trim({raw}), ''))"),
                       ("failures_low", f"min(CASE WHEN {failing} THEN {raw} END)"),
                       ("failures_high", f"max(CASE WHEN {failing} THEN {raw} END)")]
    quantiles = _quantile_array()
    if kind.numeric:
        value = f"CAST({name} AS DOUBLE)"
        finite = f"(CASE WHEN NOT isnan({value}) AND abs({value}) != double('infinity') THEN {value} END)"
        aggregates += [("min", f"min({finite})"), ("max", f"max({finite})"), ("mean", f"avg({finite})"),
                       ("std", f"stddev_samp({finite})"),
                       ("q", f"percentile_approx({finite}, {quantiles}, {_ACCURACY})"),
                       ("zeros", f"count_if({name} = 0)"),
                       ("non_finite", f"count_if(isnan({value}) OR abs({value}) = double('infinity'))")]
    elif kind.temporal:
        epoch = _epoch(name)
        aggregates += [("min", f"min({epoch})"), ("max", f"max({epoch})"),
                       ("q", f"percentile_approx({epoch}, {quantiles}, {_ACCURACY})")]
    elif kind is Kind.BOOLEAN:
        aggregates.append(("true", f"count_if({name})"))
    elif kind is Kind.STRING:
        present = f"nullif(trim({name}), '')"
        aggregates += [("blank", f"count_if(trim({name}) = '')"), ("len_mean", f"avg(length({name}))"),
                       ("len_q", f"percentile_approx(length({name}), {quantiles}, {_ACCURACY})"),
                       ("probe_base", f"count({present})"),
                       ("numeric_ok", f"count({_parse(present, Kind.FLOAT)})"),
                       ("temporal_ok", f"count({_parse(present, Kind.TIMESTAMP)})")]
    return aggregates


def _normalised(column: ColumnPlan) -> str:
    """As `duckdb_engine._normalised`."""
    name = _q(column.name)
    if column.kind is Kind.STRING:
        return f"lower(replace({name}, ' ', ''))"
    if column.kind.numeric:
        return f"round(CAST({name} AS DOUBLE), 6)"
    return name


__all__ = ["SparkEngine", "SparkTable", "spark_session"]
