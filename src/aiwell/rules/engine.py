"""The engine: decides which rule runs on which resource and turns verdicts into results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from aiwell.graph import ResourceGraph
from aiwell.model import Location, Resource, Result, Status, display_text
from aiwell.rules.base import Rule


class _Subject(NamedTuple):
    """What every result on one resource repeats, worked out once per resource rather than once per rule."""

    resource: Resource
    resource_id: str
    resource_name: str
    location: Location | None


def _subject(resource: Resource) -> _Subject:
    source = resource.source
    location = Location(source.file, source.line) if source.file else None
    return _Subject(resource, display_text(resource.id), display_text(resource.name), location)


def _result(rule: Rule, subject: _Subject, graph: ResourceGraph) -> Result:
    resource = subject.resource
    try:
        status, message = rule.evaluate(resource, graph)
    except Exception as exc:  # a broken rule must not stop the review
        status, message = Status.UNKNOWN, f"rule error: {type(exc).__name__}: {exc}"
    return Result(
        rule=rule.info,
        status=status,
        resource_id=subject.resource_id,
        resource_type=resource.type,
        resource_name=subject.resource_name,
        message=message,
        location=subject.location,
        input=resource.source.input,
    )


def evaluate(rule: Rule, resource: Resource, graph: ResourceGraph) -> Result:
    """One rule's result on one resource; a rule that raises gives an unknown result, never a crashed run.

    The result's `resource_id` and `resource_name` are spelled as every report spells the resource
    (`display_text`), so results join to their resources.
    """
    return _result(rule, _subject(resource), graph)


def run_rules(resources: Sequence[Resource], graph: ResourceGraph, rules: Sequence[Rule]) -> list[Result]:
    """One result per (rule, resource of one of the rule's types), not-applicable ones included.

    Results come rule by rule in the order of `rules`, and for each rule in the order of `resources`. While the
    rules run, each resource's ARM document is built once (`Resource.pin_document`), not once per rule.
    """
    by_type: dict[str, list[_Subject]] = defaultdict(list)
    subjects = [_subject(resource) for resource in resources]
    for subject in subjects:
        by_type[subject.resource.type_lower].append(subject)
    results: list[Result] = []
    for resource in resources:
        resource.pin_document()
    try:
        for rule in rules:
            wanted = {resource_type.lower() for resource_type in rule.resource_types}
            if not wanted:
                continue
            matching = [subject for subject in subjects if subject.resource.type_lower in wanted] \
                if len(wanted) > 1 else by_type.get(next(iter(wanted)), [])
            results.extend(_result(rule, subject, graph) for subject in matching)
    finally:
        for resource in resources:
            resource.unpin_document()
    return results


__all__ = ["evaluate", "run_rules"]
