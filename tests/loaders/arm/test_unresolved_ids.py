"""An id that can't be resolved is spelled the same however the template builds it - the resource's own id,
`resourceId()`, `extensionResourceId()`, a relative `scope`, a nested deployment's output, `reference(...).id` -
so private endpoints and diagnostic settings join their resource, and each copy (of a resource or of a nested
deployment) keeps its own id. The spelling names the instance as the Bicep reader does (`ai[0].account.id`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwell.graph import ResourceGraph
from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.jsonc import parse_text
from aiwell.model import Resource, Unresolved
from aiwell.review import review

_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
_SUBNET = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
_WORKSPACE = "/subscriptions/s/resourceGroups/g/providers/Microsoft.OperationalInsights/workspaces/w"
_ACCOUNTS = "Microsoft.CognitiveServices/accounts"


def _account(name: str) -> dict[str, Any]:
    return {"type": _ACCOUNTS, "apiVersion": "2024-10-01", "name": name, "location": "westeurope",
            "kind": "OpenAI", "sku": {"name": "S0"},
            "properties": {"publicNetworkAccess": "Disabled", "disableLocalAuth": True}}


def _endpoint(name: str, target: str) -> dict[str, Any]:
    return {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-11-01", "name": name,
            "location": "westeurope",
            "properties": {"subnet": {"id": _SUBNET}, "privateLinkServiceConnections": [
                {"name": "account", "properties": {"privateLinkServiceId": target, "groupIds": ["account"]}}]}}


def _logs(scope: str, name: str = "logs") -> dict[str, Any]:
    return {"type": "Microsoft.Insights/diagnosticSettings", "apiVersion": "2021-05-01-preview", "name": name,
            "scope": scope,
            "properties": {"workspaceId": _WORKSPACE, "logs": [{"categoryGroup": "allLogs", "enabled": True}]}}


def _template(resources: Any, **sections: Any) -> dict[str, Any]:
    return {"$schema": _SCHEMA, "contentVersion": "1.0.0.0", **sections, "resources": resources}


def _inner(template: dict[str, Any], name: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": name, **fields,
            "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                           "parameters": {k: {"value": v} for k, v in parameters.items()}, "template": template}}


_PREFIX = {"prefix": {"type": "string"}}
_NAMED = {"prefix": {"type": "string"}, "name": {"type": "string"}}

# What the Bicep compiler writes for `account.id` and `scope: account` (languageVersion 2.0 symbols).
_ACCOUNT_MODULE = _template({
    "account": _account("[format('{0}{1}', parameters('prefix'), parameters('name'))]"),
    "endpoint": _endpoint("[format('pe-{0}', parameters('name'))]",
                          "[resourceId('Microsoft.CognitiveServices/accounts', format('{0}{1}', parameters('prefix'), "
                          "parameters('name')))]"),
    "logs": _logs("[format('Microsoft.CognitiveServices/accounts/{0}', format('{0}{1}', parameters('prefix'), "
                  "parameters('name')))]"),
}, languageVersion="2.0", parameters=_NAMED,
    outputs={"accountId": {"type": "string", "value": "[resourceId('Microsoft.CognitiveServices/accounts', "
                                                      "format('{0}{1}', parameters('prefix'), parameters('name')))]"}})

WORKLOADS: dict[str, dict[str, Any]] = {
    # A classic template: the endpoint and the setting are declared before the account they point at.
    "one template": _template([
        _endpoint("pe-ai", "[resourceId('Microsoft.CognitiveServices/accounts', variables('accountName'))]"),
        _logs("[concat('Microsoft.CognitiveServices/accounts/', parameters('prefix'), 'ai')]"),
        _account("[variables('accountName')]"),
    ], parameters=_PREFIX, variables={"accountName": "[concat(parameters('prefix'), 'ai')]"}),
    # Bicep's `for region in regions` resource loops: `accounts[i].id` and `scope: accounts[i]`.
    "resource loop": _template({
        "accounts": {**_account("[format('{0}{1}', parameters('prefix'), variables('regions')[copyIndex()])]"),
                     "copy": {"name": "accounts", "count": "[length(variables('regions'))]"}},
        "endpoints": {**_endpoint("[format('pe-{0}', variables('regions')[copyIndex()])]",
                                  "[resourceId('Microsoft.CognitiveServices/accounts', format('{0}{1}', "
                                  "parameters('prefix'), variables('regions')[copyIndex()]))]"),
                      "copy": {"name": "endpoints", "count": "[length(variables('regions'))]"}},
        "logs": {**_logs("[resourceId('Microsoft.CognitiveServices/accounts', format('{0}{1}', parameters('prefix'), "
                         "variables('regions')[copyIndex()]))]"),
                 "copy": {"name": "logs", "count": "[length(variables('regions'))]"}},
    }, languageVersion="2.0", parameters=_PREFIX, variables={"regions": ["east", "west"]}),
    # A module called in a loop, whose account name only the deployment knows.
    "module loop": _template({
        "ai": {**_inner(_ACCOUNT_MODULE, "[format('ai-{0}', copyIndex())]",
                        {"prefix": "[parameters('prefix')]", "name": "[variables('regions')[copyIndex()]]"}),
               "copy": {"name": "ai", "count": "[length(variables('regions'))]"}},
    }, languageVersion="2.0", parameters=_PREFIX, variables={"regions": ["east", "west"]}),
    # The account in a module, its endpoint and setting in the template calling it, from the module's output.
    "module output": _template({
        "ai": _inner(_template({"account": _account("[parameters('name')]")}, languageVersion="2.0",
                               parameters={"name": {"type": "string"}},
                               outputs={"accountId": {"type": "string", "value":
                                                      "[resourceId('Microsoft.CognitiveServices/accounts', "
                                                      "parameters('name'))]"}}),
                     "ai", {"name": "[parameters('prefix')]"}),
        "endpoint": _endpoint("pe-ai", "[reference('ai').outputs.accountId.value]"),
        "logs": _logs("[reference('ai').outputs.accountId.value]"),
    }, languageVersion="2.0", parameters=_PREFIX),
}


def _write(tmp_path: Path, template: dict[str, Any]) -> Path:
    (tmp_path / ".git").mkdir()
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return path


def _text(value: Any) -> str | None:
    """The expression of an unresolved value (None for a known one)."""
    return value.expression if isinstance(value, Unresolved) else None


def _accounts(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r.is_type(_ACCOUNTS)]


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_endpoints_and_settings_link_to_their_own_account(tmp_path: Path, workload: str) -> None:
    report = review([_write(tmp_path, WORKLOADS[workload])])
    accounts = _accounts(report.resources)
    assert accounts and all(isinstance(account.id, Unresolved) for account in accounts)
    assert len({_text(account.id) for account in accounts}) == len(accounts)
    graph = ResourceGraph(report.resources)
    for account in accounts:
        (endpoint,) = graph.private_endpoints_to(account)
        (setting,) = graph.diagnostic_settings_for(account)
        if len(accounts) > 1:
            # Each copy's endpoint and setting, not another copy's.
            index = account.source.address.split("[")[1].split("]")[0]
            assert f"[{index}]" in endpoint.source.address and f"[{index}]" in setting.source.address
    verdicts = {(r.rule.id, r.status.value) for r in report.results if r.rule.id in ("AIS004", "AIS005")}
    assert verdicts == {("AIS004", "pass"), ("AIS005", "pass")}, [
        (r.rule.id, r.resource_id, r.status.value, r.message) for r in report.results
        if r.rule.id in ("AIS004", "AIS005")]


def test_an_unresolved_id_names_its_instance_as_the_bicep_reader_does() -> None:
    expansion = expand_template(parse_text(json.dumps(WORKLOADS["module loop"]), "t.json"))
    accounts = _accounts(expansion.resources)
    assert [_text(a.id) for a in accounts] == ["ai[0].account.id", "ai[1].account.id"]
    assert [a.source.address for a in accounts] == [
        "ai[0].properties.template.resources.account", "ai[1].properties.template.resources.account"]
    endpoints = [r for r in expansion.resources if r.is_type("Microsoft.Network/privateEndpoints")]
    targets = [e.get("properties.privateLinkServiceConnections[0].properties.privateLinkServiceId") for e in endpoints]
    assert [_text(target) for target in targets] == ["ai[0].account.id", "ai[1].account.id"]


def test_an_expansion_names_its_instances_under_the_prefix_it_is_given() -> None:
    expansion = expand_template(parse_text(json.dumps(_ACCOUNT_MODULE), "t.json"), instance="ai[1].")
    account, endpoint, setting = expansion.resources
    assert _text(account.id) == "ai[1].account.id"
    assert _text(endpoint.get("properties.privateLinkServiceConnections[0].properties.privateLinkServiceId")) \
        == "ai[1].account.id"
    assert _text(setting.get("scope")) == "ai[1].account.id"
    assert _text(setting.id) == "ai[1].logs.id"
    assert _text(expansion.outputs()["accountId"]) == "ai[1].account.id"


def test_a_reference_id_and_a_known_id_keep_their_spelling() -> None:
    template = _template({
        "account": _account("[parameters('prefix')]"),
        "known": _account("oai-known"),
        "copy": {**_account("[parameters('prefix')]"), "type": "Microsoft.Search/searchServices"},
        "reader": {"type": "Microsoft.Resources/tags", "apiVersion": "2022-09-01", "name": "default",
                   "properties": {"fromReference": "[reference('account', '2024-10-01', 'full').id]",
                                  "known": "[resourceId('Microsoft.CognitiveServices/accounts', 'oai-known')]",
                                  "elsewhere": "[resourceId('Microsoft.Web/sites', parameters('prefix'))]"}},
    }, languageVersion="2.0", parameters=_PREFIX)
    expansion = expand_template(parse_text(json.dumps(template), "t.json"))
    account, known, search, reader = expansion.resources
    assert _text(account.id) == "account.id"
    assert _text(search.id) == "copy.id"
    assert _text(reader.get("properties.fromReference")) == "account.id"
    assert reader.get("properties.known") == known.id
    # An id of a resource the template doesn't declare stays the text that builds it.
    elsewhere = reader.get("properties.elsewhere")
    assert isinstance(elsewhere, Unresolved)
    assert elsewhere.expression == "resourceId('Microsoft.Web/sites', parameters('prefix'))"


def test_two_declarations_spelled_alike_are_not_joined_to_either() -> None:
    template = _template([
        {**_account("[parameters('prefix')]"), "condition": "[equals(parameters('flavour'), 'a')]"},
        {**_account("[parameters('prefix')]"), "condition": "[equals(parameters('flavour'), 'b')]"},
        _endpoint("pe", "[resourceId('Microsoft.CognitiveServices/accounts', parameters('prefix'))]"),
    ], parameters={**_PREFIX, "flavour": {"type": "string"}})
    first, second, endpoint = expand_template(parse_text(json.dumps(template), "t.json")).resources
    target = endpoint.get("properties.privateLinkServiceConnections[0].properties.privateLinkServiceId")
    assert isinstance(target, Unresolved) and target not in (first.id, second.id)


def test_an_extension_resource_id_names_the_extension_of_the_instance() -> None:
    template = _template({
        "account": _account("[parameters('prefix')]"),
        "logs": _logs("[format('Microsoft.CognitiveServices/accounts/{0}', parameters('prefix'))]"),
        "reader": {"type": "Microsoft.Resources/tags", "apiVersion": "2022-09-01", "name": "default",
                   "properties": {"setting": "[extensionResourceId(resourceId('Microsoft.CognitiveServices/"
                                             "accounts', parameters('prefix')), 'Microsoft.Insights/"
                                             "diagnosticSettings', 'logs')]"}},
    }, languageVersion="2.0", parameters=_PREFIX)
    account, setting, reader = expand_template(parse_text(json.dumps(template), "t.json")).resources
    assert _text(setting.get("scope")) == _text(account.id) == "account.id"
    assert _text(reader.get("properties.setting")) == _text(setting.id) == "logs.id"


def test_a_cached_registry_module_called_in_a_loop_links_each_instance(tmp_path: Path, _empty_home: Path) -> None:
    """A compiled template from the module cache, called in a loop from Bicep: each instance's endpoint and setting
    join its own account (`ai[0].account.id`), as the Bicep reader's own modules do."""
    cache = _empty_home / ".bicep" / "br" / "mcr.microsoft.com" / "bicep$avm$res$ai$account" / "1.0.0$"
    cache.mkdir(parents=True)
    (cache / "main.json").write_text(json.dumps(_ACCOUNT_MODULE), encoding="utf-8")
    for name in ("manifest", "metadata"):
        (cache / name).write_text("{}", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    main = tmp_path / "main.bicep"
    main.write_text("param prefix string\n"
                    "module ai 'br/public:avm/res/ai/account:1.0.0' = [for region in [ 'east', 'west' ]: {\n"
                    "  name: 'ai-${region}'\n  params: { prefix: prefix, name: region }\n}]\n"
                    "output first string = ai[0].outputs.accountId\n", encoding="utf-8")
    report = review([main])
    accounts = _accounts(report.resources)
    assert [_text(a.id) for a in accounts] == ["ai[0].account.id", "ai[1].account.id"]
    graph = ResourceGraph(report.resources)
    for account in accounts:
        (endpoint,) = graph.private_endpoints_to(account)
        (setting,) = graph.diagnostic_settings_for(account)
        instance = account.source.address.split(".")[0]
        assert endpoint.source.address.startswith(instance) and setting.source.address.startswith(instance)
    verdicts = [r.status.value for r in report.results if r.rule.id in ("AIS004", "AIS005")]
    assert verdicts == ["pass"] * 4
