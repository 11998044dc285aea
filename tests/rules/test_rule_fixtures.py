"""Runs every case of every rule fixture (`tests/fixtures/rules/<ID>.yaml`, format in docs/rule-format.md).

Each case gives resources (ARM-shaped, an ARM template, or an inventory export) and the exact set of
(resource name, status) results the case's rule must produce on them, not-applicable results included, and
optionally text each result's message must (`message`) or must not (`not_message`) contain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.graph import ResourceGraph
from aiwell.model import InputStatus, Resource, Source, SourceFormat, Unresolved
from aiwell.model.sizing import sizing_plan
from aiwell.rules import Rule, load_registry, run_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
PLACEHOLDER_SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/fixture"
CASE_KEYS = {"name", "resources", "template", "parameters", "inventory", "origin", "sizing", "expected"}
STATUSES = {"pass", "fail", "unknown", "not_applicable"}
EXPECTED_KEYS = {"resource", "status", "message", "not_message"}
"""`message` must appear in the result's message, `not_message` must not (both optional)."""


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def load_fixture(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("cases"), list), f"{path}: needs `rule` and `cases`"
    return data


def fixture_cases() -> list[Any]:
    params = []
    for path in fixture_files():
        data = load_fixture(path)
        for index, case in enumerate(data["cases"]):
            label = case.get("name", f"case {index}") if isinstance(case, dict) else f"case {index}"
            params.append(pytest.param(path, index, id=f"{path.stem}: {label}"))
    return params


def unresolved_markers(value: Any) -> Any:
    """Turn `{$unresolved: expr}` anywhere in fixture data into `Unresolved(expr, "fixture")`."""
    if isinstance(value, dict):
        if set(value) == {"$unresolved"}:
            return Unresolved(str(value["$unresolved"]), "fixture")
        return {key: unresolved_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unresolved_markers(item) for item in value]
    return value


def fixture_id(body: dict[str, Any]) -> str | Unresolved:
    """The ARM id of a fixture resource without an `id`: its type and name under a placeholder group."""
    resource_type, name = str(body.get("type", "")), body.get("name")
    if isinstance(name, Unresolved):
        return name
    name = str(name)
    lowered = resource_type.lower()
    scope = body.get("scope")
    if lowered == "microsoft.insights/diagnosticsettings" and isinstance(scope, (str, Unresolved)):
        if isinstance(scope, Unresolved):
            return scope
        return f"{scope.rstrip('/')}/providers/{resource_type}/{name}"
    marker = lowered.find("/providers/")
    if marker >= 0:
        base_type, extension = resource_type[:marker], resource_type[marker + len("/providers/"):]
        depth = len(base_type.split("/")) - 1
        parts = name.split("/")
        base = fixture_id({"type": base_type, "name": "/".join(parts[:depth])})
        return f"{base}/providers/{'/'.join(parts[depth:-1])}/{extension}/{parts[-1]}"
    type_parts, name_parts = resource_type.split("/"), name.split("/")
    segments = [type_parts[0]]
    for child_type, child_name in zip(type_parts[1:], name_parts, strict=False):
        segments += [child_type, child_name]
    return f"{PLACEHOLDER_SCOPE}/providers/{'/'.join(segments)}"


def build_resources(case: dict[str, Any], path: Path) -> list[Resource]:
    source_format = SourceFormat.INVENTORY if case.get("origin") == "inventory" else SourceFormat.ARM
    resources = []
    for index, raw in enumerate(case["resources"]):
        body = unresolved_markers(raw)
        given_id = body.get("id")
        resource_id = given_id if isinstance(given_id, (str, Unresolved)) else fixture_id(body)
        source = Source(source_format, str(path), None, f"resources[{index}]")
        resources.append(Resource.from_arm(body, source, resource_id=resource_id))
    return resources


def load_through_loaders(case: dict[str, Any], tmp_path: Path) -> list[Resource]:
    loaders = pytest.importorskip("aiwell.loaders")
    load_inputs = getattr(loaders, "load_inputs", None)
    if load_inputs is None:
        pytest.skip("aiwell.loaders.load_inputs is not available yet")
    parameter_files: list[Path] = []
    if "template" in case:
        target = tmp_path / "template.json"
        target.write_text(json.dumps(case["template"]), encoding="utf-8")
        if case.get("parameters") is not None:
            parameters = tmp_path / "values.json"
            parameters.write_text(json.dumps({
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {key: {"value": value} for key, value in case["parameters"].items()},
            }), encoding="utf-8")
            parameter_files.append(parameters)
    else:
        target = tmp_path / "inventory.json"
        target.write_text(json.dumps(case["inventory"]), encoding="utf-8")
    outcome = load_inputs([target], parameter_files=parameter_files)
    problems = [f"{record.path}: {record.reason}" for record in outcome.inputs
                if record.status is InputStatus.NOT_ANALYSED]
    assert not problems, f"the fixture input was not analysed: {problems}"
    return list(outcome.resources)


@pytest.mark.parametrize(("path", "index"), fixture_cases())
def test_rule_fixture_case(path: Path, index: int, tmp_path: Path) -> None:
    data = load_fixture(path)
    rule = load_registry().get(str(data.get("rule")))
    assert isinstance(rule, Rule), f"{path}: no rule {data.get('rule')!r} in the registry"
    assert rule.id == path.stem, f"{path}: the file of rule {rule.id} must be named {rule.id}.yaml"
    case = data["cases"][index]
    assert isinstance(case, dict) and set(case) <= CASE_KEYS, f"unknown case keys: {set(case) - CASE_KEYS}"
    inputs = [key for key in ("resources", "template", "inventory") if key in case]
    assert len(inputs) == 1, "a case gives exactly one of resources, template, inventory"

    resources = build_resources(case, path) if "resources" in case else load_through_loaders(case, tmp_path)

    plan = sizing_plan({"schema": "aiwell.size/1", "regime": "plan", "targets": case["sizing"]}, str(path)) \
        if "sizing" in case else None
    results = run_rules(resources, ResourceGraph(resources, sizing=plan), [rule])
    actual = {(result.resource_name, result.status.value) for result in results}
    assert all(set(item) <= EXPECTED_KEYS for item in case["expected"]), f"expected keys are {EXPECTED_KEYS}"
    expected = {(str(item["resource"]), str(item["status"])) for item in case["expected"]}
    assert {status for _, status in expected} <= STATUSES
    messages = {(result.resource_name, result.status.value): result.message for result in results}
    assert actual == expected, f"messages: {json.dumps({f'{k[0]} {k[1]}': v for k, v in messages.items()})}"
    assert all(result.message for result in results), "every result carries a message"
    assert not any(result.message.startswith("rule error:") for result in results), messages
    for item in case["expected"]:
        key = (str(item["resource"]), str(item["status"]))
        if "message" in item:
            assert str(item["message"]) in messages[key], f"{key}: {messages[key]!r}"
        if "not_message" in item:
            assert str(item["not_message"]) not in messages[key], f"{key}: {messages[key]!r}"
