"""AID003: a provisioned-throughput model deployment with no pay-as-you-go deployment to spill over to."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, show

PAY_AS_YOU_GO_FOR = {
    "provisionedmanaged": "Standard",
    "globalprovisionedmanaged": "GlobalStandard",
    "datazoneprovisionedmanaged": "DataZoneStandard",
}
"""The pay-as-you-go SKU whose data-processing scope matches each provisioned SKU (lower-case keys)."""


@implements("AID003")
def provisioned_deployment_without_spillover(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the spillover deployment is a sibling with the pay-as-you-go SKU of the same scope."""
    sku = resource.get("sku.name")
    expected = PAY_AS_YOU_GO_FOR[str(sku).lower()]
    spillover = resource.get("properties.spilloverDeploymentName")
    if isinstance(spillover, Unresolved):
        return Status.UNKNOWN, ("properties.spilloverDeploymentName is unresolved "
                                f"({describe_unresolved(spillover)})")
    if not isinstance(spillover, str) or not spillover.strip():
        return Status.FAIL, f"properties.spilloverDeploymentName is not set; expected a {expected} deployment"
    target = graph.sibling(resource, spillover.strip())
    if target is None:
        if isinstance(resource.name, Unresolved) and isinstance(resource.id, Unresolved):
            return Status.UNKNOWN, (f"its name can't be resolved ({describe_unresolved(resource.name)}), so "
                                    f"spillover deployment {show(spillover)} can't be found")
        unnamed = [other.name for other in graph.of_type(resource.type) if isinstance(other.name, Unresolved)]
        if unnamed:
            return Status.UNKNOWN, (f"spillover {show(spillover)} was not found, but a deployment's "
                                    f"name can't be resolved ({describe_unresolved(unnamed[0])})")
        return Status.FAIL, f"spillover deployment {show(spillover)} is not a deployment of the same account"
    target_sku = target.get("sku.name")
    if isinstance(target_sku, Unresolved):
        return Status.UNKNOWN, (f"the SKU of spillover deployment {show(spillover)} is unresolved "
                                f"({describe_unresolved(target_sku)})")
    if isinstance(target_sku, str) and target_sku.lower() == expected.lower():
        return Status.PASS, f"spills over to {show(spillover)} ({target_sku})"
    return Status.FAIL, (f"spillover deployment {show(spillover)} has sku.name {show(target_sku)}, "
                         f"expected {expected}")
