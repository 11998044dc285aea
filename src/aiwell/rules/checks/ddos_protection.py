"""NET006: a production virtual network that hosts a public entry point with no DDoS protection."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.checks._workload import display
from aiwell.rules.declarative import describe_unresolved

_ENTRY_POINTS = (
    ("Microsoft.Network/applicationGateways", "properties.gatewayIPConfigurations",
     "properties.frontendIPConfigurations"),
    ("Microsoft.Network/azureFirewalls", "properties.ipConfigurations", "properties.ipConfigurations"),
)
"""Resources that put a public IP address in a virtual network: where they sit (subnets), where their public
addresses are."""


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _network_of(reference: object, graph: ResourceGraph, near: Resource) -> Resource | Unresolved | None:
    subnet = graph.subnet(reference, near=near)
    if subnet is None or isinstance(subnet, Unresolved):
        return subnet
    owner = subnet.owner
    return owner if owner.type_lower == "microsoft.network/virtualnetworks" else graph.parent(owner)


def _public_addresses(entry: Resource, path: str) -> list[object]:
    """The public IP addresses (ids or references) an entry point's configurations at `path` name."""
    found = [lookup(config, "properties.publicIPAddress.id") for config in _list(entry.get(path))
             if isinstance(config, dict)]
    return [address for address in found if address is not MISSING]


def _protected_address(reference: object, graph: ResourceGraph, near: Resource) -> bool:
    """Whether a public IP address has DDoS IP Protection of its own (`ddosSettings.protectionMode: Enabled`)."""
    found = graph.referenced(reference, near=near)
    if not isinstance(found, Resource):
        return False
    mode = found.get("properties.ddosSettings.protectionMode")
    return isinstance(mode, str) and mode.lower() == "enabled"


@implements("NET006")
def public_entry_without_ddos_protection(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the network has DDoS Network Protection, or every public address of its entry points has DDoS IP
    Protection; not applicable when no Application Gateway or Azure Firewall sits in it."""
    enabled = resource.get("properties.enableDdosProtection")
    plan = resource.get("properties.ddosProtectionPlan.id")
    for value in (enabled, plan):
        if isinstance(value, Unresolved):
            return Status.UNKNOWN, f"its DDoS protection can't be resolved ({describe_unresolved(value)})"
    if (enabled is True or str(enabled).lower() == "true") and plan is not MISSING and plan:
        return Status.PASS, "DDoS Network Protection is enabled with a protection plan"
    entries: dict[int, tuple[Resource, list[object]]] = {}
    doubts: list[str] = []
    for entry_type, subnets_path, addresses_path in _ENTRY_POINTS:
        public_frontend_needed = entry_type.endswith("applicationGateways")
        for entry in graph.of_type(entry_type):
            addresses = _public_addresses(entry, addresses_path)
            for config in _list(entry.get(subnets_path)):
                network = _network_of(lookup(config, "properties.subnet.id"), graph, entry) \
                    if isinstance(config, dict) else None
                if isinstance(network, Unresolved):
                    doubts.append(f"{display(entry)} sits in a subnet that can't be resolved")
                elif network is resource and (addresses or not public_frontend_needed):
                    entries[id(entry)] = (entry, addresses)
    if entries:
        unprotected = [entry for entry, addresses in entries.values()
                       if not all(_protected_address(address, graph, entry) for address in addresses)]
        if not unprotected:
            return Status.PASS, "every public address of its entry points has DDoS IP Protection"
        names = ", ".join(display(entry) for entry in unprotected)
        return Status.FAIL, (f"{names} takes traffic from the internet in it, and neither the network "
                             "(enableDdosProtection with a ddosProtectionPlan) nor the public addresses "
                             "(ddosSettings.protectionMode: Enabled) have DDoS protection beyond the basic "
                             "infrastructure protection")
    if doubts:
        return Status.UNKNOWN, f"can't tell whether a public entry point sits in it: {doubts[0]}"
    return Status.NOT_APPLICABLE, ("does not apply: no Application Gateway with a public frontend or Azure "
                                   "Firewall sits in it")

