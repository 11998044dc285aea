"""`aiwell eval` as a user meets it: commands, formats, gates and exit codes (DESIGN.md §1.6)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from aiwell.eval.cli import main
from aiwell.eval.report import build_report, render_json

IMPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "imports"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


def _write_run(path: Path, rates: np.ndarray, seed: int, repeats: int = 5) -> Path:
    rng = np.random.default_rng(seed)
    draws = rng.random((rates.size, repeats)) < rates[:, None]
    samples: list[dict[str, Any]] = [
        {"case_id": f"case-{i:03d}", "repeat": r, "output": "", "latency_s": 0.0, "error": None, "error_kind": None,
         "scores": [], "passed": bool(v), "tags": ["odd" if i % 2 else "even"], "cluster": None}
        for i, row in enumerate(draws) for r, v in enumerate(row)
    ]
    path.write_text(render_json(build_report(samples, suite="s", log=None)))
    return path


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    rates = np.random.default_rng(0).beta(8, 2, size=150)
    return {
        "a": _write_run(tmp_path / "a.json", rates, 1),
        "same": _write_run(tmp_path / "same.json", rates, 2),
        "worse": _write_run(tmp_path / "worse.json", np.clip(rates - 0.12, 0, 1), 3),
    }


def test_compare_writes_the_documented_json(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    code, out, _ = _run(capsys, "compare", str(runs["a"]), str(runs["worse"]), "--format", "json")
    assert code == 0
    comparison = json.loads(out)
    assert comparison["schema"] == "aiwell.eval-compare/1"
    assert {"delta", "ci_low", "ci_high", "p_value", "test", "significant", "n_pairs", "by_tag"} <= set(comparison)
    assert comparison["significant"] and comparison["delta"] < 0


def test_compare_gates_exit_1_on_a_real_regression_only(capsys: pytest.CaptureFixture[str],
                                                        runs: dict[str, Path]) -> None:
    code, out, _ = _run(capsys, "compare", str(runs["a"]), str(runs["worse"]), "--fail-on-regression")
    assert code == 1 and "significant" in out and "gate regression: FAIL" in out
    code, out, _ = _run(capsys, "compare", str(runs["a"]), str(runs["same"]), "--margin", "0.1",
                        "--fail-on-regression")
    assert code == 0, out


def test_compare_refuses_runs_with_different_cases(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   runs: dict[str, Path]) -> None:
    other = _write_run(tmp_path / "other.json", np.full(149, 0.8), 4)
    code, _, err = _run(capsys, "compare", str(runs["a"]), str(other))
    assert code == 2 and "only in A: case-149" in err and "Traceback" not in err


def test_compare_renders_every_format(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      runs: dict[str, Path]) -> None:
    for fmt, marker in [("markdown", "### aiwell eval compare"), ("junit", "<testsuites>"),
                        ("html", "<!DOCTYPE html>"), ("terminal", "paired cases")]:
        target = tmp_path / f"compare.{fmt}"
        code, _, _ = _run(capsys, "compare", str(runs["a"]), str(runs["worse"]), "--format", fmt,
                          "--output", str(target))
        assert code == 0 and marker in target.read_text(encoding="utf-8")


def test_import_then_compare_and_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "inspect-run.json"
    code, _, err = _run(capsys, "import", str(IMPORTS / "inspect-0.3.285.json"), "--from", "inspect",
                        "--output", str(target))
    assert code == 0 and "imported 9 samples of 3 cases (3 errored; 1 case(s) with every sample errored)" in err
    report = json.loads(target.read_text())
    assert report["schema"] == "aiwell.eval/1" and report["source"]["format"] == "inspect"
    code, out, _ = _run(capsys, "compare", str(target), str(target), "--format", "json")
    assert code == 0 and json.loads(out)["delta"] == 0


def test_plan_recommends_a_design(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    code, out, _ = _run(capsys, "plan", str(runs["a"]), "--effect", "0.05", "--power", "0.8", "--format", "json")
    assert code == 0
    plan = json.loads(out)
    best = plan["recommended"]
    assert plan["schema"] == "aiwell.eval-plan/1" and best["power"] >= 0.8
    assert best["cost"] == min(row["cost"] for row in plan["rows"] if row["feasible"])
    code, out, _ = _run(capsys, "plan", str(runs["a"]), "--max-repeats", "3")
    assert code == 0 and "recommended:" in out and "between-case variance" in out


def test_usage_errors_exit_2_without_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "not-a-report.json").write_text(json.dumps({"schema": "aiwell.report/1"}))
    for args in (["compare", str(tmp_path / "not-a-report.json"), str(tmp_path / "not-a-report.json")],
                 ["import", str(tmp_path / "missing.json"), "--from", "promptfoo"],
                 ["import", str(IMPORTS / "inspect-0.3.285.json"), "--from", "deepeval"],
                 ["import", str(IMPORTS / "inspect-0.3.285.json"), "--from", "inspect", "--filter", "none"],
                 ["run", str(tmp_path / "missing.yaml")],
                 ["run", str(tmp_path / "missing.yaml"), "--min-pass-rate", "1.5"]):
        code, _, err = _run(capsys, *args)
        assert code == 2, args
        assert "Traceback" not in err


def test_stub_serves_until_stopped(tmp_path: Path) -> None:
    config = tmp_path / "stub.yaml"
    config.write_text("seed: 3\ncases:\n  - {match: ping, pass_probability: 1.0, pass_answer: pong}\n")
    command = [sys.executable, "-u", "-c", "from aiwell.eval.cli import main; main()", "stub", "--config", str(config)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url is not None, line + server.stderr.read() if server.stderr else line
        reply = httpx.post(f"{url.group(0)}/v1/chat/completions", timeout=10,
                           json={"model": "stub", "messages": [{"role": "user", "content": "ping"}]})
        assert reply.json()["choices"][0]["message"]["content"] == "pong"
    finally:
        server.terminate()
        server.communicate(timeout=10)


def test_stub_with_a_bad_config_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "stub.yaml").write_text("rate_429: 2\n")
    code, _, err = _run(capsys, "stub", "--config", str(tmp_path / "stub.yaml"))
    assert code == 2 and "Traceback" not in err


def test_retry_errors_needs_resume(capsys: pytest.CaptureFixture[str]) -> None:
    suite = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "suites" / "smallest" / "suite.yaml"
    code, _, err = _run(capsys, "run", str(suite), "--retry-errors")
    assert code == 2 and "--retry-errors only applies with --resume" in err
