"""What an engine does for `aiwell data`, and what the engines share.

An engine profiles a source in one aggregate scan of the table (after reading its head to plan it), then answers
the few questions the facets ask of the full data: the values of a column that match a pattern (to confirm
sensitive data found in the sample), the rows a test split shares with training data, and the rows after a
moment in time. `DuckDBEngine` is the default; `SparkEngine` runs the same plan through PySpark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from msgspec import Struct

from aiwell.data.model import Document, Kind, TableProfile
from aiwell.data.sources import Source

if TYPE_CHECKING:
    import pyarrow as pa


class ScanOptions(Struct, frozen=True):
    """What a scan needs to know beyond the source."""

    sample_rows: int = 10_000
    time_column: str | None = None
    categorical: tuple[str, ...] = ()
    """Columns always counted per value: the label and the segments."""


class Matches(Struct, frozen=True):
    """The values of a column that match a pattern, most frequent first."""

    values: list[tuple[str, int]]
    rows: int
    """Rows whose value matched, including those beyond `values`."""
    distinct: int


Handle = Any
"""An engine's hold on a profiled table, for the facets' follow-up questions (each engine has its own)."""


class Engine(Protocol):
    """The operations the profile and the facets need from an engine."""

    name: str

    def profile(self, source: Source, options: ScanOptions) -> tuple[TableProfile, Handle]:
        """Scan `source`; raises `aiwell.errors.InputError` when it can't be read."""

    def matches(self, handle: Handle, column: str, pattern: str, limit: int) -> Matches:
        """Values of `column` (as text) that contain a match of the regular expression `pattern`."""

    def shared_rows(self, train: Handle, test: Handle, columns: list[str]) -> int:
        """Rows of `test` whose values in `columns` equal those of some row of `train`."""

    def rows_after(self, handle: Handle, column: str, epoch_seconds: float) -> int:
        """Rows whose `column` (a date or timestamp) is later than `epoch_seconds`."""

    def close(self) -> None:
        """Release the engine's resources."""


class ArrowSource(Struct):
    """A source no engine reads natively, read to Arrow: the data, the kinds of its columns when they arrive as
    text, and the documents of a document folder."""

    data: Any
    """A pyarrow Table or Dataset."""
    kinds: dict[str, Kind] | None
    documents: list[Document] | None = None


def read_to_arrow(source: Source) -> ArrowSource:
    """Read an Excel sheet, a SQLite or PostgreSQL table, a Delta table or a document folder to Arrow."""
    from aiwell.data import readers

    if source.format == "excel":
        assert source.table is not None
        table, kinds = readers.read_excel(source.files[0], source.table)
        return ArrowSource(table, kinds)
    if source.format == "sqlite":
        assert source.table is not None
        table, kinds = readers.read_sqlite(source.files[0], source.table)
        return ArrowSource(table, kinds)
    if source.format == "postgresql":
        assert source.connection is not None and source.table is not None
        return ArrowSource(readers.read_postgres(source.connection, source.table), None)
    if source.format == "delta":
        assert source.root is not None
        return ArrowSource(readers.read_delta(source.root), None)
    if source.format == "documents":
        documents = list(readers.read_documents(source.files))
        return ArrowSource(readers.documents_table(documents), None, documents)
    raise ValueError(f"no Arrow reader for {source.format}")


def arrow_rows(data: pa.Table | Any) -> int:
    """Rows of an Arrow table or dataset."""
    return int(data.num_rows) if hasattr(data, "num_rows") else int(data.count_rows())


DOCUMENT_IDENTITY = ("text",)
"""Two documents are the same when their text is: the path and dates don't count."""


def make_engine(name: str, *, memory_limit: str | None = None) -> Engine:
    """The engine called `name` (duckdb or spark)."""
    if name == "spark":
        from aiwell.data.spark_engine import SparkEngine

        return SparkEngine()
    from aiwell.data.duckdb_engine import DuckDBEngine

    return DuckDBEngine(memory_limit=memory_limit)


__all__ = ["DOCUMENT_IDENTITY", "ArrowSource", "Engine", "Handle", "Matches", "ScanOptions", "arrow_rows",
           "make_engine", "read_to_arrow"]
