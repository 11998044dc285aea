"""Machine Learning online deployments without an autoscale setting (MLE005)."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

AUTOSCALE = "Microsoft.Insights/autoscalesettings"
TARGET = "properties.targetResourceUri"


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


@implements("MLE005")
def online_deployment_without_autoscale(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when an enabled autoscale setting targets the deployment (`enabled` absent is on)."""
    doubts: list[str] = []
    disabled: list[str] = []
    for setting in graph.referrers(resource, AUTOSCALE, TARGET):
        enabled = lookup(setting.properties, "enabled") if setting.properties is not MISSING else MISSING
        if isinstance(enabled, Unresolved):
            doubts.append(f"whether autoscale setting {_name(setting)} is enabled can't be resolved "
                          f"({describe_unresolved(enabled)})")
        elif enabled in (MISSING, None) or values_equal(enabled, True):
            return Status.PASS, f"autoscale setting {_name(setting)} scales it"
        else:
            disabled.append(_name(setting))
    unresolved = graph.unresolved_referrers(AUTOSCALE, TARGET)
    if unresolved:
        doubts.append(f"autoscale setting {_name(unresolved[0])} has a target that can't be resolved")
    if isinstance(resource.name, Unresolved):
        doubts.append(f"its name can't be resolved ({describe_unresolved(resource.name)})")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    if disabled:
        return Status.FAIL, f"its autoscale setting {', '.join(disabled)} is disabled"
    return Status.FAIL, "no autoscale setting targets it: it runs a fixed number of instances"
