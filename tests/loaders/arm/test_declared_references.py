"""`reference()` of what the same deployment declares: a resource's declared values (what it leaves out is a
runtime value, unresolved), and a nested deployment's outputs wherever it is declared in the template (ARM
deploys in dependency order, not in the order of the file), its copies by symbol (`nsgs[1]`)."""

from __future__ import annotations

import json
from typing import Any

from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.jsonc import parse_text
from aiwell.model import Resource, Unresolved

_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _expand(resources: Any, **sections: Any) -> list[Resource]:
    template = {"$schema": _SCHEMA, "contentVersion": "1.0.0.0", **sections, "resources": resources}
    return expand_template(parse_text(json.dumps(template), "t.json")).resources


def _tags(**properties: str) -> dict[str, Any]:
    return {"type": "Microsoft.Resources/tags", "apiVersion": "2022-09-01", "name": "default",
            "properties": properties}


def _module(outputs: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", **fields,
            "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                           "parameters": {"index": {"value": "[copyIndex()]"}} if "copy" in fields else {},
                           "template": {"$schema": _SCHEMA, "contentVersion": "1.0.0.0",
                                        "parameters": {"index": {"type": "int", "defaultValue": 0}},
                                        "resources": [],
                                        "outputs": {k: {"type": "string", "value": v} for k, v in outputs.items()}}}}


_SEARCH = {"type": "Microsoft.Search/searchServices", "apiVersion": "2023-11-01", "name": "srch-ai",
           "location": "swedencentral", "sku": {"name": "standard"}, "identity": {"type": "SystemAssigned"},
           "properties": {"publicNetworkAccess": "Disabled", "networkRuleSet": {"ipRules": []}}}


def test_reference_of_a_declared_resource_reads_its_declaration() -> None:
    reader, search = _expand({
        "reader": _tags(location="[reference('search', '2023-11-01', 'full').location]",
                        sku="[reference('search', '2023-11-01', 'full').sku.name]",
                        id="[reference('search', '2023-11-01', 'full').id]",
                        access="[reference('search').publicNetworkAccess]",
                        rules="[length(reference('search').networkRuleSet.ipRules)]",
                        principal="[reference('search', '2023-11-01', 'full').identity.principalId]",
                        endpoint="[reference('search').endpoint]",
                        tried="[coalesce(tryGet(reference('search'), 'endpoint'), 'none')]"),
        "search": _SEARCH,
    }, languageVersion="2.0")
    assert reader.get("properties.location") == "swedencentral"
    assert reader.get("properties.sku") == "standard"
    assert reader.get("properties.id") == search.id
    assert reader.get("properties.access") == "Disabled"
    assert reader.get("properties.rules") == 0
    # What the declaration leaves out is set by Azure: unknown, never absent or null.
    for runtime in ("principal", "endpoint", "tried"):
        assert isinstance(reader.get(f"properties.{runtime}"), Unresolved), runtime


def test_reference_by_name_or_id_in_a_classic_template() -> None:
    resources = _expand([
        _tags(byName="[reference('srch-ai').publicNetworkAccess]",
              byId="[reference(resourceId('Microsoft.Search/searchServices', 'srch-ai'), '2023-11-01', "
                   "'Full').location]"),
        _SEARCH,
    ])
    assert resources[0].get("properties.byName") == "Disabled"
    assert resources[0].get("properties.byId") == "swedencentral"


def test_reference_of_an_existing_or_undeclared_resource_is_runtime() -> None:
    (reader,) = _expand({
        "reader": _tags(existing="[reference('other', '2023-11-01', 'full').location]",
                        undeclared="[reference('nowhere').publicNetworkAccess]"),
        "other": {**_SEARCH, "existing": True},
    }, languageVersion="2.0")
    assert isinstance(reader.get("properties.existing"), Unresolved)
    assert isinstance(reader.get("properties.undeclared"), Unresolved)


def test_outputs_of_a_nested_deployment_declared_later_are_read() -> None:
    resources = _expand({
        "reader": _tags(one="[reference('later').outputs.value.value]",
                        copies="[format('{0},{1}', reference('nsgs[0]').outputs.value.value, "
                               "reference(format('nsgs[{0}]', 1)).outputs.value.value)]"),
        "later": _module({"value": "known"}, name="later"),
        "nsgs": _module({"value": "[format('nsg-{0}', parameters('index'))]"},
                        name="[format('nsg-{0}', copyIndex())]", copy={"name": "nsgs", "count": 2}),
    }, languageVersion="2.0")
    reader = resources[0]
    assert reader.get("properties.one") == "known"
    assert reader.get("properties.copies") == "nsg-0,nsg-1"
    # Reported in the order of the template, whatever order they were expanded in.
    assert [r.source.address for r in resources] == ["reader", "later", "nsgs[0]", "nsgs[1]"]


def test_a_resource_that_reads_itself_stays_unresolved() -> None:
    (search,) = _expand({"search": {**_SEARCH, "tags": {"me": "[reference('search').publicNetworkAccess]"}}},
                        languageVersion="2.0")
    assert isinstance(search.get("tags.me"), Unresolved)


def test_a_deployment_in_a_copy_loop_of_unknown_count_is_expanded_once() -> None:
    inner = {"$schema": _SCHEMA, "contentVersion": "1.0.0.0",
             "parameters": {"region": {"type": "string"}, "kind": {"type": "string"}},
             "resources": [{"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01",
                            "name": "[format('oai-{0}', parameters('region'))]", "kind": "[parameters('kind')]",
                            "location": "[parameters('region')]"}]}
    loop = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
            "name": "[format('ai-{0}', copyIndex())]",
            "copy": {"name": "ai", "count": "[length(parameters('regions'))]"},
            "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                           "parameters": {"region": {"value": "[parameters('regions')[copyIndex()]]"},
                                          "kind": {"value": "OpenAI"}},
                           "template": inner}}
    deployment, account = _expand([loop], parameters={"regions": {"type": "array"}})
    assert isinstance(deployment.name, Unresolved)
    assert account.get("kind") == "OpenAI"  # the same for every copy
    assert isinstance(account.name, Unresolved) and isinstance(account.get("location"), Unresolved)
