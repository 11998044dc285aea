"""Helpers every layer of `aiwell.eval` shares: jinja2 rendering, `${ENV}` expansion, a JSONPath subset, importing a
user's "pkg.module:function" and checking its signature, and masking secrets in URLs. Imports nothing of eval.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jinja2

from aiwell.errors import ConfigError, UserError

SECRET_NAME = re.compile(r"auth|key|token|secret|cookie|password|signature|sig\b|credential", re.IGNORECASE)
"""Names of headers and query parameters whose values are credentials (masked in logs)."""
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"

_JINJA = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
_SINGLE_EXPR = re.compile(r"^\s*\{\{(.+?)\}\}\s*$", re.DOTALL)


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render a jinja2 template; an undefined variable raises `jinja2.UndefinedError` (callers say which case)."""
    return _JINJA.from_string(template).render(**context)


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside a JSON-like structure. A string that is exactly one `{{ expr }}` evaluates to the
    expression's value (a list stays a list), so a body template can carry chat messages or numbers."""
    if isinstance(value, str):
        single = _SINGLE_EXPR.match(value)
        if single and "{{" not in single.group(1) and "{%" not in value:
            return _JINJA.compile_expression(single.group(1).strip(), undefined_to_none=False)(**context)
        return render(value, context)
    if isinstance(value, list):
        return [render_value(v, context) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, context) for k, v in value.items()}
    return value


def expand_env(text: str) -> str:
    """Replace `${NAME}` with the environment variable's value; a missing variable is a user error."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        value = os.environ.get(name)
        if value is None:
            raise UserError(f"environment variable {name} is not set", hint=f"export {name}=... before the run")
        return value

    return ENV_REF.sub(one, text)


_PATH_TOKEN = re.compile(r"""\.([A-Za-z_][\w-]*)|\[(-?\d+)\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]""")


def parse_jsonpath(path: str) -> list[str | int]:
    """Parse the JSONPath subset `$.a.b[0]['c d'][-1]` into keys and indexes; ValueError when it is not one."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    elif text and not text.startswith((".", "[")):
        text = "." + text  # "a.b" is read as "$.a.b"
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _PATH_TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r} at {text[pos:]!r} (supported: $.key, [0], ['key'])")
        name, index, quoted1, quoted2 = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else (quoted1 if quoted1 is not None else quoted2 or ""))
        pos = match.end()
    return steps


def jsonpath_get(data: Any, path: str) -> Any:
    """The value at `path` in `data`; LookupError naming the missing step when it isn't there."""
    current = data
    for step in parse_jsonpath(path):
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                raise LookupError(f"{path}: no index [{step}]")
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                raise LookupError(f"{path}: no key {step!r}")
            current = current[step]
    return current


def import_callable(ref: str, base_dir: Path | None) -> Callable[..., Any]:
    """Import "pkg.module:function", looking in `base_dir` first (the suite's folder).

    `base_dir` goes to the front of sys.path for the import only. A module of the same top-level name already
    imported from elsewhere is dropped first, so a suite's own `mypkg` wins over another suite's.
    """
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"{ref!r} is not a callable reference", hint='write it as "pkg.module:function"')
    top = module_name.split(".")[0]
    if base_dir is not None:
        base = base_dir.resolve()
        local = (base / top).is_dir() or (base / f"{top}.py").is_file()
        loaded = sys.modules.get(top)
        if local and loaded is not None and not _module_under(loaded, base):
            for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
                del sys.modules[name]
    with _path_first(base_dir):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            where = f" (looked in {base_dir} first)" if base_dir is not None else ""
            raise ConfigError(f"cannot import {module_name}{where}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"{module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ConfigError(f"{ref} is not callable")
    return obj  # type: ignore[no-any-return]


def _module_under(module: Any, base: Path) -> bool:
    locations = [getattr(module, "__file__", None), *list(getattr(module, "__path__", []) or [])]
    return any(location and Path(location).resolve().is_relative_to(base) for location in locations)


@contextlib.contextmanager
def _path_first(base_dir: Path | None) -> Iterator[None]:
    if base_dir is None:
        yield
        return
    entry = str(base_dir.resolve())
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        # Remove the entry we added (only that one), even if the import changed sys.path meanwhile.
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)




def accepted_keywords(fn: Callable[..., Any], names: tuple[str, ...]) -> tuple[str, ...]:
    """Which of `names` the callable takes as keyword arguments (all of them when it takes **kwargs)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return names
    return tuple(
        n for n in names
        if n in params and params[n].kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    )

def check_signature(fn: Callable[..., Any], *, role: str, first: str, keywords: Sequence[str]) -> None:
    """Check that `fn` can be called as `fn(<first>, **some of keywords)`; ConfigError saying how to fix it.

    The first positional parameter receives `first` (the output text, the case input); every other parameter
    without a default must be one of `keywords`, which are passed by name when the function declares them. A
    first parameter named like one of the keywords would receive two values, so it is refused too."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # builtins and C callables: nothing to inspect, the call itself will tell
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                  inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    takes_varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    usage = f"write it as def {getattr(fn, '__name__', 'fn')}({first}, *, {', '.join(keywords)}) (keywords optional)"
    if not positional and not takes_varargs:
        raise ConfigError(f"{role} takes no positional parameter for the {first}", hint=usage)
    if positional and positional[0].name in keywords and positional[0].kind is not inspect.Parameter.POSITIONAL_ONLY:
        raise ConfigError(
            f"{role}: its first parameter {positional[0].name!r} receives the {first}, but {positional[0].name!r} "
            f"is also passed by name, so every call would fail with 'multiple values for argument'",
            hint=f"rename the first parameter (e.g. {first.split()[-1]}), or {usage}")
    for param in positional[1:]:
        if param.default is inspect.Parameter.empty and param.name not in keywords:
            raise ConfigError(f"{role}: parameter {param.name!r} has no value to receive "
                              f"(it passes the {first} first, then only {', '.join(keywords)} by name)", hint=usage)
    for param in params:
        if (param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is inspect.Parameter.empty
                and param.name not in keywords):
            raise ConfigError(f"{role}: keyword parameter {param.name!r} is not one aiwell passes "
                              f"(it passes {', '.join(keywords)})", hint=usage)


def mask_url(url: str) -> str:
    """`url` with credentials masked: the password of `user:key@host` and the values of query parameters named
    like secrets (`?api-key=`, `sig=`, `token=`). `${ENV}` references are kept: they are names, not values."""
    if not url or ENV_REF.fullmatch(url.strip()):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        if colon and not ENV_REF.fullmatch(password):
            userinfo = f"{user}:{MASK}"
        elif not colon and user and not ENV_REF.fullmatch(user):
            userinfo = MASK  # a bare token as the user name (https://TOKEN@host)
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        masked = [(k, MASK if SECRET_NAME.search(k) and not ENV_REF.fullmatch(v) else v) for k, v in pairs]
        if masked != pairs:
            query = urlencode(masked, safe="*${}")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


__all__ = [
    "ENV_REF",
    "MASK",
    "SECRET_NAME",
    "accepted_keywords",
    "check_signature",
    "expand_env",
    "import_callable",
    "jsonpath_get",
    "mask_url",
    "parse_jsonpath",
    "render",
    "render_value",
]
