"""Readers for the sources no engine reads natively: Excel workbooks (calamine), SQLite (the standard library),
PostgreSQL (ADBC, Arrow all the way), Delta tables (deltalake) and document folders (pypdf, python-docx,
BeautifulSoup). Each returns Arrow data for an engine to scan; CSV, Parquet and JSON Lines are read by the engines.

Text-typed readers (Excel, SQLite) return every value as text with the kind each column was declared or found to
have, so values that don't parse as that kind are counted (the `types` facet), as for CSV.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiwell.data.model import Document, Kind
from aiwell.errors import InputError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa

_SQLITE_BATCH = 50_000
_MAJORITY = 0.9
"""A workbook column takes the kind of at least this share of its cells; the other cells are parse failures."""


# --- Excel -------------------------------------------------------------------------------------------------------

def excel_sheets(path: Path) -> list[str]:
    """Sheets of a workbook that hold at least one cell."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        return [name for name in workbook.sheet_names
                if any(any(c not in ("", None) for c in row) for row in workbook.get_sheet_by_name(name).to_python())]
    except Exception as exc:  # calamine raises its own error types for every kind of broken workbook
        raise UsageError(f"{path}: not a readable workbook ({exc})") from exc


def _cell_kind(value: Any) -> Kind:
    if isinstance(value, bool):
        return Kind.BOOLEAN
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return Kind.INTEGER
    if isinstance(value, float):
        return Kind.FLOAT
    if isinstance(value, datetime):
        return Kind.TIMESTAMP
    if isinstance(value, date):
        return Kind.DATE
    return Kind.STRING


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _column_kind(kinds: Counter[Kind]) -> Kind:
    total = sum(kinds.values())
    if not total:
        return Kind.STRING
    if kinds[Kind.INTEGER] + kinds[Kind.FLOAT] >= _MAJORITY * total and kinds[Kind.FLOAT]:
        return Kind.FLOAT
    kind, count = kinds.most_common(1)[0]
    return kind if count >= _MAJORITY * total else Kind.STRING


def _unique_names(header: list[Any]) -> list[str]:
    names: list[str] = []
    for index, cell in enumerate(header):
        name = _cell_text(cell) or f"column_{index + 1}"
        while name in names:
            name += "_"
        names.append(name)
    return names


def read_excel(path: Path, sheet: str) -> tuple[pa.Table, dict[str, Kind]]:
    """A sheet (first row: the header) as text columns, with the kind most of each column's cells have."""
    import pyarrow as pa
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=True)
    except Exception as exc:  # calamine's errors have no common base class
        raise InputError(f"cannot read sheet {sheet!r}: {exc}") from exc
    if not rows:
        raise InputError(f"sheet {sheet!r} is empty")
    names = _unique_names(list(rows[0]))
    body = rows[1:]
    columns: dict[str, list[str | None]] = {}
    kinds: dict[str, Kind] = {}
    for index, name in enumerate(names):
        cells = [row[index] if index < len(row) else None for row in body]
        kinds[name] = _column_kind(Counter(_cell_kind(c) for c in cells if c not in (None, "")))
        columns[name] = [_cell_text(c) for c in cells]
    return pa.table({n: pa.array(v, type=pa.string()) for n, v in columns.items()}), kinds


# --- SQLite ------------------------------------------------------------------------------------------------------

def _sqlite_kind(declared: str) -> Kind:
    """SQLite's type-affinity rules (https://sqlite.org/datatype3.html §3.1), with the names people use for
    booleans, dates and timestamps."""
    upper = declared.upper()
    if "INT" in upper:
        return Kind.INTEGER
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")) or not upper or "BLOB" in upper:
        return Kind.STRING
    if "BOOL" in upper:
        return Kind.BOOLEAN
    if "TIMESTAMP" in upper or "DATETIME" in upper:
        return Kind.TIMESTAMP
    if "DATE" in upper:
        return Kind.DATE
    return Kind.FLOAT


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_sqlite(path: Path, table: str) -> tuple[pa.Table, dict[str, Kind]]:
    """A SQLite table as text columns, with the kind each column's declared type gives it."""
    import pyarrow as pa

    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            info = db.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
            names = [row[1] for row in info]
            kinds = {row[1]: _sqlite_kind(row[2] or "") for row in info}
            select = ", ".join(f"CAST({_quote(n)} AS TEXT)" for n in names)
            cursor = db.execute(f"SELECT {select} FROM {_quote(table)}")
            batches = []
            while chunk := cursor.fetchmany(_SQLITE_BATCH):
                batches.append(pa.table({n: pa.array([r[i] for r in chunk], type=pa.string())
                                         for i, n in enumerate(names)}))
    except sqlite3.DatabaseError as exc:
        raise InputError(f"cannot read table {table!r}: {exc}") from exc
    if not batches:
        return pa.table({n: pa.array([], type=pa.string()) for n in names}), kinds
    return pa.concat_tables(batches), kinds


# --- PostgreSQL --------------------------------------------------------------------------------------------------

_PG_AS_FLOAT = {"numeric", "decimal", "money", "real", "double precision"}
_PG_NATIVE = {"smallint", "integer", "bigint", "boolean", "text", "character varying", "character", "date",
              "timestamp without time zone", "timestamp with time zone", "bytea", "double precision", "real"}


def _pg_connect(connection: str) -> Any:
    try:
        import adbc_driver_postgresql.dbapi as pg
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise UsageError("reading PostgreSQL needs adbc-driver-postgresql",
                         hint="pip install adbc-driver-postgresql") from exc
    try:
        return pg.connect(connection)
    except Exception as exc:  # the driver's errors carry libpq's message
        raise UsageError(f"cannot connect to {_masked(connection)}: {str(exc).strip().splitlines()[0]}") from exc


def _masked(connection: str) -> str:
    from aiwell.data.sources import mask_connection

    return mask_connection(connection)


def postgres_tables(connection: str) -> list[str]:
    """`schema.table` of every table and view outside the system schemas."""
    with _pg_connect(connection) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT table_schema, table_name FROM information_schema.tables "
                       "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                       "ORDER BY table_schema, table_name")
        return [f"{schema}.{name}" for schema, name in cursor.fetchall()]


def _pg_table_name(table: str) -> tuple[str, str]:
    schema, dot, name = table.partition(".")
    return (schema, name) if dot else ("public", schema)


def read_postgres(connection: str, table: str) -> pa.Table:
    """A PostgreSQL table as Arrow, numbers as float8 and types Arrow has no match for (json, uuid, arrays, ...) as
    text, so every column can be profiled."""
    schema, name = _pg_table_name(table)
    with _pg_connect(connection) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position", (schema, name))
        columns = cursor.fetchall()
        if not columns:
            raise InputError(f"no table {table!r} (or no columns the user may read)")
        select = []
        for column, data_type in columns:
            if data_type in _PG_AS_FLOAT:
                select.append(f"{_quote(column)}::float8 AS {_quote(column)}")
            elif data_type in _PG_NATIVE:
                select.append(_quote(column))
            else:
                select.append(f"{_quote(column)}::text AS {_quote(column)}")
        try:
            cursor.execute(f"SELECT {', '.join(select)} FROM {_quote(schema)}.{_quote(name)}")
            return cursor.fetch_arrow_table()
        except Exception as exc:  # the driver's errors carry the server's message
            raise InputError(f"cannot read {table}: {str(exc).strip().splitlines()[0]}") from exc


# --- Delta -------------------------------------------------------------------------------------------------------

def read_delta(folder: Path) -> Any:
    """The current version of a Delta table as an Arrow dataset (scanned lazily)."""
    try:
        from deltalake import DeltaTable
    except ImportError as exc:
        raise InputError("reading Delta tables needs the deltalake library",
                         hint="pip install 'aiwell[delta]'") from exc
    try:
        return DeltaTable(str(folder)).to_pyarrow_dataset()
    except Exception as exc:  # deltalake raises its own error types (TableNotFoundError, DeltaProtocolError, ...)
        raise InputError(f"cannot read the Delta table: {exc}") from exc


# --- documents ---------------------------------------------------------------------------------------------------

_TEXTLESS_PAGE = 20
"""A PDF page with fewer non-space characters than this has no text layer worth the name (a scan, an image)."""


def _read_pdf(path: Path, document: Document) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            document.error = "the PDF is encrypted"
            return ""
        texts = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        document.error = f"not a readable PDF ({exc})"
        return ""
    document.pages = len(texts)
    document.pages_without_text = sum(1 for t in texts if len("".join(t.split())) < _TEXTLESS_PAGE)
    return "\n".join(texts)


def _read_docx(path: Path, document: Document) -> str:
    import zipfile

    import docx

    try:
        parsed = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        document.error = f"not a readable DOCX file ({exc})"
        return ""
    parts = [p.text for p in parsed.paragraphs]
    for table in parsed.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def _read_html(raw: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return "\n".join(line.strip() for line in soup.get_text("\n").splitlines() if line.strip())


def read_document(path: Path, kind: str) -> Document:
    """One document read to text; a file that can't be read keeps its error and empty text."""
    document = Document(path=str(path), kind=kind, chars=0)
    if kind == "pdf":
        text = _read_pdf(path, document)
    elif kind == "docx":
        text = _read_docx(path, document)
    else:
        try:
            raw = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            document.error = f"cannot read: {exc.strerror}"
            raw = ""
        text = _read_html(raw) if kind == "html" else raw
    document.replacement_chars = text.count("\ufffd")
    document.text = text
    document.chars = len(text)
    return document


def read_documents(files: list[Path]) -> Iterator[Document]:
    """Every document of a folder, in path order."""
    from aiwell.data.sources import DOCUMENT_SUFFIXES

    for path in files:
        yield read_document(path, DOCUMENT_SUFFIXES[path.suffix.lower()])


def documents_table(documents: list[Document]) -> pa.Table:
    """The documents as a table the engines profile like any other: one row per readable document."""
    import pyarrow as pa

    readable = [d for d in documents if d.error is None]
    modified = [datetime.fromtimestamp(Path(d.path).stat().st_mtime, tz=UTC).replace(tzinfo=None)
                for d in readable]
    return pa.table({
        "path": pa.array([d.path for d in readable], type=pa.string()),
        "kind": pa.array([d.kind for d in readable], type=pa.string()),
        "chars": pa.array([d.chars for d in readable], type=pa.int64()),
        "words": pa.array([len(d.text.split()) for d in readable], type=pa.int64()),
        "pages": pa.array([d.pages for d in readable], type=pa.int64()),
        "modified": pa.array(modified, type=pa.timestamp("us")),
        "text": pa.array([d.text for d in readable], type=pa.string()),
    })


__all__ = ["documents_table", "excel_sheets", "postgres_tables", "read_delta", "read_document", "read_documents",
           "read_excel", "read_postgres", "read_sqlite"]
