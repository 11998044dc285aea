"""WKL005: an agent capability host whose Cosmos DB, Storage or AI Search dependency is shared with other parts."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.checks._workload import display, mentions, names_of, strings

_CONNECTION_KEYS = ("threadStorageConnections", "vectorStoreConnections", "storageConnections")
_NOT_A_USE = ("microsoft.network/privateendpoints", "microsoft.insights/diagnosticsettings",
              "microsoft.authorization/roleassignments", "microsoft.authorization/locks",
              "microsoft.network/privatednszones", "microsoft.resources/deployments")
"""Resources that mention a dependency without using it as an application would (a nested deployment or module
passes its name on to the resources it deploys, which are judged themselves)."""


def _connections(host: Resource, graph: ResourceGraph) -> list[Resource]:
    owner = graph.parent(host)
    scopes = [owner, graph.parent(owner) if owner is not None else None]
    found: list[Resource] = []
    for scope in scopes:
        if scope is not None:
            found += [c for c in graph.children(scope) if c.type_lower.endswith("/connections")]
    return found


def _dependency(connection: Resource, graph: ResourceGraph) -> Resource | Unresolved | None:
    for path in ("properties.metadata.ResourceId", "properties.target"):
        value = connection.get(path)
        if isinstance(value, Unresolved):
            return value
        if isinstance(value, str) and value.startswith("/"):
            found = graph.resolve_id(value, near=connection)
            if found is not None:
                return found
        if isinstance(value, str):
            for kind in ("Microsoft.DocumentDB/databaseAccounts", "Microsoft.Storage/storageAccounts",
                         "Microsoft.Search/searchServices"):
                match = next((r for r in graph.of_type(kind) if mentions(value, names_of(r)[-1:])), None)
                if match is not None:
                    return match
    return None


def _users(dependency: Resource, agent_parts: set[int], graph: ResourceGraph) -> list[Resource]:
    needles = names_of(dependency)
    users = []
    for other in graph.resources:
        if id(other) in agent_parts or other is dependency or other.type_lower in _NOT_A_USE:
            continue
        if graph.parent(other) is dependency:
            continue
        if any(isinstance(text, str) and mentions(text, needles) for text in strings(other.properties)):
            users.append(other)
    return users


@implements("WKL005")
def agent_dependencies_shared(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when every dependency the capability host's connections name is used by the agent service alone."""
    names: list[str] = []
    for key in _CONNECTION_KEYS:
        value = resource.get(f"properties.{key}")
        if isinstance(value, Unresolved):
            return Status.UNKNOWN, f"properties.{key} is unresolved ({value.expression})"
        for name in value if isinstance(value, list) else []:
            if isinstance(name, Unresolved):
                return Status.UNKNOWN, f"a connection name in properties.{key} is unresolved ({name.expression})"
            names.append(str(name))
    if not names:
        return Status.NOT_APPLICABLE, ("does not apply: no connections of its own (the basic setup keeps agent "
                                       "state in Microsoft-managed storage)")
    connections = {display(c).split("/")[-1].lower(): c for c in _connections(resource, graph)}
    owner = graph.parent(resource)
    agent_parts = {id(resource), *(id(c) for c in connections.values())}
    if owner is not None:
        agent_parts |= {id(owner), *(id(c) for c in graph.children(owner))}
        account = graph.parent(owner)
        if account is not None:
            agent_parts |= {id(account), *(id(c) for c in graph.children(account))}
    shared: list[str] = []
    for name in dict.fromkeys(names):
        connection = connections.get(name.lower())
        if connection is None:
            return Status.UNKNOWN, f"connection {name} is not in the reviewed resources"
        dependency = _dependency(connection, graph)
        if isinstance(dependency, Unresolved):
            return Status.UNKNOWN, f"the target of connection {name} is unresolved ({dependency.expression})"
        if dependency is None:
            return Status.UNKNOWN, f"the resource connection {name} targets is not in the reviewed resources"
        users = _users(dependency, agent_parts, graph)
        if users:
            shared.append(f"{display(dependency)} is also used by {', '.join(display(u) for u in users)}")
    if shared:
        return Status.FAIL, "agent dependencies are shared: " + "; ".join(shared)
    return Status.PASS, f"its {len(set(names))} connection(s) lead to dependencies used by the agent service alone"
