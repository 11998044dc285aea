"""Content filter (RAI) policies of Azure OpenAI and AI Services accounts (`accounts/raiPolicies`): prompt shields
(AID008, AID009), harm categories blocked both ways (AID010) at a strict enough threshold (AID011), protected
material (AID012); and deployments that name a custom policy the account does not define (AID007).

A custom policy starts from its `basePolicyName` and its `contentFilters` entries override the base entry of the same
name and source. The bases are modelled as documented for text models: `Microsoft.DefaultV2` blocks hate, sexual,
self-harm and violence at medium in both directions, blocks jailbreak attempts in prompts and protected text in
completions, and annotates protected code; `Microsoft.Default` has the four harm filters only. A policy without a
known base is judged by its own entries.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, show, values_equal

HARMS = ("Hate", "Sexual", "Selfharm", "Violence")
SOURCES = ("Prompt", "Completion")
STRICT_ENOUGH = ("Low", "Medium")
"""Thresholds that block medium-severity content (`High` lets it through)."""


class Filter(Struct, frozen=True):
    """One content filter as it applies: on, blocking, and its threshold (where it has one)."""

    enabled: Any
    blocking: Any
    threshold: Any = MISSING
    inherited_from: str = ""


def _harms(threshold: str) -> dict[tuple[str, str], Filter]:
    return {(harm.lower(), source.lower()): Filter(True, True, threshold, "")
            for harm in HARMS for source in SOURCES}


BASE_POLICIES: dict[str, dict[tuple[str, str], Filter]] = {
    "microsoft.defaultv2": {
        **_harms("Medium"),
        ("jailbreak", "prompt"): Filter(True, True),
        ("protected material text", "completion"): Filter(True, True),
        ("protected material code", "completion"): Filter(True, False),
    },
    "microsoft.default": _harms("Medium"),
}
"""The filters of the built-in base policies, by (lower-case name, lower-case source)."""


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


def effective_filters(policy: Resource) -> tuple[dict[tuple[str, str], Filter], str]:
    """The filters a policy applies, and a doubt (non-empty) when its entries or base can't be read."""
    properties = policy.properties
    if isinstance(properties, Unresolved):
        return {}, f"its properties are unresolved ({describe_unresolved(properties)})"
    base = lookup(properties, "basePolicyName") if properties is not MISSING else MISSING
    if isinstance(base, Unresolved):
        return {}, f"basePolicyName is unresolved ({describe_unresolved(base)})"
    inherited = BASE_POLICIES.get(base.lower(), {}) if isinstance(base, str) else {}
    filters = {key: Filter(f.enabled, f.blocking, f.threshold, str(base)) for key, f in inherited.items()}
    entries = lookup(properties, "contentFilters") if properties is not MISSING else MISSING
    if isinstance(entries, Unresolved):
        return filters, f"properties.contentFilters is unresolved ({describe_unresolved(entries)})"
    for entry in entries if isinstance(entries, list) else []:
        name, source = lookup(entry, "name"), lookup(entry, "source")
        if isinstance(entry, Unresolved) or isinstance(name, Unresolved) or isinstance(source, Unresolved):
            return filters, "a content filter entry is unresolved"
        if isinstance(name, str) and isinstance(source, str):
            filters[(name.lower(), source.lower())] = Filter(
                lookup(entry, "enabled"), lookup(entry, "blocking"), lookup(entry, "severityThreshold"))
    return filters, ""


def _judge(policy: Resource, wanted: list[tuple[str, str]], *, blocking: bool = True,
           threshold: bool = False) -> tuple[Status, str]:
    filters, doubt = effective_filters(policy)
    base = lookup(policy.properties, "basePolicyName") if isinstance(policy.properties, dict) else MISSING
    known_base = isinstance(base, str) and base.lower() in BASE_POLICIES
    problems: list[str] = []
    unknown: list[str] = []
    for name, source in wanted:
        found = filters.get((name.lower(), source.lower()))
        label = f"{name} ({source.lower()})"
        if found is None:
            if doubt:
                unknown.append(f"{label} may be among the entries that can't be read")
            else:
                problems.append(f"{label} is not listed" + ("" if known_base else " (no known base policy)"))
            continue
        checks = [("enabled", found.enabled)] + ([("blocking", found.blocking)] if blocking else [])
        for what, value in checks:
            if isinstance(value, Unresolved):
                unknown.append(f"{label} {what} is unresolved")
            elif not values_equal(value, True):
                problems.append(f"{label} is not {what}")
        if threshold:
            if isinstance(found.threshold, Unresolved):
                unknown.append(f"{label} severityThreshold is unresolved")
            elif not any(values_equal(found.threshold, level) for level in STRICT_ENOUGH):
                problems.append(f"{label} severityThreshold is {show(found.threshold)}")
    if problems:
        return Status.FAIL, "; ".join(problems)
    if unknown or doubt:
        return Status.UNKNOWN, "; ".join([*unknown, doubt] if doubt else unknown)
    sources = sorted({found.inherited_from for key in wanted
                      if (found := filters.get((key[0].lower(), key[1].lower()))) and found.inherited_from})
    inherited = f" (from {', '.join(sources)})" if sources else ""
    return Status.PASS, f"{', '.join(f'{n} ({s.lower()})' for n, s in wanted)} on{inherited}"


@implements("AID008")
def without_jailbreak_shield(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the policy blocks jailbreak attempts in prompts."""
    return _judge(resource, [("Jailbreak", "Prompt")])


@implements("AID009")
def without_indirect_attack_shield(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the policy blocks indirect attacks (instructions hidden in grounding documents and tool output)."""
    return _judge(resource, [("Indirect Attack", "Prompt")])


@implements("AID010")
def harm_not_blocked(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when hate, sexual, self-harm and violence are filtered and blocked in prompts and completions."""
    return _judge(resource, [(harm, source) for harm in HARMS for source in SOURCES])


@implements("AID011")
def lenient_threshold(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when every harm filter blocks from medium severity (threshold Low or Medium), both ways."""
    return _judge(resource, [(harm, source) for harm in HARMS for source in SOURCES], blocking=False,
                  threshold=True)


@implements("AID012")
def without_protected_material(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when protected text and code are detected in completions (text also blocked)."""
    text = _judge(resource, [("Protected Material Text", "Completion")])
    code = _judge(resource, [("Protected Material Code", "Completion")], blocking=False)
    for wanted in (Status.FAIL, Status.UNKNOWN):
        chosen = [message for status, message in (text, code) if status is wanted]
        if chosen:
            return wanted, "; ".join(chosen)
    return Status.PASS, f"{text[1]}; {code[1]}"


BUILT_IN_PREFIX = "microsoft."
POLICY_TYPE = "Microsoft.CognitiveServices/accounts/raiPolicies"


@implements("AID007")
def deployment_names_undefined_policy(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the custom policy a deployment names is a policy of its account."""
    wanted = lookup(resource.properties, "raiPolicyName") if resource.properties is not MISSING else MISSING
    if isinstance(wanted, Unresolved):
        return Status.UNKNOWN, f"properties.raiPolicyName is unresolved ({describe_unresolved(wanted)})"
    if not isinstance(wanted, str) or not wanted.strip() or wanted.lower().startswith(BUILT_IN_PREFIX):
        return Status.NOT_APPLICABLE, "does not apply: it names no custom content filter policy"
    account = graph.parent(resource)
    if account is None:
        return Status.UNKNOWN, f"its account is not among the inputs, so policy {show(wanted)} can't be looked up"
    found = [policy for policy in graph.children(account, POLICY_TYPE)
             if isinstance(policy.name, str) and policy.name.rsplit("/", 1)[-1].lower() == wanted.lower()]
    if found:
        return Status.PASS, f"policy {show(wanted)} is defined on {_name(account)}"
    unnamed = [policy for policy in graph.children(account, POLICY_TYPE) if isinstance(policy.name, Unresolved)]
    if unnamed:
        return Status.UNKNOWN, f"a policy of {_name(account)} has a name that can't be resolved"
    if account.source.partial:
        return Status.UNKNOWN, f"part of {_name(account)}'s input was not reviewed ({account.source.partial})"
    return Status.FAIL, (f"{_name(account)} defines no content filter policy {show(wanted)}: the deployment "
                         "fails or runs with a policy nobody reviewed")
