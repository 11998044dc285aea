"""How one resource points at another: ARM id arithmetic and the edge endpoints a single resource declares.

These functions look at one resource (or one id) at a time; `ResourceGraph` joins their answers into edges.
Every function tolerates `Unresolved` anywhere and hands it back rather than guessing.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from aiwell.model import MISSING, Resource, Unresolved, lookup

PRIVATE_ENDPOINT_TYPE = "microsoft.network/privateendpoints"
DIAGNOSTIC_SETTING_TYPE = "microsoft.insights/diagnosticsettings"
NESTED_DIAGNOSTIC_SUFFIX = "/providers/diagnosticsettings"
"""The type of a diagnostic setting declared as `<parentType>/providers/diagnosticSettings`."""
LOCK_TYPE = "microsoft.authorization/locks"
ROLE_ASSIGNMENT_TYPE = "microsoft.authorization/roleassignments"
EXTENSION_TYPES = (LOCK_TYPE, ROLE_ASSIGNMENT_TYPE)
"""Extension resources that apply to their scope and everything under it (locks, role assignments)."""

_PRIVATE_LINK_CONNECTION_LISTS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")


def normalise_id(resource_id: str) -> str:
    """An id in the form used as a lookup key: lower case, no surrounding blanks or trailing slash."""
    return resource_id.strip().rstrip("/").lower()


def _segments(text: str) -> list[str]:
    parts = text.split("/")
    # Most ids have no empty part but the one before their leading slash: dropped without a comprehension.
    if parts and not parts[0]:
        del parts[0]
    return [part for part in parts if part] if "" in parts else parts


def _last_providers_index(segments: list[str]) -> int | None:
    for index in range(len(segments) - 1, -1, -1):
        if segments[index].lower() == "providers":
            return index
    return None


def type_and_name_from_id(resource_id: str) -> tuple[str, str] | None:
    """The full type and full name an ARM id names, from its last `providers` part.

    `/subscriptions/s/resourceGroups/g/providers/NS/accounts/a/deployments/d` gives
    (`NS/accounts/deployments`, `a/d`); so does the relative `NS/accounts/a/deployments/d`. Returns None when
    the id is in neither form (a bare name, for instance).
    """
    segments = _segments(resource_id)
    start = _last_providers_index(segments)
    if start is not None:
        rest = segments[start + 1:]
    elif not resource_id.strip().startswith("/") and segments and "." in segments[0]:
        rest = segments  # the relative form a template's `scope` may use: `Microsoft.X/type/name`
    else:
        return None
    if len(rest) < 3 or len(rest) % 2 == 0:
        return None
    namespace, pairs = rest[0], rest[1:]
    types = pairs[0::2]
    names = pairs[1::2]
    return "/".join([namespace, *types]), "/".join(names)


def parent_id(resource_id: str) -> str | None:
    """The id of the resource this id's resource belongs to, or None for a top-level resource.

    A child (`.../accounts/a/deployments/d`) belongs to its parent (`.../accounts/a`); an extension resource
    (`{target}/providers/Microsoft.Insights/diagnosticSettings/x`) belongs to the resource it extends.
    """
    segments = _segments(resource_id)
    start = _last_providers_index(segments)
    if start is None:
        return None
    rest = segments[start + 1:]
    if len(rest) < 3 or len(rest) % 2 == 0:
        return None
    if len(rest) >= 5:
        kept = segments[:-2]
    elif _last_providers_index(segments[:start]) is not None:
        kept = segments[:start]
    else:
        return None
    prefix = "/" if resource_id.strip().startswith("/") else ""
    return prefix + "/".join(kept)


def parent_type_and_name(resource_type: str, name: str) -> tuple[str, str] | None:
    """The type and name of a resource's parent, from its full type and full name.

    `Microsoft.CognitiveServices/accounts/deployments` named `acct/gpt4o` has the parent
    (`Microsoft.CognitiveServices/accounts`, `acct`). An extension resource in the nested-name form
    (`<parentType>/providers/diagnosticSettings` named `<parentName>/Microsoft.Insights/<name>`) has the
    resource it
    extends as parent. None for a top-level resource or when name and type do not line up.
    """
    if resource_type.count("/") < 2:
        return None  # a top-level type (`Namespace/type`): no parent, and no room for `/providers/`
    lowered = resource_type.lower()
    marker = lowered.find("/providers/")
    name_parts = _segments(name)
    if marker >= 0:
        base_type = resource_type[:marker]
        wanted = len(_segments(base_type)) - 1
        if wanted < 1 or len(name_parts) <= wanted:
            return None
        return base_type, "/".join(name_parts[:wanted])
    type_parts = _segments(resource_type)
    if len(type_parts) < 3 or len(name_parts) != len(type_parts) - 1:
        return None
    return "/".join(type_parts[:-1]), "/".join(name_parts[:-1])


def is_private_endpoint(resource: Resource) -> bool:
    """Whether the resource is a `Microsoft.Network/privateEndpoints`."""
    return resource.type_lower == PRIVATE_ENDPOINT_TYPE


def extension_kind(resource: Resource) -> str | None:
    """`microsoft.authorization/locks` or `.../roleassignments` for a lock or role assignment (scope form or
    nested-name form `<parentType>/providers/locks`), else None."""
    lowered = resource.type_lower
    for kind in EXTENSION_TYPES:
        if lowered == kind or lowered.endswith("/providers/" + kind.split("/", 1)[1]):
            return kind
    return None


def is_diagnostic_setting(resource: Resource) -> bool:
    """Whether the resource is a diagnostic setting, in the scope form or the nested-name form."""
    lowered = resource.type_lower
    return lowered == DIAGNOSTIC_SETTING_TYPE or lowered.endswith(NESTED_DIAGNOSTIC_SUFFIX)


def private_link_targets(endpoint: Resource) -> list[str | Unresolved]:
    """The `privateLinkServiceId` of every connection of a private endpoint, automatic and manual.

    A connection list, connection or id that can't be resolved comes back as `Unresolved`, so a caller can
    tell
    "connects to nothing here" from "connects to something we can't name".
    """
    properties = endpoint.properties
    if isinstance(properties, Unresolved):
        return [properties]
    targets: list[str | Unresolved] = []
    for list_name in _PRIVATE_LINK_CONNECTION_LISTS:
        connections = lookup(properties, list_name) if isinstance(properties, dict) else MISSING
        if isinstance(connections, Unresolved):
            targets.append(connections)
            continue
        if not isinstance(connections, list):
            continue
        for connection in connections:
            target = lookup(connection, "properties.privateLinkServiceId")
            if isinstance(target, Unresolved) or isinstance(target, str) and target.strip():
                targets.append(target)
    return targets


class TargetByName(Struct, frozen=True):
    """A target named by full type and full name, as the nested-name form of an extension resource does."""

    type: str
    name: str


DiagnosticTarget = str | TargetByName | Unresolved | None
"""What a diagnostic setting points at: an id, a (type, name), a value that can't be resolved, or nothing."""


def diagnostic_target(setting: Resource) -> DiagnosticTarget:
    """The resource a diagnostic setting applies to (see `extension_target`)."""
    return extension_target(setting)


def extension_target(setting: Resource) -> DiagnosticTarget:
    """The resource an extension resource (a diagnostic setting, lock or role assignment) applies to.

    Scope form: `scope` (or the `{target}/providers/Microsoft.Insights/diagnosticSettings/{name}` id an inventory
    gives). Nested-name form: the parent named by type and name. None for one with no target resource (one at
    resource group or subscription level, for instance).
    """
    if "/providers/" in setting.type_lower:
        if isinstance(setting.name, Unresolved):
            return setting.name
        parent = parent_type_and_name(setting.type, setting.name)
        return TargetByName(*parent) if parent is not None else None
    scope = _extra_field(setting, "scope")
    if isinstance(scope, Unresolved):
        return scope
    if isinstance(scope, str) and scope.strip():
        return scope
    if isinstance(setting.id, Unresolved):
        return setting.id if scope is MISSING else None
    return parent_id(setting.id)


def group_scope(resource_id: str) -> str | None:
    """The resource group (`/subscriptions/s/resourceGroups/g`) or subscription (`/subscriptions/s`) an id names
    when it names nothing below them, normalised; else None."""
    segments = _segments(resource_id)
    lowered = [segment.lower() for segment in segments]
    if len(segments) == 2 and lowered[0] == "subscriptions":
        return normalise_id(resource_id)
    if len(segments) == 4 and lowered[0] == "subscriptions" and lowered[2] == "resourcegroups":
        return normalise_id(resource_id)
    return None


def containing_scopes(resource_id: str) -> list[str]:
    """The resource group and subscription ids (normalised) an ARM id sits in, innermost first."""
    segments = _segments(resource_id)
    lowered = [segment.lower() for segment in segments]
    scopes: list[str] = []
    if len(segments) >= 4 and lowered[0] == "subscriptions" and lowered[2] == "resourcegroups":
        scopes.append(normalise_id("/" + "/".join(segments[:4])))
    if len(segments) >= 2 and lowered[0] == "subscriptions":
        scopes.append(normalise_id("/" + "/".join(segments[:2])))
    return scopes


def values_at(document: Any, path: str) -> list[Any]:
    """The values at a dotted path with `[*]` for every member of an array (absent steps are left out)."""
    parts = path.split("[*]")
    values = [lookup(document, parts[0]) if parts[0].strip(".") else document]
    for part in parts[1:]:
        expanded: list[Any] = []
        for value in values:
            if isinstance(value, list):
                expanded.extend(lookup(member, part) if part.strip(".") else member for member in value)
            elif isinstance(value, Unresolved):
                expanded.append(value)
        values = expanded
    return [value for value in values if value is not MISSING and value is not None]


def workspace_id(setting: Resource) -> str | Unresolved | None:
    """A diagnostic setting's `properties.workspaceId`: the id, `Unresolved`, or None when not set."""
    value = lookup(setting.properties, "workspaceId") if setting.properties is not MISSING else MISSING
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, str) and value.strip():
        return value
    return None


def _extra_field(resource: Resource, key: str) -> Any:
    folded = key.lower()
    for candidate, value in resource.extra.items():
        if candidate.lower() == folded:
            return value
    return MISSING


__all__ = [
    "DIAGNOSTIC_SETTING_TYPE",
    "EXTENSION_TYPES",
    "LOCK_TYPE",
    "ROLE_ASSIGNMENT_TYPE",
    "NESTED_DIAGNOSTIC_SUFFIX",
    "PRIVATE_ENDPOINT_TYPE",
    "DiagnosticTarget",
    "TargetByName",
    "containing_scopes",
    "diagnostic_target",
    "extension_kind",
    "extension_target",
    "group_scope",
    "is_diagnostic_setting",
    "is_private_endpoint",
    "normalise_id",
    "parent_id",
    "parent_type_and_name",
    "private_link_targets",
    "type_and_name_from_id",
    "values_at",
    "workspace_id",
]
