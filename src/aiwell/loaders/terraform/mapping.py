"""Terraform resources → ARM resource bodies: the one engine that applies the azurerm tables (and azapi).

The tables live in `aiwell.loaders.terraform.azurerm` (one module per service); `_spec` describes their
vocabulary. Attributes arrive as Terraform evaluates them, from HCL or plan JSON alike: attribute name → value,
nested blocks always a list of dicts, `Unresolved` for unknown values, `None` (or absence) for unset ones. An
unset attribute with a provider default gets that default; one without stays absent, so a rule's `missing:`
decides. An `Unresolved` value is carried to its ARM path unchanged.

Ids are ARM ids under the placeholder subscription of the `DeploymentContext`; children hang under their parent's
id, extension resources (diagnostic settings, role assignments, locks) under their scope's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.arm.template import resource_id
from aiwell.loaders.terraform import azapi
from aiwell.loaders.terraform.azurerm import TABLES
from aiwell.loaders.terraform.azurerm._spec import (
    NO_DEFAULT,
    Attr,
    Block,
    ChildMap,
    ChildOf,
    ChildOfNamed,
    Const,
    Derived,
    ExtensionOf,
    Field,
    InGroupOf,
    InSubscription,
    Patches,
    ResourceMap,
    TopLevel,
)
from aiwell.model import MISSING, Unresolved


def arm_type(tf_type: str) -> str | None:
    """The ARM type a Terraform resource type becomes, or None when it is not mapped (azapi types: None, since
    their ARM type is in their `type` attribute)."""
    table = TABLES.get(tf_type)
    return table.arm_type if table is not None else None


def to_arm(tf_type: str, attributes: Mapping[str, Any], *, context: DeploymentContext,
           ) -> list[dict[str, Any]] | None:
    """The ARM resource bodies one Terraform resource becomes; None when `tf_type` is not a mapped Azure type.

    The first body is the resource itself (`type`, `name`, `id`, `apiVersion`, and what the table maps:
    `location`, `kind`, `sku`, `identity`, `tags`, `properties`, and `scope` for extension resources); the others
    are children it also configures (a storage account's `blobServices/default`, a private endpoint's DNS zone
    group, a web app's publishing-credential policies). A resource that configures another one
    (`azurerm_cognitive_account_customer_managed_key`, `azurerm_storage_account_network_rules`) and
    `azapi_update_resource` give a patch body with the target's id and `azapi.PATCH_MARKER`: pass all the
    bodies of a configuration through `azapi.merge_updates` to fold patches into their targets.
    `azapi_resource` and `azapi_update_resource` are read by `aiwell.loaders.terraform.azapi`.
    """
    if tf_type in azapi.AZAPI_TYPES:
        return azapi.to_arm(tf_type, attributes, context=context)
    table = TABLES.get(tf_type)
    if table is None:
        return None
    identifier = arm_id(tf_type, attributes, context=context)
    body: dict[str, Any] = {
        "type": table.arm_type,
        "name": _full_name(table, attributes),
        "id": identifier,
        "apiVersion": table.api_version,
    }
    if isinstance(table.naming, ExtensionOf):
        body["scope"] = _attribute(tf_type, attributes, table.naming.scope_attribute)
    if isinstance(table.naming, Patches):
        body[azapi.PATCH_MARKER] = True
    body.update(apply_fields(table.fields, attributes))
    bodies = [body]
    for child in table.children:
        bodies.extend(_children(child, attributes, body))
    return bodies


def arm_id(tf_type: str, attributes: Mapping[str, Any], *, context: DeploymentContext) -> str | Unresolved:
    """The ARM id a reference `azurerm_x.y.id` evaluates to.

    A known ARM id among the attributes (plan JSON, for a resource that exists) is that id. Otherwise it is
    built from `name` and `resource_group_name` (or the parent's id for children, the hub's group for AI Foundry
    projects, the scope for extension resources) under the placeholder subscription. Unmapped types and missing
    parts give `Unresolved`. A Terraform id that is not an ARM id (a diagnostic setting's `target|name`) is
    never taken.
    """
    if tf_type in azapi.AZAPI_TYPES:
        return azapi.arm_id(tf_type, attributes, context=context)
    table = TABLES.get(tf_type)
    if table is None:
        return Unresolved(f"{tf_type}.id", f"{tf_type} is not a resource type aiwell maps to ARM")
    known = attributes.get("id")
    if isinstance(known, str) and known.lower().startswith("/subscriptions/") and "|" not in known:
        return known
    return _compute_id(table, attributes, context)


# --- the engine -----------------------------------------------------------------------------------------------


def apply_fields(fields: tuple[Field, ...], attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a table's fields to one level of attributes; the ARM object they build.

    Defaults are applied last and only to paths no field has written, so an old attribute name listed before
    the new one (with the default on the new one) wins when it is set.
    """
    result: dict[str, Any] = {}
    written: set[str] = set()
    pending: list[tuple[str, Any, Any]] = []
    for field in fields:
        if isinstance(field, Const):
            _write(result, written, field.path, field.value)
        elif isinstance(field, Derived):
            _write(result, written, field.path, field.compute(attributes))
        elif isinstance(field, Attr):
            value = attributes.get(field.attribute)
            # The provider can't tell "" from unset for a string (plan JSON shows unset ones as ""), nor can we.
            if value is None or value == "":
                if field.default is not NO_DEFAULT:
                    pending.append((field.path, field.default, field.transform))
                continue
            _write(result, written, field.path, _transform(field, value))
        else:
            _write(result, written, field.path, _block(field, attributes.get(field.attribute)))
    for path, default, transform in pending:
        if path.lower() not in written:
            _write(result, written, path, transform(default) if transform is not None else default)
    return result


def _transform(field: Attr, value: Any) -> Any:
    if isinstance(value, Unresolved) or field.transform is None:
        return value
    return field.transform(value)


def _block(field: Block, raw: Any) -> Any:
    """A nested block (a list of dicts, or one dict) → an object, or a list of objects with `many`."""
    if raw is None or isinstance(raw, Unresolved):
        return MISSING if raw is None else raw
    blocks = raw if isinstance(raw, list) else [raw]
    if not blocks:
        return MISSING
    built = [apply_fields(field.fields, block) if isinstance(block, Mapping)
             else block if isinstance(block, Unresolved)
             else Unresolved(repr(block), f"expected a {field.attribute} block")
             for block in (blocks if field.many else blocks[:1])]
    return built if field.many else built[0]


def _write(result: dict[str, Any], written: set[str], path: str, value: Any) -> None:
    """Set a dotted path, creating objects on the way; `MISSING` writes nothing. A path through a value that is
    not an object (an unresolved block) is left as it is: the whole object is already unknown."""
    if value is MISSING:
        return
    keys = path.split(".")
    target = result
    for key in keys[:-1]:
        step = target.setdefault(key, {})
        if not isinstance(step, dict):
            return
        target = step
    existing = target.get(keys[-1])
    if isinstance(existing, dict) and isinstance(value, dict):
        # Two fields building one object (`encryption` from a block and from a flag): both parts are kept.
        value = {**existing, **value}
    target[keys[-1]] = value
    written.add(path.lower())


def _children(child: ChildMap, attributes: Mapping[str, Any], parent: dict[str, Any]) -> list[dict[str, Any]]:
    if child.block is None:
        sources: list[Any] = [attributes]
    else:
        raw = attributes.get(child.block)
        if raw is None or raw == []:
            return []
        sources = raw if isinstance(raw, list) else [raw]
    bodies = []
    leaf_type = child.arm_type.rsplit("/", 1)[-1]
    for source in sources:
        if isinstance(source, Unresolved):
            source_attributes: Mapping[str, Any] = {}
            leaf: str | Unresolved = child.name if child.name is not None else source
        else:
            source_attributes = source if isinstance(source, Mapping) else {}
            named = source_attributes.get("name")
            leaf = child.name if child.name is not None else (
                named if isinstance(named, (str, Unresolved)) else Unresolved(
                    f"{child.block}.name", "the block has no name"))
        body: dict[str, Any] = {
            "type": child.arm_type,
            "name": _join(parent["name"], leaf),
            "id": _join(parent["id"], leaf, segment=leaf_type),
            "apiVersion": child.api_version,
        }
        if isinstance(source, Unresolved):
            # A block known only after apply (a plan's computed `blob_properties`): none of its settings is known.
            body["properties"] = source
        else:
            body.update(apply_fields(child.fields, source_attributes))
        bodies.append(body)
    return bodies


# --- names and ids --------------------------------------------------------------------------------------------


def _attribute(tf_type: str, attributes: Mapping[str, Any], name: str) -> str | Unresolved:
    value = attributes.get(name)
    if isinstance(value, (str, Unresolved)):
        return value
    if value is None:
        return Unresolved(f"{tf_type}.{name}", "not set")
    return Unresolved(f"{tf_type}.{name}", f"expected a string, got {value!r}")


def _own_name(table: ResourceMap, attributes: Mapping[str, Any]) -> str | Unresolved:
    if isinstance(table.naming, (ChildOf, ChildOfNamed)) and table.naming.name is not None:
        return table.naming.name
    if attributes.get("name") is None and isinstance(table.naming, ExtensionOf):
        return Unresolved(f"{table.tf_type}.name", "generated by the provider at apply time")
    if isinstance(table.naming, InSubscription):
        naming = table.naming
        if attributes.get(naming.name_attribute) is None and naming.default_name is not None:
            return naming.default_name
        return _attribute(table.tf_type, attributes, naming.name_attribute)
    if isinstance(table.naming, ChildOfNamed):
        return _attribute(table.tf_type, attributes, table.naming.name_attribute)
    return _attribute(table.tf_type, attributes, "name")


def _leaf(resource_id_value: str | Unresolved) -> str | Unresolved:
    if isinstance(resource_id_value, Unresolved):
        return resource_id_value
    return resource_id_value.rstrip("/").rsplit("/", 1)[-1]


def _join(left: str | Unresolved, right: str | Unresolved, *, segment: str | None = None) -> str | Unresolved:
    """`left/right` (or `left/segment/right`); the first unresolved part makes the whole unresolved."""
    for part in (left, right):
        if isinstance(part, Unresolved):
            return part
    assert isinstance(left, str) and isinstance(right, str)
    return f"{left}/{segment}/{right}" if segment is not None else f"{left}/{right}"


def _parent_name(parent_id: str | Unresolved) -> str | Unresolved:
    """The full name of the resource an id names (`acct` for an account, `vnet/subnet` for a subnet)."""
    if isinstance(parent_id, Unresolved):
        return parent_id
    segments = [part for part in parent_id.split("/") if part]
    lowered = [part.lower() for part in segments]
    if "providers" not in lowered:
        return _leaf(parent_id)
    start = len(lowered) - 1 - lowered[::-1].index("providers")
    return "/".join(segments[start + 3::2]) or _leaf(parent_id)


def _full_name(table: ResourceMap, attributes: Mapping[str, Any]) -> str | Unresolved:
    name = _own_name(table, attributes)
    naming = table.naming
    if isinstance(naming, Patches):
        return _parent_name(_attribute(table.tf_type, attributes, naming.target_attribute))
    if isinstance(naming, ChildOf):
        return _join(_parent_name(_attribute(table.tf_type, attributes, naming.parent_attribute)), name)
    if isinstance(naming, ChildOfNamed):
        return _join(_named_parent(table.tf_type, attributes, naming), name)
    return name


def _named_parent(tf_type: str, attributes: Mapping[str, Any], naming: ChildOfNamed) -> str | Unresolved:
    """The full name of the level above a `ChildOfNamed` resource (`svc`, or `svc/api` with `levels`)."""
    parent = _attribute(tf_type, attributes, naming.parent_name_attribute)
    for level in naming.levels:
        parent = _join(parent, _attribute(tf_type, attributes, level))
    return parent


def _group_prefix(context: DeploymentContext, group: str | Unresolved) -> str | Unresolved:
    if isinstance(group, Unresolved):
        return group
    return f"/subscriptions/{context.subscription_id}/resourceGroups/{group}"


def _compute_id(table: ResourceMap, attributes: Mapping[str, Any], context: DeploymentContext,
                ) -> str | Unresolved:
    naming = table.naming
    tf_type = table.tf_type
    if isinstance(naming, Patches):
        return _attribute(tf_type, attributes, naming.target_attribute)
    name = _own_name(table, attributes)
    if isinstance(naming, TopLevel):
        prefix = _group_prefix(context, _attribute(tf_type, attributes, naming.group_attribute))
        return resource_id(prefix, table.arm_type, name)
    if isinstance(naming, InSubscription):
        return resource_id(f"/subscriptions/{context.subscription_id}", table.arm_type, name)
    if isinstance(naming, ChildOf):
        parent = _attribute(tf_type, attributes, naming.parent_attribute)
        return _join(parent, name, segment=table.arm_type.rsplit("/", 1)[-1])
    if isinstance(naming, ChildOfNamed):
        prefix = _group_prefix(context, _attribute(tf_type, attributes, naming.group_attribute))
        if naming.levels:
            full = _join(_named_parent(tf_type, attributes, naming), name)
            return resource_id(prefix, table.arm_type, full)
        parent_id = resource_id(prefix, naming.parent_type,
                                _attribute(tf_type, attributes, naming.parent_name_attribute))
        return _join(parent_id, name, segment=table.arm_type.rsplit("/", 1)[-1])
    if isinstance(naming, InGroupOf):
        sibling = _attribute(tf_type, attributes, naming.sibling_attribute)
        if isinstance(sibling, Unresolved):
            return sibling
        marker = sibling.lower().find("/providers/")
        if marker < 0:
            return Unresolved(sibling, f"{naming.sibling_attribute} is not a resource id")
        return resource_id(sibling[:marker], table.arm_type, name)
    scope = _attribute(tf_type, attributes, naming.scope_attribute)
    if isinstance(scope, Unresolved):
        return scope
    return _join(scope.rstrip("/"), name, segment=f"providers/{table.arm_type}")


__all__ = ["apply_fields", "arm_id", "arm_type", "to_arm"]
