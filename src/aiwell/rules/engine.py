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
from aiwell.model import Location, Resource, Result, Status, display_text, engine_result
from aiwell.rules.base import Rule
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
        return Status.UNKNOWN, f"rule error: {type(exc).__name__}: {exc}"


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


def _judge_rule(rule: Rule, matching: Sequence[_Subject], graph: ResourceGraph, verdicts: _Verdicts,
                append: Callable[[Result], None]) -> None:
    """Append one result of `rule` for each of the `matching` subjects, in their order."""
    info = rule.info
    if rule.moot_if_failing or verdicts.is_prerequisite(rule):
        verdict = verdicts.of
        for resource, resource_id, resource_name, location, resource_type, label in matching:
            status, message = verdict(rule, resource)
            append(engine_result(info, status, resource_id, resource_type, resource_name, message, location,
                                 label))
        return
    # Neither moot nor asked for again: its verdicts need no bookkeeping (what `_verdict` does, inline).
    judge = rule.judge
    for resource, resource_id, resource_name, location, resource_type, label in matching:
        try:
            status, message = judge(resource, graph)
        except Exception as exc:  # a broken rule must not stop the review
            status, message = Status.UNKNOWN, f"rule error: {type(exc).__name__}: {exc}"
        append(engine_result(info, status, resource_id, resource_type, resource_name, message, location, label))


def run_rules(resources: Sequence[Resource], graph: ResourceGraph, rules: Sequence[Rule], *,
              catalog: Callable[[str], Rule | None] | None = None) -> list[Result]:
    """One result per (rule, resource of one of the rule's types), not-applicable ones included.

    Results come rule by rule in the order of `rules`, and for each rule in the order of `resources`.
    `catalog` finds the rules `moot_if_failing` names (by id) when they are not among `rules`; by default the
    rules given and then the built-in registry. While the rules run, each resource's ARM document is built once
    (`Resource.pin_document`), not once per rule.
    """
    given = {rule.id: rule for rule in rules}

    def lookup(rule_id: str) -> Rule | None:
        if rule_id in given:
            return given[rule_id]
        return catalog(rule_id) if catalog is not None else load_registry().get(rule_id)

    verdicts = _Verdicts(graph, lookup, rules)
    subjects = [_subject(resource) for resource in resources]
    by_type: dict[str, list[_Subject]] = defaultdict(list)
    positions: dict[str, list[int]] = defaultdict(list)
    for position, subject in enumerate(subjects):
        lowered = subject.resource_type.lower()
        by_type[lowered].append(subject)
        positions[lowered].append(position)
    results: list[Result] = []
    for resource in resources:
        resource.pin_document()
    # Rules allocate no reference cycles (what they drop, reference counting frees): the cyclic collector would
    # only walk the results piling up, hundreds of thousands on a large inventory.
    try:
        with collector_held():
            for rule in rules:
                wanted = {resource_type.lower() for resource_type in rule.resource_types}
                if wanted:
                    # In the order of `resources`: the subjects of each type wanted, merged by their positions.
                    matching = [subjects[position] for position in sorted(
                        position for resource_type in wanted for position in positions.get(resource_type, ()))] \
                        if len(wanted) > 1 else by_type.get(next(iter(wanted)), [])
                    _judge_rule(rule, matching, graph, verdicts, results.append)
    finally:
        for resource in resources:
            resource.unpin_document()
    return results


__all__ = ["evaluate", "run_rules"]
