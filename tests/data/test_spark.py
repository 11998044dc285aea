"""`--engine spark` gives the findings DuckDB gives on the same files, within the stated approximation bounds
(spark_engine's docstring): same checks, statuses and severities; exact counts equal; approximate values close."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from aiwell.data import ProfileOptions, profile_paths
from aiwell.data.spark_engine import SparkEngine
from data.datagen import AS_OF, clean_table, planted_table, write_csv, write_parquet

_DISTINCT_TOLERANCE = 0.1
"""Both engines' distinct counts are HyperLogLog sketches: DuckDB's is within about 6% of the truth (docs/data.md
§5), Spark's has a relative standard error of 1.6%."""
_RANK_TOLERANCE = 0.01
"""Quantiles, in rank: DuckDB's t-digest and Spark's Greenwald–Khanna (rank error ≤ 1e-4) both land within 1% of
the rank asked for, give or take `_VALUE_TOLERANCE` of the range (t-digest interpolates between values: 36.95
for a column of whole years)."""
_VALUE_TOLERANCE = 0.005


def _key(finding: dict[str, Any]) -> tuple[Any, ...]:
    return (finding["facet"], finding["check"], finding["dataset"], finding["column"], finding["status"],
            finding["severity"])


def _both(spark: Any, paths: list[Path], **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    chosen = ProfileOptions(as_of=AS_OF, **options)
    duck = profile_paths([str(p) for p in paths], chosen).document
    engine = SparkEngine(spark)
    sparked = profile_paths([str(p) for p in paths], chosen, engine=engine).document
    engine.close()
    return duck, sparked


def _assert_same_findings(duck: dict[str, Any], sparked: dict[str, Any]) -> None:
    assert sorted(map(_key, sparked["findings"])) == sorted(map(_key, duck["findings"]))
    by_key = {_key(f): f for f in duck["findings"]}
    for finding in sparked["findings"]:
        expected = by_key[_key(finding)]
        if expected["value"] is None:
            assert finding["value"] is None, finding
        elif expected["approximate"]:
            assert finding["value"] == pytest.approx(expected["value"], rel=0.1, abs=0.02), finding
        else:
            assert finding["value"] == pytest.approx(expected["value"]), finding


def _true_values(table: pa.Table, name: str) -> np.ndarray:
    """The values of a column as the engines parse them: numbers (from text too) or epoch seconds."""
    values = []
    for value in table.column(name).to_pylist():
        if isinstance(value, datetime):
            values.append(value.replace(tzinfo=UTC).timestamp())
        elif isinstance(value, int | float):
            values.append(float(value))
        elif isinstance(value, str):
            try:
                values.append(float(value))
            except ValueError:
                continue
    array = np.array(values)
    return np.sort(array[np.isfinite(array)])


def _assert_same_columns(duck: dict[str, Any], sparked: dict[str, Any], tables: list[pa.Table]) -> None:
    """Exact statistics equal; distinct counts close; each engine's quantiles within `_RANK_TOLERANCE` in rank of
    the true quantile (a value comparison would fail at a jump, such as the edge of a 1% block of outliers)."""
    for ours, theirs, table in zip(duck["datasets"], sparked["datasets"], tables, strict=True):
        assert theirs["engine"] == "spark" and ours["engine"] == "duckdb"
        for key in ("rows", "exact_duplicates", "near_duplicates"):
            assert theirs[key] == ours[key], key
        for a, b in zip(ours["columns"], theirs["columns"], strict=True):
            where = f"{ours['path']} {a['name']}"
            for key in ("name", "type", "nulls", "parse_failures", "approximate", "min", "max"):
                assert b[key] == a[key], (where, key)
            assert {p["entity"] for p in b["pii"]} == {p["entity"] for p in a["pii"]}, where
            if a["approximate"]:
                assert b["distinct"] == pytest.approx(a["distinct"], rel=_DISTINCT_TOLERANCE), where
            else:
                assert b["distinct"] == a["distinct"], where
            if a["mean"] is not None:
                assert b["mean"] == pytest.approx(a["mean"], rel=1e-9), where
            if a["quantiles"] is None:
                continue
            truth = _true_values(table, a["name"])
            for point in a["quantiles"]:
                share = int(point[1:]) / 100
                low = truth[max(0, math.floor((share - _RANK_TOLERANCE) * (truth.size - 1)))]
                high = truth[min(truth.size - 1, math.ceil((share + _RANK_TOLERANCE) * (truth.size - 1)))]
                slack = _VALUE_TOLERANCE * (truth[-1] - truth[0])
                for engine, value in (("duckdb", a["quantiles"][point]), ("spark", b["quantiles"][point])):
                    assert low - slack <= value <= high + slack, (where, point, engine, value, low, high)


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, pa.Table]]:
    """A planted training CSV, a test split that shares 100 rows with it and overlaps its period, and a drifted
    reference."""
    root = tmp_path_factory.mktemp("spark")
    planted = planted_table()
    later = clean_table(1000, seed=2, start=AS_OF - timedelta(days=20), days=19)
    test = pa.concat_tables([later, planted.select(later.column_names).slice(500, 100).cast(later.schema)])
    reference = clean_table(5000, seed=3, score_shift=1.0)
    return {"train": (write_csv(planted, root / "train.csv"), planted),
            "test": (write_parquet(test, root / "test.parquet"), test),
            "reference": (write_parquet(reference, root / "reference.parquet"), reference)}


def test_spark_finds_what_duckdb_finds_on_planted_data(spark: Any, split: dict[str, tuple[Path, pa.Table]]) -> None:
    (train, train_table), (test, test_table) = split["train"], split["test"]
    reference, reference_table = split["reference"]
    duck, sparked = _both(spark, [train], label="churned", time="signed_up", test=str(test),
                          reference=str(reference), freshness=timedelta(days=7), sample_rows=1000)
    # A sample smaller than the data: personal data found in it is confirmed on the full column (`matches`).
    assert duck["datasets"][0]["sample_rows"] < duck["datasets"][0]["rows"]
    failed = {(f["facet"], f["check"]) for f in duck["findings"] if f["status"] == "fail"}
    # The comparison means something only if the planted problems are there to agree on.
    assert {("types", "parse-failures"), ("sensitivity", "personal-data"), ("preparation", "duplicates"),
            ("preparation", "outliers"), ("balance", "class-balance"), ("leakage", "label-proxy"),
            ("leakage", "shared-rows"), ("leakage", "time-leakage"), ("drift", "column-drift")} <= failed
    _assert_same_findings(duck, sparked)
    _assert_same_columns(duck, sparked, [train_table, reference_table, test_table])


def test_spark_reads_arrow_sources_and_parquet_like_duckdb(spark: Any, tmp_path: Path) -> None:
    table = clean_table(800, seed=31)
    parquet = write_parquet(table, tmp_path / "customers.parquet")
    with sqlite3.connect(tmp_path / "shop.db") as db:
        db.execute("CREATE TABLE customers (customer_id INTEGER, age INTEGER, credit_score REAL, "
                   "tenure_months REAL, segment TEXT, region TEXT, signed_up TIMESTAMP, comment TEXT, churned TEXT)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(*list(r.values())[:6], r["signed_up"].isoformat(sep=" "), r["comment"], r["churned"])
                        for r in table.to_pylist()])
    duck, sparked = _both(spark, [parquet, tmp_path / "shop.db"], label="churned")
    assert [d["rows"] for d in duck["datasets"]] == [800, 800]
    _assert_same_findings(duck, sparked)
    _assert_same_columns(duck, sparked, [table, table])
