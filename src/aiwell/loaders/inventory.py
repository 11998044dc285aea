"""Azure inventory exports → resources.

Three shapes are read, all lists of ARM-shaped rows:

- Azure Resource Graph (`az graph query -q "Resources" -o json`): `{"count", "data": [...], "skip_token"}`
  or the bare list (`Search-AzGraph`, older CLIs). Types arrive in lower case and are kept as given (every
  comparison in aiwell is case-insensitive). Some child types come with the short leaf name; the full name
  (`acct/dep`) is rebuilt from the id.
- `az resource list -o json`: a bare list whose rows carry `properties: null`.
- ARM REST list responses: `{"value": [...], "nextLink"}`.
- Azure PowerShell: `Get-AzResource | ConvertTo-Json` and `Get-AzResource -ExpandProperties | ConvertTo-Json`,
  whose rows have PascalCase keys (`ResourceId`, `ResourceType`, `Name`, `ResourceGroupName`, `Properties`,
  `Sku`, `Kind`, `Identity`, ...); they are read as the ARM shape they stand for. One resource converts to a
  single object rather than a list; Windows PowerShell 5.1 may wrap a list as `{"value": [...], "Count": n}`
  and writes UTF-16 files with `>`: all are read. PowerShell writes enums as numbers (the identity type) unless
  told `-EnumsAsStrings`, and cuts objects nested deeper than `-Depth` (default 2) down to their type name
  (`@{...}`, `System.Object[]`): such values are unresolved, with the reason.

What an export does not carry is not guessed: a row without properties gets
`properties = Unresolved("properties", ...)`, so rules that read properties answer `unknown`, not `fail`.
Rows that are not resources (no id or type) and repeated ids are skipped and counted in notes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from msgspec import Struct

from aiwell.errors import TemplateError
from aiwell.loaders.jsonc import JsonDocument, parse_text
from aiwell.model import MISSING, Resource, Source, SourceFormat, Unresolved

NO_PROPERTIES_REASON = (
    "the export carries no properties for this resource (az resource list and ARM list responses leave them "
    'out; Resource Graph\'s az graph query -q "Resources" includes them)'
)

# Keys of the export wrappers: Resource Graph's `az graph query` output and ARM REST list responses.
_GRAPH_KEYS = frozenset({"count", "data", "skip_token", "total_records", "totalrecords", "skiptoken",
                         "resulttruncated", "facets"})
_REST_KEYS = frozenset({"value", "nextlink", "count"})
"""`count`: Windows PowerShell 5.1 wraps a converted list as `{"value": [...], "Count": n}`."""

# Azure PowerShell's PSResource properties → the ARM field each stands for. Others (ResourceName,
# ExtensionResourceName/Type, ParentResource, TagsTable, CreatedTime, ChangedTime) repeat what the id says or are
# not part of the resource, and are dropped.
_POWERSHELL_FIELDS = {"resourceid": "id", "resourcetype": "type", "name": "name", "location": "location",
                      "kind": "kind", "sku": "sku", "identity": "identity", "tags": "tags",
                      "properties": "properties", "plan": "plan", "managedby": "managedBy", "zones": "zones",
                      "etag": "etag", "extendedlocation": "extendedLocation",
                      "resourcegroupname": "resourceGroup", "subscriptionid": "subscriptionId"}
_POWERSHELL_DROPPED = frozenset({"id", "type", "resourcename", "extensionresourcename", "extensionresourcetype",
                                 "parentresource", "tagstable", "createdtime", "changedtime"})
# What ConvertTo-Json writes for an object nested deeper than its -Depth: the object's ToString(), which is
# `@{name=value; ...}` for a PowerShell object (space-separated for an array of them: the one `.*` spans them
# all, in linear time) and the .NET type name (`System.Object[]`, `System.Collections.Hashtable`,
# `Microsoft.Azure.Management....Sku`) otherwise. ARM values that look alike are kept: `Microsoft.KeyVault` (a key
# source), `Microsoft.DefaultV2` (a content filter policy), Logic Apps expressions (`@{triggerBody()}`).
_DEPTH_CUT = re.compile(r"@\{(?:[A-Za-z_][\w-]*=.*)?\}|System\.[\w.`+]+(?:\[\])?|"
                        r"Microsoft\.Azure\.[\w.`+]+(?:\[\])?", re.DOTALL)
_DEPTH_CUT_MARKER = re.compile(r'"(?:@\{|System\.|Microsoft\.Azure\.)')
"""How a depth cut starts, searched for in one pass over the text before any value is."""
DEPTH_CUT_REASON = ("PowerShell's ConvertTo-Json cut this value off at its -Depth (default 2); export with "
                    "ConvertTo-Json -Depth 100")
ENUM_NUMBER_REASON = ("PowerShell wrote the identity type as a number; export with ConvertTo-Json -EnumsAsStrings "
                      "to have its name")

# Rows sampled to decide whether a bare list is an export.
_SAMPLE_ROWS = 100


class InventoryExport(Struct, frozen=True):
    """What an inventory export yields: its resources, and notes on what was skipped or cut short."""

    resources: list[Resource]
    skipped_rows: int
    """Rows that are not resources (no id or type) or repeat an id already read."""
    notes: tuple[str, ...]
    """Warnings for the input record: skipped rows, an export holding only its first page."""


def _is_powershell_row(row: dict[str, Any]) -> bool:
    """Whether a row is an Azure PowerShell `PSResource` (PascalCase `ResourceId` and `ResourceType`)."""
    return "ResourceId" in row and "ResourceType" in row


def _is_resource_row(row: Any) -> bool:
    """Whether a row has the string `id` and `type` every exported resource has (`ResourceId` and
    `ResourceType` in a PowerShell export)."""
    if not isinstance(row, dict):
        return False
    if _is_powershell_row(row):
        rid, rtype = row.get("ResourceId"), row.get("ResourceType")
    else:
        rid, rtype = row.get("id"), row.get("type")
    return isinstance(rid, str) and rid.startswith("/") and isinstance(rtype, str) and "/" in rtype


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _from_powershell(row: dict[str, Any]) -> dict[str, Any]:
    """A PowerShell `PSResource` row in the ARM shape: known fields renamed, PowerShell-only ones dropped, the
    keys of `Sku`, `Identity` and `Plan` (.NET objects, PascalCase) in ARM's camelCase."""
    body: dict[str, Any] = {}
    for key, value in row.items():
        folded = key.lower()
        target = _POWERSHELL_FIELDS.get(folded)
        if target is None:
            if folded not in _POWERSHELL_DROPPED:
                body[key] = value
            continue
        if target in ("sku", "identity", "plan") and isinstance(value, dict):
            value = {_camel(k): v for k, v in value.items()}
            if target == "identity" and isinstance(value.get("type"), int):
                value["type"] = Unresolved("identity.type", ENUM_NUMBER_REASON)
        body[target] = value
    return body


def _mark_depth_cuts(value: Any, path: str, cuts: list[str], depth: int = 0) -> Any:
    """`value` with every string that is a ConvertTo-Json depth cut replaced by `Unresolved` (its path added to
    `cuts`)."""
    if isinstance(value, str):
        if _DEPTH_CUT.fullmatch(value):
            cuts.append(path)
            return Unresolved(path, DEPTH_CUT_REASON)
        return value
    if depth > 64:
        return value
    if isinstance(value, dict):
        return {key: _mark_depth_cuts(item, f"{path}.{key}", cuts, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_depth_cuts(item, f"{path}[{index}]", cuts, depth + 1) for index, item in enumerate(value)]
    return value


def _rows_look_like_resources(rows: list[Any]) -> bool:
    return any(_is_resource_row(row) for row in rows[:_SAMPLE_ROWS])


def looks_like_inventory(value: Any) -> bool:
    """Whether a decoded JSON document is an inventory export this module reads.

    A wrapper (`{"data": [...]}` with only Resource Graph keys, `{"value": [...]}` with only REST list keys)
    is recognised even when empty; a bare list when one of its first rows has a string `id` starting with `/`
    and a `type` with a `/` (`ResourceId` and `ResourceType` for PowerShell), and a single such object. ARM
    templates and parameter files never match.
    """
    rows = _wrapped_rows(value)
    if rows is not None:
        return True
    if isinstance(value, dict):
        return _is_resource_row(value)  # one resource: PowerShell converts a single object, not a list
    return isinstance(value, list) and _rows_look_like_resources(value)


def _wrapped_rows(value: Any) -> list[Any] | None:
    """The rows of a Resource Graph or REST wrapper object, or None when `value` is not such a wrapper."""
    if not isinstance(value, dict):
        return None
    keys = {k.lower() for k in value if isinstance(k, str)}
    if "data" in keys and keys <= _GRAPH_KEYS and isinstance(value.get("data"), list):
        return value["data"]  # type: ignore[no-any-return]
    if "value" in keys and keys <= _REST_KEYS and isinstance(value.get("value"), list):
        rows = value["value"]
        # A REST list of non-resources (`{"value": [1, 2]}`) is not an export.
        if not rows or _rows_look_like_resources(rows):
            return rows  # type: ignore[no-any-return]
    return None


def _paging_note(value: Any, rows: list[Any]) -> str | None:
    """A note when the export holds only the first page of a longer answer."""
    if not isinstance(value, dict):
        return None
    lowered = {k.lower(): v for k, v in value.items() if isinstance(k, str)}
    total = lowered.get("total_records", lowered.get("totalrecords"))
    more_pages = lowered.get("skip_token") or lowered.get("skiptoken")
    if more_pages or (isinstance(total, int) and total > len(rows)):
        of_total = f" of {total}" if isinstance(total, int) else ""
        return (f"the export holds only its first page ({len(rows)}{of_total} rows); resources on later "
                "pages were not reviewed (use az graph query --first 1000 and follow skip_token)")
    if lowered.get("nextlink"):
        return (f"the export holds only its first page ({len(rows)} rows, nextLink set); resources on "
                "later pages were not reviewed")
    return None


def _full_name(row_name: Any, resource_id: str, resource_type: str) -> str | None:
    """The full name of a child resource (`acct/dep`), rebuilt from the id when the row gives only the leaf.

    Returns None when the row's own name is already right or the id can't be read.
    """
    depth = resource_type.count("/")  # namespace/accounts/deployments → 2 names
    if isinstance(row_name, str) and row_name and row_name.count("/") + 1 >= depth:
        return None
    marker = resource_id.lower().rfind("/providers/")
    if marker < 0:
        return None
    segments = resource_id[marker + len("/providers/"):].strip("/").split("/")
    # namespace, then (type, name) pairs
    names = segments[2::2]
    if len(segments) < 3 or len(names) != depth:
        return None
    return "/".join(names)


# The ARM fields `Resource.from_arm` maps onto attributes, spelled as exports spell them; a row whose other keys
# fold to none of them is converted by `_plain_row_to_resource`, without the general path's key-by-key folding.
_ARM_SPELLINGS = frozenset({"type", "name", "id", "apiVersion", "dependsOn", "kind", "sku", "identity", "location",
                            "zones", "tags", "properties"})
_ARM_FOLDED = frozenset(key.lower() for key in _ARM_SPELLINGS)


def _plain_row_to_resource(row: dict[str, Any], path: str, span: tuple[int, int] | None,
                           label: str) -> Resource | None:
    """What `_row_to_resource` makes of a row in the ARM shape (not PowerShell's) with no depth cuts to mark, built
    directly from the row; None when a key of the row is another spelling of an ARM field (`Properties`), which
    the general path settles (the last spelling wins)."""
    others = row.keys() - _ARM_SPELLINGS
    for key in others:
        if key.lower() in _ARM_FOLDED:
            return None
    get = row.get
    resource_id: str = row["id"]
    resource_type: str = row["type"]
    row_name = get("name")
    name: str | Unresolved | None = _full_name(row_name, resource_id, resource_type)
    if name is None:
        name = row_name if isinstance(row_name, str) and row_name else Unresolved(
            "name", "the export row has no name and its id can't be read")
    properties = get("properties")
    if not isinstance(properties, dict):
        properties = Unresolved("properties", NO_PROPERTIES_REASON)
    api = get("apiVersion")
    depends = get("dependsOn")
    line, end_line = span if span is not None else (None, None)
    return Resource(
        type=resource_type, name=name, id=resource_id,
        source=Source(SourceFormat.INVENTORY, path, line, end_line, resource_id, label),
        api_version=api if isinstance(api, str) else None,
        kind=_present(get("kind")), sku=_present(get("sku")), identity=_present(get("identity")),
        location=_present(get("location")), zones=_present(get("zones")), tags=_present(get("tags")),
        properties=properties,
        extra={key: value for key, value in row.items() if key in others and value is not None} if others else {},
        depends_on=tuple(depends) if isinstance(depends, list) else ())


def _present(value: Any) -> Any:
    """A row's value, with null read as absent (`MISSING`), as the general path drops null fields."""
    return MISSING if value is None else value


def _row_to_resource(row: dict[str, Any], path: str, span: tuple[int, int] | None, *,
                     depth_cuts: list[str] | None, label: str = "") -> Resource:
    """The resource of one export row; with `depth_cuts`, values PowerShell cut off are marked unresolved and
    their paths added to it. `label` is the input's (`Source.input`)."""
    if depth_cuts is None and not _is_powershell_row(row):
        plain = _plain_row_to_resource(row, path, span, label)
        if plain is not None:
            return plain
    body = _from_powershell(row) if _is_powershell_row(row) else row
    resource_id: str = body["id"]
    resource_type: str = body["type"]
    body = {key: value for key, value in body.items() if value is not None}
    if depth_cuts is not None:
        body = {key: _mark_depth_cuts(value, key, depth_cuts) for key, value in body.items()}
    name = _full_name(body.get("name"), resource_id, resource_type)
    if name is not None:
        body["name"] = name
    elif not isinstance(body.get("name"), str) or not body["name"]:
        body["name"] = Unresolved("name", "the export row has no name and its id can't be read")
    if not isinstance(body.get("properties"), (dict, Unresolved)):
        body["properties"] = Unresolved("properties", NO_PROPERTIES_REASON)
    line, end_line = span if span is not None else (None, None)
    source = Source(SourceFormat.INVENTORY, path, line, end_line, address=resource_id, input=label)
    return Resource.from_arm(body, source, resource_id=resource_id)


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _row_spans(text: str, value: Any, rows: list[Any]) -> list[tuple[int, int]] | None:
    """The (start, end) lines of each row, found by stepping over the rows with the C decoder (an export can
    hold a hundred thousand rows: walking each one key by key would cost more than reviewing it).

    None when the text can't be stepped over that way (comments or trailing commas: JSONC) or does not line up
    with the decoded rows.
    """
    decoder = json.JSONDecoder(strict=False)

    def skip(position: int) -> int:
        return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]

    try:
        pos = skip(0)
        if isinstance(value, dict):
            wanted = next(key for key, item in value.items() if item is rows)
            if text[pos] != "{":
                return None
            pos = skip(pos + 1)
            while True:
                key, pos = decoder.raw_decode(text, pos)
                pos = skip(pos)
                if text[pos] != ":":
                    return None
                pos = skip(pos + 1)
                if key == wanted:
                    break
                _, pos = decoder.raw_decode(text, pos)
                pos = skip(pos)
                if text[pos] != ",":
                    return None
                pos = skip(pos + 1)
        if text[pos] != "[":
            return None
        pos = skip(pos + 1)
        spans: list[tuple[int, int]] = []
        line, counted = 1, 0
        while text[pos] != "]":
            start = pos
            _, pos = decoder.raw_decode(text, pos)
            line += text.count("\n", counted, start)
            counted = start
            spans.append((line, line + text.count("\n", start, pos - 1)))
            pos = skip(pos)
            if text[pos] == ",":
                pos = skip(pos + 1)
    except (ValueError, IndexError, StopIteration):
        return None
    return spans if len(spans) == len(rows) else None


_ROW_OPEN = re.compile(r"^([ \t]*)\{[ \t]*\r?$", re.MULTILINE)


def _pretty_row_spans(text: str, rows: list[Any]) -> list[tuple[int, int]] | None:
    """The (start, end) lines of each row of a pretty-printed export (`az graph query -o json`,
    `ConvertTo-Json`): each row opens with a line holding only `{` and closes with a line holding only `}` or
    `},`, at one indentation. Such lines can't be inside a string (JSON strings hold no line break) and nested
    objects sit deeper, so they are found with two regular expressions instead of decoding the rows again.

    None when the text is not laid out that way, or the lines found don't pair up one-to-one with the rows.
    """
    first = _ROW_OPEN.search(text)
    if first is None or not rows:
        return None
    indent = re.escape(first.group(1))
    starts = [match.start() for match in re.finditer(rf"^{indent}\{{[ \t]*\r?$", text, re.MULTILINE)]
    ends = [match.start() for match in re.finditer(rf"^{indent}\}},?[ \t]*\r?$", text, re.MULTILINE)]
    if len(starts) != len(rows) or len(ends) != len(rows):
        return None
    spans: list[tuple[int, int]] = []
    line, counted, previous_end = 1, 0, -1
    for start, end in zip(starts, ends, strict=True):
        if not previous_end < start < end:
            return None
        line += text.count("\n", counted, start)
        end_line = line + text.count("\n", start, end)
        spans.append((line, end_line))
        line, counted, previous_end = end_line, end, end
    return spans


def _spans(document: JsonDocument, rows: list[Any]) -> list[tuple[int, int] | None]:
    """The lines of each row: as the document tracked them; all on line 1 of an export written on one line;
    found by the layout of a pretty-printed one (see `_pretty_row_spans`); else found by stepping over the rows
    with the C decoder (see `_row_spans`); else by walking the text with the JSONC line tracker."""
    if document.lines:
        return [document.span_of(row) for row in rows]
    text = document.text
    if "\n" not in text.rstrip():
        return [(1, 1)] * len(rows)
    pretty = _pretty_row_spans(text, rows)
    if pretty is not None:
        return list(pretty)
    found = _row_spans(document.text, document.value, rows)
    if found is not None:
        return list(found)
    tracked = parse_text(document.text, document.path, track=("data", "value"), root_items=True)
    tracked_rows = _rows_of(tracked.value)
    if tracked_rows is None or len(tracked_rows) != len(rows):
        return [None] * len(rows)
    return [tracked.span_of(row) for row in tracked_rows]


def _rows_of(value: Any) -> list[Any] | None:
    rows = _wrapped_rows(value)
    if rows is not None:
        return rows
    if isinstance(value, dict) and _is_resource_row(value):
        return [value]
    return value if isinstance(value, list) else None


def read_inventory(document: JsonDocument, *, label: str = "") -> InventoryExport:
    """Read an inventory export into resources, with notes on skipped rows and missing pages.

    `document` may carry the lines of its rows (`parse_text(..., track=("data", "value"), root_items=True)`);
    when it does not, they are found in its text. `label` is the input's (`Source.input` of every resource).
    Raises `TemplateError` when the document is not an export of one of the shapes above.
    """
    value = document.value
    rows = _rows_of(value)
    if rows is None:
        raise TemplateError(
            "not an inventory export: expected a list of resources, {\"data\": [...]} (Resource Graph) "
            "or {\"value\": [...]} (ARM list)",
            hint='Export with az graph query -q "Resources" -o json, az resource list -o json or '
                 "Get-AzResource | ConvertTo-Json -Depth 100.",
        )
    if rows and rows[0] is value:  # one resource, converted on its own: the whole text, blank lines around it aside
        text = document.text
        first = len(text) - len(text.lstrip())
        spans: list[tuple[int, int] | None] = [(text.count("\n", 0, first) + 1, text.rstrip().count("\n") + 1)]
    else:
        spans = _spans(document, rows)
    # Only text with what a depth cut looks like is searched for one.
    depth_cuts: list[str] | None = [] if _DEPTH_CUT_MARKER.search(document.text) else None
    notes: list[str] = []
    resources: list[Resource] = []
    seen: set[str] = set()
    not_resources = duplicates = 0
    for row, span in zip(rows, spans, strict=True):
        if not _is_resource_row(row):
            not_resources += 1
            continue
        folded = (row["ResourceId"] if _is_powershell_row(row) else row["id"]).lower()
        if folded in seen:
            duplicates += 1
            continue
        seen.add(folded)
        resources.append(_row_to_resource(row, document.path, span, depth_cuts=depth_cuts, label=label))
    if rows and not resources:
        raise TemplateError(
            f"not an inventory export: none of its {len(rows)} rows has a resource id and type")
    if not_resources:
        notes.append(f"{not_resources} row(s) skipped: not resources (no id or type)")
    if duplicates:
        notes.append(f"{duplicates} row(s) skipped: the same resource id appears more than once")
    paging = _paging_note(value, rows)
    if paging is not None:
        notes.append(paging)
    if depth_cuts:
        notes.append(f"{len(depth_cuts)} value(s) were cut off by PowerShell's ConvertTo-Json at its -Depth "
                     "(default 2) and are unresolved; export with ConvertTo-Json -Depth 100")
    return InventoryExport(resources=resources, skipped_rows=not_resources + duplicates, notes=tuple(notes))


def load_inventory(document: JsonDocument) -> list[Resource]:
    """The resources of an inventory export (`read_inventory` also returns notes on skipped rows)."""
    return read_inventory(document).resources


__all__ = [
    "NO_PROPERTIES_REASON",
    "InventoryExport",
    "load_inventory",
    "looks_like_inventory",
    "read_inventory",
]
