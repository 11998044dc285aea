"""ARM deployment templates → the resources one deployment would create.

One call expands one deployment: a template with one set of parameter values. The expansion follows ARM:
parameters, variables and user functions through `EvalScope`; `condition` (false → not deployed; unresolved →
reviewed as deployed, with a note); resource `copy` loops (at most 800 copies, as Azure enforces); nested
child resources (short `type` and `name` joined to the parent's); symbolic-name templates (`languageVersion`
2.0, where `existing` resources are references, not deployments); nested deployments with an inline template
(inner or outer expression scope) or a `templateLink.relativePath` inside the reviewed tree. A
`templateLink.uri` is not fetched. The deployment resource is reported too, without its inline
`properties.template` (those resources are reported themselves). A nested deployment goes where its `scope`
(`/` for the tenant, a management group), `subscriptionId` or `resourceGroup` says, and its inner template's
functions answer for that scope; `reference()` of a nested deployment expanded earlier in the same deployment
(by id, name or languageVersion 2.0 symbol) reads its outputs, evaluated in its own scope.

Choices where ARM gives no answer offline:
- A copy loop whose count is unresolved is one resource whose name is `Unresolved`; of its values, those that
  are the same for copies 0 and 1 are kept, those that differ (they depend on `copyIndex()`) are `Unresolved`.
- A nested child whose parent is not deployed (condition false) is not deployed either.
- An extension resource's relative `scope` (`Microsoft.X/type/name`, as Bicep writes it) is stored as a full id.
- In symbolic-name templates, symbolic names in `dependsOn` become the ids of the resources they name.
- A resource whose `type` is unresolved is reported (under the expression text) and noted as not reviewed: no
  rule can be chosen for it.

Every resource gets an ARM id built from the `DeploymentContext` (placeholders for the subscription and
group), honouring `resourceGroup`/`subscriptionId` on a resource and `scope` on an extension resource. A name,
type or scope that can't be resolved, or a name whose segments don't fit the type, gives an `Unresolved` id;
the resource is still reported.

Anything that stops the expansion (an expression syntax error, a copy count Azure rejects, the work budget,
nested deployments too deep) raises `TemplateError`, with the line of the resource involved when known.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from aiwell.errors import InputError, TemplateError
from aiwell.loaders.arm.expressions import MAX_COPY_COUNT, copy_count, copy_loop, evaluate_value, lookup_key
from aiwell.loaders.arm.identity import (
    IdKey,
    Opaque,
    Symbolic,
    id_path,
    instance_id,
    is_known,
    join,
    normalised,
    render,
    split,
    symbolic_value,
)
from aiwell.loaders.arm.parameters import deployment_parameter_values, scope_parameters
from aiwell.loaders.arm.scope import DeploymentContext, EvalScope, NestedDeployment, RuntimeObject, declared
from aiwell.loaders.files import resolved, within
from aiwell.loaders.jsonc import JsonDocument, load_json
from aiwell.model import Resource, Source, SourceFormat, Unresolved

MAX_DEPLOYMENT_DEPTH = 20
"""Nested deployments deeper than this are refused (a template that links itself must terminate)."""

_DEPLOYMENTS_TYPE = "microsoft.resources/deployments"
_RESOURCE_GROUPS_TYPE = "microsoft.resources/resourcegroups"

# Keys of a template resource that steer the expansion and are not part of the deployed resource.
_CONTROL_KEYS = frozenset({"resources", "copy", "condition", "existing"})


def is_template(value: Any) -> bool:
    """Whether a decoded JSON value is an ARM deployment template.

    True for a `$schema` naming `deploymentTemplate` (any scope), or (no `$schema` naming a parameter file) a
    `resources` array or object together with `contentVersion`.
    """
    if not isinstance(value, dict):
        return False
    schema = value.get("$schema")
    schema_text = schema.lower() if isinstance(schema, str) else ""
    if "deploymenttemplate" in schema_text:
        return True
    if "deploymentparameters" in schema_text:
        return False
    return isinstance(value.get("resources"), (list, dict)) and "contentVersion" in value


class TemplateExpansion(Struct):
    """What one deployment of a template yields."""

    resources: list[Resource]
    notes: list[str]
    """Warnings for the input record: unresolved conditions and copy counts, links not followed, ..."""
    linked_files: set[Path] = field(default_factory=set)
    """Templates loaded through `templateLink.relativePath` (resolved paths)."""
    unreviewed: list[str] = field(default_factory=list)
    """Parts of the deployment whose resources are not reviewed (a linked template not fetched, ...)."""
    outputs: Callable[[], dict[str, Any]] = dict
    """The template's outputs (name → value), evaluated on call in the deployment's scope: what a Bicep file that
    uses the template as a module reads as `module.outputs.x`."""


class _Target(Struct, frozen=True):
    """Where a deployment's resources go: the id prefix of its scope."""

    kind: str
    """`resourceGroup`, `subscription`, `managementGroup` or `tenant`."""
    subscription_id: str | Unresolved
    resource_group: str | Unresolved
    management_group: str | Unresolved
    unknown: Unresolved | None = None
    """Set when the deployment's `scope` is unresolved: then no id under it can be known."""

    def prefix(self, *, subscription: Any = None, resource_group: Any = None) -> str | Unresolved:
        """The id prefix for a resource, with its own `subscriptionId`/`resourceGroup` fields when set."""
        if subscription is None and resource_group is None:
            return _scope_prefix(self)  # most resources: worked out once per deployment target
        return self.own_prefix(subscription, resource_group)

    def own_prefix(self, subscription: Any, resource_group: Any) -> str | Unresolved:
        """`prefix()`, worked out afresh."""
        if self.unknown is not None:
            return self.unknown
        sub = subscription if subscription is not None else self.subscription_id
        group = resource_group if resource_group is not None else self.resource_group
        kind = "resourceGroup" if resource_group is not None else self.kind
        if kind == "tenant":
            return ""
        parts = {"managementGroup": (("management group", self.management_group),),
                 "subscription": (("subscription", sub),)}.get(kind, (("subscription", sub), ("resource group", group)))
        for what, part in parts:
            if isinstance(part, Unresolved):
                return Unresolved(part.expression, f"the {what} is unresolved: {part.reason}")
            if not isinstance(part, str) or not part:
                return Unresolved(str(part), f"the {what} is not a string")
        return render(self.symbolic_prefix(subscription=None if subscription is None else (str(sub),),
                                           resource_group=None if resource_group is None else (str(group),)))

    def symbolic_prefix(self, *, subscription: Symbolic | None = None,
                        resource_group: Symbolic | None = None) -> Symbolic:
        """`prefix()` as a symbolic string: an unknown subscription, group or scope is an opaque part."""
        if self.unknown is not None:
            return (Opaque(self.unknown.expression),)
        kind = "resourceGroup" if resource_group is not None else self.kind
        if kind == "tenant":
            return ()
        if kind == "managementGroup":
            return join(("/providers/Microsoft.Management/managementGroups/",), _part(self.management_group))
        sub = subscription if subscription is not None else _part(self.subscription_id)
        if kind == "subscription":
            return join(("/subscriptions/",), sub)
        group = resource_group if resource_group is not None else _part(self.resource_group)
        return join(("/subscriptions/",), sub, ("/resourceGroups/",), group)

    def context(self, base: DeploymentContext) -> DeploymentContext:
        """The deployment context of a template deployed here: its scope, subscription, group and management
        group (unresolved where they are: never the enclosing deployment's), the rest (location, tenant) from
        `base`."""
        changes: dict[str, Any] = {"deployment_scope": self.kind}
        if self.unknown is not None:
            unknown = Unresolved(self.unknown.expression, self.unknown.reason)
            changes.update(subscription_id=unknown, resource_group=unknown, management_group=unknown)
            return replace(base, **changes)
        for key in ("subscription_id", "resource_group", "management_group"):
            value = getattr(self, key)
            if isinstance(value, Unresolved) or (isinstance(value, str) and value):
                changes[key] = value
        return replace(base, **changes)


@functools.lru_cache(maxsize=256)
def _scope_prefix(target: _Target) -> str | Unresolved:
    """The id prefix of the resources a deployment target holds that name no subscription or group of their own."""
    return target.own_prefix(None, None)


def _part(value: Any) -> Symbolic:
    return (Opaque(value.expression),) if isinstance(value, Unresolved) else (str(value),)


_MANAGEMENT_GROUP_SCOPE = re.compile(r"/?providers/Microsoft\.Management/managementGroups/([^/]+)|"
                                     r"Microsoft\.Management/managementGroups/([^/]+)", re.IGNORECASE)
_SUBSCRIPTION_SCOPE = re.compile(r"/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?", re.IGNORECASE)


def _scope_target(scope: str, parent: _Target) -> _Target:
    """The target a deployment's `scope` names: `/` (the tenant), a management group, a subscription or a group.

    A relative id other than a management group is a resource, where a deployment can't go: the parent's scope
    stays (ARM rejects such a deployment).
    """
    text = scope.strip()
    if text.rstrip("/") == "":
        return replace(parent, kind="tenant")
    group = _MANAGEMENT_GROUP_SCOPE.fullmatch(text.rstrip("/"))
    if group is not None:
        return replace(parent, kind="managementGroup", management_group=group.group(1) or group.group(2))
    subscription = _SUBSCRIPTION_SCOPE.fullmatch(text.rstrip("/"))
    if subscription is not None:
        sub, resource_group = subscription.group(1), subscription.group(2)
        if resource_group is None:
            return replace(parent, kind="subscription", subscription_id=sub)
        return replace(parent, kind="resourceGroup", subscription_id=sub, resource_group=resource_group)
    return parent


def _target_for_schema(template: Mapping[str, Any], context: DeploymentContext) -> _Target:
    schema = template.get("$schema")
    text = schema.lower() if isinstance(schema, str) else ""
    if "subscriptiondeploymenttemplate" in text:
        kind = "subscription"
    elif "managementgroupdeploymenttemplate" in text:
        kind = "managementGroup"
    elif "tenantdeploymenttemplate" in text:
        kind = "tenant"
    else:
        kind = "resourceGroup"
    return _Target(kind, context.subscription_id, context.resource_group, context.management_group)


def _field(raw: Mapping[str, Any], key: str) -> Any:
    """A template key, matched case-insensitively as ARM does; None when absent."""
    if key in raw:
        return raw[key]
    folded = key.lower()
    try:
        # Most keys asked for are simply absent: tell so by lower-casing the keys in one C loop.
        if folded not in map(str.lower, raw):
            return None
    except TypeError:  # a key that is not text: look the slow way
        pass
    for candidate, value in raw.items():
        if isinstance(candidate, str) and candidate.lower() == folded:
            return value
    return None


def _spelling(raw: Mapping[str, Any], folded: str) -> str | None:
    """The first key of `raw` whose lower case is `folded`, or None."""
    try:
        if folded not in map(str.lower, raw):
            return None
    except TypeError:  # a key that is not text: look the slow way
        pass
    return next((k for k in raw if isinstance(k, str) and k.lower() == folded), None)


def _fields(raw: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """`_field(raw, key)` of each key of `keys` (its lower case → the key) that `raw` holds, in one pass over `raw`."""
    try:
        # Most resources hold none of the keys asked for: tell so by lower-casing their keys in one C loop.
        if keys.keys().isdisjoint(map(str.lower, raw)):
            return {}
    except TypeError:  # a key that is not text: look the slow way
        pass
    found: dict[str, Any] = {}
    for candidate, value in raw.items():
        if isinstance(candidate, str):
            key = keys.get(candidate.lower())
            # The spelling asked for wins; else the first spelling met.
            if key is not None and (candidate == key or key not in found):
                found[key] = value
    return found


_CONTROL_FIELDS = {key: key for key in _CONTROL_KEYS}
_PLACEMENT_FIELDS = {"subscriptionid": "subscriptionId", "resourcegroup": "resourceGroup"}


def _without(raw: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if not (isinstance(k, str) and k.lower() in keys)}


def _expression_text(value: Any) -> str:
    return value.expression if isinstance(value, Unresolved) else str(value)


def _is_namespaced(resource_type: str) -> bool:
    """Whether a type starts with a resource provider namespace (`Microsoft.Web/...`), i.e. is a full type."""
    first = resource_type.split("/", 1)[0]
    return "." in first


def resource_id(prefix: str | Unresolved, resource_type: str, name: str | Unresolved,
                scope: str | Unresolved | None = None) -> str | Unresolved:
    """The ARM id of a resource.

    `prefix` is the deployment scope's id (`/subscriptions/{sub}/resourceGroups/{rg}`); `scope`, for an
    extension resource, the id of the resource it extends. Types in the `<parent>/providers/<extension>` form
    (diagnostic settings named `acct/Microsoft.Insights/diag`) become
    `{parent id}/providers/{namespace}/{type}/{name}`. A type and name whose segments don't pair up, or any
    unresolved part, gives `Unresolved`.
    """
    if isinstance(name, Unresolved):
        return Unresolved(name.expression, f"the resource name is unresolved: {name.reason}",
                          resource_type if _is_namespaced(resource_type) else None)
    base = scope if scope is not None else prefix
    if isinstance(base, Unresolved):
        return Unresolved(base.expression, base.reason, resource_type if _is_namespaced(resource_type) else None)
    if scope is None and name and "/" not in name and resource_type.count("/") == 1:
        # Most resources: a top-level type and a one-segment name, whose id `id_path` would spell just so.
        namespace, kind = resource_type.split("/")
        if kind.lower() != "providers" and resource_type.lower() != _RESOURCE_GROUPS_TYPE:
            return f"{base}/providers/{namespace}/{kind}/{name}"
    names = name.split("/")
    if "" in names:
        return Unresolved(f"{resource_type} '{name}'", "a segment of the name is empty (Azure rejects this resource)")
    built = id_path((base,), resource_type, [(n,) for n in names], extension=scope is not None)
    if built is None:
        return Unresolved(f"{resource_type} '{name}'",
                          "the name's segments do not match the type's (Azure rejects this resource)")
    return render(built)


def _full_scope(scope: Symbolic, prefix: Symbolic) -> Symbolic:
    """An extension resource's scope as a full id: `/` is the tenant (the empty prefix); a relative one
    (`Microsoft.X/y/z`) is under the deployment's scope, except a management group, which is under the tenant
    wherever it is named (Bicep writes `managementGroup('mg')` as `Microsoft.Management/...`)."""
    if scope and isinstance(scope[-1], str):
        scope = join(scope[:-1], (scope[-1].rstrip("/"),))
    first = scope[0] if scope else ""
    if not isinstance(first, str) or not first or first.startswith("/"):
        return scope  # a full id, the tenant, or an id passed in whole (a parameter)
    if first.lower().startswith("microsoft.management/managementgroups/"):
        return join(("/providers/",), scope)
    return join(prefix, ("/providers/",), scope)


class _LinkedTemplateError(TemplateError):
    """An error inside a linked template, already located; not wrapped again by the templates linking it."""


class _Frame(Struct, frozen=True):
    """One template being expanded: the file it lives in, its document, its scope and target."""

    document: JsonDocument
    file: Path
    scope: EvalScope
    target: _Target
    depth: int
    address: str
    """Address prefix of this template's resources (empty for the top template and linked files)."""
    instance: str = ""
    """Prefix of this template's resources' instance names (`ai[0].` inside the deployment `ai[0]`): what their
    unresolved ids are called (`aiwell.loaders.arm.identity`)."""

    @property
    def declarations(self) -> _Declarations:
        declarations = self.scope.declarations
        assert isinstance(declarations, _Declarations)
        return declarations


class _Parent(Struct):
    """What a nested child resource inherits from its parent."""

    type: str
    name: str | Unresolved


class _Entries(Struct):
    """The resources of one template expanded in one deployment, by position: expanded in order, or earlier when
    `reference()` asks for one; each position's resources are reported in template order."""

    template: dict[str, Any]
    frame: _Frame
    items: list[tuple[str, str, Any, str | None]]
    """Each resource's address, instance name, raw declaration and (languageVersion 2.0) symbol."""
    blocks: dict[int, list[Resource] | None] = field(default_factory=dict)
    """The resources each position yields; None while it is being expanded."""


class _Record(Struct):
    """A resource instance expanded in a deployment: what `reference()` of it returns."""

    instance: str
    resource: Resource
    body: dict[str, Any]
    deployment: NestedDeployment | None = None
    """Set for a nested deployment whose template is expanded: `reference()` reads its outputs."""

    def reference(self, text: str, *, full: bool) -> Any:
        if self.deployment is not None:
            return self.deployment.reference(text, full=full)
        found, properties = lookup_key(self.body, "properties")
        value = declared(properties) if found else RuntimeObject()
        if not full:
            return value
        whole = RuntimeObject({key: item for key, item in self.body.items()
                               if not (isinstance(key, str) and key.lower() in _NOT_IN_REFERENCE)})
        whole.update(id=self.resource.id, name=self.resource.name, type=self.resource.type)
        key = next((k for k in whole if isinstance(k, str) and k.lower() == "properties"), "properties")
        whole[key] = value
        return whole


_NOT_IN_REFERENCE = frozenset({"dependson", "comments", "properties", "id", "name", "type"})


class _Header(Struct):
    """One instance a template declares (a copy, a nested child), known before it is expanded: enough to tell
    which id, name or symbol names it."""

    entries: _Entries
    position: int
    instance: str
    symbol: str | None
    raw: dict[str, Any]
    scope: EvalScope
    parent: _Header | None
    described: tuple[str, Symbolic] | None | bool = False
    """Its full type and name once worked out (None when they can't be); False before."""


class _Declarations:
    """The resources one deployment declares, for `reference()` and the id functions (`scope.Declarations`).

    Resources are recorded as they are expanded. Before that, their headers (type, name, scope, evaluated alone)
    say which id, name or symbol names which instance; `reference()` of one not yet expanded expands it first.
    """

    def __init__(self, expander: _Expander, parent: _Declarations | None) -> None:
        self.expander = expander
        self.parent = parent
        self.templates: list[_Entries] = []
        self.records: dict[str, _Record] = {}
        self._headers: list[_Header] = []
        self._listed = 0
        self._keys: dict[IdKey, list[_Header]] = {}
        self._keyed = 0
        self._instances: dict[str, _Header] = {}

    def add(self, entries: _Entries) -> None:
        self.templates.append(entries)

    def record(self, record: _Record) -> None:
        self.records[record.instance] = record

    # --- Declarations --------------------------------------------------------------------------------------

    def reference(self, key: str | Unresolved, text: str, *, full: bool, template: Any) -> Any:
        record = self._find(key, template)
        if record is not None:
            return record.reference(text, full=full)
        if isinstance(key, str) and key.startswith("/"):
            # A nested deployment of another deployment of the same expansion, by its id.
            deployment = self.expander.deployments_by_id.get(key.lower())
            if deployment is not None:
                return deployment.reference(text, full=full)
        return None

    def canonical_id(self, key: IdKey) -> str | None:
        registry: _Declarations | None = self
        while registry is not None:
            found = registry._match(key)
            if len(found) == 1:
                return instance_id(found[0].instance)
            if found:
                return None  # several declarations spell this id alike: no edge is guessed
            registry = registry.parent
        return None

    # --- lookups -------------------------------------------------------------------------------------------

    def _find(self, key: str | Unresolved, template: Any) -> _Record | None:
        if isinstance(key, Unresolved):
            expression = key.expression
            return self._instance(expression[:-3]) if expression.endswith(".id") else None
        if key.startswith("/"):
            lowered = key.lower()
            for record in self.records.values():
                if isinstance(record.resource.id, str) and record.resource.id.lower() == lowered:
                    return record
            found = self._match(normalised((key,)))
            return self._ensure(found[0]) if len(found) == 1 else None
        lowered = key.lower()
        self._list()
        symbols = [h for h in self._headers
                   if h.symbol is not None and h.symbol.lower() == lowered and h.entries.template is template]
        if len(symbols) == 1:
            return self._ensure(symbols[0])
        named = [r for r in self.records.values() if isinstance(r.resource.name, str)
                 and r.resource.name.lower() == lowered]
        if len(named) == 1:
            return named[0]
        headers = [h for h in self._headers if (d := self._describe(h)) and d[1] == (lowered,)]
        return self._ensure(headers[0]) if len(headers) == 1 else None

    def _instance(self, instance: str) -> _Record | None:
        if instance in self.records:
            return self.records[instance]
        self._list()
        header = self._instances.get(instance)
        return self._ensure(header) if header is not None else None

    def _ensure(self, header: _Header) -> _Record | None:
        """The record of `header`'s instance, expanding its resource now if it is not yet (None while it is
        being expanded: a resource can't read itself)."""
        if header.instance not in self.records:
            self.expander.expand_entry(header.entries, header.position)
        return self.records.get(header.instance)

    def _match(self, key: IdKey) -> list[_Header]:
        self._list()
        self._index()
        if len(key) == 1 and isinstance(key[0], Opaque) and key[0].text.endswith(".id"):
            header = self._instances.get(key[0].text[:-3])
            if header is not None:
                return [header]
        return self._keys.get(key, [])

    # --- headers -------------------------------------------------------------------------------------------

    def _list(self) -> None:
        """List the headers of templates added since the last call."""
        while self._listed < len(self.templates):
            entries = self.templates[self._listed]
            self._listed += 1
            for position, (_, instance, raw, symbol) in enumerate(entries.items):
                for header in _headers(entries, position, instance, raw, symbol, entries.frame.scope, None):
                    self._headers.append(header)
                    self._instances.setdefault(header.instance, header)

    def _index(self) -> None:
        """Work out the ids of headers listed since the last call: resources first, then extension resources
        (whose ids are under those of resources)."""
        if self._keyed >= len(self._headers):
            return
        pending = self._headers[self._keyed:]
        self._keyed = len(self._headers)
        for extension in (False, True):
            for header in pending:
                if (_field(header.raw, "scope") is not None) != extension:
                    continue
                key = self._key(header)
                if key is not None:
                    self._keys.setdefault(key, []).append(header)

    def _describe(self, header: _Header) -> tuple[str, Symbolic] | None:
        """A header's full type and name (the name as a symbolic string, lower case), or None."""
        if header.described is False:
            header.described = None
            with contextlib.suppress(TemplateError):
                header.described = self._work_out(header)
        return header.described if isinstance(header.described, tuple) else None

    def _work_out(self, header: _Header) -> tuple[str, Symbolic] | None:
        raw_type = evaluate_value(_field(header.raw, "type"), header.scope)
        raw_name = _field(header.raw, "name")
        name = symbolic_value(raw_name, evaluate_value(raw_name, header.scope), header.scope)
        if not isinstance(raw_type, str) or name is None:
            return None
        if header.parent is not None and not _is_namespaced(raw_type):
            parent = self._describe(header.parent)
            if parent is None:
                return None
            return f"{parent[0]}/{raw_type}", normalised(join(parent[1], ("/",), name))
        return raw_type, normalised(name)

    def _key(self, header: _Header) -> IdKey | None:
        described = self._describe(header)
        if described is None:
            return None
        resource_type, name = described
        if not _is_namespaced(resource_type):
            return None
        try:
            prefix, scope = _placement(header.raw, header.scope, header.entries.frame.target, self)
        except TemplateError:
            return None
        built = id_path(prefix if scope is None else scope, resource_type, split(name), extension=scope is not None)
        return normalised(built) if built is not None else None

    def is_instance_id(self, text: str) -> bool:
        """Whether `text` is the unresolved id of an instance this deployment (or one around it) declares."""
        registry: _Declarations | None = self
        while registry is not None:
            registry._list()
            if text.endswith(".id") and text[:-3] in registry._instances:
                return True
            registry = registry.parent
        return False

    def canonical_scope(self, scope: Symbolic) -> Symbolic:
        """An extension resource's scope, as the unresolved id of the resource it names when it is one of the
        deployment's."""
        if is_known(scope):
            return scope
        canonical = self.canonical_id(normalised(scope))
        return (Opaque(canonical),) if canonical is not None else scope


def _placement(raw: dict[str, Any], scope: EvalScope, target: _Target,
               declarations: _Declarations) -> tuple[Symbolic, Symbolic | None]:
    """Where a declared resource goes, as symbolic strings: the id prefix of its scope (its own `subscriptionId`
    and `resourceGroup` honoured), and for an extension resource the full id of the resource it extends - the
    unresolved id of that resource when the deployment declares it. Raises `TemplateError` for a field that is no
    string."""
    fields: list[Symbolic | None] = []
    for key in ("subscriptionId", "resourceGroup", "scope"):
        written = _field(raw, key)
        if written is None:
            fields.append(None)
            continue
        found = symbolic_value(written, evaluate_value(written, scope), scope)
        if found is None:
            raise TemplateError(f"'{key}' is not a string")
        fields.append(found)
    subscription, group, extended = fields
    prefix = target.symbolic_prefix(subscription=subscription, resource_group=group)
    if extended is None:
        return prefix, None
    return prefix, declarations.canonical_scope(_full_scope(extended, prefix))


def _headers(entries: _Entries, position: int, instance: str, raw: Any, symbol: str | None, scope: EvalScope,
             parent: _Header | None) -> list[_Header]:
    """The instances a template resource declares: its copies (a count that can't be known declares none that
    can be named) and its nested children's; an `existing` resource declares none."""
    if not isinstance(raw, dict) or _field(raw, "existing") is True:
        return []
    copy = _field(raw, "copy")
    instances: list[tuple[EvalScope, str, str | None]] = [(scope, instance, symbol)]
    if copy is not None:
        if not isinstance(copy, dict):
            return []
        loop_name = copy.get("name") if isinstance(copy.get("name"), str) else None
        try:
            count = copy_count(evaluate_value(copy.get("count"), scope), "a copy loop")
        except TemplateError:
            return []
        instances = [(scope.with_copy_index(loop_name, index), f"{instance}[{index}]",
                      f"{symbol}[{index}]" if symbol is not None else None) for index in range(count)]
    found: list[_Header] = []
    children = _field(raw, "resources")
    for copy_scope, name, copy_symbol in instances:
        header = _Header(entries, position, name, copy_symbol, raw, copy_scope, parent)
        found.append(header)
        if isinstance(children, list):
            for index, child in enumerate(children):
                found.extend(_headers(entries, position, f"{name}.resources[{index}]", child, None, copy_scope,
                                      header))
    return found


class _Expander:
    """Expands one deployment, nested deployments included; collects resources and notes."""

    def __init__(self, *, root: Path | None, context: DeploymentContext, top_file: Path, input_label: str) -> None:
        self.top_file = top_file
        self.input_label = input_label
        self.root = root.resolve() if root is not None else None
        self.context = context
        self.resources: list[Resource] = []
        self.notes: list[str] = []
        self.unreviewed: list[str] = []
        self.linked_files: set[Path] = set()
        self.scopes: list[EvalScope] = []
        self.deployments_by_id: dict[str, NestedDeployment] = {}
        """Every nested deployment expanded so far whose id is known (lower case), for `reference()` by id."""
        self._linked_documents: dict[Path, JsonDocument] = {}

    def where(self, frame: _Frame, address: str) -> str:
        """A resource's place for a note: its address, with the file when it is a linked template."""
        return address if frame.file == self.top_file else f"{frame.file}: {address}"

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def note_unreviewed(self, message: str) -> None:
        """Note a part of the deployment whose resources are not reviewed (they may hold related resources)."""
        self.note(message)
        if message not in self.unreviewed:
            self.unreviewed.append(message)

    def all_notes(self) -> list[str]:
        merged = list(self.notes)
        for scope in self.scopes:
            merged.extend(n for n in scope.notes if n not in merged)
        return merged

    def new_scope(self, template: dict[str, Any], supplied: Mapping[str, Any], context: DeploymentContext,
                  source: str | None, parent: _Declarations | None) -> EvalScope:
        """The scope of one deployment of `template` (`parent`: the declarations of the deployment around it)."""
        parameters, notes = scope_parameters(template, supplied)
        for message in notes:
            self.note(message)
        variables = template.get("variables")
        functions = template.get("functions")
        scope = EvalScope(parameters=parameters,
                          variables=variables if isinstance(variables, dict) else {},
                          functions=functions if isinstance(functions, list) else [],
                          context=context, template=template, parameter_values_source=source,
                          declarations=_Declarations(self, parent), reuse_invariants=True)
        self.scopes.append(scope)
        return scope

    # --- templates ------------------------------------------------------------------------------------------

    def expand(self, template: dict[str, Any], frame: _Frame) -> None:
        """Expand every resource of `template` in `frame`, reported in template order."""
        items = [(address, frame.instance + local, raw, local if symbolic else None)
                 for address, local, raw, symbolic in _template_resources(template, frame.address)]
        entries = _Entries(template, frame, items)
        frame.declarations.add(entries)
        for position in range(len(items)):
            self.expand_entry(entries, position)
        first = len(self.resources)
        symbols: dict[str, list[str | Unresolved]] = {}
        for position, (address, _, _, symbol) in enumerate(items):
            block = entries.blocks.get(position) or []
            if symbol is not None:
                # The resource itself or its copies (`name[3]`), not its nested children.
                symbols[symbol.lower()] = [r.id for r in block if _is_copy_of(r.source.address, address)]
            self.resources.extend(block)
        if symbols:
            _resolve_symbolic_dependencies(self.resources[first:], symbols)

    def expand_entry(self, entries: _Entries, position: int) -> None:
        """Expand the resource at `position` of a template, once: in order, or earlier when `reference()` reads
        it (ARM deploys in dependency order). Nothing while it is being expanded (it refers to itself)."""
        if position in entries.blocks:
            return
        entries.blocks[position] = None
        address, instance, raw, symbol = entries.items[position]
        outer, self.resources = self.resources, []
        try:
            self.expand_resource(raw, entries.frame, address, parent=None, symbol=symbol, instance=instance)
        finally:
            entries.blocks[position], self.resources = self.resources, outer

    def expand_resource(self, raw: Any, frame: _Frame, address: str, parent: _Parent | None,
                        symbol: str | None = None, *, instance: str) -> None:
        """Expand one template resource: its copies, condition, body, children and nested deployment.

        `symbol` is its symbolic name in a languageVersion 2.0 template (what `reference()` calls it); `instance`
        names it in unresolved ids.
        """
        span = frame.document.span_of(raw)
        line = span[0] if span else None
        try:
            self._expand_resource(raw, frame, address, parent, span, symbol, instance)
        except InputError as exc:
            if exc.line is not None:
                raise
            raise TemplateError(f"{address}: {exc.message}", line=line, hint=exc.hint) from exc
        except RecursionError as exc:
            raise TemplateError(f"{address}: template nested too deeply to evaluate", line=line) from exc

    def _expand_resource(self, raw: Any, frame: _Frame, address: str, parent: _Parent | None,
                         span: tuple[int, int] | None, symbol: str | None, instance: str) -> None:
        if not isinstance(raw, dict):
            raise TemplateError("a resource must be a JSON object")
        controls = _fields(raw, _CONTROL_FIELDS)
        if controls.get("existing") is True:
            return  # a reference to a resource deployed elsewhere (languageVersion 2.0)
        copy = controls.get("copy")
        if copy is None:
            self._expand_instance(raw, frame, frame.scope, address, parent, span, symbol=symbol, instance=instance,
                                  controls=controls)
            return
        if not isinstance(copy, dict):
            raise TemplateError("'copy' must be an object with 'name' and 'count'")
        loop_name = copy.get("name") if isinstance(copy.get("name"), str) else None
        count = evaluate_value(copy.get("count"), frame.scope)
        if isinstance(count, Unresolved):
            self.note(f"{self.where(frame, address)}: copy count {count.expression} is unresolved "
                      f"({count.reason}); reviewed as one resource whose name is unresolved")
            self._expand_instance(raw, frame, frame.scope.with_copy_index(loop_name, 0), address, parent, span,
                                  unresolved_copy=(loop_name, count), instance=instance, controls=controls)
            return
        for index in range(copy_count(count, f"copy loop '{loop_name}'")):
            self._expand_instance(raw, frame, frame.scope.with_copy_index(loop_name, index),
                                  f"{address}[{index}]", parent, span,
                                  symbol=f"{symbol}[{index}]" if symbol is not None else None,
                                  instance=f"{instance}[{index}]", controls=controls)

    def _expand_instance(self, raw: dict[str, Any], frame: _Frame, scope: EvalScope, address: str,
                         parent: _Parent | None, span: tuple[int, int] | None,
                         unresolved_copy: tuple[str | None, Unresolved] | None = None, *,
                         symbol: str | None = None, instance: str, controls: Mapping[str, Any]) -> None:
        """`controls` are the resource's `_CONTROL_KEYS` fields (`_fields`)."""
        condition_raw = controls.get("condition")
        if condition_raw is not None:
            condition = self._evaluate(condition_raw, scope, unresolved_copy)
            if isinstance(condition, str) and condition.lower() in ("true", "false"):
                condition = condition.lower() == "true"
            if condition is False:
                return
            if isinstance(condition, Unresolved):
                self.note(f"{self.where(frame, address)}: condition {condition.expression} is unresolved "
                          f"({condition.reason}); reviewed as deployed")
            elif condition is not True:
                raise TemplateError(f"condition must be true or false, not {condition!r}")

        is_deployment = str(_field(raw, "type")).lower() == _DEPLOYMENTS_TYPE
        body_raw = _without(raw, _CONTROL_KEYS) if controls else raw  # (evaluating it leaves it as it is)
        inline_template: Any = None
        if is_deployment:
            body_raw, inline_template = _split_inline_template(body_raw)
        body = self._evaluate(body_raw, scope, unresolved_copy)
        if not isinstance(body, dict):
            raise TemplateError("a resource must evaluate to a JSON object")

        full_type, name = self._full_type_and_name(body, parent)
        raw_type = _field(body, "type")
        if not isinstance(raw_type, str):
            reason = raw_type.reason if isinstance(raw_type, Unresolved) else "it is not a string"
            self.note_unreviewed(f"{self.where(frame, address)}: the resource type {full_type} is unresolved "
                                 f"({reason}); no rule can tell what it is, so it is not reviewed")
        if unresolved_copy is not None:
            name = Unresolved(_expression_text(_field(raw, "name")),
                              f"copy count {unresolved_copy[1].expression} is unresolved")
        rid = self._resource_id(body, full_type, name, frame, raw, scope)
        if isinstance(rid, Unresolved):
            # However the template spells this resource's id elsewhere, it is spelled so (see `identity`).
            rid = Unresolved(instance_id(instance), rid.reason)
        body["type"] = full_type
        body["name"] = name
        line, end_line = span if span else (None, None)
        source = Source(SourceFormat.ARM, str(frame.file), line, end_line, address, self.input_label)
        resource = Resource.from_arm(body, source, resource_id=rid)
        self.resources.append(resource)
        frame.declarations.record(_Record(instance, resource, body))

        if is_deployment:
            self._expand_deployment(body, inline_template, frame, scope, address, span,
                                    _NestedName(rid, name, symbol, instance), unresolved_copy)

        children = controls.get("resources")
        if isinstance(children, list):
            me = _Parent(full_type, name)
            for index, child in enumerate(children):
                self.expand_resource(child, frame, f"{address}.resources[{index}]", parent=me,
                                     instance=f"{instance}.resources[{index}]")
        elif children is not None:
            raise TemplateError("nested 'resources' must be an array")

    @staticmethod
    def _evaluate(value: Any, scope: EvalScope, unresolved_copy: tuple[str | None, Unresolved] | None) -> Any:
        """Evaluate a resource's value; in a copy loop of unknown count, what every copy shares.

        For an unknown count the value is evaluated as copies 0 and 1; what differs between them depends on
        `copyIndex()` and can't be known for "every copy", so it is `Unresolved`.
        """
        if unresolved_copy is None:
            return evaluate_value(value, scope)
        loop_name, count = unresolved_copy
        first = evaluate_value(value, scope.with_copy_index(loop_name, 0))
        try:
            second = evaluate_value(value, scope.with_copy_index(loop_name, 1))
        except TemplateError:
            second = first
        reason = f"differs per copy, and the copy count {count.expression} is unresolved"
        return _shared_values(first, second, reason)

    def _full_type_and_name(self, body: dict[str, Any],
                            parent: _Parent | None) -> tuple[str, str | Unresolved]:
        """The resource's full type and name; a short child type and name are joined to the parent's."""
        raw_type = _field(body, "type")
        raw_name = _field(body, "name")
        if raw_type is None:
            raise TemplateError("resource has no 'type'")
        if raw_name is None:
            raise TemplateError("resource has no 'name'")
        resource_type = raw_type if isinstance(raw_type, str) else _expression_text(raw_type)
        name: str | Unresolved
        if isinstance(raw_name, Unresolved):
            name = raw_name
        elif isinstance(raw_name, (str, int, float)) and not isinstance(raw_name, bool):
            name = str(raw_name)
        else:
            raise TemplateError(f"resource name must be a string, not {raw_name!r}")
        if parent is not None and not _is_namespaced(resource_type):
            resource_type = f"{parent.type}/{resource_type}"
            if isinstance(parent.name, Unresolved):
                name = parent.name
            elif not isinstance(name, Unresolved):
                name = f"{parent.name}/{name}"
        return resource_type, name

    def _resource_id(self, body: dict[str, Any], resource_type: str, name: str | Unresolved, frame: _Frame,
                     raw: dict[str, Any], scope: EvalScope) -> str | Unresolved:
        raw_type = _field(body, "type")
        if not isinstance(raw_type, str):
            reason = raw_type.reason if isinstance(raw_type, Unresolved) else "the type is not a string"
            return Unresolved(resource_type, f"the resource type is unresolved: {reason}")
        if not _is_namespaced(resource_type):
            return Unresolved(resource_type, "the type has no resource provider namespace")
        placement = _fields(body, _PLACEMENT_FIELDS)
        prefix = frame.target.prefix(subscription=placement.get("subscriptionId"),
                                     resource_group=placement.get("resourceGroup"))
        scope_key = _spelling(body, "scope")
        value = body[scope_key] if scope_key is not None else None
        extended: str | Unresolved | None = None
        if isinstance(value, Unresolved) or (isinstance(value, str) and value):
            assert scope_key is not None
            try:
                _, full = _placement(raw, scope, frame.target, frame.declarations)
            except TemplateError:
                full = None
            if full is not None and is_known(full):
                extended = render(full)
            elif full is not None and len(full) == 1 and isinstance(full[0], Opaque) \
                    and frame.declarations.is_instance_id(full[0].text):
                # The resource it extends is the deployment's: the id that resource's declaration has.
                reason = value.reason if isinstance(value, Unresolved) else "the scope is unresolved"
                extended = Unresolved(full[0].text, reason)
            elif isinstance(value, Unresolved):
                extended = value
            else:
                extended = prefix  # relative to a scope that is unresolved
            if resource_type.lower() != _DEPLOYMENTS_TYPE:
                # A deployment's scope is where it deploys, kept as written; an extension resource's is the id of
                # the resource it extends.
                body[scope_key] = extended if extended != "" else "/"
        return resource_id(prefix, resource_type, name, extended)

    # --- nested deployments ---------------------------------------------------------------------------------

    def _expand_deployment(self, body: dict[str, Any], inline_template: Any, frame: _Frame, scope: EvalScope,
                           address: str, span: tuple[int, int] | None, names: _NestedName,
                           unresolved_copy: tuple[str | None, Unresolved] | None) -> None:
        """Expand the template a `Microsoft.Resources/deployments` resource deploys, inline or linked, and record
        it so that `reference()` of it reads its outputs.

        In a copy loop whose count is unresolved the template is expanded once, for every copy, with the parameters
        the copies share (those that differ per copy are unresolved), as the copy itself is reviewed; except a
        template in the outer scope, whose expressions would see one copy's index.
        """
        properties = _field(body, "properties")
        if not isinstance(properties, dict):
            return
        line = span[0] if span else None
        if frame.depth + 1 > MAX_DEPLOYMENT_DEPTH:
            raise TemplateError(f"nested deployments are more than {MAX_DEPLOYMENT_DEPTH} deep "
                                "(does a template link itself?)", line=line)
        target = self._deployment_target(body, frame)
        link = _field(properties, "templateLink")
        from_expression = isinstance(inline_template, str)
        if from_expression:
            # An expression (Bicep writes `template: loadJsonContent(...)` as `[variables('$fxv#0')]`). Its value,
            # `[[` escapes undone, is a template whose own expressions ARM evaluates in the nested deployment,
            # with the parameters it is given: inner scope, whatever the options say.
            inline_template = self._evaluate(inline_template, scope, unresolved_copy)
            if isinstance(inline_template, Unresolved):
                self.note_unreviewed(f"{self.where(frame, address)}: properties.template "
                                     f"{inline_template.expression} is unresolved ({inline_template.reason}); its "
                                     "resources are not reviewed")
                return
        if isinstance(inline_template, dict):
            options = _field(properties, "expressionEvaluationOptions")
            scope_option = _field(options, "scope") if isinstance(options, dict) else None
            inner = from_expression or (isinstance(scope_option, str) and scope_option.lower() == "inner")
            if unresolved_copy is not None and not inner:
                self.note_unreviewed(f"{self.where(frame, address)}: the template of a deployment in a copy loop "
                                     "whose count is unresolved, evaluated in the outer scope, is not expanded; its "
                                     "resources are not reviewed")
                return
            prefix = f"{address}.properties.template"
            # Outer scope (ARM's default): the nested template sees the parent's parameters and variables.
            child_scope = (self._inner_scope(inline_template, properties, frame, body, address, target,
                                             names.instance) if inner else scope)
            child = _Frame(frame.document, frame.file, child_scope, target, frame.depth + 1, prefix,
                           f"{names.instance}.")
            self.expand(inline_template, child)
            self._record_deployment(frame, names, inline_template, child_scope)
        elif inline_template is not None:
            raise TemplateError("properties.template of a deployment must be an object", line=line)
        elif isinstance(link, dict):
            linked = self._expand_link(link, properties, body, frame, target, address, line, names.instance)
            if linked is not None:
                self._record_deployment(frame, names, *linked)

    def _record_deployment(self, frame: _Frame, names: _NestedName, template: dict[str, Any],
                           scope: EvalScope) -> None:
        """Let `reference()` of this nested deployment (by id, name or symbol, in the deployment that deploys it)
        read its outputs, evaluated in its own scope."""
        name = names.name.rsplit("/", 1)[-1] if isinstance(names.name, str) else names.name
        outputs = _field(template, "outputs")
        declared_outputs = outputs if isinstance(outputs, dict) else {}
        types = {key: _field(value, "type") if isinstance(value, dict) else None
                 for key, value in declared_outputs.items()}
        deployment = NestedDeployment(names.resource_id, name, lambda: _outputs(declared_outputs, scope), types)
        record = frame.declarations.records.get(names.instance)
        if record is not None:
            record.deployment = deployment
        if isinstance(names.resource_id, str):
            self.deployments_by_id[names.resource_id.lower()] = deployment

    def _deployment_target(self, body: dict[str, Any], frame: _Frame) -> _Target:
        """Where a nested deployment deploys: its `scope` (`/` for the tenant, a management group, a
        subscription or group id), its `subscriptionId`/`resourceGroup`, else its parent's scope."""
        target = frame.target
        scope = _field(body, "scope")
        if isinstance(scope, Unresolved):
            return replace(target, unknown=Unresolved(
                scope.expression, f"the scope of the deployment is unresolved: {scope.reason}"))
        if isinstance(scope, str) and scope:
            target = _scope_target(scope, target)
        group = _field(body, "resourceGroup")
        subscription = _field(body, "subscriptionId")
        if subscription is not None:
            kind = "subscription" if target.kind in ("managementGroup", "tenant") else target.kind
            target = replace(target, kind=kind, subscription_id=subscription)
        if group is not None:
            target = replace(target, kind="resourceGroup", resource_group=group)
        return target

    def _inner_context(self, body: dict[str, Any], target: _Target, instance: str) -> DeploymentContext:
        """The deployment context inside an inner-scope deployment: its target, its own name and its own location
        (unresolved when they are: never those of the deployment around it)."""
        context = target.context(self.context)
        location = _field(body, "location")
        if not isinstance(location, str) or not location:
            reason = location.reason if isinstance(location, Unresolved) else "the deployment declares none"
            location = Unresolved(f"{instance}.location", f"the deployment's location is unresolved: {reason}")
        context = replace(context, deployment_location=location)
        name = _field(body, "name")
        if isinstance(name, str) and name:
            return replace(context, deployment_name=name.rsplit("/", 1)[-1])
        reason = name.reason if isinstance(name, Unresolved) else "it is not a string"
        return replace(context, deployment_name=Unresolved(
            f"{instance}.name", f"the deployment's name is unresolved: {reason}"))

    def _inner_scope(self, template: dict[str, Any], properties: dict[str, Any], frame: _Frame,
                     body: dict[str, Any], address: str, target: _Target, instance: str) -> EvalScope:
        supplied = deployment_parameter_values(_field(properties, "parameters"))
        if _field(properties, "parametersLink") is not None:
            self.note(f"{self.where(frame, address)}: parametersLink is not followed (aiwell works offline); "
                      "the linked template's parameters without a default are unresolved")
        return self.new_scope(template, supplied, self._inner_context(body, target, instance), str(frame.file),
                              frame.declarations)

    def _expand_link(self, link: dict[str, Any], properties: dict[str, Any], body: dict[str, Any],
                     frame: _Frame, target: _Target, address: str, line: int | None,
                     instance: str) -> tuple[dict[str, Any], EvalScope] | None:
        """Expand a linked template inside the reviewed tree; its template and scope, or None when not read."""
        relative = _field(link, "relativePath")
        where = self.where(frame, address)
        if relative is None:
            uri = _field(link, "uri") or _field(link, "id")
            self.note_unreviewed(f"{where}: linked template {_expression_text(uri)} is not fetched "
                      "(aiwell works offline); its resources are not reviewed")
            return None
        if not isinstance(relative, str) or not relative:
            self.note_unreviewed(f"{where}: templateLink.relativePath {_expression_text(relative)} is unresolved; "
                      "its resources are not reviewed")
            return None
        shown = Path(os.path.normpath(frame.file.parent / relative))
        path = resolved(shown)
        if path is None:
            self.note_unreviewed(f"{where}: linked template {relative!r} can't name a file (a link loop or a "
                                 "character no file name can hold); its resources are not reviewed")
            return None
        if self.root is not None and not within(path, self.root):
            self.note_unreviewed(f"{where}: linked template {relative} is outside the reviewed directory; not reviewed")
            return None
        if not path.is_file():
            self.note_unreviewed(f"{where}: linked template {relative} does not exist; its resources are not reviewed")
            return None
        document = self._load_linked(path, shown, relative, line)
        if not is_template(document.value):
            raise TemplateError(f"linked template {relative} is not an ARM template", line=line)
        self.linked_files.add(path)
        scope = self._inner_scope(document.value, properties, frame, body, address, target, instance)
        child = _Frame(document, shown, scope, target, frame.depth + 1, "", f"{instance}.")
        try:
            self.expand(document.value, child)
        except _LinkedTemplateError:
            raise
        except InputError as exc:
            where_inner = f" line {exc.line}" if exc.line is not None else ""
            message = f"in linked template {relative}{where_inner}: {exc.message}"
            raise _LinkedTemplateError(message, line=line, hint=exc.hint) from exc
        return document.value, scope

    def _load_linked(self, path: Path, shown: Path, relative: str, line: int | None) -> JsonDocument:
        """Read a linked template once per expansion (a copy loop may deploy it many times)."""
        cached = self._linked_documents.get(path)
        if cached is not None:
            return cached
        try:
            document = load_json(shown)
        except InputError as exc:
            where_inner = f" line {exc.line}" if exc.line is not None else ""
            raise TemplateError(f"linked template {relative}{where_inner}: {exc.message}", line=line) from exc
        self._linked_documents[path] = document
        return document


class _NestedName(Struct, frozen=True):
    """How `reference()` may name a nested deployment: its id, its name and (languageVersion 2.0) its symbol."""

    resource_id: str | Unresolved
    name: str | Unresolved
    symbol: str | None
    instance: str


def _is_copy_of(address: str, base: str) -> bool:
    """Whether `address` is `base` itself or one of its copies (`base[3]`), not a resource nested in it."""
    if address == base:
        return True
    rest = address[len(base):] if address.startswith(base) else ""
    return len(rest) > 2 and rest[0] == "[" and rest[-1] == "]" and rest[1:-1].isdigit()


def _outputs(declared: dict[str, Any], scope: EvalScope) -> dict[str, Any]:
    """The values of a template's outputs, evaluated in the scope of its deployment.

    An output whose condition is false is absent; one that can't be evaluated (it reads what only the deployment
    knows, or fails) is `Unresolved`: an output is only read by `reference()`, never reviewed itself.
    """
    values: dict[str, Any] = {}
    for name, definition in declared.items():
        if not isinstance(definition, dict):
            continue
        text = f"outputs('{name}')"
        try:
            condition = _field(definition, "condition")
            if condition is not None:
                verdict = evaluate_value(condition, scope)
                if verdict is False:
                    continue
                if verdict is not True:
                    values[name] = Unresolved(text, f"the output's condition is unresolved: {_reason(verdict)}")
                    continue
            copy = _field(definition, "copy")
            if isinstance(copy, dict):
                values[name] = copy_loop(copy.get("count"), copy.get("input"), scope, f"output '{name}'")
            else:
                values[name] = evaluate_value(_field(definition, "value"), scope)
        except TemplateError as exc:
            values[name] = Unresolved(text, f"the output can't be evaluated: {exc.message}")
    return values


def _reason(value: Any) -> str:
    return value.reason if isinstance(value, Unresolved) else f"{value!r} is not a bool"


def _resolve_symbolic_dependencies(resources: list[Resource],
                                   symbols: dict[str, list[str | Unresolved]]) -> None:
    """Replace symbolic names in `dependsOn` (languageVersion 2.0) by the ids of the resources they name."""
    for resource in resources:
        if not any(isinstance(d, str) and d.lower() in symbols for d in resource.depends_on):
            continue
        resolved: list[str | Unresolved] = []
        for dependency in resource.depends_on:
            if isinstance(dependency, str) and dependency.lower() in symbols:
                resolved.extend(symbols[dependency.lower()])
            else:
                resolved.append(dependency)
        resource.depends_on = tuple(resolved)


def _shared_values(first: Any, second: Any, reason: str) -> Any:
    """`first` where it equals `second`, `Unresolved` where they differ (recursing into objects, arrays)."""
    if isinstance(first, dict) and isinstance(second, dict) and first.keys() == second.keys():
        return {key: _shared_values(first[key], second[key], reason) for key in first}
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [_shared_values(a, b, reason) for a, b in zip(first, second, strict=True)]
    if first == second and type(first) is type(second):
        return first
    return Unresolved("copyIndex()", reason)


def _split_inline_template(body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Take `properties.template` out of a deployment resource: it is expanded in its own scope, not here."""
    properties_key = next((k for k in body if isinstance(k, str) and k.lower() == "properties"), None)
    if properties_key is None or not isinstance(body[properties_key], dict):
        return body, None
    properties = body[properties_key]
    template_key = next((k for k in properties if isinstance(k, str) and k.lower() == "template"), None)
    if template_key is None:
        return body, None
    stripped = dict(body)
    stripped[properties_key] = {k: v for k, v in properties.items() if k != template_key}
    return stripped, properties[template_key]


def _template_resources(template: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str, Any, bool]]:
    """A template's resources: each one's address (under `prefix`), its own name in the template (`resources[i]`,
    or in languageVersion 2.0 the symbol), its declaration, and whether that name is a symbol."""
    resources = _field(template, "resources")
    if isinstance(resources, list):
        for index, raw in enumerate(resources):
            local = f"resources[{index}]"
            yield f"{prefix}.{local}" if prefix else local, local, raw, False
    elif isinstance(resources, dict):
        for symbol, raw in resources.items():
            yield f"{prefix}.resources.{symbol}" if prefix else str(symbol), str(symbol), raw, True
    elif resources is not None:
        raise TemplateError("'resources' must be an array or an object")


def _with_configured(template: Mapping[str, Any], supplied: Mapping[str, Any],
                     context: DeploymentContext) -> Mapping[str, Any]:
    """The supplied values plus the configured ones (`DeploymentContext.parameter_values`) for the declared
    parameters that have neither a supplied value nor a default."""
    if not context.parameter_values:
        return supplied
    declared = template.get("parameters")
    given = {name.lower() for name in supplied}
    configured = {name.lower(): value for name, value in context.parameter_values.items()}
    filled = dict(supplied)
    for name, definition in (declared.items() if isinstance(declared, dict) else ()):
        if name.lower() in given or (isinstance(definition, dict) and "defaultValue" in definition):
            continue
        if name.lower() in configured:
            filled[name] = configured[name.lower()]
    return filled


def expand_template(document: JsonDocument, *, parameters: Mapping[str, Any] | None = None,
                    parameters_source: str | None = None, context: DeploymentContext | None = None,
                    root: Path | None = None, instance: str = "", input_label: str = "") -> TemplateExpansion:
    """Expand one deployment of the template in `document` into resources.

    `parameters` are the values of a parameter file (`ParameterFile.values`), matched case-insensitively;
    `parameters_source` names that file in messages. `root` is the directory tree under review: a linked
    template (`templateLink.relativePath`) is only read inside it. `instance` prefixes the instance names that
    unresolved ids carry (`ai[0].` for a Bicep module instance: `ai[0].account.id`), so that the resources of two
    deployments of one template keep distinct ids. `input_label` is what each resource's `Source.input` says (the
    `InputRecord.input` of the deployment). Raises `TemplateError` (with the line of the resource involved
    when known) when the template can't be expanded.
    """
    template = document.value
    if not is_template(template):
        raise TemplateError("not an ARM deployment template")
    context = context or DeploymentContext()
    target = _target_for_schema(template, context)
    # The template's `$schema` says where it deploys: resourceId(), resourceGroup() and deployment() follow it.
    context = replace(context, deployment_scope=target.kind)
    expander = _Expander(root=root, context=context, top_file=Path(document.path), input_label=input_label)
    try:
        scope = expander.new_scope(template, _with_configured(template, parameters or {}, context), context,
                                   parameters_source, None)
        frame = _Frame(document, Path(document.path), scope, target, 0, "", instance)
        expander.expand(template, frame)
    except RecursionError as exc:
        raise TemplateError("template nested too deeply to evaluate") from exc
    except MemoryError as exc:
        raise TemplateError("template too large to evaluate (out of memory)") from exc
    declared = _field(template, "outputs")
    return TemplateExpansion(expander.resources, expander.all_notes(), expander.linked_files, expander.unreviewed,
                             lambda: _outputs(declared if isinstance(declared, dict) else {}, scope))


__all__ = ["MAX_COPY_COUNT", "MAX_DEPLOYMENT_DEPTH", "TemplateExpansion", "expand_template", "is_template",
           "resource_id"]
