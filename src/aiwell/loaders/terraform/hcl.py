"""Terraform HCL files → a small syntax tree that keeps the structure of every expression and its line.

python-hcl2 parses (its lark grammar with positions); this module turns the raw lark tree into the nodes below,
which `expressions.py` evaluates. python-hcl2 keeps a heredoc as one opaque token, so heredoc bodies are split
into literal text, `${...}` interpolations and `%{...}` directives here, and each interpolated expression is
parsed by the same grammar (wrapped as `x = (expr)`): there is no second HCL grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from aiwell.errors import ParseError

# --- expression nodes -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every expression node; `line` is where it starts in its file."""

    line: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A number, string without interpolation, `true`, `false` or `null`."""

    value: Any


@dataclass(frozen=True, slots=True)
class Interpolation:
    """`${expr}` inside a template."""

    expr: Node


@dataclass(frozen=True, slots=True)
class IfDirective:
    """`%{ if cond }...%{ else }...%{ endif }` inside a template."""

    condition: Node
    then_parts: tuple[TemplatePart, ...]
    else_parts: tuple[TemplatePart, ...]


@dataclass(frozen=True, slots=True)
class ForDirective:
    """`%{ for k, v in coll }...%{ endfor }` inside a template."""

    key_var: str | None
    value_var: str
    collection: Node
    body: tuple[TemplatePart, ...]


TemplatePart = str | Interpolation | IfDirective | ForDirective


@dataclass(frozen=True, slots=True)
class Template(Node):
    """A string with interpolations or directives (quoted or heredoc)."""

    parts: tuple[TemplatePart, ...]


@dataclass(frozen=True, slots=True)
class Variable(Node):
    """A root name: `var`, `local`, `count`, `each`, a resource type, a `for` variable."""

    name: str


@dataclass(frozen=True, slots=True)
class GetAttr(Node):
    """`obj.name`."""

    obj: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    """`obj[key]` or `obj.0`."""

    obj: Node
    key: Node


@dataclass(frozen=True, slots=True)
class Splat(Node):
    """`obj[*].a.b` or `obj.*.a`: `steps` (attribute names or index nodes) apply to each element."""

    obj: Node
    steps: tuple[str | Node, ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """`name(args...)`; `expand_last` for a trailing `...`."""

    name: str
    args: tuple[Node, ...]
    expand_last: bool = False


@dataclass(frozen=True, slots=True)
class TupleExpr(Node):
    """`[a, b]`."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ObjectExpr(Node):
    """`{k = v, ...}`; a bare identifier key is a string literal."""

    items: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    """`cond ? a : b`."""

    condition: Node
    then_expr: Node
    else_expr: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """`a op b`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """`-a` or `!a`."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class ForExpr(Node):
    """`[for k, v in coll : value if cond]` or `{for k, v in coll : key => value... if cond}`."""

    key_var: str | None
    value_var: str
    collection: Node
    value: Node
    key: Node | None = None
    """Set for the object form."""
    group: bool = False
    condition: Node | None = None


# --- bodies ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attribute:
    """`name = expr` in a body."""

    name: str
    expr: Node
    line: int


@dataclass(slots=True)
class Body:
    """The attributes and nested blocks of a file or block, in source order."""

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    """`type "label" ... { body }` with its first and last line."""

    type: str
    labels: tuple[str, ...]
    body: Body
    line: int
    end_line: int


@dataclass(slots=True)
class HclFile:
    """One parsed `.tf` or `.tfvars` file."""

    path: str
    body: Body


# --- parsing --------------------------------------------------------------------------------------------------


def parse_hcl(text: str, path: str) -> HclFile:
    """Parse HCL text into a body of attributes and blocks.

    Raises `ParseError` (with the line) when the text is not valid HCL.
    """
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as error:
        raise ParseError(f"not valid HCL: {_first_line(str(error))}", line=getattr(error, "line", None)) from None
    except (LarkError, RecursionError) as error:
        raise ParseError(f"not valid HCL: {_first_line(str(error))}") from None
    body_tree = _only_tree(tree, "body")
    try:
        return HclFile(path, _body(body_tree))
    except _ConvertError as error:
        raise ParseError(error.message, line=error.line) from None


def parse_expression(text: str, line: int = 1) -> Node:
    """Parse one HCL expression; `line` is where it starts in its file. Raises `ParseError`."""
    try:
        return _parse_interpolation(text, line)
    except _ConvertError as error:
        raise ParseError(error.message, line=error.line) from None


def parse_template(text: str, line: int = 1) -> Node:
    """Parse the text of a template file (`templatefile()`): literal text with `${...}` and `%{...}`."""
    try:
        converter = _Converter()
        return _assemble(converter.split_template(text, line), line)
    except _ConvertError as error:
        raise ParseError(error.message, line=error.line) from None


def _parse_interpolation(text: str, line: int) -> Node:
    # Parenthesised so that an expression spread over several lines is still one attribute value.
    try:
        tree = hcl2.parses_to_tree(f"x = (\n{text}\n)")
    except (LarkError, RecursionError) as error:
        raise _ConvertError(f"not a valid expression in a template: {_first_line(str(error))}", line) from None
    attribute = _only_tree(_only_tree(tree, "body"), "attribute")
    converter = _Converter(line_offset=line - 2)
    return converter.expr(_trees(attribute)[-1])


class _ConvertError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "syntax error"


def _trees(tree: Tree[Any]) -> list[Tree[Any]]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _only_tree(tree: Tree[Any], data: str) -> Tree[Any]:
    for child in tree.children:
        if isinstance(child, Tree) and child.data == data:
            return child
    raise _ConvertError(f"unexpected HCL structure: no {data}", getattr(tree.meta, "line", None))


def _line(tree: Tree[Any] | Token) -> int:
    if isinstance(tree, Token):
        return tree.line or 0
    return getattr(tree.meta, "line", 0) or 0


def _end_line(tree: Tree[Any]) -> int:
    return getattr(tree.meta, "end_line", 0) or _line(tree)


def _body(tree: Tree[Any]) -> Body:
    return _Converter().body(tree)


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)


def unescape(text: str) -> str:
    """Resolve HCL string escapes (`\\n`, `\\"`, `\\uNNNN`, ...)."""
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)
    return _ESCAPE.sub(replace, text)


class _Converter:
    """Turns lark trees into nodes; `line_offset` shifts lines of an expression parsed out of a heredoc."""

    def __init__(self, line_offset: int = 0) -> None:
        self.line_offset = line_offset

    def line(self, tree: Tree[Any] | Token) -> int:
        return _line(tree) + self.line_offset

    def body(self, tree: Tree[Any]) -> Body:
        body = Body()
        for child in _trees(tree):
            if child.data == "attribute":
                parts = _trees(child)
                name = self.name(parts[0])
                body.attributes[name] = Attribute(name, self.expr(parts[-1]), self.line(child))
            elif child.data == "block":
                body.blocks.append(self.block(child))
        return body

    def block(self, tree: Tree[Any]) -> Block:
        parts = _trees(tree)
        inner = parts[-1]
        labels: list[str] = []
        for part in parts[1:-1]:
            labels.append(self.plain_string(part) if part.data == "string" else self.name(part))
        return Block(self.name(parts[0]), tuple(labels), self.body(inner), self.line(tree),
                     _end_line(tree) + self.line_offset)

    def name(self, tree: Tree[Any]) -> str:
        token = tree.children[0]
        return str(token)

    def plain_string(self, tree: Tree[Any]) -> str:
        node = self.string(tree)
        if isinstance(node, Literal):
            return str(node.value)
        raise _ConvertError("a block label can't contain interpolations", self.line(tree))

    # --- expressions ------------------------------------------------------------------------------------------

    def expr(self, tree: Tree[Any]) -> Node:  # noqa: C901 - one branch per grammar rule reads best
        data = tree.data
        line = self.line(tree)
        if data == "expr_term":
            inner = _trees(tree)
            if len(inner) != 1:
                raise _ConvertError("unexpected expression", line)
            return self.expr(inner[0])
        if data == "int_lit":
            return Literal(line, int(str(tree.children[0])))
        if data == "float_lit":
            value = float(str(tree.children[0]))
            return Literal(line, int(value) if value.is_integer() and "e" not in str(tree.children[0]).lower()
                           else value)
        if data == "literal_value":
            return Literal(line, {"true": True, "false": False, "null": None}[str(tree.children[0])])
        if data == "string":
            return self.string(tree)
        if data == "template_string":
            return Literal(line, unescape(str(tree.children[0])[2:-2]))
        if data in ("heredoc_template", "heredoc_template_trim"):
            return self.heredoc(str(tree.children[0]), line, trim=data == "heredoc_template_trim")
        if data in ("identifier", "keyword"):
            return Variable(line, str(tree.children[0]))
        if data == "tuple":
            return TupleExpr(line, tuple(self.expr(c) for c in _trees(tree)))
        if data == "object":
            items = []
            for elem in _trees(tree):
                key_tree, value_tree = _trees(elem)
                items.append((self.object_key(key_tree), self.expr(value_tree)))
            return ObjectExpr(line, tuple(items))
        if data == "function_call":
            names = [str(c.children[0]) for c in tree.children if isinstance(c, Tree) and c.data == "identifier"]
            arguments = [c for c in _trees(tree) if c.data == "arguments"]
            args: tuple[Node, ...] = ()
            expand = False
            if arguments:
                args = tuple(self.expr(c) for c in _trees(arguments[0]))
                expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in arguments[0].children)
            return Call(line, "::".join(names), args, expand)
        if data == "get_attr_expr_term":
            obj_tree, attr = _trees(tree)
            return GetAttr(line, self.expr(obj_tree), self.attr_name(attr))
        if data == "index_expr_term":
            obj_tree, index = _trees(tree)
            return Index(line, self.expr(obj_tree), self.index(index))
        if data in ("attr_splat_expr_term", "full_splat_expr_term"):
            obj_tree, splat = _trees(tree)
            steps: list[str | Node] = []
            for step in _trees(splat):
                steps.append(self.attr_name(step) if step.data == "get_attr" else self.index(step))
            return Splat(line, self.expr(obj_tree), tuple(steps))
        if data == "conditional":
            condition, then_tree, else_tree = _trees(tree)
            return Conditional(line, self.expr(condition), self.expr(then_tree), self.expr(else_tree))
        if data == "binary_op":
            left, term = _trees(tree)
            operator, right = _trees(term)
            return Binary(line, str(operator.children[0]).strip(), self.expr(left), self.expr(right))
        if data == "unary_op":
            return Unary(line, str(tree.children[0]), self.expr(_trees(tree)[0]))
        if data in ("for_tuple_expr", "for_object_expr"):
            return self.for_expr(tree, line)
        raise _ConvertError(f"unsupported expression ({data})", line)

    def object_key(self, tree: Tree[Any]) -> Node:
        inner = _trees(tree)[0]
        if inner.data == "keyword":
            return Literal(self.line(inner), str(inner.children[0]))
        if inner.data == "expr_term":
            term = _trees(inner)
            if len(term) == 1 and term[0].data == "identifier":
                return Literal(self.line(inner), str(term[0].children[0]))
        return self.expr(inner)

    def attr_name(self, tree: Tree[Any]) -> str:
        return str(_trees(tree)[0].children[0])

    def index(self, tree: Tree[Any]) -> Node:
        if tree.data == "short_index":
            token = [c for c in tree.children if isinstance(c, Token) and c.type == "INT_LITERAL"][0]
            return Literal(self.line(tree), int(str(token)))
        return self.expr(_trees(tree)[0])

    def for_expr(self, tree: Tree[Any], line: int) -> ForExpr:
        parts = _trees(tree)
        intro = parts[0]
        intro_parts = _trees(intro)
        names = [str(p.children[0]) for p in intro_parts if p.data == "identifier"]
        collection = self.expr(intro_parts[-1])
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        condition = None
        if parts[-1].data == "for_cond":
            condition = self.expr(_trees(parts[-1])[0])
            parts = parts[:-1]
        if tree.data == "for_tuple_expr":
            return ForExpr(line, key_var, value_var, collection, self.expr(parts[1]), condition=condition)
        group = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in tree.children)
        return ForExpr(line, key_var, value_var, collection, self.expr(parts[2]), key=self.expr(parts[1]),
                       group=group, condition=condition)

    # --- templates --------------------------------------------------------------------------------------------

    def string(self, tree: Tree[Any]) -> Node:
        line = self.line(tree)
        flat: list[_Flat] = []
        for part in _trees(tree):
            child = part.children[0]
            if isinstance(child, Token):
                text = str(child)
                if child.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    flat.append(text[1:])
                else:
                    flat.append(unescape(text))
                continue
            flat.append(self.directive(child))
        return _assemble(flat, line)

    def directive(self, tree: Tree[Any]) -> _Flat:
        line = self.line(tree)
        strip_left, strip_right = _strip_markers(tree)
        inner = _trees(tree)
        if tree.data == "interpolation":
            return _Open("interp", self.expr(inner[0]), strip_left, strip_right, line)
        if tree.data == "template_if_start":
            return _Open("if", self.expr(inner[0]), strip_left, strip_right, line)
        if tree.data == "template_for_start":
            names = [str(p.children[0]) for p in inner if p.data == "identifier"]
            return _Open("for", (names, self.expr(inner[-1])), strip_left, strip_right, line)
        keyword = {"template_else": "else", "template_endif": "endif", "template_endfor": "endfor"}[tree.data]
        return _Open(keyword, None, strip_left, strip_right, line)

    def heredoc(self, token: str, line: int, *, trim: bool) -> Node:
        lines = token.replace("\r\n", "\n").split("\n")
        # lines[0] is `<<MARKER`, the last element is empty (the token ends in a newline), the one before the marker.
        body_lines = lines[1:-2]
        if trim:
            indents = [len(x) - len(x.lstrip(" \t")) for x in body_lines if x.strip()]
            cut = min(indents) if indents else 0
            body_lines = [x[cut:] for x in body_lines]
        text = "".join(x + "\n" for x in body_lines)
        return _assemble(self.split_template(text, line + 1), line)

    def split_template(self, text: str, line: int) -> list[_Flat]:
        """Split heredoc text into literal strings and directives (`${...}`, `%{...}`)."""
        flat: list[_Flat] = []
        position = 0
        literal: list[str] = []
        while position < len(text):
            if text.startswith(("$${", "%%{"), position):
                literal.append(text[position + 1:position + 3])
                position += 3
                continue
            if text.startswith(("${", "%{"), position):
                end = _closing_brace(text, position + 2)
                if end < 0:
                    raise _ConvertError("unterminated template sequence in a heredoc",
                                        line + text.count("\n", 0, position))
                if literal:
                    flat.append("".join(literal))
                    literal = []
                here = line + text.count("\n", 0, position)
                flat.append(self.heredoc_directive(text[position], text[position + 2:end], here))
                position = end + 1
                continue
            literal.append(text[position])
            position += 1
        if literal:
            flat.append("".join(literal))
        return flat

    def heredoc_directive(self, sigil: str, inner: str, line: int) -> _Flat:
        strip_left = inner.startswith("~")
        strip_right = inner.endswith("~")
        inner = inner[1 if strip_left else 0:len(inner) - 1 if strip_right else len(inner)].strip()
        if sigil == "$":
            return _Open("interp", _parse_interpolation(inner, line), strip_left, strip_right, line)
        words = inner.split(None, 1)
        keyword = words[0] if words else ""
        if keyword in ("else", "endif", "endfor") and len(words) == 1:
            return _Open(keyword, None, strip_left, strip_right, line)
        if keyword == "if" and len(words) == 2:
            return _Open("if", _parse_interpolation(words[1], line), strip_left, strip_right, line)
        match = re.fullmatch(r"for\s+([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?in\s+(.+)", inner, re.DOTALL)
        if match:
            names = [match.group(1)] + ([match.group(2)] if match.group(2) else [])
            return _Open("for", (names, _parse_interpolation(match.group(3), line)), strip_left, strip_right, line)
        raise _ConvertError(f"unknown template directive %{{{inner}}}", line)


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing a template sequence opened just before `start`, or -1."""
    depth = 0
    position = start
    while position < len(text):
        char = text[position]
        if char == '"':
            position += 1
            while position < len(text) and text[position] != '"':
                position += 2 if text[position] == "\\" else 1
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return position
            depth -= 1
        position += 1
    return -1


def _strip_markers(tree: Tree[Any]) -> tuple[bool, bool]:
    tokens = [c for c in tree.children if isinstance(c, Token)]
    markers = [i for i, t in enumerate(tokens) if t.type == "STRIP_MARKER"]
    return (bool(markers) and markers[0] == 1, bool(markers) and markers[-1] == len(tokens) - 2)


@dataclass(slots=True)
class _Open:
    """A template sequence before the if/for structure is assembled."""

    kind: str
    payload: Any
    strip_left: bool
    strip_right: bool
    line: int


_Flat = str | _Open


def _assemble(flat: list[_Flat], line: int) -> Node:
    """Apply strip markers, then nest `if`/`for` directives; a template of one string is a literal."""
    pieces = list(flat)
    for i, piece in enumerate(pieces):
        if not isinstance(piece, _Open):
            continue
        if piece.strip_left and i > 0 and isinstance(pieces[i - 1], str):
            pieces[i - 1] = str(pieces[i - 1]).rstrip()
        if piece.strip_right and i + 1 < len(pieces) and isinstance(pieces[i + 1], str):
            pieces[i + 1] = str(pieces[i + 1]).lstrip()
    parts, rest = _nest(pieces, 0, line, closing=())
    if rest != len(pieces):
        raise _ConvertError("unexpected template directive", line)
    merged = _merge_strings(parts)
    if not merged:
        return Literal(line, "")
    if len(merged) == 1 and isinstance(merged[0], str):
        return Literal(line, merged[0])
    return Template(line, tuple(merged))


def _merge_strings(parts: list[TemplatePart]) -> list[TemplatePart]:
    merged: list[TemplatePart] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        elif part != "":
            merged.append(part)
    return merged


def _nest(pieces: list[_Flat], start: int, line: int, closing: tuple[str, ...]) -> tuple[list[TemplatePart], int]:
    parts: list[TemplatePart] = []
    position = start
    while position < len(pieces):
        piece = pieces[position]
        if isinstance(piece, str):
            parts.append(piece)
            position += 1
            continue
        if piece.kind in closing:
            return parts, position
        if piece.kind == "interp":
            parts.append(Interpolation(piece.payload))
            position += 1
        elif piece.kind == "if":
            then_parts, position = _nest(pieces, position + 1, piece.line, ("else", "endif"))
            else_parts: list[TemplatePart] = []
            marker = pieces[position] if position < len(pieces) else None
            if isinstance(marker, _Open) and marker.kind == "else":
                else_parts, position = _nest(pieces, position + 1, piece.line, ("endif",))
            if position >= len(pieces):
                raise _ConvertError("%{if} without %{endif}", piece.line)
            parts.append(IfDirective(piece.payload, tuple(_merge_strings(then_parts)),
                                     tuple(_merge_strings(else_parts))))
            position += 1
        elif piece.kind == "for":
            body, position = _nest(pieces, position + 1, piece.line, ("endfor",))
            if position >= len(pieces):
                raise _ConvertError("%{for} without %{endfor}", piece.line)
            names, collection = piece.payload
            key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            parts.append(ForDirective(key_var, value_var, collection, tuple(_merge_strings(body))))
            position += 1
        else:
            raise _ConvertError(f"%{{{piece.kind}}} without its opening directive", piece.line)
    return parts, position


__all__ = [
    "Attribute",
    "Binary",
    "Block",
    "Body",
    "Call",
    "Conditional",
    "ForDirective",
    "ForExpr",
    "GetAttr",
    "HclFile",
    "IfDirective",
    "Index",
    "Interpolation",
    "Literal",
    "Node",
    "ObjectExpr",
    "Splat",
    "Template",
    "TemplatePart",
    "TupleExpr",
    "Unary",
    "Variable",
    "parse_expression",
    "parse_hcl",
    "parse_template",
    "unescape",
]
