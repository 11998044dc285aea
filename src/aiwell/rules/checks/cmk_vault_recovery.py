"""KVT008: a resource encrypted with a customer-managed key whose Key Vault (or Managed HSM) lets the key be purged.

The relation is the graph's: the resource names its key by vault URI, key URI or vault ARM id (each service spells
it its own way, below); the vault is found among the inputs by its host name or id, and judged on
`properties.enablePurgeProtection` (must be true) and `properties.enableSoftDelete` (on unless false). KVT001 and
KVT006 judge every vault on its own; this rule says which encrypted resource a vault's settings put at risk, and
is unknown, not silent, when the vault is not among the reviewed inputs.
"""

from __future__ import annotations

import re

from msgspec import Struct

from aiwell.graph import ResourceGraph, type_and_name_from_id
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

VAULT = "microsoft.keyvault/vaults"
MANAGED_HSM = "microsoft.keyvault/managedhsms"
_HOST = re.compile(r"^\s*https://([^./]+)\.(vault|managedhsm)\.", re.IGNORECASE)


class KeyReference(Struct, frozen=True):
    """Where one resource type says it uses a customer-managed key: the switch that turns it on (path, value), or
    None when naming the key is the switch, and the paths that name the key, most precise first."""

    switch: tuple[str, str] | None
    paths: tuple[str, ...]


KEY_REFERENCES = {
    "microsoft.cognitiveservices/accounts": KeyReference(
        ("properties.encryption.keySource", "Microsoft.KeyVault"),
        ("properties.encryption.keyVaultProperties.keyVaultUri",)),
    "microsoft.storage/storageaccounts": KeyReference(
        ("properties.encryption.keySource", "Microsoft.Keyvault"),
        ("properties.encryption.keyvaultproperties.keyvaulturi",)),
    "microsoft.documentdb/databaseaccounts": KeyReference(None, ("properties.keyVaultKeyUri",)),
    "microsoft.machinelearningservices/workspaces": KeyReference(
        ("properties.encryption.status", "Enabled"),
        ("properties.encryption.keyVaultProperties.keyVaultArmId",
         "properties.encryption.keyVaultProperties.keyIdentifier")),
    "microsoft.containerregistry/registries": KeyReference(
        ("properties.encryption.status", "enabled"),
        ("properties.encryption.keyVaultProperties.keyIdentifier",)),
}
"""The resource types KVT008 judges and how each names its customer-managed key."""


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


def _vault_of(found: Resource, graph: ResourceGraph) -> Resource | None:
    """The vault (or Managed HSM) itself, for a vault or one of its keys."""
    current: Resource | None = found
    while current is not None:
        if current.type_lower in (VAULT, MANAGED_HSM):
            return current
        current = graph.parent(current)
    return None


def _find_vault(value: object, resource: Resource, graph: ResourceGraph) -> Resource | Unresolved | str:
    """The vault a key reference names, `Unresolved` when it can't be told, or a sentence saying which vault is not
    among the inputs."""
    if isinstance(value, Unresolved):
        found = graph.referenced(value, near=resource)
        if isinstance(found, Resource):
            return _vault_of(found, graph) or Unresolved(value.expression, f"names {found.type}, not a key vault")
        return value
    if not isinstance(value, str) or not value.strip():
        return Unresolved(repr(value), "not a key vault URI or id")
    text = value.strip()
    if text.startswith("/"):
        found_by_id = graph.resolve_id(text.rstrip("/"), near=resource)
        if found_by_id is not None and (vault := _vault_of(found_by_id, graph)) is not None:
            return vault
        spelled = type_and_name_from_id(text.rstrip("/"))
        if spelled is None or not spelled[0].lower().startswith(("microsoft.keyvault/vaults",
                                                                 "microsoft.keyvault/managedhsms")):
            return Unresolved(text, "not a key vault id")
        vault_name = spelled[1].split("/")[0]
        vault_type = "/".join(spelled[0].split("/")[:2])
        by_name = graph.find(vault_type, vault_name, near=resource)
        return by_name if by_name is not None else f"key vault {vault_name} is not among the reviewed inputs"
    host = _HOST.match(text)
    if host is None:
        return Unresolved(text, "not a key vault URI (https://<vault>.vault.azure.net/...)")
    vault_type = "Microsoft.KeyVault/vaults" if host.group(2).lower() == "vault" else "Microsoft.KeyVault/managedHSMs"
    by_host = graph.find(vault_type, host.group(1), near=resource)
    kind = "key vault" if host.group(2).lower() == "vault" else "Managed HSM"
    return by_host if by_host is not None else f"{kind} {host.group(1)} is not among the reviewed inputs"


def _recovery_gaps(vault: Resource, graph: ResourceGraph) -> tuple[list[str], list[str]]:
    """What lets the vault's keys be lost (no purge protection, soft delete off), and what can't be resolved."""
    document = graph.document(vault)
    gaps: list[str] = []
    doubts: list[str] = []
    purge = lookup(document, "properties.enablePurgeProtection")
    if isinstance(purge, Unresolved):
        doubts.append(f"its properties.enablePurgeProtection is unresolved ({describe_unresolved(purge)})")
    elif not values_equal(purge, True):
        gaps.append("no purge protection (properties.enablePurgeProtection is "
                    f"{'absent' if purge is MISSING or purge is None else repr(purge)})")
    soft = lookup(document, "properties.enableSoftDelete")
    if isinstance(soft, Unresolved):
        doubts.append(f"its properties.enableSoftDelete is unresolved ({describe_unresolved(soft)})")
    elif values_equal(soft, False):
        gaps.append("soft delete off (properties.enableSoftDelete is false)")
    return gaps, doubts


@implements("KVT008")
def cmk_vault_without_purge_protection(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the vault holding the resource's customer-managed key has purge protection and soft delete on."""
    reference = KEY_REFERENCES[resource.type_lower]
    if reference.switch is not None:
        path, wanted = reference.switch
        switch = resource.get(path)
        if isinstance(switch, Unresolved):
            return Status.UNKNOWN, f"whether it uses a customer-managed key is unresolved ({path}: " \
                                   f"{describe_unresolved(switch)})"
        if not values_equal(switch, wanted):
            return Status.NOT_APPLICABLE, "does not apply: it is encrypted with a Microsoft-managed key"
    values = [(path, resource.get(path)) for path in reference.paths]
    named = [(path, value) for path, value in values if value is not MISSING and value is not None]
    if not named:
        if reference.switch is None:
            return Status.NOT_APPLICABLE, "does not apply: it is encrypted with a Microsoft-managed key"
        return Status.UNKNOWN, (f"it uses a customer-managed key but names no vault ({' or '.join(reference.paths)} "
                                "is absent)")
    path, value = named[0]
    vault = _find_vault(value, resource, graph)
    if isinstance(vault, Unresolved):
        return Status.UNKNOWN, f"the vault of its customer-managed key can't be resolved ({path}: " \
                               f"{describe_unresolved(vault)})"
    if isinstance(vault, str):
        return Status.UNKNOWN, f"its customer-managed key's {vault}, so its purge protection can't be checked"
    gaps, doubts = _recovery_gaps(vault, graph)
    kind = "Managed HSM" if vault.type_lower == MANAGED_HSM else "key vault"
    if gaps:
        return Status.FAIL, (f"its customer-managed key is in {kind} {_name(vault)}, which has {' and '.join(gaps)}: "
                             "a deleted key can be purged for good, and with it every byte it encrypts")
    if doubts:
        return Status.UNKNOWN, f"its customer-managed key is in {kind} {_name(vault)}, but {'; '.join(doubts)}"
    return Status.PASS, (f"its customer-managed key is in {kind} {_name(vault)}, which has purge protection and "
                         "soft delete on")
