"""Find the inputs under the paths a user names, pair templates with parameter files, and load them all.

Rules, in the order they apply:

- **Walking.** Each path is a file or a directory; directories are walked recursively in sorted order
  (symbolic links to directories are not followed), skipping `.git`, `node_modules`, `.terraform`, `.venv` and a
  Bicep module cache that a `bicepconfig.json` places inside the tree (`cacheRootDirectory`: its modules are read
  with the files that use them, not reviewed on their own), and taking `*.json`, `*.jsonc`, `*.bicep`,
  `*.bicepparam` and `*.tf`. A folder that can't be read is
  reported as not analysed (it may hold inputs), as is a walked file that is a symbolic link loop, a dangling
  link or a link to a file outside the reviewed tree (the containment root of `aiwell.loaders.files`), which is
  never read. Terraform reads its module folders itself.
- **Named files.** A file named explicitly is read whatever its suffix when its content is an ARM template,
  parameter file, Terraform plan or inventory export; a named file of another kind (README.md, pyproject.toml,
  a YAML file) is a usage error ("aiwell does not read that kind of file").
- **Classifying** by content, never by name: an ARM deployment template, a parameter file, an Azure inventory
  export, or something else. Something else is skipped quietly when found by walking (package.json, settings),
  and reported as not analysed when the user named the file.
- **Unreadable files.** A JSON file that can't be read at all (not a regular file, a FIFO or a device,
  permissions, too large) is reported as not analysed. One that is read but can't be decoded or parsed
  (truncated, binary, not UTF-8, nested too deeply) is reported when the user named it, or when its first
  megabyte mentions `deploymentTemplate`, `deploymentParameters` or `"resources"` (it was meant to be a
  template). Other broken JSON found by walking (editor settings, test data of other tools) is skipped quietly.
- **Pairing.** A parameter file is for the template its `metadata.template` names (relative to it), else the
  template its name points to (`X.parameters.json`, `X.parameters.<env>.json` → `X.json`, `X.jsonc` or
  `X.bicep`, beside it or one folder up; see `aiwell.loaders.arm.parameters`). A file given with `--parameters`
  and neither of those applies to the templates the user named as files, or to the only template found. A file
  whose name names no template is for the one template beside it or one folder up that declares every
  parameter it sets, if exactly one does. A template with parameter files is evaluated once per file (one input
  record each; files given with `--parameters` replace the ones found beside it); a template without one, once
  with its defaults. A parameter file whose template is missing, or that can't be paired, is reported as not
  analysed. Bicep files pair the same way, and with the `.bicepparam` file whose `using` names them.
- **Broken parameter files.** A parameter file that can't be read or parsed is still paired by its name (or,
  for a `.bicepparam`, by its `using` line): that deployment is reported as not analysed, and the template is
  not reviewed with its defaults in its place. A parameter file's template (`metadata.template`, the naming
  convention, a `using`) outside the reviewed tree is not read.
- **Linked templates.** A template that another template in the run deploys through
  `templateLink.relativePath` is reviewed as part of that deployment (with its parameters), not again on its
  own with defaults, unless the user named it or gave it a parameter file.

One input's failure never stops the run: it becomes an `InputRecord` with status `not_analysed`, the reason
and the line when known.

Every record and every resource carries the label of its deployment (`InputRecord.input`, `Source.input`): the
template and its parameter file, the Bicep file and its parameter file, the Terraform root folder and the
`--var-file` files, the inventory or plan file. The parts of an input that were not reviewed (registry modules
not on disk, linked templates not fetched) are listed on its record (`InputRecord.unreviewed`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field
from msgspec.structs import replace

from aiwell.errors import InputError, ParseError, UsageError
from aiwell.loaders.arm.parameters import (
    ParameterFile,
    conventional_parameter_files,
    conventional_template_stem,
    hinted_template,
    is_parameter_file,
    read_parameter_file,
    template_candidates,
)
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.arm.template import TemplateExpansion, expand_template, is_template
from aiwell.loaders.files import containment_root, decode_text, read_file_bytes, resolved, within
from aiwell.loaders.inventory import looks_like_inventory, read_inventory
from aiwell.loaders.jsonc import JsonDocument, parse_text, read_text
from aiwell.loaders.skip import SkipPaths
from aiwell.model import InputRecord, InputStatus, Resource, SourceFormat, input_label

if TYPE_CHECKING:
    from aiwell.loaders.bicep import BicepLoad

# The Bicep and Terraform readers (parsers, expression evaluators, the azurerm mapping) are imported when a run
# meets a Bicep file, a Terraform module or a plan, not at start-up: a review of ARM templates or an inventory
# export does not pay for them.

SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", ".terraform", ".venv"})
BICEP_CONFIG = "bicepconfig.json"
"""Bicep's configuration file, whose `cacheRootDirectory` may put the module cache inside the walked tree."""
"""Directories never walked into."""

JSON_SUFFIXES = (".json", ".jsonc")
"""JSON files taken when walking a directory: ARM templates, parameter files, inventories, Terraform plans."""

BICEP_SUFFIXES = (".bicep", ".bicepparam")
TERRAFORM_SUFFIX = ".tf"
TERRAFORM_JSON_SUFFIX = ".tf.json"
WALKED_SUFFIXES = (*JSON_SUFFIXES, *BICEP_SUFFIXES, TERRAFORM_SUFFIX)
"""Every file taken when walking a directory."""

_ORPHAN_PARAMETERS = "parameter file not analysed"
_TEMPLATE_MARKERS = ("deploymenttemplate", "deploymentparameters", '"resources"')
_MARKER_CHARACTERS = 1024 * 1024
_OUTSIDE = "outside the reviewed tree; not read"

_NAMED_KINDS = {".md": "Markdown", ".markdown": "Markdown", ".toml": "TOML", ".yaml": "YAML", ".yml": "YAML",
                ".txt": "text", ".ini": "INI", ".cfg": "configuration", ".py": "Python", ".ps1": "PowerShell",
                ".sh": "shell script", ".xml": "XML", ".csv": "CSV", ".hcl": "HCL (not a .tf file)"}
"""What a named file of a kind aiwell does not read is, for the message."""
_BICEPPARAM_USING = re.compile(r"^\s*using\s+'([^']+)'", re.MULTILINE)


Progress = Callable[[int, int], None]
"""Told (done, total) as inputs are read and evaluated, for a progress bar."""


class LoadOutcome(Struct):
    """Everything the loaders read: the resources, and one record per input (analysed or not)."""

    resources: list[Resource]
    inputs: list[InputRecord]


class _Kind(Enum):
    TEMPLATE = "template"
    PARAMETERS = "parameters"
    INVENTORY = "inventory"
    PLAN = "plan"
    OTHER = "other"


class _Candidate(Struct):
    """A file to look at: the path as shown to the user, whether they named it, the tree it was found in."""

    path: Path
    explicit: bool
    root: Path


class _BrokenParameters(Struct, frozen=True):
    """A parameter file that can't be read or parsed, paired with its template by name."""

    path: Path
    reason: str
    line: int | None
    given: bool
    """Given with --parameters."""
    root: Path
    """The tree it was found in."""

    @property
    def failure(self) -> str:
        """Why the deployment with it is not analysed."""
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"its parameter file {where} can't be read: {self.reason}"


class _Template(Struct):
    candidate: _Candidate
    document: JsonDocument
    parameter_files: list[ParameterFile] = field(default_factory=list)
    explicit_parameter_files: list[ParameterFile] = field(default_factory=list)
    broken_parameter_files: list[_BrokenParameters] = field(default_factory=list)


class _Deployment(Struct):
    """The outcome of one template + parameter file pair."""

    template: _Template
    record: InputRecord
    resources: list[Resource]
    linked_files: set[Path]


def _key(path: Path) -> Path:
    """The path a file is known by in one run: resolved, or absolute when it can't be (a symbolic link loop)."""
    return resolved(path) or path.absolute()


def _format_by_name(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(BICEP_SUFFIXES):
        return SourceFormat.BICEP.value
    if name.endswith((TERRAFORM_SUFFIX, TERRAFORM_JSON_SUFFIX)):
        return SourceFormat.TERRAFORM.value
    return SourceFormat.ARM.value


def _link_problem(path: Path, root: Path) -> str | None:
    """Why a walked file must not be read: a symbolic link loop, a dangling link, or a link out of the tree."""
    try:
        if not path.is_symlink():
            return None
    except OSError as exc:
        return f"cannot read file: {exc.strerror}"
    target = resolved(path)
    if target is None:
        return "not read: a symbolic link loop"
    if not target.exists():
        return "not read: a dangling symbolic link (its target does not exist)"
    if not within(target, root):
        return f"not read: a symbolic link to a file {_OUTSIDE.removesuffix('; not read')}"
    return None


class _Walk(Struct):
    """What walking the named paths found: the files to look at, and what could not be looked at."""

    candidates: dict[Path, _Candidate] = field(default_factory=dict)
    """Keyed by `_key(path)`; a file named explicitly stays explicit."""
    problems: list[tuple[Path, str, str]] = field(default_factory=list)
    """(path, reason, format) of folders and files that can't be read."""
    skip: SkipPaths = field(default_factory=lambda: SkipPaths(()))
    """`--skip-path` patterns: files and folders the walk leaves out."""

    def walk(self, top: Path, root: Path) -> None:
        """Add every walked file under `top`, in sorted order, skipping tool and dependency directories."""
        def unreadable(error: OSError) -> None:
            folder = Path(error.filename) if error.filename else top
            self.problems.append((folder, f"folder could not be read: {error.strerror}", "unknown"))

        module_caches: set[Path] = set()
        for directory, subdirectories, files in os.walk(top, onerror=unreadable):
            if BICEP_CONFIG in files:
                from aiwell.loaders.bicep.registry import bicep_cache_root

                cache = bicep_cache_root(Path(directory) / BICEP_CONFIG)
                if cache is not None:
                    module_caches.add(cache)
            subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES
                                       and not (self.skip and self.skip.skips(Path(directory) / d, top))
                                       and not (module_caches and (Path(directory) / d).resolve() in module_caches))
            for name in sorted(files):
                if not name.lower().endswith(WALKED_SUFFIXES):
                    continue
                path = Path(directory) / name
                if self.skip and self.skip.skips(path, top):
                    continue
                problem = None if name.lower().endswith(TERRAFORM_SUFFIX) else _link_problem(path, root)
                if problem is not None:
                    self.problems.append((path, problem, _format_by_name(path)))
                else:
                    self.candidates.setdefault(_key(path), _Candidate(path, explicit=False, root=root))


def _candidates(paths: Sequence[Path], skip: SkipPaths | None = None) -> _Walk:
    """Every file to look at under the named paths (but those `skip` leaves out of a walked folder); raises
    `UsageError` for a path that does not exist or a named file of a kind aiwell does not read."""
    found = _Walk(skip=skip or SkipPaths(()))
    for given in paths:
        root = containment_root(given)
        if given.is_dir():
            found.walk(given, root)
        elif given.exists():
            _refuse_other_kinds(given)
            found.candidates[_key(given)] = _Candidate(given, explicit=True, root=root)
        else:
            raise UsageError(f"{given}: no such file or directory")
    return found


def _refuse_other_kinds(path: Path) -> None:
    """Raise `UsageError` for a named file that is not of a kind aiwell reads (README.md, pyproject.toml, a YAML
    file). A file with a suffix aiwell walks is always taken; one with another suffix only when its content is an
    ARM template, parameter file, Terraform plan or inventory export (`template.txt`, an export without a
    suffix)."""
    name = path.name.lower()
    if name.endswith(WALKED_SUFFIXES) or name.endswith(TERRAFORM_JSON_SUFFIX):
        return
    try:
        value = parse_text(read_text(path), str(path), track=()).value
    except InputError:
        value = None
    if value is not None and _classify(value) is not _Kind.OTHER:
        return
    suffix = path.suffix.lower()
    if name.endswith((".tfvars", ".tfvars.json")):
        raise UsageError(f"{path}: a Terraform variable file is not reviewed on its own",
                         hint="pass it with --var-file, together with the Terraform folder to review")
    kind = _NAMED_KINDS.get(suffix, f"'{suffix}'" if suffix else "without a suffix")
    raise UsageError(
        f"{path}: aiwell does not read that kind of file ({kind})",
        hint="aiwell reviews ARM templates and parameter files (.json), Bicep (.bicep, .bicepparam), Terraform "
             "(.tf, plan JSON) and Azure inventory exports (.json); name those files or the folders that hold them.")


def _mentions_template(text: str) -> bool:
    """Whether an unparsable file's first megabyte mentions what templates and parameter files contain."""
    head = text[:_MARKER_CHARACTERS].lower()
    return any(marker in head for marker in _TEMPLATE_MARKERS)


def _classify(value: Any) -> _Kind:
    if is_template(value):
        return _Kind.TEMPLATE
    if is_parameter_file(value):
        return _Kind.PARAMETERS
    # Only a document with a `format_version` can be a plan: the Terraform reader is imported for those alone.
    if isinstance(value, dict) and "format_version" in value:
        from aiwell.loaders.terraform.plan import looks_like_plan

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
                 subprocess_timeout: float | None = None, progress: Progress | None = None) -> None:
        self.context = context
        self.progress = progress or (lambda _done, _total: None)
        self.done = 0
        self.total = 0
        self.use_bicep_cli = use_bicep_cli
        self.subprocess_timeout = subprocess_timeout
        self.templates: dict[Path, _Template] = {}
        self.parameter_files: list[tuple[_Candidate, ParameterFile, bool]] = []
        """(candidate, parsed file, given with --parameters)."""
        self.records: list[tuple[Path, InputRecord, list[Resource]]] = []
        """Records of inventories and of files that failed, with the resolved path they sort by."""
        self.broken_parameter_files: list[_BrokenParameters] = []
        """Parameter files (by name, or given with --parameters) that can't be read, to pair with templates."""
        self.bicep_files: dict[Path, _Candidate] = {}
        self.bicep_parameters: dict[Path, list[tuple[Path, bool]]] = {}
        """Bicep file → its parameter files (.bicepparam or JSON), each with whether it came from --parameters."""
        self.bicep_broken: dict[tuple[Path, Path], _BrokenParameters] = {}
        """(Bicep file, parameter file) pairs whose parameter file can't be read."""
        self.bicepparam_files: list[tuple[_Candidate, bool]] = []
        self.registry_bicepparams: list[_Candidate] = []
        """`.bicepparam` files for a registry module or template spec (`using 'br/public:...'`)."""
        self.terraform_dirs: dict[Path, _Candidate] = {}
        """Directories holding `.tf` files, each a Terraform root module unless another one calls it."""

    # --- reading --------------------------------------------------------------------------------------------

    def read(self, key: Path, candidate: _Candidate, *, as_parameters: bool = False) -> None:
        """Read, parse and classify one file; keep templates and parameter files, load inventories."""
        path = candidate.path
        suffix = path.suffix.lower()
        if suffix == ".bicep" and not as_parameters:
            self.bicep_files[key] = candidate
            return
        if suffix == ".bicepparam":
            self.bicepparam_files.append((candidate, as_parameters))
            return
        if (suffix == TERRAFORM_SUFFIX or path.name.lower().endswith(TERRAFORM_JSON_SUFFIX)) and not as_parameters:
            directory = key.parent
            self.terraform_dirs.setdefault(directory, _Candidate(path.parent, candidate.explicit, candidate.root))
            return
        try:
            raw = read_file_bytes(path)
        except ParseError as exc:
            # Nothing could be read (a FIFO, a device, permissions, too large): whatever it holds is not reviewed.
            self.unreadable(key, candidate, _reason(exc), None, as_parameters=as_parameters)
            return
        # Named, given as parameters, or named like a parameter file: a broken one is reported, not skipped.
        reported = candidate.explicit or as_parameters or conventional_template_stem(path) is not None
        try:
            text = decode_text(raw)
        except ParseError as exc:
            if reported or _mentions_template(raw[:_MARKER_CHARACTERS].decode("utf-8", "replace")):
                self.unreadable(key, candidate, _reason(exc), exc.line, as_parameters=as_parameters)
            return
        del raw
        try:
            document = parse_text(text, str(path), track=())
        except ParseError as exc:
            if reported or _mentions_template(text):
                self.unreadable(key, candidate, _reason(exc), exc.line, as_parameters=as_parameters)
            return
        value = document.value
        kind = _classify(value)
        if as_parameters and kind is not _Kind.PARAMETERS:
            self.fail(key, path, "given with --parameters but not an ARM parameter file")
        elif kind is _Kind.TEMPLATE:
            self.templates[key] = _Template(candidate, document.tracking(("resources",)))
        elif kind is _Kind.PARAMETERS:
            try:
                parsed = read_parameter_file(value, path, azd_values=self.context.azd_values)
            except InputError as exc:
                self.unreadable(key, candidate, _reason(exc), exc.line, as_parameters=as_parameters)
                return
            self.parameter_files.append((candidate, parsed, as_parameters))
        elif kind is _Kind.INVENTORY:
            self.load_inventory(key, path, JsonDocument(path=str(path), value=value, text=text))
        elif kind is _Kind.PLAN:
            del value, document
            self.load_plan(key, path, text)
        elif candidate.explicit:
            self.fail(key, path, "not an ARM template, ARM parameter file or Azure inventory export",
                      file_format="unknown")

    def unreadable(self, key: Path, candidate: _Candidate, reason: str, line: int | None, *,
                   as_parameters: bool) -> None:
        """Record a JSON file that can't be read or parsed; a parameter file is paired by its name with its
        template, whose deployment with it is then the one reported (see the module docstring)."""
        path = candidate.path
        stem = conventional_template_stem(path)
        if as_parameters or stem is not None:
            self.broken_parameter_files.append(_BrokenParameters(path, reason, line, as_parameters, candidate.root))
            return
        self.records.append((key, _not_analysed(path, reason, line=line), []))

    def advance(self) -> None:
        """One more unit of work (a file read, a deployment evaluated) is done."""
        self.done += 1
        self.progress(self.done, self.total)

    def fail(self, resolved: Path, path: Path, reason: str, *, line: int | None = None,
             file_format: str = SourceFormat.ARM.value, parameters: Path | None = None) -> None:
        """Record an input that could not be analysed."""
        record = _not_analysed(path, reason, line=line, file_format=file_format, parameters=parameters)
        self.records.append((resolved, record, []))

    def load_inventory(self, key: Path, path: Path, document: JsonDocument) -> None:
        """Load an inventory export into resources, or record why it could not be."""
        fmt = SourceFormat.INVENTORY.value
        try:
            export = read_inventory(document, label=input_label(str(path)))
        except InputError as exc:
            self.fail(key, path, _reason(exc), line=exc.line, file_format=fmt)
            return
        except (RecursionError, MemoryError) as exc:
            reason = f"export too large or deep to read ({type(exc).__name__})"
            self.fail(key, path, reason, file_format=fmt)
            return
        record = InputRecord(path=str(path), format=fmt, status=InputStatus.ANALYSED,
                             resources=len(export.resources), notes=export.notes)
        self.records.append((key, record, _belonging(export.resources, record)))

    def load_plan(self, resolved: Path, path: Path, text: str) -> None:
        """Load a Terraform plan (`terraform show -json`) into resources, or record why it could not be."""
        from aiwell.loaders.terraform.plan import load_plan

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
        self.records.append((resolved, record, _belonging(plan.resources, record)))

    def template_at(self, path: Path, root: Path) -> _Template | str | None:
        """The template at `path`: already read, read now (outside the reviewed paths but inside `root`, the tree
        of the file that names it), or why it can't be.

        None means quietly nothing: a Bicep file, which the Bicep loader reviews.
        """
        key = _key(path)
        if key in self.templates:
            return self.templates[key]
        if path.suffix.lower() == ".bicep":
            return None
        if not within(path, root):
            return f"its template {path} is {_OUTSIDE}"
        if not path.is_file():
            return f"its template {path} does not exist"
        try:
            document = parse_text(read_text(path), str(path))
        except ParseError as exc:
            return f"its template {path} can't be read: {exc.message}"
        if not is_template(document.value):
            return f"{path} is not an ARM template"
        template = _Template(_Candidate(path, explicit=False, root=root), document)
        self.templates[key] = template
        return template

    # --- pairing --------------------------------------------------------------------------------------------

    def pair(self, explicit_templates: list[Path]) -> None:
        """Attach every parameter file to its template, or record why it can't be."""
        for candidate, parameter_file, given in self.parameter_files:
            key = _key(candidate.path)
            targets = self.targets_of(parameter_file, given, explicit_templates, candidate.root)
            if isinstance(targets, str):
                self.fail(key, candidate.path, f"{_ORPHAN_PARAMETERS}: {targets}")
                continue
            for template in targets:
                listing = template.explicit_parameter_files if given else template.parameter_files
                if all(_key(existing.path) != key for existing in listing):
                    listing.append(parameter_file)
        for broken in self.broken_parameter_files:
            self.pair_broken(broken, explicit_templates)

    def pair_broken(self, broken: _BrokenParameters, explicit_templates: list[Path]) -> None:
        """Attach a parameter file that can't be read to the template its name (or --parameters) points to, so
        that deployment is reported as not analysed; with no such template, report the file itself."""
        targets: list[_Template] = []
        bicep: list[Path] = []
        conventional = [path for path in template_candidates(broken.path) if within(path, broken.root)]
        existing = next((path for path in conventional if path.is_file()), None)
        if existing is not None:
            found = self.template_at(existing, broken.root)
            targets = [found] if isinstance(found, _Template) else []
        elif conventional and conventional[0].with_suffix(".bicep").is_file():
            bicep = [conventional[0].with_suffix(".bicep")]
        elif broken.given:
            explicit_bicep = [path for path, candidate in self.bicep_files.items() if candidate.explicit]
            targets = [self.templates[path] for path in explicit_templates]
            bicep = [] if targets else [self.bicep_files[path].path for path in explicit_bicep]
            if not targets and not bicep and len(self.templates) == 1:
                targets = list(self.templates.values())
        for template in targets:
            template.broken_parameter_files.append(broken)
        for path in bicep:
            self.add_bicep_parameters(path, broken.path, broken.given, broken.root, broken=broken)
        if not targets and not bicep:
            self.fail(_key(broken.path), broken.path, broken.reason, line=broken.line,
                      file_format=_format_by_name(broken.path))

    def targets_of(self, parameter_file: ParameterFile, given: bool, explicit_templates: list[Path],
                   root: Path) -> list[_Template] | str:
        """The templates a parameter file is for, or the reason there are none. Templates outside `root` (the
        parameter file's tree) are not read."""
        hinted = hinted_template(parameter_file)
        if hinted is not None and not within(hinted, root):
            return f"metadata.template names a file {_OUTSIDE}"
        if hinted is not None and hinted.suffix.lower() == ".bicep":
            self.add_bicep_parameters(hinted, parameter_file.path, given, root)
            return []
        if hinted is not None:
            found = self.template_at(hinted, root)
            if isinstance(found, str):
                return f"metadata.template names {parameter_file.template_hint}, but {found}"
            return [found] if found is not None else []
        conventional = [path for path in template_candidates(parameter_file.path) if within(path, root)]
        for path in conventional:
            if path.exists():
                found = self.template_at(path, root)
                return found if isinstance(found, str) else [found] if found is not None else []
        if conventional and conventional[0].with_suffix(".bicep").exists():
            self.add_bicep_parameters(conventional[0].with_suffix(".bicep"), parameter_file.path, given, root)
            return []
        explicit_bicep = [path for path, candidate in self.bicep_files.items() if candidate.explicit]
        if given and explicit_bicep and not explicit_templates:
            for bicep in explicit_bicep:
                self.add_bicep_parameters(self.bicep_files[bicep].path, parameter_file.path, given, root)
            return []
        if given and explicit_templates:
            return [self.templates[path] for path in explicit_templates]
        if given and len(self.templates) == 1:
            return list(self.templates.values())
        # Only for a file whose name names no template: one named for a missing template (`mc-X.parameters.json`,
        # `other-vault.parameters.json`) is not given to another template on a guess.
        declaring = None if conventional else _only_template_declaring(parameter_file, root)
        if declaring is not None and declaring.suffix.lower() == ".bicep":
            self.add_bicep_parameters(declaring, parameter_file.path, given, root)
            return []
        if declaring is not None:
            found = self.template_at(declaring, root)
            return found if isinstance(found, str) else [found] if found is not None else []
        if conventional:
            return f"its template {conventional[0]} does not exist"
        return ("no template found for it: name it X.parameters.json beside X.json, set metadata.template, "
                "or pass it with --parameters together with its template")

    def add_bicep_parameters(self, bicep: Path, parameter_file: Path, given: bool, root: Path, *,
                             broken: _BrokenParameters | None = None) -> None:
        """Pair a parameter file with a Bicep file (which is reviewed even if it was not among the paths, within
        `root`); a `broken` one makes that deployment not analysed."""
        key = _key(bicep)
        if key not in self.bicep_files:
            self.bicep_files[key] = _Candidate(bicep, explicit=False, root=root)
        listing = self.bicep_parameters.setdefault(key, [])
        if all(_key(existing) != _key(parameter_file) for existing, _ in listing):
            listing.append((parameter_file, given))
        if broken is not None:
            self.bicep_broken[(key, _key(parameter_file))] = broken

    def pair_bicepparam(self) -> None:
        """Pair each `.bicepparam` file with the Bicep file its `using` names (within its tree)."""
        explicit_bicep = [path for path, candidate in self.bicep_files.items() if candidate.explicit]
        fmt = SourceFormat.BICEP.value
        for candidate, given in self.bicepparam_files:
            from aiwell.loaders.bicep import bicepparam_registry_reference, bicepparam_target

            path = candidate.path
            try:
                target = bicepparam_target(path, root=candidate.root)
            except InputError as exc:
                self.pair_broken_bicepparam(candidate, given, _reason(exc), exc.line)
                continue
            if target is None and bicepparam_registry_reference(path) is not None:
                self.registry_bicepparams.append(candidate)
            elif target is not None and not within(target, candidate.root):
                self.fail(_key(path), path, f"parameter file not analysed: its `using` names a Bicep file {_OUTSIDE}",
                          file_format=fmt)
            elif target is not None and target.is_file():
                self.add_bicep_parameters(target, path, given, candidate.root)
            elif target is not None:
                self.fail(_key(path), path, f"parameter file not analysed: its Bicep file {target} does not exist",
                          file_format=fmt)
            elif given and explicit_bicep:
                for bicep in explicit_bicep:
                    self.add_bicep_parameters(self.bicep_files[bicep].path, path, given, candidate.root)
            else:
                self.fail(_key(path), path,
                          "parameter file not analysed: it names no Bicep file (`using none`); pass it with "
                          "--parameters together with its Bicep file", file_format=fmt)

    def pair_broken_bicepparam(self, candidate: _Candidate, given: bool, reason: str, line: int | None) -> None:
        """A `.bicepparam` that can't be parsed: its deployment with the Bicep file its `using` line names (found
        in the text) is reported as not analysed, rather than the Bicep file reviewed with its defaults."""
        path = candidate.path
        broken = _BrokenParameters(path, reason, line, given, candidate.root)
        try:
            match = _BICEPPARAM_USING.search(read_text(path))
        except InputError:
            match = None
        target = Path(os.path.normpath(path.parent / match.group(1))) if match else None
        explicit_bicep = [found.path for found in self.bicep_files.values() if found.explicit]
        if target is not None and target.suffix.lower() == ".bicep" and within(target, candidate.root) \
                and target.is_file():
            self.add_bicep_parameters(target, path, given, candidate.root, broken=broken)
        elif target is None and given and explicit_bicep:
            for bicep in explicit_bicep:
                self.add_bicep_parameters(bicep, path, given, candidate.root, broken=broken)
        else:
            self.fail(_key(path), path, reason, line=line, file_format=SourceFormat.BICEP.value)

    # --- loading --------------------------------------------------------------------------------------------

    def load_bicep(self, path: Path, *, parameter_file: Path | None, root: Path) -> BicepLoad:
        """Read one Bicep file natively, or build it with the `bicep` CLI (`--bicep-cli`) within the timeout."""
        if self.use_bicep_cli:
            from aiwell.loaders.bicep.cli_build import load_bicep_with_cli

            limit = {} if self.subprocess_timeout is None else {"timeout": self.subprocess_timeout}
            return load_bicep_with_cli(path, parameter_file=parameter_file, context=self.context, root=root, **limit)
        from aiwell.loaders.bicep import load_bicep

        return load_bicep(path, parameter_file=parameter_file, context=self.context, root=root)

    def deploy_bicep(self) -> list[tuple[Path, InputRecord, list[Resource]]]:
        """Evaluate every Bicep file once per parameter file (or with its defaults); drop files that are only
        reviewed as modules of another Bicep file in the run."""
        loaded: list[tuple[Path, InputRecord, list[Resource], bool]] = []
        reads: dict[Path, set[Path]] = {}
        fmt = SourceFormat.BICEP.value
        for key, candidate in sorted(self.bicep_files.items()):
            self.advance()
            pairs = self.bicep_parameters.get(key, [])
            chosen: list[Path | None] = [path for path, given in pairs if given] or [path for path, _ in pairs]
            own = bool(chosen) or candidate.explicit
            for parameter_file in chosen or [None]:
                broken = self.bicep_broken.get((key, _key(parameter_file))) if parameter_file else None
                if broken is not None:
                    record = _not_analysed(candidate.path, broken.failure, file_format=fmt,
                                           parameters=parameter_file)
                    loaded.append((key, record, [], own))
                    continue
                try:
                    load = self.load_bicep(candidate.path, parameter_file=parameter_file, root=candidate.root)
                except InputError as exc:
                    record = _not_analysed(candidate.path, _reason(exc), line=exc.line, file_format=fmt,
                                           parameters=parameter_file)
                    loaded.append((key, record, [], own))
                    continue
                except (RecursionError, MemoryError) as exc:
                    reason = f"Bicep file too large or deep to evaluate ({type(exc).__name__})"
                    record = _not_analysed(candidate.path, reason, file_format=fmt, parameters=parameter_file)
                    loaded.append((key, record, [], own))
                    continue
                reads.setdefault(key, set()).update(path for path in load.files if path != key)
                record = InputRecord(path=str(candidate.path), format=fmt, status=InputStatus.ANALYSED,
                                     resources=len(load.resources),
                                     parameters=str(parameter_file) if parameter_file is not None else None,
                                     notes=tuple(load.notes),
                                     files=tuple(str(path) for path in load.files if path != key),
                                     unreviewed=tuple(load.unreviewed))
                loaded.append((key, record, _belonging(load.resources, record), own))
                # Local modules that could not be read: Bicep would refuse the file, so those parts are not analysed.
                loaded.extend((key, replace(part, input=record.input), [], own) for part in load.not_analysed)
        for candidate in self.registry_bicepparams:
            from aiwell.loaders.bicep import load_registry_deployment

            self.advance()
            key = _key(candidate.path)
            try:
                load = load_registry_deployment(candidate.path, context=self.context, root=candidate.root)
            except InputError as exc:
                loaded.append((key, _not_analysed(candidate.path, _reason(exc), line=exc.line, file_format=fmt),
                               [], True))
                continue
            record = InputRecord(path=str(candidate.path), format=fmt, status=InputStatus.ANALYSED,
                                 resources=len(load.resources), notes=tuple(load.notes),
                                 files=tuple(str(path) for path in load.files), unreviewed=tuple(load.unreviewed))
            loaded.append((key, record, _belonging(load.resources, record), True))
        kept = _top_level_inputs({key for key, _, _, own in loaded if own}, {key for key, _, _, _ in loaded}, reads)
        return [(key, record, resources) for key, record, resources, _ in loaded if key in kept]

    def deploy_terraform(self, var_files: Sequence[Path], variables: Mapping[str, str],
                         ) -> list[tuple[Path, InputRecord, list[Resource]]]:
        """Evaluate every Terraform root module; a directory another root module calls is reviewed only there.

        Every record of a root module (one per `.tf` file) carries the root's label: the folder and the
        `--var-file` files."""
        loads: list[tuple[Path, _Candidate, list[tuple[InputRecord, list[Resource]]]]] = []
        called: set[Path] = set()
        fmt = SourceFormat.TERRAFORM.value
        for directory, candidate in sorted(self.terraform_dirs.items()):
            from aiwell.loaders.terraform import load_terraform

            self.advance()
            label = input_label(str(candidate.path), *(str(path) for path in var_files))
            try:
                load = load_terraform(candidate.path, var_files=var_files, variables=variables,
                                      context=self.context, root=candidate.root)
            except InputError as exc:
                record = _not_analysed(candidate.path, _reason(exc), line=exc.line, file_format=fmt)
                loads.append((directory, candidate, [(replace(record, input=label), [])]))
                continue
            except (RecursionError, MemoryError) as exc:
                reason = f"Terraform module too large or deep to evaluate ({type(exc).__name__})"
                record = _not_analysed(candidate.path, reason, file_format=fmt)
                loads.append((directory, candidate, [(replace(record, input=label), [])]))
                continue
            called.update(load.module_dirs)
            records = [replace(record, input=label) for record in load.inputs]
            if records and load.unreviewed:
                records[0] = replace(records[0], unreviewed=tuple(dict.fromkeys(load.unreviewed)))
            resources = _belonging(load.resources, records[0]) if records else load.resources
            loads.append((directory, candidate, _terraform_entries(records, resources, load.notes)))
        kept: list[tuple[Path, InputRecord, list[Resource]]] = []
        reported: set[tuple[str, int | None, str, str | None]] = set()
        for directory, candidate, entries in loads:
            if not candidate.explicit and directory in called:
                continue
            own: list[tuple[Path, InputRecord, list[Resource]]] = []
            for record, resources in entries:
                # Roots that call one local module each report what it could not read (a registry module not on
                # disk) at the same file and line: once is enough (its resources stay with this root).
                seen = (record.path, record.line, record.reason, record.address)
                if record.status is InputStatus.NOT_ANALYSED and record.address is not None:
                    if seen in reported and own:
                        own[0][2].extend(resources)
                        continue
                    reported.add(seen)
                own.append((_key(Path(record.path)), record, list(resources)))
            kept.extend(own)
        return kept

    def deploy(self, template: _Template) -> list[_Deployment]:
        """Evaluate a template once per parameter file, or once with its defaults. Parameter files given with
        --parameters replace those found beside it; one that can't be read gives a deployment not analysed."""
        broken_given = [broken for broken in template.broken_parameter_files if broken.given]
        if template.explicit_parameter_files or broken_given:
            files: list[ParameterFile] = template.explicit_parameter_files
            broken = broken_given
        else:
            files = template.parameter_files
            broken = [found for found in template.broken_parameter_files if not found.given]
        self.advance()
        deployments = [self.deploy_one(template, parameter_file) for parameter_file in files]
        for unreadable in broken:
            record = _not_analysed(template.candidate.path, unreadable.failure, parameters=unreadable.path)
            deployments.append(_Deployment(template, record, [], set()))
        return deployments or [self.deploy_one(template, None)]

    def deploy_one(self, template: _Template, parameter_file: ParameterFile | None) -> _Deployment:
        """Evaluate one template + parameter file pair into resources and its input record."""
        path = template.candidate.path
        parameters_path = parameter_file.path if parameter_file is not None else None
        try:
            expansion: TemplateExpansion = expand_template(
                template.document, parameters=parameter_file.values if parameter_file else None,
                parameters_source=str(parameters_path) if parameters_path else None, context=self.context,
                root=template.candidate.root,
                input_label=input_label(str(path), *((str(parameters_path),) if parameters_path else ())))
        except InputError as exc:
            record = _not_analysed(path, _reason(exc), line=exc.line, parameters=parameters_path)
            return _Deployment(template, record, [], set())
        except (RecursionError, MemoryError) as exc:
            reason = f"template too large or deep to evaluate ({type(exc).__name__})"
            return _Deployment(template, _not_analysed(path, reason, parameters=parameters_path), [], set())
        notes = (*(parameter_file.notes if parameter_file else ()), *expansion.notes)
        own = _key(path)
        record = InputRecord(path=str(path), format=SourceFormat.ARM.value, status=InputStatus.ANALYSED,
                             resources=len(expansion.resources),
                             parameters=str(parameters_path) if parameters_path else None, notes=tuple(notes),
                             files=tuple(sorted(str(p) for p in expansion.linked_files if p != own)),
                             unreviewed=tuple(expansion.unreviewed))
        return _Deployment(template, record, _belonging(expansion.resources, record), expansion.linked_files)


def load_inputs(paths: Sequence[Path], *, parameter_files: Sequence[Path] = (),
                context: DeploymentContext | None = None, var_files: Sequence[Path] = (),
                variables: Mapping[str, str] | None = None, use_bicep_cli: bool = False,
                subprocess_timeout: float | None = None, progress: Progress | None = None,
                skip_paths: Sequence[str] = ()) -> LoadOutcome:
    """Find, pair and load every input under `paths`; see the module docstring for the rules.

    `progress` is told (done, total) as files are read, then again as deployments are evaluated.

    `var_files` and `variables` are Terraform's `-var-file` and `-var name=value`, applied to every root module.
    `use_bicep_cli` compiles Bicep files with the `bicep` CLI on PATH instead of reading them natively, each build
    limited to `subprocess_timeout` seconds (None: `--subprocess-timeout`'s default; a file whose build runs
    longer is not analysed).
    `skip_paths` are globs of files and folders the walk of a folder leaves out (`aiwell.loaders.skip`); a file
    named on its own is always read.

    Raises `UsageError` for a path that does not exist or a named file of a kind aiwell does not read. Every
    other problem with an input becomes a not-analysed `InputRecord`; resources come in input order, then
    template order.
    """
    if use_bicep_cli:
        from aiwell.loaders.bicep.cli_build import bicep_cli

        bicep_cli()  # fail early, before any work, when there is no CLI
    loader = _Loader(context or DeploymentContext(), use_bicep_cli=use_bicep_cli,
                     subprocess_timeout=subprocess_timeout, progress=progress)
    walked = _candidates(paths, SkipPaths(skip_paths))
    candidates = walked.candidates
    for path, reason, file_format in walked.problems:
        loader.fail(_key(path), path, reason, file_format=file_format)
    explicit_parameters: dict[Path, _Candidate] = {}
    for given in parameter_files:
        if not given.is_file():
            raise UsageError(f"{given}: parameter file not found")
        key = _key(given)
        explicit_parameters[key] = _Candidate(given, explicit=True, root=containment_root(given))
        candidates.pop(key, None)
    loader.total = len(candidates)
    for key, candidate in candidates.items():
        loader.read(key, candidate)
        loader.advance()
    explicit_templates = [key for key, template in loader.templates.items() if template.candidate.explicit]
    # A template named on its own still gets the parameter files beside it.
    for key in explicit_templates:
        named = loader.templates[key].candidate
        for sibling in conventional_parameter_files(named.path):
            sibling_key = _key(sibling)
            if sibling_key not in candidates and sibling_key not in explicit_parameters \
                    and within(sibling, named.root):
                candidates[sibling_key] = _Candidate(sibling, explicit=False, root=named.root)
                loader.read(sibling_key, candidates[sibling_key])
    for key, candidate in explicit_parameters.items():
        loader.read(key, candidate, as_parameters=True)
    loader.pair(explicit_templates)
    loader.pair_bicepparam()

    # Reading is done; now each template, Bicep file and Terraform module is evaluated.
    loader.done, loader.total = 0, (len(loader.templates) + len(loader.bicep_files) + len(loader.registry_bicepparams)
                                    + len(loader.terraform_dirs))
    deployments = [deployment for template in list(loader.templates.values())
                   for deployment in loader.deploy(template)]
    linked: set[Path] = set()
    for deployment in deployments:
        own = _key(deployment.template.candidate.path)
        linked.update(path for path in deployment.linked_files if path != own)

    entries: list[tuple[Path, InputRecord, list[Resource]]] = list(loader.records)
    entries.extend(loader.deploy_bicep())
    entries.extend(loader.deploy_terraform(var_files, variables or {}))
    for deployment in deployments:
        template = deployment.template
        key = _key(template.candidate.path)
        reviewed_by_link = key in linked and not template.candidate.explicit and not (
            template.parameter_files or template.explicit_parameter_files or template.broken_parameter_files)
        if not reviewed_by_link:
            entries.append((key, deployment.record, deployment.resources))
    # A JSON file that an analysed input reads (a Bicep `loadJsonContent()` of parameter-shaped data) is reviewed
    # with that input: it is not an orphan parameter file.
    read = {_key(Path(path)) for _, record, _ in entries if record.status is InputStatus.ANALYSED
            for path in record.files}
    entries = [entry for entry in entries
               if not (entry[1].status is InputStatus.NOT_ANALYSED and entry[0] in read
                       and entry[1].reason.startswith(_ORPHAN_PARAMETERS))]
    entries.sort(key=lambda entry: (str(entry[0]), entry[1].parameters or "", entry[1].address or ""))
    resources = [resource for _, _, found in entries for resource in found]
    return LoadOutcome(resources=resources, inputs=[record for _, record, _ in entries])


def _declared_parameters(template: Path) -> set[str] | None:
    """The parameter names a template (ARM JSON or Bicep) declares, lower-cased; None if it can't be read."""
    try:
        text = read_text(template)
        if template.suffix.lower() == ".bicep":
            from aiwell.loaders.bicep import parse_bicep
            from aiwell.loaders.bicep.syntax import Param as BicepParam

            program = parse_bicep(text, path=str(template))
            return {statement.name.lower() for statement in program.statements if isinstance(statement, BicepParam)}
        value = parse_text(text, str(template), track=()).value
    except InputError:
        return None
    if not is_template(value):
        return None
    declared = value.get("parameters")
    return {name.lower() for name in declared} if isinstance(declared, dict) else set()


def _only_template_declaring(parameter_file: ParameterFile, root: Path) -> Path | None:
    """The one template beside the parameter file or one folder up (within `root`) that declares every parameter
    it sets.

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
        if not within(directory, root):
            continue
        for candidate in sorted(directory.glob("*")):
            suffix = candidate.suffix.lower()
            if candidate == parameter_file.path or suffix not in (".json", ".jsonc", ".bicep") \
                    or not candidate.is_file() or ".parameters" in candidate.name.lower() \
                    or not within(candidate, root):
                continue
            declared = _declared_parameters(candidate)
            if declared is not None and wanted <= declared:
                fits.setdefault((directory, candidate.stem.lower()), []).append(candidate)
    if len(fits) != 1:
        return None
    (choices,) = fits.values()
    return min(choices, key=lambda path: path.suffix.lower() == ".bicep")


def _belonging(resources: list[Resource], record: InputRecord) -> list[Resource]:
    """Mark each resource of an input with the input's label (`Source.input`) and, when part of that input was
    not reviewed, with what (`Source.partial`)."""
    unreviewed = record.unreviewed
    summary = ""
    if unreviewed:
        more = f" and {len(unreviewed) - 1} more" if len(unreviewed) > 1 else ""
        summary = f"{unreviewed[0]}{more}"
    label = record.input
    for resource in resources:
        old = resource.source
        if not summary and old.input == label:
            continue  # made with the label (`expand_template`'s `input_label`)
        resource.source = replace(old, input=label, partial=summary or old.partial)
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
