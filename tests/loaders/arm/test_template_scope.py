"""Where a template deploys decides its ids and what its functions answer; what is not reviewed is said so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwell.errors import TemplateError
from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.jsonc import load_json, parse_text
from aiwell.model import Unresolved

CASES = Path(__file__).parents[2] / "fixtures" / "templates" / "cases"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"


def _expand(template: dict[str, Any]) -> Any:
    return expand_template(parse_text(json.dumps(template), "t.json"))


def _deployment(name: str, template: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": name, **fields,
            "properties": {"mode": "Incremental", "template": template,
                           "expressionEvaluationOptions": {"scope": "inner"}}}


def test_an_unresolved_resource_type_makes_the_input_partial() -> None:
    expansion = expand_template(load_json(CASES / "unresolved-type" / "template.json"))
    assert len(expansion.resources) == 1
    assert any("the resource type parameters('serviceType') is unresolved" in part
               for part in expansion.unreviewed)


def test_a_subscription_template_evaluates_at_subscription_scope() -> None:
    inner = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
             "contentVersion": "1.0.0.0", "resources": [],
             "outputs": {"group": {"type": "string", "value": "[resourceGroup().name]"}}}
    expansion = _expand({
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            _deployment("inner", inner, resourceGroup="rg-ai", location="westeurope"),
            _deployment("at-sub", {**inner, "outputs": {}}, location="westeurope"),
            {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "rg-tags",
             "location": "[deployment().location]",
             "properties": {"atSub": "[resourceId('Microsoft.Resources/deployments', 'at-sub')]",
                            "group": "[reference(extensionResourceId(format('{0}/resourceGroups/rg-ai', "
                                     "subscription().id), 'Microsoft.Resources/deployments', 'inner'))"
                                     ".outputs.group.value]"}},
        ],
    })
    by_name = {resource.name: resource for resource in expansion.resources}
    assert by_name["at-sub"].id == f"{SUB}/providers/Microsoft.Resources/deployments/at-sub"
    assert by_name["rg-tags"].get("properties.atSub") == by_name["at-sub"].id
    assert by_name["rg-tags"].get("location") == "westeurope"  # deployment().location exists outside groups
    assert by_name["rg-tags"].get("properties.group") == "rg-ai"  # the inner template deploys to its group


def test_an_outer_scope_nested_template_gives_its_outputs_from_the_parent_scope() -> None:
    nested = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer",
              "properties": {"mode": "Incremental", "template": {
                  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                  "contentVersion": "1.0.0.0", "resources": [],
                  "outputs": {"prefix": {"type": "string", "value": "[parameters('prefix')]"}}}}}
    expansion = _expand({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "parameters": {"prefix": {"type": "string", "defaultValue": "ai"}},
        "resources": [nested, {"type": "Microsoft.Search/searchServices", "apiVersion": "2023-11-01",
                               "name": "[concat(reference('outer').outputs.prefix.value, '-srch')]"}],
    })
    assert expansion.resources[-1].name == "ai-srch"


def test_a_deployment_whose_scope_is_unresolved_gives_unresolved_ids() -> None:
    inner = {"$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate"
                        ".json#", "contentVersion": "1.0.0.0",
             "resources": [{"type": "Microsoft.Authorization/policyAssignments", "apiVersion": "2022-06-01",
                            "name": "pa", "properties": {}}]}
    expansion = _expand({
        "$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "parameters": {"mg": {"type": "string"}},
        "resources": [_deployment("to-mg", inner, scope="[format('Microsoft.Management/managementGroups/{0}', "
                                                       "parameters('mg'))]", location="westeurope")],
    })
    assignment = expansion.resources[-1]
    assert assignment.name == "pa"
    assert isinstance(assignment.id, Unresolved)
    assert "the scope of the deployment is unresolved" in assignment.id.reason


def _reads(**values: str) -> dict[str, Any]:
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0", "resources": [],
            "outputs": {key: {"type": "string", "value": value} for key, value in values.items()}}


def test_a_nested_deployment_whose_name_or_place_is_unresolved_never_gets_the_enclosing_ones() -> None:
    reads = _reads(name="[deployment().name]", unique="[uniqueString(deployment().name)]",
                   group="[resourceGroup().name]", groupId="[resourceGroup().id]",
                   subscription="[subscription().subscriptionId]",
                   id="[resourceId('Microsoft.Storage/storageAccounts', 'st')]",
                   location="[resourceGroup().location]")
    top = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "contentVersion": "1.0.0.0", "languageVersion": "2.0",
           "parameters": {"suffix": {"type": "string"}, "group": {"type": "string"}, "sub": {"type": "string"}},
           "resources": {
               "named": _deployment("[format('inner-{0}', parameters('suffix'))]", reads),
               "grouped": _deployment("grouped", reads, resourceGroup="[parameters('group')]"),
               "elsewhere": _deployment("elsewhere", reads, subscriptionId="[parameters('sub')]"),
               "known": _deployment("known", reads, resourceGroup="rg-known"),
           },
           "outputs": {f"{d}_{k}": {"type": "string", "value": f"[reference('{d}').outputs.{k}.value]"}
                       for d in ("named", "grouped", "elsewhere", "known")
                       for k in ("name", "unique", "group", "groupId", "subscription", "id", "location")}}
    outputs = expand_template(parse_text(json.dumps(top), "t.json")).outputs()
    unresolved = {key for key, value in outputs.items() if isinstance(value, Unresolved)}
    assert unresolved == {"named_name", "named_unique", "grouped_group", "grouped_groupId", "grouped_id",
                          "elsewhere_subscription", "elsewhere_groupId", "elsewhere_id"}
    assert outputs["named_group"] == "aiwell-rg" and outputs["grouped_name"] == "grouped"
    assert outputs["known_id"] == f"{SUB}/resourceGroups/rg-known/providers/Microsoft.Storage/storageAccounts/st"
    assert outputs["grouped_location"] == "westeurope"  # the documented placeholder of every group
    named = outputs["named_name"]
    assert isinstance(named, Unresolved) and "the deployment's name is unresolved" in named.reason


def test_management_group_scope_has_one_placeholder_everywhere() -> None:
    mg = "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
    expansion = _expand({
        "$schema": mg, "contentVersion": "1.0.0.0",
        "resources": [{"type": "Microsoft.Authorization/policyAssignments", "apiVersion": "2022-06-01",
                       "name": "pa", "properties": {
                           "own": "[managementGroup().id]", "name": "[managementGroup().name]",
                           "byId": "[resourceId('Microsoft.Authorization/policyAssignments', 'pa')]",
                           "byGroupId": "[managementGroupResourceId('Microsoft.Authorization/policyAssignments', "
                                        "'pa')]",
                           "named": "[managementGroup('mg-other').id]"}}],
    })
    (assignment,) = expansion.resources
    group = "/providers/Microsoft.Management/managementGroups/aiwell-mg"
    assert assignment.id == f"{group}/providers/Microsoft.Authorization/policyAssignments/pa"
    assert assignment.get("properties.own") == group
    assert assignment.get("properties.name") == "aiwell-mg"
    assert assignment.get("properties.byId") == assignment.get("properties.byGroupId") == assignment.id
    assert assignment.get("properties.named") == "/providers/Microsoft.Management/managementGroups/mg-other"


_SUBSCRIPTION_SCHEMA = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"


def test_a_nested_deployment_has_its_own_location_never_the_enclosing_one() -> None:
    inner = {**_reads(location="[deployment().location]"),
             "$schema": _SUBSCRIPTION_SCHEMA}
    expansion = _expand({
        "$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "parameters": {"region": {"type": "string"}},
        "resources": [
            _deployment("east", inner, location="eastus", subscriptionId="s1"),
            _deployment("unknown", inner, location="[parameters('region')]", subscriptionId="s1"),
            _deployment("none", inner, subscriptionId="s1")],
        "outputs": {"top": {"type": "string", "value": "[deployment().location]"},
                    **{name: {"type": "string", "value": f"[reference('{name}').outputs.location.value]"}
                       for name in ("east", "unknown", "none")}}})
    outputs = expansion.outputs()
    assert outputs["top"] == "westeurope"  # the documented placeholder (--location)
    assert outputs["east"] == "eastus"
    for name in ("unknown", "none"):
        assert isinstance(outputs[name], Unresolved), name
        assert "the deployment's location is unresolved" in outputs[name].reason


def test_subscription_is_refused_where_a_deployment_has_no_subscription() -> None:
    mg = "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
    with pytest.raises(TemplateError, match=r"subscription\(\): there is no subscription in a deployment at "
                                            r"managementGroup scope"):
        _expand({"$schema": mg, "contentVersion": "1.0.0.0", "resources": [
            {"type": "Microsoft.Authorization/policyAssignments", "apiVersion": "2022-06-01", "name": "pa",
             "properties": {"description": "[subscription().subscriptionId]"}}]})


def test_ids_under_a_subscription_need_one_named_where_the_deployment_has_none() -> None:
    mg = "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
    expansion = _expand({
        "$schema": mg, "contentVersion": "1.0.0.0",
        "resources": [{"type": "Microsoft.Authorization/policyAssignments", "apiVersion": "2022-06-01",
                       "name": "pa", "properties": {
                           "definition": "[subscriptionResourceId('Microsoft.Authorization/policyDefinitions', 'd')]",
                           "vnet": "[resourceId('rg-net', 'Microsoft.Network/virtualNetworks', 'v')]",
                           "named": "[subscriptionResourceId('s1', 'Microsoft.Authorization/policyDefinitions', "
                                    "'d')]",
                           "full": "[resourceId('s1', 'rg-net', 'Microsoft.Network/virtualNetworks', 'v')]"}}],
    })
    (assignment,) = expansion.resources
    for key in ("definition", "vnet"):
        value = assignment.get(f"properties.{key}")
        assert isinstance(value, Unresolved), key
        assert "has no subscription of its own" in value.reason
    assert assignment.get("properties.named") == \
        "/subscriptions/s1/providers/Microsoft.Authorization/policyDefinitions/d"
    assert assignment.get("properties.full") == \
        "/subscriptions/s1/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v"
