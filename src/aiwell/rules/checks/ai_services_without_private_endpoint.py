"""AIS004: an AI Services / Azure OpenAI account that no private endpoint reaches."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import implements
from aiwell.rules.checks._private_link import private_endpoint_verdict


@implements("AIS004")
def ai_services_without_private_endpoint(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a private endpoint reaches the account (or an inventory shows an Approved connection)."""
    return private_endpoint_verdict(resource, graph)
