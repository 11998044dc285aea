"""tree-sitter's HCL tree → the syntax nodes of `aiwell.loaders.terraform.hcl`.

The fast reading of HCL syntax. The `tree-sitter-hcl` grammar reads HCL much as HashiCorp's parser does, but it
treats line breaks as blanks and knows numbers only as `1`, `1.5` or `1.5e3` (not `1e5`). So a tree is vouched for
only when it has no syntax error and it keeps the rules HCL puts on lines: each attribute or block on lines of its
own, a block header on one line, an attribute's expression on one line except inside `()`, `[]`, function
arguments, `for` expressions and templates (in an object, a line break ends an item's value, as in HCL). Anything
else raises `NotVouched`, and `hcl.parse_hcl` hands the text to python-hcl2, which gives HCL's answer (often a
syntax error, with its line).

Literal text of templates is taken from the source between the sequences, not from tree-sitter's literal nodes
(which leave out blanks); heredocs are split by `hcl.heredoc`, the same way for both parsers.

The grammar's scanner makes one token of each character of a string, about 150 bytes of memory per byte. So before
parsing, each run of 256 or more characters that can't hold HCL structure (no blanks, quotes, backslashes, `$`,
`%`, brackets, `=`, `,`, comment or heredoc characters; after a quote, a brace, a blank or a line break) is
replaced by a short placeholder, and the run is put back wherever source text is read: a 1 MB string costs a few
bytes of tree. A placeholder outside a string, heredoc or comment is a syntax error, so such a file is read by
python-hcl2 as it is; it is never read differently.
"""

from __future__ import annotations

import re
from typing import Any

import tree_sitter_hcl
from tree_sitter import Language, Parser
from tree_sitter import Node as TsNode

from aiwell.loaders.terraform.hcl import (
    Attribute,
    Binary,
    Block,
    Body,
    Call,
    Conditional,
    ConvertError,
    Flat,
    ForExpr,
    GetAttr,
    Index,
    Literal,
    Node,
    NotVouched,
    ObjectExpr,
    Sequence,
    Splat,
    TupleExpr,
    Unary,
    Variable,
    assemble,
    heredoc,
    number_literal,
    unescape,
)

_LANGUAGE = Language(tree_sitter_hcl.language())
_PARSER = Parser(_LANGUAGE)


class _Kinds:
    """Node kinds by id: comparing ids is several times faster than comparing `Node.type` strings."""

    def __init__(self, named: tuple[str, ...], anonymous: dict[str, str]) -> None:
        for name in named:
            setattr(self, name, _LANGUAGE.id_for_node_kind(name, True))
        for attribute, text in anonymous.items():
            setattr(self, attribute, _LANGUAGE.id_for_node_kind(text, False))

    def __getattr__(self, name: str) -> int:  # for mypy: every kind above is an int attribute
        raise AttributeError(name)


_K = _Kinds(
    ("attr_splat", "attribute", "block", "block_start", "body", "bool_lit", "collection_value", "comment",
     "conditional", "ellipsis", "expression", "for_cond", "for_expr", "for_tuple_expr", "full_splat",
     "function_arguments", "function_call", "get_attr", "heredoc_template", "identifier", "index", "legacy_index",
     "literal_value", "null_lit", "numeric_lit", "object_elem", "operation", "splat", "string_lit", "strip_marker",
     "template_directive", "template_else_intro", "template_expr", "template_for_end", "template_for_start",
     "template_if_end", "template_if_intro", "template_interpolation", "template_literal", "tuple",
     "unary_operation", "variable_expr"),
    {"open_paren": "(", "close_paren": ")", "comma": ","},
)
_BINARY_OPERATORS = frozenset(_LANGUAGE.id_for_node_kind(operator, False)
                              for operator in ("*", "/", "%", "+", "-", ">", ">=", "<", "<=", "==", "!=", "&&", "||"))

_LONG_RUN = re.compile(r"(?<=[\"} \t\n])[^\"\\$%{}\s*#<>\[\](),=]{256,}")
_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")


def _compact(text: str) -> tuple[bytes, list[str]]:
    """The source to parse, with long literal runs replaced by placeholders, and the runs (see the docstring)."""
    runs: list[str] = []
    if "\ue000" not in text:
        def placeholder(match: re.Match[str]) -> str:
            runs.append(match.group(0))
            return f"\ue000{len(runs) - 1}\ue001"
        text = _LONG_RUN.sub(placeholder, text)
    return text.encode("utf-8", "surrogatepass"), runs
_INTRO_KEYWORDS = {_LANGUAGE.id_for_node_kind(word, False): word for word in ("if", "else", "endif", "endfor")}


def parse_body(text: str) -> Body:
    """The body of a file. Raises `NotVouched` (python-hcl2 then decides) or `ConvertError`."""
    source, runs = _compact(text)
    root = _PARSER.parse(source).root_node
    if root.has_error:
        raise NotVouched("a syntax error", _error_line(root))
    children = _children(root)
    if not children:
        return Body()
    if len(children) != 1 or children[0].kind_id != _K.body:
        raise NotVouched("the file is not a body of attributes and blocks", 1)
    return _Converter(source, runs, 0).body(children[0])


def parse_expression(text: str, line: int) -> Node:
    """One expression; `line` is where it starts in its file. Raises `NotVouched` or `ConvertError`."""
    # Parenthesised so that an expression spread over several lines is still one attribute value.
    source, runs = _compact(f"x = (\n{text}\n)")
    root = _PARSER.parse(source).root_node
    if root.has_error:
        raise NotVouched("a syntax error", line)
    body = _children(root)
    items = _children(body[0]) if len(body) == 1 and body[0].kind_id == _K.body else []
    if len(items) != 1 or items[0].kind_id != _K.attribute:
        raise NotVouched("not one expression", line)
    converter = _Converter(source, runs, line - 2)
    return converter.expr(_children(items[0])[-1], inline=False)


def _children(node: TsNode) -> list[TsNode]:
    return [child for child in node.children if child.kind_id != _K.comment]


def _error_line(root: TsNode) -> int | None:
    pending = [root]
    while pending:
        node = pending.pop()
        if node.is_error or node.is_missing:
            return int(node.start_point[0]) + 1
        if node.has_error:
            pending.extend(reversed(node.children))
    return None


class _Converter:
    """Turns tree-sitter nodes into syntax nodes; `line_offset` shifts lines of an expression parsed out of a
    template."""

    def __init__(self, source: bytes, runs: list[str], line_offset: int) -> None:
        self.source = source
        self.runs = runs
        self.line_offset = line_offset

    def line(self, node: TsNode) -> int:
        return int(node.start_point[0]) + 1 + self.line_offset

    def text(self, node: TsNode) -> str:
        return self.slice(node.start_byte, node.end_byte)

    def slice(self, start: int, end: int) -> str:
        """Source text, long runs put back."""
        text = self.source[start:end].decode("utf-8", "surrogatepass")
        if self.runs and "\ue000" in text:
            return _PLACEHOLDER.sub(lambda match: self.runs[int(match.group(1))], text)
        return text

    def doubt(self, reason: str, node: TsNode) -> NotVouched:
        return NotVouched(reason, self.line(node))

    # --- bodies -----------------------------------------------------------------------------------------------

    def body(self, node: TsNode) -> Body:
        body = Body()
        previous_end = -1
        for child in _children(node):
            if child.start_point[0] <= previous_end:
                raise self.doubt("two items on one line", child)
            previous_end = child.end_point[0]
            if child.kind_id == _K.attribute:
                parts = _children(child)
                name, expression = parts[0], parts[-1]
                if expression.start_point[0] != name.start_point[0]:
                    raise self.doubt("an attribute's value starts on another line", child)
                attribute_name = self.text(name)
                body.attributes[attribute_name] = Attribute(attribute_name, self.expr(expression, inline=True),
                                                            self.line(child))
            elif child.kind_id == _K.block:
                body.blocks.append(self.block(child))
            else:
                raise self.doubt(f"unexpected {child.type} in a body", child)
        return body

    def block(self, node: TsNode) -> Block:
        parts = _children(node)
        row = node.start_point[0]
        labels: list[str] = []
        position = 1
        while parts[position].kind_id != _K.block_start:
            part = parts[position]
            if part.start_point[0] != row:
                raise self.doubt("a block header over several lines", part)
            labels.append(self.plain_string(part) if part.kind_id == _K.string_lit else self.text(part))
            position += 1
        opening = parts[position]
        if opening.start_point[0] != row:
            raise self.doubt("a block header over several lines", opening)
        inner = parts[position + 1] if parts[position + 1].kind_id == _K.body else None
        closing = parts[-1]
        if inner is not None:
            items = _children(inner)
            if items[0].start_point[0] == row:
                # A one-line block holds a single attribute: `name { a = 1 }`.
                if len(items) != 1 or items[0].kind_id != _K.attribute or closing.start_point[0] != row:
                    raise self.doubt("a one-line block with more than one attribute", node)
            elif closing.start_point[0] <= items[-1].end_point[0]:
                raise self.doubt("a block's closing brace on the line of its last item", closing)
        body = self.body(inner) if inner is not None else Body()
        return Block(self.text(parts[0]), tuple(labels), body, self.line(node),
                     int(node.end_point[0]) + 1 + self.line_offset)

    def plain_string(self, node: TsNode) -> str:
        line = self.line(node)
        parts = _children(node)
        return unescape(self.slice(parts[0].end_byte, parts[-1].start_byte), line)

    # --- expressions ------------------------------------------------------------------------------------------

    def expr(self, node: TsNode, *, inline: bool) -> Node:
        """An `expression` node. `inline`: a line break here ends the expression in HCL (outside brackets)."""
        parts = _children(node)
        if len(parts) == 1 and parts[0].kind_id == _K.conditional:
            return self.conditional(parts[0], inline)
        return self.term(parts, inline)

    def conditional(self, node: TsNode, inline: bool) -> Node:
        """`a ? b : c`. The grammar nests a chain to the left (`(a ? b : c) ? d : e`); HCL nests it to the right
        (`a ? b : (c ? d : e)`), so the chain is read out and rebuilt."""
        chain: list[TsNode] = []
        current = node
        while True:
            condition, question, then_node, colon, else_node = _children(current)
            if inline:
                self.same_line(condition, question, then_node, colon, else_node)
            chain[:0] = [then_node, else_node]
            inner = _children(condition)
            if len(inner) == 1 and inner[0].kind_id == _K.conditional:
                current = inner[0]
                continue
            chain.insert(0, condition)
            break
        result = self.expr(chain[-1], inline=inline)
        for position in range(len(chain) - 3, -1, -2):
            result = Conditional(self.line(chain[position]), self.expr(chain[position], inline=inline),
                                 self.expr(chain[position + 1], inline=inline), result)
        return result

    def same_line(self, *nodes: TsNode) -> None:
        for before, after in zip(nodes, nodes[1:], strict=False):
            if after.start_point[0] != before.end_point[0]:
                raise self.doubt("a line break inside an expression", after)

    def term(self, parts: list[TsNode], inline: bool) -> Node:
        """A term: a base expression and the postfix steps that follow it (`.a`, `[0]`, `[*]`)."""
        if parts[0].kind_id == _K.open_paren:
            base = self.expr(parts[1], inline=False)
            steps = parts[3:]
            previous = parts[2]
        else:
            base = self.base(parts[0], inline)
            steps = parts[1:]
            previous = parts[0]
        line = self.line(parts[0])
        position = 0
        while position < len(steps):
            step = steps[position]
            if inline:
                self.same_line(previous, step)
            previous = step
            position += 1
            if step.kind_id == _K.get_attr:
                base = GetAttr(line, base, self.text(_children(step)[-1]))
            elif step.kind_id == _K.index:
                base = Index(line, base, self.index(step))
            elif step.kind_id == _K.splat:
                kind = _children(step)[0]
                traversal = _children(kind)[1:]
                if kind.kind_id == _K.full_splat:
                    # A full splat (`[*]`) takes every step after it, as in HCL.
                    traversal += steps[position:]
                    position = len(steps)
                base, leftover = self.splat(kind, traversal, base, line)
                steps = leftover + steps[position:]
                position = 0
            else:
                raise self.doubt(f"unexpected {step.type} after an expression", step)
        return base

    def index(self, node: TsNode) -> Node:
        inner = _children(node)[0]
        if inner.kind_id == _K.legacy_index:
            digits = self.text(inner).lstrip(".")
            return Literal(self.line(inner), int(digits))
        return self.expr(_children(inner)[1], inline=False)

    def splat(self, kind: TsNode, traversal: list[TsNode], base: Node, line: int) -> tuple[Node, list[TsNode]]:
        """The splat of `base` over `traversal`, and the steps after it that apply to its result: an
        attribute-only splat (`.*`) takes attribute steps and legacy `.0` indexes only, as in HCL."""
        steps: list[str | Node] = []
        for position, step in enumerate(traversal):
            if step.kind_id == _K.get_attr:
                steps.append(self.text(_children(step)[-1]))
            elif step.kind_id == _K.index and (kind.kind_id == _K.full_splat
                                           or _children(step)[0].kind_id == _K.legacy_index):
                steps.append(self.index(step))
            elif kind.kind_id == _K.attr_splat:
                return Splat(line, base, tuple(steps)), traversal[position:]
            else:
                raise self.doubt("a splat inside a splat", step)
        return Splat(line, base, tuple(steps)), []

    def base(self, node: TsNode, inline: bool) -> Node:  # noqa: C901 - one branch per node type reads best
        kind = node.kind_id
        line = self.line(node)
        if kind == _K.literal_value:
            return self.literal(_children(node)[0])
        if kind == _K.variable_expr:
            return Variable(line, self.text(node))
        if kind == _K.template_expr:
            template = _children(node)[0]
            if template.kind_id == _K.heredoc_template:
                return heredoc(self.text(template), line, "tree-sitter")
            return self.quoted_template(template)
        if kind == _K.collection_value:
            collection = _children(node)[0]
            if collection.kind_id == _K.tuple:
                return TupleExpr(self.line(collection),
                                 tuple(self.expr(c, inline=False) for c in _children(collection)
                                       if c.kind_id == _K.expression))
            return self.object(collection)
        if kind == _K.function_call:
            parts = _children(node)
            arguments = next((p for p in parts if p.kind_id == _K.function_arguments), None)
            if arguments is None:
                return Call(line, self.text(parts[0]), ())
            argument_parts = _children(arguments)
            args = tuple(self.expr(a, inline=False) for a in argument_parts if a.kind_id == _K.expression)
            return Call(line, self.text(parts[0]), args, argument_parts[-1].kind_id == _K.ellipsis)
        if kind == _K.for_expr:
            return self.for_expr(_children(node)[0])
        if kind == _K.operation:
            operation = _children(node)[0]
            if operation.kind_id == _K.unary_operation:
                operator, *operand = _children(operation)
                if inline:
                    self.same_line(operator, operand[0])
                return Unary(line, operator.type, self.term(operand, inline))
            return self.binary(operation, inline)
        raise self.doubt(f"unexpected {node.type}", node)

    def binary(self, node: TsNode, inline: bool) -> Node:
        parts = _children(node)
        depth = 0
        for position, part in enumerate(parts):
            kind = part.kind_id
            if kind == _K.open_paren:
                depth += 1
            elif kind == _K.close_paren:
                depth -= 1
            elif depth == 0 and position > 0 and kind in _BINARY_OPERATORS:
                left, right = parts[:position], parts[position + 1:]
                if inline:
                    self.same_line(left[-1], part, right[0])
                return Binary(self.line(node), part.type, self.term(left, inline), self.term(right, inline))
        raise self.doubt("an operation without an operator", node)

    def literal(self, node: TsNode) -> Node:
        line = self.line(node)
        kind = node.kind_id
        if kind == _K.numeric_lit:
            text = self.text(node)
            if text.lower().startswith("0x"):
                raise self.doubt("a hexadecimal number", node)
            return number_literal(text, line)
        if kind == _K.bool_lit:
            return Literal(line, self.text(node) == "true")
        if kind == _K.null_lit:
            return Literal(line, None)
        return Literal(line, self.plain_string(node))

    def object(self, node: TsNode) -> Node:
        items: list[tuple[Node, Node]] = []
        previous: TsNode | None = None
        separated = True
        for part in _children(node):
            if part.kind_id == _K.comma:
                separated = True
                continue
            if part.kind_id != _K.object_elem:
                continue
            if previous is not None and not separated and part.start_point[0] <= previous.end_point[0]:
                raise self.doubt("object items on one line without a comma", part)
            key, _, value = _children(part)
            items.append((self.object_key(key), self.expr(value, inline=True)))
            previous, separated = part, False
        return ObjectExpr(self.line(node), tuple(items))

    def object_key(self, node: TsNode) -> Node:
        """A bare identifier key is the string it spells; any other key is an expression (`true` is the string
        "true" once converted; `null` is an error, as in HCL)."""
        parts = _children(node)
        if len(parts) == 1 and parts[0].kind_id == _K.variable_expr:
            return Literal(self.line(node), self.text(parts[0]))
        return self.expr(node, inline=True)

    def for_expr(self, node: TsNode) -> ForExpr:
        parts = _children(node)
        intro = _children(parts[1])
        names = [self.text(p) for p in intro if p.kind_id == _K.identifier]
        collection = self.expr(next(p for p in intro if p.kind_id == _K.expression), inline=False)
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        expressions = [p for p in parts[2:] if p.kind_id == _K.expression]
        condition_node = next((p for p in parts if p.kind_id == _K.for_cond), None)
        condition = (self.expr(_children(condition_node)[-1], inline=False) if condition_node is not None
                     else None)
        line = self.line(node)
        if node.kind_id == _K.for_tuple_expr:
            return ForExpr(line, key_var, value_var, collection, self.expr(expressions[0], inline=False),
                           condition=condition)
        group = any(p.kind_id == _K.ellipsis for p in parts)
        return ForExpr(line, key_var, value_var, collection, self.expr(expressions[1], inline=False),
                       key=self.expr(expressions[0], inline=False), group=group, condition=condition)

    # --- templates --------------------------------------------------------------------------------------------

    def quoted_template(self, node: TsNode) -> Node:
        parts = _children(node)
        flat: list[Flat] = []
        self.flatten(parts[1:-1], parts[0].end_byte, parts[-1].start_byte, flat, self.line(node))
        return assemble(flat, self.line(node))

    def flatten(self, parts: list[TsNode], start: int, end: int, flat: list[Flat], line: int) -> None:
        """Literal text (from the source between sequences, escapes resolved) and sequences, in order."""
        cursor = start
        for part in parts:
            kind = part.kind_id
            if kind == _K.template_literal:
                continue
            self.literal_text(cursor, part.start_byte, flat, line)
            cursor = part.end_byte
            if kind == _K.template_interpolation:
                inner = _children(part)
                expression = next((p for p in inner if p.kind_id == _K.expression), None)
                if expression is None:
                    raise ConvertError("an empty interpolation ${}", self.line(part))
                flat.append(self.sequence("interp", self.expr(expression, inline=False), inner, part))
            elif kind == _K.template_directive:
                directive = _children(part)[0]
                self.flatten(_children(directive), part.start_byte, part.end_byte, flat, line)
            elif kind in (_K.template_if_intro, _K.template_else_intro, _K.template_if_end, _K.template_for_end):
                inner = _children(part)
                keyword = next(_INTRO_KEYWORDS[p.kind_id] for p in inner if p.kind_id in _INTRO_KEYWORDS)
                payload = (self.expr(next(p for p in inner if p.kind_id == _K.expression), inline=False)
                           if keyword == "if" else None)
                flat.append(self.sequence(keyword, payload, inner, part))
            elif kind == _K.template_for_start:
                inner = _children(part)
                names = [self.text(p) for p in inner if p.kind_id == _K.identifier]
                collection = self.expr(next(p for p in inner if p.kind_id == _K.expression), inline=False)
                flat.append(self.sequence("for", (names, collection), inner, part))
            else:
                raise self.doubt(f"unexpected {part.type} in a template", part)
        self.literal_text(cursor, end, flat, line)

    def literal_text(self, start: int, end: int, flat: list[Flat], line: int) -> None:
        if end > start:
            flat.append(unescape(self.slice(start, end), line))

    def sequence(self, kind: str, payload: Any, inner: list[TsNode], node: TsNode) -> Sequence:
        strip_left = len(inner) > 2 and inner[1].kind_id == _K.strip_marker
        strip_right = len(inner) > 2 and inner[-2].kind_id == _K.strip_marker and (len(inner) > 3 or not strip_left)
        return Sequence(kind, payload, strip_left, strip_right, self.line(node))


__all__ = ["parse_body", "parse_expression"]
