"""The ARM expression language: syntax, scope (parameters, variables, user functions, loops) and limits."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwell.errors import TemplateError
from aiwell.loaders.arm.expressions import (
    ExpressionSyntaxError,
    FunctionCall,
    IndexAccess,
    IntegerLiteral,
    PropertyAccess,
    StringLiteral,
    evaluate_node,
    evaluate_string,
    evaluate_value,
    is_expression,
    parse_expression,
)
from aiwell.loaders.arm.scope import DeploymentContext, EvalScope
from aiwell.model.values import Unresolved


def scope(parameters: dict[str, Any] | None = None, variables: dict[str, Any] | None = None,
          **kwargs: Any) -> EvalScope:
    return EvalScope(parameters=parameters or {}, variables=variables or {}, **kwargs)


# --- syntax -------------------------------------------------------------------------------------------------


def test_parse_builds_the_tree_with_source_text() -> None:
    node = parse_expression("[concat('it''s', parameters('a').b[0], -12)]")
    assert isinstance(node, FunctionCall)
    assert node.name == "concat"
    literal, access, number = node.args
    assert literal == StringLiteral("'it''s'", "it's")
    assert isinstance(access, IndexAccess) and access.text == "parameters('a').b[0]"
    assert isinstance(access.target, PropertyAccess) and access.target.name == "b"
    assert number == IntegerLiteral("-12", -12)


def test_whitespace_is_allowed_between_tokens() -> None:
    assert evaluate_string("[ concat ( 'a' ,  'b' ) ]", scope()) == "ab"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[concat('a', 'b']", "expected ',' or ')' in the call of 'concat' opened at position 7"),
        ("[concat('a')) ]", "unexpected ')' at position 12 after a complete expression"),
        ("[concat('a)]", "unterminated string literal starting at position 8"),
        ("[parameters('a')[0]", "expected ']' to close the index opened at position 16, found the end"),
        ("[concat('a', createArray(1)[0)]", "close the index opened at position 27, found ')'"),
        ("[true]", "'true' at position 1 must be a function call; write true()"),
        ("[add(1.5, 2)]", "no decimal literals"),
        ("[]", "empty expression"),
        ("[concat('a',)]", "expected a value, found ')'"),
        ("[1 + 2]", "unexpected character '+'"),
        ("[parameters('a').]", "expected 'identifier' after '.'"),
    ],
)
def test_syntax_errors_say_why(text: str, reason: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as raised:
        evaluate_string(text, scope({"a": [1]}))
    assert reason in str(raised.value)
    assert isinstance(raised.value, TemplateError)


def test_an_expression_that_never_closes_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="doesn't end with '\\]'"):
        evaluate_string("[concat(parameters('prefix'), 'search'", scope({"prefix": "ai"}))


def test_deeply_nested_expression_is_a_template_error() -> None:
    text = "[" + "concat(" * 5000 + "'x'" + ")" * 5000 + "]"
    with pytest.raises(TemplateError, match="nested too deeply"):
        evaluate_string(text, scope())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[not an expression]", "[not an expression]"),
        ("[test] value", "[test] value"),
        ("plain", "plain"),
        ("", ""),
        ("[", "["),
    ],
)
def test_strings_that_are_not_expressions(text: str, expected: str) -> None:
    assert evaluate_string(text, scope()) == expected


def test_is_expression_and_evaluating_a_parsed_node() -> None:
    assert is_expression("[add(1, 2)]")
    assert not is_expression("[[add(1, 2)]")
    assert not is_expression("[test] value")
    assert evaluate_node(parse_expression("add(1, 2)"), scope()) == 3


def test_function_and_property_names_are_case_insensitive() -> None:
    s = scope({"Obj": {"Inner": {"Value": 3}}})
    assert evaluate_string("[PARAMETERS('obj').inner.VALUE]", s) == 3
    assert evaluate_string("[parameters('obj')['INNER']['value']]", s) == 3


def test_missing_property_and_bad_index_of_literals_are_template_errors() -> None:
    s = scope()
    with pytest.raises(TemplateError, match="property 'b' doesn't exist.*available properties: a"):
        evaluate_string("[createObject('a', 1).b]", s)
    with pytest.raises(TemplateError, match="index 3 is out of range"):
        evaluate_string("[createArray(1)[3]]", s)
    with pytest.raises(TemplateError, match="length\\(\\): argument 1 must be"):
        evaluate_string("[length(null())]", s)


def test_missing_property_and_bad_index_of_parameters_are_unresolved_with_a_note() -> None:
    # The values aiwell has (defaults, or a caller's null) may not be those deployed: not a certain error.
    s = scope({"o": {"a": 1}, "arr": [1], "nothing": None})
    missing = evaluate_string("[parameters('o').b]", s)
    assert isinstance(missing, Unresolved) and "property 'b' doesn't exist" in missing.reason
    assert missing.expression == "parameters('o').b"
    out_of_range = evaluate_string("[concat('x', string(parameters('arr')[3]))]", s)
    assert isinstance(out_of_range, Unresolved) and "index 3 is out of range" in out_of_range.reason
    typed = evaluate_string("[length(parameters('nothing'))]", s)
    assert isinstance(typed, Unresolved) and "argument 1 must be an array" in typed.reason
    assert any("property 'b' doesn't exist" in note and "unresolved" in note for note in s.notes)


# --- parameters and variables -------------------------------------------------------------------------------


def test_parameter_default_is_evaluated_on_use() -> None:
    template = {"parameters": {
        "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
        "name": {"type": "string", "defaultValue": "[concat('st', parameters('location'))]"},
    }}
    s = EvalScope(parameters={}, template=template, context=DeploymentContext(location="northeurope"))
    assert evaluate_string("[parameters('name')]", s) == "stnortheurope"


def test_parameter_given_as_unresolved_passes_through() -> None:
    missing = Unresolved("parameters('key')", "no value")
    s = scope({"key": missing})
    assert evaluate_string("[parameters('key')]", s) == missing
    value = evaluate_string("[toUpper(parameters('key'))]", s)
    assert value == Unresolved("toUpper(parameters('key'))", "no value")


def test_variables_are_lazy_and_cached() -> None:
    s = scope({"n": "x"}, {"unused": "[parameters('undeclared')]", "used": "[concat(parameters('n'), 'y')]"})
    assert evaluate_string("[variables('USED')]", s) == "xy"
    assert s.variable_cache == {"used": "xy"}


@pytest.mark.parametrize(
    "variables",
    [
        {"a": "[variables('a')]"},
        {"a": "[concat(variables('b'), '1')]", "b": "[concat(variables('c'), '2')]", "c": "[variables('a')]"},
        {"a": {"nested": ["[variables('A')]"]}},
    ],
)
def test_self_referencing_variables_are_unresolved(variables: dict[str, Any]) -> None:
    value = evaluate_string("[variables('a')]", scope(variables=variables))
    assert isinstance(value, Unresolved)
    assert value.reason == "variable 'a' refers to itself"


def test_undeclared_variable_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="no variable 'nope'"):
        evaluate_string("[variables('nope')]", scope())


def test_copy_loops_in_variables_both_forms() -> None:
    variables = {
        "disk-array-on-the-fly": {
            "copy": [{"name": "disks", "count": 2,
                      "input": {"name": "[concat('myDataDisk', copyIndex('disks', 1))]",
                                "lun": "[copyIndex('disks')]"}}]
        },
        "copy": [
            {"name": "top-level-string-array", "count": 3,
             "input": "[concat('myDataDisk', copyIndex('top-level-string-array', 1))]"},
            {"name": "top-level-object-array", "count": "[length(variables('top-level-string-array'))]",
             "input": {"name": "[variables('top-level-string-array')[copyIndex('top-level-object-array')]]"}},
        ],
    }
    s = scope(variables=variables)
    assert evaluate_string("[variables('disk-array-on-the-fly')]", s) == {
        "disks": [{"name": "myDataDisk1", "lun": 0}, {"name": "myDataDisk2", "lun": 1}]
    }
    names = ["myDataDisk1", "myDataDisk2", "myDataDisk3"]
    assert evaluate_string("[variables('top-level-string-array')]", s) == names
    assert evaluate_string("[variables('top-level-object-array')]", s) == [
        {"name": "myDataDisk1"}, {"name": "myDataDisk2"}, {"name": "myDataDisk3"}
    ]


def test_copy_count_above_arm_limit_is_a_template_error() -> None:
    s = scope(variables={"copy": [{"name": "huge", "count": 1000000000, "input": "x"}]})
    with pytest.raises(TemplateError, match="more than ARM's limit of 800"):
        evaluate_string("[variables('huge')]", s)


# --- evaluate_value and property copy -----------------------------------------------------------------------


def test_evaluate_value_is_deep_evaluates_keys_and_never_mutates() -> None:
    value = {"[parameters('key')]": ["[parameters('v')]", {"n": "[add(1, 2)]"}], "literal": "[[x]"}
    original = copy.deepcopy(value)
    result = evaluate_value(value, scope({"key": "k", "v": "val"}))
    assert result == {"k": ["val", {"n": 3}], "literal": "[x]"}
    assert value == original


def test_property_copy_becomes_an_array() -> None:
    properties = {
        "copy": [{"name": "dataDisks", "count": "[parameters('n')]",
                  "input": {"lun": "[copyIndex('dataDisks')]", "createOption": "Empty"}}],
        "other": "[copyIndex('outer')]",
    }
    s = scope({"n": 2}).with_copy_index("outer", 7)
    assert evaluate_value(properties, s) == {
        "dataDisks": [{"lun": 0, "createOption": "Empty"}, {"lun": 1, "createOption": "Empty"}],
        "other": 7,
    }


def test_property_copy_with_unresolved_count() -> None:
    missing = Unresolved("parameters('n')", "no value")
    result = evaluate_value({"copy": [{"name": "disks", "count": "[parameters('n')]", "input": {}}]},
                            scope({"n": missing}))
    assert isinstance(result["disks"], Unresolved)


def test_copy_index_forms() -> None:
    s = scope().with_copy_index("vms", 2).with_copy_index("nics", 5)
    assert evaluate_string("[copyIndex()]", s) == 5
    assert evaluate_string("[copyIndex(10)]", s) == 15
    assert evaluate_string("[copyIndex('VMS')]", s) == 2
    assert evaluate_string("[copyIndex('vms', 1)]", s) == 3
    with pytest.raises(TemplateError, match="copy loop named 'disks'"):
        evaluate_string("[copyIndex('disks')]", s)


# --- user-defined functions ---------------------------------------------------------------------------------

FUNCTIONS = [{
    "namespace": "contoso",
    "members": {
        "uniqueName": {
            "parameters": [{"name": "namePrefix", "type": "string"}],
            "output": {"type": "string", "value": "[concat(toLower(parameters('namePrefix')), 'x')]"},
        },
        "usesVariable": {"parameters": [], "output": {"type": "string", "value": "[variables('v')]"}},
        "outer": {
            "parameters": [{"name": "p", "type": "string"}],
            "output": {"type": "object", "value": {"wrapped": "[contoso.uniqueName(parameters('p'))]"}},
        },
    },
}]


def test_user_defined_function_has_its_own_parameters() -> None:
    s = scope({"namePrefix": "IGNORED"}, {"v": "x"}, functions=FUNCTIONS)
    assert evaluate_string("[contoso.uniqueName('ABC')]", s) == "abcx"
    assert evaluate_string("[CONTOSO.outer('Q')]", s) == {"wrapped": "qx"}


def test_user_defined_function_errors() -> None:
    s = scope(variables={"v": "x"}, functions=FUNCTIONS)
    with pytest.raises(TemplateError, match="can't use variables"):
        evaluate_string("[contoso.usesVariable()]", s)
    with pytest.raises(TemplateError, match="takes 1 argument"):
        evaluate_string("[contoso.uniqueName()]", s)
    with pytest.raises(TemplateError, match="no function 'contoso.nope'"):
        evaluate_string("[contoso.nope()]", s)


def test_user_defined_function_with_unresolved_argument() -> None:
    s = scope({"p": Unresolved("parameters('p')", "no value")}, functions=FUNCTIONS)
    value = evaluate_string("[contoso.uniqueName(parameters('p'))]", s)
    assert isinstance(value, Unresolved) and value.reason == "no value"


# --- lambdas ------------------------------------------------------------------------------------------------


def test_lambdas_see_outer_parameters_and_nest() -> None:
    s = scope({"suffix": "!", "groups": [[1, 2], [3]]})
    value = evaluate_string(
        "[map(parameters('groups'), lambda('g', map(lambdaVariables('g'), "
        "lambda('n', concat(string(lambdaVariables('n')), parameters('suffix'))))))]", s)
    assert value == [["1!", "2!"], ["3!"]]


def test_map_keeps_unresolved_elements_where_they_are() -> None:
    missing = Unresolved("parameters('b')", "no value")
    s = scope({"items": ["a", missing]})
    value = evaluate_string("[map(parameters('items'), lambda('x', toUpper(lambdaVariables('x'))))]", s)
    assert value[0] == "A"
    assert isinstance(value[1], Unresolved)


# --- Unresolved propagation ---------------------------------------------------------------------------------


def test_unresolved_carries_the_whole_sub_expression() -> None:
    value = evaluate_string("[concat('https://', reference('site').defaultHostName, '/api')]", scope())
    assert isinstance(value, Unresolved)
    assert value.expression == "concat('https://', reference('site').defaultHostName, '/api')"
    assert "reference()" in value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[if(true(), 'a', reference('x').id)]", "a"),
        ("[if(false(), reference('x').id, 'b')]", "b"),
        ("[coalesce('a', reference('x'))]", "a"),
        ("[and(false(), reference('x').enabled)]", False),
        ("[or(true(), reference('x').enabled)]", True),
        ("[and(contains(createObject('a', 1), 'b'), createObject('a', 1).b)]", False),
        ("[and(reference('x').enabled, false())]", False),
        ("[coalesce(null(), 'b', createObject().missing)]", "b"),
        ("[length(createArray(reference('x'), 2))]", 2),
        ("[empty(createArray(reference('x')))]", False),
        ("[first(createArray('a', reference('x')))]", "a"),
        ("[createObject('k', reference('x')).other]", None),
    ],
)
def test_values_that_do_not_depend_on_the_unresolved_part(text: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(TemplateError):
            evaluate_string(text, scope())
        return
    assert evaluate_string(text, scope()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "[if(reference('x').enabled, 'a', 'b')]",
        "[coalesce(reference('x'), 'fallback')]",
        "[and(true(), reference('x').enabled)]",
        "[equals(createArray(reference('x')), createArray(1))]",
        "[resourceId('Microsoft.Web/sites', reference('x').name)]",
        "[reference('x')[0]]",
        "[createArray(reference('x'))[0].id]",
    ],
)
def test_values_that_depend_on_the_unresolved_part(text: str) -> None:
    assert isinstance(evaluate_string(text, scope()), Unresolved)


def test_a_lambda_is_not_a_value() -> None:
    with pytest.raises(TemplateError, match="a lambda can only be an argument"):
        evaluate_string("[lambda('x', lambdaVariables('x'))]", scope())


def test_logical_functions_need_bools() -> None:
    with pytest.raises(TemplateError, match="and\\(\\): argument 2 must be a bool, not a string"):
        evaluate_string("[and(true(), 'yes')]", scope())


def test_unresolved_property_access_keeps_the_text() -> None:
    s = scope({"cfg": Unresolved("parameters('cfg')", "no value")})
    expected = Unresolved("parameters('cfg').sku.name", "no value")
    assert evaluate_string("[parameters('cfg').sku.name]", s) == expected


# --- limits -------------------------------------------------------------------------------------------------


def test_exponential_variables_hit_the_size_limit() -> None:
    variables = {"v0": "[string(range(0, 10000))]"}
    for i in range(1, 40):
        variables[f"v{i}"] = f"[concat(variables('v{i - 1}'), variables('v{i - 1}'))]"
    with pytest.raises(TemplateError, match="expression work limit exceeded"):
        evaluate_string("[variables('v39')]", scope(variables=variables))


def test_work_budget_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real budget (5 million steps) takes seconds to spend; a smaller one exercises the same check.
    monkeypatch.setattr("aiwell.loaders.arm.scope.MAX_STEPS", 200_000)
    variables = {"r": "[range(0, 10000)]"}
    expression = "[map(variables('r'), lambda('a', map(variables('r'), lambda('b', lambdaVariables('b')))))]"
    with pytest.raises(TemplateError, match="expression work limit exceeded"):
        evaluate_string(expression, scope(variables=variables))


def test_a_failed_evaluation_leaves_the_scope_usable() -> None:
    s = scope()
    with pytest.raises(TemplateError):
        evaluate_string("[" + "concat(" * 500 + "'x'" + ")" * 500 + "]", s)
    assert evaluate_string("[concat('a', 'b')]", s) == "ab"


def test_long_variable_chains_resolve_and_endless_ones_stop() -> None:
    chain = {f"v{i}": f"[variables('v{i + 1}')]" for i in range(20)}
    chain["v20"] = "end"
    assert evaluate_string("[variables('v0')]", scope(variables=chain)) == "end"
    endless = {f"v{i}": f"[concat(variables('v{i + 1}'), 'x')]" for i in range(5000)}
    endless["v5000"] = "end"
    with pytest.raises(TemplateError, match="nested too deeply"):
        evaluate_string("[variables('v0')]", scope(variables=endless))


@pytest.mark.parametrize(
    ("deployment_scope", "prefix"),
    [
        ("resourceGroup", "/subscriptions/s1/resourceGroups/aiwell-rg"),
        ("subscription", "/subscriptions/s1"),
        ("managementGroup", "/providers/Microsoft.Management/managementGroups/mg"),
        ("tenant", ""),
    ],
)
def test_resource_id_follows_the_deployment_scope(deployment_scope: str, prefix: str) -> None:
    context = DeploymentContext(subscription_id="s1", management_group="mg", deployment_scope=deployment_scope)
    s = EvalScope(parameters={}, context=context)
    expected = f"{prefix}/providers/Microsoft.Authorization/locks/l"
    assert evaluate_string("[resourceId('Microsoft.Authorization/locks', 'l')]", s) == expected


def test_resource_group_does_not_exist_at_subscription_scope() -> None:
    s = EvalScope(parameters={}, context=DeploymentContext(deployment_scope="subscription"))
    with pytest.raises(TemplateError, match="no resource group in a deployment at subscription scope"):
        evaluate_string("[resourceGroup().id]", s)


_FRAGMENTS = ["concat(", "'a'", "''", ")", "(", "[", "]", ",", ".b", "1", "-2", "length(", "parameters('p')",
              "variables('v')", "createArray(", "json('{}')", "if(", "true()", " ", "'", "x(", "lambda('x', "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12))
def test_any_expression_text_evaluates_or_fails_cleanly(fragments: list[str]) -> None:
    text = "[" + "".join(fragments) + "]"
    s = scope({"p": [1, {"b": 2}]}, {"v": "[parameters('p')]"})
    # Anything but a TemplateError (a crash) fails the test.
    with contextlib.suppress(TemplateError):
        evaluate_string(text, s)
