"""Find the inputs under the paths a user names, pair templates with parameter files, and load them all.

Rules, in the order they apply:

- **Walking.** Each path is a file or a directory; directories are walked recursively in sorted order
  (symbolic links to directories are not followed), skipping `.git`, `node_modules`, `.terraform` and `.venv`,
  and taking `*.json` and `*.jsonc`. A file named explicitly is read whatever its suffix.
- **Classifying** by content, never by name: an ARM deployment template, a parameter file, an Azure inventory
  export, or something else. Something else is skipped quietly when found by walking (package.json, settings),
  and reported as not analysed when the user named the file.
- **Unreadable files.** A file that can't be read or parsed (truncated, binary, not UTF-8, too large, nested
  too deeply) is reported as not analysed when the user named it, or when its first megabyte mentions
  `deploymentTemplate`, `deploymentParameters` or `"resources"` (it was meant to be a template). Other broken
  JSON found by walking (editor settings, test data of other tools) is skipped quietly.
- **Pairing.** A parameter file is for the template its `metadata.template` names (relative to it), else the
  template its name points to (`X.parameters.json`, `X.parameters.<env>.json` → `X.json`, `X.jsonc` or
  `X.bicep`, beside it or one folder up; see `aiwell.loaders.arm.parameters`). A file given with `--parameters`
  and neither of those applies to the templates the user named as files, or to the only template found. A file
  whose name names no template is for the one template beside it or one folder up that declares every
  parameter it sets, if exactly one does. A template with parameter files is evaluated once per file (one input
  record each; files given with `--parameters` replace the ones found beside it); a template without one, once
  with its defaults. A parameter file whose template is missing, or that can't be paired, is reported as not
  analysed. Bicep files pair the same way, and with the `.bicepparam` file whose `using` names them.
- **Linked templates.** A template that another template in the run deploys through
  `templateLink.relativePath` is reviewed as part of that deployment (with its parameters), not again on its
  own with defaults, unless the user named it or gave it a parameter file.

One input's failure never stops the run: it becomes an `InputRecord` with status `not_analysed`, the reason
and the line when known.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any

from aiwell.errors import InputError, ParseError, UsageError
from aiwell.loaders.arm.parameters import (
    ParameterFile,
    conventional_parameter_files,
    hinted_template,
    is_parameter_file,
    read_parameter_file,
    template_candidates,
)
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.arm.template import TemplateExpansion, expand_template, is_template
from aiwell.loaders.bicep import (
    bicepparam_registry_reference,
    bicepparam_target,
    load_bicep,
    load_registry_deployment,
    parse_bicep,
)
from aiwell.loaders.bicep.cli_build import BUILD_TIMEOUT_SECONDS, bicep_cli, load_bicep_with_cli
from aiwell.loaders.bicep.syntax import Param as BicepParam
from aiwell.loaders.files import containment_root
from aiwell.loaders.inventory import looks_like_inventory, read_inventory
from aiwell.loaders.jsonc import JsonDocument, parse_text, read_text
from aiwell.loaders.terraform import load_terraform
from aiwell.loaders.terraform.plan import load_plan, looks_like_plan
from aiwell.model import InputRecord, InputStatus, Resource, SourceFormat

SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", ".terraform", ".venv"})
"""Directories never walked into."""

JSON_SUFFIXES = (".json", ".jsonc")
"""JSON files taken when walking a directory: ARM templates, parameter files, inventories, Terraform plans."""

BICEP_SUFFIXES = (".bicep", ".bicepparam")
TERRAFORM_SUFFIX = ".tf"
TERRAFORM_JSON_SUFFIX = ".tf.json"
WALKED_SUFFIXES = (*JSON_SUFFIXES, *BICEP_SUFFIXES, TERRAFORM_SUFFIX)
"""Every file taken when walking a directory."""

_ORPHAN_PARAMETERS = "parameter file not analysed"
_TEMPLATE_MARKERS = (b"deploymenttemplate", b"deploymentparameters", b'"resources"')
_MARKER_BYTES = 1024 * 1024


Progress = Callable[[int, int], None]
"""Told (done, total) as inputs are read and evaluated, for a progress bar."""


@dataclass(slots=True)
class LoadOutcome:
    """Everything the loaders read: the resources, and one record per input (analysed or not)."""

    resources: list[Resource]
    inputs: list[InputRecord]


class _Kind(Enum):
    TEMPLATE = "template"
    PARAMETERS = "parameters"
    INVENTORY = "inventory"
    PLAN = "plan"
    OTHER = "other"


@dataclass(slots=True)
class _Candidate:
    """A file to look at: the path as shown to the user, whether they named it, the tree it was found in."""

    path: Path
    explicit: bool
    root: Path


@dataclass(slots=True)
class _Template:
    candidate: _Candidate
    document: JsonDocument
    parameter_files: list[ParameterFile] = field(default_factory=list)
    explicit_parameter_files: list[ParameterFile] = field(default_factory=list)


@dataclass(slots=True)
class _Deployment:
    """The outcome of one template + parameter file pair."""

    template: _Template
    record: InputRecord
    resources: list[Resource]
    linked_files: set[Path]


def _walk(path: Path) -> list[Path]:
    """JSON files under a directory, sorted, skipping tool and dependency directories."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(path):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
        found.extend(Path(directory) / name for name in sorted(files)
                     if name.lower().endswith(WALKED_SUFFIXES))
    return found


def _candidates(paths: Sequence[Path]) -> dict[Path, _Candidate]:
    """Every file to look at, keyed by resolved path; a file named explicitly stays explicit."""
    found: dict[Path, _Candidate] = {}
    for given in paths:
        root = containment_root(given)
        if given.is_dir():
            for path in _walk(given):
                found.setdefault(path.resolve(), _Candidate(path, explicit=False, root=root))
        elif given.exists():
            found[given.resolve()] = _Candidate(given, explicit=True, root=root)
        else:
            raise UsageError(f"{given}: no such file or directory")
    return found


def _looks_meant_as_template(path: Path) -> bool:
    """Whether an unreadable file's first megabyte mentions what templates and parameter files contain."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_MARKER_BYTES).lower()
    except OSError:
        return False
    return any(marker in head for marker in _TEMPLATE_MARKERS)


def _classify(value: Any) -> _Kind:
    if is_template(value):
        return _Kind.TEMPLATE
    if is_parameter_file(value):
        return _Kind.PARAMETERS
    if looks_like_plan(value):
        return _Kind.PLAN
    if looks_like_inventory(value):
        return _Kind.INVENTORY
    return _Kind.OTHER


def _not_analysed(path: Path, reason: str, *, line: int | None = None,
                  file_format: str = SourceFormat.ARM.value, parameters: Path | None = None) -> InputRecord:
    return InputRecord(path=str(path), format=file_format, status=InputStatus.NOT_ANALYSED, reason=reason,
                       line=line, parameters=str(parameters) if parameters is not None else None)


def _reason(error: InputError) -> str:
    return f"{error.message} ({error.hint})" if error.hint else error.message


class _Loader:
    """One run of discovery, pairing and loading."""

    def __init__(self, context: DeploymentContext, *, use_bicep_cli: bool = False,
                 subprocess_timeout: float = BUILD_TIMEOUT_SECONDS, progress: Progress | None = None) -> None:
        self.context = context
        self.progress = progress or (lambda _done, _total: None)
        self.done = 0
        self.total = 0
        self.load_bicep = partial(load_bicep_with_cli, timeout=subprocess_timeout) if use_bicep_cli else load_bicep
        self.templates: dict[Path, _Template] = {}
        self.parameter_files: list[tuple[_Candidate, ParameterFile, bool]] = []
        """(candidate, parsed file, given with --parameters)."""
        self.records: list[tuple[Path, InputRecord, list[Resource]]] = []
        """Records of inventories and of files that failed, with the resolved path they sort by."""
        self.bicep_files: dict[Path, _Candidate] = {}
        self.bicep_parameters: dict[Path, list[tuple[Path, bool]]] = {}
        """Bicep file → its parameter files (.bicepparam or JSON), each with whether it came from --parameters."""
        self.bicepparam_files: list[tuple[_Candidate, bool]] = []
        self.registry_bicepparams: list[_Candidate] = []
        """`.bicepparam` files for a registry module or template spec (`using 'br/public:...'`)."""
        self.terraform_dirs: dict[Path, _Candidate] = {}
        """Directories holding `.tf` files, each a Terraform root module unless another one calls it."""

    # --- reading --------------------------------------------------------------------------------------------

    def read(self, resolved: Path, candidate: _Candidate, *, as_parameters: bool = False) -> None:
        """Read, parse and classify one file; keep templates and parameter files, load inventories."""
        path = candidate.path
        suffix = path.suffix.lower()
        if suffix == ".bicep" and not as_parameters:
            self.bicep_files[resolved] = candidate
            return
        if suffix == ".bicepparam":
            self.bicepparam_files.append((candidate, as_parameters))
            return
        if (suffix == TERRAFORM_SUFFIX or path.name.lower().endswith(TERRAFORM_JSON_SUFFIX)) and not as_parameters:
            directory = resolved.parent
            self.terraform_dirs.setdefault(directory, _Candidate(path.parent, candidate.explicit, candidate.root))
            return
        try:
            text = read_text(path)
            value = parse_text(text, str(path), track=()).value
        except ParseError as exc:
            if candidate.explicit or as_parameters or _looks_meant_as_template(path):
                self.records.append((resolved, _not_analysed(path, _reason(exc), line=exc.line), []))
            return
        kind = _classify(value)
        del value
        if as_parameters and kind is not _Kind.PARAMETERS:
            self.fail(resolved, path, "given with --parameters but not an ARM parameter file")
        elif kind is _Kind.TEMPLATE:
            self.templates[resolved] = _Template(candidate, parse_text(text, str(path)))
        elif kind is _Kind.PARAMETERS:
            try:
                parsed = read_parameter_file(parse_text(text, str(path), track=()).value, path)
            except InputError as exc:
                self.fail(resolved, path, _reason(exc), line=exc.line)
                return
            self.parameter_files.append((candidate, parsed, as_parameters))
        elif kind is _Kind.INVENTORY:
            self.load_inventory(resolved, path, text)
        elif kind is _Kind.PLAN:
            self.load_plan(resolved, path, text)
        elif candidate.explicit:
            self.fail(resolved, path, "not an ARM template, ARM parameter file or Azure inventory export",
                      file_format="unknown")

    def advance(self) -> None:
        """One more unit of work (a file read, a deployment evaluated) is done."""
        self.done += 1
        self.progress(self.done, self.total)

    def fail(self, resolved: Path, path: Path, reason: str, *, line: int | None = None,
             file_format: str = SourceFormat.ARM.value, parameters: Path | None = None) -> None:
        """Record an input that could not be analysed."""
        record = _not_analysed(path, reason, line=line, file_format=file_format, parameters=parameters)
        self.records.append((resolved, record, []))

    def load_inventory(self, resolved: Path, path: Path, text: str) -> None:
        """Load an inventory export into resources, or record why it could not be."""
        fmt = SourceFormat.INVENTORY.value
        try:
            export = read_inventory(parse_text(text, str(path), track=("data", "value"), root_items=True))
        except InputError as exc:
            self.fail(resolved, path, _reason(exc), line=exc.line, file_format=fmt)
            return
        except (RecursionError, MemoryError) as exc:
            reason = f"export too large or deep to read ({type(exc).__name__})"
            self.fail(resolved, path, reason, file_format=fmt)
            return
        record = InputRecord(path=str(path), format=fmt, status=InputStatus.ANALYSED,
                             resources=len(export.resources), notes=export.notes)
        self.records.append((resolved, record, export.resources))

    def load_plan(self, resolved: Path, path: Path, text: str) -> None:
        """Load a Terraform plan (`terraform show -json`) into resources, or record why it could not be."""
        fmt = SourceFormat.TERRAFORM_PLAN.value
        try:
            plan = load_plan(parse_text(text, str(path)), context=self.context)
        except InputError as exc:
            self.fail(resolved, path, _reason(exc), line=exc.line, file_format=fmt)
            return
        except (RecursionError, MemoryError) as exc:
            self.fail(resolved, path, f"plan too large or deep to read ({type(exc).__name__})", file_format=fmt)
            return
        record = InputRecord(path=str(path), format=fmt, status=InputStatus.ANALYSED,
                             resources=len(plan.resources), notes=plan.notes)
        self.records.append((resolved, record, plan.resources))

    def template_at(self, path: Path) -> _Template | str | None:
        """The template at `path`: already read, read now (outside the reviewed paths), or why it can't be.

        None means quietly nothing: a Bicep file, which the Bicep loader reviews.
        """
        resolved = path.resolve()
        if resolved in self.templates:
            return self.templates[resolved]
        if path.suffix.lower() == ".bicep":
            return None
        if not path.is_file():
            return f"its template {path} does not exist"
        try:
            text = read_text(path)
            document = parse_text(text, str(path))
        except ParseError as exc:
            return f"its template {path} can't be read: {exc.message}"
        if not is_template(document.value):
            return f"{path} is not an ARM template"
        template = _Template(_Candidate(path, explicit=False, root=resolved.parent), document)
        self.templates[resolved] = template
        return template

    # --- pairing --------------------------------------------------------------------------------------------

    def pair(self, explicit_templates: list[Path]) -> None:
        """Attach every parameter file to its template, or record why it can't be."""
        for candidate, parameter_file, given in self.parameter_files:
            resolved = candidate.path.resolve()
            targets = self.targets_of(parameter_file, given, explicit_templates)
            if isinstance(targets, str):
                self.fail(resolved, candidate.path, f"{_ORPHAN_PARAMETERS}: {targets}")
                continue
            for template in targets:
                listing = template.explicit_parameter_files if given else template.parameter_files
                if all(existing.path.resolve() != resolved for existing in listing):
                    listing.append(parameter_file)

    def targets_of(self, parameter_file: ParameterFile, given: bool,
                   explicit_templates: list[Path]) -> list[_Template] | str:
        """The templates a parameter file is for, or the reason there are none."""
        hinted = hinted_template(parameter_file)
        if hinted is not None and hinted.suffix.lower() == ".bicep":
            self.add_bicep_parameters(hinted, parameter_file.path, given)
            return []
        if hinted is not None:
            found = self.template_at(hinted)
            if isinstance(found, str):
                return f"metadata.template names {parameter_file.template_hint}, but {found}"
            return [found] if found is not None else []
        conventional = template_candidates(parameter_file.path)
        for path in conventional:
            if path.exists():
                found = self.template_at(path)
                return found if isinstance(found, str) else [found] if found is not None else []
        if conventional and conventional[0].with_suffix(".bicep").exists():
            self.add_bicep_parameters(conventional[0].with_suffix(".bicep"), parameter_file.path, given)
            return []
        explicit_bicep = [path for path, candidate in self.bicep_files.items() if candidate.explicit]
        if given and explicit_bicep and not explicit_templates:
            for bicep in explicit_bicep:
                self.add_bicep_parameters(bicep, parameter_file.path, given)
            return []
        if given and explicit_templates:
            return [self.templates[path] for path in explicit_templates]
        if given and len(self.templates) == 1:
            return list(self.templates.values())
        # Only for a file whose name names no template: one named for a missing template (`mc-X.parameters.json`,
        # `other-vault.parameters.json`) is not given to another template on a guess.
        declaring = None if conventional else _only_template_declaring(parameter_file)
        if declaring is not None and declaring.suffix.lower() == ".bicep":
            self.add_bicep_parameters(declaring, parameter_file.path, given)
            return []
        if declaring is not None:
            found = self.template_at(declaring)
            return found if isinstance(found, str) else [found] if found is not None else []
        if conventional:
            return f"its template {conventional[0]} does not exist"
        return ("no template found for it: name it X.parameters.json beside X.json, set metadata.template, "
                "or pass it with --parameters together with its template")

    def add_bicep_parameters(self, bicep: Path, parameter_file: Path, given: bool, root: Path | None = None) -> None:
        """Pair a parameter file with a Bicep file (which is reviewed even if it was not among the paths, within the
        parameter file's tree `root`)."""
        resolved = bicep.resolve()
        if resolved not in self.bicep_files:
            self.bicep_files[resolved] = _Candidate(bicep, explicit=False, root=root or resolved.parent)
        listing = self.bicep_parameters.setdefault(resolved, [])
        if all(existing.resolve() != parameter_file.resolve() for existing, _ in listing):
            listing.append((parameter_file, given))

    def pair_bicepparam(self) -> None:
        """Pair each `.bicepparam` file with the Bicep file its `using` names."""
        explicit_bicep = [path for path, candidate in self.bicep_files.items() if candidate.explicit]
        for candidate, given in self.bicepparam_files:
            path = candidate.path
            try:
                target = bicepparam_target(path, root=candidate.root)
            except InputError as exc:
                self.fail(path.resolve(), path, _reason(exc), line=exc.line, file_format=SourceFormat.BICEP.value)
                continue
            if target is None and bicepparam_registry_reference(path) is not None:
                self.registry_bicepparams.append(candidate)
            elif target is not None and target.is_file():
                self.add_bicep_parameters(target, path, given, candidate.root)
            elif target is not None:
                self.fail(path.resolve(), path, f"parameter file not analysed: its Bicep file {target} does not exist",
                          file_format=SourceFormat.BICEP.value)
            elif given and explicit_bicep:
                for bicep in explicit_bicep:
                    self.add_bicep_parameters(bicep, path, given)
            else:
                self.fail(path.resolve(), path,
                          "parameter file not analysed: it names no Bicep file (`using none`); pass it with "
                          "--parameters together with its Bicep file", file_format=SourceFormat.BICEP.value)

    # --- loading --------------------------------------------------------------------------------------------

    def deploy_bicep(self) -> list[tuple[Path, InputRecord, list[Resource]]]:
        """Evaluate every Bicep file once per parameter file (or with its defaults); drop files that are only
        reviewed as modules of another Bicep file in the run."""
        loaded: list[tuple[Path, InputRecord, list[Resource], bool]] = []
        reads: dict[Path, set[Path]] = {}
        fmt = SourceFormat.BICEP.value
        for resolved, candidate in sorted(self.bicep_files.items()):
            self.advance()
            pairs = self.bicep_parameters.get(resolved, [])
            chosen: list[Path | None] = [path for path, given in pairs if given] or [path for path, _ in pairs]
            for parameter_file in chosen or [None]:
                shown = str(parameter_file) if parameter_file is not None else None
                try:
                    load = self.load_bicep(candidate.path, parameter_file=parameter_file, context=self.context,
                                           root=candidate.root)
                except InputError as exc:
                    record = _not_analysed(candidate.path, _reason(exc), line=exc.line, file_format=fmt,
                                           parameters=parameter_file)
                    loaded.append((resolved, record, [], bool(chosen) or candidate.explicit))
                    continue
                except (RecursionError, MemoryError) as exc:
                    reason = f"Bicep file too large or deep to evaluate ({type(exc).__name__})"
                    record = _not_analysed(candidate.path, reason, file_format=fmt, parameters=parameter_file)
                    loaded.append((resolved, record, [], bool(chosen) or candidate.explicit))
                    continue
                reads.setdefault(resolved, set()).update(path for path in load.files if path != resolved)
                record = InputRecord(path=str(candidate.path), format=fmt, status=InputStatus.ANALYSED,
                                     resources=len(load.resources), parameters=shown, notes=tuple(load.notes),
                                     files=tuple(str(path) for path in load.files if path != resolved))
                resources = _mark_partial(load.resources, load.unreviewed)
                loaded.append((resolved, record, resources, bool(chosen) or candidate.explicit))
                # Local modules that could not be read: Bicep would refuse the file, so those parts are not analysed.
                loaded.extend((resolved, part, [], bool(chosen) or candidate.explicit) for part in load.not_analysed)
        for candidate in self.registry_bicepparams:
            self.advance()
            resolved = candidate.path.resolve()
            try:
                load = load_registry_deployment(candidate.path, context=self.context, root=candidate.root)
            except InputError as exc:
                loaded.append((resolved, _not_analysed(candidate.path, _reason(exc), line=exc.line, file_format=fmt),
                               [], True))
                continue
            record = InputRecord(path=str(candidate.path), format=fmt, status=InputStatus.ANALYSED,
                                 resources=len(load.resources), notes=tuple(load.notes),
                                 files=tuple(str(path) for path in load.files))
            loaded.append((resolved, record, _mark_partial(load.resources, load.unreviewed), True))
        kept = _top_level_inputs({resolved for resolved, _, _, own in loaded if own},
                                 {resolved for resolved, _, _, _ in loaded}, reads)
        return [(resolved, record, resources) for resolved, record, resources, _ in loaded if resolved in kept]

    def deploy_terraform(self, var_files: Sequence[Path], variables: Mapping[str, str],
                         ) -> list[tuple[Path, InputRecord, list[Resource]]]:
        """Evaluate every Terraform root module; a directory another root module calls is reviewed only there."""
        loads: list[tuple[Path, _Candidate, list[tuple[InputRecord, list[Resource]]]]] = []
        called: set[Path] = set()
        for directory, candidate in sorted(self.terraform_dirs.items()):
            self.advance()
            try:
                load = load_terraform(candidate.path, var_files=var_files, variables=variables,
                                      context=self.context, root=candidate.root)
            except InputError as exc:
                record = _not_analysed(candidate.path, _reason(exc), line=exc.line,
                                       file_format=SourceFormat.TERRAFORM.value)
                loads.append((directory, candidate, [(record, [])]))
                continue
            except (RecursionError, MemoryError) as exc:
                reason = f"Terraform module too large or deep to evaluate ({type(exc).__name__})"
                record = _not_analysed(candidate.path, reason, file_format=SourceFormat.TERRAFORM.value)
                loads.append((directory, candidate, [(record, [])]))
                continue
            called.update(load.module_dirs)
            entries = _terraform_entries(load.inputs, _mark_partial(load.resources, load.unreviewed), load.notes)
            loads.append((directory, candidate, entries))
        kept: list[tuple[Path, InputRecord, list[Resource]]] = []
        reported: set[tuple[str, int | None, str, str | None]] = set()
        for directory, candidate, entries in loads:
            if not candidate.explicit and directory in called:
                continue
            own: list[tuple[Path, InputRecord, list[Resource]]] = []
            for record, resources in entries:
                # Roots that call one local module each report what it could not read (a registry module not on
                # disk) at the same file and line: once is enough (its resources stay with this root).
                key = (record.path, record.line, record.reason, record.address)
                if record.status is InputStatus.NOT_ANALYSED and record.address is not None:
                    if key in reported and own:
                        own[0][2].extend(resources)
                        continue
                    reported.add(key)
                own.append((Path(record.path).resolve(), record, list(resources)))
            kept.extend(own)
        return kept

    def deploy(self, template: _Template) -> list[_Deployment]:
        """Evaluate a template once per parameter file, or once with its defaults."""
        files: list[ParameterFile | None] = [*(template.explicit_parameter_files or template.parameter_files)]
        self.advance()
        return [self.deploy_one(template, parameter_file) for parameter_file in files or [None]]

    def deploy_one(self, template: _Template, parameter_file: ParameterFile | None) -> _Deployment:
        """Evaluate one template + parameter file pair into resources and its input record."""
        path = template.candidate.path
        parameters_path = parameter_file.path if parameter_file is not None else None
        try:
            expansion: TemplateExpansion = expand_template(
                template.document, parameters=parameter_file.values if parameter_file else None,
                parameters_source=str(parameters_path) if parameters_path else None, context=self.context,
                root=template.candidate.root)
        except InputError as exc:
            record = _not_analysed(path, _reason(exc), line=exc.line, parameters=parameters_path)
            return _Deployment(template, record, [], set())
        except (RecursionError, MemoryError) as exc:
            reason = f"template too large or deep to evaluate ({type(exc).__name__})"
            return _Deployment(template, _not_analysed(path, reason, parameters=parameters_path), [], set())
        notes = (*(parameter_file.notes if parameter_file else ()), *expansion.notes)
        record = InputRecord(path=str(path), format=SourceFormat.ARM.value, status=InputStatus.ANALYSED,
                             resources=len(expansion.resources),
                             parameters=str(parameters_path) if parameters_path else None, notes=tuple(notes),
                             files=tuple(sorted(str(p) for p in expansion.linked_files if p != path.resolve())))
        return _Deployment(template, record, _mark_partial(expansion.resources, expansion.unreviewed),
                           expansion.linked_files)


def load_inputs(paths: Sequence[Path], *, parameter_files: Sequence[Path] = (),
                context: DeploymentContext | None = None, var_files: Sequence[Path] = (),
                variables: Mapping[str, str] | None = None, use_bicep_cli: bool = False,
                subprocess_timeout: float = BUILD_TIMEOUT_SECONDS, progress: Progress | None = None) -> LoadOutcome:
    """Find, pair and load every input under `paths`; see the module docstring for the rules.

    `progress` is told (done, total) as files are read, then again as deployments are evaluated.

    `var_files` and `variables` are Terraform's `-var-file` and `-var name=value`, applied to every root module.
    `use_bicep_cli` compiles Bicep files with the `bicep` CLI on PATH instead of reading them natively, each build
    limited to `subprocess_timeout` seconds (a file whose build runs longer is not analysed).

    Raises `UsageError` for a path that does not exist. Every other problem with an input becomes a
    not-analysed `InputRecord`; resources come in input order, then template order.
    """
    if use_bicep_cli:
        bicep_cli()  # fail early, before any work, when there is no CLI
    loader = _Loader(context or DeploymentContext(), use_bicep_cli=use_bicep_cli,
                     subprocess_timeout=subprocess_timeout, progress=progress)
    candidates = _candidates(paths)
    explicit_parameters: dict[Path, _Candidate] = {}
    for given in parameter_files:
        if not given.is_file():
            raise UsageError(f"{given}: parameter file not found")
        resolved = given.resolve()
        explicit_parameters[resolved] = _Candidate(given, explicit=True, root=containment_root(given))
        candidates.pop(resolved, None)
    loader.total = len(candidates)
    for resolved, candidate in candidates.items():
        loader.read(resolved, candidate)
        loader.advance()
    explicit_templates = [resolved for resolved, template in loader.templates.items()
                          if template.candidate.explicit]
    # A template named on its own still gets the parameter files beside it.
    for resolved in explicit_templates:
        for sibling in conventional_parameter_files(loader.templates[resolved].candidate.path):
            if sibling.resolve() not in candidates and sibling.resolve() not in explicit_parameters:
                candidates[sibling.resolve()] = _Candidate(sibling, explicit=False, root=resolved.parent)
                loader.read(sibling.resolve(), candidates[sibling.resolve()])
    for resolved, candidate in explicit_parameters.items():
        loader.read(resolved, candidate, as_parameters=True)
    loader.pair(explicit_templates)
    loader.pair_bicepparam()

    # Reading is done; now each template, Bicep file and Terraform module is evaluated.
    loader.done, loader.total = 0, (len(loader.templates) + len(loader.bicep_files) + len(loader.registry_bicepparams)
                                    + len(loader.terraform_dirs))
    deployments = [deployment for template in list(loader.templates.values())
                   for deployment in loader.deploy(template)]
    linked: set[Path] = set()
    for deployment in deployments:
        own = deployment.template.candidate.path.resolve()
        linked.update(path for path in deployment.linked_files if path != own)

    entries: list[tuple[Path, InputRecord, list[Resource]]] = list(loader.records)
    entries.extend(loader.deploy_bicep())
    entries.extend(loader.deploy_terraform(var_files, variables or {}))
    for deployment in deployments:
        template = deployment.template
        resolved = template.candidate.path.resolve()
        reviewed_by_link = resolved in linked and not template.candidate.explicit and not (
            template.parameter_files or template.explicit_parameter_files)
        if not reviewed_by_link:
            entries.append((resolved, deployment.record, deployment.resources))
    # A JSON file that an analysed input reads (a Bicep `loadJsonContent()` of parameter-shaped data) is reviewed
    # with that input: it is not an orphan parameter file.
    read = {Path(path).resolve() for _, record, _ in entries if record.status is InputStatus.ANALYSED
            for path in record.files}
    entries = [entry for entry in entries
               if not (entry[1].status is InputStatus.NOT_ANALYSED and entry[0] in read
                       and entry[1].reason.startswith(_ORPHAN_PARAMETERS))]
    entries.sort(key=lambda entry: (str(entry[0]), entry[1].parameters or ""))
    resources = [resource for _, _, found in entries for resource in found]
    return LoadOutcome(resources=resources, inputs=[record for _, record, _ in entries])


def _declared_parameters(template: Path) -> set[str] | None:
    """The parameter names a template (ARM JSON or Bicep) declares, lower-cased; None if it can't be read."""
    try:
        text = read_text(template)
        if template.suffix.lower() == ".bicep":
            program = parse_bicep(text, path=str(template))
            return {statement.name.lower() for statement in program.statements if isinstance(statement, BicepParam)}
        value = parse_text(text, str(template), track=()).value
    except InputError:
        return None
    if not is_template(value):
        return None
    declared = value.get("parameters")
    return {name.lower() for name in declared} if isinstance(declared, dict) else set()


def _only_template_declaring(parameter_file: ParameterFile) -> Path | None:
    """The one template beside the parameter file or one folder up that declares every parameter it sets.

    The last way to pair a parameter file whose name and metadata name no template (`.test/parameters.json`,
    `values.json`): Azure rejects a deployment that sets an undeclared parameter, so a template that declares them
    all is the only one it can be for. `X.json` compiled from `X.bicep` counts once (the JSON is taken, as by the
    naming convention); when two different templates fit, none is chosen.
    """
    wanted = {name.lower() for name in parameter_file.values}
    if not wanted:
        return None
    folder = parameter_file.path.parent
    fits: dict[tuple[Path, str], list[Path]] = {}
    for directory in (folder, folder.parent):
        for candidate in sorted(directory.glob("*")):
            suffix = candidate.suffix.lower()
            if candidate == parameter_file.path or suffix not in (".json", ".jsonc", ".bicep") \
                    or not candidate.is_file() or ".parameters" in candidate.name.lower():
                continue
            declared = _declared_parameters(candidate)
            if declared is not None and wanted <= declared:
                fits.setdefault((directory, candidate.stem.lower()), []).append(candidate)
    if len(fits) != 1:
        return None
    (choices,) = fits.values()
    return min(choices, key=lambda path: path.suffix.lower() == ".bicep")


def _mark_partial(resources: list[Resource], unreviewed: Sequence[str]) -> list[Resource]:
    """Record on each resource of an input that part of that input was not reviewed (see `Source.partial`)."""
    if unreviewed:
        more = f" and {len(unreviewed) - 1} more" if len(unreviewed) > 1 else ""
        summary = f"{unreviewed[0]}{more}"
        for resource in resources:
            resource.source = replace(resource.source, partial=summary)
    return resources


def _top_level_inputs(own: set[Path], files: set[Path], reads: Mapping[Path, set[Path]]) -> set[Path]:
    """The files reviewed as inputs of their own: those named or given parameters (`own`), those no file reads,
    then (until nothing changes) those no kept input reads. A file read only by a file that is itself reviewed as
    another's module is kept, so it is never silently dropped (say, when its parent's module call is switched off
    by a condition in the one deployment that reads the parent)."""
    read_by_any = set().union(*reads.values()) if reads else set()
    kept = own | {path for path in files if path not in read_by_any}
    while True:
        covered = set().union(*(reads.get(path, set()) for path in kept))
        extra = {path for path in files if path not in kept and path not in covered}
        if not extra:
            return kept
        kept |= extra


def _terraform_entries(inputs: Sequence[InputRecord], resources: list[Resource],
                       notes: Sequence[str]) -> list[tuple[InputRecord, list[Resource]]]:
    """Give each `.tf` file's record the resources declared in it, and the module's notes to the first record."""
    by_file: dict[str, list[Resource]] = {}
    for resource in resources:
        by_file.setdefault(resource.source.file, []).append(resource)
    entries: list[tuple[InputRecord, list[Resource]]] = []
    placed: set[str] = set()
    for index, record in enumerate(inputs):
        own = by_file.get(record.path, []) if record.path not in placed else []
        placed.add(record.path)
        if index == 0 and notes:
            record = replace(record, notes=(*record.notes, *notes))
        entries.append((record, own))
    leftover = [r for path, found in by_file.items() if path not in placed for r in found]
    if leftover and entries:
        first_record, first_resources = entries[0]
        entries[0] = (first_record, first_resources + leftover)
    return entries


__all__ = ["JSON_SUFFIXES", "SKIPPED_DIRECTORIES", "WALKED_SUFFIXES", "LoadOutcome", "Progress", "load_inputs"]
