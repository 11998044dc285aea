"""Shared logic of the "reached through a private endpoint" rules (AIS004, SRC007)."""

from __future__ import annotations

from typing import Any

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.declarative import describe_unresolved, values_equal


def _names(resources: list[Resource]) -> str:
    shown = [resource.name if isinstance(resource.name, str) else resource.name.expression
             for resource in resources[:3]]
    more = f" and {len(resources) - 3} more" if len(resources) > 3 else ""
    return ", ".join(shown) + more


def _connection_states(resource: Resource) -> list[Any]:
    """The `privateLinkServiceConnectionState.status` of every private endpoint connection an export shows."""
    connections = lookup(resource.properties, "privateEndpointConnections")
    if isinstance(connections, Unresolved):
        return [connections]
    if not isinstance(connections, list):
        return []
    return [lookup(connection, "properties.privateLinkServiceConnectionState.status")
            for connection in connections]


def private_endpoint_verdict(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a private endpoint in the graph targets the resource, or an inventory shows an Approved
    connection.

    Unknown when none is found but an endpoint's target, a connection state, or the resource's own id can't be
    resolved; fail otherwise.
    """
    endpoints = graph.private_endpoints_to(resource)
    if endpoints:
        return Status.PASS, f"private endpoint {_names(endpoints)} connects to it"

    doubts: list[str] = []
    states: list[Any] = []
    if resource.source.format == SourceFormat.INVENTORY:
        states = _connection_states(resource)
        if any(values_equal(state, "Approved") for state in states):
            return Status.PASS, "the export shows an Approved private endpoint connection"
        doubts += [f"a private endpoint connection state is unresolved ({describe_unresolved(state)})"
                   for state in states if isinstance(state, Unresolved)]

    unresolved = graph.unresolved_private_endpoints()
    if unresolved:
        doubts.append(f"private endpoint {_names(unresolved)} has a target that can't be resolved")
    if isinstance(resource.id, Unresolved):
        dangling = graph.private_endpoints_to_unknown_targets(resource.type)
        if dangling:
            doubts.append(f"its id can't be resolved ({describe_unresolved(resource.id)}) and private "
                          f"endpoint {_names(dangling)} targets a {resource.type} not among the inputs")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed and may hold one ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "no private endpoint is known to target it, but " + "; ".join(doubts)

    pending = [state for state in states if isinstance(state, str)]
    if pending:
        return Status.FAIL, ("no private endpoint connection is Approved (states: "
                             + ", ".join(sorted(set(pending))) + ")")
    return Status.FAIL, "no private endpoint targets it"
