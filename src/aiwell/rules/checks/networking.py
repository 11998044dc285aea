"""Network paths of an AI workload: private endpoints resolve through private DNS zones (NET001) and sit in subnets an
NSG protects (NET002), agents send their traffic out through a firewall (NET003), and private DNS zones are linked to
a virtual network (NET004)."""

from __future__ import annotations

import re
from typing import Any

from aiwell.graph import ResourceGraph, SubnetView
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, show, values_equal

ZONES_BY_GROUP: dict[str, tuple[str, ...]] = {
    "account": ("privatelink.cognitiveservices.azure.com",),
    "searchservice": ("privatelink.search.windows.net",),
    "blob": ("privatelink.blob.core.windows.net",),
    "blob_secondary": ("privatelink.blob.core.windows.net",),
    "file": ("privatelink.file.core.windows.net",),
    "queue": ("privatelink.queue.core.windows.net",),
    "table": ("privatelink.table.core.windows.net",),
    "dfs": ("privatelink.dfs.core.windows.net",),
    "web": ("privatelink.web.core.windows.net",),
    "vault": ("privatelink.vaultcore.azure.net",),
    "sql": ("privatelink.documents.azure.com",),
    "mongodb": ("privatelink.mongo.cosmos.azure.com",),
    "registry": ("privatelink.azurecr.io",),
    "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
    "amlregistry": ("privatelink.api.azureml.ms",),
    "sites": ("privatelink.azurewebsites.net",),
    "gateway": ("privatelink.azure-api.net",),
    "managedenvironments": ("privatelink.{region}.azurecontainerapps.io",),
}
"""The private DNS zones (public cloud) an endpoint needs for each sub-resource (`groupIds`), lower case."""

ACCOUNT_ZONES_BY_KIND: dict[str, tuple[str, ...]] = {
    "openai": ("privatelink.openai.azure.com",),
    "aiservices": ("privatelink.openai.azure.com", "privatelink.services.ai.azure.com"),
}
"""Extra zones an AI Services account's endpoint needs for its kind: Azure OpenAI's `*.openai.azure.com`, and
Foundry's `*.services.ai.azure.com`."""

ZONE_GROUP = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
CONNECTION_LISTS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
NO_CHILDREN_IN_EXPORT = "Resource Graph's Resources table carries no private DNS zone groups"


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


def _connections(endpoint: Resource) -> list[Any]:
    found: list[Any] = []
    for list_name in CONNECTION_LISTS:
        value = lookup(endpoint.properties, list_name) if endpoint.properties is not MISSING else MISSING
        if isinstance(value, Unresolved):
            found.append(value)
        elif isinstance(value, list):
            found.extend(value)
    return found


def _needed_zones(endpoint: Resource, graph: ResourceGraph) -> tuple[set[str], str | None]:
    """The zones the endpoint's connections need, and a doubt when a group id or the target can't be read."""
    needed: set[str] = set()
    for connection in _connections(endpoint):
        if isinstance(connection, Unresolved):
            return needed, f"its connections are unresolved ({describe_unresolved(connection)})"
        groups = lookup(connection, "properties.groupIds")
        if isinstance(groups, Unresolved):
            return needed, f"its groupIds are unresolved ({describe_unresolved(groups)})"
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, Unresolved):
                return needed, f"a groupId is unresolved ({describe_unresolved(group)})"
            zones = ZONES_BY_GROUP.get(str(group).lower())
            if zones is None:
                continue
            location = endpoint.location if isinstance(endpoint.location, str) else ""
            needed.update(zone.replace("{region}", location.lower() or "<region>") for zone in zones)
            if str(group).lower() == "account":
                target = graph.referenced(lookup(connection, "properties.privateLinkServiceId"), near=endpoint)
                kind = target.kind if isinstance(target, Resource) else MISSING
                if isinstance(kind, Unresolved):
                    return needed, f"the account's kind is unresolved ({describe_unresolved(kind)})"
                extra = ACCOUNT_ZONES_BY_KIND.get(kind.lower()) if isinstance(kind, str) else None
                if extra is None and not isinstance(kind, str):
                    extra = ACCOUNT_ZONES_BY_KIND["openai"]  # the account is not among the inputs: assume OpenAI
                needed.update(extra or ())
    return needed, None


def _zone_name(zone: Any, graph: ResourceGraph, near: Resource) -> str | Unresolved:
    if isinstance(zone, Unresolved):
        found = graph.by_reference(zone, near=near)
        if isinstance(found, Resource) and isinstance(found.name, str):
            return found.name.lower()
        return zone
    return str(zone).rstrip("/").rsplit("/", 1)[-1].lower()


@implements("NET001")
def endpoint_without_dns_zones(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the endpoint's DNS zone groups hold every private DNS zone its sub-resources need."""
    needed, doubt = _needed_zones(resource, graph)
    if doubt is not None:
        return Status.UNKNOWN, f"can't tell which zones it needs: {doubt}"
    if not needed:
        return Status.NOT_APPLICABLE, "does not apply: no sub-resource whose private DNS zone is known"
    present: set[str] = set()
    doubts: list[str] = []
    groups = graph.children(resource, ZONE_GROUP)
    for group in groups:
        configs = lookup(group.properties, "privateDnsZoneConfigs") if group.properties is not MISSING else MISSING
        if isinstance(configs, Unresolved):
            doubts.append(f"zone group {_name(group)} is unresolved ({describe_unresolved(configs)})")
            continue
        for config in configs if isinstance(configs, list) else []:
            zone = _zone_name(lookup(config, "properties.privateDnsZoneId"), graph, group)
            if isinstance(zone, Unresolved):
                doubts.append(f"zone group {_name(group)} names a zone that can't be resolved "
                              f"({describe_unresolved(zone)})")
            elif zone:
                present.add(zone)
    missing = sorted(needed - present)
    if not missing:
        return Status.PASS, f"its zone group registers it in {', '.join(sorted(needed))}"
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, NO_CHILDREN_IN_EXPORT
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    if not groups:
        return Status.FAIL, (f"no private DNS zone group: clients resolve the service's public address and are "
                             f"refused (needs {', '.join(missing)})")
    return Status.FAIL, f"its zone groups lack {', '.join(missing)}"


def _subnet_of(endpoint: Resource, graph: ResourceGraph) -> SubnetView | Unresolved | None | str:
    reference = lookup(endpoint.properties, "subnet.id") if endpoint.properties is not MISSING else MISSING
    if reference is MISSING:
        return "it names no subnet"
    return graph.subnet(reference, near=endpoint)


def _subnet_key(endpoint: Resource) -> str | None:
    reference = lookup(endpoint.properties, "subnet.id") if endpoint.properties is not MISSING else MISSING
    if isinstance(reference, str):
        return reference.strip().lower()
    if isinstance(reference, Unresolved):
        return reference.expression
    return None


@implements("NET002")
def endpoint_subnet_without_nsg(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the endpoint's subnet has an NSG and network policies that apply it to private endpoints.

    Endpoints that share a subnet share the finding: the first of them in input order carries it, the others are
    not applicable and name it.
    """
    key = _subnet_key(resource)
    if key is not None:
        for other in graph.of_type(resource.type):
            if other is resource:
                break
            if _subnet_key(other) == key:
                return Status.NOT_APPLICABLE, f"moot: shares its subnet with {_name(other)}, which carries the result"
    subnet = _subnet_of(resource, graph)
    if isinstance(subnet, str):
        return Status.UNKNOWN, f"can't tell: {subnet}"
    if isinstance(subnet, Unresolved):
        return Status.UNKNOWN, f"its subnet can't be resolved ({describe_unresolved(subnet)})"
    if subnet is None:
        return Status.UNKNOWN, "its subnet is not among the inputs"
    nsg = lookup(subnet.document, "properties.networkSecurityGroup.id")
    if nsg is MISSING and "networkSecurityGroup" in subnet.document:
        nsg = lookup(subnet.document, "networkSecurityGroup.id")
    policies = lookup(subnet.document, "properties.privateEndpointNetworkPolicies")
    for value, what in ((nsg, "its NSG"), (policies, "privateEndpointNetworkPolicies")):
        if isinstance(value, Unresolved):
            return Status.UNKNOWN, (f"{what} on subnet {_name(subnet.owner)} is unresolved "
                                    f"({describe_unresolved(value)})")
    if nsg is MISSING or nsg is None:
        return Status.FAIL, "its subnet has no network security group"
    if not any(values_equal(policies, value) for value in ("Enabled", "NetworkSecurityGroupEnabled")):
        shown = "not set (absent means Disabled)" if policies is MISSING else show(policies)
        return Status.FAIL, (f"its subnet has an NSG, but privateEndpointNetworkPolicies is {shown}, so the NSG "
                             "does not apply to private endpoints")
    return Status.PASS, "its subnet has an NSG that applies to private endpoints"


AGENT_SCENARIO = "agent"


def _default_route(route_table: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    routes: list[Any] = []
    inline = lookup(route_table.properties, "routes") if route_table.properties is not MISSING else MISSING
    if isinstance(inline, Unresolved):
        return Status.UNKNOWN, f"route table {_name(route_table)}'s routes are unresolved"
    routes.extend(inline if isinstance(inline, list) else [])
    routes.extend({"properties": child.properties} for child in
                  graph.children(route_table, "Microsoft.Network/routeTables/routes"))
    for route in routes:
        prefix, hop = lookup(route, "properties.addressPrefix"), lookup(route, "properties.nextHopType")
        if isinstance(prefix, Unresolved) or isinstance(hop, Unresolved):
            return Status.UNKNOWN, f"a route of {_name(route_table)} is unresolved"
        if values_equal(prefix, "0.0.0.0/0"):
            if values_equal(hop, "VirtualAppliance"):
                return Status.PASS, f"route table {_name(route_table)} sends 0.0.0.0/0 to a virtual appliance"
            return Status.FAIL, f"route table {_name(route_table)} sends 0.0.0.0/0 to {show(hop)}, not a firewall"
    return Status.FAIL, f"route table {_name(route_table)} has no 0.0.0.0/0 route to a firewall"


@implements("NET003")
def agent_egress_not_through_firewall(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when every subnet the account injects agents into routes 0.0.0.0/0 to a virtual appliance."""
    injections = lookup(resource.properties, "networkInjections") if resource.properties is not MISSING else MISSING
    if isinstance(injections, Unresolved):
        return Status.UNKNOWN, f"properties.networkInjections is unresolved ({describe_unresolved(injections)})"
    subnets = []
    for injection in injections if isinstance(injections, list) else []:
        scenario = lookup(injection, "scenario")
        if isinstance(scenario, Unresolved):
            return Status.UNKNOWN, f"a network injection's scenario is unresolved ({describe_unresolved(scenario)})"
        if values_equal(scenario, AGENT_SCENARIO) and lookup(injection, "subnetArmId") is not MISSING:
            subnets.append(lookup(injection, "subnetArmId"))
    if not subnets:
        return Status.NOT_APPLICABLE, "does not apply: it injects no agent subnet (properties.networkInjections)"
    verdicts: list[tuple[Status, str]] = []
    for reference in subnets:
        subnet = graph.subnet(reference, near=resource)
        if isinstance(subnet, Unresolved):
            verdicts.append((Status.UNKNOWN, f"the agent subnet can't be resolved ({describe_unresolved(subnet)})"))
            continue
        if subnet is None:
            verdicts.append((Status.UNKNOWN, "the agent subnet is not among the inputs"))
            continue
        table_ref = lookup(subnet.document, "properties.routeTable.id")
        if table_ref is MISSING:
            verdicts.append((Status.FAIL, f"agent subnet {_name(subnet.owner)} has no route table: agents reach the "
                                          "internet directly"))
            continue
        table = graph.referenced(table_ref, near=subnet.owner)
        if isinstance(table, Resource):
            verdicts.append(_default_route(table, graph))
        else:
            verdicts.append((Status.UNKNOWN, "the agent subnet's route table is not among the inputs"))
    for wanted in (Status.FAIL, Status.UNKNOWN):
        chosen = [message for status, message in verdicts if status is wanted]
        if chosen:
            return wanted, "; ".join(chosen)
    return Status.PASS, "; ".join(message for _, message in verdicts)


_PRIVATELINK = re.compile(r"^privatelink\.", re.IGNORECASE)


@implements("NET004")
def private_dns_zone_not_linked(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a private DNS zone for private endpoints has a virtual network link."""
    if not isinstance(resource.name, str):
        return Status.UNKNOWN, f"its name is unresolved ({describe_unresolved(resource.name)})"
    if not _PRIVATELINK.match(resource.name):
        return Status.NOT_APPLICABLE, "does not apply: not a privatelink.* zone"
    links = graph.children(resource, "Microsoft.Network/privateDnsZones/virtualNetworkLinks")
    if links:
        return Status.PASS, f"linked to a virtual network ({', '.join(_name(link) for link in links[:3])})"
    if resource.source.partial:
        return Status.UNKNOWN, f"part of its input was not reviewed ({resource.source.partial})"
    return Status.FAIL, "no virtual network link: nothing resolves names in this zone"
