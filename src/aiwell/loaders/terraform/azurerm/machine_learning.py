"""Azure Machine Learning and AI Foundry hubs and projects (Microsoft.MachineLearningServices).

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2025-06-01); 3.x names noted where they differ.

A managed network's outbound rules are separate resources in azurerm
(`azurerm_machine_learning_workspace_network_outbound_rule_fqdn`, `_private_endpoint`, `_service_tag`, each naming
its workspace in `workspace_id`); each becomes the workspace's `outboundRules` child, user-defined, which the graph
merges into `properties.managedNetwork.outboundRules` under the rule's name, as ARM keeps them.
"""

from __future__ import annotations

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    IDENTITY,
    LOCATION,
    TAGS,
    Attr,
    Block,
    ChildOf,
    Const,
    Field,
    InGroupOf,
    ResourceMap,
    TopLevel,
    boolean,
    copy,
    enabled_disabled,
    enum,
    invert,
)

API_VERSION = "2025-06-01"

_ENCRYPTION = Block("encryption", "properties.encryption", (
    Const("status", "Enabled"),
    Attr("key_vault_id", "keyVaultProperties.keyVaultArmId"),
    Attr("key_id", "keyVaultProperties.keyIdentifier"),
    Attr("user_assigned_identity_id", "identity.userAssignedIdentity"),
))

_MANAGED_NETWORK = Block("managed_network", "properties.managedNetwork", (
    # No provider default: an absent isolation_mode stays absent.
    Attr("isolation_mode", "isolationMode"),
))

_WORKSPACE_LINKS = (
    Attr("storage_account_id", "properties.storageAccount"),
    Attr("key_vault_id", "properties.keyVault"),
    Attr("application_insights_id", "properties.applicationInsights"),
    Attr("container_registry_id", "properties.containerRegistry"),
    Attr("primary_user_assigned_identity", "properties.primaryUserAssignedIdentity"),
    Attr("friendly_name", "properties.friendlyName"),
    Attr("description", "properties.description"),
)

MACHINE_LEARNING_WORKSPACE = ResourceMap(
    tf_type="azurerm_machine_learning_workspace",
    arm_type="Microsoft.MachineLearningServices/workspaces",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        # Defaults to "Default".
        Attr("kind", "kind", default="Default"),
        # Defaults to "Basic".
        Attr("sku_name", "sku.name", default="Basic"),
        *_WORKSPACE_LINKS,
        # Defaults to true → "Enabled". (3.x also had public_access_behind_virtual_network_enabled, deprecated.)
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        Attr("high_business_impact", "properties.hbiWorkspace", boolean),
        # Defaults to false.
        Attr("v1_legacy_mode_enabled", "properties.v1LegacyMode", boolean, default=False),
        Attr("image_build_compute_name", "properties.imageBuildCompute"),
        # Defaults to AccessKey; ARM spells the values in camel case.
        Attr("storage_account_access_type", "properties.systemDatastoresAuthMode",
             enum({"AccessKey": "accessKey", "Identity": "identity"}), default="AccessKey"),
        Block("serverless_compute", "properties.serverlessComputeSettings", (
            Attr("subnet_id", "serverlessComputeCustomSubnet"),
            # Defaults to false (public IPs off) → serverlessComputeNoPublicIP true.
            Attr("public_ip_enabled", "serverlessComputeNoPublicIP", invert, default=False),
        )),
        _MANAGED_NETWORK,
        _ENCRYPTION,
    ),
)

AI_FOUNDRY = ResourceMap(
    # An AI Foundry hub is a Machine Learning workspace of kind Hub.
    tf_type="azurerm_ai_foundry",
    arm_type="Microsoft.MachineLearningServices/workspaces",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        Const("kind", "Hub"),
        *_WORKSPACE_LINKS,
        # A string here, defaults to "Enabled".
        Attr("public_network_access", "properties.publicNetworkAccess", copy, default="Enabled"),
        Attr("high_business_impact_enabled", "properties.hbiWorkspace", boolean),
        _MANAGED_NETWORK,
        _ENCRYPTION,
    ),
)

AI_FOUNDRY_PROJECT = ResourceMap(
    # A project is a workspace of kind Project, in the hub's resource group (it has no resource_group_name).
    tf_type="azurerm_ai_foundry_project",
    arm_type="Microsoft.MachineLearningServices/workspaces",
    api_version=API_VERSION,
    naming=InGroupOf("ai_services_hub_id"),
    fields=(
        *COMMON,
        Const("kind", "Project"),
        Attr("ai_services_hub_id", "properties.hubResourceId"),
        Attr("primary_user_assigned_identity", "properties.primaryUserAssignedIdentity"),
        Attr("friendly_name", "properties.friendlyName"),
        Attr("description", "properties.description"),
        Attr("high_business_impact_enabled", "properties.hbiWorkspace", boolean),
    ),
)

_COMPUTE_COMMON = (
    LOCATION, TAGS, IDENTITY,
    Attr("location", "properties.computeLocation"),
    Attr("description", "properties.description"),
)

MACHINE_LEARNING_COMPUTE_CLUSTER = ResourceMap(
    tf_type="azurerm_machine_learning_compute_cluster",
    arm_type="Microsoft.MachineLearningServices/workspaces/computes",
    api_version=API_VERSION,
    naming=ChildOf("machine_learning_workspace_id"),
    fields=(
        *_COMPUTE_COMMON,
        Const("properties.computeType", "AmlCompute"),
        # Defaults to true; sent as disableLocalAuth = !local_auth_enabled.
        Attr("local_auth_enabled", "properties.disableLocalAuth", invert, default=True),
        Attr("vm_size", "properties.properties.vmSize"),
        Attr("vm_priority", "properties.properties.vmPriority"),
        # Defaults to true (4.x and 3.x).
        Attr("node_public_ip_enabled", "properties.properties.enableNodePublicIp", boolean, default=True),
        Attr("subnet_resource_id", "properties.properties.subnet.id"),
        # Optional and computed in 4.x (the provider's schema: "sets to true by default even if unspecified"): an
        # absent attribute stays absent, as ARM's NotSpecified, which leaves the port open outside a virtual network.
        Attr("ssh_public_access_enabled", "properties.properties.remoteLoginPortPublicAccess", enabled_disabled),
        Block("scale_settings", "properties.properties.scaleSettings", (
            Attr("min_node_count", "minNodeCount"),
            Attr("max_node_count", "maxNodeCount"),
            Attr("scale_down_nodes_after_idle_duration", "nodeIdleTimeBeforeScaleDown"),
        )),
        Block("ssh", "properties.properties.userAccountCredentials", (
            Attr("admin_username", "adminUserName"),
            Attr("key_value", "adminUserSshPublicKey"),
        )),
    ),
)

MACHINE_LEARNING_COMPUTE_INSTANCE = ResourceMap(
    # azurerm has no idle-shutdown or schedule attribute for compute instances: MLC004 reads them as absent.
    tf_type="azurerm_machine_learning_compute_instance",
    arm_type="Microsoft.MachineLearningServices/workspaces/computes",
    api_version=API_VERSION,
    naming=ChildOf("machine_learning_workspace_id"),
    fields=(
        LOCATION, TAGS, IDENTITY,
        Attr("description", "properties.description"),
        Const("properties.computeType", "ComputeInstance"),
        # Defaults to true.
        Attr("local_auth_enabled", "properties.disableLocalAuth", invert, default=True),
        Attr("virtual_machine_size", "properties.properties.vmSize"),
        Attr("authorization_type", "properties.properties.computeInstanceAuthorizationType"),
        # Defaults to true.
        Attr("node_public_ip_enabled", "properties.properties.enableNodePublicIp", boolean, default=True),
        Attr("subnet_resource_id", "properties.properties.subnet.id"),
        Block("assign_to_user", "properties.properties.personalComputeInstanceSettings.assignedUser", (
            Attr("object_id", "objectId"),
            Attr("tenant_id", "tenantId"),
        )),
        Block("ssh", "properties.properties.sshSettings", (
            Attr("public_key", "adminPublicKey"),
            Const("sshPublicAccess", "Enabled"),
        )),
    ),
)

MACHINE_LEARNING_INFERENCE_CLUSTER = ResourceMap(
    tf_type="azurerm_machine_learning_inference_cluster",
    arm_type="Microsoft.MachineLearningServices/workspaces/computes",
    api_version=API_VERSION,
    naming=ChildOf("machine_learning_workspace_id"),
    fields=(
        *_COMPUTE_COMMON,
        Const("properties.computeType", "AKS"),
        Attr("kubernetes_cluster_id", "properties.resourceId"),
        # Defaults to FastProd.
        Attr("cluster_purpose", "properties.properties.clusterPurpose", default="FastProd"),
        Block("ssl", "properties.properties.sslConfiguration", (
            Const("status", "Enabled"),
            Attr("cname", "cname"),
            Attr("leaf_domain_label", "leafDomainLabel"),
            Attr("overwrite_existing_domain", "overwriteExistingDomain", boolean),
        )),
    ),
)

def _outbound_rule(kind: str, rule_type: str, fields: tuple[Field, ...]) -> ResourceMap:
    """One of azurerm's outbound rule resources (`..._outbound_rule_<kind>`): a user-defined `outboundRules` child
    of the workspace in `workspace_id`."""
    return ResourceMap(
        tf_type=f"azurerm_machine_learning_workspace_network_outbound_rule_{kind}",
        arm_type="Microsoft.MachineLearningServices/workspaces/outboundRules",
        api_version=API_VERSION,
        naming=ChildOf("workspace_id"),
        fields=(Const("properties.type", rule_type), Const("properties.category", "UserDefined"), *fields),
    )


OUTBOUND_RULE_FQDN = _outbound_rule("fqdn", "FQDN", (Attr("destination_fqdn", "properties.destination"),))
OUTBOUND_RULE_PRIVATE_ENDPOINT = _outbound_rule("private_endpoint", "PrivateEndpoint", (
    Attr("service_resource_id", "properties.destination.serviceResourceId"),
    Attr("sub_resource_target", "properties.destination.subresourceTarget"),
    # Defaults to false.
    Attr("spark_enabled", "properties.destination.sparkEnabled", boolean, default=False),
))
OUTBOUND_RULE_SERVICE_TAG = _outbound_rule("service_tag", "ServiceTag", (
    Attr("service_tag", "properties.destination.serviceTag"),
    Attr("protocol", "properties.destination.protocol"),
    Attr("port_ranges", "properties.destination.portRanges"),
))

MAPS = (MACHINE_LEARNING_WORKSPACE, AI_FOUNDRY, AI_FOUNDRY_PROJECT, MACHINE_LEARNING_COMPUTE_CLUSTER,
        MACHINE_LEARNING_COMPUTE_INSTANCE, MACHINE_LEARNING_INFERENCE_CLUSTER, OUTBOUND_RULE_FQDN,
        OUTBOUND_RULE_PRIVATE_ENDPOINT, OUTBOUND_RULE_SERVICE_TAG)

