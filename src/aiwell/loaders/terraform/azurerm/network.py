"""Private endpoints, and the network resources other resources point at (Microsoft.Network).

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2025-01-01). `private_service_connection` goes to
`privateLinkServiceConnections`, or to `manualPrivateLinkServiceConnections` when `is_manual_connection` is true;
`private_dns_zone_group` becomes the `privateDnsZoneGroups` child ARM has for it. Virtual networks, subnets and
private DNS zones are mapped for their names and ids only (graph links), not their settings.
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
    ResourceMap,
    TopLevel,
    as_bool,
    first_block,
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


VIRTUAL_NETWORK = ResourceMap(
    tf_type="azurerm_virtual_network",
    arm_type="Microsoft.Network/virtualNetworks",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(LOCATION, TAGS, Attr("address_space", "properties.addressSpace.addressPrefixes")),
)

SUBNET = ResourceMap(
    tf_type="azurerm_subnet",
    arm_type="Microsoft.Network/virtualNetworks/subnets",
    api_version=API_VERSION,
    naming=ChildOfNamed("Microsoft.Network/virtualNetworks", "virtual_network_name"),
    fields=(Attr("address_prefixes", "properties.addressPrefixes"),),
)

PRIVATE_DNS_ZONE = ResourceMap(
    tf_type="azurerm_private_dns_zone",
    arm_type="Microsoft.Network/privateDnsZones",
    api_version="2024-06-01",
    naming=TopLevel(),
    fields=(TAGS,),
)

MAPS = (PRIVATE_ENDPOINT, VIRTUAL_NETWORK, SUBNET, PRIVATE_DNS_ZONE)

