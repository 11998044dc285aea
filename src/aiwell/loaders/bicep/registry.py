"""Registry and template-spec modules (`br:`, `br/<alias>:`, `ts:`, `ts/<alias>:`) read from the local module cache.

aiwell never downloads a module. `bicep restore` (and `bicep build`, which restores first) puts every external
module in a local cache, and aiwell reads it there, as the Bicep CLI does with `--no-restore`:

- The cache root is `cacheRootDirectory` in the nearest `bicepconfig.json` at or above the Bicep file, else
  `~/.bicep` (`%USERPROFILE%\\.bicep` on Windows). A `cacheRootDirectory` set in a reviewed repository's
  configuration is honoured only inside the reviewed tree: a file under review can't send aiwell to read
  elsewhere. The default cache is the user's own, filled by their Bicep CLI, and read wherever it is.
- A registry module `br:<registry>/<repository>:<tag>` is `<root>/br/<registry>/<repository>/<tag>/main.json`,
  the registry in lower case with `:` written `$`, the repository with `/` written `$`, and the tag followed by
  `$` and the hexadecimal mask of its upper-case letters (Bicep's encoding for case-insensitive file systems;
  `0.9.0` is `0.9.0$`). A digest (`@sha256:...`) is the folder `sha256#...`.
- `br/<alias>:<path>:<tag>` expands through `moduleAliases.br.<alias>` (`registry`, optional `modulePath`) in
  the configuration; `br/public:` is built in (`mcr.microsoft.com`, module path `bicep`).
- A template spec `ts:<subscription>/<group>/<name>:<version>` (or `ts/<alias>:<name>:<version>` through
  `moduleAliases.ts`) is `<root>/ts/<subscription>/<group>/<name>/<version>/main.json`, every part in lower
  case; that file holds the template spec version as Azure returns it, whose `properties.mainTemplate` is the
  template.

The cached `main.json` is the compiled ARM template; the Bicep loader expands it with the module's parameters.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from aiwell.errors import InputError
from aiwell.loaders.files import within
from aiwell.loaders.jsonc import load_json

CONFIG_FILE = "bicepconfig.json"

_BUILT_IN_BR_ALIASES = {"public": {"registry": "mcr.microsoft.com", "modulePath": "bicep"}}
_MAX_TAG_LENGTH = 128


class ModuleCache(Struct):
    """Where the external modules of one Bicep file are looked up: the cache root and the module aliases."""

    root: Path | None
    """None when the configured cache lies outside the reviewed tree (then nothing is read from it)."""
    br_aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    ts_aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class CachedModule(Struct, frozen=True):
    """Where a module reference lives in the cache, or why it can't be looked up."""

    path: Path | None
    reason: str = ""


def encode_tag(tag: str) -> str:
    """A tag as Bicep names its cache folder: the tag, `$`, then the hexadecimal mask of its upper-case letters
    (highest 64-bit word first, later words zero-padded), nothing after `$` when it has none."""
    words = [0] * ((_MAX_TAG_LENGTH + 63) // 64)
    for position, char in enumerate(tag):
        if char.isupper():
            words[position // 64] |= 1 << (position % 64)
    digits = ""
    for word in reversed(words):
        if digits:
            digits += f"{word:016x}"
        elif word:
            digits = f"{word:x}"
    return f"{tag}${digits}"


def _read_config(path: Path) -> dict[str, Any]:
    try:
        value = load_json(path, track=()).value
    except InputError:
        return {}
    return value if isinstance(value, dict) else {}


def module_cache(bicep_file: Path, *, root: Path | None) -> ModuleCache:
    """The module cache for `bicep_file`: its nearest `bicepconfig.json` inside `root` (the reviewed tree), if
    any, else the defaults."""
    config: dict[str, Any] = {}
    config_dir: Path | None = None
    folder = bicep_file.resolve().parent
    for candidate in (folder, *folder.parents):
        if root is not None and not within(candidate, root):
            break
        if (candidate / CONFIG_FILE).is_file():
            config, config_dir = _read_config(candidate / CONFIG_FILE), candidate
            break
    aliases = config.get("moduleAliases")
    aliases = aliases if isinstance(aliases, dict) else {}
    br = {**_BUILT_IN_BR_ALIASES, **_aliases(aliases.get("br"))}
    ts = _aliases(aliases.get("ts"))
    cache_root = _configured_cache(config, config_dir) if config_dir is not None else None
    if cache_root is not None and config_dir is not None:
        configured = config.get("cacheRootDirectory")
        if root is not None and not within(cache_root, root):
            note = (f"{config_dir / CONFIG_FILE}: cacheRootDirectory {configured} is outside the reviewed tree; "
                    "registry modules are not read from it")
            return ModuleCache(None, br, ts, [note])
        return ModuleCache(cache_root, br, ts)
    return ModuleCache(Path.home() / ".bicep", br, ts)


def bicep_cache_root(config_file: Path) -> Path | None:
    """The module cache folder a `bicepconfig.json` names (`cacheRootDirectory`, resolved against its folder), or
    None when it names none."""
    return _configured_cache(_read_config(config_file), config_file.parent)


def _configured_cache(config: dict[str, Any], config_dir: Path) -> Path | None:
    configured = config.get("cacheRootDirectory")
    if not isinstance(configured, str) or not configured:
        return None
    return (config_dir / os.path.expanduser(configured)).resolve()


def _aliases(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    return {str(name): entry for name, entry in value.items() if isinstance(entry, dict)}


def _split_version(text: str) -> tuple[str, str | None, str | None]:
    """`path:tag` or `path@digest` → (path, tag, digest)."""
    if "@" in text:
        path, _, digest = text.partition("@")
        return path, None, digest
    path, colon, tag = text.rpartition(":")
    if not colon:
        return text, None, None
    return path, tag, None


def locate(reference: str, cache: ModuleCache) -> CachedModule:
    """Where the cached `main.json` of a `br:`/`ts:` module reference is (it may not exist)."""
    if cache.root is None:
        return CachedModule(None, "the module cache configured in bicepconfig.json is outside the reviewed tree")
    scheme, _, rest = reference.partition(":")
    kind, _, alias = scheme.partition("/")
    if kind == "br":
        return _locate_registry(rest, alias, cache)
    if kind == "ts":
        return _locate_template_spec(rest, alias, cache)
    return CachedModule(None, f"'{scheme}' is not a module scheme aiwell knows")


def _locate_registry(rest: str, alias: str, cache: ModuleCache) -> CachedModule:
    assert cache.root is not None
    if alias:
        entry = cache.br_aliases.get(alias)
        if entry is None or not isinstance(entry.get("registry"), str):
            return CachedModule(None, f"the module alias 'br/{alias}' is not defined in bicepconfig.json")
        module_path = entry.get("modulePath")
        prefix = f"{entry['registry']}/{module_path.strip('/')}/" if isinstance(module_path, str) and module_path \
            else f"{entry['registry']}/"
        rest = prefix + rest
    address, tag, digest = _split_version(rest)
    registry, slash, repository = address.partition("/")
    if not slash or not repository or (tag is None and digest is None) or (tag and len(tag) > _MAX_TAG_LENGTH):
        return CachedModule(None, "the module reference has no registry, repository and tag or digest")
    version = encode_tag(tag) if tag is not None else str(digest).replace(":", "#")
    folder = cache.root / "br" / registry.replace(":", "$").lower() / repository.replace("/", "$") / version
    return CachedModule(folder / "main.json")


def _locate_template_spec(rest: str, alias: str, cache: ModuleCache) -> CachedModule:
    assert cache.root is not None
    if alias:
        entry = cache.ts_aliases.get(alias)
        if entry is None or not isinstance(entry.get("subscription"), str) \
                or not isinstance(entry.get("resourceGroup"), str):
            return CachedModule(None, f"the template spec alias 'ts/{alias}' is not defined in bicepconfig.json")
        rest = f"{entry['subscription']}/{entry['resourceGroup']}/{rest}"
    address, version, _ = _split_version(rest)
    parts = address.split("/")
    if len(parts) != 3 or not all(parts) or not version:
        return CachedModule(None, "the template spec reference is not <subscription>/<group>/<name>:<version>")
    subscription, group, name = (part.lower() for part in parts)
    return CachedModule(cache.root / "ts" / subscription / group / name / version.lower() / "main.json")


def cached_template(document: Any) -> Any:
    """The ARM template in a cached `main.json`: the file itself, or a template spec's `mainTemplate`."""
    if isinstance(document, dict):
        properties = document.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get("mainTemplate"), dict):
            return properties["mainTemplate"]
    return document


__all__ = ["CONFIG_FILE", "CachedModule", "ModuleCache", "bicep_cache_root", "cached_template", "encode_tag", "locate",
           "module_cache"]
