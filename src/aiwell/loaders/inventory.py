"""Azure inventory exports → resources.

Three shapes are read, all lists of ARM-shaped rows:

- Azure Resource Graph (`az graph query -q "Resources" -o json`): `{"count", "data": [...], "skip_token"}`
  or the bare list (`Search-AzGraph`, older CLIs). Types arrive in lower case and are kept as given (every
  comparison in aiwell is case-insensitive). Some child types come with the short leaf name; the full name
  (`acct/dep`) is rebuilt from the id.
- `az resource list -o json`: a bare list whose rows carry `properties: null`.
- ARM REST list responses: `{"value": [...], "nextLink"}`.

What an export does not carry is not guessed: a row without properties gets
`properties = Unresolved("properties", ...)`, so rules that read properties answer `unknown`, not `fail`.
Rows that are not resources (no id or type) and repeated ids are skipped and counted in notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiwell.errors import TemplateError
from aiwell.loaders.jsonc import JsonDocument
from aiwell.model import Resource, Source, SourceFormat, Unresolved

NO_PROPERTIES_REASON = (
    "the export carries no properties for this resource (az resource list and ARM list responses leave them "
    'out; Resource Graph\'s az graph query -q "Resources" includes them)'
)

# Keys of the export wrappers: Resource Graph's `az graph query` output and ARM REST list responses.
_GRAPH_KEYS = frozenset({"count", "data", "skip_token", "total_records", "totalrecords", "skiptoken",
                         "resulttruncated", "facets"})
_REST_KEYS = frozenset({"value", "nextlink"})

# Rows sampled to decide whether a bare list is an export.
_SAMPLE_ROWS = 100


@dataclass(frozen=True, slots=True)
class InventoryExport:
    """What an inventory export yields: its resources, and notes on what was skipped or cut short."""

    resources: list[Resource]
    skipped_rows: int
    """Rows that are not resources (no id or type) or repeat an id already read."""
    notes: tuple[str, ...]
    """Warnings for the input record: skipped rows, an export holding only its first page."""


def _is_resource_row(row: Any) -> bool:
    """Whether a row has the string `id` and `type` every exported resource has."""
    if not isinstance(row, dict):
        return False
    rid, rtype = row.get("id"), row.get("type")
    return isinstance(rid, str) and rid.startswith("/") and isinstance(rtype, str) and "/" in rtype


def _rows_look_like_resources(rows: list[Any]) -> bool:
    return any(_is_resource_row(row) for row in rows[:_SAMPLE_ROWS])


def looks_like_inventory(value: Any) -> bool:
    """Whether a decoded JSON document is an inventory export this module reads.

    A wrapper (`{"data": [...]}` with only Resource Graph keys, `{"value": [...]}` with only REST list keys)
    is recognised even when empty; a bare list when one of its first rows has a string `id` starting with `/`
    and a `type` with a `/`. ARM templates and parameter files never match.
    """
    rows = _wrapped_rows(value)
    if rows is not None:
        return True
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


def _row_to_resource(row: dict[str, Any], path: str, span: tuple[int, int] | None) -> Resource:
    resource_id: str = row["id"]
    resource_type: str = row["type"]
    body = {key: value for key, value in row.items() if value is not None}
    name = _full_name(row.get("name"), resource_id, resource_type)
    if name is not None:
        body["name"] = name
    elif not isinstance(row.get("name"), str) or not row["name"]:
        body["name"] = Unresolved("name", "the export row has no name and its id can't be read")
    if not isinstance(row.get("properties"), dict):
        body["properties"] = Unresolved("properties", NO_PROPERTIES_REASON)
    line, end_line = span if span is not None else (None, None)
    source = Source(SourceFormat.INVENTORY, path, line, end_line, address=resource_id)
    return Resource.from_arm(body, source, resource_id=resource_id)


def read_inventory(document: JsonDocument) -> InventoryExport:
    """Read an inventory export into resources, with notes on skipped rows and missing pages.

    `document` comes from `load_json(path, track=("data", "value"), root_items=True)`, so each row's line
    is known.
    Raises `TemplateError` when the document is not an export of one of the shapes above.
    """
    value = document.value
    rows = _wrapped_rows(value)
    if rows is None:
        if not isinstance(value, list):
            raise TemplateError(
                "not an inventory export: expected a list of resources, {\"data\": [...]} (Resource Graph) "
                "or {\"value\": [...]} (ARM list)",
                hint='Export with az graph query -q "Resources" -o json or az resource list -o json.',
            )
        rows = value
    notes: list[str] = []
    resources: list[Resource] = []
    seen: set[str] = set()
    not_resources = duplicates = 0
    for row in rows:
        if not _is_resource_row(row):
            not_resources += 1
            continue
        folded = row["id"].lower()
        if folded in seen:
            duplicates += 1
            continue
        seen.add(folded)
        resources.append(_row_to_resource(row, document.path, document.span_of(row)))
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
