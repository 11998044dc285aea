"""The stub model server: OpenAI-compatible responses, seeded pass probabilities, 429/500 rates."""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from aiwell.errors import ConfigError
from aiwell.eval.stub import StubConfig, StubModel, StubServer, load_stub_config, start_stub

_CHAT = {"model": "gpt-x", "messages": [{"role": "system", "content": "be brief"},
                                        {"role": "user", "content": "What is 2 + 2?"}]}


def _config(**data: object) -> StubConfig:
    return StubConfig.model_validate(data)


def _ask(model: StubModel, message: str, path: str = "/v1/chat/completions", query: str = "") -> tuple[int, dict]:
    status, body, _, _ = model.respond(path, query, json.dumps({"messages": [{"role": "user", "content": message}]})
                                       .encode())
    return status, body


def _within(count: int, n: int, p: float, sigmas: float = 4.5) -> bool:
    """Whether a binomial count is plausible: within `sigmas` standard deviations of n*p."""
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1


def test_chat_completion_over_http() -> None:
    config = _config(cases=[{"match": "2 + 2", "pass_answer": "4", "fail_answer": "5"}])
    with start_stub(config) as url, httpx.Client(base_url=url) as client:
        assert url.startswith("http://127.0.0.1:")
        response = client.post("/v1/chat/completions", json=_CHAT)
        assert response.status_code == 200
        body = response.json()
        assert body["object"] == "chat.completion"
        assert body["model"] == "gpt-x"
        assert body["choices"][0]["message"] == {"role": "assistant", "content": "4"}
        assert body["choices"][0]["finish_reason"] == "stop"
        usage = body["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
        # Keep-alive: a second request on the same connection works too.
        assert client.post("/chat/completions", json=_CHAT).status_code == 200
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/v1/models").json()["data"][0]["id"] == "aiwell-stub"


def test_azure_path_needs_api_version() -> None:
    with start_stub() as url, httpx.Client(base_url=url) as client:
        path = "/openai/deployments/gpt4o/chat/completions"
        ok = client.post(path, params={"api-version": "2024-10-21"}, json={"messages": _CHAT["messages"]})
        assert ok.status_code == 200
        assert ok.json()["model"] == "gpt4o"
        # No matching case: the default answer echoes the last user message.
        assert ok.json()["choices"][0]["message"]["content"] == "What is 2 + 2?"
        missing = client.post(path, json={"messages": _CHAT["messages"]})
        assert missing.status_code == 400
        assert "api-version" in missing.json()["error"]["message"]


def test_errors_for_bad_requests() -> None:
    with start_stub() as url, httpx.Client(base_url=url) as client:
        assert client.get("/v1/chat/completions").status_code == 405
        assert client.post("/v2/elsewhere", json={}).status_code == 404
        assert client.post("/v1/chat/completions", content=b"{nope").status_code == 400
        assert client.post("/v1/chat/completions", json={"messages": []}).status_code == 400


def test_rate_limited_response_carries_retry_after() -> None:
    config = _config(rate_429=1.0, retry_after_s=1.5)
    with StubServer(config) as server, httpx.Client(base_url=server.url) as client:
        response = client.post("/v1/chat/completions", json=_CHAT)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "2"
        assert response.headers["retry-after-ms"] == "1500"
        assert response.json()["error"]["code"] == "429"
        assert server.stats.rate_limited == 1 and server.stats.completions == 0


def test_error_rates_are_plausible() -> None:
    model = StubModel(_config(seed=3, rate_429=0.2, rate_500=0.1))
    statuses = [_ask(model, f"q{i % 50}")[0] for i in range(4000)]
    assert _within(statuses.count(429), 4000, 0.2)
    assert _within(statuses.count(500), 4000, 0.1)
    assert statuses.count(200) == model.stats.completions


def test_a_case_has_its_own_error_rates() -> None:
    model = StubModel(_config(rate_500=0.5, cases=[
        {"match": "refund", "rate_500": 1.0, "pass_answer": "30 days"},
        {"match": "calm", "rate_500": 0.0, "pass_answer": "ok"},
    ]))
    assert {_ask(model, "the refund window")[0] for _ in range(50)} == {500}
    assert {_ask(model, "a calm question")[0] for _ in range(50)} == {200}
    assert {_ask(model, "anything else")[0] for _ in range(50)} == {200, 500}  # the config's own rate
    with pytest.raises(ValidationError, match="must not exceed 1"):
        StubConfig.model_validate({"cases": [{"match": "x", "pass_answer": "y", "rate_429": 0.6, "rate_500": 0.6}]})


def test_pass_probabilities_are_plausible_and_seeded() -> None:
    config = _config(seed=11, cases=[
        {"match": "easy", "pass_probability": 0.9, "pass_answer": "right", "fail_answer": "wrong"},
        {"regex": r"^hard \d+$", "pass_probability": 0.3, "pass_answer": "right", "fail_answer": "wrong"},
    ])
    model = StubModel(config)
    n = 2000
    easy = [_ask(model, "an easy one")[1]["choices"][0]["message"]["content"] for _ in range(n)]
    hard = [_ask(model, "hard 7")[1]["choices"][0]["message"]["content"] for _ in range(n)]
    assert _within(easy.count("right"), n, 0.9)
    assert _within(hard.count("right"), n, 0.3)
    assert model.stats.by_case["easy"].passed == easy.count("right")
    assert model.stats.by_case[r"/^hard \d+$/"].failed == hard.count("wrong")
    # Same seed, same answers; another seed, other answers.
    again = StubModel(config)
    assert [_ask(again, "an easy one")[1]["choices"][0]["message"]["content"] for _ in range(n)] == easy
    other = StubModel(config.model_copy(update={"seed": 12}))
    assert [_ask(other, "an easy one")[1]["choices"][0]["message"]["content"] for _ in range(n)] != easy


def test_refused_requests_do_not_shift_the_answers() -> None:
    quiet = StubModel(_config(seed=5, default_pass_probability=0.5, default_pass_answer="yes"))
    noisy = StubModel(_config(seed=5, default_pass_probability=0.5, default_pass_answer="yes", rate_429=0.4))
    want = [_ask(quiet, "m")[1]["choices"][0]["message"]["content"] for _ in range(200)]
    got = []
    while len(got) < 200:
        status, body = _ask(noisy, "m")
        if status == 200:
            got.append(body["choices"][0]["message"]["content"])
    assert got == want


def test_default_answers() -> None:
    model = StubModel(_config(default_pass_probability=0.0, default_fail_answer="no idea"))
    assert _ask(model, "anything")[1]["choices"][0]["message"]["content"] == "no idea"
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "multi"}, {"type": "text",
                                                                                           "text": "part"}]}]}
    echo = StubModel(StubConfig())
    _, body, _, _ = echo.respond("/v1/chat/completions", "", json.dumps(parts).encode())
    assert body["choices"][0]["message"]["content"] == "multipart"


def test_latency_range() -> None:
    model = StubModel(_config(latency_s=[0.2, 0.4]))
    delays = [model.respond("/v1/chat/completions", "", json.dumps(_CHAT).encode())[3] for _ in range(50)]
    assert all(0.2 <= d <= 0.4 for d in delays)
    assert len(set(delays)) > 1
    assert StubModel(_config(latency_s=0.05)).respond("/v1/chat/completions", "", json.dumps(_CHAT).encode())[3] == 0.05


def test_load_config_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "stub.yaml"
    path.write_text("seed: 3\nrate_429: 0.1\nlatency_s: [0.0, 0.01]\ncases:\n"
                    "  - {match: '2 + 2', pass_probability: 0.8, pass_answer: '4', fail_answer: '5'}\n",
                    encoding="utf-8")
    config = load_stub_config(path)
    assert config.seed == 3 and config.cases[0].pass_probability == 0.8
    json_path = tmp_path / "stub.json"
    json_path.write_text(json.dumps({"default_pass_probability": 0.5}), encoding="utf-8")
    assert load_stub_config(json_path).default_pass_probability == 0.5


@pytest.mark.parametrize(("text", "message"), [
    ("cases: [{pass_answer: x}]", "exactly one of match"),
    ("cases: [{match: a, regex: b, pass_answer: x}]", "exactly one of match"),
    ("cases: [{regex: '(', pass_answer: x}]", "bad regex"),
    ("rate_429: 0.7\nrate_500: 0.7", "must not exceed 1"),
    ("latency_s: [0.5, 0.1]", "latency_s"),
    ("colour: blue", "colour"),
    ("seed: [", "not valid YAML"),
])
def test_bad_config_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "stub.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_stub_config(path)
    assert str(path) in info.value.message


def test_server_stops_on_exit() -> None:
    with start_stub() as url:
        pass
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "/v1/chat/completions", json=_CHAT)
