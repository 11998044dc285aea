"""Shared logic of the rules that look for a related resource with a switch on (a lifecycle rule, an autoscale
setting): how a switch reads, and why a resource whose relatives are not found can't be failed."""

from __future__ import annotations

from typing import Any

from aiwell.model import MISSING, Resource, Unresolved
from aiwell.rules.declarative import describe_unresolved, values_equal


def display_name(resource: Resource) -> str:
    """The resource's name, or the expression it could not be resolved from."""
    return resource.name if isinstance(resource.name, str) else resource.name.expression


def switched_on(value: Any) -> bool | Unresolved:
    """Whether an `enabled` switch is on: absent counts as on (the platform's default for these switches)."""
    if isinstance(value, Unresolved):
        return value
    return value in (MISSING, None) or values_equal(value, True)


def unseen_relatives(resource: Resource) -> list[str]:
    """Why related resources may exist that the review did not see: the resource's name is unresolved (nothing can
    be matched to it) or part of its input was not reviewed."""
    doubts = []
    if isinstance(resource.name, Unresolved):
        doubts.append(f"its name can't be resolved ({describe_unresolved(resource.name)}), so what belongs to it "
                      "can't be found")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    return doubts
