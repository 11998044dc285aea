"""AID003: a provisioned-throughput model deployment with no pay-as-you-go deployment to spill over to."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status, Unresolved
from aiwell.rules.base import rule
from aiwell.rules.declarative import describe_unresolved, show

PAY_AS_YOU_GO_FOR = {
    "provisionedmanaged": "Standard",
    "globalprovisionedmanaged": "GlobalStandard",
    "datazoneprovisionedmanaged": "DataZoneStandard",
}
"""The pay-as-you-go SKU whose data-processing scope matches each provisioned SKU (lower-case keys)."""


@rule(
    id="AID003",
    name="provisioned-deployment-without-spillover",
    title="Provisioned model deployment has no pay-as-you-go spillover",
    resource_types=["Microsoft.CognitiveServices/accounts/deployments"],
    where={"field": "sku.name",
           "in": ["ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"]},
    pillars=["reliability", "performance-efficiency"],
    design_area="application-platform",
    severity="medium",
    missing="fail",
    doc={
        "what": "For a deployment with a provisioned `sku.name` (`ProvisionedManaged`, "
                "`GlobalProvisionedManaged`, `DataZoneProvisionedManaged`), checks that "
                "`properties.spilloverDeploymentName` names another deployment of the same account whose "
                "`sku.name` is the matching pay-as-you-go type (`Standard`, `GlobalStandard`, "
                "`DataZoneStandard`). Other deployments are not applicable.",
        "why": "Provisioned throughput is sized for a planned load; a burst above it is answered with HTTP "
               "429. "
               "Spillover sends that overflow to a standard deployment with the same data-processing scope "
               "instead of failing the request, so users see slower answers rather than errors.",
        "example": """{
  "type": "Microsoft.CognitiveServices/accounts/deployments",
  "apiVersion": "2024-10-01",
  "name": "contoso-openai/gpt-4o-ptu",
  "sku": {"name": "GlobalProvisionedManaged", "capacity": 50},
  "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}
}""",
        "use_instead": {
            "arm": """{
  "type": "Microsoft.CognitiveServices/accounts/deployments",
  "apiVersion": "2025-06-01",
  "name": "contoso-openai/gpt-4o-ptu",
  "sku": {"name": "GlobalProvisionedManaged", "capacity": 50},
  "properties": {
    "model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"},
    "spilloverDeploymentName": "gpt-4o-paygo"
  },
  "dependsOn": ["[resourceId('Microsoft.CognitiveServices/accounts/deployments', 'contoso-openai',
  'gpt-4o-paygo')]"]
},
{
  "type": "Microsoft.CognitiveServices/accounts/deployments",
  "apiVersion": "2025-06-01",
  "name": "contoso-openai/gpt-4o-paygo",
  "sku": {"name": "GlobalStandard", "capacity": 100},
  "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}
}""",
            "bicep": """resource paygo 'Microsoft.CognitiveServices/accounts/deployments@2025-06-01' = {
  parent: openai
  name: 'gpt-4o-paygo'
  sku: { name: 'GlobalStandard', capacity: 100 }
  properties: { model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20' } }
}

resource ptu 'Microsoft.CognitiveServices/accounts/deployments@2025-06-01' = {
  parent: openai
  name: 'gpt-4o-ptu'
  sku: { name: 'GlobalProvisionedManaged', capacity: 50 }
  properties: {
    model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20' }
    spilloverDeploymentName: paygo.name
  }
}""",
            "terraform": """resource "azapi_resource" "ptu" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2025-06-01"
  parent_id = azurerm_cognitive_account.openai.id
  name      = "gpt-4o-ptu"
  body = {
    sku = { name = "GlobalProvisionedManaged", capacity = 50 }
    properties = {
      model                   = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" }
      spilloverDeploymentName = azurerm_cognitive_deployment.paygo.name
    }
  }
}""",
        },
    },
    references=[
        "https://learn.microsoft.com/azure/ai-services/openai/how-to/spillover-traffic-management",
        "https://learn.microsoft.com/azure/architecture/ai-ml/guide/azure-openai-gateway-multi-backend",
        "https://learn.microsoft.com/azure/architecture/ai-ml/architecture/baseline-microsoft-foundry-chat",
    ],
    maps_to=[
        {"peer": "aprl", "id": "0c193899-da60-4a52-b4a0-77d75ac8c5c5", "match": "partial",
         "note": "a manual recommendation (no query) to pair provisioned throughput with a pay-as-you-go "
                 "deployment; it names no spilloverDeploymentName"},
    ],
)
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
