"""The declarative condition language: Azure Policy's `if` grammar, evaluated with three-valued logic.

A condition is compiled once from its YAML mapping (`compile_condition`) and then evaluated against an
ARM-shaped
document (`Resource.to_arm()`). Every evaluation answers true, false, missing (the field is absent) or unknown
(the field, or something on its path, is `Unresolved`), with a short reason that the rule's message quotes.
The grammar and the combination rules are specified in docs/rule-format.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from functools import cached_property
from typing import Any

from msgspec import Struct

from aiwell.model import MISSING, PathSteps, Unresolved, contains_unresolved, follow, lookup, path_steps
from aiwell.model.resource import path_reader


class ConditionError(ValueError):
    """A condition that does not follow the grammar (a bug in a rule definition, found when it is loaded)."""


class Truth(StrEnum):
    """The four answers of a condition."""

    TRUE = "true"
    FALSE = "false"
    MISSING = "missing"
    """A field the condition reads is absent (or null)."""
    UNKNOWN = "unknown"
    """A field the condition reads, or something on its path, is `Unresolved`."""


class Outcome(Struct, frozen=True):
    """A condition's answer and why, in words a user reads in the result message."""

    truth: Truth
    reason: str


def any_of(outcomes: Iterable[Outcome]) -> Outcome:
    """True if any is true; else unknown if any is unknown; else missing if any is missing; else false."""
    return _combine(list(outcomes), decisive=Truth.TRUE, neutral=Truth.FALSE)


def all_of(outcomes: Iterable[Outcome]) -> Outcome:
    """False if any is false; else unknown if any is unknown; else missing if any is missing; else true."""
    return _combine(list(outcomes), decisive=Truth.FALSE, neutral=Truth.TRUE)


def _combine(outcomes: list[Outcome], *, decisive: Truth, neutral: Truth) -> Outcome:
    for wanted in (decisive, Truth.UNKNOWN, Truth.MISSING):
        chosen = [outcome for outcome in outcomes if outcome.truth is wanted]
        if chosen:
            return Outcome(wanted, _join(chosen))
    return Outcome(neutral, _join(outcomes))


def _join(outcomes: list[Outcome]) -> str:
    parts = [part for outcome in outcomes if outcome.reason for part in outcome.reason.split("; ")]
    reasons = list(dict.fromkeys(parts))
    reasons = [reason for reason in reasons if not _said_by_another(reason, reasons)]
    if len(reasons) > 3:
        reasons = [*reasons[:3], f"and {len(reasons) - 3} more"]
    return "; ".join(reasons)


def _said_by_another(reason: str, reasons: list[str]) -> bool:
    """Whether `reason` is an `exists` answer ("X is set") that another reason already implies.

    "X is 'v'", "X[*].y is 'v'" and "X.y is 'v'" each say that X is set.
    """
    if not reason.endswith(" is set"):
        return False
    path = reason[: -len(" is set")]
    implying = (f"{path} is ", f"{path}[", f"{path}.")
    return any(other.startswith(implying) and other not in (reason, f"{path} is not set") for other in reasons)


_MEMO_LIMIT = 256
"""How many distinct combinations of its members' outcomes an `allOf`, `anyOf` or `not` keeps the answer of."""

_Memo = dict[tuple[int, ...], tuple[tuple["Outcome", ...], "Outcome"]]


def _memoised(memo: _Memo, outcomes: tuple[Outcome, ...], combine: Callable[[Iterable[Outcome]], Outcome],
              ) -> Outcome:
    """`combine(outcomes)`, remembered for these very outcome objects: a field test returns the same object for
    the same value (`FieldTest._outcomes`), so the thousands of resources configured alike give a few
    combinations, each joined once. Keyed by the objects' ids, which stay theirs while the memo holds them."""
    key = tuple(map(id, outcomes))
    kept = memo.get(key)
    if kept is not None:
        return kept[1]
    outcome = combine(outcomes)
    if len(memo) < _MEMO_LIMIT:
        memo[key] = (outcomes, outcome)
    return outcome


DocumentTest = Callable[[Any], "Outcome"]
"""A condition made into one function of an ARM-shaped document (`Condition.document_test`)."""


def _combined(members: tuple[DocumentTest, ...], memo: _Memo,
              combine: Callable[[Iterable[Outcome]], Outcome]) -> DocumentTest:
    """An `allOf`, `anyOf` or `not` of `members` as one function: each member is evaluated (all of them: the
    reason names every one), then the combination is looked up in `memo` as `_memoised` does."""
    if len(members) == 1:
        (only,) = members

        def one(document: Any) -> Outcome:
            outcome = only(document)
            kept = memo.get((id(outcome),))
            return kept[1] if kept is not None else _memoised(memo, (outcome,), combine)
        return one
    if len(members) == 2:
        first, second = members

        def two(document: Any) -> Outcome:
            left, right = first(document), second(document)
            kept = memo.get((id(left), id(right)))
            return kept[1] if kept is not None else _memoised(memo, (left, right), combine)
        return two

    def many(document: Any) -> Outcome:
        return _memoised(memo, tuple([member(document) for member in members]), combine)
    return many


ValueReader = Callable[[Any], Any]
"""One path's `lookup` made into a function (`aiwell.model.resource.path_reader`)."""


def value_readers(paths: Iterable[str]) -> tuple[ValueReader, ...]:
    """A reader for each path (dotted, `[n]` indexes, no `[*]`), in the order given, for `values_read`."""
    return tuple(path_reader(path_steps(path)) for path in paths)


def values_read(readers: tuple[ValueReader, ...], document: Any) -> tuple[Any, ...] | None:
    """What `readers` read from `document`, as the key of a memo of verdicts that depend on those values alone:
    each value typed (`True`, `1` and `1.0` are equal keys of a dict but are judged and shown apart), absent and
    null alike (`MISSING`, as a field test reads both); None when a value is not a str, bool or int (a list, an
    object, a float, an `Unresolved`): such a resource is judged on its own."""
    key: list[Any] = []
    for read in readers:
        value = read(document)
        if value is None:
            value = MISSING
        elif value.__class__ not in _SCALARS and value is not MISSING:
            return None
        key += (value.__class__, value)
    return tuple(key)


# -- evaluation scope --------------------------------------------------------------------------------------


class Scope(Struct, frozen=True):
    """What fields are read from: the resource document, and the array members a `count` is visiting."""

    document: Any
    members: tuple[tuple[str, Any], ...] = ()
    """(lower-case counted path ending in `[*]`, current member), innermost last."""

    def entering(self, counted_path: str, member: Any) -> Scope:
        """The scope inside a `count`'s `where`, visiting one member of the counted array."""
        return Scope(self.document, (*self.members, (counted_path.lower(), member)))


def resolve_field(path: str, scope: Scope) -> tuple[list[Any], bool]:
    """The values a field path names, and whether the path has a `[*]` (so the values are array members).

    Inside a `count`, a path starting with the counted path is read from the current member. Absent and null
    values come back as `MISSING`; an `Unresolved` met on the way comes back as that `Unresolved`. A `[*]`
    over
    an absent array gives one `MISSING`; over an empty array, no values.
    """
    base, rest = scope.document, path
    lowered = path.lower()
    for prefix, member in reversed(scope.members):
        if lowered.startswith(prefix):
            base, rest = member, path[len(prefix):]
            break
    parts = rest.split("[*]")
    values = [_step(base, parts[0])]
    for part in parts[1:]:
        expanded: list[Any] = []
        for value in values:
            if isinstance(value, Unresolved) or value is MISSING:
                expanded.append(value)
            elif isinstance(value, list):
                expanded.extend(_step(member, part) for member in value)
            else:
                expanded.append(MISSING)
        values = expanded
    return values, len(parts) > 1


def _step(value: Any, path: str) -> Any:
    found = lookup(value, path) if path.strip(".") else value
    return MISSING if found is None else found


# -- conditions --------------------------------------------------------------------------------------------


class Condition(Struct, frozen=True, dict=True):
    """A compiled condition.

    Each kind keeps what it has worked out for the documents seen so far (`cached_property`, in the instance's
    `__dict__`): that is not part of the condition, so its equality, hash and repr leave it out."""

    def evaluate(self, scope: Scope) -> Outcome:
        """The condition's answer for the document (and `count` members) in `scope`."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it is evaluated")

    def evaluate_document(self, document: Any) -> Outcome:
        """The condition's answer for one ARM-shaped document."""
        return self.evaluate(Scope(document))

    def document_test(self) -> DocumentTest:
        """`evaluate_document` made into one function, for a caller that evaluates the condition on many
        documents (the rule engine): the same answers, the same outcome objects, with fewer calls between."""
        return self.evaluate_document

    def fields(self) -> set[str]:
        """The ARM paths the condition reads (`count` paths included)."""
        return set()

    def value_paths(self) -> set[str] | None:
        """The paths the condition reads when each of its tests reads one value (a field path without `[*]`, or a
        literal) and nothing else: its answer is then a function of the values at those paths alone
        (`values_read`). None when a test reads more (a `count`, a `[*]` path)."""
        return None

    def fix_steps(self) -> list[tuple[str, Any]] | None:
        """The (ARM path, value) settings that make the condition true, when it says so plainly; else None.

        `equals` and `in` (its first value), `greaterOrEquals` and `lessOrEquals` give their operand; `allOf`
        gathers its members' settings, `anyOf` takes its first member that has some. Anything else (a negation,
        a count, a path with `[*]`) names no single setting.
        """
        return None


class AllOf(Condition, frozen=True):
    """`allOf: [...]`."""

    members: tuple[Condition, ...]

    @cached_property
    def _memo(self) -> _Memo:
        """The combined outcome for each tuple of its members' outcomes (`_memoised`)."""
        return {}

    def evaluate(self, scope: Scope) -> Outcome:
        return _memoised(self._memo, tuple([member.evaluate(scope) for member in self.members]), all_of)

    def document_test(self) -> DocumentTest:
        return _combined(tuple(member.document_test() for member in self.members), self._memo, all_of)

    def fields(self) -> set[str]:
        return {path for member in self.members for path in member.fields()}

    def value_paths(self) -> set[str] | None:
        return _value_paths(self.members)

    def fix_steps(self) -> list[tuple[str, Any]] | None:
        steps = [step for member in self.members for step in (member.fix_steps() or [])]
        return steps or None


class AnyOf(Condition, frozen=True):
    """`anyOf: [...]`."""

    members: tuple[Condition, ...]

    @cached_property
    def _memo(self) -> _Memo:
        """The combined outcome for each tuple of its members' outcomes (`_memoised`)."""
        return {}

    def evaluate(self, scope: Scope) -> Outcome:
        return _memoised(self._memo, tuple([member.evaluate(scope) for member in self.members]), any_of)

    def document_test(self) -> DocumentTest:
        return _combined(tuple(member.document_test() for member in self.members), self._memo, any_of)

    def fields(self) -> set[str]:
        return {path for member in self.members for path in member.fields()}

    def value_paths(self) -> set[str] | None:
        return _value_paths(self.members)

    def fix_steps(self) -> list[tuple[str, Any]] | None:
        return next((steps for steps in (member.fix_steps() for member in self.members) if steps), None)


class Not(Condition, frozen=True):
    """`not: {...}`: swaps true and false, keeps missing and unknown."""

    member: Condition

    @cached_property
    def _memo(self) -> _Memo:
        """The combined outcome for each tuple of its members' outcomes (`_memoised`)."""
        return {}

    def fields(self) -> set[str]:
        return self.member.fields()

    def value_paths(self) -> set[str] | None:
        return self.member.value_paths()

    def evaluate(self, scope: Scope) -> Outcome:
        return _memoised(self._memo, (self.member.evaluate(scope),), _swapped)

    def document_test(self) -> DocumentTest:
        return _combined((self.member.document_test(),), self._memo, _swapped)


def _value_paths(members: tuple[Condition, ...]) -> set[str] | None:
    paths: set[str] = set()
    for member in members:
        read = member.value_paths()
        if read is None:
            return None
        paths |= read
    return paths


def _swapped(outcomes: Iterable[Outcome]) -> Outcome:
    (inner,) = outcomes
    swapped = {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE}.get(inner.truth, inner.truth)
    return Outcome(swapped, inner.reason)


class Operator(Struct, frozen=True):
    """One comparison operator and its operand."""

    name: str
    operand: Any

    def test(self, actual: Any) -> Truth:
        """Apply the operator to a present value that contains nothing unresolved."""
        return Truth.TRUE if _OPERATORS[self.name](actual, self.operand) else Truth.FALSE

    def describe(self) -> str:
        """The expectation in words: `true`, `one of 'a', 'b'`, `>= 2`."""
        return _DESCRIPTIONS[self.name](self.operand)


_SCALARS = (str, bool, int)
"""Types of values whose test outcome a `FieldTest` keeps: immutable, hashable and common in documents."""


class FieldTest(Condition, frozen=True):
    """`field: <path>` (or `value: <literal>`) with one operator."""

    path: str | None
    literal: Any
    operator: Operator

    @cached_property
    def _outcomes(self) -> dict[tuple[type, Any], Outcome]:
        """The outcome for each scalar value tested so far: a review tests the same few values (`Enabled`, `true`)
        on thousands of resources, and the outcome depends on the value alone."""
        return {}

    @cached_property
    def _steps(self) -> PathSteps | None:
        """The path split into steps once, when it reads one value (no `[*]`)."""
        if self.path is not None and "[*]" not in self.path and self.path.strip("."):
            return path_steps(self.path)
        return None

    def fields(self) -> set[str]:
        return {self.path} if self.path is not None else set()

    def value_paths(self) -> set[str] | None:
        if self.path is None:
            return set()  # a literal: the same answer for every document
        return {self.path} if self._steps is not None else None

    def fix_steps(self) -> list[tuple[str, Any]] | None:
        if self.path is None or "[*]" in self.path:
            return None
        name, operand = self.operator.name, self.operator.operand
        if name in ("equals", "greaterOrEquals", "lessOrEquals"):
            return [(self.path, operand)]
        if name == "in" and operand:
            return [(self.path, operand[0])]
        return None

    @property
    def subject(self) -> str:
        """What the test reads, for messages."""
        return self.path if self.path is not None else f"value {show(self.literal)}"

    def evaluate_document(self, document: Any) -> Outcome:
        if self._steps is not None:  # as `evaluate` reads it, without a scope made for it
            found = follow(document, self._steps)
            return self._test(MISSING if found is None else found)
        return self.evaluate(Scope(document))

    def document_test(self) -> DocumentTest:
        if self._steps is None:
            return self.evaluate_document
        read, outcomes, test_value = path_reader(self._steps), self._outcomes, self._test_value

        def test(document: Any) -> Outcome:
            # `evaluate_document`, with `_test` inlined.
            actual = read(document)
            if actual is None:
                actual = MISSING
            kind = type(actual)
            if actual is MISSING or kind in _SCALARS:
                key = (kind, actual)
                known = outcomes.get(key)
                if known is None:
                    known = outcomes[key] = test_value(actual)
                return known
            return test_value(actual)
        return test

    def evaluate(self, scope: Scope) -> Outcome:
        if self._steps is not None and not scope.members:
            # The common case, read straight from the document: what `resolve_field` does for it, minus the parsing.
            found = follow(scope.document, self._steps)
            return self._test(MISSING if found is None else found)
        if self.path is None:
            values, expanded = [MISSING if self.literal is None else self.literal], False
        else:
            values, expanded = resolve_field(self.path, scope)
        outcomes = [self._test(value) for value in values]
        if not expanded:
            return outcomes[0]
        if not outcomes:
            return Outcome(Truth.TRUE, f"{self.subject} has no members")
        return all_of(outcomes)

    def _test(self, actual: Any) -> Outcome:
        if actual is MISSING or type(actual) in _SCALARS:
            # Keyed by type too: True == 1 == 1.0, but each is shown and compared differently.
            key = (type(actual), actual)
            known = self._outcomes.get(key)
            if known is None:
                known = self._outcomes[key] = self._test_value(actual)
            return known
        return self._test_value(actual)

    def _test_value(self, actual: Any) -> Outcome:
        subject = self.subject
        if isinstance(actual, Unresolved):
            return Outcome(Truth.UNKNOWN, f"{subject} is unresolved ({describe_unresolved(actual)})")
        if self.operator.name == "exists":
            present = actual is not MISSING
            truth = Truth.TRUE if present == self.operator.operand else Truth.FALSE
            return Outcome(truth, f"{subject} is set" if present else f"{subject} is not set")
        if actual is MISSING:
            return Outcome(Truth.MISSING, f"{subject} is not set")
        truth = self._test_present(actual)
        if truth is Truth.UNKNOWN:
            return Outcome(truth, f"{subject} holds an unresolved value")
        if truth is Truth.TRUE:
            return Outcome(truth, f"{subject} is {show(actual)}")
        return Outcome(truth, f"{subject} is {show(actual)}, expected {self.operator.describe()}")

    def _test_present(self, actual: Any) -> Truth:
        name = self.operator.name
        if name in ("containsKey", "notContainsKey"):
            return self.operator.test(actual)
        if name in ("contains", "notContains") and isinstance(actual, list):
            found = _list_contains(actual, self.operator.operand)
            if found is Truth.UNKNOWN or name == "contains":
                return found
            return Truth.FALSE if found is Truth.TRUE else Truth.TRUE
        if contains_unresolved(actual):
            return Truth.UNKNOWN
        return self.operator.test(actual)


class Count(Condition, frozen=True):
    """`count: {field: <path>[*], where: {...}}` with a numeric operator: how many members match."""

    path: str
    where: Condition | None
    operator: Operator

    def fields(self) -> set[str]:
        return {self.path, *(self.where.fields() if self.where is not None else ())}

    def evaluate(self, scope: Scope) -> Outcome:
        arrays, _ = resolve_field(self.path[: -len("[*]")], scope)
        members: list[Any] = []
        absent = 0
        for array in arrays:
            if isinstance(array, Unresolved):
                return Outcome(Truth.UNKNOWN, f"{self.path} is unresolved ({describe_unresolved(array)})")
            if isinstance(array, list):
                members.extend(array)
            else:
                absent += 1
        if arrays and absent == len(arrays):
            return Outcome(Truth.MISSING, f"{self.path} is not set")
        certain = possible = 0
        for member in members:
            if self.where is None:
                certain += 1
                continue
            truth = self.where.evaluate(scope.entering(self.path, member)).truth
            if truth is Truth.TRUE:
                certain += 1
            elif truth is Truth.UNKNOWN:
                possible += 1
        answers = {self.operator.test(count) for count in range(certain, certain + possible + 1)}
        counted = f"{self.path} has {certain} members"
        if self.where is not None:
            counted = f"{certain} of {self.path} match"
        expected = self.operator.describe()
        if len(answers) > 1:
            return Outcome(Truth.UNKNOWN,
                           f"{counted}, {possible} more can't be resolved (expected {expected})")
        answer = answers.pop()
        if answer is Truth.TRUE:
            return Outcome(answer, counted)
        return Outcome(answer, f"{counted}, expected {expected}")


# -- operators ---------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def values_equal(left: Any, right: Any) -> bool:
    """Equality as Azure Policy sees it.

    Strings compare case-insensitively, numbers numerically, booleans only with booleans (or their
    `true`/`false` spelling), arrays element by element, objects key by key (keys case-insensitive).
    """
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(left, bool) and isinstance(right, bool):
            return left == right
        other, flag = (right, left) if isinstance(left, bool) else (left, right)
        return isinstance(other, str) and other.strip().lower() == str(flag).lower()
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        left_number, right_number = _number(left), _number(right)
        return left_number is not None and left_number == right_number
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(values_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        left_keys = {str(key).casefold(): value for key, value in left.items()}
        right_keys = {str(key).casefold(): value for key, value in right.items()}
        return left_keys.keys() == right_keys.keys() and all(
            values_equal(value, right_keys[key]) for key, value in left_keys.items())
    return bool(left is None and right is None)


def _list_contains(items: list[Any], wanted: Any) -> Truth:
    unresolved = False
    for item in items:
        if contains_unresolved(item):
            unresolved = True
        elif values_equal(item, wanted):
            return Truth.TRUE
    return Truth.UNKNOWN if unresolved else Truth.FALSE


def _compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1; None when the two can't be ordered (numbers numerically, strings case-insensitively)."""
    left_number, right_number = _number(left), _number(right)
    numeric_side = isinstance(left, (int, float)) or isinstance(right, (int, float))
    if left_number is not None and right_number is not None and numeric_side:
        return (left_number > right_number) - (left_number < right_number)
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.casefold(), right.casefold()
        return (a > b) - (a < b)
    return None


def _ordered(accept: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def test(actual: Any, operand: Any) -> bool:
        order = _compare(actual, operand)
        return order is not None and accept(order)
    return test


def _like_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if char == "*" else re.escape(char) for char in pattern),
                      re.IGNORECASE | re.DOTALL)


_MATCH_CLASSES = {"#": "[0-9]", "?": "[A-Za-z]", ".": "."}


def _match_pattern(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(_MATCH_CLASSES.get(char, re.escape(char)) for char in pattern)
    return re.compile(body, (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def _like(actual: Any, operand: Any) -> bool:
    return isinstance(actual, str) and _like_pattern(str(operand)).fullmatch(actual) is not None


def _match(actual: Any, operand: Any) -> bool:
    pattern = _match_pattern(str(operand), ignore_case=False)
    return isinstance(actual, str) and pattern.fullmatch(actual) is not None


def _match_insensitively(actual: Any, operand: Any) -> bool:
    pattern = _match_pattern(str(operand), ignore_case=True)
    return isinstance(actual, str) and pattern.fullmatch(actual) is not None


def _contains(actual: Any, operand: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(operand, str) and operand.casefold() in actual.casefold()
    if isinstance(actual, list):
        return _list_contains(actual, operand) is Truth.TRUE
    return False


def _contains_key(actual: Any, operand: Any) -> bool:
    return isinstance(actual, dict) and any(str(key).casefold() == str(operand).casefold() for key in actual)


def _in(actual: Any, operand: Any) -> bool:
    return any(values_equal(actual, candidate) for candidate in operand)


def _negated(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda actual, operand: not test(actual, operand)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": values_equal,
    "notEquals": _negated(values_equal),
    "in": _in,
    "notIn": _negated(_in),
    "like": _like,
    "notLike": _negated(_like),
    "match": _match,
    "notMatch": _negated(_match),
    "matchInsensitively": _match_insensitively,
    "notMatchInsensitively": _negated(_match_insensitively),
    "contains": _contains,
    "notContains": _negated(_contains),
    "containsKey": _contains_key,
    "notContainsKey": _negated(_contains_key),
    "exists": lambda actual, operand: operand is (actual is not MISSING),
    "greater": _ordered(lambda order: order > 0),
    "greaterOrEquals": _ordered(lambda order: order >= 0),
    "less": _ordered(lambda order: order < 0),
    "lessOrEquals": _ordered(lambda order: order <= 0),
}

_DESCRIPTIONS: dict[str, Callable[[Any], str]] = {
    "equals": lambda operand: show(operand),
    "notEquals": lambda operand: f"not {show(operand)}",
    "in": lambda operand: "one of " + ", ".join(show(item) for item in operand),
    "notIn": lambda operand: "none of " + ", ".join(show(item) for item in operand),
    "like": lambda operand: f"like {show(operand)}",
    "notLike": lambda operand: f"not like {show(operand)}",
    "match": lambda operand: f"to match {show(operand)}",
    "notMatch": lambda operand: f"not to match {show(operand)}",
    "matchInsensitively": lambda operand: f"to match {show(operand)}",
    "notMatchInsensitively": lambda operand: f"not to match {show(operand)}",
    "contains": lambda operand: f"to contain {show(operand)}",
    "notContains": lambda operand: f"not to contain {show(operand)}",
    "containsKey": lambda operand: f"to have the key {show(operand)}",
    "notContainsKey": lambda operand: f"not to have the key {show(operand)}",
    "exists": lambda operand: "to be set" if operand else "not to be set",
    "greater": lambda operand: f"> {show(operand)}",
    "greaterOrEquals": lambda operand: f">= {show(operand)}",
    "less": lambda operand: f"< {show(operand)}",
    "lessOrEquals": lambda operand: f"<= {show(operand)}",
}

OPERATORS: tuple[str, ...] = tuple(sorted(_OPERATORS))
"""Every operator name of the grammar."""

_COUNT_OPERATORS = ("equals", "notEquals", "in", "notIn",
                    "greater", "greaterOrEquals", "less", "lessOrEquals")


# -- messages ----------------------------------------------------------------------------------------------


_JSON_CONSTANTS = {True: "true", False: "false", None: "null"}


def show(value: Any, *, limit: int = 60) -> str:
    """A value as a message shows it: strings quoted, JSON spelling for the rest, long values shortened."""
    if isinstance(value, Unresolved):
        return f"<{value.expression}>"
    if value is MISSING:
        return "(not set)"
    if isinstance(value, str):
        text = f"'{value}'"
    elif isinstance(value, bool) or value is None:
        text = _JSON_CONSTANTS[value]  # the commonest values, spelled as json.dumps spells them
    elif type(value) is int:
        text = str(value)
    else:
        try:
            text = json.dumps(value, default=str, sort_keys=True)
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_unresolved(value: Unresolved) -> str:
    """`<expression>: <reason>`, shortened for a message."""
    expression = value.expression if len(value.expression) <= 80 else value.expression[:77] + "..."
    return f"{expression}: {value.reason}" if value.reason else expression


# -- compiling ---------------------------------------------------------------------------------------------


class _Compiler(Struct, frozen=True):
    location: str

    def fail(self, where: str, message: str) -> ConditionError:
        return ConditionError(f"{self.location}: {where}: {message}")

    def compile(self, spec: Any, where: str) -> Condition:
        if not isinstance(spec, Mapping):
            raise self.fail(where, f"a condition must be a mapping, got {show(spec)}")
        keys = set(spec)
        for combinator in ("allOf", "anyOf"):
            if combinator in keys:
                self._only(spec, {combinator}, where)
                members = spec[combinator]
                if not isinstance(members, list) or not members:
                    raise self.fail(where, f"`{combinator}` needs a non-empty list of conditions")
                compiled = tuple(self.compile(member, f"{where}.{combinator}[{index}]")
                                 for index, member in enumerate(members))
                return AllOf(compiled) if combinator == "allOf" else AnyOf(compiled)
        if "not" in keys:
            self._only(spec, {"not"}, where)
            return Not(self.compile(spec["not"], f"{where}.not"))
        if "count" in keys:
            return self._count(spec, where)
        return self._field_test(spec, where)

    def _only(self, spec: Mapping[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(spec) - allowed)
        if extra:
            raise self.fail(where,
                            f"unexpected key(s) {', '.join(extra)} beside {', '.join(sorted(allowed))}")

    def _operator(self, spec: Mapping[str, Any], subject_keys: set[str], where: str,
                  allowed: Iterable[str]) -> Operator:
        allowed = tuple(allowed)
        candidates = [key for key in spec if key not in subject_keys]
        unknown = [key for key in candidates if key not in allowed]
        if unknown:
            raise self.fail(where, f"unknown operator {', '.join(map(str, unknown))} "
                                   f"(expected one of {', '.join(allowed)})")
        if len(candidates) != 1:
            raise self.fail(where, "exactly one operator is needed, got "
                                   f"{', '.join(candidates) if candidates else 'none'}")
        name = candidates[0]
        operand = spec[name]
        self._check_operand(name, operand, where)
        return Operator(name, operand)

    def _check_operand(self, name: str, operand: Any, where: str) -> None:
        if name in ("in", "notIn"):
            if not isinstance(operand, list):
                raise self.fail(where, f"`{name}` needs a list")
        elif name == "exists":
            if not isinstance(operand, bool):
                raise self.fail(where, "`exists` needs true or false")
        elif name in ("like", "notLike", "match", "notMatch", "matchInsensitively", "notMatchInsensitively",
                      "containsKey", "notContainsKey"):
            if not isinstance(operand, str):
                raise self.fail(where, f"`{name}` needs a string")
        elif name in ("greater", "greaterOrEquals", "less", "lessOrEquals") and (
                isinstance(operand, bool) or not isinstance(operand, (int, float, str))):
            raise self.fail(where, f"`{name}` needs a number or a string")

    def _field_test(self, spec: Mapping[str, Any], where: str) -> Condition:
        has_field, has_value = "field" in spec, "value" in spec
        if has_field == has_value:
            raise self.fail(where, "a leaf needs exactly one of `field` or `value` "
                                   "(or use allOf, anyOf, not, count)")
        subject = "field" if has_field else "value"
        operator = self._operator(spec, {subject}, where, OPERATORS)
        if has_field:
            path = spec["field"]
            if not isinstance(path, str) or not path.strip():
                raise self.fail(where, "`field` needs a dotted path")
            return FieldTest(path.strip(), None, operator)
        if operator.name == "exists":
            raise self.fail(where, "`exists` needs a `field`")
        return FieldTest(None, spec["value"], operator)

    def _count(self, spec: Mapping[str, Any], where: str) -> Condition:
        body = spec["count"]
        if not isinstance(body, Mapping):
            raise self.fail(where, "`count` needs a mapping with `field` (and optionally `where`)")
        extra = sorted(set(body) - {"field", "where"})
        if extra:
            raise self.fail(where, f"unexpected key(s) in count: {', '.join(extra)}")
        path = body.get("field")
        if not isinstance(path, str) or not path.strip().endswith("[*]"):
            raise self.fail(where, "`count.field` needs an array path ending in `[*]`")
        operator = self._operator(spec, {"count"}, where, _COUNT_OPERATORS)
        numbers = operator.operand if operator.name in ("in", "notIn") else [operator.operand]
        if any(_number(item) is None or isinstance(item, str) for item in numbers):
            raise self.fail(where, f"`{operator.name}` on a count needs a number")
        member_where = body.get("where")
        compiled = self.compile(member_where, f"{where}.count.where") if member_where is not None else None
        return Count(path.strip(), compiled, operator)


def compile_condition(spec: Any, *, location: str = "condition") -> Condition:
    """Compile a condition mapping; raises `ConditionError` naming `location` when it breaks the grammar."""
    return _Compiler(location).compile(spec, "condition")


__all__ = [
    "OPERATORS",
    "AllOf",
    "AnyOf",
    "Condition",
    "ConditionError",
    "Count",
    "DocumentTest",
    "FieldTest",
    "Not",
    "Operator",
    "Outcome",
    "Scope",
    "Truth",
    "ValueReader",
    "all_of",
    "any_of",
    "compile_condition",
    "describe_unresolved",
    "resolve_field",
    "show",
    "value_readers",
    "values_equal",
    "values_read",
]
