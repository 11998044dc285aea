"""Targets: what an eval calls. A Python callable, an OpenAI-compatible chat endpoint (Azure OpenAI included), any
HTTP JSON endpoint, or a command.

`build_target(spec, base_dir)` turns a `TargetSpec` into a `Target`; the runner calls `await target.call(case,
repeat)` and gets a `TargetOutput` or a `TargetError` (whose `retryable` and `retry_after_s` drive its retries).
`target.key()` is a stable hash of what the target is (type, model, URL, parameters; never a secret) for the cache.
Targets that own an HTTP client or a process close it in `aclose()`.

Helpers shared with the suite loader and the scorers live here too: `render` (jinja2, StrictUndefined),
`import_callable` ("pkg.module:function" imported from the suite's folder first) and a small JSONPath subset.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import importlib
import inspect
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import httpx
import jinja2
from pydantic import BaseModel, ConfigDict, Field, model_validator

from aiwell.errors import ConfigError, UserError

if TYPE_CHECKING:
    from aiwell.eval.suite import Case

TargetType = Literal["python", "openai", "http", "command"]

# Which fields each target type may set; anything else is a typo the user should hear about.
_COMMON_FIELDS = {"type", "timeout_s"}
_FIELDS_BY_TYPE: dict[str, set[str]] = {
    "python": {"function"},
    "openai": {"endpoint", "model", "deployment", "api_version", "api_key_env", "auth", "system", "params"},
    "http": {"url", "method", "headers", "body", "response_path", "usage_path"},
    "command": {"command", "env"},
}
# Generation parameters accepted at the top level of an openai target for convenience; they move into `params`.
_PARAM_SHORTCUTS = ("temperature", "max_tokens", "top_p", "seed", "stop", "presence_penalty", "frequency_penalty")
_SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie|password", re.IGNORECASE)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
_DEFAULT_AZURE_API_VERSION = "2024-10-21"


class TargetSpec(BaseModel):
    """What to call. One model for every `type`; fields that don't belong to the type are refused.

    - python: `function` ("pkg.module:function", sync or async, called with the case input; `vars`, `case` and
      `repeat` keywords are passed when the signature accepts them).
    - openai: `endpoint` (default https://api.openai.com/v1), `model`; Azure OpenAI when `deployment` is set
      (`endpoint` is the resource URL, `api_version`); `api_key_env` names the environment variable read at call
      time; `auth: entra` uses azure-identity instead of a key; `system` prompt; `params` (temperature,
      max_tokens, seed... also accepted at the top level).
    - http: `url`, `method` (POST), `headers` (`${ENV}` expanded at call time), `body` (a JSON structure whose
      strings are jinja2 templates over the case; a string that is one `{{ expr }}` keeps the value's type),
      `response_path` (JSONPath subset, e.g. `$.choices[0].text`; default the whole body), `usage_path`.
    - command: `command` (string split like a shell does, or a list), `env`; input on stdin, output from stdout.
    `timeout_s` bounds one call (the runner applies the suite's timeout as well).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: TargetType
    timeout_s: float | None = Field(default=None, gt=0)
    function: str | None = None
    endpoint: str | None = None
    model: str | None = None
    deployment: str | None = None
    api_version: str | None = None
    api_key_env: str | None = None
    auth: Literal["key", "entra", "none"] | None = None
    system: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    url: str | None = None
    method: str = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    response_path: str | None = None
    usage_path: str | None = None
    command: str | list[str] | None = None
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shortcuts(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("type") == "openai":
            moved = {k: data[k] for k in _PARAM_SHORTCUTS if k in data}
            if moved:
                rest = {k: v for k, v in data.items() if k not in moved}
                rest["params"] = {**moved, **dict(rest.get("params") or {})}
                return rest
        return data

    @model_validator(mode="after")
    def _check(self) -> TargetSpec:
        allowed = _COMMON_FIELDS | _FIELDS_BY_TYPE[self.type]
        stray = sorted(f for f in self.model_fields_set if f not in allowed)
        if stray:
            raise ValueError(
                f"{', '.join(stray)} not valid for a {self.type} target (allowed: {', '.join(sorted(allowed))})"
            )
        if self.type == "python":
            if not self.function or ":" not in self.function:
                raise ValueError('a python target needs function: "pkg.module:function"')
        elif self.type == "openai":
            if not self.model and not self.deployment:
                raise ValueError("an openai target needs model (or deployment, for Azure OpenAI)")
            if self.auth == "key" and not self.api_key_env:
                raise ValueError("auth: key needs api_key_env: the environment variable that holds the key")
            if self.deployment and not self.endpoint:
                raise ValueError("an Azure OpenAI target (deployment set) needs endpoint: https://<resource>.openai.azure.com")
        elif self.type == "http":
            if not self.url:
                raise ValueError("an http target needs url")
            if self.response_path:
                parse_jsonpath(self.response_path)
            if self.usage_path:
                parse_jsonpath(self.usage_path)
        elif self.type == "command" and not self.command:
            raise ValueError("a command target needs command")
        return self

    def redacted(self) -> dict[str, Any]:
        """The spec as JSON-ready data with literal secrets masked: safe for run logs and the cache key.

        Header values that look like credentials are replaced unless they are only `${ENV}` references (the
        reference is kept; its value is read at call time and never stored).
        """
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["type"] = self.type
        if "headers" in data:
            data["headers"] = {
                k: (v if not _SECRET_HEADER.search(k) or _ENV_REF.fullmatch(v.strip()) else "***")
                for k, v in data["headers"].items()
            }
        return data

    def target_key(self) -> str:
        """Stable hash of the target's identity and parameters (not secrets, not the timeout)."""
        identity = {k: v for k, v in self.redacted().items() if k != "timeout_s"}
        blob = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


class TargetOutput(BaseModel):
    """One answer from a target: its text, the raw response, how long it took and token usage when known."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    text: str
    raw: Any = None
    latency_s: float = 0.0
    usage: dict[str, Any] | None = None


class TargetError(Exception):
    """A call that failed. `retryable` errors (429, 5xx, timeouts, dropped connections) may be retried after
    `retry_after_s` when the server said so; `kind` names the failure for the run log."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after_s: float | None = None,
        status: int | None = None,
        kind: str = "error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.status = status
        self.kind = kind


@runtime_checkable
class Target(Protocol):
    """Something an eval can call once per (case, repeat)."""

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        """Call the target with the case's input; raise TargetError on failure."""
        ...

    def key(self) -> str:
        """Stable identity of the target and its parameters, for the cache."""
        ...


# --- shared helpers -------------------------------------------------------------------------------------------

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

    return _ENV_REF.sub(one, text)


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


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms` (Azure OpenAI), `Retry-After` seconds, or `Retry-After` HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        with contextlib.suppress(ValueError):
            return max(0.0, float(millis) / 1000.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _http_error(response: httpx.Response) -> TargetError:
    status = response.status_code
    snippet = response.text[:300].strip()
    message = f"HTTP {status} from {response.request.url.copy_with(query=None)}: {snippet}"
    if status in (429, 503):
        kind = "rate_limit" if status == 429 else "unavailable"
        return TargetError(
            message, retryable=True, retry_after_s=parse_retry_after(response.headers), status=status, kind=kind
        )
    if status >= 500:
        return TargetError(message, retryable=True, retry_after_s=parse_retry_after(response.headers), status=status,
                           kind="server_error")
    return TargetError(message, retryable=False, status=status, kind="client_error")


def _transport_error(exc: httpx.HTTPError) -> TargetError:
    if isinstance(exc, httpx.TimeoutException):
        return TargetError(f"timed out: {exc!r}", retryable=True, kind="timeout")
    return TargetError(f"connection failed: {exc!r}", retryable=True, kind="connection")


def _case_context(case: Case, repeat: int) -> dict[str, Any]:
    return {**case.vars, "vars": case.vars, "input": case.input, "id": case.id, "expected": case.expected,
            "tags": case.tags, "repeat": repeat}


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


# --- targets --------------------------------------------------------------------------------------------------


class PythonTarget:
    """Calls a Python function with the case input. Sync functions run in a worker thread so they don't stall the
    event loop (and the runner's timeout still applies)."""

    def __init__(self, spec: TargetSpec, base_dir: Path | None) -> None:
        self.spec = spec
        self.function = import_callable(spec.function or "", base_dir)
        self._is_async = inspect.iscoroutinefunction(self.function)
        self._keywords = accepted_keywords(self.function, ("vars", "case", "repeat"))

    def key(self) -> str:
        """Hash of the function reference."""
        return self.spec.target_key()

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        """Call the function; its exceptions become non-retryable TargetErrors (TargetError passes through)."""
        available = {"vars": case.vars, "case": case, "repeat": repeat}
        kwargs = {k: available[k] for k in self._keywords}
        start = time.perf_counter()
        try:
            if self._is_async:
                result = await self.function(case.input, **kwargs)
            else:
                result = await asyncio.to_thread(self.function, case.input, **kwargs)
        except TargetError:
            raise
        except Exception as exc:  # the user's function failed: one errored sample, not a crashed run
            raise TargetError(f"{self.spec.function} raised {type(exc).__name__}: {exc}", kind="exception") from exc
        latency = time.perf_counter() - start
        if isinstance(result, TargetOutput):
            return result if result.latency_s else result.model_copy(update={"latency_s": latency})
        return TargetOutput(text=_as_text(result), raw=result, latency_s=latency)

    async def aclose(self) -> None:
        """Nothing to release."""


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


class _HttpTargetBase:
    """Owns (or borrows) the one httpx.AsyncClient every HTTP call goes through."""

    def __init__(self, spec: TargetSpec, client: httpx.AsyncClient | None) -> None:
        self.spec = spec
        self._client = client
        self._owns_client = client is None

    def key(self) -> str:
        """Hash of the redacted spec."""
        return self.spec.target_key()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(self.spec.timeout_s) if self.spec.timeout_s else httpx.Timeout(None)
            self._client = httpx.AsyncClient(timeout=timeout)
        return self._client

    async def _send(self, request: httpx.Request) -> tuple[httpx.Response, float]:
        start = time.perf_counter()
        try:
            response = await self._http().send(request)
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc
        latency = time.perf_counter() - start
        if response.status_code >= 400:
            raise _http_error(response)
        return response, latency

    def _timeout(self) -> Any:
        # A borrowed client keeps its own default unless the spec sets a timeout.
        return httpx.USE_CLIENT_DEFAULT if self.spec.timeout_s is None else self.spec.timeout_s

    async def aclose(self) -> None:
        """Close the HTTP client if this target created it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None


class OpenAITarget(_HttpTargetBase):
    """OpenAI-compatible chat completions; Azure OpenAI when the spec names a deployment."""

    def __init__(self, spec: TargetSpec, client: httpx.AsyncClient | None) -> None:
        super().__init__(spec, client)
        self.azure = spec.deployment is not None
        self.auth = spec.auth or ("key" if spec.api_key_env else "none")
        self._credential: Any = None
        if self.auth == "entra":
            try:
                from azure.identity.aio import DefaultAzureCredential  # type: ignore[import-not-found]
            except ImportError as exc:
                raise UserError(
                    "auth: entra needs the azure-identity package, which is not installed",
                    hint="pip install azure-identity (or use api_key_env)",
                ) from exc
            self._credential = DefaultAzureCredential()
        if self.azure:
            base = (spec.endpoint or "").rstrip("/")
            self.url = f"{base}/openai/deployments/{spec.deployment}/chat/completions"
            self.query = {"api-version": spec.api_version or _DEFAULT_AZURE_API_VERSION}
        else:
            base = (spec.endpoint or "https://api.openai.com/v1").rstrip("/")
            self.url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
            self.query = {"api-version": spec.api_version} if spec.api_version else {}

    def messages(self, case: Case) -> list[dict[str, Any]]:
        """The chat messages for a case: a string is one user message; a list is taken as messages; a dict with
        `messages` uses those; anything else is sent as JSON text. The spec's `system` prompt goes first."""
        value = case.input
        if isinstance(value, dict) and isinstance(value.get("messages"), list):
            value = value["messages"]
        if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
            messages = [dict(m) for m in value]
        else:
            messages = [{"role": "user", "content": _as_text(value)}]
        if self.spec.system and not any(m.get("role") == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": self.spec.system})
        return messages

    async def _auth_headers(self) -> dict[str, str]:
        if self.auth == "entra":
            token = await self._credential.get_token(_AZURE_SCOPE)
            return {"Authorization": f"Bearer {token.token}"}
        if self.auth == "key":
            name = self.spec.api_key_env or ""
            key = os.environ.get(name)
            if not key:
                raise UserError(f"environment variable {name} (api_key_env) is not set",
                                hint=f"export {name}=<your key> before the run")
            return {"api-key": key} if self.azure else {"Authorization": f"Bearer {key}"}
        return {}

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        """POST the chat request; the first choice's message content is the output text."""
        payload: dict[str, Any] = {"messages": self.messages(case), **self.spec.params}
        if not self.azure:
            payload["model"] = self.spec.model
        elif self.spec.model:
            payload.setdefault("model", self.spec.model)
        request = self._http().build_request(
            "POST", self.url, params=self.query, json=payload, headers=await self._auth_headers(),
            timeout=self._timeout(),
        )
        response, latency = await self._send(request)
        try:
            body = response.json()
            message = body["choices"][0]["message"]
        except (ValueError, LookupError, TypeError) as exc:
            raise TargetError(f"not a chat completion response: {response.text[:200]!r}", status=response.status_code,
                              kind="bad_response") from exc
        content = message.get("content") if isinstance(message, dict) else None
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
        return TargetOutput(text=content if isinstance(content, str) else "", raw=body, latency_s=latency, usage=usage)

    async def aclose(self) -> None:
        """Close the client (if owned) and the Entra ID credential."""
        await super().aclose()
        if self._credential is not None:
            await self._credential.close()
            self._credential = None


class HttpTarget(_HttpTargetBase):
    """Any JSON endpoint: request from templates over the case, output picked from the response by JSONPath."""

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        """Send the rendered request; the value at `response_path` (or the whole body) is the output."""
        context = _case_context(case, repeat)
        headers = {k: expand_env(v) for k, v in self.spec.headers.items()}
        try:
            body = render_value(self.spec.body, context) if self.spec.body is not None else None
        except jinja2.TemplateError as exc:
            raise UserError(f"case {case.id}: http target body template: {exc}") from exc
        content: dict[str, Any] = {}
        if isinstance(body, str):
            content["content"] = body.encode()
        elif body is not None:
            content["json"] = body
        request = self._http().build_request(
            self.spec.method.upper(), expand_env(self.spec.url or ""), headers=headers, timeout=self._timeout(),
            **content,
        )
        response, latency = await self._send(request)
        if self.spec.response_path is None and self.spec.usage_path is None:
            return TargetOutput(text=response.text, raw=response.text, latency_s=latency)
        try:
            data = response.json()
        except ValueError as exc:
            raise TargetError(f"response is not JSON: {response.text[:200]!r}", status=response.status_code,
                              kind="bad_response") from exc
        text = response.text
        if self.spec.response_path is not None:
            try:
                text = _as_text(jsonpath_get(data, self.spec.response_path))
            except LookupError as exc:
                raise TargetError(f"response has no {self.spec.response_path}: {exc}", status=response.status_code,
                                  kind="bad_response") from exc
        usage = None
        if self.spec.usage_path is not None:
            with contextlib.suppress(LookupError):
                found = jsonpath_get(data, self.spec.usage_path)
                usage = found if isinstance(found, dict) else None
        return TargetOutput(text=text, raw=data, latency_s=latency, usage=usage)


class CommandTarget:
    """Runs a command per sample: the input on stdin (JSON when it isn't text), the output from stdout.

    A non-zero exit is a TargetError (not retryable); a timeout kills the process (retryable)."""

    def __init__(self, spec: TargetSpec, base_dir: Path | None) -> None:
        self.spec = spec
        self.argv = shlex.split(spec.command) if isinstance(spec.command, str) else list(spec.command or [])
        self.cwd = base_dir

    def key(self) -> str:
        """Hash of the command line and its environment additions."""
        return self.spec.target_key()

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        """Run the command once; cancellation (the runner's timeout) kills the process too."""
        env = {**os.environ, **{k: expand_env(v) for k, v in self.spec.env.items()},
               "AIWELL_CASE_ID": case.id, "AIWELL_REPEAT": str(repeat)}
        start = time.perf_counter()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=self.cwd, env=env,
            )
        except OSError as exc:
            raise TargetError(f"cannot run {self.argv[0]!r}: {exc}", kind="process") from exc
        try:
            stdout, stderr = await asyncio.wait_for(
                proc.communicate(_as_text(case.input).encode()), timeout=self.spec.timeout_s
            )
        except TimeoutError as exc:
            await _kill(proc)
            message = f"command timed out after {self.spec.timeout_s}s"
            raise TargetError(message, retryable=True, kind="timeout") from exc
        except asyncio.CancelledError:
            await _kill(proc)
            raise
        latency = time.perf_counter() - start
        if proc.returncode != 0:
            tail = stderr.decode(errors="replace").strip()[-300:]
            raise TargetError(f"command exited with {proc.returncode}: {tail}", kind="process")
        text = stdout.decode(errors="replace")
        return TargetOutput(text=text.removesuffix("\n"), raw=None, latency_s=latency)

    async def aclose(self) -> None:
        """Nothing to release (each call's process is reaped)."""


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def build_target(spec: TargetSpec, base_dir: Path | None = None, *, client: httpx.AsyncClient | None = None) -> Target:
    """Make the Target for `spec`. `base_dir` (the suite's folder) is where python targets are imported from first
    and where commands run. HTTP targets use `client` when given (tests pass one with `httpx.MockTransport`; the
    caller then closes it), else their own client, closed by `aclose()`."""
    if spec.type == "python":
        return PythonTarget(spec, base_dir)
    if spec.type == "openai":
        return OpenAITarget(spec, client)
    if spec.type == "http":
        return HttpTarget(spec, client)
    return CommandTarget(spec, base_dir)


async def aclose_target(target: Target) -> None:
    """Release what a target holds (its HTTP client, a credential); a no-op for targets without `aclose`."""
    closer: Callable[[], Awaitable[None]] | None = getattr(target, "aclose", None)
    if closer is not None:
        await closer()


__all__ = [
    "CommandTarget",
    "HttpTarget",
    "OpenAITarget",
    "PythonTarget",
    "Target",
    "TargetError",
    "TargetOutput",
    "TargetSpec",
    "accepted_keywords",
    "aclose_target",
    "build_target",
    "expand_env",
    "import_callable",
    "jsonpath_get",
    "parse_jsonpath",
    "parse_retry_after",
    "render",
    "render_value",
]
