"""AIS004: an AI Services / Azure OpenAI account that no private endpoint reaches."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import rule
from aiwell.rules.checks._private_link import private_endpoint_verdict


@rule(
    id="AIS004",
    name="ai-services-without-private-endpoint",
    title="AI Services account has no private endpoint",
    resource_types=["Microsoft.CognitiveServices/accounts"],
    pillars=["security"],
    design_area="application-platform",
    severity="high",
    missing="fail",
    doc={
        "what": "Looks for a `Microsoft.Network/privateEndpoints` whose `privateLinkServiceConnections` (or "
                "`manualPrivateLinkServiceConnections`) `privateLinkServiceId` is the account. In an "
                "inventory "
                "export, an `Approved` entry in `properties.privateEndpointConnections` also counts.",
        "why": "Model endpoints receive prompts and grounding data that are often confidential. A private "
               "endpoint "
               "keeps that traffic on the Azure backbone and lets public network access be turned off, so "
               "the "
               "account can't be reached, or its data exfiltrated, from the internet.",
        "example": """{
  "type": "Microsoft.CognitiveServices/accounts",
  "apiVersion": "2024-10-01",
  "name": "contoso-openai",
  "kind": "OpenAI",
  "sku": {"name": "S0"},
  "properties": {"customSubDomainName": "contoso-openai"}
}""",
        "use_instead": {
            "arm": """{
  "type": "Microsoft.Network/privateEndpoints",
  "apiVersion": "2024-05-01",
  "name": "contoso-openai-pe",
  "properties": {
    "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet',
    'private-endpoints')]"},
    "privateLinkServiceConnections": [{
      "name": "openai",
      "properties": {
        "privateLinkServiceId": "[resourceId('Microsoft.CognitiveServices/accounts', 'contoso-openai')]",
        "groupIds": ["account"]
      }
    }]
  }
}""",
            "bicep": """resource openaiPe 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'contoso-openai-pe'
  location: location
  properties: {
    subnet: { id: privateEndpointSubnet.id }
    privateLinkServiceConnections: [
      { name: 'openai', properties: { privateLinkServiceId: openai.id, groupIds: [ 'account' ] } }
    ]
  }
}""",
            "terraform": """resource "azurerm_private_endpoint" "openai" {
  name                = "contoso-openai-pe"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  subnet_id           = azurerm_subnet.private_endpoints.id

  private_service_connection {
    name                           = "openai"
    private_connection_resource_id = azurerm_cognitive_account.openai.id
    subresource_names              = ["account"]
    is_manual_connection           = false
  }
}""",
        },
    },
    references=[
        "https://learn.microsoft.com/azure/well-architected/ai/application-platform",
        "https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks",
        "https://learn.microsoft.com/azure/architecture/ai-ml/architecture/baseline-microsoft-foundry-chat",
    ],
    maps_to=[
        {"peer": "azqr", "id": "aif-004", "match": "partial",
         "note": "reads the deployed account's private endpoint connections, in any state; an endpoint declared in "
                 "the IaC does not count there"},
        {"peer": "azure_policy", "id": "d6759c02-b87f-42b7-892e-71b3f471d782", "match": "partial",
         "note": "reads the Approved private endpoint connections of the deployed account; the definition also "
                 "audits AI Search services"},
    ],
)
def ai_services_without_private_endpoint(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a private endpoint reaches the account (or an inventory shows an Approved connection)."""
    return private_endpoint_verdict(resource, graph)
