"""Terraform's JSON configuration syntax (`*.tf.json`) → the same syntax tree as HCL files.

The JSON syntax has the block structure of HCL written as nested objects: `{"resource": {"TYPE": {"NAME":
{...}}}}`, `{"variable": {"NAME": {...}}}`, `{"locals": {...}}`; a block that repeats may be an array of objects.
Within a body, a string is a template (`"${var.x}"`, `"rg-${var.name}"`); numbers, booleans and null are
literals; arrays and objects are tuple and object expressions. Without a provider schema JSON can't tell a nested
block from an object-valued argument; both become an object here, which the azurerm mapping reads either way (a
block is "one dict, or a list of dicts"). Exceptions the Terraform documentation names: a variable's `type` is an
expression written as a string, its `default` is a literal value (no templates), keys named `"//"` are comments,
and `dynamic` blocks keep their structure (`for_each`, `iterator`, `content`).

JSON is decoded as Terraform's (Go) decoder reads it: a lone `\\ud800` escape becomes U+FFFD and a number beyond
float range is an `Unresolved` value.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiwell.errors import ParseError
from aiwell.loaders.terraform.expressions import JSON_DECODER, valid_text
from aiwell.loaders.terraform.hcl import (
    Attribute,
    Block,
    Body,
    Engine,
    HclFile,
    Literal,
    Node,
    ObjectExpr,
    TupleExpr,
    parse_expression,
    parse_template,
)

_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}
"""Top-level block types read, with how many labels each has; `locals` has none. Other blocks (`terraform`,
`moved`, `import`, `check`) are not evaluated by aiwell and are skipped."""

_SKIPPED_IN_BODY = frozenset({"//", "lifecycle", "provisioner", "connection", "depends_on", "validation",
                              "precondition", "postcondition"})
"""Body keys that are comments or meta-blocks aiwell does not evaluate (their strings are not templates)."""

_COMMENT = "//"


class _Positions:
    """Where each object of a decoded JSON document starts and ends, and the line of each of its keys."""

    _WHITESPACE = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str) -> None:
        self.text = text
        self.decoder = JSON_DECODER
        self.newlines = [match.start() for match in re.finditer("\n", text)]
        self.objects: dict[int, tuple[int, int]] = {}
        self.keys: dict[tuple[int, str], int] = {}

    def line(self, offset: int) -> int:
        low, high = 0, len(self.newlines)
        while low < high:  # the number of newlines before `offset`, plus one
            middle = (low + high) // 2
            if self.newlines[middle] < offset:
                low = middle + 1
            else:
                high = middle
        return low + 1

    def skip(self, position: int) -> int:
        match = self._WHITESPACE.match(self.text, position)
        return match.end() if match else position

    def read(self, position: int, depth: int = 0) -> tuple[Any, int]:
        """Decode the value at `position`, recording object positions; (value, offset after it)."""
        if depth > 200:
            raise ParseError("JSON nested too deeply to analyse", line=self.line(position))
        text = self.text
        if text.startswith("{", position):
            value: dict[str, Any] = {}
            start = position
            position = self.skip(position + 1)
            while not text.startswith("}", position):
                key_line = self.line(position)
                raw_key, position = self.decoder.raw_decode(text, position)
                key = valid_text(raw_key)
                position = self.skip(self.skip(position) + 1)
                value[key], position = self.read(position, depth + 1)
                self.keys[(id(value), key)] = key_line
                position = self.skip(position)
                if text.startswith(",", position):
                    position = self.skip(position + 1)
            self.objects[id(value)] = (self.line(start), self.line(position))
            return value, position + 1
        if text.startswith("[", position):
            items: list[Any] = []
            position = self.skip(position + 1)
            while not text.startswith("]", position):
                item, position = self.read(position, depth + 1)
                items.append(item)
                position = self.skip(position)
                if text.startswith(",", position):
                    position = self.skip(position + 1)
            return items, position + 1
        value, end = self.decoder.raw_decode(text, position)
        return (valid_text(value) if isinstance(value, str) else value), end


def parse_json_config(text: str, path: str, *, engine: Engine = "auto") -> HclFile:
    """Parse a `.tf.json` file into the body of blocks and attributes `parse_hcl` gives for a `.tf` file.

    `engine` parses the expressions inside strings (see `hcl.parse_hcl`). Raises `ParseError` (with the line)
    when the text is not JSON, not an object, or a block is malformed.
    """
    try:
        JSON_DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise ParseError(f"not valid JSON: {error.msg}", line=error.lineno) from None
    except ValueError as error:  # NaN or Infinity, which JSON does not have
        raise ParseError(f"not valid JSON: {error}") from None
    except RecursionError:
        raise ParseError("JSON nested too deeply to analyse") from None
    positions = _Positions(text)
    document, _ = positions.read(positions.skip(0))
    if not isinstance(document, dict):
        raise ParseError("a Terraform JSON file must hold an object", line=1)
    return HclFile(path, _Reader(positions, engine).file_body(document))


class _Reader:
    def __init__(self, positions: _Positions, engine: Engine) -> None:
        self.positions = positions
        self.engine = engine

    def span(self, value: Any, fallback: int) -> tuple[int, int]:
        return self.positions.objects.get(id(value), (fallback, fallback))

    def key_line(self, owner: dict[str, Any], key: str) -> int:
        return self.positions.keys.get((id(owner), key), 1)

    def file_body(self, document: dict[str, Any]) -> Body:
        body = Body()
        for block_type, content in document.items():
            line = self.key_line(document, block_type)
            if block_type == "locals":
                for each in _as_list(content):
                    body.blocks.append(self.block("locals", (), _object(each, "locals", line), line))
            elif block_type in _LABELS:
                body.blocks.extend(self.labelled(block_type, content, _LABELS[block_type], (), line))
        return body

    def labelled(self, block_type: str, content: Any, depth: int, labels: tuple[str, ...],
                 line: int) -> list[Block]:
        """The blocks under `block_type`, one object level per label."""
        found: list[Block] = []
        for level in _as_list(content):
            level_object = _object(level, block_type, line)
            for label, inner in level_object.items():
                if label == _COMMENT:
                    continue
                inner_line = self.key_line(level_object, label)
                if depth > 1:
                    found.extend(self.labelled(block_type, inner, depth - 1, (*labels, label), inner_line))
                else:
                    found.extend(self.block(block_type, (*labels, label), _object(each, block_type, inner_line),
                                            inner_line) for each in _as_list(inner))
        return found

    def block(self, block_type: str, labels: tuple[str, ...], content: dict[str, Any], line: int) -> Block:
        start, end = self.span(content, line)
        return Block(block_type, labels, self.body(block_type, content), min(line, start), end)

    def body(self, block_type: str, content: dict[str, Any]) -> Body:
        body = Body()
        for key, value in content.items():
            if key in _SKIPPED_IN_BODY:
                continue
            line = self.key_line(content, key)
            if key == "dynamic" and block_type != "locals":
                body.blocks.extend(self.dynamic(value, line))
            elif block_type == "variable" and key == "type" and isinstance(value, str):
                body.attributes[key] = Attribute(key, parse_expression(value, line, engine=self.engine), line)
            elif block_type == "variable" and key == "default":
                body.attributes[key] = Attribute(key, _literal(value, line), line)
            else:
                body.attributes[key] = Attribute(key, self.expression(value, line), line)
        return body

    def dynamic(self, value: Any, line: int) -> list[Block]:
        blocks: list[Block] = []
        for level in _as_list(value):
            level_object = _object(level, "dynamic", line)
            for label, spec in level_object.items():
                spec_line = self.key_line(level_object, label)
                spec_object = _object(spec, "dynamic", spec_line)
                body = Body()
                for key in ("for_each", "iterator", "labels"):
                    if key in spec_object:
                        key_line = self.key_line(spec_object, key)
                        body.attributes[key] = Attribute(key, self.expression(spec_object[key], key_line), key_line)
                if "content" in spec_object:
                    content_line = self.key_line(spec_object, "content")
                    body.blocks.append(self.block("content", (), _object(spec_object["content"], "content",
                                                                         content_line), content_line))
                start, end = self.span(spec_object, spec_line)
                blocks.append(Block("dynamic", (label,), body, spec_line, end))
        return blocks

    def expression(self, value: Any, line: int) -> Node:
        """A JSON value as an expression: strings are templates, objects' keys too."""
        if isinstance(value, str):
            return parse_template(value, line, engine=self.engine)
        if isinstance(value, list):
            return TupleExpr(line, tuple(self.expression(item, line) for item in value))
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if key == _COMMENT:
                    continue
                item_line = self.key_line(value, key)
                items.append((parse_template(key, item_line, engine=self.engine), self.expression(item, item_line)))
            return ObjectExpr(line, tuple(items))
        return Literal(line, value)


def _literal(value: Any, line: int) -> Node:
    """A JSON value taken literally (a variable's default): strings are not templates."""
    if isinstance(value, list):
        return TupleExpr(line, tuple(_literal(item, line) for item in value))
    if isinstance(value, dict):
        return ObjectExpr(line, tuple((Literal(line, key), _literal(item, line)) for key, item in value.items()))
    return Literal(line, value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _object(value: Any, block_type: str, line: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"a {block_type} block must be a JSON object", line=line)
    return value


__all__ = ["parse_json_config"]
