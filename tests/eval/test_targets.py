"""Targets: specs, keys, python/openai/http/command calls, HTTP error mapping, JSONPath and Retry-After."""

from __future__ import annotations

import asyncio
import email.utils
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from aiwell.errors import ConfigError, UserError
from aiwell.eval.suite import Case
from aiwell.eval.targets import (
    Target,
    TargetError,
    TargetOutput,
    TargetSpec,
    aclose_target,
    build_target,
    import_callable,
    jsonpath_get,
    parse_jsonpath,
    parse_retry_after,
    render_value,
)

SUITES = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "suites"
FULL = SUITES / "full"


def _case(input: Any = "hello", **extra: Any) -> Case:
    return Case.model_validate({"id": "c1", "input": input, "assert": [{"type": "is-json"}], **extra})


def _run(target: Target, case: Case | None = None, repeat: int = 0) -> TargetOutput:
    async def go() -> TargetOutput:
        try:
            return await target.call(case or _case(), repeat)
        finally:
            await aclose_target(target)

    return asyncio.run(go())


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def _with_client(spec: TargetSpec, handler: Callable[[httpx.Request], httpx.Response],
                 case: Case | None = None) -> TargetOutput:
    async def go() -> TargetOutput:
        async with _mock(handler) as client:
            return await build_target(spec, None, client=client).call(case or _case(), 0)

    return asyncio.run(go())


def _error(spec: TargetSpec, handler: Callable[[httpx.Request], httpx.Response]) -> TargetError:
    with pytest.raises(TargetError) as info:
        _with_client(spec, handler)
    return info.value


def _chat(content: str = "hi there") -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant",
            "content": content}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 5, "completion_tokens": 2,
            "total_tokens": 7}}


# --- specs and keys --------------------------------------------------------------------------------------------


def test_spec_refuses_fields_of_another_type() -> None:
    with pytest.raises(ValidationError, match="url not valid for a python target"):
        TargetSpec.model_validate({"type": "python", "function": "m:f", "url": "http://x"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "python", "function": "nocolon"}, "pkg.module:function"),
        ({"type": "openai"}, "needs model"),
        ({"type": "openai", "deployment": "gpt"}, "needs endpoint"),
        ({"type": "openai", "model": "m", "auth": "key"}, "needs api_key_env"),
        ({"type": "http"}, "needs url"),
        ({"type": "http", "url": "http://x", "response_path": "$.a..b"}, "unsupported JSONPath"),
        ({"type": "command"}, "needs command"),
        ({"type": "grpc"}, "type"),
    ],
)
def test_spec_requires_what_each_type_needs(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TargetSpec.model_validate(data)


def test_openai_parameters_may_be_written_at_the_top_level() -> None:
    spec = TargetSpec.model_validate({"type": "openai", "model": "m", "temperature": 0.2, "seed": 7,
                                      "params": {"max_tokens": 10}})
    assert spec.params == {"temperature": 0.2, "seed": 7, "max_tokens": 10}


def test_key_is_stable_and_tracks_identity_and_parameters_not_timeout() -> None:
    base = {"type": "openai", "model": "gpt-4o", "endpoint": "http://h/v1", "temperature": 0.0}
    key = TargetSpec.model_validate(base).target_key()
    assert key == TargetSpec.model_validate(dict(base)).target_key()
    assert len(key) == 32 and int(key, 16) >= 0
    assert TargetSpec.model_validate({**base, "timeout_s": 9}).target_key() == key
    assert TargetSpec.model_validate({**base, "temperature": 0.7}).target_key() != key
    assert TargetSpec.model_validate({**base, "model": "gpt-4o-mini"}).target_key() != key
    assert build_target(TargetSpec.model_validate(base)).key() == key


def test_literal_secrets_are_masked_and_do_not_change_the_key() -> None:
    one = TargetSpec.model_validate({"type": "http", "url": "http://h", "headers": {
        "Authorization": "Bearer sk-123", "X-Api-Key": "${MY_KEY}", "Accept": "application/json"}})
    two = TargetSpec.model_validate({"type": "http", "url": "http://h", "headers": {
        "Authorization": "Bearer sk-456", "X-Api-Key": "${MY_KEY}", "Accept": "application/json"}})
    shown = one.redacted()
    assert shown["headers"] == {"Authorization": "***", "X-Api-Key": "${MY_KEY}", "Accept": "application/json"}
    assert "sk-123" not in json.dumps(shown)
    assert one.target_key() == two.target_key()


# --- helpers ---------------------------------------------------------------------------------------------------


def test_jsonpath_subset() -> None:
    data = {"a": {"b": [{"c": 1}, {"c": 2}]}, "odd key": [10, 20, 30]}
    assert parse_jsonpath("$.a.b[0].c") == ["a", "b", 0, "c"]
    assert jsonpath_get(data, "$.a.b[0].c") == 1
    assert jsonpath_get(data, "$.a.b[-1].c") == 2
    assert jsonpath_get(data, "$['odd key'][1]") == 20
    assert jsonpath_get(data, 'a.b[1]["c"]') == 2
    assert jsonpath_get(data, "$") == data
    with pytest.raises(LookupError, match="no index"):
        jsonpath_get(data, "$.a.b[5]")
    with pytest.raises(LookupError, match="no key 'x'"):
        jsonpath_get(data, "$.a.x")
    with pytest.raises(ValueError, match="unsupported JSONPath"):
        parse_jsonpath("$.a[*]")


def test_retry_after_seconds_http_date_and_azure_milliseconds() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "7"})) == 7.0
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "1500", "Retry-After": "9"})) == 1.5
    future = email.utils.formatdate(time.time() + 120, usegmt=True)
    waited = parse_retry_after(httpx.Headers({"Retry-After": future}))
    assert waited is not None and 100 < waited <= 121
    past = email.utils.formatdate(time.time() - 120, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": past})) == 0.0
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    assert parse_retry_after(httpx.Headers({})) is None


def test_render_value_keeps_the_type_of_a_single_expression() -> None:
    context = {"input": [{"role": "user", "content": "hi"}], "n": 3, "name": "x"}
    body = {"messages": "{{ input }}", "n": "{{ n }}", "label": "case {{ name }}", "fixed": True}
    assert render_value(body, context) == {"messages": context["input"], "n": 3, "label": "case x", "fixed": True}


# --- python targets --------------------------------------------------------------------------------------------


def test_python_target_sync_and_async_with_keywords() -> None:
    spec = TargetSpec(type="python", function="helpers.fns:capital")
    target = build_target(spec, FULL)
    assert isinstance(target, Target)
    out = _run(target, _case("Q?", vars={"country": "Peru"}), repeat=2)
    assert out.text == "The capital of Peru is Lima."
    assert out.latency_s >= 0
    echo = build_target(TargetSpec(type="python", function="helpers.fns:echo"), FULL)
    out = _run(echo, _case({"q": 1}))
    assert json.loads(out.text) == {"q": 1} and out.raw == {"q": 1}


def test_python_target_exception_is_a_non_retryable_target_error() -> None:
    target = build_target(TargetSpec(type="python", function="helpers.fns:boom"), FULL)
    with pytest.raises(TargetError, match="bot crashed") as info:
        _run(target)
    assert not info.value.retryable and info.value.kind == "exception"


def test_import_from_base_dir_restores_sys_path() -> None:
    before = list(sys.path)
    fn = import_callable("helpers.fns:echo", FULL)
    assert fn("x") == "x"
    assert sys.path == before


def test_suite_folder_wins_over_a_same_named_package_imported_elsewhere() -> None:
    first = import_callable("mypkg.bot:answer", SUITES / "smallest")
    assert first("What is 2 + 2?") == "2 + 2 = 4"
    second = import_callable("mypkg.bot:answer", SUITES / "shadow")
    assert second("What is 2 + 2?") == "shadow"


@pytest.mark.parametrize(("ref", "message"), [("nowhere.mod:f", "cannot import nowhere.mod"),
                                              ("helpers.fns:missing", "no attribute 'missing'"),
                                              ("helpers:fns", "not callable")])
def test_bad_references_are_config_errors(ref: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        import_callable(ref, FULL)


# --- openai ----------------------------------------------------------------------------------------------------


def test_openai_request_reads_the_key_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_chat("4"))

    spec = TargetSpec.model_validate({"type": "openai", "endpoint": "http://llm.local/v1", "model": "gpt-x",
                                      "api_key_env": "TEST_OPENAI_KEY", "system": "Be brief.", "temperature": 0})
    monkeypatch.setenv("TEST_OPENAI_KEY", "sk-test")
    out = _with_client(spec, handler, _case("What is 2 + 2?"))
    assert out.text == "4" and out.usage == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    request = seen[0]
    assert str(request.url) == "http://llm.local/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    body = json.loads(request.content)
    assert body == {"model": "gpt-x", "temperature": 0, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2 + 2?"}]}
    assert "sk-test" not in json.dumps(spec.redacted())


def test_azure_openai_deployment_path_api_version_and_api_key_header(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_chat())

    monkeypatch.setenv("AZ_KEY", "az-secret")
    spec = TargetSpec.model_validate({"type": "openai", "endpoint": "https://res.openai.azure.com/",
                                      "deployment": "gpt4o", "api_version": "2024-06-01", "api_key_env": "AZ_KEY"})
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    _with_client(spec, handler, _case(messages))
    request = seen[0]
    assert request.url.path == "/openai/deployments/gpt4o/chat/completions"
    assert request.url.params["api-version"] == "2024-06-01"
    assert request.headers["api-key"] == "az-secret" and "authorization" not in request.headers
    assert json.loads(request.content) == {"messages": messages}


def test_missing_key_variable_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_KEY", raising=False)
    spec = TargetSpec.model_validate({"type": "openai", "model": "m", "api_key_env": "NOPE_KEY"})
    with pytest.raises(UserError, match="NOPE_KEY"):
        _with_client(spec, lambda r: httpx.Response(200, json=_chat()))


def test_entra_without_azure_identity_is_a_clear_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity.aio", None)
    spec = TargetSpec.model_validate({"type": "openai", "endpoint": "https://r.openai.azure.com",
                                      "deployment": "d", "auth": "entra"})
    with pytest.raises(UserError, match="azure-identity") as info:
        build_target(spec)
    assert info.value.hint is not None and "pip install azure-identity" in info.value.hint


SPEC = TargetSpec.model_validate({"type": "openai", "endpoint": "http://llm.local/v1", "model": "m"})


@pytest.mark.parametrize(
    ("status", "headers", "retryable", "retry_after", "kind"),
    [
        (429, {"Retry-After": "3"}, True, 3.0, "rate_limit"),
        (503, {"Retry-After": "1"}, True, 1.0, "unavailable"),
        (429, {"retry-after-ms": "250"}, True, 0.25, "rate_limit"),
        (500, {}, True, None, "server_error"),
        (400, {}, False, None, "client_error"),
        (401, {}, False, None, "client_error"),
    ],
)
def test_http_status_mapping(status: int, headers: dict[str, str], retryable: bool, retry_after: float | None,
                             kind: str) -> None:
    error = _error(SPEC, lambda r: httpx.Response(status, headers=headers, json={"error": {"message": "no"}}))
    assert (error.status, error.retryable, error.retry_after_s, error.kind) == (status, retryable, retry_after, kind)


def test_timeouts_and_dropped_connections_are_retryable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    timeout = _error(SPEC, slow)
    assert timeout.retryable and timeout.kind == "timeout"
    dropped = _error(SPEC, refused)
    assert dropped.retryable and dropped.kind == "connection"


def test_a_200_that_is_not_a_chat_completion_is_a_bad_response() -> None:
    error = _error(SPEC, lambda r: httpx.Response(200, text="<html>proxy</html>"))
    assert error.kind == "bad_response" and not error.retryable


def test_an_owned_client_is_created_and_closed() -> None:
    # No client injected: the target builds its own; the request fails to connect (nothing listens on port 9) and
    # is reported as a retryable connection error; aclose releases the client.
    spec = TargetSpec.model_validate({"type": "openai", "endpoint": "http://127.0.0.1:9/v1", "model": "m",
                                      "timeout_s": 2})
    target = build_target(spec)
    with pytest.raises(TargetError) as info:
        _run(target)
    assert info.value.retryable


# --- http ------------------------------------------------------------------------------------------------------


def test_http_target_renders_body_expands_env_and_picks_the_response_field(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"answers": [{"text": "Paris"}]}, "meta": {"tokens": {"total": 3}}})

    monkeypatch.setenv("SVC_TOKEN", "tok-1")
    spec = TargetSpec.model_validate({
        "type": "http", "url": "http://svc.local/ask", "headers": {"Authorization": "Bearer ${SVC_TOKEN}"},
        "body": {"question": "{{ input }}", "lang": "{{ lang }}", "case": "{{ id }}/{{ repeat }}", "k": 2},
        "response_path": "$.data.answers[0].text", "usage_path": "$.meta.tokens",
    })
    out = _with_client(spec, handler, _case("Capital of France?", vars={"lang": "en"}))
    assert out.text == "Paris" and out.usage == {"total": 3}
    assert seen[0].headers["authorization"] == "Bearer tok-1"
    assert json.loads(seen[0].content) == {"question": "Capital of France?", "lang": "en", "case": "c1/0", "k": 2}
    assert "tok-1" not in json.dumps(spec.redacted())


def test_http_target_text_body_whole_response_and_missing_field() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="plain answer")

    spec = TargetSpec.model_validate({"type": "http", "url": "http://svc.local/t", "method": "put",
                                      "body": "say {{ input }}"})
    out = _with_client(spec, handler)
    assert out.text == "plain answer" and seen[0].method == "PUT" and seen[0].content == b"say hello"
    missing = TargetSpec.model_validate({"type": "http", "url": "http://svc.local/t", "response_path": "$.x"})
    error = _error(missing, lambda r: httpx.Response(200, json={"y": 1}))
    assert error.kind == "bad_response" and "$.x" in error.message


def test_http_target_unset_env_variable_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNSET_VAR_X", raising=False)
    spec = TargetSpec.model_validate({"type": "http", "url": "http://svc.local/${UNSET_VAR_X}"})
    with pytest.raises(UserError, match="UNSET_VAR_X"):
        _with_client(spec, lambda r: httpx.Response(200))


# --- command ---------------------------------------------------------------------------------------------------

_PY = sys.executable


def test_command_target_stdin_to_stdout() -> None:
    code = "import sys, os; print(sys.stdin.read().upper() + ' ' + os.environ['AIWELL_CASE_ID'])"
    target = build_target(TargetSpec(type="command", command=[_PY, "-c", code]), FULL)
    assert _run(target, _case("ping")).text == "PING c1"


def test_command_target_non_zero_exit_is_an_error() -> None:
    code = "import sys; sys.stderr.write('bad input'); sys.exit(3)"
    target = build_target(TargetSpec(type="command", command=[_PY, "-c", code]))
    with pytest.raises(TargetError, match="exited with 3: bad input") as info:
        _run(target)
    assert not info.value.retryable


def test_command_target_timeout_kills_the_process() -> None:
    code = "import time; time.sleep(30)"
    target = build_target(TargetSpec(type="command", command=[_PY, "-c", code], timeout_s=0.3))
    with pytest.raises(TargetError, match="timed out") as info:
        _run(target)
    assert info.value.retryable and info.value.kind == "timeout"


def test_command_string_is_split_like_a_shell() -> None:
    target = build_target(TargetSpec(type="command", command=f"'{_PY}' -c \"print('a b')\""))
    assert _run(target).text == "a b"
