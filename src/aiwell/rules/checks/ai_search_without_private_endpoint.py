"""SRC007: an AI Search service that no private endpoint reaches."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import implements
from aiwell.rules.checks._private_link import private_endpoint_verdict


@implements("SRC007")
def ai_search_without_private_endpoint(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a private endpoint reaches the service (or an inventory shows an Approved connection)."""
    return private_endpoint_verdict(resource, graph)
