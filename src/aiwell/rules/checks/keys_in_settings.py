"""APP003: an app that is handed a service's access key through its settings (App Service app settings, Container
Apps secrets and environment variables), `listKeys()` included."""

from __future__ import annotations

import re
from typing import Any

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements

_KEY_READ = re.compile(
    r"\blist(?:keys|adminkeys|querykeys|connectionstrings|accountsas|servicesas)\s*\("  # ARM and Bicep
    r"|\.(?:primary|secondary)_(?:access_key|key|master_key|readonly_key|connection_string"
    r"|blob_connection_string|sql_connection_string)\b"  # azurerm attributes
    r"|\.(?:primary|secondary)(?:_?key|connectionstring)s?\b",  # `listKeys().primaryKey` kept by a module output
    re.IGNORECASE)
"""An expression that reads a service's key or a connection string made of one."""

_KEY_NAME = re.compile(r"(?:^|[_.\-])(?:api_?key|access_?key|account_?key|master_?key|primary_?key|secret_?key|key)$",
                       re.IGNORECASE)
"""A setting name that says it holds a key (`AZURE_OPENAI_API_KEY`, `SEARCH_KEY`). Connection strings are judged by
what they hold: Application Insights' and a Foundry project's carry no credential."""

_KEY_VAULT_REFERENCE = re.compile(r"^\s*@Microsoft\.KeyVault\(", re.IGNORECASE)
_ACCOUNT_KEY_IN_TEXT = re.compile(r"(?:AccountKey|SharedAccessKey|api-key)=[^;\s]+", re.IGNORECASE)
_INVENTORY = "an export row carries no app settings, secrets or environment values (Resource Graph leaves them out)"


def _entries(resource: Resource, graph: ResourceGraph) -> tuple[list[tuple[str, Any]], list[Unresolved]]:
    """(setting name, value) for each setting, secret and environment variable the app is given, and the lists of
    them that can't be resolved."""
    found: list[tuple[str, Any]] = []
    unresolved: list[Unresolved] = []

    def read(items: Any, label: str, stored_elsewhere: str | None = None) -> None:
        """Add the entries of a list; one with the `stored_elsewhere` key (a Key Vault secret, a secret
        reference) carries no value of its own."""
        if isinstance(items, Unresolved):
            unresolved.append(items)
            return
        for entry in items if isinstance(items, list) else []:
            if isinstance(entry, dict) and (stored_elsewhere is None or stored_elsewhere not in entry):
                found.append((f"{label}{entry.get('name', '?')}", entry.get("value")))

    if resource.is_type("Microsoft.Web/sites"):
        read(lookup(graph.document(resource), "properties.siteConfig.appSettings"), "app setting ")
        return found, unresolved
    read(resource.get("properties.configuration.secrets"), "secret ", "keyVaultUrl")
    containers = resource.get("properties.template.containers")
    if isinstance(containers, Unresolved):
        unresolved.append(containers)
    for container in containers if isinstance(containers, list) else []:
        if isinstance(container, dict):
            read(container.get("env"), "environment variable ", "secretRef")
    return found, unresolved


def _expressions(value: Any) -> list[str]:
    if isinstance(value, Unresolved):
        return [value.expression]
    if isinstance(value, str):
        return [value]
    return []


def _key_in(name: str, value: Any) -> str | None:
    """Why a setting holds a key (None when it does not): it reads one, or it is a key or key-bearing connection
    string written in clear."""
    for text in _expressions(value):
        if _KEY_READ.search(text):
            return f"its value reads a key ({_short(text)})"
    if isinstance(value, str) and value.strip() and not _KEY_VAULT_REFERENCE.match(value):
        if _ACCOUNT_KEY_IN_TEXT.search(value):
            return "its value is a connection string with a key in it"
        if _named_as_key(name) and not value.strip().startswith(("http://", "https://")):
            return "its name says it is a key and its value is written in clear"
    return None


def _named_as_key(name: str) -> bool:
    return bool(_KEY_NAME.search(name.rsplit(" ", 1)[-1]))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@implements("APP003", by_document=True)
def key_in_settings(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Fail when a setting, secret or environment variable of the app holds a service key."""
    entries, unresolved_lists = _entries(resource, graph)
    if resource.source.format == SourceFormat.INVENTORY and not entries:
        return Status.UNKNOWN, _INVENTORY
    keyed = [(name, why) for name, value in entries if (why := _key_in(name, value)) is not None]
    if keyed:
        name, why = keyed[0]
        more = f" (and {len(keyed) - 1} more)" if len(keyed) > 1 else ""
        return Status.FAIL, (f"{name} holds a key: {why}{more}. Anyone who can read the app's configuration can "
                             "call the service with it; connect with the app's managed identity instead")
    if unresolved_lists:
        return Status.UNKNOWN, f"its settings can't be resolved ({_short(unresolved_lists[0].expression)})"
    doubtful = [name for name, value in entries if isinstance(value, Unresolved) and _named_as_key(name)]
    if doubtful:
        return Status.UNKNOWN, (f"{doubtful[0]} is named as a key and its value can't be resolved: it may be a key "
                                "passed in as a parameter")
    return Status.PASS, f"none of its {len(entries)} settings holds a key" if entries else "it is given no settings"
