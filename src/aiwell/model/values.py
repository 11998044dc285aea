"""Values a loader could not resolve, and the marker for an absent property."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value that can't be known before deployment, or that aiwell could not compute.

    Loaders never guess: a parameter without a value, `reference()`, a function aiwell does not know, or a
    property an inventory export does not carry becomes `Unresolved`. A rule comparison that touches one is
    `unknown`, never `pass`.
    """

    expression: str
    """The source text that produced the value (an ARM expression, a Terraform reference, a field path)."""
    reason: str
    """Why it could not be resolved, in words a user understands."""

    def __str__(self) -> str:
        return f"<unresolved {self.expression}: {self.reason}>"


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
    while pending:
        current, depth = pending.pop()
        if isinstance(current, Unresolved):
            return current
        if depth >= max_depth:
            continue
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
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
