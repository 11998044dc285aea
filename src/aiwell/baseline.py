"""Findings baselines: the fingerprints of today's failures, so that CI gates only on new ones.

`aiwell baseline write PATH... --output FILE` records the failures of a review, and the results it could not
decide (`unknown`, which gate as failures do); `aiwell review PATH... --baseline FILE` then marks the results
found in it (`Result.baselined`): they are still reported and scored, but only new ones gate. A result recorded
as unknown that now fails is new; one recorded as a failure that is now unknown is not.

A fingerprint names a finding by what it is, not by where it sits: the rule id, the resource id (compared
case-insensitively, as Azure compares ids) and, for infrastructure as code, the deployment it comes from (the
template with its parameter file, the Terraform root with its var files, each file named relative to the root of
its repository), since one template deployed twice gives resources with the same id. Run from the repository root
on `infra` or from `infra` on `.`, a finding keeps its fingerprint. Inventory ids are real and unique, and exports
are often renamed each month, so an inventory finding leaves the file name out. Line numbers, formatting, the
order of resources and the message text play no part: reformatting a file, reordering resources or moving lines
keeps every fingerprint, while a renamed resource or another rule gives a new one.

The file (`aiwell.baseline/1`) is JSON, sorted, without timestamps, so that it diffs well in review:

    {"schema": "aiwell.baseline/1", "tool": {"name": "aiwell", "version": "..."},
     "findings": [{"fingerprint", "rule_id", "resource_id", "input", "message", "status"}, ...]}

`status` is `fail` or `unknown` (a file without it holds failures).

Failures of `AIW000` (an input that could not be analysed) are never recorded: an unreadable file gates every run
until it is fixed or suppressed with a reason.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from msgspec import Struct
from msgspec.structs import replace

from aiwell.errors import ConfigError
from aiwell.loaders.files import repository_root, resolved
from aiwell.model import AIW000, InputRecord, Result, SourceFormat, Status, display_text

SCHEMA_ID = "aiwell.baseline/1"
FINGERPRINT_KEY = "aiwell/v1"
"""The name of the fingerprint in SARIF `partialFingerprints`: a new scheme gets a new name."""


def fingerprint(result: Result, *, inventory: bool = False) -> str:
    """The stable fingerprint of a result (see the module docstring); `inventory` for a result on a resource
    read from an inventory export."""
    return _digest(result.rule.id, _resource_part(result, inventory=inventory, cwd=os.getcwd()))


def _resource_part(result: Result, *, inventory: bool, cwd: str) -> bytes:
    """What a result's resource (and, for infrastructure as code, its input) puts in its fingerprint."""
    parts = [display_text(result.resource_id).lower()]
    if not inventory:
        parts.append(_in_repository(result.input, cwd).replace("\\", "/").lower())
    return "\x1f".join(parts).encode("utf-8", "surrogatepass")


def _digest(rule_id: str, resource_part: bytes) -> str:
    return hashlib.sha256(rule_part(rule_id) + resource_part).hexdigest()[:32]


def rule_part(rule_id: str) -> bytes:
    """What a result's rule puts in its fingerprint, before its resource's part (`Fingerprinter.resource_part`):
    the fingerprint is the first 32 hex digits of the SHA-256 of the two joined."""
    return rule_id.upper().encode("utf-8", "surrogatepass") + b"\x1f"


class Fingerprinter:
    """`fingerprint` for every result of a report: the part each resource and input contribute is worked out once,
    not once per rule that judged it; `inventories` are the input labels that are inventory exports."""

    def __init__(self, inventories: frozenset[str] = frozenset()) -> None:
        self._inventories = inventories
        self._cwd = os.getcwd()
        self._resource_parts: dict[tuple[object, str], bytes] = {}

    def __call__(self, result: Result) -> str:
        return _digest(result.rule.id, self.resource_part(result))

    def resource_part(self, result: Result) -> bytes:
        """What the result's resource (and input) put in its fingerprint, after its rule's part (`rule_part`)."""
        key = (result.resource_id, result.input)
        part = self._resource_parts.get(key)
        if part is None:
            part = _resource_part(result, inventory=result.input in self._inventories, cwd=self._cwd)
            self._resource_parts[key] = part
        return part


@lru_cache(maxsize=4096)
def _in_repository(label: str, cwd: str) -> str:
    """An input label (`input_label`) with each file named relative to the root of its repository (the nearest
    folder holding `.git`), so that it does not depend on the folder the run starts in (`cwd`, part of the cache
    key) or on how the path was given; a file outside any repository keeps its name as given."""
    named = []
    for part in label.split(" + "):
        path = Path(part) if os.path.isabs(part) else Path(cwd) / part
        root = repository_root(path)
        target = resolved(path)
        if root is not None and target is not None and target.is_relative_to(root):
            part = target.relative_to(root).as_posix()
        named.append(part)
    return " + ".join(named)


def inventory_inputs(records: Iterable[InputRecord]) -> frozenset[str]:
    """The labels of the inputs that are inventory exports."""
    return frozenset(record.input for record in records if record.format == SourceFormat.INVENTORY.value)


def fingerprints(results: Iterable[Result], inventories: frozenset[str] = frozenset()) -> dict[Result, str]:
    """The fingerprint of each result; `inventories` are the input labels that are inventory exports."""
    return {result: fingerprint(result, inventory=result.input in inventories) for result in results}


def recordable(result: Result) -> bool:
    """Whether a result goes into a baseline: a failure or an unknown, not suppressed, not `AIW000`."""
    return (result.status in (Status.FAIL, Status.UNKNOWN) and result.suppression is None
            and result.rule.id != AIW000.id)


class Baseline(Struct, frozen=True):
    """The fingerprints of a baseline file, with where it was read from."""

    path: str
    findings: frozenset[str]
    """The fingerprints of the failures recorded."""
    unknown: frozenset[str] = frozenset()
    """The fingerprints of the results recorded as unknown."""


def baseline_document(results: Sequence[Result], *, tool_version: str,
                      inventories: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The baseline of these results as a JSON-ready dict (failures and unknowns; see `recordable`)."""
    entries: dict[str, dict[str, str]] = {}
    for result in results:
        if not recordable(result):
            continue
        key = fingerprint(result, inventory=result.input in inventories)
        entries.setdefault(key, {"fingerprint": key, "rule_id": result.rule.id,
                                 "resource_id": display_text(result.resource_id), "input": result.input,
                                 "message": display_text(result.message), "status": result.status.value})
    return {"schema": SCHEMA_ID, "tool": {"name": "aiwell", "version": tool_version},
            "findings": [entries[key] for key in sorted(entries)]}


def render_baseline(results: Sequence[Result], *, tool_version: str,
                    inventories: frozenset[str] = frozenset()) -> bytes:
    """The baseline file's bytes (two-space indented JSON and a final newline)."""
    document = baseline_document(results, tool_version=tool_version, inventories=inventories)
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; a missing or malformed one is a configuration error naming the file."""
    try:
        document = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"baseline {path}: no such file",
                          hint="write one with `aiwell baseline write PATH... --output FILE`") from None
    except OSError as exc:
        raise ConfigError(f"baseline {path}: cannot read it: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"baseline {path}: not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA_ID:
        raise ConfigError(f"baseline {path}: not an {SCHEMA_ID} file",
                          hint="write one with `aiwell baseline write PATH... --output FILE`")
    findings = document.get("findings")
    if not isinstance(findings, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str) for entry in findings):
        raise ConfigError(f"baseline {path}: `findings` must be a list of objects with a fingerprint")
    statuses = {entry.get("status", Status.FAIL.value) for entry in findings}
    if not statuses <= {Status.FAIL.value, Status.UNKNOWN.value}:
        raise ConfigError(f"baseline {path}: a finding's `status` must be fail or unknown, not "
                          + ", ".join(repr(status) for status in sorted(statuses, key=str)
                                      if status not in (Status.FAIL.value, Status.UNKNOWN.value)))
    return Baseline(str(path),
                    frozenset(e["fingerprint"] for e in findings if e.get("status", "fail") == Status.FAIL.value),
                    frozenset(e["fingerprint"] for e in findings if e.get("status") == Status.UNKNOWN.value))


def apply_baseline(results: Sequence[Result], baseline: Baseline, *,
                   inventories: frozenset[str] = frozenset()) -> tuple[list[Result], list[str]]:
    """Mark the failures and unknowns found in the baseline (`Result.baselined`): a failure recorded as one, an
    unknown recorded as either; and say how many of its findings are gone."""
    marked: list[Result] = []
    seen: set[str] = set()
    for result in results:
        if recordable(result):
            key = fingerprint(result, inventory=result.input in inventories)
            known = baseline.findings if result.status is Status.FAIL else baseline.findings | baseline.unknown
            if key in known:
                seen.add(key)
                result = replace(result, baselined=True)
        marked.append(result)
    notes = []
    recorded = baseline.findings | baseline.unknown
    fixed = len(recorded - seen)
    if fixed:
        notes.append(f"baseline {baseline.path}: {fixed} of its {len(recorded)} findings no longer fail or stay "
                     "unknown; write the baseline again to drop them")
    return marked, notes


__all__ = [
    "FINGERPRINT_KEY",
    "SCHEMA_ID",
    "Baseline",
    "apply_baseline",
    "baseline_document",
    "fingerprint",
    "fingerprints",
    "inventory_inputs",
    "load_baseline",
    "recordable",
    "render_baseline",
]
