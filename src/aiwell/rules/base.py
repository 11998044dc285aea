"""The `Rule` every rule becomes, the metadata both kinds share, and the `@rule` decorator."""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar, get_args

from msgspec import Struct, field
from msgspec.structs import force_setattr

from aiwell.graph import SHAPE_LEAVES_OUT, ResourceGraph
from aiwell.model import DesignArea, Pillar, Resource, RuleInfo, Severity, Status, Unresolved
from aiwell.model.context import CONTEXT_KEYS
from aiwell.model.waf import check_waf_codes
from aiwell.rules.context import CONTEXT_FIELD, context_document
from aiwell.rules.declarative import (
    Condition,
    ConditionError,
    Outcome,
    Truth,
    compile_condition,
    value_readers,
    values_read,
)

RuleKind = Literal["declarative", "python", "reserved"]
"""`reserved` marks ids such as AIW000 that the loaders report directly; they never run on a resource."""

Check = Callable[[Resource, ResourceGraph], tuple[Status, str]]
"""A Python rule's function: pure; gets the resource and the read-only graph, returns verdict and message."""

EachCheck = Callable[[Sequence[Resource], Sequence[bytes | None], ResourceGraph], list[tuple[Status, str]]]
"""A rule's verdicts on several resources at once, given with their document shapes
(`ResourceGraph.document_shape`, in the same order): `Rule.judge_each`."""

RULE_ID = re.compile(r"^[A-Z]{3}\d{3}$")
RULE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
USE_INSTEAD_FORMATS = ("arm", "bicep", "terraform")

Peer = Literal["psrule", "checkov", "azqr", "aprl", "azure_policy"]
"""The tools and rule sets a rule's `maps_to` may name."""
Match = Literal["exact", "partial"]
"""How closely a peer rule corresponds: `exact` (same property, resource types and judgment) or `partial`."""
PEERS: tuple[Peer, ...] = get_args(Peer)
MATCHES: tuple[Match, ...] = get_args(Match)
_GUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PEER_ID_FORMATS: Mapping[Peer, tuple[re.Pattern[str], str]] = {
    "psrule": (re.compile(r"^Azure(\.[A-Za-z0-9]+){2,}$"), "a PSRule rule name such as Azure.AI.PublicAccess"),
    "checkov": (re.compile(r"^CKV2?_AZURE_\d+$"), "a Checkov id such as CKV_AZURE_134"),
    "azqr": (re.compile(r"^[a-z][a-z0-9]*-\d{3}$"), "an azqr recommendation id such as aif-004"),
    "aprl": (re.compile(_GUID), "an APRL recommendation GUID (lower case)"),
    "azure_policy": (re.compile(_GUID), "an Azure Policy definition GUID (lower case)"),
}
"""What a peer's rule id looks like, and how the error message describes it."""
NOTE_MAX_LENGTH = 200
"""The longest `maps_to` note: one line that says how a partial match differs."""
MESSAGE_FIELDS = frozenset({"name", "id", "type", "reason"})
"""The placeholders a `messages` template may use."""

_METADATA_KEYS = frozenset({"id", "name", "title", "resource_types", "where", "pillars", "design_area",
                            "severity", "doc", "references", "maps_to", "messages", "missing", "aliases",
                            "moot_if_failing", "context", "fix", "waf"})
_CATALOG_KEYS = _METADATA_KEYS | {"condition", "check"}
PYTHON_CHECK = "python"
"""The value of a catalog entry's `check` key whose logic is a function in `aiwell.rules.checks`."""


class RuleDefinitionError(ValueError):
    """A rule definition that breaks docs/rule-format.md (a bug in the catalog, found when it is loaded)."""


class Doc(Struct, frozen=True):
    """A rule's documentation, from which `aiwell rules ID` and the docs pages are generated."""

    what: str = ""
    why: str = ""
    example: str = ""
    """A non-compliant ARM snippet."""
    use_instead: Mapping[str, str] = field(default_factory=dict)
    """Compliant snippets by format: `arm`, `bicep`, `terraform`."""


class PeerMapping(Struct, frozen=True):
    """A peer's rule that corresponds to this rule, and how closely (`maps_to` in docs/rule-format.md)."""

    peer: Peer
    id: str
    """The peer's own id: a PSRule rule name, a Checkov id, an azqr id, an APRL or Azure Policy GUID."""
    match: Match
    note: str = ""
    """For a partial match, in what way the peer's rule differs (one short line)."""


class FixStep(Struct, frozen=True):
    """One change that makes a failing resource pass: set the ARM path `field` to `value`."""

    field: str
    value: Any


class RuleLogic(Struct, frozen=True):
    """A Python rule's logic: the function `@implements(*rule_ids)` registered, joined to each catalog entry by id.

    One function may implement several rules when they apply one policy to several services (the network-posture
    policy, private endpoints, diagnostic settings), so that the judgment is the same everywhere by construction.
    """

    rule_ids: tuple[str, ...]
    function: Check
    module: str
    by_document: bool = False
    """The function's verdict depends on the resource's document as the graph gives it (`ResourceGraph.document`,
    children merged in) and its source format alone, not on its name, id or other resources, and its message
    names neither: the engine then judges resources configured alike once (`Rule._judged_by_document`)."""

    def __call__(self, resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        return self.function(resource, graph)


_Decided = tuple[Status | None, str, Callable[[Resource], str] | None]
"""What a rule's conditions decide for resources configured alike (`Rule._alike`): the status and the message, or
the status and the filler (`_filler`) of a message naming the resource (the message is then empty); status None
for a Python rule whose `where` holds: its function then judges each resource."""

_Kept = tuple[Outcome, tuple[Status, str] | None, tuple[Status, Callable[[Resource], str]] | None]
"""What `Rule._verdicts` keeps for an outcome: the outcome itself, then its verdict, or the status and the filler
(`_filler`) of a message naming the resource."""


class Rule(Struct, frozen=True, eq=False):
    """One rule, declarative or Python, with the metadata, documentation and evaluation the engine needs."""

    info: RuleInfo
    resource_types: tuple[str, ...]
    doc: Doc
    references: tuple[str, ...]
    kind: RuleKind
    where: Condition | None = None
    """False or absent: the rule does not apply; unknown: the result is unknown."""
    condition: Condition | None = None
    """A declarative rule's condition: the rule passes when it is true."""
    check: Check | None = None
    """A Python rule's function."""
    missing: Status = Status.FAIL
    """What an absent property means for a declarative rule (pass, fail or unknown)."""
    maps_to: tuple[PeerMapping, ...] = ()
    """The peer rules this rule corresponds to, each marked exact or partial."""
    aliases: tuple[str, ...] = ()
    messages: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""
    """The catalog file that defines the rule (metadata and documentation)."""
    module: str = ""
    """A Python rule's logic: the module of `aiwell.rules.checks` whose `@implements` function it runs."""
    by_document: bool = False
    """A Python rule whose function is judged by the resource's document and source format alone
    (`RuleLogic.by_document`): resources configured alike are judged once (`_judged_by_document`)."""
    moot_if_failing: tuple[str, ...] = ()
    """Ids of rules whose failure on the same resource makes this one moot (`not_applicable`, said once)."""
    context: tuple[str, ...] = ()
    """What the verdict depends on besides the resource (`environment`, `workload-purpose`): a declarative rule
    reads it as `$context.<key>`, a Python rule through `aiwell.rules.context`."""
    fix: tuple[FixStep, ...] = ()
    """The ARM paths to change and the values that pass, from which a fix is named in the input's language."""
    _verdicts: dict[int, _Kept] = field(default_factory=dict)
    """The verdict for each outcome object seen: conditions return one outcome object for resources configured
    alike (`declarative`), and this gives them one verdict and one message; for a message that names the
    resource, the status, template and reason it is filled in from (the verdict is then None)."""
    _judge: Check | None = None
    """`evaluate` made into one function on first use (`_compile`)."""
    _judge_each: EachCheck | None = None
    """`judge` over several resources at once, made with it (`_compile`)."""
    _alike: dict[tuple[Any, ...], _Decided] = field(default_factory=dict)
    """What the conditions decided for each set of values they read (`values_read`), when that is all they read
    (`Condition.value_paths`): resources configured alike are judged once (`_judged_alike`)."""
    _by_shape: dict[bytes | tuple[Any, ...], _Decided] = field(default_factory=dict)
    """What the conditions of a rule that reads neither the name nor the id decided for each document shape
    (`ResourceGraph.document_shape`: a resource's shape is found once for all its rules), or for a rule that
    reads context for each shape and set of context values (`_judged_alike`, `_judged_by_shape`); for a Python rule
    judged by the document, its verdict for each shape and source format (`_judged_by_document`)."""

    @property
    def id(self) -> str:
        """The stable id (`AIS001`)."""
        return self.info.id

    @property
    def name(self) -> str:
        """The kebab-case name of the problem (`ai-services-local-auth-enabled`)."""
        return self.info.name

    @property
    def title(self) -> str:
        """One line naming the problem."""
        return self.info.title

    @property
    def severity(self) -> Severity:
        """How much a failure matters."""
        return self.info.severity

    @property
    def pillars(self) -> tuple[Pillar, ...]:
        """The Well-Architected pillars the rule serves."""
        return self.info.pillars

    @property
    def design_area(self) -> DesignArea:
        """The design area of the AI workload guidance."""
        return self.info.design_area

    @property
    def service(self) -> str:
        """The service prefix of the id (`AIS`)."""
        return self.info.id[:3]

    def applies_to(self, resource: Resource) -> bool:
        """Whether the resource is of one of the rule's types (case-insensitive)."""
        return resource.is_type(*self.resource_types)

    def evaluate(self, resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        """The rule's verdict on one resource of a matching type, with a message for the user.

        Conditions read the resource as the graph sees it: with the configuration its child resources carry
        merged in (`ResourceGraph.document`), so a setting written either way is read the same.
        """
        judge = self._judge
        if judge is None:
            judge = self._compile()
        return judge(resource, graph)

    @property
    def judge(self) -> Check:
        """`evaluate` as one function (the same verdicts), for the engine, which calls it once per resource."""
        judge = self._judge
        return judge if judge is not None else self._compile()

    @property
    def judge_each(self) -> EachCheck:
        """`judge` on each of several resources, given with their document shapes (`ResourceGraph.document_shape`,
        in the same order): the same verdicts, in that order, and a rule that raises on one of them gives it
        the unknown verdict `rule_error` words. For the engine, which asks for one rule's verdicts on every
        resource of its types in one call: a verdict kept for a shape is given without a call per resource."""
        judge_each = self._judge_each
        if judge_each is None:
            self._compile()
            judge_each = self._judge_each
            assert judge_each is not None  # made with `_judge`
        return judge_each

    def _compile(self) -> Check:
        """`evaluate` as one function with what it reads looked up once: the check itself for a Python rule
        without `where`, else a closure over the conditions made into functions (`Condition.document_test`).
        `judge_each` is made with it."""
        check = self.check.function if isinstance(self.check, RuleLogic) else self.check
        judge = check if check is not None and self.where is None else self._judged(check)
        paths = self._value_paths(check)
        naming = any(_reads_naming(path) for path in self._fields())
        # What a kept verdict is found by, given a resource's shape: the shape, or with its source format.
        shape_keyed: Literal["shape", "shape and format"] | None = None
        if self.by_document and not self.context and not naming:
            judge = self._judged_by_document(judge)
            shape_keyed = "shape and format"
        elif paths is not None:
            by_shape = not any(_reads_naming(path) for path in paths)
            judge = self._judged_alike(judge, check, tuple(sorted(paths)), by_shape=by_shape)
            shape_keyed = "shape" if by_shape else None
        elif (self.where is not None or (check is None and self.condition is not None)) and not naming:
            # Conditions that read context, or more than one value at a path (`[*]`): decided once per shape.
            judge = self._judged_by_shape(judge, check)
            shape_keyed = "shape" if not self.context else None
        judge_each = (_each_by_shape(judge, self._by_shape, by_format=shape_keyed == "shape and format")
                      if shape_keyed is not None else _each(judge))
        force_setattr(self, "_judge", judge)
        force_setattr(self, "_judge_each", judge_each)
        return judge

    def _value_paths(self, check: Check | None) -> set[str] | None:
        """The paths the rule's verdict depends on alone, besides the resource its message may name: those its
        conditions read when each of their tests reads one value (`Condition.value_paths`) and the rule reads no
        context; None otherwise (and for a Python rule without `where`, whose function reads what it likes)."""
        if self.context:
            return None
        if check is not None:
            return self.where.value_paths() if self.where is not None else None
        if self.condition is None:
            return None
        condition_paths = self.condition.value_paths()
        where_paths = self.where.value_paths() if self.where is not None else set()
        return None if condition_paths is None or where_paths is None else condition_paths | where_paths

    def _judged_alike(self, judge: Check, check: Check | None, paths: tuple[str, ...], *, by_shape: bool) -> Check:
        """`judge` with what the conditions decide kept for each set of values at `paths` (`values_read`), and
        with `by_shape` (no path reads the name or id) for each document shape (`ResourceGraph.document_shape`):
        the same verdicts, the same message for resources configured alike (the same object), and a message
        naming the resource filled in for each. A resource with a value that is no key (a list, an `Unresolved`)
        and no shape is judged by `judge`."""
        readers, alike, decide, shaped = value_readers(paths), self._alike, self._decided, self._by_shape

        def judged(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
            shape = graph.document_shape(resource) if by_shape else None
            decided = shaped.get(shape) if shape is not None else None
            if decided is None:
                document = graph.document(resource)
                key = values_read(readers, document)
                if key is not None:
                    decided = alike.get(key)
                    if decided is None:
                        decided = decide(document)
                        if len(alike) < _ALIKE_LIMIT:
                            alike[key] = decided
                elif shape is not None:
                    decided = decide(document)  # what the conditions decide is the document's alone
                else:
                    return judge(resource, graph)
                if shape is not None and len(shaped) < _ALIKE_LIMIT:
                    shaped[shape] = decided
            return _given(decided, check, resource, graph)
        return judged

    def _judged_by_shape(self, judge: Check, check: Check | None) -> Check:
        """`judge` for a rule whose conditions read context (`$context.environment`) or paths of more than one
        value (`properties.locations[*].isZoneRedundant`), and neither the name nor the id, with what they decide
        kept for each document shape (`ResourceGraph.document_shape`) and set of context values (none for a rule
        without context): the same verdicts, and a message naming the resource filled in for each. A resource
        without a shape is judged by `judge`."""
        context, kept, decide = self.context, self._by_shape, self._decided

        def judged(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
            shape = graph.document_shape(resource)
            if shape is None:
                return judge(resource, graph)
            values = context_document(resource, graph, context) if context else None
            # Context values are text or an `Unresolved`, which compare and hash by value.
            key: bytes | tuple[Any, ...] = (shape, *values.values()) if values is not None else shape
            decided = kept.get(key)
            if decided is None:
                document = graph.document(resource)
                decided = decide({**document, CONTEXT_FIELD: values} if values is not None else document)
                if len(kept) < _ALIKE_LIMIT:
                    kept[key] = decided
            return _given(decided, check, resource, graph)
        return judged

    def _judged_by_document(self, judge: Check) -> Check:
        """`judge` for a Python rule whose function is judged by the document (`RuleLogic.by_document`) and whose
        `where`, if any, reads neither the name, the id nor context, with each verdict kept for each document
        shape (`ResourceGraph.document_shape`) and source format: the same verdicts, found once for the
        resources configured alike. A resource without a shape is judged by `judge`."""
        kept = self._by_shape

        def judged(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
            shape = graph.document_shape(resource)
            if shape is None:
                return judge(resource, graph)
            key = (shape, resource.source.format)
            decided = kept.get(key)
            if decided is None:
                decided = (*judge(resource, graph), None)
                if len(kept) < _ALIKE_LIMIT:
                    kept[key] = decided
            return decided[0], decided[1]  # type: ignore[return-value]  # kept with its status, never None
        return judged

    def _fields(self) -> set[str]:
        """Every path the rule's conditions read."""
        return {*(self.where.fields() if self.where is not None else ()),
                *(self.condition.fields() if self.condition is not None else ())}

    def _decided(self, document: Any) -> _Decided:
        """What the conditions decide for one document (with its `$context` for a rule that reads context:
        `_judged_alike`, `_judged_by_shape`): the verdict `_judged` gives, with the filler of a message that
        names the resource in place of the message."""
        where = self.where
        if where is not None:
            applies = where.evaluate_document(document)
            if applies.truth is not Truth.TRUE:
                return *_not_applying(applies), None
        if self.check is not None or self.condition is None:
            return None, "", None
        status, reason = self._status(self.condition.evaluate_document(document))
        template = self.messages.get(status)
        if template is not None and _names_resource(template):
            return status, "", _filler(template, reason)
        return status, self._message(status, reason, template), None

    def _judged(self, check: Check | None) -> Check:
        where = self.where.document_test() if self.where is not None else None
        condition = self.condition.document_test() if self.condition is not None else None
        context, verdicts, verdict = self.context, self._verdicts, self._verdict
        holds = Truth.TRUE

        def judge(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
            document = graph.document(resource)
            if context:
                document = {**document, CONTEXT_FIELD: context_document(resource, graph, context)}
            if where is not None:
                applies = where(document)
                if applies.truth is not holds:
                    return _not_applying(applies)
            if check is not None:
                return check(resource, graph)
            if condition is None:
                return Status.NOT_APPLICABLE, "reserved rule: reported per input, never per resource"
            outcome = condition(document)
            kept = verdicts.get(id(outcome))
            if kept is not None and kept[0] is outcome:  # the memo holds the outcome: its id is still its own
                found = kept[1]
                if found is not None:
                    return found
                status, fill = kept[2]  # type: ignore[misc]  # kept without a verdict: with its filler
                return status, fill(resource)
            return verdict(outcome, resource)
        return judge

    def _verdict(self, outcome: Outcome, resource: Resource) -> tuple[Status, str]:
        """The verdict on an outcome the memo does not hold yet (`_judged` looks there first), kept for the next."""
        status, reason = self._status(outcome)
        template = self.messages.get(status)  # a Status is its value, as a key of `messages`
        if template is not None and _names_resource(template):
            if len(self._verdicts) < _VERDICT_MEMO_LIMIT:
                # The message names the resource: what is kept is how to fill the template in for one.
                self._verdicts[id(outcome)] = (outcome, None, (status, _filler(template, reason)))
            return status, template.format_map(_message_fields(resource, reason))
        verdict = status, self._message(status, reason, template)
        if len(self._verdicts) < _VERDICT_MEMO_LIMIT:
            self._verdicts[id(outcome)] = (outcome, verdict, None)
        return verdict

    def _status(self, outcome: Outcome) -> tuple[Status, str]:
        """The status a condition's outcome gives, and the reason its message quotes."""
        if outcome.truth is Truth.MISSING:
            return self.missing, f"{outcome.reason} (absent means {self.missing.value} for this rule)"
        return _DECIDED[outcome.truth], outcome.reason

    def _message(self, status: Status, reason: str, template: str | None) -> str:
        """The message of a verdict whose template (if any) does not name the resource."""
        if template is not None:
            return template.format_map({"reason": reason})
        if status is Status.FAIL:
            return f"{self.title}: {reason}"
        if status is Status.UNKNOWN:
            return f"can't tell: {reason}"
        return reason


def rule_error(exc: Exception) -> tuple[Status, str]:
    """The verdict on a resource a rule raised on: unknown, saying what went wrong (a broken rule must not stop
    the review)."""
    return Status.UNKNOWN, f"rule error: {type(exc).__name__}: {exc}"


def _each(judge: Check) -> EachCheck:
    """`judge` called on each resource."""

    def judged_each(resources: Sequence[Resource], shapes: Sequence[bytes | None],
                    graph: ResourceGraph) -> list[tuple[Status, str]]:
        verdicts: list[tuple[Status, str]] = []
        append = verdicts.append
        for resource in resources:
            try:
                append(judge(resource, graph))
            except Exception as exc:  # a broken rule must not stop the review
                append(rule_error(exc))
        return verdicts
    return judged_each


def _each_by_shape(judge: Check, kept: dict[bytes | tuple[Any, ...], _Decided], *, by_format: bool) -> EachCheck:
    """`judge` on each resource, for a rule that keeps what it decided for each document shape in `kept`
    (`_judged_alike`, `_judged_by_shape`), or for each shape and source format (`_judged_by_document`): what is
    kept for a resource's shape is given as `judge` gives it (`_given`), and `judge` works out the rest."""

    def judged_each(resources: Sequence[Resource], shapes: Sequence[bytes | None],
                    graph: ResourceGraph) -> list[tuple[Status, str]]:
        verdicts: list[tuple[Status, str]] = []
        append = verdicts.append
        found = kept.get
        for resource, shape in zip(resources, shapes, strict=True):
            try:
                decided = None if shape is None else found((shape, resource.source.format) if by_format else shape)
                if decided is not None:
                    status, message, fill = decided
                    if status is not None:  # (None: a Python rule that applies, whose function judges)
                        append((status, message) if fill is None else (status, fill(resource)))
                        continue
                append(judge(resource, graph))
            except Exception as exc:  # a broken rule must not stop the review
                append(rule_error(exc))
        return verdicts
    return judged_each


def _given(decided: _Decided, check: Check | None, resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """The verdict on `resource` of what a rule's conditions decided for resources configured alike: the status
    and message, the message filled in for the resource, or for a Python rule that applies its function's."""
    status, message, fill = decided
    if status is None:  # a Python rule that applies: its function judges
        return check(resource, graph)  # type: ignore[misc]  # status None only with a check
    return status, message if fill is None else fill(resource)


def _reads_naming(path: str) -> bool:
    """Whether a condition's path starts at a field the document's shape leaves out (its `name` or `id`)."""
    return re.split(r"[.\[]", path, maxsplit=1)[0].lower() in SHAPE_LEAVES_OUT


def _not_applying(applies: Outcome) -> tuple[Status, str]:
    """The verdict on a resource whose `where` does not hold: not applicable when it is false or missing, unknown
    when it can't be told."""
    if applies.truth is Truth.UNKNOWN:
        return Status.UNKNOWN, f"can't tell whether the rule applies: {applies.reason}"
    return Status.NOT_APPLICABLE, f"does not apply: {applies.reason}"


_DECIDED = {Truth.TRUE: Status.PASS, Truth.FALSE: Status.FAIL, Truth.UNKNOWN: Status.UNKNOWN}
"""The status of each outcome but `missing`, which each rule decides (`Rule.missing`)."""


_VERDICT_MEMO_LIMIT = 256
"""How many outcomes' verdicts a rule keeps (`Rule._verdicts`)."""

_ALIKE_LIMIT = 4096
"""How many sets of values read a rule keeps what its conditions decided for (`Rule._alike`)."""


@functools.lru_cache(maxsize=1024)
def _names_resource(template: str) -> bool:
    """Whether a message template reads anything but `{reason}` (the resource's `{name}`, `{id}` or `{type}`)."""
    fields = (field_name for _, field_name, _, _ in string.Formatter().parse(template) if field_name is not None)
    return any(re.split(r"[.\[]", name, maxsplit=1)[0] != "reason" for name in fields)


def _text(value: str | Unresolved) -> str:
    return value if isinstance(value, str) else value.expression


SHOWN_NAME_LENGTH = 80
"""The longest unresolved name a message shows whole; a longer one is cut."""


def shown_name(resource: Resource) -> str:
    """A resource's name as messages show it: its name, or for a name that can't be resolved the shorter of its
    expression (`'kv-${baseName}'`) and its address (`keyVault`, `module.ai.azurerm_key_vault.this`), cut to
    `SHOWN_NAME_LENGTH`."""
    name = resource.name
    if isinstance(name, str):
        return name
    shown = min((text for text in (name.expression, resource.source.address) if text), key=len)
    return shown if len(shown) <= SHOWN_NAME_LENGTH else shown[: SHOWN_NAME_LENGTH - 3] + "..."


def _message_fields(resource: Resource, reason: str) -> dict[str, str]:
    return {"name": shown_name(resource), "id": _text(resource.id), "type": resource.type, "reason": reason}


_FIELD_TEXTS: dict[str, Callable[[Resource], str]] = {
    "name": shown_name, "id": lambda resource: _text(resource.id), "type": lambda resource: resource.type}
"""How each resource field of a message template is read (`_message_fields`), one by one."""


def _filler(template: str, reason: str) -> Callable[[Resource], str]:
    """`template.format_map(_message_fields(resource, reason))` as a function of the resource, with the template
    split once: its text and `{reason}` laid end to end, and the resource's name, id or type put between. A
    template that does more than name fields (a conversion, a format spec, another field) is formatted whole."""
    literals, texts = [""], []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        parsed = [("", "", "!", None)]  # not a template format_map accepts: it says why, each time
    for literal, name, spec, conversion in parsed:
        literals[-1] += literal
        if name is None:
            continue
        if spec or conversion is not None or (name != "reason" and name not in _FIELD_TEXTS):
            return lambda resource: template.format_map(_message_fields(resource, reason))
        if name == "reason":
            literals[-1] += reason
        else:
            texts.append(_FIELD_TEXTS[name])
            literals.append("")
    if len(texts) == 1:
        (text,), (before, after) = texts, literals
        return lambda resource: before + text(resource) + after
    first, rest = literals[0], tuple(zip(texts, literals[1:], strict=True))
    return lambda resource: first + "".join([text(resource) + literal for text, literal in rest])


# -- metadata ----------------------------------------------------------------------------------------------


def _fail(origin: str, rule_id: object, message: str) -> RuleDefinitionError:
    return RuleDefinitionError(f"{origin}: rule {rule_id if rule_id is not None else '(no id)'}: {message}")


def _strings(value: Any, what: str, error: Callable[[str], RuleDefinitionError], *,
             required: bool = False) -> tuple[str, ...]:
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise error(f"`{what}` must be a list of strings")
    if required and not value:
        raise error(f"`{what}` must not be empty")
    return tuple(item.strip() for item in value)


_Enum = TypeVar("_Enum", Severity, Pillar, DesignArea, Status)


def _enum(kind: type[_Enum], value: Any, what: str, error: Callable[[str], RuleDefinitionError]) -> _Enum:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise error(f"`{what}` is {value!r}; expected one of {choices}") from None


def _doc(value: Any, error: Callable[[str], RuleDefinitionError]) -> Doc:
    if value is None:
        return Doc()
    if not isinstance(value, Mapping):
        raise error("`doc` must be a mapping with what, why, example, use_instead")
    unknown = sorted(set(value) - {"what", "why", "example", "use_instead"})
    if unknown:
        raise error(f"unknown doc section(s): {', '.join(map(str, unknown))}")
    texts = {}
    for key in ("what", "why", "example"):
        text = value.get(key, "")
        if not isinstance(text, str):
            raise error(f"`doc.{key}` must be text")
        texts[key] = text.strip()
    use_instead = value.get("use_instead") or {}
    if not isinstance(use_instead, Mapping) or not all(
            isinstance(key, str) and isinstance(text, str) for key, text in use_instead.items()):
        raise error("`doc.use_instead` must map arm, bicep, terraform to snippets")
    unknown = sorted(set(use_instead) - set(USE_INSTEAD_FORMATS))
    if unknown:
        raise error(f"unknown doc.use_instead format(s): {', '.join(unknown)}")
    return Doc(texts["what"], texts["why"], texts["example"],
               {key: text.strip() for key, text in use_instead.items()})


def _maps_to(value: Any, error: Callable[[str], RuleDefinitionError]) -> tuple[PeerMapping, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise error("`maps_to` must be a list of {peer, id, match, note} entries")
    mappings: list[PeerMapping] = []
    for index, entry in enumerate(value):
        where = f"maps_to[{index}]"
        if not isinstance(entry, Mapping):
            raise error(f"`{where}` must be a mapping with peer, id, match and (for a partial match) note")
        unknown = sorted(str(key) for key in set(entry) - {"peer", "id", "match", "note"})
        if unknown:
            raise error(f"`{where}` has unknown key(s): {', '.join(unknown)}")
        peer, peer_id, match, note = (entry.get(key) for key in ("peer", "id", "match", "note"))
        if peer not in PEERS:
            raise error(f"`{where}.peer` is {peer!r}; expected one of {', '.join(PEERS)}")
        pattern, described = PEER_ID_FORMATS[peer]
        if not isinstance(peer_id, str) or not pattern.match(peer_id):
            raise error(f"`{where}.id` is {peer_id!r}; expected {described}")
        if match not in MATCHES:
            raise error(f"`{where}.match` is {match!r}; expected exact or partial")
        if note is not None and (not isinstance(note, str) or "\n" in note.strip()
                                 or len(note.strip()) > NOTE_MAX_LENGTH):
            raise error(f"`{where}.note` must be one line of at most {NOTE_MAX_LENGTH} characters")
        note = (note or "").strip()
        if match == "partial" and not note:
            raise error(f"`{where}` ({peer_id}) is partial: its `note` must say how the peer's rule differs")
        if any(found.peer == peer and found.id == peer_id for found in mappings):
            raise error(f"`{where}` maps to {peer} {peer_id} a second time")
        mappings.append(PeerMapping(peer, peer_id, match, note))
    return tuple(mappings)


def _messages(value: Any, error: Callable[[str], RuleDefinitionError]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise error("`messages` must be a mapping")
    messages: dict[str, str] = {}
    for key, template in value.items():
        if key not in ("pass", "fail", "unknown") or not isinstance(template, str):
            raise error(f"`messages.{key}` is not a pass, fail or unknown template")
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        except ValueError as exc:
            raise error(f"`messages.{key}` is not a valid template: {exc}") from None
        if not used <= MESSAGE_FIELDS:
            raise error(f"`messages.{key}` uses {', '.join(sorted(used - MESSAGE_FIELDS))}; "
                        f"only {', '.join(sorted(MESSAGE_FIELDS))} are available")
        messages[key] = template
    return messages


def _moot_if_failing(value: Any, rule_id: str, error: Callable[[str], RuleDefinitionError]) -> tuple[str, ...]:
    ids = _strings(value, "moot_if_failing", error)
    bad = [item for item in ids if not RULE_ID.match(item)]
    if bad:
        raise error(f"`moot_if_failing` names {', '.join(bad)}: expected rule ids such as SRC005")
    if rule_id in ids:
        raise error("`moot_if_failing` names the rule itself")
    return ids


def _context(value: Any, error: Callable[[str], RuleDefinitionError]) -> tuple[str, ...]:
    keys = _strings(value, "context", error)
    unknown = [key for key in keys if key not in CONTEXT_KEYS]
    if unknown:
        raise error(f"`context` names {', '.join(unknown)}; expected some of {', '.join(CONTEXT_KEYS)}")
    return keys


def _fix(value: Any, condition: Condition | None, error: Callable[[str], RuleDefinitionError]) -> tuple[FixStep, ...]:
    if value is None:
        derived = condition.fix_steps() if condition is not None else None
        return tuple(FixStep(path, wanted) for path, wanted in derived or ())
    if not isinstance(value, list) or not value:
        raise error("`fix` must be a non-empty list of {field, value} entries")
    steps: list[FixStep] = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping) or set(entry) != {"field", "value"} or not isinstance(entry["field"], str) \
                or not entry["field"].strip():
            raise error(f"`fix[{index}]` must be a mapping with exactly `field` (an ARM path) and `value`")
        steps.append(FixStep(entry["field"].strip(), entry["value"]))
    return tuple(steps)


def rule_from_mapping(entry: Mapping[str, Any], *, origin: str, check: Check | None = None,
                      module: str = "", by_document: bool = False) -> Rule:
    """Build a rule from its catalog entry; a Python rule's entry (`check: python`) comes with its logic.

    `check` is the logic of a Python rule (the `@implements` function the registry joined to the entry by id,
    or any function for a rule built in code); `module` names where it lives; `by_document` says its verdict
    depends on the resource's document and source format alone (`RuleLogic.by_document`). Raises `RuleDefinitionError`
    naming `origin` and the rule id when the definition breaks the format.
    """
    rule_id = entry.get("id")

    def error(message: str) -> RuleDefinitionError:
        return _fail(origin, rule_id, message)

    unknown = sorted(str(key) for key in set(entry) - _CATALOG_KEYS)
    if unknown:
        raise error(f"unknown key(s): {', '.join(unknown)}")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise error("`id` must look like AIS001 (three capital letters, three digits)")
    name, title = entry.get("name"), entry.get("title")
    if not isinstance(name, str) or not RULE_NAME.match(name):
        raise error("`name` must be kebab-case")
    if not isinstance(title, str) or not title.strip():
        raise error("`title` is required")
    declared = entry.get("check")
    if declared is not None and declared != PYTHON_CHECK:
        raise error(f"`check` is {declared!r}; the only kind of check is {PYTHON_CHECK!r}")
    if declared == PYTHON_CHECK and check is None:
        raise error(f"its catalog entry says `check: {PYTHON_CHECK}`, but no module of aiwell.rules.checks "
                    f"implements it (`@implements({rule_id!r})`)")
    if check is not None and entry.get("condition") is not None:
        raise error("a Python rule has no `condition`: its logic is the function")
    pillars_given = _strings(entry.get("pillars"), "pillars", error, required=True)
    try:
        waf = check_waf_codes(entry.get("waf"))
    except ValueError as exc:
        raise error(str(exc)) from None
    info = RuleInfo(
        id=rule_id,
        name=name,
        title=title.strip(),
        severity=_enum(Severity, entry.get("severity"), "severity", error),
        pillars=tuple(dict.fromkeys(_enum(Pillar, pillar, "pillars", error) for pillar in pillars_given)),
        design_area=_enum(DesignArea, entry.get("design_area"), "design_area", error),
        waf=waf,
    )
    missing = _enum(Status, entry.get("missing", "fail"), "missing", error)
    if missing is Status.NOT_APPLICABLE:
        raise error("`missing` must be pass, fail or unknown")
    try:
        where = (compile_condition(entry["where"], location=f"{origin}: rule {rule_id}: where")
                 if entry.get("where") is not None else None)
        condition = None
        if check is None:
            if entry.get("condition") is None:
                raise error("a declarative rule needs a `condition` (or `check: python` and a function)")
            condition = compile_condition(entry["condition"], location=f"{origin}: rule {rule_id}")
    except ConditionError as exc:
        raise RuleDefinitionError(str(exc)) from None
    if check is not None and entry.get("messages") is not None:
        raise error("`messages` are for declarative rules: a Python rule writes its own messages")
    references = entry.get("references")
    return Rule(
        info=info,
        resource_types=_strings(entry.get("resource_types"), "resource_types", error, required=True),
        doc=_doc(entry.get("doc"), error),
        references=_strings(references, "references", error),
        kind="python" if check is not None else "declarative",
        where=where,
        condition=condition,
        check=check,
        missing=missing,
        maps_to=_maps_to(entry.get("maps_to"), error),
        aliases=_strings(entry.get("aliases"), "aliases", error),
        messages=_messages(entry.get("messages"), error),
        origin=origin,
        module=module,
        by_document=by_document and check is not None,
        moot_if_failing=_moot_if_failing(entry.get("moot_if_failing"), rule_id, error),
        context=_context(entry.get("context"), error),
        fix=_fix(entry.get("fix"), condition, error),
    )


def implements(*rule_ids: str, by_document: bool = False) -> Callable[[Check], RuleLogic]:
    """Register the logic of the Python rules `rule_ids`, whose metadata and documentation are catalog entries.

    The registry imports every module of `aiwell.rules.checks`, joins each function to the catalog entries with
    its ids (declared `check: python`), and refuses a function without an entry or an entry without one.
    `by_document` declares that the function's verdict depends on the resource's document and source format alone
    (`RuleLogic.by_document`).
    """
    bad = [rule_id for rule_id in rule_ids if not RULE_ID.match(rule_id)]
    if not rule_ids or bad:
        raise RuleDefinitionError(f"@implements{rule_ids!r}: expected rule ids such as AIS004")

    def register(function: Check) -> RuleLogic:
        return RuleLogic(tuple(rule_ids), function, function.__module__, by_document)
    return register


__all__ = [
    "CONTEXT_KEYS",
    "SHOWN_NAME_LENGTH",
    "MATCHES",
    "MESSAGE_FIELDS",
    "NOTE_MAX_LENGTH",
    "PEERS",
    "PEER_ID_FORMATS",
    "PYTHON_CHECK",
    "RULE_ID",
    "RULE_NAME",
    "USE_INSTEAD_FORMATS",
    "Check",
    "Doc",
    "EachCheck",
    "Match",
    "Peer",
    "FixStep",
    "PeerMapping",
    "Rule",
    "RuleDefinitionError",
    "RuleKind",
    "RuleLogic",
    "implements",
    "rule_error",
    "rule_from_mapping",
    "shown_name",
]
