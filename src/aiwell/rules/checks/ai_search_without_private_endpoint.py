"""SRC007: an AI Search service that no private endpoint reaches."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import rule
from aiwell.rules.checks._private_link import private_endpoint_verdict


@rule(
    id="SRC007",
    name="ai-search-without-private-endpoint",
    title="AI Search service has no private endpoint",
    resource_types=["Microsoft.Search/searchServices"],
    pillars=["security"],
    design_area="data-platform",
    severity="high",
    missing="fail",
    doc={
        "what": "Looks for a `Microsoft.Network/privateEndpoints` whose `privateLinkServiceConnections` (or "
                "`manualPrivateLinkServiceConnections`) `privateLinkServiceId` is the search service. In an "
                "inventory export, an `Approved` entry in `properties.privateEndpointConnections` also "
                "counts.",
        "why": "A search index used for grounding holds copies of the workload's documents, vectors "
               "included, and "
               "deserves the protection of the data it was built from. A private endpoint keeps queries and "
               "indexing on the Azure backbone and lets public network access be turned off.",
        "example": """{
  "type": "Microsoft.Search/searchServices",
  "apiVersion": "2024-06-01-preview",
  "name": "contoso-search",
  "sku": {"name": "standard"},
  "properties": {"replicaCount": 3, "partitionCount": 1}
}""",
        "use_instead": {
            "arm": """{
  "type": "Microsoft.Network/privateEndpoints",
  "apiVersion": "2024-05-01",
  "name": "contoso-search-pe",
  "properties": {
    "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet',
    'private-endpoints')]"},
    "privateLinkServiceConnections": [{
      "name": "search",
      "properties": {
        "privateLinkServiceId": "[resourceId('Microsoft.Search/searchServices', 'contoso-search')]",
        "groupIds": ["searchService"]
      }
    }]
  }
}""",
            "bicep": """resource searchPe 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'contoso-search-pe'
  location: location
  properties: {
    subnet: { id: privateEndpointSubnet.id }
    privateLinkServiceConnections: [
      { name: 'search', properties: { privateLinkServiceId: search.id, groupIds: [ 'searchService' ] } }
    ]
  }
}""",
            "terraform": """resource "azurerm_private_endpoint" "search" {
  name                = "contoso-search-pe"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  subnet_id           = azurerm_subnet.private_endpoints.id

  private_service_connection {
    name                           = "search"
    private_connection_resource_id = azurerm_search_service.main.id
    subresource_names              = ["searchService"]
    is_manual_connection           = false
  }
}""",
        },
    },
    references=[
        "https://learn.microsoft.com/azure/well-architected/ai/data-platform",
        "https://learn.microsoft.com/azure/search/service-create-private-endpoint",
        "https://learn.microsoft.com/azure/architecture/ai-ml/architecture/baseline-microsoft-foundry-chat",
    ],
    maps_to=[
        {"peer": "azqr", "id": "srch-005", "match": "partial",
         "note": "reads the deployed service's private endpoint connections, in any state; an endpoint declared in "
                 "the IaC does not count there"},
        {"peer": "azure_policy", "id": "d6759c02-b87f-42b7-892e-71b3f471d782", "match": "partial",
         "note": "reads the Approved private endpoint connections of the deployed service; the definition also "
                 "audits AI Services accounts"},
    ],
)
def ai_search_without_private_endpoint(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a private endpoint reaches the service (or an inventory shows an Approved connection)."""
    return private_endpoint_verdict(resource, graph)
