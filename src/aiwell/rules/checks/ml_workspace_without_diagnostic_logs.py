"""MLW003: a Machine Learning workspace whose logs go to no Log Analytics workspace."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import rule
from aiwell.rules.checks._diagnostics import diagnostic_logs_verdict


@rule(
    id="MLW003",
    name="ml-workspace-without-diagnostic-logs",
    title="Machine Learning workspace sends no logs to Log Analytics",
    resource_types=["Microsoft.MachineLearningServices/workspaces"],
    pillars=["operational-excellence"],
    design_area="operations",
    severity="medium",
    missing="fail",
    doc={
        "what": "Looks for a diagnostic setting on the workspace (a `Microsoft.Insights/diagnosticSettings` "
                "with "
                "the workspace as `scope`, or a nested `workspaces/providers/diagnosticSettings`) that "
                "enables "
                "logs (an enabled `logs` entry or a `categoryGroup`) and names a Log Analytics workspace in "
                "`workspaceId`. Resource Graph exports carry no diagnostic settings, so a workspace from an "
                "inventory is unknown, never failing.",
        "why": "Compute cluster, job, run-status, model and deployment events are the record of how models "
               "are "
               "trained and released. Sent to Log Analytics they support alerting, troubleshooting and "
               "audit of "
               "the MLOps process; without a diagnostic setting they are not kept.",
        "example": """{
  "type": "Microsoft.MachineLearningServices/workspaces",
  "apiVersion": "2024-10-01",
  "name": "contoso-ml",
  "identity": {"type": "SystemAssigned"},
  "properties": {"publicNetworkAccess": "Disabled"}
}""",
        "use_instead": {
            "arm": """{
  "type": "Microsoft.Insights/diagnosticSettings",
  "apiVersion": "2021-05-01-preview",
  "name": "to-log-analytics",
  "scope": "[resourceId('Microsoft.MachineLearningServices/workspaces', 'contoso-ml')]",
  "properties": {
    "workspaceId": "[resourceId('Microsoft.OperationalInsights/workspaces', 'contoso-logs')]",
    "logs": [{"categoryGroup": "allLogs", "enabled": true}]
  }
}""",
            "bicep": """resource mlDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: mlWorkspace
  properties: {
    workspaceId: logAnalytics.id
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
  }
}""",
            "terraform": """resource "azurerm_monitor_diagnostic_setting" "ml" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_machine_learning_workspace.main.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category_group = "allLogs"
  }
}""",
        },
    },
    references=[
        "https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning",
        "https://learn.microsoft.com/azure/machine-learning/monitor-azure-machine-learning",
        "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    ],
    maps_to=[
        {"peer": "azqr", "id": "hub-006", "match": "partial",
         "note": "any diagnostic setting passes, whatever it sends and wherever it sends it"},
    ],
)
def ml_workspace_without_diagnostic_logs(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a diagnostic setting sends the workspace's logs to a Log Analytics workspace."""
    return diagnostic_logs_verdict(resource, graph)
