"""Running rule fixtures (the format of docs/rule-format.md, "Fixtures") for a folder of a team's own rules:
`aiwell rules --rules-dir DIR --test` runs `DIR/fixtures/<ID>.yaml` the way aiwell's test suite runs its own."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct

from aiwell.graph import ResourceGraph
from aiwell.loaders import load_inputs
from aiwell.model import InputStatus, Resource, Source, SourceFormat, Unresolved, display_text
from aiwell.model.sizing import SizingPlan, SizingPlanError, sizing_plan
from aiwell.rules import Rule, run_rules
from aiwell.rules.custom import FIXTURES_FOLDER, CustomRuleError

PLACEHOLDER_SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/fixture"
CASE_KEYS = frozenset({"name", "resources", "template", "parameters", "inventory", "origin", "sizing", "expected"})
EXPECTED_KEYS = frozenset({"resource", "status", "message", "not_message"})
STATUSES = frozenset({"pass", "fail", "unknown", "not_applicable"})


class FixtureOutcome(Struct, frozen=True):
    """One fixture case: its name, whether the rule gave exactly the expected results, and what differed."""

    rule_id: str
    case: str
    passed: bool
    problems: tuple[str, ...]


def _unresolved_markers(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$unresolved"}:
            return Unresolved(str(value["$unresolved"]), "fixture")
        return {key: _unresolved_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unresolved_markers(item) for item in value]
    return value


def _fixture_id(body: dict[str, Any]) -> str | Unresolved:
    name = body.get("name")
    if isinstance(name, Unresolved):
        return name
    type_parts, name_parts = str(body.get("type", "")).split("/"), str(name).split("/")
    segments = [type_parts[0]]
    for child_type, child_name in zip(type_parts[1:], name_parts, strict=False):
        segments += [child_type, child_name]
    return f"{PLACEHOLDER_SCOPE}/providers/{'/'.join(segments)}"


def _check_case(case: object, where: str) -> dict[str, Any]:
    """The case, or a `CustomRuleError` saying what is wrong with it."""
    if not isinstance(case, dict):
        raise CustomRuleError(f"{where}: a case is a mapping with `resources` (or `template`, `inventory`) and "
                              "`expected`")
    unknown = sorted(set(case) - CASE_KEYS)
    if unknown:
        raise CustomRuleError(f"{where}: unknown key(s) {', '.join(unknown)}; a case has "
                              f"{', '.join(sorted(CASE_KEYS))}")
    inputs = [key for key in ("resources", "template", "inventory") if key in case]
    if len(inputs) != 1:
        raise CustomRuleError(f"{where}: a case gives exactly one of resources, template, inventory")
    expected = case.get("expected")
    if not isinstance(expected, list) or not expected:
        raise CustomRuleError(f"{where}: `expected` lists the results, each {{resource, status}}")
    for item in expected:
        if not isinstance(item, dict) or not {"resource", "status"} <= set(item) or set(item) - EXPECTED_KEYS:
            raise CustomRuleError(f"{where}: each expected result has `resource` and `status` (and optionally "
                                  "`message`, `not_message`)")
        if str(item["status"]) not in STATUSES:
            raise CustomRuleError(f"{where}: status {item['status']!r} is not one of {', '.join(sorted(STATUSES))}")
    return case


def _case_resources(case: dict[str, Any], path: Path) -> tuple[list[Resource], list[str]]:
    """The case's resources, and the reasons any input of it was not analysed (a fixture that can't be read
    proves nothing)."""
    if "resources" in case:
        resources = []
        source_format = SourceFormat.INVENTORY if case.get("origin") == "inventory" else SourceFormat.ARM
        for index, raw in enumerate(case["resources"]):
            body = _unresolved_markers(raw)
            given = body.get("id")
            resource_id = given if isinstance(given, (str, Unresolved)) else _fixture_id(body)
            resources.append(Resource.from_arm(body, Source(source_format, str(path), address=f"resources[{index}]"),
                                               resource_id=resource_id))
        return resources, []
    # A template or an inventory case goes through the real loaders.
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / ("template.json" if "template" in case else "inventory.json")
        target.write_text(json.dumps(case.get("template", case.get("inventory"))), encoding="utf-8")
        parameter_files = []
        if "template" in case and case.get("parameters") is not None:
            parameters = Path(scratch) / "values.json"
            parameters.write_text(json.dumps({
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {key: {"value": value} for key, value in dict(case["parameters"]).items()},
            }), encoding="utf-8")
            parameter_files.append(parameters)
        outcome = load_inputs([target], parameter_files=parameter_files)
        problems = [f"the case's input was not analysed: {record.reason}" for record in outcome.inputs
                    if record.status is InputStatus.NOT_ANALYSED]
        return list(outcome.resources), problems


def case_sizing_plan(case: dict[str, Any], path: Path) -> SizingPlan | None:
    """The sizing plan a case reviews with (`sizing:` lists the targets of a plan answer), or None."""
    if "sizing" not in case:
        return None
    try:
        return sizing_plan({"schema": "aiwell.size/1", "regime": "plan", "targets": case["sizing"]}, str(path))
    except SizingPlanError as exc:
        raise CustomRuleError(f"{path}: `sizing`: {exc}") from None


def run_fixtures(rules: Sequence[Rule], folder: Path) -> list[FixtureOutcome]:
    """Run every case of `folder/fixtures/<ID>.yaml` against its rule: the results must be exactly the expected
    (resource name, status) pairs, messages containing any `message` given."""
    by_id = {rule.id: rule for rule in rules}
    outcomes: list[FixtureOutcome] = []
    fixtures = folder / FIXTURES_FOLDER
    for path in sorted(fixtures.glob("*.yaml")) if fixtures.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CustomRuleError(f"{path}: can't read the fixture: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise CustomRuleError(f"{path}: a fixture file has `rule` and a list of `cases`")
        rule = by_id.get(str(data.get("rule")))
        if rule is None:
            raise CustomRuleError(f"{path}: no rule {data.get('rule')!r} in {folder}")
        for index, raw in enumerate(data["cases"]):
            case = _check_case(raw, f"{path}: case {index + 1}")
            name = str(case.get("name", f"case {index + 1}"))
            resources, problems = _case_resources(case, path)
            results = run_rules(resources, ResourceGraph(resources, sizing=case_sizing_plan(case, path)), [rule])
            actual = {(display_text(r.resource_name), r.status.value): r.message for r in results}
            expected = {(str(item["resource"]), str(item["status"])): item for item in case["expected"]}
            problems += [f"expected {k[0]} {k[1]}" for k in expected if k not in actual]
            problems += [f"unexpected {k[0]} {k[1]}: {v}" for k, v in actual.items() if k not in expected]
            for key, item in expected.items():
                if key in actual and "message" in item and str(item["message"]) not in actual[key]:
                    problems.append(f"{key[0]} {key[1]}: message {actual[key]!r} lacks {item['message']!r}")
                if key in actual and "not_message" in item and str(item["not_message"]) in actual[key]:
                    problems.append(f"{key[0]} {key[1]}: message {actual[key]!r} has {item['not_message']!r}")
            outcomes.append(FixtureOutcome(rule.id, name, not problems, tuple(problems)))
    return outcomes


def untested(rules: Sequence[Rule], outcomes: Sequence[FixtureOutcome], folder: Path) -> list[str]:
    """Rules of the folder with no fixture, or whose fixtures miss a pass, fail or unknown case."""
    missing = []
    for rule in rules:
        path = folder / FIXTURES_FOLDER / f"{rule.id}.yaml"
        if not path.is_file():
            missing.append(f"{rule.id}: no fixture ({path})")
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        statuses = {str(item.get("status")) for case in data.get("cases", []) for item in case.get("expected", [])}
        wanted = {"pass", "fail", "unknown"} | ({"not_applicable"} if rule.where is not None else set())
        if not wanted <= statuses:
            missing.append(f"{rule.id}: its fixture has no {', '.join(sorted(wanted - statuses))} case")
    return missing


__all__ = ["FixtureOutcome", "case_sizing_plan", "run_fixtures", "untested"]
