# Conformance workload: a retrieval-augmented chat app, written with the azurerm provider. The same workload is
# written in every input format aiwell reads (docs/conformance.md); names are fixed so results compare.

terraform {
  required_version = ">= 1.9"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.78, < 6.0"
    }
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.4"
    }
  }
}

provider "azurerm" {
  features {}
}

locals {
  account_name = "oai-${var.workload_name}"
  storage_name = replace("st${var.workload_name}", "-", "")
  tags = {
    workload = var.workload_name
  }
}

resource "azurerm_log_analytics_workspace" "logs" {
  name                = "log-${var.workload_name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

resource "azurerm_cognitive_account" "ai" {
  name                               = local.account_name
  location                           = var.location
  resource_group_name                = var.resource_group_name
  kind                               = "AIServices"
  sku_name                           = "S0"
  custom_subdomain_name              = local.account_name
  public_network_access_enabled      = false
  local_auth_enabled                 = false
  outbound_network_access_restricted = false

  network_acls {
    default_action = "Deny"
  }

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

resource "azurerm_cognitive_deployment" "chat" {
  name                   = "gpt-4o"
  cognitive_account_id   = azurerm_cognitive_account.ai.id
  rai_policy_name        = "Microsoft.DefaultV2"
  version_upgrade_option = "NoAutoUpgrade"

  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }

  sku {
    name     = "GlobalStandard"
    capacity = 100
  }
}

# Provisioned throughput for the steady load; bursts spill over to the pay-as-you-go deployment. azurerm has no
# spillover_deployment_name yet, so this one deployment goes through azapi.
resource "azapi_resource" "chat_provisioned" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2025-06-01"
  name      = "gpt-4o-ptu"
  parent_id = azurerm_cognitive_account.ai.id

  body = {
    sku = {
      name     = "GlobalProvisionedManaged"
      capacity = 50
    }
    properties = {
      model = {
        format  = "OpenAI"
        name    = "gpt-4o"
        version = "2024-11-20"
      }
      raiPolicyName           = "Microsoft.DefaultV2"
      versionUpgradeOption    = "NoAutoUpgrade"
      spilloverDeploymentName = azurerm_cognitive_deployment.chat.name
    }
  }
}

resource "azurerm_cognitive_deployment" "embedding" {
  name                   = var.embedding_model.name
  cognitive_account_id   = azurerm_cognitive_account.ai.id
  rai_policy_name        = "Microsoft.DefaultV2"
  version_upgrade_option = "OnceNewDefaultVersionAvailable"
  depends_on             = [azapi_resource.chat_provisioned]

  model {
    format  = "OpenAI"
    name    = var.embedding_model.name
    version = var.embedding_model.version
  }

  sku {
    name     = "Standard"
    capacity = var.embedding_model.capacity
  }
}

resource "azurerm_private_endpoint" "ai" {
  name                = "pe-${azurerm_cognitive_account.ai.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id

  private_service_connection {
    name                           = "account"
    private_connection_resource_id = azurerm_cognitive_account.ai.id
    subresource_names              = ["account"]
    is_manual_connection           = false
  }
}

resource "azurerm_monitor_diagnostic_setting" "ai" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_cognitive_account.ai.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

module "search" {
  source = "./modules/search"

  name                       = "srch-${var.workload_name}"
  location                   = var.location
  resource_group_name        = var.resource_group_name
  replica_count              = 2
  private_endpoint_subnet_id = var.private_endpoint_subnet_id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
}

resource "azurerm_storage_account" "data" {
  name                            = local.storage_name
  location                        = var.location
  resource_group_name             = var.resource_group_name
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "ZRS"
  access_tier                     = "Hot"
  allow_nested_items_to_be_public = false
  # The ML workspace's default datastores still authenticate with the account key.
  shared_access_key_enabled  = true
  min_tls_version            = "TLS1_2"
  https_traffic_only_enabled = true
  tags                       = local.tags
}

resource "azurerm_key_vault" "vault" {
  name                       = "kv-${var.workload_name}"
  location                   = var.location
  resource_group_name        = var.resource_group_name
  tenant_id                  = var.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = false
  soft_delete_retention_days = 90
  tags                       = local.tags
}

resource "azurerm_machine_learning_workspace" "ml" {
  name                          = "mlw-${var.workload_name}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  friendly_name                 = "Contoso chat ML"
  sku_name                      = "Basic"
  storage_account_id            = azurerm_storage_account.data.id
  key_vault_id                  = azurerm_key_vault.vault.id
  application_insights_id       = var.application_insights_id
  public_network_access_enabled = true

  managed_network {
    isolation_mode = "AllowOnlyApprovedOutbound"
  }

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

resource "azurerm_machine_learning_compute_cluster" "cpu" {
  name                          = "cpu-cluster"
  location                      = var.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  vm_size                       = "Standard_DS3_v2"
  vm_priority                   = "Dedicated"
  local_auth_enabled            = false
  node_public_ip_enabled        = false

  scale_settings {
    min_node_count                       = 0
    max_node_count                       = 4
    scale_down_nodes_after_idle_duration = "PT15M"
  }

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_machine_learning_compute_instance" "data_scientist" {
  name                          = "ci-contoso-ds"
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  virtual_machine_size          = "Standard_DS11_v2"
  authorization_type            = "personal"
  local_auth_enabled            = true
  node_public_ip_enabled        = true
}

resource "azurerm_cosmosdb_account" "history" {
  name                          = "cosmos-${var.workload_name}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  offer_type                    = "Standard"
  kind                          = "GlobalDocumentDB"
  local_authentication_enabled  = false
  public_network_access_enabled = true

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = var.location
    failover_priority = 0
    zone_redundant    = false
  }

  backup {
    type = "Continuous"
    tier = "Continuous7Days"
  }

  tags = local.tags
}

resource "azurerm_service_plan" "web" {
  name                = "asp-${var.workload_name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  os_type             = "Linux"
  sku_name            = "P1v3"
}

resource "azurerm_linux_web_app" "chat" {
  name                = "app-${var.workload_name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  service_plan_id     = azurerm_service_plan.web.id
  https_only          = true
  # The provider's defaults are the opposite of ARM's: written out, every format deploys the same app.
  client_affinity_enabled = true

  site_config {
    minimum_tls_version = "1.2"
    ftps_state          = "Disabled"
    always_on           = false

    application_stack {
      python_version = "3.12"
    }
  }

  tags = local.tags
}

output "search_service_id" {
  value = module.search.id
}
