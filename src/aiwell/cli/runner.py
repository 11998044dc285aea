"""What every `aiwell` command shares: running a click group with the exit codes of DESIGN.md §1.6, and writing
output to standard output or a file."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

import click

from aiwell.errors import ExitCode, UsageError, UserError

if TYPE_CHECKING:
    from rich.console import Console

DEBUG_FLAG = "--debug"
_ISSUES_HINT = "This is a bug in aiwell. Please report it with the command you ran; rerun with --debug for a traceback."


def stderr_console() -> Console:
    """A console on standard error, for messages around the output."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def stderr_is_terminal() -> bool:
    """Whether `stderr_console()` would call standard error a terminal (a progress bar goes there only then).

    Answered without importing rich when standard error is plainly not a terminal (a pipe, a file, a test
    runner's capture, no `TTY_COMPATIBLE` or `FORCE_COLOR` to say otherwise), which is how CI runs a review.
    """
    if "TTY_COMPATIBLE" not in os.environ and "FORCE_COLOR" not in os.environ:
        isatty = getattr(sys.stderr, "isatty", None)
        try:
            if isatty is None or not isatty():
                return False
        except ValueError:  # closed
            return False
    return stderr_console().is_terminal


def print_plain_line(text: str) -> None:
    """Print `text` on standard error as `stderr_console().print(text, markup=False)` would.

    A line of printable ASCII with no colon (rich reads `:name:` as an emoji) that fits the console (rich would
    not wrap it) is written directly, so that writing a report file costs no rich import; anything else goes
    through rich.
    """
    if sys.platform != "win32" and text.isascii() and text.isprintable() and ":" not in text and text == text.strip() \
            and len(text) <= _narrowest_console_width():
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        return
    stderr_console().print(text, markup=False)


def _narrowest_console_width() -> int:
    """The width rich would give `stderr_console()`, or less: rich's own reckoning (the first standard stream
    that is a terminal, `COLUMNS` over it, 80 without either; Windows is left to rich), capped at the 80 columns
    rich gives a dumb terminal."""
    width: int | None = None
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):  # not a terminal
            continue
        break
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    return min(width or 80, 80)


def open_output(path: Path) -> IO[str]:
    """Open a report file for writing; a path that can't be written is a usage error."""
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


def encoded(text: str) -> bytes:
    """`text` as UTF-8; a code point UTF-8 can't hold (a lone surrogate from a broken escape or file name) is
    written as a `\\uXXXX` escape sequence rather than failing the whole report."""
    return text.encode("utf-8", "backslashreplace")


def safe_stdout() -> IO[str]:
    """Standard output, set to write what its encoding can't hold as escape sequences instead of failing."""
    stream = sys.stdout
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
    return stream


def write_output(path: Path | None, data: str | bytes | Iterable[bytes]) -> None:
    """Write `data` (text, bytes, or bytes in pieces written as they come) to the file `path`, or to standard
    output when there is none.

    A file is written whole or not at all: to a temporary file beside it, then renamed over it, so a full disk,
    a crash or an interrupt never leaves an empty or half-written report (nor destroys the previous one). A path
    that is not a regular file (`/dev/stdout`, a named pipe) is written to directly. A path that can't be written
    (a missing folder, no permission, a full disk) is a usage error.
    """
    payload: Iterable[bytes] = (data,) if isinstance(data, bytes) else (encoded(data),) if isinstance(data, str) \
        else data
    if path is None:
        click.echo(b"".join(payload), nl=False)
        return
    try:
        _write_file(path, payload)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_file(path: Path, payload: Iterable[bytes]) -> None:
    import tempfile

    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not target.is_file():
        with target.open("wb") as handle:
            handle.writelines(payload)
        return
    mode = target.stat().st_mode & 0o777 if target.exists() else _default_mode()
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                             dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.writelines(payload)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _default_mode() -> int:
    """The mode a new file gets from the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def run_group(group: click.Group, argv: Sequence[str] | None, *, prog_name: str) -> NoReturn:
    """Run a click group and exit: 0 clean, 1 findings (the command exits so itself), 2 usage or configuration
    error (a message and a hint, no traceback), 3 internal error (a bug; traceback only with --debug), 130 when
    interrupted."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args
    try:
        group.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        stderr_console().print("Aborted.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except UserError as exc:
        err = stderr_console()
        err.print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
        if exc.hint:
            err.print(f"hint: {exc.hint}")
        sys.exit(ExitCode.USAGE)
    except KeyboardInterrupt:
        stderr_console().print("Interrupted.")
        sys.exit(130)
    except Exception as exc:  # anything else is a bug: say so, exit 3
        err = stderr_console()
        if debug:
            err.print(traceback.format_exc(), markup=False, highlight=False)
        err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        err.print(_ISSUES_HINT)
        sys.exit(ExitCode.INTERNAL)
    sys.exit(ExitCode.CLEAN)


__all__ = ["DEBUG_FLAG", "encoded", "open_output", "print_plain_line", "run_group", "safe_stdout", "stderr_console",
           "stderr_is_terminal", "write_output"]
