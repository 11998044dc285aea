"""Cost budgets (Microsoft.Consumption/budgets) on a resource group or a subscription.

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2019-10-01). A budget is an extension of its scope: its
ARM id is `<scope>/providers/Microsoft.Consumption/budgets/<name>`. ARM keys the notifications by name; the
provider's `notification` blocks have none, so they are keyed by their position. A notification's `enabled`
defaults to true and its `threshold_type` to Actual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    Attr,
    Const,
    Derived,
    ExtensionOf,
    ResourceMap,
)
from aiwell.model import MISSING, Unresolved

API_VERSION = "2019-10-01"

_NOTIFICATION_KEYS = (("operator", "operator"), ("threshold", "threshold"), ("contact_emails", "contactEmails"),
                      ("contact_groups", "contactGroups"), ("contact_roles", "contactRoles"))


def _notification(block: Any) -> Any:
    if not isinstance(block, Mapping):
        return block
    body: dict[str, Any] = {key: block[attribute] for attribute, key in _NOTIFICATION_KEYS
                            if block.get(attribute) is not None}
    enabled, threshold_type = block.get("enabled"), block.get("threshold_type")
    body["enabled"] = True if enabled is None else enabled
    body["thresholdType"] = "Actual" if threshold_type in (None, "") else threshold_type
    return body


def _notifications(attributes: Mapping[str, Any]) -> Any:
    """`notification` blocks → ARM's `notifications` object, keyed `notification1`, `notification2`, ..."""
    blocks = attributes.get("notification")
    if blocks is None:
        return MISSING
    if isinstance(blocks, Unresolved):
        return blocks
    return {f"notification{index}": _notification(block) for index, block in enumerate(blocks, start=1)}


def _budget(tf_type: str, scope_attribute: str) -> ResourceMap:
    return ResourceMap(
        tf_type=tf_type,
        arm_type="Microsoft.Consumption/budgets",
        api_version=API_VERSION,
        naming=ExtensionOf(scope_attribute),
        fields=(
            Const("properties.category", "Cost"),
            Attr("amount", "properties.amount"),
            # Defaults to Monthly.
            Attr("time_grain", "properties.timeGrain", default="Monthly"),
            Derived("properties.notifications", _notifications),
        ),
    )


BUDGET_RESOURCE_GROUP = _budget("azurerm_consumption_budget_resource_group", "resource_group_id")
BUDGET_SUBSCRIPTION = _budget("azurerm_consumption_budget_subscription", "subscription_id")

MAPS = (BUDGET_RESOURCE_GROUP, BUDGET_SUBSCRIPTION)
