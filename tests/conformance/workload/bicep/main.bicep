// Conformance workload: a retrieval-augmented chat app. The same workload is written in every input format
// aiwell reads (docs/conformance.md); names are fixed so results compare.
targetScope = 'resourceGroup'

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Suffix of every resource name.')
param workloadName string = 'contoso-chat'

@description('Subnet of the spoke network (owned by the platform team) that hosts private endpoints.')
param privateEndpointSubnetId string

@description('Application Insights component the ML workspace reports to.')
param applicationInsightsId string

@description('The embedding model to deploy.')
param embeddingModel object = {
  name: 'text-embedding-3-large'
  version: '1'
  capacity: 120
}

var accountName = 'oai-${workloadName}'
var storageName = replace('st${workloadName}', '-', '')

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${workloadName}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource account 'Microsoft.CognitiveServices/accounts@2025-06-01' = {
  name: accountName
  location: location
  kind: 'AIServices'
  sku: { name: 'S0' }
  identity: { type: 'SystemAssigned' }
  properties: {
    customSubDomainName: accountName
    publicNetworkAccess: 'Disabled'
    networkAcls: { defaultAction: 'Deny' }
    disableLocalAuth: true
    restrictOutboundNetworkAccess: false
  }
}

resource chat 'Microsoft.CognitiveServices/accounts/deployments@2025-06-01' = {
  parent: account
  name: 'gpt-4o'
  sku: { name: 'GlobalStandard', capacity: 100 }
  properties: {
    model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20' }
    raiPolicyName: 'Microsoft.DefaultV2'
    versionUpgradeOption: 'NoAutoUpgrade'
  }
}

// Provisioned throughput for the steady load; bursts spill over to the pay-as-you-go deployment.
resource chatProvisioned 'Microsoft.CognitiveServices/accounts/deployments@2025-06-01' = {
  parent: account
  name: 'gpt-4o-ptu'
  sku: { name: 'GlobalProvisionedManaged', capacity: 50 }
  properties: {
    model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20' }
    raiPolicyName: 'Microsoft.DefaultV2'
    versionUpgradeOption: 'NoAutoUpgrade'
    spilloverDeploymentName: chat.name
  }
}

resource embedding 'Microsoft.CognitiveServices/accounts/deployments@2025-06-01' = {
  parent: account
  name: embeddingModel.name
  dependsOn: [chatProvisioned]
  sku: { name: 'Standard', capacity: embeddingModel.capacity }
  properties: {
    model: { format: 'OpenAI', name: embeddingModel.name, version: embeddingModel.version }
    raiPolicyName: 'Microsoft.DefaultV2'
    versionUpgradeOption: 'OnceNewDefaultVersionAvailable'
  }
}

resource accountEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${account.name}'
  location: location
  properties: {
    subnet: { id: privateEndpointSubnetId }
    privateLinkServiceConnections: [
      {
        name: 'account'
        properties: {
          privateLinkServiceId: account.id
          groupIds: ['account']
        }
      }
    ]
  }
}

resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

module search 'modules/search.bicep' = {
  name: 'search'
  params: {
    name: 'srch-${workloadName}'
    location: location
    replicaCount: 2
    privateEndpointSubnetId: privateEndpointSubnetId
    logAnalyticsWorkspaceId: logs.id
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    // The ML workspace's default datastores still authenticate with the account key.
    allowSharedKeyAccess: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: 'kv-${workloadName}'
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
  }
}

resource mlWorkspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {
  name: 'mlw-${workloadName}'
  location: location
  kind: 'Default'
  sku: { name: 'Basic', tier: 'Basic' }
  identity: { type: 'SystemAssigned' }
  properties: {
    friendlyName: 'Contoso chat ML'
    storageAccount: storage.id
    keyVault: vault.id
    applicationInsights: applicationInsightsId
    publicNetworkAccess: 'Enabled'
    managedNetwork: { isolationMode: 'AllowOnlyApprovedOutbound' }
  }

  resource cluster 'computes' = {
    name: 'cpu-cluster'
    location: location
    identity: { type: 'SystemAssigned' }
    properties: {
      computeType: 'AmlCompute'
      disableLocalAuth: true
      properties: {
        vmSize: 'Standard_DS3_v2'
        vmPriority: 'Dedicated'
        enableNodePublicIp: false
        scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT15M' }
      }
    }
  }

  resource instance 'computes' = {
    name: 'ci-contoso-ds'
    location: location
    properties: {
      computeType: 'ComputeInstance'
      disableLocalAuth: false
      properties: {
        vmSize: 'Standard_DS11_v2'
        enableNodePublicIp: true
        computeInstanceAuthorizationType: 'personal'
      }
    }
  }
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: 'cosmos-${workloadName}'
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [{ locationName: location, failoverPriority: 0, isZoneRedundant: false }]
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    backupPolicy: { type: 'Continuous', continuousModeProperties: { tier: 'Continuous7Days' } }
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'asp-${workloadName}'
  location: location
  kind: 'linux'
  sku: { name: 'P1v3' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'app-${workloadName}'
  location: location
  kind: 'app,linux'
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'PYTHON|3.12'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

output searchServiceId string = search.outputs.id
