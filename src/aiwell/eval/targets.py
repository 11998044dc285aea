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
import inspect
import json
import os
import shlex
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jinja2

from aiwell.errors import UserError
from aiwell.eval._common import (
    accepted_keywords,
    check_signature,
    expand_env,
    import_callable,
    jsonpath_get,
    mask_url,
    parse_jsonpath,
    render,
    render_value,
)
from aiwell.eval.specs import Case, Target, TargetError, TargetOutput, TargetSpec, ToolCall

_AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
_DEFAULT_AZURE_API_VERSION = "2024-10-21"
PYTHON_TARGET_KEYWORDS = ("vars", "case", "repeat")
"""What a python target `fn(input, *, vars, case, repeat)` may take by name."""


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
    message = f"HTTP {status} from {mask_url(str(response.request.url.copy_with(query=None)))}: {snippet}"
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
    # The aiohttp transport reports every aiohttp connection error (refused, reset) as httpx.ConnectTimeout; the
    # OSError it came from says it was no timeout.
    cause = exc.__cause__
    refused = isinstance(cause, OSError) and not isinstance(cause, TimeoutError)
    if isinstance(exc, httpx.TimeoutException) and not refused:
        return TargetError(f"timed out: {exc!r}", retryable=True, kind="timeout")
    return TargetError(f"connection failed: {exc!r}", retryable=True, kind="connection")


def _case_context(case: Case, repeat: int) -> dict[str, Any]:
    return {**case.vars, "vars": case.vars, "input": case.input, "id": case.id, "expected": case.expected,
            "tags": case.tags, "repeat": repeat}


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _sources(data: Any, path: str | None) -> list[Any] | None:
    """The retrieved sources at `path` in a response (a list; one value becomes a list of one), None without a
    path; a path the response lacks is a bad response (the retrieval assertions could not be checked)."""
    if path is None:
        return None
    try:
        found = jsonpath_get(data, path)
    except LookupError as exc:
        raise TargetError(f"response has no sources at {path}: {exc}", kind="bad_response") from exc
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _tool_calls(message: dict[str, Any]) -> list[ToolCall]:
    """The tool calls of an OpenAI chat message (`tool_calls`, or the older single `function_call`)."""
    raw = message.get("tool_calls")
    if not isinstance(raw, list):
        legacy = message.get("function_call")
        raw = [{"function": legacy}] if isinstance(legacy, dict) else []
    calls = []
    for item in raw:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            continue
        text = function.get("arguments")
        arguments: Any = text
        if isinstance(text, str):
            try:
                arguments = json.loads(text) if text.strip() else {}
            except ValueError:
                arguments = None
        calls.append(ToolCall(name=function["name"], arguments=arguments,
                              arguments_text=text if isinstance(text, str) else json.dumps(text),
                              id=item.get("id") if isinstance(item.get("id"), str) else None))
    return calls


# --- targets --------------------------------------------------------------------------------------------------


class PythonTarget:
    """Calls a Python function with the case input. Sync functions run in a worker thread so they don't stall the
    event loop (and the runner's timeout still applies)."""

    def __init__(self, spec: TargetSpec, base_dir: Path | None) -> None:
        self.spec = spec
        self.function = import_callable(spec.function or "", base_dir)
        check_signature(self.function, role=f"python target {spec.function}", first="case input",
                        keywords=PYTHON_TARGET_KEYWORDS)
        self._is_async = inspect.iscoroutinefunction(self.function)
        self._keywords = accepted_keywords(self.function, PYTHON_TARGET_KEYWORDS)

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
        sources = _sources(result, self.spec.sources_path)
        text = result
        if sources is not None and isinstance(result, dict) and "text" in result:
            text = result["text"]  # {"text": answer, "sources": [...]}: the answer is the output
        return TargetOutput(text=_as_text(text), raw=result, latency_s=latency, sources=sources)

    async def aclose(self) -> None:
        """Nothing to release."""


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
        # Parsed once: httpx parses a string URL and merges its parameters again on every request (a third of the
        # client's cost per request at a fast endpoint).
        self._endpoint = httpx.URL(self.url, params=self.query)

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
            "POST", self._endpoint, json=payload, headers=await self._auth_headers(), timeout=self._timeout(),
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
        model = body.get("model") if isinstance(body.get("model"), str) else None
        return TargetOutput(text=content if isinstance(content, str) else "", raw=body, latency_s=latency, usage=usage,
                            model=model or self.spec.model or self.spec.deployment,
                            tool_calls=_tool_calls(message) if isinstance(message, dict) else [],
                            sources=_sources(body, self.spec.sources_path))

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
        if self.spec.response_path is None and self.spec.usage_path is None and self.spec.sources_path is None:
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
        return TargetOutput(text=text, raw=data, latency_s=latency, usage=usage,
                            sources=_sources(data, self.spec.sources_path))


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
            async with asyncio.timeout(self.spec.timeout_s):  # not wait_for: see runner._call
                stdout, stderr = await proc.communicate(_as_text(case.input).encode())
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
    "PYTHON_TARGET_KEYWORDS",
    "CommandTarget",
    "HttpTarget",
    "OpenAITarget",
    "PythonTarget",
    "Target",
    "TargetError",
    "TargetOutput",
    "TargetSpec",
    "ToolCall",
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
