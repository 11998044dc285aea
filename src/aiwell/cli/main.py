"""`aiwell` commands. Every command maps errors to the exit codes of DESIGN.md §1.6:
0 clean, 1 findings at or above `--fail-on`, 2 usage or configuration error, 3 internal error (a bug)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aiwell import __version__
from aiwell.cli.runner import DEBUG_FLAG, open_output, run_group, stderr_console, write_output
from aiwell.errors import UsageError
from aiwell.model import Pillar, Severity


class _Commands(click.Group):
    """The `aiwell` group: `eval`, `size` and `data` are imported only when they are used, so `aiwell review`
    doesn't pay for numpy, scipy or DuckDB at start-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "eval", "size", "data"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "eval":
            from aiwell.eval.cli import eval_group

            return eval_group
        # size: capacity planning (aiwell.sizing), registered lazily like eval
        if cmd_name == "size":
            from aiwell.sizing.cli import size_group

            return size_group
        # data: data readiness (aiwell.data), registered lazily like eval (DuckDB, Arrow and Presidio are heavy)
        if cmd_name == "data":
            from aiwell.data.cli import data_group

            return data_group
        return super().get_command(ctx, cmd_name)


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
              help="Run only the rules of these pillars (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="List passing results too (terminal format).")
@click.option("--subscription-id", help="Subscription id used for resource ids (default: a placeholder).")
@click.option("--resource-group", help="Resource group name used for resource ids (default: a placeholder).")
@click.option("--location", help="Value of resourceGroup().location (default: a placeholder region).")
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
) -> None:
    """Review the infrastructure-as-code and inventory exports in PATHS (files or directories): ARM templates with
    parameter files, Bicep with .bicepparam files, Terraform modules and plan JSON, Resource Graph and
    `az resource list` exports."""
    from aiwell.loaders.arm.scope import DeploymentContext
    from aiwell.report import exit_code
    from aiwell.reporters import render_json, render_terminal
    from aiwell.review import review as run_review

    for path in (*paths, *parameter_files, *var_files):
        if not path.exists():
            raise UsageError(f"no such file or directory: {path}")
    terraform_variables = _parse_variables(variables)
    rules = _select_rules(rule_ids, pillars)
    overrides: dict[str, Any] = {}
    if subscription_id:
        overrides["subscription_id"] = subscription_id
    if resource_group:
        overrides["resource_group"] = resource_group
    if location:
        overrides["location"] = location
    context = DeploymentContext(**overrides)

    err = stderr_console()
    options: dict[str, Any] = {"parameter_files": parameter_files, "context": context, "rules": rules,
                               "var_files": var_files, "variables": terraform_variables, "use_bicep_cli": bicep_cli}
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
    if output_format == "json":
        write_output(output, render_json(report) + "\n")
    elif output is not None:
        with open_output(output) as handle:
            render_terminal(report, Console(file=handle, width=100, color_system=None, soft_wrap=False),
                            verbose=verbose)
    else:
        render_terminal(report, Console(), verbose=verbose)
    if output is not None:
        err.print(f"Report written to {output}")
    threshold = None if fail_on == "none" else Severity(fail_on)
    sys.exit(exit_code(report, threshold))


def _parse_variables(assignments: Sequence[str]) -> dict[str, str]:
    """`--var NAME=VALUE` options as a mapping; the value is read as Terraform reads -var values."""
    parsed: dict[str, str] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"--var {assignment!r}: expected NAME=VALUE")
        parsed[name.strip()] = value
    return parsed


def _select_rules(rule_ids: Sequence[str], pillars: Sequence[str]) -> list[Any] | None:
    from aiwell.rules import load_registry

    if not rule_ids and not pillars:
        return None
    registry = load_registry()
    chosen = []
    for wanted in rule_ids:
        found = registry.get(wanted)
        if found is None:
            raise UsageError(f"unknown rule: {wanted}", hint="`aiwell rules` lists the catalog.")
        chosen.append(found)
    if not chosen:
        chosen = list(registry.runnable)
    if pillars:
        chosen = [r for r in chosen if any(p.value in pillars for p in r.info.pillars)]
    return chosen


@cli.command(name="rules")
@click.argument("rule_id", required=False)
@click.option("--pillar", "pillars", multiple=True, type=click.Choice([p.value for p in Pillar]),
              help="Only rules of these pillars.")
@click.option("--service", "services", multiple=True, metavar="PREFIX",
              help="Only rules of these services, by id prefix (AIS, AID, MLW, SRC, ...).")
@click.option("--severity", "severities", multiple=True, type=click.Choice([s.value for s in Severity]),
              help="Only rules of these severities.")
@click.option("-f", "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def rules_command(rule_id: str | None, pillars: tuple[str, ...], services: tuple[str, ...],
                  severities: tuple[str, ...], output_format: str) -> None:
    """List the rule catalog, or show one rule's documentation (RULE_ID: id or name)."""
    from aiwell.cli import rules_view
    from aiwell.rules import load_registry

    registry = load_registry()
    console = Console()
    if rule_id is not None:
        found = registry.get(rule_id)
        if found is None:
            raise UsageError(f"unknown rule: {rule_id}", hint="`aiwell rules` lists the catalog.")
        if output_format == "json":
            write_output(None, rules_view.rule_json(found) + "\n")
        else:
            rules_view.show_rule(found, console)
        return
    selected = registry.select(
        pillars=[Pillar(p) for p in pillars] or None,
        services=[s.upper() for s in services] or None,
        severities=[Severity(s) for s in severities] or None,
    )
    if output_format == "json":
        write_output(None, rules_view.catalog_json(selected) + "\n")
    else:
        rules_view.show_catalog(selected, console)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `aiwell` console script."""
    run_group(cli, argv, prog_name="aiwell")


__all__ = ["cli", "main"]
