"""Parse Bicep (`.bicep`) and Bicep parameter (`.bicepparam`) files into the syntax tree of `syntax.py`.

A hand-written lexer feeds lark's LALR parser (grammar in `bicep.lark`). The lexer does what a regular-expression
lexer can't: it splits interpolated strings into pieces around `${...}` (which may nest strings and objects), decides
where a line break ends a statement and where the expression goes on, and emits a keyword only where the parser
state accepts one, so that `type`, `resource` or `if` stay ordinary names elsewhere.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Generator, Iterator
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer, LexerState
from msgspec import Struct
from msgspec.structs import replace

from aiwell.errors import ParseError
from aiwell.loaders.bicep import syntax as s

# One alternative per token class; strings and newlines get special handling in `_BicepLexer`.
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\f\v\ufeff]+)
  | (?P<newline>\n)
  | (?P<comment>//[^\n]*|/\*.*?\*/|\#[^\n]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<int>[0-9]+)
  | (?P<multiline>\$*''')
  | (?P<string>')
  | (?P<punct>\.\.\.|\?\?|::|=>|==|=~|!=|!~|<=|>=|&&|\|\||[{}\[\]().,:?@=<>!+\-*/%|^])
    """,
    re.VERBOSE | re.DOTALL,
)

_PUNCT = {
    "{": "LBRACE", "}": "RBRACE", "[": "LSQB", "]": "RSQB", "(": "LPAR", ")": "RPAR", ",": "COMMA",
    ":": "COLON", "::": "DCOLON", ".": "DOT", "?": "QUESTION", "??": "COALESCE", "...": "ELLIPSIS", "@": "AT",
    "=>": "ARROW", "=": "ASSIGN", "==": "EQ", "!=": "NE", "=~": "IEQ", "!~": "INE", "<": "LT", "<=": "LE",
    ">": "GT", ">=": "GE", "&&": "AND", "||": "OR", "!": "BANG", "+": "PLUS", "-": "MINUS", "*": "STAR",
    "/": "SLASH", "%": "PERCENT", "|": "PIPE", "^": "HAT",
}  # fmt: skip

_KEYWORDS = {
    word: word.upper()
    for word in (
        "targetScope", "metadata", "param", "var", "resource", "module", "output", "type", "func", "import",
        "extension", "provider", "using", "extends", "assert", "existing", "if", "for", "in", "as", "from", "with",
        "none", "true", "false", "null", "test", "extensionConfig",
    )
}  # fmt: skip
_LITERAL_KEYWORDS = frozenset({"TRUE", "FALSE", "NULL"})

# A line break is no statement end after these tokens (the expression goes on on the next line) ...
_CONTINUES_AFTER = frozenset(
    {"COMMA", "ARROW", "ASSIGN", "AND", "OR", "COALESCE", "PLUS", "MINUS", "SLASH", "PERCENT", "EQ", "NE", "IEQ",
     "INE", "LT", "LE", "GE", "PIPE"}
)  # fmt: skip
# ... nor before these (a ternary, union or operator chain continued on the next line).
_CONTINUES_BEFORE = frozenset({"QUESTION", "COLON", "PIPE", "COALESCE", "AND", "OR", "GT"})

# `(a, b) =>` or `(a int) string =>`: the parenthesis opens lambda parameters, not a parenthesised expression. LALR
# can't tell the two apart before it sees `=>`, so the lexer looks ahead. Possessive quantifiers keep the look-ahead
# linear: `(` is common, and a backtracking match of comments against plain text is exponential.
_LAMBDA_PARAMS = re.compile(
    r"\((?:[^()'/]++|//[^\n]*+|/\*(?:[^*]|\*(?!/))*+\*/)*+\)"  # parameters, comments allowed
    r"\s*(?:[A-Za-z_][\w.]*(?:\[\])?\??\s*)?=>"  # an optional return type, then the arrow
)
_STRING_TEXT = re.compile(r"[^'\\$\n]+")
_ESCAPES = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}
_UNICODE_ESCAPE = re.compile(r"u\{([0-9A-Fa-f]{1,6})\}")
_MAX_CODE_POINT = 0x10FFFF

# Open brackets on the lexer's stack; inside `(` and `${...}` line breaks are not significant. An interpolation in a
# multi-line string `$'''...${x}...'''` is pushed as `$` times the dollar count, then `{}`: `${}`, `$${}`, ...
_PAREN, _BRACE, _SQUARE, _INTERPOLATION = "(", "{", "[", "${"


class _ParseState(threading.local):
    """The lexer of the parse under way on this thread: the rule callbacks ask it where a declaration ends."""

    tokens: _Tokens


_current = _ParseState()


def _statement_end_line() -> int:
    return _current.tokens.statement_end_line()


def _fail(message: str, line: int) -> ParseError:
    return ParseError(message, line=line)


class _BicepLexer(Lexer):
    """Tokens for lark, with the parser state at hand (lark's interface 2 for custom lexers)."""

    __future_interface__ = 2

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        text_slice: Any = lexer_state.text  # a TextSlice in lark >= 1.2, a str before
        text: str = getattr(text_slice, "text", text_slice)
        return _Tokens(text, parser_state).tokens()


class _Tokens:
    """One pass of the lexer over one text."""

    def __init__(self, text: str, parser_state: Any) -> None:
        self.text = text
        self.parser_state = parser_state
        self.stack: list[str] = []
        self.line = 1
        self.line_start = 0
        self.counted_to = 0
        self.previous = ""
        # End lines of the last two tokens handed to the parser, to find where a declaration ends (see
        # `statement_end_line`), and whether the text is exhausted.
        self.end_lines = (1, 1)
        self.finished = False
        _current.tokens = self

    def _advance(self, pos: int) -> None:
        """Count the lines up to `pos` (positions only ever move forward)."""
        newlines = self.text.count("\n", self.counted_to, pos)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.counted_to, pos) + 1
        self.counted_to = pos

    def _token(self, kind: str, value: str, start: int, end: int) -> Token:
        self._advance(start)
        line, column = self.line, start - self.line_start + 1
        self._advance(end)
        self.previous = kind
        self.end_lines = (self.end_lines[1], self.line)
        return Token(kind, value, start, line, column, self.line, end - self.line_start + 1, end)

    def _line_of(self, pos: int) -> int:
        return self.line + self.text.count("\n", self.counted_to, pos)

    def _next_char(self, pos: int) -> str:
        """The next character after `pos` that is not a space or tab on the same line."""
        while pos < len(self.text) and self.text[pos] in " \t":
            pos += 1
        return self.text[pos] if pos < len(self.text) else ""

    def _keyword_or_identifier(self, word: str, end: int) -> str:
        keyword = _KEYWORDS.get(word)
        if keyword is None:
            return "IDENT"
        accepted = self.parser_state.parse_conf.states[self.parser_state.position]
        if keyword not in accepted:
            return "IDENT"
        if "IDENT" not in accepted or keyword in _LITERAL_KEYWORDS:
            return keyword
        # Both fit (an object body takes a property key or a nested `resource`): `word:` is a property key.
        following = self._next_char(end)
        return "IDENT" if following == ":" and self.text[end:].lstrip(" \t")[:2] != "::" else keyword

    def tokens(self) -> Iterator[Token]:
        text = self.text
        size = len(text)
        pos = 0
        pending_newline: int | None = None  # where a significant line break waits to be emitted
        while pos < size:
            match = _TOKEN.match(text, pos)
            if match is None:
                raise _fail(f"unexpected character {text[pos]!r}", self._line_of(pos))
            group = match.lastgroup
            end = match.end()
            if group in ("space", "comment"):
                pos = end
                continue
            if group == "newline":
                if pending_newline is None and (not self.stack or self.stack[-1] in (_BRACE, _SQUARE)):
                    pending_newline = pos
                pos = end
                continue
            value = match.group()
            kind = _PUNCT.get(value, "") if group == "punct" else ""
            if pending_newline is not None:
                if self.previous and self.previous not in _CONTINUES_AFTER and kind not in _CONTINUES_BEFORE:
                    yield self._token("_NL", "\n", pending_newline, pending_newline + 1)
                pending_newline = None
            if group == "word":
                yield self._token(self._keyword_or_identifier(value, end), value, pos, end)
            elif group == "int":
                yield self._token("INT", value, pos, end)
            elif group == "multiline":
                end = yield from self._multiline(pos, end, dollars=len(value) - 3, first=True)
            elif group == "string":
                end = yield from self._string(pos, end, first=True)
            elif kind == "RBRACE" and self.stack and self.stack[-1].startswith("$"):
                # the `}` closing `${...}`: the string goes on
                opened = self.stack.pop()
                if opened == _INTERPOLATION:
                    end = yield from self._string(pos, end, first=False)
                else:
                    end = yield from self._multiline(pos, end, dollars=len(opened) - 2, first=False)
            else:
                yield self._punct(kind, value, pos, end)
            pos = end
        if pending_newline is not None and self.previous and self.previous not in _CONTINUES_AFTER:
            yield self._token("_NL", "\n", pending_newline, pending_newline + 1)
        self.finished = True

    def statement_end_line(self) -> int:
        """The last line of the declaration the parser is reducing now. LALR reduces a rule when it sees the token
        after it, so the declaration's last token is the one before the latest, or the latest at the end of the text."""
        return self.end_lines[1] if self.finished else self.end_lines[0]

    def _punct(self, kind: str, value: str, pos: int, end: int) -> Token:
        if kind == "LPAR":
            self.stack.append(_PAREN)
            if _LAMBDA_PARAMS.match(self.text, pos):
                kind = "LAMBDA_LPAR"
        elif kind == "LBRACE":
            self.stack.append(_BRACE)
        elif kind == "LSQB":
            self.stack.append(_SQUARE)
        elif kind in ("RPAR", "RSQB", "RBRACE") and self.stack:
            self.stack.pop()
        return self._token(kind, value, pos, end)

    def _string(self, start: int, pos: int, *, first: bool) -> Generator[Token, None, int]:
        """Read string text from `pos` up to the closing quote or the next `${`; returns the position after it."""
        text = self.text
        parts: list[str] = []
        while True:
            match = _STRING_TEXT.match(text, pos)
            if match:
                parts.append(match.group())
                pos = match.end()
            if pos >= len(text) or text[pos] == "\n":
                raise _fail("unterminated string", self._line_of(start))
            char = text[pos]
            if char == "'":
                yield self._token("STRING" if first else "STRING_RIGHT", "".join(parts), start, pos + 1)
                return pos + 1
            if char == "$":
                if text.startswith("${", pos):
                    self.stack.append(_INTERPOLATION)
                    yield self._token("STRING_LEFT" if first else "STRING_MIDDLE", "".join(parts), start, pos + 2)
                    return pos + 2
                parts.append("$")
                pos += 1
                continue
            # a backslash escape
            escaped = text[pos + 1 : pos + 2]
            if escaped in _ESCAPES:
                parts.append(_ESCAPES[escaped])
                pos += 2
                continue
            unicode = _UNICODE_ESCAPE.match(text, pos + 1)
            if unicode:
                code_point = int(unicode.group(1), 16)
                if code_point > _MAX_CODE_POINT:
                    # Bicep's BCP133; a lone surrogate (U+D800-U+DFFF) is a code point Bicep accepts, and so do we.
                    raise _fail("the unicode escape sequence is not valid: escapes range from \\u{0} to "
                                "\\u{10FFFF}", self._line_of(pos))
                parts.append(chr(code_point))
                pos = unicode.end()
                continue
            raise _fail(f"unknown escape sequence '\\{escaped}' in a string", self._line_of(pos))


    def _multiline(self, start: int, pos: int, *, dollars: int, first: bool) -> Generator[Token, None, int]:
        """Read a `'''` string from `pos`: verbatim, no escapes. With a `$` prefix (`dollars` > 0), `$` times
        `dollars` followed by `{` opens an interpolation. Returns the position after the token."""
        text = self.text
        close = text.find("'''", pos)
        if close < 0:
            raise _fail("unterminated multi-line string", self._line_of(start))
        opener = "$" * dollars + "{" if dollars else ""
        interpolation = text.find(opener, pos, close) if opener else -1
        if interpolation >= 0:
            content = text[pos:interpolation]
            if first and content.startswith("\n"):
                content = content[1:]
            self.stack.append("$" * dollars + "{}")
            kind = "STRING_LEFT" if first else "STRING_MIDDLE"
            yield self._token(kind, content, start, interpolation + len(opener))
            return interpolation + len(opener)
        while text.startswith("'", close + 3):  # `''''` ends with the last three quotes
            close += 1
        content = text[pos:close]
        if first and content.startswith("\n"):
            content = content[1:]
        kind = ("MULTILINE_STRING" if not dollars else "STRING") if first else "STRING_RIGHT"
        yield self._token(kind, content, start, close + 3)
        return close + 3


# --- from lark's tree to the syntax tree -----------------------------------------------------------------------


class _Filter(Struct, frozen=True):
    """The `if (condition) body` tail of a filtered `for` expression, before it joins its ForExpr."""

    condition: s.Expr
    body: s.Expr


def _nodes(children: list[Any]) -> list[Any]:
    """The children that are not punctuation or keyword tokens."""
    return [child for child in children if not isinstance(child, Token)]


def _tokens(children: list[Any], kind: str) -> list[Any]:
    return [child for child in children if isinstance(child, Token) and child.type == kind]


def _string_value(token: Token) -> str:
    return str(token.value)


_NAMESPACES = frozenset({"az", "sys"})


class _Builder(Transformer[Token, Any]):
    """Builds `syntax` nodes as the parser reduces each rule (lark calls a method per rule, with the rule's children,
    tokens kept). Every rule that is not inlined in the grammar has a method here."""

    # statements ------------------------------------------------------------------------------------------------
    def start(self, children: list[Any]) -> tuple[s.Statement, ...]:
        return tuple(children)

    def statement(self, children: list[Any]) -> s.Statement:
        if len(children) == 1:
            return children[0]  # type: ignore[no-any-return]
        decorators, declaration = children
        if hasattr(declaration, "decorators"):
            return replace(declaration, decorators=decorators)  # type: ignore[no-any-return]
        return declaration  # type: ignore[no-any-return]

    def decorators(self, children: list[s.Decorator]) -> tuple[s.Decorator, ...]:
        return tuple(children)

    def decorator(self, children: list[Any]) -> s.Decorator:
        names = _tokens(children, "IDENT")
        args = children[-1]
        if len(names) == 2:
            return s.Decorator(names[0].line, names[0].value, names[1].value, args)
        return s.Decorator(names[0].line, None, names[0].value, args)

    def target_scope(self, children: list[Any]) -> s.TargetScope:
        return s.TargetScope(children[0].line, _statement_end_line(), children[-1])

    def metadata_decl(self, children: list[Any]) -> s.Metadata:
        return s.Metadata(children[0].line, _statement_end_line(), children[1].value, children[-1])

    def param_decl(self, children: list[Any]) -> s.Param:
        default = children[4] if len(children) == 5 else None
        return s.Param(children[0].line, _statement_end_line(), children[1].value, children[2], default)

    def param_assign(self, children: list[Any]) -> s.ParamAssignment:
        return s.ParamAssignment(children[0].line, _statement_end_line(), children[1].value, children[-1])

    def var_decl(self, children: list[Any]) -> s.Var:
        declared_type = children[2] if len(children) == 5 else None
        return s.Var(children[0].line, _statement_end_line(), children[1].value, children[-1], type=declared_type)

    def resource_decl(self, children: list[Any]) -> s.Resource:
        existing = bool(_tokens(children, "EXISTING"))
        name, type_string = children[1].value, _string_value(children[2])
        return s.Resource(children[0].line, _statement_end_line(), name, type_string, existing, children[-1])

    def module_decl(self, children: list[Any]) -> s.Module:
        name, path_string = children[1].value, _string_value(children[2])
        return s.Module(children[0].line, _statement_end_line(), name, path_string, children[-1])

    def output_decl(self, children: list[Any]) -> s.Output:
        return s.Output(children[0].line, _statement_end_line(), children[1].value, children[2], children[-1])

    def type_decl(self, children: list[Any]) -> s.TypeDecl:
        return s.TypeDecl(children[0].line, _statement_end_line(), children[1].value, children[-1])

    def func_decl(self, children: list[Any]) -> s.FunctionDecl:
        nodes = _nodes(children)
        params = tuple(node for node in nodes if isinstance(node, s.FunctionParam))
        return s.FunctionDecl(children[0].line, _statement_end_line(), children[1].value, params, nodes[-2], nodes[-1])

    def func_param(self, children: list[Any]) -> s.FunctionParam:
        return s.FunctionParam(children[0].line, children[0].value, children[1])

    def import_decl(self, children: list[Any]) -> s.Import:
        line, end_line = children[0].line, _statement_end_line()
        if children[1].type == "LBRACE":
            symbols = tuple(_nodes(children))
            return s.Import(line, end_line, _string_value(children[-1]), symbols=symbols)
        config = next(iter(_nodes(children)), None)
        aliases = _tokens(children, "IDENT")
        return s.Import(
            line, end_line, _string_value(children[1]), config=config, alias=aliases[0].value if aliases else None
        )

    def import_wildcard(self, children: list[Any]) -> s.Import:
        path = _string_value(children[-1])
        return s.Import(children[0].line, _statement_end_line(), path, wildcard_alias=children[3].value)

    def imported_symbol(self, children: list[Any]) -> s.ImportedSymbol:
        alias = children[2].value if len(children) == 3 else None
        return s.ImportedSymbol(children[0].line, str(children[0].value), alias)

    def extension_decl(self, children: list[Any]) -> s.Extension:
        config = next(iter(_nodes(children)), None)
        alias = children[-1].value if len(children) > 2 and children[-2].type == "AS" else None
        keyword, spec = children[0].value, str(children[1].value)
        return s.Extension(children[0].line, _statement_end_line(), keyword, spec, config=config, alias=alias)

    def using_decl(self, children: list[Any]) -> s.Using:
        path = None if children[1].type == "NONE" else _string_value(children[1])
        config = next(iter(_nodes(children)), None)
        return s.Using(children[0].line, _statement_end_line(), path, config)

    def extends_decl(self, children: list[Any]) -> s.Extends:
        return s.Extends(children[0].line, _statement_end_line(), _string_value(children[1]))

    def assert_decl(self, children: list[Any]) -> s.Assert:
        return s.Assert(children[0].line, _statement_end_line(), children[1].value, children[-1])

    def test_decl(self, children: list[Any]) -> s.BicepTest:
        name, path_string = children[1].value, _string_value(children[2])
        return s.BicepTest(children[0].line, _statement_end_line(), name, path_string, children[-1])

    def extension_config(self, children: list[Any]) -> s.ExtensionConfig:
        return s.ExtensionConfig(children[0].line, _statement_end_line(), children[1].value, children[-1])

    def if_body(self, children: list[Any]) -> s.IfExpr:
        return s.IfExpr(children[0].line, children[2], children[4])

    # expressions -----------------------------------------------------------------------------------------------
    def ident(self, children: list[Any]) -> s.Identifier:
        return s.Identifier(children[0].line, children[0].value)

    def call(self, children: list[Any]) -> s.FunctionCall:
        return s.FunctionCall(children[0].line, None, children[0].value, children[1])

    def args(self, children: list[Any]) -> tuple[s.Expr, ...]:
        return tuple(_nodes(children))

    def int_lit(self, children: list[Any]) -> s.IntLit:
        return s.IntLit(children[0].line, int(children[0].value))

    def true_lit(self, children: list[Any]) -> s.BoolLit:
        return s.BoolLit(children[0].line, True)

    def false_lit(self, children: list[Any]) -> s.BoolLit:
        return s.BoolLit(children[0].line, False)

    def null_lit(self, children: list[Any]) -> s.NullLit:
        return s.NullLit(children[0].line)

    def string_lit(self, children: list[Any]) -> s.StringLit:
        return s.StringLit(children[0].line, children[0].value)

    def interp_string(self, children: list[Any]) -> s.Expr:
        parts: list[str | s.Expr] = []
        for child in children:
            if isinstance(child, Token):
                if child.value:
                    parts.append(child.value)
            else:
                parts.append(child)
        return s.InterpolatedString(children[0].line, tuple(parts))

    def paren(self, children: list[Any]) -> Any:
        return children[1]

    def lambda_expr(self, children: list[Any]) -> s.Lambda:
        params = tuple(token.value for token in _tokens(children, "IDENT"))
        return s.Lambda(children[0].line, params, children[-1])

    def lambda_param(self, children: list[Any]) -> Token:
        return children[0]  # type: ignore[no-any-return]

    def ternary(self, children: list[Any]) -> s.Ternary:
        return s.Ternary(_line(children[0]), children[0], children[2], children[4])

    def operation(self, children: list[Any]) -> s.Expr:
        return _group_by_precedence(children)

    def unary(self, children: list[Any]) -> s.UnaryOp:
        return s.UnaryOp(children[0].line, children[0].value, children[1])

    def prop(self, children: list[Any]) -> s.PropertyAccess:
        return s.PropertyAccess(_line(children[0]), children[0], children[2].value)

    def safe_prop(self, children: list[Any]) -> s.PropertyAccess:
        return s.PropertyAccess(_line(children[0]), children[0], children[3].value, safe=True)

    def method(self, children: list[Any]) -> s.FunctionCall | s.MethodCall:
        target, name, args = children[0], children[2].value, children[3]
        if isinstance(target, s.Identifier) and target.name in _NAMESPACES:
            return s.FunctionCall(target.line, target.name, name, args)
        return s.MethodCall(_line(target), target, name, args)

    def safe_method(self, children: list[Any]) -> s.MethodCall:
        return s.MethodCall(_line(children[0]), children[0], children[3].value, children[4], safe=True)

    def index(self, children: list[Any]) -> s.IndexAccess:
        return s.IndexAccess(_line(children[0]), children[0], children[2])

    def safe_index(self, children: list[Any]) -> s.IndexAccess:
        return s.IndexAccess(_line(children[0]), children[0], children[3], safe=True)

    def index_from_end(self, children: list[Any]) -> s.IndexAccess:
        return s.IndexAccess(_line(children[0]), children[0], children[3], from_end=True)

    def safe_index_from_end(self, children: list[Any]) -> s.IndexAccess:
        return s.IndexAccess(_line(children[0]), children[0], children[4], safe=True, from_end=True)

    def child(self, children: list[Any]) -> s.NestedResourceAccess:
        return s.NestedResourceAccess(_line(children[0]), children[0], children[2].value)

    def non_null(self, children: list[Any]) -> s.NonNull:
        return s.NonNull(_line(children[0]), children[0])

    def object(self, children: list[Any]) -> s.ObjectExpr:
        return s.ObjectExpr(children[0].line, tuple(_nodes(children)))

    def property(self, children: list[Any]) -> s.ObjectProperty:
        decorators: tuple[s.Decorator, ...] = ()
        if isinstance(children[0], tuple):
            decorators, children = children[0], children[1:]
        key = children[0]
        if isinstance(key, Token | s.StringLit):
            line, name = _line(key), key.value
        else:
            line, name = key.line, key
        return s.ObjectProperty(line, name, children[-1], decorators)

    def spread(self, children: list[Any]) -> s.Spread:
        return s.Spread(children[0].line, children[1])

    def nested_resource(self, children: list[Any]) -> s.Resource:
        if len(children) == 2:
            resource: s.Resource = replace(children[1], decorators=children[0])
            return resource
        return children[0]  # type: ignore[no-any-return]

    def array(self, children: list[Any]) -> s.ArrayExpr:
        return s.ArrayExpr(children[0].line, tuple(_nodes(children)))

    def for_expr(self, children: list[Any]) -> s.ForExpr:
        item, index = children[2]
        iterable, body = children[4], children[6]
        if isinstance(body, _Filter):
            return s.ForExpr(children[0].line, item, index, iterable, body.body, body.condition)
        return s.ForExpr(children[0].line, item, index, iterable, body)

    def for_vars(self, children: list[Any]) -> tuple[str, str | None]:
        names = _tokens(children, "IDENT")
        return names[0].value, (names[1].value if len(names) > 1 else None)

    def for_filter(self, children: list[Any]) -> _Filter:
        return _Filter(children[2], children[4])

    # types -----------------------------------------------------------------------------------------------------
    def type_ref(self, children: list[Any]) -> s.TypeRef:
        return s.TypeRef(children[0].line, children[0].value, tuple(_nodes(children)))

    def type_ref_namespaced(self, children: list[Any]) -> s.TypeRef:
        namespace = children[0]
        if not isinstance(namespace, s.TypeRef) or namespace.args:
            raise _fail("expected a namespace before '.'", children[1].line)
        return s.TypeRef(namespace.line, f"{namespace.name}.{children[2].value}", tuple(_nodes(children[3:])))

    def literal_type(self, children: list[Any]) -> s.LiteralType:
        first = children[0]
        value: s.Expr
        if first.type == "BANG":
            value = s.BoolLit(first.line, children[1].type != "TRUE")
        elif first.type == "MINUS":
            value = s.IntLit(first.line, -int(children[1].value))
        elif first.type == "INT":
            value = s.IntLit(first.line, int(first.value))
        elif first.type in ("TRUE", "FALSE"):
            value = s.BoolLit(first.line, first.type == "TRUE")
        elif first.type == "NULL":
            value = s.NullLit(first.line)
        else:
            value = s.StringLit(first.line, first.value)
        return s.LiteralType(first.line, value)

    def resource_type(self, children: list[Any]) -> s.ResourceTypeRef:
        return s.ResourceTypeRef(children[0].line, _string_value(children[1]))

    def nullable_type(self, children: list[Any]) -> s.NullableType:
        return s.NullableType(children[0].line, children[0])

    def non_null_type(self, children: list[Any]) -> s.TypeExpr:
        return children[0]  # type: ignore[no-any-return]  # `T!`: the shallow type model keeps T

    def array_type(self, children: list[Any]) -> s.ArrayType:
        return s.ArrayType(children[0].line, children[0])

    def type_access(self, children: list[Any]) -> s.TypeAccess:
        member = children[2] if children[1].type == "DOT" else children[2]
        return s.TypeAccess(children[0].line, children[0], str(member.value))

    def union_type(self, children: list[Any]) -> s.UnionType:
        members = tuple(_nodes(children))
        return s.UnionType(members[0].line, members)

    def object_type(self, children: list[Any]) -> s.ObjectType:
        return s.ObjectType(children[0].line, tuple(_nodes(children)))

    def object_type_property(self, children: list[Any]) -> s.ObjectTypeProperty:
        decorators: tuple[s.Decorator, ...] = ()
        if isinstance(children[0], tuple):
            decorators, children = children[0], children[1:]
        return s.ObjectTypeProperty(children[0].line, str(children[0].value), children[-1], decorators)

    def tuple_type(self, children: list[Any]) -> s.TupleType:
        return s.TupleType(children[0].line, tuple(_nodes(children)))

    def tuple_type_item(self, children: list[Any]) -> s.TypeExpr:
        return children[-1]  # type: ignore[no-any-return]


# Binary operators, loosest first; all associate to the left.
_PRECEDENCE = {
    "??": 1, "||": 2, "&&": 3, "==": 4, "!=": 4, "=~": 4, "!~": 4, "<": 5, "<=": 5, ">": 5, ">=": 5,
    "+": 6, "-": 6, "*": 7, "/": 7, "%": 7,
}  # fmt: skip


def _group_by_precedence(chain: list[Any]) -> s.Expr:
    """Turn `operand (operator operand)+` into nested `BinaryOp`s by operator precedence (shunting-yard)."""
    operands: list[s.Expr] = [chain[0]]
    operators: list[str] = []

    def reduce_top() -> None:
        right, left = operands.pop(), operands.pop()
        operands.append(s.BinaryOp(left.line, operators.pop(), left, right))

    for index in range(1, len(chain), 2):
        operator = str(chain[index].value)
        while operators and _PRECEDENCE[operators[-1]] >= _PRECEDENCE[operator]:
            reduce_top()
        operators.append(operator)
        operands.append(chain[index + 1])
    while operators:
        reduce_top()
    return operands[0]


def _line(node: Any) -> int:
    return int(node.line)


_TOKEN_NAMES = {
    "_NL": "end of line", "$END": "end of file", "IDENT": "a name", "INT": "a number", "STRING": "a string",
    "MULTILINE_STRING": "a string", "STRING_LEFT": "a string", "STRING_MIDDLE": "a string",
    "STRING_RIGHT": "a string",
}  # fmt: skip


def _describe(token: Token) -> str:
    if token.type in ("_NL", "$END"):
        return _TOKEN_NAMES[token.type]
    if token.type in ("STRING", "STRING_LEFT", "MULTILINE_STRING"):
        return "string"
    return repr(str(token.value))


def _expected(names: set[str]) -> str:
    if {"PARAM", "VAR", "RESOURCE"} <= names:
        return " (expected a declaration: param, var, resource, module, output, type, func, import, ...)"
    readable = sorted({_TOKEN_NAMES.get(name, repr(_SYMBOLS.get(name, name.lower()))) for name in names})
    if not readable or len(readable) > 6:
        return ""
    return f" (expected {', '.join(readable)})"


_SYMBOLS = {kind: symbol for symbol, kind in _PUNCT.items()} | {
    "LAMBDA_LPAR": "(",
    "TARGETSCOPE": "targetScope",
}


@cache
def _parser() -> Lark:
    grammar = files("aiwell.loaders.bicep").joinpath("bicep.lark").read_text(encoding="utf-8")
    # `cache=True` keeps the analysed grammar in a temporary file: 0.3 s to build it, 0.01 s to load it.
    return Lark(grammar, parser="lalr", lexer=_BicepLexer, transformer=_Builder(), maybe_placeholders=False, cache=True)


def parse_bicep(text: str, *, path: str | None = None) -> s.Program:
    """Parse the text of a `.bicep` or `.bicepparam` file.

    Raises `ParseError` (with `.line`) when the text is not valid Bicep, with a reason such as
    "line 12: unexpected '}'". The same text at the same path is parsed once per process (a module is read by
    every file that uses it): the syntax tree is immutable and shared.
    """
    return _parse_bicep(text, path)


PARSED_FILES_KEPT = 2048
"""Parsed files kept for the rest of the process."""


def forget_parsed_files() -> None:
    """Empty the cache of parsed files."""
    _parse_bicep.cache_clear()


@lru_cache(maxsize=PARSED_FILES_KEPT)
def _parse_bicep(text: str, path: str | None) -> s.Program:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        statements: Any = _parser().parse(text)
    except UnexpectedToken as error:
        line = error.token.line if isinstance(error.token.line, int) else _last_line(text)
        raise _fail(f"unexpected {_describe(error.token)}{_expected(set(error.expected))}", line) from None
    except UnexpectedInput as error:  # lark's other syntax errors; the lexer raises ParseError itself
        line = error.line if isinstance(error.line, int) and error.line > 0 else _last_line(text)
        raise _fail("syntax error", line) from None
    if not isinstance(statements, tuple):
        statements = ()  # an empty file: lark hands back the bare start tree
    return s.Program(path, statements)


def _last_line(text: str) -> int:
    return text.count("\n") + 1
