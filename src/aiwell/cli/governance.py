"""`aiwell baseline write`, `aiwell config` and `aiwell history`: the commands around a review that a team
adopting aiwell as a CI gate uses. Heavy modules are imported inside the commands, so `--help` stays light."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aiwell.cli.review_options import review_options
from aiwell.cli.runner import stderr_console, write_output


@click.group(name="baseline")
def baseline_group() -> None:
    """Findings baselines: record today's failures, then `aiwell review --baseline FILE` gates only on new ones."""


@baseline_group.command(name="write")
@review_options
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The baseline file to write (aiwell.baseline/1 JSON; commit it beside the code).")
def baseline_write(output: Path, **flags: Any) -> None:
    """Review PATHS and record every failure in a baseline file (suppressed failures and inputs not analysed
    are not recorded: those gate until fixed or suppressed with a reason)."""
    from aiwell.baseline import inventory_inputs, recordable, render_baseline
    from aiwell.cli.main import _refuse_to_overwrite
    from aiwell.cli.outputs import make_parent
    from aiwell.cli.review_options import input_paths, plan_review, run_review

    plan = plan_review(flags)
    _refuse_to_overwrite(output, [*plan.paths, *plan.parameter_files])
    report = run_review(plan)
    _refuse_to_overwrite(output, input_paths(report))
    make_parent(output)
    write_output(output, render_baseline(report.results, tool_version=report.tool_version,
                                         inventories=inventory_inputs(report.inputs)))
    count = sum(1 for result in report.results if recordable(result))
    stderr_console().print(f"baseline of {count} failure{'s' if count != 1 else ''} written to {output}",
                           markup=False, highlight=False)


@click.command(name="config")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file to read instead of looking for one.")
@click.option("-f", "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def config_command(config_file: Path | None, output_format: str) -> None:
    """Show the effective configuration: every key, its value, and where it came from (default, the file,
    an AIWELL_* variable). Options of `aiwell review` apply on top of it."""
    import orjson

    from aiwell.config import KEYS, config_document, load_config, render_config

    config = load_config(file=config_file)
    if output_format == "json":
        write_output(None, orjson.dumps(config_document(config), option=orjson.OPT_INDENT_2) + b"\n")
        return
    console = Console()
    console.print(Text(f"configuration file: {config.file}" if config.file else
                       "configuration file: none (no aiwell.toml or [tool.aiwell] found)", style="bold"),
                  soft_wrap=True)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("key", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", no_wrap=True)
    # What each key means, where there is room for it.
    wide = console.width >= 120
    if wide:
        table.add_column("meaning", overflow="fold", ratio=1)
    for key, value, source in render_config(config):
        cells: list[Text] = [Text(key), Text(value), Text(source, style="dim" if source == "default" else "")]
        table.add_row(*cells, *([Text(KEYS[key].help, style="dim")] if wide else []))
    console.print(table)


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


_PILLAR_HEADINGS = {"reliability": "Rel", "security": "Sec", "cost-optimization": "Cost",
                    "operational-excellence": "OpEx", "performance-efficiency": "Perf"}


@click.command(name="history")
@click.option("--history", "history_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The history file (default: .aiwell/history.db in the repository, or `history` in the "
                   "configuration).")
@click.option("--from", "older", type=int, metavar="RUN", help="Compare from this run (default: the one before).")
@click.option("--to", "newer", type=int, metavar="RUN", help="Compare to this run (default: the last).")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Runs to show.")
@click.option("-f", "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def history_command(history_file: Path | None, older: int | None, newer: int | None, limit: int,
                    output_format: str) -> None:
    """Show the trend of the scores per pillar and design area over the recorded runs, and the failures fixed
    and introduced between two runs (`aiwell review --history` records them)."""
    import orjson
    from msgspec.structs import asdict

    from aiwell.config import load_config
    from aiwell.history import DEFAULT_FILE, changes, runs
    from aiwell.loaders.files import containment_root

    path = history_file or load_config()["history"] or containment_root(Path()) / DEFAULT_FILE
    recorded = runs(path, limit=limit)
    found = changes(path, older, newer)
    if output_format == "json":
        document = {"history": str(path), "runs": [asdict(run) for run in recorded],
                    "changes": None if found is None else {
                        "from": found.older.id, "to": found.newer.id,
                        "fixed": [asdict(f) for f in found.fixed],
                        "introduced": [asdict(f) for f in found.introduced]}}
        write_output(None, orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        return
    console = Console()
    if not recorded:
        console.print(f"{path}: no run recorded yet", markup=False)
        return
    runs_table = Table(title="Scores per run", title_justify="left", show_edge=False, pad_edge=False)
    for column in ("run", "recorded (UTC)", "overall", *_PILLAR_HEADINGS.values(), "failed"):
        runs_table.add_column(column, no_wrap=True,
                              justify="left" if column in ("run", "recorded (UTC)") else "right")
    for run in recorded:
        runs_table.add_row(str(run.id), run.recorded[:16].replace("T", " "), _score(run.overall),
                           *(_score(run.pillars.get(key)) for key in _PILLAR_HEADINGS), str(run.failed))
    console.print(runs_table)
    shown = recorded[-6:]
    areas = Table(title="Design areas", title_justify="left", show_edge=False, pad_edge=False)
    areas.add_column("design area")
    for run in shown:
        areas.add_column(f"run {run.id}", justify="right")
    names = [name for name in shown[-1].design_areas if any(run.design_areas.get(name) is not None for run in shown)]
    for name in names:
        areas.add_row(name, *(_score(run.design_areas.get(name)) for run in shown))
    if names:
        console.print()
        console.print(areas)
    if found is None:
        return
    console.print()
    console.print(Text(f"From run {found.older.id} to run {found.newer.id}: {len(found.fixed)} fixed, "
                       f"{len(found.introduced)} introduced", style="bold"))
    from aiwell.reporters._text import one_line

    for label, items, style in (("fixed", found.fixed, "green"), ("introduced", found.introduced, "red")):
        for finding in items:
            console.print(Text(f"  {label:<10} {finding.rule_id} {finding.severity:<6} "
                               f"{one_line(finding.resource_name or finding.resource_id)}", style=style),
                          soft_wrap=True)


__all__ = ["baseline_group", "config_command", "history_command"]
