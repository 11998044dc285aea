"""Matching a resource to the sizing plan's targets (`--sizing PLAN`), shared by the SIZ rules.

A target names the resource it sizes by type and by the name the IaC gives it (a model deployment's own name,
not its account's). A target without a name is matched only when the review holds exactly one resource of its
type, so a target is never pinned on a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiwell.graph import ResourceGraph
from aiwell.model import InputRecord, InputStatus, Resource, Status, Unresolved
from aiwell.model.sizing import SIZING_PLAN_FORMAT, SizingPlan, SizingTarget


@dataclass(frozen=True, slots=True)
class Match:
    """The plan's target for one resource, or why there is none (`verdict` is then the rule's answer)."""

    target: SizingTarget | None
    verdict: tuple[Status, str] | None = None


def own_name(resource: Resource) -> str | Unresolved:
    """The last segment of the resource's name: a deployment's own name (`chat` of `account/chat`)."""
    if isinstance(resource.name, Unresolved):
        return resource.name
    return str(resource.name).rsplit("/", 1)[-1]


def target_for(resource: Resource, graph: ResourceGraph) -> Match:
    """The plan target that sizes `resource`; without one, the verdict to give (not applicable, or unknown when
    the resource's name can't be resolved and a target of its type names a resource)."""
    plan = graph.sizing
    if plan is None:
        return Match(None, (Status.NOT_APPLICABLE, "no sizing plan given (--sizing PLAN)"))
    of_type = [target for target in plan.targets if target.type_lower == resource.type_lower]
    if not of_type:
        return Match(None, (Status.NOT_APPLICABLE, "the sizing plan sizes no resource of this type"))
    name = own_name(resource)
    named = [target for target in of_type if target.name is not None]
    if isinstance(name, Unresolved):
        if named:
            which = f"whether {named[0].label} sizes" if len(named) == 1 else \
                f"which of {len(named)} plan items ({', '.join(target.label for target in named)}) sizes"
            return Match(None, (Status.UNKNOWN, f"can't tell {which} this resource: its name is unresolved "
                                                f"({name.expression})"))
    else:
        for target in named:
            if target.name is not None and target.name.lower() == name.lower():
                return Match(target)
    unnamed = [target for target in of_type if target.name is None]
    if unnamed and len(graph.of_type(resource.type)) == 1:
        return Match(unnamed[0])
    return Match(None, (Status.NOT_APPLICABLE, "no item of the sizing plan names this resource"))


def resource_target_pairs(resources: list[Resource], targets: tuple[SizingTarget, ...]
                          ) -> dict[SizingTarget, list[Resource]]:
    """For each target, the resources it could size by type and name (unresolved names match nothing)."""
    found: dict[SizingTarget, list[Resource]] = {}
    for target in targets:
        of_type = [resource for resource in resources if resource.type_lower == target.type_lower]
        if target.name is None:
            found[target] = of_type if len(of_type) == 1 else []
            continue
        found[target] = [resource for resource in of_type
                         if isinstance(name := own_name(resource), str) and name.lower() == target.name.lower()]
    return found


def plan_records(plan: SizingPlan, resources: Sequence[Resource]) -> list[InputRecord]:
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
