"""Read JSON as Azure does: comments and trailing commas allowed (JSONC), with line numbers for the parts that matter.

Values are decoded by the standard library's C decoder. Where comments or trailing commas appear, they are blanked
out first with offsets kept, so every reported line is the line in the user's file. Lines are recorded for the
objects a caller asks about (`track`): for templates, every object under a `resources` key, wherever it sits.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass(slots=True)
class JsonDocument:
    """A decoded JSON file with the line of each tracked object (by `id()` of the decoded dict)."""

    path: str
    value: Any
    text: str
    lines: dict[int, tuple[int, int]] = field(default_factory=dict)
    """`id(obj)` → (start line, end line), 1-based, for tracked objects."""

    def line_of(self, obj: Any) -> int | None:
        """The 1-based line where a tracked object starts, if recorded."""
        span = self.lines.get(id(obj))
        return span[0] if span else None

    def span_of(self, obj: Any) -> tuple[int, int] | None:
        """The (start, end) lines of a tracked object, if recorded."""
        return self.lines.get(id(obj))


def strip_jsonc(text: str) -> str:
    """Blank out comments and trailing commas, keeping every offset and newline where it was."""

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith('"'):
            return token
        return re.sub(r"[^\n]", " ", token)

    return _JSONC_TOKEN.sub(blank, text)


def _line_at(offset: int, newlines: list[int]) -> int:
    """1-based line of an offset, given the sorted offsets of every newline."""
    return bisect.bisect_right(newlines, offset - 1) + 1


def read_text(path: Path) -> str:
    """Read a regular file as UTF-8 text (BOM allowed); see `aiwell.loaders.files.read_file_text`."""
    return read_file_text(path)


def parse_text(text: str, path: str = "<text>", *, track: tuple[str, ...] = ("resources",),
               root_items: bool = False) -> JsonDocument:
    """Decode JSON or JSONC text; record lines for objects under the keys in `track`.

    With `root_items`, the objects of a top-level array are recorded too (inventory exports).

    Raises `ParseError` with the line and reason when the text is not JSON.
    """
    cleaned = text
    try:
        value = json.loads(text, strict=False)
    except json.JSONDecodeError:
        cleaned = strip_jsonc(text)
        try:
            value = json.loads(cleaned, strict=False)
        except json.JSONDecodeError as exc:
            raise ParseError(f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from exc
        except RecursionError as exc:
            raise ParseError("JSON nested too deeply to analyse") from exc
    except RecursionError as exc:
        raise ParseError("JSON nested too deeply to analyse") from exc
    document = JsonDocument(path=path, value=value, text=text)
    if track or root_items:
        try:
            _LineTracker(cleaned, document, frozenset(track)).run(root_items=root_items)
        except RecursionError as exc:
            raise ParseError("JSON nested too deeply to analyse") from exc
    return document


def load_json(path: Path, *, track: tuple[str, ...] = ("resources",), root_items: bool = False) -> JsonDocument:
    """Read and decode a JSON/JSONC file (see `parse_text`)."""
    return parse_text(read_text(path), str(path), track=track, root_items=root_items)


class _LineTracker:
    """Walks the cleaned text in step with the decoded value, recording lines of objects under tracked keys.

    Only the containers on the way to a tracked key are walked here; every other subtree is skipped with the C
    decoder's `raw_decode`, so large files stay fast.
    """

    _WS = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str, document: JsonDocument, track: frozenset[str]) -> None:
        self.text = text
        self.document = document
        self.track = frozenset(k.lower() for k in track)
        self.decoder = json.JSONDecoder(strict=False)
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def run(self, *, root_items: bool) -> None:
        start = self._skip_ws(0)
        self._walk(self.document.value, start, record=False, depth=0, record_items=root_items)

    def _skip_ws(self, pos: int) -> int:
        match = self._WS.match(self.text, pos)
        return match.end() if match else pos

    def _skip_value(self, pos: int) -> int:
        _, end = self.decoder.raw_decode(self.text, pos)
        return end

    def _line(self, offset: int) -> int:
        return _line_at(offset, self.newlines)

    def _walk(self, value: Any, pos: int, *, record: bool, depth: int, record_items: bool | None = None) -> int:
        """Walk the value starting at `pos`; return the offset after it.

        Objects are walked (a tracked key may sit below); arrays only when their items are recorded.
        """
        if depth > 64:
            return self._skip_value(pos)
        if isinstance(value, dict):
            end = self._walk_object(value, pos, depth)
        elif isinstance(value, list) and (record if record_items is None else record_items):
            end = self._walk_array(value, pos, record_items=True, depth=depth)
        else:
            return self._skip_value(pos)
        if record and isinstance(value, dict):
            self.document.lines[id(value)] = (self._line(pos), self._line(end - 1))
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
        self.document.lines[id(value)] = (self._line(start), self._line(pos))
        return pos + 1

    def _walk_array(self, value: list[Any], pos: int, *, record_items: bool, depth: int) -> int:
        text = self.text
        pos = self._skip_ws(pos + 1)
        index = 0
        while text[pos] != "]":
            item = value[index] if index < len(value) else None
            if isinstance(item, (dict, list)):
                pos = self._walk(item, pos, record=record_items, depth=depth + 1)
            else:
                pos = self._skip_value(pos)
            index += 1
            pos = self._skip_ws(pos)
            if text[pos] == ",":
                pos = self._skip_ws(pos + 1)
        return pos + 1


__all__ = ["JsonDocument", "MAX_FILE_BYTES", "load_json", "parse_text", "read_text", "strip_jsonc"]
