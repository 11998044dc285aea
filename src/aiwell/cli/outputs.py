"""The reports a review writes: `-o FORMAT`, `-o FORMAT=PATH` (repeatable), or the older `-f FORMAT -o PATH`.

`-o sarif=out.sarif -o html=report.html -o terminal` writes SARIF and HTML files and prints the terminal report.
A format without a path goes to standard output; only one output may. Without any `-o`, the `-f` format (default
`terminal`) goes to standard output. A file is written whole or not at all (`runner.write_output`), its folder
created when missing, and never over one of the inputs.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from aiwell.cli.runner import print_plain_line, safe_stdout, write_output
from aiwell.errors import UsageError
from aiwell.model import Severity
from aiwell.report import Report, exit_code, exit_reason

if TYPE_CHECKING:
    from rich.console import Console

FORMATS = ("terminal", "json", "sarif", "junit", "markdown", "html")


class Output(Struct, frozen=True):
    """One report to write: its format and file (None: standard output)."""

    format: str
    path: Path | None = None


def parse_outputs(specs: Sequence[str], default_format: str) -> list[Output]:
    """The outputs named by `-o` values (see the module docstring); `default_format` is `-f`."""
    outputs: list[Output] = []
    for spec in specs:
        name, equals, path = spec.partition("=")
        if equals and name.strip().lower() in FORMATS:
            if not path.strip():
                raise UsageError(f"-o {spec}: no file after '='", hint=f"write -o {name}=PATH, or -o {name} for "
                                                                         "standard output")
            outputs.append(Output(name.strip().lower(), Path(path)))
        elif not equals and spec.strip().lower() in FORMATS:
            outputs.append(Output(spec.strip().lower()))
        elif equals and "/" not in name and "\\" not in name and "." not in name:
            raise UsageError(f"-o {spec}: unknown format {name!r}", hint="formats: " + ", ".join(FORMATS))
        else:
            outputs.append(Output(default_format, Path(spec)))
    if not outputs:
        outputs.append(Output(default_format))
    to_stdout = [output.format for output in outputs if output.path is None]
    if len(to_stdout) > 1:
        raise UsageError(f"{' and '.join(to_stdout)} would both go to standard output",
                         hint="give all but one of them a file: -o FORMAT=PATH")
    return outputs


class RenderOptions(Struct, frozen=True):
    """What the reporters need besides the report."""

    fail_on: Severity | None
    allow_unknown: bool = False
    allow_unanswered: bool = False
    allow_nothing_checked: bool = False
    verbose: bool = False
    quiet: bool = False
    baseline_used: bool = False
    trend: Sequence[tuple[str, dict[str, float | None]]] = ()

    def gate(self, report: Report) -> tuple[int, str]:
        """The review's exit code and why, for the reports that say it: the code `exit_code` gives."""
        return exit_reason(report, self.fail_on, allow_unknown=self.allow_unknown,
                           allow_unanswered=self.allow_unanswered, allow_nothing_checked=self.allow_nothing_checked)

    def exit_code(self, report: Report) -> int:
        """The review's exit code (DESIGN.md §1.6) for these flags."""
        return exit_code(report, self.fail_on, allow_unknown=self.allow_unknown,
                         allow_unanswered=self.allow_unanswered, allow_nothing_checked=self.allow_nothing_checked)


def _terminal(report: Report, options: RenderOptions, console: Console) -> None:
    from aiwell.reporters import render_terminal
    from aiwell.reporters.quiet import render_quiet

    if options.quiet:
        render_quiet(report, console, fail_on=options.fail_on, allow_unknown=options.allow_unknown,
                     allow_unanswered=options.allow_unanswered, allow_nothing_checked=options.allow_nothing_checked)
    else:
        render_terminal(report, console, verbose=options.verbose, gate=options.gate(report)[1])


def render(output_format: str, report: Report, options: RenderOptions) -> bytes:
    """One report as bytes, in `output_format` (the terminal report as plain text at 100 columns)."""
    from aiwell import reporters

    if output_format == "json":
        return reporters.render_json_bytes(report) + b"\n"
    if output_format == "sarif":
        return bytes(reporters.render_sarif(report, baseline_used=options.baseline_used))
    if output_format == "junit":
        return str(reporters.render_junit(report)).encode("utf-8")
    if output_format == "markdown":
        return str(reporters.render_markdown(report, gate=options.gate(report))).encode("utf-8")
    if output_format == "html":
        return str(reporters.render_html(report, gate=options.gate(report), trend=options.trend)).encode("utf-8")
    from rich.console import Console

    buffer = io.StringIO()
    _terminal(report, options, Console(file=buffer, width=100, color_system=None, soft_wrap=False))
    return buffer.getvalue().encode("utf-8", "backslashreplace")


def make_parent(path: Path) -> None:
    """Create the folder a report file goes in when it is missing (`out/aiwell.sarif` in a fresh CI checkout)."""
    if path.parent != Path() and not path.parent.exists():
        try:
            path.parent.mkdir(parents=True)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: cannot create its folder {path.parent}: "
                             f"{exc.strerror or exc}") from None


def write_outputs(outputs: Sequence[Output], report: Report, options: RenderOptions) -> None:
    """Write every output; the terminal one to standard output goes straight to the console (colour, width).
    Each file written is named on standard error."""
    for output in outputs:
        if output.path is None and output.format == "terminal":
            from rich.console import Console

            _terminal(report, options, Console(file=safe_stdout()))
            continue
        payload: bytes | Iterable[bytes]
        if output.format == "json" and output.path is not None:
            # Written as it is encoded: a large report's JSON is never held whole (same bytes as `render`).
            from aiwell.reporters import iter_json_bytes

            payload = itertools.chain(iter_json_bytes(report), (b"\n",))
        else:
            payload = render(output.format, report, options)
        if output.path is not None:
            make_parent(output.path)
        write_output(output.path, payload)
        if output.path is not None:
            print_plain_line(f"{output.format} report written to {output.path}")


__all__ = ["FORMATS", "Output", "RenderOptions", "make_parent", "parse_outputs", "render", "write_outputs"]
