"""Evaluating a Terraform module: variables, locals, resources, data sources, child modules and outputs.

Everything is evaluated lazily and cached, so declarations may refer to each other in any order, as in
Terraform; a cycle (a local that needs itself) is an error for the expressions involved, which become
`Unresolved`. `evaluate_module` then walks every resource and module so each is evaluated once.

Choices where Terraform gives no answer offline:
- A `count` or `for_each` that is unresolved gives one instance whose `count.index` / `each.key` /
  `each.value` are unresolved, addressed `x[?]`, with a note: the resource is reviewed, its values that depend
  on the instance are unresolved.
- `count` above `MAX_INSTANCES` is cut there, with a note.
- `data` sources are not reported as deployed resources; as references, the arguments written in their block
  are known, their `id` is the ARM id built from those arguments, everything else is unresolved.
- A module whose `source` is not a local path (`./`, `../`) is read from `.terraform/modules/modules.json`
  when `terraform init` left one (an entry whose directory lies outside the reviewed tree is not read); otherwise
  it is not analysed (recorded, never guessed) and its outputs are unresolved.
- A `count` Terraform rejects (negative, fractional, null) makes its resource or module call not analysed
  (recorded at the block's line), as Terraform would stop there.

Files are read through `aiwell.loaders.files` (regular files only, inside the reviewed tree); a `.tf` file that
can't be read (a FIFO, a dangling link, one outside the tree) is recorded as not analysed, never skipped.
Module files are named as the root module was (relative when it was): `examples/x/../../main.tf` is
`main.tf`, so a report does not depend on where it was run from.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from aiwell.errors import ParseError
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.files import read_file_text, resolved, within
from aiwell.loaders.terraform.azapi import AZAPI_TYPES
from aiwell.loaders.terraform.expressions import (
    Budget,
    BudgetExceeded,
    EvalError,
    ResourceInstance,
    Scope,
    decode_json,
    evaluate,
    evaluate_value,
    first_unresolved,
    no_references,
    plain,
    source_text,
    to_bool,
    to_number,
    to_set,
    to_string,
)
from aiwell.loaders.terraform.hcl import (
    Attribute,
    Block,
    Body,
    Call,
    HclFile,
    Literal,
    Node,
    ObjectExpr,
    TupleExpr,
    Variable,
    parse_hcl,
)
from aiwell.loaders.terraform.json_syntax import parse_json_config
from aiwell.loaders.terraform.mapping import arm_id as mapping_arm_id
from aiwell.model import Unresolved

MAX_INSTANCES = 10_000
"""Most instances one `count` or `for_each` may create."""

MAX_MODULE_DEPTH = 16
"""Deepest nesting of module calls (guards against a module that calls itself)."""

META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle"})
"""Removed from the attributes handed to the mapping."""

META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})

MODULE_META = frozenset({"source", "version", "count", "for_each", "depends_on", "providers"})

COMPUTED = "computed by the provider when it is applied"


class EvaluatedResource(Struct):
    """One instance of a resource (or data source) with its evaluated attributes and where it was declared.

    `attributes` is the shape the mapping reads: attribute name → value; nested blocks always a list of dicts;
    `Unresolved` for unknown values; meta-arguments removed.
    """

    tf_type: str
    name: str
    address: str
    mode: str
    """`managed` or `data`."""
    attributes: dict[str, Any]
    file: str
    line: int
    end_line: int


class SkippedModule(Struct):
    """A module call that could not be evaluated (not on disk, unparseable, too deep), or a resource or module call
    Terraform would reject (a negative `count`): recorded as not analysed at its line."""

    address: str
    source: str
    file: str
    line: int
    reason: str


class ModuleFiles(Struct):
    """The parsed `.tf` and `.tf.json` files of one directory, and those that failed to parse (file → error)."""

    directory: Path
    files: list[HclFile]
    failures: dict[str, ParseError] = field(default_factory=dict)


def read_module_files(directory: Path, allowed_root: Path | None = None) -> ModuleFiles:
    """Parse every `.tf` and `.tf.json` file of a directory (sorted by name, as Terraform reads them); a file that
    fails (can't be read, lies outside `allowed_root`, does not parse) is recorded, the others are kept.
    Directories named like files are not files and are passed over, as Terraform does."""
    files: list[HclFile] = []
    failures: dict[str, ParseError] = {}
    paths = sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")], key=lambda p: p.name)
    base = resolved(allowed_root) if allowed_root is not None else None
    for path in paths:
        if path.is_dir():
            continue
        target = resolved(path) if base is not None else None
        if base is not None and (target is None or not target.is_relative_to(base)):
            failures[str(path)] = ParseError("not read: it lies outside the reviewed tree (a link elsewhere)")
            continue
        try:
            text = read_file_text(path)
        except ParseError as error:
            failures[str(path)] = error
            continue
        try:
            parse = parse_json_config if path.name.endswith(".json") else parse_hcl
            files.append(parse(text, str(path)))
        except ParseError as error:
            failures[str(path)] = error
    return ModuleFiles(directory, files, failures)


class _Declaration(Struct):
    block: Block
    file: str


ArmIdFunction = Callable[..., Any]
"""`mapping.arm_id(tf_type, attributes, *, context)`."""


class LoadState(Struct):
    """What every module of one load shares."""

    context: DeploymentContext
    root_module_dir: Path
    allowed_root: Path | None
    budget: Budget = field(default_factory=Budget)
    resources: list[EvaluatedResource] = field(default_factory=list)
    skipped_modules: list[SkippedModule] = field(default_factory=list)
    rejected: list[SkippedModule] = field(default_factory=list)
    """Resources and module calls Terraform would reject (a negative `count`)."""
    parsed: dict[Path, ModuleFiles] = field(default_factory=dict)
    installed_modules: dict[str, Path] | None = None

    def module_files(self, directory: Path) -> ModuleFiles:
        """The parsed files of a module directory (parsed once per load)."""
        key = directory.resolve()
        if key not in self.parsed:
            self.parsed[key] = read_module_files(directory, self.allowed_root)
        return self.parsed[key]

    def installed(self, key: str) -> Path | None:
        """The directory `terraform init` installed module `key` (`a.b`) into, from `modules.json`."""
        if self.installed_modules is None:
            self.installed_modules = {}
            manifest = self.root_module_dir / ".terraform" / "modules" / "modules.json"
            entries: Any = []
            if manifest.exists() and (self.allowed_root is None or within(manifest, self.allowed_root)):
                try:
                    document = decode_json(read_file_text(manifest))
                    entries = document.get("Modules", []) if isinstance(document, dict) else []
                except (ParseError, ValueError, RecursionError):
                    entries = []
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("Key"), str) and isinstance(entry.get("Dir"),
                                                                                                  str):
                    self.installed_modules[entry["Key"]] = joined(self.root_module_dir, entry["Dir"])
        return self.installed_modules.get(key)


def joined(directory: Path, relative: str) -> Path:
    """`directory / relative` with `.` and `..` folded away lexically (links are not followed), so a module's files
    are named from the root module's directory as the user gave it."""
    return Path(os.path.normpath(directory / relative))


class _Pending:
    """Marks a value being evaluated, to detect cycles."""


_PENDING = _Pending()


class ModuleEvaluator:
    """One instance of one module: its inputs, its declarations and the values computed from them."""

    def __init__(self, files: ModuleFiles, *, state: LoadState, inputs: Mapping[str, Any],
                 address_prefix: str = "", module_key: str = "", depth: int = 0,
                 arm_id: ArmIdFunction | None = None) -> None:
        self.files = files
        self.state = state
        self.inputs = dict(inputs)
        self.prefix = address_prefix
        self.module_key = module_key
        self.depth = depth
        self.arm_id = arm_id or mapping_arm_id
        self.variables: dict[str, _Declaration] = {}
        self.locals: dict[str, tuple[Attribute, str]] = {}
        self.resources: dict[tuple[str, str], _Declaration] = {}
        self.data: dict[tuple[str, str], _Declaration] = {}
        self.modules: dict[str, _Declaration] = {}
        self.outputs: dict[str, _Declaration] = {}
        self._cache: dict[str, Any] = {}
        for hcl_file in files.files:
            self._declare(hcl_file)
        self.scope = Scope(self._resolve, state.budget, files.directory, state.root_module_dir,
                           state.allowed_root)

    def _declare(self, hcl_file: HclFile) -> None:
        for block in hcl_file.body.blocks:
            labels = block.labels
            declaration = _Declaration(block, hcl_file.path)
            if block.type == "variable" and len(labels) == 1:
                self.variables[labels[0]] = declaration
            elif block.type == "locals":
                for name, attribute in block.body.attributes.items():
                    self.locals[name] = (attribute, hcl_file.path)
            elif block.type == "resource" and len(labels) == 2:
                self.resources[(labels[0], labels[1])] = declaration
            elif block.type == "data" and len(labels) == 2:
                self.data[(labels[0], labels[1])] = declaration
            elif block.type == "module" and len(labels) == 1:
                self.modules[labels[0]] = declaration
            elif block.type == "output" and len(labels) == 1:
                self.outputs[labels[0]] = declaration

    def note(self, message: str) -> None:
        """Record a warning for the load."""
        self.state.budget.note(message)

    # --- the whole module -------------------------------------------------------------------------------------

    def evaluate_all(self) -> None:
        """Evaluate every resource and module call once, adding resources to the load in declaration order."""
        for key in self.resources:
            self._evaluate_quietly(f"resource.{key[0]}.{key[1]}", partial(self._resource_value, key, "managed"))
        for key in self.data:
            self._evaluate_quietly(f"data.{key[0]}.{key[1]}", partial(self._resource_value, key, "data"))
        for name in self.modules:
            self._evaluate_quietly(f"module.{name}", partial(self._module_value, name))

    def _evaluate_quietly(self, key: str, compute: Callable[[], Any]) -> None:
        # An error here was already turned into Unresolved values where it mattered; the walk only makes sure
        # everything is evaluated once.
        with contextlib.suppress(EvalError):
            self._cached(key, compute)

    def output(self, name: str) -> Any:
        """The value of output `name` (raises `EvalError` when there is no such output)."""
        if name not in self.outputs:
            raise EvalError(f"module {self.prefix.rstrip('.') or 'root'} has no output named {name!r}")
        declaration = self.outputs[name]
        value_attribute = declaration.block.body.attributes.get("value")
        if value_attribute is None:
            return None
        return self._cached(f"output.{name}", lambda: evaluate(value_attribute.expr, self.scope))

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        cached = self._cache.get(key)
        if cached is _PENDING:
            raise EvalError(f"{key} refers to itself (a cycle)")
        if isinstance(cached, EvalError):
            raise cached
        if key in self._cache:
            return cached
        self._cache[key] = _PENDING
        try:
            value = compute()
        except BudgetExceeded:
            self._cache.pop(key, None)
            raise
        except EvalError as error:
            self._cache[key] = error
            raise
        except RecursionError:
            self._cache[key] = EvalError(f"{key} is nested too deeply")
            raise self._cache[key] from None
        self._cache[key] = value
        return value

    # --- references -------------------------------------------------------------------------------------------

    def _resolve(self, name: str, attributes: list[str], node: Node) -> tuple[Any, int]:
        if name == "var":
            return self._variable(_first(attributes, name)), 1
        if name == "local":
            local_name = _first(attributes, name)
            if local_name not in self.locals:
                raise EvalError(f"there is no local value named {local_name!r}")
            attribute = self.locals[local_name][0]
            return self._cached(f"local.{local_name}", lambda: evaluate(attribute.expr, self.scope)), 1
        if name == "path":
            what = _first(attributes, name)
            paths = {"module": self.files.directory, "root": self.state.root_module_dir,
                     "cwd": self.state.root_module_dir}
            if what not in paths:
                raise EvalError(f"path.{what} does not exist")
            return paths[what].as_posix(), 1
        if name == "terraform":
            what = _first(attributes, name)
            if what == "workspace":
                return "default", 1
            return Unresolved(f"terraform.{what}", "only known where Terraform runs"), 1
        if name == "data":
            if len(attributes) < 2:
                raise EvalError("a data source reference needs a type and a name")
            key = (attributes[0], attributes[1])
            if key not in self.data:
                raise EvalError(f"there is no data source data.{key[0]}.{key[1]}")
            return self._cached(f"data.{key[0]}.{key[1]}", lambda: self._resource_value(key, "data")), 2
        if name == "module":
            module_name = _first(attributes, name)
            if module_name not in self.modules:
                raise EvalError(f"there is no module call named {module_name!r}")
            return self._cached(f"module.{module_name}", lambda: self._module_value(module_name)), 1
        if name in ("count", "each", "self"):
            raise EvalError(f"{name} is not available here")
        if attributes and (name, attributes[0]) in self.resources:
            key = (name, attributes[0])
            return self._cached(f"resource.{name}.{key[1]}", lambda: self._resource_value(key, "managed")), 1
        if attributes:
            raise EvalError(f"there is no resource {name}.{attributes[0]} in this module")
        raise EvalError(f"unknown name {name!r}")

    def _variable(self, name: str) -> Any:
        return self._cached(f"var.{name}", lambda: self._variable_value(name))

    def _variable_value(self, name: str) -> Any:
        declaration = self.variables.get(name)
        if declaration is None:
            raise EvalError(f"there is no variable named {name!r}")
        body = declaration.block.body
        type_node = body.attributes["type"].expr if "type" in body.attributes else None
        nullable = True
        if "nullable" in body.attributes:
            nullable_value = evaluate_value(body.attributes["nullable"].expr, self._constant_scope())
            nullable = not (isinstance(nullable_value, bool) and not nullable_value)
        value: Any
        if name in self.inputs and not (self.inputs[name] is None and not nullable):
            value = self.inputs[name]
        elif "default" in body.attributes:
            value = evaluate_value(body.attributes["default"].expr, self._constant_scope())
        else:
            return Unresolved(f"var.{name}", "no value given (no default, tfvars file or -var)")
        if type_node is None or isinstance(value, Unresolved) or value is None:
            return value
        try:
            return convert(value, type_node, self._constant_scope())
        except EvalError as error:
            return Unresolved(f"var.{name}", f"the value does not fit the variable's type: {error.reason}")

    def _constant_scope(self) -> Scope:
        return Scope(no_references, self.state.budget, self.files.directory, self.state.root_module_dir,
                     self.state.allowed_root)

    # --- resources --------------------------------------------------------------------------------------------

    def _address(self, mode: str, key: tuple[str, str]) -> str:
        return f"{self.prefix}{'data.' if mode == 'data' else ''}{key[0]}.{key[1]}"

    def _resource_value(self, key: tuple[str, str], mode: str) -> Any:
        declaration = (self.data if mode == "data" else self.resources)[key]
        address = self._address(mode, key)
        instances = self._instances(declaration.block, address)
        if isinstance(instances, Rejected):
            return self._reject(address, declaration, instances)
        if isinstance(instances, Unresolved):
            scope, instance_address = self._unresolved_instance(declaration.block, instances, address)
            self._record(key, mode, declaration, instance_address, scope)
            return Unresolved(address, f"its count or for_each is unresolved: {instances.reason}")
        if instances.kind == "single":
            return self._record(key, mode, declaration, address, self.scope)
        results: Any = [] if instances.kind == "count" else {}
        for instance_key, bindings in instances.items:
            instance_address = f"{address}[{_key_text(instance_key)}]"
            value = self._record(key, mode, declaration, instance_address, self.scope.bind(bindings))
            if isinstance(results, list):
                results.append(value)
            else:
                results[str(instance_key)] = value
        return results

    def _record(self, key: tuple[str, str], mode: str, declaration: _Declaration, address: str,
                scope: Scope) -> ResourceInstance:
        attributes = block_attributes(declaration.block.body, scope, self)
        self.state.resources.append(EvaluatedResource(key[0], key[1], address, mode,
                                                      _azapi_body_fields(key[0], declaration.block, attributes, scope),
                                                      declaration.file, declaration.block.line,
                                                      declaration.block.end_line))
        known = dict(attributes)
        known["id"] = instance_id(address, self.arm_id(key[0], attributes, context=self.state.context))
        reason = ("read by the data source when Terraform runs" if mode == "data" else COMPUTED)
        return _reference_view(address, known, reason)

    def _instances(self, block: Block, address: str) -> _Instances | Unresolved | Rejected:
        attributes = block.body.attributes
        if "count" in attributes:
            count = evaluate_value(attributes["count"].expr, self.scope)
            if isinstance(count, Unresolved):
                return count
            if count is None:
                return Rejected("count is null; Terraform requires a whole number of 0 or more")
            try:
                value = to_number(count)
            except EvalError as error:
                return Rejected(f"count {error.reason}; Terraform requires a whole number of 0 or more")
            if value < 0 or not float(value).is_integer():
                return Rejected(f"count = {count!r} is not a whole number of 0 or more, which Terraform rejects")
            number = int(value)
            if number > MAX_INSTANCES:
                self.note(f"{address}: count {number} cut to {MAX_INSTANCES} instances")
                number = MAX_INSTANCES
            return _Instances("count", [(i, {"count": {"index": i}}) for i in range(number)])
        if "for_each" in attributes:
            collection = evaluate_value(attributes["for_each"].expr, self.scope)
            pairs = for_each_pairs(collection, source_text(attributes["for_each"].expr))
            if isinstance(pairs, Unresolved):
                return pairs
            if len(pairs) > MAX_INSTANCES:
                self.note(f"{address}: for_each over {len(pairs)} elements cut to {MAX_INSTANCES} instances")
                pairs = pairs[:MAX_INSTANCES]
            return _Instances("for_each", [(k, {"each": {"key": k, "value": v}}) for k, v in pairs])
        return _Instances("single", [])

    def _unresolved_instance(self, block: Block, cause: Unresolved, address: str) -> tuple[Scope, str]:
        self.note(f"{address}: count or for_each is unresolved ({cause.reason}); reviewed as one instance")
        if "count" in block.body.attributes:
            return self.scope.bind({"count": {"index": Unresolved("count.index", cause.reason)}}), f"{address}[?]"
        each = {"key": Unresolved("each.key", cause.reason), "value": Unresolved("each.value", cause.reason)}
        return self.scope.bind({"each": each}), f"{address}[?]"

    # --- module calls -----------------------------------------------------------------------------------------

    def _module_value(self, name: str) -> Any:
        declaration = self.modules[name]
        block = declaration.block
        address = f"{self.prefix}module.{name}"
        key = f"{self.module_key}.{name}" if self.module_key else name
        directory, reason = self._module_directory(block, key)
        if directory is None:
            self._skip(address, block, declaration.file, reason)
            return Unresolved(address, f"module not analysed: {reason}")
        if self.depth + 1 > MAX_MODULE_DEPTH:
            self._skip(address, block, declaration.file, f"modules nested more than {MAX_MODULE_DEPTH} deep")
            return Unresolved(address, "module not analysed: nested too deeply")
        files = self.state.module_files(directory)
        for failed, error in files.failures.items():
            self.note(f"{address}: {failed} could not be parsed ({error.message}); the module is evaluated "
                      f"without it")
        instances = self._instances(block, address)
        if isinstance(instances, Rejected):
            return self._reject(address, declaration, instances)
        if isinstance(instances, Unresolved):
            scope, instance_address = self._unresolved_instance(block, instances, address)
            self._child(files, block, scope, instance_address, key).evaluate_all()
            return Unresolved(address, f"its count or for_each is unresolved: {instances.reason}")
        if instances.kind == "single":
            child = self._child(files, block, self.scope, address, key)
            child.evaluate_all()
            return module_outputs(address, child)
        results: Any = [] if instances.kind == "count" else {}
        for instance_key, bindings in instances.items:
            instance_address = f"{address}[{_key_text(instance_key)}]"
            child = self._child(files, block, self.scope.bind(bindings), instance_address, key)
            child.evaluate_all()
            if isinstance(results, list):
                results.append(module_outputs(instance_address, child))
            else:
                results[str(instance_key)] = module_outputs(instance_address, child)
        return results

    def _child(self, files: ModuleFiles, block: Block, scope: Scope, address: str, key: str) -> ModuleEvaluator:
        inputs = {name: evaluate_value(attribute.expr, scope)
                  for name, attribute in block.body.attributes.items() if name not in MODULE_META}
        return ModuleEvaluator(files, state=self.state, inputs=inputs, address_prefix=f"{address}.",
                               module_key=key, depth=self.depth + 1, arm_id=self.arm_id)

    def _module_directory(self, block: Block, key: str) -> tuple[Path | None, str]:
        source_attribute = block.body.attributes.get("source")
        source = evaluate_value(source_attribute.expr, self.scope) if source_attribute else None
        if not isinstance(source, str):
            return None, "the module source is not a literal string"
        allowed = self.state.allowed_root
        if source.startswith(("./", "../", ".\\", "..\\")):
            directory = joined(self.files.directory, source.replace("\\", "/"))
            if allowed is not None and not within(directory, allowed):
                return None, f"{source} is outside the reviewed directory"
            if not directory.is_dir():
                return None, f"{source} does not exist"
            return directory, ""
        installed = self.state.installed(key)
        if installed is not None and installed.is_dir():
            if allowed is not None and not within(installed, allowed):
                return None, (f"{source}: .terraform/modules/modules.json places it outside the reviewed tree "
                              f"({installed}); not read")
            return installed, ""
        return None, (f"{source} is not on disk (registry and remote modules are not downloaded; run "
                      f"`terraform init` to have them read from .terraform/modules)")

    def _reject(self, address: str, declaration: _Declaration, rejected: Rejected) -> Unresolved:
        """Record a block Terraform would reject as not analysed; references to it are unresolved."""
        self.state.rejected.append(SkippedModule(address, "", declaration.file, declaration.block.line,
                                                 rejected.reason))
        self.note(f"{address} not analysed: {rejected.reason}")
        return Unresolved(address, f"not analysed: {rejected.reason}")

    def _skip(self, address: str, block: Block, file: str, reason: str) -> None:
        source = block.body.attributes.get("source")
        source_text_value = source_text(source.expr) if source else ""
        self.state.skipped_modules.append(SkippedModule(address, source_text_value, file, block.line, reason))
        self.note(f"{address} not analysed: {reason}")


class _Instances(Struct):
    kind: str
    items: list[tuple[Any, dict[str, Any]]]


class Rejected(Struct, frozen=True):
    """A `count` Terraform would reject, and why."""

    reason: str


class _ModuleOutputs(ResourceInstance, kw_only=True):
    """A module instance as expressions see it: its outputs, evaluated when read (`module_outputs` makes one)."""

    module: ModuleEvaluator

    def attribute(self, name: str) -> Any:
        """The value of output `name`."""
        return self.module.output(name)


def module_outputs(address: str, module: ModuleEvaluator) -> _ModuleOutputs:
    """The instance `address` of `module` as expressions see it."""
    return _ModuleOutputs(address, {}, strict=True, module=module)


def _first(attributes: list[str], name: str) -> str:
    if not attributes:
        raise EvalError(f"{name} must be followed by an attribute name")
    return attributes[0]


def _key_text(key: Any) -> str:
    return str(key) if isinstance(key, int) else json.dumps(to_string(key) if not isinstance(key, Unresolved)
                                                            else "?")


def instance_id(address: str, resource_id: Any) -> Any:
    """A resource instance's id as references and the mapping see it: the ARM id when it is known; when it is
    `Unresolved`, one whose expression is `<address>.id`. Two instances whose names share an unresolved expression
    (one module called twice) then keep distinct ids, and a patch that refers to `x.id` finds exactly `x`."""
    if isinstance(resource_id, Unresolved):
        return Unresolved(f"{address}.id", resource_id.reason)
    return resource_id


def for_each_pairs(collection: Any, expression: str) -> list[tuple[Any, Any]] | Unresolved:
    """(each.key, each.value) pairs of a `for_each` value: a map or object, or a set (list) of strings."""
    if isinstance(collection, Unresolved):
        return collection
    if isinstance(collection, ResourceInstance):
        collection = plain(collection)
    if isinstance(collection, dict):
        return [(key, collection[key]) for key in sorted(collection)]
    if isinstance(collection, list):
        unresolved = next((item for item in collection if isinstance(item, Unresolved)), None)
        if unresolved is not None:
            return Unresolved(expression, f"a member of the set is unresolved: {unresolved.reason}")
        try:
            members = to_set([to_string(item) for item in collection])
        except EvalError:
            return Unresolved(expression, "for_each needs a map or a set of strings")
        return [(member, member) for member in members]
    if collection is None:
        return Unresolved(expression, "for_each is null")
    return Unresolved(expression, f"for_each needs a map or a set of strings, not {type(collection).__name__}")


def block_attributes(body: Body, scope: Scope, module: ModuleEvaluator | None = None) -> dict[str, Any]:
    """A block's body as the mapping reads it: attributes evaluated, nested blocks as lists of dicts, `dynamic`
    blocks expanded, meta-arguments removed."""
    attributes: dict[str, Any] = {}
    for name, attribute in body.attributes.items():
        if name not in META_ARGUMENTS:
            attributes[name] = plain(evaluate_value(attribute.expr, scope))
    for block in body.blocks:
        if block.type in META_BLOCKS:
            continue
        if block.type == "dynamic" and block.labels:
            _expand_dynamic(block, scope, attributes, module)
            continue
        existing = attributes.setdefault(block.type, [])
        if isinstance(existing, list):
            existing.append(block_attributes(block.body, scope, module))
    return attributes


def _expand_dynamic(block: Block, scope: Scope, attributes: dict[str, Any], module: ModuleEvaluator | None) -> None:
    label = block.labels[0]
    body = block.body
    iterator = label
    if "iterator" in body.attributes:
        iterator_node = body.attributes["iterator"].expr
        if isinstance(iterator_node, Variable):
            iterator = iterator_node.name
    content = next((b for b in body.blocks if b.type == "content"), None)
    if content is None or "for_each" not in body.attributes:
        return
    collection = evaluate_value(body.attributes["for_each"].expr, scope)
    if isinstance(collection, Unresolved):
        attributes[label] = Unresolved(f"dynamic {label!r}", f"its for_each is unresolved: {collection.reason}")
        if module is not None:
            module.note(f"dynamic block {label!r}: for_each is unresolved ({collection.reason})")
        return
    if isinstance(collection, ResourceInstance):
        collection = plain(collection)
    if isinstance(collection, dict):
        pairs: list[tuple[Any, Any]] = [(k, collection[k]) for k in sorted(collection)]
    elif isinstance(collection, list):
        pairs = list(enumerate(collection))
    elif collection is None:
        pairs = []
    else:
        attributes[label] = Unresolved(f"dynamic {label!r}", "for_each must be a collection")
        return
    existing = attributes.setdefault(label, [])
    if not isinstance(existing, list):
        return
    for key, value in pairs:
        scope.budget.spend()
        existing.append(block_attributes(content.body, scope.bind({iterator: {"key": key, "value": value}}),
                                         module))


def _azapi_body_fields(tf_type: str, block: Block, attributes: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The attributes the mapping reads. An azapi `body = jsonencode({...})` is read as the object it encodes:
    azapi decodes the text to that object anyway, and the object keeps every literal field known where the
    encoded text is unresolved as a whole as soon as one field is (`var.x` with no value). References to the
    resource's `body` still see the text."""
    body = block.body.attributes.get("body")
    if tf_type not in AZAPI_TYPES or body is None or not isinstance(attributes.get("body"), Unresolved):
        return attributes
    expression = body.expr
    if not (isinstance(expression, Call) and expression.name in ("jsonencode", "core::jsonencode")
            and len(expression.args) == 1 and not expression.expand_last):
        return attributes
    decoded = plain(evaluate_value(expression.args[0], scope))
    return {**attributes, "body": decoded} if isinstance(decoded, dict) else attributes


def _reference_view(address: str, attributes: dict[str, Any], reason: str) -> ResourceInstance:
    """How other expressions see a resource: nested objects too answer `Unresolved` for computed attributes."""
    def view(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return ResourceInstance(path, {k: view(v, f"{path}.{k}") for k, v in value.items()}, reason)
        if isinstance(value, list):
            return [view(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value
    return ResourceInstance(address, {k: view(v, f"{address}.{k}") for k, v in attributes.items()}, reason)


# --- type constraints -----------------------------------------------------------------------------------------


def convert(value: Any, type_node: Node, scope: Scope) -> Any:
    """Convert a variable's value to its declared type, as Terraform does (strings ↔ numbers ↔ bools, lists to
    sets, optional object attributes filled with their defaults or null)."""
    if isinstance(value, Unresolved) or value is None:
        return value
    if isinstance(type_node, Variable):
        kind = type_node.name
        if kind == "string":
            if isinstance(value, (list, dict)):
                raise EvalError(f"a {type(value).__name__} is not a string")
            return to_string(value)
        if kind == "number":
            return to_number(value)
        if kind == "bool":
            return to_bool(value)
        return value
    if isinstance(type_node, Call):
        kind = type_node.name
        args = type_node.args
        if kind in ("list", "set") and args:
            if not isinstance(value, list):
                raise EvalError(f"a {kind} is required")
            items = [convert(v, args[0], scope) for v in value]
            return to_set(items) if kind == "set" and first_unresolved(items) is None else items
        if kind == "map" and args:
            if not isinstance(value, dict):
                raise EvalError("a map is required")
            return {k: convert(v, args[0], scope) for k, v in value.items()}
        if kind == "tuple" and args and isinstance(args[0], TupleExpr):
            if not isinstance(value, list):
                raise EvalError("a tuple is required")
            return [convert(v, t, scope) if i < len(args[0].items) else v
                    for i, (v, t) in enumerate(zip(value, args[0].items, strict=False))]
        if kind == "object" and args and isinstance(args[0], ObjectExpr):
            if not isinstance(value, dict):
                raise EvalError("an object is required")
            return _convert_object(value, args[0], scope)
        if kind == "optional" and args:
            return convert(value, args[0], scope)
    return value


def _convert_object(value: dict[str, Any], type_node: ObjectExpr, scope: Scope) -> dict[str, Any]:
    result = dict(value)
    for key_node, attribute_type in type_node.items:
        if not isinstance(key_node, Literal):
            continue
        key = str(key_node.value)
        optional = isinstance(attribute_type, Call) and attribute_type.name == "optional"
        if key in value and value[key] is not None:
            result[key] = convert(value[key], attribute_type, scope)
        elif optional:
            assert isinstance(attribute_type, Call)
            default = (evaluate_value(attribute_type.args[1], scope) if len(attribute_type.args) > 1 else None)
            result[key] = convert(default, attribute_type.args[0], scope) if default is not None else None
        elif key not in value:
            raise EvalError(f"attribute {key!r} is required")
    return result


def evaluate_tfvars(hcl_file: HclFile, budget: Budget, directory: Path) -> dict[str, Any]:
    """The values a `.tfvars` file assigns (constants only; a reference is `Unresolved`)."""
    scope = Scope(no_references, budget, directory, directory, None)
    return {name: evaluate_value(attribute.expr, scope) for name, attribute in hcl_file.body.attributes.items()}


__all__ = [
    "MAX_INSTANCES",
    "MAX_MODULE_DEPTH",
    "META_ARGUMENTS",
    "EvaluatedResource",
    "LoadState",
    "ModuleEvaluator",
    "ModuleFiles",
    "SkippedModule",
    "block_attributes",
    "convert",
    "evaluate_tfvars",
    "for_each_pairs",
    "instance_id",
    "read_module_files",
]
