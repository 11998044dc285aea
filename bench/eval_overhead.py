"""The eval runner's own overhead: samples per second against the stub model with zero latency.

    python bench/eval_overhead.py [--cases 200] [--repeats 25] [--concurrency 64] [--promptfoo DIR]

The stub runs in a separate process (so the figure is the harness's cost, not the stub's share of one
interpreter); the suite has trivial cases and a `contains` assertion, every sample goes through the OpenAI
target, scoring and the flushed run log. Target: at least 1,000 samples/s at concurrency 64.

With `--promptfoo DIR` (a folder where `npm install promptfoo` succeeded), the same suite runs through
`promptfoo eval --repeat N` against the same stub and the ratio of the two rates is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiwell.eval.runlog import read_log
from aiwell.eval.runner import run_suite
from aiwell.eval.suite import Suite

_STUB = (
    "import sys\n"
    "from aiwell.eval.stub import StubConfig, serve_forever\n"
    "serve_forever(StubConfig(default_pass_answer='ok'), on_ready=lambda url: print(url, flush=True))\n"
)


def start_stub() -> tuple[subprocess.Popen[str], str]:
    """The stub in its own process; returns the process and its base URL."""
    proc = subprocess.Popen([sys.executable, "-c", _STUB], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"the stub did not start: {url!r}")
    return proc, url


def suite_cases(n_cases: int) -> list[dict[str, object]]:
    """Trivial cases: the question and a `contains` assertion the stub's answer ("ok") meets."""
    return [{"id": f"case-{i}", "input": f"trivial question {i}", "assert": [{"type": "contains", "value": "ok"}]}
            for i in range(n_cases)]


def bench_aiwell(url: str, n_cases: int, repeats: int, concurrency: int, workdir: Path) -> float:
    """Run the suite through aiwell's runner; returns samples per second."""
    suite = Suite.model_validate({
        "name": "overhead", "repeats": repeats, "concurrency": concurrency,
        "target": {"type": "openai", "endpoint": f"{url}/v1", "model": "stub"},
        "cases": suite_cases(n_cases),
    })
    log = workdir / "aiwell.jsonl"
    start = time.perf_counter()
    result = asyncio.run(run_suite(suite, log_path=log, concurrency=concurrency))
    elapsed = time.perf_counter() - start
    samples = read_log(log).samples
    assert len(samples) == n_cases * repeats and result.errors == 0, (len(samples), result.errors)
    assert all(s["passed"] for s in samples)
    return len(samples) / elapsed


def bench_runner_core(n_cases: int, repeats: int, concurrency: int, workdir: Path) -> float:
    """The same suite against an in-process async function (no HTTP): the runner's own cost per sample
    (scheduling, scoring, the flushed run log); returns samples per second."""
    (workdir / "instant_bot.py").write_text('async def answer(text):\n    return "ok"\n', encoding="utf-8")
    suite = Suite.model_validate({
        "name": "overhead-core", "repeats": repeats, "path": str(workdir / "suite.yaml"),
        "target": {"type": "python", "function": "instant_bot:answer"}, "cases": suite_cases(n_cases),
    })
    start = time.perf_counter()
    result = asyncio.run(run_suite(suite, log_path=workdir / "core.jsonl", concurrency=concurrency))
    elapsed = time.perf_counter() - start
    assert result.samples == n_cases * repeats and result.errors == 0
    return result.samples / elapsed


def bench_promptfoo(url: str, n_cases: int, repeats: int, concurrency: int, workdir: Path,
                    promptfoo_dir: Path) -> float:
    """Run the same suite with `promptfoo eval --repeat`; returns samples per second (wall clock of the CLI)."""
    config = {
        "description": "aiwell overhead comparison",
        "prompts": ["{{question}}"],
        "providers": [{"id": "openai:chat:stub", "config": {"apiBaseUrl": f"{url}/v1", "apiKey": "stub"}}],
        "tests": [{"vars": {"question": f"trivial question {i}"},
                   "assert": [{"type": "contains", "value": "ok"}]} for i in range(n_cases)],
    }
    config_path = workdir / "promptfooconfig.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    output = workdir / "promptfoo-out.json"
    binary = promptfoo_dir / "node_modules" / ".bin" / "promptfoo"
    env = {**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1",
           "PROMPTFOO_CONFIG_DIR": str(workdir / "promptfoo-home"), "PROMPTFOO_DISABLE_SHARING": "1"}
    command = [str(binary), "eval", "-c", str(config_path), "--repeat", str(repeats), "--max-concurrency",
               str(concurrency), "--no-cache", "--no-table", "--no-progress-bar", "--no-write", "-o", str(output)]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=workdir, check=False)
    elapsed = time.perf_counter() - start
    if not output.is_file():
        raise SystemExit(f"promptfoo failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    results = json.loads(output.read_text(encoding="utf-8"))["results"]["results"]
    passed = sum(1 for r in results if r.get("success"))
    if len(results) != n_cases * repeats or passed != len(results):
        print(f"  promptfoo: {len(results)} results, {passed} passed", file=sys.stderr)
    return len(results) / elapsed


def main() -> None:
    """Parse arguments, run the benchmarks, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--promptfoo", type=Path, help="folder with node_modules/.bin/promptfoo")
    args = parser.parse_args()
    proc, url = start_stub()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            # A small warm-up run: imports, connection pool, the stub's first requests.
            bench_aiwell(url, 20, 2, args.concurrency, workdir)
            rate = bench_aiwell(url, args.cases, args.repeats, args.concurrency, workdir)
            total = args.cases * args.repeats
            verdict = "meets" if rate >= 1000 else "BELOW"
            print(f"aiwell eval, OpenAI target over HTTP: {total} samples at concurrency {args.concurrency}: "
                  f"{rate:,.0f} samples/s ({verdict} the 1,000/s target)")
            core = bench_runner_core(args.cases, args.repeats, args.concurrency, workdir)
            print(f"aiwell eval, in-process async target (runner, scoring and run log only): {core:,.0f} samples/s")
            if args.promptfoo is not None:
                other = bench_promptfoo(url, args.cases, args.repeats, args.concurrency, workdir, args.promptfoo)
                print(f"promptfoo eval --repeat {args.repeats}: {other:,.0f} samples/s; "
                      f"aiwell is {rate / other:.1f}x promptfoo")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
