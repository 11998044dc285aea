"""`aiwell` commands. Every command maps errors to the exit codes of DESIGN.md §1.6:
0 clean, 1 findings at or above `--fail-on`, 2 usage or configuration error, 3 internal error (a bug)."""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aiwell import __version__
from aiwell.cli.review_options import review_keywords, review_options
from aiwell.cli.runner import DEBUG_FLAG, run_group, safe_stdout, stderr_console, write_output
from aiwell.errors import UsageError
from aiwell.model import Pillar, Severity

_LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "eval": ("aiwell.eval.cli", "eval_group",
             "Statistical testing of nondeterministic AI systems: every number comes with its uncertainty."),
    "size": ("aiwell.sizing.cli", "size_group",
             "Capacity planning: PTUs, self-hosted inference, training, RAG indexes, tabular ML."),
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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-p", "--parameters", "parameter_files", multiple=True, type=click.Path(path_type=Path),
              help="ARM parameter file to deploy the templates with (repeatable). Files beside a template named "
                   "X.parameters.json or X.parameters.<env>.json are paired automatically.")
@click.option("--var-file", "var_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Terraform variable file for every root module (repeatable), after terraform.tfvars and "
                   "*.auto.tfvars.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Terraform variable value (repeatable), as terraform's -var.")
@click.option("--bicep-cli", is_flag=True,
              help="Compile Bicep with the `bicep` CLI on PATH instead of aiwell's own Bicep reader.")
@click.option("--subprocess-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              envvar="AIWELL_SUBPROCESS_TIMEOUT",
              help="Longest time one external command may run (`bicep build` with --bicep-cli), default 300; an "
                   "input whose command runs longer is reported as not analysed.")
@click.option("-f", "--format", "output_format", type=click.Choice(["terminal", "json"]), default="terminal",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(["high", "medium", "low", "none"]), default="high", show_default=True,
              help="Exit 1 when a failure at or above this severity is found ('none': never).")
@click.option("--rule", "rule_ids", multiple=True, metavar="ID",
              help="Run only these rules (id or name; repeatable).")
@click.option("--pillar", "pillars", multiple=True, type=click.Choice([p.value for p in Pillar]),
              help="Review only these pillars (repeatable): their rules, sections and scores.")
@click.option("-v", "--verbose", is_flag=True, help="List passing results too (terminal format).")
@click.option("--subscription-id", help="Subscription id used for resource ids (default: a placeholder).")
@click.option("--resource-group", help="Resource group name used for resource ids (default: a placeholder).")
@click.option("--location", help="Value of resourceGroup().location (default: a placeholder region).")
@review_options
def review(
    paths: tuple[Path, ...],
    parameter_files: tuple[Path, ...],
    var_files: tuple[Path, ...],
    variables: tuple[str, ...],
    bicep_cli: bool,
    subprocess_timeout: float | None,
    output_format: str,
    output: Path | None,
    fail_on: str,
    rule_ids: tuple[str, ...],
    pillars: tuple[str, ...],
    verbose: bool,
    subscription_id: str | None,
    resource_group: str | None,
    location: str | None,
    **well_architected: Any,
) -> None:
    """Review the infrastructure-as-code and inventory exports in PATHS (files or directories): ARM templates with
    parameter files, Bicep with .bicepparam files, Terraform modules and plan JSON, Resource Graph and
    `az resource list` exports."""
    from aiwell.loaders.arm.scope import DeploymentContext
    from aiwell.report import exit_code
    from aiwell.reporters import render_json_bytes, render_terminal
    from aiwell.review import review as run_review

    for path in (*paths, *parameter_files, *var_files):
        if not path.exists():
            raise UsageError(f"no such file or directory: {path}")
    if output is not None:
        _refuse_to_overwrite(output, [*paths, *parameter_files, *var_files])
    terraform_variables = _parse_variables(variables)
    overrides: dict[str, Any] = {}
    if subscription_id:
        overrides["subscription_id"] = subscription_id
    if resource_group:
        overrides["resource_group"] = resource_group
    if location:
        overrides["location"] = location
    context = DeploymentContext(**overrides)

    allow_unanswered = bool(well_architected.pop("allow_unanswered"))
    err = stderr_console()
    options: dict[str, Any] = {"parameter_files": parameter_files, "context": context,
                               "var_files": var_files, "variables": terraform_variables, "use_bicep_cli": bicep_cli,
                               "pillars": [Pillar(pillar) for pillar in pillars] or None,
                               **review_keywords(rule_ids=rule_ids, **well_architected)}
    if subprocess_timeout is not None:
        options["subprocess_timeout"] = subprocess_timeout
    if err.is_terminal:
        # A bar on standard error (never on a pipe): the report on standard output stays clean.
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as progress:
            tasks = [progress.add_task("Reviewing", total=None)]

            def next_stage(stage: str) -> None:
                progress.remove_task(tasks.pop())
                tasks.append(progress.add_task(stage, total=None))

            report = run_review(paths, **options, on_stage=next_stage,
                                on_progress=lambda done, total: progress.update(tasks[-1], completed=done,
                                                                                total=total))
    else:
        report = run_review(paths, **options)

    if not report.inputs:
        raise UsageError(
            "nothing to review: found no ARM templates, Bicep files, Terraform modules or plans, or inventory "
            "exports in "
            + ", ".join(str(p) for p in paths),
            hint="aiwell reads ARM JSON templates, Bicep, Terraform (.tf and `terraform show -json` plans) and "
                 "Azure inventory exports (az graph query / az resource list -o json).",
        )
    if output is not None:
        _refuse_to_overwrite(output, [Path(name) for record in report.inputs
                                      for name in (record.path, record.parameters, *record.files) if name])
    if output_format == "json":
        write_output(output, render_json_bytes(report) + b"\n")
    elif output is not None:
        buffer = io.StringIO()
        render_terminal(report, Console(file=buffer, width=100, color_system=None, soft_wrap=False),
                        verbose=verbose)
        write_output(output, buffer.getvalue())
    else:
        render_terminal(report, Console(file=safe_stdout()), verbose=verbose)
    if output is not None:
        err.print(f"Report written to {output}", markup=False, highlight=False)
    threshold = None if fail_on == "none" else Severity(fail_on)
    sys.exit(exit_code(report, threshold, allow_unanswered=allow_unanswered))


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


def _parse_variables(assignments: Sequence[str]) -> dict[str, str]:
    """`--var NAME=VALUE` options as a mapping; the value is read as Terraform reads -var values."""
    parsed: dict[str, str] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"--var {assignment!r}: expected NAME=VALUE")
        parsed[name.strip()] = value
    return parsed


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `aiwell` console script."""
    run_group(cli, argv, prog_name="aiwell")


__all__ = ["cli", "main"]
