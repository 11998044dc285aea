"""The Bicep loader's entry point: a `.bicep` file (with an optional parameter file) → resources.

`load_bicep` reads and parses the file, reads the parameter file (`.bicepparam` or JSON), evaluates the
deployment (`aiwell.loaders.bicep.evaluate`) and returns the resources, notes and the module files read.
`bicepparam_target` tells discovery which Bicep file a `.bicepparam` file is for; a `.bicepparam` file for a
registry module or template spec (`using 'br/public:...'`) is deployed by `load_registry_deployment`, from the
local module cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from aiwell.errors import InputError, TemplateError
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.arm.template import expand_template, is_template
from aiwell.loaders.bicep import syntax as s
from aiwell.loaders.bicep.evaluate import evaluate_bicep
from aiwell.loaders.bicep.params import read_parameters, using_reference, using_target
from aiwell.loaders.bicep.registry import cached_template, locate, module_cache
from aiwell.loaders.jsonc import load_json, read_text
from aiwell.model import InputRecord, InputStatus, Resource, SourceFormat


class BicepLoad(Struct):
    """What one deployment of a Bicep file yields."""

    resources: list[Resource]
    """`Source(SourceFormat.BICEP, file, line, end_line, address)`: the address is the symbolic name, `[i]` for a
    loop's instances, `parent::child` for a nested child, `m.<address>` for a resource of module `m`."""
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    """The module files (and files read by imports and `load*Content`) read, resolved."""
    unreviewed: list[str] = field(default_factory=list)
    """Parts of the deployment whose resources are not reviewed: registry modules not in the local module cache,
    local modules that could not be read, templates that are unresolved. Discovery marks every resource of the
    input partial (`Source.partial`) when there is any."""
    not_analysed: list[InputRecord] = field(default_factory=list)
    """One not-analysed record per local module that could not be read (missing, outside the reviewed tree):
    Bicep refuses to build such a file, so the input is reported as not analysed there (AIW000), with the
    module's address and the line of the `module` statement in the file."""


def _parse(path: Path) -> s.Program:
    from aiwell.loaders.bicep.parser import parse_bicep

    return parse_bicep(read_text(path), path=str(path))


def load_bicep(path: Path, *, parameter_file: Path | None = None, context: DeploymentContext | None = None,
               root: Path | None = None) -> BicepLoad:
    """Evaluate one deployment of the Bicep file `path`, with the values of `parameter_file` if given.

    `root` is the tree under review: modules, imports and loaded files are read only inside it. Raises
    `InputError` (`ParseError` for a file that is not valid Bicep, `TemplateError` for one that can't be
    evaluated) with the line in `path`; a problem in the parameter file names that file.
    """
    program = _parse(path)
    parameters: dict[str, Any] = {}
    notes: list[str] = []
    if parameter_file is not None:
        try:
            read = read_parameters(parameter_file, context=context, root=root)
        except InputError as exc:
            at = f" line {exc.line}" if exc.line is not None else ""
            raise TemplateError(f"parameter file {parameter_file}{at}: {exc.message}", hint=exc.hint) from exc
        parameters = read.values
        notes.extend(read.notes)
    evaluation = evaluate_bicep(program, path, parameters=parameters, context=context, root=root)
    notes.extend(n for n in evaluation.notes if n not in notes)
    shown = str(parameter_file) if parameter_file is not None else None
    not_analysed = [InputRecord(str(path), SourceFormat.BICEP.value, InputStatus.NOT_ANALYSED, reason=module.reason,
                                line=module.line, parameters=shown, address=module.address)
                    for module in evaluation.not_read]
    return BicepLoad(evaluation.resources, notes, evaluation.files, evaluation.unreviewed, not_analysed)


def bicepparam_registry_reference(path: Path) -> str | None:
    """The registry module or template spec (`br:`, `ts:`) a `.bicepparam` file `using`s, or None. Raises
    `InputError` when the file can't be parsed."""
    return using_reference(_parse(path))


def load_registry_deployment(parameter_file: Path, *, context: DeploymentContext | None = None,
                             root: Path | None = None) -> BicepLoad:
    """One deployment of the registry module or template spec a `.bicepparam` file `using`s, with the file's values:
    its compiled template read from the local module cache `bicep restore` fills, expanded as an ARM template.

    Raises `TemplateError` when the template is not in the cache (nothing of the deployment can be reviewed) or
    can't be read, and `InputError` for a parameter file that can't be read.
    """
    program = _parse(parameter_file)
    reference = using_reference(program)
    if reference is None:
        raise TemplateError("the parameter file's `using` names no registry module or template spec", line=1)
    located = locate(reference, module_cache(parameter_file, root=root))
    if located.path is None:
        raise TemplateError(f"parameter file not analysed: its template {reference} can't be looked up in the local "
                            f"module cache ({located.reason})")
    if not located.path.is_file():
        raise TemplateError(f"parameter file not analysed: its template {reference} is not in the local module "
                            f"cache ({located.path})", hint="run `bicep restore` on the parameter file to have it "
                                                            "reviewed")
    read = read_parameters(parameter_file, context=context, root=root)
    document = load_json(located.path)
    template = cached_template(document.value)
    if not is_template(template):
        raise TemplateError(f"parameter file not analysed: the cached template of {reference} ({located.path}) is "
                            "not an ARM template")
    expansion = expand_template(replace(document, value=template), parameters=read.values,
                                parameters_source=str(parameter_file), context=context, root=root)
    notes = [*read.notes, *(n for n in expansion.notes if n not in read.notes)]
    return BicepLoad(expansion.resources, notes, [located.path.resolve()], expansion.unreviewed)


def bicepparam_target(path: Path, *, root: Path | None = None) -> Path | None:
    """The `.bicep` file a `.bicepparam` file `using`s, relative to it (the file need not exist).

    None for `using none` and for a registry or template-spec reference. Raises `InputError` when the file
    can't be parsed, has no `using` statement, or names a file outside `root` (the reviewed tree).
    """
    return using_target(path, _parse(path), root=root)


__all__ = ["BicepLoad", "bicepparam_registry_reference", "bicepparam_target", "load_bicep",
           "load_registry_deployment"]
