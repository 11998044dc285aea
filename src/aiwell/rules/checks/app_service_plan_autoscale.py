"""APP028: a production App Service plan that neither autoscales nor scales automatically."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.checks._autoscale import autoscale_of
from aiwell.rules.checks._switches import unseen_relatives
from aiwell.rules.declarative import describe_unresolved, values_equal


def _basic_tier(plan: Resource) -> bool:
    tier, name = plan.get("sku.tier"), plan.get("sku.name")
    return (isinstance(tier, str) and values_equal(tier, "Basic")) or (
        isinstance(name, str) and len(name) == 2 and name[0] in "Bb" and name[1].isdigit())


@implements("APP028")
def plan_without_autoscale(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the plan has automatic scaling on (`elasticScaleEnabled`) or an enabled autoscale setting targets
    it."""
    doubts: list[str] = []
    elastic = resource.get("properties.elasticScaleEnabled")
    if isinstance(elastic, Unresolved):
        doubts.append(f"properties.elasticScaleEnabled is unresolved ({describe_unresolved(elastic)})")
    elif values_equal(elastic, True):
        most = resource.get("properties.maximumElasticWorkerCount")
        up_to = f", up to {most} instances" if isinstance(most, int) else ""
        return Status.PASS, f"automatic scaling is on (properties.elasticScaleEnabled{up_to})"
    found = autoscale_of(resource, graph)
    if found.scaling is not None:
        return Status.PASS, f"autoscale setting {found.scaling} scales it"
    doubts += found.doubts
    doubts += unseen_relatives(resource)
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    hint = " (a Basic plan scales only by hand: autoscale needs Standard or above)" if _basic_tier(resource) else ""
    if found.disabled:
        return Status.FAIL, f"its autoscale setting {', '.join(found.disabled)} is disabled{hint}"
    return Status.FAIL, ("no autoscale setting targets it and automatic scaling is off: it runs a fixed number of "
                         f"instances whatever the load{hint}")
