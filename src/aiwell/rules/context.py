"""Reading a context value (`environment`, `workload-purpose`) for one resource, with the precedence of
`aiwell.model.context`: the resource's tag, its nearest parent's tag, the review's settings, the answers file,
else unknown (an `Unresolved` value, so that a rule comparing it answers `unknown`)."""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Unresolved
from aiwell.model.context import CONTEXT_KEYS, TAG_NAMES, canonical, known_values

CONTEXT_FIELD = "$context"
"""The document key under which a declarative rule with `context` metadata reads the values
(`field: $context.environment`)."""


class ContextValue(Struct, frozen=True):
    """A context value for one resource and where it came from; `value` is `Unresolved` when nothing says."""

    value: str | Unresolved
    source: str


def _tag(resource: Resource, key: str) -> tuple[str, str] | Unresolved | None:
    tags = resource.tags
    if isinstance(tags, Unresolved):
        return tags
    if not isinstance(tags, dict) or not tags:
        return None
    lowered = {str(name).lower(): value for name, value in tags.items()}
    for name in TAG_NAMES[key]:
        if name in lowered:
            value = lowered[name]
            if isinstance(value, Unresolved):
                return value
            return name, str(value)
    return None


_KNOWN = "context values by resource and key"
"""The graph's memo (`ResourceGraph.derived`) of `context_value`: a rule with context metadata asks for the
values of every resource it judges, and several rules ask for the same ones."""


def context_value(resource: Resource, graph: ResourceGraph, key: str) -> ContextValue:
    """The value of `key` for `resource` (see the module docstring)."""
    if key not in CONTEXT_KEYS:
        raise ValueError(f"unknown context key {key!r}")
    # Tags, parents and the review's context never change while the graph lives, nor does a resource's id().
    known: dict[tuple[int, str], ContextValue] = graph.derived(_KNOWN, lambda _graph: {})
    found = known.get((id(resource), key))
    if found is None:
        found = known[id(resource), key] = _context_value(resource, graph, key)
    return found


def _context_value(resource: Resource, graph: ResourceGraph, key: str) -> ContextValue:
    current: Resource | None = resource
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _tag(current, key)
        if isinstance(found, Unresolved):
            return ContextValue(Unresolved(found.expression, f"the {key} tag is unresolved"), "tag")
        if found is not None:
            name, text = found
            where = "its" if current is resource else f"its parent {current.name}'s"
            value = canonical(key, text)
            if value is None:
                return ContextValue(Unresolved(f"tags.{name}", f"{where} {name} tag is {text!r}, not a known "
                                                              f"{key} ({', '.join(known_values(key))})"), "tag")
            return ContextValue(value, f"{where} {name} tag")
        current = graph.parent(current)
    return _untagged(graph, key)


_UNTAGGED = "context values for untagged resources"
"""The graph's memo (`ResourceGraph.derived`) of `_untagged_values`."""


def _untagged(graph: ResourceGraph, key: str) -> ContextValue:
    """The value of `key` for a resource that neither it nor a parent tags: one value for every such resource."""
    return graph.derived(_UNTAGGED, _untagged_values)[key]


def _untagged_values(graph: ResourceGraph) -> dict[str, ContextValue]:
    """Each key's value for an untagged resource, made once for the review: its setting or answer, else
    unresolved."""
    values: dict[str, ContextValue] = {}
    for key in CONTEXT_KEYS:
        given = graph.context.given(key)
        values[key] = ContextValue(given.value, given.source) if given is not None else ContextValue(
            Unresolved(key, f"no tag, setting (--{key}) or questionnaire answer says the {key}"), "none")
    return values


def context_document(resource: Resource, graph: ResourceGraph, keys: tuple[str, ...] = CONTEXT_KEYS
                     ) -> dict[str, Any]:
    """The `$context` mapping a declarative rule reads: each key's value (an `Unresolved` one when unknown)."""
    return {key: context_value(resource, graph, key).value for key in keys}


__all__ = ["CONTEXT_FIELD", "ContextValue", "context_document", "context_value"]
