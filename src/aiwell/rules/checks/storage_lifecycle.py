"""Storage accounts without a lifecycle management policy (STG007): a `managementPolicies` child with an enabled
rule."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.checks._switches import display_name, switched_on, unseen_relatives
from aiwell.rules.declarative import describe_unresolved

MANAGEMENT_POLICY = "Microsoft.Storage/storageAccounts/managementPolicies"


@implements("STG007")
def without_lifecycle_policy(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the account has a management policy with at least one enabled rule (`enabled` absent is on)."""
    doubts: list[str] = []
    disabled: list[str] = []
    for policy in graph.children(resource, MANAGEMENT_POLICY):
        rules = lookup(policy.properties, "policy.rules") if policy.properties is not MISSING else MISSING
        if isinstance(rules, Unresolved):
            doubts.append(f"the rules of policy {display_name(policy)} can't be resolved "
                          f"({describe_unresolved(rules)})")
            continue
        for rule in rules if isinstance(rules, list) else []:
            name = lookup(rule, "name") if isinstance(rule, dict) else MISSING
            shown = name if isinstance(name, str) else "?"
            on = switched_on(lookup(rule, "enabled") if isinstance(rule, dict) else rule)
            if isinstance(on, Unresolved):
                doubts.append(f"whether rule {shown} of policy {display_name(policy)} is enabled can't be resolved "
                              f"({describe_unresolved(on)})")
            elif on:
                return Status.PASS, f"lifecycle rule {shown} manages its data"
            else:
                disabled.append(shown)
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, "Resource Graph's Resources table carries no lifecycle management policies"
    doubts += unseen_relatives(resource)
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    if disabled:
        return Status.FAIL, f"its lifecycle rules are all disabled ({', '.join(disabled)})"
    return Status.FAIL, "no lifecycle management policy tiers or expires its blobs"
