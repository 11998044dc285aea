"""AIS005: an AI Services / Azure OpenAI account whose logs go to no Log Analytics workspace."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status
from aiwell.rules.base import rule
from aiwell.rules.checks._diagnostics import diagnostic_logs_verdict


@rule(
    id="AIS005",
    name="ai-services-without-diagnostic-logs",
    title="AI Services account sends no logs to Log Analytics",
    resource_types=["Microsoft.CognitiveServices/accounts"],
    pillars=["operational-excellence", "security"],
    design_area="operations",
    severity="medium",
    missing="fail",
    doc={
        "what": "Looks for a diagnostic setting on the account (a `Microsoft.Insights/diagnosticSettings` "
                "with "
                "the account as `scope`, or a nested `accounts/providers/diagnosticSettings`) that enables "
                "logs "
                "(an enabled `logs` entry or a `categoryGroup`) and names a Log Analytics workspace in "
                "`workspaceId`. Resource Graph exports carry no diagnostic settings, so an account from an "
                "inventory is unknown, never failing.",
        "why": "Audit, request/response and usage logs are how an AI workload is operated: they show who "
               "called "
               "which model, throttling and latency, and they are the evidence needed to investigate misuse. "
               "Without a diagnostic setting the platform keeps none of them.",
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
  "type": "Microsoft.Insights/diagnosticSettings",
  "apiVersion": "2021-05-01-preview",
  "name": "to-log-analytics",
  "scope": "[resourceId('Microsoft.CognitiveServices/accounts', 'contoso-openai')]",
  "properties": {
    "workspaceId": "[resourceId('Microsoft.OperationalInsights/workspaces', 'contoso-logs')]",
    "logs": [{"categoryGroup": "allLogs", "enabled": true}]
  }
}""",
            "bicep": """resource openaiLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: openai
  properties: {
    workspaceId: logAnalytics.id
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
  }
}""",
            "terraform": """resource "azurerm_monitor_diagnostic_setting" "openai" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_cognitive_account.openai.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category_group = "allLogs"
  }
}""",
        },
    },
    references=[
        "https://learn.microsoft.com/azure/well-architected/ai/operations",
        "https://learn.microsoft.com/azure/ai-services/openai/how-to/monitor-openai",
        "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    ],
    maps_to=[
        {"peer": "azqr", "id": "aif-001", "match": "partial",
         "note": "any diagnostic setting passes, whatever it sends and wherever it sends it"},
        {"peer": "aprl", "id": "72b1b4ad-a14b-4430-9799-91bda782973d", "match": "partial",
         "note": "a manual recommendation (no query) to monitor Azure OpenAI as a whole: usage, latency, security"},
    ],
)
def ai_services_without_diagnostic_logs(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a diagnostic setting sends the account's logs to a Log Analytics workspace."""
    return diagnostic_logs_verdict(resource, graph)
