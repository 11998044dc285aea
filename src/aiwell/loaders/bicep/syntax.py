"""The Bicep syntax tree the parser produces and the evaluator walks.

Every node is a frozen `msgspec.Struct` with the 1-based source `line` where it starts; statements also carry
`end_line`. Sequences are tuples so that nodes are immutable and hashable. The tree keeps what evaluation needs and
no layout: comments, newlines and `#disable-next-line` directives are gone, parentheses are implied by the tree's
shape.

Types are kept shallow (`TypeExpr`): the evaluator mostly ignores them, the parser only has to accept them.

Names resolve in the evaluator, not here. `a.b(...)` is a `MethodCall` on `a` unless `a` is `az` or `sys` (the
built-in namespaces), which give a `FunctionCall` with that `namespace`; a call through an `import * as ns` alias
therefore arrives as `MethodCall(Identifier('ns'), ...)`.
"""

from __future__ import annotations

from msgspec import Struct

# --- expressions -----------------------------------------------------------------------------------------------


class StringLit(Struct, frozen=True):
    """A string without interpolation: `'abc'`, or a multi-line `'''...'''` string. Escapes already decoded."""

    line: int
    value: str


class InterpolatedString(Struct, frozen=True):
    """`'a${b}c'`: literal text parts (escapes decoded) and the expressions between them, in order."""

    line: int
    parts: tuple[str | Expr, ...]


class IntLit(Struct, frozen=True):
    """An integer literal (Bicep has no floating-point literals)."""

    line: int
    value: int


class BoolLit(Struct, frozen=True):
    """`true` or `false`."""

    line: int
    value: bool


class NullLit(Struct, frozen=True):
    """`null`."""

    line: int


class Decorator(Struct, frozen=True):
    """`@name(args)` or `@ns.name(args)` before a declaration, an object property or a type member."""

    line: int
    namespace: str | None
    name: str
    args: tuple[Expr, ...]


class ObjectProperty(Struct, frozen=True):
    """`key: value` in an object. `key` is a `str` for an identifier or a plain string key, an `Expr` when the key is
    an interpolated string."""

    line: int
    key: str | Expr
    value: Expr
    decorators: tuple[Decorator, ...] = ()


class Spread(Struct, frozen=True):
    """`...expr` in an object or an array."""

    line: int
    expr: Expr


class ObjectExpr(Struct, frozen=True):
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


class ArrayExpr(Struct, frozen=True):
    """`[ ... ]`: items one per line or comma-separated."""

    line: int
    items: tuple[Expr | Spread, ...]


class Identifier(Struct, frozen=True):
    """A reference to a symbol: a parameter, variable, resource, module, loop variable, lambda parameter, ..."""

    line: int
    name: str


class PropertyAccess(Struct, frozen=True):
    """`obj.name`, or `obj.?name` when `safe`."""

    line: int
    obj: Expr
    name: str
    safe: bool = False


class IndexAccess(Struct, frozen=True):
    """`obj[index]`, or `obj[?index]` when `safe`; `from_end` for `obj[^index]` (counted from the end, `[^1]` is the
    last item)."""

    line: int
    obj: Expr
    index: Expr
    safe: bool = False
    from_end: bool = False


class NestedResourceAccess(Struct, frozen=True):
    """`parent::child`: a child resource declared inside `parent`'s body (`account::deployment.name`)."""

    line: int
    parent: Expr
    name: str


class FunctionCall(Struct, frozen=True):
    """`name(args)`; `namespace` is `az` or `sys` for `az.resourceGroup()` / `sys.concat(...)`, else None."""

    line: int
    namespace: str | None
    name: str
    args: tuple[Expr, ...]


class MethodCall(Struct, frozen=True):
    """`obj.name(args)`: a resource function (`vault.getSecret('x')`, `account.listKeys()`) or a function reached
    through an import alias (`ns.helper()`); `safe` for `obj.?name(args)`."""

    line: int
    obj: Expr
    name: str
    args: tuple[Expr, ...]
    safe: bool = False


class UnaryOp(Struct, frozen=True):
    """Prefix `!` (not) or `-` (negation)."""

    line: int
    op: str
    operand: Expr


class BinaryOp(Struct, frozen=True):
    """`left op right`; `op` is one of `+ - * / % == != =~ !~ < <= > >= && || ??`."""

    line: int
    op: str
    left: Expr
    right: Expr


class Ternary(Struct, frozen=True):
    """`condition ? if_true : if_false` (either part may sit on the next line)."""

    line: int
    condition: Expr
    if_true: Expr
    if_false: Expr


class Lambda(Struct, frozen=True):
    """`x => body`, `(x, y) => body`. Parameter types, when written, are dropped."""

    line: int
    params: tuple[str, ...]
    body: Expr


class NonNull(Struct, frozen=True):
    """Postfix `expr!`: asserts the value is not null."""

    line: int
    expr: Expr


class ForExpr(Struct, frozen=True):
    """`[for item in iterable: body]`, `[for (item, index) in iterable: body]`, or with a filter
    `[for item in iterable: if (condition) body]`. `item` is None only for the rare `[for (, i) in ...]`."""

    line: int
    item: str | None
    index: str | None
    iterable: Expr
    body: Expr
    condition: Expr | None = None


class IfExpr(Struct, frozen=True):
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


class TypeRef(Struct, frozen=True):
    """A named type: `string`, `int`, `object`, a user-defined type, `ns.someType`; `args` for parameterised types
    such as `resourceInput<'Microsoft.X/y@2024-01-01'>` (the arguments are literal types or type expressions)."""

    line: int
    name: str
    args: tuple[TypeExpr, ...] = ()


class LiteralType(Struct, frozen=True):
    """A literal used as a type: `'Standard'`, `1`, `true`, `-1`, `null`."""

    line: int
    value: Expr


class NullableType(Struct, frozen=True):
    """`T?`."""

    line: int
    inner: TypeExpr


class ArrayType(Struct, frozen=True):
    """`T[]`."""

    line: int
    item: TypeExpr


class UnionType(Struct, frozen=True):
    """`A | B | C` (usually literal types)."""

    line: int
    members: tuple[TypeExpr, ...]


class TupleType(Struct, frozen=True):
    """`[A, B]` as a type."""

    line: int
    items: tuple[TypeExpr, ...]


class ObjectTypeProperty(Struct, frozen=True):
    """`name: T` (or `'quoted name': T`) in an object type; `*: T` gives `name='*'` (additional properties)."""

    line: int
    name: str
    type: TypeExpr
    decorators: tuple[Decorator, ...] = ()


class ObjectType(Struct, frozen=True):
    """`{ name: T ... }` as a type."""

    line: int
    properties: tuple[ObjectTypeProperty, ...]


class ResourceTypeRef(Struct, frozen=True):
    """`resource 'Ns/type@api'` as a parameter or output type (older syntax for resource-typed values)."""

    line: int
    type_string: str


class TypeAccess(Struct, frozen=True):
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


class TargetScope(Struct, frozen=True):
    """`targetScope = 'subscription'`."""

    line: int
    end_line: int
    value: Expr


class Metadata(Struct, frozen=True):
    """`metadata name = value`."""

    line: int
    end_line: int
    name: str
    value: Expr


class Param(Struct, frozen=True):
    """`param name type = default` in a `.bicep` file."""

    line: int
    end_line: int
    name: str
    type: TypeExpr | None
    default: Expr | None
    decorators: tuple[Decorator, ...] = ()


class ParamAssignment(Struct, frozen=True):
    """`param name = value` in a `.bicepparam` file."""

    line: int
    end_line: int
    name: str
    value: Expr


class Using(Struct, frozen=True):
    """`using './main.bicep'` in a `.bicepparam` file; `path` is None for `using none`. `config` holds a `with {..}`
    clause when present."""

    line: int
    end_line: int
    path: str | None
    config: Expr | None = None


class Extends(Struct, frozen=True):
    """`extends './base.bicepparam'` in a `.bicepparam` file."""

    line: int
    end_line: int
    path: str


class Var(Struct, frozen=True):
    """`var name = value` (or the typed `var name type = value`)."""

    line: int
    end_line: int
    name: str
    value: Expr
    decorators: tuple[Decorator, ...] = ()
    type: TypeExpr | None = None


class Resource(Struct, frozen=True):
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


class Module(Struct, frozen=True):
    """`module name 'path' = body`; `path_string` is the local path or registry reference (`br:`, `br/alias:`,
    `ts:`) as written; `body` is an `ObjectExpr`, an `IfExpr` or a `ForExpr`."""

    line: int
    end_line: int
    name: str
    path_string: str
    body: Expr
    decorators: tuple[Decorator, ...] = ()


class Output(Struct, frozen=True):
    """`output name type = value`."""

    line: int
    end_line: int
    name: str
    type: TypeExpr
    value: Expr
    decorators: tuple[Decorator, ...] = ()


class TypeDecl(Struct, frozen=True):
    """`type name = T`."""

    line: int
    end_line: int
    name: str
    type: TypeExpr
    decorators: tuple[Decorator, ...] = ()


class FunctionParam(Struct, frozen=True):
    """One parameter of a user-defined function."""

    line: int
    name: str
    type: TypeExpr


class FunctionDecl(Struct, frozen=True):
    """`func name(params) returnType => body`."""

    line: int
    end_line: int
    name: str
    params: tuple[FunctionParam, ...]
    return_type: TypeExpr
    body: Expr
    decorators: tuple[Decorator, ...] = ()


class ImportedSymbol(Struct, frozen=True):
    """`name` or `name as alias` inside `import {...} from '...'`."""

    line: int
    name: str
    alias: str | None = None


class Import(Struct, frozen=True):
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


class Extension(Struct, frozen=True):
    """`extension name` / `extension 'br:...' with {...} as alias`; `keyword` is `extension` or the older
    `provider`. `spec` is the identifier or the string as written."""

    line: int
    end_line: int
    keyword: str
    spec: str
    config: Expr | None = None
    alias: str | None = None
    decorators: tuple[Decorator, ...] = ()


class Assert(Struct, frozen=True):
    """`assert name = condition` (experimental Bicep feature; accepted so the file parses)."""

    line: int
    end_line: int
    name: str
    condition: Expr


class BicepTest(Struct, frozen=True):
    """`test name 'path' = {...}` (experimental Bicep test framework; accepted so the file parses)."""

    line: int
    end_line: int
    name: str
    path_string: str
    body: Expr


class ExtensionConfig(Struct, frozen=True):
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


class Program(Struct, frozen=True):
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
