"""The vocabulary of the azurerm → ARM tables: what a table entry can say, and the value transforms it names.

A table (`ResourceMap`) says, for one Terraform resource type, which ARM type it becomes, how its name and id are
built, and a tuple of fields. Each field reads Terraform attributes (attribute name → value, nested blocks always a
list of dicts, `Unresolved` for unknown values) and writes one dotted path of the ARM body:

- `Attr(attribute, path, transform, default=...)`: one attribute; `default` is the **provider's** default, applied
  when the attribute is absent or null (documented beside each table entry with the provider version).
- `Block(attribute, path, fields, many=False)`: a nested block becomes an object (or, with `many`, a list of
  objects), its own fields read relative to the block.
- `Const(path, value)`: a value the provider always sends (`computeType`, a fixed `kind`).
- `Derived(path, compute)`: a value computed from several attributes of the same level (a SKU made of two).

Transforms never see `None`, `MISSING` or `Unresolved` (the engine handles those) and return `MISSING` to leave
the path out. Tables are data; `mapping.py` is the one engine that applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from msgspec import Struct

from aiwell.model import MISSING, Unresolved

Transform = Callable[[Any], Any]
"""Turns one Terraform value into its ARM value (or `MISSING` to leave the path out)."""


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault()
"""An attribute without a provider default: absent in Terraform means absent in ARM."""


class Attr(Struct, frozen=True):
    """One Terraform attribute → one ARM path, through an optional transform."""

    attribute: str
    path: str
    transform: Transform | None = None
    default: Any = NO_DEFAULT
    """The provider's default, used when the attribute is absent or null (before the transform)."""


class Block(Struct, frozen=True):
    """A nested Terraform block → an ARM object (or a list of objects with `many`)."""

    attribute: str
    path: str
    fields: tuple[Field, ...]
    many: bool = False


class Const(Struct, frozen=True):
    """A value the provider always sends."""

    path: str
    value: Any


class Derived(Struct, frozen=True):
    """A value computed from the attributes of one level (`compute` returns `MISSING` to leave it out)."""

    path: str
    compute: Callable[[Mapping[str, Any]], Any]


Field = Attr | Block | Const | Derived


class TopLevel(Struct, frozen=True):
    """A resource in a resource group: `name` + `resource_group_name`."""

    group_attribute: str = "resource_group_name"


class ChildOf(Struct, frozen=True):
    """A child resource whose parent's id is an attribute (`cognitive_account_id`)."""

    parent_attribute: str
    name: str | None = None
    """The child's fixed name, for a resource without a `name` attribute (a storage management policy is
    always `default`)."""


class ChildOfNamed(Struct, frozen=True):
    """A child resource whose parent is named by attributes (`virtual_network_name` + `resource_group_name`)."""

    parent_type: str
    parent_name_attribute: str
    group_attribute: str = "resource_group_name"
    levels: tuple[str, ...] = ()
    """Attributes naming the levels between that parent and the child (an API policy's `api_name`: the policy is
    `<service>/<api>/policy`)."""
    name: str | None = None
    """The child's fixed name, for a resource without a `name` attribute (an API's policy is always `policy`)."""
    name_attribute: str = "name"
    """The attribute that holds its name otherwise (a product's API link is named by `api_name`)."""


class InGroupOf(Struct, frozen=True):
    """A top-level resource with no group attribute: it lives in the group of another resource's id."""

    sibling_attribute: str


class InSubscription(Struct, frozen=True):
    """A resource at subscription scope (a resource group, a Defender plan).

    `name_attribute`: the attribute that holds its name (a Defender plan is named by `resource_type`);
    `default_name`: the name the provider uses when that attribute is not set.
    """

    name_attribute: str = "name"
    default_name: str | None = None


class ExtensionOf(Struct, frozen=True):
    """An extension resource (diagnostic setting, role assignment, lock) applied to the resource at `scope`."""

    scope_attribute: str


class Patches(Struct, frozen=True):
    """A resource that configures another one (`azurerm_cognitive_account_customer_managed_key`): its id is the
    target's (in `target_attribute`), and it is emitted as a patch the loader merges into the target."""

    target_attribute: str


Naming = TopLevel | ChildOf | ChildOfNamed | InGroupOf | InSubscription | ExtensionOf | Patches


class ChildMap(Struct, frozen=True):
    """An extra ARM resource one Terraform resource also configures (storage `blob_properties` → blobServices).

    `block`: the Terraform block it is built from (no block, no child); None builds it from the resource's own
    attributes. `name`: a fixed child name, or None to take the block's `name` attribute.
    """

    arm_type: str
    api_version: str
    fields: tuple[Field, ...]
    block: str | None = None
    name: str | None = None


class ResourceMap(Struct, frozen=True):
    """How one Terraform resource type becomes ARM."""

    tf_type: str
    arm_type: str
    api_version: str
    """The API version the provider uses for the type (its documentation's "API Providers" section)."""
    naming: Naming
    fields: tuple[Field, ...] = ()
    children: tuple[ChildMap, ...] = ()


# --- transforms ---------------------------------------------------------------------------------------------


def as_bool(value: Any) -> bool | None:
    """A Terraform boolean (HCL gives `true`; strings `"true"` also convert, as Terraform does), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _not_boolean(value: Any) -> Unresolved:
    return Unresolved(repr(value), "expected a boolean")


def boolean(value: Any) -> Any:
    """The value as a boolean."""
    flag = as_bool(value)
    return _not_boolean(value) if flag is None else flag


def invert(value: Any) -> Any:
    """`local_auth_enabled = false` ↔ `disableLocalAuth: true`."""
    flag = as_bool(value)
    return _not_boolean(value) if flag is None else not flag


def enabled_disabled(value: Any) -> Any:
    """`true` → `"Enabled"`, `false` → `"Disabled"`."""
    flag = as_bool(value)
    if flag is None:
        return _not_boolean(value)
    return "Enabled" if flag else "Disabled"


def lower_enabled_disabled(value: Any) -> Any:
    """`true` → `"enabled"`, `false` → `"disabled"` (ACR policies use lower case)."""
    result = enabled_disabled(value)
    return result.lower() if isinstance(result, str) else result


def enum(table: Mapping[Any, Any]) -> Transform:
    """A lookup table; a value not in it passes through unchanged."""
    def apply(value: Any) -> Any:
        try:
            return table.get(value, value)
        except TypeError:  # an unhashable value (a list) is not an enum member
            return value
    return apply


def location(value: Any) -> Any:
    """`"West Europe"` → `"westeurope"`, as the provider normalises locations."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def copy(value: Any) -> Any:
    """The value unchanged."""
    return value


def objects_of(key: str, **extra: Any) -> Transform:
    """A list of strings → a list of objects `{key: item, **extra}` (IP rules, subnet ids)."""
    def apply(value: Any) -> Any:
        if not isinstance(value, list):
            return Unresolved(repr(value), "expected a list")
        return [{key: item, **extra} for item in value]
    return apply


def join(separator: str) -> Transform:
    """A list of strings → one string (storage `bypass`); unresolved when a member is."""
    def apply(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        for item in value:
            if isinstance(item, Unresolved):
                return item
        return separator.join(str(item) for item in value)
    return apply


def name_value_list(value: Any) -> Any:
    """A map (`app_settings`) → ARM's `[{name, value}]`."""
    if not isinstance(value, dict):
        return Unresolved(repr(value), "expected a map")
    return [{"name": key, "value": item} for key, item in value.items()]


def first_block(value: Any) -> Any:
    """The first block of a nested-block list (blocks arrive as a list of dicts), or the dict itself."""
    if isinstance(value, list):
        return value[0] if value else MISSING
    return value


def identity(value: Any) -> Any:
    """An `identity` block → ARM `identity`: `type` (`"SystemAssigned, UserAssigned"` → without the space) and
    `userAssignedIdentities` keyed by the ids in `identity_ids`. Unresolved ids make the map unresolved."""
    block = first_block(value)
    if block is MISSING or isinstance(block, Unresolved):
        return block
    if not isinstance(block, dict):
        return Unresolved(repr(block), "expected an identity block")
    result: dict[str, Any] = {}
    kind = block.get("type")
    if isinstance(kind, str):
        result["type"] = ",".join(part.strip() for part in kind.split(","))
    elif isinstance(kind, Unresolved):
        result["type"] = kind
    ids = block.get("identity_ids")
    if isinstance(ids, Unresolved):
        result["userAssignedIdentities"] = ids
    elif isinstance(ids, list) and ids:
        unresolved = next((item for item in ids if not isinstance(item, str)), None)
        if unresolved is not None:
            result["userAssignedIdentities"] = (
                unresolved if isinstance(unresolved, Unresolved)
                else Unresolved(repr(unresolved), "expected an identity id"))
        else:
            result["userAssignedIdentities"] = {item: {} for item in ids}
    return result


def key_vault_key(value: Any) -> Any:
    """A Key Vault key id (`https://vault.vault.azure.net/keys/name[/version]`) → `{keyVaultUri, keyName,
    keyVersion}` as Cognitive Services and Storage want it; unresolved when it is not in that form."""
    if not isinstance(value, str):
        return value
    marker = value.find("/keys/")
    if marker < 0:
        return Unresolved(value, "not a Key Vault key id (https://<vault>/keys/<name>[/<version>])")
    parts = value[marker + len("/keys/"):].strip("/").split("/")
    result = {"keyVaultUri": value[:marker] + "/", "keyName": parts[0]}
    if len(parts) > 1 and parts[1]:
        result["keyVersion"] = parts[1]
    return result


# Common fields most resources share.
LOCATION = Attr("location", "location", location)
TAGS = Attr("tags", "tags")
IDENTITY = Attr("identity", "identity", identity)
COMMON: tuple[Field, ...] = (LOCATION, TAGS, IDENTITY)


__all__ = [
    "COMMON",
    "IDENTITY",
    "LOCATION",
    "NO_DEFAULT",
    "TAGS",
    "Attr",
    "Block",
    "ChildMap",
    "ChildOf",
    "ChildOfNamed",
    "Const",
    "Derived",
    "ExtensionOf",
    "Field",
    "InGroupOf",
    "InSubscription",
    "Naming",
    "Patches",
    "ResourceMap",
    "TopLevel",
    "Transform",
    "as_bool",
    "boolean",
    "copy",
    "enabled_disabled",
    "enum",
    "first_block",
    "identity",
    "invert",
    "join",
    "key_vault_key",
    "location",
    "lower_enabled_disabled",
    "name_value_list",
    "objects_of",
]
