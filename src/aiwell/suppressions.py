"""Suppressions: accepted risks, each with a reason, kept visible in every report.

Three places declare them:

- **The suppressions file**, `.aiwell/suppressions.yaml` at the root of the reviewed repository (or the file given
  with `--suppressions`): a YAML list of entries

      - rule: AIS002            # id, name or glob (AIS*, ai-services-*)
        resource: chat-oai      # glob on the resource name, type or id (case-insensitive)
        reason: the batch job still signs with keys; moving to Entra ID in PLAT-123   # required
        owner: platform-team    # optional
        expires: 2027-03-31     # optional ISO date: the last day it applies

- **Inline comments** in Bicep and Terraform, inside a resource or in the comment lines just above it (decorators
  between them are fine): `// aiwell:ignore AIS002 reason` or `# aiwell:ignore AIS002,AIS003 reason`, with
  optional `expires=YYYY-MM-DD` and `owner=NAME` before the reason. A comment belongs to the innermost resource
  whose lines hold it.
- **ARM metadata**: `"metadata": {"aiwell": {"ignore": [{"rule": "AIS002", "reason": "...", "owner": "...",
  "expires": "2027-03-31"}]}}` on a resource of a template, or items written as the inline comment's text
  (`"AIS002 reason"`).

A suppressed failure or unknown stays in the report with its suppression (`Result.suppression`): counted as
suppressed, neither scored nor gating. An expired suppression stops suppressing and warns; a suppression that
matches no failing or unknown result warns (the problem was fixed, or the entry has a typo); an inline comment
without a reason warns and suppresses nothing. A malformed suppressions file is a configuration error naming the
file, the line and the key.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from aiwell.errors import ConfigError, InputError
from aiwell.model import Resource, Result, RuleInfo, SourceFormat, Status, Suppression, display_text

DEFAULT_FILE = Path(".aiwell") / "suppressions.yaml"
"""Where the suppressions file is looked for, under the root of the reviewed repository."""
EXTERNAL_SOURCE = "suppressions file "
"""How `Suppression.source` starts for an entry of the suppressions file (SARIF calls these `external`)."""
INLINE_SOURCE = "inline comment "
METADATA_SOURCE = "ARM metadata "

_ENTRY_KEYS = ("rule", "resource", "reason", "owner", "expires")
_INLINE = re.compile(r"(?://|#|/\*)\s*aiwell:ignore\b(?P<body>.*?)(?:\*/)?\s*$")
_OPTION = re.compile(r"(?P<key>expires|owner)=(?P<value>\S+)")
_COMMENT_OR_DECORATOR = re.compile(r"^\s*(?://|#|/\*|\*|@)")


class Entry(Struct, frozen=True):
    """One suppression, from wherever it was declared."""

    rule: str
    """Rule id, name or glob."""
    resource: str
    """Glob on the resource name, type or id."""
    reason: str
    source: str
    """Where it was declared: `suppressions file PATH:LINE`, `inline comment FILE:LINE`, `ARM metadata FILE:LINE`."""
    owner: str | None = None
    expires: dt.date | None = None
    """The last day the suppression applies."""

    def expired(self, today: dt.date) -> bool:
        """Whether the suppression no longer applies on `today`."""
        return self.expires is not None and today > self.expires

    def suppression(self) -> Suppression:
        """The mark a suppressed result carries."""
        return Suppression(reason=self.reason, owner=self.owner,
                           expires=self.expires.isoformat() if self.expires else None, source=self.source)


@functools.lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE | re.DOTALL)


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where}: `expires` is {value!r}; expected an ISO date (2027-03-31)")


# --- the suppressions file -------------------------------------------------------------------------------------


def load_suppressions_file(path: Path) -> list[Entry]:
    """The entries of a suppressions file; a missing or malformed file is a `ConfigError` naming file and line."""
    import yaml  # only when there is a file to read

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"suppressions file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"suppressions file {path}: cannot read it: {exc}") from None
    try:
        values = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"suppressions file {path}{line}: not valid YAML: "
                          f"{getattr(exc, 'problem', None) or exc}") from None
    if values is None:
        return []
    if not isinstance(values, list) or not isinstance(node, yaml.SequenceNode):
        raise ConfigError(f"suppressions file {path}: expected a list of entries (- rule: ..., resource: ..., "
                          "reason: ...)")
    entries = []
    for value, item in zip(values, node.value, strict=True):
        where = f"{path}:{item.start_mark.line + 1}"
        entries.append(_file_entry(value, where))
    return entries


def _file_entry(value: Any, where: str) -> Entry:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: a suppression is a mapping with rule, resource, reason, owner, expires")
    unknown = sorted(str(key) for key in value if key not in _ENTRY_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {', '.join(unknown)} in a suppression",
                          hint="a suppression has rule, resource, reason, owner and expires")
    texts: dict[str, str] = {}
    for key in ("rule", "resource", "reason", "owner"):
        item = value.get(key)
        if item is None:
            continue
        if not isinstance(item, str | int | float) or isinstance(item, bool) or not str(item).strip():
            raise ConfigError(f"{where}: `{key}` must be text")
        texts[key] = str(item).strip()
    for key in ("rule", "resource", "reason"):
        if key not in texts:
            raise ConfigError(f"{where}: a suppression needs `{key}`"
                              + (": say why the risk is accepted" if key == "reason" else ""))
    return Entry(rule=texts["rule"], resource=texts["resource"], reason=texts["reason"], owner=texts.get("owner"),
                 expires=_date(value.get("expires"), where), source=f"{EXTERNAL_SOURCE}{where}")


# --- inline comments and ARM metadata --------------------------------------------------------------------------


class Declared(Struct, frozen=True):
    """Suppressions declared on resources (inline comments, ARM metadata), and what was wrong with some."""

    entries: Mapping[int, tuple[Entry, ...]]
    """`id()` of a resource → the entries declared on it."""
    warnings: tuple[str, ...] = ()


def _inline_entry(body: str, where: str, source: str) -> Entry | str:
    """An entry from the text after `aiwell:ignore`, or a warning saying what is wrong with it."""
    words = body.split()
    if not words:
        return f"{where}: `aiwell:ignore` names no rule; it suppresses nothing"
    rules = [rule for rule in words[0].split(",") if rule]
    options: dict[str, str] = {}
    rest = words[1:]
    while rest and (match := _OPTION.fullmatch(rest[0])):
        options[match.group("key")] = match.group("value")
        rest = rest[1:]
    reason = " ".join(rest).strip()
    if not reason:
        return f"{where}: `aiwell:ignore {words[0]}` gives no reason; it suppresses nothing"
    try:
        expires = _date(options.get("expires"), where)
    except ConfigError as exc:
        return f"{exc.message}; it suppresses nothing"
    return Entry(rule=",".join(rules), resource="*", reason=reason, owner=options.get("owner"), expires=expires,
                 source=f"{source}{where}")


def _split_rules(entry: Entry) -> list[Entry]:
    return [replace(entry, rule=rule) for rule in entry.rule.split(",")]


def _read_text(path: str) -> str | None:
    from aiwell.loaders.files import read_file_text

    try:
        return read_file_text(Path(path))
    except (OSError, InputError, ValueError):
        return None


def _owner_of(line: int, spans: Sequence[tuple[int, int, int]], lines: Sequence[str]) -> list[int]:
    """The resources (by index into the file's resources) an inline comment on `line` belongs to: the innermost
    whose lines hold it, else the resource just below a run of comment and decorator lines that holds it."""
    holding = [(start, index) for start, end, index in spans if start <= line <= end]
    if holding:
        innermost = max(start for start, _ in holding)
        return [index for start, index in holding if start == innermost]
    below = line + 1
    while below - 1 < len(lines) and _COMMENT_OR_DECORATOR.match(lines[below - 1]):
        below += 1
    return [index for start, _, index in spans if start == below]


def declared_suppressions(resources: Sequence[Resource]) -> Declared:
    """The inline comments of the Bicep and Terraform files, and the `metadata.aiwell` of the ARM templates, that
    the resources came from, attached to their resources."""
    by_file: dict[tuple[SourceFormat, str], list[Resource]] = defaultdict(list)
    for resource in resources:
        source = resource.source
        if source.file and source.line and source.format in (SourceFormat.BICEP, SourceFormat.TERRAFORM,
                                                               SourceFormat.ARM):
            by_file[(source.format, source.file)].append(resource)
    entries: dict[int, list[Entry]] = defaultdict(list)
    warnings: list[str] = []
    for (kind, file), found in by_file.items():
        if kind is SourceFormat.ARM:
            _arm_metadata(file, found, entries, warnings)
        else:
            _inline_comments(file, found, entries, warnings)
    return Declared({key: tuple(value) for key, value in entries.items()}, tuple(warnings))


def _inline_comments(file: str, resources: list[Resource], entries: dict[int, list[Entry]],
                     warnings: list[str]) -> None:
    content = _read_text(file)
    if content is None or "aiwell:ignore" not in content:
        return
    lines = content.splitlines()
    spans = [(resource.source.line or 0, resource.source.end_line or resource.source.line or 0, index)
             for index, resource in enumerate(resources)]
    for number, text in enumerate(lines, start=1):
        if "aiwell:ignore" not in text:
            continue
        match = _INLINE.search(text)
        if match is None:
            continue
        where = f"{file}:{number}"
        entry = _inline_entry(match.group("body"), where, INLINE_SOURCE)
        if isinstance(entry, str):
            warnings.append(entry)
            continue
        owners = _owner_of(number, spans, lines)
        if not owners:
            warnings.append(f"{where}: `aiwell:ignore` is neither inside a resource nor just above one; it "
                            "suppresses nothing")
            continue
        for index in owners:
            entries[id(resources[index])].extend(_split_rules(entry))


def _arm_metadata(file: str, resources: list[Resource], entries: dict[int, list[Entry]],
                  warnings: list[str]) -> None:
    from aiwell.loaders.jsonc import parse_text

    # The text as the loader read it, so that the lines of its objects are the lines of the resources.
    text = _read_text(file)
    if text is None or '"aiwell"' not in text:
        return
    try:
        document = parse_text(text, file)
    except InputError:
        return
    declared: dict[int, list[Entry]] = {}
    for obj in _tracked_objects(document.value):
        start = document.line_of(obj)
        metadata = obj.get("metadata")
        if start is None or not isinstance(metadata, dict) or "aiwell" not in metadata:
            continue
        where = f"{file}:{start}"
        found = _metadata_entries(metadata["aiwell"], where, warnings)
        if found:
            declared[start] = found
    for resource in resources:
        for entry in declared.get(resource.source.line or 0, ()):
            entries[id(resource)].extend(_split_rules(entry))


def _tracked_objects(value: Any) -> Iterable[dict[str, Any]]:
    """Every object under a `resources` key, wherever it sits (nested deployments included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            resources = item.get("resources")
            members = resources.values() if isinstance(resources, dict) else resources \
                if isinstance(resources, list) else ()
            for member in members:
                if isinstance(member, dict):
                    yield member
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _metadata_entries(value: Any, where: str, warnings: list[str]) -> list[Entry]:
    items = value.get("ignore") if isinstance(value, dict) else None
    if not isinstance(items, list):
        warnings.append(f"{where}: metadata.aiwell must be {{\"ignore\": [...]}}; it suppresses nothing")
        return []
    found: list[Entry] = []
    for item in items:
        if isinstance(item, str):
            entry = _inline_entry(item, where, METADATA_SOURCE)
            if isinstance(entry, str):
                warnings.append(entry)
            else:
                found.append(entry)
            continue
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str) \
                or not isinstance(item.get("reason"), str) or not item["reason"].strip():
            warnings.append(f"{where}: each metadata.aiwell.ignore item needs a rule and a reason; this one "
                            "suppresses nothing")
            continue
        unknown = sorted(str(key) for key in item if key not in ("rule", "reason", "owner", "expires"))
        if unknown:
            warnings.append(f"{where}: unknown key {', '.join(unknown)} in metadata.aiwell.ignore; the item "
                            "suppresses nothing")
            continue
        try:
            expires = _date(item.get("expires"), where)
        except ConfigError as exc:
            warnings.append(f"{exc.message}; it suppresses nothing")
            continue
        owner = item.get("owner")
        found.append(Entry(rule=item["rule"].strip(), resource="*", reason=item["reason"].strip(),
                           owner=owner if isinstance(owner, str) else None, expires=expires,
                           source=f"{METADATA_SOURCE}{where}"))
    return found


# --- applying them ---------------------------------------------------------------------------------------------


def _rule_matches(pattern: re.Pattern[str], info: RuleInfo, aliases: Mapping[str, tuple[str, ...]]) -> bool:
    return any(pattern.fullmatch(key) for key in (info.id, info.name, *aliases.get(info.id, ())))


def _resource_matches(pattern: re.Pattern[str], result: Result) -> bool:
    return any(pattern.fullmatch(display_text(key)) for key in (result.resource_name, result.resource_type,
                                                                  result.resource_id) if key)


def apply_suppressions(results: Sequence[Result], resources: Sequence[Resource], *, file_entries: Sequence[Entry],
                       declared: Declared | None = None, today: dt.date | None = None,
                       aliases: Mapping[str, tuple[str, ...]] | None = None) -> tuple[list[Result], list[str]]:
    """Mark the results the suppressions cover, and warn about expired suppressions and ones that match nothing.

    `declared` are the suppressions on resources (`declared_suppressions`); they are tried before the file's.
    Only failures and unknowns are suppressed. `aliases` (rule id → its old names) lets an entry name a renamed
    rule by its old name. Results come back in the order given.
    """
    today = today or dt.date.today()
    aliases = aliases or {}
    declared = declared or Declared({})
    if not file_entries and not declared.entries:
        return list(results), list(dict.fromkeys(declared.warnings))  # nothing to match: as the loop below finds
    by_resource: dict[tuple[str, str], tuple[Entry, ...]] = {}
    for resource in resources:
        found = declared.entries.get(id(resource))
        if found:
            key = (display_text(resource.id), resource.source.input)
            by_resource[key] = by_resource.get(key, ()) + found
    compiled = [(entry, _glob(entry.rule), _glob(entry.resource)) for entry in file_entries]
    used: dict[tuple[str, str], int] = defaultdict(int)
    expired_hits: dict[tuple[str, str], int] = defaultdict(int)
    marked: list[Result] = []
    for result in results:
        if result.status not in (Status.FAIL, Status.UNKNOWN) or result.suppression is not None:
            marked.append(result)
            continue
        chosen: Entry | None = None
        for entry in by_resource.get((result.resource_id, result.input), ()):
            if _rule_matches(_glob(entry.rule), result.rule, aliases):
                if entry.expired(today):
                    expired_hits[(entry.source, entry.rule)] += 1
                    continue
                chosen = entry
                break
        if chosen is None:
            for entry, rule_pattern, resource_pattern in compiled:
                if _rule_matches(rule_pattern, result.rule, aliases) and _resource_matches(resource_pattern, result):
                    if entry.expired(today):
                        expired_hits[(entry.source, entry.rule)] += 1
                        continue
                    chosen = entry
                    break
        if chosen is not None:
            used[(chosen.source, chosen.rule)] += 1
            result = replace(result, suppression=chosen.suppression())
        marked.append(result)
    warnings = list(declared.warnings)
    every = [*file_entries, *dict.fromkeys(entry for found in declared.entries.values() for entry in found)]
    for entry in dict.fromkeys(every):
        label = f"{entry.source.split(' ', 2)[-1]} ({entry.rule} on {entry.resource})"
        if entry.expired(today):
            hits = expired_hits[(entry.source, entry.rule)]
            what = ("1 result it covered counts and gates again" if hits == 1
                    else f"{hits} results it covered count and gate again" if hits
                    else "it matches nothing now either")
            warnings.append(f"suppression {label} expired on {entry.expires}: {what}")
        elif not used[(entry.source, entry.rule)]:
            warnings.append(f"suppression {label} matches no failing or unknown result: remove it, or fix its "
                            "rule or resource")
    return marked, list(dict.fromkeys(warnings))


def find_suppressions_file(root: Path) -> Path | None:
    """`.aiwell/suppressions.yaml` under `root` (the reviewed repository's root), if it is there."""
    candidate = root / DEFAULT_FILE
    return candidate if candidate.is_file() else None


__all__ = [
    "DEFAULT_FILE",
    "EXTERNAL_SOURCE",
    "INLINE_SOURCE",
    "METADATA_SOURCE",
    "Declared",
    "Entry",
    "apply_suppressions",
    "declared_suppressions",
    "find_suppressions_file",
    "load_suppressions_file",
]
