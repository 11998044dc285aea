"""Rules that look for a diagnostic setting sending the resource's logs to Log Analytics (AIS005, MLW003 and the
other services')."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import implements
from aiwell.rules.checks._diagnostics import diagnostic_logs_verdict


@implements("AIS005", "MLW003", "SRC008", "KVT006", "COS007", "ACR009", "GWY008", "MLE007", "STG013")
def without_diagnostic_logs(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a diagnostic setting sends the resource's logs to a Log Analytics workspace."""
    return diagnostic_logs_verdict(resource, graph)
