"""The one resource model every loader produces: an ARM resource as Azure Resource Graph returns it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiwell.model.values import MISSING, Unresolved


class SourceFormat(StrEnum):
    """The kind of input a resource came from."""

    ARM = "arm"
    BICEP = "bicep"
    TERRAFORM = "terraform"
    TERRAFORM_PLAN = "terraform-plan"
    INVENTORY = "inventory"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a resource came from: format, file, lines and its address inside that file."""

    format: SourceFormat
    file: str
    line: int | None = None
    end_line: int | None = None
    address: str = ""
    """Template resource index or symbolic name, Bicep symbol, Terraform address or inventory id."""
    partial: str = ""
    """Set when part of this resource's input was not reviewed (a registry module not on disk, a linked template
    not fetched): what it was. Related resources (a private endpoint, a diagnostic setting) may sit there, so a
    rule that looks for them answers unknown, not fail, when none is found."""


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]")

# Top-level fields of an ARM resource that map onto `Resource` attributes.
_TOP_LEVEL = ("kind", "sku", "identity", "location", "zones", "tags", "properties", "plan", "etag",
              "managedBy", "extendedLocation", "scope")


@dataclass(slots=True)
class Resource:
    """An ARM-shaped resource.

    `type` is the full type, child types included; `name` the full name (`account/deployment`); `id` an ARM id
    (with placeholder subscription and group where they are not known). Any value may be `Unresolved`.
    """

    type: str
    name: str | Unresolved
    id: str | Unresolved
    source: Source
    api_version: str | None = None
    kind: Any = MISSING
    sku: Any = MISSING
    identity: Any = MISSING
    location: Any = MISSING
    zones: Any = MISSING
    tags: Any = MISSING
    properties: Any = MISSING
    extra: dict[str, Any] = field(default_factory=dict)
    """Other top-level ARM fields (`plan`, `scope`, `managedBy`, ...)."""
    depends_on: tuple[str | Unresolved, ...] = ()
    """Ids (or names) this resource names in `dependsOn`."""

    @property
    def type_lower(self) -> str:
        """The type in lower case, for Azure's case-insensitive comparison."""
        return self.type.lower()

    def is_type(self, *types: str) -> bool:
        """Whether the resource is of one of `types` (case-insensitive)."""
        mine = self.type.lower()
        return any(mine == t.lower() for t in types)

    def to_arm(self) -> dict[str, Any]:
        """The resource as an ARM JSON object; absent fields are left out."""
        body: dict[str, Any] = {"type": self.type, "name": self.name, "id": self.id}
        if self.api_version is not None:
            body["apiVersion"] = self.api_version
        for key in ("kind", "sku", "identity", "location", "zones", "tags", "properties"):
            value = getattr(self, key)
            if value is not MISSING:
                body[key] = value
        body.update(self.extra)
        return body

    def get(self, path: str) -> Any:
        """Look up a dotted ARM path (`properties.networkAcls.defaultAction`, `sku.name`, `a.b[0].c`).

        Keys match case-insensitively, as ARM does. Returns `MISSING` when any step is absent, or the first
        `Unresolved` met on the way (the value can't be known). `[*]` is not handled here; the rule engine
        expands arrays.
        """
        return lookup(self.to_arm(), path)

    @classmethod
    def from_arm(cls, body: dict[str, Any], source: Source, *, resource_id: str | Unresolved | None = None,
                 ) -> Resource:
        """Build a resource from an ARM-shaped JSON object (a template resource after evaluation, or an export row).

        `resource_id` overrides `body["id"]`; when neither is given the id is the name, which graph lookups still
        match by name.
        """
        lowered = {k.lower(): k for k in body}
        def pick(key: str) -> Any:
            real = lowered.get(key.lower())
            return body[real] if real is not None else MISSING

        name = pick("name")
        rid = resource_id if resource_id is not None else pick("id")
        if rid is MISSING or rid is None:
            rid = name if isinstance(name, (str, Unresolved)) else ""
        extra = {k: v for k, v in body.items()
                 if k.lower() not in {"type", "name", "id", "apiversion", "dependson", "kind", "sku", "identity",
                                      "location", "zones", "tags", "properties"}}
        depends = pick("dependsOn")
        api = pick("apiVersion")
        res_type = pick("type")
        return cls(
            type=res_type if isinstance(res_type, str) else str(res_type),
            name=name if isinstance(name, (str, Unresolved)) else str(name),
            id=rid,
            source=source,
            api_version=api if isinstance(api, str) else None,
            kind=pick("kind"),
            sku=pick("sku"),
            identity=pick("identity"),
            location=pick("location"),
            zones=pick("zones"),
            tags=pick("tags"),
            properties=pick("properties"),
            extra=extra,
            depends_on=tuple(depends) if isinstance(depends, list) else (),
        )


def lookup(value: Any, path: str) -> Any:
    """Follow a dotted path with `[n]` indexes through nested dicts and lists (keys case-insensitive).

    Returns `MISSING` for an absent step and the first `Unresolved` met on the way.
    """
    current = value
    for match in _PATH_TOKEN.finditer(path):
        if isinstance(current, Unresolved):
            return current
        key, index = match.group(1), match.group(2)
        if key is not None:
            if not isinstance(current, dict):
                return MISSING
            if key in current:
                current = current[key]
                continue
            folded = key.lower()
            for candidate, item in current.items():
                if isinstance(candidate, str) and candidate.lower() == folded:
                    current = item
                    break
            else:
                return MISSING
        else:
            if index == "*" or not isinstance(current, list):
                return MISSING
            position = int(index)
            if position >= len(current):
                return MISSING
            current = current[position]
    return current


__all__ = ["Resource", "Source", "SourceFormat", "lookup"]
