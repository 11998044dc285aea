"""What the workload-pattern rules (WKL) share: the model accounts of a review, and which resources mention
another one (by id, by name in an endpoint URL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Unresolved
from aiwell.rules.base import shown_name

MODEL_ACCOUNT_KINDS = ("openai", "aiservices")


def model_accounts(graph: ResourceGraph) -> list[Resource]:
    """The Azure OpenAI and AI Services accounts of the review (other Cognitive Services kinds left out)."""
    return [r for r in graph.of_type("Microsoft.CognitiveServices/accounts")
            if isinstance(r.kind, str) and r.kind.lower() in MODEL_ACCOUNT_KINDS]


def strings(value: Any) -> Iterator[str | Unresolved]:
    """Every string (and every unresolved value) inside a JSON-shaped value."""
    if isinstance(value, (str, Unresolved)):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def names_of(resource: Resource) -> list[str]:
    """What identifies a resource inside another's settings: its id and its last name segment (as endpoint host
    names use it), lower case; an unresolved name or id gives nothing."""
    found = []
    if isinstance(resource.id, str) and resource.id.startswith("/"):
        found.append(resource.id.lower())
    if isinstance(resource.name, str) and resource.name.strip():
        found.append(resource.name.split("/")[-1].lower())
    subdomain = resource.get("properties.customSubDomainName")
    if isinstance(subdomain, str) and subdomain.strip():
        found.append(subdomain.lower())
    return found


def mentions(text: str, needles: list[str]) -> bool:
    """Whether `text` names one of `needles`: an id anywhere, a bare name as a URL host label or the whole text."""
    lowered = text.lower()
    for needle in needles:
        if needle.startswith("/"):
            if needle in lowered:
                return True
        elif lowered == needle or f"//{needle}." in lowered or f"/{needle}/" in lowered or lowered.endswith(
                f"/{needle}"):
            return True
    return False


def same_workload(one: Resource, other: Resource) -> bool:
    """Whether two resources belong to one workload as far as the review can tell: they come from the same input
    (one deployment: a template with its parameter file, a Bicep file, a Terraform root, one export). A folder of
    unrelated samples reviewed at once is many workloads, and one sample's hops say nothing about another's."""
    return one.source.input == other.source.input


def listed(names: list[str], most: int = 5) -> str:
    """Names for a message: the first few, then how many more."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def display(resource: Resource) -> str:
    """A resource's name as messages show it (`aiwell.rules.base.shown_name`)."""
    return shown_name(resource)


__all__ = ["MODEL_ACCOUNT_KINDS", "display", "listed", "mentions", "model_accounts", "names_of", "same_workload",
           "strings"]
