"""Machine Learning online deployments without an autoscale setting (MLE005)."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.checks._switches import display_name, switched_on, unseen_relatives
from aiwell.rules.declarative import describe_unresolved

AUTOSCALE = "Microsoft.Insights/autoscalesettings"
TARGET = "properties.targetResourceUri"


@implements("MLE005")
def online_deployment_without_autoscale(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when an enabled autoscale setting targets the deployment (`enabled` absent is on)."""
    doubts: list[str] = []
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
    if disabled:
        return Status.FAIL, f"its autoscale setting {', '.join(disabled)} is disabled"
    return Status.FAIL, "no autoscale setting targets it: it runs a fixed number of instances"
