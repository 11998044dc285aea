"""One spelling for each id aiwell can't resolve, so that every reference to a resource joins it.

An id is unresolved when a part of it is: a name from a parameter without a value, the group of a nested
deployment whose `resourceGroup` is unknown. A template builds the same resource's id in many ways - the
resource's own declaration, `resourceId()`, `extensionResourceId()`, an extension resource's relative `scope`,
a nested deployment's output, `reference(..., 'Full').id` - and each would leave a different expression text.
Where such an id names a resource instance the deployment declares, every one of them is spelled
`<instance>.id`, the instance named by its address as the Bicep reader names it (`account`, `accounts[1]`,
`ai[0].account`; a classic template's `resources[2]`), so the graph joins a private endpoint or a diagnostic
setting to its resource, and each copy, or each copy of a nested deployment, stays distinct.

To tell which resource an id names, the string it builds is worked out with what is not known kept as opaque
parts (`Symbolic`): `format('{0}-{1}', parameters('prefix'), 'east')` is `[<parameters('prefix')>, '-east']`,
so the id of copy 0 of a loop over regions differs from that of copy 1, while `concat()`, `format()` and
variables that spell the same string agree. Two ids are the same when their symbolic strings are equal
(literal parts compared case-insensitively, as Azure compares ids).
"""

from __future__ import annotations

import json
import re
from typing import Any

from msgspec import Struct

from aiwell.errors import TemplateError
from aiwell.loaders.arm.expressions import (
    FunctionCall,
    IndexAccess,
    Node,
    PropertyAccess,
    StringLiteral,
    evaluate_in,
    is_expression,
    parse_expression,
)
from aiwell.loaders.arm.scope import EvalScope
from aiwell.model.values import Unresolved


class Opaque(Struct, frozen=True):
    """A part of a string that can't be known offline, named by the text of what produces it."""

    text: str


Symbolic = tuple[str | Opaque, ...]
"""A string as literal parts and opaque parts, in order."""

IdKey = Symbolic
"""An id as a normalised symbolic string (see `normalised`): equal keys name the same resource."""

_RESOURCE_GROUPS = "microsoft.resources/resourcegroups"

# Functions whose unresolved value already carries the text that names it: a parameter passed in by the caller,
# an id in its canonical spelling, a runtime value.
_NAMED_BY_VALUE = frozenset({"parameters", "reference", "resourceid", "subscriptionresourceid", "tenantresourceid",
                             "managementgroupresourceid", "extensionresourceid", "deployment", "resourcegroup",
                             "subscription", "managementgroup"})

_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)\}|[{}]")


def instance_id(instance: str) -> str:
    """The canonical text of the unresolved id of resource instance `instance`."""
    return f"{instance}.id"


def literal(text: str) -> Symbolic:
    return (text,)


def join(*parts: Symbolic) -> Symbolic:
    """The concatenation of symbolic strings, adjacent literal parts merged."""
    out: list[str | Opaque] = []
    for part in parts:
        for item in part:
            if isinstance(item, str):
                if not item:
                    continue
                if out and isinstance(out[-1], str):
                    out[-1] += item
                    continue
            out.append(item)
    return tuple(out)


def normalised(value: Symbolic) -> IdKey:
    """`value` as an id key: literal parts in lower case (ids are case-insensitive), merged."""
    return join(tuple(item.lower() if isinstance(item, str) else item for item in value))


def is_known(value: Symbolic) -> bool:
    return all(isinstance(item, str) for item in value)


def render(value: Symbolic) -> str:
    """A symbolic string as text (opaque parts as their expressions), for messages."""
    return "".join(item if isinstance(item, str) else item.text for item in value)


def split(value: Symbolic, separator: str = "/") -> list[Symbolic]:
    """`value` split at `separator` in its literal parts."""
    segments: list[list[str | Opaque]] = [[]]
    for item in value:
        if isinstance(item, Opaque):
            segments[-1].append(item)
            continue
        pieces = item.split(separator)
        for index, piece in enumerate(pieces):
            if index:
                segments.append([])
            if piece:
                segments[-1].append(piece)
    return [tuple(segment) for segment in segments]


def symbolic(node: Node | None, value: Any, scope: EvalScope) -> Symbolic | None:
    """The string `node` (whose value in `scope` is `value`) builds: literal where known, opaque where not.

    None when the value is no string (nor a number, which ARM turns into one in an id).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, int):
        return (str(value),)
    if not isinstance(value, Unresolved):
        return None
    if node is None:
        return (Opaque(value.expression),)
    try:
        return _residual(node, value, scope)
    except TemplateError:
        return (Opaque(value.expression),)


def symbolic_value(raw: Any, value: Any, scope: EvalScope) -> Symbolic | None:
    """`symbolic()` of a template value: `raw` as written (an expression string or a literal), `value` evaluated."""
    node = parse_expression(raw) if isinstance(raw, str) and is_expression(raw) else None
    return symbolic(node, value, scope)


def _part(node: Node, scope: EvalScope) -> Symbolic | None:
    return symbolic(node, evaluate_in(node, scope), scope)


def _residual(node: Node, value: Unresolved, scope: EvalScope) -> Symbolic:
    if isinstance(node, FunctionCall):
        name = node.name.lower()
        if name == "concat" and node.args:
            parts = [_part(arg, scope) for arg in node.args]
            if all(part is not None for part in parts):
                return join(*(part for part in parts if part is not None))
        elif name == "format" and node.args and isinstance(node.args[0], StringLiteral):
            formatted = _format(node.args[0].value, node.args[1:], scope)
            if formatted is not None:
                return formatted
        elif name == "variables" and len(node.args) == 1 and isinstance(node.args[0], StringLiteral):
            variable = node.args[0].value
            if scope.has_variable(variable) and scope.in_user_function is None:
                definition = scope.variable_definition(variable)
                if isinstance(definition, str) and is_expression(definition):
                    found = symbolic(parse_expression(definition), value, scope.root())
                    if found is not None:
                        return found
    return (Opaque(_text(node, value, scope)),)


def _format(pattern: str, args: tuple[Node, ...], scope: EvalScope) -> Symbolic | None:
    """`format(pattern, args...)` with items `{n}` only (an alignment or format spec gives None)."""
    parts: list[Symbolic] = []
    position = 0
    values: dict[int, Symbolic | None] = {}
    for match in _FORMAT_ITEM.finditer(pattern):
        parts.append((pattern[position:match.start()],))
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append((token[0],))
            continue
        if match.group(1) is None:
            return None
        index = int(match.group(1))
        if index >= len(args):
            return None
        if index not in values:
            values[index] = _part(args[index], scope)
        found = values[index]
        if found is None:
            return None
        parts.append(found)
    parts.append((pattern[position:],))
    return join(*parts)


def _text(node: Node, value: Unresolved, scope: EvalScope) -> str:
    """The text that names an unknown value: its expression, with the known values of its parts written in
    (`parameters('names')[0]` in copy 0, not `parameters('names')[copyIndex()]`)."""
    if isinstance(node, FunctionCall):
        if node.name.lower() in _NAMED_BY_VALUE:
            return value.expression
        return f"{node.name}({', '.join(_written(arg, scope) for arg in node.args)})"
    if isinstance(node, PropertyAccess):
        return f"{_written(node.target, scope)}.{node.name}"
    if isinstance(node, IndexAccess):
        return f"{_written(node.target, scope)}[{_written(node.index, scope)}]"
    return value.expression


def _written(node: Node, scope: EvalScope) -> str:
    value = evaluate_in(node, scope)
    if isinstance(value, Unresolved):
        return _text(node, value, scope)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, sort_keys=True, default=str)


def id_path(base: Symbolic, resource_type: str, names: list[Symbolic], *, extension: bool) -> Symbolic | None:
    """The id of a resource of `resource_type` named by `names` (one per segment) under `base` (the scope's id;
    the extended resource's for an `extension`), as ARM builds it; None when the name's segments don't fit the
    type. Types in the `<parent>/providers/<extension>` form (`acct/Microsoft.Insights/diag`) become
    `{parent id}/providers/{namespace}/{type}/{name}`; a resource group's id is under its subscription."""
    if any(not name for name in names):
        return None
    type_segments = resource_type.split("/")
    namespace, types = type_segments[0], type_segments[1:]
    lowered = [t.lower() for t in types]
    if "providers" in lowered:
        split_at = lowered.index("providers")
        parent_types, extension_types = types[:split_at], types[split_at + 1:]
        if len(names) != len(parent_types) + 1 + len(extension_types) or not extension_types:
            return None
        return join(base, (f"/providers/{namespace}/",), _interleave(parent_types, names[:split_at]),
                    ("/providers/",), names[split_at], ("/",), _interleave(extension_types, names[split_at + 1:]))
    if len(names) != len(types) or not types:
        return None
    if not extension and resource_type.lower() == _RESOURCE_GROUPS:
        subscription = _subscription_of(base)
        if subscription is not None:
            return join(subscription, ("/resourceGroups/",), names[0])
    return join(base, (f"/providers/{namespace}/",), _interleave(types, names))


def _subscription_of(base: Symbolic) -> Symbolic | None:
    """`/subscriptions/{id}` of an id under a subscription, or None."""
    first = base[0] if base else None
    if not isinstance(first, str) or not first.startswith("/subscriptions/"):
        return None
    out: list[str | Opaque] = []
    for item in base:
        if isinstance(item, str) and "/resourcegroups/" in item.lower():
            out.append(item[:item.lower().index("/resourcegroups/")])
            return tuple(out)
        out.append(item)
    return tuple(out)


def _interleave(types: list[str], names: list[Symbolic]) -> Symbolic:
    if all(len(name) == 1 and name[0].__class__ is str for name in names):
        # Every name known (most ids): the same text, without merging parts one by one.
        text = "/".join(f"{type_segment}/{name[0]}" for type_segment, name in zip(types, names, strict=True))
        return (text,) if text else ()
    parts: list[Symbolic] = []
    for index, (type_segment, name) in enumerate(zip(types, names, strict=True)):
        parts.append((f"{'/' if index else ''}{type_segment}/",))
        parts.append(name)
    return join(*parts)


__all__ = ["IdKey", "Opaque", "Symbolic", "id_path", "instance_id", "is_known", "join", "literal", "normalised",
           "render", "split", "symbolic", "symbolic_value"]
