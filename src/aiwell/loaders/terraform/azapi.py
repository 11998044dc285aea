"""azapi resources → ARM resource bodies, directly: azapi already speaks ARM.

`azapi_resource`: `type = "Namespace/type@apiVersion"`, `name`, `parent_id` (a resource group, subscription or
resource id), `location`, `identity` block, `tags`, and `body`: an HCL object (azapi 2.x), or `jsonencode({...})`
(azapi 1.x) that the HCL evaluator has already turned into a dict, or the JSON string itself. The body's
top-level keys (`properties`, `sku`, `kind`, ...) become the resource's; the `location`, `identity` and `tags`
attributes win over the body's, as azapi merges them. An unknown body makes `properties`, `sku` and `kind`
unresolved.

`azapi_update_resource` patches a resource that exists elsewhere (`resource_id`, or `parent_id` + `name`). It is
emitted as its own *partial* body with the target's id, marked with `PATCH_MARKER` (so are the azurerm resources
that configure another one, such as `azurerm_cognitive_account_customer_managed_key`). `merge_updates` folds such
bodies into the resource with the same id (or, for an id that can't be resolved, the same expression) when it is
in the same run (the patch's values win, objects merge key
by key, in place) and otherwise keeps the partial resource, with a note, so its settings are still reviewed.
Loaders call it once on all the bodies of a configuration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.terraform.azurerm._spec import identity, location
from aiwell.model import Unresolved

AZAPI_TYPES = frozenset({"azapi_resource", "azapi_update_resource"})
"""The azapi resource types read here."""

PATCH_MARKER = "aiwell:patch"
"""Key on a body that patches another resource (`azapi_update_resource`); `merge_updates` removes it."""

_SCOPE_ID = re.compile(r"^/subscriptions/[^/]+(/resourceGroups/[^/]+)?/?$", re.IGNORECASE)
_BODY_KEYS_UNKNOWN_WITH_BODY = ("properties", "sku", "kind")


def _split_type(value: Any) -> tuple[str, str | None] | Unresolved:
    if isinstance(value, Unresolved):
        return value
    if not isinstance(value, str) or "/" not in value:
        return Unresolved(repr(value), "azapi type is not of the form Namespace/type@apiVersion")
    resource_type, _, api_version = value.partition("@")
    return resource_type.strip(), (api_version.strip() or None)


def _body(value: Any, address: str) -> dict[str, Any] | Unresolved | None:
    """The decoded body: a dict, None when there is none, or `Unresolved` when it is unknown or not an object."""
    if value is None or isinstance(value, Unresolved):
        return value
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            return Unresolved(f"{address}.body", f"body is not valid JSON ({exc.msg})")
    if not isinstance(value, dict):
        return Unresolved(f"{address}.body", "body is not an object")
    return value


def _parent(tf_type: str, attributes: Mapping[str, Any], context: DeploymentContext) -> str | Unresolved:
    parent = attributes.get("parent_id")
    if isinstance(parent, (str, Unresolved)):
        return parent
    # azapi 1.x defaulted a missing parent_id to the provider's resource group; aiwell's placeholder stands in.
    return f"/subscriptions/{context.subscription_id}/resourceGroups/{context.resource_group}"


def _names_in(resource_id: str) -> list[str]:
    """The names along the last provider section of an id (`acct`, `vnet/subnet`)."""
    segments = [part for part in resource_id.split("/") if part]
    lowered = [part.lower() for part in segments]
    if "providers" not in lowered:
        return []
    start = len(lowered) - 1 - lowered[::-1].index("providers")
    return segments[start + 3::2]


def _placement(resource_type: str, name: str | Unresolved, parent: str | Unresolved,
               ) -> tuple[str | Unresolved, str | Unresolved, str | Unresolved | None]:
    """(full name, id, scope) of a resource of `resource_type` named `name` under `parent`."""
    depth = resource_type.count("/")
    if isinstance(name, Unresolved) or isinstance(parent, Unresolved):
        unknown = name if isinstance(name, Unresolved) else parent
        assert isinstance(unknown, Unresolved)
        return unknown, unknown, (None if depth > 1 else unknown if isinstance(parent, Unresolved) else None)
    parent = parent.rstrip("/")
    if depth > 1:  # a child type: the parent is the resource one level up
        full_name = "/".join([*_names_in(parent), name])
        return full_name, f"{parent}/{resource_type.rsplit('/', 1)[-1]}/{name}", None
    if _SCOPE_ID.match(parent):
        return name, f"{parent}/providers/{resource_type}/{name}", None
    # A top-level type under a resource: an extension resource (diagnostic setting, role assignment, lock).
    return name, f"{parent}/providers/{resource_type}/{name}", parent


def _name_from_id(tf_type: str, attributes: Mapping[str, Any]) -> tuple[str | Unresolved, str | Unresolved]:
    """(name, id) of the resource an `azapi_update_resource` patches."""
    target = attributes.get("resource_id")
    if isinstance(target, Unresolved):
        return target, target
    if isinstance(target, str):
        names = _names_in(target)
        return ("/".join(names) if names else target.rstrip("/").rsplit("/", 1)[-1]), target
    return Unresolved(f"{tf_type}.resource_id", "not set"), Unresolved(f"{tf_type}.resource_id", "not set")


def arm_id(tf_type: str, attributes: Mapping[str, Any], *, context: DeploymentContext) -> str | Unresolved:
    """The ARM id of an azapi resource (the target's id for `azapi_update_resource`)."""
    if tf_type == "azapi_update_resource" and attributes.get("resource_id") is not None:
        return _name_from_id(tf_type, attributes)[1]
    split = _split_type(attributes.get("type"))
    if isinstance(split, Unresolved):
        return split
    name = attributes.get("name")
    name_value = name if isinstance(name, (str, Unresolved)) else Unresolved(f"{tf_type}.name", "not set")
    return _placement(split[0], name_value, _parent(tf_type, attributes, context))[1]


def to_arm(tf_type: str, attributes: Mapping[str, Any], *, context: DeploymentContext,
           ) -> list[dict[str, Any]] | None:
    """The ARM body of an azapi resource: one body, or none when its type can't be known (an unresolved
    `type`: nothing can be said about it). None for a type that is not azapi's."""
    if tf_type not in AZAPI_TYPES:
        return None
    split = _split_type(attributes.get("type"))
    if isinstance(split, Unresolved):
        return []
    resource_type, api_version = split
    if tf_type == "azapi_update_resource" and attributes.get("resource_id") is not None:
        name, identifier = _name_from_id(tf_type, attributes)
        scope: str | Unresolved | None = None
    else:
        raw_name = attributes.get("name")
        own_name = raw_name if isinstance(raw_name, (str, Unresolved)) else Unresolved(f"{tf_type}.name",
                                                                                         "not set")
        name, identifier, scope = _placement(resource_type, own_name, _parent(tf_type, attributes, context))
    body: dict[str, Any] = {}
    decoded = _body(attributes.get("body"), tf_type)
    if isinstance(decoded, Unresolved):
        body.update({key: decoded for key in _BODY_KEYS_UNKNOWN_WITH_BODY})
    elif decoded is not None:
        body.update({key: value for key, value in decoded.items()
                     if key.lower() not in ("type", "name", "id", "apiversion")})
    body.update({"type": resource_type, "name": name, "id": identifier})
    if api_version is not None:
        body["apiVersion"] = api_version
    if scope is not None:
        body["scope"] = scope
    if attributes.get("location") is not None:
        body["location"] = location(attributes["location"])
    if attributes.get("tags") is not None:
        body["tags"] = attributes["tags"]
    if attributes.get("identity") is not None:
        body["identity"] = identity(attributes["identity"])
    if tf_type == "azapi_update_resource":
        body[PATCH_MARKER] = True
    return [body]


def _merge_into(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge `patch` into `target` in place: objects key by key (keys case-insensitive, as ARM's), else the
    patch's value."""
    folded = {key.lower(): key for key in target if isinstance(key, str)}
    for key, value in patch.items():
        existing = folded.get(key.lower()) if isinstance(key, str) else None
        if existing is not None and isinstance(target[existing], dict) and isinstance(value, dict):
            target[existing] = dict(target[existing])
            _merge_into(target[existing], value)
        else:
            target[existing if existing is not None else key] = value


def _id_key(value: Any) -> str | None:
    """What a patch is matched to its target by: the id, case-insensitive; for an id that can't be resolved, its
    expression. Loaders give a resource whose id is unresolved one that names the resource instance
    (`module.m.azapi_resource.x[0].id`), and a reference to that id carries the same expression, so a patch
    written as `resource_id = azapi_resource.x[0].id` still finds its target."""
    if isinstance(value, str):
        return value.lower().rstrip("/")
    if isinstance(value, Unresolved):
        return f"unresolved {value.expression}"
    return None


def merge_updates(bodies: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Fold patch bodies (`PATCH_MARKER`) into the resources they patch; (bodies, notes).

    A target is updated in place, so a caller that keyed sources by `id(body)` keeps them. A patch whose target
    is not among `bodies` stays as a partial resource (without the marker), and a note says so.
    """
    by_id: dict[str, dict[str, Any]] = {}
    for body in bodies:
        key = _id_key(body.get("id"))
        if not body.get(PATCH_MARKER) and key is not None:
            by_id.setdefault(key, body)
    result: list[dict[str, Any]] = []
    notes: list[str] = []
    for body in bodies:
        if not body.get(PATCH_MARKER):
            result.append(body)
            continue
        del body[PATCH_MARKER]
        target_id = body.get("id")
        key = _id_key(target_id)
        target = by_id.get(key) if key is not None else None
        if target is None:
            shown = target_id if isinstance(target_id, str) else getattr(target_id, "expression", "?")
            notes.append(f"a patch to {shown}, which is not in this configuration, is reviewed as a partial "
                         "resource")
            result.append(body)
            continue
        _merge_into(target, {key: value for key, value in body.items()
                             if key not in ("type", "name", "id", "apiVersion")})
    return result, notes


__all__ = ["AZAPI_TYPES", "PATCH_MARKER", "arm_id", "merge_updates", "to_arm"]
