"""Azure AI Services / Azure OpenAI accounts and their model deployments (Microsoft.CognitiveServices).

Provider: azurerm 4.x (checked against v4.81.0 docs); 3.x names noted where they differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    TAGS,
    Attr,
    Block,
    ChildOf,
    Const,
    Derived,
    Patches,
    ResourceMap,
    TopLevel,
    boolean,
    copy,
    enabled_disabled,
    invert,
    key_vault_key,
    objects_of,
)
from aiwell.model import MISSING

API_VERSION = "2026-03-01"


def _cmk(block: Mapping[str, Any]) -> Any:
    """`customer_managed_key { key_vault_key_id, identity_client_id }` → `encryption.keyVaultProperties`."""
    key_id = block.get("key_vault_key_id")
    if key_id is None:
        key_id = block.get("managed_hsm_key_id")
    properties = key_vault_key(key_id) if key_id is not None else MISSING
    if not isinstance(properties, dict):
        return properties
    client = block.get("identity_client_id")
    if client is not None:
        properties = {**properties, "identityClientId": client}
    return properties


_NETWORK_ACLS_RULES = (
    Attr("default_action", "defaultAction"),
    Attr("ip_rules", "ipRules", objects_of("value")),
    Block("virtual_network_rules", "virtualNetworkRules", (
        Attr("subnet_id", "id"),
        # Default false (v4.81.0 docs).
        Attr("ignore_missing_vnet_service_endpoint", "ignoreMissingVnetServiceEndpoint", boolean, default=False),
    ), many=True),
)

_ENCRYPTION = Block("customer_managed_key", "properties.encryption", (
    # Setting the block is what makes the provider send a Key Vault key source.
    Const("keySource", "Microsoft.KeyVault"),
    Derived("keyVaultProperties", _cmk),
))

_USER_OWNED_STORAGE = Block("storage", "properties.userOwnedStorage", (
    Attr("storage_account_id", "resourceId"),
    Attr("identity_client_id", "identityClientId"),
), many=True)

COGNITIVE_ACCOUNT = ResourceMap(
    tf_type="azurerm_cognitive_account",
    arm_type="Microsoft.CognitiveServices/accounts",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        Attr("kind", "kind"),
        Attr("sku_name", "sku.name"),
        Attr("custom_subdomain_name", "properties.customSubDomainName"),
        # Defaults to true; the provider always sends disableLocalAuth = !local_auth_enabled.
        Attr("local_auth_enabled", "properties.disableLocalAuth", invert, default=True),
        # Defaults to true → "Enabled" (ARM's absent also means Enabled).
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        # Defaults to false.
        Attr("outbound_network_access_restricted", "properties.restrictOutboundNetworkAccess", boolean,
             default=False),
        Attr("fqdns", "properties.allowedFqdnList", copy),
        Attr("dynamic_throttling_enabled", "properties.dynamicThrottlingEnabled", boolean),
        # Defaults to false (4.x; not in 3.x).
        Attr("project_management_enabled", "properties.allowProjectManagement", boolean, default=False),
        # `bypass` has no documented default on azurerm_cognitive_account: left absent when not set.
        Block("network_acls", "properties.networkAcls", (Attr("bypass", "bypass"), *_NETWORK_ACLS_RULES)),
        _ENCRYPTION,
        _USER_OWNED_STORAGE,
    ),
)

AI_SERVICES = ResourceMap(
    # Deprecated in 5.0 in favour of azurerm_cognitive_account with kind = "AIServices"; still read.
    tf_type="azurerm_ai_services",
    arm_type="Microsoft.CognitiveServices/accounts",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        Const("kind", "AIServices"),
        Attr("sku_name", "sku.name"),
        Attr("custom_subdomain_name", "properties.customSubDomainName"),
        # Note the name: local_authentication_enabled here, local_auth_enabled on cognitive_account. Default true.
        Attr("local_authentication_enabled", "properties.disableLocalAuth", invert, default=True),
        # A string here ("Enabled"/"Disabled"), defaults to "Enabled".
        Attr("public_network_access", "properties.publicNetworkAccess", copy, default="Enabled"),
        Attr("outbound_network_access_restricted", "properties.restrictOutboundNetworkAccess", boolean,
             default=False),
        Attr("fqdns", "properties.allowedFqdnList", copy),
        # `bypass` defaults to AzureServices on azurerm_ai_services (v4.81.0 docs).
        Block("network_acls", "properties.networkAcls", (
            Attr("bypass", "bypass", default="AzureServices"), *_NETWORK_ACLS_RULES)),
        _ENCRYPTION,
        _USER_OWNED_STORAGE,
    ),
)

COGNITIVE_DEPLOYMENT = ResourceMap(
    tf_type="azurerm_cognitive_deployment",
    arm_type="Microsoft.CognitiveServices/accounts/deployments",
    api_version=API_VERSION,
    naming=ChildOf("cognitive_account_id"),
    fields=(
        Block("model", "properties.model", (
            Attr("format", "format"),
            Attr("name", "name"),
            Attr("version", "version"),
        )),
        Block("sku", "sku", (
            Attr("name", "name"),
            Attr("tier", "tier"),
            Attr("size", "size"),
            Attr("family", "family"),
            # Defaults to 1 (thousand tokens per minute).
            Attr("capacity", "capacity", default=1),
        )),
        Attr("rai_policy_name", "properties.raiPolicyName"),
        # Defaults to OnceNewDefaultVersionAvailable (ARM's default too).
        Attr("version_upgrade_option", "properties.versionUpgradeOption", default="OnceNewDefaultVersionAvailable"),
        Attr("dynamic_throttling_enabled", "properties.dynamicThrottlingEnabled", boolean),
    ),
)

COGNITIVE_ACCOUNT_CUSTOMER_MANAGED_KEY = ResourceMap(
    # Configures the account's encryption from outside it: a patch merged into the account.
    tf_type="azurerm_cognitive_account_customer_managed_key",
    arm_type="Microsoft.CognitiveServices/accounts",
    api_version=API_VERSION,
    naming=Patches("cognitive_account_id"),
    fields=(
        Const("properties.encryption.keySource", "Microsoft.KeyVault"),
        Derived("properties.encryption.keyVaultProperties", _cmk),
    ),
)

COGNITIVE_ACCOUNT_RAI_POLICY = ResourceMap(
    # A content filter (RAI) policy of an account (4.x): content_filter blocks become contentFilters entries.
    tf_type="azurerm_cognitive_account_rai_policy",
    arm_type="Microsoft.CognitiveServices/accounts/raiPolicies",
    api_version=API_VERSION,
    naming=ChildOf("cognitive_account_id"),
    fields=(
        TAGS,
        Attr("base_policy_name", "properties.basePolicyName"),
        Attr("mode", "properties.mode"),
        Block("content_filter", "properties.contentFilters", (
            Attr("name", "name"),
            Attr("filter_enabled", "enabled", boolean),
            Attr("block_enabled", "blocking", boolean),
            Attr("severity_threshold", "severityThreshold"),
            Attr("source", "source"),
        ), many=True),
        Block("custom_block_list", "properties.customBlocklists", (
            Attr("blocklist_name", "blocklistName"),
            Attr("block_enabled", "blocking", boolean),
            Attr("source", "source"),
        ), many=True),
    ),
)

MAPS = (COGNITIVE_ACCOUNT, AI_SERVICES, COGNITIVE_DEPLOYMENT, COGNITIVE_ACCOUNT_CUSTOMER_MANAGED_KEY,
        COGNITIVE_ACCOUNT_RAI_POLICY)
