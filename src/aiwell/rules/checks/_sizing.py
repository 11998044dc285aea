"""Matching a resource to the sizing plan's targets (`--sizing PLAN`), shared by the SIZ rules.

A target names the resource it sizes by type and by the name the IaC gives it (a model deployment's own name,
not its account's). A target without a name is matched only when the review holds exactly one resource of its
type, so a target is never pinned on a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from msgspec import Struct

from aiwell.graph import ResourceGraph
from aiwell.model import InputRecord, InputStatus, Resource, Status, Unresolved
from aiwell.model.sizing import SIZING_PLAN_FORMAT, SizingPlan, SizingTarget


class Match(Struct, frozen=True):
    """The plan's target for one resource, or why there is none (`verdict` is then the rule's answer)."""

    target: SizingTarget | None
    verdict: tuple[Status, str] | None = None


def own_name(resource: Resource) -> str | Unresolved:
    """The last segment of the resource's name: a deployment's own name (`chat` of `account/chat`)."""
    if isinstance(resource.name, Unresolved):
        return resource.name
    return str(resource.name).rsplit("/", 1)[-1]


def _names(target: SizingTarget, name: str | Unresolved) -> bool:
    """Whether `target` names the resource whose own name is `name` (case-insensitively, as Azure compares)."""
    return target.name is not None and isinstance(name, str) and name.lower() == target.name.lower()


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
            if _names(target, name):
                return Match(target)
    unnamed = [target for target in of_type if target.name is None]
    if unnamed and len(graph.of_type(resource.type)) == 1:
        return Match(unnamed[0])
    return Match(None, (Status.NOT_APPLICABLE, "no item of the sizing plan names this resource"))


def plan_records(plan: SizingPlan, resources: Sequence[Resource]) -> list[InputRecord]:
    """The plan as inputs of the review: one analysed record for the targets that found their resource, and one
    record not analysed for each target that none of the reviewed resources is (a typo in the plan's
    `azure_deployment`, or a deployment the IaC does not hold), so a plan is never half-compared in silence.
    Matching is `target_for`'s seen from the target: by type and own name, an unnamed target only when its
    type has one resource; an unresolved name matches nothing."""
    by_type: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        by_type[resource.type_lower].append(resource)
    matched: set[int] = set()
    not_compared: list[InputRecord] = []
    for target in plan.targets:
        of_type = by_type.get(target.type_lower, [])
        if target.name is None:
            found = of_type if len(of_type) == 1 else []
        else:
            found = [resource for resource in of_type if _names(target, own_name(resource))]
        if found:
            matched.update(id(resource) for resource in found)
            continue
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
        not_compared.append(InputRecord(path=plan.path, format=SIZING_PLAN_FORMAT, status=InputStatus.NOT_ANALYSED,
                                        address=target.workload, reason=f"{target.label} was not compared: {reason}"))
    return [InputRecord(path=plan.path, format=SIZING_PLAN_FORMAT, status=InputStatus.ANALYSED,
                        resources=len(matched)), *not_compared]
