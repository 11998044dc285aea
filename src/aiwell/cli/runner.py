"""What every `aiwell` command shares: running a click group with the exit codes of DESIGN.md §1.6, and writing
output to standard output or a file."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, NoReturn

import click
from rich.console import Console

from aiwell.errors import ExitCode, UsageError, UserError

DEBUG_FLAG = "--debug"
_ISSUES_HINT = "This is a bug in aiwell. Please report it with the command you ran; rerun with --debug for a traceback."


def stderr_console() -> Console:
    """A console on standard error, for messages around the output."""
    return Console(stderr=True, highlight=False)


def open_output(path: Path) -> IO[str]:
    """Open a report file for writing; a path that can't be written is a usage error."""
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


def write_output(path: Path | None, text: str) -> None:
    """Write `text` to the file `path`, or to standard output when there is none."""
    if path is None:
        click.echo(text, nl=False)
        return
    with open_output(path) as handle:
        handle.write(text)


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


__all__ = ["DEBUG_FLAG", "open_output", "run_group", "stderr_console", "write_output"]
