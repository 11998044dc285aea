"""Run history: each review's scores and findings in a SQLite file, for trends and for what changed between runs.

`aiwell review PATH... --history [FILE]` records the run (`.aiwell/history.db` at the root of the reviewed
repository when no file is named); `aiwell history` shows the scores per pillar and design area run by run and the
findings fixed and introduced between two runs; the HTML report draws the trend when a history is given.

Tables (schema version 1, in `meta`):

    runs      (id, recorded [ISO 8601 UTC], tool_version, rule_set, environment, inputs [JSON list of labels],
               overall, coverage, passed, failed, unknown, suppressed, baselined, not_analysed)
    scores    (run_id, kind ['pillar' | 'design_area'], name, score, coverage, passed, failed, unknown)
    findings  (run_id, fingerprint, rule_id, severity, status ['fail' | 'unknown'], suppressed, resource_id,
               resource_name, input, message)

A finding is a failure or an unknown; findings are matched between runs by fingerprint (`aiwell.baseline`), so
moving lines or reformatting files changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from aiwell.baseline import fingerprint, inventory_inputs
from aiwell.errors import ConfigError
from aiwell.model import Status, display_text
from aiwell.report import Report

DEFAULT_FILE = Path(".aiwell") / "history.db"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, recorded TEXT NOT NULL, tool_version TEXT NOT NULL,
    rule_set TEXT NOT NULL, environment TEXT, inputs TEXT NOT NULL, overall REAL, coverage REAL,
    passed INTEGER NOT NULL, failed INTEGER NOT NULL, unknown INTEGER NOT NULL, suppressed INTEGER NOT NULL,
    baselined INTEGER NOT NULL, not_analysed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS scores (
    run_id INTEGER NOT NULL REFERENCES runs(id), kind TEXT NOT NULL CHECK (kind IN ('pillar', 'design_area')),
    name TEXT NOT NULL, score REAL, coverage REAL, passed INTEGER NOT NULL, failed INTEGER NOT NULL,
    unknown INTEGER NOT NULL, PRIMARY KEY (run_id, kind, name));
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs(id), fingerprint TEXT NOT NULL, rule_id TEXT NOT NULL,
    severity TEXT NOT NULL, status TEXT NOT NULL, suppressed INTEGER NOT NULL, resource_id TEXT NOT NULL,
    resource_name TEXT NOT NULL, input TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (run_id, fingerprint));
"""


class Run(Struct, frozen=True):
    """One recorded review."""

    id: int
    recorded: str
    tool_version: str
    rule_set: str
    environment: str | None
    inputs: tuple[str, ...]
    overall: float | None
    coverage: float | None
    passed: int
    failed: int
    unknown: int
    suppressed: int
    baselined: int
    not_analysed: int
    pillars: dict[str, float | None] = field(default_factory=dict)
    design_areas: dict[str, float | None] = field(default_factory=dict)


class Finding(Struct, frozen=True):
    """A failure or unknown of a recorded run."""

    fingerprint: str
    rule_id: str
    severity: str
    status: str
    suppressed: bool
    resource_id: str
    resource_name: str
    input: str
    message: str


class Changes(Struct, frozen=True):
    """What changed between two runs: failures fixed and introduced (unsuppressed), by fingerprint."""

    older: Run
    newer: Run
    fixed: tuple[Finding, ...]
    introduced: tuple[Finding, ...]


def _text(value: object) -> str:
    """Text SQLite can store: lone surrogates (from a broken file name) written as escapes."""
    return display_text(value).encode("utf-8", "backslashreplace").decode("utf-8")


@contextmanager
def _open(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    if not create and not path.is_file():
        raise ConfigError(f"history {path}: no such file",
                          hint="record runs with `aiwell review PATH... --history`")
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"history {path}: cannot create its folder: {exc.strerror or exc}") from None
    try:
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            if create:
                connection.executescript(_SCHEMA)
                connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            version = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version is None or version[0] != SCHEMA_VERSION:
                raise ConfigError(f"history {path}: schema {version[0] if version else '?'} is not the "
                                  f"version {SCHEMA_VERSION} this aiwell reads")
            yield connection
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"history {path}: not an aiwell history ({exc})") from None


def record_run(path: Path, report: Report, *, when: dt.datetime | None = None) -> int:
    """Record a review's scores and findings; returns the new run's id."""
    recorded = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
    summary = report.summary
    overall = report.scores.overall
    inventories = inventory_inputs(report.inputs)
    with _open(path, create=True) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO runs (recorded, tool_version, rule_set, environment, inputs, overall, coverage, passed, "
            "failed, unknown, suppressed, baselined, not_analysed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (recorded, report.tool_version, report.rule_set, report.environment,
             json.dumps([_text(label) for label in report.input_labels]), overall.score, overall.coverage,
             summary.passed, summary.failed, summary.unknown, summary.suppressed, summary.baselined,
             summary.not_analysed))
        run_id = cursor.lastrowid
        assert run_id is not None
        rows = [(run_id, "pillar", pillar.value, s.score, s.coverage, s.passed, s.failed, s.unknown)
                for pillar, s in report.scores.pillars.items()]
        rows += [(run_id, "design_area", area.value, s.score, s.coverage, s.passed, s.failed, s.unknown)
                 for area, s in report.scores.design_areas.items()]
        connection.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.executemany(
            "INSERT OR IGNORE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, fingerprint(r, inventory=r.input in inventories), r.rule.id, r.rule.severity.value,
              r.status.value, int(r.suppression is not None), _text(r.resource_id), _text(r.resource_name),
              _text(r.input), _text(r.message))
             for r in report.results if r.status in (Status.FAIL, Status.UNKNOWN)])
    return run_id


def _run(row: Sequence[Any], scores: dict[int, dict[str, dict[str, float | None]]]) -> Run:
    (run_id, recorded, tool_version, rule_set, environment, inputs, overall, coverage, passed, failed, unknown,
     suppressed, baselined, not_analysed) = row
    by_kind = scores.get(run_id, {})
    return Run(run_id, recorded, tool_version, rule_set, environment, tuple(json.loads(inputs)), overall, coverage,
               passed, failed, unknown, suppressed, baselined, not_analysed, by_kind.get("pillar", {}),
               by_kind.get("design_area", {}))


def runs(path: Path, *, limit: int | None = None) -> list[Run]:
    """The recorded runs, oldest first (the newest `limit` of them when given)."""
    with _open(path, create=False) as connection:
        scores: dict[int, dict[str, dict[str, float | None]]] = {}
        for run_id, kind, name, score in connection.execute("SELECT run_id, kind, name, score FROM scores"):
            scores.setdefault(run_id, {}).setdefault(kind, {})[name] = score
        query = "SELECT * FROM runs ORDER BY id DESC" + (" LIMIT ?" if limit else "")
        rows = connection.execute(query, (limit,) if limit else ()).fetchall()
    return [_run(row, scores) for row in reversed(rows)]


def _findings(connection: sqlite3.Connection, run_id: int) -> dict[str, Finding]:
    rows = connection.execute("SELECT fingerprint, rule_id, severity, status, suppressed, resource_id, resource_name, "
                              "input, message FROM findings WHERE run_id = ?", (run_id,))
    return {row[0]: Finding(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6], row[7], row[8])
            for row in rows}


def changes(path: Path, older: int | None = None, newer: int | None = None) -> Changes | None:
    """The failures fixed and introduced between two runs (default: the last two); None with fewer than two."""
    recorded = runs(path)
    by_id = {run.id: run for run in recorded}
    for wanted in (older, newer):
        if wanted is not None and wanted not in by_id:
            raise ConfigError(f"history {path}: no run {wanted}",
                              hint=f"runs recorded: {', '.join(str(run.id) for run in recorded) or 'none'}")
    if newer is None:
        newer = recorded[-1].id if recorded else None
    if older is None:
        earlier = [run.id for run in recorded if newer is not None and run.id < newer]
        older = earlier[-1] if earlier else None
    if older is None or newer is None:
        return None
    with _open(path, create=False) as connection:
        before = _findings(connection, older)
        after = _findings(connection, newer)

    def failing(found: dict[str, Finding]) -> dict[str, Finding]:
        return {key: item for key, item in found.items() if item.status == "fail" and not item.suppressed}

    was, now = failing(before), failing(after)
    order = ("high", "medium", "low")

    def ordered(items: Sequence[Finding]) -> tuple[Finding, ...]:
        return tuple(sorted(items, key=lambda f: (order.index(f.severity) if f.severity in order else 3,
                                                  f.rule_id, f.resource_name.lower())))

    return Changes(by_id[older], by_id[newer], fixed=ordered([f for k, f in was.items() if k not in now]),
                   introduced=ordered([f for k, f in now.items() if k not in was]))


def trend_points(path: Path, *, limit: int = 30) -> list[tuple[str, dict[str, float | None]]]:
    """The scores of the last `limit` runs, oldest first, for the HTML report's trend: (date, {overall, pillars})."""
    return [(run.recorded[:10], {"overall": run.overall, **run.pillars}) for run in runs(path, limit=limit)]


__all__ = ["DEFAULT_FILE", "SCHEMA_VERSION", "Changes", "Finding", "Run", "changes", "record_run", "runs",
           "trend_points"]
