"""`aiwell` commands. Every command maps errors to the exit codes of DESIGN.md §1.6:
0 clean, 1 findings at or above `--fail-on`, 2 usage or configuration error, 3 internal error (a bug)."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from aiwell import __version__
from aiwell.cli.outputs import FORMATS
from aiwell.cli.review_options import review_options, well_architected_options
from aiwell.cli.runner import DEBUG_FLAG, run_group
from aiwell.errors import UsageError

_LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "eval": ("aiwell.eval.cli", "eval_group",
             "Statistical testing of nondeterministic AI systems: every number comes with its uncertainty."),
    "size": ("aiwell.sizing.cli", "size_group",
             "Capacity planning: PTUs, self-hosted inference, training, RAG indexes, tabular ML."),
    "baseline": ("aiwell.cli.governance", "baseline_group",
                 "Findings baselines: record today's failures so that CI gates only on new ones."),
    "config": ("aiwell.cli.governance", "config_command",
               "Show the effective configuration and where each value came from."),
    "history": ("aiwell.cli.governance", "history_command",
                "Scores per pillar and design area run by run, and what was fixed or introduced."),
    "questionnaire": ("aiwell.cli.questionnaire", "questionnaire_group",
                      "The Well-Architected process questions: answer them in the terminal or in a file."),
    "rules": ("aiwell.cli.rules_command", "rules_command",
              "List the rule catalog (yours too, --rules-dir), show a rule's documentation, test your rules."),
    # DuckDB, Arrow and Presidio are heavy
    "data": ("aiwell.data.cli", "data_group",
             "Data readiness: volume, types, origins, sensitive data, preparation, freshness, balance, leakage, "
             "drift."),
}
"""Commands imported only when they run: name → (module, attribute, the one-line help `aiwell --help` shows)."""


class _Commands(click.Group):
    """The `aiwell` group: the commands in `_LAZY_COMMANDS` are imported only when they are used, so neither
    `aiwell review` nor `aiwell --help` pays for numpy and scipy at start-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = _LAZY_COMMANDS.get(cmd_name)
        if lazy is not None:
            module, attribute, _ = lazy
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `aiwell --help`, without importing the lazy commands to ask for their help."""
        rows = []
        for name in self.list_commands(ctx):
            lazy = _LAZY_COMMANDS.get(name)
            if lazy is not None:
                rows.append((name, lazy[2]))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="aiwell")
@click.option(DEBUG_FLAG, is_flag=True, help="Show tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """Review AI workloads on Azure against the Well-Architected Framework, offline."""


_HISTORY_DEFAULT = "\0default"
"""`--history` given without a file: `.aiwell/history.db` at the root of the reviewed repository."""


@cli.command()
@review_options
@click.option("-f", "--format", "output_format", type=click.Choice(FORMATS), default="terminal",
              show_default=True, help="Report format of the output on standard output (or of -o PATH).")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FORMAT[=PATH]",
              help="A report to write (repeatable): -o sarif=out.sarif -o html=report.html -o terminal. A format "
                   "alone goes to standard output; a path alone gets the -f format. Formats: "
                   + ", ".join(FORMATS) + ".")
@click.option("--fail-on", type=click.Choice(["high", "medium", "low", "none"]), default=None,
              help="Exit 1 when a failure at or above this severity is found ('none': never). Default: high.")
@click.option("--allow-unknown", is_flag=True, default=None,
              help="Let results that could not be decided (unknown: a value unresolved in the template or absent "
                   "from the export) pass the gate; by default one at or above --fail-on fails it as a failure "
                   "does.")
@click.option("--allow-nothing-checked", is_flag=True, default=None,
              help="Let a review in which no rule run applies to any resource pass the gate; by default it exits 1, "
                   "since its lack of findings proves nothing (a --rule or --pillar that matches nothing, "
                   "resource types no rule covers).")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Findings baseline (aiwell baseline write): only failures not in it gate.")
@click.option("--history", is_flag=False, flag_value=_HISTORY_DEFAULT, default=None, metavar="[FILE]",
              help="Record this run in a SQLite history (default .aiwell/history.db in the repository); the HTML "
                   "report draws the trend. Write --history=FILE before the paths, or --history last.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print failures only, one line each: file:line: ID message.")
@click.option("-v", "--verbose", is_flag=True, help="List passing results too (terminal format).")
@click.option("--sizing", "sizing_plan", type=click.Path(path_type=Path, dir_okay=False), metavar="PLAN",
              help="Compare the deployed capacity with a sizing plan (SIZ rules): the plan's YAML, or its answer "
                   "from `aiwell size plan PLAN --format json`.")
@well_architected_options
def review(output_format: str, outputs: tuple[str, ...], fail_on: str | None, allow_unknown: bool | None,
           allow_nothing_checked: bool | None, baseline: Path | None, history: str | None, quiet: bool, verbose: bool,
           answers_path: Path | None, evidence_files: tuple[Path, ...], workload_purpose: str | None,
           allow_unanswered: bool, rules_dirs: tuple[Path, ...], top_actions: int | None, sizing_plan: Path | None,
           **flags: Any) -> None:
    """Review the infrastructure-as-code and inventory exports in PATHS (files or directories): ARM templates with
    parameter files, Bicep with .bicepparam files, Terraform modules and plan JSON, Resource Graph and
    `az resource list` exports. Settings come from aiwell.toml or [tool.aiwell] in pyproject.toml, then AIWELL_*
    variables, then these options (`aiwell config` shows them)."""
    with _collector_paused():  # from the start: loading the engine and the catalog builds long-lived objects too
        from aiwell.cli.outputs import RenderOptions, parse_outputs, write_outputs
        from aiwell.cli.review_options import input_paths, plan_review, review_keywords, run_review

        history_file = _history_file(history, flags["paths"])
        plan = plan_review({**flags, "rules_dirs": rules_dirs}, extra_flags={
            "fail_on": ("--fail-on", fail_on),
            "allow_unknown": ("--allow-unknown", allow_unknown),
            "allow_nothing_checked": ("--allow-nothing-checked", allow_nothing_checked),
            "baseline": ("--baseline", baseline),
            "history": ("--history", history_file),
            "outputs": ("-o", list(outputs) or None),
        })
        well_architected = review_keywords(answers_path=answers_path, evidence_files=evidence_files,
                                           environment=flags.get("environment"), workload_purpose=workload_purpose,
                                           rules_dirs=rules_dirs, top_actions=top_actions, rule_ids=(),
                                           config=plan.config)
        # The rules come from the plan's selection (the catalog and the team's own rules, `--rules-dir`).
        for chosen_elsewhere in ("rules", "custom_rules"):
            well_architected.pop(chosen_elsewhere)
        plan.options.update(well_architected)
        if sizing_plan is not None:
            from aiwell.cli.sizing_plan import read_sizing_plan

            plan.options["sizing"] = read_sizing_plan(sizing_plan)
        given = [*plan.paths, *plan.parameter_files, *plan.options["var_files"]]
        chosen = parse_outputs(plan.config["outputs"], output_format)
        for output in chosen:
            if output.path is not None:
                _refuse_to_overwrite(output.path, given)
        report = run_review(plan)
        for output in chosen:
            if output.path is not None:
                _refuse_to_overwrite(output.path, input_paths(report))
        trend: list[tuple[str, dict[str, float | None]]] = []
        if plan.config["history"] is not None:
            from aiwell.history import record_run, trend_points

            record_run(plan.config["history"], report)
            trend = trend_points(plan.config["history"])
        options = RenderOptions(fail_on=plan.fail_on, allow_unknown=bool(plan.config["allow_unknown"]),
                                allow_unanswered=allow_unanswered,
                                allow_nothing_checked=bool(plan.config["allow_nothing_checked"]), verbose=verbose,
                                quiet=quiet, baseline_used=plan.baseline is not None, trend=trend)
        write_outputs(chosen, report, options)
        code = options.exit_code(report)
    _exit(code)


def _exit(code: int) -> NoReturn:
    """Exit with `code`. When the process ends with the command (`_ending.process`), it ends right here, its output
    flushed: freeing the objects a review built one by one is all the interpreter's exit would still do (0.06 s of
    a 5,000-resource template's review); a review leaves no exit handler, thread or finalizer to run."""
    if _ending.process:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)  # the interpreter reports a stream it can't write, as it always does
        os._exit(code)
    sys.exit(code)


REVIEW_GC_THRESHOLDS = (100_000, 50, 100_000)
"""The cyclic collector's thresholds while a review runs: young collections every 100,000 allocations (not 700),
and practically no full ones."""


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold back the cyclic garbage collector's full passes while a review runs and its reports are written.

    A large review builds millions of long-lived objects (resources, results, report rows) that hold no cycles:
    reference counting frees them, and the collector's full passes over them, which grow with their number,
    cost a third of the CPU of a 50,000-resource review while finding nothing to free. Young collections still
    run, less often: evaluating templates leaves short-lived cycles, and switching the collector off altogether
    raised the peak memory of a review of the benchmark corpus from 309 MB to 396 MB for 5% less CPU. The usual
    thresholds come back once the review is done, except when the process ends with it (`_ending.process`): then
    the collector is switched off instead, since giving the thresholds back starts a pass over everything the
    review built, and the interpreter's exit another full one, neither with anything to free (0.06 s of a
    5,000-resource template's review)."""
    if not gc.isenabled():
        yield
        return
    before = gc.get_threshold()
    gc.set_threshold(*REVIEW_GC_THRESHOLDS)
    try:
        yield
    finally:
        if _ending.process:
            gc.disable()
        else:
            gc.set_threshold(*before)


class _ending:  # noqa: N801 - a namespace for one flag
    process = False
    """Set by `main()` run as the `aiwell` command (no `argv`): the process ends when the command does."""


def _history_file(history: str | None, paths: Sequence[Path]) -> Path | None:
    """The history file `--history` names: its value, or the default one at the reviewed repository's root."""
    if history is None:
        return None
    if history != _HISTORY_DEFAULT:
        if Path(history).is_dir():
            raise UsageError(f"--history {history}: a folder, not a history file",
                             hint="write --history=FILE, or put --history after the paths")
        return Path(history)
    from aiwell.cli.review_options import shown_path
    from aiwell.history import DEFAULT_FILE
    from aiwell.loaders.files import containment_root

    return shown_path(containment_root(paths[0] if paths else Path()) / DEFAULT_FILE)


def _refuse_to_overwrite(output: Path, inputs: Iterable[Path]) -> None:
    """Raise `UsageError` when the report file `output` is one of the `inputs` (the same file, links followed)."""
    from aiwell.loaders.files import resolved

    target = resolved(output)
    if target is None:
        return
    for path in inputs:
        if resolved(path) == target and not path.is_dir():
            raise UsageError(f"--output {output} is one of the inputs ({path}); refusing to overwrite it",
                             hint="write the report to another file")




def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `aiwell` console script (`argv` None: the command line, and the process ends after)."""
    _ending.process = argv is None
    run_group(cli, argv, prog_name="aiwell")


__all__ = ["cli", "main"]
