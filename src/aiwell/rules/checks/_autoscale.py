"""Shared logic of the rules that look for an autoscale setting (`Microsoft.Insights/autoscalesettings`) targeting a
resource: which settings scale it, which are switched off, and what can't be resolved."""

from __future__ import annotations

from msgspec import Struct, field

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Unresolved, lookup
from aiwell.rules.checks._switches import display_name, switched_on
from aiwell.rules.declarative import describe_unresolved

AUTOSCALE = "Microsoft.Insights/autoscalesettings"
TARGET = "properties.targetResourceUri"


class Autoscale(Struct):
    """The autoscale settings that target one resource: the first enabled one (its name), the disabled ones, and
    doubts (a switch or a target that can't be resolved)."""

    scaling: str | None = None
    disabled: list[str] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)


def autoscale_of(resource: Resource, graph: ResourceGraph) -> Autoscale:
    """What the review's autoscale settings say about `resource` (`enabled` absent is on)."""
    found = Autoscale()
    for setting in graph.referrers(resource, AUTOSCALE, TARGET):
        on = switched_on(lookup(setting.properties, "enabled") if setting.properties is not MISSING else MISSING)
        if isinstance(on, Unresolved):
            found.doubts.append(f"whether autoscale setting {display_name(setting)} is enabled can't be resolved "
                                f"({describe_unresolved(on)})")
        elif on:
            found.scaling = display_name(setting)
            return found
        else:
            found.disabled.append(display_name(setting))
    unresolved = graph.unresolved_referrers(AUTOSCALE, TARGET)
    if unresolved:
        found.doubts.append(f"autoscale setting {display_name(unresolved[0])} has a target that can't be resolved")
    return found
