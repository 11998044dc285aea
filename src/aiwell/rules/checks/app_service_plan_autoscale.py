"""APP028: a production App Service plan that neither autoscales nor scales automatically."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.checks._switches import display_name, switched_on, unseen_relatives
from aiwell.rules.declarative import describe_unresolved, values_equal

AUTOSCALE = "Microsoft.Insights/autoscalesettings"
TARGET = "properties.targetResourceUri"


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
    disabled: list[str] = []
    for setting in graph.referrers(resource, AUTOSCALE, TARGET):
        on = switched_on(lookup(setting.properties, "enabled") if setting.properties is not MISSING else MISSING)
        if isinstance(on, Unresolved):
            doubts.append(f"whether autoscale setting {display_name(setting)} is enabled can't be resolved "
                          f"({describe_unresolved(on)})")
        elif on:
            return Status.PASS, f"autoscale setting {display_name(setting)} scales it"
        else:
            disabled.append(display_name(setting))
    unresolved = graph.unresolved_referrers(AUTOSCALE, TARGET)
    if unresolved:
        doubts.append(f"autoscale setting {display_name(unresolved[0])} has a target that can't be resolved")
    doubts += unseen_relatives(resource)
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    hint = " (a Basic plan scales only by hand: autoscale needs Standard or above)" if _basic_tier(resource) else ""
    if disabled:
        return Status.FAIL, f"its autoscale setting {', '.join(disabled)} is disabled{hint}"
    return Status.FAIL, ("no autoscale setting targets it and automatic scaling is off: it runs a fixed number of "
                         f"instances whatever the load{hint}")
