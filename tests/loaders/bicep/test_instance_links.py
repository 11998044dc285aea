"""Edges inside modules called several times: each instance's private endpoint and diagnostic setting link to the
account of their own instance, even when the account's name (so its id) is only known at deployment.

The reader gives such an account an unresolved id that names its instance (`ai[0].account.id`), and every
reference to that instance carries it; the graph joins a reference to the one resource with that unresolved id.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.graph import ResourceGraph
from aiwell.model import Unresolved
from aiwell.review import review

_AI_MODULE = """\
param prefix string
param name string
param subnetId string
param workspaceId string

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: '${prefix}${name}'
  location: 'westeurope'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: { publicNetworkAccess: 'Disabled', disableLocalAuth: true }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {
  name: 'pe-${name}'
  location: 'westeurope'
  properties: {
    subnet: { id: subnetId }
    privateLinkServiceConnections: [
      { name: 'account', properties: { privateLinkServiceId: account.id, groupIds: [ 'account' ] } }
    ]
  }
}

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs'
  scope: account
  properties: { workspaceId: workspaceId, logs: [ { categoryGroup: 'allLogs', enabled: true } ] }
}
"""

_HEADER = """\
param prefix string
var subnetId = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s'
var workspaceId = '/subscriptions/s/resourceGroups/g/providers/Microsoft.OperationalInsights/workspaces/w'
"""

_CALLS = {
    "module-loop": """\
module ai 'modules/ai.bicep' = [for (region, i) in [ 'east', 'west' ]: {
  name: 'ai-${i}'
  params: { prefix: prefix, name: region, subnetId: subnetId, workspaceId: workspaceId }
}]
""",
    "two-calls": """\
module east 'modules/ai.bicep' = {
  name: 'east'
  params: { prefix: prefix, name: 'east', subnetId: subnetId, workspaceId: workspaceId }
}
module west 'modules/ai.bicep' = {
  name: 'west'
  params: { prefix: prefix, name: 'west', subnetId: subnetId, workspaceId: workspaceId }
}
""",
}

_RESOURCE_LOOP = """\
param prefix string
var subnetId = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s'
var workspaceId = '/subscriptions/s/resourceGroups/g/providers/Microsoft.OperationalInsights/workspaces/w'
var regions = [ 'east', 'west' ]

resource accounts 'Microsoft.CognitiveServices/accounts@2024-10-01' = [for region in regions: {
  name: '${prefix}${region}'
  location: 'westeurope'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: { publicNetworkAccess: 'Disabled', disableLocalAuth: true }
}]

resource endpoints 'Microsoft.Network/privateEndpoints@2023-11-01' = [for (region, i) in regions: {
  name: 'pe-${region}'
  location: 'westeurope'
  properties: {
    subnet: { id: subnetId }
    privateLinkServiceConnections: [
      { name: 'account', properties: { privateLinkServiceId: accounts[i].id, groupIds: [ 'account' ] } }
    ]
  }
}]

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (region, i) in regions: {
  name: 'logs'
  scope: accounts[i]
  properties: { workspaceId: workspaceId, logs: [ { categoryGroup: 'allLogs', enabled: true } ] }
}]
"""


def _workload(tmp_path: Path, main: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "ai.bicep").write_text(_AI_MODULE, encoding="utf-8")
    (tmp_path / "main.bicep").write_text(main, encoding="utf-8")
    return tmp_path / "main.bicep"


@pytest.mark.parametrize("main", [_HEADER + _CALLS["module-loop"], _HEADER + _CALLS["two-calls"], _RESOURCE_LOOP],
                         ids=["module-loop", "two-calls", "resource-loop"])
def test_endpoints_and_diagnostics_of_each_instance_link_to_their_own_account(tmp_path: Path, main: str) -> None:
    report = review([_workload(tmp_path, main)])
    accounts = [r for r in report.resources if r.is_type("Microsoft.CognitiveServices/accounts")]
    assert len(accounts) == 2 and all(isinstance(a.id, Unresolved) for a in accounts)
    assert accounts[0].id != accounts[1].id
    graph = ResourceGraph(report.resources)
    for account in accounts:
        (endpoint,) = graph.private_endpoints_to(account)
        (setting,) = graph.diagnostic_settings_for(account)
        # The endpoint and setting of the same instance: the same module instance, or the same loop index.
        instance = account.source.address.rsplit(".", 1)[0] if "." in account.source.address \
            else account.source.address.rsplit("[", 1)[1]
        assert instance in endpoint.source.address and instance in setting.source.address
    verdicts = [r.status.value for r in report.results if r.rule.id in ("AIS004", "AIS005")]
    assert verdicts == ["pass"] * 4, [(r.rule.id, r.resource_id, r.status.value, r.message) for r in report.results
                                      if r.rule.id in ("AIS004", "AIS005")]
