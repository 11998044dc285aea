"""Rules that apply the network-posture policy (`_network_posture`): a service is not reachable from any network."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import implements
from aiwell.rules.checks._network_posture import network_posture_verdict


@implements("AIS001", "SRC001", "STG005", "KVT004", "COS002", "ACR002", "MLW001", "APP006", "GWY003", "AKS006",
            "APP023", by_document=True)
def reachable_from_any_network(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass a private or restricted service, fail an open one (docs/rule-format.md, "Network posture")."""
    return network_posture_verdict(resource, graph)
