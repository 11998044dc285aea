"""The Terraform function library and operators, one expression per case, evaluated without references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiwell.loaders.terraform.expressions import Budget, EvalError, Scope, evaluate, evaluate_value, no_references
from aiwell.loaders.terraform.hcl import parse_expression
from aiwell.model import Unresolved

CASES: list[tuple[str, Any]] = [
    ('format("%s-%03d-%v-%q-%t", "a", 7, 1.5, "q", true)', 'a-007-1.5-"q"-true'),
    ('format("%[2]s %[1]s %%", "a", "b")', "b a %"),
    ('formatlist("%s=%s", ["a", "b"], "x")', ["a=x", "b=x"]),
    ('lower("AbC")', "abc"), ('upper("abc")', "ABC"), ('title("hello world")', "Hello World"),
    ('trim("?!hi?!", "!?")', "hi"), ('trimspace("  x ")', "x"), ('trimprefix("prefix-x", "prefix-")', "x"),
    ('trimsuffix("x.tf", ".tf")', "x"), ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('replace("abc123", "/[0-9]+/", "#")', "abc#"), ('split(",", "a,b")', ["a", "b"]),
    ('join("-", ["a", 1, true])', "a-1-true"), ('substr("hello", 1, 3)', "ell"), ('substr("hello", -3, -1)', "llo"),
    ('length([1, 2])', 2), ('length({a = 1})', 1), ('length("abc")', 3),
    ('concat([1], [2, 3])', [1, 2, 3]), ('merge({a = 1, b = 2}, {b = 3}, null)', {"a": 1, "b": 3}),
    ('lookup({a = 1}, "b", 0)', 0), ('lookup({a = 1}, "a")', 1),
    ('try(local_value_that_fails, {a = 1}.b, "x")', "x"), ('can({a = 1}.b)', False), ('can(1)', True),
    ('coalesce(null, "", "x")', "x"), ('coalescelist([], [1])', [1]), ('compact(["a", "", null, "b"])', ["a", "b"]),
    ('distinct([1, 2, 1])', [1, 2]), ('flatten([[1, [2]], 3])', [1, 2, 3]), ('keys({b = 1, a = 2})', ["a", "b"]),
    ('values({b = 1, a = 2})', [2, 1]), ('contains(["a"], "a")', True), ('contains([1], "1")', False),
    ('element(["a", "b"], 3)', "b"), ('index(["a", "b"], "b")', 1), ('range(3)', [0, 1, 2]),
    ('range(1, 6, 2)', [1, 3, 5]), ('toset(["b", "a", "b"])', ["a", "b"]), ('tolist(["a"])', ["a"]),
    ('tomap({a = 1})', {"a": 1}), ('tostring(5)', "5"), ('tonumber("2.5")', 2.5), ('tobool("true")', True),
    ('jsonencode({a = [1, "x"]})', '{"a":[1,"x"]}'), ('jsondecode("{\\"a\\": 1}")', {"a": 1}),
    ('yamlencode({a = 1})', "a: 1\n"), ('base64encode("hi")', "aGk="), ('base64decode("aGk=")', "hi"),
    ('min(3, 1, 2)', 1), ('max([1, 5]...)', 5), ('abs(-2)', 2), ('ceil(1.2)', 2), ('floor(1.8)', 1),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}), ('setunion(["b"], ["a", "b"])', ["a", "b"]),
    ('setintersection(["a", "b"], ["b"])', ["b"]), ('setsubtract(["a", "b"], ["a"])', ["b"]),
    ('startswith("hello", "he")', True), ('endswith("hello", "lo")', True),
    ('regex("([a-z]+)-([0-9]+)", "abc-12")', ["abc", "12"]), ('regex("(?P<name>[a-z]+)", "abc")', {"name": "abc"}),
    ('regexall("[0-9]", "a1b2")', ["1", "2"]), ('cidrsubnet("10.0.0.0/16", 8, 1)', "10.0.1.0/24"),
    ('cidrhost("10.0.0.0/24", 5)', "10.0.0.5"), ('cidrsubnets("10.0.0.0/16", 8, 8)', ["10.0.0.0/24", "10.0.1.0/24"]),
    ('sha256("a")', "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
    ('md5("a")', "0cc175b9c0f1b6a831c399e269772661"), ('basename("a/b/c.tf")', "c.tf"), ('dirname("a/b/c.tf")', "a/b"),
    ('one([])', None), ('one(["x"])', "x"), ('alltrue([true, "true"])', True), ('anytrue([false])', False),
    ('sum([1, 2.5])', 3.5), ('reverse([1, 2])', [2, 1]), ('slice(["a", "b", "c"], 1, 3)', ["b", "c"]),
    ('sort(["b", "a"])', ["a", "b"]), ('chunklist([1, 2, 3], 2)', [[1, 2], [3]]),
    ('transpose({a = ["1", "2"], b = ["1"]})', {"1": ["a", "b"], "2": ["a"]}),
    ('1 + 2 * 3', 7), ('10 / 4', 2.5), ('"5" + 1', 6), ('1 == "1"', False), ('!true || false', False),
    ('[for x in [1, 2, 3] : x * 2 if x > 1]', [4, 6]), ('{for k, v in {a = 1} : v => k}', {"1": "a"}),
    ('[{a = 1}, {a = 2}][*].a', [1, 2]), ('null[*]', []), ('"x"[*]', ["x"]), ('[1, 2][1]', 2), ('{a = {b = 3}}.a.b', 3),
]


def _scope(tmp_path: Path | None = None) -> Scope:
    directory = tmp_path or Path(".")
    return Scope(no_references, Budget(), directory, directory, tmp_path)


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function(text: str, expected: Any) -> None:
    assert evaluate(parse_expression(text), _scope()) == expected


@pytest.mark.parametrize("text", ['uuid()', 'timestamp()', 'upper(var_unknown_is_an_error_not_unresolved)'])
def test_apply_time_values_are_unresolved_or_errors(text: str) -> None:
    value = evaluate_value(parse_expression(text), _scope())
    assert isinstance(value, Unresolved)


def test_unknown_function_is_unresolved_with_a_note() -> None:
    scope = _scope()
    value = evaluate(parse_expression("frobnicate(1)"), scope)
    assert isinstance(value, Unresolved) and "frobnicate" in value.reason
    assert any("frobnicate" in note for note in scope.budget.notes)


@pytest.mark.parametrize("text", ['lookup({a = 1}, "b")', '[1][3]', 'element([], 0)', '1 / 0', 'regex("x", "y")',
                                  'one([1, 2])', 'tonumber("x")'])
def test_errors_terraform_would_report(text: str) -> None:
    with pytest.raises(EvalError):
        evaluate(parse_expression(text), _scope())


def test_unresolved_propagates_through_functions_and_operators() -> None:
    unknown = Unresolved("x", "not known")
    scope = _scope().bind({"u": unknown})
    for text in ('upper(u)', 'u + 1', '"a-${u}"', 'jsonencode({a = u})', '[for x in u : x]', 'u ? 1 : 2'):
        assert isinstance(evaluate(parse_expression(text), scope), Unresolved), text
    assert evaluate(parse_expression("length([u, 1])"), scope) == 2
    assert evaluate(parse_expression("u ? 1 : 1"), scope) == 1
    assert evaluate(parse_expression("false && u"), scope) is False
    assert evaluate(parse_expression('can(u)'), scope) == evaluate(parse_expression('can(u)'), scope)
    assert isinstance(evaluate(parse_expression('{for k, v in {a = u} : k => v if v != null}'), scope)["a"],
                      Unresolved)


def test_file_and_templatefile_read_inside_the_root_only(tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text('{"a": 1}')
    (tmp_path / "greeting.tpl").write_text("Hello ${name}!%{ for n in items } ${n}%{ endfor }")
    scope = _scope(tmp_path)
    assert evaluate(parse_expression('jsondecode(file("policy.json"))'), scope) == {"a": 1}
    assert evaluate(parse_expression('templatefile("greeting.tpl", {name = "x", items = [1, 2]})'),
                    scope) == "Hello x! 1 2"
    with pytest.raises(EvalError, match="outside"):
        evaluate(parse_expression('file("../../etc/passwd")'), scope)


def test_work_budget_stops_runaway_evaluation() -> None:
    from aiwell.loaders.terraform.expressions import BudgetExceeded

    scope = _scope()
    scope.budget.max_steps = 1000
    with pytest.raises(BudgetExceeded):
        evaluate(parse_expression("[for x in range(5000) : x]"), scope)
