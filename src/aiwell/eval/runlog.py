"""The run log: an append-only JSONL file, schema `aiwell.eval-log/1` (documented in docs/eval-run-log.md).

The first line is the header (which suite, which target, which scorers, when, which aiwell); every later line is
one sample: one (case, repeat) outcome, errors included. The runner writes a line and flushes it as soon as a sample
is scored, so a crash or Ctrl-C loses at most the line being written; `read_log` drops such a torn last line and
tells the runner where the good part ends, so `--resume` can cut it off and carry on.

A (case, repeat) may appear more than once (a resumed run that retried its errors appends the new outcome); the
reader keeps the last line for each, in the order the samples first appeared. A writer holds an exclusive lock on
the file while it writes, so two runs (two `--resume`s of one log) can't interleave their samples. The header's
`plan` (case id -> repeats, from schema 1.1) says which samples belong to the run; a sample outside it (a case
since removed from the suite, a repeat beyond the plan) is kept apart (`RunLog.outside`), not counted.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from msgspec import Struct, field

from aiwell.errors import UserError

SCHEMA = "aiwell.eval-log/1.1"
SCHEMA_PREFIX = "aiwell.eval-log/"
MAJOR_VERSION = 1

_SCHEMA_RE = re.compile(r"^aiwell\.eval-log/(\d+)(?:\.(\d+))?$")
_SAMPLE_KEYS = ("case_id", "repeat")


class RunLogError(UserError):
    """A run log that can't be read: not JSONL, no header, a schema this version doesn't know, a corrupt line."""


class RunLogLockedError(RunLogError):
    """Another run holds the log's lock: it is writing to it now."""


class LogLock:
    """An exclusive, non-blocking lock on a run log file (flock on POSIX, msvcrt on Windows), held until
    `release()`. The file is created if missing and never truncated here."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("ab")
        try:
            _lock(self._handle)
        except OSError as exc:
            self._handle.close()
            raise RunLogLockedError(
                f"{self.path} is being written by another run (its lock is held)",
                hint="wait for that run to finish, or write this one to another --log") from exc

    def release(self) -> None:
        """Release the lock (safe to call twice)."""
        if not self._handle.closed:
            _unlock(self._handle)
            self._handle.close()


def _lock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class RunLog(Struct):
    """A run log as read: the header, the samples (last record per (case, repeat), in first-seen order), whether a
    torn last line was dropped, the byte length of the intact part (where appending may continue), and the samples
    outside the header's plan (`outside`: not counted anywhere, listed so a report can say so)."""

    header: dict[str, Any]
    samples: list[dict[str, Any]] = field(default_factory=list)
    torn: bool = False
    valid_bytes: int = 0
    outside: list[dict[str, Any]] = field(default_factory=list)

    @property
    def plan(self) -> dict[str, int] | None:
        """Case id -> repeats the run planned (None for a 1.0 log, which did not record it)."""
        plan = self.header.get("plan")
        return {str(k): int(v) for k, v in plan.items()} if isinstance(plan, dict) else None

    def done(self, *, include_errors: bool = True) -> set[tuple[str, int]]:
        """The (case_id, repeat) pairs recorded; with `include_errors=False`, only those that didn't error."""
        return {
            (str(s["case_id"]), int(s["repeat"]))
            for s in self.samples
            if include_errors or s.get("error") is None
        }


def make_header(
    *,
    suite: str,
    suite_path: str | None,
    target: dict[str, Any],
    target_key: str,
    scorers: list[dict[str, Any]],
    repeats: int,
    n_cases: int,
    started: datetime | None = None,
    plan: dict[str, int] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The header line: `target` is the redacted target spec (never a secret); `target_key` its cache identity;
    `scorers` the distinct `{name, args}` of the suite's assertions; `plan` case id -> repeats; `options` what else
    decides which samples the run draws (sequential stopping), checked again by `--resume`."""
    from aiwell import __version__

    header: dict[str, Any] = {
        "schema": SCHEMA,
        "suite": suite,
        "suite_path": suite_path,
        "target": {"spec": target, "key": target_key},
        "scorers": scorers,
        "repeats": repeats,
        "n_cases": n_cases,
        "started": (started or datetime.now(UTC)).isoformat(timespec="seconds"),
        "aiwell": __version__,
    }
    if plan is not None:
        header["plan"] = plan
    if options:
        header["options"] = options
    return header


def make_sample(
    *,
    case_id: str,
    repeat: int,
    output: str | None,
    latency_s: float | None,
    error: str | None,
    error_kind: str | None,
    scores: list[dict[str, Any]],
    tags: list[str],
    cluster: str | None,
    usage: dict[str, Any] | None = None,
    attempts: int = 1,
    cached: bool = False,
    model: str | None = None,
    judge_usage: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One sample line. `passed` is derived: null when the sample errored, else whether every score passed.
    `extra` adds what only some samples have (`tool_calls`, `sources`, `turns`)."""
    passed = None if error is not None else all(bool(s.get("passed")) for s in scores)
    sample = {
        "case_id": case_id,
        "repeat": repeat,
        "output": output,
        "latency_s": latency_s,
        "error": error,
        "error_kind": error_kind,
        "scores": scores,
        "passed": passed,
        "tags": tags,
        "cluster": cluster,
        "usage": usage,
        "attempts": attempts,
        "cached": cached,
        "model": model,
        "judge_usage": judge_usage,
    }
    if extra:
        sample.update(extra)
    return sample


class RunLogWriter:
    """Appends lines to a run log, flushing each so a crash loses nothing already scored; `close()` fsyncs.

    Open it with `header` for a new log (the file is created or truncated) or with `resume_at` (the `valid_bytes`
    of the `RunLog` read back) to continue an existing one after cutting off a torn last line. It takes the file's
    lock (RunLogLockedError when another run holds it) before touching the file, or uses `lock` when the caller
    already holds it (a resume reads the log under the lock first), and releases it on close.
    """

    def __init__(self, path: Path, *, header: dict[str, Any] | None = None, resume_at: int | None = None,
                 lock: LogLock | None = None) -> None:
        if (header is None) == (resume_at is None):
            raise ValueError("give either header (a new log) or resume_at (continue one)")
        self.path = Path(path)
        self._lock = lock if lock is not None else LogLock(self.path)
        self._handle: IO[str]
        with self.path.open("r+b") as raw:
            raw.truncate(0 if header is not None else resume_at)
        self._handle = self.path.open("a", encoding="utf-8")
        if header is not None:
            self._write(header)

    def write_sample(self, sample: dict[str, Any]) -> None:
        """Append one sample line and flush it to the operating system."""
        self._write(sample)

    def _write(self, record: dict[str, Any]) -> None:
        # One write call per line keeps a crash from interleaving half lines; default=str keeps odd outputs loggable.
        self._handle.write(json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")) + "\n")
        self._handle.flush()

    def close(self) -> None:
        """Flush, fsync and close (safe to call twice)."""
        if self._handle.closed:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._lock.release()

    def __enter__(self) -> RunLogWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def check_schema(value: object, *, where: str) -> None:
    """Refuse a header whose schema is not `aiwell.eval-log/<major>` with a major version this aiwell reads."""
    match = _SCHEMA_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise RunLogError(f"{where}: not an aiwell run log (schema {value!r}, expected {SCHEMA!r})")
    major = int(match.group(1))
    if major != MAJOR_VERSION:
        raise RunLogError(
            f"{where}: run log schema {value} is not supported (this aiwell reads {SCHEMA})",
            hint="read it with the aiwell version that wrote it" if major > MAJOR_VERSION else None,
        )


def read_log(path: Path) -> RunLog:
    """Read a run log. A torn last line (a crash mid-write) is dropped and flagged; a bad line anywhere else, a
    missing header or an unknown major schema version is a RunLogError naming the file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunLogError(f"cannot read run log {path}: {exc.strerror or exc}") from exc
    lines = data.split(b"\n")
    # The last element is what follows the final newline: empty for a clean log, a torn fragment after a crash.
    tail = lines.pop()
    records: list[tuple[int, dict[str, Any]]] = []
    offset = 0
    valid = 0
    torn = bool(tail.strip())
    for number, raw in enumerate(lines, start=1):
        offset += len(raw) + 1
        if not raw.strip():
            valid = offset
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if number == len(lines) and not torn:
                # A crash can also tear a line that ends in a newline only if the newline was written; treat a
                # broken final line like a torn one rather than refusing the whole log.
                torn = True
                break
            raise RunLogError(f"{path}:{number}: corrupt run log line ({exc})",
                              hint="only the last line of a run log may be torn") from exc
        if not isinstance(record, dict):
            raise RunLogError(f"{path}:{number}: a run log line must be a JSON object")
        records.append((number, record))
        valid = offset
    if not records:
        raise RunLogError(f"{path}: empty run log (no header line)")
    header_line, header = records[0]
    check_schema(header.get("schema"), where=f"{path}:{header_line}")
    plan = header.get("plan")
    if plan is not None and not (isinstance(plan, dict) and all(_is_count(v) for v in plan.values())):
        raise RunLogError(f"{path}:{header_line}: the header's plan must map case ids to repeat counts")
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    outside: dict[tuple[str, int], dict[str, Any]] = {}
    for number, record in records[1:]:
        key = _sample_key(record, f"{path}:{number}")
        record["case_id"], record["repeat"] = key
        # A 1.0 log has no plan: its resumes could raise the repeats, so every sample in it belongs to the run.
        planned = plan.get(key[0]) if plan is not None else None
        if plan is not None and (planned is None or key[1] >= planned):
            outside[key] = record
            latest.pop(key, None)
        else:
            latest[key] = record
    return RunLog(header=header, samples=list(latest.values()), torn=torn, valid_bytes=valid,
                  outside=list(outside.values()))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _sample_key(record: dict[str, Any], where: str) -> tuple[str, int]:
    """(case id, repeat) of a sample line; RunLogError naming the line when either is missing or malformed."""
    missing = [k for k in _SAMPLE_KEYS if k not in record]
    if missing:
        raise RunLogError(f"{where}: sample line without {', '.join(missing)}")
    case_id, repeat = record["case_id"], record["repeat"]
    if isinstance(case_id, bool) or not isinstance(case_id, str | int) or case_id == "":
        raise RunLogError(f"{where}: case_id must be a non-empty string, got {json.dumps(case_id)}")
    if not _is_count(repeat):
        raise RunLogError(f"{where}: repeat must be a whole number ≥ 0, got {json.dumps(repeat)}",
                          hint="repeats are counted from 0; fix or delete the line")
    return str(case_id), int(repeat)


__all__ = [
    "MAJOR_VERSION",
    "SCHEMA",
    "SCHEMA_PREFIX",
    "LogLock",
    "RunLog",
    "RunLogError",
    "RunLogLockedError",
    "RunLogWriter",
    "check_schema",
    "make_header",
    "make_sample",
    "read_log",
]
