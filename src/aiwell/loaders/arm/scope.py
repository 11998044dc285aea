"""What an ARM template expression can see: parameters, variables, user functions, loops, the deployment.

An `EvalScope` is created once per deployment by the template loader. Scopes derived from it (a copy loop's
iteration, a lambda's body, a user-defined function's body) share its variable cache, its work budget and its
notes, so the limits hold for the whole deployment and every warning reaches the loader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from msgspec import Struct, field

from aiwell.errors import TemplateError
from aiwell.model.values import Unresolved

if TYPE_CHECKING:
    from aiwell.loaders.arm.identity import IdKey

MAX_STEPS = 5_000_000
"""Units of work one deployment's expressions may spend (a node evaluated, an element built)."""

MAX_STRING_LENGTH = 10 * 1024 * 1024
"""Longest string an expression may build, in characters."""

MAX_ARRAY_LENGTH = 100_000
"""Most elements an array or object built by an expression may hold."""

MAX_DEPTH = 100
"""Deepest nesting of expressions, values, variables and user-defined function calls."""


class DeploymentContext(Struct, frozen=True):
    """Where a deployment goes: placeholders that are consistent across a run.

    The defaults are documented placeholders: they make ids and names deterministic without pretending to know
    the real subscription (`--subscription-id`, `--resource-group` and `--location` set them). Nothing else about
    the target is assumed: the functions that read its other properties (a resource group's tags, a
    subscription's display name, a tenant's country) answer `Unresolved`. A nested deployment whose own name,
    subscription or resource group is unresolved has them `Unresolved` here, never the enclosing deployment's.
    """

    subscription_id: str | Unresolved = "00000000-0000-0000-0000-000000000000"
    resource_group: str | Unresolved = "aiwell-rg"
    location: str = "westeurope"
    """Documented placeholder for `resourceGroup().location` and the top-level `deployment().location`."""
    deployment_location: str | Unresolved | None = None
    """`deployment().location` of a nested deployment: the `location` it declares (unresolved when that is); None
    for the top-level deployment, whose location is `location`."""
    tenant_id: str = "00000000-0000-0000-0000-000000000000"
    deployment_name: str | Unresolved = "aiwell"
    """`deployment().name`: unresolved for a nested deployment whose own name is."""
    management_group: str | Unresolved = "aiwell-mg"
    """The management group a deployment at management group scope goes to: `managementGroup()` and every id
    under it (`resourceId()`, `managementGroupResourceId()`, the ids of its resources) use it. Only read at
    management group scope."""
    environment_name: str = "AzureCloud"
    """The cloud `environment()` describes; only AzureCloud's values are built in."""
    deployment_scope: str = "resourceGroup"
    """Where the template deploys: `resourceGroup`, `subscription`, `managementGroup` or `tenant` (from its
    `$schema`); decides what `resourceId()` returns and whether `resourceGroup()` exists."""
    parameter_values: dict[str, Any] = field(default_factory=dict)
    """Values (`parameters` in the configuration) for the parameters of a top-level template or Bicep file that
    neither a parameter file nor a default sets; matched case-insensitively. Modules and nested deployments get
    their values from their caller, never from here."""
    azd_values: dict[str, str] | None = None
    """The values of the Azure Developer CLI environment under review (`--azd-env`: its `.azure/<name>/.env`), which
    azd puts in parameter files' `${NAME}` placeholders and in the environment `readEnvironmentVariable` reads;
    None when no environment is given (such values are then unresolved)."""


class RuntimeObject(dict[str, Any]):
    """A declared value read through `reference()` of a resource of the same deployment: what the template sets is
    known, a key it lacks is a runtime value of the deployed resource (`Unresolved` when read), not an error."""


RUNTIME_VALUE = "a runtime value of the resource: only known after deployment"
"""Why a property a resource's declaration leaves out, read through `reference()`, is unresolved."""


def declared(value: Any) -> Any:
    """A member of a `RuntimeObject`, as read: its objects (also in an array) are runtime objects too."""
    if isinstance(value, dict) and not isinstance(value, RuntimeObject):
        return RuntimeObject(value)
    if isinstance(value, list):
        return [RuntimeObject(item) if isinstance(item, dict) and not isinstance(item, RuntimeObject) else item
                for item in value]
    return value


class Declarations(Protocol):
    """The resources one deployment declares, as `reference()` and the resource id functions find them."""

    def reference(self, key: str | Unresolved, text: str, *, full: bool, template: Any) -> Any:
        """What `reference(key)` (`full`: with 'Full') written in `template` returns for a resource or nested
        deployment declared in this deployment, or None when `key` names none."""

    def canonical_id(self, key: IdKey) -> str | None:
        """The text of the unresolved id of the one resource instance of this deployment (or, failing that, of a
        deployment around it) whose id is `key`, or None."""


_SECURE_TYPES = frozenset({"securestring", "secureobject"})
_OUTPUT_TYPES = {"string": "String", "securestring": "SecureString", "int": "Int", "bool": "Bool",
                 "object": "Object", "secureobject": "SecureObject", "array": "Array"}

_RUNTIME_PROPERTIES = ("provisioningState", "timestamp", "duration", "correlationId", "outputResources",
                       "dependencies", "parameters", "mode", "templateHash")
"""Properties of a deployment that `reference()` returns and only Azure knows."""


class NestedDeployment:
    """A nested deployment expanded in the same deployment: `reference()` of it reads its outputs.

    `outputs` evaluates the nested template's `outputs` section (name → value); it is called on first use only,
    since most deployments' outputs are never read.
    """

    def __init__(self, resource_id: str | Unresolved, name: str | Unresolved, outputs: Callable[[], dict[str, Any]],
                 output_types: dict[str, Any]) -> None:
        self.resource_id = resource_id
        self.name = name
        self._outputs = outputs
        self._output_types = output_types
        self._value: dict[str, Any] | None = None
        self._evaluating = False

    def reference(self, text: str, *, full: bool) -> dict[str, Any]:
        """What `reference()` returns: the deployment's properties, or with `full` the whole resource."""
        properties: dict[str, Any] = {
            key: Unresolved(f"{text}.{key}", "only known at deployment: a property of the finished deployment")
            for key in _RUNTIME_PROPERTIES}
        properties["outputs"] = self._output_values(text)
        if not full:
            return properties
        return {"id": self.resource_id, "name": self.name, "type": "Microsoft.Resources/deployments",
                "properties": properties}

    def _output_values(self, text: str) -> dict[str, Any]:
        if self._evaluating:
            return {name: {"value": Unresolved(f"{text}.outputs.{name}", "the deployment's outputs refer to "
                                               "themselves")} for name in self._output_types}
        if self._value is None:
            self._evaluating = True
            try:
                self._value = self._outputs()
            finally:
                self._evaluating = False
        result: dict[str, Any] = {}
        for name, value in self._value.items():
            declared = self._output_types.get(name)
            entry: dict[str, Any] = {}
            if isinstance(declared, str):
                entry["type"] = _OUTPUT_TYPES.get(declared.lower(), declared)
            if isinstance(declared, str) and declared.lower() in _SECURE_TYPES:
                entry["value"] = Unresolved(f"{text}.outputs.{name}.value",
                                            "a secure output's value is not returned")
            else:
                entry["value"] = value
            result[name] = entry
        return result


class _Shared(Struct):
    """State every scope derived from one root shares."""

    steps: int = 0
    depth: int = 0
    notes: list[str] = field(default_factory=list)
    variable_cache: dict[str, Any] = field(default_factory=dict)
    variables_in_progress: list[str] = field(default_factory=list)
    parameter_cache: dict[str, Any] = field(default_factory=dict)
    parameters_in_progress: list[str] = field(default_factory=list)
    unrepeated: int = 0
    """`EvalScope.unrepeated`."""
    invariants: dict[str, Any] | None = None
    """`EvalScope.invariants()`: None when the scope was made without `reuse_invariants`."""


class EvalScope:
    """Everything an expression can see. Created by the template loader.

    `parameters` maps parameter names to their final values (from a parameter file or the caller); a parameter
    with neither value nor default should arrive as `Unresolved`, and is passed through. A parameter declared
    in `template["parameters"]` but absent from `parameters` gets its `defaultValue`, evaluated on first use
    (a default may be an expression using other parameters). `variables` are the template's raw, unevaluated
    definitions (a top-level `copy` array of variable loops included); each is evaluated on first use and
    cached.
    `functions` is the template's raw `functions` section. Names are compared case-insensitively, as ARM does.
    With `reuse_invariants` the evaluator keeps the values of expressions that can't differ within the deployment
    (`invariants()`); only for a scope whose parameters and context are never changed after it is made.
    """

    def __init__(
        self,
        *,
        parameters: dict[str, Any],
        variables: dict[str, Any] | None = None,
        functions: list[dict[str, Any]] | None = None,
        context: DeploymentContext | None = None,
        template: dict[str, Any] | None = None,
        parameter_values_source: str | None = None,
        declarations: Declarations | None = None,
        reuse_invariants: bool = False,
    ) -> None:
        self.context = context or DeploymentContext()
        self.declarations = declarations
        """The resources and nested deployments this deployment declares, for `reference()` and resource ids
        (set by the template loader; None where there are none to find)."""
        self.template = template
        self.parameter_values_source = parameter_values_source
        """Where parameter values came from (a parameter file's path), for messages."""
        self._parameters = {str(k).lower(): v for k, v in parameters.items()}
        declared = (template or {}).get("parameters")
        self._parameter_definitions: dict[str, Any] = (
            {str(k).lower(): v for k, v in declared.items()} if isinstance(declared, dict) else {}
        )
        self._variables = _index_variables(variables or {})
        self._functions = _index_functions(functions or [])
        self._loop_indexes: dict[str | None, int] = {}
        self._lambda_variables: dict[str, Any] = {}
        self._in_user_function: str | None = None
        self._shared = _Shared(invariants={} if reuse_invariants else None)

    # --- derived scopes -------------------------------------------------------------------------------------

    def _derive(self) -> EvalScope:
        child = object.__new__(EvalScope)
        child.__dict__.update(self.__dict__)
        return child

    def with_copy_index(self, loop_name: str | None, index: int, *, resource_loop: bool = True) -> EvalScope:
        """A scope for one iteration of a resource, property or variable copy loop.

        `copyIndex('name')` answers the named loop. `copyIndex()` (no name) answers the resource's copy loop:
        ARM requires the name inside a property or variable loop, and the Bicep compiler relies on that,
        writing `copyIndex()` for the resource loop inside a property loop. Only where there is no resource
        loop (or the property loop has no name) does `copyIndex()` answer a property or variable loop.
        """
        child = self._derive()
        child._loop_indexes = dict(self._loop_indexes)
        if resource_loop or loop_name is None or None not in self._loop_indexes:
            child._loop_indexes[None] = index
        if loop_name is not None:
            child._loop_indexes[loop_name.lower()] = index
        return child

    def with_lambda_variables(self, bindings: dict[str, Any]) -> EvalScope:
        """A scope for a lambda's body, where `lambdaVariables('x')` answers `bindings['x']`."""
        child = self._derive()
        child._lambda_variables = {**self._lambda_variables, **{k.lower(): v for k, v in bindings.items()}}
        return child

    def for_user_function(self, qualified_name: str, arguments: dict[str, Any]) -> EvalScope:
        """A scope for a user-defined function's body: only its own parameters, no variables or loops."""
        child = self._derive()
        child._parameters = {k.lower(): v for k, v in arguments.items()}
        child._parameter_definitions = {}
        child._variables = {}
        child._loop_indexes = {}
        child._lambda_variables = {}
        child._in_user_function = qualified_name
        return child

    # --- lookups --------------------------------------------------------------------------------------------

    @property
    def notes(self) -> list[str]:
        """Warnings for the loader to report on the input (unknown functions, ...); shared."""
        return self._shared.notes

    def note(self, message: str) -> None:
        """Record a warning once."""
        shared = self._shared
        shared.unrepeated += 1
        if message not in shared.notes:
            shared.notes.append(message)

    @property
    def unrepeated(self) -> int:
        """How many times this deployment's evaluation did what evaluating the same expression again may not do:
        make a note (a note already made counted too), evaluate a variable or a parameter default (`evaluated()`)."""
        return self._shared.unrepeated

    def evaluated(self) -> None:
        """Count a variable or a parameter default evaluated (`unrepeated`)."""
        self._shared.unrepeated += 1

    def invariants(self) -> dict[str, Any] | None:
        """Where the evaluator keeps, by expression text, what it knows of expressions whose value is the same
        wherever they are evaluated in this deployment (`expressions._Invariant`); None where such a value may
        differ or was never to be kept.

        Kept only with `reuse_invariants` (the template loader's scopes, whose parameters and context never change),
        and handed out only outside a user-defined function (whose `parameters()` are its arguments) and while no
        variable or parameter default is being evaluated (whose cycles make `variables()` and `parameters()` answer
        otherwise while they last)."""
        shared = self._shared
        if self._in_user_function is not None or shared.variables_in_progress or shared.parameters_in_progress:
            return None
        return shared.invariants

    @property
    def steps(self) -> int:
        """Units of work this deployment's expressions have spent so far."""
        return self._shared.steps

    def replay(self, steps: int, height: int) -> bool:
        """Account for an evaluation that is not run again, of `steps` units of work nested up to `height` levels
        deep from here: spend the steps and answer True, when that stays within `MAX_STEPS` and `MAX_DEPTH`;
        else False (the evaluation must run, to fail where it does)."""
        shared = self._shared
        if shared.depth + height > MAX_DEPTH or shared.steps + steps > MAX_STEPS:
            return False
        shared.steps += steps
        return True

    @property
    def in_user_function(self) -> str | None:
        """The `namespace.member` of the user-defined function being evaluated, if any."""
        return self._in_user_function

    def has_parameter(self, name: str) -> bool:
        """Whether `name` is a parameter this scope knows (given a value or declared with a default)."""
        key = name.lower()
        return key in self._parameters or key in self._parameter_definitions

    def parameter_value(self, name: str) -> tuple[bool, Any]:
        """`(True, value)` for a given value, `(False, definition)` for one to default."""
        key = name.lower()
        if key in self._parameters:
            return True, self._parameters[key]
        return False, self._parameter_definitions.get(key)

    @property
    def parameter_cache(self) -> dict[str, Any]:
        """Evaluated parameter defaults by lower-case name."""
        return self._shared.parameter_cache

    @property
    def parameters_in_progress(self) -> list[str]:
        """Parameter defaults being evaluated now, to detect a default that refers to itself."""
        return self._shared.parameters_in_progress

    def has_variable(self, name: str) -> bool:
        """Whether the template defines variable `name`."""
        return name.lower() in self._variables

    def variable_definition(self, name: str) -> Any:
        """The raw definition of variable `name` (a `_CopyVariable` for a top-level copy loop)."""
        return self._variables[name.lower()]

    @property
    def variable_cache(self) -> dict[str, Any]:
        """Evaluated variables by lower-case name."""
        return self._shared.variable_cache

    @property
    def variables_in_progress(self) -> list[str]:
        """Variables being evaluated now, to detect a variable that refers to itself."""
        return self._shared.variables_in_progress

    def root(self) -> EvalScope:
        """This scope without loop indexes or lambda variables: where variables and defaults are evaluated."""
        child = self._derive()
        child._loop_indexes = {}
        child._lambda_variables = {}
        return child

    def copy_index(self, loop_name: str | None) -> int | None:
        """The current index of loop `loop_name` (the innermost loop when None), or None outside it."""
        return self._loop_indexes.get(loop_name.lower() if loop_name is not None else None)

    def lambda_variable(self, name: str) -> tuple[bool, Any]:
        """`(True, value)` when `name` is bound by an enclosing lambda."""
        key = name.lower()
        if key in self._lambda_variables:
            return True, self._lambda_variables[key]
        return False, None

    def user_function(self, namespace: str, member: str) -> dict[str, Any] | None:
        """The raw definition of user-defined function `namespace.member`, if the template defines it."""
        return self._functions.get((namespace.lower(), member.lower()))

    # --- limits ---------------------------------------------------------------------------------------------

    def charge(self, steps: int = 1) -> None:
        """Spend work from the deployment's budget; raise `TemplateError` when it is exhausted."""
        self._shared.steps += steps
        if self._shared.steps > MAX_STEPS:
            raise _work_limit_exceeded()

    def enter(self) -> None:
        """Go one level deeper; raise `TemplateError` past `MAX_DEPTH` (then without going deeper)."""
        if self._shared.depth >= MAX_DEPTH:
            raise _nested_too_deeply()
        self._shared.depth += 1

    def descend(self) -> None:
        """`charge()` one step, then `enter()`, in one call: what evaluating one node of a value or an expression
        costs (the evaluator's most frequent call)."""
        shared = self._shared
        shared.steps += 1
        if shared.steps > MAX_STEPS:
            raise _work_limit_exceeded()
        if shared.depth >= MAX_DEPTH:
            raise _nested_too_deeply()
        shared.depth += 1

    def leave(self) -> None:
        """Come back up one level."""
        shared = self._shared
        if shared.depth > 0:
            shared.depth -= 1


class CopyVariable(Struct, frozen=True):
    """A variable defined by the top-level `copy` array of `variables`: `count` copies of `input`."""

    name: str
    count: Any
    input: Any


def _index_variables(variables: dict[str, Any]) -> dict[str, Any]:
    indexed: dict[str, Any] = {}
    for name, definition in variables.items():
        if name.lower() == "copy" and isinstance(definition, list):
            for loop in definition:
                if isinstance(loop, dict) and isinstance(loop.get("name"), str):
                    name = loop["name"]
                    indexed[name.lower()] = CopyVariable(name, loop.get("count"), loop.get("input"))
            continue
        indexed[str(name).lower()] = definition
    return indexed


def _index_functions(functions: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    indexed: dict[tuple[str, str], dict[str, Any]] = {}
    if not isinstance(functions, list):
        return indexed
    for namespace in functions:
        if not isinstance(namespace, dict) or not isinstance(namespace.get("namespace"), str):
            continue
        members = namespace.get("members")
        if not isinstance(members, dict):
            continue
        for member, definition in members.items():
            if isinstance(definition, dict):
                indexed[(namespace["namespace"].lower(), str(member).lower())] = definition
    return indexed



def _work_limit_exceeded() -> TemplateError:
    return TemplateError(f"expression work limit exceeded ({MAX_STEPS:,} steps)",
                         hint="the template's expressions build too much (huge ranges, loops or strings)")


def _nested_too_deeply() -> TemplateError:
    return TemplateError(f"expression nested too deeply (more than {MAX_DEPTH} levels)")


__all__ = [
    "MAX_ARRAY_LENGTH",
    "MAX_DEPTH",
    "MAX_STEPS",
    "MAX_STRING_LENGTH",
    "RUNTIME_VALUE",
    "CopyVariable",
    "DeploymentContext",
    "EvalScope",
    "Declarations",
    "NestedDeployment",
    "RuntimeObject",
    "declared",
]
