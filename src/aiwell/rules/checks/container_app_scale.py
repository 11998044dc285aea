"""Container apps whose scale rule can't change the replica count (APP026)."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

MIN_REPLICAS = "properties.template.scale.minReplicas"
MAX_REPLICAS = "properties.template.scale.maxReplicas"
DEFAULTS = {MIN_REPLICAS: 0, MAX_REPLICAS: 10}
"""The platform's values when a template leaves them out."""


@implements("APP026", by_document=True)
def fixed_replica_count(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the app's replica count can move: its maximum is above its minimum."""
    values = {}
    for path, default in DEFAULTS.items():
        value = resource.get(path)
        if isinstance(value, Unresolved):
            return Status.UNKNOWN, f"{path} can't be resolved ({describe_unresolved(value)})"
        values[path] = default if value is MISSING or value is None else value
    low, high = values[MIN_REPLICAS], values[MAX_REPLICAS]
    shown = f"minReplicas is {low}, maxReplicas is {high}"
    if values_equal(low, high):
        return Status.FAIL, f"{shown}: the app always runs {high} replica{'s' if str(high) != '1' else ''}"
    return Status.PASS, shown
