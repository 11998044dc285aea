"""Machine Learning managed networks with FQDN outbound rules, which bring a billed managed firewall (MLW008)."""

from __future__ import annotations

import re

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

AZURERM_ADDRESS = re.compile(r"(?:^|\.)azurerm_\w+\.[^.]+$")
"""A Terraform address of an azurerm resource (`azurerm_machine_learning_workspace.ml`, in a module or not); an
azapi resource carries the ARM body, outbound rules included."""
NOT_MAPPED = ("azurerm declares outbound rules as separate azurerm_machine_learning_workspace_network_outbound_rule_* "
              "resources, which are not read")


@implements("MLW008")
def fqdn_outbound_rules(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Fail when an outbound rule of the approved-outbound managed network has `type` `FQDN`."""
    rules = lookup(resource.properties, "managedNetwork.outboundRules") if resource.properties is not MISSING \
        else MISSING
    if isinstance(rules, Unresolved):
        return Status.UNKNOWN, f"its outbound rules can't be resolved ({describe_unresolved(rules)})"
    if rules in (MISSING, None):
        if resource.source.format in (SourceFormat.TERRAFORM, SourceFormat.TERRAFORM_PLAN) and \
                AZURERM_ADDRESS.search(resource.source.address):
            return Status.UNKNOWN, NOT_MAPPED
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
