"""Foundry projects: traces go to Application Insights through a project (or account) connection (AIF006)."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

PROJECT_CONNECTION = "Microsoft.CognitiveServices/accounts/projects/connections"
ACCOUNT_CONNECTION = "Microsoft.CognitiveServices/accounts/connections"


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


@implements("AIF006")
def project_without_application_insights(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the project or its account has an `AppInsights` connection."""
    account = graph.parent(resource)
    connections = graph.children(resource, PROJECT_CONNECTION)
    if account is not None:
        connections += graph.children(account, ACCOUNT_CONNECTION)
    doubts: list[str] = []
    for connection in connections:
        category = lookup(connection.properties, "category") if connection.properties is not MISSING else MISSING
        if isinstance(category, Unresolved):
            doubts.append(f"connection {_name(connection)} has a category that can't be resolved "
                          f"({describe_unresolved(category)})")
        elif values_equal(category, "AppInsights"):
            return Status.PASS, f"connection {_name(connection)} sends its traces to Application Insights"
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, "Resource Graph's Resources table carries no project connections"
    if isinstance(resource.name, Unresolved):
        doubts.append(f"its name can't be resolved ({describe_unresolved(resource.name)}), so its connections can't "
                      "be found")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    return Status.FAIL, "no AppInsights connection on the project or its account"
