"""Values a loader could not resolve, and the marker for an absent property."""

from __future__ import annotations

from typing import Any, Final

from msgspec import Struct


class Unresolved(Struct, frozen=True):
    """A value that can't be known before deployment, or that aiwell could not compute.

    Loaders never guess: a parameter without a value, `reference()`, a function aiwell does not know, or a
    property an inventory export does not carry becomes `Unresolved`. A rule comparison that touches one is
    `unknown`, never `pass`.
    """

    expression: str
    """The source text that produced the value (an ARM expression, a Terraform reference, a field path)."""
    reason: str
    """Why it could not be resolved, in words a user understands."""
    resource_type: str | None = None
    """For the id of a resource whose name is unresolved, the resource's type when the source declares it (Bicep's
    `existing` resources, `resourceId('Microsoft.X/y', parameters('name'))`); None when nothing says. Not part of
    the value's identity: references join by expression."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Unresolved:
            return NotImplemented
        assert isinstance(other, Unresolved)
        return self.expression == other.expression and self.reason == other.reason

    def __hash__(self) -> int:
        return hash((self.expression, self.reason))

    def __str__(self) -> str:
        return f"<unresolved {self.expression}: {self.reason}>"

    def may_apply_to(self, resource_type: str) -> bool:
        """Whether this unresolved scope (of a role assignment, lock or diagnostic setting) could be a resource of
        `resource_type` or a scope above one: true unless its own type is known and is neither that type, a parent
        resource type of it, nor a resource group, subscription or management group."""
        if self.resource_type is None:
            return True
        own = self.resource_type.lower()
        wanted = resource_type.lower()
        return own in _CONTAINER_SCOPES or wanted == own or wanted.startswith(own + "/")


_CONTAINER_SCOPES: Final = frozenset({"microsoft.resources/resourcegroups", "microsoft.resources/subscriptions",
                                      "microsoft.management/managementgroups"})


class _Missing:
    """The type of `MISSING`: a property that is absent, as opposed to present with a null value."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
"""Returned by path lookups when a property is absent."""


def display_text(value: object) -> str:
    """A value as every report spells it: text as it is, an `Unresolved` one as `<unresolved: EXPRESSION>`.

    The one spelling of a value that could not be resolved, so a result's `resource_id` always matches the `id`
    of its resource, in every format.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Unresolved):
        return f"<unresolved: {value.expression}>"
    return str(value)


def is_unresolved(value: Any) -> bool:
    """Whether `value` is an `Unresolved` marker."""
    return isinstance(value, Unresolved)


def first_unresolved(value: Any, *, max_depth: int = 100) -> Unresolved | None:
    """The first `Unresolved` in `value` or anything nested in it (depth-first), or None; data nested deeper than
    `max_depth` is not searched."""
    if isinstance(value, Unresolved):
        return value
    pending: list[tuple[Any, int]] = [(value, 0)]
    # A container shared many times (one array referenced from ten thousand places) is searched once from the
    # shallowest place it is met, not once per reference.
    searched: dict[int, int] = {}
    while pending:
        current, depth = pending.pop()
        if isinstance(current, Unresolved):
            return current
        if depth >= max_depth:
            continue
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if searched.get(id(current), max_depth) <= depth:
            continue
        searched[id(current)] = depth
        pending.extend((child, depth + 1) for child in reversed(list(children)))
    return None


def contains_unresolved(value: Any, *, _depth: int = 0) -> bool:
    """Whether `value` or anything nested in it is `Unresolved` (bounded depth: deep data counts as unresolved)."""
    if isinstance(value, Unresolved):
        return True
    if _depth > 200:
        return True
    if isinstance(value, dict):
        return any(contains_unresolved(v, _depth=_depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(contains_unresolved(v, _depth=_depth + 1) for v in value)
    return False


__all__ = ["MISSING", "Unresolved", "contains_unresolved", "display_text", "first_unresolved", "is_unresolved"]
