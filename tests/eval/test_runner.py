"""The runner: concurrency, rate limits, retries, timeouts, resume after a crash, the cache, the stub end to end."""

from __future__ import annotations

import asyncio
import random
import signal
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aiwell.errors import UserError
from aiwell.eval.runlog import read_log
from aiwell.eval.runner import ResumeMismatchError, RetryPolicy, TokenBucket, run_suite, run_until_ctrl_c
from aiwell.eval.stub import StubConfig, StubServer
from aiwell.eval.suite import Case, Suite
from aiwell.eval.targets import TargetError, TargetOutput


def _suite(n_cases: int = 4, repeats: int = 3, **extra: Any) -> Suite:
    cases = [{"id": f"c{i}", "input": f"question {i}", "tags": ["t"], "cluster": f"k{i % 2}",
              "assert": [{"type": "contains", "value": "ok"}]} for i in range(n_cases)]
    return Suite.model_validate({"name": "fake", "target": {"type": "python", "function": "fake:answer"},
                                 "repeats": repeats, "cases": cases, **extra})


class FakeTarget:
    """Answers "ok <case> <repeat>" (or what `script` says), counting calls and the most calls in flight."""

    def __init__(self, *, delay: float = 0.0, key: str = "fake-1", script: Any = None) -> None:
        self.delay = delay
        self._key = key
        self.script = script
        self.calls: Counter[tuple[str, int]] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    def key(self) -> str:
        return self._key

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        self.calls[(case.id, repeat)] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.script is not None:
                return await self.script(case, repeat, self.calls[(case.id, repeat)])
            return TargetOutput(text=f"ok {case.id} {repeat}", latency_s=self.delay,
                                usage={"total_tokens": 10})
        finally:
            self.in_flight -= 1


class FakeTime:
    """A clock that only moves when someone sleeps: rate limits and backoff without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _run(suite: Suite, log: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("target", FakeTarget())
    return asyncio.run(run_suite(suite, log_path=log, **kwargs))


def test_every_sample_is_logged_in_repeat_major_order(tmp_path: Path) -> None:
    target = FakeTarget()
    result = _run(_suite(), tmp_path / "run.jsonl", target=target, concurrency=1)
    assert (result.samples, result.errors, result.new, result.skipped) == (12, 0, 12, 0)
    log = read_log(result.log_path)
    assert log.header["suite"] == "fake"
    assert log.header["target"]["key"] == "fake-1"
    assert log.header["scorers"] == [{"name": "contains", "args": {"value": "ok"}}]
    assert [(s["case_id"], s["repeat"]) for s in log.samples[:5]] == [
        ("c0", 0), ("c1", 0), ("c2", 0), ("c3", 0), ("c0", 1)]
    first = log.samples[0]
    assert first["passed"] is True and first["output"] == "ok c0 0" and first["error"] is None
    assert first["tags"] == ["t"] and first["cluster"] == "k0" and first["attempts"] == 1
    assert first["scores"][0]["name"] == "contains"
    assert set(target.calls.values()) == {1}


def test_concurrency_bound_is_respected(tmp_path: Path) -> None:
    target = FakeTarget(delay=0.002)
    _run(_suite(n_cases=10, repeats=4), tmp_path / "run.jsonl", target=target, concurrency=5)
    assert target.max_in_flight == 5
    assert sum(target.calls.values()) == 40


def test_suite_concurrency_is_the_default(tmp_path: Path) -> None:
    target = FakeTarget(delay=0.002)
    _run(_suite(n_cases=10, repeats=2, concurrency=3), tmp_path / "run.jsonl", target=target)
    assert target.max_in_flight == 3


def test_requests_per_minute_limit(tmp_path: Path) -> None:
    fake = FakeTime()
    starts: list[float] = []

    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        starts.append(fake.now)
        return TargetOutput(text="ok")

    target = FakeTarget(script=script)
    _run(_suite(n_cases=10, repeats=5), tmp_path / "run.jsonl", target=target, concurrency=8, rpm=60,
         clock=fake.clock, sleep=fake.sleep)
    assert len(starts) == 50
    # 60 per minute, a burst of at most 10 s worth: by time t no more than 10 + t requests have started.
    for index, started in enumerate(sorted(starts)):
        assert index + 1 <= 10 + started * 1.0 + 1e-9
    assert max(starts) >= 40 - 1e-9


def test_tokens_per_minute_limit_uses_reported_usage(tmp_path: Path) -> None:
    fake = FakeTime()
    starts: list[float] = []

    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        starts.append(fake.now)
        return TargetOutput(text="ok", usage={"prompt_tokens": 60, "completion_tokens": 40})

    _run(_suite(n_cases=5, repeats=2), tmp_path / "run.jsonl", target=FakeTarget(script=script), concurrency=1,
         tpm=600, clock=fake.clock, sleep=fake.sleep)
    # 600 tokens a minute is 10 a second; ten calls of 100 tokens, a 100-token burst: the last starts at >= 80 s.
    assert max(starts) >= 80 - 1e-6


def test_token_bucket_large_request_is_capped_not_stuck() -> None:
    fake = FakeTime()

    async def go() -> float:
        bucket = TokenBucket(60, clock=fake.clock, sleep=fake.sleep)
        return await bucket.acquire(1000)

    assert asyncio.run(go()) == 10.0


def test_retries_honour_retry_after(tmp_path: Path) -> None:
    fake = FakeTime()

    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        if n <= 2:
            raise TargetError("429", retryable=True, retry_after_s=7.0, status=429, kind="rate_limit")
        return TargetOutput(text="ok")

    result = _run(_suite(n_cases=1, repeats=1), tmp_path / "run.jsonl", target=FakeTarget(script=script),
                  sleep=fake.sleep, clock=fake.clock, seed=1)
    assert len(fake.sleeps) == 2
    assert all(7.0 <= s <= 7.0 * 1.2 for s in fake.sleeps)
    sample = read_log(result.log_path).samples[0]
    assert sample["passed"] is True and sample["attempts"] == 3


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=4.0)
    rng = random.Random(0)
    for retry in range(6):
        bound = min(4.0, 0.5 * 2**retry)
        delays = [policy.delay(retry, None, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # full jitter spans the whole range


def test_gives_up_after_max_attempts_and_records_the_error(tmp_path: Path) -> None:
    fake = FakeTime()

    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        if case.id == "c0":
            raise TargetError("HTTP 500", retryable=True, status=500, kind="server_error")
        return TargetOutput(text="ok")

    target = FakeTarget(script=script)
    result = _run(_suite(n_cases=2, repeats=1), tmp_path / "run.jsonl", target=target, sleep=fake.sleep,
                  max_attempts=4)
    assert target.calls[("c0", 0)] == 4 and target.calls[("c1", 0)] == 1
    assert (result.samples, result.errors) == (2, 1)
    errored = next(s for s in read_log(result.log_path).samples if s["case_id"] == "c0")
    assert errored["passed"] is None and errored["error"] == "HTTP 500"
    assert errored["error_kind"] == "server_error" and errored["attempts"] == 4 and errored["scores"] == []


def test_non_retryable_error_is_not_retried(tmp_path: Path) -> None:
    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        raise TargetError("HTTP 400", status=400, kind="client_error")

    target = FakeTarget(script=script)
    result = _run(_suite(n_cases=1, repeats=1), tmp_path / "run.jsonl", target=target)
    assert target.calls[("c0", 0)] == 1
    assert read_log(result.log_path).samples[0]["error_kind"] == "client_error"


def test_timeouts_are_recorded_as_errors(tmp_path: Path) -> None:
    fake = FakeTime()
    target = FakeTarget(delay=30.0)
    result = _run(_suite(n_cases=2, repeats=1, timeout_s=0.01), tmp_path / "run.jsonl", target=target,
                  max_attempts=2, sleep=fake.sleep)
    samples = read_log(result.log_path).samples
    assert result.errors == 2
    assert {s["error_kind"] for s in samples} == {"timeout"}
    assert all(s["passed"] is None and s["attempts"] == 2 for s in samples)
    assert "0.01s" in samples[0]["error"]


def test_failed_assertion_is_a_failure_not_an_error(tmp_path: Path) -> None:
    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        return TargetOutput(text="nope")

    result = _run(_suite(n_cases=1, repeats=2), tmp_path / "run.jsonl", target=FakeTarget(script=script))
    samples = read_log(result.log_path).samples
    assert [s["passed"] for s in samples] == [False, False] and result.errors == 0


def test_user_error_from_the_target_stops_the_run(tmp_path: Path) -> None:
    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        raise UserError("environment variable KEY is not set")

    with pytest.raises(UserError, match="KEY"):
        _run(_suite(), tmp_path / "run.jsonl", target=FakeTarget(script=script))


def _interrupted_run(suite: Suite, log: Path, stop_after: int) -> FakeTarget:
    """Start a run and cancel it (what Ctrl-C does to asyncio.run's task) once `stop_after` calls have started."""
    started = asyncio.Event()

    async def script(case: Case, repeat: int, n: int) -> TargetOutput:
        if sum(target.calls.values()) >= stop_after:
            started.set()
            await asyncio.sleep(3600)
        return TargetOutput(text="ok")

    target = FakeTarget(script=script)

    async def main() -> None:
        task = asyncio.create_task(run_suite(suite, log_path=log, target=target, concurrency=4))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    return target


def test_interrupted_run_then_resume_completes_without_redoing_samples(tmp_path: Path) -> None:
    suite = _suite(n_cases=5, repeats=4)
    log = tmp_path / "run.jsonl"
    _interrupted_run(suite, log, stop_after=9)
    partial = read_log(log)
    done = {(s["case_id"], s["repeat"]) for s in partial.samples}
    assert 0 < len(done) < 20 and not partial.torn

    target = FakeTarget()
    result = _run(suite, log, target=target, resume=True)
    assert set(target.calls) == {(c.id, r) for c in suite.cases for r in range(4)} - done
    assert set(target.calls.values()) == {1}
    assert (result.samples, result.skipped, result.new) == (20, len(done), 20 - len(done))
    final = read_log(log)
    assert len(final.samples) == 20
    assert Counter((s["case_id"], s["repeat"]) for s in final.samples).most_common(1)[0][1] == 1
    # One header: the resumed run appended to the original log.
    assert log.read_text(encoding="utf-8").count('"schema"') == 1


def test_a_cancel_that_comes_as_a_call_finishes_stops_the_run(tmp_path: Path) -> None:
    # The call returns in the same turn of the loop as the cancellation: the answer is kept, but the run must stop
    # and raise, not go on sample after sample (asyncio.wait_for of Python 3.11 drops such a cancellation).
    async def main() -> FakeTarget:
        run_task = asyncio.current_task()
        assert run_task is not None

        async def script(case: Case, repeat: int, n: int) -> TargetOutput:
            asyncio.get_running_loop().call_soon(run_task.cancel)
            return TargetOutput(text="ok")

        target = FakeTarget(script=script)
        with pytest.raises(asyncio.CancelledError):
            await run_suite(_suite(n_cases=5, repeats=1), log_path=tmp_path / "run.jsonl", target=target,
                            concurrency=1)
        return target

    target = asyncio.run(main())
    # The first answer is logged; the cancellation lands at the run's next await, inside the second call.
    assert len(read_log(tmp_path / "run.jsonl").samples) == 1
    assert sum(target.calls.values()) == 2


def test_resume_after_a_torn_line(tmp_path: Path) -> None:
    suite = _suite(n_cases=3, repeats=1)
    log = tmp_path / "run.jsonl"
    _run(suite, log, target=FakeTarget(), concurrency=1)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    # Crash mid-write of the last sample: half its line is on disk.
    log.write_text("".join(lines[:-1]) + lines[-1][:20], encoding="utf-8")
    target = FakeTarget()
    _run(suite, log, target=target, resume=True)
    assert list(target.calls) == [("c2", 0)]
    final = read_log(log)
    assert not final.torn and [s["case_id"] for s in final.samples] == ["c0", "c1", "c2"]


def test_resume_can_retry_errors(tmp_path: Path) -> None:
    suite = _suite(n_cases=2, repeats=1)
    log = tmp_path / "run.jsonl"

    async def failing(case: Case, repeat: int, n: int) -> TargetOutput:
        if case.id == "c1":
            raise TargetError("HTTP 400", kind="client_error")
        return TargetOutput(text="ok")

    _run(suite, log, target=FakeTarget(script=failing))
    plain = FakeTarget()
    _run(suite, log, target=plain, resume=True)
    assert not plain.calls
    retry = FakeTarget()
    result = _run(suite, log, target=retry, resume=True, retry_errors=True)
    assert list(retry.calls) == [("c1", 0)]
    assert result.errors == 0
    assert [s["passed"] for s in read_log(log).samples] == [True, True]


def _renamed() -> Suite:
    return _suite(n_cases=1, repeats=1).model_copy(update={"name": "other"})


def _other_assertion() -> Suite:
    suite = _suite(n_cases=1, repeats=1)
    case = Case.model_validate({"id": "c0", "input": "x", "assert": [{"type": "contains", "value": "no"}]})
    return suite.model_copy(update={"cases": [case]})


@pytest.mark.parametrize(("make", "key", "what"), [
    (_renamed, "fake-1", "suite"),
    (lambda: _suite(n_cases=1, repeats=1), "fake-2", "target"),
    (_other_assertion, "fake-1", "scorers"),
])
def test_resume_refuses_a_log_of_another_run(tmp_path: Path, make: Any, key: str, what: str) -> None:
    log = tmp_path / "run.jsonl"
    _run(_suite(n_cases=1, repeats=1), log)
    with pytest.raises(ResumeMismatchError, match=f"different {what}") as info:
        _run(make(), log, target=FakeTarget(key=key), resume=True)
    assert isinstance(info.value, UserError)


def test_resume_of_a_missing_log_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot resume"):
        _run(_suite(), tmp_path / "none.jsonl", resume=True)


def test_cache_keeps_repeats_apart_and_serves_reruns(tmp_path: Path) -> None:
    suite = _suite(n_cases=2, repeats=3)
    first = FakeTarget()
    _run(suite, tmp_path / "a.jsonl", target=first, cache_dir=tmp_path / "cache")
    assert len(first.calls) == 6
    again = FakeTarget()
    result = _run(suite, tmp_path / "b.jsonl", target=again, cache_dir=tmp_path / "cache")
    assert not again.calls
    assert (result.cached, result.new) == (6, 0)
    samples = read_log(tmp_path / "b.jsonl").samples
    # Each repeat got its own answer back: repeats are not collapsed into one cached output.
    assert {s["output"] for s in samples} == {f"ok c{c} {r}" for c in range(2) for r in range(3)}
    assert all(s["cached"] for s in samples)
    # More repeats: only the new repeat indexes call the target.
    more = FakeTarget()
    _run(_suite(n_cases=2, repeats=4), tmp_path / "c.jsonl", target=more, cache_dir=tmp_path / "cache")
    assert set(more.calls) == {("c0", 3), ("c1", 3)}


def test_cache_is_keyed_on_the_target(tmp_path: Path) -> None:
    suite = _suite(n_cases=1, repeats=1)
    _run(suite, tmp_path / "a.jsonl", target=FakeTarget(key="model-a"), cache_dir=tmp_path / "cache")
    other = FakeTarget(key="model-b")
    _run(suite, tmp_path / "b.jsonl", target=other, cache_dir=tmp_path / "cache")
    assert other.calls


def test_errors_are_not_cached(tmp_path: Path) -> None:
    async def failing(case: Case, repeat: int, n: int) -> TargetOutput:
        raise TargetError("HTTP 400", kind="client_error")

    suite = _suite(n_cases=1, repeats=1)
    _run(suite, tmp_path / "a.jsonl", target=FakeTarget(script=failing), cache_dir=tmp_path / "cache")
    second = FakeTarget()
    result = _run(suite, tmp_path / "b.jsonl", target=second, cache_dir=tmp_path / "cache")
    assert second.calls and result.errors == 0


def test_progress_without_a_terminal_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(_suite(), tmp_path / "run.jsonl", progress=True)
    assert capsys.readouterr().err == ""


def test_end_to_end_against_the_stub(tmp_path: Path) -> None:
    config = StubConfig.model_validate({
        "seed": 4, "rate_429": 0.2, "rate_500": 0.05, "retry_after_s": 0.0,
        "cases": [{"match": "question 0", "pass_probability": 0.5, "pass_answer": "ok", "fail_answer": "no"},
                  {"match": "question 1", "pass_probability": 0.0, "pass_answer": "ok", "fail_answer": "no"}],
        "default_pass_answer": "ok",
    })
    with StubServer(config) as server:
        suite = _suite(n_cases=3, repeats=40).model_copy(update={"target": _openai(server.url)})
        result = asyncio.run(run_suite(suite, log_path=tmp_path / "run.jsonl", concurrency=16, seed=0,
                                       sleep=FakeTime().sleep))
        stats = server.stats
    samples = read_log(result.log_path).samples
    assert len(samples) == 120
    passed = Counter(s["case_id"] for s in samples if s["passed"])
    assert passed["c0"] == stats.by_case["question 0"].passed
    assert passed["c1"] == 0 and passed["c2"] == 40 - sum(1 for s in samples if s["case_id"] == "c2" and
                                                           s["passed"] is None)
    # 429s and 500s were retried: attempts beyond the first match the refusals the stub counted.
    retried = sum(s["attempts"] - 1 for s in samples)
    assert stats.rate_limited + stats.server_errors == retried + result.errors
    assert all(s["usage"]["total_tokens"] > 0 for s in samples if s["passed"] is not None)


def _openai(url: str) -> Any:
    from aiwell.eval.targets import TargetSpec

    return TargetSpec.model_validate({"type": "openai", "endpoint": f"{url}/v1", "model": "stub"})


def test_a_scorer_that_fails_makes_an_errored_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_scorer.py").write_text("def check(text):\n    raise RuntimeError('scorer bug')\n",
                                               encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    suite = _suite(n_cases=1, repeats=2)
    case = suite.cases[0].model_copy(update={"assert_": [
        *suite.cases[0].assert_, *Case.model_validate(
            {"id": "x", "input": "x", "assert": [{"type": "python", "function": "broken_scorer:check"}]}).assert_]})
    result = _run(suite.model_copy(update={"cases": [case]}), tmp_path / "run.jsonl")
    samples = read_log(result.log_path).samples
    assert result.errors == 2
    assert all(s["passed"] is None and s["error_kind"] == "scorer" and "scorer bug" in s["error"] for s in samples)
    assert all(s["output"].startswith("ok") for s in samples)


def test_progress_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    _run(_suite(n_cases=2, repeats=2), tmp_path / "run.jsonl", progress=True)
    err = capsys.readouterr().err
    assert "4/4" in err and "pass 100.0%" in err


def test_http_client_keeps_proxy_support(monkeypatch: pytest.MonkeyPatch) -> None:
    from httpx_aiohttp import AiohttpTransport

    from aiwell.eval.runner import _http_client

    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    fast = _http_client(64, 5.0)
    assert isinstance(fast._transport, AiohttpTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    proxied = _http_client(64, 5.0)
    assert not isinstance(proxied._transport, AiohttpTransport)
    assert any(mount is not None for mount in proxied._mounts.values())

    async def close() -> None:
        await fast.aclose()
        await proxied.aclose()

    asyncio.run(close())


def test_the_shared_client_tells_a_refused_connection_from_a_timeout(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = _suite(n_cases=1, repeats=1, target={"type": "openai", "endpoint": f"http://127.0.0.1:{port}/v1",
                                                "model": "m"})
    asyncio.run(run_suite(down, log_path=tmp_path / "down.jsonl", max_attempts=1))
    (refused,) = read_log(tmp_path / "down.jsonl").samples
    assert refused["error_kind"] == "connection" and "connection failed" in refused["error"]
    with StubServer(StubConfig(latency_s=2.0)) as server:
        slow = _suite(n_cases=1, repeats=1, timeout_s=0.2,
                      target={"type": "openai", "endpoint": f"{server.url}/v1", "model": "m"})
        asyncio.run(run_suite(slow, log_path=tmp_path / "slow.jsonl", max_attempts=1))
    (timed_out,) = read_log(tmp_path / "slow.jsonl").samples
    assert timed_out["error_kind"] == "timeout"


def test_run_until_ctrl_c_runs_in_a_thread_that_receives_no_ctrl_c(tmp_path: Path) -> None:
    # Only the main thread receives Ctrl-C: elsewhere the run goes ahead without a handler (and changes none).
    outcome: list[Any] = []

    def in_thread() -> None:
        outcome.append(run_until_ctrl_c(run_suite(_suite(n_cases=2, repeats=1), log_path=tmp_path / "run.jsonl",
                                                  target=FakeTarget())))

    before = signal.getsignal(signal.SIGINT)
    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(timeout=60)
    assert outcome and outcome[0].samples == 2
    assert signal.getsignal(signal.SIGINT) is before
