"""Read JSON as Azure does: comments and trailing commas allowed (JSONC), with line numbers for the parts that matter.

Values are decoded by a C decoder (orjson, or the standard library's where orjson would differ: `decode_json`).
Where comments or trailing commas appear, they are blanked out first with offsets kept, so every reported line is
the line in the user's file. Lines are found only when a caller first asks for one (`JsonDocument.span_of`), and
only for the objects it tracks (`track`): for templates, every object under a `resources` key, wherever it sits.
Finding them skips, at the C decoder's speed, every part of the text that holds no tracked key.

Numbers Azure can't hold are refused rather than decoded into something else: `NaN` and `Infinity` (not JSON),
and a number too large for a double (`1e400`, which Python would read as infinity).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import orjson
from msgspec import Struct

from aiwell.errors import ParseError
from aiwell.loaders.files import MAX_FILE_BYTES, read_file_text

# One token of JSONC: a string, a comment, or a comma followed by whitespace/comments and a closing bracket.
_JSONC_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'          # a string (kept)
    r"|//[^\n]*"                   # a line comment
    r"|/\*.*?\*/"                  # a block comment
    r"|,(?=(?:\s|//[^\n]*+|/\*.*?\*/)*[\]}])",  # a trailing comma (possessive: a comment can't end early)
    re.DOTALL,
)


class _NumberOutOfRange(ValueError):
    """A JSON number Azure can't hold (raised by the decoder's number hooks)."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberOutOfRange(f"the number {text[:40]} is too large")
    return value


def _no_constant(text: str) -> Any:
    raise _NumberOutOfRange(f"{text} is not a JSON value")


_DIGITS_ONLY = bytes(48 if byte in b"0123456789" else 32 for byte in range(256))
"""A `bytes.translate` table that makes every digit a 0 and every other byte a space."""

_LONG_DIGIT_RUN = b"0" * 19
"""No shorter run of digits holds an integer beyond 64 bits, which orjson would decode as a float."""


def decode_json(text: str) -> Any:
    """Decode JSON text with a C decoder, refusing `NaN`, `Infinity` and numbers beyond a double's range.

    Raises `json.JSONDecodeError` for text that is not JSON and `ValueError` for a number out of range (an
    integer with more digits than Python converts, a float that would be infinite).

    orjson decodes most files, at about twice the speed: it gives the same values as the standard decoder, but
    reads an integer beyond 64 bits as a float (so text with 19 digits in a row goes to the standard decoder,
    which keeps it exact) and refuses what the standard decoder below reads or rejects with a better message
    (control characters in strings, lone surrogates, `NaN`, numbers out of range).
    """
    try:
        encoded: bytes | None = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the text itself: only the standard decoder takes it
        encoded = None
    if encoded is not None and encoded.translate(_DIGITS_ONLY).find(_LONG_DIGIT_RUN) < 0:
        try:
            return orjson.loads(encoded)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text, strict=False, parse_float=_finite_float, parse_constant=_no_constant)


class JsonDocument(Struct):
    """A decoded JSON file; the lines of its tracked objects are found on first use.

    `track` names the keys whose objects get lines (case-insensitive); with `root_items`, the objects of a
    top-level array, or of a tracked array, too.
    """

    path: str
    value: Any
    text: str
    track: frozenset[str] = frozenset()
    root_items: bool = False
    cleaned: str | None = None
    """The text with comments and trailing commas blanked out, when it had any (offsets unchanged)."""
    _lines: dict[int, tuple[int, int]] | None = None

    @property
    def lines(self) -> dict[int, tuple[int, int]]:
        """`id(obj)` → (start line, end line), 1-based, for tracked objects (found on first use)."""
        if self._lines is None:
            self._lines = {}
            if self.track or self.root_items:
                # The walk stops descending at depth 64; too deep anyway means no lines, shown as "no line".
                with contextlib.suppress(RecursionError):
                    _LineTracker(self.cleaned if self.cleaned is not None else self.text, self).run()
        return self._lines

    def line_of(self, obj: Any) -> int | None:
        """The 1-based line where a tracked object starts, if recorded."""
        span = self.lines.get(id(obj))
        return span[0] if span else None

    def span_of(self, obj: Any) -> tuple[int, int] | None:
        """The (start, end) lines of a tracked object, if recorded."""
        return self.lines.get(id(obj))

    def tracking(self, track: tuple[str, ...]) -> JsonDocument:
        """This document with lines for the objects under the keys in `track` (as `parse_text` tracks them), its
        text not decoded again."""
        return JsonDocument(path=self.path, value=self.value, text=self.text, track=frozenset(k.lower() for k in track),
                            root_items=self.root_items, cleaned=self.cleaned)


def strip_jsonc(text: str) -> str:
    """Blank out comments and trailing commas, keeping every offset and newline where it was."""

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith('"'):
            return token
        return re.sub(r"[^\n]", " ", token)

    return _JSONC_TOKEN.sub(blank, text)


def read_text(path: Path) -> str:
    """Read a regular file as UTF-8 text (BOM allowed); see `aiwell.loaders.files.read_file_text`."""
    return read_file_text(path)


def parse_text(text: str, path: str = "<text>", *, track: tuple[str, ...] = ("resources",),
               root_items: bool = False) -> JsonDocument:
    """Decode JSON or JSONC text; lines are found later, on first use, for objects under the keys in `track`.

    With `root_items`, the objects of a top-level array are recorded too (inventory exports).

    Raises `ParseError` with the line and reason when the text is not JSON, is nested too deeply, or holds a
    number Azure can't hold.
    """
    cleaned: str | None = None
    try:
        try:
            value = decode_json(text)
        except json.JSONDecodeError:
            cleaned = strip_jsonc(text)
            value = decode_json(cleaned)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from exc
    except RecursionError as exc:
        raise ParseError("JSON nested too deeply to analyse") from exc
    except ValueError as exc:
        # A number out of range: an integer of thousands of digits, 1e400, NaN or Infinity.
        reason = str(exc) if isinstance(exc, _NumberOutOfRange) else "a number has too many digits"
        raise ParseError(f"invalid JSON: {reason}") from exc
    return JsonDocument(path=path, value=value, text=text, track=frozenset(k.lower() for k in track),
                        root_items=root_items, cleaned=cleaned)


def load_json(path: Path, *, track: tuple[str, ...] = ("resources",), root_items: bool = False) -> JsonDocument:
    """Read and decode a JSON/JSONC file (see `parse_text`)."""
    return parse_text(read_text(path), str(path), track=track, root_items=root_items)


class _LineTracker:
    """Walks the text in step with the decoded value, recording the offsets of objects under tracked keys.

    Only objects that hold a tracked key somewhere inside are walked here, key by key; every other value is
    skipped with the C decoder's `raw_decode`, so each part of the text is decoded once more at most and large
    files stay fast. Offsets become lines in one pass at the end.
    """

    _WS = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str, document: JsonDocument) -> None:
        self.text = text
        self.document = document
        self.track = document.track
        self.on_path = self._containers_on_path(document.value)
        self.decoder = json.JSONDecoder(strict=False)
        self.spans: list[tuple[int, int, int]] = []
        """(id of the object, start offset, offset of its last character)."""

    def _containers_on_path(self, root: Any) -> set[int]:
        """The ids of the objects and arrays that hold a tracked key at any depth (found on the decoded value).

        Keys compare case-insensitively; the spellings of tracked keys that occur in the text are looked up
        exactly, which keeps this a hash lookup per object.
        """
        found = re.findall("|".join(f'"{re.escape(key)}"' for key in self.track), self.text, re.IGNORECASE)
        spellings = {match[1:-1] for match in found}
        on_path: set[int] = set()
        if not spellings:
            return on_path
        # Each tracked key is one of the spellings found in the text, so once as many keys are found as there are
        # spellings in it, no other object holds one; unless a key may be spelled with escapes (`\u0072`).
        unfound = len(found) if "\\u" not in self.text else -1
        parents: dict[int, Any] = {}
        stack: list[Any] = [root]
        only = next(iter(spellings)) if len(spellings) == 1 else None  # the usual case: one hash lookup
        while stack:
            value = stack.pop()
            if type(value) is dict:
                held = (only in value) if only is not None else sum(spelling in value for spelling in spellings)
                if held:
                    marked: Any = value
                    while marked is not None and id(marked) not in on_path:
                        on_path.add(id(marked))
                        marked = parents.get(id(marked))
                    unfound -= held
                    if unfound == 0:
                        break
                children: Any = value.values()
            else:
                children = value
            for child in children:
                kind = type(child)
                if kind is dict or kind is list:
                    parents[id(child)] = value
                    stack.append(child)
        return on_path

    def run(self) -> None:
        start = self._skip_ws(0)
        self._walk(self.document.value, start, record=False, depth=0, record_items=self.document.root_items)
        self._to_lines()

    def _to_lines(self) -> None:
        """Turn the recorded offsets into 1-based lines, counting newlines once over the text."""
        text = self.text
        offsets = sorted({offset for _, start, end in self.spans for offset in (start, end)})
        line_at: dict[int, int] = {}
        line, previous = 1, 0
        for offset in offsets:
            line += text.count("\n", previous, offset)
            line_at[offset] = line
            previous = offset
        lines = self.document._lines
        assert lines is not None
        for key, start, end in self.spans:
            lines[key] = (line_at[start], line_at[end])

    def _skip_ws(self, pos: int) -> int:
        match = self._WS.match(self.text, pos)
        return match.end() if match else pos

    def _skip_value(self, pos: int) -> int:
        _, end = self.decoder.raw_decode(self.text, pos)
        return end

    def _walk(self, value: Any, pos: int, *, record: bool, depth: int, record_items: bool | None = None) -> int:
        """Walk the value starting at `pos`; return the offset after it.

        Objects and arrays are walked when they hold a tracked key somewhere inside, arrays also when their
        items are recorded.
        """
        record_items = record if record_items is None else record_items
        if depth > 64 or not (isinstance(value, dict | list)):
            end = self._skip_value(pos)
        elif isinstance(value, dict):
            end = self._walk_object(value, pos, depth) if id(value) in self.on_path else self._skip_value(pos)
        elif record_items or id(value) in self.on_path:
            end = self._walk_array(value, pos, depth=depth, record_items=record_items)
        else:
            end = self._skip_value(pos)
        if record and isinstance(value, dict):
            self.spans.append((id(value), pos, end - 1))
        return end

    def _walk_object(self, value: dict[str, Any], pos: int, depth: int) -> int:
        text = self.text
        pos = self._skip_ws(pos + 1)  # past "{"
        # Duplicate keys: the decoded dict keeps the last; walking by position keeps offsets right regardless.
        while text[pos] != "}":
            key, pos = self.decoder.raw_decode(text, pos)
            pos = self._skip_ws(pos)
            pos = self._skip_ws(pos + 1)  # past ":"
            child = value.get(key)
            if isinstance(child, (dict, list)):
                tracked = isinstance(key, str) and key.lower() in self.track
                if tracked and isinstance(child, dict):
                    # languageVersion 2.0: resources keyed by symbolic name.
                    pos = self._walk_symbolic(child, pos, depth + 1)
                else:
                    pos = self._walk(child, pos, record=tracked, depth=depth + 1)
            else:
                pos = self._skip_value(pos)
            pos = self._skip_ws(pos)
            if text[pos] == ",":
                pos = self._skip_ws(pos + 1)
        return pos + 1

    def _walk_symbolic(self, value: dict[str, Any], pos: int, depth: int) -> int:
        text = self.text
        start = pos
        pos = self._skip_ws(pos + 1)
        while text[pos] != "}":
            key, pos = self.decoder.raw_decode(text, pos)
            pos = self._skip_ws(pos)
            pos = self._skip_ws(pos + 1)
            pos = self._walk(value.get(key), pos, record=True, depth=depth + 1)
            pos = self._skip_ws(pos)
            if text[pos] == ",":
                pos = self._skip_ws(pos + 1)
        self.spans.append((id(value), start, pos))
        return pos + 1

    def _walk_array(self, value: list[Any], pos: int, *, depth: int, record_items: bool) -> int:
        text = self.text
        # It matches everywhere (white space or nothing): never None.
        skip_ws = cast(Callable[[str, int], re.Match[str]], self._WS.match)
        decode = self.decoder.raw_decode
        on_path, spans = self.on_path, self.spans
        pos = skip_ws(text, pos + 1).end()
        index = 0
        while text[pos] != "]":
            item = value[index] if index < len(value) else None
            if record_items and type(item) is dict and id(item) not in on_path:
                # A resource holding none: what `_walk` does, without a call each (a template's usual item).
                _, end = decode(text, pos)
                spans.append((id(item), pos, end - 1))
                pos = end
            elif isinstance(item, (dict, list)):
                pos = self._walk(item, pos, record=record_items, depth=depth + 1)
            else:
                pos = self._skip_value(pos)
            index += 1
            pos = skip_ws(text, pos).end()
            if text[pos] == ",":
                pos = skip_ws(text, pos + 1).end()
        return pos + 1


__all__ = ["JsonDocument", "MAX_FILE_BYTES", "decode_json", "load_json", "parse_text", "read_text", "strip_jsonc"]
