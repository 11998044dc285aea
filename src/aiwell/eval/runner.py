"""The runner: every (case, repeat) sample of a suite, called and scored asynchronously, each outcome appended to
the run log as it finishes.

- Bounded concurrency: `concurrency` workers pull samples from one queue, so at most that many are in flight and
  a suite of a million samples doesn't become a million tasks.
- Rate limits: token buckets for requests per minute and tokens per minute. Tokens are charged up front from an
  estimate (input length / 4, plus `max_tokens` when the target sets it) and corrected with the reported `usage`
  once the answer arrives. Each bucket holds at most ten seconds' worth, because services such as Azure OpenAI
  enforce their per-minute quota over short windows.
- Retries: up to `max_attempts` tries for retryable failures (429, 5xx, timeouts, dropped connections) with
  exponential backoff and full jitter; a server's `Retry-After` is honoured (waited in full, plus up to 20% more
  so that clients refused together don't come back together).
- Timeouts: `asyncio.timeout` around each call (the suite's `timeout_s`); a sample that still fails is recorded
  with `error` and `error_kind`, counted, and the run goes on.
- Resume: with `resume=True` the existing log is read back, its header must match this suite and target, a torn
  last line is cut off, and only samples not yet recorded run.
- Cache: with `cache_dir`, successful target outputs are stored in one sqlite file keyed on (target key, input,
  vars, repeat index); repeats are separate samples, and a rerun reuses them (scoring runs again, so changed
  assertions apply).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import signal
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
from msgspec import Struct, field

from aiwell.errors import UserError
from aiwell.eval.runlog import LogLock, RunLogError, RunLogWriter, make_header, make_sample, read_log
from aiwell.eval.scorers import score_sample
from aiwell.eval.sequential import SequentialGate
from aiwell.eval.specs import AssertionSpec, JudgeCall, ScorerError
from aiwell.eval.suite import Case, Suite
from aiwell.eval.targets import Target, TargetError, TargetOutput, TargetSpec, aclose_target, build_target

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

DEFAULT_MAX_ATTEMPTS = 5
_BACKOFF_BASE_S = 0.5
_BACKOFF_CAP_S = 30.0
_BUCKET_WINDOW_S = 10.0


class ResumeMismatchError(UserError):
    """`--resume` was given a run log written for another suite, target or set of scorers."""


class RunResult(Struct, frozen=True):
    """What a run did: the log it wrote, how many samples the log now holds and how many of those errored, how
    many ran in this call (`new`), came from the cache (`cached`) or were already in the log (`skipped`), and the
    wall-clock time of this call."""

    log_path: Path
    samples: int
    errors: int
    duration_s: float
    new: int = 0
    cached: int = 0
    skipped: int = 0
    stopped: StopInfo | None = None


class RetryPolicy(Struct, frozen=True):
    """How failed calls are retried: `max_attempts` tries in all; backoff `base_s * 2**retry` capped at `cap_s`,
    drawn uniformly below that (full jitter). A server's Retry-After is waited in full plus up to `after_jitter` of
    it, so clients refused at the same moment don't all return at the same moment."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_s: float = _BACKOFF_BASE_S
    cap_s: float = _BACKOFF_CAP_S
    after_jitter: float = 0.2

    def delay(self, retry: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (0 for the first retry)."""
        if retry_after_s is not None:
            return retry_after_s * (1.0 + rng.uniform(0.0, self.after_jitter))
        return rng.uniform(0.0, min(self.cap_s, self.base_s * 2.0**retry))


class TokenBucket:
    """A token bucket refilled at `per_minute / 60` per second, holding at most `capacity`.

    `acquire` waits until the amount is available (callers queue in order); `adjust` corrects a charge after the
    fact and may leave the bucket in debt, which later callers wait out. An amount above the capacity is charged
    as the capacity, so one large request can't wait forever."""

    def __init__(self, per_minute: float, *, capacity: float | None = None, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.rate = per_minute / 60.0
        self.capacity = capacity if capacity is not None else max(1.0, per_minute * _BUCKET_WINDOW_S / 60.0)
        self.tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self, amount: float = 1.0) -> float:
        """Take `amount` (at most the capacity) once available; returns the amount charged."""
        charge = min(amount, self.capacity)
        async with self._lock:
            self._refill()
            while self.tokens < charge:
                await self._sleep((charge - self.tokens) / self.rate)
                self._refill()
            self.tokens -= charge
        return charge

    def adjust(self, delta: float) -> None:
        """Charge `delta` more (or refund, when negative) without waiting."""
        self._refill()
        self.tokens = min(self.capacity, self.tokens - delta)


class OutputCache:
    """Target outputs in one sqlite file under `cache_dir`, keyed on (target key, input, vars, repeat index)."""

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / "eval-cache.sqlite"
        self._db = sqlite3.connect(self.path)
        # WAL and relaxed syncing: a lost cache entry after a power cut only costs a call; the run log is the record.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS outputs (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()
        self.hits = 0

    @staticmethod
    def key(target_key: str, case: Case, repeat: int) -> str:
        """The cache key of one sample; the case id is left out so renaming a case keeps its outputs."""
        identity = {"target": target_key, "input": case.input, "vars": case.vars, "repeat": repeat}
        if case.turns is not None:
            identity["turns"] = case.turns
        blob = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> TargetOutput | None:
        """The stored output, or None."""
        row = self._db.execute("SELECT value FROM outputs WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        self.hits += 1
        return TargetOutput.model_validate_json(row[0])

    def put(self, key: str, output: TargetOutput) -> None:
        """Store an output (a raw response that isn't JSON is stored as text)."""
        value = json.dumps(output.model_dump(mode="json", fallback=str))
        self._db.execute("INSERT OR REPLACE INTO outputs (key, value) VALUES (?, ?)", (key, value))

    def commit(self) -> None:
        """Make the stored outputs durable (batched: committing per sample would dominate a fast run)."""
        self._db.commit()

    def close(self) -> None:
        """Commit and close."""
        self._db.commit()
        self._db.close()


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def _http_client(concurrency: int, timeout_s: float) -> httpx.AsyncClient:
    """The client HTTP targets share, with a connection for each request in flight.

    Its transport is aiohttp's (httpx-aiohttp): httpx's own pool spends about 2 ms of CPU per request at
    concurrency 64 (it scans every connection, through anyio, on each request), aiohttp's C parser and pool about
    0.3 ms with httpx's client around it, which is what lets a run keep up with a fast endpoint. httpx ignores proxy
    environment variables when given a transport, so with a proxy configured the client keeps httpx's own
    transport and its proxy support."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES):
        return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(timeout_s))
    from httpx_aiohttp import AiohttpTransport

    return httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=httpx.Timeout(timeout_s))


def _estimate_tokens(case: Case, target: Target) -> float:
    text = case.input if isinstance(case.input, str) else json.dumps(case.input, default=str)
    params = getattr(getattr(target, "spec", None), "params", None) or {}
    completion = params.get("max_tokens") or params.get("max_completion_tokens") or 0
    return max(1.0, len(text) / 4.0) + float(completion)


def _used_tokens(output: TargetOutput) -> float:
    usage = output.usage or {}
    total = usage.get("total_tokens")
    if isinstance(total, int | float):
        return float(total)
    parts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens")]
    numbers = [float(p) for p in parts if isinstance(p, int | float)]
    return sum(numbers) if numbers else max(1.0, len(output.text) / 4.0)


class _Progress:
    """A rich progress bar on stderr (bar, count, running pass rate, ETA), only when stderr is a terminal."""

    def __init__(self, enabled: bool, total: int, done: int, passed: int, scored: int) -> None:
        self.passed = passed
        self.scored = scored
        self._bar: Any = None
        if not (enabled and sys.stderr.isatty()):
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("[bold]eval[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(), console=Console(stderr=True), transient=False,
        )
        self._task = self._bar.add_task("eval", total=total, completed=done, rate=self._rate())
        self._bar.start()

    def _rate(self) -> str:
        return f"pass {self.passed / self.scored:.1%}" if self.scored else "pass –"

    def advance(self, passed: bool | None) -> None:
        if passed is not None:
            self.scored += 1
            self.passed += int(passed)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=self._rate())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _check_resumable(header: dict[str, Any], expected: dict[str, Any], log_path: Path) -> None:
    """Refuse to resume a log written for another suite, target, scorers, plan (cases and repeats) or options."""
    hint = "resume with the options that started the log, or start a new run without --resume"
    for name, label in (("suite", "suite"), ("target", "target"), ("scorers", "scorers"),
                        ("options", "run options")):
        found, wanted = header.get(name), expected.get(name)
        if name == "target":
            found = (found or {}).get("key") if isinstance(found, dict) else found
            wanted = wanted["key"] if isinstance(wanted, dict) else wanted
        if (found or None) != (wanted or None):
            raise ResumeMismatchError(
                f"cannot resume {log_path}: it was written for a different {label} "
                f"({_short(found)} there, {_short(wanted)} now)", hint=hint)
    found_plan, wanted_plan = header.get("plan"), expected["plan"]
    if found_plan is None or found_plan == wanted_plan:
        return
    removed = [c for c in found_plan if c not in wanted_plan]
    added = [c for c in wanted_plan if c not in found_plan]
    changed = [c for c in wanted_plan if c in found_plan and found_plan[c] != wanted_plan[c]]
    parts = []
    if changed:
        old = sorted({found_plan[c] for c in changed})
        new = sorted({wanted_plan[c] for c in changed})
        parts.append(f"repeats {_short(old)} there, {_short(new)} now for {len(changed)} case(s)")
    if removed:
        parts.append(f"{len(removed)} case(s) no longer in the suite ({_short(removed)})")
    if added:
        parts.append(f"{len(added)} case(s) new in the suite ({_short(added)})")
    raise ResumeMismatchError(f"cannot resume {log_path}: the run it holds planned other samples: "
                              + "; ".join(parts), hint=hint)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _rounds(suite: Suite, skip: set[tuple[str, int]]) -> list[list[tuple[Case, int]]]:
    """Samples to run, round by round: round r holds repeat r of every case that has one (repeat-major, so an
    interrupted run has spread its samples over all cases, and a sequential run can stop between rounds)."""
    deepest = max((suite.repeats_for(c) for c in suite.cases), default=0)
    return [[(case, repeat) for case in suite.cases
             if repeat < suite.repeats_for(case) and (case.id, repeat) not in skip]
            for repeat in range(deepest)]


async def run_suite(
    suite: Suite,
    *,
    log_path: Path,
    resume: bool = False,
    concurrency: int | None = None,
    rpm: int | None = None,
    tpm: int | None = None,
    cache_dir: Path | None = None,
    progress: bool = False,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_errors: bool = False,
    target: Target | None = None,
    judge: Target | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    seed: int | None = None,
    sequential: SequentialGate | None = None,
) -> RunResult:
    """Run every (case, repeat) sample of `suite`, appending each outcome to the run log at `log_path`.

    `concurrency`, `rpm`, `tpm` default to the suite's values; the concurrency and rate limits bound target and
    judge calls together. With `resume`, the log must exist and match the suite (suite name, target key,
    scorers, the plan of cases and repeats, the sequential rule); samples it already records are skipped, except
    errored ones when `retry_errors` is set (their new outcome is appended and supersedes the old line). With
    `sequential`, the run goes round by round and stops after the first round that decides the gate (every case
    must then have the same repeats). `target` and `judge` replace the suite's (tests pass fakes; an injected
    target is not closed here); `sleep` and `clock` drive backoff and rate limiting (tests pass fakes); `seed`
    makes the retry jitter reproducible.
    """
    started = time.perf_counter()
    workers_wanted = concurrency or suite.concurrency
    if sequential is not None and len({suite.repeats_for(c) for c in suite.cases}) > 1:
        raise UserError("a sequential run needs the same repeats for every case",
                        hint="remove the cases' own repeats: or run without --sequential")
    async with contextlib.AsyncExitStack() as stack:
        client = _http_client(workers_wanted, suite.timeout_s)
        stack.push_async_callback(client.aclose)
        if target is None:
            target = suite.build_target(client=client)
            stack.push_async_callback(aclose_target, target)
        if judge is None:
            judge = suite.build_judge(client=client)
            if judge is not None:
                stack.push_async_callback(aclose_target, judge)
        header = make_header(
            suite=suite.name, suite_path=str(suite.path) if suite.path is not None else None,
            target=suite.target.redacted(), target_key=target.key(), scorers=suite.scorer_specs(),
            repeats=suite.repeats, n_cases=len(suite.cases), plan=suite.plan(),
            options={"sequential": sequential.as_dict()} if sequential is not None else None,
        )
        opened = _open_log(log_path, header, resume=resume, retry_errors=retry_errors)
        stack.callback(opened.writer.close)
        cache = OutputCache(cache_dir) if cache_dir is not None else None
        if cache is not None:
            stack.callback(cache.close)
        rounds = _rounds(suite, opened.skip)
        done = len(opened.skip)
        bar = _Progress(progress, done + sum(len(r) for r in rounds), done, opened.passed, opened.scored)
        stack.callback(bar.close)
        requests_per_minute = rpm or suite.rpm
        tokens_per_minute = tpm or suite.tpm
        run = _Run(
            target=target, judge=judge, timeout_s=suite.timeout_s, writer=opened.writer,
            rpm=TokenBucket(requests_per_minute, clock=clock, sleep=sleep) if requests_per_minute else None,
            tpm=TokenBucket(tokens_per_minute, clock=clock, sleep=sleep) if tokens_per_minute else None,
            cache=cache, retry=RetryPolicy(max_attempts=max(1, max_attempts)), sleep=sleep,
            rng=random.Random(seed), progress=bar, slots=asyncio.Semaphore(workers_wanted),
            base_dir=suite.base_dir, client=client, suite_judge=suite.judge,
        )
        stack.push_async_callback(run.close_judges)
        stop: StopInfo | None = None
        if sequential is None:
            todo = [item for one_round in rounds for item in one_round]
            await run.all(todo, max(1, min(workers_wanted, len(todo) or 1)))
        else:
            stop = await _run_sequentially(run, rounds, opened.outcomes, sequential, workers_wanted)
    return RunResult(
        log_path=log_path, samples=done + run.written, errors=opened.errors + run.errors,
        duration_s=time.perf_counter() - started, new=run.written - run.cached, cached=run.cached, skipped=done,
        stopped=stop,
    )


def run_until_ctrl_c(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(work)`, where Ctrl-C always cancels `work` and raises KeyboardInterrupt once it has stopped
    (a second Ctrl-C raises at once).

    asyncio.run installs its own Ctrl-C handling only over Python's default handler; a library that replaced that
    handler (PySpark does, to cancel its jobs) would decide alone what a Ctrl-C does to the run, and one that
    swallows it would let the run finish as if complete. The handler installed here is removed afterwards and the
    one found before put back.
    """
    return asyncio.run(_cancelled_by_ctrl_c(work))


async def _cancelled_by_ctrl_c(work: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.get_running_loop()
    task = loop.create_task(work)
    interrupts = 0

    def on_ctrl_c(*_: object) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:
            raise KeyboardInterrupt
        task.cancel()
        loop.call_soon_threadsafe(lambda: None)  # wake a loop waiting in select (signal.signal's handler)

    previous = signal.getsignal(signal.SIGINT)
    try:
        # The loop's own handler where there is one: it wakes the loop even when the signal lands on another thread.
        loop.add_signal_handler(signal.SIGINT, on_ctrl_c)
    except NotImplementedError:  # Windows' event loops
        signal.signal(signal.SIGINT, on_ctrl_c)
    except (ValueError, RuntimeError):  # not the main thread, which alone receives Ctrl-C: nothing to handle
        previous = None
    try:
        result = await task
    except asyncio.CancelledError:
        if interrupts:
            raise KeyboardInterrupt from None
        raise
    finally:
        if previous is not None:  # None: none installed here, or one not from Python, which can't be put back
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGINT)
            signal.signal(signal.SIGINT, previous)
    if interrupts:  # the work finished as the Ctrl-C came: still an interrupted run, never a complete one
        raise KeyboardInterrupt
    return result


class StopInfo(Struct, frozen=True):
    """How a sequential run ended: the verdict (None when the last round came without one), after how many rounds
    of how many, the confidence sequence's bounds then, and how many planned samples were not drawn."""

    verdict: str | None
    rounds: int
    max_rounds: int
    low: float
    high: float
    samples_saved: int


async def _run_sequentially(run: _Run, rounds: list[list[tuple[Case, int]]],
                            earlier: dict[tuple[str, int], bool | None], gate: SequentialGate,
                            workers: int) -> StopInfo:
    """Run round by round; after each, ask the gate; stop at the first decided round."""
    outcomes = dict(earlier)
    verdict: str | None = None
    bounds = None
    finished = 0
    for index, todo in enumerate(rounds):
        await run.all(todo, max(1, min(workers, len(todo) or 1)))
        outcomes.update(run.outcomes)
        finished = index + 1
        by_round: list[list[bool]] = [[] for _ in range(finished)]
        for (_, repeat), passed in outcomes.items():
            if passed is not None and repeat < finished:
                by_round[repeat].append(passed)
        verdict, bounds = gate.decide(by_round)
        if verdict is not None:
            break
    assert bounds is not None
    saved = sum(len(r) for r in rounds[finished:])
    return StopInfo(verdict=verdict, rounds=finished, max_rounds=len(rounds), low=bounds.low, high=bounds.high,
                    samples_saved=saved)


class _OpenedLog(Struct):
    """The log writer, the samples already recorded (to skip), their outcomes (for the progress bar and a
    sequential resume)."""

    writer: RunLogWriter
    skip: set[tuple[str, int]]
    outcomes: dict[tuple[str, int], bool | None] = field(default_factory=dict)
    passed: int = 0
    scored: int = 0
    errors: int = 0


def _open_log(log_path: Path, header: dict[str, Any], *, resume: bool, retry_errors: bool) -> _OpenedLog:
    """Start a new log, or read back the one to resume (checking it belongs to this run) and open it to append;
    either way under the log's lock, taken before the file is read or touched."""
    if not resume:
        return _OpenedLog(RunLogWriter(log_path, header=header), set())
    if not log_path.is_file():
        raise RunLogError(f"cannot resume: no run log at {log_path}", hint="start the run without --resume")
    lock = LogLock(log_path)
    try:
        try:
            previous = read_log(log_path)
        except RunLogError as exc:
            raise RunLogError(f"cannot resume: {exc.message}", hint=exc.hint) from exc
        _check_resumable(previous.header, header, log_path)
        skip = previous.done(include_errors=not retry_errors)
        opened = _OpenedLog(RunLogWriter(log_path, resume_at=previous.valid_bytes, lock=lock), skip)
    except BaseException:
        lock.release()
        raise
    for sample in previous.samples:
        key = (str(sample["case_id"]), int(sample["repeat"]))
        if key in skip:
            outcome = sample.get("passed")
            opened.outcomes[key] = outcome
            opened.scored += outcome is not None
            opened.passed += outcome is True
            opened.errors += outcome is None
    return opened


def _add_usage(total: dict[str, float], usage: dict[str, Any] | None) -> None:
    for name, value in (usage or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            total[name] = total.get(name, 0) + value


class _Run(Struct):
    """The state one run's workers share. `slots` bounds the target and judge calls in flight together."""

    target: Target
    judge: Target | None
    timeout_s: float
    writer: RunLogWriter
    rpm: TokenBucket | None
    tpm: TokenBucket | None
    cache: OutputCache | None
    retry: RetryPolicy
    sleep: Sleep
    rng: random.Random
    progress: _Progress
    slots: asyncio.Semaphore
    base_dir: Path | None = None
    client: httpx.AsyncClient | None = None
    suite_judge: TargetSpec | None = None
    written: int = 0
    errors: int = 0
    cached: int = 0
    outcomes: dict[tuple[str, int], bool | None] = field(default_factory=dict)
    _judges: dict[str, Target] = field(default_factory=dict)

    async def all(self, todo: list[tuple[Case, int]], workers: int) -> None:
        queue: asyncio.Queue[tuple[Case, int]] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)

        async def worker() -> None:
            while True:
                try:
                    case, repeat = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await self.one(case, repeat)

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            # On an error or Ctrl-C, stop the other workers; what they finished is already in the log.
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)

    async def one(self, case: Case, repeat: int) -> None:
        output: TargetOutput | None = None
        error: TargetError | None = None
        attempts = 0
        from_cache = False
        key = OutputCache.key(self.target.key(), case, repeat) if self.cache is not None else ""
        if self.cache is not None:
            output = self.cache.get(key)
            from_cache = output is not None
        scores: list[dict[str, Any]] = []
        error_kind: str | None = None
        judge_usage: dict[str, float] = {}
        if output is None:
            try:
                if case.turns is not None:
                    output, attempts = await self._conversation(case, repeat)
                else:
                    output, attempts = await self._with_retries(lambda: self._call(self.target, case, repeat))
            except _GaveUp as failed:
                error, attempts, error_kind = failed.error, failed.attempts, failed.error.kind
            if output is not None and self.cache is not None:
                self.cache.put(key, output)
        if output is not None:
            try:
                results = await score_sample(case, output, case.assert_, judge=self.judge,
                                             call_judge=self._judge_caller(judge_usage))
                scores = [r.to_log() for r in results]
            except _GaveUp as failed:
                # A judge that failed is not the system under test failing: the sample errors, kind judge_*.
                error = failed.error
                error = TargetError(f"judge: {error.message}", kind=error.kind, status=error.status)
                error_kind = f"judge_{failed.error.kind}"
            except TargetError as failed:
                error, error_kind = failed, failed.kind if isinstance(failed, ScorerError) else f"judge_{failed.kind}"
        sample = make_sample(
            case_id=case.id, repeat=repeat, output=output.text if output is not None else None,
            latency_s=output.latency_s if output is not None else None,
            error=error.message if error is not None else None, error_kind=error_kind,
            scores=scores, tags=case.tags, cluster=case.cluster, usage=output.usage if output is not None else None,
            attempts=attempts, cached=from_cache, model=output.model if output is not None else None,
            judge_usage=judge_usage or None, extra=_extra(output),
        )
        self.writer.write_sample(sample)
        self.written += 1
        self.cached += from_cache
        self.errors += sample["passed"] is None
        self.outcomes[(case.id, repeat)] = sample["passed"]
        if self.cache is not None and self.written % 256 == 0:
            self.cache.commit()
        self.progress.advance(sample["passed"])

    async def _conversation(self, case: Case, repeat: int) -> tuple[TargetOutput, int]:
        """A multi-turn case: each user turn is sent with the conversation so far, the model's earlier replies
        included; the last reply is the output, every reply is in `turns`, usage is summed."""
        messages = _opening_messages(case.input)
        replies: list[str] = []
        usage: dict[str, float] = {}
        attempts = 0
        latency = 0.0
        last: TargetOutput | None = None
        for turn in case.turns or []:
            messages.append({"role": "user", "content": turn} if isinstance(turn, str) else dict(turn))
            step = case.model_copy(update={"input": [dict(m) for m in messages], "turns": None})
            reply, tries = await self._with_retries(partial(self._call, self.target, step, repeat))
            attempts += tries
            latency += reply.latency_s
            _add_usage(usage, reply.usage)
            replies.append(reply.text)
            messages.append({"role": "assistant", "content": reply.text})
            last = reply
        assert last is not None
        return last.model_copy(update={"turns": replies, "latency_s": latency, "usage": usage or None}), attempts

    def _judge_caller(self, usage: dict[str, float]) -> JudgeCall:
        async def call_judge(spec: AssertionSpec, prompt: Case, index: int) -> TargetOutput:
            target = self._judge_for(spec)
            key = OutputCache.key("judge:" + target.key(), prompt, index) if self.cache is not None else ""
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is not None:
                return cached
            reply, _ = await self._with_retries(lambda: self._call(target, prompt, index))
            _add_usage(usage, reply.usage)
            if self.cache is not None:
                self.cache.put(key, reply)
            return reply

        return call_judge

    def _judge_for(self, spec: AssertionSpec) -> Target:
        own = spec.arg("judge")
        if own is None and self.judge is not None:
            return self.judge
        judge_spec = spec.judge_spec if own is not None else self.suite_judge
        if judge_spec is None:
            raise ScorerError("llm-judge has no judge target: set judge: at suite level or in the assertion")
        found = self._judges.get(judge_spec.target_key())
        if found is None:
            found = self._judges[judge_spec.target_key()] = build_target(judge_spec, self.base_dir,
                                                                         client=self.client)
        return found

    async def close_judges(self) -> None:
        for built in self._judges.values():
            await aclose_target(built)

    async def _call(self, target: Target, case: Case, repeat: int) -> TargetOutput:
        charged = 0.0
        async with self.slots:
            if self.rpm is not None:
                await self.rpm.acquire(1.0)
            if self.tpm is not None:
                charged = await self.tpm.acquire(_estimate_tokens(case, target))
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation (Ctrl-C) that
                # comes as the call finishes, and the run would go on to the next sample.
                async with asyncio.timeout(self.timeout_s):
                    output = await target.call(case, repeat)
            except TimeoutError as exc:
                raise TargetError(f"no answer within {self.timeout_s:g}s", retryable=True, kind="timeout") from exc
        if self.tpm is not None:
            self.tpm.adjust(_used_tokens(output) - charged)
        return output

    async def _with_retries(self, attempt: Callable[[], Awaitable[T]]) -> tuple[T, int]:
        """The attempt's result and how many tries it took; _GaveUp when it failed for good."""
        tries = 0
        while True:
            tries += 1
            try:
                return await attempt(), tries
            except TargetError as exc:
                if not exc.retryable or tries >= self.retry.max_attempts:
                    raise _GaveUp(exc, tries) from exc
                await self.sleep(self.retry.delay(tries - 1, exc.retry_after_s, self.rng))


def _opening_messages(value: Any) -> list[dict[str, Any]]:
    """A multi-turn case's opening messages (a system prompt, earlier context) from its `input`."""
    if value is None:
        return []
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
        return [dict(m) for m in value]
    return [{"role": "system", "content": value if isinstance(value, str) else json.dumps(value, default=str)}]


def _extra(output: TargetOutput | None) -> dict[str, Any] | None:
    """The sample fields only some outputs have: tool calls, retrieved sources, the replies of each turn."""
    if output is None:
        return None
    extra: dict[str, Any] = {}
    if output.tool_calls:
        extra["tool_calls"] = [{"name": c.name, "arguments": c.arguments if c.arguments is not None
                                else c.arguments_text} for c in output.tool_calls]
    if output.sources is not None:
        extra["sources"] = output.sources
    if output.turns is not None:
        extra["turns"] = output.turns
    return extra or None


class _GaveUp(Exception):
    """A call (or scoring) that failed for good: the last error and the number of tries."""

    def __init__(self, error: TargetError, attempts: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.attempts = attempts


__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "OutputCache",
    "ResumeMismatchError",
    "RetryPolicy",
    "RunResult",
    "StopInfo",
    "TokenBucket",
    "run_suite",
    "run_until_ctrl_c",
]
