"""Storage accounts without a lifecycle management policy (STG007): a `managementPolicies` child with an enabled
rule."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

MANAGEMENT_POLICY = "Microsoft.Storage/storageAccounts/managementPolicies"


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


@implements("STG007")
def without_lifecycle_policy(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the account has a management policy with at least one enabled rule (`enabled` absent is on)."""
    doubts: list[str] = []
    disabled: list[str] = []
    for policy in graph.children(resource, MANAGEMENT_POLICY):
        rules = lookup(policy.properties, "policy.rules") if policy.properties is not MISSING else MISSING
        if isinstance(rules, Unresolved):
            doubts.append(f"the rules of policy {_name(policy)} can't be resolved ({describe_unresolved(rules)})")
            continue
        for rule in rules if isinstance(rules, list) else []:
            enabled = lookup(rule, "enabled") if isinstance(rule, dict) else rule
            if isinstance(enabled, Unresolved):
                doubts.append(f"whether a rule of policy {_name(policy)} is enabled can't be resolved "
                              f"({describe_unresolved(enabled)})")
            elif enabled in (MISSING, None) or values_equal(enabled, True):
                name = lookup(rule, "name")
                return Status.PASS, f"lifecycle rule {name if isinstance(name, str) else '?'} manages its data"
            else:
                disabled.append(str(lookup(rule, "name")))
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, "Resource Graph's Resources table carries no lifecycle management policies"
    if isinstance(resource.name, Unresolved):
        doubts.append(f"its name can't be resolved ({describe_unresolved(resource.name)}), so its policy can't be "
                      "found")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    if disabled:
        return Status.FAIL, f"its lifecycle rules are all disabled ({', '.join(disabled)})"
    return Status.FAIL, "no lifecycle management policy tiers or expires its blobs"
