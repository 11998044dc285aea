using './main.bicep'

param location = 'swedencentral'
param workloadName = 'contoso-chat'
param privateEndpointSubnetId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-contoso-network/providers/Microsoft.Network/virtualNetworks/vnet-contoso-spoke/subnets/snet-private-endpoints'
param applicationInsightsId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-contoso-monitor/providers/Microsoft.Insights/components/appi-contoso-chat'
