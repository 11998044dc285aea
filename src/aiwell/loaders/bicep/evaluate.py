"""Bicep programs → the ARM-shaped resources one deployment of them would create.

The evaluator walks the syntax tree of `aiwell.loaders.bicep.syntax` directly (no compilation to ARM JSON), and
produces resources shaped exactly as the ARM loader produces them for the template `bicep build` would emit:
full child types and names, ARM ids built by `aiwell.loaders.arm.template.resource_id`, `apiVersion`, and the
declared body (`location`, `sku`, `properties`, ...). Functions that mirror ARM's are the ARM library's own
(`aiwell.loaders.arm.functions.FUNCTIONS`), so `uniqueString`, `guid`, `resourceId`, `union`, lambdas and the
rest give the same values in both formats.

What is resolved: parameters (supplied values, defaults, `null` for a nullable parameter without either),
variables, string interpolation, operators (`??`, `.?`, `!`, ternaries, `=~`), spreads, lambdas, user-defined
functions, `for` loops (arrays, `range()`, `(item, index)`, filtered) and `if` conditions on resources and
modules, `parent:` and nested child resources, symbolic references (`account.id`, `.name` (the name as
declared, like Bicep), `.type`, `.apiVersion`, and any declared value such as `account.properties.x`),
`existing` resources (references only, never reported), local modules (`.bicep`, and `.json` ARM templates
through the ARM loader) with their parameters and outputs, `scope:`, `dependsOn` (explicit, plus the implicit
dependencies Bicep adds for symbolic references), compile-time imports of variables and functions from local
files, and the `load*Content` functions (files read relative to the Bicep file, only inside `root`).

Choices where Bicep leaves room: a parameter given `null` deploys its default (as ARM does); a module is reported
as its `Microsoft.Resources/deployments` resource (named as the compiler names it, generated name included) followed
by its resources, addressed `m.<symbol>` (`m[i].` in a loop; `parent::child` for nested children); a reference to
a loop's symbol (`stores[i]`) adds every copy to `dependsOn`; resources of a `.json` module keep the ARM format.

What is `Unresolved` (never guessed): a parameter without a value, runtime values of resources (a property the
template does not declare, `listKeys()`, `reference()`), a loop over an unknown array (reviewed as one resource
whose name is unresolved), functions aiwell does not know, registry or template-spec modules and imports
(`br:`, `ts:`: noted, their resources not reviewed), a symbol aiwell can't find. An `if` condition that is
unresolved is reviewed as deployed, with a note. A property read on a value that has no such property (or on
null) is unresolved with a note rather than an error, because the Bicep compiler has type-checked the file and
such a read usually means the value's shape is not known here. A property a resource does not declare is a
runtime value even when read with `.?` (`site.?identity.?principalId` is unresolved, not null). A function that
rejects its arguments is unresolved with a note when they are not all literals (they came from parameters,
defaults, runtime values or modules, whose deployed values may differ); a module whose `scope:` is unresolved
still deploys at the scope it declares (its ids unresolved, `resourceGroup()` in it a placeholder).

Errors (`TemplateError`, with the line in the file given to `evaluate_bicep`): a loop over more than 800 items
(ARM's limit), a function rejecting literal arguments (`resourceGroup()` at subscription scope), a non-boolean
condition, the shared expression work budget, modules nested more than
`MAX_MODULE_DEPTH` deep or including themselves. An error inside a module file, including a module that fails
to parse, is reported on the line of the `module` statement in the file that uses it, and its message names the
module's file and line (`in module ./x.bicep line 7: ...`): the input is the deployment, and the module is where
the reason lives.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field
from msgspec.structs import replace

from aiwell.errors import InputError, TemplateError
from aiwell.loaders.arm.expressions import FunctionCall as ArmCall
from aiwell.loaders.arm.expressions import StringLiteral as ArmString
from aiwell.loaders.arm.expressions import copy_count, lookup_key, type_name
from aiwell.loaders.arm.functions import (
    DEPLOYMENT_TIME_FUNCTIONS,
    FUNCTIONS,
    Call,
    LambdaValue,
    arm_equals,
    to_arm_string,
    unique_string,
)
from aiwell.loaders.arm.parameters import deployment_parameter_values
from aiwell.loaders.arm.scope import MAX_ARRAY_LENGTH, MAX_STRING_LENGTH, DeploymentContext, EvalScope
from aiwell.loaders.arm.template import expand_template, is_template, resource_id
from aiwell.loaders.bicep import syntax as s
from aiwell.loaders.bicep.registry import ModuleCache, cached_template, locate, module_cache
from aiwell.loaders.files import read_file_bytes
from aiwell.loaders.jsonc import MAX_FILE_BYTES, JsonDocument, load_json, parse_text, read_text
from aiwell.model import Resource, Source, SourceFormat, Unresolved, first_unresolved

MAX_MODULE_DEPTH = 20
"""Modules nested deeper than this are refused (as ARM refuses deeply nested deployments)."""

DEPLOYMENTS_API_VERSION = "2025-04-01"
"""The `apiVersion` the Bicep compiler gives the `Microsoft.Resources/deployments` resource of a module."""

RUNTIME = "a runtime value of the resource: only known after deployment"

_REGISTRY_PREFIXES = ("br:", "br/", "ts:", "ts/")
_DEPLOYMENTS_TYPE = "Microsoft.Resources/deployments"
_DEPLOYMENTS_LOWER = _DEPLOYMENTS_TYPE.lower()
_RESOURCE_GROUPS = "microsoft.resources/resourcegroups"
# Keys of a resource or module body that steer the deployment and are not part of the deployed resource.
_CONTROL_KEYS = frozenset({"parent", "scope", "dependson"})
# ARM functions that are not Bicep functions (Bicep has operators, loops and symbols for these).
_NOT_BICEP = frozenset({"parameters", "variables", "copyindex", "lambda", "lambdavariables", "if", "and", "or",
                        "not", "createarray", "createobject", "null", "true", "false"})


# --- values the evaluator passes around ---------------------------------------------------------------------


class _RuntimeObject(dict[str, Any]):
    """A declared value read through a resource symbol: a key it lacks is a runtime value, not an error."""


def _runtime(value: Any) -> Any:
    """A declared value as read through a resource symbol: its objects (also in an array) are runtime objects."""
    if isinstance(value, dict) and not isinstance(value, _RuntimeObject):
        return _RuntimeObject(value)
    if isinstance(value, list):
        return [_RuntimeObject(item) if isinstance(item, dict) else item for item in value]
    return value


class _Locals(Struct, frozen=True):
    """Names bound inside an expression: loop variables, lambda parameters, function parameters."""

    values: Mapping[str, Any] = field(default_factory=dict)
    function: str | None = None
    """The user-defined function being evaluated: its body can't see parameters or variables."""
    enclosing: _Instance | None = None
    """The resource whose body this is nested in: its nested resources (and its ancestors') are visible by name."""

    def bind(self, names: Mapping[str, Any]) -> _Locals:
        return _Locals({**self.values, **names}, self.function, self.enclosing)


class _BicepLambda(LambdaValue, frozen=True):
    """A Bicep lambda (`x => body`), callable by the ARM library's `map`, `filter`, `reduce`, `sort`, ..."""

    file: _File
    node: s.Lambda
    local: _Locals

    def __call__(self, *values: Any) -> Any:
        bindings = dict(zip(self.node.params, values, strict=False))
        return self.file.eval(self.node.body, self.local.bind(bindings))


# --- the evaluation of one input -------------------------------------------------------------------------------


class BicepEvaluation(Struct):
    """What one deployment of a Bicep file yields."""

    resources: list[Resource]
    notes: list[str]
    files: list[Path]
    """The module (and imported, loaded) files read, resolved, in the order they were first read."""
    unreviewed: list[str] = field(default_factory=list)
    """Parts of the deployment whose resources are not reviewed (a registry module, ...)."""
    not_read: list[ModuleNotRead] = field(default_factory=list)
    """Local modules that could not be read: the deployment can't be built as written (AIW000)."""


class ModuleNotRead(Struct, frozen=True):
    """A local module the deployment needs but aiwell could not read (missing, outside the reviewed tree, not a
    regular file). Bicep refuses to build a file whose local module is missing, so this is a part of the input
    that is not analysed, not merely a part that is not reviewed."""

    address: str
    """The module's symbol, `outer.inner` inside another module."""
    reason: str
    line: int | None
    """The line in the top file: of the `module` statement, or of the outer module that leads to it."""


class _Session:
    """State shared by every file of one evaluation: budget, notes, files read, parsed programs."""

    def __init__(self, context: DeploymentContext, root: Path | None, top: Path) -> None:
        self.context = context
        self.root = root.resolve() if root is not None else None
        self.top = top
        self.base_scope = EvalScope(parameters={}, context=context)
        self.notes: list[str] = []
        self.unreviewed: list[str] = []
        self.not_read: dict[tuple[Path, int], ModuleNotRead] = {}
        """Local modules that could not be read, once per `module` statement."""
        self.files: list[Path] = []
        self.programs: dict[Path, s.Program] = {}
        self.imported: dict[Path, _File] = {}
        self.collectors: list[list[Any]] = []

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def scope_for(self, context: DeploymentContext) -> EvalScope:
        """An ARM expression scope with `context`, sharing the session's work budget and depth."""
        scope = self.base_scope.root()
        scope.context = context
        return scope

    def inside_root(self, path: Path) -> bool:
        return self.root is None or path.resolve().is_relative_to(self.root)

    def read_program(self, path: Path) -> s.Program:
        """Parse a module or imported file once per evaluation."""
        from aiwell.loaders.bicep.parser import parse_bicep

        resolved = path.resolve()
        cached = self.programs.get(resolved)
        if cached is not None:
            return cached
        program = parse_bicep(read_text(path), path=str(path))
        self.programs[resolved] = program
        if resolved not in self.files:
            self.files.append(resolved)
        return program

    def depends_on(self, target: Any) -> None:
        """Record a symbolic reference for the resource being evaluated (Bicep's implicit `dependsOn`)."""
        if self.collectors:
            self.collectors[-1].append(target)

    @contextmanager
    def collecting(self) -> Iterator[list[Any]]:
        collected: list[Any] = []
        self.collectors.append(collected)
        try:
            yield collected
        finally:
            self.collectors.pop()


def _located(exc: InputError, line: int) -> None:
    """Give an error the line of the innermost statement it came from."""
    if exc.line is None:
        exc.line = line


# --- one file (the top file, a module instance, an imported file, a parameter file) ---------------------------


class _File:
    """One Bicep file evaluated with one set of parameter values, in one deployment scope."""

    def __init__(self, session: _Session, program: s.Program, path: Path, *, supplied: Mapping[str, Any],
                 context: DeploymentContext, prefix: str | Unresolved, address: str,
                 stack: tuple[Path, ...], origin: int | None = None) -> None:
        self.session = session
        self.origin = origin
        """For a module's file: the line in the top file of the `module` statement this evaluation comes from."""
        self.program = program
        self.path = path
        self.context = context
        self.scope = session.scope_for(context)
        self.prefix = prefix
        """The id prefix of this file's deployment scope (`/subscriptions/.../resourceGroups/...`)."""
        self.address = address
        """Address prefix of this file's resources (`m.` in module `m`, empty at the top)."""
        self.stack = stack
        self.params: dict[str, s.Param] = {}
        self.assignments: dict[str, s.ParamAssignment] = {}
        self.vars: dict[str, s.Var] = {}
        self.resources: dict[str, s.Resource] = {}
        self.modules: dict[str, s.Module] = {}
        self.functions: dict[str, s.FunctionDecl] = {}
        self.types: dict[str, s.TypeDecl] = {}
        self.outputs: dict[str, s.Output] = {}
        self.imports: dict[str, tuple[s.Import, str]] = {}
        self.wildcards: dict[str, s.Import] = {}
        for statement in program.statements:
            self._declare(statement)
        self.supplied_by_lower = {k.lower(): v for k, v in supplied.items()}
        self.configured_by_lower = {k.lower(): v for k, v in context.parameter_values.items()}
        declared = {name.lower() for name in self.params}
        for name in sorted(supplied):
            if name.lower() not in declared:
                self.note(f"parameter '{name}' is set but the file does not declare it (Azure rejects this)")
        self._param_cache: dict[str, Any] = {}
        self._var_cache: dict[str, tuple[Any, list[Any]]] = {}
        self._in_progress: set[str] = set()
        self._resource_cache: dict[tuple[int, int], Any] = {}
        self._module_cache: dict[int, Any] = {}
        self._output_cache: dict[str, Any] = {}
        self._module_cache_lookup: ModuleCache | None = None

    def _declare(self, statement: s.Statement) -> None:
        if isinstance(statement, s.Param):
            self.params[statement.name] = statement
        elif isinstance(statement, s.ParamAssignment):
            self.assignments[statement.name] = statement
        elif isinstance(statement, s.Var):
            self.vars[statement.name] = statement
        elif isinstance(statement, s.Resource):
            self.resources[statement.name] = statement
        elif isinstance(statement, s.Module):
            self.modules[statement.name] = statement
        elif isinstance(statement, s.FunctionDecl):
            self.functions[statement.name] = statement
        elif isinstance(statement, s.TypeDecl):
            self.types[statement.name] = statement
        elif isinstance(statement, s.Output):
            self.outputs[statement.name] = statement
        elif isinstance(statement, s.Import):
            if statement.wildcard_alias is not None:
                self.wildcards[statement.wildcard_alias] = statement
            for symbol in statement.symbols or ():
                self.imports[symbol.alias or symbol.name] = (statement, symbol.name)

    def module_cache(self) -> ModuleCache:
        """Where this file's registry modules are looked up (its nearest bicepconfig.json)."""
        if self._module_cache_lookup is None:
            self._module_cache_lookup = module_cache(self.path, root=self.session.root)
            for message in self._module_cache_lookup.notes:
                self.note(message)
        return self._module_cache_lookup

    def where(self) -> str:
        """This file, for a note, when it is not the top file."""
        return "" if self.path == self.session.top else f"{self.path}: "

    def note(self, message: str) -> None:
        self.session.note(self.where() + message)

    def note_unreviewed(self, message: str) -> None:
        """Note a part of the deployment whose resources are not reviewed (they may hold related resources)."""
        self.note(message)
        self.session.unreviewed.append(self.where() + message)

    def not_read(self, declaration: s.Module, address: str, reason: str) -> None:
        """Record a local module that could not be read (once per `module` statement): not analysed, and a part
        whose resources are not reviewed."""
        key = (self.path.resolve(), declaration.line)
        if key in self.session.not_read:
            return
        shown = f"in {self.path} line {declaration.line}: " if self.origin is not None else ""
        message = f"{shown}module '{address}' ({declaration.path_string}) {reason}"
        line = self.origin if self.origin is not None else declaration.line
        self.session.not_read[key] = ModuleNotRead(address, message, line)
        self.note(f"module '{address}' ({declaration.path_string}) {reason}")
        self.session.unreviewed.append(message)

    # --- symbols ----------------------------------------------------------------------------------------------

    def parameter(self, name: str, text: str) -> Any:
        if name in self._param_cache:
            return self._param_cache[name]
        declaration = self.params[name]
        supplied = self.supplied_by_lower.get(name.lower())
        if supplied is not None or (name.lower() in self.supplied_by_lower and declaration.default is None):
            # A null value for a parameter with a default deploys the default, as ARM does.
            value = _coerced(supplied, declaration.type)
        elif declaration.default is not None:
            if name in self._in_progress:
                return Unresolved(text, f"the default of parameter '{name}' refers to itself")
            self._in_progress.add(name)
            try:
                value = self.eval_statement(declaration.default, _Locals(), declaration.line)
            finally:
                self._in_progress.discard(name)
        elif self.nullable(declaration.type):
            value = None
        elif not self.address and name.lower() in self.configured_by_lower:
            # The top-level file only: a module's parameters come from its caller.
            value = _coerced(self.configured_by_lower[name.lower()], declaration.type)
        else:
            value = Unresolved(text, "no value: the parameter has no default and no parameter file sets it")
        self._param_cache[name] = value
        return value

    def nullable(self, declared: s.TypeExpr | None, seen: frozenset[str] = frozenset()) -> bool:
        """Whether a declared type admits null: `T?`, a union with a nullable member or `null` (`'A' | 'B'?`
        is nullable as a whole, as `('A' | 'B')?` is), or a type declared so in this file."""
        if isinstance(declared, s.NullableType):
            return True
        if isinstance(declared, s.LiteralType):
            return isinstance(declared.value, s.NullLit)
        if isinstance(declared, s.UnionType):
            return any(self.nullable(member, seen) for member in declared.members)
        if not isinstance(declared, s.TypeRef) or declared.args or declared.name in seen:
            return False
        seen = seen | {declared.name}
        if declared.name in self.types:
            return self.nullable(self.types[declared.name].type, seen)
        file, name = self, declared.name
        if name in self.imports:
            statement, name = self.imports[name]
            imported = self._import_file(statement)
        elif "." in name and name.split(".", 1)[0] in self.wildcards:
            alias, name = name.split(".", 1)
            imported = self._import_file(self.wildcards[alias])
        else:
            return False
        if isinstance(imported, Unresolved) or name not in imported.types:
            return False
        file = imported
        return file.nullable(file.types[name].type, frozenset({name}))

    def variable(self, name: str, text: str) -> Any:
        cached = self._var_cache.get(name)
        if cached is not None:
            for target in cached[1]:
                self.session.depends_on(target)
            return cached[0]
        key = f"var {name}"
        if key in self._in_progress:
            return Unresolved(text, f"variable '{name}' refers to itself")
        declaration = self.vars[name]
        self._in_progress.add(key)
        try:
            with self.session.collecting() as collected:
                value = self.eval_statement(declaration.value, _Locals(), declaration.line)
        finally:
            self._in_progress.discard(key)
        self._var_cache[name] = (value, collected)
        for target in collected:
            self.session.depends_on(target)
        return value

    def assignment(self, name: str) -> Any:
        """The value a `.bicepparam` file gives parameter `name`."""
        if name not in self._param_cache:
            declaration = self.assignments[name]
            self._param_cache[name] = self.eval_statement(declaration.value, _Locals(), declaration.line)
        return self._param_cache[name]

    def resource_symbol(self, declaration: s.Resource, parent: _Instance | None = None) -> Any:
        """A resource symbol's value: its instance, or the list of instances of a loop."""
        key = (id(declaration), id(parent) if parent is not None else 0)
        if key not in self._resource_cache:
            self._resource_cache[key] = self._instances(declaration, parent)
        return self._resource_cache[key]

    def _instances(self, declaration: s.Resource | s.Module, parent: _Instance | None) -> Any:
        try:
            return _instances(self, declaration, parent)
        except InputError as exc:
            _located(exc, declaration.line)
            raise

    def module_symbol(self, declaration: s.Module) -> Any:
        key = id(declaration)
        if key not in self._module_cache:
            self._module_cache[key] = self._instances(declaration, None)
        return self._module_cache[key]

    def output(self, name: str, text: str) -> Any:
        if name not in self._output_cache:
            declaration = self.outputs.get(name)
            if declaration is None:
                self.note(f"output '{name}' is not declared")
                return Unresolved(text, f"the module declares no output '{name}'")
            self._output_cache[name] = self.eval_statement(declaration.value, _Locals(), declaration.line)
        return self._output_cache[name]

    def eval_statement(self, expr: s.Expr, local: _Locals, line: int) -> Any:
        """Evaluate a statement's expression; an error without a line gets the statement's."""
        try:
            return self.eval(expr, local)
        except InputError as exc:
            _located(exc, line)
            raise

    # --- expressions ------------------------------------------------------------------------------------------

    def eval(self, expr: s.Expr, local: _Locals) -> Any:
        """Evaluate an expression to a value (JSON-like, `Unresolved`, a symbol or a lambda)."""
        self.scope.charge()
        self.scope.enter()
        try:
            return self._eval(expr, local)
        finally:
            self.scope.leave()

    def _eval(self, expr: s.Expr, local: _Locals) -> Any:  # noqa: C901 - one branch per node type
        if isinstance(expr, s.StringLit | s.IntLit | s.BoolLit):
            return expr.value
        if isinstance(expr, s.NullLit):
            return None
        if isinstance(expr, s.InterpolatedString):
            return self._interpolate(expr, local)
        if isinstance(expr, s.ObjectExpr):
            return self._object(expr, local)
        if isinstance(expr, s.ArrayExpr):
            return self._array(expr, local)
        if isinstance(expr, s.Identifier):
            return self._identifier(expr, local)
        if isinstance(expr, s.PropertyAccess):
            return self._property(expr, local)
        if isinstance(expr, s.IndexAccess):
            return self._index(expr, local)
        if isinstance(expr, s.NestedResourceAccess):
            return self._nested(expr, local)
        if isinstance(expr, s.FunctionCall):
            return self._call(expr, local)
        if isinstance(expr, s.MethodCall):
            return self._method(expr, local)
        if isinstance(expr, s.UnaryOp):
            return self._unary(expr, local)
        if isinstance(expr, s.BinaryOp):
            return self._binary(expr, local)
        if isinstance(expr, s.Ternary):
            return self._ternary(expr, local)
        if isinstance(expr, s.Lambda):
            return _BicepLambda(tuple(expr.params), ArmString(_text(expr), ""), self.scope, self, expr, local)
        if isinstance(expr, s.NonNull):
            return self.eval(expr.expr, local)
        if isinstance(expr, s.ForExpr):
            return self._for(expr, local)
        if isinstance(expr, s.IfExpr):
            return Unresolved(_text(expr), "an if-expression is only meaningful as a resource or module body")
        return Unresolved(_text(expr), "an expression aiwell does not evaluate")

    def _interpolate(self, expr: s.InterpolatedString, local: _Locals) -> Any:
        pieces: list[str] = []
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = _plain(self.eval(part, local))
            if isinstance(value, Unresolved):
                return Unresolved(_text(expr), value.reason)
            if isinstance(value, _Instance | _BicepLambda):
                return Unresolved(_text(expr), "a resource or lambda can't be part of a string")
            pieces.append(to_arm_string(_finalize(value)))
        text = "".join(pieces)
        if len(text) > MAX_STRING_LENGTH:
            raise TemplateError(f"expression work limit exceeded: '{_text(expr)[:80]}' builds a string over 10 MB")
        return text

    def _object(self, expr: s.ObjectExpr, local: _Locals) -> Any:
        result: dict[str, Any] = {}
        for entry in expr.properties:
            if isinstance(entry, s.Spread):
                spread = _plain(self.eval(entry.expr, local))
                if isinstance(spread, Unresolved):
                    return Unresolved(_text(expr), f"a spread value is unresolved: {spread.reason}")
                if not isinstance(spread, dict):
                    raise TemplateError(f"only an object can be spread into an object ('{_text(entry.expr)}')")
                result.update(spread)
                continue
            key: Any = entry.key
            if not isinstance(key, str):
                key = self.eval(key, local)
                if not isinstance(key, str):
                    key = _text(entry.key)
            result[key] = self.eval(entry.value, local)
        self.scope.charge(len(result))
        return result

    def _array(self, expr: s.ArrayExpr, local: _Locals) -> Any:
        result: list[Any] = []
        for item in expr.items:
            if isinstance(item, s.Spread):
                spread = _plain(self.eval(item.expr, local))
                if isinstance(spread, Unresolved):
                    return Unresolved(_text(expr), f"a spread value is unresolved: {spread.reason}")
                if not isinstance(spread, list):
                    raise TemplateError(f"only an array can be spread into an array ('{_text(item.expr)}')")
                result.extend(spread)
            else:
                result.append(self.eval(item, local))
        if len(result) > MAX_ARRAY_LENGTH:
            raise TemplateError(f"expression work limit exceeded: an array of over {MAX_ARRAY_LENGTH:,} elements")
        self.scope.charge(len(result))
        return result

    def _identifier(self, expr: s.Identifier, local: _Locals) -> Any:
        name = expr.name
        if name in local.values:
            value = local.values[name]
            self._record_dependency(value)
            return value
        enclosing = local.enclosing
        while enclosing is not None:
            declaration = next((r for r in enclosing.nested() if r.name == name), None)
            if declaration is not None:
                value = enclosing.file.resource_symbol(declaration, enclosing)
                self._record_dependency(value)
                return value
            enclosing = enclosing.parent
        if local.function is not None and name not in self.imports and name not in self.wildcards:
            return Unresolved(name, f"function '{local.function}' can't see '{name}'")
        if name in self.params:
            return self.parameter(name, name)
        if name in self.assignments:
            return self.assignment(name)
        if name in self.vars:
            return self.variable(name, name)
        if name in self.resources:
            value = self.resource_symbol(self.resources[name])
            self._record_dependency(value)
            return value
        if name in self.modules:
            value = self.module_symbol(self.modules[name])
            self._record_dependency(value)
            return value
        if name in self.imports:
            return self._imported(name)
        if name in self.wildcards:
            return self._namespace(name)
        self.note(f"'{name}' is not a symbol aiwell knows; values that use it are unresolved")
        return Unresolved(name, f"'{name}' is not a symbol aiwell can resolve")

    def _record_dependency(self, value: Any) -> None:
        for instance in value if isinstance(value, list) else [value]:
            if isinstance(instance, _Instance) and not instance.existing:
                self.session.depends_on(instance)

    def _nested(self, expr: s.NestedResourceAccess, local: _Locals) -> Any:
        """`parent::child`: a child resource declared in a parent's body."""
        parent = self.eval(expr.parent, local)
        text = _text(expr)
        if isinstance(parent, Unresolved):
            return Unresolved(text, parent.reason)
        if not isinstance(parent, _Instance):
            return Unresolved(text, "the parent of a nested resource is a loop or not a resource")
        declaration = next((r for r in parent.nested() if r.name == expr.name), None)
        if declaration is None:
            self.note(f"'{text}': no nested resource '{expr.name}'")
            return Unresolved(text, f"no nested resource '{expr.name}'")
        value = parent.file.resource_symbol(declaration, parent)
        self._record_dependency(value)
        return value

    def _imported(self, alias: str) -> Any:
        statement, name = self.imports[alias]
        imported = self._import_file(statement)
        if isinstance(imported, Unresolved):
            return imported
        if name in imported.vars:
            return imported.variable(name, alias)
        if name in imported.functions:
            return Unresolved(alias, "a function used as a value")
        return Unresolved(alias, f"'{name}' is a type or not exported by {statement.path}")

    def _namespace(self, alias: str) -> Any:
        imported = self._import_file(self.wildcards[alias])
        if isinstance(imported, Unresolved):
            return imported
        return _Namespace(imported)

    def _import_file(self, statement: s.Import) -> _File | Unresolved:
        """The file a compile-time `import` reads (local files only; the registry is not fetched)."""
        where = statement.path
        if where.startswith(_REGISTRY_PREFIXES) or "@" in where:
            self.note(f"import from '{where}' is not fetched (aiwell works offline); what it imports is "
                      "unresolved")
            return Unresolved(where, "imported from a registry, not fetched")
        shown = Path(os.path.normpath(self.path.parent / where))
        resolved = shown.resolve()
        cached = self.session.imported.get(resolved)
        if cached is not None:
            return cached
        if not self.session.inside_root(shown) or not shown.is_file():
            self.note(f"import from '{where}': the file is missing or outside the reviewed directory")
            return Unresolved(where, "the imported file can't be read")
        try:
            program = self.session.read_program(shown)
        except InputError as exc:
            at = f" line {exc.line}" if exc.line is not None else ""
            raise TemplateError(f"in imported file {where}{at}: {exc.message}", line=statement.line) from exc
        imported = _File(self.session, program, shown, supplied={}, context=self.context, prefix=self.prefix,
                         address="", stack=self.stack)
        self.session.imported[resolved] = imported
        return imported

    def _property(self, expr: s.PropertyAccess, local: _Locals) -> Any:
        return self._chain(expr, local)[0]

    def _chain(self, expr: s.Expr, local: _Locals) -> tuple[Any, bool, bool]:
        """A chain of member and element accesses: (value, ended, safe).

        From its first safe access (`.?`, `[?]`) on, a chain is one `tryGet(base, key, ...)` as Bicep compiles
        it: every later access is safe too, and the first step that gives null ends the whole chain with null
        (`a.?b.c` is null when `a` has no `b`, and when `a.b` has no `c`).
        """
        if not isinstance(expr, s.PropertyAccess | s.IndexAccess):
            return self.eval(expr, local), False, False
        self.scope.charge()
        target, ended, safe = self._chain(expr.obj, local)
        if ended:
            return None, True, True
        safe = safe or expr.safe
        if isinstance(expr, s.PropertyAccess):
            value = self.member(target, expr.name, safe, _text(expr))
        else:
            value = self._element(target, expr, local, safe)
        return value, safe and value is None, safe

    def member(self, target: Any, name: str, safe: bool, text: str) -> Any:
        """`target.name` (`target.?name` when `safe`)."""
        if isinstance(target, Unresolved):
            return Unresolved(text, target.reason)
        if isinstance(target, _Instance):
            if safe and target.deployed() is False:
                # `res.?x` of a conditional resource or module that is not deployed: the compiler reads it as
                # `if(condition, reference(...), null())`, so it is null.
                return None
            return target.member(name, text)
        if isinstance(target, _Outputs):
            return target.module.module_output(name, text, safe=safe)
        if isinstance(target, _Namespace):
            return target.file._imported_member(name, text)
        if target is None:
            if safe:
                return None
            self.note(f"'{text}' reads a property of null; unresolved")
            return Unresolved(text, "reads a property of null")
        if isinstance(target, dict):
            found, value = lookup_key(target, name)
            if found:
                return _runtime(value) if isinstance(target, _RuntimeObject) else value
            if isinstance(target, _RuntimeObject):
                # Not declared is not null: `.?` reads the deployed resource (`identity.?principalId`).
                return Unresolved(text, RUNTIME)
            if safe:
                return None
            self.note(f"'{text}': the object has no property '{name}'; unresolved")
            return Unresolved(text, f"the object has no property '{name}'")
        if isinstance(target, list) and all(isinstance(item, _Instance) for item in target):
            return Unresolved(text, "a property of a resource loop needs an index")
        self.note(f"'{text}': can't read property '{name}' of {type_name(target)}; unresolved")
        return Unresolved(text, f"can't read property '{name}' of {type_name(target)}")

    def _imported_member(self, name: str, text: str) -> Any:
        if name in self.vars:
            return self.variable(name, text)
        return Unresolved(text, f"'{name}' is not a variable of {self.path}")

    def _index(self, expr: s.IndexAccess, local: _Locals) -> Any:
        return self._chain(expr, local)[0]

    def _element(self, target: Any, expr: s.IndexAccess, local: _Locals, safe: bool) -> Any:
        """`target[index]` (`target[?index]` when `safe`)."""
        index = _plain(self.eval(expr.index, local))
        text = _text(expr)
        if target is None and safe:
            return None
        if isinstance(target, Unresolved):
            return Unresolved(text, target.reason)
        if isinstance(index, Unresolved):
            return Unresolved(text, index.reason)
        if isinstance(target, list):
            if isinstance(index, bool) or not isinstance(index, int):
                raise TemplateError(f"an array index must be an integer, not {type_name(index)} ('{text}')")
            if 0 <= index < len(target):
                value = target[index]
                return value
            if safe:
                return None
            self.note(f"'{text}': index {index} is out of range for an array of {len(target)}; unresolved")
            return Unresolved(text, f"index {index} is out of range")
        if isinstance(target, dict | _Instance | _Outputs) or target is None:
            if not isinstance(index, str):
                raise TemplateError(f"an object key must be a string, not {type_name(index)} ('{text}')")
            return self.member(target, index, safe, text)
        self.note(f"'{text}': can't index {type_name(target)}; unresolved")
        return Unresolved(text, f"can't index {type_name(target)}")

    def _for(self, expr: s.ForExpr, local: _Locals) -> Any:
        text = _text(expr)
        bindings = self.loop_bindings(expr, local, text)
        if isinstance(bindings, Unresolved):
            return bindings
        result: list[Any] = []
        for binding in bindings:
            inner = local.bind(binding)
            if expr.condition is not None:
                verdict = _plain(self.eval(expr.condition, inner))
                if isinstance(verdict, Unresolved):
                    return Unresolved(text, f"the loop's filter is unresolved: {verdict.reason}")
                if verdict is not True:
                    continue
            body = expr.body
            if isinstance(body, s.IfExpr):
                verdict = _plain(self.eval(body.condition, inner))
                if isinstance(verdict, Unresolved):
                    return Unresolved(text, f"the loop's filter is unresolved: {verdict.reason}")
                if verdict is not True:
                    continue
                body = body.body
            result.append(self.eval(body, inner))
        return result

    def loop_bindings(self, expr: s.ForExpr, local: _Locals, text: str) -> list[dict[str, Any]] | Unresolved:
        """The `item`/`index` bindings of each iteration of a loop (at most 800, as ARM allows)."""
        items = _plain(self.eval(expr.iterable, local))
        if isinstance(items, Unresolved):
            prefix = "" if items.reason.startswith("the loop's array") else "the loop's array is unresolved: "
            return Unresolved(text, prefix + items.reason)
        if not isinstance(items, list):
            raise TemplateError(f"a for loop needs an array, not {type_name(items)} ('{_text(expr.iterable)}')")
        copy_count(len(items), f"the loop '{text[:60]}'")
        bindings = []
        for position, item in enumerate(items):
            binding: dict[str, Any] = {}
            if expr.item is not None:
                binding[expr.item] = item
            if expr.index is not None:
                binding[expr.index] = position
            bindings.append(binding)
        return bindings

    def _unary(self, expr: s.UnaryOp, local: _Locals) -> Any:
        value = _plain(self.eval(expr.operand, local))
        if isinstance(value, Unresolved):
            return Unresolved(_text(expr), value.reason)
        if expr.op == "!":
            if not isinstance(value, bool):
                raise TemplateError(f"'!' needs a bool, not {type_name(value)} ('{_text(expr)}')")
            return not value
        if expr.op == "-":
            if isinstance(value, bool) or not isinstance(value, int):
                raise TemplateError(f"'-' needs an integer, not {type_name(value)} ('{_text(expr)}')")
            return -value
        return Unresolved(_text(expr), f"operator '{expr.op}' is not supported")

    def _binary(self, expr: s.BinaryOp, local: _Locals) -> Any:
        text = _text(expr)
        op = expr.op
        if op in ("&&", "||"):
            return self._logical(expr, local, text)
        left = _plain(self.eval(expr.left, local))
        if op == "??":
            if isinstance(left, Unresolved):
                # It could be null at deployment, so the right side might be the answer: unknown.
                return Unresolved(text, left.reason)
            return self.eval(expr.right, local) if left is None else left
        right = _plain(self.eval(expr.right, local))
        if isinstance(left, Unresolved) or isinstance(right, Unresolved):
            blocking = left if isinstance(left, Unresolved) else right
            return Unresolved(text, blocking.reason)
        if op in ("==", "!="):
            equal = arm_equals(_finalize(left), _finalize(right))
            return equal if op == "==" else not equal
        if op in ("=~", "!~"):
            if not isinstance(left, str) or not isinstance(right, str):
                raise TemplateError(f"'{op}' compares strings, not {type_name(left)} and {type_name(right)}")
            same = left.lower() == right.lower()
            return same if op == "=~" else not same
        function = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "<": "less",
                    "<=": "lessOrEquals", ">": "greater", ">=": "greaterOrEquals"}.get(op)
        if function is None:
            return Unresolved(text, f"operator '{op}' is not supported")
        return self.call_arm(function, [left, right], text,
                             constant=_is_constant(expr.left) and _is_constant(expr.right))

    def _logical(self, expr: s.BinaryOp, local: _Locals, text: str) -> Any:
        stop = expr.op == "||"  # the value that decides the result without the other side
        left = _plain(self.eval(expr.left, local))
        if left is stop:
            return stop
        right = _plain(self.eval(expr.right, local))
        if right is stop:
            return stop
        for value in (left, right):
            if isinstance(value, Unresolved):
                return Unresolved(text, value.reason)
            if not isinstance(value, bool):
                raise TemplateError(f"'{expr.op}' needs bools, not {type_name(value)} ('{text}')")
        return not stop

    def _ternary(self, expr: s.Ternary, local: _Locals) -> Any:
        condition = _plain(self.eval(expr.condition, local))
        if isinstance(condition, Unresolved):
            # Both branches are possible: a value they agree on is known, anything else is not.
            first = self.eval(expr.if_true, local)
            second = self.eval(expr.if_false, local)
            if _same(first, second):
                return first
            return Unresolved(_text(expr), f"the condition is unresolved: {condition.reason}")
        if not isinstance(condition, bool):
            raise TemplateError(f"a condition must be a bool, not {type_name(condition)} ('{_text(expr)}')")
        return self.eval(expr.if_true if condition else expr.if_false, local)

    # --- functions --------------------------------------------------------------------------------------------

    def _call(self, expr: s.FunctionCall, local: _Locals) -> Any:
        name = expr.name
        key = name.lower()
        text = _text(expr)
        if expr.namespace is None and name in self.functions:
            return self._user_function(self.functions[name], expr.args, local, text)
        if expr.namespace is None and name in self.imports:
            return self._imported_function(name, expr.args, local, text)
        if key == "nameof" and expr.namespace in (None, "sys"):
            return self._name_of(expr, text)
        if key == "coalesce":
            for arg in expr.args:
                value = _plain(self.eval(arg, local))
                if isinstance(value, Unresolved):
                    return Unresolved(text, value.reason)
                if value is not None:
                    return value
            return None
        args = [self.eval(arg, local) for arg in expr.args]
        special = _SPECIAL.get(key)
        if special is not None:
            return special(self, args, text)
        if key in DEPLOYMENT_TIME_FUNCTIONS or key.startswith("list"):
            reason = DEPLOYMENT_TIME_FUNCTIONS.get(key) or f"{name}() returns secrets or runtime values"
            return Unresolved(text, f"only known at deployment: {reason}")
        return self.call_arm(name, args, text, constant=all(_is_constant(arg) for arg in expr.args))

    def _name_of(self, expr: s.FunctionCall, text: str) -> Any:
        """`nameof(x)`: the name the argument is written with, known when the file is compiled (the symbol of
        `x`, the last property of `x.a.b`, the key of `x['k']`); the argument is not evaluated."""
        argument = expr.args[0] if len(expr.args) == 1 else None
        if isinstance(argument, s.Identifier):
            return argument.name
        if isinstance(argument, s.PropertyAccess | s.NestedResourceAccess):
            return argument.name
        if isinstance(argument, s.IndexAccess) and isinstance(argument.index, s.StringLit):
            return argument.index.value
        self.note(f"'{text[:80]}': nameof() takes a symbol or a property access; unresolved")
        return Unresolved(text, "nameof() takes a symbol or a property access")

    def call_arm(self, name: str, args: list[Any], text: str, *, constant: bool = False) -> Any:
        """Call the ARM library's function `name` with evaluated arguments, as the ARM evaluator does.

        When the function rejects its arguments and they are not all literals, the call is unresolved with a
        note rather than an error: the arguments came from parameters, defaults, runtime values or modules
        whose values at deployment aiwell may not know (a null from an unset optional value, a value a caller
        would pass), so the rest of the file is still reviewed. Literal arguments Azure would reject every time
        are an error.
        """
        key = name.lower()
        function = FUNCTIONS.get(key)
        if function is None or key in _NOT_BICEP or function.unresolved == "lazy":
            self.note(f"function '{name}' is not supported by aiwell; values that use it are unresolved")
            return Unresolved(text, f"function '{name}' is not supported")
        count = len(args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            self.note(f"'{text[:80]}': {name}() does not take {count} argument(s); unresolved")
            return Unresolved(text, f"{name}() does not take {count} argument(s)")
        values = [_plain(arg) for arg in args]
        if any(isinstance(value, _Instance | _Namespace) for value in values):
            return Unresolved(text, "a resource or module symbol can't be a function argument here")
        values = [value if isinstance(value, LambdaValue) else _finalize(value) for value in values]
        if function.unresolved != "own":
            blocking = _first_unresolved(values, deep=function.unresolved == "deep")
            if blocking is not None:
                return Unresolved(text, blocking.reason)
        call = Call(ArmCall(text, name, ()), self.scope, values)
        try:
            try:
                result = function.implementation(call)
            except (ArithmeticError, ValueError, OSError) as exc:
                raise call.error(f"the arguments are out of range ({exc})") from None
        except InputError as exc:
            if constant or _is_work_limit(exc):
                raise
            self.note(f"{exc.message}; the value is unresolved (its arguments may differ at deployment)")
            return Unresolved(text, exc.message)
        if isinstance(result, str) and len(result) > MAX_STRING_LENGTH:
            raise TemplateError(f"expression work limit exceeded: '{text[:80]}' builds a string over 10 MB")
        if isinstance(result, list | dict):
            if len(result) > MAX_ARRAY_LENGTH:
                raise TemplateError(f"expression work limit exceeded: '{text[:80]}' builds over "
                                    f"{MAX_ARRAY_LENGTH:,} elements")
            self.scope.charge(len(result))
        return result

    def _user_function(self, declaration: s.FunctionDecl, arg_nodes: tuple[s.Expr, ...], local: _Locals,
                       text: str) -> Any:
        return self.apply_function(declaration, [self.eval(arg, local) for arg in arg_nodes], text)

    def apply_function(self, declaration: s.FunctionDecl, args: list[Any], text: str) -> Any:
        """Call user-defined function `declaration` of this file with evaluated `args`."""
        if len(args) != len(declaration.params):
            raise TemplateError(f"function '{declaration.name}' takes {len(declaration.params)} argument(s), "
                                f"{len(args)} given ('{text}')")
        bindings = {param.name: value for param, value in zip(declaration.params, args, strict=True)}
        return self.eval(declaration.body, _Locals(bindings, declaration.name))

    def _imported_function(self, alias: str, arg_nodes: tuple[s.Expr, ...], local: _Locals, text: str) -> Any:
        statement, name = self.imports[alias]
        imported = self._import_file(statement)
        if isinstance(imported, Unresolved):
            return Unresolved(text, imported.reason)
        declaration = imported.functions.get(name)
        if declaration is None:
            return Unresolved(text, f"{statement.path} exports no function '{name}'")
        return imported.apply_function(declaration, [self.eval(node, local) for node in arg_nodes], text)

    def _method(self, expr: s.MethodCall, local: _Locals) -> Any:
        text = _text(expr)
        if isinstance(expr.obj, s.Identifier) and expr.obj.name in self.wildcards and \
                expr.obj.name not in local.values:
            imported = self._import_file(self.wildcards[expr.obj.name])
            if isinstance(imported, Unresolved):
                return Unresolved(text, imported.reason)
            declaration = imported.functions.get(expr.name)
            if declaration is None:
                return Unresolved(text, f"{imported.path} has no function '{expr.name}'")
            return imported.apply_function(declaration, [self.eval(node, local) for node in expr.args], text)
        target = self.eval(expr.obj, local)
        for arg in expr.args:
            self.eval(arg, local)
        if isinstance(target, Unresolved):
            return Unresolved(text, target.reason)
        if isinstance(target, _Instance):
            # listKeys(), getSecret(), listConnectionStrings(), ...: secrets and runtime state.
            return Unresolved(text, f"only known at deployment: {expr.name}() reads the deployed resource")
        self.note(f"'{text[:80]}': method '{expr.name}' is not supported; unresolved")
        return Unresolved(text, f"method '{expr.name}' is not supported")

    # --- files read at build time -------------------------------------------------------------------------------

    def load_file(self, args: list[Any], text: str) -> Path | Unresolved:
        """The file a `load*Content` call reads: relative to this Bicep file, inside the reviewed tree."""
        if not args or not isinstance(args[0], str):
            return Unresolved(text, "the file path is not a string")
        shown = Path(os.path.normpath(self.path.parent / args[0]))
        if not self.session.inside_root(shown):
            self.note(f"'{text[:80]}': the file is outside the reviewed directory; not read")
            return Unresolved(text, "the file is outside the reviewed directory")
        if not shown.exists():
            self.note(f"'{text[:80]}': the file does not exist; unresolved")
            return Unresolved(text, f"the file {args[0]} does not exist")
        if not shown.is_file():
            self.note(f"'{text[:80]}': the file is not a regular file; not read")
            return Unresolved(text, f"the file {args[0]} can't be read: it is not a regular file")
        resolved = shown.resolve()
        if resolved not in self.session.files:
            self.session.files.append(resolved)
        return shown


# --- special (Bicep-only or Bicep-shaped) functions ---------------------------------------------------------


def _load_text_content(file: _File, args: list[Any], text: str) -> Any:
    path = file.load_file(args, text)
    if isinstance(path, Unresolved):
        return path
    try:
        return read_text(path)
    except InputError as exc:
        return Unresolved(text, f"the file can't be read: {exc.message}")


def _load_json_content(file: _File, args: list[Any], text: str) -> Any:
    content = _load_text_content(file, args[:1], text)
    if isinstance(content, Unresolved):
        return content
    try:
        value = parse_text(content, str(args[0]), track=()).value
    except InputError as exc:
        return Unresolved(text, f"the file is not JSON: {exc.message}")
    return _json_path(value, args[1] if len(args) > 1 else None, text)


def _load_yaml_content(file: _File, args: list[Any], text: str) -> Any:
    content = _load_text_content(file, args[:1], text)
    if isinstance(content, Unresolved):
        return content
    try:
        value = yaml.safe_load(content)
    except yaml.YAMLError:
        return Unresolved(text, "the file is not YAML")
    return _json_path(json.loads(json.dumps(value, default=str)), args[1] if len(args) > 1 else None, text)


def _json_path(value: Any, path: Any, text: str) -> Any:
    """The part of a loaded document a simple JSONPath (`$.a.b`, `.a[0]`) selects."""
    if path is None:
        return value
    if not isinstance(path, str):
        return Unresolved(text, "the JSON path is not a string")
    steps = path.lstrip("$").replace("[", ".").replace("]", "").split(".")
    for step in filter(None, steps):
        if isinstance(value, dict):
            found, value = lookup_key(value, step.strip("'\""))
            if not found:
                return Unresolved(text, f"the JSON path {path} selects nothing")
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return Unresolved(text, f"aiwell can't follow the JSON path {path}")
    return value


def _load_file_as_base64(file: _File, args: list[Any], text: str) -> Any:
    path = file.load_file(args, text)
    if isinstance(path, Unresolved):
        return path
    try:
        data = read_file_bytes(path, limit=MAX_FILE_BYTES)
    except InputError as exc:
        return Unresolved(text, f"the file can't be read: {exc.message}")
    return base64.b64encode(data).decode("ascii")


def _read_environment_variable(file: _File, args: list[Any], text: str) -> Any:
    name = args[0] if args else "?"
    azd_values = file.context.azd_values
    if azd_values is not None and isinstance(name, str) and name in azd_values:
        return azd_values[name]
    if len(args) > 1:
        return args[1]
    return Unresolved(text, f"environment variable {name} is read when the deployment is built; aiwell does not "
                            "read the process environment (--azd-env gives an azd environment's values)")


def _get_secret(file: _File, args: list[Any], text: str) -> Any:
    return Unresolved(text, "a Key Vault secret, read only at deployment")


def _json(file: _File, args: list[Any], text: str) -> Any:
    # ARM's json() reads JSON with comments and trailing commas (a `.jsonc` file read by loadTextContent).
    if len(args) == 1 and isinstance(args[0], str):
        try:
            return parse_text(args[0], "json()", track=()).value
        except InputError:
            pass  # not JSON even with comments: the ARM function reports it
    return file.call_arm("json", args, text)


def _any(file: _File, args: list[Any], text: str) -> Any:
    return args[0] if len(args) == 1 else Unresolved(text, "any() takes one argument")


def _external_input(file: _File, args: list[Any], text: str) -> Any:
    return Unresolved(text, "an external input, supplied when the deployment is built")


def _resource_group(file: _File, args: list[Any], text: str) -> Any:
    if not args:
        return file.call_arm("resourceGroup", [], text, constant=True)
    values = [_plain(a) for a in args]
    if any(isinstance(v, Unresolved) for v in values) or not all(isinstance(v, str) for v in values):
        return Unresolved(text, "the resource group is unresolved")
    subscription = values[0] if len(values) == 2 else file.context.subscription_id
    if isinstance(subscription, Unresolved):
        return Unresolved(text, f"the subscription is unresolved: {subscription.reason}")
    name = values[-1]
    return {"id": f"/subscriptions/{subscription}/resourceGroups/{name}", "name": name,
            "type": "Microsoft.Resources/resourceGroups", "subscriptionId": subscription,
            "location": Unresolved(f"{text}.location", "the location of another resource group is only known "
                                                        "at deployment")}


def _subscription(file: _File, args: list[Any], text: str) -> Any:
    if not args:
        return file.call_arm("subscription", [], text, constant=True)
    value = _plain(args[0])
    if not isinstance(value, str):
        return Unresolved(text, "the subscription is unresolved")
    return {"id": f"/subscriptions/{value}", "subscriptionId": value,
            "tenantId": file.context.tenant_id,
            "displayName": Unresolved(f"{text}.displayName", "another subscription's name is not known")}


def _management_group(file: _File, args: list[Any], text: str) -> Any:
    if not args:
        return file.call_arm("managementGroup", [], text, constant=True)
    value = _plain(args[0])
    if not isinstance(value, str):
        return Unresolved(text, "the management group is unresolved")
    return {"id": f"/providers/Microsoft.Management/managementGroups/{value}", "name": value,
            "type": "/providers/Microsoft.Management/managementGroups"}


_SPECIAL: dict[str, Callable[[_File, list[Any], str], Any]] = {
    "loadtextcontent": _load_text_content,
    "loadjsoncontent": _load_json_content,
    "loadyamlcontent": _load_yaml_content,
    "loadfileasbase64": _load_file_as_base64,
    "readenvironmentvariable": _read_environment_variable,
    "getsecret": _get_secret,
    "any": _any,
    "json": _json,
    "externalinput": _external_input,
    "resourcegroup": _resource_group,
    "subscription": _subscription,
    "managementgroup": _management_group,
}


# --- resources and modules -------------------------------------------------------------------------------------


class _Namespace(Struct):
    """An `import * as ns` alias: `ns.x` reads the imported file's variable `x`."""

    file: _File


class _Instance:
    """One instance of a resource or module declaration: one loop iteration, or the only one."""

    def __init__(self, file: _File, declaration: s.Resource | s.Module, body: s.Expr, local: _Locals,
                 address: str, parent: _Instance | None, condition: s.Expr | None,
                 unresolved_loop: Unresolved | None, *, index: int | None = None) -> None:
        self.file = file
        self.index = index
        """The position in the loop's array (`copyIndex()` in the compiled template), for a loop's instance."""
        self.declaration = declaration
        self.body = body
        self.local = local
        self.address = address
        self.parent = parent
        self.condition = condition
        self.unresolved_loop = unresolved_loop
        self.existing = isinstance(declaration, s.Resource) and declaration.existing
        self._cache: dict[str, Any] = {}
        self.implicit: list[Any] = []

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once; its symbolic references are not this resource's dependencies."""
        if key not in self._cache:
            # A cycle (invalid Bicep) reads this instead of recursing.
            self._cache[key] = Unresolved(self.address, "the declaration refers to itself")
            with self.file.session.collecting():
                self._cache[key] = compute()
        return self._cache[key]

    # --- the declaration's parts -------------------------------------------------------------------------------

    def body_property(self, key: str) -> Any:
        """One property of the body (evaluated alone), `None` when the body doesn't set it."""
        if isinstance(self.body, s.ObjectExpr):
            for entry in self.body.properties:
                if isinstance(entry, s.ObjectProperty) and isinstance(entry.key, str) and entry.key == key:
                    return self.file.eval_statement(entry.value, self.local, self.declaration.line)
            if not any(isinstance(e, s.Spread) for e in self.body.properties):
                return None
        value = self.value()
        if isinstance(value, dict):
            return value.get(key)
        return Unresolved(f"{self.address}.{key}", "the body is unresolved")

    def value(self) -> Any:
        """The evaluated body (nested resources left out); collects the body's symbolic references."""
        if "value" not in self._cache:
            self._cache["value"] = Unresolved(self.address, "the declaration refers to itself")
            with self.file.session.collecting() as collected:
                self._cache["value"] = self.file.eval_statement(self.body, self.local, self.declaration.line)
            self.implicit = collected
        return self._cache["value"]

    def deployed(self) -> bool | Unresolved:
        """Whether the instance is deployed: its `if` condition (and its parent's), unresolved if unknown."""
        return self._once("deployed", self._deployed)  # type: ignore[no-any-return]

    def _deployed(self) -> bool | Unresolved:
        if self.parent is not None:
            parent = self.parent.deployed()
            if parent is False:
                return False
        if self.condition is None:
            return True
        verdict = _plain(self.file.eval_statement(self.condition, self.local, self.declaration.line))
        if isinstance(verdict, Unresolved):
            return verdict
        if not isinstance(verdict, bool):
            raise TemplateError(f"the condition of '{self.address}' must be a bool, not {type_name(verdict)}",
                                line=self.declaration.line)
        return verdict

    def nested(self) -> tuple[s.Resource, ...]:
        return self.body.nested_resources if isinstance(self.body, s.ObjectExpr) else ()

    # --- resources ---------------------------------------------------------------------------------------------

    def declared_name(self) -> Any:
        """The `name` as written in the body (what `symbol.name` returns in Bicep)."""
        return self._once("declared_name", self._declared_name)

    def _declared_name(self) -> Any:
        if self.unresolved_loop is not None:
            return Unresolved(f"{self.address}.name", self.unresolved_loop.reason)
        name = _plain(self.body_property("name"))
        if name is None:
            if isinstance(self.declaration, s.Module):
                return self._generated_module_name()
            return Unresolved(f"{self.address}.name", "the resource has no name")
        if isinstance(name, int) and not isinstance(name, bool):
            return str(name)
        if not isinstance(name, str | Unresolved):
            raise TemplateError(f"the name of '{self.address}' must be a string, not {type_name(name)}",
                                line=self.declaration.line)
        return name

    def _generated_module_name(self) -> str | Unresolved:
        # What the Bicep compiler emits for a module without a name: `format('{0}-{1}', symbol,
        # uniqueString(symbol, deployment().name))`, with `copyIndex()` between them in a loop.
        symbol = self.declaration.name
        deployment_name = self.file.context.deployment_name
        if isinstance(deployment_name, Unresolved):
            return Unresolved(f"{self.address}.name", deployment_name.reason)
        unique = unique_string(symbol, deployment_name)
        return f"{symbol}-{unique}" if self.index is None else f"{symbol}-{self.index}-{unique}"

    def parent_instance(self) -> Any:
        """The parent: the enclosing resource of a nested one, or the `parent:` property's resource."""
        if self.parent is not None:
            return self.parent
        if isinstance(self.declaration, s.Resource):
            return self._once("parent", lambda: _plain(self.body_property("parent")))
        return None

    def type_and_api(self) -> tuple[str, str | None]:
        if not isinstance(self.declaration, s.Resource):
            return _DEPLOYMENTS_TYPE, DEPLOYMENTS_API_VERSION
        written, _, api = self.declaration.type_string.partition("@")
        alias, colon, rest = written.partition(":")
        if colon and "/" not in alias:
            written = rest  # `az:Microsoft.X/y`: the extension alias is not part of the type
        full = written
        if self.parent is not None and "." not in written.split("/", 1)[0]:
            parent_type, parent_api = self.parent.type_and_api()
            full = f"{parent_type}/{written}"
            api = api or (parent_api or "")
        return full, api or None

    def described(self) -> dict[str, Any]:
        """`metadata.description` from a `@description('...')` decorator, as the compiler writes it on the
        resource."""
        for decorator in self.declaration.decorators:
            if decorator.name == "description" and decorator.namespace in (None, "sys") and len(decorator.args) == 1:
                text = _plain(self.file.eval_statement(decorator.args[0], _Locals(), decorator.line))
                if isinstance(text, str | Unresolved):
                    return {"metadata": {"description": text}}
        return {}

    def is_deployment(self) -> bool:
        """Whether this is a `Microsoft.Resources/deployments` resource (a nested deployment written out)."""
        return isinstance(self.declaration, s.Resource) and self.type_and_api()[0].lower() == _DEPLOYMENTS_LOWER

    def full_name(self) -> Any:
        return self._once("full_name", self._full_name)

    def _full_name(self) -> Any:
        name = self.declared_name()
        if isinstance(self.declaration, s.Module):
            return name
        parent = self.parent_instance()
        if parent is None:
            return name
        if not isinstance(parent, _Instance):
            text = f"{self.address}.parent"
            return parent if isinstance(parent, Unresolved) else Unresolved(text, "the parent is not a resource")
        parent_name = parent.full_name()
        if isinstance(parent_name, Unresolved):
            return parent_name
        if isinstance(name, Unresolved):
            return name
        return f"{parent_name}/{name}"

    def scope_value(self) -> Any:
        """The `scope:` of the body; a child resource without one has its parent's (the compiler places a child
        where its parent is: a tenant resource's child at the tenant, an extension resource's child on the same
        resource, an existing parent's child in that parent's group)."""
        return self._once("scope", self._scope_value)

    def _scope_value(self) -> Any:
        own = _plain(self.body_property("scope"))
        if own is not None or isinstance(self.declaration, s.Module):
            return own
        parent = self.parent_instance()
        return parent.scope_value() if isinstance(parent, _Instance) else None

    def tenant_placement(self) -> dict[str, Any]:
        """`"scope": "/"`, as the compiler writes it for a resource or module deployed to the tenant
        (`scope: tenant()`, or a tenant resource's child) from a file that deploys elsewhere."""
        scope = self.scope_value()
        if isinstance(scope, dict) and str(scope.get("id", "")).startswith("/tenants/") \
                and self.file.context.deployment_scope != "tenant":
            return {"scope": "/"}
        return {}

    def prefix(self) -> str | Unresolved:
        """The id prefix of the scope the resource (or module) is deployed to."""
        call = self._scope_call()
        if call is not None and not call[1] and call[0] == _FILE_SCOPE_FUNCTIONS.get(
                self.file.context.deployment_scope):
            # `scope: managementGroup()` in a file deployed to a management group (and so on): the file's own scope,
            # whose id uses the same placeholders as every other id of the file.
            return self.file.prefix
        scope = self.scope_value()
        if isinstance(scope, dict) and isinstance(scope.get("id"), str):
            scope_id = str(scope["id"])
            return "" if scope_id.startswith("/tenants/") else scope_id
        if isinstance(scope, _Instance) and scope.type_and_api()[0].lower() == _RESOURCE_GROUPS:
            group_id = scope.id()
            return group_id
        if isinstance(scope, Unresolved) and (self.existing or isinstance(self.declaration, s.Module)):
            return Unresolved(scope.expression, f"the scope is unresolved: {scope.reason}")
        return self.file.prefix

    def extension_scope(self) -> str | Unresolved | None:
        """The id of the resource an extension resource (`scope: account`) extends."""
        scope = self.scope_value()
        if isinstance(scope, _Instance) and scope.type_and_api()[0].lower() != _RESOURCE_GROUPS:
            return scope.id()
        if isinstance(scope, Unresolved) and not self.existing:
            return scope
        if isinstance(scope, str) and scope.startswith("/"):
            return scope
        return None

    def id(self) -> str | Unresolved:
        """The resource id. Unresolved, it names this instance (`ai[0].account.id`): every reference to the instance
        carries the same expression, so the graph links an endpoint or diagnostic setting to the account of its own
        module instance or loop iteration even when several accounts' names are unknown alike."""
        return self._once("id", self._instance_id)  # type: ignore[no-any-return]

    def _instance_id(self) -> str | Unresolved:
        value = self._id()
        if isinstance(value, Unresolved):
            return Unresolved(f"{self.address}.id", value.reason, value.resource_type)
        return value

    def _id(self) -> str | Unresolved:
        resource_type, _ = self.type_and_api()
        if isinstance(self.declaration, s.Module):
            return resource_id(self.prefix(), _DEPLOYMENTS_TYPE, self.full_name())
        if "." not in resource_type.split("/", 1)[0]:
            return Unresolved(resource_type, "the type has no resource provider namespace")
        return resource_id(self.prefix(), resource_type, self.full_name(), self.extension_scope())

    def member(self, name: str, text: str) -> Any:
        """`symbol.name`: id, name, type, apiVersion, a declared value, or (module) outputs."""
        key = name.lower()
        if key == "id":
            return self.id()
        if key == "name":
            return self.declared_name()
        if key == "type":
            return self.type_and_api()[0]
        if key == "apiversion":
            return self.type_and_api()[1] or Unresolved(text, "the type has no API version")
        if isinstance(self.declaration, s.Module):
            if key == "outputs":
                return _Outputs(self)
            return Unresolved(text, f"a module has no property '{name}'")
        if self.existing:
            return Unresolved(text, RUNTIME)
        body = _plain(self.value())
        if isinstance(body, Unresolved):
            return Unresolved(text, body.reason)
        found, value = lookup_key(body, name) if isinstance(body, dict) else (False, None)
        if not found:
            return Unresolved(text, RUNTIME)
        return _runtime(value)

    def dependencies(self) -> list[str | Unresolved]:
        """Ids in `dependsOn`: the explicit ones, then the symbols the body refers to."""
        explicit = _plain(self.body_property("dependsOn"))
        self.value()
        targets: list[Any] = [self.parent] if self.parent is not None else []
        if isinstance(explicit, list):
            for item in explicit:
                targets.extend(item if isinstance(item, list) else [item])
        targets.extend(self.implicit)
        ids: list[str | Unresolved] = []
        for target in targets:
            if target is self or not isinstance(target, _Instance) or target.existing:
                continue
            if target.file is not self.file:
                continue
            target_id = target.id()
            if target_id not in ids:
                ids.append(target_id)
        return ids

    def to_resource(self) -> Resource:
        """The deployed resource, shaped as the ARM loader shapes the compiled template's resource."""
        resource_type, api = self.type_and_api()
        value = _finalize(self.value())
        body: dict[str, Any]
        if isinstance(value, dict):
            body = {k: v for k, v in value.items() if not (isinstance(k, str) and k.lower() in _CONTROL_KEYS)}
            if self.is_deployment():
                body = _without_template(body)
        else:
            reason = value.reason if isinstance(value, Unresolved) else "the body is not an object"
            body = {"properties": Unresolved(self.address, reason)}
        body["type"] = resource_type
        body["name"] = self.full_name()
        if api is not None:
            body["apiVersion"] = api
        extension = self.extension_scope()
        if extension is not None:
            body["scope"] = extension
        body.update(self.tenant_placement())
        body.update(self.described())
        declaration = self.declaration
        source = Source(SourceFormat.BICEP, str(self.file.path), declaration.line, declaration.end_line,
                        self.address)
        resource = Resource.from_arm(body, source, resource_id=self.id())
        resource.depends_on = tuple(self.dependencies())
        return resource

    # --- modules -----------------------------------------------------------------------------------------------

    def module_file(self) -> _File | Unresolved | list[Resource]:
        """The module's file evaluated with this instance's parameters (ARM modules: their resources)."""
        return self._once("module", self._module_file)  # type: ignore[no-any-return]

    def _module_file(self) -> _File | Unresolved | list[Resource]:
        declaration = self.declaration
        assert isinstance(declaration, s.Module)
        file = self.file
        where = declaration.path_string
        if where.startswith(_REGISTRY_PREFIXES):
            return self._registry_module(where)
        shown = Path(os.path.normpath(file.path.parent / where))
        symbol = f"{file.address}{declaration.name}"
        if not file.session.inside_root(shown):
            file.not_read(declaration, symbol, "is outside the reviewed tree; not read")
            return Unresolved(where, "the module is outside the reviewed tree")
        if not shown.exists():
            file.not_read(declaration, symbol, "does not exist (Bicep refuses to build a file whose module is "
                                               "missing)")
            return Unresolved(where, "the module file does not exist")
        if not shown.is_file():
            file.not_read(declaration, symbol, "is not a regular file; not read")
            return Unresolved(where, "the module is not a regular file")
        resolved = shown.resolve()
        if resolved in file.stack or len(file.stack) >= MAX_MODULE_DEPTH:
            chain = " -> ".join(p.name for p in (*file.stack, resolved))
            raise TemplateError(f"modules nested too deeply or in a cycle ({chain})", line=declaration.line)
        supplied = self._supplied_params()
        context, prefix = self._module_context()
        with self.guard():
            if shown.suffix.lower() in (".json", ".jsonc"):
                return self._arm_module(load_json(shown), shown, supplied, context)
            program = file.session.read_program(shown)
            origin = file.origin if file.origin is not None else declaration.line
            return _File(file.session, program, shown, supplied={k: v for k, v in supplied.items()},
                         context=context, prefix=prefix, address=f"{self.address}.",
                         stack=(*file.stack, resolved), origin=origin)

    def _supplied_params(self) -> dict[str, Any]:
        params = _plain(self.body_property("params"))
        if isinstance(params, Unresolved):
            self.file.note(f"module '{self.address}': its params are unresolved ({params.reason})")
        return params if isinstance(params, dict) else {}

    def _registry_module(self, where: str) -> list[Resource] | Unresolved:
        """A `br:`/`ts:` module: its compiled template from the local module cache `bicep restore` fills, else a
        part of the deployment that is not reviewed."""
        file = self.file
        located = locate(where, file.module_cache())
        symbol = f"{file.address}{self.declaration.name}"
        if located.path is None:
            file.note_unreviewed(f"module '{symbol}' ({where}): {located.reason}; its resources are not reviewed")
            return Unresolved(where, located.reason)
        if not located.path.is_file():
            file.note_unreviewed(f"module '{symbol}' ({where}) is not in the local module cache ({located.path}; "
                                 "run `bicep restore` to have it reviewed); its resources are not reviewed")
            return Unresolved(where, "a registry module not in the local module cache")
        try:
            document = load_json(located.path)
        except InputError as exc:
            file.note_unreviewed(f"module '{symbol}' ({where}): the cached template {located.path} can't be read "
                                 f"({exc.message}); its resources are not reviewed")
            return Unresolved(where, "the cached module can't be read")
        template = cached_template(document.value)
        if not is_template(template):
            file.note_unreviewed(f"module '{symbol}' ({where}): {located.path} is not an ARM template; its "
                                 "resources are not reviewed")
            return Unresolved(where, "the cached module is not an ARM template")
        supplied = self._supplied_params()
        context, _ = self._module_context()
        with self.guard():
            return self._arm_module(replace(document, value=template), located.path, supplied, context)

    def _arm_module(self, document: JsonDocument, shown: Path, supplied: dict[str, Any],
                    context: DeploymentContext) -> list[Resource]:
        """An ARM template as a module (a local `.json` file, or a registry module from the cache), expanded by the
        ARM loader with the module's parameters."""
        session = self.file.session
        resolved = shown.resolve()
        if resolved not in session.files:
            session.files.append(resolved)
        parameters = {k: _finalize(v) for k, v in supplied.items()}
        expansion = expand_template(document, parameters=parameters, context=context, root=session.root,
                                    instance=f"{self.address}.")
        self._cache["arm_outputs"] = expansion.outputs
        for message in expansion.notes:
            session.note(f"{shown}: {message}")
        for message in expansion.unreviewed:
            session.unreviewed.append(f"{self.file.where()}module '{self.address}' ({shown}): {message}")
        return [_readdressed(r, f"{self.address}.") for r in expansion.resources]

    def _module_context(self) -> tuple[DeploymentContext, str | Unresolved]:
        """The deployment context and id prefix inside the module: its `scope:`, else this file's."""
        declaration = self.declaration
        assert isinstance(declaration, s.Module)
        context, prefix = self._deployment_context()
        scope = self.scope_value()
        target = _module_target_scope(self.file.session, self.file.path, declaration.path_string)
        if scope is None and target is not None:
            context = replace(context, deployment_scope=target)
            prefix = _scope_prefix(context)
        elif isinstance(prefix, Unresolved) and target is not None:
            # `scope: resourceGroup(sub, name)` with unknown names: the module still deploys at the scope it
            # declares, so `resourceGroup()` inside it exists; its ids stay unresolved (the prefix is).
            context = replace(context, deployment_scope=target)
            self.file.note(f"module '{self.address}': its scope is unresolved ({prefix.reason}); resource ids "
                           "in it are unresolved, and so are resourceGroup() and subscription() where they read "
                           "what is unknown")
        return context, prefix

    def _deployment_context(self) -> tuple[DeploymentContext, str | Unresolved]:
        """The context and id prefix a nested deployment (a module, or a deployments resource) runs in: its
        name, and the subscription, group or scope its `scope:` names."""
        context = self.file.context
        name = self.full_name()
        if isinstance(name, str):
            context = replace(context, deployment_name=name)
        else:
            # Never the parent's name: a deployment whose name is unresolved has an unresolved deployment().name.
            reason = name.reason if isinstance(name, Unresolved) else "it is not a string"
            context = replace(context, deployment_name=Unresolved(
                f"{self.address}.name", f"the deployment's name is unresolved: {reason}"))
        prefix = self.prefix()
        if isinstance(prefix, str):
            parts = prefix.strip("/").split("/")
            if len(parts) >= 2 and parts[0].lower() == "subscriptions":
                context = replace(context, subscription_id=parts[1])
            if len(parts) >= 4 and parts[2].lower() == "resourcegroups":
                context = replace(context, resource_group=parts[3], deployment_scope="resourceGroup")
            elif len(parts) == 2 and parts[0].lower() == "subscriptions":
                context = replace(context, deployment_scope="subscription")
            elif "managementgroups" in prefix.lower():
                # The file's own management group keeps what is known of it (its name may be unknown: the id then
                # holds a placeholder, which is no name to give managementGroup()).
                group = context.management_group if prefix == self.file.prefix else parts[-1]
                context = replace(context, management_group=group, deployment_scope="managementGroup")
            elif prefix in ("", "/"):
                context = replace(context, deployment_scope="tenant")
                prefix = ""
        elif (call := self._scope_call()) is not None:
            # `scope: resourceGroup(unknownSubscription, 'rg-x')`: the ids are unresolved, but the parts that are
            # known still say where the deployment runs (resourceGroup().name inside it is 'rg-x').
            # The parts that are not known are unresolved inside it, never the enclosing deployment's.
            function, args = call
            named: list[str | Unresolved] = [arg if isinstance(arg, str) else _unknown_scope_part(arg) for arg in args]
            if function == "resourcegroup" and named:
                context = replace(context, deployment_scope="resourceGroup", resource_group=named[-1])
                if len(named) == 2:
                    context = replace(context, subscription_id=named[0])
            elif function == "subscription" and named:
                context = replace(context, deployment_scope="subscription", subscription_id=named[0])
        return context, prefix

    def inline_deployment(self) -> list[Resource]:
        """The resources a `Microsoft.Resources/deployments` resource deploys from its inline `template` (often
        `loadJsonContent(...)`), expanded by the ARM loader with the parameters it is given, as ARM deploys it."""
        value = _plain(self.value())
        properties = lookup_key(value, "properties")[1] if isinstance(value, dict) else None
        if not isinstance(properties, dict):
            return []
        found, template = lookup_key(properties, "template")
        if not found:
            return []
        template = _finalize(template)
        if isinstance(template, Unresolved):
            self.file.note_unreviewed(f"{self.address}: properties.template is unresolved ({template.reason}); "
                                      "the resources it deploys are not reviewed")
            return []
        if not isinstance(template, dict):
            raise TemplateError(f"properties.template of '{self.address}' must be an object",
                                line=self.declaration.line)
        parameters = deployment_parameter_values(_finalize(lookup_key(properties, "parameters")[1]))
        context, _ = self._deployment_context()
        document = JsonDocument(str(self.file.path), template, "")
        expansion = expand_template(document, parameters=parameters, context=context, root=self.file.session.root,
                                    instance=f"{self.address}.")
        for message in expansion.notes:
            self.file.note(f"{self.address}: {message}")
        for message in expansion.unreviewed:
            self.file.session.unreviewed.append(f"{self.file.where()}{self.address}: {message}")
        declaration = self.declaration
        for resource in expansion.resources:
            resource.source = Source(SourceFormat.BICEP, str(self.file.path), declaration.line,
                                     declaration.end_line, f"{self.address}.{resource.source.address}")
        return expansion.resources

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Errors inside the module's file: on the `module` line here, naming the module's file and line."""
        declaration = self.declaration
        assert isinstance(declaration, s.Module)
        try:
            yield
        except InputError as exc:
            at = f" line {exc.line}" if exc.line is not None else ""
            raise TemplateError(f"in module {declaration.path_string}{at}: {exc.message}",
                                line=declaration.line, hint=exc.hint) from exc

    def module_output(self, name: str, text: str, *, safe: bool) -> Any:
        module = self.module_file()
        if isinstance(module, Unresolved):
            return Unresolved(text, module.reason)
        if isinstance(module, list):
            return self._arm_output(name, text, safe=safe)
        with self.guard():
            return module.output(name, text)

    def _arm_output(self, name: str, text: str, *, safe: bool) -> Any:
        """An output of an ARM template module, evaluated by the ARM loader in the module's deployment (names
        match case-insensitively, as ARM's do). An output whose condition is false is absent: `.?` of it is null."""
        if "arm_output_values" not in self._cache:
            evaluate = self._cache.get("arm_outputs")
            with self.guard():
                self._cache["arm_output_values"] = evaluate() if evaluate is not None else {}
        found, value = lookup_key(self._cache["arm_output_values"], name)
        if not found and safe:
            return None
        if not found:
            self.file.note(f"module '{self.address}': output '{name}' is not declared")
            return Unresolved(text, f"the module declares no output '{name}'")
        return value

    def _scope_call(self) -> tuple[str, list[Any]] | None:
        """`scope: resourceGroup(...)`, `subscription(...)`, `managementGroup(...)` written out: the function (in
        lower case) and its evaluated arguments; None for any other `scope:`."""
        if not isinstance(self.body, s.ObjectExpr):
            return None
        entry = next((e for e in self.body.properties if isinstance(e, s.ObjectProperty) and e.key == "scope"), None)
        call = entry.value if entry is not None else None
        if not isinstance(call, s.FunctionCall) or call.namespace not in (None, "az") \
                or call.name.lower() not in ("resourcegroup", "subscription", "managementgroup", "tenant"):
            return None
        args = [_plain(self.file.eval_statement(arg, self.local, self.declaration.line)) for arg in call.args]
        return call.name.lower(), args

    def _placement(self, context: DeploymentContext) -> dict[str, Any]:
        """Where the compiled template places a module's deployment, as the compiler writes it: `subscriptionId`,
        `resourceGroup` or `scope` for the module's `scope:` (unresolved when its arguments are), and `location`
        for a deployment that is not to a resource group (ARM needs one there)."""
        placement: dict[str, Any] = {}
        scope = self.scope_value()
        call = self._scope_call() if scope is not None else None
        if call is not None:
            function, args = call
            if function == "resourcegroup" and args:
                if len(args) == 2:
                    placement["subscriptionId"] = args[0]
                placement["resourceGroup"] = args[-1]
            elif function == "subscription" and args:
                placement["subscriptionId"] = args[0]
            elif function == "managementgroup" and args:
                group = args[0]
                placement["scope"] = f"Microsoft.Management/managementGroups/{group}" if isinstance(group, str) \
                    else Unresolved(f"{self.address}.scope", "the management group is unresolved")
            elif function == "tenant":
                placement.update(self.tenant_placement())
        elif isinstance(scope, _Instance | dict):
            scope_id = scope.id() if isinstance(scope, _Instance) else scope.get("id")
            if isinstance(scope_id, Unresolved):
                placement["resourceGroup"] = scope_id
            elif isinstance(scope_id, str):
                parts = scope_id.strip("/").split("/")
                if len(parts) >= 2 and parts[0].lower() == "subscriptions" \
                        and parts[1] != self.file.context.subscription_id:
                    placement["subscriptionId"] = parts[1]
                if len(parts) >= 4 and parts[2].lower() == "resourcegroups" and (
                        parts[3] != self.file.context.resource_group or "subscriptionId" in placement
                        or self.file.context.deployment_scope != "resourceGroup"):
                    placement["resourceGroup"] = parts[3]
        elif isinstance(scope, Unresolved) and context.deployment_scope == "resourceGroup":
            placement["resourceGroup"] = Unresolved(scope.expression, f"the scope is unresolved: {scope.reason}")
        if context.deployment_scope != "resourceGroup" and "resourceGroup" not in placement:
            placement["location"] = self.file.context.location
        return placement

    def deployment_resource(self) -> Resource:
        """The `Microsoft.Resources/deployments` resource the compiled template has for this module."""
        params = _finalize(self.body_property("params"))
        properties: dict[str, Any] = {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental"}
        if isinstance(params, dict):
            properties["parameters"] = {k: {"value": v} for k, v in params.items()}
        elif params is not None:
            properties["parameters"] = params
        body: dict[str, Any] = {"type": _DEPLOYMENTS_TYPE, "apiVersion": DEPLOYMENTS_API_VERSION,
                                "name": self.full_name(), "properties": properties}
        context, _ = self._module_context()
        body.update(self._placement(context))
        body.update(self.described())
        declaration = self.declaration
        source = Source(SourceFormat.BICEP, str(self.file.path), declaration.line, declaration.end_line,
                        self.address)
        resource = Resource.from_arm(body, source, resource_id=self.id())
        resource.depends_on = tuple(self.dependencies())
        return resource


class _Outputs(Struct):
    """`module.outputs`: read one output at a time, evaluated in the module's file."""

    module: _Instance


def _instances(file: _File, declaration: s.Resource | s.Module, parent: _Instance | None) -> Any:
    """The instances of a declaration: one, or one per loop iteration (a list), as its symbol's value."""
    base = f"{parent.address}::" if parent is not None else file.address
    address = f"{base}{declaration.name}"
    body = declaration.body
    if isinstance(body, s.ForExpr):
        text = _text(body)
        bindings = file.loop_bindings(body, _Locals(enclosing=parent), text)
        condition = body.condition
        inner = body.body
        if isinstance(inner, s.IfExpr):
            condition, inner = inner.condition, inner.body
        if isinstance(bindings, Unresolved):
            file.note(f"{address}: {bindings.reason}; reviewed as one resource whose name is unresolved")
            unknown = {name: Unresolved(_text(body.iterable), bindings.reason)
                       for name in (body.item, body.index) if name is not None}
            return [_Instance(file, declaration, inner, _Locals(unknown, enclosing=parent), address, parent,
                              condition, bindings)]
        return [_Instance(file, declaration, inner, _Locals(binding, enclosing=parent), f"{address}[{i}]", parent,
                          condition, None, index=i)
                for i, binding in enumerate(bindings)]
    condition = None
    if isinstance(body, s.IfExpr):
        condition, body = body.condition, body.body
    return _Instance(file, declaration, body, _Locals(enclosing=parent), address, parent, condition, None)


_FILE_SCOPE_FUNCTIONS = {"resourceGroup": "resourcegroup", "subscription": "subscription",
                         "managementGroup": "managementgroup", "tenant": "tenant"}
"""The scope function that names a file's own deployment scope when called without arguments."""


def _module_target_scope(session: _Session, base: Path, where: str) -> str | None:
    """The `targetScope` a local Bicep module declares (None when it can't be read; the caller decides)."""
    if where.startswith(_REGISTRY_PREFIXES) or not where.endswith(".bicep"):
        return None
    shown = Path(os.path.normpath(base.parent / where))
    if not shown.is_file() or not session.inside_root(shown):
        return None
    try:
        program = session.read_program(shown)
    except InputError:
        return None
    return _target_scope(program)


def _target_scope(program: s.Program) -> str:
    for statement in program.statements:
        if isinstance(statement, s.TargetScope) and isinstance(statement.value, s.StringLit):
            return {"subscription": "subscription", "managementgroup": "managementGroup",
                    "tenant": "tenant"}.get(statement.value.value.lower(), "resourceGroup")
    return "resourceGroup"


def _without_template(body: dict[str, Any]) -> dict[str, Any]:
    """A deployment resource without `properties.template`: its resources are reviewed themselves (as the ARM
    loader leaves the inline template out of the deployment resource)."""
    found, properties = lookup_key(body, "properties")
    if not found or not isinstance(properties, dict):
        return body
    key = next(k for k in body if isinstance(k, str) and k.lower() == "properties")
    return {**body, key: {k: v for k, v in properties.items() if not (isinstance(k, str) and k.lower() == "template")}}


def _unknown_scope_part(value: Any) -> Unresolved:
    """A subscription or resource group named in a module's `scope:` that is not known (or no string)."""
    if isinstance(value, Unresolved):
        return Unresolved(value.expression, f"the scope is unresolved: {value.reason}")
    return Unresolved(str(value), "the scope is unresolved: it is not a string")


def _scope_prefix(context: DeploymentContext) -> str | Unresolved:
    """The id prefix of `context`'s scope; unresolved when the part of it that the scope needs is."""
    kind = context.deployment_scope
    if kind == "tenant":
        return ""
    parts = {"managementGroup": (context.management_group,), "subscription": (context.subscription_id,)}.get(
        kind, (context.subscription_id, context.resource_group))
    unknown = next((part for part in parts if isinstance(part, Unresolved)), None)
    if unknown is not None:
        return Unresolved(unknown.expression, unknown.reason)
    if kind == "managementGroup":
        return f"/providers/Microsoft.Management/managementGroups/{context.management_group}"
    if kind == "subscription":
        return f"/subscriptions/{context.subscription_id}"
    return f"/subscriptions/{context.subscription_id}/resourceGroups/{context.resource_group}"


def _readdressed(resource: Resource, prefix: str) -> Resource:
    resource.source = replace(resource.source, address=prefix + resource.source.address)
    return resource


# --- emission ----------------------------------------------------------------------------------------------------


def _emit(file: _File, out: list[Resource]) -> None:
    """Append the resources `file` deploys, in declaration order (a module's after its deployment)."""
    for statement in file.program.statements:
        if isinstance(statement, s.Resource):
            _emit_resource(file, statement, None, out)
        elif isinstance(statement, s.Module):
            for instance in _as_list(file.module_symbol(statement)):
                if not _is_deployed(instance):
                    continue
                out.append(instance.deployment_resource())
                module = instance.module_file()
                if isinstance(module, _File):
                    with instance.guard():
                        _emit(module, out)
                elif isinstance(module, list):
                    out.extend(module)


def _emit_resource(file: _File, declaration: s.Resource, parent: _Instance | None, out: list[Resource]) -> None:
    for instance in _as_list(file.resource_symbol(declaration, parent)):
        if not _is_deployed(instance):
            continue
        if not instance.existing:
            try:
                out.append(instance.to_resource())
                if instance.is_deployment():
                    out.extend(instance.inline_deployment())
            except InputError as exc:
                _located(exc, declaration.line)
                raise
        for child in instance.nested():
            _emit_resource(file, child, instance, out)


def _is_deployed(instance: _Instance) -> bool:
    verdict = instance.deployed()
    if isinstance(verdict, Unresolved):
        instance.file.note(f"{instance.address}: condition {verdict.expression} is unresolved ({verdict.reason}); "
                           "reviewed as deployed")
        return True
    return verdict


def _as_list(value: Any) -> list[_Instance]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, _Instance)]
    return [value] if isinstance(value, _Instance) else []


# --- values --------------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Module outputs read through `module.outputs`: not values themselves."""
    if isinstance(value, _Outputs):
        return Unresolved(f"{value.module.address}.outputs", "a module's outputs are read one at a time")
    return value


def _finalize(value: Any, depth: int = 0) -> Any:
    """A value as it lands in a resource: plain JSON-like data and `Unresolved` (symbols become ids)."""
    if isinstance(value, str | int | float | bool | Unresolved) or value is None:
        return value
    if depth > 200:
        return Unresolved("...", "value nested too deeply")
    if isinstance(value, dict):
        return {k: _finalize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_finalize(v, depth + 1) for v in value]
    if isinstance(value, _Instance):
        return value.id()
    if isinstance(value, _Outputs):
        return _plain(value)
    if isinstance(value, _BicepLambda):
        return Unresolved(_text(value.node), "a lambda is not a value")
    return Unresolved(type(value).__name__, "not a value")


def _coerced(value: Any, declared: s.TypeExpr | None) -> Any:
    """A supplied parameter value as it is deployed with the declared type: `"true"` for a `bool` (or `bool?`)
    parameter is true, `"42"` for an `int` is 42, and `"null"` for a nullable `bool`, `int`, `array` or `object`
    is null (what azd's substituted parameter files rely on: `"${DEPLOY_BASTION=null}"`)."""
    nullable = isinstance(declared, s.NullableType)
    if nullable:
        assert isinstance(declared, s.NullableType)
        declared = declared.inner
    if not isinstance(value, str) or not isinstance(declared, s.TypeRef) or declared.args:
        return value
    kind = declared.name.lower()
    text = value.strip()
    if nullable and kind in ("bool", "int", "array", "object") and text == "null":
        return None
    if kind == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == "int" and text.lstrip("-").isdigit():
        return int(text)
    return value


def _is_constant(expr: s.Expr) -> bool:
    """Whether an expression is a literal (scalars, and arrays or objects of literals): the same at every
    deployment, whatever the parameters."""
    if isinstance(expr, s.StringLit | s.IntLit | s.BoolLit | s.NullLit):
        return True
    if isinstance(expr, s.ArrayExpr):
        return all(not isinstance(item, s.Spread) and _is_constant(item) for item in expr.items)
    if isinstance(expr, s.ObjectExpr):
        return all(isinstance(entry, s.ObjectProperty) and isinstance(entry.key, str)
                   and _is_constant(entry.value) for entry in expr.entries)
    if isinstance(expr, s.UnaryOp):
        return _is_constant(expr.operand)
    return False


def _is_work_limit(exc: InputError) -> bool:
    """A work limit (budget, string size, nesting) is the file's verdict, never a value to leave unresolved."""
    return exc.message.startswith(("expression work limit exceeded", "expression nested too deeply"))


def _same(first: Any, second: Any) -> bool:
    try:
        return not isinstance(first, Unresolved) and type(first) is type(second) and bool(first == second)
    except RecursionError:
        return False


def _first_unresolved(values: list[Any], *, deep: bool) -> Unresolved | None:
    for value in values:
        if isinstance(value, Unresolved):
            return value
        if deep and isinstance(value, dict | list):
            found = first_unresolved(value)
            if found is not None:
                return found
    return None


# --- expression text, for `Unresolved` and messages ----------------------------------------------------------------


def _text(expr: Any) -> str:  # noqa: C901 - one branch per node type
    """Bicep source text for an expression (reconstructed: layout and comments are not kept)."""
    if isinstance(expr, s.StringLit):
        return "'" + expr.value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(expr, s.InterpolatedString):
        inner = "".join(p if isinstance(p, str) else "${" + _text(p) + "}" for p in expr.parts)
        return f"'{inner}'"
    if isinstance(expr, s.IntLit):
        return str(expr.value)
    if isinstance(expr, s.BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, s.NullLit):
        return "null"
    if isinstance(expr, s.Identifier):
        return expr.name
    if isinstance(expr, s.PropertyAccess):
        return f"{_text(expr.obj)}{'.?' if expr.safe else '.'}{expr.name}"
    if isinstance(expr, s.IndexAccess):
        return f"{_text(expr.obj)}[{'?' if expr.safe else ''}{_text(expr.index)}]"
    if isinstance(expr, s.NestedResourceAccess):
        return f"{_text(expr.parent)}::{expr.name}"
    if isinstance(expr, s.FunctionCall):
        prefix = f"{expr.namespace}." if expr.namespace else ""
        return f"{prefix}{expr.name}({', '.join(_text(a) for a in expr.args)})"
    if isinstance(expr, s.MethodCall):
        return f"{_text(expr.obj)}.{expr.name}({', '.join(_text(a) for a in expr.args)})"
    if isinstance(expr, s.UnaryOp):
        return f"{expr.op}{_text(expr.operand)}"
    if isinstance(expr, s.BinaryOp):
        return f"{_text(expr.left)} {expr.op} {_text(expr.right)}"
    if isinstance(expr, s.Ternary):
        return f"{_text(expr.condition)} ? {_text(expr.if_true)} : {_text(expr.if_false)}"
    if isinstance(expr, s.Lambda):
        params = expr.params[0] if len(expr.params) == 1 else f"({', '.join(expr.params)})"
        return f"{params} => {_text(expr.body)}"
    if isinstance(expr, s.NonNull):
        return f"{_text(expr.expr)}!"
    if isinstance(expr, s.ForExpr):
        names = expr.item or ""
        if expr.index is not None:
            names = f"({names}, {expr.index})"
        condition = f"if ({_text(expr.condition)}) " if expr.condition is not None else ""
        return f"[for {names} in {_text(expr.iterable)}: {condition}{_text(expr.body)}]"
    if isinstance(expr, s.IfExpr):
        return f"if ({_text(expr.condition)}) {_text(expr.body)}"
    if isinstance(expr, s.ObjectExpr):
        return "{...}" if expr.entries else "{}"
    if isinstance(expr, s.ArrayExpr):
        return "[...]" if expr.items else "[]"
    return "..."


# --- entry points ------------------------------------------------------------------------------------------------


def evaluate_bicep(program: s.Program, path: Path, *, parameters: Mapping[str, Any] | None = None,
                   context: DeploymentContext | None = None, root: Path | None = None) -> BicepEvaluation:
    """Evaluate one deployment of the Bicep `program` read from `path` into resources.

    `parameters` are the values of a parameter file (names matched case-insensitively); `root` is the tree
    under review: modules, imports and loaded files are only read inside it. Raises `TemplateError` (with a
    line in `path`) when the deployment can't be evaluated.
    """
    context = context or DeploymentContext()
    context = replace(context, deployment_scope=_target_scope(program))
    session = _Session(context, root, path)
    top_resolved = path.resolve()
    file = _File(session, program, path, supplied=dict(parameters or {}), context=context,
                 prefix=_scope_prefix(context), address="", stack=(top_resolved,))
    resources: list[Resource] = []
    try:
        _emit(file, resources)
    except RecursionError as exc:
        raise TemplateError("the Bicep file is nested too deeply to evaluate") from exc
    except MemoryError as exc:
        raise TemplateError("the Bicep file is too large to evaluate (out of memory)") from exc
    files = [f for f in session.files if f != top_resolved]
    return BicepEvaluation(resources, list(session.notes), files, list(dict.fromkeys(session.unreviewed)),
                           list(session.not_read.values()))


def evaluate_parameters(program: s.Program, path: Path, *, context: DeploymentContext | None = None,
                        root: Path | None = None) -> tuple[dict[str, Any], list[str]]:
    """The values a `.bicepparam` program assigns (`param x = expr`), with notes.

    Its variables, functions and imports are evaluated as in a Bicep file; `readEnvironmentVariable` gives
    its default or is unresolved, `getSecret` is unresolved.
    """
    context = context or DeploymentContext()
    session = _Session(context, root, path)
    file = _File(session, program, path, supplied={}, context=context, prefix=_scope_prefix(context),
                 address="", stack=(path.resolve(),))
    try:
        values = {name: _finalize(file.assignment(name)) for name in file.assignments}
    except RecursionError as exc:
        raise TemplateError("the parameter file is nested too deeply to evaluate") from exc
    return values, list(session.notes)


__all__ = ["DEPLOYMENTS_API_VERSION", "MAX_MODULE_DEPTH", "BicepEvaluation", "ModuleNotRead", "evaluate_bicep",
           "evaluate_parameters"]
