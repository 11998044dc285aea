"""Container registries (Microsoft.ContainerRegistry/registries).

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2025-11-01). Geo-replications (`georeplications`) are
not mapped to child resources.
"""

from __future__ import annotations

from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    Const,
    ResourceMap,
    TopLevel,
    boolean,
    enabled_disabled,
    lower_enabled_disabled,
)
from aiwell.model import MISSING


def _retention_status(days: Any) -> Any:
    """`retention_policy_in_days` → the policy's status: `enabled` for a positive number of days, else unset."""
    return "enabled" if isinstance(days, int) and not isinstance(days, bool) and days > 0 else MISSING


CONTAINER_REGISTRY = ResourceMap(
    tf_type="azurerm_container_registry",
    arm_type="Microsoft.ContainerRegistry/registries",
    api_version="2025-11-01",
    naming=TopLevel(),
    fields=(
        *COMMON,
        Attr("sku", "sku.name"),
        # Defaults to false.
        Attr("admin_enabled", "properties.adminUserEnabled", boolean, default=False),
        # Defaults to true.
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        # Defaults to false.
        Attr("zone_redundancy_enabled", "properties.zoneRedundancy", enabled_disabled, default=False),
        Attr("anonymous_pull_enabled", "properties.anonymousPullEnabled", boolean),
        Attr("data_endpoint_enabled", "properties.dataEndpointEnabled", boolean),
        # Defaults to AzureServices.
        Attr("network_rule_bypass_option", "properties.networkRuleBypassOptions", default="AzureServices"),
        # Defaults to true.
        Attr("export_policy_enabled", "properties.policies.exportPolicy.status", lower_enabled_disabled,
             default=True),
        Attr("quarantine_policy_enabled", "properties.policies.quarantinePolicy.status", lower_enabled_disabled),
        # Defaults to false.
        Attr("trust_policy_enabled", "properties.policies.trustPolicy.status", lower_enabled_disabled,
             default=False),
        Attr("retention_policy_in_days", "properties.policies.retentionPolicy.days"),
        # The provider enables the policy only for a positive number of days; 0 or absent sends no status.
        Attr("retention_policy_in_days", "properties.policies.retentionPolicy.status", _retention_status),
        # Defaults to true.
        Attr("azuread_authentication_as_arm_policy_enabled",
             "properties.policies.azureADAuthenticationAsArmPolicy.status", lower_enabled_disabled, default=True),
        Block("network_rule_set", "properties.networkRuleSet", (
            # Defaults to Allow.
            Attr("default_action", "defaultAction", default="Allow"),
            Block("ip_rule", "ipRules", (
                Attr("action", "action"),
                Attr("ip_range", "value"),
            ), many=True),
        )),
        Block("encryption", "properties.encryption", (
            Const("status", "enabled"),
            Attr("key_vault_key_id", "keyVaultProperties.keyIdentifier"),
            Attr("identity_client_id", "keyVaultProperties.identity"),
        )),
    ),
)

MAPS = (CONTAINER_REGISTRY,)
