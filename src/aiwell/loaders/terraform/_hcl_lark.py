"""python-hcl2's lark tree → the syntax nodes of `aiwell.loaders.terraform.hcl`.

The reference reading of HCL syntax, and the fallback for what tree-sitter can't vouch for (see `hcl`). python-hcl2
keeps a heredoc as one opaque token; `hcl.heredoc` splits it.
"""

from __future__ import annotations

from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

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


def parse_body(text: str) -> Body:
    """The body of a file. Raises `ConvertError` when the text is not valid HCL."""
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as error:
        raise ConvertError(f"not valid HCL: {_first_line(str(error))}", getattr(error, "line", None)) from None
    except (LarkError, RecursionError) as error:
        raise ConvertError(f"not valid HCL: {_first_line(str(error))}", None) from None
    return _Converter().body(_only_tree(tree, "body"))


def parse_expression(text: str, line: int) -> Node:
    """One expression; `line` is where it starts in its file. Raises `ConvertError`."""
    # Parenthesised so that an expression spread over several lines is still one attribute value.
    try:
        tree = hcl2.parses_to_tree(f"x = (\n{text}\n)")
    except (LarkError, RecursionError) as error:
        raise ConvertError(f"not a valid expression in a template: {_first_line(str(error))}", line) from None
    attribute = _only_tree(_only_tree(tree, "body"), "attribute")
    converter = _Converter(line_offset=line - 2)
    return converter.expr(_trees(attribute)[-1])


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "syntax error"


def _trees(tree: Tree[Any]) -> list[Tree[Any]]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _only_tree(tree: Tree[Any], data: str) -> Tree[Any]:
    for child in tree.children:
        if isinstance(child, Tree) and child.data == data:
            return child
    raise ConvertError(f"unexpected HCL structure: no {data}", getattr(tree.meta, "line", None))


def _line(tree: Tree[Any] | Token) -> int:
    if isinstance(tree, Token):
        return tree.line or 0
    return getattr(tree.meta, "line", 0) or 0


def _end_line(tree: Tree[Any]) -> int:
    return getattr(tree.meta, "end_line", 0) or _line(tree)


def _strip_markers(tree: Tree[Any]) -> tuple[bool, bool]:
    tokens = [c for c in tree.children if isinstance(c, Token)]
    markers = [i for i, t in enumerate(tokens) if t.type == "STRIP_MARKER"]
    return (bool(markers) and markers[0] == 1, bool(markers) and markers[-1] == len(tokens) - 2)


class _Converter:
    """Turns lark trees into nodes; `line_offset` shifts lines of an expression parsed out of a template."""

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
        raise ConvertError("a block label can't contain interpolations", self.line(tree))

    # --- expressions ------------------------------------------------------------------------------------------

    def expr(self, tree: Tree[Any]) -> Node:  # noqa: C901 - one branch per grammar rule reads best
        data = tree.data
        line = self.line(tree)
        if data == "expr_term":
            inner = _trees(tree)
            if len(inner) != 1:
                raise ConvertError("unexpected expression", line)
            return self.expr(inner[0])
        if data in ("int_lit", "float_lit"):
            return number_literal(str(tree.children[0]), line)
        if data == "literal_value":
            return Literal(line, {"true": True, "false": False, "null": None}[str(tree.children[0])])
        if data == "string":
            return self.string(tree)
        if data == "template_string":
            return Literal(line, unescape(str(tree.children[0])[2:-2], line))
        if data in ("heredoc_template", "heredoc_template_trim"):
            return heredoc(str(tree.children[0]), line, "lark")
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
            after: list[Tree[Any]] = []
            for position, step in enumerate(_trees(splat)):
                if data == "attr_splat_expr_term" and step.data not in ("get_attr", "short_index"):
                    # An attribute-only splat (`.*`) takes only attribute steps (and legacy `.0` indexes); what
                    # follows applies to its result, as in HCL.
                    after = _trees(splat)[position:]
                    break
                steps.append(self.attr_name(step) if step.data == "get_attr" else self.index(step))
            result: Node = Splat(line, self.expr(obj_tree), tuple(steps))
            for step in after:
                result = (GetAttr(line, result, self.attr_name(step)) if step.data == "get_attr"
                          else Index(line, result, self.index(step)))
            return result
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
        raise ConvertError(f"unsupported expression ({data})", line)

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
        flat: list[Flat] = []
        for part in _trees(tree):
            child = part.children[0]
            if isinstance(child, Token):
                text = str(child)
                if child.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    flat.append(text[1:])
                else:
                    flat.append(unescape(text, line))
                continue
            flat.append(self.directive(child))
        return assemble(flat, line)

    def directive(self, tree: Tree[Any]) -> Flat:
        line = self.line(tree)
        strip_left, strip_right = _strip_markers(tree)
        inner = _trees(tree)
        if tree.data == "interpolation":
            return Sequence("interp", self.expr(inner[0]), strip_left, strip_right, line)
        if tree.data == "template_if_start":
            return Sequence("if", self.expr(inner[0]), strip_left, strip_right, line)
        if tree.data == "template_for_start":
            names = [str(p.children[0]) for p in inner if p.data == "identifier"]
            return Sequence("for", (names, self.expr(inner[-1])), strip_left, strip_right, line)
        keyword = {"template_else": "else", "template_endif": "endif", "template_endfor": "endfor"}[tree.data]
        return Sequence(keyword, None, strip_left, strip_right, line)


__all__ = ["parse_body", "parse_expression"]
