"""HCL parsing: block positions, expression structure kept, templates and heredocs, errors with lines.

Both parsers (tree-sitter and python-hcl2) must build the same trees: most tests run on each, and one parses every
Terraform fixture of the suite with both and compares the trees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.errors import ParseError
from aiwell.loaders.terraform.hcl import (
    MAX_HCL_CHARACTERS,
    Binary,
    Call,
    Conditional,
    Engine,
    ForDirective,
    GetAttr,
    IfDirective,
    Index,
    Interpolation,
    Literal,
    Splat,
    Template,
    Variable,
    parse_expression,
    parse_hcl,
    parse_template,
)
from aiwell.model import Unresolved

FIXTURES = Path(__file__).parents[2] / "fixtures"
BOTH: list[Engine] = ["tree-sitter", "lark"]


@pytest.mark.parametrize("engine", BOTH)
def test_blocks_keep_labels_and_lines(engine: Engine) -> None:
    text = ('# comment\nresource "azurerm_x" "y" {\n  a = 1\n  nested {\n    b = "c"\n  }\n}\n'
            'module "m" {\n  source = "./m"\n}\n')
    parsed = parse_hcl(text, "main.tf", engine=engine)
    resource, module = parsed.body.blocks
    assert (resource.type, resource.labels, resource.line, resource.end_line) == ("resource", ("azurerm_x", "y"), 2, 7)
    assert resource.body.attributes["a"].line == 3
    assert resource.body.blocks[0].type == "nested" and resource.body.blocks[0].line == 4
    assert module.labels == ("m",)


@pytest.mark.parametrize("engine", BOTH)
def test_crlf_files_parse(engine: Engine) -> None:
    parsed = parse_hcl('resource "a" "b" {\r\n  x = "y"\r\n}\r\n', "main.tf", engine=engine)
    assert parsed.body.blocks[0].body.attributes["x"].expr == Literal(2, "y")


@pytest.mark.parametrize("engine", BOTH)
def test_expressions_keep_their_structure(engine: Engine) -> None:
    node = parse_expression("upper(var.name)", engine=engine)
    assert isinstance(node, Call) and node.name == "upper"
    assert isinstance(node.args[0], GetAttr) and node.args[0].name == "name"


@pytest.mark.parametrize("engine", BOTH)
def test_string_templates_and_directives(engine: Engine) -> None:
    node = parse_expression('"a${b}%{ if c }d%{ else }e%{ endif }%{ for x in y }${x}%{ endfor }\\n"', engine=engine)
    assert isinstance(node, Template)
    kinds = [type(p) for p in node.parts]
    assert kinds == [str, Interpolation, IfDirective, ForDirective, str]
    assert node.parts[-1] == "\n"


@pytest.mark.parametrize("engine", BOTH)
def test_escapes_stay_literal(engine: Engine) -> None:
    assert parse_expression('"$${a} %%{b} \\u00e9 \\"q\\""', engine=engine) == Literal(1, '${a} %{b} é "q"')


@pytest.mark.parametrize("engine", BOTH)
def test_heredoc_interpolations_have_file_lines(engine: Engine) -> None:
    parsed = parse_hcl('x = <<EOT\nline one\nvalue ${upper(a)}\nEOT\n', "main.tf", engine=engine)
    node = parsed.body.attributes["x"].expr
    assert isinstance(node, Template)
    interpolation = node.parts[1]
    assert isinstance(interpolation, Interpolation) and interpolation.expr.line == 3


@pytest.mark.parametrize("engine", BOTH)
def test_template_file_syntax(engine: Engine) -> None:
    node = parse_template("Hello ${name}!", engine=engine)
    assert isinstance(node, Template) and node.parts[0] == "Hello "


@pytest.mark.parametrize(("text", "line"), [
    ('resource "a" "b" {\n  x = \n}\n', 2),
    ('locals {\n  a = 1\n', 3),
    ('x = "%{ if a }unterminated"\n', None),
])
def test_syntax_errors_carry_a_line(text: str, line: int | None) -> None:
    """A file tree-sitter can't read goes to python-hcl2, whose error message and line are reported."""
    with pytest.raises(ParseError) as caught:
        parse_hcl(text, "bad.tf")
    assert caught.value.message.startswith(("not valid HCL", "%{if}"))
    if line is not None:
        assert caught.value.line == line


def _fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.name.endswith((".tf", ".tfvars")) and p.is_file())


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_both_parsers_build_the_same_tree_for_every_fixture(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        reference = parse_hcl(text, str(path), engine="lark")
    except ParseError:
        with pytest.raises(ParseError):
            parse_hcl(text, str(path))
        return
    assert parse_hcl(text, str(path), engine="tree-sitter") == reference


@pytest.mark.parametrize("engine", BOTH)
def test_conditionals_nest_to_the_right(engine: Engine) -> None:
    node = parse_expression('a ? "x" : b ? "y" : c ? "z" : "w"', engine=engine)
    assert isinstance(node, Conditional) and node.condition == Variable(1, "a")
    inner = node.else_expr
    assert isinstance(inner, Conditional) and inner.condition == Variable(1, "b")
    assert isinstance(inner.else_expr, Conditional) and inner.else_expr.else_expr == Literal(1, "w")


@pytest.mark.parametrize("engine", BOTH)
def test_full_splat_takes_every_step_and_attribute_splat_only_attributes(engine: Engine) -> None:
    full = parse_expression("x[*].id[0]", engine=engine)
    assert isinstance(full, Splat) and full.steps == ("id", Literal(1, 0))
    legacy = parse_expression("x.*.id[0]", engine=engine)
    # As Terraform documents it: `[for o in x : o.id][0]`.
    assert isinstance(legacy, Index) and legacy.key == Literal(1, 0)
    assert isinstance(legacy.obj, Splat) and legacy.obj.steps == ("id",)
    assert parse_expression("x.*.a.0.b", engine=engine) == Splat(1, Variable(1, "x"), ("a", Literal(1, 0), "b"))


@pytest.mark.parametrize("engine", BOTH)
def test_operators_keep_precedence(engine: Engine) -> None:
    node = parse_expression("!a || b && -c * 2 + 1 >= d", engine=engine)
    assert isinstance(node, Binary) and node.op == "||"
    right = node.right
    assert isinstance(right, Binary) and right.op == "&&"
    assert isinstance(right.right, Binary) and right.right.op == ">="


@pytest.mark.parametrize("engine", BOTH)
@pytest.mark.parametrize("escape", ["\\ud800", "\\uDFFF", "\\U00110000", "\\UFFFFFFFF"])
def test_escapes_utf8_cannot_encode_are_errors(engine: Engine, escape: str) -> None:
    """Terraform rejects a lone surrogate or a code point above U+10FFFF ("Invalid escape sequence")."""
    with pytest.raises(ParseError, match="invalid escape sequence"):
        parse_hcl(f'x = "st{escape}"\n', "main.tf", engine=engine)


@pytest.mark.parametrize("engine", BOTH)
def test_surrogate_pairs_and_the_last_code_point_are_read(engine: Engine) -> None:
    assert parse_expression('"\\U0010FFFF\\U0001F600"', engine=engine) == Literal(1, "\U0010ffff\U0001f600")


@pytest.mark.parametrize(("engine", "text"), [("auto", "1e309"), ("auto", "-1e309"), ("lark", "1e309"),
                                             *((e, t) for e in BOTH for t in ("1" + "0" * 400, "1.5e400", "-1.0e999"))])
def test_numbers_beyond_float_range_are_unresolved(engine: Engine, text: str) -> None:
    """Terraform's numbers have arbitrary precision; a literal beyond float range is unresolved, never inf."""
    node = parse_hcl(f"x = [{text}]\n", "main.tf", engine=engine).body.attributes["x"].expr
    (item,) = getattr(node, "items", ())
    literal = getattr(item, "operand", item)
    assert isinstance(literal, Literal) and isinstance(literal.value, Unresolved)


def test_numbers_written_with_a_bare_exponent_are_read() -> None:
    """The tree-sitter grammar knows `1.5e3` but not `1e5`: such a file is read by python-hcl2."""
    parsed = parse_hcl("a = 1e5\nb {\n}\nc = [2E-3]\n", "main.tf")
    assert parsed.body.attributes["a"].expr == Literal(1, 100000.0)
    assert [block.type for block in parsed.body.blocks] == ["b"]
    with pytest.raises(ParseError, match="tree-sitter"):
        parse_hcl("a = 1e5\nb {\n}\n", "main.tf", engine="tree-sitter")


@pytest.mark.parametrize("text", [
    "a = b\n  ? c : d\n",       # HCL ends an expression at a line break outside brackets
    "a = 1 b = 2\n",            # two items on one line
    "a = {x = 1 y = 2}\n",      # object items need a comma or a line break
    "a { b = 1\n c = 2 }\n",    # a one-line block holds one attribute
])
def test_what_tree_sitter_reads_differently_from_hcl_is_left_to_python_hcl2(text: str) -> None:
    with pytest.raises(ParseError, match="tree-sitter"):
        parse_hcl(text, "main.tf", engine="tree-sitter")
    try:
        reference: object = parse_hcl(text, "main.tf", engine="lark")
    except ParseError as error:
        reference = error.message
    try:
        auto: object = parse_hcl(text, "main.tf")
    except ParseError as error:
        auto = error.message
    assert auto == reference


def test_heredoc_closing_marker_may_have_trailing_blanks() -> None:
    """HCL trims blanks around a heredoc's closing marker (python-hcl2 does not; tree-sitter reads it)."""
    parsed = parse_hcl("a = <<EOT\nx\nEOT   \nb = 1\n", "main.tf")
    assert parsed.body.attributes["a"].expr == Literal(1, "x\n")
    assert parsed.body.attributes["b"].expr == Literal(4, 1)


def test_unicode_identifiers_and_strings() -> None:
    parsed = parse_hcl('résumé = "naïve ☃ ${ünï}"\n', "main.tf")
    expr = parsed.body.attributes["résumé"].expr
    assert expr == Template(1, ("naïve ☃ ", Interpolation(Variable(1, "ünï"))))


@pytest.mark.parametrize("engine", BOTH)
def test_comments_anywhere(engine: Engine) -> None:
    text = 'a = [ # c\n 1, /* d */ 2\n] # e\n// f\nb = { # g\n  c = 1 # h\n}\n/* i\n*/\n'
    parsed = parse_hcl(text, "main.tf", engine=engine)
    assert set(parsed.body.attributes) == {"a", "b"}


@pytest.mark.parametrize("engine", BOTH)
def test_strip_markers_and_escapes_in_heredocs(engine: Engine) -> None:
    text = 'a = <<-EOT\n  %{~ if x ~}\n  y $${z} \\n\n  %{~ endif ~}\n  EOT\n'
    node = parse_hcl(text, "main.tf", engine=engine).body.attributes["a"].expr
    assert isinstance(node, Template)
    (directive,) = node.parts
    assert isinstance(directive, IfDirective) and directive.then_parts == ("y ${z} \\n",)


@pytest.mark.parametrize("length", [255, 256, 100_000])
def test_long_strings_are_read_whole_and_cheaply(length: int) -> None:
    """Long runs of literal text are set aside before tree-sitter parses (it keeps a token per character) and put
    back in the strings, heredocs and labels they came from."""
    run = "x" * length
    text = (f'resource "{run}" "b" {{\n  a = "{run}"\n  b = "p {run} ${{var.y}} {run}"\n'
            f'  c = <<EOT\n{run}\n {run}\nEOT\n  # {run}\n}}\n')
    parsed = parse_hcl(text, "main.tf", engine="tree-sitter")
    assert parsed == parse_hcl(text, "main.tf", engine="lark")
    block = parsed.body.blocks[0]
    assert block.labels == (run, "b")
    assert block.body.attributes["a"].expr == Literal(2, run)
    assert block.body.attributes["c"].expr == Literal(4, f"{run}\n {run}\n")


def test_files_over_the_size_limit_are_refused() -> None:
    with pytest.raises(ParseError, match="larger than"):
        parse_hcl("#" * (MAX_HCL_CHARACTERS + 1), "main.tf")


@pytest.mark.parametrize("engine", BOTH)
def test_object_keys(engine: Engine) -> None:
    node = parse_expression('{a = 1, "b" = 2, (c) = 3, true = 4}', engine=engine)
    keys = [key for key, _ in getattr(node, "items", ())]
    assert keys == [Literal(1, "a"), Literal(1, "b"), Variable(1, "c"), Literal(1, True)]


def test_get_attr_and_call_lines_in_multiline_expressions() -> None:
    text = 'x = merge(\n  var.a,\n  { b = upper(local.c) },\n)\n'
    for engine in BOTH:
        node = parse_hcl(text, "main.tf", engine=engine).body.attributes["x"].expr
        assert isinstance(node, Call) and [arg.line for arg in node.args] == [2, 3]
        assert isinstance(node.args[0], GetAttr)
