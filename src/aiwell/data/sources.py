"""What a PATH given to `aiwell data profile` is: files, folders and connection strings resolved to datasets.

    PATH                                   datasets
    data.csv / .tsv / .csv.gz              one CSV dataset
    data.parquet, a folder of Parquet      one Parquet dataset (hive partitions `key=value/` become columns)
    events.jsonl / .ndjson / .json         one JSON Lines dataset
    book.xlsx (.xlsm, .xls, .ods)          one dataset per sheet that has data: `book.xlsx#Sheet1`
    app.db / .sqlite / .sqlite3            one dataset per table: `app.db#users`
    sqlite:///app.db?table=users           that table (every table without `table=`)
    postgresql://user@host/db?table=s.t    that table (every table outside the system schemas without `table=`)
    a folder with `_delta_log/`            one Delta table
    a folder of PDF, Markdown, HTML,       one documents dataset (grounding data for RAG)
      DOCX and text files
    a folder of CSV or JSON Lines files    one dataset of that format (files combined by column name)

A folder holding several kinds gives one dataset per kind. Files of no kind aiwell reads are listed as unread
with the reason, so the report shows they were not checked.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from msgspec import Struct, field

from aiwell.errors import UsageError

TABLE_SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".csv.gz": "csv", ".tsv.gz": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".jsonl.gz": "jsonl", ".ndjson.gz": "jsonl",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".xlsb": "excel", ".ods": "excel",
    ".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite",
}
DOCUMENT_SUFFIXES = {".pdf": "pdf", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                     ".docx": "docx", ".txt": "text", ".rst": "text"}
_FOLDER_FORMATS = ("parquet", "csv", "jsonl")
_CONNECTION = re.compile(r"^(sqlite|postgres|postgresql)://", re.IGNORECASE)


class Source(Struct):
    """One dataset to scan."""

    label: str
    """How the dataset is named in reports: the path as given, a table after `#`, a connection string without
    its password."""
    format: str
    """csv, parquet, jsonl, excel, sqlite, postgresql, delta, documents, or `unreadable` (nothing could be read)."""
    files: list[Path] = field(default_factory=list)
    root: Path | None = None
    """The folder a multi-file dataset was found in (hive partitions are read relative to it)."""
    table: str | None = None
    """A database table or an Excel sheet."""
    connection: str | None = None
    unread: list[tuple[str, str]] = field(default_factory=list)

    @property
    def bytes(self) -> int | None:
        """Size on disk of the dataset's files; None for a database table."""
        if not self.files:
            return None
        return sum(f.stat().st_size for f in self.files if f.exists())

    @property
    def text_source(self) -> bool:
        """Formats whose values arrive as text and are parsed to the column's inferred type."""
        return self.format in ("csv", "jsonl", "excel", "sqlite")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for double in (".csv.gz", ".tsv.gz", ".jsonl.gz", ".ndjson.gz"):
        if name.endswith(double):
            return double
    return path.suffix.lower()


def mask_connection(connection: str) -> str:
    """A connection string with its password (and any password parameter) replaced by `***`."""
    parts = urlsplit(connection)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = parse_qs(parts.query, keep_blank_values=True)
    for key in list(query):
        if key.lower() in ("password", "pwd", "sslpassword"):
            query[key] = ["***"]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, doseq=True, safe="/"), parts.fragment))


def _split_table(connection: str) -> tuple[str, str | None]:
    """Take `table=` out of a connection string's query (and a `#table` fragment); the rest goes to the driver."""
    parts = urlsplit(connection)
    query = parse_qs(parts.query, keep_blank_values=True)
    table = query.pop("table", [None])[0] or (parts.fragment or None)
    rest = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True, safe="/"), ""))
    return rest, table


def sqlite_tables(path: Path) -> list[str]:
    """User tables and views of a SQLite file, in name order."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                              "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{path}: not a readable SQLite database ({exc})") from exc
    return [r[0] for r in rows]


def _sqlite_sources(path: Path, label: str, table: str | None) -> list[Source]:
    if not path.is_file():
        raise UsageError(f"no such SQLite database: {path}")
    tables = sqlite_tables(path)
    if table is not None:
        if table not in tables:
            raise UsageError(f"{label}: no table {table!r}", hint="tables: " + (", ".join(tables) or "none"))
        tables = [table]
    if not tables:
        return [Source(label, "unreadable", files=[path], unread=[(str(path), "the database has no tables")])]
    return [Source(f"{label}#{t}" if table is None else label, "sqlite", files=[path], table=t) for t in tables]


def _with_table(connection: str, table: str) -> str:
    parts = urlsplit(connection)
    query = parse_qs(parts.query, keep_blank_values=True)
    query["table"] = [table]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True, safe="/"), ""))


def _postgres_sources(connection: str, table: str | None) -> list[Source]:
    if table is not None:
        return [Source(mask_connection(_with_table(connection, table)), "postgresql", connection=connection,
                       table=table)]
    from aiwell.data.readers import postgres_tables

    return [Source(mask_connection(_with_table(connection, t)), "postgresql", connection=connection, table=t)
            for t in postgres_tables(connection)]


def _excel_sources(path: Path, label: str, sheet: str | None) -> list[Source]:
    from aiwell.data.readers import excel_sheets

    sheets = excel_sheets(path)
    if sheet is not None:
        if sheet not in sheets:
            raise UsageError(f"{label}: no sheet {sheet!r}", hint="sheets: " + (", ".join(sheets) or "none"))
        return [Source(label, "excel", files=[path], table=sheet)]
    if not sheets:
        return [Source(label, "unreadable", files=[path], unread=[(str(path), "the workbook has no sheet with data")])]
    if len(sheets) == 1:
        return [Source(label, "excel", files=[path], table=sheets[0])]
    return [Source(f"{label}#{s}", "excel", files=[path], table=s) for s in sheets]


def _folder_sources(folder: Path, label: str) -> list[Source]:
    if (folder / "_delta_log").is_dir():
        return [Source(label, "delta", files=sorted(p for p in folder.rglob("*.parquet") if p.is_file()),
                       root=folder)]
    by_format: dict[str, list[Path]] = {}
    unread: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        # Hidden and underscore entries are engine bookkeeping (_SUCCESS, .crc, _committed_*), not data.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if name.startswith((".", "_")):
                continue
            path = Path(dirpath) / name
            suffix = _suffix(path)
            if suffix in DOCUMENT_SUFFIXES:
                by_format.setdefault("documents", []).append(path)
            elif TABLE_SUFFIXES.get(suffix) in _FOLDER_FORMATS:
                by_format.setdefault(TABLE_SUFFIXES[suffix], []).append(path)
            else:
                kind = f"files of type {suffix}" if suffix else "files without an extension"
                unread.append((str(path), f"{kind} are not read in a folder (read a workbook or database by "
                                          "naming it)" if suffix in TABLE_SUFFIXES else f"{kind} are not read"))
    if not by_format:
        reason = "no file aiwell reads in this folder" if unread else "the folder is empty"
        return [Source(label, "unreadable", root=folder, unread=unread or [(str(folder), reason)])]
    several = len(by_format) > 1
    sources = [Source(f"{label} ({fmt})" if several else label, fmt, files=files, root=folder)
               for fmt, files in by_format.items()]
    sources[0].unread = unread
    return sources


def resolve(argument: str) -> list[Source]:
    """The datasets one command-line PATH names. A path that does not exist is a usage error; a file of a kind
    aiwell can't read is a dataset of format `unreadable`, reported as a finding."""
    if _CONNECTION.match(argument):
        connection, table = _split_table(argument)
        if argument.lower().startswith("sqlite://"):
            # As SQLAlchemy spells them: sqlite:///relative.db, sqlite:////absolute/path.db.
            location = re.split(r"[?#]", argument, maxsplit=1)[0]
            return _sqlite_sources(Path(location[len("sqlite:///"):]), location, table)
        return _postgres_sources(connection, table)
    path_text, _, inner = argument.partition("#")
    path = Path(path_text)
    if not path.exists():
        raise UsageError(f"no such file or directory: {path_text}")
    if path.is_dir():
        return _folder_sources(path, argument)
    fmt = TABLE_SUFFIXES.get(_suffix(path))
    if fmt == "sqlite":
        return _sqlite_sources(path, path_text, inner or None)
    if fmt == "excel":
        return _excel_sources(path, path_text, inner or None)
    if fmt is not None:
        return [Source(argument, fmt, files=[path])]
    if _suffix(path) in DOCUMENT_SUFFIXES:
        return [Source(argument, "documents", files=[path], root=path.parent)]
    return [Source(argument, "unreadable", files=[path],
                   unread=[(str(path), f"files of type {_suffix(path) or '(none)'} are not read")])]


def resolve_one(argument: str, option: str) -> Source:
    """The single dataset an option such as `--reference` names."""
    sources = resolve(argument)
    if len(sources) != 1:
        raise UsageError(f"{option} {argument}: names {len(sources)} datasets, expected one",
                         hint="name one table (`file.db#table`, `?table=`) or one sheet (`book.xlsx#Sheet1`)")
    return sources[0]


__all__ = ["DOCUMENT_SUFFIXES", "TABLE_SUFFIXES", "Source", "mask_connection", "resolve", "resolve_one",
           "sqlite_tables"]
