"""The JSON report, schema `aiwell.report/1` (DESIGN.md §1.5; `report.schema.json` beside this file).

Fields may be added within a schema version; none may change meaning. Additions over DESIGN.md §1.5: input
`input`, `line`, `parameters`, `notes`, `address`, `files` and `unreviewed`; resource `input`,
`source.end_line`, `source.address` and `source.partial`; result `title`, `resource_type` and `resource_name`;
`scores.coverage` and each group's `coverage`; summary `not_applicable`, `not_analysed`, `partial` and
`baselined`; result `baselined` and `fingerprint` (`aiwell.baseline`); `warnings`, `rule_set`, `environment` and
`top_actions`.

- `results[].input` names the deployment a result comes from; every `inputs[]` record of that deployment and
  every resource of it carry the same label, so results join to both.
- Values that could not be resolved are written as `"<unresolved: EXPRESSION>"`, the same in `resources[].id`
  and `results[].resource_id`: a result joins to its resource by (`resource_id`, `input`).
- `scores.pillars` holds the pillars the review was asked about (all five unless `--pillar` was given).
- Text that is not valid Unicode (a lone surrogate from a broken escape or file name) is written with the
  offending code point as a `\\uXXXX` escape sequence in the text, never as invalid UTF-8.

Review additions (workload patterns, questionnaire, priorities): `workload.archetypes` (`name`, `evidence`:
resource ids, `reason`); each result's `priority` (High, Medium, Low), `weight` (0-100) and Well-Architected code
(`waf_code`, `waf_codes`); questionnaire results (`Q-...` rule ids) have no `resource_id`, `resource_type` or
`resource_name` and carry `answer` (`choices`, `credit`, `inferred`, `evidence`); each score's
`decided_by_severity`, `thin` and `basis`; `top_actions` (ranked, each with `resources`, `gain` and
`remediation`); `questionnaire` (the answers file and counts, or null when the review merged no answers).
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from aiwell.baseline import Fingerprinter, inventory_inputs, rule_part
from aiwell.model import InputRecord, Pillar, Resource, Result, RuleInfo, Status, Suppression, display_text
from aiwell.priorities import TopAction, priority, waf_code, weight
from aiwell.report import Report
from aiwell.scoring import Score

SCHEMA_ID = "aiwell.report/1"
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
"""The JSON Schema of the report."""


def _input(record: InputRecord) -> dict[str, Any]:
    return {
        "path": record.path,
        "input": record.input,
        "format": record.format,
        "status": record.status.value,
        "reason": record.reason,
        "line": record.line,
        "parameters": record.parameters,
        "resources": record.resources,
        "notes": list(record.notes),
        "address": record.address,
        "files": list(record.files),
        "unreviewed": list(record.unreviewed),
    }


def _resource(resource: Resource) -> dict[str, Any]:
    source = resource.source
    return {
        "id": display_text(resource.id),
        "type": resource.type,
        "name": display_text(resource.name),
        "input": source.input,
        "source": {
            "format": source.format.value,
            "file": source.file,
            "line": source.line,
            "end_line": source.end_line,
            "address": source.address,
            "partial": source.partial or None,
        },
    }


_RuleFields = tuple[RuleInfo, tuple[Any, ...]]


def _result(result: Result, fingerprint: Callable[[Result], str], pillar_weights: Mapping[Pillar, float],
            rules: dict[int, _RuleFields] | None = None) -> dict[str, Any]:
    """A result as JSON. `rules` keeps what the results of one rule repeat, worked out once per rule."""
    rule = result.rule
    location = result.location
    suppression = result.suppression
    kept = rules.get(id(rule)) if rules is not None else None
    if kept is None or kept[0] is not rule:
        kept = (rule, (rule.id, rule.name, rule.title, rule.severity.value, [pillar.value for pillar in rule.pillars],
                       rule.design_area.value, priority(rule), weight(rule, pillar_weights), waf_code(rule),
                       list(rule.waf)))
        if rules is not None:
            rules[id(rule)] = kept
    rule_id, rule_name, title, severity, pillars, design_area, rank, weighed, code, codes = kept[1]
    document: dict[str, Any] = {
        "rule_id": rule_id,
        "rule_name": rule_name,
        "title": title,
        "status": result.status.value,
        "severity": severity,
        "pillars": pillars,
        "design_area": design_area,
        "resource_id": display_text(result.resource_id),
        "resource_type": display_text(result.resource_type),
        "resource_name": display_text(result.resource_name),
        "input": result.input,
        "message": display_text(result.message),
        "location": None if location is None else {"file": location.file, "line": location.line},
        "suppression": None if suppression is None else {
            "reason": suppression.reason,
            "owner": suppression.owner,
            "expires": suppression.expires,
            "source": suppression.source,
        },
        "baselined": result.baselined,
        "fingerprint": fingerprint(result),
        "priority": rank,
        "weight": weighed,
        "waf_code": code,
        "waf_codes": codes,
    }
    if rule.id.startswith("Q-"):
        # A questionnaire result is about the workload, not a resource: no resource_id, type or name.
        for key in ("resource_id", "resource_type", "resource_name"):
            del document[key]
        answer = result.answer
        document["answer"] = None if answer is None else {
            "choices": list(answer.choices), "credit": answer.credit, "inferred": answer.inferred is not None,
            "evidence": answer.inferred}
    return document


def _score(score: Score) -> dict[str, Any]:
    return {
        "score": score.score,
        "passed": score.passed,
        "failed": score.failed,
        "unknown": score.unknown,
        "coverage": score.coverage,
        "decided_by_severity": {severity.value: count
                                for severity, count in (score.decided_by_severity or {}).items()},
        "thin": score.thin,
        "basis": score.basis(),
    }


def _top_action(action: TopAction) -> dict[str, Any]:
    return {
        "rule_id": action.rule.id,
        "rule_name": action.rule.name,
        "title": action.rule.title,
        "severity": action.rule.severity.value,
        "pillars": [pillar.value for pillar in action.rule.pillars],
        "design_area": action.rule.design_area.value,
        "priority": action.priority,
        "weight": action.weight,
        "waf_code": waf_code(action.rule),
        "resources": list(action.resources),
        "gain": action.gain,
        "remediation": {"format": action.remediation_format, "text": action.remediation},
        "message": action.message or None,
    }


def _workload(report: Report) -> dict[str, Any]:
    return {"archetypes": [{"name": archetype.name, "evidence": list(archetype.evidence),
                            "reason": archetype.reason} for archetype in report.workload]}


def _questionnaire(report: Report) -> dict[str, Any] | None:
    summary = report.questionnaire
    if summary is None:
        return None
    return {"answers_file": summary.answers_file, "questions": summary.questions, "answered": summary.answered,
            "inferred": summary.inferred, "not_applicable": summary.not_applicable,
            "unanswered": summary.unanswered, "evidence": list(summary.evidence)}


def report_document(report: Report, *, placeholders: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report as a JSON-ready dict, schema `aiwell.report/1`; `not_applicable` results are not listed.
    `placeholders` ("resources", "results" → text) puts that text where those arrays go."""
    scores = report.scores
    summary = report.summary
    rules: dict[int, _RuleFields] = {}
    fingerprint = Fingerprinter(inventory_inputs(report.inputs))
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "aiwell", "version": report.tool_version},
        "inputs": [_input(record) for record in report.inputs],
        "resources": placeholders["resources"] if placeholders else [
            _resource(resource) for resource in report.resources],
        "workload": _workload(report),
        "results": placeholders["results"] if placeholders else [
            _result(result, fingerprint, report.pillar_weights, rules) for result in report.listed_results],
        "scores": {
            "overall": scores.overall.score,
            "coverage": scores.overall.coverage,
            "pillars": {pillar.value: _score(score) for pillar, score in scores.pillars.items()},
            "design_areas": {area.value: _score(score) for area, score in scores.design_areas.items()},
        },
        "summary": {
            "pass": summary.passed,
            "fail": summary.failed,
            "unknown": summary.unknown,
            "suppressed": summary.suppressed,
            "not_applicable": summary.not_applicable,
            "not_analysed": summary.not_analysed,
            "partial": summary.partial,
            "baselined": summary.baselined,
            "by_severity": {
                severity.value: {"fail": counts.failed, "unknown": counts.unknown}
                for severity, counts in summary.by_severity.items()
            },
        },
        "warnings": list(report.warnings),
        "rule_set": report.rule_set,
        "environment": report.environment,
        "top_actions": [_top_action(action) for action in report.top_actions],
        "questionnaire": _questionnaire(report),
    }


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # A lone surrogate somewhere (orjson refuses text that is not valid Unicode): escape it and write again.
        return orjson.dumps(_valid_unicode(value), option=_OPTIONS)


_BATCH = 2000
"""How many members of a large array are encoded by one call: few enough that a batch's dicts and text stay small,
enough that the cost of each call is spread thin."""


def _array(items: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """A top-level key's array as orjson writes it at that depth (each member indented by four spaces), encoded
    a batch of members at a time."""
    opening = b"["
    while batch := list(itertools.islice(items, _BATCH)):
        # orjson writes `[\n  {...},\n  {...}\n]`; indented two more spaces, its members sit at this depth.
        encoded = _dumps(batch)
        yield opening + encoded[1:-2].replace(b"\n", b"\n  ")
        opening = b","
    yield b"[]" if opening == b"[" else b"\n  ]"


_SLOTS = ("status", "resource_id", "resource_type", "resource_name", "input", "message", "location", "suppression",
          "baselined", "fingerprint")
"""The fields of a result (not a questionnaire one) that vary within one rule's results, in document order."""

_MEMBER_INDENT = b"\n      "
"""What a line break inside a value of a member of the `results` array is followed by (its keys' depth)."""

_STATUSES = {status: orjson.dumps(status.value) for status in Status}

_UNSEEN = object()
"""No message encoded yet (`_ResultEncoder.array`)."""


class _ResultEncoder:
    """The results array's members as `_array` writes them, each put together from pre-encoded pieces: what one
    rule's results repeat is encoded once into a template (with the exact layout orjson gives the whole
    member), and what one resource's results repeat (its id, type, name, input, location and its part of the
    fingerprint) once per resource; only the status, message and fingerprint are worked out per result."""

    def __init__(self, report: Report) -> None:
        self._weights = report.pillar_weights
        self._fingerprint = Fingerprinter(inventory_inputs(report.inputs))
        self._templates: dict[int, tuple[RuleInfo, list[bytes], bytes]] = {}
        self._subjects: dict[int, tuple[Any, ...]] = {}
        self._dicts: dict[int, _RuleFields] = {}
        self._token = secrets.token_hex(8)
        self._locations: dict[tuple[str, int | None], bytes] = {}

    def array(self, results: Iterable[Result]) -> Iterator[bytes]:
        """The `results` array of the listed ones among `results` (not `not_applicable`), as `_array` writes it,
        `_BATCH` members at a time: each member `\n    {...\n    }`."""
        templates, subjects, hexlify = self._templates, self._subjects, binascii.hexlify
        dumps, not_applicable, statuses = orjson.dumps, Status.NOT_APPLICABLE, _STATUSES
        # The pieces of a batch's members, each member led by a comma, joined once per batch: no member is put
        # together on its own only to be copied again into its batch.
        batch: list[bytes] = []
        extend = batch.extend
        members = 0
        first = True
        rule: RuleInfo | None = None
        pieces: list[bytes] = []
        heads: dict[Status, bytes] = {}
        plain = encoded_message = b""
        rule_hash = hashlib.sha256()
        last_message: object = _UNSEEN
        for result in results:
            status = result.status
            if status is not_applicable:
                continue
            if result.rule is not rule:
                rule = result.rule
                kept = templates.get(id(rule))
                if kept is None or kept[0] is not rule:
                    kept = (rule, self._template(rule), rule_part(rule.id))
                    templates[id(rule)] = kept
                pieces = kept[1]
                # The fingerprint hashes the rule's part, then the resource's: the rule's hashed once, copied.
                rule_hash = hashlib.sha256(kept[2])
                if pieces:
                    # The pieces around the status, and those from the location to the fingerprint of a result
                    # neither suppressed nor baselined, laid end to end once per rule.
                    heads = {each: b"," + pieces[0] + encoded + pieces[1] for each, encoded in statuses.items()}
                    plain = pieces[4] + b"null" + pieces[5] + b"false" + pieces[6]
            if not pieces:
                extend((b",", self._member(result)))
            else:
                # Results keep their resource's id, type, name, input and location objects: while the results
                # live, the id of the first (its `id()`) names them all.
                resource_id, location = result.resource_id, result.location
                subject = subjects.get(id(resource_id))
                if (subject is None or subject[0] is not resource_id or subject[1] is not result.resource_type
                        or subject[2] is not result.resource_name or subject[3] is not result.input
                        or subject[4] is not location):
                    try:
                        subject = self._subject(result)
                    except orjson.JSONEncodeError:  # text that is not valid Unicode: the slow, escaping way
                        subject = None
                    else:
                        subjects[id(resource_id)] = subject
                message, suppression = result.message, result.suppression
                try:
                    if message is not last_message:
                        # Resources configured alike share a verdict's message object: encoded once for a run.
                        encoded_message = dumps(message if message.__class__ is str else display_text(message))
                        last_message = message
                    encoded_suppression = None if suppression is None else self._value(_suppression(suppression))
                except orjson.JSONEncodeError:
                    subject = None
                if subject is None:
                    extend((b",", self._member(result)))
                else:
                    digest = rule_hash.copy()
                    digest.update(subject[7])
                    fingerprint = hexlify(digest.digest()[:16])
                    if encoded_suppression is None and not result.baselined:
                        extend((heads[status], subject[5], pieces[2], encoded_message, pieces[3], subject[6], plain,
                                fingerprint, pieces[7]))
                    else:
                        extend((
                            heads[status], subject[5], pieces[2], encoded_message, pieces[3], subject[6],
                            pieces[4], b"null" if encoded_suppression is None else encoded_suppression, pieces[5],
                            b"true" if result.baselined else b"false", pieces[6], fingerprint, pieces[7]))
            members += 1
            if members == _BATCH:
                yield _batch(batch, first)
                first, members = False, 0
                batch.clear()
        if batch:
            yield _batch(batch, first)
            first = False
        yield b"[]" if first else b"\n  ]"

    def _member(self, result: Result) -> bytes:
        document = _result(result, self._fingerprint, self._weights, self._dicts)
        return _dumps([document])[1:-2].replace(b"\n", b"\n  ")

    def _template(self, rule: RuleInfo) -> list[bytes]:
        """The constant pieces of `rule`'s members, between the variable ones: the member `_array` writes for a
        result whose variable fields are placeholders, split at them (the fingerprint's quotes kept with the
        pieces around it). Empty for a questionnaire rule (its results have another shape: encoded one by
        one)."""
        if rule.id.startswith("Q-"):
            return []
        placeholders = {slot: orjson.dumps(f"@aiwell-{slot}-{self._token}@") for slot in _SLOTS}
        document = _result(Result(rule, Status.PASS, "", "", "", ""), lambda _result: "", self._weights)
        document.update((slot, f"@aiwell-{slot}-{self._token}@") for slot in _SLOTS)
        encoded = _dumps([document])[1:-2].replace(b"\n", b"\n  ")
        if any(encoded.count(placeholder) != 1 for placeholder in placeholders.values()):
            return []  # never in practice: the token is random
        pieces: list[bytes] = []
        for slot in _SLOTS:
            before, _, encoded = encoded.partition(placeholders[slot])
            pieces.append(before)
        pieces.append(encoded)
        # The resource's id, type, name and input follow one another: one piece, with these between them.
        self._between = pieces[2:5]
        return [pieces[0], pieces[1], pieces[5], pieces[6], pieces[7], pieces[8], pieces[9] + b'"',
                b'"' + pieces[10]]

    _between: list[bytes]

    def _subject(self, result: Result) -> tuple[Any, ...]:
        """What the results on one resource share: the objects that name it, then its encoded id, type, name and
        input (one piece), its encoded location, and its part of the fingerprint."""
        between, location = self._between, result.location
        encoded = b"".join((
            orjson.dumps(display_text(result.resource_id)), between[0],
            orjson.dumps(display_text(result.resource_type)), between[1],
            orjson.dumps(display_text(result.resource_name)), between[2], orjson.dumps(result.input)))
        encoded_location = b"null"
        if location is not None:
            # The resources of one file share its name and often a line (an export written on one line).
            spot = (location.file, location.line)
            encoded_location = self._locations.get(spot) or self._locations.setdefault(
                spot, self._value({"file": location.file, "line": location.line}))
        return (result.resource_id, result.resource_type, result.resource_name, result.input, location, encoded,
                encoded_location, self._fingerprint.resource_part(result))

    @staticmethod
    def _value(value: Any) -> bytes:
        return orjson.dumps(value, option=_OPTIONS).replace(b"\n", _MEMBER_INDENT)


def _batch(pieces: list[bytes], first: bool) -> bytes:
    """A batch of the results array's members, each led by a comma (`pieces` joined): the array's first batch
    opens it instead."""
    joined = b"".join(pieces)
    return b"[" + joined[1:] if first else joined


def _suppression(suppression: Suppression) -> dict[str, Any]:
    return {"reason": suppression.reason, "owner": suppression.owner, "expires": suppression.expires,
            "source": suppression.source}


def iter_json_bytes(report: Report) -> Iterator[bytes]:
    """The report as UTF-8 JSON (two-space indent, no trailing newline) in pieces, encoded by orjson.

    Resources and results are encoded one by one as the pieces are consumed, so neither their dicts nor the
    whole text of a large report (180 MB for a 50,000-row inventory) need be held at once; joined, the pieces
    are the bytes of encoding the whole document."""
    token = secrets.token_hex(16)
    placeholders = {key: f"\x00aiwell {key} {token}" for key in ("resources", "results")}
    encoded = _dumps(report_document(report, placeholders=placeholders))
    spots = [orjson.dumps(placeholders[key]) for key in ("resources", "results")]
    if any(encoded.count(spot) != 1 for spot in spots):  # never in practice: the token is random
        yield _dumps(report_document(report))
        return
    resources_at, results_at = (encoded.index(spot) for spot in spots)
    yield encoded[:resources_at]
    yield from _array(_resource(resource) for resource in report.resources)
    yield encoded[resources_at + len(spots[0]):results_at]
    yield from _ResultEncoder(report).array(report.results)
    yield encoded[results_at + len(spots[1]):]


def render_json_bytes(report: Report) -> bytes:
    """The report as UTF-8 JSON (two-space indent, no trailing newline): `iter_json_bytes` joined."""
    return b"".join(iter_json_bytes(report))


def render_json(report: Report) -> str:
    """The report as JSON text (two-space indent, UTF-8 characters kept, no trailing newline)."""
    return render_json_bytes(report).decode("utf-8")


_OPTIONS = orjson.OPT_INDENT_2


def _valid_unicode(value: Any) -> Any:
    """`value` with every string that is not valid Unicode written with `\\uXXXX` escapes in its text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {_valid_unicode(key): _valid_unicode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_valid_unicode(item) for item in value]
    return value


__all__ = ["SCHEMA_ID", "SCHEMA_PATH", "iter_json_bytes", "render_json", "render_json_bytes", "report_document"]
