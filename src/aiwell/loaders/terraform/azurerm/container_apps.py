"""Container Apps and their environments (Microsoft.App).

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2025-07-01). Secret values are not carried over.
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
)
from aiwell.model import MISSING, Unresolved

API_VERSION = "2025-07-01"

def _app_logs(attributes: Mapping[str, Any]) -> Any:
    """`log_analytics_workspace_id` → Log Analytics logs. ARM names the workspace by its customer id, which the
    provider reads from the workspace at apply time: it is unresolved here, naming the workspace."""
    workspace = attributes.get("log_analytics_workspace_id")
    destination = attributes.get("logs_destination")
    if workspace is None:
        return MISSING if destination in (None, "") else {"destination": destination}
    shown = workspace.expression if isinstance(workspace, Unresolved) else str(workspace)
    return {
        "destination": "log-analytics" if destination in (None, "") else destination,
        "logAnalyticsConfiguration": {"customerId": Unresolved(
            f"{shown} customer id", "the provider reads the workspace's customer id at apply time")},
    }


CONTAINER_APP_ENVIRONMENT = ResourceMap(
    tf_type="azurerm_container_app_environment",
    arm_type="Microsoft.App/managedEnvironments",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        Attr("infrastructure_subnet_id", "properties.vnetConfiguration.infrastructureSubnetId"),
        # Defaults to false.
        Attr("internal_load_balancer_enabled", "properties.vnetConfiguration.internal", boolean, default=False),
        Attr("zone_redundancy_enabled", "properties.zoneRedundant", boolean, default=False),
        Attr("infrastructure_resource_group_name", "properties.infrastructureResourceGroup"),
        Attr("public_network_access", "properties.publicNetworkAccess"),
        Attr("mutual_tls_enabled", "properties.peerAuthentication.mtls.enabled", boolean, default=False),
        Derived("properties.appLogsConfiguration", _app_logs),
        Block("workload_profile", "properties.workloadProfiles", (
            Attr("name", "name"),
            Attr("workload_profile_type", "workloadProfileType"),
            Attr("minimum_count", "minimumCount"),
            Attr("maximum_count", "maximumCount"),
        ), many=True),
    ),
)

CONTAINER_APP = ResourceMap(
    tf_type="azurerm_container_app",
    arm_type="Microsoft.App/containerApps",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        Attr("container_app_environment_id", "properties.managedEnvironmentId"),
        Attr("container_app_environment_id", "properties.environmentId"),
        Attr("workload_profile_name", "properties.workloadProfileName"),
        Attr("revision_mode", "properties.configuration.activeRevisionsMode"),
        Attr("max_inactive_revisions", "properties.configuration.maxInactiveRevisions"),
        Block("ingress", "properties.configuration.ingress", (
            # Defaults to false.
            Attr("external_enabled", "external", boolean, default=False),
            Attr("target_port", "targetPort"),
            Attr("exposed_port", "exposedPort"),
            # Defaults to auto.
            Attr("transport", "transport", default="auto"),
            Attr("allow_insecure_connections", "allowInsecure", boolean, default=False),
            Block("traffic_weight", "traffic", (
                Attr("latest_revision", "latestRevision", boolean),
                Attr("revision_suffix", "revisionName"),
                Attr("label", "label"),
                Attr("percentage", "weight"),
            ), many=True),
            Block("ip_security_restriction", "ipSecurityRestrictions", (
                Attr("name", "name"),
                Attr("action", "action"),
                Attr("ip_address_range", "ipAddressRange"),
            ), many=True),
        )),
        Block("registry", "properties.configuration.registries", (
            Attr("server", "server"),
            Attr("identity", "identity"),
            Attr("username", "username"),
            Attr("password_secret_name", "passwordSecretRef"),
        ), many=True),
        Block("secret", "properties.configuration.secrets", (
            Attr("name", "name"),
            Attr("identity", "identity"),
            Attr("key_vault_secret_id", "keyVaultUrl"),
        ), many=True),
        Block("template", "properties.template", (
            Attr("min_replicas", "scale.minReplicas"),
            Attr("max_replicas", "scale.maxReplicas"),
            Attr("revision_suffix", "revisionSuffix"),
            Block("container", "containers", (
                Attr("name", "name"),
                Attr("image", "image"),
                Attr("cpu", "resources.cpu"),
                Attr("memory", "resources.memory"),
            ), many=True),
        )),
    ),
)

MAPS = (CONTAINER_APP_ENVIRONMENT, CONTAINER_APP)
