"""Storage accounts and their blob service (Microsoft.Storage/storageAccounts).

Provider: azurerm 4.x (checked against the v4.81.0 docs and schema, API 2025-08-01). Defaults that matter to the
rules: `allow_nested_items_to_be_public` defaults to true in 4.x (and 3.x): an account that doesn't set it allows
public blob access. azurerm 5.0 changes that default to false (the 4.x schema already switches on its 5.0 feature
flag); aiwell follows 4.x, so a 5.x configuration relying on the default is reported as allowing it.
`https_traffic_only_enabled` (3.x: `enable_https_traffic_only`) defaults to true; `min_tls_version` to TLS1_2;
`shared_access_key_enabled` and `public_network_access_enabled` to true; `cross_tenant_replication_enabled` to false
in 4.x (true in 3.x: a 3.x configuration that relies on the default reads as false here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    ChildMap,
    ChildOf,
    Const,
    Derived,
    Field,
    Patches,
    ResourceMap,
    TopLevel,
    boolean,
    enabled_disabled,
    join,
    key_vault_key,
    objects_of,
)
from aiwell.model import MISSING, Unresolved

API_VERSION = "2025-08-01"


def _sku(attributes: Mapping[str, Any]) -> Any:
    """`account_tier` + `account_replication_type` → `Standard_LRS`."""
    tier, replication = attributes.get("account_tier"), attributes.get("account_replication_type")
    for part in (tier, replication):
        if isinstance(part, Unresolved):
            return part
    if not isinstance(tier, str) or not isinstance(replication, str):
        return MISSING
    return f"{tier}_{replication}"


def _cmk(block: Mapping[str, Any]) -> Any:
    key_id = block.get("key_vault_key_id")
    if key_id is None:
        key_id = block.get("managed_hsm_key_id")
    return key_vault_key(key_id) if key_id is not None else MISSING


def _patch_cmk(attributes: Mapping[str, Any]) -> Any:
    """`azurerm_storage_account_customer_managed_key` → `encryption.keyvaultproperties`: the key by `key_vault_uri`
    or `key_vault_id` (+ `key_name`, `key_version`), or a Managed HSM key id.

    The provider looks a `key_vault_id`'s URI up at apply time; the vault's ARM id stands in for it (followed by
    `/`, as `key_vault_key` leaves a key id read from HCL), which names the same vault."""
    hsm = attributes.get("managed_hsm_key_id")
    if hsm is not None:
        return key_vault_key(hsm)
    uri = attributes.get("key_vault_uri")
    if uri is None:
        vault = attributes.get("key_vault_id")
        uri = vault.rstrip("/") + "/" if isinstance(vault, str) else vault
    if uri is None:
        return MISSING
    result: dict[str, Any] = {"keyvaulturi": uri}
    for attribute, key in (("key_name", "keyname"), ("key_version", "keyversion")):
        if attributes.get(attribute) is not None:
            result[key] = attributes[attribute]
    return result


def _network_rules(prefix: str) -> tuple[Field, ...]:
    """The `network_rules` fields, under `prefix` (empty inside the block; the ARM path for the patch resource)."""
    return (
        Attr("default_action", f"{prefix}defaultAction"),
        Attr("bypass", f"{prefix}bypass", join(", ")),
        Attr("ip_rules", f"{prefix}ipRules", objects_of("value", action="Allow")),
        Attr("virtual_network_subnet_ids", f"{prefix}virtualNetworkRules", objects_of("id", action="Allow")),
        Block("private_link_access", f"{prefix}resourceAccessRules", (
            Attr("endpoint_resource_id", "resourceId"),
            Attr("endpoint_tenant_id", "tenantId"),
        ), many=True),
    )


STORAGE_ACCOUNT = ResourceMap(
    tf_type="azurerm_storage_account",
    arm_type="Microsoft.Storage/storageAccounts",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        Derived("sku.name", _sku),
        # Defaults to StorageV2.
        Attr("account_kind", "kind", default="StorageV2"),
        # Defaults to Hot.
        Attr("access_tier", "properties.accessTier", default="Hot"),
        # 3.x name first; the 4.x name carries the default (true).
        Attr("enable_https_traffic_only", "properties.supportsHttpsTrafficOnly", boolean),
        Attr("https_traffic_only_enabled", "properties.supportsHttpsTrafficOnly", boolean, default=True),
        # Defaults to TLS1_2 for new accounts.
        Attr("min_tls_version", "properties.minimumTlsVersion", default="TLS1_2"),
        # Defaults to true (4.x and 3.x).
        Attr("allow_nested_items_to_be_public", "properties.allowBlobPublicAccess", boolean, default=True),
        # Defaults to true.
        Attr("shared_access_key_enabled", "properties.allowSharedKeyAccess", boolean, default=True),
        # Defaults to true.
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        # Defaults to false in 4.x (true in 3.x).
        Attr("cross_tenant_replication_enabled", "properties.allowCrossTenantReplication", boolean, default=False),
        Attr("default_to_oauth_authentication", "properties.defaultToOAuthAuthentication", boolean),
        Attr("is_hns_enabled", "properties.isHnsEnabled", boolean),
        Attr("nfsv3_enabled", "properties.isNfsV3Enabled", boolean),
        Attr("sftp_enabled", "properties.isSftpEnabled", boolean),
        # Defaults to true.
        Attr("local_user_enabled", "properties.isLocalUserEnabled", boolean, default=True),
        Attr("allowed_copy_scope", "properties.allowedCopyScope"),
        Attr("large_file_share_enabled", "properties.largeFileSharesState", enabled_disabled),
        Attr("infrastructure_encryption_enabled", "properties.encryption.requireInfrastructureEncryption", boolean),
        Block("customer_managed_key", "properties.encryption", (
            Const("keySource", "Microsoft.Keyvault"),
            Derived("keyvaultproperties", _cmk),
            Attr("user_assigned_identity_id", "identity.userAssignedIdentity"),
        )),
        Block("network_rules", "properties.networkAcls", _network_rules("")),
        Block("sas_policy", "properties.sasPolicy", (
            Attr("expiration_period", "sasExpirationPeriod"),
            # Defaults to Log.
            Attr("expiration_action", "expirationAction", default="Log"),
        )),
    ),
    children=(
        ChildMap(
            arm_type="Microsoft.Storage/storageAccounts/blobServices",
            api_version=API_VERSION,
            block="blob_properties",
            name="default",
            fields=(
                # Each defaults to false.
                Attr("versioning_enabled", "properties.isVersioningEnabled", boolean, default=False),
                Attr("change_feed_enabled", "properties.changeFeed.enabled", boolean, default=False),
                Attr("change_feed_retention_in_days", "properties.changeFeed.retentionInDays"),
                Attr("last_access_time_enabled", "properties.lastAccessTimeTrackingPolicy.enable", boolean,
                     default=False),
                Attr("default_service_version", "properties.defaultServiceVersion"),
                Block("delete_retention_policy", "properties.deleteRetentionPolicy", (
                    Const("enabled", True),
                    # Defaults to 7 days.
                    Attr("days", "days", default=7),
                    Attr("permanent_delete_enabled", "allowPermanentDelete", boolean, default=False),
                )),
                Block("container_delete_retention_policy", "properties.containerDeleteRetentionPolicy", (
                    Const("enabled", True),
                    Attr("days", "days", default=7),
                )),
                Block("restore_policy", "properties.restorePolicy", (
                    Const("enabled", True),
                    Attr("days", "days"),
                )),
            ),
        ),
    ),
)

STORAGE_ACCOUNT_NETWORK_RULES = ResourceMap(
    # The account's network rules as their own resource: a patch merged into the account.
    tf_type="azurerm_storage_account_network_rules",
    arm_type="Microsoft.Storage/storageAccounts",
    api_version=API_VERSION,
    naming=Patches("storage_account_id"),
    fields=_network_rules("properties.networkAcls."),
)

STORAGE_ACCOUNT_CUSTOMER_MANAGED_KEY = ResourceMap(
    tf_type="azurerm_storage_account_customer_managed_key",
    arm_type="Microsoft.Storage/storageAccounts",
    api_version=API_VERSION,
    naming=Patches("storage_account_id"),
    fields=(
        Const("properties.encryption.keySource", "Microsoft.Keyvault"),
        Derived("properties.encryption.keyvaultproperties", _patch_cmk),
        Attr("user_assigned_identity_id", "properties.encryption.identity.userAssignedIdentity"),
    ),
)

STORAGE_MANAGEMENT_POLICY = ResourceMap(
    # The account's lifecycle rules: Azure names the one policy of an account `default`. Only the rule names and
    # switches are mapped; the rules' filters and actions are not read by any rule.
    tf_type="azurerm_storage_management_policy",
    arm_type="Microsoft.Storage/storageAccounts/managementPolicies",
    api_version=API_VERSION,
    naming=ChildOf("storage_account_id", name="default"),
    fields=(
        Block("rule", "properties.policy.rules", (
            Attr("name", "name"),
            # Required by the provider.
            Attr("enabled", "enabled", boolean),
            Const("type", "Lifecycle"),
        ), many=True),
    ),
)

MAPS = (STORAGE_ACCOUNT, STORAGE_ACCOUNT_NETWORK_RULES, STORAGE_ACCOUNT_CUSTOMER_MANAGED_KEY,
        STORAGE_MANAGEMENT_POLICY)
