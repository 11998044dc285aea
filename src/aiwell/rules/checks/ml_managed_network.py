"""Machine Learning managed networks with FQDN outbound rules, which bring a billed managed firewall (MLW008)."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

OUTBOUND_RULE = "Microsoft.MachineLearningServices/workspaces/outboundRules"


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


@implements("MLW008")
def fqdn_outbound_rules(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Fail when an outbound rule of the approved-outbound managed network has `type` `FQDN` (rules written inline
    or as `outboundRules` children, which azurerm declares as separate resources)."""
    rules = lookup(graph.document(resource), "properties.managedNetwork.outboundRules")
    if isinstance(rules, Unresolved):
        return Status.UNKNOWN, f"its outbound rules can't be resolved ({describe_unresolved(rules)})"
    orphans = [rule for rule in graph.of_type(OUTBOUND_RULE) if graph.parent(rule) is None]
    if rules in (MISSING, None):
        if orphans:
            return Status.UNKNOWN, (f"outbound rule {_name(orphans[0])} names a workspace that can't be resolved; it "
                                   "may be this one's")
        return Status.PASS, "its managed network has no outbound rules of its own"
    entries = rules.items() if isinstance(rules, dict) else ((None, rule) for rule in rules) \
        if isinstance(rules, list) else ()
    fqdn: list[str] = []
    doubts: list[str] = []
    for key, rule in entries:
        name = key if isinstance(key, str) else str(lookup(rule, "name") if isinstance(rule, dict) else "?")
        kind = lookup(rule, "type") if isinstance(rule, dict) else rule
        if isinstance(kind, Unresolved):
            doubts.append(f"the type of outbound rule {name} can't be resolved ({describe_unresolved(kind)})")
        elif values_equal(kind, "FQDN"):
            fqdn.append(name)
    if fqdn:
        return Status.FAIL, f"FQDN outbound rule {', '.join(fqdn)} brings a managed Azure Firewall, billed by the hour"
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    return Status.PASS, "its outbound rules use private endpoints or service tags, no FQDN"
