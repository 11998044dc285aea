"""The engine: decides which rule runs on which resource and turns verdicts into results.

One root cause, one finding: a rule whose `moot_if_failing` names a rule that fails on the same resource is
`not_applicable` there, and its message points at that rule instead of repeating the finding (a free-tier search
service fails SRC005 once; its replica, private endpoint and identity rules say they are moot). The prerequisite is
evaluated on demand, so the judgment is the same whether or not it was selected for the run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import NamedTuple

from aiwell.collector import collector_held
from aiwell.graph import ResourceGraph
from aiwell.model import Location, Resource, Result, Status, display_text
from aiwell.rules.base import Rule, rule_error
from aiwell.rules.registry import load_registry


class _Subject(NamedTuple):
    """What every result on one resource repeats, worked out once per resource rather than once per rule."""

    resource: Resource
    resource_id: str
    resource_name: str
    location: Location | None
    resource_type: str
    input: str


def _subject(resource: Resource) -> _Subject:
    source = resource.source
    location = Location(source.file, source.line) if source.file else None
    return _Subject(resource, display_text(resource.id), display_text(resource.name), location, resource.type,
                    source.input)


def _verdict(rule: Rule, resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    try:
        return rule.evaluate(resource, graph)
    except Exception as exc:  # a broken rule must not stop the review
        return rule_error(exc)


def _result(rule: Rule, subject: _Subject, status: Status, message: str) -> Result:
    resource = subject.resource
    return Result(
        rule=rule.info,
        status=status,
        resource_id=subject.resource_id,
        resource_type=resource.type,
        resource_name=subject.resource_name,
        message=message,
        location=subject.location,
        input=subject.input,
    )


def evaluate(rule: Rule, resource: Resource, graph: ResourceGraph) -> Result:
    """One rule's result on one resource; a rule that raises gives an unknown result, never a crashed run.

    `moot_if_failing` is not consulted here (`run_rules` does that); this is the rule's own verdict. The result's
    `resource_id` and `resource_name` are spelled as every report spells the resource (`display_text`), so results
    join to their resources.
    """
    return _result(rule, _subject(resource), *_verdict(rule, resource, graph))


class _Verdicts:
    """Each (rule, resource) verdict computed once, with the rules' `moot_if_failing` applied."""

    def __init__(self, graph: ResourceGraph, lookup: Callable[[str], Rule | None], rules: Sequence[Rule]) -> None:
        self._graph = graph
        self._lookup = lookup
        self._cache: dict[tuple[str, int], tuple[Status, str]] = {}
        # Only the verdicts of prerequisites are asked for again: the others are not kept.
        self._prerequisites = {prerequisite for rule in rules for prerequisite in rule.moot_if_failing}
        self._found: dict[str, list[tuple[Rule, frozenset[str], str]]] = {}
        """Each moot rule's prerequisites found (`lookup`), with their types (lower case) and what the rule says
        while one fails, worked out once per rule."""

    def is_prerequisite(self, rule: Rule) -> bool:
        """Whether a rule's verdicts may be asked for again (another rule is moot while it fails)."""
        return rule.id in self._prerequisites

    def of(self, rule: Rule, resource: Resource) -> tuple[Status, str]:
        rule_id = rule.id
        if rule_id not in self._prerequisites:
            return self._moot(rule, resource) or _verdict(rule, resource, self._graph)
        key = (rule_id, id(resource))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._moot(rule, resource) or _verdict(rule, resource, self._graph)
            self._cache[key] = cached
        return cached

    def each(self, rule: Rule, resources: Sequence[Resource],
             shapes: Sequence[bytes | None]) -> list[tuple[Status, str]]:
        """`of` for each of `resources` (with their document shapes, `Rule.judge_each`), in their order."""
        if rule.moot_if_failing:
            moot = [self._moot(rule, resource) for resource in resources]
            pending = [position for position, verdict in enumerate(moot) if verdict is None]
            fresh = iter(rule.judge_each([resources[position] for position in pending],
                                         [shapes[position] for position in pending], self._graph))
            judged = [verdict if verdict is not None else next(fresh) for verdict in moot]
        else:
            judged = rule.judge_each(resources, shapes, self._graph)
        if rule.id in self._prerequisites:
            cache, rule_id = self._cache, rule.id
            # A verdict asked for already (by a moot rule) is the one kept: the same, worked out once.
            judged = [cache.setdefault((rule_id, id(resource)), verdict)
                      for resource, verdict in zip(resources, judged, strict=True)]
        return judged

    def _moot(self, rule: Rule, resource: Resource) -> tuple[Status, str] | None:
        if not rule.moot_if_failing:
            return None
        found = self._found.get(rule.id)
        if found is None:
            self._prerequisites.update(rule.moot_if_failing)
            found = []
            for prerequisite_id in rule.moot_if_failing:
                prerequisite = self._lookup(prerequisite_id)
                if prerequisite is not None:
                    found.append((prerequisite, frozenset(map(str.lower, prerequisite.resource_types)),
                                  f"moot while {prerequisite.id} {prerequisite.name} fails on it "
                                  f"({prerequisite.title})"))
            self._found[rule.id] = found
        resource_type = resource.type_lower
        for prerequisite, types, moot in found:
            if resource_type in types and self.of(prerequisite, resource)[0] is Status.FAIL:
                return Status.NOT_APPLICABLE, moot
        return None


class _Matching(NamedTuple):
    """The resources a rule is run on, in review order: their subjects, and the resources and their document
    shapes (`ResourceGraph.document_shape`) as `Rule.judge_each` takes them."""

    subjects: list[_Subject]
    resources: list[Resource]
    shapes: list[bytes | None]


def _judge_rule(rule: Rule, matching: _Matching, graph: ResourceGraph, verdicts: _Verdicts,
                append: Callable[[Result], None]) -> None:
    """Append one result of `rule` for each of the `matching` subjects, in their order."""
    info = rule.info
    if rule.moot_if_failing or verdicts.is_prerequisite(rule):
        judged = verdicts.each(rule, matching.resources, matching.shapes)
    else:  # neither moot nor asked for again: its verdicts need no bookkeeping
        judged = rule.judge_each(matching.resources, matching.shapes, graph)
    for (_, resource_id, resource_name, location, resource_type, label), (status, message) in zip(
            matching.subjects, judged, strict=True):
        append(Result(info, status, resource_id, resource_type, resource_name, message, location, input=label))


def run_rules(resources: Sequence[Resource], graph: ResourceGraph, rules: Sequence[Rule], *,
              catalog: Callable[[str], Rule | None] | None = None) -> list[Result]:
    """One result per (rule, resource of one of the rule's types), not-applicable ones included.

    Results come rule by rule in the order of `rules`, and for each rule in the order of `resources`.
    `catalog` finds the rules `moot_if_failing` names (by id) when they are not among `rules`; by default the
    rules given and then the built-in registry. While the rules run, each resource's ARM document is built once
    (`Resource.pin_document`), not once per rule, and its document shape once for all rules.
    """
    given = {rule.id: rule for rule in rules}

    def lookup(rule_id: str) -> Rule | None:
        if rule_id in given:
            return given[rule_id]
        return catalog(rule_id) if catalog is not None else load_registry().get(rule_id)

    verdicts = _Verdicts(graph, lookup, rules)
    results: list[Result] = []
    for resource in resources:
        resource.pin_document()
    try:
        subjects = [_subject(resource) for resource in resources]
        positions: dict[str, list[int]] = defaultdict(list)
        for position, subject in enumerate(subjects):
            positions[subject.resource_type.lower()].append(position)
        # Only the resources some rule runs on are judged: only theirs need a shape and a list of their type.
        judged_types = {resource_type.lower() for rule in rules for resource_type in rule.resource_types}
        judged_types &= positions.keys()
        shapes: list[bytes | None] = [None] * len(resources)
        for resource_type in judged_types:
            for position in positions[resource_type]:
                shapes[position] = graph.document_shape(resources[position])
        by_type = {resource_type: _matching(subjects, shapes, positions[resource_type])
                   for resource_type in judged_types}
        nothing = _Matching([], [], [])
        # Rules allocate no reference cycles (what they drop, reference counting frees): the cyclic collector would
        # only walk the results piling up, hundreds of thousands on a large inventory.
        with collector_held():
            for rule in rules:
                wanted = {resource_type.lower() for resource_type in rule.resource_types}
                if wanted:
                    # In the order of `resources`: the subjects of each type wanted, merged by their positions.
                    matching = _matching(subjects, shapes, sorted(
                        position for resource_type in wanted for position in positions.get(resource_type, ()))) \
                        if len(wanted) > 1 else by_type.get(next(iter(wanted)), nothing)
                    _judge_rule(rule, matching, graph, verdicts, results.append)
    finally:
        for resource in resources:
            resource.unpin_document()
    return results


def _matching(subjects: Sequence[_Subject], shapes: Sequence[bytes | None], positions: Sequence[int]) -> _Matching:
    chosen = [subjects[position] for position in positions]
    return _Matching(chosen, [subject.resource for subject in chosen], [shapes[position] for position in positions])


__all__ = ["evaluate", "run_rules"]
