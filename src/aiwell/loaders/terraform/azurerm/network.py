"""Private endpoints, and the network resources other resources point at (Microsoft.Network).

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2025-01-01). `private_service_connection` goes to
`privateLinkServiceConnections`, or to `manualPrivateLinkServiceConnections` when `is_manual_connection` is true;
`private_dns_zone_group` becomes the `privateDnsZoneGroups` child ARM has for it. Subnets carry the settings the
network rules read (private-endpoint network policies, default outbound access, delegations); the NSG and route
table associations are patches onto the subnet, as ARM has them. Virtual networks and private DNS zones are mapped
for their names and ids (graph links), private DNS zone links for the zone and network they join.

Application Gateways keep their SKU (under `properties.sku`, as ARM has it), zones, autoscale bounds, WAF policy
(`firewall_policy_id` → `firewallPolicy.id`) and classic `waf_configuration`. A WAF policy
(`azurerm_web_application_firewall_policy`) keeps its `policy_settings` (within the block `enabled` defaults to
true and `mode` to Prevention; without the block the provider sends none, and Azure starts the policy enabled in
Detection mode) and its managed rule sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    LOCATION,
    TAGS,
    Attr,
    Block,
    ChildMap,
    ChildOfNamed,
    Derived,
    Patches,
    ResourceMap,
    TopLevel,
    as_bool,
    boolean,
    copy,
    enabled_disabled,
    first_block,
    invert,
)
from aiwell.model import MISSING, Unresolved

API_VERSION = "2025-01-01"


def _connection(block: Mapping[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for attribute, key in (("private_connection_resource_id", "privateLinkServiceId"),
                           ("subresource_names", "groupIds"), ("request_message", "requestMessage")):
        if block.get(attribute) is not None:
            properties[key] = block[attribute]
    if "privateLinkServiceId" not in properties and block.get("private_connection_resource_alias") is not None:
        properties["privateLinkServiceId"] = Unresolved(
            str(block["private_connection_resource_alias"]), "the endpoint names its target by a service alias")
    connection: dict[str, Any] = {"properties": properties}
    if block.get("name") is not None:
        connection["name"] = block["name"]
    return connection


def _connections(manual: bool) -> Any:
    """The connection list for automatic (`manual=False`) or manual approval, from `private_service_connection`."""
    def compute(attributes: Mapping[str, Any]) -> Any:
        raw = attributes.get("private_service_connection")
        block = MISSING if raw is None else first_block(raw)
        if block is MISSING:
            return MISSING
        if isinstance(block, Unresolved):
            # Which list it belongs to is unknown; put it where a rule looks first.
            return MISSING if manual else block
        if not isinstance(block, dict):
            return MISSING
        flag = block.get("is_manual_connection")
        if isinstance(flag, Unresolved):
            return MISSING if manual else [{"properties": {"privateLinkServiceId": flag}}]
        if bool(as_bool(flag)) != manual:
            return MISSING
        return [_connection(block)]
    return compute


def _zone_configs(block: Mapping[str, Any]) -> Any:
    ids = block.get("private_dns_zone_ids")
    if ids is None:
        return MISSING
    if not isinstance(ids, list):
        return ids
    configs = []
    for zone in ids:
        # The provider names each config after its zone.
        name = zone.rstrip("/").rsplit("/", 1)[-1] if isinstance(zone, str) else zone
        configs.append({"name": name, "properties": {"privateDnsZoneId": zone}})
    return configs


PRIVATE_ENDPOINT = ResourceMap(
    tf_type="azurerm_private_endpoint",
    arm_type="Microsoft.Network/privateEndpoints",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS,
        Attr("subnet_id", "properties.subnet.id"),
        Attr("custom_network_interface_name", "properties.customNetworkInterfaceName"),
        Derived("properties.privateLinkServiceConnections", _connections(manual=False)),
        Derived("properties.manualPrivateLinkServiceConnections", _connections(manual=True)),
        Block("ip_configuration", "properties.ipConfigurations", (
            Attr("name", "name"),
            Attr("private_ip_address", "properties.privateIPAddress"),
            Attr("subresource_name", "properties.groupId"),
            Attr("member_name", "properties.memberName"),
        ), many=True),
    ),
    children=(
        ChildMap(
            arm_type="Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            api_version=API_VERSION,
            block="private_dns_zone_group",
            fields=(Derived("properties.privateDnsZoneConfigs", _zone_configs),),
        ),
    ),
)


def _ddos_plan(attributes: Mapping[str, Any], key: str) -> Any:
    """A field of the `ddos_protection_plan` block (`id`, `enable`); absent without the block."""
    block = first_block(attributes.get("ddos_protection_plan"))
    if isinstance(block, Unresolved):
        return block
    if not isinstance(block, Mapping) or block.get(key) is None:
        return MISSING
    return boolean(block[key]) if key == "enable" else block[key]


VIRTUAL_NETWORK = ResourceMap(
    tf_type="azurerm_virtual_network",
    arm_type="Microsoft.Network/virtualNetworks",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS, Attr("address_space", "properties.addressSpace.addressPrefixes"),
        Derived("properties.ddosProtectionPlan.id", lambda attributes: _ddos_plan(attributes, "id")),
        Derived("properties.enableDdosProtection", lambda attributes: _ddos_plan(attributes, "enable")),
    ),
)

PUBLIC_IP = ResourceMap(
    tf_type="azurerm_public_ip",
    arm_type="Microsoft.Network/publicIPAddresses",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS,
        Attr("zones", "zones"),
        Attr("sku", "sku.name", default="Standard"),
        Attr("allocation_method", "properties.publicIPAllocationMethod"),
        # Defaults to VirtualNetworkInherited.
        Attr("ddos_protection_mode", "properties.ddosSettings.protectionMode", default="VirtualNetworkInherited"),
        Attr("ddos_protection_plan_id", "properties.ddosSettings.ddosProtectionPlan.id"),
    ),
)

SUBNET = ResourceMap(
    tf_type="azurerm_subnet",
    arm_type="Microsoft.Network/virtualNetworks/subnets",
    api_version=API_VERSION,
    naming=ChildOfNamed("Microsoft.Network/virtualNetworks", "virtual_network_name"),
    fields=(
        Attr("address_prefixes", "properties.addressPrefixes"),
        # Defaults to "Disabled" (4.x; 3.x had the boolean private_endpoint_network_policies_enabled).
        Attr("private_endpoint_network_policies", "properties.privateEndpointNetworkPolicies", copy,
             default="Disabled"),
        # Defaults to true (v4.81.0 docs).
        Attr("default_outbound_access_enabled", "properties.defaultOutboundAccess", boolean, default=True),
        Block("delegation", "properties.delegations", (
            Attr("name", "name"),
            Block("service_delegation", "properties", (Attr("name", "serviceName"),)),
        ), many=True),
    ),
)

SUBNET_NSG_ASSOCIATION = ResourceMap(
    tf_type="azurerm_subnet_network_security_group_association",
    arm_type="Microsoft.Network/virtualNetworks/subnets",
    api_version=API_VERSION,
    naming=Patches("subnet_id"),
    fields=(Attr("network_security_group_id", "properties.networkSecurityGroup.id"),),
)

SUBNET_ROUTE_TABLE_ASSOCIATION = ResourceMap(
    tf_type="azurerm_subnet_route_table_association",
    arm_type="Microsoft.Network/virtualNetworks/subnets",
    api_version=API_VERSION,
    naming=Patches("subnet_id"),
    fields=(Attr("route_table_id", "properties.routeTable.id"),),
)

_SECURITY_RULE = (
    Attr("name", "name"),
    Attr("priority", "properties.priority"),
    Attr("direction", "properties.direction"),
    Attr("access", "properties.access"),
    Attr("protocol", "properties.protocol"),
    Attr("source_address_prefix", "properties.sourceAddressPrefix"),
    Attr("source_address_prefixes", "properties.sourceAddressPrefixes"),
    Attr("destination_address_prefix", "properties.destinationAddressPrefix"),
    Attr("destination_address_prefixes", "properties.destinationAddressPrefixes"),
    Attr("source_port_range", "properties.sourcePortRange"),
    Attr("destination_port_range", "properties.destinationPortRange"),
    Attr("destination_port_ranges", "properties.destinationPortRanges"),
)

NETWORK_SECURITY_GROUP = ResourceMap(
    tf_type="azurerm_network_security_group",
    arm_type="Microsoft.Network/networkSecurityGroups",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(LOCATION, TAGS, Block("security_rule", "properties.securityRules", _SECURITY_RULE, many=True)),
)

_ROUTE = (
    Attr("name", "name"),
    Attr("address_prefix", "properties.addressPrefix"),
    Attr("next_hop_type", "properties.nextHopType"),
    Attr("next_hop_in_ip_address", "properties.nextHopIpAddress"),
)

ROUTE_TABLE = ResourceMap(
    tf_type="azurerm_route_table",
    arm_type="Microsoft.Network/routeTables",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS,
        Block("route", "properties.routes", _ROUTE, many=True),
        # bgp_route_propagation_enabled defaults to true (4.x; 3.x: disable_bgp_route_propagation).
        Attr("bgp_route_propagation_enabled", "properties.disableBgpRoutePropagation", invert, default=True),
    ),
)

ROUTE = ResourceMap(
    tf_type="azurerm_route",
    arm_type="Microsoft.Network/routeTables/routes",
    api_version=API_VERSION,
    naming=ChildOfNamed("Microsoft.Network/routeTables", "route_table_name"),
    fields=_ROUTE[1:],
)

FIREWALL = ResourceMap(
    tf_type="azurerm_firewall",
    arm_type="Microsoft.Network/azureFirewalls",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS,
        Attr("zones", "zones"),
        Attr("sku_name", "properties.sku.name"),
        Attr("sku_tier", "properties.sku.tier"),
        Attr("firewall_policy_id", "properties.firewallPolicy.id"),
        Attr("threat_intel_mode", "properties.threatIntelMode"),
        Block("ip_configuration", "properties.ipConfigurations", (
            Attr("name", "name"),
            Attr("subnet_id", "properties.subnet.id"),
            Attr("public_ip_address_id", "properties.publicIPAddress.id"),
        ), many=True),
    ),
)

PRIVATE_DNS_ZONE_LINK = ResourceMap(
    tf_type="azurerm_private_dns_zone_virtual_network_link",
    arm_type="Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    api_version="2024-06-01",
    naming=ChildOfNamed("Microsoft.Network/privateDnsZones", "private_dns_zone_name"),
    fields=(
        TAGS,
        Attr("virtual_network_id", "properties.virtualNetwork.id"),
        # Defaults to false.
        Attr("registration_enabled", "properties.registrationEnabled", boolean, default=False),
    ),
)

PRIVATE_DNS_ZONE = ResourceMap(
    tf_type="azurerm_private_dns_zone",
    arm_type="Microsoft.Network/privateDnsZones",
    api_version="2024-06-01",
    naming=TopLevel(),
    fields=(TAGS,),
)

APPLICATION_GATEWAY = ResourceMap(
    tf_type="azurerm_application_gateway",
    arm_type="Microsoft.Network/applicationGateways",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS,
        Attr("zones", "zones"),
        Block("sku", "properties.sku", (
            Attr("name", "name"),
            Attr("tier", "tier"),
            Attr("capacity", "capacity"),
        )),
        Block("autoscale_configuration", "properties.autoscaleConfiguration", (
            Attr("min_capacity", "minCapacity"),
            Attr("max_capacity", "maxCapacity"),
        )),
        Attr("firewall_policy_id", "properties.firewallPolicy.id"),
        Block("gateway_ip_configuration", "properties.gatewayIPConfigurations", (
            Attr("name", "name"),
            Attr("subnet_id", "properties.subnet.id"),
        ), many=True),
        Block("frontend_ip_configuration", "properties.frontendIPConfigurations", (
            Attr("name", "name"),
            Attr("public_ip_address_id", "properties.publicIPAddress.id"),
            Attr("subnet_id", "properties.subnet.id"),
            Attr("private_ip_address", "properties.privateIPAddress"),
        ), many=True),
        Block("waf_configuration", "properties.webApplicationFirewallConfiguration", (
            Attr("enabled", "enabled", boolean),
            Attr("firewall_mode", "firewallMode"),
            Attr("rule_set_type", "ruleSetType"),
            Attr("rule_set_version", "ruleSetVersion"),
        )),
    ),
)

WEB_APPLICATION_FIREWALL_POLICY = ResourceMap(
    tf_type="azurerm_web_application_firewall_policy",
    arm_type="Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS,
        Block("policy_settings", "properties.policySettings", (
            # Both default within the block (v4.81.0 docs): enabled true, mode Prevention.
            Attr("enabled", "state", enabled_disabled, default=True),
            Attr("mode", "mode", default="Prevention"),
        )),
        Block("managed_rules", "properties.managedRules", (
            Block("managed_rule_set", "managedRuleSets", (
                Attr("type", "ruleSetType", default="OWASP"),
                Attr("version", "ruleSetVersion"),
            ), many=True),
        )),
    ),
)

MAPS = (PRIVATE_ENDPOINT, VIRTUAL_NETWORK, SUBNET, PRIVATE_DNS_ZONE, SUBNET_NSG_ASSOCIATION,
        SUBNET_ROUTE_TABLE_ASSOCIATION, NETWORK_SECURITY_GROUP, ROUTE_TABLE, ROUTE, FIREWALL, PRIVATE_DNS_ZONE_LINK,
        APPLICATION_GATEWAY, WEB_APPLICATION_FIREWALL_POLICY, PUBLIC_IP)

