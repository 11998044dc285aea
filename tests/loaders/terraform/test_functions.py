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
        evaluate(parse_expression("[for x in range(1000) : x]"), scope)


BIG = "1" + "0" * 400


@pytest.mark.parametrize("text", [
    "1e309", "1e309 - 1e309", "-1e309", f"{BIG} * 2", f"{BIG} * 1.5", f"{BIG} / 3", "1e308 * 10", "1 / 1e-309",
    f'substr("abc", {BIG}, 1)', f'substr("abc", 0, {BIG})', "range(1e309)", f"range({BIG})", f"element([1], {BIG})",
    "ceil(1e309)", f"ceil({BIG})", f"floor({BIG}.5)", f'format("%d", {BIG})', f'format("%f", {BIG})', "pow(10, 400)",
    f"sum([{BIG}, 1])", f'tonumber("{BIG}")', 'tonumber("1e309")', f'cidrsubnet("10.0.0.0/8", 8, {BIG})',
    f"[1, 2][{BIG}]", f"slice([1, 2], 0, {BIG})", f'indent({BIG}, "a")', f"jsonencode({BIG})", 'jsondecode("1e999")',
    f"max({BIG}, 1)", f"try({BIG} * 2, 0)", f"can({BIG} * 2)",
])
def test_numbers_beyond_float_range_are_unresolved_never_a_crash(text: str) -> None:
    """Terraform's numbers have arbitrary precision: what aiwell can't represent is unresolved, not inf, not an
    error that try() would turn into its fallback, and never an internal error."""
    value = evaluate_value(parse_expression(text), _scope())
    assert isinstance(value, Unresolved), value
    assert "range" in value.reason


@pytest.mark.parametrize("text", ['format("%*d", 5, 1)', 'format("%.*f", 2, 1.5)', 'format("%999999999d", 1)',
                                  'format("%.999999999f", 1)', 'join("", [for i in range(200) : strrev(local_big)])',
                                  'replace(local_big, "x", local_big)', 'indent(999999999, "a\\nb")',
                                  'jsonencode([for i in range(200) : local_big])'])
def test_values_aiwell_does_not_build_are_unresolved(text: str) -> None:
    scope = _scope().bind({"local_big": "x" * 100_000})
    value = evaluate_value(parse_expression(text), scope)
    assert isinstance(value, Unresolved), text
    assert scope.budget.built <= 20_000_000  # the 200 strings reversed, not the joined text


def test_text_built_in_all_is_part_of_the_budget() -> None:
    from aiwell.loaders.terraform.expressions import MAX_BUILT_TEXT, BudgetExceeded

    scope = _scope().bind({"big": "x" * 5_000_000})
    with pytest.raises(BudgetExceeded, match="characters of text"):
        for _ in range(MAX_BUILT_TEXT // 5_000_000 + 2):
            evaluate(parse_expression('"${big}-"'), scope)


@pytest.mark.parametrize("text", ["can()", "try()", "upper()", 'upper("a", "b")'])
def test_wrong_argument_counts_are_errors_terraform_reports(text: str) -> None:
    with pytest.raises(EvalError, match="takes"):
        evaluate(parse_expression(text), _scope())


def test_regex_is_re2_linear_time_and_go_syntax() -> None:
    import time

    scope = _scope()
    started = time.process_time()
    value = evaluate_value(parse_expression('regexall("(a+)+$", "' + "a" * 30 + 'b")'), scope)
    # Catastrophic for a backtracking engine (2^30 steps); RE2 answers at once.
    assert value == [] and time.process_time() - started < 5
    for pattern in ("(?=a)", "(a)\\\\1"):  # lookahead, backreference: RE2 (and Terraform) reject them
        with pytest.raises(EvalError, match="invalid regular expression"):
            evaluate(parse_expression(f'regex("{pattern}", "aa")'), scope)
    assert evaluate(parse_expression('regex("(?P<x>[a-z]+)-(?<y>[0-9]+)", "ab-12")'), scope) == {"x": "ab", "y": "12"}


def test_regexall_and_replace_follow_go_semantics() -> None:
    scope = _scope()
    # Go skips an empty match right after a match: ["", "aaa", ""] (Python's re would add one more "").
    assert evaluate(parse_expression('regexall("a*", "baaac")'), scope) == ["", "aaa", ""]
    # `$1x` names a group "1x" (none: empty), `$$` is `$`, a group that does not exist is empty.
    assert evaluate(parse_expression('replace("a-1 b-2", "/(?P<w>[a-z])-([0-9])/", "$${w}$2$$ $1x $9")'),
                    scope) == "a1$   b2$  "
    assert evaluate(parse_expression('replace("abc", "/b*/", "-")'), scope) == "-a-c-"


def test_jsondecode_reads_as_go_does() -> None:
    scope = _scope()
    assert evaluate(parse_expression('jsondecode("\\"st\\\\ud800\\"")'), scope) == "st\ufffd"
    assert evaluate(parse_expression('jsondecode("\\"\\\\ud83d\\\\ude00\\"")'), scope) == "\U0001f600"
    with pytest.raises(EvalError):
        evaluate(parse_expression('jsondecode("NaN")'), scope)


def test_yamldecode_values_are_terraform_values() -> None:
    scope = _scope()
    assert evaluate(parse_expression('yamldecode("a: 2001-12-14")'), scope) == {"a": "2001-12-14"}
    assert isinstance(evaluate(parse_expression('yamldecode("a: .inf")'), scope)["a"], Unresolved)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\\n"
        for i in range(8))
    value = evaluate_value(parse_expression(f'yamldecode("{bomb}")'), scope)
    assert isinstance(value, Unresolved) and "more than" in value.reason


def test_range_refuses_more_than_1024_values_as_terraform_does() -> None:
    assert len(evaluate(parse_expression("range(1024)"), _scope())) == 1024
    with pytest.raises(EvalError, match="1024"):
        evaluate(parse_expression("range(1025)"), _scope())
    with pytest.raises(EvalError, match="1024"):
        evaluate(parse_expression("range(1, 2, 1e-320)"), _scope())
