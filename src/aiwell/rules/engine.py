"""The engine: decides which rule runs on which resource and turns verdicts into results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from aiwell.graph import ResourceGraph
from aiwell.model import Location, Resource, Result, Status, Unresolved
from aiwell.rules.base import Rule


def _text(value: str | Unresolved) -> str:
    return value if isinstance(value, str) else value.expression


def _location(resource: Resource) -> Location | None:
    if not resource.source.file:
        return None
    return Location(resource.source.file, resource.source.line)


def evaluate(rule: Rule, resource: Resource, graph: ResourceGraph) -> Result:
    """One rule's result on one resource; a rule that raises gives an unknown result, never a crashed run."""
    try:
        status, message = rule.evaluate(resource, graph)
    except Exception as exc:  # a broken rule must not stop the review
        status, message = Status.UNKNOWN, f"rule error: {type(exc).__name__}: {exc}"
    return Result(
        rule=rule.info,
        status=status,
        resource_id=_text(resource.id),
        resource_type=resource.type,
        resource_name=_text(resource.name),
        message=message,
        location=_location(resource),
    )


def run_rules(resources: Sequence[Resource], graph: ResourceGraph, rules: Sequence[Rule]) -> list[Result]:
    """One result per (rule, resource of one of the rule's types), not-applicable ones included.

    Results come rule by rule in the order of `rules`, and for each rule in the order of `resources`.
    """
    by_type: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        by_type[resource.type_lower].append(resource)
    results: list[Result] = []
    for rule in rules:
        wanted = {resource_type.lower() for resource_type in rule.resource_types}
        if not wanted:
            continue
        matching = [resource for resource in resources if resource.type_lower in wanted] if len(wanted) > 1 \
            else by_type.get(next(iter(wanted)), [])
        results.extend(evaluate(rule, resource, graph) for resource in matching)
    return results


__all__ = ["evaluate", "run_rules"]
