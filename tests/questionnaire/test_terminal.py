"""The terminal questionnaire, driven for real: arrow keys through a pseudo-terminal (pexpect), numbered prompts
through a pseudo-terminal with --plain and through a pipe; every answer saved at once and the next run resuming."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect

from aiwell.questionnaire import load_questions
from aiwell.questionnaire.answers import load_answers

CATALOG = load_questions()
AIWELL = [str(Path(sys.executable).with_name("aiwell"))]
DOWN, ENTER, CTRL_C = "\x1b[B", "\r", "\x03"


def _spawn(*args: str, cwd: Path) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm-256color", "NO_COLOR": "1", "COLUMNS": "120", "LINES": "40"}
    return pexpect.spawn(AIWELL[0], [*AIWELL[1:], *args], cwd=str(cwd), env=env, encoding="utf-8", timeout=30,
                         dimensions=(40, 120))


def test_arrow_keys_answer_save_at_once_and_the_next_run_resumes(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    child = _spawn("questionnaire", "--answers", str(answers), "--area", "testing", cwd=tmp_path)
    child.expect("Q-TE-01")
    child.expect("Your answer")
    child.send(DOWN + DOWN)  # spot checks → small set → statistical
    child.send(ENTER)
    child.expect("Q-TE-02")
    child.expect("Your answer")
    # Saved before the next question is even answered.
    assert load_answers(answers, CATALOG).get("Q-TE-01").choices == ("statistical",)  # type: ignore[union-attr]
    child.send(CTRL_C)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "the same command to resume" in " ".join((child.before or "").split())

    again = _spawn("questionnaire", "--answers", str(answers), "--area", "testing", cwd=tmp_path)
    again.expect("Q-TE-02")  # Q-TE-01 is not asked again
    again.expect("Your answer")
    again.send(ENTER)  # the first choice: none
    again.expect("Q-TE-03")
    again.expect("Your answer")
    again.send(CTRL_C)
    again.expect(pexpect.EOF)
    saved = load_answers(answers, CATALOG)
    assert saved.get("Q-TE-01").choices == ("statistical",)  # type: ignore[union-attr]
    assert saved.get("Q-TE-02").choices == ("none",)  # type: ignore[union-attr]


def test_multi_select_with_space_and_enter(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("schema: aiwell.answers/1\nanswers:\n  Q-TE-01: statistical\n  Q-TE-02: none\n"
                       "  Q-TE-03: one\n  Q-TE-04: not-applicable\n", encoding="utf-8")
    child = _spawn("questionnaire", "--answers", str(answers), "--area", "testing", cwd=tmp_path)
    child.expect("Q-TE-05")
    child.expect("Select what applies")
    child.send(" " + DOWN + DOWN + " " + ENTER)  # jailbreak tests and red teaming
    child.expect("Q-TE-06")
    child.expect("Your answer")
    child.send(CTRL_C)
    child.expect(pexpect.EOF)
    assert load_answers(answers, CATALOG).get("Q-TE-05").choices == ("jailbreak", "red-team")  # type: ignore[union-attr]


def test_plain_prompts_on_a_terminal_and_through_a_pipe(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    child = _spawn("questionnaire", "--answers", str(answers), "--area", "personas", "--plain", cwd=tmp_path)
    child.expect("Q-PER-01")
    child.expect(r"Your answer \(a number\)")
    child.sendline("9")
    child.expect("Please give a number")
    child.sendline("3")
    child.expect("Q-PER-02")
    child.sendline("q")
    child.expect(pexpect.EOF)
    assert load_answers(answers, CATALOG).get("Q-PER-01").choices == ("defined",)  # type: ignore[union-attr]

    piped = subprocess.run([*AIWELL, "questionnaire", "--answers", str(answers), "--area", "personas"],
                           input="s\n3\nq\n", capture_output=True, text=True, cwd=tmp_path, timeout=60,
                           env={**os.environ, "NO_COLOR": "1"})
    assert piped.returncode == 0, piped.stderr
    saved = load_answers(answers, CATALOG)
    assert saved.get("Q-PER-02").choices is None  # type: ignore[union-attr]  # skipped
    assert saved.get("Q-PER-03").choices == ("not-applicable",)  # type: ignore[union-attr]
    assert "Resume with: aiwell questionnaire --answers" in piped.stdout
