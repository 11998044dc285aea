"""A stub chat model for demos and tests: an OpenAI-compatible HTTP server on 127.0.0.1, no dependencies.

It answers `POST /v1/chat/completions` (also `/chat/completions`) and the Azure OpenAI path
`POST /openai/deployments/{deployment}/chat/completions?api-version=...` with a proper `chat.completion` body,
`usage` included. What it answers is set by a `StubConfig` (YAML/JSON via `load_stub_config`):

    seed: 7
    latency_s: [0.01, 0.05]        # fixed seconds, or a uniform [low, high] range
    rate_429: 0.05                 # share of requests refused with 429 and Retry-After
    rate_500: 0.01                 # share of requests failing with 500
    retry_after_s: 0.5
    default_pass_probability: 1.0  # for messages no case matches: echo the message, or default_fail_answer
    cases:
      - match: "2 + 2"             # substring of the last user message (or regex: "...")
        pass_probability: 0.9
        pass_answer: "4"
        fail_answer: "5"
        rate_500: 1.0              # this case's own error rates (rate_429 too); default the config's

Randomness is reproducible: the k-th successful answer to a given message is decided by (seed, message, k) alone,
and the k-th request's 429/500 roll by (seed, message, k), so per-case pass counts don't depend on concurrency or on
how many requests were refused along the way.

`start_stub(config)` runs it in a background thread for tests (`with start_stub(cfg) as base_url: ...`);
`serve_forever(config)` runs it in the foreground (`aiwell eval stub`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from msgspec import Struct, field
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aiwell.errors import ConfigError

_AZURE_PATH = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")
_OPENAI_PATHS = ("/v1/chat/completions", "/chat/completions")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 411: "Length Required",
            429: "Too Many Requests", 500: "Internal Server Error"}
_MAX_BODY = 16 * 1024 * 1024


class StubCase(BaseModel):
    """Messages this case matches (a substring `match` or a `regex` of the last user message), how often the stub
    answers correctly, and the two answers."""

    model_config = ConfigDict(extra="forbid")

    match: str | None = None
    regex: str | None = None
    pass_probability: float = Field(default=1.0, ge=0.0, le=1.0)
    pass_answer: str
    fail_answer: str = "I don't know."
    rate_429: float | None = Field(default=None, ge=0.0, le=1.0, description="None: the config's rate_429")
    rate_500: float | None = Field(default=None, ge=0.0, le=1.0, description="None: the config's rate_500")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regex {value!r}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_matcher(self) -> StubCase:
        if (self.match is None) == (self.regex is None):
            raise ValueError("a stub case needs exactly one of match (substring) or regex")
        if (self.rate_429 or 0.0) + (self.rate_500 or 0.0) > 1.0:
            raise ValueError("rate_429 + rate_500 must not exceed 1")
        return self

    @property
    def label(self) -> str:
        """How the case is named in the stub's statistics."""
        return self.match if self.match is not None else f"/{self.regex}/"

    def matches(self, message: str) -> bool:
        """Whether this case applies to the last user message."""
        if self.match is not None:
            return self.match in message
        return re.search(self.regex or "", message) is not None


class StubConfig(BaseModel):
    """How the stub behaves; every field has a default, so `StubConfig()` is an always-correct echo model."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    model: str = "aiwell-stub"
    cases: list[StubCase] = Field(default_factory=list)
    default_pass_probability: float = Field(default=1.0, ge=0.0, le=1.0)
    default_pass_answer: str | None = Field(default=None, description="None: echo the last user message")
    default_fail_answer: str = "I don't know."
    latency_s: float | tuple[float, float] = 0.0
    rate_429: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_500: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after_s: float = Field(default=1.0, ge=0.0)

    @field_validator("latency_s")
    @classmethod
    def _latency(cls, value: float | tuple[float, float]) -> float | tuple[float, float]:
        low, high = (value, value) if isinstance(value, int | float) else value
        if low < 0 or high < low:
            raise ValueError("latency_s is seconds >= 0, or a range [low, high] with low <= high")
        return value

    @model_validator(mode="after")
    def _rates(self) -> StubConfig:
        if self.rate_429 + self.rate_500 > 1.0:
            raise ValueError("rate_429 + rate_500 must not exceed 1")
        return self


def load_stub_config(path: Path) -> StubConfig:
    """Read a stub configuration from YAML or JSON; a ConfigError names the file and the bad field."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read stub config {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML or JSON: {exc}") from exc
    try:
        return StubConfig.model_validate(data or {})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "config"
        raise ConfigError(f"{path}: {where}: {error['msg'].removeprefix('Value error, ')}") from exc


class CaseCounts(Struct):
    """What the stub answered for one stub case (or for unmatched messages)."""

    passed: int = 0
    failed: int = 0


class StubStats(Struct):
    """Counters since the server started, for tests and the terminal."""

    requests: int = 0
    completions: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    bad_requests: int = 0
    by_case: dict[str | None, CaseCounts] = field(default_factory=dict)


def _uniform(seed: int, *parts: object) -> float:
    """A reproducible number in [0, 1) from the seed and the parts (stable across processes, unlike hash())."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _estimate_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


def _content_text(content: Any) -> str:
    """A message's text: a string, or the text parts of a multi-part content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


class StubModel:
    """The stub's behaviour, apart from HTTP: decides each response from the config and counts what it did."""

    def __init__(self, config: StubConfig) -> None:
        self.config = config
        self.stats = StubStats()
        self._requests: dict[str, int] = {}
        self._answers: dict[str, int] = {}
        self._ids = 0

    def respond(self, path: str, query: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str], float]:
        """(status, JSON body, extra headers, seconds to wait before answering) for one chat request."""
        self.stats.requests += 1
        deployment = None
        azure = _AZURE_PATH.match(path)
        if azure is not None:
            deployment = azure.group(1)
            if "api-version" not in parse_qs(query):
                return self._bad(400, "Missing required query parameter: api-version")
        try:
            payload = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._bad(400, "request body is not valid JSON")
        messages = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(messages, list) or not messages:
            return self._bad(400, "'messages' must be a non-empty list")
        user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        message = _content_text(user[-1].get("content")) if user else ""
        config = self.config
        delay = self._latency(message)

        attempt = self._requests.get(message, 0)
        self._requests[message] = attempt + 1
        case = next((c for c in config.cases if c.matches(message)), None)
        rate_429 = case.rate_429 if case is not None and case.rate_429 is not None else config.rate_429
        rate_500 = case.rate_500 if case is not None and case.rate_500 is not None else config.rate_500
        roll = _uniform(config.seed, "error", message, attempt)
        if roll < rate_429:
            self.stats.rate_limited += 1
            headers = {"Retry-After": str(math.ceil(config.retry_after_s)),
                       "retry-after-ms": str(round(config.retry_after_s * 1000))}
            error = {"error": {"code": "429", "message": "Rate limit exceeded (stub). Retry after the delay."}}
            return 429, error, headers, delay
        if roll < rate_429 + rate_500:
            self.stats.server_errors += 1
            return 500, {"error": {"code": "500", "message": "Internal server error (stub)."}}, {}, delay

        if case is not None:
            probability, good, bad = case.pass_probability, case.pass_answer, case.fail_answer
        else:
            probability = config.default_pass_probability
            good = config.default_pass_answer if config.default_pass_answer is not None else message
            bad = config.default_fail_answer
        answered = self._answers.get(message, 0)
        self._answers[message] = answered + 1
        passing = _uniform(config.seed, "pass", message, answered) < probability
        counts = self.stats.by_case.setdefault(case.label if case is not None else None, CaseCounts())
        if passing:
            counts.passed += 1
        else:
            counts.failed += 1
        self.stats.completions += 1
        return 200, self._completion(payload, messages, good if passing else bad, deployment), {}, delay

    def _latency(self, message: str) -> float:
        value = self.config.latency_s
        if isinstance(value, int | float):
            return float(value)
        low, high = value
        count = self._requests.get(message, 0)
        return low + (high - low) * _uniform(self.config.seed, "latency", message, count)

    def _bad(self, status: int, message: str) -> tuple[int, dict[str, Any], dict[str, str], float]:
        self.stats.bad_requests += 1
        return status, {"error": {"code": str(status), "message": message}}, {}, 0.0

    def _completion(self, payload: dict[str, Any], messages: list[Any], answer: str,
                    deployment: str | None) -> dict[str, Any]:
        self._ids += 1
        prompt_tokens = sum(_estimate_tokens(_content_text(m.get("content"))) for m in messages if isinstance(m, dict))
        completion_tokens = _estimate_tokens(answer)
        return {
            "id": f"chatcmpl-stub-{self._ids}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(payload.get("model") or deployment or self.config.model),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
            "system_fingerprint": "aiwell-stub",
        }


class _HttpServer:
    """Minimal HTTP/1.1 (Content-Length bodies, keep-alive) in front of a StubModel, on one asyncio loop."""

    def __init__(self, model: StubModel) -> None:
        self.model = model
        self._open: dict[asyncio.StreamWriter, asyncio.Task[Any]] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._open[writer] = task
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away mid-request; nothing to answer
        finally:
            self._open.pop(writer, None)
            writer.close()

    async def shutdown(self) -> None:
        """Close idle keep-alive connections and let their handlers finish (rather than be cancelled)."""
        handlers = list(self._open.values())
        for writer in list(self._open):
            writer.close()
        if handlers:
            await asyncio.wait(handlers, timeout=5)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection should close."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3:
            await self._send(writer, 400, {"error": {"message": "bad request line"}}, {}, keep_alive=False)
            return False
        method, target, version = parts
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await self._send(writer, 411, {"error": {"message": "send a Content-Length body"}}, {}, keep_alive=False)
            return False
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            await self._send(writer, 400, {"error": {"message": "bad Content-Length"}}, {}, keep_alive=False)
            return False
        body = await reader.readexactly(length) if length else b""
        url = urlsplit(target)
        status, payload, extra, delay = self._route(method, url.path, url.query, body)
        if delay > 0:
            await asyncio.sleep(delay)
        await self._send(writer, status, payload, extra, keep_alive=keep_alive)
        return keep_alive

    def _route(self, method: str, path: str, query: str,
               body: bytes) -> tuple[int, dict[str, Any], dict[str, str], float]:
        if path in _OPENAI_PATHS or _AZURE_PATH.match(path):
            if method != "POST":
                return 405, {"error": {"message": f"{method} not allowed; POST a chat request"}}, {"Allow": "POST"}, 0
            return self.model.respond(path, query, body)
        if method == "GET" and path == "/health":
            return 200, {"status": "ok"}, {}, 0
        if method == "GET" and path in ("/v1/models", "/models"):
            model = {"id": self.model.config.model, "object": "model", "owned_by": "aiwell"}
            return 200, {"object": "list", "data": [model]}, {}, 0
        return 404, {"error": {"message": f"no route {method} {path}"}}, {}, 0

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any], extra: dict[str, str], *,
                    keep_alive: bool) -> None:
        data = json.dumps(payload).encode()
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "Content-Type: application/json",
                f"Content-Length: {len(data)}", f"Connection: {'keep-alive' if keep_alive else 'close'}"]
        head += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        await writer.drain()


async def serve(config: StubConfig, *, host: str = "127.0.0.1", port: int = 0,
                on_ready: Callable[[str], None] | None = None,
                stop: asyncio.Event | None = None, model: StubModel | None = None) -> None:
    """Serve until `stop` is set (or forever); `on_ready(base_url)` is called once the port is bound."""
    http = _HttpServer(model or StubModel(config))
    server = await asyncio.start_server(http.handle, host, port)
    bound = server.sockets[0].getsockname()
    if on_ready is not None:
        on_ready(f"http://{bound[0]}:{bound[1]}")
    try:
        async with server:
            if stop is None:
                await server.serve_forever()
            else:
                await stop.wait()
    finally:
        await http.shutdown()


def serve_forever(config: StubConfig, *, host: str = "127.0.0.1", port: int = 0,
                  on_ready: Callable[[str], None] | None = None) -> None:
    """Run the stub in the foreground until Ctrl-C (the `aiwell eval stub` command)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, host=host, port=port, on_ready=on_ready))


class StubServer:
    """The stub on its own thread and event loop, so synchronous or asyncio tests can call it.

    `with StubServer(config) as server:` then `server.url` (the base URL; OpenAI clients use `server.url + "/v1"`)
    and `server.stats`."""

    def __init__(self, config: StubConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.model = StubModel(config or StubConfig())
        self.host = host
        self.port = port
        self.url = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def stats(self) -> StubStats:
        """What the stub has answered so far."""
        return self.model.stats

    def start(self) -> str:
        """Start serving; returns the base URL once the port is bound."""
        self._thread = threading.Thread(target=self._run, name="aiwell-eval-stub", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure
        return self.url

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(url: str) -> None:
                self.url = url
                self._ready.set()

            await serve(self.model.config, host=self.host, port=self.port, on_ready=ready, stop=self._stop,
                        model=self.model)

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread, which re-raises it
            self._failure = exc
            self._ready.set()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> StubServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@contextlib.contextmanager
def start_stub(config: StubConfig | None = None, *, port: int = 0) -> Iterator[str]:
    """Run the stub on 127.0.0.1 in a background thread for the `with` block; yields its base URL."""
    with StubServer(config, port=port) as server:
        yield server.url


__all__ = [
    "CaseCounts",
    "StubCase",
    "StubConfig",
    "StubModel",
    "StubServer",
    "StubStats",
    "load_stub_config",
    "serve",
    "serve_forever",
    "start_stub",
]
