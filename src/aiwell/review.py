"""The review pipeline: inputs → loaders → resource model → graph → rules → suppressions and baseline → report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from aiwell.baseline import Baseline, apply_baseline, inventory_inputs
from aiwell.graph import ResourceGraph
from aiwell.loaders import load_inputs
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.model import Pillar
from aiwell.report import Report, build_report
from aiwell.rules import Rule, load_registry, run_rules
from aiwell.suppressions import Entry, apply_suppressions, declared_suppressions


def review(
    paths: Sequence[Path],
    *,
    parameter_files: Sequence[Path] = (),
    context: DeploymentContext | None = None,
    rules: Sequence[Rule] | None = None,
    var_files: Sequence[Path] = (),
    variables: Mapping[str, str] | None = None,
    use_bicep_cli: bool = False,
    subprocess_timeout: float | None = None,
    skip_paths: Sequence[str] = (),
    pillars: Sequence[Pillar] | None = None,
    suppress: bool = True,
    suppressions: Sequence[Entry] = (),
    baseline: Baseline | None = None,
    rule_set: str = "latest",
    environment: str | None = None,
    warnings: Sequence[str] = (),
    on_stage: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Review the given files and directories and return the report.

    `rules` defaults to the whole catalog. `var_files` and `variables` are Terraform's `-var-file` and
    `-var`; `use_bicep_cli` builds Bicep with the `bicep` CLI, each build limited to `subprocess_timeout`
    seconds (None: the default of `--subprocess-timeout`); `skip_paths` are globs the walk of a folder leaves out
    (`aiwell.loaders.skip`). `pillars` limits the review to those pillars: only their rules run, and the report
    shows only their sections and scores.

    Governance (aiwell.suppressions, aiwell.baseline): with `suppress`, the inline comments and ARM metadata of the
    inputs and the `suppressions` file entries mark the results they cover; `baseline` marks the failures it
    records. `rule_set`, `environment` and `warnings` (from the configuration and rule selection) are carried into
    the report. `on_stage` is told when each stage starts and `on_progress` (done, total) as the inputs of a stage
    are read and evaluated.
    """
    announce = on_stage or (lambda _stage: None)
    announce("Reading inputs")
    outcome = load_inputs(paths, parameter_files=parameter_files, context=context, var_files=var_files,
                          variables=variables, use_bicep_cli=use_bicep_cli,
                          subprocess_timeout=subprocess_timeout, progress=on_progress, skip_paths=skip_paths)
    announce("Building the resource graph")
    graph = ResourceGraph(outcome.resources)
    registry = load_registry()
    selected = list(rules) if rules is not None else registry.runnable
    if pillars:
        selected = [rule for rule in selected if any(pillar in pillars for pillar in rule.info.pillars)]
    announce("Running rules")
    results = run_rules(outcome.resources, graph, selected)
    notes = list(warnings)
    if suppress:
        aliases = {rule.id: rule.aliases for rule in selected if rule.aliases}
        results, found = apply_suppressions(results, outcome.resources, file_entries=suppressions,
                                            declared=declared_suppressions(outcome.resources), aliases=aliases)
        notes += found
    if baseline is not None:
        results, found = apply_baseline(results, baseline, inventories=inventory_inputs(outcome.inputs))
        notes += found
    documented = [*selected, *(rule for rule in registry.rules if rule.kind == "reserved")]
    return build_report(outcome.inputs, outcome.resources, results, pillars=pillars, rules=documented,
                        warnings=notes, rule_set=rule_set, environment=environment)


__all__ = ["review"]
