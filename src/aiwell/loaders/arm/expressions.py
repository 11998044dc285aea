"""The ARM template expression language: tokenizer, parser to an AST, and evaluator.

A JSON string `"[...]"` in a template is an expression; `"[[..."` ending in `]` is an escaped literal.
The grammar:

    expression := primary accessor*
    primary    := string | integer | call
    call       := identifier ( "." identifier )? "(" ( expression ( "," expression )* )? ")"
    accessor   := "." identifier | "[" expression "]"
    string     := "'" ( any character but "'" | "''" )* "'"
    integer    := "-"? digit+

There are no other literals: booleans and null are the functions `true()`, `false()` and `null()`, as in ARM.
A namespaced call (`ns.member(...)`) is a user-defined function. Function names and property names are
case-insensitive. What can't be computed offline becomes `Unresolved` carrying the text of the sub-expression.

A function or accessor given values it can't work with (`length(null)`, a missing property, an index out of
range) raises `ArgumentError`. When the sub-expression is made of literals only, every deployment fails the
same way and the error stands. When its values come from parameters, variables, loops or the deployment,
the values aiwell has may not be the ones a real deployment uses (a default where the caller passes a value,
a branch Azure never evaluates), so the sub-expression becomes `Unresolved`, with a note, and the rest of the
template is still reviewed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from msgspec import Struct

from aiwell.errors import TemplateError
from aiwell.loaders.arm.scope import MAX_ARRAY_LENGTH, RUNTIME_VALUE, CopyVariable, EvalScope, RuntimeObject, declared
from aiwell.model.values import Unresolved

MAX_PARSE_DEPTH = 100
"""Deepest nesting of calls and index accessors the parser accepts."""

MAX_COPY_COUNT = 800
"""ARM's limit on the count of a copy loop (resources, properties, variables)."""


class ExpressionSyntaxError(TemplateError):
    """An ARM expression that can't be parsed (unbalanced brackets, an unterminated string, ...)."""


class ArgumentError(TemplateError):
    """A function or accessor given values it can't work with (wrong type, out of range, missing property)."""


_INPUT_FUNCTIONS = frozenset({
    "parameters", "variables", "copyindex", "reference", "deployment", "environment", "resourcegroup",
    "subscription", "managementgroup", "tenant", "deployer", "utcnow", "newguid", "pickzones", "providers",
})
"""Functions whose value depends on the deployment (its parameters, loops, scope, runtime state)."""


# --- AST ----------------------------------------------------------------------------------------------------


class Node(Struct, frozen=True):
    """A node of a parsed expression; `text` is its source text, used in `Unresolved` values and messages."""

    text: str


class StringLiteral(Node, frozen=True):
    """A quoted string, its `''` escapes undone."""

    value: str


class IntegerLiteral(Node, frozen=True):
    """An integer."""

    value: int


class FunctionCall(Node, frozen=True):
    """A call; `name` is as written (`concat`, `myns.myFunc`)."""

    name: str
    args: tuple[Node, ...]


class PropertyAccess(Node, frozen=True):
    """`target.name`."""

    target: Node
    name: str


class IndexAccess(Node, frozen=True):
    """`target[index]`."""

    target: Node
    index: Node


# --- tokenizer ----------------------------------------------------------------------------------------------


class _Token(Struct, frozen=True):
    kind: str  # "string", "integer", "identifier", or the punctuation itself: ( ) [ ] , .
    value: str | int
    start: int
    end: int


_PUNCTUATION = frozenset("()[],.")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    length = len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            position += 1
        elif char in _PUNCTUATION:
            tokens.append(_Token(char, char, position, position + 1))
            position += 1
        elif char == "'":
            start = position
            position += 1
            parts: list[str] = []
            while True:
                close = text.find("'", position)
                if close < 0:
                    raise ExpressionSyntaxError(
                        f"unterminated string literal starting at position {start + 1} in '{text}'"
                    )
                parts.append(text[position:close])
                if close + 1 < length and text[close + 1] == "'":
                    parts.append("'")
                    position = close + 2
                    continue
                position = close + 1
                break
            tokens.append(_Token("string", "".join(parts), start, position))
        elif char.isdigit() or (char == "-" and position + 1 < length and text[position + 1].isdigit()):
            start = position
            position += 1
            while position < length and text[position].isdigit():
                position += 1
            if text[position:position + 1] == "." and text[position + 1:position + 2].isdigit():
                raise ExpressionSyntaxError(
                    f"'{text[start:position + 2]}...' at position {start + 1}: ARM expressions have no "
                    "decimal literals; use json('1.5')"
                )
            digits = text[start:position]
            # ARM integers are 64-bit; a longer literal is refused before Python builds a huge integer from it.
            value = int(digits) if len(digits) <= 20 else None
            if value is None or not -(2**63) <= value < 2**63:
                raise ExpressionSyntaxError(
                    f"the integer '{digits[:30]}{'...' if len(digits) > 30 else ''}' at position {start + 1} is "
                    "out of range (ARM integers are 64-bit)"
                )
            tokens.append(_Token("integer", value, start, position))
        elif char.isalpha() or char in "_$":
            start = position
            while position < length and (text[position].isalnum() or text[position] in "_$"):
                position += 1
            tokens.append(_Token("identifier", text[start:position], start, position))
        else:
            raise ExpressionSyntaxError(
                f"unexpected character '{char}' at position {position + 1} in '{text}'"
            )
    return tokens


# --- parser -------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0
        self.depth = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next_is(self, kind: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == kind

    def describe(self, token: _Token | None) -> str:
        if token is None:
            return "the end of the expression"
        return f"'{self.text[token.start:token.end]}' at position {token.start + 1}"

    def expect(self, kind: str, context: str) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind:
            raise ExpressionSyntaxError(
                f"expected '{kind}' {context}, found {self.describe(token)} in '{self.text}'"
            )
        self.position += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionSyntaxError("empty expression '[]'")
        node = self.expression()
        leftover = self.peek()
        if leftover is not None:
            raise ExpressionSyntaxError(
                f"unexpected {self.describe(leftover)} after a complete expression in '{self.text}'"
            )
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_PARSE_DEPTH:
            raise ExpressionSyntaxError(f"expression nested too deeply (more than {MAX_PARSE_DEPTH} levels)")
        start_token = self.peek()
        node = self.primary()
        while True:
            token = self.peek()
            if token is None or token.kind not in (".", "["):
                break
            self.position += 1
            assert start_token is not None
            if token.kind == ".":
                name = self.expect("identifier", "after '.'")
                node = PropertyAccess(self.text[start_token.start:name.end], node, str(name.value))
            else:
                index = self.expression()
                close = self.peek()
                if close is None or close.kind != "]":
                    raise ExpressionSyntaxError(
                        f"expected ']' to close the index opened at position {token.start + 1}, found "
                        f"{self.describe(close)} in '{self.text}'"
                    )
                self.position += 1
                node = IndexAccess(self.text[start_token.start:close.end], node, index)
        self.depth -= 1
        return node

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise ExpressionSyntaxError(f"expected a value, found the end of the expression in '{self.text}'")
        self.position += 1
        if token.kind == "string":
            return StringLiteral(self.text[token.start:token.end], str(token.value))
        if token.kind == "integer":
            assert isinstance(token.value, int)
            return IntegerLiteral(self.text[token.start:token.end], token.value)
        if token.kind != "identifier":
            raise ExpressionSyntaxError(f"expected a value, found {self.describe(token)} in '{self.text}'")
        name = str(token.value)
        if self.next_is(".") and self.next_is("identifier", 1) and self.next_is("(", 2):
            # `namespace.member(...)`: a user-defined function.
            name = f"{name}.{self.tokens[self.position + 1].value}"
            self.position += 2
        following = self.peek()
        if following is None or following.kind != "(":
            hint = f"; write {name}()" if name.lower() in ("true", "false", "null") else ""
            raise ExpressionSyntaxError(
                f"'{name}' at position {token.start + 1} must be a function call{hint} in '{self.text}'"
            )
        self.position += 1
        args: list[Node] = []
        if self.next_is(")"):
            self.position += 1
            return FunctionCall(self.text[token.start:following.end + 1], name, ())
        while True:
            args.append(self.expression())
            separator = self.peek()
            if separator is not None and separator.kind == ",":
                self.position += 1
                continue
            if separator is not None and separator.kind == ")":
                self.position += 1
                return FunctionCall(self.text[token.start:separator.end], name, tuple(args))
            raise ExpressionSyntaxError(
                f"expected ',' or ')' in the call of '{name}' opened at position {following.start + 1}, "
                f"found {self.describe(separator)} in '{self.text}'"
            )


def parse_expression(text: str) -> Node:
    """Parse an expression, with or without its enclosing `[` `]`, to an AST.

    Raises `ExpressionSyntaxError` (a `TemplateError`) with the position and the reason.
    """
    inner = text[1:-1] if len(text) >= 2 and text.startswith("[") and text.endswith("]") else text
    return _parse_cached(inner)


@lru_cache(maxsize=8192)
def _parse_cached(inner: str) -> Node:
    try:
        return _FastParser(inner).parse()
    except _NotFast:
        return _Parser(inner).parse()


# --- the fast path: the same grammar, ASCII text, no errors -------------------------------------------------
# Most expressions are plain ASCII and well formed: they are tokenized by one regular expression and parsed
# without the error reporting above. Anything else (a syntax error, a Unicode letter, digit or space, an integer
# out of range, nesting past the limit) leaves the fast path, and `_Parser` parses the text again: it gives the
# same tree, or the error with its message.

_FAST_TOKEN = re.compile(r"([ \t\n\r]*+)(?:([()\[\],.])|'((?:[^']|'')*+)'|(-?[0-9]++)|([A-Za-z_$][A-Za-z0-9_$]*+))")
"""ASCII white space (1), then one token: punctuation (2), a string's content (3), an integer (4), an identifier (5)."""

_FastToken = tuple[str, Any, int, int]
"""kind ("string", "integer", "identifier" or the punctuation), value, start and end offsets."""


class _NotFast(Exception):
    """The text needs the full parser: it may hold an error to report, or characters the fast path doesn't read."""


def _fast_tokens(text: str) -> list[_FastToken]:
    tokens: list[_FastToken] = []
    append = tokens.append
    position = 0
    for space, punctuation, string, digits, identifier in _FAST_TOKEN.findall(text):
        start = position + len(space)
        if punctuation:
            position = start + 1
            append((punctuation, punctuation, start, position))
        elif identifier:
            position = start + len(identifier)
            append(("identifier", identifier, start, position))
        elif digits:
            position = start + len(digits)
            if len(digits) > 20 or (text[position:position + 1] == "." and text[position + 1:position + 2].isdigit()):
                raise _NotFast
            value = int(digits)
            if not -(2**63) <= value < 2**63:
                raise _NotFast
            append(("integer", value, start, position))
        else:
            position = start + len(string) + 2
            append(("string", string.replace("''", "'"), start, position))
    # `findall` skips what no token matches: the tokens must cover the text, up to white space at its end.
    if position != len(text) and text[position:].strip(" \t\n\r"):
        raise _NotFast
    return tokens


class _FastParser:
    """`_Parser` for well-formed ASCII expressions, over `_fast_tokens`; raises `_NotFast` for anything else."""

    __slots__ = ("count", "position", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _fast_tokens(text)
        self.count = len(self.tokens)
        self.position = 0

    def parse(self) -> Node:
        node = self.expression(1)
        if self.position < self.count:
            raise _NotFast
        return node

    def expression(self, depth: int) -> Node:
        tokens, count = self.tokens, self.count
        if depth > MAX_PARSE_DEPTH or self.position >= count:
            raise _NotFast
        start = tokens[self.position][2]
        node = self.primary(depth)
        while self.position < count:
            kind = tokens[self.position][0]
            if kind == ".":
                self.position += 1
                if self.position >= count or tokens[self.position][0] != "identifier":
                    raise _NotFast
                _, name, _, end = tokens[self.position]
                self.position += 1
                node = PropertyAccess(self.text[start:end], node, name)
            elif kind == "[":
                self.position += 1
                index = self.expression(depth + 1)
                if self.position >= count or tokens[self.position][0] != "]":
                    raise _NotFast
                end = tokens[self.position][3]
                self.position += 1
                node = IndexAccess(self.text[start:end], node, index)
            else:
                break
        return node

    def primary(self, depth: int) -> Node:
        tokens, count, position = self.tokens, self.count, self.position
        kind, value, start, end = tokens[position]
        position += 1
        if kind == "string":
            self.position = position
            return StringLiteral(self.text[start:end], value)
        if kind == "integer":
            self.position = position
            return IntegerLiteral(self.text[start:end], value)
        if kind != "identifier":
            raise _NotFast
        name = value
        if position + 2 < count and tokens[position][0] == "." and tokens[position + 1][0] == "identifier" \
                and tokens[position + 2][0] == "(":
            name = f"{name}.{tokens[position + 1][1]}"
            position += 2
        if position >= count or tokens[position][0] != "(":
            raise _NotFast
        opened = tokens[position][3]
        position += 1
        if position < count and tokens[position][0] == ")":
            self.position = position + 1
            return FunctionCall(self.text[start:opened + 1], name, ())
        self.position = position
        args: list[Node] = []
        while True:
            args.append(self.expression(depth + 1))
            if self.position >= count:
                raise _NotFast
            separator, _, _, end = tokens[self.position]
            self.position += 1
            if separator == ",":
                continue
            if separator == ")":
                return FunctionCall(self.text[start:end], name, tuple(args))
            raise _NotFast


def is_expression(text: str) -> bool:
    """Whether a template string is an expression (`[...]`, not the escaped `[[...]`)."""
    return len(text) >= 2 and text[0] == "[" and text[-1] == "]" and text[1] != "["


# --- evaluation ---------------------------------------------------------------------------------------------


def evaluate_string(text: str, scope: EvalScope) -> Any:
    """A JSON string value from a template: '[...]' is an expression, '[[' is the escaped literal '[',
    anything else is returned unchanged."""
    try:
        return _evaluate_string(text, scope)
    except RecursionError:
        raise TemplateError("expression nested too deeply") from None


def evaluate_value(value: Any, scope: EvalScope) -> Any:
    """Deep: evaluates every string in dicts/lists (keys too), expands property `copy` arrays
    (`{"copy": [{"name", "count", "input"}]}` inside an object → that property becomes an array,
    copyIndex('name')), returns new objects (never mutates the input)."""
    try:
        return _evaluate_value(value, scope)
    except RecursionError:
        raise TemplateError("expression nested too deeply") from None


def evaluate_node(node: Node, scope: EvalScope) -> Any:
    """Evaluate a parsed expression in `scope`."""
    try:
        return _evaluate_node(node, scope)
    except RecursionError:
        raise TemplateError("expression nested too deeply") from None


_UNCLOSED_CALL = re.compile(r"\[\s*[A-Za-z_][\w.]*\s*\(")


def _evaluate_string(text: str, scope: EvalScope) -> Any:
    if not text.startswith("["):
        return text  # most strings of a template (keys, names, settings) are not expressions
    if len(text) >= 2 and text[-1] == "]":
        if text[1] == "[":
            return text[1:]
        value = _evaluate_node(parse_expression(text), scope)
        if callable(value):
            raise TemplateError(f"a lambda can only be an argument of a function such as map() ('{text}')")
        return value
    if _UNCLOSED_CALL.match(text):
        # ARM would take this as a literal string, but a string that opens a function call and never closes
        # the expression is a broken expression, not a name anyone meant: say so instead of reviewing it.
        raise ExpressionSyntaxError(
            f"'{text[:80]}' starts an expression but doesn't end with ']' (unbalanced brackets)"
        )
    return text


_LEAVES = frozenset({int, float, bool, type(None)})
"""Types of JSON values that evaluate to themselves (a string does too unless it starts with '[')."""


def _evaluate_value(value: Any, scope: EvalScope) -> Any:
    if isinstance(value, str):
        return _evaluate_string(value, scope) if value.startswith("[") else value
    if not isinstance(value, dict | list):
        return value
    scope.descend()
    try:
        # Items that are plain values are taken as they are here, without a call each (most of a template).
        if isinstance(value, list):
            return [item if item.__class__ in _LEAVES or (item.__class__ is str and not item.startswith("["))
                    else _evaluate_value(item, scope) for item in value]
        result: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):
                if len(key) == 4 and key.lower() == "copy" and _is_property_copy(item):
                    for loop in item:
                        result[_evaluate_value(loop["name"], scope)] = _expand_copy(loop, scope)
                    continue
                if key.startswith("["):
                    evaluated_key = _evaluate_string(key, scope)
                    if not isinstance(evaluated_key, str):
                        # A key that is unresolved (or not a string) can't name a property; keep the source text.
                        evaluated_key = key
                    key = evaluated_key
            if item.__class__ is str:
                result[key] = _evaluate_string(item, scope) if item.startswith("[") else item
            elif item.__class__ in _LEAVES:
                result[key] = item
            else:
                result[key] = _evaluate_value(item, scope)
        return result
    finally:
        scope.leave()


def _is_property_copy(item: Any) -> bool:
    return (
        isinstance(item, list) and bool(item)
        and all(isinstance(loop, dict) and "name" in loop and "input" in loop for loop in item)
    )


def _expand_copy(loop: dict[str, Any], scope: EvalScope) -> list[Any] | Unresolved:
    """The array a property or variable copy loop builds: `count` evaluations of `input`."""
    name = _evaluate_value(loop["name"], scope)
    count = _evaluate_value(loop.get("count"), scope)
    if isinstance(count, Unresolved):
        return Unresolved(f"copy loop '{name}'", count.reason)
    count = copy_count(count, f"copy loop '{name}'")
    loop_name = name if isinstance(name, str) else None
    return [_evaluate_value(loop["input"], scope.with_copy_index(loop_name, index, resource_loop=False))
            for index in range(count)]


def copy_loop(count: Any, input_value: Any, scope: EvalScope, what: str) -> list[Any] | Unresolved:
    """The array a `copy` with `count` and `input` builds (an output's copy loop), `copyIndex()` counting it."""
    evaluated = _evaluate_value(count, scope)
    if isinstance(evaluated, Unresolved):
        return Unresolved(what, evaluated.reason)
    return [_evaluate_value(input_value, scope.with_copy_index(None, index, resource_loop=False))
            for index in range(copy_count(evaluated, what))]


def copy_count(count: Any, what: str) -> int:
    """Check a copy loop's count as ARM does: an integer from 0 to 800."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TemplateError(f"the count of {what} must be an integer, not {type_name(count)}")
    if count < 0:
        raise TemplateError(f"the count of {what} can't be negative ({count})")
    if count > MAX_COPY_COUNT:
        raise TemplateError(f"the count of {what} is {count:,}, more than ARM's limit of {MAX_COPY_COUNT}")
    return count


_INVARIANT_FUNCTIONS = frozenset({
    "base64", "base64tostring", "base64tojson", "concat", "contains", "datauri", "datauritostring", "empty",
    "endswith", "startswith", "first", "last", "format", "guid", "indexof", "lastindexof", "join", "json", "length",
    "padleft", "replace", "skip", "take", "split", "string", "substring", "tolower", "toupper", "trim",
    "uniquestring", "uri", "uricomponent", "uricomponenttostring", "array", "createarray", "flatten",
    "intersection", "union", "max", "min", "range", "tryget", "indexfromend", "tryindexfromend", "createobject",
    "items", "objectkeys", "null", "shallowmerge", "and", "or", "not", "bool", "true", "false", "if", "coalesce",
    "equals", "greater", "greaterorequals", "less", "lessorequals", "add", "sub", "mul", "div", "mod", "int",
    "float", "datetimeadd", "datetimefromepoch", "datetimetoepoch", "parsecidr", "cidrsubnet", "cidrhost",
    "parameters", "variables", "deployment", "environment", "resourcegroup", "subscription", "tenant",
    "managementgroup",
})
"""Functions whose value, given the same arguments, is the same wherever in one deployment they are called: pure
functions of their arguments, and those that read the deployment's parameters, its variables (each evaluated
once, then kept) and its context. Not: `copyIndex()` and `lambdaVariables()` (they answer per loop or lambda),
lambdas and the functions that take them, user-defined functions, `reference()` and the resource id functions
(they read the declarations, which grow as the deployment is expanded), deployment-time functions (`list*`,
`newGuid()`, `utcNow()`) and functions aiwell does not know."""

_KEPT_TYPES = frozenset({str, int, float, bool, type(None), Unresolved})
"""Types of the values an invariant expression's evaluation is reused for: immutable, so that sharing one is never
seen (an object or array is built afresh each time, as every evaluation returns new objects)."""


class _Invariant:
    """The value of one invariant expression in one deployment, and the work and depth evaluating it takes.

    An expression's first evaluation fills the variables and parameter defaults it reads (each evaluated once,
    then kept), so the second is the one every later evaluation would repeat: its value and the work it spent are
    kept, unless it made a note (notes can be taken back, by `if()` with an unresolved condition), evaluated a
    variable or parameter default (one whose evaluation fails is evaluated each time, as deep as it goes) or its
    value is mutable. Later evaluations charge that work and return that value, as long as the depth it needs is
    there; otherwise they run, to fail as they would have."""

    __slots__ = ("height", "steps", "value")

    def __init__(self, height: int, steps: int, value: Any) -> None:
        self.height = height
        """How many levels deep evaluating the expression can go, itself included (the height of its tree)."""
        self.steps = steps
        self.value = value


_EVALUATED_ONCE = _Invariant(0, 0, None)
"""The entry of an expression evaluated once (to its end): the next evaluation tells whether it is invariant."""
_VARIES = _Invariant(0, 0, None)
"""The entry of an expression whose value may differ from one evaluation to the next, or is not kept."""
_BEING_KEPT = _Invariant(0, 0, None)
"""The entry of an expression during its second evaluation (left so when that fails: it is not kept then)."""


def _invariant_height(node: Node) -> int | None:
    """The height of `node`'s tree when its value is invariant (`_INVARIANT_FUNCTIONS`), else None."""
    if isinstance(node, StringLiteral | IntegerLiteral):
        return 1
    if isinstance(node, FunctionCall):
        if node.name.lower() not in _INVARIANT_FUNCTIONS:
            return None
        heights = [_invariant_height(arg) for arg in node.args]
        known = [height for height in heights if height is not None]
        return 1 + max(known, default=0) if len(known) == len(heights) else None
    if isinstance(node, PropertyAccess):
        target = _invariant_height(node.target)
        return None if target is None else 1 + target
    if isinstance(node, IndexAccess):
        target, index = _invariant_height(node.target), _invariant_height(node.index)
        return None if target is None or index is None else 1 + max(target, index)
    return None


def _evaluate_node(node: Node, scope: EvalScope) -> Any:
    """`node`'s value: evaluated, or the one kept for an invariant expression (`_Invariant`)."""
    kind = node.__class__
    if kind is StringLiteral or kind is IntegerLiteral:
        return _evaluate_afresh(node, scope)
    invariants = scope.invariants()
    if invariants is None:
        return _evaluate_afresh(node, scope)
    text = node.text
    entry = invariants.get(text)
    if entry is None:
        # Most expressions of a template are evaluated once: nothing more is worked out for them.
        value = _evaluate_afresh(node, scope)
        invariants[text] = _EVALUATED_ONCE
        return value
    if entry is _EVALUATED_ONCE:
        return _evaluate_again(node, scope, invariants)
    if entry is _VARIES or entry is _BEING_KEPT or not scope.replay(entry.steps, entry.height):
        return _evaluate_afresh(node, scope)
    return entry.value


def _evaluate_again(node: Node, scope: EvalScope, invariants: dict[str, Any]) -> Any:
    """The second evaluation of an expression: its value kept when it is invariant (`_Invariant`)."""
    height = _invariant_height(node)
    if height is None:
        invariants[node.text] = _VARIES
        return _evaluate_afresh(node, scope)
    invariants[node.text] = _BEING_KEPT
    steps, unrepeated = scope.steps, scope.unrepeated
    value = _evaluate_afresh(node, scope)
    kept = scope.unrepeated == unrepeated and value.__class__ in _KEPT_TYPES
    invariants[node.text] = _Invariant(height, scope.steps - steps, value) if kept else _VARIES
    return value


def _evaluate_afresh(node: Node, scope: EvalScope) -> Any:
    """`node`'s value, evaluated."""
    scope.descend()
    try:
        if isinstance(node, FunctionCall):
            return _call_function(node, scope)
        if isinstance(node, StringLiteral | IntegerLiteral):
            return node.value
        if isinstance(node, PropertyAccess):
            return _property(node, _evaluate_node(node.target, scope), node.name, scope)
        if isinstance(node, IndexAccess):
            target = _evaluate_node(node.target, scope)
            index = _evaluate_node(node.index, scope)
            return _index(node, target, index, scope)
        raise TypeError(f"not an expression node: {node!r}")
    except ArgumentError as exc:
        if _is_literal(node):
            raise
        scope.note(f"{exc.message}: unresolved, as the values aiwell has may not be the ones deployed")
        return Unresolved(node.text, f"can't be evaluated with the values aiwell has: {exc.message}")
    finally:
        scope.leave()


def _call_function(node: FunctionCall, scope: EvalScope) -> Any:
    """`functions.call_function`, imported on first use (the function library imports this module)."""
    global _call_function
    from aiwell.loaders.arm.functions import call_function

    _call_function = call_function
    return call_function(node, scope)


def _is_literal(node: Node) -> bool:
    """Whether an expression's value is the same for every deployment: no parameter, variable, loop index,
    user-defined function or deployment value in it."""
    if isinstance(node, StringLiteral | IntegerLiteral):
        return True
    if isinstance(node, FunctionCall):
        name = node.name.lower()
        if name in _INPUT_FUNCTIONS or name.startswith("list") or "." in name:
            return False
        return all(_is_literal(arg) for arg in node.args)
    if isinstance(node, PropertyAccess):
        return _is_literal(node.target) or _has_literal_keys(node.target)
    if isinstance(node, IndexAccess):
        return _is_literal(node.target) and _is_literal(node.index)
    return False


def _has_literal_keys(node: Node) -> bool:
    """Whether `node` builds an object whose keys are literal (`createObject('k', <anything>)`): which
    properties it has is the same for every deployment, even where their values are not."""
    return (isinstance(node, FunctionCall) and node.name.lower() == "createobject"
            and all(_is_literal(key) for key in node.args[::2]))


def _property(node: Node, target: Any, name: str, scope: EvalScope) -> Any:
    if isinstance(target, Unresolved):
        return Unresolved(node.text, target.reason)
    if isinstance(target, dict):
        found, value = lookup_key(target, name)
        if found:
            return declared(value) if isinstance(target, RuntimeObject) else value
        if isinstance(target, RuntimeObject):
            # Left out of the declaration is not absent: the deployed resource may have it (`identity.principalId`).
            return Unresolved(node.text, RUNTIME_VALUE)
        available = ", ".join(sorted(str(k) for k in target)) or "none"
        raise ArgumentError(
            f"the property '{name}' doesn't exist in '{node.text}'; available properties: {available}"
        )
    raise ArgumentError(f"can't read property '{name}' of {type_name(target)} in '{node.text}'")


def _index(node: Node, target: Any, index: Any, scope: EvalScope) -> Any:
    if isinstance(target, Unresolved):
        return Unresolved(node.text, target.reason)
    if isinstance(index, Unresolved):
        return Unresolved(node.text, index.reason)
    if isinstance(target, list):
        if isinstance(index, bool) or not isinstance(index, int):
            raise ArgumentError(f"an array index must be an integer, not {type_name(index)} ('{node.text}')")
        if not 0 <= index < len(target):
            raise ArgumentError(f"index {index} is out of range for an array of {len(target)}: '{node.text}'")
        return target[index]
    if isinstance(target, dict):
        if not isinstance(index, str):
            raise ArgumentError(f"an object key must be a string, not {type_name(index)}, in '{node.text}'")
        return _property(node, target, index, scope)
    raise ArgumentError(f"can't index {type_name(target)} in '{node.text}'")


def lookup_key(mapping: dict[str, Any], name: str) -> tuple[bool, Any]:
    """Find `name` in `mapping`, exactly or else case-insensitively (ARM names are case-insensitive)."""
    if name in mapping:
        return True, mapping[name]
    lowered = name.lower()
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == lowered:
            return True, value
    return False, None


def type_name(value: Any) -> str:
    """ARM's name for the type of a value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, Unresolved):
        return "an unresolved value"
    return type(value).__name__


# --- variables and parameters -------------------------------------------------------------------------------


def resolve_variable(name: str, scope: EvalScope, text: str) -> Any:
    """The value of variable `name`, evaluated on first use and cached; a cycle becomes `Unresolved`."""
    key = name.lower()
    if scope.in_user_function is not None:
        raise TemplateError(f"function '{scope.in_user_function}' can't use variables ('{text}')",
                            hint="pass the value as a parameter of the function")
    if not scope.has_variable(key):
        raise TemplateError(f"the template has no variable '{name}' ('{text}')")
    cache = scope.variable_cache
    if key in cache:
        return cache[key]
    if key in scope.variables_in_progress:
        return Unresolved(text, f"variable '{name}' refers to itself")
    scope.variables_in_progress.append(key)
    scope.evaluated()
    try:
        definition = scope.variable_definition(key)
        root = scope.root()
        if isinstance(definition, CopyVariable):
            value: Any = _expand_copy(
                {"name": definition.name, "count": definition.count, "input": definition.input}, root
            )
        else:
            value = _evaluate_value(definition, root)
    finally:
        scope.variables_in_progress.remove(key)
    if _mentions_cycle(value, key):
        # Part of the value depends on the variable itself: the whole variable is circular.
        value = Unresolved(text, f"variable '{name}' refers to itself")
    cache[key] = value
    return value


def _mentions_cycle(value: Any, key: str) -> bool:
    marker = f"variable '{key}' refers to itself"
    if isinstance(value, Unresolved):
        return value.reason.lower() == marker
    if isinstance(value, list):
        return any(_mentions_cycle(item, key) for item in value[:MAX_ARRAY_LENGTH])
    if isinstance(value, dict):
        return any(_mentions_cycle(item, key) for item in value.values())
    return False


def resolve_parameter(name: str, scope: EvalScope, text: str) -> Any:
    """The value of parameter `name`: given, or its declared `defaultValue` evaluated on first use."""
    key = name.lower()
    if not scope.has_parameter(key):
        function = scope.in_user_function
        where = f"user-defined function '{function}'" if function else "the template"
        raise TemplateError(f"{where} has no parameter '{name}' ('{text}')")
    given, value = scope.parameter_value(key)
    if given:
        return value
    cache = scope.parameter_cache
    if key in cache:
        return cache[key]
    definition = value if isinstance(value, dict) else {}
    if "defaultValue" not in definition:
        result: Any = Unresolved(text, f"parameter '{name}' has no value and no default")
    elif key in scope.parameters_in_progress:
        return Unresolved(text, f"the default of parameter '{name}' refers to itself")
    else:
        scope.parameters_in_progress.append(key)
        scope.evaluated()
        try:
            result = _evaluate_value(definition["defaultValue"], scope.root())
        finally:
            scope.parameters_in_progress.remove(key)
    cache[key] = result
    return result


def evaluate_user_function(node: FunctionCall, args: list[Any], scope: EvalScope) -> Any:
    """Call user-defined function `node.name` (`namespace.member`) with evaluated `args`."""
    namespace, _, member = node.name.partition(".")
    definition = scope.user_function(namespace, member)
    if definition is None:
        raise TemplateError(f"the template defines no function '{node.name}' ('{node.text}')")
    declared = definition.get("parameters") or []
    if not isinstance(declared, list):
        raise TemplateError(f"the parameters of function '{node.name}' must be an array")
    if len(args) != len(declared):
        raise TemplateError(
            f"function '{node.name}' takes {len(declared)} argument(s), {len(args)} given ('{node.text}')"
        )
    names = [str(p.get("name")) if isinstance(p, dict) else str(p) for p in declared]
    output = definition.get("output")
    if not isinstance(output, dict) or "value" not in output:
        raise TemplateError(f"function '{node.name}' has no output value")
    body_scope = scope.for_user_function(node.name, dict(zip(names, args, strict=True)))
    return _evaluate_value(output["value"], body_scope)


def evaluate_in(node: Node, scope: EvalScope) -> Any:
    """Evaluate a sub-expression from within a function (the caller guards recursion)."""
    return _evaluate_node(node, scope)


__all__ = [
    "MAX_COPY_COUNT",
    "ExpressionSyntaxError",
    "FunctionCall",
    "IndexAccess",
    "IntegerLiteral",
    "Node",
    "PropertyAccess",
    "StringLiteral",
    "copy_count",
    "copy_loop",
    "evaluate_node",
    "evaluate_string",
    "evaluate_value",
    "is_expression",
    "lookup_key",
    "parse_expression",
    "type_name",
]
