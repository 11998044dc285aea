"""AKS clusters (Microsoft.ContainerService/managedClusters) where they host inference.

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2025-07-01). `sku_tier` defaults to Free,
`local_account_disabled`, `private_cluster_enabled` and `cost_analysis_enabled` to false. The `default_node_pool`
block is the cluster's first agent pool profile; a pool declared as a separate `azurerm_kubernetes_cluster_node_pool`
is the cluster's `agentPools` child (its `mode` defaults to User, autoscaling to off), which the graph merges into
the cluster's `agentPoolProfiles` as ARM does. An `oms_agent` block turns the Container Insights add-on on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    ChildOf,
    Const,
    Derived,
    Field,
    ResourceMap,
    TopLevel,
    boolean,
)
from aiwell.model import MISSING, Unresolved


def _oms_agent(attributes: Mapping[str, Any]) -> Any:
    """`oms_agent { log_analytics_workspace_id }` → the `omsagent` add-on profile, enabled, naming its workspace."""
    blocks = attributes.get("oms_agent")
    if blocks is None or blocks == []:
        return MISSING
    if isinstance(blocks, Unresolved):
        return blocks
    block = blocks[0] if isinstance(blocks, list) else blocks
    workspace = block.get("log_analytics_workspace_id") if isinstance(block, Mapping) else None
    profile: dict[str, Any] = {"enabled": True}
    if workspace is not None:
        profile["config"] = {"logAnalyticsWorkspaceResourceID": workspace}
    return profile


def _pool_fields(prefix: str) -> tuple[Field, ...]:
    """The settings an agent pool has whether it is the `default_node_pool` block (relative paths) or a separate
    `azurerm_kubernetes_cluster_node_pool` (under `properties.`)."""
    return (
        Attr("vm_size", f"{prefix}vmSize"),
        Attr("node_count", f"{prefix}count"),
        # 4.x: auto_scaling_enabled; 3.x: enable_auto_scaling. Both default to false.
        Attr("enable_auto_scaling", f"{prefix}enableAutoScaling", boolean),
        Attr("auto_scaling_enabled", f"{prefix}enableAutoScaling", boolean, default=False),
        Attr("min_count", f"{prefix}minCount"),
        Attr("max_count", f"{prefix}maxCount"),
        Attr("zones", f"{prefix}availabilityZones"),
        Attr("vnet_subnet_id", f"{prefix}vnetSubnetID"),
    )


KUBERNETES_CLUSTER = ResourceMap(
    tf_type="azurerm_kubernetes_cluster",
    arm_type="Microsoft.ContainerService/managedClusters",
    api_version="2025-07-01",
    naming=TopLevel(),
    fields=(
        *COMMON,
        Const("sku.name", "Base"),
        # Defaults to Free.
        Attr("sku_tier", "sku.tier", default="Free"),
        Attr("dns_prefix", "properties.dnsPrefix"),
        Attr("kubernetes_version", "properties.kubernetesVersion"),
        Attr("local_account_disabled", "properties.disableLocalAccounts", boolean, default=False),
        Attr("role_based_access_control_enabled", "properties.enableRBAC", boolean, default=True),
        Block("api_server_access_profile", "properties.apiServerAccessProfile", (
            Attr("authorized_ip_ranges", "authorizedIPRanges"),)),
        # After the block: the flag goes inside the apiServerAccessProfile object it builds.
        Attr("private_cluster_enabled", "properties.apiServerAccessProfile.enablePrivateCluster", boolean,
             default=False),
        Attr("cost_analysis_enabled", "properties.metricsProfile.costAnalysis.enabled", boolean, default=False),
        Block("default_node_pool", "properties.agentPoolProfiles", (
            Attr("name", "name"),
            Const("mode", "System"),
            *_pool_fields(""),
        ), many=True),
        Derived("properties.addonProfiles.omsagent", _oms_agent),
    ),
)

KUBERNETES_CLUSTER_NODE_POOL = ResourceMap(
    tf_type="azurerm_kubernetes_cluster_node_pool",
    arm_type="Microsoft.ContainerService/managedClusters/agentPools",
    api_version="2025-07-01",
    naming=ChildOf("kubernetes_cluster_id"),
    fields=(
        Attr("tags", "properties.tags"),
        # Defaults to User (v4.81.0 docs).
        Attr("mode", "properties.mode", default="User"),
        *_pool_fields("properties."),
        Attr("node_taints", "properties.nodeTaints"),
        Attr("node_labels", "properties.nodeLabels"),
        Attr("priority", "properties.scaleSetPriority"),
    ),
)

MAPS = (KUBERNETES_CLUSTER, KUBERNETES_CLUSTER_NODE_POOL)
