"""The review pipeline: inputs → loaders → resource model → graph → rules → report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from aiwell.graph import ResourceGraph
from aiwell.loaders import load_inputs
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.model import InputRecord, InputStatus, Pillar, Resource, Unresolved
from aiwell.model.sizing import SizingPlan
from aiwell.report import Report, build_report
from aiwell.rules import Rule, load_registry, run_rules
from aiwell.rules.checks._sizing import resource_target_pairs

SIZING_PLAN_FORMAT = "sizing-plan"


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
    pillars: Sequence[Pillar] | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    sizing: SizingPlan | None = None,
) -> Report:
    """Review the given files and directories and return the report.

    `rules` defaults to the whole catalog. `var_files` and `variables` are Terraform's `-var-file` and
    `-var`; `use_bicep_cli` builds Bicep with the `bicep` CLI, each build limited to `subprocess_timeout`
    seconds (None: the default of `--subprocess-timeout`). `pillars` limits the review to those pillars: only
    their rules run, and the report shows only their sections and scores. `on_stage` is told when each stage
    starts and `on_progress` (done, total) as the inputs of a stage are read and evaluated. `sizing` is the plan
    the SIZ rules compare the deployed capacity with; the plan is an input of the report, and each of its targets
    that no reviewed resource matches is an input not analysed.
    """
    announce = on_stage or (lambda _stage: None)
    announce("Reading inputs")
    outcome = load_inputs(paths, parameter_files=parameter_files, context=context, var_files=var_files,
                          variables=variables, use_bicep_cli=use_bicep_cli,
                          subprocess_timeout=subprocess_timeout, progress=on_progress)
    announce("Building the resource graph")
    graph = ResourceGraph(outcome.resources, sizing=sizing)
    selected = list(rules) if rules is not None else load_registry().runnable
    if pillars:
        selected = [rule for rule in selected if any(pillar in pillars for pillar in rule.info.pillars)]
    announce("Running rules")
    results = run_rules(outcome.resources, graph, selected)
    inputs = [*outcome.inputs, *(sizing_records(sizing, outcome.resources) if sizing is not None else ())]
    return build_report(inputs, outcome.resources, results, pillars=pillars)


def sizing_records(plan: SizingPlan, resources: Sequence[Resource]) -> list[InputRecord]:
    """The plan as inputs of the review: one analysed record for the targets that found their resource, and one
    record not analysed for each target that none of the reviewed resources is (a typo in the plan's
    `azure_deployment`, or a deployment the IaC does not hold), so a plan is never half-compared in silence."""
    pairs = resource_target_pairs(list(resources), plan.targets)
    matched = {id(resource) for found in pairs.values() for resource in found}
    records = [InputRecord(path=plan.path, format=SIZING_PLAN_FORMAT, status=InputStatus.ANALYSED,
                           resources=len(matched))]
    for target, found in pairs.items():
        if found:
            continue
        of_type = [resource for resource in resources if resource.type_lower == target.type_lower]
        key = "azure_resource" if target.regime == "rag" else "azure_deployment"
        if target.name is not None:
            unnamed = sum(1 for resource in of_type if isinstance(resource.name, Unresolved))
            reason = f"no reviewed {target.resource_type} is named {target.name!r}"
            if unnamed:
                reason += f" ({unnamed} of that type have names that can't be resolved)"
        elif of_type:
            reason = (f"the plan names no resource ({key}) and the review holds {len(of_type)} "
                      f"{target.resource_type}: name the one it sizes")
        else:
            reason = f"the review holds no {target.resource_type}"
        records.append(InputRecord(path=plan.path, format=SIZING_PLAN_FORMAT, status=InputStatus.NOT_ANALYSED,
                                   address=target.workload, reason=f"{target.label} was not compared: {reason}"))
    return records


__all__ = ["review"]
