"""WKL004: an AI Search service written while it serves queries, with fewer than three replicas."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, SourceFormat, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.checks._workload import display, mentions, names_of

_AGENT_HOSTS = ("Microsoft.CognitiveServices/accounts/capabilityHosts",
                "Microsoft.CognitiveServices/accounts/projects/capabilityHosts")
_CONNECTIONS = ("Microsoft.CognitiveServices/accounts/connections",
                "Microsoft.CognitiveServices/accounts/projects/connections")


def write_evidence(resource: Resource, graph: ResourceGraph) -> list[str]:
    """What shows the index is written while it serves: indexer data-source links, agents that use it."""
    found = [f"shared private link {display(link)} (an indexer's data source)"
             for link in graph.children(resource, "Microsoft.Search/searchServices/sharedPrivateLinkResources")]
    if any(graph.of_type(t) for t in _AGENT_HOSTS):
        needles = names_of(resource)
        for connection in (c for t in _CONNECTIONS for c in graph.of_type(t)):
            target = connection.get("properties.target")
            resource_id = connection.get("properties.metadata.ResourceId")
            if any(isinstance(v, str) and mentions(v, needles) for v in (target, resource_id)):
                found.append(f"agent connection {display(connection)} (agents write vector stores)")
    return found


@implements("WKL004")
def search_indexed_while_serving_under_three_replicas(resource: Resource, graph: ResourceGraph
                                                      ) -> tuple[Status, str]:
    """Pass with three or more replicas; not applicable without evidence of writes while serving."""
    evidence = write_evidence(resource, graph)
    if not evidence and resource.source.format == SourceFormat.INVENTORY:
        # Resource Graph exports hold neither shared private links nor agent connections: absence proves nothing.
        replicas = resource.get("properties.replicaCount")
        if isinstance(replicas, int) and replicas >= 3:
            return Status.PASS, f"{replicas} replicas: enough whether or not it is indexed while it serves"
        return Status.UNKNOWN, ("an inventory export does not show indexer data-source links or agent "
                                "connections, so whether the index is written while it serves can't be seen")
    if not evidence:
        return Status.NOT_APPLICABLE, ("does not apply: nothing shows the index is written while it serves (no "
                                       "indexer data-source link, no agent using it)")
    replicas = resource.get("properties.replicaCount")
    if isinstance(replicas, Unresolved):
        return Status.UNKNOWN, f"properties.replicaCount is unresolved ({replicas.expression})"
    count = replicas if isinstance(replicas, int) else 1
    if count >= 3:
        return Status.PASS, f"{count} replicas while indexed ({evidence[0]})"
    return Status.FAIL, (f"indexed while serving ({'; '.join(evidence)}) with {count} replica(s): the read-write "
                         "SLA needs 3")
