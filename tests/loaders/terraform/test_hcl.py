"""HCL parsing: block positions, expression structure kept, templates and heredocs, errors with lines."""

from __future__ import annotations

import pytest

from aiwell.errors import ParseError
from aiwell.loaders.terraform.hcl import (
    Call,
    ForDirective,
    GetAttr,
    IfDirective,
    Interpolation,
    Literal,
    Template,
    parse_expression,
    parse_hcl,
    parse_template,
)


def test_blocks_keep_labels_and_lines() -> None:
    text = ('# comment\nresource "azurerm_x" "y" {\n  a = 1\n  nested {\n    b = "c"\n  }\n}\n'
            'module "m" {\n  source = "./m"\n}\n')
    parsed = parse_hcl(text, "main.tf")
    resource, module = parsed.body.blocks
    assert (resource.type, resource.labels, resource.line, resource.end_line) == ("resource", ("azurerm_x", "y"), 2, 7)
    assert resource.body.attributes["a"].line == 3
    assert resource.body.blocks[0].type == "nested" and resource.body.blocks[0].line == 4
    assert module.labels == ("m",)


def test_crlf_files_parse() -> None:
    parsed = parse_hcl('resource "a" "b" {\r\n  x = "y"\r\n}\r\n', "main.tf")
    assert parsed.body.blocks[0].body.attributes["x"].expr == Literal(2, "y")


def test_expressions_keep_their_structure() -> None:
    node = parse_expression("upper(var.name)")
    assert isinstance(node, Call) and node.name == "upper"
    assert isinstance(node.args[0], GetAttr) and node.args[0].name == "name"


def test_string_templates_and_directives() -> None:
    node = parse_expression('"a${b}%{ if c }d%{ else }e%{ endif }%{ for x in y }${x}%{ endfor }\\n"')
    assert isinstance(node, Template)
    kinds = [type(p) for p in node.parts]
    assert kinds == [str, Interpolation, IfDirective, ForDirective, str]
    assert node.parts[-1] == "\n"


def test_escapes_stay_literal() -> None:
    assert parse_expression('"$${a} %%{b} \\u00e9 \\"q\\""') == Literal(1, '${a} %{b} é "q"')


def test_heredoc_interpolations_have_file_lines() -> None:
    parsed = parse_hcl('x = <<EOT\nline one\nvalue ${upper(a)}\nEOT\n', "main.tf")
    node = parsed.body.attributes["x"].expr
    assert isinstance(node, Template)
    interpolation = node.parts[1]
    assert isinstance(interpolation, Interpolation) and interpolation.expr.line == 3


def test_template_file_syntax() -> None:
    node = parse_template("Hello ${name}!")
    assert isinstance(node, Template) and node.parts[0] == "Hello "


@pytest.mark.parametrize(("text", "line"), [
    ('resource "a" "b" {\n  x = \n}\n', 2),
    ('locals {\n  a = 1\n', 3),
    ('x = "%{ if a }unterminated"\n', None),
])
def test_syntax_errors_carry_a_line(text: str, line: int | None) -> None:
    with pytest.raises(ParseError) as caught:
        parse_hcl(text, "bad.tf")
    assert caught.value.message.startswith(("not valid HCL", "%{if}"))
    if line is not None:
        assert caught.value.line == line
