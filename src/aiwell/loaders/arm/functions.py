"""The ARM template function library, registered in one table by lower-case name.

Each function gets its evaluated arguments (lazy ones, `if` and `lambda`, get the unevaluated nodes). Unless
a function says otherwise, an argument that is or contains `Unresolved` makes the whole call `Unresolved`,
carrying the text of the call and the reason of the value it could not resolve. Functions whose result doesn't
depend on every value (`if`, `coalesce`, `and`, `or`, `createArray`, `length` of an array, ...) let unresolved
values through.

Argument errors a real deployment would reject (`length(1)`, `add('a', 1)`, `substring` out of range) raise
`TemplateError` naming the function and the reason: the template could not be deployed as written, so the
input is reported as not analysed rather than reviewed with a guess.

Nothing is made up. What only the deployment knows (`deployment().properties.templateHash`, the parameters
passed, a resource group's tags, a subscription's display name, a tenant's country, `utcNow()`, `reference()`
of a deployed resource) is `Unresolved` with the reason; so is a value aiwell can't reproduce exactly (the
default output format of `dateTimeAdd` for a base not in `yyyy-MM-ddTHH:mm:ssZ` form, anything computed from
text holding a lone surrogate). The subscription, group, tenant, location and top-level deployment name come
from `DeploymentContext`, whose defaults are documented placeholders.

No function builds a value past the work limits: a result's length is worked out before it is built (a
`format` precision or width, `replace`, `join`, `concat`, `split`, `string` of a large structure, `json` of a
huge text) and the call is refused first, with "expression work limit exceeded".

`uniqueString` is ARM's own algorithm (Microsoft's 64-bit MurmurHash variant over the UTF-8 of the arguments
joined by '-', rendered as 13 base32 characters); `guid` is ARM's UUID v5 over the arguments joined by '-' in
the namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830. Both match what Azure computes for the same inputs.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import ipaddress
import json
import math
import re
import struct
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from msgspec import Struct

from aiwell.errors import TemplateError
from aiwell.loaders.arm.expressions import (
    ArgumentError,
    FunctionCall,
    Node,
    StringLiteral,
    evaluate_in,
    evaluate_user_function,
    lookup_key,
    resolve_parameter,
    resolve_variable,
    type_name,
)
from aiwell.loaders.arm.identity import Opaque, Symbolic, join, normalised, symbolic
from aiwell.loaders.arm.scope import (
    MAX_ARRAY_LENGTH,
    MAX_STRING_LENGTH,
    RUNTIME_VALUE,
    EvalScope,
    RuntimeObject,
    declared,
)
from aiwell.loaders.jsonc import decode_json, strip_jsonc
from aiwell.model.values import Unresolved, first_unresolved

UnresolvedPolicy = Literal["deep", "shallow", "own", "lazy"]
"""How a function treats unresolved arguments: any unresolved value anywhere in the arguments makes the call
unresolved (`deep`); only an argument that is itself unresolved does (`shallow`); the function decides
(`own`); the function evaluates its own arguments (`lazy`)."""


class Call(Struct):
    """One call of a built-in function: its node, scope and evaluated arguments."""

    node: FunctionCall
    scope: EvalScope
    args: list[Any]

    @property
    def name(self) -> str:
        return self.node.name

    def error(self, reason: str) -> ArgumentError:
        """An `ArgumentError` naming the function and the call: the arguments don't suit the function."""
        return ArgumentError(f"{self.node.name}(): {reason} (in '{self.node.text}')")

    def unresolved(self, reason: str) -> Unresolved:
        """This call as an `Unresolved` value."""
        return Unresolved(self.node.text, reason)

    def string(self, index: int) -> str:
        value = self.args[index]
        if not isinstance(value, str):
            raise self.error(f"argument {index + 1} must be a string, not {type_name(value)}")
        return value

    def integer(self, index: int) -> int:
        value = self.args[index]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"argument {index + 1} must be an integer, not {type_name(value)}")
        return value

    def array(self, index: int) -> list[Any]:
        value = self.args[index]
        if not isinstance(value, list):
            raise self.error(f"argument {index + 1} must be an array, not {type_name(value)}")
        return value

    def object(self, index: int) -> dict[str, Any]:
        value = self.args[index]
        if not isinstance(value, dict):
            raise self.error(f"argument {index + 1} must be an object, not {type_name(value)}")
        return value

    def boolean(self, index: int) -> bool:
        value = self.args[index]
        if not isinstance(value, bool):
            raise self.error(f"argument {index + 1} must be a bool, not {type_name(value)}")
        return value

    def lambda_(self, index: int, arities: tuple[int, ...]) -> LambdaValue:
        value = self.args[index]
        if not isinstance(value, LambdaValue):
            raise self.error(f"argument {index + 1} must be a lambda, not {type_name(value)}")
        if len(value.parameters) not in arities:
            expected = " or ".join(str(a) for a in arities)
            raise self.error(f"the lambda must take {expected} parameter(s), not {len(value.parameters)}")
        return value


class LambdaValue(Struct, frozen=True):
    """A `lambda('x', body)`: parameter names, body and the scope it was written in."""

    parameters: tuple[str, ...]
    body: Node
    scope: EvalScope

    def __call__(self, *values: Any) -> Any:
        bindings = dict(zip(self.parameters, values, strict=False))
        return evaluate_in(self.body, self.scope.with_lambda_variables(bindings))


Implementation = Callable[[Call], Any]


class ArmFunction(Struct, frozen=True):
    """A built-in function: implementation, argument counts and how it treats unresolved arguments."""

    name: str
    implementation: Implementation
    min_args: int
    max_args: int | None
    unresolved: UnresolvedPolicy


FUNCTIONS: dict[str, ArmFunction] = {}
"""Every built-in function aiwell evaluates, by lower-case name."""

DEPLOYMENT_TIME_FUNCTIONS = {
    "reference": "reference() reads a deployed resource's runtime state",
    "newguid": "newGuid() is random at deployment time",
    "utcnow": "utcNow() is the time of the deployment",
    "pickzones": "pickZones() depends on the subscription's zone mapping",
    "providers": "providers() reads the subscription's resource providers",
    "deployer": "deployer() is the identity that runs the deployment",
}
"""Functions whose value exists only at deployment time: always `Unresolved`, with why (`list*` too)."""


def arm_function(
    name: str, min_args: int = 0, max_args: int | None = None, unresolved: UnresolvedPolicy = "deep"
) -> Callable[[Implementation], Implementation]:
    """Register `name` (case-insensitive) as a built-in function."""

    def register(implementation: Implementation) -> Implementation:
        FUNCTIONS[name.lower()] = ArmFunction(name, implementation, min_args, max_args, unresolved)
        return implementation

    return register


def call_function(node: FunctionCall, scope: EvalScope) -> Any:
    """Evaluate the call `node` in `scope`."""
    key = node.name.lower()
    if "." in key:
        args = [evaluate_in(arg, scope) for arg in node.args]
        return evaluate_user_function(node, args, scope)
    if key == "reference":
        return _reference(node, scope)
    if key in DEPLOYMENT_TIME_FUNCTIONS or key.startswith("list"):
        # Arguments are still evaluated: an error in them is still an error.
        for arg in node.args:
            evaluate_in(arg, scope)
        reason = DEPLOYMENT_TIME_FUNCTIONS.get(key) or f"{node.name}() returns secrets or runtime values"
        return Unresolved(node.text, f"only known at deployment: {reason}")
    function = FUNCTIONS.get(key)
    if function is None:
        scope.note(f"function '{node.name}' is not supported by aiwell; values that use it are unresolved")
        return Unresolved(node.text, f"function '{node.name}' is not supported")
    count = len(node.args)
    if count < function.min_args or (function.max_args is not None and count > function.max_args):
        expected = (
            str(function.min_args) if function.min_args == function.max_args
            else f"at least {function.min_args}" if function.max_args is None
            else f"{function.min_args} to {function.max_args}"
        )
        raise TemplateError(
            f"{function.name}() takes {expected} argument(s), {count} given (in '{node.text}')"
        )
    if function.unresolved == "lazy":
        result = _run(function, Call(node, scope, []))
    else:
        args = [evaluate_in(arg, scope) for arg in node.args]
        blocking = None
        if function.unresolved != "own":
            blocking = _first_unresolved(args, deep=function.unresolved == "deep")
        if blocking is not None:
            return Unresolved(node.text, blocking.reason)
        result = _run(function, Call(node, scope, args))
    _check_size(result, node, scope, charge=key not in _ACCESSORS)
    return result


def _reference(node: FunctionCall, scope: EvalScope) -> Any:
    """`reference(nameOrId, [apiVersion], ['Full'])` of a resource or nested deployment declared in the same
    deployment (by symbol, name, id or unresolved id): what the template declares of it, its runtime values
    unresolved (a nested deployment's outputs are evaluated); any other resource's state is only known at
    deployment."""
    args = [evaluate_in(arg, scope) for arg in node.args]
    if 1 <= len(args) <= 3 and isinstance(args[0], str | Unresolved) and scope.declarations is not None:
        full = len(args) == 3 and isinstance(args[2], str) and args[2].lower() == "full"
        found = scope.declarations.reference(args[0], node.text, full=full, template=scope.template)
        if found is not None:
            return found
    return Unresolved(node.text, f"only known at deployment: {DEPLOYMENT_TIME_FUNCTIONS['reference']}")


_ACCESSORS = frozenset({"parameters", "variables", "lambdavariables", "if", "coalesce", "first", "last",
                        "tryget", "indexfromend", "tryindexfromend"})
"""Functions that return a value that already exists: size-checked, but its work was charged when built."""


def _run(function: ArmFunction, call: Call) -> Any:
    try:
        return function.implementation(call)
    except (ArithmeticError, ValueError, OSError) as exc:
        # Values out of every range (a date past year 9999, an infinite number): ARM rejects them too.
        raise call.error(f"the arguments are out of range ({exc})") from None


_SCALARS = frozenset({str, int, float, bool, type(None)})
"""Types of values that hold nothing unresolved."""


def _first_unresolved(values: list[Any], *, deep: bool) -> Unresolved | None:
    for value in values:
        if value.__class__ in _SCALARS:
            continue
        found = first_unresolved(value) if deep else value if isinstance(value, Unresolved) else None
        if found is not None:
            return found
    return None


def _check_size(result: Any, node: FunctionCall, scope: EvalScope, *, charge: bool) -> None:
    if isinstance(result, str):
        if charge:
            scope.charge(len(result) // 1024)
        if len(result) > MAX_STRING_LENGTH:
            raise TemplateError(f"expression work limit exceeded: '{node.text[:80]}' builds a string over 10 MB")
    elif isinstance(result, list | dict):
        if charge:
            scope.charge(len(result))
        if len(result) > MAX_ARRAY_LENGTH:
            raise TemplateError(
                f"expression work limit exceeded: '{node.text[:80]}' builds over {MAX_ARRAY_LENGTH:,} elements"
            )


def _too_large(call: Call, what: str) -> TemplateError:
    """The error for a call whose result would pass a work limit: raised before the result is built."""
    return TemplateError(f"expression work limit exceeded: '{call.node.text[:80]}' would build {what}")


def _room_for_string(call: Call, length: int) -> None:
    """Refuse to build a string of `length` characters when that is over the limit."""
    if length > MAX_STRING_LENGTH:
        raise _too_large(call, "a string over 10 MB")


def _room_for_array(call: Call, length: int) -> None:
    """Refuse to build an array of `length` elements when that is over the limit."""
    if length > MAX_ARRAY_LENGTH:
        raise _too_large(call, f"over {MAX_ARRAY_LENGTH:,} elements")


def _utf8(call: Call, text: str) -> bytes | Unresolved:
    """The UTF-8 bytes of `text`, or `Unresolved` when it holds a lone surrogate (an unpaired UTF-16 half).

    JSON can carry one (`"\\ud800"`), but it is not a character: which bytes Azure hashes or encodes for it is
    not documented, so a value computed from it would be a guess.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return call.unresolved("the text holds a lone UTF-16 surrogate (not a character); how Azure encodes "
                               "it is not documented")


# --- shared semantics ---------------------------------------------------------------------------------------


def arm_equals(left: Any, right: Any) -> bool:
    """ARM's deep equality: same type and value (1 is not true; strings compare case-sensitively)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        pass  # a declared value read through reference() is an object like any other
    elif type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(arm_equals(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        if len(left) != len(right):
            return False
        for key, value in left.items():
            found, other = lookup_key(right, key)
            if not found or not arm_equals(value, other):
                return False
        return True
    return bool(left == right)


def to_arm_string(value: Any) -> str:
    """A value as ARM's `string()` renders it: JSON for arrays and objects, `True`/`False` for bools."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if _json_text_exceeds(value, MAX_STRING_LENGTH):
        raise TemplateError("expression work limit exceeded: a value's JSON text would be over 10 MB")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _json_text_exceeds(value: Any, limit: int) -> bool:
    """Whether the compact JSON text of `value` is longer than `limit` (counted without building it).

    Every element pushed adds at least one character, so the work stops soon after the limit is passed, even for
    an array holding the same large array many times over.
    """
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + len(item) + sum(len(str(key)) + 3 for key in item)
            pending.extend(item.values())
        elif isinstance(item, list):
            total += 2 + len(item)
            pending.extend(item)
        else:
            total += 5
        if total > limit:
            return True
    return False


def _ordered(call: Call, left: Any, right: Any) -> int:
    """-1, 0 or 1 comparing two integers or two strings (ordinal), as the comparison functions do."""
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers) and not isinstance(left, bool | str) and not (
        isinstance(right, bool)
    ):
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    raise call.error(
        f"can only compare two integers or two strings, not {type_name(left)} and {type_name(right)}"
    )


# --- string functions ---------------------------------------------------------------------------------------


@arm_function("base64", 1, 1)
def _base64(call: Call) -> str | Unresolved:
    data = _utf8(call, call.string(0))
    if isinstance(data, Unresolved):
        return data
    return base64.b64encode(data).decode()


def _decode_base64(call: Call, text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise call.error(f"'{text[:40]}' is not valid base64 text ({exc})") from None


@arm_function("base64ToString", 1, 1)
def _base64_to_string(call: Call) -> str:
    return _decode_base64(call, call.string(0))


@arm_function("base64ToJson", 1, 1)
def _base64_to_json(call: Call) -> Any:
    return _parse_json(call, _decode_base64(call, call.string(0)))


_MAX_JSON_VALUES = 10 * MAX_ARRAY_LENGTH
"""Most values `json()` decodes: decoded JSON takes tens of times the memory of its text."""


def _parse_json(call: Call, text: str) -> Any:
    # Every element after the first of an array or object follows a comma: an upper bound, counted in C.
    if text.count(",") + text.count("[") + text.count("{") > _MAX_JSON_VALUES:
        raise _too_large(call, f"over {_MAX_JSON_VALUES:,} JSON values")
    try:
        try:
            return decode_json(text)
        except json.JSONDecodeError:
            # ARM's JSON reader skips comments, as in templates (Bicep's loadJsonContent of a .jsonc file).
            return decode_json(strip_jsonc(text))
    except ValueError as exc:
        raise call.error(f"not valid JSON: {exc}") from None


@arm_function("concat", 0, None, unresolved="own")
def _concat(call: Call) -> Any:
    args = call.args
    if all(a.__class__ is str for a in args):
        # The usual call, strings only: the same as below, without the checks that can't apply.
        _room_for_string(call, sum(map(len, args)))
        return "".join(args)
    arrays_only = all(isinstance(a, list) or a is None for a in args)
    if args and arrays_only and any(isinstance(a, list) for a in args):
        # Arrays concatenate element by element; unresolved elements are kept where they are.
        _room_for_array(call, sum(len(item) for item in args if item))
        result: list[Any] = []
        for item in args:
            result.extend(item or [])
        return result
    blocking = _first_unresolved(args, deep=True)
    if blocking is not None:
        return call.unresolved(blocking.reason)
    if any(isinstance(a, list) for a in args):
        raise call.error("can't mix arrays and strings")
    pieces = [to_arm_string(a) for a in args]
    _room_for_string(call, sum(len(piece) for piece in pieces))
    return "".join(pieces)


@arm_function("contains", 2, 2, unresolved="shallow")
def _contains(call: Call) -> bool | Unresolved:
    container, item = call.args
    if isinstance(container, dict):
        # The keys are known even where values are not.
        return isinstance(item, str) and lookup_key(container, item)[0]
    blocking = _first_unresolved([container, item], deep=True)
    if isinstance(container, list) and first_unresolved(item) is None and any(
            first_unresolved(element) is None and arm_equals(element, item) for element in container):
        return True
    if blocking is not None:
        return call.unresolved(blocking.reason)
    if isinstance(container, str):
        return to_arm_string(item) in container
    if isinstance(container, list):
        return False
    raise call.error(f"argument 1 must be an array, object or string, not {type_name(container)}")


@arm_function("dataUri", 1, 1)
def _data_uri(call: Call) -> str | Unresolved:
    data = _utf8(call, call.string(0))
    if isinstance(data, Unresolved):
        return data
    return f"data:text/plain;charset=utf8;base64,{base64.b64encode(data).decode()}"


@arm_function("dataUriToString", 1, 1)
def _data_uri_to_string(call: Call) -> str:
    text = call.string(0)
    if not text.startswith("data:") or "," not in text:
        raise call.error(f"'{text[:40]}' is not a data URI")
    header, _, payload = text[5:].partition(",")
    if header.endswith(";base64"):
        return _decode_base64(call, payload)
    return urllib.parse.unquote(payload)


@arm_function("empty", 1, 1, unresolved="shallow")
def _empty(call: Call) -> bool:
    value = call.args[0]
    if value is None:
        return True
    if isinstance(value, str | list | dict):
        return len(value) == 0
    raise call.error(f"argument 1 must be an array, object or string, not {type_name(value)}")


@arm_function("endsWith", 2, 2)
def _ends_with(call: Call) -> bool:
    return call.string(0).lower().endswith(call.string(1).lower())


@arm_function("startsWith", 2, 2)
def _starts_with(call: Call) -> bool:
    return call.string(0).lower().startswith(call.string(1).lower())


def _units(text: str) -> str:
    """`text` as .NET holds it, one UTF-16 code unit per character: a character above U+FFFF becomes its two
    surrogates. ARM's string positions and lengths count these units (`length('😀')` is 2)."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    return "".join(c if c <= "\uffff" else chr(0xD7C0 + (ord(c) >> 10)) + chr(0xDC00 + (ord(c) & 0x3FF))
                   for c in text)


def _from_units(units: str) -> str:
    """Code units back to text: surrogate pairs become their characters; a pair cut in two stays cut."""
    if units.isascii() or not any("\ud800" <= c <= "\udbff" for c in units):
        return units
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


@arm_function("first", 1, 1, unresolved="shallow")
def _first(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, str):
        return _from_units(_units(value)[:1])
    if isinstance(value, list):
        return value[0] if value else None
    raise call.error(f"argument 1 must be an array or string, not {type_name(value)}")


@arm_function("last", 1, 1, unresolved="shallow")
def _last(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, str):
        return _from_units(_units(value)[-1:])
    if isinstance(value, list):
        return value[-1] if value else None
    raise call.error(f"argument 1 must be an array or string, not {type_name(value)}")


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}|[{}]")


def _fixed(value: int | float, precision: int, *, grouped: bool) -> str:
    """`value` with `precision` decimals, a midpoint rounded away from zero as .NET formats it (Python rounds a
    midpoint to even: `f"{2.5:.0f}"` is `2`, .NET's `2.5.ToString("F0")` is `3`)."""
    exact = decimal.Decimal(value)  # the exact binary value: 1.005 stays 1.00499..., as in .NET
    rounded = exact.quantize(decimal.Decimal(1).scaleb(-precision), rounding=decimal.ROUND_HALF_UP)
    return f"{rounded:,f}" if grouped else f"{rounded:f}"


def _format_number(call: Call, value: Any, spec: str) -> str:
    """A .NET standard numeric format string (`D3`, `N2`, `X`, `F1`, `P0`, `E`) or `000`."""
    letter, digits = spec[:1], spec[1:]
    precision = int(digits) if digits.isdigit() else None
    if precision is not None:
        # The precision is a length: `{0:D999999999}` would build a gigabyte before any size check.
        _room_for_string(call, precision)
    if isinstance(value, bool) or not isinstance(value, int | float):
        if spec:
            raise call.error(f"format specifier '{spec}' needs a number, not {type_name(value)}")
        return to_arm_string(value)
    upper = letter.upper()
    if upper == "D" and isinstance(value, int):
        text = str(abs(value)).rjust(precision or 0, "0")
        return f"-{text}" if value < 0 else text
    if upper == "X" and isinstance(value, int) and value >= 0:
        text = format(value, "x" if letter == "x" else "X")
        return text.rjust(precision or 0, "0")
    if upper == "N":
        return _fixed(value, 2 if precision is None else precision, grouped=True)
    if upper == "F":
        return _fixed(value, 2 if precision is None else precision, grouped=False)
    if upper == "P":
        return _fixed(value * 100, 2 if precision is None else precision, grouped=True) + " %"
    if upper == "E":
        text = f"{value:.{6 if precision is None else precision}e}"
        mantissa, _, exponent = text.partition("e")
        sign, exp_digits = exponent[0], exponent[1:].lstrip("0").rjust(3, "0")
        return f"{mantissa}{'E' if letter == 'E' else 'e'}{sign}{exp_digits}"
    if upper == "G" and not digits:
        return to_arm_string(value)
    if spec and set(spec) <= {"0", "#"} and isinstance(value, int):
        _room_for_string(call, len(spec))
        return str(value).rjust(spec.count("0"), "0")
    raise call.error(f"format specifier '{spec}' is not supported")


@arm_function("format", 1, None)
def _format(call: Call) -> str:
    template = call.string(0)
    values = call.args[1:]
    built = len(template)  # an upper bound of the literal text; items add what they build

    def replace(match: re.Match[str]) -> str:
        nonlocal built
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        if match.group(1) is None:
            raise call.error(f"'{token}' in the format string must be doubled to be literal")
        index = int(match.group(1))
        if index >= len(values):
            raise call.error(f"the format string uses argument {{{index}}} but only {len(values)} follow")
        spec = match.group(3) or ""
        width = int(match.group(2)) if match.group(2) else 0
        _room_for_string(call, built + abs(width))
        text = _format_number(call, values[index], spec) if spec else to_arm_string(values[index])
        built += max(len(text), abs(width))
        _room_for_string(call, built)
        return text.ljust(-width) if width < 0 else text.rjust(width)

    return _FORMAT_ITEM.sub(replace, template)


_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


@arm_function("guid", 1, None)
def _guid(call: Call) -> str | Unresolved:
    data = _utf8(call, "-".join(call.string(i) for i in range(len(call.args))))
    if isinstance(data, Unresolved):
        return data
    call.scope.charge(len(data) // 1024)
    return _uuid5(data)


@lru_cache(maxsize=4096)
def _uuid5(name: bytes) -> str:
    """ARM's `guid()`: a UUID version 5 (SHA-1) of the UTF-8 name in ARM's namespace."""
    digest = hashlib.sha1(_GUID_NAMESPACE.bytes + name, usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


def _index_of(call: Call, *, last: bool) -> int:
    container, item = call.args
    if isinstance(container, str):
        needle = _units(call.string(1)).lower()
        haystack = _units(container).lower()
        return haystack.rfind(needle) if last else haystack.find(needle)
    if isinstance(container, list):
        positions = range(len(container) - 1, -1, -1) if last else range(len(container))
        return next((i for i in positions if arm_equals(container[i], item)), -1)
    raise call.error(f"argument 1 must be an array or string, not {type_name(container)}")


@arm_function("indexOf", 2, 2)
def _index_of_first(call: Call) -> int:
    return _index_of(call, last=False)


@arm_function("lastIndexOf", 2, 2)
def _last_index_of(call: Call) -> int:
    return _index_of(call, last=True)


@arm_function("join", 2, 2)
def _join(call: Call) -> str:
    items = call.array(0)
    for item in items:
        if isinstance(item, list | dict):
            raise call.error(f"can only join strings, integers and bools, not {type_name(item)}")
    separator = call.string(1)
    pieces = [to_arm_string(item) for item in items]
    _room_for_string(call, sum(len(piece) for piece in pieces) + len(separator) * max(0, len(pieces) - 1))
    return separator.join(pieces)


@arm_function("json", 1, 1)
def _json(call: Call) -> Any:
    return _parse_json(call, call.string(0))


@arm_function("length", 1, 1, unresolved="shallow")
def _length(call: Call) -> int:
    value = call.args[0]
    if isinstance(value, str):
        return len(_units(value))
    if isinstance(value, list | dict):
        return len(value)
    raise call.error(f"argument 1 must be an array, object or string, not {type_name(value)}")


@arm_function("padLeft", 2, 3)
def _pad_left(call: Call) -> str:
    value = call.args[0]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise call.error(f"argument 1 must be a string or integer, not {type_name(value)}")
    total = call.integer(1)
    _room_for_string(call, total)
    pad = call.string(2) if len(call.args) > 2 else " "
    if len(_units(pad)) != 1:
        raise call.error(f"the padding must be one character, not '{pad}'")
    return _from_units(_units(str(value)).rjust(total, pad))


@arm_function("replace", 3, 3)
def _replace(call: Call) -> str:
    text, old, new = call.string(0), call.string(1), call.string(2)
    if not old:
        raise call.error("the text to replace can't be empty")
    if len(new) > len(old):
        _room_for_string(call, len(text) + text.count(old) * (len(new) - len(old)))
    return text.replace(old, new)


def _skip_take_count(call: Call) -> tuple[Any, int]:
    value = call.args[0]
    if not isinstance(value, str | list):
        raise call.error(f"argument 1 must be an array or string, not {type_name(value)}")
    return value, max(0, call.integer(1))


@arm_function("skip", 2, 2, unresolved="shallow")
def _skip(call: Call) -> Any:
    value, count = _skip_take_count(call)
    return _from_units(_units(value)[count:]) if isinstance(value, str) else value[count:]


@arm_function("take", 2, 2, unresolved="shallow")
def _take(call: Call) -> Any:
    value, count = _skip_take_count(call)
    return _from_units(_units(value)[:count]) if isinstance(value, str) else value[:count]


@arm_function("split", 2, 2)
def _split(call: Call) -> list[str]:
    text = call.string(0)
    delimiters = call.args[1]
    if isinstance(delimiters, str):
        delimiters = [delimiters]
    if not isinstance(delimiters, list) or not all(isinstance(d, str) for d in delimiters):
        raise call.error("the delimiter must be a string or an array of strings")
    usable = [d for d in delimiters if d]
    if not usable:
        return [text]
    pattern = re.compile("|".join(re.escape(d) for d in usable))
    # Count the pieces first (up to the limit): a string of commas would otherwise build millions of them.
    pieces = 1 + sum(1 for _ in zip(range(MAX_ARRAY_LENGTH), pattern.finditer(text), strict=False))
    _room_for_array(call, pieces)
    return pattern.split(text)


@arm_function("string", 1, 1)
def _string(call: Call) -> str:
    return to_arm_string(call.args[0])


@arm_function("substring", 2, 3)
def _substring(call: Call) -> str:
    text = _units(call.string(0))
    start = call.integer(1)
    length = call.integer(2) if len(call.args) > 2 else len(text) - start
    if start < 0 or start > len(text):
        raise call.error(f"the start index {start} is outside the string of length {len(text)}")
    if length < 0 or start + length > len(text):
        raise call.error(f"the length {length} from index {start} runs past the string of length {len(text)}")
    return _from_units(text[start:start + length])


@arm_function("toLower", 1, 1)
def _to_lower(call: Call) -> str:
    return call.string(0).lower()


@arm_function("toUpper", 1, 1)
def _to_upper(call: Call) -> str:
    return call.string(0).upper()


@arm_function("trim", 1, 1)
def _trim(call: Call) -> str:
    return call.string(0).strip()


_U32 = 0xFFFFFFFF
_BLOCKS = struct.Struct("<II")


def _fmix32(value: int) -> int:
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & _U32
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & _U32
    return value ^ (value >> 16)


def murmurhash64(data: bytes, seed: int = 0) -> int:
    """Microsoft's 64-bit MurmurHash variant (two 32-bit lanes), the hash behind ARM's `uniqueString`.

    No maintained package implements this variant, so it is written out here, with the rotations inlined and the
    8-byte blocks unpacked by `struct` in C: the loop is the whole cost.
    """
    c1, c2, u32 = 0x239B961B, 0xAB0E9789, _U32
    length = len(data)
    h1 = h2 = seed
    whole = length - length % 8
    for k1, k2 in _BLOCKS.iter_unpack(data[:whole]):
        k1 = (k1 * c1) & u32
        k1 = ((((k1 << 15) | (k1 >> 17)) & u32) * c2) & u32
        h1 ^= k1
        h1 = (((((h1 << 19) | (h1 >> 13)) & u32) + h2) * 5 + 0x561CCD1B) & u32
        k2 = (k2 * c2) & u32
        k2 = ((((k2 << 17) | (k2 >> 15)) & u32) * c1) & u32
        h2 ^= k2
        h2 = (((((h2 << 13) | (h2 >> 19)) & u32) + h1) * 5 + 0x0BCAA747) & u32
    tail = length - whole
    if tail > 0:
        k1 = (int.from_bytes(data[whole:whole + min(4, tail)], "little") * c1) & u32
        h1 ^= ((((k1 << 15) | (k1 >> 17)) & u32) * c2) & u32
        if tail > 4:
            k2 = (int.from_bytes(data[whole + 4:length], "little") * c2) & u32
            h2 ^= ((((k2 << 17) | (k2 >> 15)) & u32) * c1) & u32
    h1 ^= length & u32
    h2 ^= length & u32
    h1 = (h1 + h2) & u32
    h2 = (h2 + h1) & u32
    h1, h2 = _fmix32(h1), _fmix32(h2)
    h1 = (h1 + h2) & u32
    h2 = (h2 + h1) & u32
    return (h2 << 32) | h1


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def unique_string(*values: str) -> str:
    """ARM's `uniqueString(...)`: 13 lower-case base32 characters of the hash of the values joined by '-'.

    Raises `UnicodeEncodeError` for text holding a lone surrogate (see `_utf8`).
    """
    return _unique_string("-".join(values).encode("utf-8"))


@lru_cache(maxsize=4096)
def _unique_string(data: bytes) -> str:
    # 13 characters of 5 bits: the 64-bit hash, most significant bit first, with one zero bit appended.
    bits = murmurhash64(data) << 1
    return "".join(_BASE32[(bits >> shift) & 31] for shift in range(60, -1, -5))


@arm_function("uniqueString", 1, None)
def _unique_string_function(call: Call) -> str | Unresolved:
    data = _utf8(call, "-".join(call.string(i) for i in range(len(call.args))))
    if isinstance(data, Unresolved):
        return data
    call.scope.charge(len(data) // 16)  # hashing runs in Python: a long input costs work from the budget
    return _unique_string(data)


@arm_function("uri", 2, 2)
def _uri(call: Call) -> str:
    base, relative = call.string(0), call.string(1)
    if not urllib.parse.urlsplit(base).scheme:
        raise call.error(f"'{base}' is not an absolute URI")
    return urllib.parse.urljoin(base, relative)


_URI_SAFE_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


@arm_function("uriComponent", 1, 1)
def _uri_component(call: Call) -> str | Unresolved:
    data = _utf8(call, call.string(0))
    if isinstance(data, Unresolved):
        return data
    # Each byte outside the safe set becomes three characters (%XX): count them, in C, before building.
    _room_for_string(call, len(data) + 2 * len(data.translate(None, _URI_SAFE_BYTES)))
    return urllib.parse.quote(data, safe="-_.~")


@arm_function("uriComponentToString", 1, 1)
def _uri_component_to_string(call: Call) -> str:
    return urllib.parse.unquote(call.string(0))


# --- array functions ----------------------------------------------------------------------------------------


@arm_function("array", 1, 1, unresolved="shallow")
def _array(call: Call) -> list[Any]:
    value = call.args[0]
    return list(value) if isinstance(value, list) else [value]


@arm_function("createArray", 0, None, unresolved="own")
def _create_array(call: Call) -> list[Any]:
    return list(call.args)


@arm_function("flatten", 1, 1, unresolved="shallow")
def _flatten(call: Call) -> list[Any] | Unresolved:
    result: list[Any] = []
    for item in call.array(0):
        if isinstance(item, Unresolved):
            return call.unresolved(item.reason)
        if not isinstance(item, list):
            raise call.error(f"every element must be an array, not {type_name(item)}")
        result.extend(item)
    return result


@arm_function("intersection", 2, None)
def _intersection(call: Call) -> Any:
    first = call.args[0]
    if isinstance(first, list):
        others = [call.array(i) for i in range(1, len(call.args))]
        call.scope.charge(len(first) * sum(len(o) for o in others))
        result: list[Any] = []
        for item in first:
            if all(any(arm_equals(item, x) for x in other) for other in others) and not any(
                arm_equals(item, r) for r in result
            ):
                result.append(item)
        return result
    if isinstance(first, dict):
        objects = [call.object(i) for i in range(1, len(call.args))]
        return {
            key: value for key, value in first.items()
            if all(lookup_key(o, key)[0] and arm_equals(lookup_key(o, key)[1], value) for o in objects)
        }
    raise call.error(f"arguments must be arrays or objects, not {type_name(first)}")


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        existing_key = next((k for k in merged if k.lower() == key.lower()), None)
        if existing_key is not None and isinstance(merged[existing_key], dict) and isinstance(value, dict):
            merged[existing_key] = _deep_merge(merged[existing_key], value)
        else:
            if existing_key is not None:
                del merged[existing_key]
            merged[key] = value
    return merged


@arm_function("union", 1, None, unresolved="shallow")
def _union(call: Call) -> Any:
    first = call.args[0]
    if isinstance(first, list):
        arrays = [call.array(i) for i in range(len(call.args))]
        result: list[Any] = []
        for array in arrays:
            call.scope.charge(len(array) * max(1, len(result)) // 64)
            for item in array:
                if not any(arm_equals(item, r) for r in result):
                    result.append(item)
        return result
    if isinstance(first, dict):
        merged: dict[str, Any] = {}
        for i in range(len(call.args)):
            merged = _deep_merge(merged, call.object(i))
        return merged
    raise call.error(f"arguments must be arrays or objects, not {type_name(first)}")


def _numbers(call: Call) -> list[Any]:
    values = call.args[0] if len(call.args) == 1 and isinstance(call.args[0], list) else call.args
    if not values:
        raise call.error("needs at least one number")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise call.error(f"every value must be an integer, not {type_name(value)}")
    return list(values)


@arm_function("max", 1, None)
def _max(call: Call) -> Any:
    return max(_numbers(call))


@arm_function("min", 1, None)
def _min(call: Call) -> Any:
    return min(_numbers(call))


@arm_function("range", 2, 2)
def _range(call: Call) -> list[int]:
    start, count = call.integer(0), call.integer(1)
    if count < 0 or count > 10_000:
        raise call.error(f"the count must be from 0 to 10000, not {count:,}")
    if start + count > 2_147_483_647:
        raise call.error("start + count must not exceed 2147483647")
    return list(range(start, start + count))


@arm_function("tryGet", 2, None, unresolved="shallow")
def _try_get(call: Call) -> Any:
    current = call.args[0]
    for key in call.args[1:]:
        if isinstance(current, Unresolved) or isinstance(key, Unresolved):
            blocking = current if isinstance(current, Unresolved) else key
            return call.unresolved(blocking.reason)
        if isinstance(current, dict) and isinstance(key, str):
            found, value = lookup_key(current, key)
            if not found:
                # What a resource's declaration leaves out may still be set once it is deployed.
                return call.unresolved(RUNTIME_VALUE) if isinstance(current, RuntimeObject) else None
            current = declared(value) if isinstance(current, RuntimeObject) else value
        elif isinstance(current, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(current):
                return None
            current = current[key]
        elif current is None:
            return None
        else:
            raise call.error(f"can't look up {type_name(key)} in {type_name(current)}")
    return current


def _from_end(call: Call, *, strict: bool) -> Any:
    items = call.array(0)
    position = call.integer(1)
    if 1 <= position <= len(items):
        return items[-position]
    if strict:
        raise call.error(f"index {position} from the end is out of range for an array of {len(items)}")
    return None


@arm_function("indexFromEnd", 2, 2, unresolved="shallow")
def _index_from_end(call: Call) -> Any:
    return _from_end(call, strict=True)


@arm_function("tryIndexFromEnd", 2, 2, unresolved="shallow")
def _try_index_from_end(call: Call) -> Any:
    return _from_end(call, strict=False)


# --- object functions ---------------------------------------------------------------------------------------


@arm_function("createObject", 0, None, unresolved="own")
def _create_object(call: Call) -> Any:
    if len(call.args) % 2:
        raise call.error("needs key and value pairs (an even number of arguments)")
    result: dict[str, Any] = {}
    for index in range(0, len(call.args), 2):
        key = call.args[index]
        if isinstance(key, Unresolved):
            # A key that is unresolved names no property; kept as its expression, as in an object written out.
            result[f"[{key.expression}]"] = call.args[index + 1]
            continue
        result[call.string(index)] = call.args[index + 1]
    return result


@arm_function("items", 1, 1, unresolved="shallow")
def _items(call: Call) -> list[dict[str, Any]]:
    mapping = call.object(0)
    return [{"key": key, "value": mapping[key]} for key in sorted(mapping, key=str.lower)]


@arm_function("objectKeys", 1, 1, unresolved="shallow")
def _object_keys(call: Call) -> list[str]:
    return list(call.object(0))


@arm_function("null", 0, 0)
def _null(call: Call) -> None:
    return None


@arm_function("shallowMerge", 1, 1, unresolved="shallow")
def _shallow_merge(call: Call) -> dict[str, Any] | Unresolved:
    merged: dict[str, Any] = {}
    for item in call.array(0):
        if isinstance(item, Unresolved):
            return call.unresolved(item.reason)
        if not isinstance(item, dict):
            raise call.error(f"every element must be an object, not {type_name(item)}")
        merged.update(item)
    return merged


# --- logical and comparison functions -----------------------------------------------------------------------


def _logical(call: Call, *, stop_on: bool) -> Any:
    # Arguments are evaluated in order and evaluation stops at the first one that decides the answer, so a
    # guard such as and(contains(o, 'k'), o.k) works; an unresolved argument only matters if none decides.
    unresolved: Unresolved | None = None
    for index, node in enumerate(call.node.args):
        value = evaluate_in(node, call.scope)
        if isinstance(value, Unresolved):
            unresolved = unresolved or value
            continue
        if not isinstance(value, bool):
            raise call.error(f"argument {index + 1} must be a bool, not {type_name(value)}")
        if value is stop_on:
            return stop_on
    if unresolved is not None:
        return call.unresolved(unresolved.reason)
    return not stop_on


@arm_function("and", 2, None, unresolved="lazy")
def _and(call: Call) -> Any:
    return _logical(call, stop_on=False)


@arm_function("or", 2, None, unresolved="lazy")
def _or(call: Call) -> Any:
    return _logical(call, stop_on=True)


@arm_function("not", 1, 1)
def _not(call: Call) -> bool:
    return not call.boolean(0)


@arm_function("bool", 1, 1)
def _bool(call: Call) -> bool:
    value = call.args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise call.error(f"can't convert {type_name(value)} '{to_arm_string(value)}' to a bool")


@arm_function("true", 0, 0)
def _true(call: Call) -> bool:
    return True


@arm_function("false", 0, 0)
def _false(call: Call) -> bool:
    return False


@arm_function("if", 3, 3, unresolved="lazy")
def _if(call: Call) -> Any:
    condition = evaluate_in(call.node.args[0], call.scope)
    if isinstance(condition, Unresolved):
        return _either_branch(call, condition)
    if not isinstance(condition, bool):
        raise call.error(f"the condition must be a bool, not {type_name(condition)}")
    # Only the branch taken is evaluated, as in ARM: the other may refer to things that don't exist.
    return evaluate_in(call.node.args[1 if condition else 2], call.scope)


def _either_branch(call: Call, condition: Unresolved) -> Any:
    """`if()` whose condition is unresolved: the value both branches have when they are the same, else unresolved.

    Both branches are evaluated, as a trial: ARM would evaluate only one, so an error in either (a branch that
    reads what doesn't exist when the condition is false) means "unresolved", and the notes of a trial that
    does not give the value are dropped.
    """
    notes = call.scope.notes
    kept = len(notes)
    try:
        when_true = evaluate_in(call.node.args[1], call.scope)
        when_false = evaluate_in(call.node.args[2], call.scope)
    except TemplateError:
        del notes[kept:]
        return call.unresolved(condition.reason)
    if identical(when_true, when_false):
        return when_true
    del notes[kept:]
    return call.unresolved(condition.reason)


def identical(first: Any, second: Any) -> bool:
    """Whether two values are the same in every detail: type, case, key spelling and order of arrays."""
    if type(first) is not type(second):
        return False
    if isinstance(first, dict):
        return first.keys() == second.keys() and all(identical(first[k], second[k]) for k in first)
    if isinstance(first, list):
        return len(first) == len(second) and all(identical(a, b) for a, b in zip(first, second, strict=True))
    return bool(first == second)


@arm_function("coalesce", 1, None, unresolved="lazy")
def _coalesce(call: Call) -> Any:
    for node in call.node.args:
        value = evaluate_in(node, call.scope)
        if isinstance(value, Unresolved):
            # It could be null at deployment, so what follows might be the answer: unknown.
            return call.unresolved(value.reason)
        if value is not None:
            return value
    return None


@arm_function("equals", 2, 2)
def _equals(call: Call) -> bool:
    return arm_equals(call.args[0], call.args[1])


@arm_function("greater", 2, 2)
def _greater(call: Call) -> bool:
    return _ordered(call, *call.args) > 0


@arm_function("greaterOrEquals", 2, 2)
def _greater_or_equals(call: Call) -> bool:
    return _ordered(call, *call.args) >= 0


@arm_function("less", 2, 2)
def _less(call: Call) -> bool:
    return _ordered(call, *call.args) < 0


@arm_function("lessOrEquals", 2, 2)
def _less_or_equals(call: Call) -> bool:
    return _ordered(call, *call.args) <= 0


# --- numeric functions --------------------------------------------------------------------------------------


_INT64 = range(-(2**63), 2**63)


def _operands(call: Call) -> tuple[int, int]:
    return call.integer(0), call.integer(1)


def _checked(call: Call, value: int) -> int:
    """ARM integers are 64-bit: a result outside that range is an overflow, not a bigger number."""
    if value not in _INT64:
        raise call.error("integer overflow (ARM integers are 64-bit)")
    return value


@arm_function("add", 2, 2)
def _add(call: Call) -> int:
    left, right = _operands(call)
    return _checked(call, left + right)


@arm_function("sub", 2, 2)
def _sub(call: Call) -> int:
    left, right = _operands(call)
    return _checked(call, left - right)


@arm_function("mul", 2, 2)
def _mul(call: Call) -> int:
    left, right = _operands(call)
    return _checked(call, left * right)


@arm_function("div", 2, 2)
def _div(call: Call) -> int:
    left, right = _operands(call)
    if right == 0:
        raise call.error("division by zero")
    quotient = abs(left) // abs(right)
    return quotient if (left >= 0) == (right >= 0) else -quotient


@arm_function("mod", 2, 2)
def _mod(call: Call) -> int:
    left, right = _operands(call)
    if right == 0:
        raise call.error("division by zero")
    # The remainder takes the sign of the dividend, as in .NET; computed on integers (math.fmod goes through a
    # double and loses digits past 2**53).
    remainder = abs(left) % abs(right)
    return remainder if left >= 0 else -remainder


@arm_function("int", 1, 1)
def _int(call: Call) -> int:
    value = call.args[0]
    if isinstance(value, bool):
        raise call.error("can't convert a bool to an integer")
    if isinstance(value, int):
        return _checked(call, value)
    if isinstance(value, float):
        return _checked(call, int(value))
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise call.error(f"'{value[:40]}' is not an integer") from None
        return _checked(call, number)
    raise call.error(f"can't convert {type_name(value)} to an integer")


@arm_function("float", 1, 1)
def _float(call: Call) -> float:
    value = call.args[0]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise call.error(f"can't convert {type_name(value)} to a number")
    try:
        number = float(value)
    except ValueError:
        raise call.error(f"'{to_arm_string(value)[:40]}' is not a number") from None
    if not math.isfinite(number):
        raise call.error(f"'{to_arm_string(value)[:40]}' is not a finite number")
    return number


def _misplaced(call: Call, reason: str) -> TemplateError:
    """An error in where or how a function is written, whatever the values: it fails every deployment."""
    return TemplateError(f"{call.name}(): {reason} (in '{call.node.text}')")


@arm_function("copyIndex", 0, 2)
def _copy_index(call: Call) -> int:
    loop_name: str | None = None
    offset = 0
    if call.args and isinstance(call.args[0], str):
        loop_name = call.args[0]
        if len(call.args) > 1:
            offset = call.integer(1)
    elif call.args:
        if len(call.args) > 1:
            raise _misplaced(call, "the offset comes after the loop name: copyIndex('name', offset)")
        offset = call.integer(0)
    index = call.scope.copy_index(loop_name)
    if index is None:
        where = f"a copy loop named '{loop_name}'" if loop_name else "a copy loop"
        raise _misplaced(call, f"copyIndex() can only be used inside {where}")
    return index + offset


# --- date functions -----------------------------------------------------------------------------------------

_DURATION = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def _parse_datetime(call: Call, text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise call.error(f"'{text}' is not an ISO 8601 date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _add_months(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    target_year, target_month = moment.year + year, month + 1
    days_in_month = [31, 29 if target_year % 4 == 0 and (target_year % 100 or target_year % 400 == 0) else 28,
                     31, 30, 31, 30, 31, 31, 30, 31, 30, 31][target_month - 1]
    return moment.replace(year=target_year, month=target_month, day=min(moment.day, days_in_month))


def _format_datetime(call: Call, moment: datetime, fmt: str | None) -> str:
    utc = moment.astimezone(UTC)
    if fmt is None or fmt == "u":
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ") if fmt is None else utc.strftime("%Y-%m-%d %H:%M:%SZ")
    tokens = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
    if fmt in ("o", "O"):
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    if fmt == "d":
        return utc.strftime("%m/%d/%Y").lstrip("0").replace("/0", "/")
    pieces = re.findall(r"yyyy|yy|MM|dd|HH|mm|ss|'[^']*'|.", fmt)
    output = []
    for piece in pieces:
        if piece in tokens:
            output.append(utc.strftime(tokens[piece]))
        elif piece.startswith("'") and len(piece) > 1:
            output.append(piece[1:-1])
        elif piece.isalpha():
            raise call.error(f"date format '{fmt}' is not supported")
        else:
            output.append(piece)
    return "".join(output)


_ISO_SECONDS_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
"""`2024-01-31T12:00:00Z`: the one base format whose result aiwell writes as Azure does when no format is given."""


@arm_function("dateTimeAdd", 2, 3)
def _date_time_add(call: Call) -> str | Unresolved:
    base = call.string(0)
    if len(call.args) < 3 and not _ISO_SECONDS_UTC.fullmatch(base):
        # Without a format, the result takes the base value's format (.NET's round trip of it), which is only
        # certain for the plain UTC form; another form would be a guess.
        return call.unresolved(f"without a format, the result is written in the format of the base '{base[:40]}', "
                               "which aiwell reproduces only for yyyy-MM-ddTHH:mm:ssZ")
    moment = _parse_datetime(call, base)
    duration = call.string(1)
    match = _DURATION.match(duration)
    if not match or duration in ("P", "-P") or duration.endswith("T"):
        raise call.error(f"'{duration}' is not an ISO 8601 duration")
    sign = -1 if match.group(1) else 1
    years, months, weeks, days, hours, minutes = (int(g or 0) for g in match.groups()[1:7])
    seconds = float(match.group(8) or 0)
    moment = _add_months(moment, sign * (years * 12 + months))
    moment += sign * timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return _format_datetime(call, moment, call.string(2) if len(call.args) > 2 else None)


@arm_function("dateTimeFromEpoch", 1, 1)
def _date_time_from_epoch(call: Call) -> str:
    return _format_datetime(call, datetime.fromtimestamp(call.integer(0), UTC), None)


@arm_function("dateTimeToEpoch", 1, 1)
def _date_time_to_epoch(call: Call) -> int:
    return int(_parse_datetime(call, call.string(0)).timestamp())


# --- lambda functions ---------------------------------------------------------------------------------------


@arm_function("lambda", 1, None, unresolved="lazy")
def _lambda(call: Call) -> LambdaValue:
    *names, body = call.node.args
    parameters = []
    for name in names:
        if not isinstance(name, StringLiteral):
            raise call.error(f"lambda parameter names must be string literals, not '{name.text}'")
        parameters.append(name.value)
    return LambdaValue(tuple(parameters), body, call.scope)


@arm_function("lambdaVariables", 1, 1)
def _lambda_variables(call: Call) -> Any:
    name = call.string(0)
    found, value = call.scope.lambda_variable(name)
    if not found:
        raise call.error(f"no lambda variable '{name}' is in scope")
    return value


def _apply(call: Call, function: LambdaValue, item: Any, index: int) -> Any:
    call.scope.charge()
    return function(item, index) if len(function.parameters) == 2 else function(item)


@arm_function("filter", 2, 2, unresolved="shallow")
def _filter(call: Call) -> Any:
    items, predicate = call.array(0), call.lambda_(1, (1, 2))
    kept = []
    for index, item in enumerate(items):
        verdict = _apply(call, predicate, item, index)
        if isinstance(verdict, Unresolved):
            return call.unresolved(verdict.reason)
        if not isinstance(verdict, bool):
            raise call.error(f"the lambda must return a bool, not {type_name(verdict)}")
        if verdict:
            kept.append(item)
    return kept


@arm_function("map", 2, 2, unresolved="shallow")
def _map(call: Call) -> list[Any]:
    items, mapper = call.array(0), call.lambda_(1, (1, 2))
    return [_apply(call, mapper, item, index) for index, item in enumerate(items)]


@arm_function("mapValues", 2, 2, unresolved="shallow")
def _map_values(call: Call) -> dict[str, Any]:
    mapping, mapper = call.object(0), call.lambda_(1, (1,))
    return {key: _apply(call, mapper, value, 0) for key, value in mapping.items()}


@arm_function("reduce", 3, 3, unresolved="shallow")
def _reduce(call: Call) -> Any:
    items, accumulator, reducer = call.array(0), call.args[1], call.lambda_(2, (2, 3))
    for index, item in enumerate(items):
        call.scope.charge()
        with_index = len(reducer.parameters) == 3
        accumulator = reducer(accumulator, item, index) if with_index else reducer(accumulator, item)
    return accumulator


@arm_function("sort", 2, 2, unresolved="shallow")
def _sort(call: Call) -> Any:
    items, before = call.array(0), call.lambda_(1, (2,))
    result: list[Any] = []
    # Insertion by the lambda's "a goes before b" answer: stable, and work is charged per comparison.
    for item in items:
        position = len(result)
        for index, placed in enumerate(result):
            call.scope.charge()
            verdict = before(item, placed)
            if isinstance(verdict, Unresolved):
                return call.unresolved(verdict.reason)
            if not isinstance(verdict, bool):
                raise call.error(f"the lambda must return a bool, not {type_name(verdict)}")
            if verdict:
                position = index
                break
        result.insert(position, item)
    return result


@arm_function("toObject", 2, 3, unresolved="shallow")
def _to_object(call: Call) -> Any:
    items = call.array(0)
    key_of = call.lambda_(1, (1,))
    value_of = call.lambda_(2, (1,)) if len(call.args) > 2 else None
    result: dict[str, Any] = {}
    for item in items:
        call.scope.charge()
        key = key_of(item)
        if isinstance(key, Unresolved):
            return call.unresolved(key.reason)
        if not isinstance(key, str):
            raise call.error(f"the key lambda must return a string, not {type_name(key)}")
        result[key] = value_of(item) if value_of is not None else item
    return result


@arm_function("groupBy", 2, 2, unresolved="shallow")
def _group_by(call: Call) -> Any:
    items, key_of = call.array(0), call.lambda_(1, (1,))
    groups: dict[str, list[Any]] = {}
    for item in items:
        call.scope.charge()
        key = key_of(item)
        if isinstance(key, Unresolved):
            return call.unresolved(key.reason)
        if not isinstance(key, str):
            raise call.error(f"the key lambda must return a string, not {type_name(key)}")
        existing = next((k for k in groups if k.lower() == key.lower()), key)
        groups.setdefault(existing, []).append(item)
    return groups


# --- deployment and scope functions -------------------------------------------------------------------------


@arm_function("parameters", 1, 1)
def _parameters(call: Call) -> Any:
    return resolve_parameter(call.string(0), call.scope, call.node.text)


@arm_function("variables", 1, 1)
def _variables(call: Call) -> Any:
    return resolve_variable(call.string(0), call.scope, call.node.text)


_TEMPLATE_SECTIONS = ("$schema", "contentVersion", "parameters", "variables", "resources", "outputs")
"""What `deployment().properties.template` holds, per Microsoft's documentation of `deployment()`."""


def _at_deployment(text: str, reason: str) -> Unresolved:
    return Unresolved(text, f"only known at deployment: {reason}")


@arm_function("deployment", 0, 0)
def _deployment(call: Call) -> dict[str, Any]:
    """The documented shape of `deployment()`, with what is only known at deployment left unresolved.

    The name is the deployment's (a placeholder for the top-level deployment, see `DeploymentContext`); the
    location exists only for deployments at subscription, management group or tenant scope (a nested deployment's
    is the `location` it declares, never the enclosing deployment's). The template hash is
    Azure's own hash of the template it received, not computable from the file; the parameters passed, the mode
    and the provisioning state are the deployment's, and a template link exists only when deployed from a link.
    """
    context = call.scope.context
    template = call.scope.template or {}
    text = call.node.text
    if "languageVersion" in template:
        # languageVersion 2.0 returns a smaller object.
        properties: dict[str, Any] = {"template": {"contentVersion": template.get("contentVersion", "")}}
    else:
        properties = {
            "template": {key: template[key] for key in _TEMPLATE_SECTIONS if key in template},
            "templateHash": _at_deployment(f"{text}.properties.templateHash",
                                           "Azure's hash of the template it receives"),
            "parameters": _at_deployment(f"{text}.properties.parameters", "the parameter values passed"),
            "mode": _at_deployment(f"{text}.properties.mode", "the deployment mode chosen"),
            "provisioningState": _at_deployment(f"{text}.properties.provisioningState",
                                                "the state of the running deployment"),
        }
    properties["templateLink"] = _at_deployment(f"{text}.properties.templateLink",
                                                "the link the template is deployed from, if any")
    result: dict[str, Any] = {"name": context.deployment_name, "properties": properties}
    if context.deployment_scope.lower() != "resourcegroup":
        location = context.location if context.deployment_location is None else context.deployment_location
        result["location"] = (Unresolved(f"{text}.location", location.reason) if isinstance(location, Unresolved)
                              else location)
    return result


_AZURE_CLOUD: dict[str, Any] = {
    "name": "AzureCloud",
    "gallery": "https://gallery.azure.com/",
    "graph": "https://graph.windows.net/",
    "portal": "https://portal.azure.com",
    "graphAudience": "https://graph.windows.net/",
    "activeDirectoryDataLake": "https://datalake.azure.net/",
    "batch": "https://batch.core.windows.net/",
    "media": "https://rest.media.azure.net",
    "sqlManagement": "https://management.core.windows.net:8443/",
    "vmImageAliasDoc": (
        "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/"
        "quickstart-templates/aliases.json"
    ),
    "resourceManager": "https://management.azure.com/",
    "authentication": {
        "loginEndpoint": "https://login.microsoftonline.com/",
        "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
        "tenant": "common",
        "identityProvider": "AAD",
    },
    "suffixes": {
        "acrLoginServer": ".azurecr.io",
        "azureDatalakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
        "azureDatalakeStoreFileSystem": "azuredatalakestore.net",
        "azureFrontDoorEndpointSuffix": "azurefd.net",
        "keyvaultDns": ".vault.azure.net",
        "sqlServerHostname": ".database.windows.net",
        "storage": "core.windows.net",
    },
}


@arm_function("environment", 0, 0)
def _environment(call: Call) -> Any:
    if call.scope.context.environment_name != "AzureCloud":
        cloud = call.scope.context.environment_name
        return call.unresolved(f"aiwell knows the endpoints of AzureCloud only, not {cloud}")
    return json.loads(json.dumps(_AZURE_CLOUD))


def _unknown_part(text: str, what: str, value: Unresolved) -> Unresolved:
    return Unresolved(text, f"the {what} is unresolved: {value.reason}")


@arm_function("resourceGroup", 0, 0)
def _resource_group(call: Call) -> Any:
    """The resource group deployed to. A nested deployment whose group (or subscription) is unresolved has an
    unresolved name and id; the location is the documented placeholder, as for every group."""
    context = call.scope.context
    if context.deployment_scope.lower() != "resourcegroup":
        raise _misplaced(call, f"there is no resource group in a deployment at {context.deployment_scope} scope")
    text = call.node.text
    group, subscription = context.resource_group, context.subscription_id
    name: str | Unresolved = (_unknown_part(f"{text}.name", "resource group", group) if isinstance(group, Unresolved)
                              else group)
    group_id: str | Unresolved
    if isinstance(subscription, Unresolved):
        group_id = _unknown_part(f"{text}.id", "subscription", subscription)
    elif isinstance(group, Unresolved):
        group_id = _unknown_part(f"{text}.id", "resource group", group)
    else:
        group_id = f"/subscriptions/{subscription}/resourceGroups/{group}"
    return {
        "id": group_id,
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": context.location,
        "tags": _at_deployment(f"{text}.tags", "the tags of the resource group deployed to"),
        "properties": {"provisioningState": _at_deployment(f"{text}.properties.provisioningState",
                                                           "the state of the resource group")},
    }


@arm_function("subscription", 0, 0)
def _subscription(call: Call) -> dict[str, Any]:
    """The subscription deployed to (unresolved for a nested deployment whose `subscriptionId` is). Only a
    deployment to a resource group or a subscription has one: ARM rejects `subscription()` elsewhere."""
    context = call.scope.context
    if context.deployment_scope.lower() not in ("resourcegroup", "subscription"):
        raise _misplaced(call, f"there is no subscription in a deployment at {context.deployment_scope} scope")
    subscription = context.subscription_id
    text = call.node.text
    if isinstance(subscription, Unresolved):
        return {
            "id": _unknown_part(f"{text}.id", "subscription", subscription),
            "subscriptionId": _unknown_part(f"{text}.subscriptionId", "subscription", subscription),
            "tenantId": context.tenant_id,
            "displayName": _at_deployment(f"{text}.displayName", "the name of the subscription deployed to"),
        }
    return {
        "id": f"/subscriptions/{subscription}",
        "subscriptionId": subscription,
        "tenantId": context.tenant_id,
        "displayName": _at_deployment(f"{text}.displayName", "the name of the subscription deployed to"),
    }


@arm_function("tenant", 0, 0)
def _tenant(call: Call) -> dict[str, Any]:
    context = call.scope.context
    text = call.node.text
    return {
        "countryCode": _at_deployment(f"{text}.countryCode", "the country of the tenant deployed to"),
        "displayName": _at_deployment(f"{text}.displayName", "the name of the tenant deployed to"),
        "id": f"/tenants/{context.tenant_id}",
        "tenantId": context.tenant_id,
    }


@arm_function("managementGroup", 0, 1)
def _management_group(call: Call) -> Any:
    """The management group deployed to (the documented placeholder `DeploymentContext.management_group`, as in
    every id under it), or the one named; only a deployment at management group scope has one of its own."""
    context = call.scope.context
    text = call.node.text
    group: str | Unresolved
    if call.args:
        group = call.string(0)
    elif context.deployment_scope.lower() != "managementgroup":
        return call.unresolved("the deployment is not at management group scope, so its group is unknown")
    else:
        group = context.management_group
    return {
        "id": _unknown_part(f"{text}.id", "management group", group) if isinstance(group, Unresolved)
        else f"/providers/Microsoft.Management/managementGroups/{group}",
        "name": _unknown_part(f"{text}.name", "management group", group) if isinstance(group, Unresolved) else group,
        "type": "/providers/Microsoft.Management/managementGroups",
        "properties": {
            "displayName": _at_deployment(f"{text}.properties.displayName", "the management group's display name"),
            "tenantId": context.tenant_id,
            "details": _at_deployment(f"{text}.properties.details", "the management group's parent and version"),
        },
    }


# --- resource ids -------------------------------------------------------------------------------------------


# Every id function builds its id as a symbolic string: literal where its arguments are known, with opaque parts
# where they are not. A known id is returned as text; an unknown one is spelled as the deployment spells that
# resource's unresolved id (`aiwell.loaders.arm.identity`), or as the call when it names no resource declared there.


class _IdBuilder:
    """The parts of one id function's call, literal or symbolic, and the first unknown among them."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.unknown: Unresolved | None = None
        self.resource_type: str | None = None
        """The full type the call names (`Namespace/type1/type2`), once read."""

    def argument(self, index: int, *, name: bool = False) -> Symbolic:
        """Argument `index` (a subscription, group or scope id, or with `name` a resource name)."""
        call = self.call
        value = call.args[index]
        if isinstance(value, Unresolved):
            self.unknown = self.unknown or value
            nodes = call.node.args
            found = symbolic(nodes[index] if len(nodes) == len(call.args) else None, value, call.scope)
            return found if found is not None else (Opaque(value.expression),)
        return (to_arm_string(value) if name else call.string(index),)

    def context(self, value: str | Unresolved, what: str) -> Symbolic:
        """A part of the deployment's scope (its subscription, group or management group)."""
        if isinstance(value, Unresolved):
            self.unknown = self.unknown or Unresolved(value.expression, f"the {what} is unresolved: {value.reason}")
            return (Opaque(value.expression),)
        return (value,)

    def subscription(self) -> Symbolic:
        """The deployment's own subscription, where an id function's arguments name none: unknown at management
        group and tenant scope, which have no subscription of their own (never the placeholder)."""
        context = self.call.scope.context
        if context.deployment_scope.lower() in ("resourcegroup", "subscription"):
            return self.context(context.subscription_id, "subscription")
        self.unknown = self.unknown or Unresolved(
            self.call.node.text, f"a deployment at {context.deployment_scope} scope has no subscription of its own, "
                                 "and the call names none")
        return (Opaque("subscription().subscriptionId"),)

    def finish(self, built: Symbolic) -> str | Unresolved:
        if self.unknown is None:
            return "".join(item for item in built if isinstance(item, str))
        declarations = self.call.scope.declarations
        canonical = declarations.canonical_id(normalised(built)) if declarations is not None else None
        return Unresolved(canonical or self.call.node.text, self.unknown.reason, self.resource_type)


def _id_function(build: Callable[[Call, _IdBuilder], Symbolic]) -> Implementation:
    """An id function: arguments may be unresolved (the id then is), but not values holding unresolved ones."""

    def implementation(call: Call) -> Any:
        for value in call.args:
            if not isinstance(value, Unresolved) and (blocking := first_unresolved(value)) is not None:
                return call.unresolved(blocking.reason)
        builder = _IdBuilder(call)
        try:
            built = build(call, builder)
        except ArgumentError:
            # An argument that is unknown may be what the function needs (the type, the count of names).
            blocking = next((value for value in call.args if isinstance(value, Unresolved)), None)
            if blocking is None:
                raise
            return call.unresolved(blocking.reason)
        return builder.finish(built)

    implementation.__doc__ = build.__doc__
    return implementation


def _type_and_names(call: Call, builder: _IdBuilder, start: int) -> Symbolic:
    """`Namespace/type1/type2` and names from argument `start` on, as `Namespace/type1/name1/type2/name2`."""
    resource_type = call.string(start)
    segments = resource_type.strip("/").split("/")
    if len(segments) < 2:
        raise call.error(f"'{resource_type}' is not a full resource type (Namespace/type)")
    builder.resource_type = "/".join(segments)
    types = segments[1:]
    count = len(call.args) - start - 1
    if count != len(types):
        raise call.error(f"the type '{resource_type}' needs {len(types)} name(s), {count} given")
    parts: list[Symbolic] = [(segments[0],)]
    for offset, type_segment in enumerate(types):
        parts.extend([(f"/{type_segment}/",), builder.argument(start + 1 + offset, name=True)])
    return join(*parts)


def _leading(call: Call) -> int:
    """How many arguments come before the resource type (the first `Namespace/type` argument)"""
    for index, value in enumerate(call.args):
        if isinstance(value, str) and "/" in value.strip("/") and "." in value.split("/")[0]:
            return index
    raise call.error("no resource type (Namespace/type) among the arguments")


def _management_group_prefix(group: Symbolic) -> Symbolic:
    return join(("/providers/Microsoft.Management/managementGroups/",), group)


def _build_resource_id(call: Call, builder: _IdBuilder) -> Symbolic:
    context = call.scope.context
    leading = _leading(call)
    level = context.deployment_scope.lower()
    if leading == 0 and level != "resourcegroup":
        # Outside a resource group, resourceId() names a resource at the deployment's own scope.
        path = _type_and_names(call, builder, 0)
        if level == "subscription":
            subscription = builder.context(context.subscription_id, "subscription")
            return join(("/subscriptions/",), subscription, ("/providers/",), path)
        if level == "managementgroup":
            group = builder.context(context.management_group, "management group")
            return join(_management_group_prefix(group), ("/providers/",), path)
        return join(("/providers/",), path)
    if leading > 2:
        raise call.error("at most a subscription id and a resource group name come before the type")
    subscription = builder.argument(0) if leading == 2 else builder.subscription()
    group = (builder.argument(leading - 1) if leading >= 1
             else builder.context(context.resource_group, "resource group"))
    return join(("/subscriptions/",), subscription, ("/resourceGroups/",), group, ("/providers/",),
                _type_and_names(call, builder, leading))


def _build_subscription_resource_id(call: Call, builder: _IdBuilder) -> Symbolic:
    leading = _leading(call)
    if leading > 1:
        raise call.error("at most a subscription id comes before the type")
    subscription = builder.argument(0) if leading == 1 else builder.subscription()
    return join(("/subscriptions/",), subscription, ("/providers/",), _type_and_names(call, builder, leading))


def _build_tenant_resource_id(call: Call, builder: _IdBuilder) -> Symbolic:
    return join(("/providers/",), _type_and_names(call, builder, 0))


def _build_management_group_resource_id(call: Call, builder: _IdBuilder) -> Symbolic:
    leading = _leading(call)
    if leading > 1:
        raise call.error("at most a management group id comes before the type")
    if leading == 1:
        group = builder.argument(0)
    elif call.scope.context.deployment_scope.lower() != "managementgroup":
        builder.unknown = builder.unknown or Unresolved(
            call.node.text, "the deployment is not at management group scope, so its group is unknown")
        group = (Opaque("managementGroup().name"),)
    else:
        group = builder.context(call.scope.context.management_group, "management group")
    return join(_management_group_prefix(group), ("/providers/",), _type_and_names(call, builder, leading))


def _build_extension_resource_id(call: Call, builder: _IdBuilder) -> Symbolic:
    scope_id = builder.argument(0)
    if scope_id and isinstance(scope_id[-1], str):
        scope_id = (*scope_id[:-1], scope_id[-1].rstrip("/"))
    return join(scope_id, ("/providers/",), _type_and_names(call, builder, 1))


arm_function("resourceId", 2, None, unresolved="own")(_id_function(_build_resource_id))
arm_function("subscriptionResourceId", 2, None, unresolved="own")(_id_function(_build_subscription_resource_id))
arm_function("tenantResourceId", 2, None, unresolved="own")(_id_function(_build_tenant_resource_id))
arm_function("managementGroupResourceId", 2, None, unresolved="own")(
    _id_function(_build_management_group_resource_id))
arm_function("extensionResourceId", 3, None, unresolved="own")(_id_function(_build_extension_resource_id))


# --- CIDR functions -----------------------------------------------------------------------------------------


def _network(call: Call, index: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    text = call.string(index)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise call.error(f"'{text}' is not a CIDR range") from None


@arm_function("parseCidr", 1, 1)
def _parse_cidr(call: Call) -> dict[str, Any]:
    network = _network(call, 0)
    hosts = network.num_addresses
    first_usable = network.network_address + (1 if network.version == 4 and hosts > 2 else 0)
    last_usable = network.broadcast_address - (1 if network.version == 4 and hosts > 2 else 0)
    result: dict[str, Any] = {"network": str(network.network_address), "netmask": str(network.netmask)}
    if network.version == 4:
        result["broadcast"] = str(network.broadcast_address)
    result.update({
        "firstUsable": str(first_usable),
        "lastUsable": str(last_usable),
        "cidr": network.prefixlen,
    })
    return result


@arm_function("cidrSubnet", 3, 3)
def _cidr_subnet(call: Call) -> str:
    network = _network(call, 0)
    prefix, index = call.integer(1), call.integer(2)
    if not network.prefixlen <= prefix <= network.max_prefixlen:
        raise call.error(
            f"the new prefix length {prefix} must be from {network.prefixlen} to {network.max_prefixlen}"
        )
    count = 2 ** (prefix - network.prefixlen)
    if not 0 <= index < count:
        raise call.error(f"subnet index {index} is out of range (0 to {count - 1})")
    size = 2 ** (network.max_prefixlen - prefix)
    address = network.network_address + index * size
    return f"{address}/{prefix}"


@arm_function("cidrHost", 2, 2)
def _cidr_host(call: Call) -> str:
    network = _network(call, 0)
    index = call.integer(1)
    # Host 0 is the address after the network's own; IPv4 also reserves the broadcast address at the end.
    offset = 1 if network.num_addresses > 2 else 0
    usable = network.num_addresses - offset - (offset if network.version == 4 else 0)
    if not 0 <= index < usable:
        raise call.error(f"host index {index} is out of range (0 to {usable - 1})")
    return str(network.network_address + offset + index)


__all__ = [
    "DEPLOYMENT_TIME_FUNCTIONS",
    "FUNCTIONS",
    "ArmFunction",
    "Call",
    "LambdaValue",
    "arm_equals",
    "arm_function",
    "call_function",
    "identical",
    "murmurhash64",
    "to_arm_string",
    "unique_string",
]
