"""The condition grammar: every operator and combinator, with true, false, missing and unknown answers."""

from __future__ import annotations

from typing import Any

import pytest

from aiwell.model import Unresolved
from aiwell.rules.declarative import OPERATORS, ConditionError, Truth, compile_condition

T, F, M, U = Truth.TRUE, Truth.FALSE, Truth.MISSING, Truth.UNKNOWN
X = Unresolved("parameters('x')", "no value given")

DOCUMENT: dict[str, Any] = {
    "type": "Microsoft.Search/searchServices",
    "name": "search-01",
    "kind": None,
    "sku": {"name": "standard", "capacity": 3},
    "tags": {"Environment": "prod"},
    "properties": {
        "publicNetworkAccess": "Disabled",
        "disableLocalAuth": True,
        "replicaCount": 3,
        "partitionCount": "2",
        "hostName": "search-01.search.windows.net",
        "unresolved": X,
        "nested": {"inner": X},
        "list": ["a", "B", 3],
        "listWithUnresolved": ["a", X],
        "empty": [],
        "rules": [
            {"name": "r1", "action": "Allow", "ports": [80, 443]},
            {"name": "r2", "action": "deny", "ports": [22]},
        ],
        "rulesWithUnresolved": [
            {"name": "r1", "action": "Allow"},
            {"name": "r2", "action": X},
        ],
        "rulesSomeMissing": [{"name": "r1", "action": "Allow"}, {"name": "r2"}],
    },
}

# (condition, expected truth); every operator gets true, false, missing and unknown where the grammar allows.
CASES: list[tuple[dict[str, Any], Truth]] = [
    # equals / notEquals: case-insensitive strings, booleans, numbers (a numeric string equals the number)
    ({"field": "properties.publicNetworkAccess", "equals": "disabled"}, T),
    ({"field": "properties.publicNetworkAccess", "equals": "Enabled"}, F),
    ({"field": "properties.absent", "equals": "x"}, M),
    ({"field": "properties.unresolved", "equals": "x"}, U),
    ({"field": "properties.nested.inner.deeper", "equals": "x"}, U),
    ({"field": "properties.disableLocalAuth", "equals": True}, T),
    ({"field": "properties.disableLocalAuth", "equals": 1}, F),
    ({"field": "properties.disableLocalAuth", "equals": "TRUE"}, T),
    ({"field": "properties.partitionCount", "equals": 2}, T),
    ({"field": "properties.replicaCount", "equals": 3.0}, T),
    ({"field": "PROPERTIES.REPLICACOUNT", "equals": 3}, T),
    ({"field": "kind", "equals": "x"}, M),
    ({"field": "properties.nested", "equals": {"inner": "y"}}, U),
    ({"field": "properties.list", "equals": ["A", "b", 3]}, T),
    ({"field": "tags", "equals": {"environment": "PROD"}}, T),
    ({"field": "properties.publicNetworkAccess", "notEquals": "Enabled"}, T),
    ({"field": "properties.publicNetworkAccess", "notEquals": "DISABLED"}, F),
    ({"field": "properties.absent", "notEquals": "x"}, M),
    ({"field": "properties.unresolved", "notEquals": "x"}, U),
    # in / notIn
    ({"field": "sku.name", "in": ["basic", "Standard"]}, T),
    ({"field": "sku.name", "in": ["free"]}, F),
    ({"field": "sku.tier", "in": ["free"]}, M),
    ({"field": "properties.unresolved", "in": ["free"]}, U),
    ({"field": "sku.name", "notIn": ["free", "basic"]}, T),
    ({"field": "sku.name", "notIn": ["STANDARD"]}, F),
    ({"field": "sku.tier", "notIn": ["free"]}, M),
    ({"field": "properties.unresolved", "notIn": ["free"]}, U),
    # like / notLike: * wildcard, case-insensitive; a non-string is not like anything
    ({"field": "properties.hostName", "like": "*.SEARCH.windows.net"}, T),
    ({"field": "properties.hostName", "like": "search-*-eu.*"}, F),
    ({"field": "properties.replicaCount", "like": "3*"}, F),
    ({"field": "properties.absent", "like": "*"}, M),
    ({"field": "properties.unresolved", "like": "*"}, U),
    ({"field": "properties.hostName", "notLike": "*.azure.com"}, T),
    ({"field": "properties.hostName", "notLike": "search-*"}, F),
    ({"field": "properties.absent", "notLike": "*"}, M),
    ({"field": "properties.unresolved", "notLike": "*"}, U),
    # match / notMatch (case-sensitive, as in Azure Policy) and the insensitive variants: # digit, ? letter, . any
    ({"field": "name", "match": "??????-##"}, T),
    ({"field": "name", "match": "SEARCH-##"}, F),
    ({"field": "name", "match": "search.##"}, T),
    ({"field": "name", "match": "search-#"}, F),
    ({"field": "properties.absent", "match": "#"}, M),
    ({"field": "properties.unresolved", "match": "#"}, U),
    ({"field": "name", "notMatch": "SEARCH-##"}, T),
    ({"field": "name", "notMatch": "search-##"}, F),
    ({"field": "name", "matchInsensitively": "SEARCH-##"}, T),
    ({"field": "name", "matchInsensitively": "SEARCH-#"}, F),
    ({"field": "name", "notMatchInsensitively": "SEARCH-##"}, F),
    ({"field": "properties.absent", "notMatchInsensitively": "#"}, M),
    # contains / notContains: substrings (case-insensitive) and array members
    ({"field": "properties.hostName", "contains": "SEARCH.WINDOWS"}, T),
    ({"field": "properties.hostName", "contains": "azure.com"}, F),
    ({"field": "properties.list", "contains": "b"}, T),
    ({"field": "properties.list", "contains": "3"}, T),
    ({"field": "properties.list", "contains": "z"}, F),
    ({"field": "properties.listWithUnresolved", "contains": "a"}, T),
    ({"field": "properties.listWithUnresolved", "contains": "z"}, U),
    ({"field": "properties.absent", "contains": "a"}, M),
    ({"field": "properties.unresolved", "contains": "a"}, U),
    ({"field": "properties.list", "notContains": "z"}, T),
    ({"field": "properties.list", "notContains": "A"}, F),
    ({"field": "properties.listWithUnresolved", "notContains": "z"}, U),
    ({"field": "properties.hostName", "notContains": "azure.com"}, T),
    ({"field": "properties.absent", "notContains": "a"}, M),
    # containsKey / notContainsKey: keys compare case-insensitively; an unresolved value under a key doesn't matter
    ({"field": "tags", "containsKey": "environment"}, T),
    ({"field": "tags", "containsKey": "owner"}, F),
    ({"field": "properties.nested", "containsKey": "INNER"}, T),
    ({"field": "properties.publicNetworkAccess", "containsKey": "x"}, F),
    ({"field": "properties.absent", "containsKey": "x"}, M),
    ({"field": "properties.unresolved", "containsKey": "x"}, U),
    ({"field": "tags", "notContainsKey": "owner"}, T),
    ({"field": "tags", "notContainsKey": "Environment"}, F),
    ({"field": "properties.absent", "notContainsKey": "x"}, M),
    # exists: never missing; null counts as absent
    ({"field": "properties.replicaCount", "exists": True}, T),
    ({"field": "properties.absent", "exists": True}, F),
    ({"field": "properties.absent", "exists": False}, T),
    ({"field": "kind", "exists": False}, T),
    ({"field": "properties.replicaCount", "exists": False}, F),
    ({"field": "properties.unresolved", "exists": True}, U),
    ({"field": "properties.nested.inner.deeper", "exists": False}, U),
    # greater, greaterOrEquals, less, lessOrEquals: numerically (numeric strings too), strings case-insensitively
    ({"field": "properties.replicaCount", "greater": 2}, T),
    ({"field": "properties.replicaCount", "greater": 3}, F),
    ({"field": "properties.partitionCount", "greater": 1}, T),
    ({"field": "properties.partitionCount", "greater": "10"}, T),
    ({"field": "properties.absent", "greater": 1}, M),
    ({"field": "properties.unresolved", "greater": 1}, U),
    ({"field": "properties.list", "greater": 1}, F),
    ({"field": "properties.replicaCount", "greaterOrEquals": 3}, T),
    ({"field": "properties.replicaCount", "greaterOrEquals": 4}, F),
    ({"field": "properties.absent", "greaterOrEquals": 1}, M),
    ({"field": "properties.unresolved", "greaterOrEquals": 1}, U),
    ({"field": "properties.replicaCount", "less": 4}, T),
    ({"field": "properties.replicaCount", "less": 3}, F),
    ({"field": "sku.name", "less": "Table"}, T),
    ({"field": "properties.absent", "less": 1}, M),
    ({"field": "properties.unresolved", "less": 1}, U),
    ({"field": "properties.replicaCount", "lessOrEquals": 3}, T),
    ({"field": "properties.replicaCount", "lessOrEquals": 2.5}, F),
    ({"field": "properties.absent", "lessOrEquals": 1}, M),
    ({"field": "properties.unresolved", "lessOrEquals": 1}, U),
    # value: a literal instead of a field
    ({"value": "abc", "equals": "ABC"}, T),
    ({"value": 2, "greater": 3}, F),
    # [*]: every member must satisfy the test; an empty array is vacuously true; an absent one is missing
    ({"field": "properties.rules[*].name", "like": "r*"}, T),
    ({"field": "properties.rules[*].action", "equals": "Allow"}, F),
    ({"field": "properties.rules[*].ports[*]", "greater": 0}, T),
    ({"field": "properties.rules[*].ports[*]", "notEquals": 22}, F),
    ({"field": "properties.empty[*].name", "equals": "x"}, T),
    ({"field": "properties.absent[*].name", "equals": "x"}, M),
    ({"field": "properties.unresolved[*].name", "equals": "x"}, U),
    ({"field": "properties.rulesWithUnresolved[*].action", "equals": "Allow"}, U),
    ({"field": "properties.rulesWithUnresolved[*].action", "equals": "Deny"}, F),
    ({"field": "properties.rulesSomeMissing[*].action", "equals": "Allow"}, M),
    ({"field": "properties.rulesSomeMissing[*].action", "exists": True}, F),
    ({"field": "properties.publicNetworkAccess[*]", "equals": "x"}, M),
    ({"field": "properties.rules[0].name", "equals": "R1"}, T),
    # allOf: false wins, then unknown, then missing
    ({"allOf": [{"field": "sku.name", "equals": "standard"}, {"field": "properties.replicaCount", "equals": 3}]}, T),
    ({"allOf": [{"field": "sku.name", "equals": "free"}, {"field": "properties.unresolved", "equals": 3}]}, F),
    ({"allOf": [{"field": "properties.absent", "equals": 1}, {"field": "properties.unresolved", "equals": 3}]}, U),
    ({"allOf": [{"field": "properties.absent", "equals": 1}, {"field": "sku.name", "equals": "standard"}]}, M),
    # anyOf: true wins, then unknown, then missing
    ({"anyOf": [{"field": "sku.name", "equals": "free"}, {"field": "properties.replicaCount", "equals": 3}]}, T),
    ({"anyOf": [{"field": "properties.unresolved", "equals": 1}, {"field": "properties.replicaCount", "equals": 3}]},
     T),
    ({"anyOf": [{"field": "properties.absent", "equals": 1}, {"field": "properties.unresolved", "equals": 3}]}, U),
    ({"anyOf": [{"field": "properties.absent", "equals": 1}, {"field": "sku.name", "equals": "free"}]}, M),
    ({"anyOf": [{"field": "sku.name", "equals": "free"}, {"field": "sku.name", "equals": "basic"}]}, F),
    # not: swaps true and false, keeps missing and unknown
    ({"not": {"field": "sku.name", "equals": "free"}}, T),
    ({"not": {"field": "sku.name", "equals": "standard"}}, F),
    ({"not": {"field": "properties.absent", "equals": "x"}}, M),
    ({"not": {"field": "properties.unresolved", "equals": "x"}}, U),
    ({"not": {"not": {"field": "sku.name", "equals": "standard"}}}, T),
    # count: members matching `where` (fields under the counted array are relative to the member)
    ({"count": {"field": "properties.rules[*]"}, "equals": 2}, T),
    ({"count": {"field": "properties.rules[*]", "where": {"field": "properties.rules[*].action",
                                                          "equals": "deny"}}, "equals": 1}, T),
    ({"count": {"field": "properties.rules[*]", "where": {"field": "properties.rules[*].action",
                                                          "equals": "deny"}}, "greater": 1}, F),
    ({"count": {"field": "properties.rules[*]", "where": {"allOf": [
        {"field": "properties.rules[*].action", "equals": "Allow"},
        {"field": "sku.name", "equals": "standard"}]}}, "equals": 1}, T),
    ({"count": {"field": "properties.rules[*]", "where": {
        "count": {"field": "properties.rules[*].ports[*]", "where": {"field": "properties.rules[*].ports[*]",
                                                                       "in": [22, 3389]}},
        "greater": 0}}, "equals": 1}, T),
    ({"count": {"field": "properties.rules[*].ports[*]"}, "in": [3, 4]}, T),
    ({"count": {"field": "properties.empty[*]"}, "equals": 0}, T),
    ({"count": {"field": "properties.absent[*]"}, "equals": 0}, M),
    ({"count": {"field": "properties.unresolved[*]"}, "equals": 0}, U),
    # an unresolved member may or may not match: unknown only when that changes the answer
    ({"count": {"field": "properties.rulesWithUnresolved[*]", "where": {
        "field": "properties.rulesWithUnresolved[*].action", "equals": "Allow"}}, "greaterOrEquals": 1}, T),
    ({"count": {"field": "properties.rulesWithUnresolved[*]", "where": {
        "field": "properties.rulesWithUnresolved[*].action", "equals": "Allow"}}, "equals": 2}, U),
    ({"count": {"field": "properties.rulesWithUnresolved[*]", "where": {
        "field": "properties.rulesWithUnresolved[*].action", "equals": "Allow"}}, "greater": 2}, F),
    # a member whose `where` field is absent does not match
    ({"count": {"field": "properties.rulesSomeMissing[*]", "where": {
        "field": "properties.rulesSomeMissing[*].action", "exists": True}}, "equals": 1}, T),
]


@pytest.mark.parametrize(("condition", "expected"), [
    pytest.param(condition, expected, id=f"{index}-{expected.value}") for index, (condition, expected) in
    enumerate(CASES)])
def test_condition(condition: dict[str, Any], expected: Truth) -> None:
    outcome = compile_condition(condition).evaluate_document(DOCUMENT)
    assert outcome.truth is expected, outcome.reason
    assert outcome.reason


def test_every_operator_is_covered() -> None:
    used = {key for condition, _ in CASES for key in _keys(condition)}
    assert set(OPERATORS) <= used


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_reasons_name_the_field_and_the_expectation() -> None:
    failing = compile_condition({"field": "properties.replicaCount", "greaterOrEquals": 4})
    assert failing.evaluate_document(DOCUMENT).reason == "properties.replicaCount is 3, expected >= 4"
    unknown = compile_condition({"field": "properties.unresolved", "equals": 1})
    assert unknown.evaluate_document(DOCUMENT).reason == (
        "properties.unresolved is unresolved (parameters('x'): no value given)")
    missing = compile_condition({"field": "properties.absent", "in": ["a", "b"]})
    assert missing.evaluate_document(DOCUMENT).reason == "properties.absent is not set"


@pytest.mark.parametrize(("condition", "message"), [
    ("equals", "a condition must be a mapping"),
    ({"field": "a"}, "exactly one operator is needed, got none"),
    ({"field": "a", "equals": 1, "notEquals": 2}, "exactly one operator is needed, got equals, notEquals"),
    ({"field": "a", "equal": 1}, "unknown operator equal"),
    ({"field": "a", "value": 1, "equals": 1}, "exactly one of `field` or `value`"),
    ({"equals": 1}, "exactly one of `field` or `value`"),
    ({"field": "", "equals": 1}, "`field` needs a dotted path"),
    ({"field": "a", "in": "x"}, "`in` needs a list"),
    ({"field": "a", "exists": "yes"}, "`exists` needs true or false"),
    ({"field": "a", "like": 3}, "`like` needs a string"),
    ({"field": "a", "greater": True}, "`greater` needs a number or a string"),
    ({"value": 1, "exists": True}, "`exists` needs a `field`"),
    ({"allOf": []}, "`allOf` needs a non-empty list"),
    ({"anyOf": [{"field": "a", "equals": 1}], "field": "b"}, "unexpected key(s) field beside anyOf"),
    ({"not": {"field": "a"}}, "condition.not: exactly one operator"),
    ({"count": {"field": "a"}, "equals": 1}, "array path ending in `[*]`"),
    ({"count": {"field": "a[*]", "having": {}}, "equals": 1}, "unexpected key(s) in count: having"),
    ({"count": {"field": "a[*]"}, "like": "1"}, "unknown operator like"),
    ({"count": {"field": "a[*]"}, "equals": "one"}, "on a count needs a number"),
    ({"allOf": [{"field": "a", "equals": 1}, {"field": "b", "frobnicates": 1}]}, "condition.allOf[1]"),
])
def test_grammar_errors_are_reported_where_they_are(condition: Any, message: str) -> None:
    with pytest.raises(ConditionError) as error:
        compile_condition(condition, location="catalog.yaml: rule TST001")
    assert message in str(error.value)
    assert str(error.value).startswith("catalog.yaml: rule TST001: condition")


@pytest.mark.parametrize(("condition", "reason"), [
    # "absent or false" on a field that is true: the value says the field is set
    ({"anyOf": [{"field": "properties.disableLocalAuth", "exists": False},
                {"field": "properties.disableLocalAuth", "equals": False}]},
     "properties.disableLocalAuth is true, expected false"),
    # a member of the array says the array is set
    ({"anyOf": [{"field": "properties.rules", "exists": False},
                {"field": "properties.rules[*].action", "equals": "Allow"}]},
     "properties.rules[*].action is 'deny', expected 'Allow'"),
    # with nothing else said about the field, its presence is the reason
    ({"allOf": [{"field": "properties.replicaCount", "exists": False},
                {"field": "properties.absent", "exists": True}]},
     "properties.replicaCount is set; properties.absent is not set"),
])
def test_a_joined_reason_leaves_out_a_presence_that_another_part_states(condition: dict[str, Any],
                                                                         reason: str) -> None:
    outcome = compile_condition(condition).evaluate_document(DOCUMENT)
    assert outcome.truth is F
    assert outcome.reason == reason
