"""Cosmos DB accounts (Microsoft.DocumentDB/databaseAccounts).

Provider: azurerm 4.x (checked against the v4.81.0 docs and schema defaults, API 2024-08-15). Renames read as
aliases: 4.0 and 3.x `local_authentication_disabled` became `local_authentication_enabled` (default true); early 3.x
`enable_automatic_failover`, `enable_multiple_write_locations`, `enable_free_tier` became `*_enabled`. Without a
`backup` block the account gets periodic backup (the provider's and ARM's default), emitted as `backupPolicy.type:
Periodic`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    Derived,
    ResourceMap,
    TopLevel,
    boolean,
    enabled_disabled,
    enum,
    first_block,
    invert,
    location,
    objects_of,
)
from aiwell.model import MISSING, Unresolved


def _backup(attributes: Mapping[str, Any]) -> Any:
    """`backup { type, interval_in_minutes, retention_in_hours, storage_redundancy, tier }` → `backupPolicy`."""
    raw = attributes.get("backup")
    block = MISSING if raw is None else first_block(raw)
    if block is MISSING:
        return {"type": "Periodic"}
    if not isinstance(block, dict):
        return block if isinstance(block, Unresolved) else Unresolved(repr(block), "expected a backup block")
    policy: dict[str, Any] = {"type": block.get("type")}
    if isinstance(policy["type"], str) and policy["type"].lower() == "periodic":
        periodic = {key: block[name] for name, key in (
            ("interval_in_minutes", "backupIntervalInMinutes"),
            ("retention_in_hours", "backupRetentionIntervalInHours"),
            ("storage_redundancy", "backupStorageRedundancy")) if block.get(name) is not None}
        if periodic:
            policy["periodicModeProperties"] = periodic
    elif block.get("tier") is not None:
        policy["continuousModeProperties"] = {"tier": block["tier"]}
    return policy


def _ip_rules(value: Any) -> Any:
    """4.x: a set of ranges; 3.x: one comma-separated string."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return objects_of("ipAddressOrRange")(value)


COSMOSDB_ACCOUNT = ResourceMap(
    tf_type="azurerm_cosmosdb_account",
    arm_type="Microsoft.DocumentDB/databaseAccounts",
    api_version="2024-08-15",
    naming=TopLevel(),
    fields=(
        *COMMON,
        # Defaults to GlobalDocumentDB.
        Attr("kind", "kind", default="GlobalDocumentDB"),
        Attr("offer_type", "properties.databaseAccountOfferType"),
        Attr("local_authentication_disabled", "properties.disableLocalAuth", boolean),
        Attr("local_authentication_enabled", "properties.disableLocalAuth", invert, default=True),
        # Defaults to true.
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        Derived("properties.backupPolicy", _backup),
        # Defaults to Tls12.
        Attr("minimal_tls_version", "properties.minimalTlsVersion", default="Tls12"),
        Attr("enable_automatic_failover", "properties.enableAutomaticFailover", boolean),
        Attr("automatic_failover_enabled", "properties.enableAutomaticFailover", boolean, default=False),
        Attr("enable_multiple_write_locations", "properties.enableMultipleWriteLocations", boolean),
        Attr("multiple_write_locations_enabled", "properties.enableMultipleWriteLocations", boolean,
             default=False),
        Attr("enable_free_tier", "properties.enableFreeTier", boolean),
        Attr("free_tier_enabled", "properties.enableFreeTier", boolean, default=False),
        Attr("analytical_storage_enabled", "properties.enableAnalyticalStorage", boolean, default=False),
        Attr("burst_capacity_enabled", "properties.enableBurstCapacity", boolean, default=False),
        Attr("partition_merge_enabled", "properties.enablePartitionMerge", boolean, default=False),
        # Defaults to true (metadata writes with keys allowed).
        Attr("access_key_metadata_writes_enabled", "properties.disableKeyBasedMetadataWriteAccess", invert,
             default=True),
        # Defaults to false.
        Attr("network_acl_bypass_for_azure_services", "properties.networkAclBypass",
             enum({True: "AzureServices", False: "None"}), default=False),
        Attr("network_acl_bypass_ids", "properties.networkAclBypassResourceIds"),
        Attr("is_virtual_network_filter_enabled", "properties.isVirtualNetworkFilterEnabled", boolean,
             default=False),
        Attr("ip_range_filter", "properties.ipRules", _ip_rules),
        Attr("key_vault_key_id", "properties.keyVaultKeyUri"),
        Attr("default_identity_type", "properties.defaultIdentity", default="FirstPartyIdentity"),
        Block("consistency_policy", "properties.consistencyPolicy", (
            Attr("consistency_level", "defaultConsistencyLevel"),
            Attr("max_interval_in_seconds", "maxIntervalInSeconds"),
            Attr("max_staleness_prefix", "maxStalenessPrefix"),
        )),
        Block("geo_location", "properties.locations", (
            Attr("location", "locationName", location),
            Attr("failover_priority", "failoverPriority"),
            # Defaults to false.
            Attr("zone_redundant", "isZoneRedundant", boolean, default=False),
        ), many=True),
        Block("virtual_network_rule", "properties.virtualNetworkRules", (
            Attr("id", "id"),
            Attr("ignore_missing_vnet_service_endpoint", "ignoreMissingVNetServiceEndpoint", boolean),
        ), many=True),
        Block("capabilities", "properties.capabilities", (Attr("name", "name"),), many=True),
        Block("capacity", "properties.capacity", (Attr("total_throughput_limit", "totalThroughputLimit"),)),
        Block("analytical_storage", "properties.analyticalStorageConfiguration", (
            Attr("schema_type", "schemaType"),)),
    ),
)

MAPS = (COSMOSDB_ACCOUNT,)
