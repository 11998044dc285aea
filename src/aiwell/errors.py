"""Typed errors and the exit codes they map to.

    AiwellError                 every error aiwell raises on purpose
    ├── UserError               the user can fix it: exit 2, message and hint, no traceback
    │   ├── UsageError          a bad option, path or argument
    │   └── ConfigError         a bad configuration file, key or value
    └── InputError              one input can't be analysed; the run goes on and reports it as AIW000
        ├── ParseError          the file is not valid JSON/JSONC (has a line)
        └── TemplateError       the file parses but is not a usable template or export

Anything else that escapes is a bug: exit 3 with a hint to report it (traceback only with --debug).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes shared by every command (DESIGN.md §1.6)."""

    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3


class AiwellError(Exception):
    """Base class of every error aiwell raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UserError(AiwellError):
    """A mistake the user can fix; reported without a traceback, exit code 2."""


class UsageError(UserError):
    """A bad command-line option, path or argument."""


class ConfigError(UserError):
    """A bad configuration file, key or value."""


class InputError(AiwellError):
    """One input can't be analysed; it is reported as AIW000 and the run goes on."""

    def __init__(self, message: str, *, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.line = line


class ParseError(InputError):
    """The file is not valid JSON or JSONC."""


class TemplateError(InputError):
    """The file parses, but is not a template, parameter file or export aiwell can use."""


__all__ = [
    "AiwellError",
    "ConfigError",
    "ExitCode",
    "InputError",
    "ParseError",
    "TemplateError",
    "UsageError",
    "UserError",
]
