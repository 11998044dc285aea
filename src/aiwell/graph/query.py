"""The resource graph: the edges rules ask about, built once over all resources of a review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from aiwell.graph.build import (
    TargetByName,
    diagnostic_target,
    is_diagnostic_setting,
    is_private_endpoint,
    normalise_id,
    parent_id,
    parent_type_and_name,
    private_link_targets,
    type_and_name_from_id,
    workspace_id,
)
from aiwell.model import Resource, Unresolved
from aiwell.model.context import ReviewContext
from aiwell.model.sizing import SizingPlan

_TypeName = tuple[str, str]


def _key(resource_type: str, name: str) -> _TypeName:
    return resource_type.strip().lower(), name.strip().strip("/").lower()


class ResourceGraph:
    """A read-only view of every resource in a review and the edges between them.

    Edges: parent/child (by id, or by type and name prefix), private endpoint → target, diagnostic setting →
    target → Log Analytics workspace, and `dependsOn`/id references. Ids and types match case-insensitively.
    `Unresolved` values never raise: an edge whose end can't be resolved is reported as such, so a rule can
    tell "no edge" from "an edge I can't resolve".

    An id that can't be resolved still joins when it names its instance: loaders give such a resource an
    unresolved id whose expression names that one instance (Terraform's `module.east.azurerm_x.this.id`, a Bicep
    module loop's instance), and a reference to the resource carries the same expression. A reference whose
    expression is the unresolved id of exactly one resource of the review points at that resource (a module called
    twice: each endpoint links to the account of its own instance); one that several resources share is not
    linked (it stays unresolved), so an edge is never guessed.
    """

    def __init__(self, resources: Sequence[Resource], *, context: ReviewContext | None = None,
                 sizing: SizingPlan | None = None) -> None:
        self._resources = tuple(resources)
        self.sizing = sizing
        """The sizing plan the review was given (`--sizing PLAN`), which the SIZ rules compare with."""
        self.context = context or ReviewContext()
        """What the review was told about the workload (environment, purpose); rules read it through
        `aiwell.rules.context`, which puts each resource's own tags first."""
        self._by_id: dict[str, Resource] = {}
        self._by_type_name: dict[_TypeName, list[Resource]] = defaultdict(list)
        self._by_name: dict[str, list[Resource]] = defaultdict(list)
        self._by_unresolved_id: dict[str, list[Resource]] = defaultdict(list)
        for resource in self._resources:
            if isinstance(resource.id, str) and resource.id.strip():
                self._by_id.setdefault(normalise_id(resource.id), resource)
            elif isinstance(resource.id, Unresolved):
                self._by_unresolved_id[resource.id.expression].append(resource)
            if isinstance(resource.name, str):
                self._by_type_name[_key(resource.type, resource.name)].append(resource)
                self._by_name[resource.name.strip().lower()].append(resource)

        self._parent: dict[int, Resource] = {}
        self._children: dict[int, list[Resource]] = defaultdict(list)
        for resource in self._resources:
            parent = self._find_parent(resource)
            if parent is not None and parent is not resource:
                self._parent[id(resource)] = parent
                self._children[id(parent)].append(resource)

        self._endpoints_to: dict[int, list[Resource]] = defaultdict(list)
        self._unresolved_endpoints: list[Resource] = []
        self._diagnostics_for: dict[int, list[Resource]] = defaultdict(list)
        self._unresolved_diagnostics: list[Resource] = []
        self._unmatched_diagnostics: list[Resource] = []
        for resource in self._resources:
            if is_private_endpoint(resource):
                self._link_private_endpoint(resource)
            elif is_diagnostic_setting(resource):
                self._link_diagnostic_setting(resource)

    # -- building -------------------------------------------------------------------------------------------

    def _find_parent(self, resource: Resource) -> Resource | None:
        if isinstance(resource.id, str):
            wanted = parent_id(resource.id)
            if wanted is not None:
                found = self.resolve_id(wanted, near=resource)
                if found is not None:
                    return found
        if isinstance(resource.name, str):
            parent = parent_type_and_name(resource.type, resource.name)
            if parent is not None:
                return self.find(*parent, near=resource)
        return None

    def _link_private_endpoint(self, endpoint: Resource) -> None:
        unresolved = False
        for target in private_link_targets(endpoint):
            if isinstance(target, Unresolved):
                found = self.by_unresolved_id(target, referrer=endpoint)
                if found is None:
                    unresolved = True
                    continue
            else:
                found = self.resolve_id(target, near=endpoint)
            if found is None:
                continue
            linked = self._endpoints_to[id(found)]
            if all(existing is not endpoint for existing in linked):
                linked.append(endpoint)
        if unresolved:
            self._unresolved_endpoints.append(endpoint)

    def _link_diagnostic_setting(self, setting: Resource) -> None:
        target = diagnostic_target(setting)
        if isinstance(target, Unresolved):
            joined = self.by_unresolved_id(target, referrer=setting)
            if joined is None:
                self._unresolved_diagnostics.append(setting)
            else:
                self._diagnostics_for[id(joined)].append(setting)
            return
        if isinstance(target, TargetByName):
            found = self.find(target.type, target.name, near=setting)
        elif isinstance(target, str):
            found = self.resolve_id(target, near=setting)
        else:
            found = None
        if found is not None:
            self._diagnostics_for[id(found)].append(setting)
        elif target is not None:
            self._unmatched_diagnostics.append(setting)

    # -- lookups ---------------------------------------------------------------------------------------------

    @property
    def resources(self) -> tuple[Resource, ...]:
        """Every resource of the review, in input order."""
        return self._resources

    def by_id(self, resource_id: str) -> Resource | None:
        """The resource with this ARM id (case-insensitive), or None."""
        return self._by_id.get(normalise_id(resource_id))

    def by_unresolved_id(self, reference: Unresolved, *, referrer: Resource | None = None) -> Resource | None:
        """The one resource whose id is unresolved with this reference's expression (see the class docstring), or
        None when no resource or several have it.

        Resources of the `referrer`'s own type are not candidates: a private endpoint targets no private endpoint,
        a diagnostic setting no diagnostic setting, and an extension resource may carry its scope's unresolved id
        as its own."""
        candidates = [candidate for candidate in self._by_unresolved_id.get(reference.expression, [])
                      if referrer is None or candidate.type_lower != referrer.type_lower]
        return candidates[0] if len(candidates) == 1 else None

    def find(self, resource_type: str, name: str, *, near: Resource | None = None) -> Resource | None:
        """The resource with this full type and full name; with several, the one from `near`'s file first."""
        candidates = self._by_type_name.get(_key(resource_type, name), [])
        return self._prefer_near(candidates, near)

    def resolve_id(self, resource_id: str, *, near: Resource | None = None) -> Resource | None:
        """The resource an id refers to: by exact id, else by the type and name the id spells out.

        The fallback lets a reference match a resource whose id was built with other placeholders for the
        subscription or resource group (a template's `resourceId()` against an account declared elsewhere).
        """
        exact = self.by_id(resource_id)
        if exact is not None:
            return exact
        spelled = type_and_name_from_id(resource_id)
        if spelled is None:
            return None
        return self.find(*spelled, near=near)

    def resolve_reference(self, reference: str | Unresolved, *, near: Resource | None = None,
                          ) -> Resource | Unresolved | None:
        """What a reference (an id or a full name, as in `dependsOn`) points at: a resource, `Unresolved`,
        or None."""
        if isinstance(reference, Unresolved):
            joined = self.by_unresolved_id(reference)
            return joined if joined is not None and joined is not near else reference
        found = self.resolve_id(reference, near=near)
        if found is not None:
            return found
        return self._prefer_near(self._by_name.get(reference.strip().lower(), []), near)

    def depends_on(self, resource: Resource) -> list[Resource | Unresolved]:
        """The resources named in `dependsOn` in the graph, and the entries that can't be resolved."""
        found: list[Resource | Unresolved] = []
        for reference in resource.depends_on:
            target = self.resolve_reference(reference, near=resource)
            if target is not None:
                found.append(target)
        return found

    def of_type(self, resource_type: str) -> list[Resource]:
        """Every resource of this type (case-insensitive), in input order."""
        lowered = resource_type.lower()
        return [resource for resource in self._resources if resource.type_lower == lowered]

    # -- parent / child --------------------------------------------------------------------------------------

    def parent(self, r: Resource) -> Resource | None:
        """The resource `r` belongs to: its parent, or the resource an extension resource extends."""
        return self._parent.get(id(r))

    def children(self, r: Resource, type_: str | None = None) -> list[Resource]:
        """The resources that belong to `r`, optionally only those of one full type (case-insensitive)."""
        found = self._children.get(id(r), [])
        if type_ is None:
            return list(found)
        lowered = type_.lower()
        return [child for child in found if child.type_lower == lowered]

    def sibling(self, r: Resource, name: str) -> Resource | None:
        """The resource of `r`'s type under the same parent whose last name segment is `name`.

        Works when the parent itself is not among the inputs (deployments added to an existing account).
        """
        if isinstance(r.id, str):
            wanted_parent = parent_id(r.id)
            spelled = type_and_name_from_id(r.id)
            if wanted_parent is not None and spelled is not None:
                last_type = spelled[0].split("/")[-1]
                found = self.by_id(f"{wanted_parent}/{last_type}/{name}")
                if found is not None:
                    return found
        if isinstance(r.name, str):
            parent = parent_type_and_name(r.type, r.name)
            if parent is not None:
                return self.find(r.type, f"{parent[1]}/{name}", near=r)
        return None

    # -- private endpoints -----------------------------------------------------------------------------------

    def private_endpoints_to(self, r: Resource) -> list[Resource]:
        """The private endpoints whose `privateLinkServiceId` (automatic or manual connection) is `r`."""
        return list(self._endpoints_to.get(id(r), []))

    def unresolved_private_endpoints(self) -> list[Resource]:
        """The private endpoints with a connection target that can't be resolved (may target anything)."""
        return list(self._unresolved_endpoints)

    def private_endpoints_to_unknown_targets(self, resource_type: str) -> list[Resource]:
        """Private endpoints whose resolved target is of this type but is not among the inputs.

        Such an endpoint may be the one for a resource whose own id can't be resolved.
        """
        lowered = resource_type.lower()
        found: list[Resource] = []
        for endpoint in self._resources:
            if not is_private_endpoint(endpoint):
                continue
            for target in private_link_targets(endpoint):
                if isinstance(target, Unresolved) or self.resolve_id(target, near=endpoint) is not None:
                    continue
                spelled = type_and_name_from_id(target)
                if spelled is not None and spelled[0].lower() == lowered:
                    found.append(endpoint)
                    break
        return found

    # -- diagnostic settings ---------------------------------------------------------------------------------

    def diagnostic_settings_for(self, r: Resource) -> list[Resource]:
        """The diagnostic settings that apply to `r` (scope form and nested-name form)."""
        return list(self._diagnostics_for.get(id(r), []))

    def unresolved_diagnostic_settings(self) -> list[Resource]:
        """The diagnostic settings whose target can't be resolved (they may apply to anything)."""
        return list(self._unresolved_diagnostics)

    def unmatched_diagnostic_settings(self) -> list[Resource]:
        """The diagnostic settings whose target is named but is not among the inputs.

        Such a setting may be the one for a resource whose own name or id can't be resolved.
        """
        return list(self._unmatched_diagnostics)

    def log_analytics_of(self, diag: Resource) -> Resource | Unresolved | str | None:
        """Where a diagnostic setting sends data (`properties.workspaceId`).

        The workspace resource when it is among the inputs; the id itself when it is not; `Unresolved` when
        the
        id can't be resolved; None when the setting names no workspace.
        """
        target = workspace_id(diag)
        if isinstance(target, Unresolved):
            return self.by_unresolved_id(target, referrer=diag) or target
        if target is None:
            return target
        found = self.resolve_id(target, near=diag)
        return found if found is not None else target

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _prefer_near(candidates: Iterable[Resource], near: Resource | None) -> Resource | None:
        first: Resource | None = None
        for candidate in candidates:
            if first is None:
                first = candidate
            if near is not None and candidate.source.file == near.source.file:
                return candidate
        return first


__all__ = ["ResourceGraph"]
