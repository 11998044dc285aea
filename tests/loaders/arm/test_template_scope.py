"""Where a template deploys decides its ids and what its functions answer; what is not reviewed is said so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
