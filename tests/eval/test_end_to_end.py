"""End to end through the CLI: the issue's smallest suite as written, a stub-backed suite run twice with a planted
regression and compared, and a gate that fails on the interval's lower bound while the point estimate passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.eval.cli import main
from aiwell.eval.stub import StubCase, StubConfig, start_stub

SMALLEST_SUITE = """\
name: arithmetic
target: {type: python, function: "mypkg.bot:answer"}   # called with the case input, returns text
repeats: 10
cases:
  - id: add-1
    input: "What is 2 + 2?"
    assert: [{type: contains, value: "4"}]
"""

BOT = '''\
def answer(question):
    return "2 + 2 = 4"
'''


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


def test_the_smallest_suite_as_written_runs_to_the_documented_json(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "bot.py").write_text(BOT)
    (tmp_path / "suite.yaml").write_text(SMALLEST_SUITE)
    run_json = tmp_path / "RUN.json"
    code, _, err = _run(capsys, "run", str(tmp_path / "suite.yaml"), "--format", "json", "--output", str(run_json),
                        "--log", str(tmp_path / "run.jsonl"))
    assert code == 0, err
    report = json.loads(run_json.read_text())
    assert report["schema"] == "aiwell.eval/1" and report["suite"] == "arithmetic"
    summary = report["summary"]
    assert {"pass_rate", "ci_low", "ci_high", "n_cases", "n_samples", "errors"} <= set(summary)
    assert (summary["pass_rate"], summary["n_cases"], summary["n_samples"], summary["errors"]) == (1.0, 1, 10, 0)
    assert 0.65 < summary["ci_low"] < 0.75 and summary["ci_high"] == 1.0  # Wilson 10/10: 72.2% – 100%
    (case,) = report["cases"]
    assert {"id", "pass_rate", "ci_low", "ci_high", "n", "label"} <= set(case)
    assert (case["id"], case["n"], case["label"]) == ("add-1", 10, "stable-pass")
    assert len(report["samples"]) == 10 and report["log"] == str(tmp_path / "run.jsonl")

    # Resuming a finished run redoes nothing and reports the same numbers.
    code, _, _ = _run(capsys, "run", str(tmp_path / "suite.yaml"), "--format", "json", "--output",
                      str(tmp_path / "again.json"), "--log", str(tmp_path / "run.jsonl"), "--resume")
    assert code == 0
    assert json.loads((tmp_path / "again.json").read_text())["summary"] == summary
    assert len((tmp_path / "run.jsonl").read_text().splitlines()) == 11  # header + 10 samples


N_CASES = 40


def _stub_config(drop: float) -> StubConfig:
    """Forty questions with pass probabilities from 0.6 to 0.99, lowered by `drop` (the planted regression)."""
    cases = [StubCase(match=f"question {i:02d}?", pass_probability=max(0.0, 0.6 + 0.39 * i / (N_CASES - 1) - drop),
                      pass_answer="the right answer", fail_answer="a wrong answer")
             for i in range(N_CASES)]
    return StubConfig(seed=11, cases=cases)


def _stub_suite(path: Path, base_url: str) -> Path:
    suite = {
        "name": "stub-support",
        "target": {"type": "openai", "endpoint": f"{base_url}/v1", "model": "stub"},
        "repeats": 5,
        "concurrency": 16,
        "defaults": {"assert": [{"type": "contains", "value": "right"}]},
        "cases": [{"id": f"q{i:02d}", "input": f"question {i:02d}?", "tags": ["early" if i < 20 else "late"]}
                  for i in range(N_CASES)],
    }
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def _run_against_stub(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, drop: float,
                      *extra: str) -> tuple[int, dict[str, Any], str]:
    with start_stub(_stub_config(drop)) as base_url:
        suite = _stub_suite(tmp_path / f"{name}.yaml", base_url)
        out = tmp_path / f"{name}.json"
        code, _, err = _run(capsys, "run", str(suite), "--format", "json", "--output", str(out),
                            "--log", str(tmp_path / f"{name}.jsonl"), *extra)
    return code, json.loads(out.read_text()), err


def test_a_planted_regression_against_the_stub_is_significant(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    code, before, err = _run_against_stub(capsys, tmp_path, "before", 0.0)
    assert code == 0, err
    assert before["summary"]["n_samples"] == N_CASES * 5 and before["summary"]["errors"] == 0
    code, after, _ = _run_against_stub(capsys, tmp_path, "after", 0.2,
                                       "--baseline", str(tmp_path / "before.json"), "--margin", "0.02")
    assert code == 1  # the non-inferiority gate against the baseline fails
    assert after["baseline"]["ci_low"] < -0.02
    assert {g["name"]: g["passed"] for g in after["gates"]} == {"non-inferiority": False, "errors": True}

    code, out, _ = _run(capsys, "compare", str(tmp_path / "before.json"), str(tmp_path / "after.json"),
                        "--format", "json")
    assert code == 0
    comparison = json.loads(out)
    assert comparison["significant"] and comparison["n_pairs"] == N_CASES
    assert comparison["ci_low"] < comparison["delta"] < comparison["ci_high"] < 0
    assert -0.3 < comparison["delta"] < -0.1  # about the 20 points planted
    assert {row["tag"] for row in comparison["by_tag"]} == {"early", "late"}

    # A rerun of the unchanged model is noise, not a regression: the baseline gate passes.
    code, rerun, err = _run_against_stub(capsys, tmp_path, "rerun", 0.0,
                                         "--baseline", str(tmp_path / "before.json"), "--margin", "0.1")
    assert code == 0, err
    assert not rerun["baseline"]["significant"]

    html = tmp_path / "compare.html"
    code, _, _ = _run(capsys, "compare", str(tmp_path / "before.json"), str(tmp_path / "after.json"),
                      "--format", "html", "--output", str(html))
    assert code == 0 and "forest plot" in html.read_text()


def test_the_gate_fails_on_the_lower_bound_while_the_point_estimate_passes(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path) -> None:
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "bot.py").write_text(
        "def answer(question):\n    return 'no idea' if 'hard' in question else 'yes'\n")
    suite = {"name": "mostly-right", "target": {"type": "python", "function": "mypkg.bot:answer"},
             "cases": [{"id": f"c{i:02d}", "input": "hard one" if i == 0 else f"easy {i}",
                        "assert": [{"type": "contains", "value": "yes"}]} for i in range(15)]}
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite))
    args = ["run", str(tmp_path / "suite.yaml"), "--log", str(tmp_path / "run.jsonl")]
    code, out, _ = _run(capsys, *args, "--min-pass-rate", "0.9")
    assert code == 1
    assert "gate min-pass-rate: FAIL" in out and "point estimate 93.3% clears 90.0%" in out
    code, out, _ = _run(capsys, *args, "--format", "junit", "--min-pass-rate", "0.9")
    assert code == 1 and 'name="c00"' in out and "<failure" in out
    code, _, _ = _run(capsys, *args, "--min-pass-rate", "0.6")
    assert code == 0


FLAKY_BOT = '''\
import itertools
_calls = itertools.count()

def answer(question):
    # Deterministic: passes 7 of every 10 calls.
    return "2 + 2 = 4" if next(_calls) % 10 < 7 else "five"
'''


def test_the_smallest_suite_compares_and_keeps_each_runs_log(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Run from the suite's folder with the default log location, as a user would.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "bot.py").write_text(FLAKY_BOT)
    (tmp_path / "suite.yaml").write_text(SMALLEST_SUITE)
    for name in ("A.json", "B.json"):
        code, _, err = _run(capsys, "run", "suite.yaml", "--format", "json", "--output", name)
        assert code == 0, err
    logs = sorted((tmp_path / ".aiwell" / "eval").glob("suite-*.jsonl"))
    assert len(logs) == 2  # the second run did not overwrite the first one's log
    assert {json.loads((tmp_path / n).read_text())["log"] for n in ("A.json", "B.json")} == {str(p.relative_to(
        tmp_path)) for p in logs}

    # One case: its repeats compare as two independent proportions.
    code, out, err = _run(capsys, "compare", "A.json", "B.json", "--format", "json")
    assert code == 0, err
    comparison = json.loads(out)
    assert comparison["schema"] == "aiwell.eval-compare/1" and comparison["test"] == "fisher-exact"
    assert {"delta", "ci_low", "ci_high", "p_value", "significant"} <= set(comparison)
    assert comparison["ci_low"] <= comparison["delta"] <= comparison["ci_high"]
    assert comparison["significant"] is False

    # --resume without --log finishes the newest run of the suite.
    code, _, err = _run(capsys, "run", "suite.yaml", "--resume", "--format", "json", "--output", "C.json")
    assert code == 0, err
    assert json.loads((tmp_path / "C.json").read_text())["log"] == str(logs[-1].relative_to(tmp_path))
