"""The azurerm → ARM tables, run from data cases under tests/fixtures/terraform/mapping/*.yaml.

Each file holds `cases:`; a case is

    name: what it shows
    tf_type: azurerm_x
    attributes: {...}           # as Terraform evaluates them: blocks are lists of dicts
    expected:                   # the ARM bodies to_arm returns, in order, each matched as a subset
      - type: ...
        properties: {...}
    id: ...                     # optional: what arm_id returns

In `attributes`, `{$unresolved: <expression>}` is an unknown value. In `expected`, `{$unresolved: <substring> |
null}` matches an `Unresolved` (whose expression contains the substring) and `{$missing: true}` a key that must be
absent. Dicts match when every expected key matches; lists element by element with the same length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.terraform.azurerm import TABLES
from aiwell.loaders.terraform.mapping import arm_id, arm_type, to_arm
from aiwell.model import Unresolved

CASES = Path(__file__).parents[2] / "fixtures" / "terraform" / "mapping"
CONTEXT = DeploymentContext()

ISSUE_TYPES = (
    "cognitive_account", "cognitive_deployment", "ai_services", "ai_foundry", "ai_foundry_project",
    "machine_learning_workspace", "machine_learning_compute_cluster", "machine_learning_compute_instance",
    "machine_learning_inference_cluster", "search_service", "storage_account", "key_vault", "container_registry",
    "service_plan", "linux_web_app", "windows_web_app", "linux_function_app", "container_app",
    "container_app_environment", "api_management", "cosmosdb_account", "private_endpoint",
    "monitor_diagnostic_setting", "log_analytics_workspace", "role_assignment", "management_lock",
    "user_assigned_identity",
)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$unresolved"}:
            return Unresolved(str(value["$unresolved"]), "test")
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def _mismatch(actual: Any, expected: Any, path: str) -> str | None:
    """Where `actual` fails to match `expected`, or None."""
    if isinstance(expected, dict) and "$unresolved" in expected:
        wanted = expected["$unresolved"]
        if isinstance(actual, Unresolved) and (wanted is None or str(wanted) in actual.expression):
            return None
        return f"{path}: expected unresolved {wanted!r}, got {actual!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r}"
        for key, item in expected.items():
            if isinstance(item, dict) and item.get("$missing") is True:
                if key in actual:
                    return f"{path}.{key}: expected absent, got {actual[key]!r}"
                continue
            if key not in actual:
                return f"{path}.{key}: absent (have {sorted(actual)})"
            found = _mismatch(actual[key], item, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: expected {len(expected)} items, got {actual!r}"
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            found = _mismatch(got, want, f"{path}[{index}]")
            if found:
                return found
        return None
    if type(actual) is not type(expected) or actual != expected:
        return f"{path}: expected {expected!r}, got {actual!r}"
    return None


def _cases() -> list[Any]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            found.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return found


@pytest.mark.parametrize("case", _cases())
def test_mapping_case(case: dict[str, Any]) -> None:
    attributes = _decode(case["attributes"])
    bodies = to_arm(case["tf_type"], attributes, context=CONTEXT)
    assert bodies is not None, f"{case['tf_type']} is not mapped"
    problem = _mismatch(bodies, case["expected"], "bodies")
    assert problem is None, problem
    if "id" in case:
        problem = _mismatch(arm_id(case["tf_type"], attributes, context=CONTEXT), case["id"], "id")
        assert problem is None, problem


def test_every_type_the_issue_lists_is_mapped_and_has_a_case() -> None:
    covered = {case.values[0]["tf_type"] for case in _cases()}  # type: ignore[index]
    for short in ISSUE_TYPES:
        tf_type = f"azurerm_{short}"
        assert tf_type in TABLES, f"{tf_type} has no table"
        assert tf_type in covered, f"{tf_type} has no mapping case"


def test_unmapped_types_answer_none() -> None:
    assert to_arm("random_string", {"length": 8}, context=CONTEXT) is None
    assert arm_type("random_string") is None
    assert isinstance(arm_id("random_string", {}, context=CONTEXT), Unresolved)
    assert arm_type("azurerm_cognitive_account") == "Microsoft.CognitiveServices/accounts"


def test_every_table_path_is_well_formed() -> None:
    """Tables are data: every ARM path is dotted identifiers, every child type extends its parent's."""
    for table in TABLES.values():
        assert table.tf_type.startswith("azurerm_")
        assert table.arm_type.count("/") >= 1
        for child in table.children:
            assert child.arm_type.lower().startswith(table.arm_type.lower() + "/")


def test_a_known_arm_id_wins() -> None:
    """Plan JSON for a resource that exists carries its real id (a role assignment's generated name is only
    there)."""
    known = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Authorization/roleAssignments/abc"
    attributes = {"scope": "/subscriptions/s/resourceGroups/g", "principal_id": "p", "id": known}
    assert arm_id("azurerm_role_assignment", attributes, context=CONTEXT) == known
    # A diagnostic setting's Terraform id (`target|name`) is not an ARM id and is never taken.
    assert isinstance(arm_id("azurerm_monitor_diagnostic_setting", {"id": "/x|d"}, context=CONTEXT), Unresolved)
