"""Reading JSON and JSONC: values, the lines of tracked objects, and numbers Azure can't hold."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwell.errors import ParseError
from aiwell.loaders.jsonc import decode_json, parse_text

TEMPLATE = """{
  // a comment
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": {"p": {"type": "string", "defaultValue": "{ not a brace }"}},
  "resources": [
    {
      "type": "Microsoft.Resources/deployments",
      "name": "nested",
      "properties": {
        "template": {
          "Resources": {
            "inner": {
              "type": "Microsoft.Search/searchServices",
              "name": "srch"
            }
          }
        }
      }
    },
    {"type": "Microsoft.Storage/storageAccounts", "name": "st",},
  ]
}
"""


def test_lines_of_tracked_objects_in_jsonc_with_nested_and_symbolic_resources() -> None:
    document = parse_text(TEMPLATE, "t.json")
    nested, storage = document.value["resources"]
    symbolic = nested["properties"]["template"]["Resources"]
    assert document.span_of(nested) == (6, 19)
    assert document.span_of(storage) == (20, 20)
    assert document.span_of(symbolic) == (11, 16)  # keys compare case-insensitively, as ARM's do
    assert document.span_of(symbolic["inner"]) == (12, 15)
    assert document.span_of(document.value["parameters"]) is None  # not under a tracked key


def test_lines_are_found_on_first_use_only() -> None:
    document = parse_text(TEMPLATE, "t.json")
    assert document._lines is None
    document.span_of(document.value)
    assert document._lines is not None


def _reference_spans(text: str, value: Any, track: set[str]) -> dict[int, tuple[int, int]]:
    """Lines of tracked objects by a plain recursive scan of the text: slow, obviously right."""
    spans: dict[int, tuple[int, int]] = {}
    decoder = json.JSONDecoder()

    def line(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def skip_ws(pos: int) -> int:
        while text[pos] in " \t\r\n":
            pos += 1
        return pos

    def walk(node: Any, pos: int, record: bool) -> int:
        pos = skip_ws(pos)
        start = pos
        if isinstance(node, dict):
            pos = skip_ws(pos + 1)
            while text[pos] != "}":
                key, pos = decoder.raw_decode(text, pos)
                pos = skip_ws(skip_ws(pos) + 1)
                tracked = key.lower() in track
                child = node[key]
                if tracked and isinstance(child, dict):
                    child_start = pos
                    pos = skip_ws(pos + 1)
                    while text[pos] != "}":
                        symbol, pos = decoder.raw_decode(text, pos)
                        pos = walk(child[symbol], skip_ws(pos) + 1, True)
                        pos = skip_ws(pos)
                        pos = skip_ws(pos + 1) if text[pos] == "," else pos
                    spans[id(child)] = (line(child_start), line(pos))
                    pos += 1
                else:
                    pos = walk(child, pos, tracked)
                pos = skip_ws(pos)
                pos = skip_ws(pos + 1) if text[pos] == "," else pos
            end = pos + 1
            if record:
                spans[id(node)] = (line(start), line(end - 1))
            return end
        if isinstance(node, list):
            pos = skip_ws(pos + 1)
            for item in node:
                pos = walk(item, pos, record)
                pos = skip_ws(pos)
                pos = skip_ws(pos + 1) if text[pos] == "," else pos
            return pos + 1
        return decoder.raw_decode(text, pos)[1]

    walk(value, 0, False)
    return spans


_KEYS = st.sampled_from(["resources", "Resources", "properties", "template", "name", "type", "copy"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.text("ab{}[]\",:\n\\ ", max_size=6))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
                     max_leaves=30)


@settings(max_examples=150, deadline=None)
@given(value=_JSON, indent=st.sampled_from([None, 1, 2]))
def test_lines_match_a_plain_scan_of_the_text(value: Any, indent: int | None) -> None:
    text = json.dumps({"resources": value}, indent=indent)
    document = parse_text(text, "t.json")
    expected = _reference_spans(text, document.value, {"resources"})
    assert document.lines == expected


@pytest.mark.parametrize("text", [
    # as many "resources" in the text as there are keys: the search for them stops at the last one
    '{"resources": [{"name": "a", "resources": [{"name": "b"}]}, {"resources": [{"name": "c"}]}]}',
    # a "resources" that is a value, not a key: more spellings in the text than keys
    '{"resources": [{"name": "resources", "x": {"resources": [{"name": "b"}]}}]}',
    # a key spelled with an escape, which the text search does not see
    '{"resources": [{"name": "a", "x": {"\\u0072esources": [{"n": 1}]}}, {"y": {"resources": [{}]}}]}',
])
def test_lines_of_resources_whatever_else_spells_the_key(text: str) -> None:
    document = parse_text(text.replace(", ", ",\n"), "t.json")
    assert document.lines == _reference_spans(document.text, document.value, {"resources"})
    innermost = document.value["resources"][0]
    innermost = innermost.get("resources") or next(iter(innermost["x"].values()))
    assert document.span_of(innermost[0]) is not None


@pytest.mark.parametrize(("text", "reason"), [
    ('{"count": NaN}', "NaN is not a JSON value"),
    ('{"count": -Infinity}', "-Infinity is not a JSON value"),
    ('{"count": 1e400}', "the number 1e400 is too large"),
    ('{"count": ' + "9" * 5000 + "}", "a number has too many digits"),
])
def test_numbers_azure_cannot_hold_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_text(text, "t.json")
    assert reason in raised.value.message


_NUMBER_TEXTS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(numbers=st.lists(_NUMBER_TEXTS, max_size=6), names=st.lists(st.text(max_size=8), max_size=3))
def test_values_are_those_the_standard_decoder_gives(numbers: list[str], names: list[str]) -> None:
    # orjson decodes most files; whatever it is given, the values (and their types) are the standard decoder's
    text = '{"names": ' + json.dumps(names) + ', "numbers": [' + ", ".join(numbers) + "]}"
    try:
        expected = json.loads(text)
    except ValueError:
        return
    if any(isinstance(number, float) and not math.isfinite(number) for number in expected["numbers"]):
        return  # refused: see test_numbers_azure_cannot_hold_are_refused
    decoded = decode_json(text)
    assert decoded == expected
    assert [type(number) for number in decoded["numbers"]] == [type(number) for number in expected["numbers"]]


def test_integers_beyond_64_bits_and_control_characters_in_strings_are_read_exactly() -> None:
    assert decode_json('{"n": 18446744073709551617, "m": -9223372036854775809}') == {
        "n": 18446744073709551617, "m": -9223372036854775809}
    assert decode_json('{"n": ' + "7" * 400 + "}")["n"] == int("7" * 400)
    assert decode_json('{"tab": "a\tb", "raw": "a	b"}') == {"tab": "a\tb", "raw": "a\tb"}


def test_lone_surrogates_in_strings_are_read() -> None:
    document = parse_text('{"resources": [{"name": "st\\ud800"}]}', "t.json")
    assert document.value["resources"][0]["name"] == "st\ud800"
    assert document.span_of(document.value["resources"][0]) == (1, 1)


def test_a_document_tracking_other_keys_shares_its_value_and_finds_the_same_lines() -> None:
    text = '{\n  // a comment\n  "resources": [\n    {"name": "a"},\n  ],\n}\n'
    decoded = parse_text(text, "t.json", track=())
    tracked = decoded.tracking(("resources",))
    assert tracked.value is decoded.value and decoded.lines == {}
    again = parse_text(text, "t.json")
    assert tracked.span_of(tracked.value["resources"][0]) == again.span_of(again.value["resources"][0]) == (4, 4)
