"""The review pipeline: inputs → loaders → resource model → graph → rules → report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from aiwell.graph import ResourceGraph
from aiwell.loaders import load_inputs
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.bicep.cli_build import BUILD_TIMEOUT_SECONDS
from aiwell.report import Report, build_report
from aiwell.rules import Rule, load_registry, run_rules


def review(
    paths: Sequence[Path],
    *,
    parameter_files: Sequence[Path] = (),
    context: DeploymentContext | None = None,
    rules: Sequence[Rule] | None = None,
    var_files: Sequence[Path] = (),
    variables: Mapping[str, str] | None = None,
    use_bicep_cli: bool = False,
    subprocess_timeout: float = BUILD_TIMEOUT_SECONDS,
    on_stage: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Review the given files and directories and return the report.

    `rules` defaults to the whole catalog. `var_files` and `variables` are Terraform's `-var-file` and
    `-var`; `use_bicep_cli` builds Bicep with the `bicep` CLI, each build limited to `subprocess_timeout`
    seconds. `on_stage` is told when each stage starts and
    `on_progress` (done, total) as the inputs of a stage are read and evaluated.
    """
    announce = on_stage or (lambda _stage: None)
    announce("Reading inputs")
    outcome = load_inputs(paths, parameter_files=parameter_files, context=context, var_files=var_files,
                          variables=variables, use_bicep_cli=use_bicep_cli,
                          subprocess_timeout=subprocess_timeout, progress=on_progress)
    announce("Building the resource graph")
    graph = ResourceGraph(outcome.resources)
    selected = list(rules) if rules is not None else load_registry().runnable
    announce("Running rules")
    results = run_rules(outcome.resources, graph, selected)
    return build_report(outcome.inputs, outcome.resources, results)


__all__ = ["review"]
