"""A gate is never green on nothing: errored runs fail, mistakes are named (exit 2), logs and suites are safe, and
what comes from cases is escaped in every format. Also the features large suites need: sequential stopping, cost,
per-case repeats, conversations, tool calls and retrieval."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from aiwell.eval import report as R
from aiwell.eval.cli import main
from aiwell.eval.runlog import LogLock, RunLogError, RunLogLockedError, RunLogWriter, make_header, read_log
from aiwell.eval.stub import StubConfig, start_stub
from aiwell.eval.suite import SuiteError, load_suite


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    assert isinstance(done.value.code, int)
    # The console wraps long lines at its width; the words are what the tests read.
    return done.value.code, captured.out if captured.out.lstrip().startswith("{") else " ".join(
        captured.out.split()), " ".join(captured.err.split())


def _suite(tmp_path: Path, cases: list[dict[str, Any]], **top: Any) -> Path:
    data = {"name": "s", "target": {"type": "python", "function": "bot:answer"}, "cases": cases, **top}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _bot(tmp_path: Path, body: str) -> None:
    (tmp_path / "bot.py").write_text(body, encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- never green on nothing --------------------------------------------------------------------------------------


def test_an_endpoint_that_is_down_fails_the_run_and_says_why(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    port = _free_port()  # nothing listens here
    suite = _suite(tmp_path, [{"id": f"c{i}", "input": "hi", "assert": [{"type": "contains", "value": "x"}]}
                              for i in range(2)],
                   target={"type": "openai", "endpoint": f"http://127.0.0.1:{port}/v1", "model": "m"})
    code, out, _ = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run.jsonl"))
    assert code == 1
    assert "no data" in out and "errors, by cause" in out and "connection" in out
    assert "gate errors: FAIL" in out and "2 case(s) had no sample scored" in out
    document = R.report_from_log(tmp_path / "run.jsonl")
    markdown = R.render_markdown(document)
    assert "| errors | kind | first message | cases |" in markdown and "connection" in markdown
    assert "Errors, by cause" in R.render_html(document)
    # Allowing the errors explicitly still reports them; nothing scored is still not a pass.
    code, out, _ = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run.jsonl"), "--resume",
                        "--max-errors", "100%")
    assert code == 1 and "gate scored: FAIL" in out


def test_a_judge_whose_replies_cannot_be_read_fails_the_run(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    _bot(tmp_path, "def answer(text):\n    return 'an answer'\n\ndef judge(text):\n    return 'hmm, maybe'\n")
    suite = _suite(tmp_path, [{"id": "judged", "input": "q", "assert": [{"type": "llm-judge", "rubric": "good"}]},
                              {"id": "plain", "input": "q", "assert": [{"type": "contains", "value": "answer"}]}],
                   judge={"type": "python", "function": "bot:judge"}, repeats=2)
    code, out, _ = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run.jsonl"), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["summary"]["n_cases_errored"] == 1 and document["summary"]["cases_errored"] == ["judged"]
    (group,) = document["errors"]
    assert group["kind"] == "scorer" and "llm-judge reply unreadable" in group["message"] and group["count"] == 2
    assert {g["name"]: g["passed"] for g in document["gates"]} == {"errors": False}
    code, out, _ = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run2.jsonl"), "--max-errors", "2")
    assert code == 0


def test_a_scorer_with_a_signature_that_cannot_work_is_refused_at_load(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    _bot(tmp_path, "def answer(text):\n    return 'x'\n\ndef score(output, case):\n    return True\n")
    suite = _suite(tmp_path, [{"id": "a", "input": "q", "assert": [{"python": "bot:score"}]}])
    code, _, err = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run.jsonl"))
    assert code == 2 and "multiple values" in err and "bot:score" in err and "Traceback" not in err
    (tmp_path / "bot2.py").write_text("def answer(text, extra):\n    return 'x'\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="parameter 'extra' has no value"):
        load_suite(_suite(tmp_path, [{"id": "a", "input": "q", "assert": [{"type": "contains", "value": "x"}]}],
                          target={"type": "python", "function": "bot2:answer"}))


def test_the_stub_on_a_busy_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = _run(capsys, "stub", "--port", str(port))
    assert code == 2 and "in use; try --port 0" in err


def test_import_refuses_a_file_that_is_not_what_from_says(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"schema": "aiwell.report/1", "results": [{"rule_id": "AIS001"}]}))
    code, _, err = _run(capsys, "import", str(review), "--from", "promptfoo")
    assert code == 2 and "aiwell file" in err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"results": [{"rule_id": "AIS001", "status": "fail"}]}))
    code, _, err = _run(capsys, "import", str(other), "--from", "promptfoo")
    assert code == 2 and "does not look like promptfoo output" in err


def test_resume_with_other_repeats_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _bot(tmp_path, "def answer(text):\n    return 'ok'\n")
    suite = _suite(tmp_path, [{"id": "a", "input": "q", "assert": [{"type": "contains", "value": "ok"}]}], repeats=2)
    log = tmp_path / "run.jsonl"
    assert _run(capsys, "run", str(suite), "--log", str(log))[0] == 0
    code, _, err = _run(capsys, "run", str(suite), "--log", str(log), "--resume", "--repeats", "5")
    assert code == 2 and "repeats [2] there, [5] now" in err


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # PySpark's handler does this, after cancelling its jobs


def _note_and_go_on(signum: int, frame: object) -> None:
    """A library's handler that only takes note."""


@pytest.mark.parametrize("handler_before", [signal.default_int_handler, _raise_keyboard_interrupt, _note_and_go_on],
                         ids=["python-default", "raises-like-pyspark", "swallows"])
def test_ctrl_c_says_how_to_resume(capsys: pytest.CaptureFixture[str], tmp_path: Path, handler_before: Any) -> None:
    # A real Ctrl-C: SIGINT to this process while the third sample is in flight, whatever handler a library had
    # installed before the run (asyncio.run handles Ctrl-C only over Python's default one).
    original = signal.signal(signal.SIGINT, handler_before)
    try:
        _interrupted_at_the_third_sample(capsys, tmp_path)
        assert signal.getsignal(signal.SIGINT) is handler_before
    finally:
        signal.signal(signal.SIGINT, original)


def _interrupted_at_the_third_sample(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _bot(tmp_path, "import asyncio, os, signal\ncalls = []\nasync def answer(text):\n    calls.append(text)\n"
                   "    if len(calls) > 2:\n        os.kill(os.getpid(), signal.SIGINT)\n"
                   "        await asyncio.sleep(5)\n    return 'ok'\n")
    suite = _suite(tmp_path, [{"id": f"c{i}", "input": f"q{i}", "assert": [{"type": "contains", "value": "ok"}]}
                              for i in range(5)], concurrency=1)
    log = tmp_path / "run.jsonl"
    code, _, err = _run(capsys, "run", str(suite), "--log", str(log))
    assert code == 130 and f"--log {log} --resume" in err
    assert len(read_log(log).samples) == 2


# --- the run log ------------------------------------------------------------------------------------------------


def _log_with(tmp_path: Path, lines: list[dict[str, Any]], plan: dict[str, int] | None = None) -> Path:
    header = make_header(suite="s", suite_path=None, target={"type": "python"}, target_key="k", scorers=[],
                         repeats=2, n_cases=1, plan=plan)
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in [header, *lines]) + "\n")
    return path


@pytest.mark.parametrize("repeat", [None, "abc", 1.7, -1, True])
def test_a_malformed_repeat_is_named_by_file_and_line(tmp_path: Path, repeat: Any) -> None:
    path = _log_with(tmp_path, [{"case_id": "a", "repeat": 0, "passed": True},
                                {"case_id": "a", "repeat": repeat, "passed": True}])
    with pytest.raises(RunLogError, match=r"log.jsonl:3: repeat must be a whole number"):
        read_log(path)


def test_samples_outside_the_plan_are_not_counted(tmp_path: Path) -> None:
    path = _log_with(tmp_path, [{"case_id": "a", "repeat": 0, "passed": True},
                                {"case_id": "a", "repeat": 1, "passed": True},
                                {"case_id": "a", "repeat": 2, "passed": False},  # beyond the plan's 2 repeats
                                {"case_id": "gone", "repeat": 0, "passed": False}],  # no longer in the suite
                     plan={"a": 2})
    log = read_log(path)
    assert [(s["case_id"], s["repeat"]) for s in log.samples] == [("a", 0), ("a", 1)] and len(log.outside) == 2
    document = R.report_from_log(path)
    assert document["summary"]["n_cases"] == 1 and document["summary"]["ignored_samples"] == 2
    assert document["summary"]["pass_rate"] == 1.0


def test_two_writers_cannot_write_one_log_at_once(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    header = make_header(suite="s", suite_path=None, target={}, target_key="k", scorers=[], repeats=1, n_cases=1)
    with RunLogWriter(path, header=header), pytest.raises(RunLogLockedError, match="being written by another run"):
        LogLock(path)
    LogLock(path).release()  # released on close


def test_secrets_in_an_endpoint_url_are_masked_in_the_log(tmp_path: Path) -> None:
    from aiwell.eval.specs import TargetSpec

    spec = TargetSpec.model_validate({"type": "openai", "model": "m",
                                      "endpoint": "https://user:s3cret@llm.example/v1?api-key=k3y&v=1"})
    redacted = json.dumps(spec.redacted())
    assert "s3cret" not in redacted and "k3y" not in redacted and "v=1" in redacted and "user:***@" in redacted
    http = TargetSpec.model_validate({"type": "http", "url": "https://h.example/x?sig=abc&token=${TOKEN}"})
    assert http.redacted()["url"] == "https://h.example/x?sig=***&token=${TOKEN}"


# --- suite files --------------------------------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\nname: s\ntarget: {type: python, function: 'bot:answer'}\n"
                    "cases: [{id: a, input: *a8, assert: [{type: contains, value: x}]}]\n")
    with pytest.raises(SuiteError, match="expands to more than"):
        load_suite(path)


def test_duplicate_keys_are_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: s\ntarget: {type: python, function: 'bot:answer'}\nrepeats: 2\nrepeats: 3\ncases: []\n")
    with pytest.raises(SuiteError, match=r"dup.yaml:4: duplicate key 'repeats' \(first at line 3\)"):
        load_suite(path)
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a", "input": "q", "input": "r"}\n')
    with pytest.raises(SuiteError, match="cases.jsonl:1: duplicate key 'input'"):
        load_suite(_suite(tmp_path, ["cases.jsonl"]))  # type: ignore[list-item]


# --- escaping -----------------------------------------------------------------------------------------------------


def _hostile_report() -> dict[str, Any]:
    nasty = "<script>alert(1)</script>\x1b[31m[red]x[/red]\x07"
    samples = [{"case_id": nasty, "repeat": r, "passed": r == 0, "error": None, "tags": [nasty], "scores": []}
               for r in range(3)]
    samples.append({"case_id": "e", "repeat": 0, "passed": None, "error": f"boom {nasty}", "error_kind": "exception",
                    "tags": [], "scores": []})
    return R.build_report(samples, suite=nasty)


def test_what_comes_from_cases_is_escaped_in_every_format() -> None:
    from io import StringIO

    from rich.console import Console

    report = _hostile_report()
    markdown = R.render_markdown(report)
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown and "\x1b" not in markdown
    junit = R.render_junit(report)
    ElementTree.fromstring(junit)  # valid XML despite the control characters
    assert "\x1b" not in junit and "\x07" not in junit
    buffer = StringIO()
    R.render_terminal(report, Console(file=buffer, width=200, force_terminal=True))
    text = buffer.getvalue()
    assert "\x1b[31m[red]" not in text and "\\x1b" in text and "[red]x[/red]" in text  # shown, not obeyed
    page = R.render_html(report)
    assert "<script>alert" not in page


# --- features for large suites -----------------------------------------------------------------------------------


def test_a_sequential_run_stops_once_the_gate_is_decided(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _bot(tmp_path, "def answer(text):\n    return 'ok'\n")
    suite = _suite(tmp_path, [{"id": f"c{i}", "input": f"q{i}", "assert": [{"type": "contains", "value": "ok"}]}
                              for i in range(60)], repeats=20)
    code, out, _ = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run.jsonl"), "--format", "json",
                        "--min-pass-rate", "0.8", "--sequential")
    assert code == 0
    document = json.loads(out)
    stop = document["summary"]["sequential"]
    assert stop["verdict"] == "pass" and stop["rounds"] < 20 and stop["samples_saved"] == 60 * (20 - stop["rounds"])
    assert document["summary"]["n_samples"] == 60 * stop["rounds"]


def test_per_case_repeats_override_the_suites(tmp_path: Path) -> None:
    _bot(tmp_path, "def answer(text):\n    return 'ok'\n")
    suite = load_suite(_suite(tmp_path, [{"id": "once", "input": "q", "repeats": 1,
                                          "assert": [{"type": "contains", "value": "ok"}]},
                                         {"id": "often", "input": "q",
                                          "assert": [{"type": "contains", "value": "ok"}]}], repeats=4))
    assert suite.plan() == {"once": 1, "often": 4}


def test_cost_comes_from_usage_and_the_price_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("as_of: 2026-12-01\ncurrency: EUR\nmodels: {stub: {input: 1000000, output: 2000000}}\n")
    with start_stub(StubConfig(default_pass_answer="ok")) as url:
        suite = _suite(tmp_path, [{"id": "a", "input": "abcdefgh", "assert": [{"type": "contains", "value": "ok"}]}],
                       target={"type": "openai", "endpoint": f"{url}/v1", "model": "stub"}, repeats=2)
        code, out, _ = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run.jsonl"), "--format", "json",
                            "--prices", str(prices))
    assert code == 0
    usage = json.loads(out)["usage"]
    # The stub counts 4 characters a token: 2 prompt tokens and 1 completion token per sample.
    assert (usage["input_tokens"], usage["output_tokens"]) == (4, 2)
    assert usage["cost"] == pytest.approx(4 * 1.0 + 2 * 2.0) and usage["currency"] == "EUR" and usage["complete"]


def test_conversations_tool_calls_and_retrieval(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _bot(tmp_path, """
from aiwell.eval.specs import TargetOutput, ToolCall

def answer(messages):
    said = [m["content"] for m in messages if m["role"] == "user"]
    replies = [m["content"] for m in messages if m["role"] == "assistant"]
    if len(said) == 1:
        return TargetOutput(text="which city?", tool_calls=[ToolCall(name="lookup", arguments={"city": "Paris"})],
                            sources=[{"id": "faq.md"}, {"id": "policy.pdf"}])
    return TargetOutput(text=f"after {replies[-1]!r}: sunny in {said[-1]}", sources=["policy.pdf"])
""")
    suite = _suite(tmp_path, [{
        "id": "chat", "turns": ["weather?", "Paris"],
        "assert": [{"type": "contains", "value": "which city", "turn": 0},
                   {"type": "contains", "value": "after 'which city?': sunny in Paris"},
                   {"type": "source-present", "value": "policy.pdf"},
                   {"type": "recall-at-k", "value": ["policy.pdf", "faq.md"], "k": 1, "threshold": 0.5}],
    }, {
        "id": "tool", "input": [{"role": "user", "content": "weather?"}],
        "assert": [{"type": "tool-call", "name": "lookup", "path": "$.city", "value": "Paris"},
                   {"type": "tool-call", "name": "delete_account", "absent": True},
                   {"type": "tool-call", "name": "lookup", "schema": {"type": "object", "required": ["date"]}}],
    }])
    code, out, err = _run(capsys, "run", str(suite), "--log", str(tmp_path / "run.jsonl"), "--format", "json")
    assert out.startswith("{"), err
    document = json.loads(out)
    by_case = {c["id"]: c for c in document["cases"]}
    assert by_case["chat"]["pass_rate"] == 1.0
    assert by_case["tool"]["pass_rate"] == 0.0  # the schema assertion fails: no date argument
    chat = next(s for s in document["samples"] if s["case_id"] == "chat")
    assert chat["turns"] == ["which city?", "after 'which city?': sunny in Paris"]
    metrics = {m["name"]: m for m in document["metrics"]}
    assert metrics["recall-at-k"]["group"] == "retrieval" and metrics["tool-call"]["group"] == "tools"
    assert code == 0
