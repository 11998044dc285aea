"""Terraform HCL files → a small syntax tree that keeps the structure of every expression and its line.

Two parsers read the syntax, and both build the nodes below, which `expressions.py` evaluates:

- **tree-sitter** with the `tree-sitter-hcl` grammar (C, fast) reads every file first
  (`aiwell.loaders.terraform._hcl_tree_sitter`).
- **python-hcl2** (its lark grammar, pure Python) reads what tree-sitter can't vouch for: a file with a syntax
  error (so the error message and line are python-hcl2's), and the few constructs the tree-sitter grammar reads
  differently from HCL (a number written `1e5`, items that share a line, a line break where HCL ends an
  expression). `aiwell.loaders.terraform._hcl_lark` converts its tree.

`engine` selects one: `"auto"` (the default: tree-sitter, falling back to python-hcl2), `"tree-sitter"` (no
fallback: what it can't vouch for raises `ParseError`) or `"lark"` (python-hcl2 only). Heredoc bodies and
template files are split into literal text, `${...}` interpolations and `%{...}` directives here, the same way for
both, and each interpolated expression is parsed by the engine's own grammar (wrapped as `x = (expr)`).

HCL's rules that both follow: a string escape must name a character UTF-8 can encode (`"\\ud800"` and
`"\\U00110000"` are errors, as in Terraform); a number too large for a float is kept as an `Unresolved` value
(Terraform's numbers have arbitrary precision; aiwell's don't), so whatever uses it is unknown, never wrong.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Any
from typing import Literal as TypingLiteral

from msgspec import Struct, field

from aiwell.errors import ParseError
from aiwell.model import Unresolved

# --- expression nodes -----------------------------------------------------------------------------------------


class Node(Struct, frozen=True):
    """Base of every expression node; `line` is where it starts in its file."""

    line: int


class Literal(Node, frozen=True):
    """A number, string without interpolation, `true`, `false` or `null`."""

    value: Any


class Interpolation(Struct, frozen=True):
    """`${expr}` inside a template."""

    expr: Node


class IfDirective(Struct, frozen=True):
    """`%{ if cond }...%{ else }...%{ endif }` inside a template."""

    condition: Node
    then_parts: tuple[TemplatePart, ...]
    else_parts: tuple[TemplatePart, ...]


class ForDirective(Struct, frozen=True):
    """`%{ for k, v in coll }...%{ endfor }` inside a template."""

    key_var: str | None
    value_var: str
    collection: Node
    body: tuple[TemplatePart, ...]


TemplatePart = str | Interpolation | IfDirective | ForDirective


class Template(Node, frozen=True):
    """A string with interpolations or directives (quoted or heredoc)."""

    parts: tuple[TemplatePart, ...]


class Variable(Node, frozen=True):
    """A root name: `var`, `local`, `count`, `each`, a resource type, a `for` variable."""

    name: str


class GetAttr(Node, frozen=True):
    """`obj.name`."""

    obj: Node
    name: str


class Index(Node, frozen=True):
    """`obj[key]` or `obj.0`."""

    obj: Node
    key: Node


class Splat(Node, frozen=True):
    """`obj[*].a.b` or `obj.*.a`: `steps` (attribute names or index nodes) apply to each element."""

    obj: Node
    steps: tuple[str | Node, ...]


class Call(Node, frozen=True):
    """`name(args...)`; `expand_last` for a trailing `...`."""

    name: str
    args: tuple[Node, ...]
    expand_last: bool = False


class TupleExpr(Node, frozen=True):
    """`[a, b]`."""

    items: tuple[Node, ...]


class ObjectExpr(Node, frozen=True):
    """`{k = v, ...}`; a bare identifier key is a string literal."""

    items: tuple[tuple[Node, Node], ...]


class Conditional(Node, frozen=True):
    """`cond ? a : b`."""

    condition: Node
    then_expr: Node
    else_expr: Node


class Binary(Node, frozen=True):
    """`a op b`."""

    op: str
    left: Node
    right: Node


class Unary(Node, frozen=True):
    """`-a` or `!a`."""

    op: str
    operand: Node


class ForExpr(Node, frozen=True):
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


class Attribute(Struct, frozen=True):
    """`name = expr` in a body."""

    name: str
    expr: Node
    line: int


class Body(Struct):
    """The attributes and nested blocks of a file or block, in source order."""

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


class Block(Struct):
    """`type "label" ... { body }` with its first and last line."""

    type: str
    labels: tuple[str, ...]
    body: Body
    line: int
    end_line: int


class HclFile(Struct):
    """One parsed `.tf` or `.tfvars` file."""

    path: str
    body: Body



# --- parsing --------------------------------------------------------------------------------------------------

Engine = TypingLiteral["auto", "tree-sitter", "lark"]
"""Which parser reads the syntax (see the module docstring)."""

ENGINES: tuple[Engine, ...] = ("auto", "tree-sitter", "lark")


MAX_HCL_CHARACTERS = 2 * 1024 * 1024
"""Longest `.tf` or `.tfvars` text parsed. HCL parsers keep a token per character of a string (about 200 bytes
of memory per byte where runs of literal text can't be compacted), so this bounds a parse to a few hundred MB;
real files are far smaller (the largest of hundreds of public modules is about 120 kB)."""


PARSED_FILES_KEPT = 2048
"""Parsed files kept for the rest of the process. A module directory is read by every root that calls it (the
examples of a module repository all call `../..`), so one review parses the same text many times over."""


def parse_hcl(text: str, path: str, *, engine: Engine = "auto") -> HclFile:
    """Parse HCL text into a body of attributes and blocks.

    Raises `ParseError` (with the line) when the text is not valid HCL, or longer than `MAX_HCL_CHARACTERS`.
    The same text at the same path is parsed once per process: the tree is shared, and no reader changes it.
    """
    return _parse_hcl(text, path, engine)


def forget_parsed_files() -> None:
    """Empty the cache of parsed files."""
    _parse_hcl.cache_clear()


@lru_cache(maxsize=PARSED_FILES_KEPT)
def _parse_hcl(text: str, path: str, engine: Engine) -> HclFile:
    if len(text) > MAX_HCL_CHARACTERS:
        raise ParseError(f"larger than {MAX_HCL_CHARACTERS // (1024 * 1024)} MB of text: aiwell parses HCL files "
                         "up to that size")
    try:
        if engine != "lark":
            from aiwell.loaders.terraform import _hcl_tree_sitter

            try:
                return HclFile(path, _hcl_tree_sitter.parse_body(text))
            except NotVouched as doubt:
                if engine == "tree-sitter":
                    raise _not_vouched(doubt) from None
        from aiwell.loaders.terraform import _hcl_lark

        return HclFile(path, _hcl_lark.parse_body(text))
    except ConvertError as error:
        raise ParseError(error.message, line=error.line) from None


def parse_expression(text: str, line: int = 1, *, engine: Engine = "auto") -> Node:
    """Parse one HCL expression; `line` is where it starts in its file. Raises `ParseError`."""
    try:
        return parse_interpolation(text, line, engine)
    except NotVouched as doubt:
        raise _not_vouched(doubt) from None
    except ConvertError as error:
        raise ParseError(error.message, line=error.line) from None


def parse_template(text: str, line: int = 1, *, engine: Engine = "auto") -> Node:
    """Parse the text of a template file (`templatefile()`): literal text with `${...}` and `%{...}`."""
    try:
        return assemble(split_template(text, line, engine), line)
    except NotVouched as doubt:
        raise _not_vouched(doubt) from None
    except ConvertError as error:
        raise ParseError(error.message, line=error.line) from None


def parse_interpolation(text: str, line: int, engine: Engine) -> Node:
    """One expression (of a template, a `-var` value, a JSON-syntax string); `line` is where it starts.

    Raises `ConvertError`, or `NotVouched` with the `"tree-sitter"` engine."""
    if engine != "lark":
        from aiwell.loaders.terraform import _hcl_tree_sitter

        try:
            return _hcl_tree_sitter.parse_expression(text, line)
        except NotVouched:
            if engine == "tree-sitter":
                raise
    from aiwell.loaders.terraform import _hcl_lark

    return _hcl_lark.parse_expression(text, line)


def _not_vouched(doubt: NotVouched) -> ParseError:
    return ParseError(f"not read by tree-sitter: {doubt.reason}", line=doubt.line)


class ConvertError(Exception):
    """The text is not valid HCL (or uses HCL aiwell does not read); `line` where known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class NotVouched(Exception):
    """tree-sitter read the text but can't vouch that it read it as HCL does (or found a syntax error): the
    python-hcl2 parser decides."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# --- literals -------------------------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|([$%])\2\{", re.DOTALL)
_FLOAT_MAX = sys.float_info.max
OUT_OF_RANGE = "a number beyond the range aiwell evaluates (Terraform's numbers have arbitrary precision)"


def unescape(text: str, line: int | None = None) -> str:
    """Resolve the escapes of a quoted string: `\\n`, `\\"`, `\\uNNNN`, `\\UNNNNNNNN`, and `$${` / `%%{` (which
    stand for `${` and `%{`). A code point UTF-8 can't encode (a surrogate, or above U+10FFFF) is an error, as
    it is in Terraform."""
    def replace(match: re.Match[str]) -> str:
        if match.group(2):
            return match.group(2) + "{"
        code = match.group(1)
        if len(code) > 1:
            number = int(code[1:], 16)
            if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
                raise ConvertError(f"invalid escape sequence \\{code}: U+{number:04X} can't be encoded in UTF-8",
                                   line)
            return chr(number)
        return _ESCAPES.get(code, "\\" + code)
    if "\\" not in text and "{" not in text:
        return text
    return _ESCAPE.sub(replace, text)


def number_literal(text: str, line: int) -> Literal:
    """A numeric literal: an `int` when written without a fraction or exponent (or when a float is whole and
    written without an exponent), else a `float`; beyond float range an `Unresolved` value."""
    try:
        if text.isdigit():
            value: Any = int(text)
            if value > _FLOAT_MAX:
                return Literal(line, Unresolved(text, OUT_OF_RANGE))
            return Literal(line, value)
        number = float(text)
    except (ValueError, OverflowError):
        raise ConvertError(f"invalid number {text!r}", line) from None
    if number in (float("inf"), float("-inf")):
        return Literal(line, Unresolved(text, OUT_OF_RANGE))
    return Literal(line, int(number) if number.is_integer() and "e" not in text.lower() else number)


# --- templates ------------------------------------------------------------------------------------------------


class Sequence(Struct):
    """A template sequence (`${...}`, `%{if}`, `%{else}`, ...) before the if/for structure is assembled."""

    kind: str
    """`interp`, `if`, `else`, `endif`, `for` or `endfor`."""
    payload: Any
    """The expression (`interp`, `if`), or (names, collection) for `for`."""
    strip_left: bool
    strip_right: bool
    line: int


Flat = str | Sequence
"""A template before assembly: literal text and sequences, in order."""


def heredoc(token: str, line: int, engine: Engine) -> Node:
    """A heredoc from its whole text (`<<MARKER` or `<<-MARKER`, the body lines, the closing marker line)."""
    lines = token.replace("\r\n", "\n").split("\n")
    trim = lines[0].startswith("<<-")
    # lines[0] is `<<MARKER`; a final empty element (text ending in a newline) and the marker line are not body.
    if lines and lines[-1] == "":
        lines.pop()
    body_lines = lines[1:-1]
    if trim:
        indents = [len(x) - len(x.lstrip(" \t")) for x in body_lines if x.strip()]
        cut = min(indents) if indents else 0
        body_lines = [x[cut:] for x in body_lines]
    text = "".join(x + "\n" for x in body_lines)
    return assemble(split_template(text, line + 1, engine), line)


def split_template(text: str, line: int, engine: Engine) -> list[Flat]:
    """Split raw template text (a heredoc body, a template file) into literal strings and sequences; backslashes
    are literal there, `$${` and `%%{` stand for `${` and `%{`."""
    flat: list[Flat] = []
    literal: list[str] = []
    position = 0
    for match in _SEQUENCE_START.finditer(text):
        start = match.start()
        if start < position:
            continue  # inside a sequence already read
        literal.append(text[position:start])
        opening = match.group(0)
        if len(opening) == 3:  # `$${` or `%%{`
            literal.append(opening[1:])
            position = match.end()
            continue
        end = _closing_brace(text, match.end())
        here = line + text.count("\n", 0, start)
        if end < 0:
            raise ConvertError("unterminated template sequence", here)
        joined = "".join(literal)
        if joined:
            flat.append(joined)
        literal = []
        flat.append(_sequence(opening[0], text[match.end():end], here, engine))
        position = end + 1
    literal.append(text[position:])
    joined = "".join(literal)
    if joined:
        flat.append(joined)
    return flat


_SEQUENCE_START = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
"""Leftmost first, escapes before sequences: `$$${` is a literal `$` then the escape `$${`."""


_FOR = re.compile(r"for\s+([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?in\s+(.+)", re.DOTALL)


def _sequence(sigil: str, inner: str, line: int, engine: Engine) -> Sequence:
    strip_left = inner.startswith("~")
    strip_right = inner.endswith("~")
    inner = inner[1 if strip_left else 0:len(inner) - 1 if strip_right else len(inner)].strip()
    if sigil == "$":
        return Sequence("interp", parse_interpolation(inner, line, engine), strip_left, strip_right, line)
    words = inner.split(None, 1)
    keyword = words[0] if words else ""
    if keyword in ("else", "endif", "endfor") and len(words) == 1:
        return Sequence(keyword, None, strip_left, strip_right, line)
    if keyword == "if" and len(words) == 2:
        return Sequence("if", parse_interpolation(words[1], line, engine), strip_left, strip_right, line)
    match = _FOR.fullmatch(inner)
    if match:
        names = [match.group(1)] + ([match.group(2)] if match.group(2) else [])
        return Sequence("for", (names, parse_interpolation(match.group(3), line, engine)), strip_left,
                        strip_right, line)
    raise ConvertError(f"unknown template directive %{{{inner}}}", line)


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing a template sequence opened just before `start`, or -1."""
    depth = 0
    position = start
    length = len(text)
    while position < length:
        char = text[position]
        if char == '"':
            position += 1
            while position < length and text[position] != '"':
                position += 2 if text[position] == "\\" else 1
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return position
            depth -= 1
        position += 1
    return -1


def assemble(flat: list[Flat], line: int) -> Node:
    """Apply strip markers, then nest `if`/`for` directives; a template of one string is a literal."""
    pieces = list(flat)
    for i, piece in enumerate(pieces):
        if not isinstance(piece, Sequence):
            continue
        if piece.strip_left and i > 0 and isinstance(pieces[i - 1], str):
            pieces[i - 1] = str(pieces[i - 1]).rstrip()
        if piece.strip_right and i + 1 < len(pieces) and isinstance(pieces[i + 1], str):
            pieces[i + 1] = str(pieces[i + 1]).lstrip()
    parts, rest = _nest(pieces, 0, line, closing=())
    if rest != len(pieces):
        raise ConvertError("unexpected template directive", line)
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


def _nest(pieces: list[Flat], start: int, line: int, closing: tuple[str, ...]) -> tuple[list[TemplatePart], int]:
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
            if isinstance(marker, Sequence) and marker.kind == "else":
                else_parts, position = _nest(pieces, position + 1, piece.line, ("endif",))
            if position >= len(pieces):
                raise ConvertError("%{if} without %{endif}", piece.line)
            parts.append(IfDirective(piece.payload, tuple(_merge_strings(then_parts)),
                                     tuple(_merge_strings(else_parts))))
            position += 1
        elif piece.kind == "for":
            body, position = _nest(pieces, position + 1, piece.line, ("endfor",))
            if position >= len(pieces):
                raise ConvertError("%{for} without %{endfor}", piece.line)
            names, collection = piece.payload
            key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            parts.append(ForDirective(key_var, value_var, collection, tuple(_merge_strings(body))))
            position += 1
        else:
            raise ConvertError(f"%{{{piece.kind}}} without its opening directive", piece.line)
    return parts, position


__all__ = [
    "ENGINES",
    "MAX_HCL_CHARACTERS",
    "Attribute",
    "Binary",
    "Block",
    "Body",
    "Call",
    "Conditional",
    "Engine",
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
