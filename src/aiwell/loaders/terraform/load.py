"""The Terraform HCL entry point: a root module directory → ARM-shaped resources and one record per file.

Variable values come, lowest precedence first, from declared defaults, `terraform.tfvars`,
`terraform.tfvars.json`, `*.auto.tfvars` and `*.auto.tfvars.json` (lexical order), the `var_files` given, then
the `variables` given (`-var name=value`), as Terraform orders them. `TF_VAR_*` environment variables are not
read: a review must not change with the shell it runs in. When one is set for a declared root variable that no
file or option sets, Terraform would have used it, so a note says it was ignored.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from aiwell.errors import ParseError, UsageError
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.files import read_file_text, within
from aiwell.loaders.terraform.azapi import PATCH_MARKER, merge_updates
from aiwell.loaders.terraform.expressions import (
    Budget,
    BudgetExceeded,
    EvalError,
    Scope,
    decode_json,
    evaluate,
    no_references,
)
from aiwell.loaders.terraform.hcl import Call, parse_expression, parse_hcl
from aiwell.loaders.terraform.mapping import to_arm
from aiwell.loaders.terraform.module import (
    EvaluatedResource,
    LoadState,
    ModuleEvaluator,
    ModuleFiles,
    evaluate_tfvars,
    instance_id,
    read_module_files,
)
from aiwell.model import InputRecord, InputStatus, Resource, Source, SourceFormat, Unresolved

FORMAT = "terraform"

class TerraformLoad(Struct):
    """What one root module gave: resources, one input record per `.tf` or `.tf.json` file (and per module call
    not analysed), and notes (unsupported functions, unresolved loops, types not mapped)."""

    resources: list[Resource] = field(default_factory=list)
    inputs: list[InputRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    module_dirs: list[Path] = field(default_factory=list)
    """The local module directories the root module called (resolved), so discovery reviews them only there."""
    unreviewed: list[str] = field(default_factory=list)
    """Parts of the configuration whose resources are not reviewed (registry modules not on disk, azapi resources
    of an unresolved type)."""


class RootEvaluation(Struct):
    """A root module evaluated, before mapping: every resource and data source instance, and what went wrong."""

    resources: list[EvaluatedResource]
    files: ModuleFiles
    state: LoadState
    inputs: list[InputRecord]
    """Records for variable files that could not be read and for an evaluation the work budget stopped (the `.tf`
    files' records are made after mapping)."""


def evaluate_root(module_dir: Path, *, var_files: Sequence[Path] = (), variables: Mapping[str, str] | None = None,
                  context: DeploymentContext | None = None, root: Path | None = None,
                  budget: Budget | None = None) -> RootEvaluation:
    """Evaluate the root module in `module_dir` (and the local modules it calls), without mapping to ARM.

    Same options as `load_terraform`; `budget` is the work budget (a fresh one by default).
    """
    files = read_module_files(module_dir, root)
    state = LoadState(context=context or DeploymentContext(), root_module_dir=module_dir, allowed_root=root,
                      budget=budget or Budget(), parsed={module_dir.resolve(): files})
    records: list[InputRecord] = []
    try:
        inputs = _variable_values(files, module_dir, var_files, variables or {}, state.budget, records, root)
        ModuleEvaluator(files, state=state, inputs=inputs).evaluate_all()
    except BudgetExceeded as error:
        # What was not evaluated is not reviewed: the root is not analysed (the resources evaluated so far are
        # still reviewed, and the record says where it stopped).
        where = state.resources[-1].address if state.resources else "the first resource"
        records.append(InputRecord(str(module_dir), FORMAT, InputStatus.NOT_ANALYSED,
                                   reason=f"{error}: the configuration is too costly to evaluate; resources after "
                                          f"{where} are not reviewed"))
    return RootEvaluation(state.resources, files, state, records)


def load_terraform(module_dir: Path, *, var_files: Sequence[Path] = (), variables: Mapping[str, str] | None = None,
                   context: DeploymentContext | None = None, root: Path | None = None) -> TerraformLoad:
    """Evaluate the Terraform root module in `module_dir` and map its resources to ARM.

    `var_files` are `-var-file` options and `variables` `-var name=value` options, in Terraform's precedence.
    `root` is the reviewed tree: `file()`, `templatefile()` and local modules outside it are not read.
    A `.tf` file that can't be parsed is recorded as not analysed and the module is evaluated without it.
    Raises `UsageError` when a file in `var_files` can't be read or parsed.
    """
    context = context or DeploymentContext()
    evaluation = evaluate_root(module_dir, var_files=var_files, variables=variables, context=context, root=root)
    unreviewed: list[str] = []
    resources = _map_resources(evaluation.resources, context, evaluation.state.budget, unreviewed)
    records = _records(evaluation.files, evaluation.state, resources) + evaluation.inputs
    own = module_dir.resolve()
    called = [path for path in evaluation.state.parsed if path != own]
    # The local modules read with the root (even those called with no instance) are part of this input.
    module_files = tuple(sorted({hcl_file.path for directory in called
                                 for hcl_file in evaluation.state.parsed[directory].files}))
    first = next((index for index, record in enumerate(records)
                  if record.status is InputStatus.ANALYSED and record.address is None), None)
    if first is not None and module_files:
        records[first] = replace(records[first], files=module_files)
    unreviewed.extend(f"{skipped.address} (source {skipped.source}): {skipped.reason}"
                      for skipped in evaluation.state.skipped_modules)
    unreviewed.extend(f"{rejected.address}: {rejected.reason}" for rejected in evaluation.state.rejected)
    unreviewed.extend(record.reason for record in evaluation.inputs if record.status is InputStatus.NOT_ANALYSED)
    return TerraformLoad(resources, records, list(evaluation.state.budget.notes), called, unreviewed)


# --- variables ------------------------------------------------------------------------------------------------


def _variable_values(files: ModuleFiles, module_dir: Path, var_files: Sequence[Path], options: Mapping[str, str],
                     budget: Budget, records: list[InputRecord], root: Path | None) -> dict[str, Any]:
    automatic = [module_dir / "terraform.tfvars", module_dir / "terraform.tfvars.json"]
    automatic += sorted(module_dir.glob("*.auto.tfvars")) + sorted(module_dir.glob("*.auto.tfvars.json"))
    values: dict[str, Any] = {}
    for path in automatic:
        if path.is_dir() or not (path.exists() or path.is_symlink()):
            continue
        try:
            if root is not None and not within(path, root):
                raise ParseError("not read: it lies outside the reviewed tree (a link elsewhere)")
            values.update(_read_var_file(path, budget))
        except ParseError as error:
            records.append(InputRecord(str(path), FORMAT, InputStatus.NOT_ANALYSED,
                                       reason=error.message, line=error.line))
    for path in var_files:
        try:
            values.update(_read_var_file(path, budget))
        except ParseError as error:
            where = f"{path}:{error.line}" if error.line else str(path)
            raise UsageError(f"can't read the variable file {where}: {error.message}",
                             hint="pass a .tfvars or .tfvars.json file") from None
    declared_types = _declared_types(files)
    for name, text in options.items():
        values[name] = _option_value(name, text, declared_types.get(name), budget)
    undeclared = sorted(set(values) - set(declared_types))
    if undeclared:
        budget.note(f"values given for undeclared variables are ignored: {', '.join(undeclared)}")
    ignored = sorted(f"TF_VAR_{name}" for name in declared_types
                     if name not in values and f"TF_VAR_{name}" in os.environ)
    if ignored:
        budget.note(f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} set in the environment but not "
                    "read: TF_VAR_* environment variables are ignored so that the review does not depend on the "
                    "shell; pass the value with --var or --var-file")
    return values


def _read_var_file(path: Path, budget: Budget) -> dict[str, Any]:
    text = read_file_text(path)
    if path.name.endswith(".json"):
        try:
            document = decode_json(text)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"not valid JSON: {error}", line=getattr(error, "lineno", None)) from None
        if not isinstance(document, dict):
            raise ParseError("a .tfvars.json file must hold a JSON object")
        return document
    return evaluate_tfvars(parse_hcl(text, str(path)), budget, path.parent)


def _declared_types(files: ModuleFiles) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for hcl_file in files.files:
        for block in hcl_file.body.blocks:
            if block.type == "variable" and len(block.labels) == 1:
                attribute = block.body.attributes.get("type")
                types[block.labels[0]] = attribute.expr if attribute is not None else None
    return types


def _option_value(name: str, text: str, type_node: Any, budget: Budget) -> Any:
    """A `-var` value: raw text for a primitive (or untyped) variable, converted later by its type; an HCL
    expression for a collection or object type, as Terraform reads it."""
    if not isinstance(type_node, Call):
        return text
    try:
        node = parse_expression(text)
        return evaluate(node, Scope(no_references, budget, Path("."), Path("."), None))
    except (ParseError, EvalError) as error:
        reason = error.message if isinstance(error, ParseError) else error.reason
        return Unresolved(f"var.{name}", f"the -var value is not a valid expression: {reason}")


# --- mapping --------------------------------------------------------------------------------------------------


def _map_resources(evaluated: list[EvaluatedResource], context: DeploymentContext, budget: Budget,
                   unreviewed: list[str]) -> list[Resource]:
    """Map managed resources to ARM bodies, fold patches (azapi_update_resource, ..._network_rules) into their
    targets, and build the resources with the source of the block each body came from."""
    bodies: list[dict[str, Any]] = []
    sources: dict[int, Source] = {}
    unmapped: Counter[str] = Counter()
    for item in evaluated:
        if item.mode != "managed":
            continue
        mapped = to_arm(item.tf_type, item.attributes, context=context)
        if mapped is None:
            unmapped[item.tf_type] += 1
            continue
        if not mapped:
            message = (f"{item.address}: its type is unresolved ({_reason(item.attributes.get('type'))}); "
                       "it is not reviewed")
            budget.note(message)
            unreviewed.append(message)
            continue
        if not mapped[0].get(PATCH_MARKER):
            mapped[0]["id"] = instance_id(item.address, mapped[0].get("id"))
        source = Source(SourceFormat.TERRAFORM, item.file, item.line, item.end_line, address=item.address)
        for body in mapped:
            sources[id(body)] = source
            bodies.append(body)
    merged, notes = merge_updates(bodies)
    for note in notes:
        budget.note(note)
    if unmapped:
        counts = ", ".join(f"{name} ({count})" for name, count in sorted(unmapped.items()))
        budget.note(f"resources of types not mapped to ARM are skipped: {counts}")
    return [Resource.from_arm(body, sources[id(body)], resource_id=body.get("id")) for body in merged]


def _reason(value: Any) -> str:
    return value.reason if isinstance(value, Unresolved) else f"{value!r} is not a resource type"


def _records(files: ModuleFiles, state: LoadState, resources: list[Resource]) -> list[InputRecord]:
    """One record per root `.tf` or `.tf.json` file; module calls not analysed get their own record at the call's
    line."""
    per_file: Counter[str] = Counter()
    module_files: dict[str, str] = {}
    for hcl_file in files.files:
        for block in hcl_file.body.blocks:
            if block.type == "module" and len(block.labels) == 1:
                module_files[f"module.{block.labels[0]}"] = hcl_file.path
    for resource in resources:
        address = resource.source.address
        if address.startswith("module."):
            call = address.split(".", 2)[:2]
            owner = module_files.get(".".join(call).split("[", 1)[0])
            if owner is not None:
                per_file[owner] += 1
        else:
            per_file[resource.source.file] += 1
    records: list[InputRecord] = []
    paths = sorted({f.path for f in files.files} | set(files.failures))
    for path in paths:
        failure = files.failures.get(path)
        if failure is not None:
            records.append(InputRecord(path, FORMAT, InputStatus.NOT_ANALYSED, reason=failure.message,
                                       line=failure.line))
        else:
            records.append(InputRecord(path, FORMAT, InputStatus.ANALYSED, resources=per_file[path]))
    for skipped in state.skipped_modules:
        records.append(InputRecord(skipped.file, FORMAT, InputStatus.NOT_ANALYSED,
                                   reason=f"{skipped.address} (source {skipped.source}): {skipped.reason}",
                                   line=skipped.line, address=skipped.address))
    for rejected in state.rejected:
        records.append(InputRecord(rejected.file, FORMAT, InputStatus.NOT_ANALYSED,
                                   reason=f"{rejected.address}: {rejected.reason}", line=rejected.line,
                                   address=rejected.address))
    return records


__all__ = ["RootEvaluation", "TerraformLoad", "evaluate_root", "load_terraform"]
