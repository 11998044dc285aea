"""Azure AI Search (Microsoft.Search/searchServices).

Provider: azurerm 4.x (checked against v4.81.0 docs). The provider's API 2025-05-01 spells `publicNetworkAccess`
`Enabled`/`Disabled` (older API versions used lower case; rules compare case-insensitively either way).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    ChildOf,
    Derived,
    ResourceMap,
    TopLevel,
    as_bool,
    enabled_disabled,
    invert,
    objects_of,
)
from aiwell.model import MISSING, Unresolved


def _auth_options(attributes: Mapping[str, Any]) -> Any:
    """`authentication_failure_mode` applies only while API keys are accepted (`aadOrApiKey`)."""
    mode = attributes.get("authentication_failure_mode")
    if mode is None:
        return MISSING
    local = attributes.get("local_authentication_enabled")
    if isinstance(local, Unresolved):
        return local
    if as_bool(local) is False:
        return MISSING
    return {"aadOrApiKey": {"aadAuthFailureMode": mode}}


SEARCH_SERVICE = ResourceMap(
    tf_type="azurerm_search_service",
    arm_type="Microsoft.Search/searchServices",
    api_version="2025-05-01",
    naming=TopLevel(),
    fields=(
        *COMMON,
        Attr("sku", "sku.name"),
        # Both default to 1 in the provider's schema (v4.81.0 search_service_resource.go; the docs don't say).
        Attr("replica_count", "properties.replicaCount", default=1),
        Attr("partition_count", "properties.partitionCount", default=1),
        # Defaults to "Default" (the provider's API 2025-05-01 spells it so).
        Attr("hosting_mode", "properties.hostingMode", default="Default"),
        # Defaults to true.
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        # Defaults to true; sent as disableLocalAuth = !local_authentication_enabled.
        Attr("local_authentication_enabled", "properties.disableLocalAuth", invert, default=True),
        Derived("properties.authOptions", _auth_options),
        Attr("allowed_ips", "properties.networkRuleSet.ipRules", objects_of("value")),
        # Defaults to None.
        Attr("network_rule_bypass_option", "properties.networkRuleSet.bypass", default="None"),
        # Defaults to false → "Disabled".
        Attr("customer_managed_key_enforcement_enabled", "properties.encryptionWithCmk.enforcement",
             enabled_disabled, default=False),
        Attr("semantic_search_sku", "properties.semanticSearch"),
    ),
)

SEARCH_SHARED_PRIVATE_LINK = ResourceMap(
    # An indexer's or skill's private path to a data source or model (the source of WKL004's "indexed while it
    # serves").
    tf_type="azurerm_search_shared_private_link_service",
    arm_type="Microsoft.Search/searchServices/sharedPrivateLinkResources",
    api_version="2025-05-01",
    naming=ChildOf("search_service_id"),
    fields=(
        Attr("subresource_name", "properties.groupId"),
        Attr("target_resource_id", "properties.privateLinkResourceId"),
        Attr("request_message", "properties.requestMessage"),
    ),
)

MAPS = (SEARCH_SERVICE, SEARCH_SHARED_PRIVATE_LINK)
