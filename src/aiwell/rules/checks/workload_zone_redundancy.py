"""WKL003: one hop of the request path is not zone-redundant while others are."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.checks._workload import display, listed

REQUEST_PATH_TYPES = (
    "Microsoft.Web/serverfarms",
    "Microsoft.App/managedEnvironments",
    "Microsoft.ApiManagement/service",
    "Microsoft.Search/searchServices",
    "Microsoft.DocumentDB/databaseAccounts",
)
"""The hops of an AI request path that choose their zone redundancy: app hosting, gateway, retrieval, state."""


def zone_redundant(resource: Resource) -> bool | Unresolved:
    """Whether the resource spreads over availability zones, as its type says it does."""
    kind = resource.type_lower
    if kind in ("microsoft.web/serverfarms", "microsoft.app/managedenvironments"):
        value = resource.get("properties.zoneRedundant")
        return value if isinstance(value, Unresolved) else value is True or str(value).lower() == "true"
    if kind == "microsoft.apimanagement/service":
        zones = resource.zones
        return zones if isinstance(zones, Unresolved) else isinstance(zones, list) and len(zones) >= 2
    if kind == "microsoft.search/searchservices":
        sku, replicas = resource.get("sku.name"), resource.get("properties.replicaCount")
        for value in (sku, replicas):
            if isinstance(value, Unresolved):
                return value
        count = replicas if isinstance(replicas, int) else 1
        return isinstance(sku, str) and sku.lower() != "free" and count >= 2
    locations = resource.get("properties.locations")
    if isinstance(locations, Unresolved):
        return locations
    entries = locations if isinstance(locations, list) else []
    flags = [entry.get("isZoneRedundant") for entry in entries if isinstance(entry, dict)]
    unresolved = [flag for flag in flags if isinstance(flag, Unresolved)]
    if unresolved:
        return unresolved[0]
    return any(flag is True for flag in flags)


_Hops = tuple[list[tuple[Resource, str]], list[tuple[Resource, str]]]
_HOPS: WeakKeyDictionary[ResourceGraph, dict[str, _Hops]] = WeakKeyDictionary()
"""Per graph and input, the zone-redundant hops and those whose redundancy is unresolved, each with its name:
worked out once per review, not once per hop (a large inventory has thousands of hops)."""


def _hops(graph: ResourceGraph, resource: Resource) -> _Hops:
    by_input = _HOPS.get(graph)
    if by_input is None:
        by_input = {}
        for hop in (r for t in REQUEST_PATH_TYPES for r in graph.of_type(t)):
            verdict = zone_redundant(hop)
            redundant, unknown = by_input.setdefault(hop.source.input, ([], []))
            if verdict is True:
                redundant.append((hop, display(hop)))
            elif isinstance(verdict, Unresolved):
                unknown.append((hop, display(hop)))
        _HOPS[graph] = by_input
    return by_input.get(resource.source.input, ([], []))


@implements("WKL003")
def request_path_zone_redundancy_inconsistent(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Fail when this hop is not zone-redundant but another hop of the request path, in the same input, is."""
    mine = zone_redundant(resource)
    if isinstance(mine, Unresolved):
        return Status.UNKNOWN, f"whether it is zone-redundant is unresolved ({mine.expression})"
    if mine:
        return Status.PASS, "zone-redundant"
    redundant_hops, unknown_hops = _hops(graph, resource)
    redundant = [name for hop, name in redundant_hops if hop is not resource]
    if redundant:
        return Status.FAIL, (f"not zone-redundant, while {listed(redundant)} on the same request path "
                             f"{'is' if len(redundant) == 1 else 'are'}: a zone outage takes the path down here")
    unknown = [name for hop, name in unknown_hops if hop is not resource]
    if unknown:
        return Status.UNKNOWN, f"whether {unknown[0]} on the same path is zone-redundant is unresolved"
    return Status.NOT_APPLICABLE, "does not apply: no hop of the request path is zone-redundant"
