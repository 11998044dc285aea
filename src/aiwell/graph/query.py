"""The resource graph: the edges rules ask about, built once over all resources of a review."""

from __future__ import annotations

import marshal
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from msgspec import Struct

from aiwell.graph.build import (
    DIAGNOSTIC_SETTING_TYPE,
    EXTENSION_TYPES,
    PRIVATE_ENDPOINT_TYPE,
    TargetByName,
    containing_scopes,
    diagnostic_target,
    extension_kind,
    extension_target,
    group_scope,
    is_diagnostic_setting,
    is_private_endpoint,
    normalise_id,
    parent_id,
    parent_type_and_name,
    private_link_targets,
    type_and_name_from_id,
    values_at,
    workspace_id,
)
from aiwell.model import MISSING, Resource, Unresolved, lookup
from aiwell.model.context import ReviewContext
from aiwell.model.sizing import SizingPlan

_TypeName = tuple[str, str]
SHAPE_LEAVES_OUT = frozenset({"id", "name"})
"""The fields of a document that name one resource, left out of its shape (`ResourceGraph.document_shape`): a
rule that reads one of them can't decide by shape."""
_NO_SHAPE = object()
"""Not yet in `ResourceGraph._shapes`."""
_EDGE_TYPES = frozenset({PRIVATE_ENDPOINT_TYPE, DIAGNOSTIC_SETTING_TYPE, *EXTENSION_TYPES})
"""The types (lower case) of the resources `ResourceGraph` links to others, but for the nested forms."""
_Derived = TypeVar("_Derived")


def _key(resource_type: str, name: str) -> _TypeName:
    return resource_type.strip().lower(), name.strip().strip("/").lower()


class MergedChild(Struct, frozen=True):
    """A child resource whose properties are part of its parent's configuration, as ARM lets either be written.

    `kind`: `object` merges the child's `properties` into the parent's `at` (the child's values win); `settings`
    turns a name → value mapping into `{name, value}` entries appended to the list at `at`; `member` appends
    `{name, **properties}` to the list at `at`; `entry` sets the child's `properties` under its name in the mapping
    at `at` (an ML workspace's `outboundRules`, keyed by rule name).
    """

    parent_type: str
    child_type: str
    child_name: str | None
    """The last segment of the child's name (`web`), or None for any name."""
    at: str
    kind: str


MERGED_CHILDREN = (
    MergedChild("microsoft.web/sites", "microsoft.web/sites/config", "web", "properties.siteConfig", "object"),
    MergedChild("microsoft.web/sites", "microsoft.web/sites/config", "appsettings",
                "properties.siteConfig.appSettings", "settings"),
    MergedChild("microsoft.containerservice/managedclusters", "microsoft.containerservice/managedclusters/agentpools",
                None, "properties.agentPoolProfiles", "member"),
    MergedChild("microsoft.machinelearningservices/workspaces",
                "microsoft.machinelearningservices/workspaces/outboundrules", None,
                "properties.managedNetwork.outboundRules", "entry"),
)
"""Children whose configuration a rule reads as the parent's (`ResourceGraph.document`)."""

_MERGED_BY_PARENT: dict[str, tuple[MergedChild, ...]] = {
    parent_type: tuple(merged for merged in MERGED_CHILDREN if merged.parent_type == parent_type)
    for parent_type in dict.fromkeys(merged.parent_type for merged in MERGED_CHILDREN)}
"""`MERGED_CHILDREN` by parent type, in their order: a resource of another type has none to look for."""

_ARM_RESOURCE_ID = re.compile(r"resourceId\(\s*'([^']+)'((?:\s*,\s*'[^']*')+)\s*\)", re.IGNORECASE)
_REFERENCE_HEAD = re.compile(r"^[A-Za-z_][\w-]*(?:\[[^\]]*\])?(?:\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?)*")


class SubnetView(Struct, frozen=True):
    """A subnet as a rule reads it: its ARM document and the resource that declares it (the subnet itself, or the
    virtual network whose `properties.subnets` holds it inline)."""

    document: dict[str, Any]
    owner: Resource


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
    linked (it stays unresolved), so an edge is never guessed. Such joins stay within one input (one deployment).
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
        self._same_id: dict[str, list[Resource]] = {}
        self._by_type_name: dict[_TypeName, list[Resource]] = defaultdict(list)
        self._by_name: dict[str, list[Resource]] = defaultdict(list)
        self._by_unresolved_id: dict[str, list[Resource]] = defaultdict(list)
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        by_type = self._by_type
        for resource in self._resources:
            by_type[resource.type.lower()].append(resource)
            if isinstance(resource.id, str) and resource.id.strip():
                key = normalise_id(resource.id)
                first = self._by_id.setdefault(key, resource)
                if first is not resource:  # the same id in several deployments (a template, two parameter files)
                    self._same_id.setdefault(key, [first]).append(resource)
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
        self._extensions_on: dict[int, list[Resource]] = defaultdict(list)
        self._extensions_on_scope: dict[str, list[Resource]] = defaultdict(list)
        self._unresolved_extensions: list[Resource] = []
        # Only these types, and nested forms (`<parentType>/providers/...`), can be endpoints, settings or
        # extensions: resources of the other types are not asked one by one.
        linking = {resource_type for resource_type in by_type
                   if resource_type in _EDGE_TYPES or "/providers/" in resource_type}
        for resource in self._resources if linking else ():
            if resource.type.lower() not in linking:
                continue
            if is_private_endpoint(resource):
                self._link_private_endpoint(resource)
            elif is_diagnostic_setting(resource):
                self._link_diagnostic_setting(resource)
            elif extension_kind(resource) is not None:
                self._link_extension(resource)
        self._by_address: dict[str, list[Resource]] = defaultdict(list)
        for resource in self._resources:
            if resource.source.address:
                self._by_address[resource.source.address].append(resource)
        self._documents: dict[int, dict[str, Any]] = {}
        self._shapes: dict[int, bytes | None] = {}
        self._referrers: dict[tuple[str, str], tuple[dict[int, list[Resource]], list[Resource]]] = {}
        self._derived: dict[str, Any] = {}
        self._endpoints_to_absent: dict[str, list[Resource]] | None = None

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

    def _link_extension(self, extension: Resource) -> None:
        target = extension_target(extension)
        if isinstance(target, Unresolved):
            joined = self.by_unresolved_id(target, referrer=extension)
            if joined is None:
                self._unresolved_extensions.append(extension)
            else:
                self._extensions_on[id(joined)].append(extension)
            return
        if isinstance(target, TargetByName):
            found = self.find(target.type, target.name, near=extension)
            if found is not None:
                self._extensions_on[id(found)].append(extension)
            return
        if target is None and isinstance(extension.id, str):
            scopes = containing_scopes(extension.id)  # declared at group (or subscription) level
            if scopes:
                self._extensions_on_scope[scopes[0]].append(extension)
            return
        if isinstance(target, str):
            scope = group_scope(target)
            if scope is not None:
                self._extensions_on_scope[scope].append(extension)
                return
            found = self.resolve_id(target, near=extension)
            if found is not None:
                self._extensions_on[id(found)].append(extension)

    # -- lookups ---------------------------------------------------------------------------------------------

    @property
    def resources(self) -> tuple[Resource, ...]:
        """Every resource of the review, in input order."""
        return self._resources

    def derived(self, key: str, build: Callable[[ResourceGraph], _Derived]) -> _Derived:
        """What `build` works out from this graph, built on the first call for `key` and kept for the review.

        For a check that needs an index over the whole review (the model accounts and their role grants, for each
        app it judges): built once, not once per resource judged. The graph never changes, so neither does the
        value; `key` names it, and one key always goes with one `build`.
        """
        if key not in self._derived:
            self._derived[key] = build(self)
        value: _Derived = self._derived[key]
        return value

    def by_id(self, resource_id: str, *, near: Resource | None = None) -> Resource | None:
        """The resource with this ARM id (case-insensitive), or None; where several deployments hold it, the one
        of `near`'s input."""
        key = normalise_id(resource_id)
        several = self._same_id.get(key)
        if several is not None and near is not None:
            return self._prefer_near(several, near)
        return self._by_id.get(key)

    def by_unresolved_id(self, reference: Unresolved, *, referrer: Resource | None = None,
                         near: Resource | None = None) -> Resource | None:
        """The one resource whose id is unresolved with this reference's expression (see the class docstring), or
        None when no resource or several have it.

        Resources of the `referrer`'s own type are not candidates: a private endpoint targets no private endpoint,
        a diagnostic setting no diagnostic setting, and an extension resource may carry its scope's unresolved id
        as its own. Nor are resources of another input than the referrer's (or `near`'s): an expression names a
        resource only within its own deployment, so the `module.foundry.azapi_resource.account.id` of one
        Terraform example root is not that of its sibling."""
        scope = referrer if referrer is not None else near
        own_input = scope.source.input if scope is not None else ""
        candidates = [candidate for candidate in self._by_unresolved_id.get(reference.expression, [])
                      if (referrer is None or candidate.type_lower != referrer.type_lower)
                      and (not own_input or candidate.source.input in (own_input, ""))]
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
        exact = self.by_id(resource_id, near=near)
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
            joined = self.by_unresolved_id(reference, near=near)
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
        # Checks ask once per resource they judge: an index, not a scan of the whole review each time.
        return list(self._by_type.get(resource_type.lower(), ()))

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
                found = self.by_id(f"{wanted_parent}/{last_type}/{name}", near=r)
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
        if self._endpoints_to_absent is None:
            # Worked out once: a rule asks this for every resource whose id can't be resolved.
            by_type: dict[str, list[Resource]] = defaultdict(list)
            for endpoint in self._resources:
                if not is_private_endpoint(endpoint):
                    continue
                types: set[str] = set()
                for target in private_link_targets(endpoint):
                    if isinstance(target, Unresolved) or self.resolve_id(target, near=endpoint) is not None:
                        continue
                    spelled = type_and_name_from_id(target)
                    if spelled is not None and spelled[0].lower() not in types:
                        types.add(spelled[0].lower())
                        by_type[spelled[0].lower()].append(endpoint)
            self._endpoints_to_absent = by_type
        return list(self._endpoints_to_absent.get(resource_type.lower(), []))

    # -- diagnostic settings ---------------------------------------------------------------------------------

    def diagnostic_settings_for(self, r: Resource) -> list[Resource]:
        """The diagnostic settings that apply to `r` (scope form and nested-name form)."""
        return list(self._diagnostics_for.get(id(r), []))

    def unresolved_diagnostic_settings(self, *, could_target: Resource | None = None) -> list[Resource]:
        """The diagnostic settings whose target can't be resolved (they may apply to anything); with
        `could_target`, only those whose target could be that resource (see `Unresolved.may_apply_to`)."""
        return _could_target(self._unresolved_diagnostics, could_target)

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

    # -- configuration written as child resources ----------------------------------------------------------

    def document(self, r: Resource) -> dict[str, Any]:
        """`r` as an ARM document with the configuration its child resources carry merged in (`MERGED_CHILDREN`):
        a web app's `config/web` and `config/appsettings`, a cluster's `agentPools`, an ML workspace's
        `outboundRules`. A value set both ways is read from the child, which ARM applies after the parent."""
        cached = self._documents.get(id(r))
        if cached is not None:
            return cached
        document = r.to_arm()
        for merged in _MERGED_BY_PARENT.get(r.type_lower, ()):
            for child in self.children(r, merged.child_type):
                if not isinstance(child.name, str):
                    continue
                if merged.child_name is not None and child.name.rsplit("/", 1)[-1].lower() != merged.child_name:
                    continue
                document = _merge_child(document, merged, child)
        self._documents[id(r)] = document
        return document

    def document_shape(self, r: Resource) -> bytes | None:
        """`document(r)` but its `id` and `name`, as bytes that are equal for two resources only when those
        documents are equal (the same keys in the same order, the same values of the same types: `True` is not
        `1`, a `str` subclass is not a `str`); None when the document holds a value of another kind (an
        `Unresolved`). Resources configured alike share a shape: a rule whose verdict depends on the document
        alone, and not on the resource's name or id, decides once per shape (`Rule._judged_alike`). Two equal
        documents whose values are shared differently (marshal marks an object held more than once) may have two
        shapes: then a verdict is worked out twice, never given to a document it was not found for."""
        key = id(r)
        shape = self._shapes.get(key, _NO_SHAPE)
        if shape is not _NO_SHAPE:
            return shape  # type: ignore[return-value]  # _NO_SHAPE is never stored
        shaped = self.document(r).copy()  # copied and cut in C: most documents hold both fields left out
        for field in SHAPE_LEAVES_OUT:
            shaped.pop(field, None)
        try:
            shape = marshal.dumps(shaped)
        except ValueError:  # marshal takes only the plain types JSON is made of (and a few more), exactly
            shape = None
        self._shapes[key] = shape
        return shape

    # -- extension resources: locks and role assignments ---------------------------------------------------

    def extensions_on(self, r: Resource, kind: str) -> list[Resource]:
        """The locks (`Microsoft.Authorization/locks`) or role assignments (`.../roleAssignments`) that apply to
        `r`: those on `r`, on a resource it belongs to, and those its own deployment puts on its resource group or
        subscription (another deployment's are `extensions_elsewhere_on_scope_of`)."""
        if not self._extensions_on and not self._extensions_on_scope:
            return []  # none with a known target in the review (an inventory export holds none): no walk up
        wanted = kind.lower()
        found: list[Resource] = []
        current: Resource | None = r
        seen: set[int] = set()
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            found.extend(self._extensions_on.get(id(current), []))
            current = self.parent(current)
        found.extend(extension for extension in self._scope_extensions(r) if _same_deployment(extension, r))
        unique = list({id(extension): extension for extension in found}.values())
        return [extension for extension in unique if extension_kind(extension) == wanted]

    def extensions_elsewhere_on_scope_of(self, r: Resource, kind: str) -> list[Resource]:
        """The locks or role assignments that another input (another deployment) puts on `r`'s resource group or
        subscription as spelled in the review. They apply to `r` only if both are deployed to the same group, which
        the code does not say: the group of a template or Bicep file is a placeholder until it is deployed."""
        wanted = kind.lower()
        return [extension for extension in self._scope_extensions(r)
                if not _same_deployment(extension, r) and extension_kind(extension) == wanted]

    def _scope_extensions(self, r: Resource) -> list[Resource]:
        if not self._extensions_on_scope or not isinstance(r.id, str):
            return []
        return [extension for scope in containing_scopes(r.id)
                for extension in self._extensions_on_scope.get(scope, [])]

    def unresolved_extensions(self, kind: str, *, could_target: Resource | None = None) -> list[Resource]:
        """The locks or role assignments whose scope can't be resolved (they may apply to anything); with
        `could_target`, only those whose scope could be that resource or a scope above it."""
        wanted = kind.lower()
        return _could_target([extension for extension in self._unresolved_extensions
                              if extension_kind(extension) == wanted], could_target)

    # -- references by property ----------------------------------------------------------------------------

    def referrers(self, r: Resource, resource_type: str, path: str) -> list[Resource]:
        """The resources of `resource_type` whose value at `path` (`[*]` for array members) refers to `r`, by id
        or by an unresolved reference that names it (an autoscale setting's `properties.targetResourceUri`, a
        metric alert's `properties.scopes[*]`)."""
        return list(self._referrer_index(resource_type, path)[0].get(id(r), []))

    def unresolved_referrers(self, resource_type: str, path: str) -> list[Resource]:
        """The resources of `resource_type` whose value at `path` can't be resolved to a resource or an id."""
        return list(self._referrer_index(resource_type, path)[1])

    def _referrer_index(self, resource_type: str, path: str) -> tuple[dict[int, list[Resource]], list[Resource]]:
        key = (resource_type.lower(), path)
        index = self._referrers.get(key)
        if index is None:
            linked: dict[int, list[Resource]] = defaultdict(list)
            unresolved: list[Resource] = []
            for referrer in self.of_type(resource_type):
                doubtful = False
                for value in values_at(referrer.to_arm(), path):
                    target = self.referenced(value, near=referrer)
                    if isinstance(target, Resource):
                        if referrer not in linked[id(target)]:
                            linked[id(target)].append(referrer)
                    elif isinstance(target, Unresolved):
                        doubtful = True
                if doubtful:
                    unresolved.append(referrer)
            index = (dict(linked), unresolved)
            self._referrers[key] = index
        return index

    def referenced(self, value: Any, *, near: Resource | None = None) -> Resource | Unresolved | None:
        """The resource a value refers to: an ARM id (or a URL whose host names a vault), or an unresolved
        reference that names one resource of the review (`by_reference`); `Unresolved` when it can't be told,
        None when it names nothing here (an id of a resource not among the inputs, a literal)."""
        if isinstance(value, Unresolved):
            return self.by_reference(value, near=near) or self.by_unresolved_id(value, referrer=near) or value
        if isinstance(value, str) and value.strip():
            if value.strip().startswith("/"):
                return self.resolve_id(value, near=near)
            return self.key_vault_of_uri(value)
        return None

    def by_reference(self, reference: Unresolved, *, near: Resource | None = None) -> Resource | None:
        """The resource an unresolved reference reads from, when its expression names one by the address the
        loaders record: a Bicep symbol (`app.identity.principalId`), a Terraform address
        (`azurerm_linux_web_app.app.identity[0].principal_id`, `module.m.azurerm_x.y.id`), or an ARM
        `reference(resourceId('<type>', '<name>'), ...)`, `listKeys(resourceId(...))` with literal arguments.

        None when the expression names no resource of the review, or several that can't be told apart."""
        expression = reference.expression.strip()
        arm = _ARM_RESOURCE_ID.search(expression)
        if arm is not None:
            names = [part.strip().strip("'") for part in arm.group(2).split(",") if part.strip()]
            return self.find(arm.group(1), "/".join(names), near=near)
        head = _REFERENCE_HEAD.match(expression)
        if head is None:
            return None
        parts = head.group(0).split(".")
        for length in range(len(parts), 0, -1):
            candidates = [candidate for candidate in self._by_address.get(".".join(parts[:length]), [])
                          if near is None or candidate is not near]
            if near is not None:
                # An address names a resource within its own deployment: two example roots that call one module
                # both hold `module.m.azurerm_x.y`, declared in the same file.
                if near.source.input:
                    candidates = [candidate for candidate in candidates
                                  if candidate.source.input in (near.source.input, "")]
                same_file = [candidate for candidate in candidates if candidate.source.file == near.source.file]
                candidates = same_file or candidates
            if len(candidates) > 1:
                # A Terraform resource that also configures children (a web app's publishing policies) gives them
                # its address: the reference is to the resource, not to its children.
                ids = {id(candidate) for candidate in candidates}
                candidates = [candidate for candidate in candidates if id(self.parent(candidate)) not in ids]
            if len(candidates) == 1:
                return candidates[0]
            if candidates:
                return None
        return None

    def key_vault_of_uri(self, uri: str) -> Resource | None:
        """The Key Vault a vault URI or key URI names (`https://<vault>.vault.azure.net/...`), when it is among the
        inputs."""
        match = re.match(r"^\s*https://([^./]+)\.vault\.", uri, re.IGNORECASE)
        if match is None:
            return None
        return self._prefer_near(self._by_type_name.get(_key("Microsoft.KeyVault/vaults", match.group(1)), []), None)

    # -- subnets -------------------------------------------------------------------------------------------

    def subnet(self, reference: Any, *, near: Resource | None = None) -> SubnetView | Unresolved | None:
        """The subnet an id (or unresolved reference) names: a subnet resource, or an entry of its virtual
        network's `properties.subnets`; `Unresolved` when the reference can't be resolved; None when the subnet
        is not among the inputs."""
        found = self.referenced(reference, near=near)
        if isinstance(found, Unresolved):
            return found
        if isinstance(found, Resource):
            if found.type_lower == "microsoft.network/virtualnetworks/subnets":
                return SubnetView(self.document(found), found)
            return None
        if not isinstance(reference, str):
            return None
        spelled = type_and_name_from_id(reference)
        if spelled is None or spelled[0].lower() != "microsoft.network/virtualnetworks/subnets":
            return None
        network_name, _, subnet_name = spelled[1].partition("/")
        network_id = parent_id(reference)
        network = (self.resolve_id(network_id, near=near) if network_id is not None else None) or self.find(
            "Microsoft.Network/virtualNetworks", network_name, near=near)
        if network is None:
            return None
        inline = lookup(network.properties, "subnets") if network.properties is not MISSING else MISSING
        if isinstance(inline, Unresolved):
            return inline
        for entry in inline if isinstance(inline, list) else []:
            if isinstance(entry, dict) and str(entry.get("name", "")).lower() == subnet_name.lower():
                return SubnetView(entry, network)
        return None

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _prefer_near(candidates: Iterable[Resource], near: Resource | None) -> Resource | None:
        """The candidate of `near`'s own input and file, else of its input, else of its file, else the first: one
        template reviewed with two parameter files is two deployments, each with its own copy of every resource."""
        if near is None:
            return next(iter(candidates), None)
        best: Resource | None = None
        best_rank = -1
        for candidate in candidates:
            rank = (2 * (bool(near.source.input) and candidate.source.input == near.source.input)
                    + (candidate.source.file == near.source.file))
            if rank > best_rank:
                best, best_rank = candidate, rank
                if rank == 3:
                    break
        return best


def _merge_child(document: dict[str, Any], merged: MergedChild, child: Resource) -> dict[str, Any]:
    """A copy of `document` with one child's configuration merged at `merged.at`."""
    properties = child.properties
    head, _, leaf = merged.at.rpartition(".")
    result = dict(document)
    container = result
    for key in head.split("."):
        current = container.get(key)
        if isinstance(current, Unresolved) and merged.kind == "entry":
            return document  # what the entry would be merged into can't be known: leave it unresolved
        copied = dict(current) if isinstance(current, dict) else {}
        container[key] = copied
        container = copied
    existing = container.get(leaf, MISSING)
    if merged.kind == "entry":
        if isinstance(existing, Unresolved) or not isinstance(child.name, str):
            return result
        entries = dict(existing) if isinstance(existing, dict) else {}
        entries[child.name.rsplit("/", 1)[-1]] = properties
        container[leaf] = entries
        return result
    if merged.kind == "object":
        if isinstance(properties, dict):
            base = dict(existing) if isinstance(existing, dict) else {}
            container[leaf] = {**base, **properties}
        elif isinstance(properties, Unresolved):
            container[leaf] = properties
    else:
        if isinstance(existing, Unresolved):
            return result
        members = list(existing) if isinstance(existing, list) else []
        if isinstance(properties, Unresolved):
            container[leaf] = properties
            return result
        if merged.kind == "settings" and isinstance(properties, dict):
            members.extend({"name": key, "value": value} for key, value in properties.items())
        elif merged.kind == "member" and isinstance(child.name, str):
            members.append({"name": child.name.rsplit("/", 1)[-1],
                            **(properties if isinstance(properties, dict) else {})})
        container[leaf] = members
    return result


__all__ = ["MERGED_CHILDREN", "SHAPE_LEAVES_OUT", "MergedChild", "ResourceGraph", "SubnetView"]


def _same_deployment(one: Resource, other: Resource) -> bool:
    """Whether two resources come from the same input (a resource whose input is not recorded goes with any)."""
    return not one.source.input or not other.source.input or one.source.input == other.source.input


def _could_target(extensions: list[Resource], resource: Resource | None) -> list[Resource]:
    """The extensions whose unresolved target could be `resource` (all of them when `resource` is None): an
    unresolved id whose resource type is known rules out resources of other types. An extension with no scope of
    its own stands for its scope with its own id (a role assignment deployed to a resource group that can't be
    resolved), which says nothing about the scope's type."""
    if resource is None:
        return list(extensions)
    kept = []
    for extension in extensions:
        target = extension_target(extension)
        if target is extension.id or not isinstance(target, Unresolved) or target.may_apply_to(resource.type):
            kept.append(extension)
    return kept
