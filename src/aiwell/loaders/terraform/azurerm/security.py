"""Microsoft Defender for Cloud plans (Microsoft.Security/pricings) on a subscription.

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2023-01-01). A plan is named by `resource_type`, which
defaults to `VirtualMachines`; `tier` (`Free` or `Standard`) is required. Each `extension` block the provider
sends is enabled.
"""

from __future__ import annotations

from aiwell.loaders.terraform.azurerm._spec import (
    Attr,
    Block,
    Const,
    InSubscription,
    ResourceMap,
)

SUBSCRIPTION_PRICING = ResourceMap(
    tf_type="azurerm_security_center_subscription_pricing",
    arm_type="Microsoft.Security/pricings",
    api_version="2023-01-01",
    naming=InSubscription(name_attribute="resource_type", default_name="VirtualMachines"),
    fields=(
        Attr("tier", "properties.pricingTier"),
        Attr("subplan", "properties.subPlan"),
        Block("extension", "properties.extensions", (
            Attr("name", "name"),
            Const("isEnabled", "True"),
            Attr("additional_extension_properties", "additionalExtensionProperties"),
        ), many=True),
    ),
)

MAPS = (SUBSCRIPTION_PRICING,)
