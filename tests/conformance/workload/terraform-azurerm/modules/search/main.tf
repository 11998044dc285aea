# AI Search behind a private endpoint, with its logs sent to Log Analytics.

terraform {
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
    }
  }
}

resource "azurerm_search_service" "this" {
  name                          = var.name
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = "standard"
  replica_count                 = var.replica_count
  partition_count               = 1
  hosting_mode                  = "default"
  public_network_access_enabled = false
  local_authentication_enabled  = true
  authentication_failure_mode   = "http401WithBearerChallenge"
  semantic_search_sku           = "standard"

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_private_endpoint" "this" {
  name                = "pe-${azurerm_search_service.this.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id

  private_service_connection {
    name                           = "searchService"
    private_connection_resource_id = azurerm_search_service.this.id
    subresource_names              = ["searchService"]
    is_manual_connection           = false
  }
}

resource "azurerm_monitor_diagnostic_setting" "this" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_search_service.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
