"""Rules on a cost budget's notifications (MON006, MON007).

ARM keeps a budget's notifications in an object keyed by name, which the declarative grammar can't iterate: each
notification is read here. A notification counts when it is enabled (`enabled: true`, the only value ARM accepts
for a live alert); MON006 also needs a recipient, MON007 a forecast threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

RECIPIENTS = ("contactEmails", "contactGroups", "contactRoles")


def _has_recipient(notification: Any) -> bool | Unresolved:
    for key in RECIPIENTS:
        value = lookup(notification, key)
        if isinstance(value, Unresolved):
            return value
        if isinstance(value, list) and any(isinstance(item, (str, Unresolved)) and item for item in value):
            return True
    return False


def _is_forecast(notification: Any) -> bool | Unresolved:
    value = lookup(notification, "thresholdType")
    return value if isinstance(value, Unresolved) else values_equal(value, "Forecasted")


def notification_verdict(resource: Resource, wanted: Callable[[Any], bool | Unresolved],
                         needs: str) -> tuple[Status, str]:
    """Pass when an enabled notification of the budget meets `wanted` (`needs` says what it is, for the message)."""
    notifications = resource.get("properties.notifications")
    if isinstance(notifications, Unresolved):
        return Status.UNKNOWN, f"properties.notifications can't be resolved ({describe_unresolved(notifications)})"
    if notifications is MISSING or not isinstance(notifications, dict) or not notifications:
        return Status.FAIL, f"properties.notifications is empty: no notification {needs}"
    doubt: Unresolved | None = None
    for name, notification in notifications.items():
        enabled = lookup(notification, "enabled") if not isinstance(notification, Unresolved) else notification
        answer = wanted(notification) if not isinstance(notification, Unresolved) else notification
        for value in (enabled, answer):
            if isinstance(value, Unresolved):
                doubt = doubt or value
        if values_equal(enabled, True) and answer is True:
            return Status.PASS, f"notification {name} is enabled and {needs}"
    if doubt is not None:
        return Status.UNKNOWN, f"whether a notification {needs} is unresolved ({describe_unresolved(doubt)})"
    return Status.FAIL, f"no enabled notification in properties.notifications {needs}"


@implements("MON006", by_document=True)
def budget_without_alert(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when an enabled notification of the budget names someone to alert."""
    return notification_verdict(resource, _has_recipient, "sends to a contact email, action group or role")


@implements("MON007", by_document=True)
def budget_without_forecast_alert(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when an enabled notification of the budget fires on forecast cost."""
    return notification_verdict(resource, _is_forecast, "fires on forecast cost (thresholdType Forecasted)")
