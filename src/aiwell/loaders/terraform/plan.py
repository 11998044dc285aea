"""Terraform plan JSON (`terraform show -json plan.out`) → resources: the highest-fidelity Terraform input.

A plan has what HCL alone can't give: every variable, module, `count` and `for_each` already resolved by Terraform
itself, and the provider's defaults filled in. What it reads:

- `planned_values.root_module`, with `child_modules` recursively (flattened), for each resource instance's
  values; `mode: data` resources are not deployed and not reviewed (their values still resolve references).
  A plan without `planned_values` falls back to `resource_changes[].change.after`. Resources the plan deletes
  are not reviewed.
- `resource_changes[].change.after_unknown` marks the values known only after apply; each becomes
  `Unresolved("<address>.<attribute>", "known after apply")`.
- The `id` of a resource still to be created is unknown: it is computed with the azurerm mapping from name and
  resource group, so graph links (private endpoint → account, diagnostic setting → target) hold. The
  subscription is the plan's own when every known id (and `data.azurerm_client_config`) agrees on one, else the
  placeholder.
- An unknown value that the configuration wrote as a reference to another resource's attribute
  (`configuration.root_module.resources[].expressions.<attr>.references`, module calls followed) takes that
  attribute's value from the plan, the computed id included: `private_connection_resource_id =
  azurerm_cognitive_account.oai.id` then names the account even though the account is new.

Known limit: the configuration does not say whether an expression is the reference alone or a string built
around it (`"${azurerm_x.y.id}/suffix"`); a reference is only taken when the expression names exactly one
resource attribute and nothing else, which a suffix-built string with one reference still satisfies.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from aiwell.errors import TemplateError
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.jsonc import JsonDocument
from aiwell.loaders.terraform import azapi
from aiwell.loaders.terraform.mapping import arm_id, to_arm
from aiwell.model import MISSING, Resource, Source, SourceFormat, Unresolved, lookup

KNOWN_AFTER_APPLY = "known after apply"
"""The reason given for values the plan marks unknown."""

_REFERENCE = re.compile(r"^(?P<resource>(?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)(?P<index>\[[^\]]*\])?"
                        r"(?:\.(?P<attribute>.+))?$")
_NOT_RESOURCES = frozenset({"var", "local", "module", "each", "count", "path", "self", "terraform"})
_MODULE_NAME = re.compile(r"module\.([^.\[]+)")
_MAX_ROUNDS = 5
_SUBSCRIPTION = re.compile(r"^/subscriptions/([0-9a-fA-F-]{36})(?:/|$)")
_GUID = re.compile(r"^([0-9a-fA-F-]{36})$")


class PlanLoad(Struct, frozen=True):
    """What a plan yields: its resources, and notes on what was left out or could not be linked."""

    resources: list[Resource]
    notes: tuple[str, ...]


class _Instance(Struct):
    address: str
    module: str
    """The module instance the resource sits in (`module.a[0].module.b`), empty for the root module."""
    mode: str
    type: str
    name: str
    values: dict[str, Any]
    raw: dict[str, Any]
    """The resource object in the document (for its line)."""
    expressions: dict[str, Any] = field(default_factory=dict)


def looks_like_plan(value: Any) -> bool:
    """Whether a decoded JSON document is `terraform show -json` output for a plan: a `format_version` and
    `planned_values` or `resource_changes`."""
    return (isinstance(value, dict) and "format_version" in value
            and ("planned_values" in value or "resource_changes" in value))


def load_plan(document: JsonDocument, *, context: DeploymentContext | None = None) -> PlanLoad:
    """Read a plan JSON document into resources (`Source(SourceFormat.TERRAFORM_PLAN, file, line, address)`).

    Raises `TemplateError` when the document is not a plan.
    """
    plan = document.value
    if not looks_like_plan(plan):
        raise TemplateError(
            "not a Terraform plan: expected terraform show -json output (format_version, planned_values)",
            hint="Write it with: terraform plan -out plan.out && terraform show -json plan.out > plan.json")
    instances = _instances(plan)
    if context is None:
        subscription = _plan_subscription(instances)
        context = DeploymentContext(subscription_id=subscription) if subscription else DeploymentContext()
    _attach_expressions(instances, plan)
    by_address = {instance.address: instance for instance in instances}
    managed = [instance for instance in instances if instance.mode == "managed"]
    for _ in range(_MAX_ROUNDS):
        _fill_ids(managed, context)
        if not any([_resolve_references(instance, by_address) for instance in managed]):
            break
    _fill_ids(managed, context)

    bodies: list[dict[str, Any]] = []
    sources: dict[int, Source] = {}
    unmapped: dict[str, int] = {}
    for instance in managed:
        mapped = to_arm(instance.type, instance.values, context=context)
        if mapped is None:
            unmapped[instance.type] = unmapped.get(instance.type, 0) + 1
            continue
        line, end_line = _lines(document, instance)
        source = Source(SourceFormat.TERRAFORM_PLAN, document.path, line, end_line, address=instance.address)
        for body in mapped:
            bodies.append(body)
            sources[id(body)] = source
    merged, notes = azapi.merge_updates(bodies)
    resources = []
    for body in merged:
        resources.append(Resource.from_arm(body, sources[id(body)]))
    if unmapped:
        listed = ", ".join(f"{name} ({count})" for name, count in sorted(unmapped.items()))
        notes.append(f"resource types aiwell does not map to ARM were not reviewed: {listed}")
    return PlanLoad(resources=resources, notes=tuple(notes))


def _plan_subscription(instances: list[_Instance]) -> str | None:
    """The one subscription every known id in the plan is in (the plan's own), so that computed ids for new
    resources match the real ids of existing ones; None when there is none or more than one."""
    found: set[str] = set()
    for instance in instances:
        for value in (instance.values.get("id"), instance.values.get("subscription_id")
                      if instance.type == "azurerm_client_config" else None):
            if isinstance(value, str):
                match = _SUBSCRIPTION.match(value) if value.startswith("/") else _GUID.match(value)
                if match:
                    found.add(match.group(1).lower())
    return found.pop() if len(found) == 1 else None


def _lines(document: JsonDocument, instance: _Instance) -> tuple[int | None, int | None]:
    """The lines of the resource in `planned_values`: tracked by the JSON reader at the root module; for child
    modules, the object around the first `"address": "<address>"` in the text (planned values come first in
    Terraform's output)."""
    span = document.span_of(instance.raw)
    if span is not None:
        return span
    match = re.search(r'"address"\s*:\s*' + re.escape(json.dumps(instance.address)), document.text)
    if match is None:
        return None, None
    opening = document.text.rfind("{", 0, match.start())  # the resource object's own brace, as tracked ones
    line = document.text.count("\n", 0, max(opening, 0)) + 1
    return line, None


# --- reading the plan -----------------------------------------------------------------------------------------


def _walk_module(module: Any, module_address: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(module, dict):
        return
    for resource in module.get("resources") or []:
        if isinstance(resource, dict):
            yield module_address, resource
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            yield from _walk_module(child, str(child.get("address") or module_address))


def _instances(plan: dict[str, Any]) -> list[_Instance]:
    changes = {change["address"]: change for change in plan.get("resource_changes") or []
               if isinstance(change, dict) and isinstance(change.get("address"), str)}
    instances: list[_Instance] = []
    seen: set[str] = set()
    planned = plan.get("planned_values")
    if isinstance(planned, dict):
        for module_address, resource in _walk_module(planned.get("root_module"), ""):
            instance = _instance(module_address, resource, resource.get("values"), changes)
            if instance is not None:
                instances.append(instance)
                seen.add(instance.address)
    else:
        for change in changes.values():
            body = change.get("change")
            if not isinstance(body, dict) or body.get("actions") == ["delete"]:
                continue
            instance = _instance(str(change.get("module_address") or ""), change, body.get("after"), changes)
            if instance is not None:
                instances.append(instance)
                seen.add(instance.address)
    # Data sources read earlier are in the prior state; they resolve references and are never reviewed.
    prior = plan.get("prior_state")
    prior_values = prior.get("values") if isinstance(prior, dict) else None
    if isinstance(prior_values, dict):
        for module_address, resource in _walk_module(prior_values.get("root_module"), ""):
            if resource.get("mode") == "data" and resource.get("address") not in seen:
                instance = _instance(module_address, resource, resource.get("values"), {})
                if instance is not None:
                    instances.append(instance)
    return instances


def _instance(module_address: str, resource: dict[str, Any], values: Any,
              changes: dict[str, Any]) -> _Instance | None:
    address, resource_type = resource.get("address"), resource.get("type")
    if not isinstance(address, str) or not isinstance(resource_type, str):
        return None
    change = changes.get(address, {}).get("change")
    unknown = change.get("after_unknown") if isinstance(change, dict) else None
    marked = _mark_unknown(copy.deepcopy(values) if isinstance(values, dict) else {}, unknown, address)
    return _Instance(address=address, module=module_address, mode=str(resource.get("mode") or "managed"),
                     type=resource_type, name=str(resource.get("name") or ""),
                     values=marked if isinstance(marked, dict) else {}, raw=resource)


def _mark_unknown(value: Any, unknown: Any, path: str) -> Any:
    """Replace what `after_unknown` marks `true` with `Unresolved(path, "known after apply")`, recursively."""
    if unknown is True:
        return Unresolved(path, KNOWN_AFTER_APPLY)
    if isinstance(unknown, dict):
        result = dict(value) if isinstance(value, dict) else {}
        for key, marker in unknown.items():
            if marker is False:
                continue
            result[key] = _mark_unknown(result.get(key), marker, f"{path}.{key}")
        return result if result or isinstance(value, dict) else value
    if isinstance(unknown, list) and any(marker is not False for marker in unknown):
        items = list(value) if isinstance(value, list) else []
        for index, marker in enumerate(unknown):
            if marker is False:
                continue
            while len(items) <= index:
                items.append({})
            items[index] = _mark_unknown(items[index], marker, f"{path}[{index}]")
        return items
    return value


def _module_calls(module_address: str) -> list[str]:
    """`module.a[0].module.b` → `["a", "b"]`: the path to the module's configuration."""
    return _MODULE_NAME.findall(module_address)


def _configuration_resources(plan: dict[str, Any]) -> dict[tuple[tuple[str, ...], str], dict[str, Any]]:
    """Configuration resources by (module call path, resource address): their `expressions`."""
    found: dict[tuple[tuple[str, ...], str], dict[str, Any]] = {}

    def walk(module: Any, calls: tuple[str, ...]) -> None:
        if not isinstance(module, dict):
            return
        for resource in module.get("resources") or []:
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                expressions = resource.get("expressions")
                found[(calls, resource["address"])] = expressions if isinstance(expressions, dict) else {}
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                walk(call.get("module"), (*calls, str(name)))

    configuration = plan.get("configuration")
    if isinstance(configuration, dict):
        walk(configuration.get("root_module"), ())
    return found


def _attach_expressions(instances: list[_Instance], plan: dict[str, Any]) -> None:
    configured = _configuration_resources(plan)
    for instance in instances:
        prefix = "data." if instance.mode == "data" else ""
        key = (tuple(_module_calls(instance.module)), f"{prefix}{instance.type}.{instance.name}")
        instance.expressions = configured.get(key, {})


# --- ids and references ---------------------------------------------------------------------------------------


def _fill_ids(instances: list[_Instance], context: DeploymentContext) -> None:
    """Give every resource whose `id` is unknown the ARM id the mapping computes (itself maybe `Unresolved`)."""
    for instance in instances:
        current = instance.values.get("id")
        if isinstance(current, str) and current:
            continue
        values = {key: value for key, value in instance.values.items() if key != "id"}
        computed = arm_id(instance.type, values, context=context)
        # A computed id, else the plan's own marker (it says "known after apply"), else why it can't be built.
        instance.values["id"] = computed if isinstance(computed, str) or current is None else current


def _resolve_references(instance: _Instance, by_address: dict[str, _Instance]) -> bool:
    """Replace unknown values written as a reference to another resource's known attribute; whether any was."""
    changed = False

    def visit(value: Any, expression: Any) -> Any:
        nonlocal changed
        if isinstance(value, Unresolved):
            if value.reason != KNOWN_AFTER_APPLY or not isinstance(expression, dict):
                return value
            found = _referenced_value(expression, instance, by_address)
            if found is MISSING or isinstance(found, Unresolved):
                return value
            changed = True
            return found
        if isinstance(value, dict) and isinstance(expression, dict):
            return {key: visit(item, expression.get(key)) for key, item in value.items()}
        if isinstance(value, list) and isinstance(expression, list):
            return [visit(item, expression[index] if index < len(expression) else None)
                    for index, item in enumerate(value)]
        return value

    instance.values = {key: (visit(value, instance.expressions.get(key)) if key != "id" else value)
                       for key, value in instance.values.items()}
    return changed


def _referenced_value(expression: dict[str, Any], instance: _Instance, by_address: dict[str, _Instance]) -> Any:
    references = expression.get("references")
    if not isinstance(references, list) or not references:
        return MISSING
    targets = {ref for ref in references if isinstance(ref, str) and ref.split(".", 1)[0] not in _NOT_RESOURCES}
    if len(targets) != len(references):
        return MISSING  # the expression also uses variables, locals or loop values: not a plain reference
    # Terraform lists a traversal and its shorter forms (`a.b.id`, `a.b`); the longest names the attribute.
    attribute_refs = [ref for ref in targets if (match := _REFERENCE.match(ref)) and match.group("attribute")]
    if len(attribute_refs) != 1:
        return MISSING
    match = _REFERENCE.match(attribute_refs[0])
    assert match is not None
    prefix = f"{instance.module}." if instance.module else ""
    target = by_address.get(f"{prefix}{match.group('resource')}{match.group('index') or ''}")
    if target is None:
        return MISSING
    return lookup(target.values, match.group("attribute"))


__all__ = ["KNOWN_AFTER_APPLY", "PlanLoad", "load_plan", "looks_like_plan"]
