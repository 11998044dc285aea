"""Text from the input, made inert for each output format.

Names, paths, messages and reasons come from the files under review, and a hostile repository chooses them: a
resource named `<img src=x onerror=alert(1)>`, a file name holding an ANSI escape sequence, a tag value with a
right-to-left override. Every reporter passes such text through one of these functions before it writes it:

- `visible` — characters no report should carry raw (C0 and C1 control characters but tab and newline, DEL,
  bidirectional overrides and isolates, lone surrogates, the non-characters U+FFFE and U+FFFF) are shown as
  escape sequences (`\\x1b`, `\\u202e`), so the reader sees that something is there and nothing acts on it. The
  result is valid XML 1.0 character data and valid UTF-8.
- `one_line` — `visible`, with line breaks and tabs shown as escapes too: for a table cell, a terminal column, an
  attribute.
- `markdown_text` and `markdown_code` — for GitHub-flavoured Markdown: no HTML, link, emphasis, table break or
  @mention comes through.

HTML escaping is jinja2's autoescape (see `reporters/html`); it is applied on top of `visible`.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
                     "\ud800-\udfff]")
"""Control characters (tab and newline excepted), bidi marks, overrides and isolates, non-characters and lone
surrogates."""
_BREAKS = re.compile("[\t\n]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every character a report should not carry raw shown as an escape sequence (module docstring)."""
    return _UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """`visible(text)` on one line: tabs and line breaks shown as escape sequences too."""
    return _BREAKS.sub(_escape, visible(text))


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
"""Markdown punctuation that acts wherever it stands: escapes, code, emphasis, links and images, tables,
strikethrough (`(` and `!` act only beside `[`, which is escaped)."""
_MARKDOWN_LINE_START = re.compile(r"^(\s*(?:\d+)?)([#+=.)-])")
"""What acts only at the start of a line: headings, list items, setext underlines."""
_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def markdown_text(text: str) -> str:
    """Text from the input as inert Markdown on one line: HTML characters as entities, Markdown punctuation
    backslash-escaped (no link, emphasis, heading or table break), and a word joiner after `@`, `:` of a URL
    and `www` so a name never mentions a GitHub user or team in a pull-request comment, nor becomes a link."""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", one_line(text))
    escaped = _MARKDOWN_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    escaped = "".join(_MARKDOWN_ENTITIES.get(char, char) for char in escaped)
    # GitHub turns bare URLs and www. names into links after unescaping; a word joiner keeps them text.
    return escaped.replace("@", "@\u2060").replace(":/", ":\u2060/").replace("www.", "www\u2060.")


def markdown_code(text: str) -> str:
    """Text from the input as a Markdown code span on one line, safe inside a table cell: nothing in a code span is
    rendered as Markdown or HTML; the fence is longer than any run of backticks in the text, and `|` is escaped
    (GitHub's tables split cells on it even inside code)."""
    body = one_line(text).replace("|", "\\|")
    if not body:
        return ""
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or longest else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def utf16_length(text: str) -> int:
    """Length of `text` in UTF-16 code units, as GitHub counts a comment's characters."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


__all__ = ["markdown_code", "markdown_text", "one_line", "utf16_length", "visible"]
