# Conformance workload: a retrieval-augmented chat app, written with azapi resources (ARM bodies). The same
# workload is written in every input format aiwell reads (docs/conformance.md); names are fixed so results compare.

terraform {
  required_version = ">= 1.9"
  required_providers {
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.4"
    }
  }
}

provider "azapi" {}

locals {
  account_name = "oai-${var.workload_name}"
  storage_name = replace("st${var.workload_name}", "-", "")
  ml_name      = "mlw-${var.workload_name}"
  all_logs = {
    logs    = [{ categoryGroup = "allLogs", enabled = true }]
    metrics = [{ category = "AllMetrics", enabled = true }]
  }
}

resource "azapi_resource" "logs" {
  type      = "Microsoft.OperationalInsights/workspaces@2023-09-01"
  name      = "log-${var.workload_name}"
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    properties = {
      sku             = { name = "PerGB2018" }
      retentionInDays = 30
    }
  }
}

resource "azapi_resource" "ai" {
  type      = "Microsoft.CognitiveServices/accounts@2025-06-01"
  name      = local.account_name
  parent_id = var.resource_group_id
  location  = var.location

  identity {
    type = "SystemAssigned"
  }

  body = {
    kind = "AIServices"
    sku  = { name = "S0" }
    properties = {
      customSubDomainName           = local.account_name
      publicNetworkAccess           = "Disabled"
      networkAcls                   = { defaultAction = "Deny" }
      disableLocalAuth              = true
      restrictOutboundNetworkAccess = false
    }
  }
}

resource "azapi_resource" "chat" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2025-06-01"
  name      = "gpt-4o"
  parent_id = azapi_resource.ai.id

  body = {
    sku = { name = "GlobalStandard", capacity = 100 }
    properties = {
      model                = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" }
      raiPolicyName        = "Microsoft.DefaultV2"
      versionUpgradeOption = "NoAutoUpgrade"
    }
  }
}

# Provisioned throughput for the steady load; bursts spill over to the pay-as-you-go deployment.
resource "azapi_resource" "chat_provisioned" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2025-06-01"
  name      = "gpt-4o-ptu"
  parent_id = azapi_resource.ai.id

  body = {
    sku = { name = "GlobalProvisionedManaged", capacity = 50 }
    properties = {
      model                   = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" }
      raiPolicyName           = "Microsoft.DefaultV2"
      versionUpgradeOption    = "NoAutoUpgrade"
      spilloverDeploymentName = azapi_resource.chat.name
    }
  }
}

resource "azapi_resource" "embedding" {
  type       = "Microsoft.CognitiveServices/accounts/deployments@2025-06-01"
  name       = var.embedding_model.name
  parent_id  = azapi_resource.ai.id
  depends_on = [azapi_resource.chat_provisioned]

  body = {
    sku = { name = "Standard", capacity = var.embedding_model.capacity }
    properties = {
      model = {
        format  = "OpenAI"
        name    = var.embedding_model.name
        version = var.embedding_model.version
      }
      raiPolicyName        = "Microsoft.DefaultV2"
      versionUpgradeOption = "OnceNewDefaultVersionAvailable"
    }
  }
}

resource "azapi_resource" "ai_endpoint" {
  type      = "Microsoft.Network/privateEndpoints@2024-05-01"
  name      = "pe-${azapi_resource.ai.name}"
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    properties = {
      subnet = { id = var.private_endpoint_subnet_id }
      privateLinkServiceConnections = [
        {
          name = "account"
          properties = {
            privateLinkServiceId = azapi_resource.ai.id
            groupIds             = ["account"]
          }
        }
      ]
    }
  }
}

resource "azapi_resource" "ai_diagnostics" {
  type      = "Microsoft.Insights/diagnosticSettings@2021-05-01-preview"
  name      = "to-log-analytics"
  parent_id = azapi_resource.ai.id

  body = {
    properties = merge(local.all_logs, { workspaceId = azapi_resource.logs.id })
  }
}

module "search" {
  source = "./modules/search"

  name                       = "srch-${var.workload_name}"
  location                   = var.location
  resource_group_id          = var.resource_group_id
  replica_count              = 2
  private_endpoint_subnet_id = var.private_endpoint_subnet_id
  log_analytics_workspace_id = azapi_resource.logs.id
}

resource "azapi_resource" "storage" {
  type      = "Microsoft.Storage/storageAccounts@2024-01-01"
  name      = local.storage_name
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    kind = "StorageV2"
    sku  = { name = "Standard_ZRS" }
    properties = {
      accessTier            = "Hot"
      allowBlobPublicAccess = false
      # The ML workspace's default datastores still authenticate with the account key.
      allowSharedKeyAccess     = true
      minimumTlsVersion        = "TLS1_2"
      supportsHttpsTrafficOnly = true
    }
  }
}

resource "azapi_resource" "vault" {
  type      = "Microsoft.KeyVault/vaults@2024-11-01"
  name      = "kv-${var.workload_name}"
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    properties = {
      tenantId                  = var.tenant_id
      sku                       = { family = "A", name = "standard" }
      enableRbacAuthorization   = true
      enableSoftDelete          = true
      softDeleteRetentionInDays = 90
    }
  }
}

resource "azapi_resource" "ml" {
  type      = "Microsoft.MachineLearningServices/workspaces@2024-10-01"
  name      = local.ml_name
  parent_id = var.resource_group_id
  location  = var.location

  identity {
    type = "SystemAssigned"
  }

  body = {
    kind = "Default"
    sku  = { name = "Basic", tier = "Basic" }
    properties = {
      friendlyName        = "Contoso chat ML"
      storageAccount      = azapi_resource.storage.id
      keyVault            = azapi_resource.vault.id
      applicationInsights = var.application_insights_id
      publicNetworkAccess = "Enabled"
      managedNetwork      = { isolationMode = "AllowOnlyApprovedOutbound" }
    }
  }
}

resource "azapi_resource" "cpu_cluster" {
  type      = "Microsoft.MachineLearningServices/workspaces/computes@2024-10-01"
  name      = "cpu-cluster"
  parent_id = azapi_resource.ml.id
  location  = var.location

  identity {
    type = "SystemAssigned"
  }

  body = {
    properties = {
      computeType      = "AmlCompute"
      disableLocalAuth = true
      properties = {
        vmSize             = "Standard_DS3_v2"
        vmPriority         = "Dedicated"
        enableNodePublicIp = false
        scaleSettings = {
          minNodeCount                = 0
          maxNodeCount                = 4
          nodeIdleTimeBeforeScaleDown = "PT15M"
        }
      }
    }
  }
}

resource "azapi_resource" "data_scientist" {
  type      = "Microsoft.MachineLearningServices/workspaces/computes@2024-10-01"
  name      = "ci-contoso-ds"
  parent_id = azapi_resource.ml.id
  location  = var.location

  body = {
    properties = {
      computeType      = "ComputeInstance"
      disableLocalAuth = false
      properties = {
        vmSize                           = "Standard_DS11_v2"
        enableNodePublicIp               = true
        computeInstanceAuthorizationType = "personal"
      }
    }
  }
}

resource "azapi_resource" "cosmos" {
  type      = "Microsoft.DocumentDB/databaseAccounts@2024-11-15"
  name      = "cosmos-${var.workload_name}"
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    kind = "GlobalDocumentDB"
    properties = {
      databaseAccountOfferType = "Standard"
      consistencyPolicy        = { defaultConsistencyLevel = "Session" }
      locations                = [{ locationName = var.location, failoverPriority = 0, isZoneRedundant = false }]
      disableLocalAuth         = true
      publicNetworkAccess      = "Enabled"
      backupPolicy = {
        type                     = "Continuous"
        continuousModeProperties = { tier = "Continuous7Days" }
      }
    }
  }
}

resource "azapi_resource" "plan" {
  type      = "Microsoft.Web/serverfarms@2024-04-01"
  name      = "asp-${var.workload_name}"
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    kind       = "linux"
    sku        = { name = "P1v3" }
    properties = { reserved = true }
  }
}

resource "azapi_resource" "site" {
  type      = "Microsoft.Web/sites@2024-04-01"
  name      = "app-${var.workload_name}"
  parent_id = var.resource_group_id
  location  = var.location

  body = {
    kind = "app,linux"
    properties = {
      serverFarmId = azapi_resource.plan.id
      httpsOnly    = true
      siteConfig = {
        linuxFxVersion = "PYTHON|3.12"
        minTlsVersion  = "1.2"
        ftpsState      = "Disabled"
      }
    }
  }
}

output "search_service_id" {
  value = module.search.id
}
