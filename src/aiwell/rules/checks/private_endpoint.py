"""Rules that look for a private endpoint reaching the resource: model accounts, search, storage, Key Vault, Cosmos DB,
container registries, ML workspaces, web apps."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import implements
from aiwell.rules.checks._private_link import private_endpoint_verdict


@implements("AIS004", "SRC007", "STG006", "KVT005", "COS006", "ACR003", "MLW004", "APP007")
def without_private_endpoint(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a private endpoint reaches the resource (or an inventory shows an Approved connection)."""
    return private_endpoint_verdict(resource, graph)
