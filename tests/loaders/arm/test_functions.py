"""Every ARM template function, driven by the cases in tests/fixtures/arm-functions/cases.yaml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.errors import TemplateError
from aiwell.loaders.arm.expressions import evaluate_string
from aiwell.loaders.arm.functions import DEPLOYMENT_TIME_FUNCTIONS, FUNCTIONS, murmurhash64, unique_string
from aiwell.loaders.arm.scope import EvalScope
from aiwell.model.values import Unresolved

CASES_FILE = Path(__file__).parents[2] / "fixtures" / "arm-functions" / "cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def scope_for(case: dict[str, Any]) -> EvalScope:
    return EvalScope(parameters=case.get("params") or {}, variables=case.get("vars") or {})


@pytest.mark.parametrize("case", CASES, ids=[c["expr"][:80] for c in CASES])
def test_function_case(case: dict[str, Any]) -> None:
    scope = scope_for(case)
    if "error" in case:
        with pytest.raises(TemplateError) as raised:
            evaluate_string(case["expr"], scope)
        assert case["error"] in str(raised.value)
        return
    value = evaluate_string(case["expr"], scope)
    if "unresolved" in case:
        assert isinstance(value, Unresolved)
        assert case["unresolved"] in value.reason
        assert value.expression == case["expr"][1:-1]
        return
    assert value == case["expected"]
    assert type(value) is type(case["expected"])


def test_every_function_has_a_case() -> None:
    call = re.compile(r"([A-Za-z][A-Za-z0-9]*)\(")
    called = {name.lower() for case in CASES for name in call.findall(case["expr"])}
    untested = sorted(set(FUNCTIONS) - called)
    assert untested == []
    assert set(DEPLOYMENT_TIME_FUNCTIONS) - {"deployer"} <= called


def test_unique_string_is_arm_murmurhash() -> None:
    assert murmurhash64(b"") == murmurhash64(b"")
    assert unique_string("aaa") == "zavj67f3en4hc"
    assert unique_string("a", "b") == unique_string("a-b")
    assert re.fullmatch(r"[a-z2-7]{13}", unique_string("/subscriptions/x/resourceGroups/y"))


def test_unknown_function_is_unresolved_with_a_note() -> None:
    scope = EvalScope(parameters={})
    value = evaluate_string("[concat('x', fancyNewFunction(1))]", scope)
    assert isinstance(value, Unresolved)
    assert value.expression == "concat('x', fancyNewFunction(1))"
    assert value.reason == "function 'fancyNewFunction' is not supported"
    assert any("fancyNewFunction" in note for note in scope.notes)


def test_wrong_argument_count_names_the_function() -> None:
    with pytest.raises(TemplateError, match=r"toLower\(\) takes 1 argument\(s\), 2 given"):
        evaluate_string("[toLower('a', 'b')]", EvalScope(parameters={}))


def test_create_object_keeps_a_key_it_cant_compute_as_its_expression() -> None:
    scope = EvalScope(parameters={"server": Unresolved("parameters('server')", "no value")})
    value = evaluate_string("[createObject(parameters('server'), createObject('identity', '[system]'), 'k', 1)]",
                            scope)
    assert value == {"[parameters('server')]": {"identity": "[system]"}, "k": 1}
