"""The DuckDB scan's shortcuts give what a plain scan of every row gives: text statistics of categorical columns
taken from their value counts, the near-duplicate key that takes categorical text as it is, the quantile sketches
fed a subsample of a large table, the duplicate counts of a columnar table proved by a unique column instead of
hashed rows, and the thread count fitted to a Parquet file's row groups; and the engine's
default memory limit and spill folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aiwell.data import duckdb_engine, plan
from aiwell.data.duckdb_engine import MEMORY_CAP, DuckDBEngine, default_memory_limit
from aiwell.data.engine import ScanOptions
from aiwell.data.model import Kind, TableProfile
from aiwell.data.sources import resolve
from aiwell.errors import UsageError


def _profile(path: Path, engine: DuckDBEngine | None = None) -> TableProfile:
    engine = engine or DuckDBEngine()
    try:
        profile, _ = engine.profile(resolve(str(path))[0], ScanOptions())
    finally:
        engine.close()
    return profile


def test_categorical_text_statistics_are_those_of_its_rows(tmp_path: Path) -> None:
    values = ["yes", "no", " ", "", "12", "-3.5", "2024-01-31", "  7", "naïve", "inf"] * 30 + ["no"] * 200
    path = tmp_path / "codes.parquet"
    pq.write_table(pa.table({"code": values}), path)
    column = _profile(path).columns[0]
    assert column.categories is not None  # counted per value, so the shortcut applies
    assert column.blank == values.count(" ") + values.count("")
    assert column.mean_length == pytest.approx(np.mean([len(v) for v in values]))
    assert column.length_quantiles is not None
    assert column.length_quantiles[50] == np.quantile([len(v) for v in values], 0.5, method="inverted_cdf")
    assert column.length_quantiles[0] == 0 and column.length_quantiles[100] == 10
    non_blank = len(values) - column.blank
    numbers = sum(values.count(v) for v in ("12", "-3.5", "  7", "inf"))
    assert column.numeric_share == pytest.approx(numbers / non_blank)
    assert column.temporal_share == pytest.approx(values.count("2024-01-31") / non_blank)


def test_free_text_probes_parse_every_value_that_could_be_blank_or_parse(tmp_path: Path) -> None:
    """The first-character gates of the text probes skip only values that can be neither blank nor a number nor a
    timestamp: the counts equal those of trimming and parsing every value (for timestamps, every value that does
    not start with a letter: DuckDB would read `infinity` and `epoch` as timestamps, the probes, as Spark's, don't)."""
    tricky = ["inf", "Infinity", "NaN ", "nan", "-inf", "index 3", "n/a", "never", "Inf4", " 12", "12", "+5", "-",
              ".5", "1e3", "é12", "ü", "", "   ", "\t7", "2024-01-31", " 2024-01-31 ", "2024-01-31T10:00", "I", "N1",
              "~9", "12O", "9 ", None]
    values = [f"note {i}" for i in range(300)] + tricky * 5
    path = tmp_path / "notes.parquet"
    pq.write_table(pa.table({"note": pa.array(values, pa.string())}), path)
    column = _profile(path).columns[0]
    assert column.categories is None  # free text: probed row by row
    present = "nullif(trim(v), '')"
    con = duckdb.connect()
    try:
        blank, numbers, times = con.execute(
            f"SELECT count_if(trim(v) = ''), count_if({duckdb_engine.parse(present, Kind.FLOAT)} IS NOT NULL), "
            f"count_if({duckdb_engine.parse(present, Kind.TIMESTAMP)} IS NOT NULL "
            "AND NOT regexp_matches(v, '^[A-Za-z]')) FROM "
            "(SELECT unnest(?::VARCHAR[]) AS v)", [values]).fetchall()[0]
    finally:
        con.close()
    assert (blank, numbers, times) != (0, 0, 0)
    assert column.blank == blank
    non_blank = len([v for v in values if v is not None]) - blank
    assert column.numeric_share == pytest.approx(numbers / non_blank)
    assert column.temporal_share == pytest.approx(times / non_blank)


def test_near_duplicates_in_categorical_text_that_differs_in_case_or_spaces(tmp_path: Path) -> None:
    """`Yes` and `yes ` are one category once normalised: the key that takes categories as they are would miss the
    near duplicate, so the count is taken again on the normalised key."""
    path = tmp_path / "answers.parquet"
    pq.write_table(pa.table({"id": [1, 1, 1, 2, 3], "answer": ["Yes", "yes ", "Yes", "no", "no"]}), path)
    profile = _profile(path)
    assert profile.exact_duplicates == 1
    assert profile.near_duplicates == 1


def test_no_near_duplicates_when_categories_stay_apart(tmp_path: Path) -> None:
    path = tmp_path / "answers.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3, 3], "answer": ["Yes", "No", "Maybe", "Maybe"]}), path)
    profile = _profile(path)
    assert (profile.exact_duplicates, profile.near_duplicates) == (1, 0)


def _duplicates(path: Path, monkeypatch: pytest.MonkeyPatch, *,
                shortcut: bool) -> tuple[int | None, int | None, str]:
    """Exact and near duplicates, and how they were counted (by a unique `key` column, or by row `hashes`)."""
    keys: list[str] = []
    unique_key = DuckDBEngine._unique_key

    def spy(self: DuckDBEngine, *args: object) -> bool:
        found = unique_key(self, *args)  # type: ignore[arg-type]
        keys.append("key" if found else "hashes")
        return found

    monkeypatch.setattr(DuckDBEngine, "_unique_key", spy)
    if not shortcut:
        monkeypatch.setattr(duckdb_engine, "_KEY_SHARE", 2.0)  # no column is ever a candidate
    profile = _profile(path)
    monkeypatch.undo()
    assert len(keys) == 1
    return profile.exact_duplicates, profile.near_duplicates, keys[0]


def test_a_unique_column_proves_there_are_no_duplicates_without_hashing_rows(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows that repeat every value but their id are not duplicates: the id alone shows it, and both counts are
    those of the hashed rows."""
    rng = np.random.default_rng(5)
    rows = 3000
    path = tmp_path / "keyed.parquet"
    pq.write_table(pa.table({"id": np.arange(rows), "note": ["Same text"] * rows,
                             "score": rng.integers(0, 3, rows)}), path)
    assert _duplicates(path, monkeypatch, shortcut=True) == (0, 0, "key")
    assert _duplicates(path, monkeypatch, shortcut=False) == (0, 0, "hashes")


@pytest.mark.parametrize("step", [1, 3, 1000])
@pytest.mark.parametrize("repeat", [False, True])
def test_an_integer_key_is_counted_exactly_in_a_bitmap_or_a_hash_table(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch, step: int,
                                                                     repeat: bool) -> None:
    """Integer ids spanning few values per row (1 and 3 apart) are counted in a bitmap of their span, sparse ones
    (1000 apart) in a hash table: either way a repeated id is found, negative ids included."""
    rows = 3000
    ids = np.arange(rows, dtype=np.int64) * step - 5000
    other = np.arange(rows) % 7
    if repeat:
        ids[-1], other[-1] = ids[0], other[0]
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": ids, "group": other}), path)
    assert _duplicates(path, monkeypatch, shortcut=True) == ((1, 0, "hashes") if repeat else (0, 0, "key"))


@pytest.mark.parametrize("kind", ["integer", "text", "float"])
def test_a_nearly_unique_column_falls_back_to_the_row_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             kind: str) -> None:
    """A column that looks like a key but repeats a value (an exact duplicate row; for text, a near one that
    differs only in case; for floats, two values equal once rounded to 6 decimals) is no proof: the row hashes
    are counted, and give the same counts as without the shortcut."""
    rows = 3000
    ids = np.arange(rows, dtype=np.int64)
    other = np.arange(rows) % 7
    if kind == "integer":
        ids[-1] = ids[0]
        other[-1] = other[0]
        key: pa.Array = pa.array(ids)
        expected = (1, 0)
    elif kind == "text":
        texts = [f"Item {i}" for i in ids]
        texts[-1] = texts[0].upper()
        other[-1] = other[0]
        key = pa.array(texts)
        expected = (0, 1)
    else:
        floats = ids / 7.0
        floats[-1] = floats[0] + 1e-9
        other[-1] = other[0]
        key = pa.array(floats)
        expected = (0, 1)
    path = tmp_path / f"{kind}.parquet"
    pq.write_table(pa.table({"key": key, "group": other}), path)
    assert _duplicates(path, monkeypatch, shortcut=True) == (*expected, "hashes")
    assert _duplicates(path, monkeypatch, shortcut=False) == (*expected, "hashes")


def test_a_key_with_missing_values_is_not_taken_for_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows missing the key and equal otherwise are duplicates, though every present key is unique."""
    rows = 3000
    ids: list[int | None] = list(range(rows))
    ids[0] = ids[1] = None
    path = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "flag": [True] * rows}), path)
    assert _duplicates(path, monkeypatch, shortcut=True)[:2] == (1, 0)


def test_quantiles_of_a_large_table_come_from_a_subsample_within_their_bound(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "QUANTILE_ROWS", 20_000)
    rng = np.random.default_rng(5)
    values = rng.lognormal(3, 1, 200_000)
    path = tmp_path / "amounts.parquet"
    pq.write_table(pa.table({"amount": values, "id": np.arange(values.size)}), path)
    engine = DuckDBEngine()
    try:
        prepared = engine.prepare(resolve(str(path))[0], ScanOptions())
        assert prepared.plan is not None and prepared.plan.quantile_threshold == 100_000  # 1 row in 10
    finally:
        engine.close()
    column = _profile(path).columns[0]
    assert column.quantiles is not None
    ranks = [float(np.mean(values <= q)) for q in column.quantiles[1:100]]
    assert max(abs(r - p / 100) for r, p in zip(ranks, range(1, 100), strict=True)) < 0.01
    assert (column.minimum, column.maximum) == (values.min(), values.max())  # exact, from every row


def test_a_file_of_one_row_group_is_scanned_with_one_thread_and_the_setting_restored(tmp_path: Path) -> None:
    path = tmp_path / "one_group.parquet"
    pq.write_table(pa.table({"x": np.arange(1000)}), path)
    engine = DuckDBEngine()
    threads_seen: list[int] = []
    scan = engine._scan

    def spy(view: str, planned: plan.ScanPlan, *, columnar: bool) -> dict[str, object]:
        threads_seen.append(int(engine._con.execute("SELECT current_setting('threads')").fetchall()[0][0]))
        return scan(view, planned, columnar=columnar)

    engine._scan = spy  # type: ignore[method-assign]
    before = int(engine._con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    if before == 1:
        engine.close()
        pytest.skip("DuckDB runs one thread on this machine: nothing to fit")
    try:
        engine.profile(resolve(str(path))[0], ScanOptions())
        after = int(engine._con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    finally:
        engine.close()
    assert threads_seen == [1]
    assert after == before


def _setting(engine: DuckDBEngine, name: str) -> str:
    return str(engine._con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0])


def test_the_default_memory_limit_is_applied_and_spills_under_the_temporary_directory() -> None:
    engine = DuckDBEngine()
    try:
        limit = _setting(engine, "memory_limit")
        spill = Path(_setting(engine, "temp_directory"))
        assert spill.is_dir() and spill.is_relative_to(tempfile.gettempdir())
    finally:
        engine.close()
    mebibytes = int(default_memory_limit().removesuffix("MiB"))
    assert limit == f"{mebibytes / 1024:.1f} GiB" if mebibytes >= 1024 else f"{mebibytes:.1f} MiB"
    assert mebibytes <= MEMORY_CAP >> 20
    assert not spill.exists()  # removed on close


@pytest.mark.parametrize(("available", "expected"), [
    (None, "1024MiB"), (64 << 30, "1024MiB"), (1 << 30, "512MiB"), (100 << 20, "256MiB")])
def test_the_default_memory_limit_is_half_the_available_memory_capped(
        monkeypatch: pytest.MonkeyPatch, available: int | None, expected: str) -> None:
    monkeypatch.setattr(duckdb_engine, "available_memory", lambda: available)
    assert default_memory_limit() == expected


def test_memory_limit_overrides_the_default() -> None:
    engine = DuckDBEngine(memory_limit="3GiB")
    try:
        assert _setting(engine, "memory_limit") == "3.0 GiB"
    finally:
        engine.close()


def test_a_memory_limit_that_is_not_a_size_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--memory-limit lots"):
        DuckDBEngine(memory_limit="lots")


def test_an_empty_categorical_column_of_a_columnar_table_has_no_distinct_value(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"id": list(range(100)), "code": pa.array([None] * 100, pa.string()),
                             "flag": pa.array([None] * 100, pa.bool_())}), path)
    profile = _profile(path)
    assert [(c.name, c.distinct) for c in profile.columns[1:]] == [("code", 0), ("flag", 0)]
    assert (profile.exact_duplicates, profile.near_duplicates) == (0, 0)
