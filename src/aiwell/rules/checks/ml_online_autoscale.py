"""Machine Learning online deployments without an autoscale setting (MLE005)."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import implements
from aiwell.rules.checks._autoscale import autoscale_of
from aiwell.rules.checks._switches import unseen_relatives


@implements("MLE005")
def online_deployment_without_autoscale(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when an enabled autoscale setting targets the deployment (`enabled` absent is on)."""
    found = autoscale_of(resource, graph)
    if found.scaling is not None:
        return Status.PASS, f"autoscale setting {found.scaling} scales it"
    doubts = found.doubts + unseen_relatives(resource)
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    if found.disabled:
        return Status.FAIL, f"its autoscale setting {', '.join(found.disabled)} is disabled"
    return Status.FAIL, "no autoscale setting targets it: it runs a fixed number of instances"
