"""`aiwell data`: readiness of training, grounding and production data.

    aiwell data profile PATH... [--label COL] [--time COL] [--freshness 30d] [--reference PATH] [--test PATH]
                                [--datasheet FILE] [--engine duckdb|spark] [--format terminal|json|html|markdown]
                                [-o FILE]
    aiwell data init [FILE]

Exit codes as every aiwell command (DESIGN.md §1.6): 0 clean; 1 a finding at or above --fail-on failed or could
not be decided, or data could not be read; 2 a usage or configuration error; 3 a bug.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console

from aiwell.cli.runner import open_output, stderr_console, write_output
from aiwell.errors import UsageError

_FORMATS = ["terminal", "json", "html", "markdown"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_REPORT_WIDTH = 120


def parse_duration(text: str) -> timedelta:
    """`30d`, `12h`, `90m`, `2w`, `45s` as a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"--freshness {text!r}: expected a number and a unit, such as 30d, 12h, 90m or 2w")
    return timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--as-of {text!r}: expected an ISO date or time (2025-06-30, 2025-06-30T12:00)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group(name="data", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def data_group() -> None:
    """Readiness of training, grounding and production data: volume, types, origins, sensitive data,
    preparation, freshness, balance, leakage and drift, in one scan per table."""


@data_group.command("profile")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--label", metavar="COL", help="The label column: class balance, rows per class, label leakage.")
@click.option("--time", "time_column", metavar="COL",
              help="The time column: freshness, gaps, volume by day, growth, time leakage (default: the one date "
                   "or timestamp column, if there is exactly one; a document folder's modification times).")
@click.option("--freshness", metavar="AGE", help="Service level for the newest record's age (30d, 12h, 2w).")
@click.option("--reference", metavar="PATH", help="Reference data (e.g. training) to measure the drift of PATH "
                                                  "(e.g. production) against.")
@click.option("--test", "test_path", metavar="PATH",
              help="The test split of the training data PATH: rows shared between them, time leakage.")
@click.option("--datasheet", type=click.Path(path_type=Path, dir_okay=False),
              help="The datasheet of the data (default: datasheet.yaml beside it); `aiwell data init` writes one.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Scan with DuckDB on this machine, or with Spark (pip install 'aiwell[spark]'; needs Java).")
@click.option("-f", "--format", "output_format", type=click.Choice(_FORMATS), default="terminal", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(["high", "medium", "low", "none"]), default="high", show_default=True,
              help="Exit 1 when a finding at or above this severity fails or is unknown, or data is not read "
                   "('none': never).")
@click.option("--segment", "segments", multiple=True, metavar="COL",
              help="A column whose values are segments that each need --min-class-rows rows (repeatable).")
@click.option("--min-rows", type=click.IntRange(min=0), default=100, show_default=True,
              help="Fewest rows a table should have.")
@click.option("--min-class-rows", type=click.IntRange(min=0), default=50, show_default=True,
              help="Fewest rows each class of --label and each segment should have.")
@click.option("--max-null-share", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="Share of missing values above which a column is flagged.")
@click.option("--sample-rows", type=click.IntRange(min=100), default=10_000, show_default=True,
              help="Rows sampled (by row hash) for personal data, label leakage and the drift tests.")
@click.option("--as-of", metavar="TIME", help="Measure freshness at this moment instead of now (ISO date or time).")
@click.option("--memory-limit", metavar="SIZE",
              help="DuckDB's memory limit (e.g. 4GB); past it, it spills to a folder in the system's temporary "
                   "directory. Default: half the available memory, at most 1 GiB.")
@click.option("--ner", metavar="MODEL",
              help="Also find names and places in text with this spaCy model: an installed package name "
                   "(en_core_web_sm) or a model folder (pip install 'aiwell[ner]'; the model is never downloaded: "
                   "install it yourself). Default: patterns and checksums only.")
@click.option("-v", "--verbose", is_flag=True, help="List passed findings too (terminal, Markdown, HTML).")
def profile_command(paths: tuple[str, ...], label: str | None, time_column: str | None, freshness: str | None,
                    reference: str | None, test_path: str | None, datasheet: Path | None, engine: str,
                    output_format: str, output: Path | None, fail_on: str, segments: tuple[str, ...], min_rows: int,
                    min_class_rows: int, max_null_share: float, sample_rows: int, as_of: str | None,
                    memory_limit: str | None, ner: str | None, verbose: bool) -> None:
    """Profile the data in PATH... (files, folders, `sqlite:///file.db?table=T`, `postgresql://...?table=T`) and
    report its readiness by facet."""
    from aiwell.data.model import Severity
    from aiwell.data.options import ProfileOptions
    from aiwell.data.report import render_json
    from aiwell.data.run import profile_paths

    threshold = None if fail_on == "none" else Severity(fail_on)
    options = ProfileOptions(
        label=label, time=time_column, freshness=parse_duration(freshness) if freshness else None,
        reference=reference, test=test_path, datasheet=datasheet, engine=engine, segments=segments,
        min_rows=min_rows, min_class_rows=min_class_rows, max_null_share=max_null_share, sample_rows=sample_rows,
        fail_on=threshold, as_of=_as_of(as_of), memory_limit=memory_limit, ner=ner)
    err = stderr_console()
    if err.is_terminal:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                      transient=True) as bar:
            task = bar.add_task("Reading", total=None)
            report = profile_paths(paths, options, progress=lambda what, done, total: bar.update(
                task, description=f"{what} ({done}/{total})"))
    else:
        report = profile_paths(paths, options)
    document = report.document
    if output_format == "json":
        write_output(output, render_json(report))
    elif output_format == "markdown":
        from aiwell.data.render import render_markdown

        write_output(output, render_markdown(document, verbose=verbose))
    elif output_format == "html":
        from aiwell.data.render import render_html

        write_output(output, render_html(document, verbose=verbose))
    else:
        from aiwell.data.render import render_terminal

        if output is not None:
            with open_output(output) as handle:
                render_terminal(document, Console(file=handle, width=_REPORT_WIDTH, color_system=None,
                                                  soft_wrap=False), verbose=verbose)
        else:
            render_terminal(document, Console(), verbose=verbose)
    if output is not None:
        err.print(f"Report written to {output}", highlight=False)
    sys.exit(report.exit_code(threshold))


@data_group.command("init")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False), default="datasheet.yaml")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def init_command(file: Path, force: bool) -> None:
    """Write a datasheet template to FILE (default datasheet.yaml; `-` for standard output)."""
    from aiwell.data.datasheet import TEMPLATE

    if str(file) == "-":
        write_output(None, TEMPLATE)
        return
    if file.exists() and not force:
        raise UsageError(f"{file} exists", hint="pass --force to overwrite it, or name another file")
    write_output(file, TEMPLATE)
    stderr_console().print(f"Datasheet template written to {file}: fill it in and pass it with --datasheet "
                           "(or keep it beside the data as datasheet.yaml)", highlight=False)


__all__ = ["data_group", "parse_duration"]
