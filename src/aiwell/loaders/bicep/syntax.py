"""The Bicep syntax tree the parser produces and the evaluator walks.

Every node is a frozen dataclass with the 1-based source `line` where it starts; statements also carry `end_line`.
Sequences are tuples so that nodes are immutable and hashable. The tree keeps what evaluation needs and no layout:
comments, newlines and `#disable-next-line` directives are gone, parentheses are implied by the tree's shape.

Types are kept shallow (`TypeExpr`): the evaluator mostly ignores them, the parser only has to accept them.

Names resolve in the evaluator, not here. `a.b(...)` is a `MethodCall` on `a` unless `a` is `az` or `sys` (the
built-in namespaces), which give a `FunctionCall` with that `namespace`; a call through an `import * as ns` alias
therefore arrives as `MethodCall(Identifier('ns'), ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- expressions -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StringLit:
    """A string without interpolation: `'abc'`, or a multi-line `'''...'''` string. Escapes already decoded."""

    line: int
    value: str


@dataclass(frozen=True, slots=True)
class InterpolatedString:
    """`'a${b}c'`: literal text parts (escapes decoded) and the expressions between them, in order."""

    line: int
    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class IntLit:
    """An integer literal (Bicep has no floating-point literals)."""

    line: int
    value: int


@dataclass(frozen=True, slots=True)
class BoolLit:
    """`true` or `false`."""

    line: int
    value: bool


@dataclass(frozen=True, slots=True)
class NullLit:
    """`null`."""

    line: int


@dataclass(frozen=True, slots=True)
class Decorator:
    """`@name(args)` or `@ns.name(args)` before a declaration, an object property or a type member."""

    line: int
    namespace: str | None
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ObjectProperty:
    """`key: value` in an object. `key` is a `str` for an identifier or a plain string key, an `Expr` when the key is
    an interpolated string."""

    line: int
    key: str | Expr
    value: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Spread:
    """`...expr` in an object or an array."""

    line: int
    expr: Expr


@dataclass(frozen=True, slots=True)
class ObjectExpr:
    """`{ ... }`. `entries` keep source order; a `Resource` entry is a child resource declared inside a resource
    body (`resource child 'type' = {...}`), which is not a property of the object."""

    line: int
    entries: tuple[ObjectProperty | Spread | Resource, ...]

    @property
    def properties(self) -> tuple[ObjectProperty | Spread, ...]:
        """The entries that make up the object value: properties and spreads, nested resources left out."""
        return tuple(entry for entry in self.entries if not isinstance(entry, Resource))

    @property
    def nested_resources(self) -> tuple[Resource, ...]:
        """Child resources declared inside this (resource body) object."""
        return tuple(entry for entry in self.entries if isinstance(entry, Resource))


@dataclass(frozen=True, slots=True)
class ArrayExpr:
    """`[ ... ]`: items one per line or comma-separated."""

    line: int
    items: tuple[Expr | Spread, ...]


@dataclass(frozen=True, slots=True)
class Identifier:
    """A reference to a symbol: a parameter, variable, resource, module, loop variable, lambda parameter, ..."""

    line: int
    name: str


@dataclass(frozen=True, slots=True)
class PropertyAccess:
    """`obj.name`, or `obj.?name` when `safe`."""

    line: int
    obj: Expr
    name: str
    safe: bool = False


@dataclass(frozen=True, slots=True)
class IndexAccess:
    """`obj[index]`, or `obj[?index]` when `safe`; `from_end` for `obj[^index]` (counted from the end, `[^1]` is the
    last item)."""

    line: int
    obj: Expr
    index: Expr
    safe: bool = False
    from_end: bool = False


@dataclass(frozen=True, slots=True)
class NestedResourceAccess:
    """`parent::child`: a child resource declared inside `parent`'s body (`account::deployment.name`)."""

    line: int
    parent: Expr
    name: str


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """`name(args)`; `namespace` is `az` or `sys` for `az.resourceGroup()` / `sys.concat(...)`, else None."""

    line: int
    namespace: str | None
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class MethodCall:
    """`obj.name(args)`: a resource function (`vault.getSecret('x')`, `account.listKeys()`) or a function reached
    through an import alias (`ns.helper()`); `safe` for `obj.?name(args)`."""

    line: int
    obj: Expr
    name: str
    args: tuple[Expr, ...]
    safe: bool = False


@dataclass(frozen=True, slots=True)
class UnaryOp:
    """Prefix `!` (not) or `-` (negation)."""

    line: int
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class BinaryOp:
    """`left op right`; `op` is one of `+ - * / % == != =~ !~ < <= > >= && || ??`."""

    line: int
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Ternary:
    """`condition ? if_true : if_false` (either part may sit on the next line)."""

    line: int
    condition: Expr
    if_true: Expr
    if_false: Expr


@dataclass(frozen=True, slots=True)
class Lambda:
    """`x => body`, `(x, y) => body`. Parameter types, when written, are dropped."""

    line: int
    params: tuple[str, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class NonNull:
    """Postfix `expr!`: asserts the value is not null."""

    line: int
    expr: Expr


@dataclass(frozen=True, slots=True)
class ForExpr:
    """`[for item in iterable: body]`, `[for (item, index) in iterable: body]`, or with a filter
    `[for item in iterable: if (condition) body]`. `item` is None only for the rare `[for (, i) in ...]`."""

    line: int
    item: str | None
    index: str | None
    iterable: Expr
    body: Expr
    condition: Expr | None = None


@dataclass(frozen=True, slots=True)
class IfExpr:
    """`if (condition) body`: the conditional body of a resource, module or (in Bicep) nested resource."""

    line: int
    condition: Expr
    body: Expr


Expr = (
    StringLit
    | InterpolatedString
    | IntLit
    | BoolLit
    | NullLit
    | ObjectExpr
    | ArrayExpr
    | Identifier
    | PropertyAccess
    | IndexAccess
    | NestedResourceAccess
    | FunctionCall
    | MethodCall
    | UnaryOp
    | BinaryOp
    | Ternary
    | Lambda
    | NonNull
    | ForExpr
    | IfExpr
)

# --- types (accepted, modelled shallowly) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A named type: `string`, `int`, `object`, a user-defined type, `ns.someType`; `args` for parameterised types
    such as `resourceInput<'Microsoft.X/y@2024-01-01'>` (the arguments are literal types or type expressions)."""

    line: int
    name: str
    args: tuple[TypeExpr, ...] = ()


@dataclass(frozen=True, slots=True)
class LiteralType:
    """A literal used as a type: `'Standard'`, `1`, `true`, `-1`, `null`."""

    line: int
    value: Expr


@dataclass(frozen=True, slots=True)
class NullableType:
    """`T?`."""

    line: int
    inner: TypeExpr


@dataclass(frozen=True, slots=True)
class ArrayType:
    """`T[]`."""

    line: int
    item: TypeExpr


@dataclass(frozen=True, slots=True)
class UnionType:
    """`A | B | C` (usually literal types)."""

    line: int
    members: tuple[TypeExpr, ...]


@dataclass(frozen=True, slots=True)
class TupleType:
    """`[A, B]` as a type."""

    line: int
    items: tuple[TypeExpr, ...]


@dataclass(frozen=True, slots=True)
class ObjectTypeProperty:
    """`name: T` (or `'quoted name': T`) in an object type; `*: T` gives `name='*'` (additional properties)."""

    line: int
    name: str
    type: TypeExpr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectType:
    """`{ name: T ... }` as a type."""

    line: int
    properties: tuple[ObjectTypeProperty, ...]


@dataclass(frozen=True, slots=True)
class ResourceTypeRef:
    """`resource 'Ns/type@api'` as a parameter or output type (older syntax for resource-typed values)."""

    line: int
    type_string: str


@dataclass(frozen=True, slots=True)
class TypeAccess:
    """`T.name`, `T[*]`, `T[0]`, `T.*`: a part of another type; `member` is the name, `'*'` or the index as text."""

    line: int
    base: TypeExpr
    member: str


TypeExpr = (
    TypeRef
    | LiteralType
    | NullableType
    | ArrayType
    | UnionType
    | TupleType
    | ObjectType
    | ResourceTypeRef
    | TypeAccess
)

# --- statements ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetScope:
    """`targetScope = 'subscription'`."""

    line: int
    end_line: int
    value: Expr


@dataclass(frozen=True, slots=True)
class Metadata:
    """`metadata name = value`."""

    line: int
    end_line: int
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Param:
    """`param name type = default` in a `.bicep` file."""

    line: int
    end_line: int
    name: str
    type: TypeExpr | None
    default: Expr | None
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class ParamAssignment:
    """`param name = value` in a `.bicepparam` file."""

    line: int
    end_line: int
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Using:
    """`using './main.bicep'` in a `.bicepparam` file; `path` is None for `using none`. `config` holds a `with {..}`
    clause when present."""

    line: int
    end_line: int
    path: str | None
    config: Expr | None = None


@dataclass(frozen=True, slots=True)
class Extends:
    """`extends './base.bicepparam'` in a `.bicepparam` file."""

    line: int
    end_line: int
    path: str


@dataclass(frozen=True, slots=True)
class Var:
    """`var name = value` (or the typed `var name type = value`)."""

    line: int
    end_line: int
    name: str
    value: Expr
    decorators: tuple[Decorator, ...] = ()
    type: TypeExpr | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """`resource name 'Ns/type@api' [existing] = body`; `body` is an `ObjectExpr`, an `IfExpr` or a `ForExpr`.
    Also used for a child resource declared inside a parent's body (see `ObjectExpr.entries`), whose
    `type_string` may then be the short child type (`'deployments'`) or a full one."""

    line: int
    end_line: int
    name: str
    type_string: str
    existing: bool
    body: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Module:
    """`module name 'path' = body`; `path_string` is the local path or registry reference (`br:`, `br/alias:`,
    `ts:`) as written; `body` is an `ObjectExpr`, an `IfExpr` or a `ForExpr`."""

    line: int
    end_line: int
    name: str
    path_string: str
    body: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Output:
    """`output name type = value`."""

    line: int
    end_line: int
    name: str
    type: TypeExpr
    value: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class TypeDecl:
    """`type name = T`."""

    line: int
    end_line: int
    name: str
    type: TypeExpr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionParam:
    """One parameter of a user-defined function."""

    line: int
    name: str
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class FunctionDecl:
    """`func name(params) returnType => body`."""

    line: int
    end_line: int
    name: str
    params: tuple[FunctionParam, ...]
    return_type: TypeExpr
    body: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportedSymbol:
    """`name` or `name as alias` inside `import {...} from '...'`."""

    line: int
    name: str
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Import:
    """A compile-time import: `import {a, b as c} from './x.bicep'` (`symbols`) or `import * as ns from './x.bicep'`
    (`wildcard_alias`). The older extension form `import 'az@1.0.0' [with {...}] [as alias]` gives neither symbols
    nor a wildcard: `path` is the extension spec, `config` the `with` object, `alias` the `as` name."""

    line: int
    end_line: int
    path: str
    symbols: tuple[ImportedSymbol, ...] | None = None
    wildcard_alias: str | None = None
    config: Expr | None = None
    alias: str | None = None
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Extension:
    """`extension name` / `extension 'br:...' with {...} as alias`; `keyword` is `extension` or the older
    `provider`. `spec` is the identifier or the string as written."""

    line: int
    end_line: int
    keyword: str
    spec: str
    config: Expr | None = None
    alias: str | None = None
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Assert:
    """`assert name = condition` (experimental Bicep feature; accepted so the file parses)."""

    line: int
    end_line: int
    name: str
    condition: Expr


@dataclass(frozen=True, slots=True)
class BicepTest:
    """`test name 'path' = {...}` (experimental Bicep test framework; accepted so the file parses)."""

    line: int
    end_line: int
    name: str
    path_string: str
    body: Expr


@dataclass(frozen=True, slots=True)
class ExtensionConfig:
    """`extensionConfig name with {...}` in a `.bicepparam` file: configuration for an extension of the template."""

    line: int
    end_line: int
    name: str
    config: Expr


Statement = (
    TargetScope
    | Metadata
    | Param
    | ParamAssignment
    | Using
    | Extends
    | Var
    | Resource
    | Module
    | Output
    | TypeDecl
    | FunctionDecl
    | Import
    | Extension
    | Assert
    | BicepTest
    | ExtensionConfig
)


@dataclass(frozen=True, slots=True)
class Program:
    """A whole `.bicep` or `.bicepparam` file: its statements in source order."""

    path: str | None
    statements: tuple[Statement, ...]


__all__ = [
    "ArrayExpr",
    "ArrayType",
    "Assert",
    "BicepTest",
    "BinaryOp",
    "BoolLit",
    "Decorator",
    "Expr",
    "Extends",
    "Extension",
    "ExtensionConfig",
    "ForExpr",
    "FunctionCall",
    "FunctionDecl",
    "FunctionParam",
    "Identifier",
    "IfExpr",
    "Import",
    "ImportedSymbol",
    "IndexAccess",
    "IntLit",
    "InterpolatedString",
    "Lambda",
    "LiteralType",
    "Metadata",
    "MethodCall",
    "Module",
    "NestedResourceAccess",
    "NonNull",
    "NullLit",
    "NullableType",
    "ObjectExpr",
    "ObjectProperty",
    "ObjectType",
    "ObjectTypeProperty",
    "Output",
    "Param",
    "ParamAssignment",
    "Program",
    "Resource",
    "ResourceTypeRef",
    "Spread",
    "Statement",
    "StringLit",
    "TargetScope",
    "Ternary",
    "TupleType",
    "TypeAccess",
    "TypeDecl",
    "TypeExpr",
    "TypeRef",
    "UnaryOp",
    "UnionType",
    "Using",
    "Var",
]
