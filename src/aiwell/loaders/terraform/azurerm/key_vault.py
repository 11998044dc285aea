"""Key Vault (Microsoft.KeyVault/vaults).

Provider: azurerm 4.x (checked against v4.81.0 docs). `purge_protection_enabled` has no default and the provider
sends `enablePurgeProtection` only when it is true, so an unset value stays absent (ARM's absent: off).
`enable_rbac_authorization` (3.x and 4.0) was renamed `rbac_authorization_enabled` in later 4.x; both are read,
default false.

Keys (`azurerm_key_vault_key`, a child of the vault in `key_vault_id`): `expiration_date` (RFC 3339) becomes
`attributes.exp` in seconds since 1970, as ARM carries it; `rotation_policy.expire_after` (an ISO-8601 duration)
becomes `rotationPolicy.attributes.expiryTime`. A customer-managed key's `key_vault_key_id` names the key, which
is how a rule finds the vault that holds it. The provider gives a key's `id` as its versioned URL
(`https://<vault>.vault.azure.net/keys/<name>/<version>`), known only after apply; read from HCL it is the key's
ARM id, which names the same vault.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    ChildOf,
    Derived,
    ResourceMap,
    TopLevel,
    boolean,
    enabled_disabled,
    objects_of,
)
from aiwell.model import MISSING, Unresolved


def _sku(attributes: Mapping[str, Any]) -> Any:
    name = attributes.get("sku_name")
    return MISSING if name is None else {"family": "A", "name": name}


KEY_VAULT = ResourceMap(
    tf_type="azurerm_key_vault",
    arm_type="Microsoft.KeyVault/vaults",
    api_version="2026-02-01",
    naming=TopLevel(),
    fields=(
        *COMMON,
        Derived("properties.sku", _sku),
        Attr("tenant_id", "properties.tenantId"),
        Attr("purge_protection_enabled", "properties.enablePurgeProtection", boolean),
        Attr("enable_rbac_authorization", "properties.enableRbacAuthorization", boolean),
        Attr("rbac_authorization_enabled", "properties.enableRbacAuthorization", boolean, default=False),
        # Defaults to 90.
        Attr("soft_delete_retention_days", "properties.softDeleteRetentionInDays", default=90),
        # Defaults to true.
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        Attr("enabled_for_deployment", "properties.enabledForDeployment", boolean),
        Attr("enabled_for_disk_encryption", "properties.enabledForDiskEncryption", boolean),
        Attr("enabled_for_template_deployment", "properties.enabledForTemplateDeployment", boolean),
        Block("network_acls", "properties.networkAcls", (
            Attr("bypass", "bypass"),
            Attr("default_action", "defaultAction"),
            Attr("ip_rules", "ipRules", objects_of("value")),
            Attr("virtual_network_subnet_ids", "virtualNetworkRules", objects_of("id")),
        )),
        Block("access_policy", "properties.accessPolicies", (
            Attr("tenant_id", "tenantId"),
            Attr("object_id", "objectId"),
            Attr("application_id", "applicationId"),
            Attr("key_permissions", "permissions.keys"),
            Attr("secret_permissions", "permissions.secrets"),
            Attr("certificate_permissions", "permissions.certificates"),
            Attr("storage_permissions", "permissions.storage"),
        ), many=True),
    ),
)



def _epoch_seconds(value: Any) -> Any:
    """An RFC 3339 date (`2027-12-31T00:00:00Z`) → seconds since 1970, as ARM's `attributes.exp`."""
    if not isinstance(value, str):
        return Unresolved(repr(value), "expected an RFC 3339 date")
    try:
        return int(datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp())
    except ValueError:
        return Unresolved(value, "not an RFC 3339 date")


KEY_VAULT_KEY = ResourceMap(
    tf_type="azurerm_key_vault_key",
    arm_type="Microsoft.KeyVault/vaults/keys",
    api_version="2026-02-01",
    naming=ChildOf("key_vault_id"),
    fields=(
        Attr("tags", "tags"),
        Attr("key_type", "properties.kty"),
        Attr("key_size", "properties.keySize"),
        Attr("curve", "properties.curveName"),
        Attr("key_opts", "properties.keyOps"),
        Attr("expiration_date", "properties.attributes.exp", _epoch_seconds),
        Block("rotation_policy", "properties.rotationPolicy", (
            Attr("expire_after", "attributes.expiryTime"),
        )),
    ),
)

MAPS = (KEY_VAULT, KEY_VAULT_KEY)
