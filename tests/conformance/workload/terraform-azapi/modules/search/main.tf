# AI Search behind a private endpoint, with its logs sent to Log Analytics.

terraform {
  required_providers {
    azapi = {
      source = "Azure/azapi"
    }
  }
}

resource "azapi_resource" "this" {
  type      = "Microsoft.Search/searchServices@2025-05-01"
  name      = var.name
  parent_id = var.resource_group_id
  location  = var.location

  identity {
    type = "SystemAssigned"
  }

  body = {
    sku = { name = "standard" }
    properties = {
      replicaCount        = var.replica_count
      partitionCount      = 1
      hostingMode         = "default"
      publicNetworkAccess = "disabled"
      disableLocalAuth    = false
      authOptions = {
        aadOrApiKey = { aadAuthFailureMode = "http401WithBearerChallenge" }
      }
      semanticSearch = "standard"
    }
  }
}

resource "azapi_resource" "endpoint" {
  type      = "Microsoft.Network/privateEndpoints@2024-05-01"
  name      = "pe-${azapi_resource.this.name}"
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    properties = {
      subnet = { id = var.private_endpoint_subnet_id }
      privateLinkServiceConnections = [
        {
          name = "searchService"
          properties = {
            privateLinkServiceId = azapi_resource.this.id
            groupIds             = ["searchService"]
          }
        }
      ]
    }
  }
}

resource "azapi_resource" "diagnostics" {
  type      = "Microsoft.Insights/diagnosticSettings@2021-05-01-preview"
  name      = "to-log-analytics"
  parent_id = azapi_resource.this.id

  body = jsonencode({
    properties = {
      workspaceId = var.log_analytics_workspace_id
      logs        = [{ categoryGroup = "allLogs", enabled = true }]
      metrics     = [{ category = "AllMetrics", enabled = true }]
    }
  })
}
