"""Hostile expressions: a value too large is refused before it is built, odd strings never crash the evaluator."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from aiwell.errors import TemplateError
from aiwell.loaders.arm.expressions import ExpressionSyntaxError, evaluate_string
from aiwell.loaders.arm.scope import EvalScope
from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.jsonc import load_json
from aiwell.model.values import Unresolved

NINE_MB = "x" * (9 * 1024 * 1024)


def scope(**parameters: Any) -> EvalScope:
    return EvalScope(parameters=parameters)


@pytest.mark.parametrize(("text", "parameters", "what"), [
    ("[format('{0:D999999999}', 1)]", {}, "a string over 10 MB"),
    ("[format('{0,999999999}', 1)]", {}, "a string over 10 MB"),
    ("[format('{0:F999999999}', json('1.5'))]", {}, "a string over 10 MB"),
    ("[format('{0:N999999999}', 1)]", {}, "a string over 10 MB"),
    ("[format('{0}{0}', parameters('big'))]", {"big": NINE_MB}, "a string over 10 MB"),
    ("[concat(parameters('big'), parameters('big'))]", {"big": NINE_MB}, "a string over 10 MB"),
    ("[replace(parameters('big'), 'x', 'yy')]", {"big": NINE_MB}, "a string over 10 MB"),
    ("[join(createArray(parameters('big'), parameters('big')), '')]", {"big": NINE_MB}, "a string over 10 MB"),
    ("[padLeft('a', 999999999)]", {}, "a string over 10 MB"),
    ("[uriComponent(parameters('accents'))]", {"accents": "é" * 2_000_000}, "a string over 10 MB"),
    ("[concat(parameters('list'), parameters('list'))]", {"list": list(range(60_000))}, "over 100,000 elements"),
    ("[split(parameters('commas'), ',')]", {"commas": "," * 5_000_000}, "over 100,000 elements"),
    ("[json(parameters('array'))]", {"array": "[" + "0," * 2_000_000 + "0]"}, "over 1,000,000 JSON values"),
])
def test_a_value_over_the_limits_is_refused_before_it_is_built(text: str, parameters: dict[str, Any],
                                                               what: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError) as raised:
            evaluate_string(text, scope(**parameters))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raised.value.message.startswith("expression work limit exceeded")
    assert f"would build {what}" in raised.value.message
    assert peak < 64 * 1024 * 1024, f"{peak:,} bytes allocated"


def test_string_of_a_structure_sharing_one_large_array_is_refused_before_it_is_built() -> None:
    inner = ["abcdefgh"] * 10_000
    outer = [inner] * 10_000  # 10,000 references to one array: ~800 MB of JSON text
    with pytest.raises(TemplateError, match="JSON text would be over 10 MB"):
        evaluate_string("[string(parameters('p'))]", scope(p=outer))


@pytest.mark.parametrize("function", ["uniqueString", "guid", "base64", "dataUri", "uriComponent"])
def test_a_lone_surrogate_is_not_guessed_at(function: str) -> None:
    value = evaluate_string(f"[{function}('st\ud800')]", scope())
    assert isinstance(value, Unresolved)
    assert "lone UTF-16 surrogate" in value.reason


@pytest.mark.parametrize("text", [
    "[concat('st\ud800', 'x')]",
    "[toUpper('st\ud800')]",
    "[replace('st\ud800', '\ud800', 'a')]",
    "[string(createObject('k\udfff', 'st\ud800'))]",
    "[contains('st\ud800', '\ud800')]",
    "[format('{0}', 'st\ud800')]",
])
def test_lone_surrogates_pass_through_string_functions(text: str) -> None:
    evaluate_string(text, scope())  # no exception: the text is carried as it is


@pytest.mark.parametrize("literal", ["99999999999999999999", "9" * 5000, "-9223372036854775809"])
def test_integer_literals_beyond_64_bits_are_syntax_errors(literal: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match="out of range"):
        evaluate_string(f"[add({literal}, 1)]", scope())


def test_the_largest_64_bit_literals_are_read() -> None:
    assert evaluate_string("[add(-9223372036854775808, 9223372036854775807)]", scope()) == -1


def test_hashing_a_long_input_costs_work_from_the_budget() -> None:
    evaluation = scope(big=NINE_MB)
    evaluate_string("[uniqueString(parameters('big'))]", evaluation)
    assert evaluation._shared.steps > len(NINE_MB) // 32


def test_lone_surrogates_anywhere_in_a_template_never_crash_the_loader(tmp_path: Path) -> None:
    resources = [
        {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st\ud800",
         "properties": {"k\udfff": "[parameters('p\ud800')]", "u": "[uniqueString('a\ud800')]"}},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d\ud800",
         "properties": {"mode": "Incremental", "templateLink": {"relativePath": "x\ud800.json"}}},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "nul",
         "properties": {"mode": "Incremental", "templateLink": {"relativePath": "x\u0000.json"}}},
    ]
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "parameters": {"p\ud800": {"type": "string", "defaultValue": "v"}},
                "resources": resources}
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template), encoding="utf-8")  # ASCII JSON: the surrogates are \ud800 escapes
    expansion = expand_template(load_json(path), root=tmp_path)
    storage = expansion.resources[0]
    assert storage.name == "st\ud800"
    assert storage.get("properties.k\udfff") == "v"
    assert isinstance(storage.get("properties.u"), Unresolved)
    assert sum("can't name a file" in part for part in expansion.unreviewed) == 2
