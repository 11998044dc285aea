"""Evaluating HCL expressions the way Terraform does, offline, and the Terraform function library.

Values are plain Python: `str`, `int`/`float` (an integral result is an `int`), `bool`, `None` (null), `list`
(tuples, lists and sets; a set is a de-duplicated list, sorted when its members are strings, as Terraform orders
them), `dict` (maps and objects), `ResourceInstance` (a resource or data source another expression refers to)
and `Unresolved`. An operation on an `Unresolved` value gives an `Unresolved` value.

What Terraform would reject (a missing key, a type mismatch, an index out of range) raises `EvalError`; `try()`
and `can()` catch it, and `evaluate_value` turns it into an `Unresolved` value with the reason, so one bad
expression never stops a module.

What aiwell can't compute though Terraform could raises `NotEvaluated` (an `EvalError` that `try()` and `can()`
let through, so it ends as an `Unresolved` value and never makes them take a fallback): a number beyond float range
(Terraform's numbers have arbitrary precision), a string or collection over the size limits, a `format` verb aiwell
does not implement. Each function builds at most `MAX_STRING` characters of text and `MAX_COLLECTION` elements,
checked before the value is built, and a load builds at most `MAX_BUILT_TEXT` characters in all (the work budget).

Differences from Terraform, on purpose: `uuid()`, `timestamp()` and other values only known at apply time are
`Unresolved`; a function this module doesn't know is `Unresolved` with a note. `regex()`, `regexall()` and
`replace()` use RE2 (google-re2), the engine whose syntax Go's `regexp` (Terraform's) implements: matching takes
linear time, and lookaround or backreferences are errors, as in Terraform.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import re2
import yaml
from msgspec import Struct, field

from aiwell.errors import ParseError
from aiwell.loaders.files import read_file_text, within
from aiwell.loaders.terraform.hcl import (
    OUT_OF_RANGE,
    Binary,
    Call,
    Conditional,
    ForDirective,
    ForExpr,
    GetAttr,
    IfDirective,
    Index,
    Interpolation,
    Literal,
    Node,
    ObjectExpr,
    Splat,
    Template,
    TemplatePart,
    TupleExpr,
    Unary,
    Variable,
    parse_template,
)
from aiwell.model import Unresolved

MAX_STEPS = 5_000_000
"""Units of work one load's expressions may spend (a node evaluated, an element built)."""

MAX_COLLECTION = 100_000
"""Most elements a collection built by an expression may hold."""

MAX_STRING = 10 * 1024 * 1024
"""Longest string an expression may build."""

MAX_BUILT_TEXT = 256 * 1024 * 1024
"""Most characters of text one load's functions and templates may build in all (part of the work budget)."""

_FLOAT_MAX = sys.float_info.max

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest file `file()` or `templatefile()` reads."""


class EvalError(Exception):
    """Terraform would reject this expression; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotEvaluated(EvalError):
    """Terraform could compute this value but aiwell does not (a number beyond float range, a value over the size
    limits): the value is `Unresolved`. `try()` and `can()` let it through instead of taking it for an error."""


class BudgetExceeded(Exception):
    """The work budget of one load is spent; the loader stops evaluating and reports it.

    Not an `EvalError`: `try()` and `evaluate_value` must not swallow it.
    """


class ResourceInstance(Struct):
    """One instance of a resource, data source or module, as another expression sees it.

    Attributes given in its block (evaluated) are known; others are computed by the provider and `Unresolved`,
    except those in `known` (a resource's `id` is its ARM id, so graph links work).
    """

    address: str
    attributes: dict[str, Any]
    computed_reason: str = "computed by the provider when it is applied"
    strict: bool = False
    """Module outputs: an attribute that isn't there is an error, not a computed value."""

    def attribute(self, name: str) -> Any:
        """The value of attribute `name`, or `Unresolved` when only the provider knows it."""
        if name in self.attributes:
            return self.attributes[name]
        if self.strict:
            raise EvalError(f"{self.address} has no output named {name!r}")
        return Unresolved(f"{self.address}.{name}", self.computed_reason)


Resolver = Callable[[str, list[str], Node], tuple[Any, int]]
"""Looks up a root name (`var`, `local`, `azurerm_x`, ...) followed by attribute names; returns the value and how
many of the attribute names it consumed. Raises `EvalError` for a name that doesn't exist."""


class Budget(Struct):
    """State shared by every scope of one load: the work budget and the notes."""

    notes: list[str] = field(default_factory=list)
    steps: int = 0
    max_steps: int = MAX_STEPS
    built: int = 0
    """Characters of text built by functions and templates so far."""

    def note(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.notes:
            self.notes.append(message)

    def spend(self, units: int = 1) -> None:
        """Charge work; raises `BudgetExceeded` when the budget is spent."""
        self.steps += units
        if self.steps > self.max_steps:
            raise BudgetExceeded(f"expression evaluation stopped after {self.max_steps} steps")

    def build(self, characters: int) -> None:
        """Charge text built; raises `BudgetExceeded` past `MAX_BUILT_TEXT` in one load."""
        self.built += characters
        if self.built > MAX_BUILT_TEXT:
            raise BudgetExceeded(f"expression evaluation stopped after building {MAX_BUILT_TEXT} characters of "
                                 "text")


class Scope(Struct):
    """Everything an expression can see."""

    resolve: Resolver
    budget: Budget
    module_dir: Path
    """`path.module`; relative paths in `file()` are read from the root module's directory, as Terraform does."""
    root_module_dir: Path
    allowed_root: Path | None = None
    """Files outside this directory are not read (`file()`, `templatefile()`)."""
    bindings: dict[str, Any] = field(default_factory=dict)
    """Names bound by `for` expressions, `count`, `each`, `dynamic` iterators and `templatefile()`."""

    def bind(self, values: Mapping[str, Any]) -> Scope:
        """A scope with more names bound."""
        return Scope(self.resolve, self.budget, self.module_dir, self.root_module_dir, self.allowed_root,
                     {**self.bindings, **values})


def no_references(name: str, attributes: list[str], node: Node) -> tuple[Any, int]:
    """A resolver for places where no references are allowed (tfvars, `templatefile()` bodies)."""
    raise EvalError(f"unknown name {name!r} (references are not allowed here)")


# --- evaluation -----------------------------------------------------------------------------------------------


def evaluate_value(node: Node, scope: Scope) -> Any:
    """Evaluate an attribute's expression; what Terraform would reject becomes `Unresolved` (with a note).

    Raises `BudgetExceeded` only.
    """
    try:
        return evaluate(node, scope)
    except EvalError as error:
        return Unresolved(source_text(node), error.reason)
    except RecursionError:
        return Unresolved(source_text(node), "expression nested too deeply")


def evaluate(node: Node, scope: Scope) -> Any:  # noqa: C901 - one branch per node type reads best
    """Evaluate an expression node. Raises `EvalError` where Terraform would report an error."""
    scope.budget.spend()
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Template):
        return _template(node, scope)
    if isinstance(node, Variable):
        if node.name in scope.bindings:
            return scope.bindings[node.name]
        value, _ = scope.resolve(node.name, [], node)
        return value
    if isinstance(node, GetAttr):
        return _get_attr_chain(node, scope)
    if isinstance(node, Index):
        return index_value(evaluate(node.obj, scope), evaluate(node.key, scope), node)
    if isinstance(node, Splat):
        return _splat(node, scope)
    if isinstance(node, Call):
        return _call(node, scope)
    if isinstance(node, TupleExpr):
        return [evaluate(item, scope) for item in node.items]
    if isinstance(node, ObjectExpr):
        result: dict[str, Any] = {}
        for key_node, value_node in node.items:
            key = evaluate(key_node, scope)
            if isinstance(key, Unresolved):
                return Unresolved(source_text(node), f"an object key is unresolved: {key.reason}")
            result[to_string(key)] = evaluate(value_node, scope)
        return result
    if isinstance(node, Conditional):
        return _conditional(node, scope)
    if isinstance(node, Binary):
        return _binary(node, scope)
    if isinstance(node, Unary):
        operand = evaluate(node.operand, scope)
        if isinstance(operand, Unresolved):
            return operand
        if node.op == "!":
            return not to_bool(operand)
        return _normal(-to_number(operand))
    if isinstance(node, ForExpr):
        return _for(node, scope)
    raise EvalError(f"unsupported expression {type(node).__name__}")


def _get_attr_chain(node: GetAttr, scope: Scope) -> Any:
    names: list[str] = []
    current: Node = node
    while isinstance(current, GetAttr):
        names.append(current.name)
        current = current.obj
    names.reverse()
    if isinstance(current, Variable) and current.name not in scope.bindings:
        value, used = scope.resolve(current.name, names, node)
    else:
        value, used = evaluate(current, scope), 0
    for name in names[used:]:
        value = get_attribute(value, name)
    return value


def get_attribute(value: Any, name: str) -> Any:
    """`value.name` as Terraform reads it."""
    if isinstance(value, Unresolved):
        return Unresolved(f"{value.expression}.{name}", value.reason)
    if isinstance(value, ResourceInstance):
        return value.attribute(name)
    if isinstance(value, dict):
        if name in value:
            return value[name]
        raise EvalError(f"this object has no attribute named {name!r}")
    if value is None:
        raise EvalError(f"attempt to get attribute {name!r} from a null value")
    if isinstance(value, list):
        raise EvalError(f"can't read attribute {name!r} of a list (use [*] or an index)")
    raise EvalError(f"can't read attribute {name!r} of a {type_name(value)}")


def index_value(value: Any, key: Any, node: Node | None = None) -> Any:
    """`value[key]` as Terraform reads it."""
    if isinstance(value, Unresolved):
        return Unresolved(f"{value.expression}[{_render_value(key)}]", value.reason)
    if isinstance(key, Unresolved):
        return Unresolved(source_text(node) if node is not None else key.expression,
                          f"the index is unresolved: {key.reason}")
    if isinstance(value, ResourceInstance):
        return value.attribute(to_string(key))
    if isinstance(value, dict):
        text = to_string(key)
        if text in value:
            return value[text]
        raise EvalError(f"the given key {text!r} does not identify an element of this map")
    if isinstance(value, list):
        position = to_number(key)
        if not float(position).is_integer():
            raise EvalError("a list index must be a whole number")
        if not 0 <= int(position) < len(value):
            raise EvalError(f"index {int(position)} is out of range for a list of {len(value)} elements")
        return value[int(position)]
    if value is None:
        raise EvalError("can't index a null value")
    raise EvalError(f"can't index a {type_name(value)}")


def _splat(node: Splat, scope: Scope) -> Any:
    base = evaluate(node.obj, scope)
    if isinstance(base, Unresolved):
        return base
    if base is None:
        return []
    items = list(base) if isinstance(base, list) else [base]
    result = []
    for item in items:
        value = item
        for step in node.steps:
            if isinstance(step, str):
                value = get_attribute(value, step)
            else:
                value = index_value(value, evaluate(step, scope), step)
        result.append(value)
    return result


def _conditional(node: Conditional, scope: Scope) -> Any:
    condition = evaluate(node.condition, scope)
    if isinstance(condition, Unresolved):
        then_value = _try_value(node.then_expr, scope)
        else_value = _try_value(node.else_expr, scope)
        if then_value == else_value and not isinstance(then_value, _Failed):
            return then_value
        return Unresolved(source_text(node), f"the condition is unresolved: {condition.reason}")
    return evaluate(node.then_expr if to_bool(condition) else node.else_expr, scope)


class _Failed(Struct, frozen=True):
    reason: str


def _try_value(node: Node, scope: Scope) -> Any:
    try:
        return evaluate(node, scope)
    except EvalError as error:
        return _Failed(error.reason)


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _binary(node: Binary, scope: Scope) -> Any:
    op = node.op
    left = evaluate(node.left, scope)
    if op in ("&&", "||"):
        if not isinstance(left, Unresolved):
            left_bool = to_bool(left)
            if op == "&&" and not left_bool:
                return False
            if op == "||" and left_bool:
                return True
        right = evaluate(node.right, scope)
        if isinstance(right, Unresolved):
            return right
        right_bool = to_bool(right)
        if isinstance(left, Unresolved):
            if (op == "&&" and not right_bool) or (op == "||" and right_bool):
                return right_bool
            return left
        return right_bool
    right = evaluate(node.right, scope)
    for side in (left, right):
        if isinstance(side, Unresolved):
            return Unresolved(source_text(node), side.reason)
    if op == "==":
        return tf_equal(left, right)
    if op == "!=":
        return not tf_equal(left, right)
    a, b = to_number(left), to_number(right)
    if op in _COMPARISONS:
        return _COMPARISONS[op](a, b)
    try:
        if op == "+":
            return _normal(a + b)
        if op == "-":
            return _normal(a - b)
        if op == "*":
            return _normal(a * b)
        if op == "/":
            if b == 0:
                raise EvalError("division by zero")
            return _normal(a / b)
        if op == "%":
            if b == 0:
                raise EvalError("modulo by zero")
            return _normal(math.fmod(a, b))
    except OverflowError:
        raise NotEvaluated(OUT_OF_RANGE) from None
    raise EvalError(f"unknown operator {op}")


def _for(node: ForExpr, scope: Scope) -> Any:
    collection = evaluate(node.collection, scope)
    if isinstance(collection, Unresolved):
        return Unresolved(source_text(node), f"the collection is unresolved: {collection.reason}")
    pairs = iterate(collection)
    list_result: list[Any] = []
    map_result: dict[str, Any] = {}
    for key, value in pairs:
        scope.budget.spend()
        bound = {node.value_var: value}
        if node.key_var is not None:
            bound[node.key_var] = key
        inner = scope.bind(bound)
        item_unknown: Unresolved | None = None
        if node.condition is not None:
            keep = evaluate(node.condition, inner)
            if isinstance(keep, Unresolved):
                if node.key is None:
                    return Unresolved(source_text(node), f"the filter is unresolved: {keep.reason}")
                # In a map, the key stays with an unknown value: "maybe absent" reads as unknown to a rule,
                # where dropping the key would read as absent.
                item_unknown = Unresolved(source_text(node.value), f"the filter is unresolved: {keep.reason}")
            elif not to_bool(keep):
                continue
        item = evaluate(node.value, inner)
        if item_unknown is not None and not isinstance(item, Unresolved):
            item = item_unknown
        if node.key is None:
            list_result.append(item)
            continue
        item_key = evaluate(node.key, inner)
        if isinstance(item_key, Unresolved):
            return Unresolved(source_text(node), f"a key is unresolved: {item_key.reason}")
        text = to_string(item_key)
        if node.group:
            map_result.setdefault(text, []).append(item)
        elif text in map_result:
            raise EvalError(f"duplicate key {text!r} in a for expression (add ... to group)")
        else:
            map_result[text] = item
        if len(map_result) > MAX_COLLECTION:
            raise EvalError("a for expression built too many elements")
    return list_result if node.key is None else map_result


def iterate(collection: Any) -> list[tuple[Any, Any]]:
    """(key, value) pairs of a list (index, element) or map (key, value, in key order), as `for` sees them."""
    if isinstance(collection, dict):
        return [(key, collection[key]) for key in sorted(collection)]
    if isinstance(collection, list):
        return list(enumerate(collection))
    if isinstance(collection, ResourceInstance):
        return [(key, collection.attributes[key]) for key in sorted(collection.attributes)]
    raise EvalError(f"can't iterate over a {type_name(collection)}")


def _template(node: Template, scope: Scope) -> Any:
    if len(node.parts) == 1 and isinstance(node.parts[0], Interpolation):
        return evaluate(node.parts[0].expr, scope)
    try:
        return _render_parts(node.parts, scope)
    except _UnresolvedTemplate as unresolved:
        return Unresolved(source_text(node), unresolved.reason)


class _UnresolvedTemplate(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _render_parts(parts: Iterable[TemplatePart], scope: Scope) -> str:
    out = _Text()
    _render_into(parts, scope, out)
    scope.budget.build(out.length)
    return "".join(out.pieces)


class _Text(Struct):
    """Text being built, with its length kept so the limit is checked as it grows."""

    pieces: list[str] = field(default_factory=list)
    length: int = 0

    def append(self, text: str) -> None:
        self.length += len(text)
        if self.length > MAX_STRING:
            raise NotEvaluated(f"the text would be longer than {MAX_STRING} characters")
        self.pieces.append(text)


def _render_into(parts: Iterable[TemplatePart], scope: Scope, out: _Text) -> None:
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Interpolation):
            value = evaluate(part.expr, scope)
            if isinstance(value, Unresolved):
                raise _UnresolvedTemplate(value.reason)
            if value is None:
                raise EvalError("a null value can't be interpolated into a string")
            out.append(to_string(value))
        elif isinstance(part, IfDirective):
            condition = evaluate(part.condition, scope)
            if isinstance(condition, Unresolved):
                raise _UnresolvedTemplate(condition.reason)
            _render_into(part.then_parts if to_bool(condition) else part.else_parts, scope, out)
        elif isinstance(part, ForDirective):
            collection = evaluate(part.collection, scope)
            if isinstance(collection, Unresolved):
                raise _UnresolvedTemplate(collection.reason)
            for key, value in iterate(collection):
                scope.budget.spend()
                bound = {part.value_var: value}
                if part.key_var is not None:
                    bound[part.key_var] = key
                _render_into(part.body, scope.bind(bound), out)


# --- conversions ----------------------------------------------------------------------------------------------


def type_name(value: Any) -> str:
    """Terraform's name for the type of `value`."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, (dict, ResourceInstance)):
        return "object"
    if value is None:
        return "null"
    return type(value).__name__


def _normal(value: int | float) -> int | float:
    """A number result: whole floats as `int`; beyond float range `NotEvaluated` (Terraform's numbers have
    arbitrary precision, so it is a value aiwell can't compute, not an error)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotEvaluated(OUT_OF_RANGE)
        if value.is_integer() and abs(value) < 2**63:
            return int(value)
        return value
    if abs(value) > _FLOAT_MAX:
        raise NotEvaluated(OUT_OF_RANGE)
    return value


_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def to_number(value: Any) -> int | float:
    """A number, converting a numeric string as Terraform does."""
    if isinstance(value, bool):
        raise EvalError("a bool can't be used as a number")
    if isinstance(value, (int, float)):
        return _normal(value)
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.fullmatch(text):
            raise EvalError(f"{value!r} is not a number")
        if text.lstrip("+-").isdigit():
            return _normal(int(text))
        return _normal(float(text))
    raise EvalError(f"a {type_name(value)} can't be used as a number")


def to_bool(value: Any) -> bool:
    """A bool, converting `"true"`/`"false"` as Terraform does."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise EvalError(f"a {type_name(value)} can't be used as a bool")


def to_string(value: Any) -> str:
    """A string, converting numbers and bools as Terraform does."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(_normal(value)) if value.is_integer() else repr(value)
    raise EvalError(f"a {type_name(value)} can't be used as a string")


def tf_equal(left: Any, right: Any) -> bool:
    """Terraform's `==`: same type and value (no conversion between strings and numbers)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(tf_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(tf_equal(left[k], right[k]) for k in left)
    return type(left) is type(right) and bool(left == right)


def plain(value: Any) -> Any:
    """`value` with resource instances turned into their known attributes (for functions and the mapping)."""
    if isinstance(value, ResourceInstance):
        return {k: plain(v) for k, v in value.attributes.items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def first_unresolved(value: Any, depth: int = 0) -> Unresolved | None:
    """The first `Unresolved` inside `value`, if any."""
    if isinstance(value, Unresolved):
        return value
    if depth > 64:
        return None
    if isinstance(value, dict):
        items: Iterable[Any] = value.values()
    elif isinstance(value, list):
        items = value
    elif isinstance(value, ResourceInstance):
        items = value.attributes.values()
    else:
        return None
    for item in items:
        found = first_unresolved(item, depth + 1)
        if found is not None:
            return found
    return None


# --- source text (for Unresolved.expression) ------------------------------------------------------------------


def source_text(node: Node | None) -> str:
    """The expression written back as HCL (normalised spacing), for messages."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        return _render_value(node.value)
    if isinstance(node, Variable):
        return node.name
    if isinstance(node, GetAttr):
        return f"{source_text(node.obj)}.{node.name}"
    if isinstance(node, Index):
        return f"{source_text(node.obj)}[{source_text(node.key)}]"
    if isinstance(node, Splat):
        steps = "".join(f".{s}" if isinstance(s, str) else f"[{source_text(s)}]" for s in node.steps)
        return f"{source_text(node.obj)}[*]{steps}"
    if isinstance(node, Call):
        args = ", ".join(source_text(a) for a in node.args)
        return f"{node.name}({args}{'...' if node.expand_last else ''})"
    if isinstance(node, TupleExpr):
        return "[" + ", ".join(source_text(i) for i in node.items) + "]"
    if isinstance(node, ObjectExpr):
        return "{" + ", ".join(f"{source_text(k)} = {source_text(v)}" for k, v in node.items) + "}"
    if isinstance(node, Conditional):
        return f"{source_text(node.condition)} ? {source_text(node.then_expr)} : {source_text(node.else_expr)}"
    if isinstance(node, Binary):
        return f"{source_text(node.left)} {node.op} {source_text(node.right)}"
    if isinstance(node, Unary):
        return f"{node.op}{source_text(node.operand)}"
    if isinstance(node, ForExpr):
        names = f"{node.key_var}, {node.value_var}" if node.key_var else node.value_var
        cond = f" if {source_text(node.condition)}" if node.condition is not None else ""
        if node.key is None:
            return f"[for {names} in {source_text(node.collection)} : {source_text(node.value)}{cond}]"
        return (f"{{for {names} in {source_text(node.collection)} : {source_text(node.key)} => "
                f"{source_text(node.value)}{'...' if node.group else ''}{cond}}}")
    if isinstance(node, Template):
        return '"' + "".join(_part_text(p) for p in node.parts) + '"'
    return type(node).__name__


def _part_text(part: TemplatePart) -> str:
    if isinstance(part, str):
        return part.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if isinstance(part, Interpolation):
        return "${" + source_text(part.expr) + "}"
    if isinstance(part, IfDirective):
        return "%{if " + source_text(part.condition) + "}...%{endif}"
    return "%{for " + part.value_var + " in " + source_text(part.collection) + "}...%{endfor}"


def _render_value(value: Any) -> str:
    if isinstance(value, Unresolved):
        return value.expression
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return to_string(value)
    return type_name(value)


# --- functions ------------------------------------------------------------------------------------------------


class FunctionCall(Struct):
    """What a function implementation gets besides its arguments."""

    node: Call
    scope: Scope


Implementation = Callable[[list[Any], FunctionCall], Any]


class TfFunction(Struct, frozen=True):
    """One function of the library.

    `deep`: any `Unresolved` inside an argument makes the result `Unresolved` (the function reads the contents);
    otherwise only an argument that is itself `Unresolved` does (the function moves values around).
    `lazy`: the implementation gets the argument nodes unevaluated (`try`, `can`).
    """

    implementation: Implementation
    min_args: int
    max_args: int | None
    deep: bool = True
    lazy: bool = False


FUNCTIONS: dict[str, TfFunction] = {}
"""The function library, by name."""


def tf_function(name: str, min_args: int, max_args: int | None = -1, *, deep: bool = True,
                lazy: bool = False) -> Callable[[Implementation], Implementation]:
    """Register a function; `max_args` -1 means exactly `min_args`, None means any number."""
    def register(implementation: Implementation) -> Implementation:
        FUNCTIONS[name] = TfFunction(implementation, min_args, min_args if max_args == -1 else max_args, deep,
                                     lazy)
        return implementation
    return register


_APPLY_TIME = {"uuid", "timestamp", "plantimestamp", "bcrypt", "uuidv5", "filebase64sha256", "filesha256",
               "filemd5", "filesha1", "filesha512", "fileset", "rsadecrypt", "ephemeralasnull"}


def _call(node: Call, scope: Scope) -> Any:
    name = node.name.split("::")[-1] if node.name.startswith("core::") else node.name
    function = FUNCTIONS.get(name)
    if function is None:
        if name in _APPLY_TIME:
            return Unresolved(source_text(node), f"{name}() is only known when Terraform runs")
        scope.budget.note(f"function {name}() is not supported; its result is unresolved")
        return Unresolved(source_text(node), f"function {name}() is not supported by aiwell")
    call = FunctionCall(node, scope)
    if function.lazy:
        _check_arity(name, function, len(node.args))
        return function.implementation(list(node.args), call)
    args = [evaluate(arg, scope) for arg in node.args]
    if node.expand_last and args:
        last = args.pop()
        if isinstance(last, Unresolved):
            return Unresolved(source_text(node), last.reason)
        if not isinstance(last, list):
            raise EvalError(f"{name}(): the argument expanded with ... must be a list")
        args.extend(last)
    _check_arity(name, function, len(args))
    args = [plain(a) for a in args]
    for arg in args:
        unresolved = first_unresolved(arg) if function.deep else (arg if isinstance(arg, Unresolved) else None)
        if unresolved is not None:
            return Unresolved(source_text(node), unresolved.reason)
    result = function.implementation(args, call)
    if isinstance(result, (list, dict)) and len(result) > MAX_COLLECTION:
        raise NotEvaluated(f"{name}() would build more than {MAX_COLLECTION} elements")
    if isinstance(result, str):
        if len(result) > MAX_STRING:
            raise NotEvaluated(f"{name}() would build more than {MAX_STRING} characters")
        scope.budget.build(len(result))
    elif isinstance(result, list):
        scope.budget.build(sum(len(item) for item in result if isinstance(item, str)))
    return result


def _check_arity(name: str, function: TfFunction, count: int) -> None:
    low, high = function.min_args, function.max_args
    if low <= count and (high is None or count <= high):
        return
    wanted = (f"at least {low}" if high is None else str(low) if high == low else f"{low} to {high}")
    raise EvalError(f"{name}() takes {wanted} argument{'' if wanted == '1' else 's'}, not {count}")


def _text_size(value: Any, limit: int) -> int:
    """About how many characters `value` takes as JSON or YAML text, counting up to just past `limit` (so a
    value too large to encode is found without encoding it)."""
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item) + sum(len(key) for key in item)
            pending.extend(item.values())
        elif isinstance(item, list):
            total += 2 + len(item)
            pending.extend(item)
        else:
            total += 24
    return total


def _fits(value: Any, name: str) -> None:
    if _text_size(value, MAX_STRING) > MAX_STRING:
        raise NotEvaluated(f"{name}() would build more than {MAX_STRING} characters")


def _list(value: Any, what: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise EvalError(f"{what} must be a list, not a {type_name(value)}")


def _map(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise EvalError(f"{what} must be a map or object, not a {type_name(value)}")


def _int(value: Any, what: str) -> int:
    number = to_number(value)
    if not float(number).is_integer():
        raise EvalError(f"{what} must be a whole number")
    return int(number)


def to_set(values: list[Any]) -> list[Any]:
    """Terraform's set of `values`: de-duplicated; strings sorted lexically, as Terraform iterates them."""
    unique: list[Any] = []
    for value in values:
        if not any(tf_equal(value, seen) for seen in unique):
            unique.append(value)
    if all(isinstance(v, str) for v in unique):
        return sorted(unique)
    return unique


# Strings


@tf_function("format", 1, None)
def _format(args: list[Any], call: FunctionCall) -> str:
    return format_string(to_string(args[0]), args[1:])


_VERB = re.compile(r"%(?:(%)|(?:\[(\d+)\])?([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z]))")


def format_string(spec: str, args: list[Any]) -> str:
    """Terraform's `format`: Go-style verbs `%s %d %f %v %q %t %x %X %o %b %e %g`, widths and `%[n]`.

    A `*` width or precision (taken from an argument) is not evaluated; widths and the text built are bounded by
    `MAX_STRING`, checked before each piece is built."""
    position = 0
    out = _Text()
    cursor = 0
    for match in _VERB.finditer(spec):
        out.append(spec[cursor:match.start()])
        cursor = match.end()
        if match.group(1):
            out.append("%")
            continue
        explicit, flags, width, precision, verb = match.group(2, 3, 4, 5, 6)
        if "*" in (width, precision):
            raise NotEvaluated("format: a * width or precision (taken from an argument) is not evaluated by aiwell")
        if int(width or 0) > MAX_STRING or int(precision or 0) > MAX_STRING:
            raise NotEvaluated(f"format: a width or precision over {MAX_STRING} is not evaluated by aiwell")
        if explicit is not None:
            if int(explicit) < 1:
                raise EvalError(f"format: argument index {explicit} in {match.group(0)!r} must be 1 or more")
            position = int(explicit) - 1
        if position >= len(args):
            raise EvalError(f"format: not enough arguments for {match.group(0)!r}")
        value = args[position]
        position += 1
        out.append(_format_verb(verb, "%" + flags + (width or "") + (f".{precision}" if precision else ""),
                                value))
    out.append(spec[cursor:])
    return "".join(out.pieces)


def _format_verb(verb: str, python_spec: str, value: Any) -> str:
    if verb in ("s", "v"):
        if isinstance(value, (str, int, float, bool)):
            text = to_string(value)
        else:
            _fits(value, "format")
            text = json.dumps(value)
        return (python_spec + "s") % text
    if verb == "q":
        return (python_spec + "s") % json.dumps(to_string(value), ensure_ascii=False)
    if verb == "t":
        return (python_spec + "s") % to_string(to_bool(value))
    number = to_number(value)
    if verb == "d":
        return (python_spec + "d") % _int(number, "format %d")
    if verb in ("f", "F", "e", "E", "g", "G"):
        return (python_spec + verb) % number
    if verb in ("x", "X", "o"):
        return (python_spec + verb) % _int(number, f"format %{verb}")
    if verb == "b":
        return format(_int(number, "format %b"), "b")
    raise EvalError(f"format: unsupported verb %{verb}")


@tf_function("formatlist", 1, None)
def _formatlist(args: list[Any], call: FunctionCall) -> list[str]:
    lengths = {len(a) for a in args[1:] if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist: all list arguments must have the same length")
    count = lengths.pop() if lengths else 1
    results: list[str] = []
    for i in range(count):
        call.scope.budget.spend()
        results.append(format_string(to_string(args[0]), [a[i] if isinstance(a, list) else a for a in args[1:]]))
        call.scope.budget.build(len(results[-1]))
    return results


def _string_function(name: str, operation: Callable[[str], str]) -> None:
    tf_function(name, 1)(lambda args, call: operation(to_string(args[0])))


_string_function("lower", str.lower)
_string_function("upper", str.upper)
_string_function("title", lambda s: re.sub(r"\b[a-z]", lambda m: m.group(0).upper(), s))
_string_function("trimspace", str.strip)
_string_function("chomp", lambda s: re.sub(r"(\r\n|\n|\r)+$", "", s))
_string_function("base64encode", lambda s: base64.b64encode(s.encode()).decode())
_string_function("sha256", lambda s: hashlib.sha256(s.encode()).hexdigest())
_string_function("sha1", lambda s: hashlib.sha1(s.encode()).hexdigest())  # noqa: S324 - Terraform's function
_string_function("sha512", lambda s: hashlib.sha512(s.encode()).hexdigest())
_string_function("md5", lambda s: hashlib.md5(s.encode()).hexdigest())  # noqa: S324 - Terraform's function
_string_function("urlencode", lambda s: re.sub(r"[^A-Za-z0-9\-_.~]",
                                               lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), s))
_string_function("basename", lambda s: s.rstrip("/").rsplit("/", 1)[-1] if s.strip("/") else s[:1])
_string_function("dirname", lambda s: s.rstrip("/").rsplit("/", 1)[0] if "/" in s.rstrip("/") else ".")
_string_function("strrev", lambda s: s[::-1])


@tf_function("base64decode", 1)
def _base64decode(args: list[Any], call: FunctionCall) -> str:
    try:
        return base64.b64decode(to_string(args[0]), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise EvalError("base64decode: not valid base64 of UTF-8 text") from None


@tf_function("tostring", 1)
def _tostring(args: list[Any], call: FunctionCall) -> str | None:
    return None if args[0] is None else to_string(args[0])


@tf_function("trim", 2)
def _trim(args: list[Any], call: FunctionCall) -> str:
    return to_string(args[0]).strip(to_string(args[1]))


@tf_function("trimprefix", 2)
def _trimprefix(args: list[Any], call: FunctionCall) -> str:
    return to_string(args[0]).removeprefix(to_string(args[1]))


@tf_function("trimsuffix", 2)
def _trimsuffix(args: list[Any], call: FunctionCall) -> str:
    return to_string(args[0]).removesuffix(to_string(args[1]))


@tf_function("replace", 3)
def _replace(args: list[Any], call: FunctionCall) -> str:
    text, search, replacement = (to_string(a) for a in args)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        pattern = _regex(search[1:-1])
        out = _Text()
        cursor = 0
        for match in _go_matches(pattern, text):
            out.append(text[cursor:match.start()])
            out.append(_expand(replacement, pattern, match))
            cursor = match.end()
        out.append(text[cursor:])
        return "".join(out.pieces)
    if search and len(text) + text.count(search) * (len(replacement) - len(search)) > MAX_STRING:
        raise NotEvaluated(f"replace() would build more than {MAX_STRING} characters")
    if not search and len(text) * (len(replacement) + 1) > MAX_STRING:
        raise NotEvaluated(f"replace() would build more than {MAX_STRING} characters")
    return text.replace(search, replacement)


_TEMPLATE_NAME = re.compile(r"\{(\w+)\}|(\w+)")


def _expand(template: str, pattern: Any, match: Any) -> str:
    """A replacement as Go's `Regexp.Expand` reads it: `$1`, `$name` or `${name}` (the longest name), `$$` for
    `$`; a group that does not exist or did not match is empty; a `$` not followed by a name is kept."""
    out: list[str] = []
    cursor = 0
    while True:
        dollar = template.find("$", cursor)
        if dollar < 0:
            out.append(template[cursor:])
            return "".join(out)
        out.append(template[cursor:dollar])
        if template.startswith("$$", dollar):
            out.append("$")
            cursor = dollar + 2
            continue
        name = _TEMPLATE_NAME.match(template, dollar + 1)
        if name is None:
            out.append("$")
            cursor = dollar + 1
            continue
        group = name.group(1) or name.group(2)
        cursor = name.end()
        if group.isdigit():
            index = int(group)
            value = match.group(index) if index <= pattern.groups else None
        else:
            value = match.group(group) if group in pattern.groupindex else None
        out.append(value or "")


@tf_function("split", 2)
def _split(args: list[Any], call: FunctionCall) -> list[str]:
    separator, text = to_string(args[0]), to_string(args[1])
    if separator == "":
        return list(text)
    return text.split(separator)


@tf_function("join", 2)
def _join(args: list[Any], call: FunctionCall) -> str:
    separator = to_string(args[0])
    parts = [to_string(v) for v in _list(args[1], "join's second argument")]
    if sum(len(part) for part in parts) + len(separator) * len(parts) > MAX_STRING:
        raise NotEvaluated(f"join() would build more than {MAX_STRING} characters")
    return separator.join(parts)


@tf_function("substr", 3)
def _substr(args: list[Any], call: FunctionCall) -> str:
    text = to_string(args[0])
    offset, length = _int(args[1], "substr offset"), _int(args[2], "substr length")
    if offset < 0:
        offset = max(len(text) + offset, 0)
    return text[offset:] if length < 0 else text[offset:offset + length]


@tf_function("startswith", 2)
def _startswith(args: list[Any], call: FunctionCall) -> bool:
    return to_string(args[0]).startswith(to_string(args[1]))


@tf_function("endswith", 2)
def _endswith(args: list[Any], call: FunctionCall) -> bool:
    return to_string(args[0]).endswith(to_string(args[1]))


@tf_function("strcontains", 2)
def _strcontains(args: list[Any], call: FunctionCall) -> bool:
    return to_string(args[1]) in to_string(args[0])


@tf_function("indent", 2)
def _indent(args: list[Any], call: FunctionCall) -> str:
    width = _int(args[0], "indent")
    text = to_string(args[1])
    if len(text) + max(width, 0) * text.count("\n") > MAX_STRING:
        raise NotEvaluated(f"indent() would build more than {MAX_STRING} characters")
    return text.replace("\n", "\n" + " " * width)


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # an invalid pattern is reported in the review, not printed by the C++ library


def _regex(pattern: str) -> Any:
    """A compiled RE2 pattern (RE2 syntax is what Go's `regexp`, Terraform's engine, implements)."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as error:
        detail = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) \
            else str(error)
        raise EvalError(f"invalid regular expression: {detail}") from None
    except UnicodeEncodeError:
        raise EvalError("invalid regular expression: it is not valid Unicode text") from None


def _go_matches(pattern: Any, text: str) -> list[Any]:
    """The successive matches Go's `FindAll`/`ReplaceAll` see: an empty match right after a match is skipped."""
    matches: list[Any] = []
    previous_end = -1
    try:
        for match in pattern.finditer(text):
            if match.start() == match.end() == previous_end:
                continue
            matches.append(match)
            previous_end = match.end()
            if len(matches) > MAX_COLLECTION:
                raise NotEvaluated(f"more than {MAX_COLLECTION} matches")
    except UnicodeEncodeError:
        raise EvalError("the text is not valid Unicode text") from None
    return matches


def _match_value(pattern: Any, match: Any) -> Any:
    if pattern.groupindex:
        return {name: match.group(name) for name in pattern.groupindex}
    if pattern.groups:
        return list(match.groups())
    return match.group(0)


@tf_function("regex", 2)
def _regex_function(args: list[Any], call: FunctionCall) -> Any:
    pattern = _regex(to_string(args[0]))
    try:
        match = pattern.search(to_string(args[1]))
    except UnicodeEncodeError:
        raise EvalError("regex: the text is not valid Unicode text") from None
    if match is None:
        raise EvalError("regex: the pattern did not match")
    return _match_value(pattern, match)


@tf_function("regexall", 2)
def _regexall(args: list[Any], call: FunctionCall) -> list[Any]:
    pattern = _regex(to_string(args[0]))
    return [_match_value(pattern, m) for m in _go_matches(pattern, to_string(args[1]))]


# Numbers


@tf_function("abs", 1)
def _abs(args: list[Any], call: FunctionCall) -> int | float:
    return abs(to_number(args[0]))


@tf_function("ceil", 1)
def _ceil(args: list[Any], call: FunctionCall) -> int | float:
    return _normal(math.ceil(to_number(args[0])))


@tf_function("floor", 1)
def _floor(args: list[Any], call: FunctionCall) -> int | float:
    return _normal(math.floor(to_number(args[0])))


@tf_function("signum", 1)
def _signum(args: list[Any], call: FunctionCall) -> int:
    number = to_number(args[0])
    return (number > 0) - (number < 0)


@tf_function("pow", 2)
def _pow(args: list[Any], call: FunctionCall) -> int | float:
    try:
        result = float(to_number(args[0])) ** float(to_number(args[1]))
    except ZeroDivisionError as error:
        raise EvalError(f"pow: {error}") from None
    except OverflowError:
        raise NotEvaluated(OUT_OF_RANGE) from None
    if isinstance(result, complex):
        raise EvalError("pow: a negative number to a fractional power is not a real number")
    return _normal(result)


@tf_function("log", 2)
def _log(args: list[Any], call: FunctionCall) -> int | float:
    try:
        return _normal(math.log(to_number(args[0]), to_number(args[1])))
    except (ValueError, ZeroDivisionError) as error:
        raise EvalError(f"log: {error}") from None


@tf_function("parseint", 2)
def _parseint(args: list[Any], call: FunctionCall) -> int | float:
    base = _int(args[1], "parseint base")
    if not 2 <= base <= 62:
        raise EvalError(f"parseint: the base must be between 2 and 62, not {base}")
    if base > 36:
        raise NotEvaluated("parseint: bases above 36 are not evaluated by aiwell")
    text = to_string(args[0])
    if len(text) > 1024:
        raise NotEvaluated("parseint: numbers over 1024 digits are not evaluated by aiwell")
    try:
        return _normal(int(text, base))
    except ValueError:
        raise EvalError(f"parseint: {text!r} is not a number in base {base}") from None


def _numbers(args: list[Any], name: str) -> list[int | float]:
    if not args:
        raise EvalError(f"{name}() needs at least one argument")
    return [to_number(a) for a in args]


@tf_function("min", 1, None)
def _min(args: list[Any], call: FunctionCall) -> int | float:
    return min(_numbers(args, "min"))


@tf_function("max", 1, None)
def _max(args: list[Any], call: FunctionCall) -> int | float:
    return max(_numbers(args, "max"))


@tf_function("sum", 1)
def _sum(args: list[Any], call: FunctionCall) -> int | float:
    values = _list(args[0], "sum's argument")
    if not values:
        raise EvalError("sum: the list is empty")
    return _normal(sum(to_number(v) for v in values))


@tf_function("tonumber", 1)
def _tonumber(args: list[Any], call: FunctionCall) -> int | float | None:
    return None if args[0] is None else to_number(args[0])


@tf_function("tobool", 1)
def _tobool(args: list[Any], call: FunctionCall) -> bool | None:
    return None if args[0] is None else to_bool(args[0])


# Collections


@tf_function("length", 1, deep=False)
def _length(args: list[Any], call: FunctionCall) -> int:
    value = args[0]
    if isinstance(value, (list, dict, str)):
        return len(value)
    raise EvalError(f"length: a {type_name(value)} has no length")


@tf_function("concat", 0, None, deep=False)
def _concat(args: list[Any], call: FunctionCall) -> list[Any]:
    result: list[Any] = []
    for arg in args:
        result.extend(_list(arg, "each concat argument"))
    return result


@tf_function("merge", 0, None, deep=False)
def _merge(args: list[Any], call: FunctionCall) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for arg in args:
        if arg is not None:
            result.update(_map(arg, "each merge argument"))
    return result


@tf_function("lookup", 2, 3, deep=False)
def _lookup(args: list[Any], call: FunctionCall) -> Any:
    mapping = _map(args[0], "lookup's first argument")
    key = args[1]
    if isinstance(key, Unresolved):
        return key
    text = to_string(key)
    if text in mapping:
        return mapping[text]
    if len(args) == 3:
        return args[2]
    raise EvalError(f"lookup: the map has no key {text!r} and no default was given")


@tf_function("keys", 1, deep=False)
def _keys(args: list[Any], call: FunctionCall) -> list[str]:
    return sorted(_map(args[0], "keys' argument"))


@tf_function("values", 1, deep=False)
def _values(args: list[Any], call: FunctionCall) -> list[Any]:
    mapping = _map(args[0], "values' argument")
    return [mapping[k] for k in sorted(mapping)]


@tf_function("contains", 2)
def _contains(args: list[Any], call: FunctionCall) -> bool:
    return any(tf_equal(item, args[1]) for item in _list(args[0], "contains' first argument"))


@tf_function("element", 2, deep=False)
def _element(args: list[Any], call: FunctionCall) -> Any:
    items = _list(args[0], "element's first argument")
    if isinstance(args[1], Unresolved):
        return args[1]
    if not items:
        raise EvalError("element: the list is empty")
    return items[_int(args[1], "element index") % len(items)]


@tf_function("index", 2)
def _index(args: list[Any], call: FunctionCall) -> int:
    for position, item in enumerate(_list(args[0], "index's first argument")):
        if tf_equal(item, args[1]):
            return position
    raise EvalError("index: the value is not in the list")


@tf_function("range", 1, 3)
def _range(args: list[Any], call: FunctionCall) -> list[int | float]:
    numbers = [to_number(a) for a in args]
    start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (numbers[0], numbers[1],
                                                                     numbers[2] if len(numbers) == 3 else
                                                                     (1 if numbers[1] >= numbers[0] else -1))
    if step == 0:
        raise EvalError("range: the step can't be zero")
    try:
        span = (stop - start) / step
    except OverflowError:
        span = math.inf
    # Terraform refuses more than 1024 values (its documented limit).
    if span > _RANGE_LIMIT:
        raise EvalError(f"range: more than {_RANGE_LIMIT} values")
    return [_normal(start + i * step) for i in range(max(math.ceil(span), 0))]


_RANGE_LIMIT = 1024


@tf_function("toset", 1)
def _toset(args: list[Any], call: FunctionCall) -> list[Any] | None:
    return None if args[0] is None else to_set(_list(args[0], "toset's argument"))


@tf_function("tolist", 1, deep=False)
def _tolist(args: list[Any], call: FunctionCall) -> list[Any] | None:
    return None if args[0] is None else _list(args[0], "tolist's argument")


@tf_function("tomap", 1, deep=False)
def _tomap(args: list[Any], call: FunctionCall) -> dict[str, Any] | None:
    return None if args[0] is None else _map(args[0], "tomap's argument")


@tf_function("coalesce", 1, None, deep=False)
def _coalesce(args: list[Any], call: FunctionCall) -> Any:
    for arg in args:
        if isinstance(arg, Unresolved):
            return arg
        if arg is not None and arg != "":
            return arg
    raise EvalError("coalesce: no non-null, non-empty argument")


@tf_function("coalescelist", 1, None, deep=False)
def _coalescelist(args: list[Any], call: FunctionCall) -> list[Any]:
    for arg in args:
        if _list(arg, "each coalescelist argument"):
            return list(arg)
    raise EvalError("coalescelist: all lists are empty")


@tf_function("compact", 1)
def _compact(args: list[Any], call: FunctionCall) -> list[str]:
    return [to_string(v) for v in _list(args[0], "compact's argument") if v is not None and v != ""]


@tf_function("distinct", 1)
def _distinct(args: list[Any], call: FunctionCall) -> list[Any]:
    unique: list[Any] = []
    for value in _list(args[0], "distinct's argument"):
        if not any(tf_equal(value, seen) for seen in unique):
            unique.append(value)
    return unique


def _flatten_into(value: list[Any], out: list[Any], depth: int) -> None:
    if depth > 64:
        raise EvalError("flatten: nested too deeply")
    for item in value:
        if isinstance(item, Unresolved):
            raise _UnresolvedFlatten(item)
        if isinstance(item, list):
            _flatten_into(item, out, depth + 1)
        else:
            out.append(item)


class _UnresolvedFlatten(Exception):
    def __init__(self, value: Unresolved) -> None:
        super().__init__(value.reason)
        self.value = value


@tf_function("flatten", 1, deep=False)
def _flatten(args: list[Any], call: FunctionCall) -> Any:
    out: list[Any] = []
    try:
        _flatten_into(_list(args[0], "flatten's argument"), out, 0)
    except _UnresolvedFlatten as unresolved:
        return Unresolved(source_text(call.node), unresolved.value.reason)
    return out


@tf_function("reverse", 1, deep=False)
def _reverse(args: list[Any], call: FunctionCall) -> list[Any]:
    return list(reversed(_list(args[0], "reverse's argument")))


@tf_function("slice", 3, deep=False)
def _slice(args: list[Any], call: FunctionCall) -> list[Any]:
    items = _list(args[0], "slice's first argument")
    start, end = _int(args[1], "slice start"), _int(args[2], "slice end")
    if not 0 <= start <= end <= len(items):
        raise EvalError(f"slice: indexes {start}..{end} are out of range for {len(items)} elements")
    return items[start:end]


@tf_function("sort", 1)
def _sort(args: list[Any], call: FunctionCall) -> list[str]:
    return sorted(to_string(v) for v in _list(args[0], "sort's argument"))


@tf_function("chunklist", 2, deep=False)
def _chunklist(args: list[Any], call: FunctionCall) -> list[list[Any]]:
    items = _list(args[0], "chunklist's first argument")
    size = _int(args[1], "chunklist size")
    if size < 0:
        raise EvalError("chunklist: the size can't be negative")
    if size == 0:
        return [items]
    return [items[i:i + size] for i in range(0, len(items), size)]


@tf_function("zipmap", 2, deep=False)
def _zipmap(args: list[Any], call: FunctionCall) -> Any:
    keys, values = _list(args[0], "zipmap keys"), _list(args[1], "zipmap values")
    if len(keys) != len(values):
        raise EvalError("zipmap: the lists have different lengths")
    for key in keys:
        if isinstance(key, Unresolved):
            return Unresolved(source_text(call.node), f"a key is unresolved: {key.reason}")
    return {to_string(k): v for k, v in zip(keys, values, strict=True)}


@tf_function("setunion", 1, None)
def _setunion(args: list[Any], call: FunctionCall) -> list[Any]:
    return to_set([v for arg in args for v in _list(arg, "each setunion argument")])


@tf_function("setintersection", 1, None)
def _setintersection(args: list[Any], call: FunctionCall) -> list[Any]:
    first = to_set(_list(args[0], "setintersection's arguments"))
    others = [_list(a, "setintersection's arguments") for a in args[1:]]
    return [v for v in first if all(any(tf_equal(v, o) for o in other) for other in others)]


@tf_function("setsubtract", 2)
def _setsubtract(args: list[Any], call: FunctionCall) -> list[Any]:
    removed = _list(args[1], "setsubtract's second argument")
    return [v for v in to_set(_list(args[0], "setsubtract's first argument"))
            if not any(tf_equal(v, r) for r in removed)]


@tf_function("setproduct", 1, None)
def _setproduct(args: list[Any], call: FunctionCall) -> list[list[Any]]:
    result: list[list[Any]] = [[]]
    for arg in args:
        result = [prefix + [v] for prefix in result for v in _list(arg, "each setproduct argument")]
        if len(result) > MAX_COLLECTION:
            raise EvalError("setproduct: too many elements")
    return result


@tf_function("one", 1, deep=False)
def _one(args: list[Any], call: FunctionCall) -> Any:
    items = _list(args[0], "one's argument")
    if len(items) > 1:
        raise EvalError(f"one: the list has {len(items)} elements")
    return items[0] if items else None


@tf_function("alltrue", 1)
def _alltrue(args: list[Any], call: FunctionCall) -> bool:
    return all(to_bool(v) for v in _list(args[0], "alltrue's argument"))


@tf_function("anytrue", 1)
def _anytrue(args: list[Any], call: FunctionCall) -> bool:
    return any(to_bool(v) for v in _list(args[0], "anytrue's argument"))


@tf_function("transpose", 1)
def _transpose(args: list[Any], call: FunctionCall) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, values in sorted(_map(args[0], "transpose's argument").items()):
        for value in _list(values, "each transpose value"):
            result.setdefault(to_string(value), []).append(key)
    return result


# Encoding


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@tf_function("jsonencode", 1)
def _jsonencode(args: list[Any], call: FunctionCall) -> str:
    _fits(args[0], "jsonencode")
    return json.dumps(args[0], separators=(",", ":"), default=_json_value, ensure_ascii=False)


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` with each lone UTF-16 surrogate (which a JSON `\\ud800` escape can produce) replaced by U+FFFD, as
    Go's JSON decoder, which Terraform uses, replaces it."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _json_number(text: str) -> Any:
    if text.lstrip("-").isdigit():
        number: int | float = int(text) if len(text) <= 400 else math.inf
    else:
        number = float(text)
    if isinstance(number, int) and abs(number) <= _FLOAT_MAX:
        return number
    if isinstance(number, float) and math.isfinite(number):
        return number
    return Unresolved(text, OUT_OF_RANGE)


def _json_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


JSON_DECODER = json.JSONDecoder(parse_float=_json_number, parse_int=_json_number, parse_constant=_json_constant)
"""Decodes JSON numbers as Terraform's decoder reads them (see `decode_json`); strings are left to `valid_text`."""


def decode_json(text: str) -> Any:
    """JSON text decoded as Terraform's decoder reads it: numbers beyond float range `Unresolved` (Terraform's are
    arbitrary precision), lone surrogates replaced, `NaN`/`Infinity` rejected. Raises `ValueError`."""
    value = JSON_DECODER.decode(text)
    return _clean_strings(value) if "\\u" in text else value


def _clean_strings(value: Any) -> Any:
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_text(k): _clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_strings(v) for v in value]
    return value


@tf_function("jsondecode", 1)
def _jsondecode(args: list[Any], call: FunctionCall) -> Any:
    try:
        return decode_json(to_string(args[0]))
    except (ValueError, RecursionError) as error:
        raise EvalError(f"jsondecode: {error}") from None


@tf_function("yamlencode", 1)
def _yamlencode(args: list[Any], call: FunctionCall) -> str:
    _fits(args[0], "yamlencode")
    return str(yaml.safe_dump(args[0], default_flow_style=False, sort_keys=True))


@tf_function("yamldecode", 1)
def _yamldecode(args: list[Any], call: FunctionCall) -> Any:
    try:
        document = yaml.safe_load(to_string(args[0]))
    except (yaml.YAMLError, RecursionError) as error:
        raise EvalError(f"yamldecode: {error}") from None
    return _YamlValues().convert(document, 0)


class _YamlValues:
    """PyYAML's values as Terraform's: timestamps are strings, numbers beyond range unresolved; aliases expanded
    at most `MAX_COLLECTION` values in all (a document of nested aliases can stand for billions)."""

    def __init__(self) -> None:
        self.count = 0

    def convert(self, value: Any, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_COLLECTION or depth > 64:
            raise NotEvaluated(f"yamldecode: the document holds more than {MAX_COLLECTION} values or nests too "
                               "deeply")
        if isinstance(value, str):
            return valid_text(value)
        if isinstance(value, bool) or value is None or isinstance(value, int) and abs(value) <= _FLOAT_MAX:
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else Unresolved(repr(value), OUT_OF_RANGE)
        if isinstance(value, int):
            return Unresolved(str(value)[:40], OUT_OF_RANGE)
        if isinstance(value, dict):
            return {valid_text(str(k)) if not isinstance(k, str) else valid_text(k): self.convert(v, depth + 1)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.convert(v, depth + 1) for v in value]
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return Unresolved(type(value).__name__, "yamldecode: a YAML value aiwell does not read")


# Errors and types


@tf_function("try", 1, None, lazy=True)
def _try(args: list[Any], call: FunctionCall) -> Any:
    reasons = []
    for node in args:
        try:
            return evaluate(node, call.scope)
        except NotEvaluated as unknown:
            # Terraform would have a value here, so try() returns it: not known to aiwell.
            return Unresolved(source_text(call.node), unknown.reason)
        except EvalError as error:
            reasons.append(error.reason)
    raise EvalError("try: no argument could be evaluated (" + "; ".join(reasons) + ")")


@tf_function("can", 1, lazy=True)
def _can(args: list[Any], call: FunctionCall) -> Any:
    try:
        value = evaluate(args[0], call.scope)
    except NotEvaluated as unknown:
        return Unresolved(source_text(call.node), unknown.reason)
    except EvalError:
        return False
    unresolved = first_unresolved(value)
    if unresolved is not None:
        return Unresolved(source_text(call.node), unresolved.reason)
    return True


@tf_function("type", 1, deep=False)
def _type(args: list[Any], call: FunctionCall) -> str:
    return type_name(args[0])


@tf_function("sensitive", 1, deep=False)
def _sensitive(args: list[Any], call: FunctionCall) -> Any:
    return args[0]


@tf_function("nonsensitive", 1, deep=False)
def _nonsensitive(args: list[Any], call: FunctionCall) -> Any:
    return args[0]


@tf_function("issensitive", 1, deep=False)
def _issensitive(args: list[Any], call: FunctionCall) -> bool:
    return False


# Networking


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(to_string(value), strict=False)
    except ValueError as error:
        raise EvalError(f"invalid CIDR: {error}") from None


def _subnet(network: ipaddress.IPv4Network | ipaddress.IPv6Network, newbits: int, number: int) -> str:
    prefix = network.prefixlen + newbits
    if newbits < 0 or prefix > network.max_prefixlen:
        raise EvalError(f"cidrsubnet: can't add {newbits} bits to a /{network.prefixlen} prefix")
    if not 0 <= number < 2**newbits:
        raise EvalError(f"cidrsubnet: network number {number} doesn't fit in {newbits} bits")
    base = int(network.network_address) + (number << (network.max_prefixlen - prefix))
    return str(ipaddress.ip_network((base, prefix)))


@tf_function("cidrsubnet", 3)
def _cidrsubnet(args: list[Any], call: FunctionCall) -> str:
    return _subnet(_network(args[0]), _int(args[1], "cidrsubnet newbits"), _int(args[2], "cidrsubnet netnum"))


@tf_function("cidrsubnets", 1, None)
def _cidrsubnets(args: list[Any], call: FunctionCall) -> list[str]:
    network = _network(args[0])
    result: list[str] = []
    current = int(network.network_address)
    for bits in args[1:]:
        newbits = _int(bits, "cidrsubnets newbits")
        prefix = network.prefixlen + newbits
        if newbits <= 0 or prefix > network.max_prefixlen:
            raise EvalError(f"cidrsubnets: can't add {newbits} bits")
        size = 1 << (network.max_prefixlen - prefix)
        current = (current + size - 1) // size * size
        subnet = ipaddress.ip_network((current, prefix))
        if not subnet.subnet_of(network):  # type: ignore[arg-type]
            raise EvalError("cidrsubnets: not enough address space")
        result.append(str(subnet))
        current += size
    return result


@tf_function("cidrhost", 2)
def _cidrhost(args: list[Any], call: FunctionCall) -> str:
    network = _network(args[0])
    number = _int(args[1], "cidrhost hostnum")
    if number < 0:
        number += network.num_addresses
    if not 0 <= number < network.num_addresses:
        raise EvalError(f"cidrhost: host number {number} is outside the network")
    return str(network.network_address + number)


@tf_function("cidrnetmask", 1)
def _cidrnetmask(args: list[Any], call: FunctionCall) -> str:
    return str(_network(args[0]).netmask)


# Files


def _read_file(path_value: Any, call: FunctionCall) -> tuple[Path, str]:
    """A file `file()` and friends read: a regular file (not a FIFO or a device) of at most `MAX_FILE_BYTES`,
    inside the reviewed tree; relative paths from the root module's directory, as Terraform reads them."""
    shown = to_string(path_value)
    path = Path(shown)
    if not path.is_absolute():
        path = call.scope.root_module_dir / path
    allowed = call.scope.allowed_root
    if allowed is not None and not within(path, allowed):
        raise EvalError(f"{shown} is outside the reviewed directory; not read")
    try:
        return path, valid_text(read_file_text(path, limit=MAX_FILE_BYTES))
    except ParseError as error:
        raise EvalError(f"can't read {shown}: {error.message}") from None


@tf_function("file", 1)
def _file(args: list[Any], call: FunctionCall) -> str:
    return _read_file(args[0], call)[1]


@tf_function("fileexists", 1)
def _fileexists(args: list[Any], call: FunctionCall) -> bool:
    try:
        _read_file(args[0], call)
    except EvalError:
        return False
    return True


@tf_function("filebase64", 1)
def _filebase64(args: list[Any], call: FunctionCall) -> str:
    return base64.b64encode(_read_file(args[0], call)[1].encode()).decode()


@tf_function("templatefile", 2)
def _templatefile(args: list[Any], call: FunctionCall) -> Any:
    path, text = _read_file(args[0], call)
    variables = _map(args[1], "templatefile's variables")
    try:
        template = parse_template(text)
    except ParseError as error:
        raise EvalError(f"templatefile {path.name}: {error.message}") from None
    scope = Scope(no_references, call.scope.budget, call.scope.module_dir, call.scope.root_module_dir,
                  call.scope.allowed_root, dict(variables))
    return evaluate(template, scope)


@tf_function("abspath", 1)
def _abspath(args: list[Any], call: FunctionCall) -> str:
    path = Path(to_string(args[0]))
    return (path if path.is_absolute() else call.scope.root_module_dir / path).resolve().as_posix()


@tf_function("pathexpand", 1)
def _pathexpand(args: list[Any], call: FunctionCall) -> Any:
    text = to_string(args[0])
    if text.startswith("~"):
        return Unresolved(source_text(call.node), "the home directory is only known where Terraform runs")
    return text


__all__ = [
    "FUNCTIONS",
    "JSON_DECODER",
    "MAX_BUILT_TEXT",
    "MAX_COLLECTION",
    "MAX_STEPS",
    "MAX_STRING",
    "Budget",
    "BudgetExceeded",
    "EvalError",
    "FunctionCall",
    "Resolver",
    "NotEvaluated",
    "ResourceInstance",
    "Scope",
    "TfFunction",
    "evaluate",
    "evaluate_value",
    "first_unresolved",
    "format_string",
    "get_attribute",
    "index_value",
    "iterate",
    "decode_json",
    "no_references",
    "plain",
    "source_text",
    "tf_equal",
    "tf_function",
    "to_bool",
    "to_number",
    "to_set",
    "to_string",
    "type_name",
    "valid_text",
]
