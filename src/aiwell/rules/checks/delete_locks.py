"""Delete locks on the production stores that have no account-level restore (SRC011, COS014, STG015).

A `Microsoft.Authorization/locks` at `CanNotDelete` or `ReadOnly` on the resource, on a resource it belongs to, on
its resource group or on its subscription stops anyone, owners included, from deleting it until the lock is
removed. The graph links locks to their scope (`ResourceGraph.extensions_on`); a lock whose scope can't be
resolved may be the one that covers it, and so may a lock another input puts on a resource group of the same name
(templates share the placeholder group until deployed): either makes the answer unknown rather than a failure.
"""

from __future__ import annotations

from aiwell.graph import ResourceGraph, TargetByName
from aiwell.graph.build import extension_target, group_scope
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements, shown_name
from aiwell.rules.declarative import describe_unresolved, values_equal

LOCK = "Microsoft.Authorization/locks"
DELETE_BLOCKING_LEVELS = ("CanNotDelete", "ReadOnly")
"""Lock levels that stop a delete (`ReadOnly` also stops every change)."""


def _where(lock: Resource, resource: Resource, graph: ResourceGraph) -> str:
    """Where a lock that applies to `resource` sits: on it, on a resource it belongs to, or above them."""
    target = extension_target(lock)
    found: Resource | None = None
    if isinstance(target, TargetByName):
        found = graph.find(target.type, target.name, near=lock)
    elif isinstance(target, str) and group_scope(target) is None:
        found = graph.resolve_id(target, near=lock)
    elif isinstance(target, Unresolved):
        found = graph.by_unresolved_id(target, referrer=lock)
    if found is resource:
        return "on it"
    if found is not None:
        return f"on {shown_name(found)}"
    return "on its resource group or subscription"


def _blocking_level(lock: Resource) -> str | Unresolved | None:
    """The lock's level when it stops a delete (`CanNotDelete`, `ReadOnly`), `Unresolved` when it can't be told,
    else None."""
    level = lookup(lock.properties, "level") if lock.properties is not MISSING else MISSING
    if isinstance(level, Unresolved):
        return level
    if isinstance(level, str) and any(values_equal(level, wanted) for wanted in DELETE_BLOCKING_LEVELS):
        return level
    return None


@implements("SRC011", "COS014", "STG015")
def without_delete_lock(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a CanNotDelete or ReadOnly lock applies to the resource (on it, its group or its subscription)."""
    doubts: list[str] = []
    for lock in graph.extensions_on(resource, LOCK):
        level = _blocking_level(lock)
        if isinstance(level, Unresolved):
            doubts.append(f"lock {shown_name(lock)} has a level that can't be resolved ({describe_unresolved(level)})")
        elif level is not None:
            return Status.PASS, f"lock {shown_name(lock)} ({level}) {_where(lock, resource, graph)} stops its deletion"
    unresolved = graph.unresolved_extensions(LOCK, could_target=resource)
    if unresolved:
        doubts.append(f"lock {shown_name(unresolved[0])} has a scope that can't be resolved")
    for lock in graph.extensions_elsewhere_on_scope_of(resource, LOCK):
        if _blocking_level(lock) is not None:
            doubts.append(f"lock {shown_name(lock)} of another input ({lock.source.input}) is on a resource group or "
                          "subscription of the same name, which covers it only if both are deployed there")
            break
    if resource.source.format == SourceFormat.INVENTORY and not graph.of_type(LOCK):
        doubts.append("the export lists no locks at all (Resource Graph lists them in its Resources table only "
                      "when the query keeps their type)")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "no lock is known to stop its deletion, but " + "; ".join(doubts)
    return Status.FAIL, ("no CanNotDelete or ReadOnly lock on it, its resource group or its subscription: one delete "
                         "(a mistake, a script, a compromised owner) loses its data for good")
