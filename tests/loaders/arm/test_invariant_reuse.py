"""A deployment's invariant expressions (`EvalScope(reuse_invariants=True)`) evaluated once and reused: every
evaluation gives what evaluating afresh gives - value, notes, work spent, errors - and what can differ from one
evaluation to the next is never reused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.errors import InputError, TemplateError
from aiwell.loaders.arm import scope as scope_module
from aiwell.loaders.arm.expressions import evaluate_value
from aiwell.loaders.arm.scope import EvalScope
from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.jsonc import load_json, parse_text
from aiwell.model.values import Unresolved

CASES_FILE = Path(__file__).parents[2] / "fixtures" / "arm-functions" / "cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]

TEMPLATE: dict[str, Any] = {
    "parameters": {
        "prefix": {"type": "string", "defaultValue": "st"},
        "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
        "count": {"type": "int", "defaultValue": 5},
        "flag": {"type": "bool"},
    },
    "variables": {
        "name": "[concat(parameters('prefix'), 'x')]",
        "loop": "[variables('loop')]",
        "broken": "[concat(toLower(toLower('a')), toLower('a', 'b'))]",  # an error, noted nowhere
        "items": {"copy": [{"name": "entries", "count": 2, "input": "[copyIndex('entries')]"}]},
    },
    "functions": [{"namespace": "ns", "members": {"twice": {
        "parameters": [{"name": "prefix", "type": "string"}],
        "output": {"type": "string", "value": "[concat(parameters('prefix'), parameters('prefix'))]"}}}}],
}

EXPRESSIONS = [
    "[parameters('location')]",
    "[concat(parameters('prefix'), '-', parameters('location'))]",
    "[variables('name')]",
    "[variables('loop')]",
    "[toUpper(variables('name'))]",
    "[concat(parameters('prefix'), copyIndex())]",
    "[concat(parameters('prefix'), copyIndex('inner'))]",
    "[ns.twice(parameters('prefix'))]",
    "[concat(ns.twice('a'), parameters('prefix'))]",
    "[uniqueString(resourceGroup().id, parameters('prefix'))]",
    "[newGuid()]",
    "[utcNow()]",
    "[reference('other').x]",
    "[resourceId('Microsoft.Storage/storageAccounts', parameters('prefix'))]",
    "[length(map(range(0, parameters('count')), lambda('i', lambdaVariables('i'))))]",
    "[length(parameters('count'))]",  # an argument error: unresolved, with a note
    "[if(parameters('flag'), length(parameters('count')), 1)]",  # a trial whose note is taken back
    "[length(parameters('count'))]",  # ... and then made again
    "[if(parameters('flag'), 'a', 'a')]",
    "[if(parameters('flag'), variables('broken'), 'a')]",  # a variable that fails, evaluated each time
    "[deployment().name]",
    "[createObject('a', parameters('prefix'))]",
    "[variables('items').entries[1]]",
    "[listKeys('x', '2020-01-01').keys[0].value]",
    "[undefinedFunction(parameters('prefix'))]",
]


def _scope(*, reuse: bool) -> EvalScope:
    return EvalScope(parameters={"flag": Unresolved("parameters('flag')", "no value")},
                     variables=TEMPLATE["variables"], functions=TEMPLATE["functions"], template=TEMPLATE,
                     reuse_invariants=reuse)


def _outcome(evaluate: Callable[[], Any]) -> Any:
    try:
        return ("value", evaluate())
    except TemplateError as exc:
        return ("error", exc.message)


def _run(scope: EvalScope, values: list[Any]) -> list[Any]:
    """Each value evaluated three times, in the scope and in two copies of a loop (`copyIndex()` 0 and 1)."""
    outcomes = []
    for value in values:
        for _ in range(3):
            for where in (scope, scope.with_copy_index(None, 0), scope.with_copy_index("inner", 1)):
                outcomes.append((_outcome(lambda w=where, v=value: evaluate_value(v, w)), scope.steps,
                                 list(scope.notes)))
    return outcomes


def test_reusing_invariant_values_changes_no_value_note_or_work() -> None:
    assert _run(_scope(reuse=True), EXPRESSIONS) == _run(_scope(reuse=False), EXPRESSIONS)


def test_each_function_case_evaluated_again_gives_what_it_gave() -> None:
    for case in CASES:
        parameters, variables = case.get("params") or {}, case.get("vars") or {}
        reused = _run(EvalScope(parameters=parameters, variables=variables, reuse_invariants=True), [case["expr"]])
        afresh = _run(EvalScope(parameters=parameters, variables=variables), [case["expr"]])
        assert reused == afresh, case["expr"]


def test_copy_index_is_never_reused() -> None:
    scope = _scope(reuse=True)
    names = [evaluate_value("[concat(parameters('prefix'), copyIndex())]", scope.with_copy_index(None, index))
             for index in range(4)]
    assert names == ["st0", "st1", "st2", "st3"]


@pytest.mark.parametrize("budget", range(0, 60, 3))
def test_the_work_limit_stops_a_reused_value_where_it_stops_a_fresh_one(budget: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scope_module, "MAX_STEPS", budget)
    values = ["[concat(parameters('prefix'), '-', parameters('location'))]"] * 6
    assert _run(_scope(reuse=True), values) == _run(_scope(reuse=False), values)


@pytest.mark.parametrize("depth", range(90, 101))
def test_the_depth_limit_stops_a_reused_value_where_it_stops_a_fresh_one(depth: int) -> None:
    values: list[Any] = []
    for expression in ("[toLower(concat(parameters('prefix'), parameters('location')))]",
                       "[if(parameters('flag'), variables('broken'), 'a')]"):
        nested: Any = expression
        for _ in range(depth):
            nested = [nested]
        values += [expression] * 3 + [nested, nested]
    assert _run(_scope(reuse=True), values) == _run(_scope(reuse=False), values)


def test_a_template_of_many_alike_resources_gets_each_its_own_values() -> None:
    resources = [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
                  "name": f"[concat(parameters('prefix'), '{index}')]", "location": "[parameters('location')]",
                  "copy": {"name": "c", "count": 2},
                  "properties": {"n": "[copyIndex()]", "tag": "[toUpper(parameters('prefix'))]"}}
                 for index in range(3)]
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "parameters": TEMPLATE["parameters"], "resources": resources}
    expansion = expand_template(parse_text(json.dumps(template), "t.json"))
    assert [(r.name, r.location, r.properties["n"], r.properties["tag"]) for r in expansion.resources] == [
        (f"st{index}", "westeurope", copy, "ST") for index in range(3) for copy in range(2)]


FIXTURES = Path(__file__).parents[2] / "fixtures"
TEMPLATES = sorted(path for path in FIXTURES.rglob("*.json") if b"deploymentTemplate" in path.read_bytes())

OUTER_SCOPE_DEPLOYMENT = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"name": {"type": "string"}},
    "resources": [
        *({"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2024-05-01", "name": name,
           "properties": {"target": "[resourceId('Microsoft.Storage/storageAccounts', parameters('name'))]",
                          "region": "[resourceGroup().location]"}} for name in ("pe1", "pe2")),
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
         "properties": {"mode": "Incremental", "template": {
             "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
             "contentVersion": "1.0.0.0",
             "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
                            "name": "[parameters('name')]", "location": "[resourceGroup().location]"}]}}},
        # The same id once the nested deployment (outer scope) has declared the account: its instance's id now.
        *({"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2024-05-01", "name": name,
           "properties": {"target": "[resourceId('Microsoft.Storage/storageAccounts', parameters('name'))]",
                          "region": "[resourceGroup().location]"}} for name in ("pe3", "pe4")),
    ],
}


def _expansion(document: Path | str) -> Any:
    """What expanding `document` (a fixture, or "outer-scope") gives: resources, notes, outputs, or the error."""
    try:
        if document == "outer-scope":
            read = parse_text(json.dumps(OUTER_SCOPE_DEPLOYMENT, indent=1), "outer.json")
        else:
            read = load_json(Path(document))
        expansion = expand_template(read, root=FIXTURES)
    except InputError as exc:
        return ("error", exc.message, exc.line)
    return ([(r.id, r.name, r.type, r.location, r.properties, r.tags, r.depends_on, r.source)
             for r in expansion.resources], expansion.notes, expansion.unreviewed, expansion.outputs())


@pytest.mark.parametrize("document", [
    *(pytest.param(path, id=str(path.relative_to(FIXTURES))) for path in TEMPLATES),
    pytest.param("outer-scope", id="resource ids before and after a nested deployment declares the resource"),
])
def test_each_template_expands_as_it_does_without_reuse(document: Path | str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    reused = _expansion(document)
    monkeypatch.setattr(EvalScope, "invariants", lambda self: None)
    assert reused == _expansion(document)
