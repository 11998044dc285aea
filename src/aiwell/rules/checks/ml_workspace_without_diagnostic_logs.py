"""MLW003: a Machine Learning workspace whose logs go to no Log Analytics workspace."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import implements
from aiwell.rules.checks._diagnostics import diagnostic_logs_verdict


@implements("MLW003")
def ml_workspace_without_diagnostic_logs(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a diagnostic setting sends the workspace's logs to a Log Analytics workspace."""
    return diagnostic_logs_verdict(resource, graph)
