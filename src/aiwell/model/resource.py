"""The one resource model every loader produces: an ARM resource as Azure Resource Graph returns it."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from msgspec import Struct, field
from msgspec.structs import astuple

from aiwell.model.values import MISSING, Unresolved


class SourceFormat(StrEnum):
    """The kind of input a resource came from."""

    ARM = "arm"
    BICEP = "bicep"
    TERRAFORM = "terraform"
    TERRAFORM_PLAN = "terraform-plan"
    INVENTORY = "inventory"


class Source(Struct, frozen=True):
    """Where a resource came from: format, file, lines and its address inside that file."""

    format: SourceFormat
    file: str
    line: int | None = None
    end_line: int | None = None
    address: str = ""
    """Template resource index or symbolic name, Bicep symbol, Terraform address or inventory id."""
    input: str = ""
    """The label of the input (deployment) this resource belongs to: `InputRecord.input`. A template reviewed
    with two parameter files gives two resources with the same id and file; this tells them apart."""
    partial: str = ""
    """Set when part of this resource's input was not reviewed (a registry module not on disk, a linked template
    not fetched): what it was. Related resources (a private endpoint, a diagnostic setting) may sit there, so a
    rule that looks for them answers unknown, not fail, when none is found."""


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]")


class Resource(Struct):
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
    _pinned: dict[str, Any] | None = None
    """The ARM document `to_arm` returns while pinned (see `pin_document`). Kept last: not part of the resource's
    equality (`__eq__`)."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Resource:
            return NotImplemented
        return astuple(self)[:-1] == astuple(other)[:-1]

    @property
    def type_lower(self) -> str:
        """The type in lower case, for Azure's case-insensitive comparison."""
        return self.type.lower()

    def is_type(self, *types: str) -> bool:
        """Whether the resource is of one of `types` (case-insensitive)."""
        mine = self.type.lower()
        return any(mine == t.lower() for t in types)

    def pin_document(self) -> None:
        """Build the ARM document once and have `to_arm` return that same object until `unpin_document`.

        The rule engine pins every resource while rules run: rules are pure, so the document can't change, and
        building it once instead of once per rule is most of what reading a resource costs.
        """
        self._pinned = None
        self._pinned = self.to_arm()

    def unpin_document(self) -> None:
        """Let `to_arm` build the document afresh again (the resource may change)."""
        self._pinned = None

    def to_arm(self) -> dict[str, Any]:
        """The resource as an ARM JSON object; absent fields are left out."""
        if self._pinned is not None:
            return self._pinned
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

        Keys match case-insensitively (the last of two spellings wins); `resource_id` overrides `body["id"]`;
        when neither is given the id is the name, which graph lookups still match by name.
        """
        fields: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in body.items():
            folded = key.lower()
            if folded in _FIELDS:
                fields[folded] = value
            else:
                extra[key] = value
        name = fields.get("name", MISSING)
        rid = resource_id if resource_id is not None else fields.get("id", MISSING)
        if rid is MISSING or rid is None:
            rid = name if isinstance(name, (str, Unresolved)) else ""
        depends = fields.get("dependson")
        api = fields.get("apiversion")
        res_type = fields.get("type", MISSING)
        return cls(
            type=res_type if isinstance(res_type, str) else str(res_type),
            name=name if isinstance(name, (str, Unresolved)) else str(name),
            id=rid,
            source=source,
            api_version=api if isinstance(api, str) else None,
            kind=fields.get("kind", MISSING),
            sku=fields.get("sku", MISSING),
            identity=fields.get("identity", MISSING),
            location=fields.get("location", MISSING),
            zones=fields.get("zones", MISSING),
            tags=fields.get("tags", MISSING),
            properties=fields.get("properties", MISSING),
            extra=extra,
            depends_on=tuple(depends) if isinstance(depends, list) else (),
        )


_FIELDS = frozenset({"type", "name", "id", "apiversion", "dependson", "kind", "sku", "identity", "location",
                     "zones", "tags", "properties"})
"""Top-level keys of an ARM object (lower case) that `Resource.from_arm` maps onto attributes."""


@functools.lru_cache(maxsize=4096)
def _path_steps(path: str) -> tuple[tuple[str | None, int | None, str | None], ...]:
    """A dotted path as its steps: (key, its lower case, None) or (None, index, None); `[*]` as (None, None, "*")."""
    steps: list[tuple[str | None, int | None, str | None]] = []
    for match in _PATH_TOKEN.finditer(path):
        key, index = match.group(1), match.group(2)
        if key is not None:
            steps.append((key, None, key.lower()))
        elif index == "*":
            steps.append((None, None, "*"))
        else:
            steps.append((None, int(index), None))
    return tuple(steps)


def lookup(value: Any, path: str) -> Any:
    """Follow a dotted path with `[n]` indexes through nested dicts and lists (keys case-insensitive).

    Returns `MISSING` for an absent step and the first `Unresolved` met on the way.
    """
    read = _READERS.get(path)
    if read is None:
        read = path_reader(_path_steps(path))
        if len(_READERS) < _READERS_KEPT:
            _READERS[path] = read
    return read(value)


_READERS: dict[str, Callable[[Any], Any]] = {}
"""`path_reader` of each path `lookup` was asked for (rules ask for the same few thousand times over)."""
_READERS_KEPT = 4096


PathSteps = tuple[tuple[str | None, int | None, str | None], ...]
"""A dotted path split into steps once (`path_steps`), for a caller that follows it through many values."""


def path_steps(path: str) -> PathSteps:
    """The steps of a dotted path with `[n]` indexes, as `follow` takes them (`[*]` is not handled)."""
    return _path_steps(path)


def follow(value: Any, steps: PathSteps) -> Any:
    """`lookup` with the path already split into steps (`path_steps`)."""
    current = value
    for key, index, folded in steps:
        if key is not None and current.__class__ is dict:
            # The common step, first: a key of a plain dict, spelled as asked.
            found = current.get(key, MISSING)
            if found is not MISSING:
                current = found
                continue
        elif isinstance(current, Unresolved):
            return current
        if key is not None:
            if not isinstance(current, dict):
                return MISSING
            if key in current:
                current = current[key]
                continue
            try:
                # Most keys asked for are simply absent: tell so by lower-casing the keys in one C loop.
                present = folded in map(str.lower, current)  # type: ignore[operator]  # a key's step has `folded`
            except TypeError:  # a key that is not text: look the slow way
                present = True
            if not present:
                return MISSING
            for candidate, item in current.items():
                if isinstance(candidate, str) and candidate.lower() == folded:
                    current = item
                    break
            else:
                return MISSING
        else:
            if index is None or not isinstance(current, list):
                return MISSING
            if index >= len(current):
                return MISSING
            current = current[index]
    return current


def path_reader(steps: PathSteps) -> Callable[[Any], Any]:
    """`follow(document, steps)` as one function (the same answers), for a path of keys: each key is read from a
    plain dict spelled as asked (the common case, tried first), and from the first step where that does not
    answer (a key spelled otherwise or absent, a value that is not a plain dict) `follow` takes over."""
    keys = tuple(key for key, _, _ in steps)
    if not keys or any(key is None for key in keys):
        return lambda document: follow(document, steps)
    walk = tuple((key, folded, steps[position:]) for position, (key, _, folded) in enumerate(steps))

    def read(document: Any) -> Any:
        current = document
        for key, folded, rest in walk:
            if current.__class__ is not dict:
                return follow(current, rest)
            found = current.get(key, MISSING)
            if found is MISSING:
                # Most keys asked for are absent in every spelling: told here, as `follow` would tell it.
                try:
                    if folded not in map(str.lower, current):  # type: ignore[operator]  # a key step has `folded`
                        return MISSING
                except TypeError:  # a key that is not text: `follow` looks the slow way
                    pass
                return follow(current, rest)
            current = found
        return current
    return read


__all__ = ["PathSteps", "Resource", "Source", "SourceFormat", "follow", "lookup", "path_reader", "path_steps"]
