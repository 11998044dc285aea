"""Reading input files safely: regular files only, a byte cap, and nothing outside the reviewed tree.

Every loader reads through here, so one rule holds for every format:

- **Only regular files.** A FIFO, a socket or a device (`/dev/zero`, `/dev/urandom`) named like an input is not
  read: opening a FIFO would block forever and a device never ends. The file is opened without blocking and
  checked with `fstat` on the open descriptor, so a file swapped for something else between the check and the
  read is still caught.
- **A byte cap.** At most `limit` bytes are read, whatever `st_size` says (a device or `/proc` file reports 0).
- **Containment.** A file is read only when its resolved path (symbolic links followed) lies inside the reviewed
  tree: the nearest enclosing folder with `.git` of the path the user named, else the current directory when the
  path lies under it, else the named folder itself (or a named file's folder). `containment_root` computes it.
  Outside files are refused without reading a byte of them, so nothing of theirs is ever quoted in a report.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from aiwell.errors import ParseError

MAX_FILE_BYTES = 200 * 1024 * 1024
"""Larger files are refused rather than read into memory."""

_BINARY_PROBE = 8192


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _megabytes(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{count} bytes"


def read_file_bytes(path: Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else raises `ParseError` with the reason."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic-link loop on some platforms
        raise ParseError(f"cannot read file: {getattr(exc, 'strerror', None) or exc}") from exc
    with os.fdopen(descriptor, "rb", buffering=0, closefd=True) as handle:
        try:
            mode = os.fstat(descriptor).st_mode
        except OSError as exc:
            raise ParseError(f"cannot read file: {exc.strerror}") from exc
        if not stat.S_ISREG(mode):
            raise ParseError(f"not read: {_kind(mode)}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        try:
            while size <= limit:
                chunk = handle.read(min(1024 * 1024, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as exc:
            raise ParseError(f"cannot read file: {exc.strerror}") from exc
    if size > limit:
        raise ParseError(f"file is over the {_megabytes(limit)} limit; not read")
    return b"".join(chunks)


def decode_text(raw: bytes) -> str:
    """A file's bytes as text: UTF-8 (BOM allowed), or UTF-16 when it starts with a UTF-16 byte-order mark (what
    Windows PowerShell 5.1 writes with `>` and `Out-File`). Binary or undecodable bytes raise `ParseError`."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom) and not raw.startswith(codecs.BOM_UTF32_LE):
            try:
                return raw[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(f"not UTF-16 text (byte {exc.start + len(bom)})") from exc
    if b"\x00" in raw[:_BINARY_PROBE]:
        raise ParseError("binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(f"not UTF-8 text (byte {exc.start})", line=line) from exc


def read_file_text(path: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """A regular file read as text (see `decode_text`); binary, oversized or undecodable files raise
    `ParseError`."""
    return decode_text(read_file_bytes(path, limit=limit))


def resolved(path: Path) -> Path | None:
    """The path with every symbolic link followed, or None when it can't be (a link loop, a bad name)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def within(path: Path, root: Path) -> bool:
    """Whether `path`, symbolic links followed, lies inside `root` (which is compared resolved too)."""
    target = resolved(path)
    base = resolved(root)
    return target is not None and base is not None and target.is_relative_to(base)


def repository_root(path: Path) -> Path | None:
    """The nearest folder at or above `path` that holds `.git` (a folder, or a file in a worktree), resolved."""
    start = resolved(path)
    if start is None:
        return None
    for folder in (start, *start.parents) if start.is_dir() else start.parents:
        if (folder / ".git").exists():
            return folder
    return None


def containment_root(given: Path, *, cwd: Path | None = None) -> Path:
    """The tree a path the user named may read from (see the module docstring), resolved."""
    repository = repository_root(given)
    if repository is not None:
        return repository
    target = resolved(given) or given.absolute()
    here = resolved(cwd or Path.cwd())
    if here is not None and target.is_relative_to(here):
        return here
    return target if target.is_dir() else target.parent


__all__ = [
    "MAX_FILE_BYTES",
    "containment_root",
    "decode_text",
    "read_file_bytes",
    "read_file_text",
    "repository_root",
    "resolved",
    "within",
]
