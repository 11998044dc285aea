"""Runs every case of every rule fixture (`tests/fixtures/rules/<ID>.yaml`, format in docs/rule-format.md) in every
input format it is written in.

Each case gives resources (ARM-shaped, an ARM template, Bicep and Terraform snippets, a Resource Graph export) and
the exact set of (resource name, status) results the case's rule must produce on them, not-applicable results
included, and optionally text each result's message must (`message`) or must not (`not_message`) contain. Snippets
and exports go through the real loaders (`aiwell.loaders.load_inputs`), as a user's files do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwell.graph import ResourceGraph
from aiwell.loaders import load_inputs
from aiwell.model import InputStatus, Resource
from aiwell.rule_fixtures import case_sizing_plan
from aiwell.rules import Rule, load_registry, run_rules
from aiwell.rules.base import RuleLogic
from rule_fixture_format import (
    EXPECTED_KEYS,
    STATUSES,
    Run,
    bicep_from_resources,
    build_resources,
    fixture_files,
    inventory_export,
    load_fixture,
    runs_of,
    write_source,
    write_template,
)


def fixture_runs() -> list[Any]:
    params = []
    for path in fixture_files():
        for run in runs_of(path, load_fixture(path)):
            params.append(pytest.param(run, id=f"{path.stem}: {run.case_name} [{run.format}]"))
    return params


def _loaded(paths: list[Path], parameter_files: list[Path] | None = None) -> list[Resource]:
    outcome = load_inputs(paths, parameter_files=parameter_files or [])
    problems = [f"{record.path}: {record.reason}" for record in outcome.inputs
                if record.status is InputStatus.NOT_ANALYSED]
    assert not problems, f"the fixture input was not analysed: {problems}"
    return list(outcome.resources)


def resources_of(run: Run, case: dict[str, Any], directory: Path) -> list[Resource]:
    """The resources of one run: built from the case's ARM-shaped data, or read by the loader of its format."""
    built_as_given = run.format == "arm" or (run.format == "inventory" and case.get("origin") == "inventory")
    if "resources" in case and built_as_given:
        return build_resources(case, run.path)
    if run.format == "arm":
        template, parameters = write_template(case, directory)
        return _loaded([template], parameters)
    if run.format == "bicep":
        given = case.get("bicep")
        source = given if given is not None else bicep_from_resources(case["resources"])
        return _loaded([write_source(source, directory, "main.bicep")])
    if run.format == "terraform":
        write_source(case["terraform"], directory, "main.tf")
        return _loaded([directory])
    target = directory / "inventory.json"
    target.write_text(json.dumps(inventory_export(case)), encoding="utf-8")
    return _loaded([target])


@pytest.mark.parametrize("run", fixture_runs())
def test_rule_fixture_case(run: Run, tmp_path: Path) -> None:
    data = load_fixture(run.path)
    rule = load_registry().get(str(data.get("rule")))
    assert isinstance(rule, Rule), f"{run.path}: no rule {data.get('rule')!r} in the registry"
    assert rule.id == run.path.stem, f"{run.path}: the file of rule {rule.id} must be named {rule.id}.yaml"
    case = data["cases"][run.case_index]

    resources = resources_of(run, case, tmp_path)

    results = run_rules(resources, ResourceGraph(resources, sizing=case_sizing_plan(case, run.path)), [rule])
    actual = {(result.resource_name, result.status.value) for result in results}
    assert all(set(item) <= EXPECTED_KEYS for item in run.expected), f"expected keys are {EXPECTED_KEYS}"
    expected = {(str(item["resource"]), str(item["status"])) for item in run.expected}
    assert {status for _, status in expected} <= set(STATUSES)
    messages = {(result.resource_name, result.status.value): result.message for result in results}
    assert actual == expected, f"messages: {json.dumps({f'{k[0]} {k[1]}': v for k, v in messages.items()})}"
    assert all(result.message for result in results), "every result carries a message"
    assert not any(result.message.startswith("rule error:") for result in results), messages
    for item in run.expected:
        key = (str(item["resource"]), str(item["status"]))
        if "message" in item:
            assert str(item["message"]) in messages[key], f"{key}: {messages[key]!r}"
        if "not_message" in item:
            assert str(item["not_message"]) not in messages[key], f"{key}: {messages[key]!r}"


def _unmemoised(rule: Rule) -> Any:
    """The rule's verdicts without what `Rule._judged_alike` keeps for resources configured alike."""
    check = rule.check.function if isinstance(rule.check, RuleLogic) else rule.check
    return check if check is not None and rule.where is None else rule._judged(check)


def test_verdicts_kept_for_resources_configured_alike_are_those_judged_one_by_one(tmp_path: Path) -> None:
    """On every resource of every fixture case, in every format, a rule's verdict and message are the same with
    its verdicts kept for the values its conditions read, or for each document shape (shared by every case run
    before), as judged alone: a Python rule judged by the document (`by_document`) reads nothing else."""
    kept: set[str] = set()
    by_document: set[str] = set()
    for index, run in enumerate(param.values[0] for param in fixture_runs()):
        data = load_fixture(run.path)
        rule = load_registry().get(str(data.get("rule")))
        assert isinstance(rule, Rule)
        case = data["cases"][run.case_index]
        directory = tmp_path / str(index)
        directory.mkdir()
        resources = resources_of(run, case, directory)
        graph = ResourceGraph(resources, sizing=case_sizing_plan(case, run.path))
        alone = _unmemoised(rule)
        for resource in resources:
            if rule.applies_to(resource):
                assert rule.evaluate(resource, graph) == alone(resource, graph), (run.path.stem, resource.name)
        if rule._alike:
            kept.add(rule.id)
        if rule.by_document and rule._by_shape:
            by_document.add(rule.id)
    assert len(kept) > 50, "the fixtures exercise rules whose verdicts are kept for resources configured alike"
    assert len(by_document) >= 15, "the fixtures exercise the Python rules judged by the document"
