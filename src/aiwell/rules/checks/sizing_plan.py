"""SIZ001-SIZ004: the deployed capacity against the sizing plan given with `--sizing PLAN` (docs/size.md §4).

Each rule answers only for a resource the plan sizes (see `_sizing.target_for`); without a plan every SIZ rule is
not applicable.
"""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved
from aiwell.model.sizing import CapacityRange, SizingTarget
from aiwell.rules.base import implements
from aiwell.rules.checks._sizing import target_for
from aiwell.rules.declarative import describe_unresolved, show

SEARCH_TIERS = ("free", "basic", "standard", "standard2", "standard3")
"""AI Search tiers of one family, smallest first; the storage-optimized tiers (L1, L2) are compared only with
themselves, as they trade query capacity for storage."""


def _range(need: CapacityRange) -> str:
    return f"p10 {need.p10:g}, p50 {need.p50:g}, p90 {need.p90:g} PTU"


def _ptu_capacity(resource: Resource, target: SizingTarget) -> tuple[float | None, tuple[Status, str] | None]:
    """The deployment's PTUs, or the verdict when they can't be compared with the plan."""
    sku = resource.get("sku.name")
    if isinstance(sku, Unresolved):
        return None, (Status.UNKNOWN, f"sku.name is unresolved ({describe_unresolved(sku)})")
    if target.sku is not None and (not isinstance(sku, str) or sku.lower() != target.sku.lower()):
        return None, (Status.FAIL, f"{target.label} sizes a {target.sku} deployment; this one is "
                                   f"{show(sku) if isinstance(sku, str) else 'without sku.name'}")
    capacity = resource.get("sku.capacity")
    if isinstance(capacity, Unresolved):
        return None, (Status.UNKNOWN, f"sku.capacity is unresolved ({describe_unresolved(capacity)})")
    if isinstance(capacity, bool) or not isinstance(capacity, int | float):
        return None, (Status.UNKNOWN, "sku.capacity is not set, so its PTUs can't be compared with the plan")
    return float(capacity), None


@implements("SIZ001")
def provisioned_capacity_below_plan(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """SIZ001: fail when the deployment's type differs from the plan's or its PTUs are below the plan's p10."""
    match = target_for(resource, graph)
    if match.target is None or match.target.capacity is None:
        return match.verdict or (Status.NOT_APPLICABLE, "the plan gives no PTU need")
    target, need = match.target, match.target.capacity
    capacity, verdict = _ptu_capacity(resource, target)
    if verdict is not None or capacity is None:
        return verdict or (Status.UNKNOWN, "sku.capacity can't be read")
    if capacity < need.p10:
        return Status.FAIL, (f"{capacity:g} PTU is below what {target.label} needs ({_range(need)}): requests "
                             f"above it at the planned peak are refused with HTTP 429")
    return Status.PASS, f"{capacity:g} PTU covers {target.label} ({_range(need)})"


@implements("SIZ002")
def provisioned_capacity_above_plan(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """SIZ002: fail when the deployment's PTUs exceed the plan's p90 (paying for idle throughput)."""
    match = target_for(resource, graph)
    if match.target is None or match.target.capacity is None:
        return match.verdict or (Status.NOT_APPLICABLE, "the plan gives no PTU need")
    target, need = match.target, match.target.capacity
    capacity, verdict = _ptu_capacity(resource, target)
    if verdict is not None and verdict[0] is Status.FAIL:
        return Status.NOT_APPLICABLE, f"its type differs from the plan's (SIZ001): {verdict[1]}"
    if verdict is not None or capacity is None:
        return verdict or (Status.UNKNOWN, "sku.capacity can't be read")
    if capacity > need.p90:
        return Status.FAIL, (f"{capacity:g} PTU is more than {target.label} needs even at its p90 "
                             f"({_range(need)}): the difference is paid for and idle")
    return Status.PASS, f"{capacity:g} PTU is within what {target.label} needs ({_range(need)})"


def _count(resource: Resource, path: str) -> int | Unresolved | None:
    """A count property; absent means Azure's default of 1."""
    value = resource.get(path)
    if value is MISSING:
        return 1
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _tier_short(tier: str, needed: str) -> bool | None:
    """Whether `tier` is smaller than `needed`; None when they are of different families."""
    if tier in SEARCH_TIERS and needed in SEARCH_TIERS:
        return SEARCH_TIERS.index(tier) < SEARCH_TIERS.index(needed)
    if tier == needed:
        return False
    return None


@implements("SIZ003")
def search_service_below_plan(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """SIZ003: fail when the search service's tier, partitions or replicas are below the plan's."""
    match = target_for(resource, graph)
    target = match.target
    if target is None or target.partitions is None or target.replicas is None:
        return match.verdict or (Status.NOT_APPLICABLE, "the plan gives no index size")
    needs = (("properties.partitionCount", target.partitions, "partitions"),
             ("properties.replicaCount", target.replicas, "replicas"))
    sku = resource.get("sku.name")
    if isinstance(sku, Unresolved):
        return Status.UNKNOWN, f"sku.name is unresolved ({describe_unresolved(sku)})"
    short: list[str] = []
    if target.sku is not None:
        tier = sku.lower() if isinstance(sku, str) else ""
        smaller = _tier_short(tier, target.sku.lower())
        if smaller is None:
            return Status.FAIL, (f"{target.label} needs the {target.sku} tier; {show(sku) if tier else 'no tier'} "
                                 "is not of that family")
        if smaller:
            short.append(f"tier {show(sku)} is below {target.sku}")
    for path, needed, noun in needs:
        count = _count(resource, path)
        if isinstance(count, Unresolved):
            return Status.UNKNOWN, f"{path} is unresolved ({describe_unresolved(count)})"
        if count is None:
            return Status.UNKNOWN, f"{path} is not a whole number"
        if count < needed:
            short.append(f"{count} {noun} where {needed} are needed")
    if short:
        return Status.FAIL, f"{'; '.join(short)} for {target.label}"
    return Status.PASS, (f"tier, {target.partitions} partition(s) and {target.replicas} replica(s) cover "
                         f"{target.label}")


@implements("SIZ004")
def online_deployment_vm_not_in_plan(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """SIZ004: fail when the online deployment's VM size is not one the plan found to fit the model and load."""
    match = target_for(resource, graph)
    if match.target is None or not match.target.vm_sizes:
        return match.verdict or (Status.NOT_APPLICABLE, "the plan gives no VM sizes")
    target = match.target
    instance = resource.get("properties.instanceType")
    if isinstance(instance, Unresolved):
        return Status.UNKNOWN, f"properties.instanceType is unresolved ({describe_unresolved(instance)})"
    if not isinstance(instance, str) or not instance.strip():
        return Status.UNKNOWN, "properties.instanceType is not set, so the VM size can't be compared with the plan"
    fitting = {size.lower() for size in target.vm_sizes}
    if instance.strip().lower() not in fitting:
        return Status.FAIL, (f"VM size {show(instance)} is not one that {target.label} found to fit "
                             f"({', '.join(target.vm_sizes)})")
    return Status.PASS, f"VM size {show(instance)} fits {target.label}"
