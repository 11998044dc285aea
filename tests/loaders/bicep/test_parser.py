"""Runs every snippet under tests/fixtures/bicep/parser/ through the Bicep parser.

A case is a `.bicep` or `.bicepparam` file and, beside it, `<file name>.expected`: either the whole syntax tree
rendered by `render` below (one node per line, fields that keep their default left out), or a single line
`error: <the ParseError message>` for a snippet that must be rejected.

The expected trees are regenerated, after a deliberate change to the parser, with
`python tests/loaders/bicep/test_parser.py --regenerate`; review the diff before committing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from msgspec import Struct
from msgspec.structs import fields as fields_of

from aiwell.errors import ParseError
from aiwell.loaders.bicep import parse_bicep
from aiwell.loaders.bicep import syntax as s

CASES = Path(__file__).parents[2] / "fixtures" / "bicep" / "parser"


def _snippets() -> list[Path]:
    return sorted(path for path in CASES.iterdir() if path.suffix in (".bicep", ".bicepparam"))


def _expected_path(snippet: Path) -> Path:
    return snippet.with_name(snippet.name + ".expected")


def render(value: object, indent: int = 0) -> list[str]:
    """A syntax node as indented lines: `Kind @line[-end_line] field=scalar ...`, then node and tuple fields below."""
    pad = "  " * indent
    if not isinstance(value, Struct):
        return [f"{pad}{value!r}"]
    fields = [(field, getattr(value, field.name)) for field in fields_of(value)]
    shown = [(field.name, item) for field, item in fields if item != field.default]
    where = ""
    scalars: list[str] = []
    nested: list[tuple[str, object]] = []
    for name, item in shown:
        if name == "line":
            where = f"@{item}"
        elif name == "end_line":
            where += f"-{item}"
        elif isinstance(item, Struct) or (isinstance(item, tuple) and item):
            nested.append((name, item))
        else:
            scalars.append(f"{name}={item!r}")
    lines = [" ".join(part for part in (f"{pad}{type(value).__name__}", where, *scalars) if part)]
    for name, item in nested:
        if isinstance(item, tuple):
            lines.append(f"{pad}  {name}:")
            for member in item:
                lines.extend(render(member, indent + 2))
        else:
            lines.append(f"{pad}  {name}:")
            lines.extend(render(item, indent + 2))
    return lines


def _outcome(snippet: Path) -> str:
    try:
        program = parse_bicep(snippet.read_text(encoding="utf-8"), path=snippet.name)
    except ParseError as error:
        return f"error: {error.message}\n"
    return "\n".join(render(program)) + "\n"


@pytest.mark.parametrize("snippet", _snippets(), ids=lambda path: path.name)
def test_snippet(snippet: Path) -> None:
    expected = _expected_path(snippet)
    assert expected.is_file(), f"{expected.name} is missing: run this module with --regenerate and review it"
    assert _outcome(snippet) == expected.read_text(encoding="utf-8")


def test_error_carries_the_line() -> None:
    with pytest.raises(ParseError) as raised:
        parse_bicep("param a string\n\nvar b = {\n  c: 1\n}}\n")
    assert raised.value.line == 5
    assert raised.value.message.startswith("unexpected '}'")


def test_statement_lines_span_decorators_and_bodies() -> None:
    program = parse_bicep("@description('x')\nresource r 'A/b@1' = {\n  name: 'n'\n}\n\noutput o string = r.name\n")
    resource, output = program.statements
    assert isinstance(resource, s.Resource)
    assert (resource.line, resource.end_line, resource.decorators[0].line) == (2, 4, 1)
    assert (output.line, output.end_line) == (6, 6)


def test_last_statement_without_a_final_newline_ends_on_its_own_line() -> None:
    program = parse_bicep("var a = {\n  b: 1\n}")
    assert [(statement.line, statement.end_line) for statement in program.statements] == [(1, 3)]


def test_large_file_parses() -> None:
    """No recursion limit on long operator chains or many statements."""
    chain = " + ".join(f"'{index}'" for index in range(2000))
    program = parse_bicep(f"var long = {chain}\n" + "".join(f"var v{index} = {index}\n" for index in range(3000)))
    assert len(program.statements) == 3001


def test_comments_inside_a_call_keep_the_lambda_look_ahead_linear() -> None:
    """Real files put several comments inside one call; a backtracking look-ahead for `(params) =>` never finished
    on them (it was exponential in the number of comments)."""
    comments = ",\n".join(f"  // item {index}, with a few words\n  'a{index}'" for index in range(16))
    program = parse_bicep(f"var items = concat(\n{comments}\n)\n")
    [variable] = program.statements
    assert isinstance(variable, s.Var) and isinstance(variable.value, s.FunctionCall)
    assert len(variable.value.args) == 16


if __name__ == "__main__" and "--regenerate" in sys.argv:
    for snippet in _snippets():
        _expected_path(snippet).write_text(_outcome(snippet), encoding="utf-8")
        print(f"wrote {_expected_path(snippet).name}")
