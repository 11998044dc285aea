"""WKL002: production model deployments that all live in one region."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.checks._workload import display, listed, model_accounts, same_workload

_MULTI_REGION_PREFIXES = ("global", "datazone")
"""Deployment types served from Azure's global or data-zone pool of regions (`GlobalStandard`, ...)."""


@implements("WKL002")
def production_models_in_one_region(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when every deployment of the account is Global or DataZone, or another model account of its input is in
    another region."""
    deployments = graph.children(resource, "Microsoft.CognitiveServices/accounts/deployments")
    skus = [d.get("sku.name") for d in deployments]
    unresolved = [s for s in skus if isinstance(s, Unresolved)]
    if unresolved:
        return Status.UNKNOWN, f"a deployment's sku.name is unresolved ({unresolved[0].expression})"
    regional = sorted({str(s) for s in skus if not str(s).lower().startswith(_MULTI_REGION_PREFIXES)})
    if deployments and not regional:
        return Status.PASS, "every deployment is Global or DataZone: served from several regions"
    location = resource.location
    if isinstance(location, Unresolved):
        return Status.UNKNOWN, f"its location is unresolved ({location.expression})"
    elsewhere: list[str] = []
    for other in model_accounts(graph):
        if other is resource or not same_workload(other, resource):
            continue
        if isinstance(other.location, Unresolved):
            return Status.UNKNOWN, f"the location of model account {display(other)} is unresolved"
        if isinstance(other.location, str) and str(other.location).lower() != str(location).lower():
            elsewhere.append(f"{display(other)} ({other.location})")
    if elsewhere:
        return Status.PASS, f"other model accounts serve from other regions: {listed(elsewhere)}"
    kinds = f" (regional deployment types: {', '.join(regional)})" if regional else ""
    return Status.FAIL, (f"production models are served from {location} only{kinds}: a regional outage or "
                         "capacity shortage takes them all down")
