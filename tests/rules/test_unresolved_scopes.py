"""Role assignments and diagnostic settings whose scope is a resource with an unresolved name (a Bicep `existing`
resource named by a parameter without a value, `resourceId()` of such a name) may apply to any resource of that
resource's type, and to nothing else: they leave the rules of other types' resources answered, not `unknown`."""

from __future__ import annotations

import json
from pathlib import Path

from aiwell.model import Status
from aiwell.review import review

_OPENAI_ROLE = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"

_ACCOUNT = """
param cosmosName string
param accountName string
param groupName string
var group = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg'
var workspaceId = '${group}/providers/Microsoft.OperationalInsights/workspaces/logs'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'oai-literal'
  location: 'eastus2'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: { customSubDomainName: 'oai-literal' }
}
"""


def _existing_with_grant_and_logs(symbol: str, resource_type: str, name_parameter: str) -> str:
    """An `existing` resource named by a parameter without a value, with an OpenAI User grant and a diagnostic
    setting scoped to it."""
    return f"""
resource {symbol} '{resource_type}' existing = {{
  name: {name_parameter}
}}

resource {symbol}Grant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {{
  name: guid({symbol}.id, 'user')
  scope: {symbol}
  properties: {{
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{_OPENAI_ROLE}')
    principalId: '11111111-1111-1111-1111-111111111111'
    principalType: 'ServicePrincipal'
  }}
}}

resource {symbol}Logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {{
  name: '{symbol}-logs'
  scope: {symbol}
  properties: {{
    workspaceId: workspaceId
    logs: [ {{ categoryGroup: 'allLogs', enabled: true }} ]
  }}
}}
"""


_COSMOS = _existing_with_grant_and_logs("cosmos", "Microsoft.DocumentDB/databaseAccounts@2024-11-15", "cosmosName")
_OTHER_ACCOUNT = _existing_with_grant_and_logs("other", "Microsoft.CognitiveServices/accounts@2024-10-01",
                                               "accountName")


def _statuses(tmp_path: Path, extra: str = "") -> dict[str, Status]:
    path = tmp_path / "main.bicep"
    path.write_text(_ACCOUNT + _COSMOS + extra, encoding="utf-8")
    report = review([path])
    assert all(record.status.value == "analysed" for record in report.inputs), report.inputs
    return {r.rule.id: r.status for r in report.results if r.resource_name == "oai-literal"}


def test_a_scope_of_another_type_with_an_unresolved_name_leaves_the_account_answered(tmp_path: Path) -> None:
    statuses = _statuses(tmp_path)
    assert statuses["AIS009"] is Status.FAIL  # no data-plane role on the account; the Cosmos grant is elsewhere
    assert statuses["AIS005"] is Status.FAIL  # no diagnostic setting on the account; the Cosmos one is elsewhere


def test_a_scope_of_the_same_type_with_an_unresolved_name_may_be_the_account(tmp_path: Path) -> None:
    statuses = _statuses(tmp_path, _OTHER_ACCOUNT)
    assert statuses["AIS009"] is Status.UNKNOWN
    assert statuses["AIS005"] is Status.UNKNOWN


def test_a_resource_group_scope_with_an_unresolved_name_may_hold_the_account(tmp_path: Path) -> None:
    group = """
module grant 'grant.bicep' = {
  name: 'grant'
  scope: resourceGroup(groupName)
}
"""
    (tmp_path / "grant.bicep").write_text(
        "resource g 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n"
        "  name: guid(resourceGroup().id, 'user')\n"
        "  properties: {\n"
        f"    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{_OPENAI_ROLE}')\n"
        "    principalId: '33333333-3333-3333-3333-333333333333'\n"
        "    principalType: 'ServicePrincipal'\n"
        "  }\n"
        "}\n", encoding="utf-8")
    statuses = _statuses(tmp_path, group)
    assert statuses["AIS009"] is Status.UNKNOWN  # the group may be the account's own


def test_an_arm_resource_id_of_another_type_with_an_unresolved_name_leaves_the_account_answered(
        tmp_path: Path) -> None:
    role = f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{_OPENAI_ROLE}')]"
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"searchName": {"type": "string"}},
        "resources": [
            {"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": "oai-literal",
             "location": "eastus2", "kind": "OpenAI", "sku": {"name": "S0"},
             "properties": {"customSubDomainName": "oai-literal"}},
            {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
             "name": "[guid(parameters('searchName'))]",
             "scope": "[resourceId('Microsoft.Search/searchServices', parameters('searchName'))]",
             "properties": {"roleDefinitionId": role, "principalId": "11111111-1111-1111-1111-111111111111",
                            "principalType": "ServicePrincipal"}},
        ],
    }
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    report = review([path])
    statuses = {r.rule.id: r.status for r in report.results if r.resource_name == "oai-literal"}
    assert statuses["AIS009"] is Status.FAIL


# --- a grant another deployment makes on a resource group of the same name ------------------------------------

_TEMPLATE = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _template(*resources: dict[str, object]) -> str:
    return json.dumps({"$schema": _TEMPLATE, "contentVersion": "1.0.0.0", "resources": list(resources)})


_GROUP_GRANT = {
    "type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
    "name": "[guid(resourceGroup().id, 'app')]",
    "properties": {"roleDefinitionId": f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
                                       f"'{_OPENAI_ROLE}')]",
                   "principalId": "11111111-1111-1111-1111-111111111111", "principalType": "ServicePrincipal"}}
_MODEL_ACCOUNT = {
    "type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": "oai",
    "location": "westeurope", "kind": "OpenAI", "sku": {"name": "S0"},
    "properties": {"customSubDomainName": "oai", "publicNetworkAccess": "Disabled", "disableLocalAuth": True}}


def test_a_group_grant_of_another_template_may_apply_and_is_not_a_pass(tmp_path: Path) -> None:
    """Two templates each get the same placeholder resource group until they are deployed: a grant one of them
    makes on its group applies to the other's account only if both go to the same group. AIS009 is unknown
    (naming the grant and its input), not a pass; with the grant in the account's own template it passes."""
    (tmp_path / "grant.json").write_text(_template(_GROUP_GRANT))
    (tmp_path / "account.json").write_text(_template(_MODEL_ACCOUNT))
    (tmp_path / "together.json").write_text(_template(_GROUP_GRANT, _MODEL_ACCOUNT))
    report = review([tmp_path / "grant.json", tmp_path / "account.json"])
    (result,) = [result for result in report.results if result.rule.id == "AIS009"]
    assert result.status is Status.UNKNOWN
    assert f"of another input ({tmp_path / 'grant.json'})" in result.message
    assert "Cognitive Services OpenAI User" in result.message
    (alone,) = [result for result in review([tmp_path / "together.json"]).results if result.rule.id == "AIS009"]
    assert alone.status is Status.PASS


def test_a_group_lock_of_another_template_may_cover_the_account_and_is_not_a_pass(tmp_path: Path) -> None:
    """The same for delete locks (STG015): another template's lock on its resource group covers a production
    storage account only if both go to that group, so the answer is unknown; in the account's own template the
    lock passes."""
    lock = {"type": "Microsoft.Authorization/locks", "apiVersion": "2020-05-01", "name": "no-delete",
            "properties": {"level": "CanNotDelete"}}
    storage = {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01", "name": "stdata",
               "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_ZRS"},
               "tags": {"environment": "prod"}, "properties": {}}
    (tmp_path / "lock.json").write_text(_template(lock))
    (tmp_path / "storage.json").write_text(_template(storage))
    (tmp_path / "together.json").write_text(_template(lock, storage))
    report = review([tmp_path / "lock.json", tmp_path / "storage.json"])
    (result,) = [result for result in report.results if result.rule.id == "STG015"]
    assert result.status is Status.UNKNOWN
    assert f"lock no-delete of another input ({tmp_path / 'lock.json'})" in result.message
    (alone,) = [result for result in review([tmp_path / "together.json"]).results if result.rule.id == "STG015"]
    assert alone.status is Status.PASS
