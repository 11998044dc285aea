"""Every code block in docs/eval.md is run or checked, so the guide cannot drift from what aiwell does.

The blocks are taken from the guide in order and each must be recognised: suites and the Python target are written
to a temporary folder, the stub configuration is served by the guide's own `aiwell eval stub` command (port 0),
every `aiwell` command line (the GitHub Actions job's included) is run there in order, the example outputs are
matched against what the commands printed (numbers aside) and every field the schema outlines name must appear in
the JSON the commands wrote. A block this test doesn't know fails it. Offline: the Azure OpenAI endpoint in the
guide is pointed at the stub, and the other harnesses' files are the real ones in tests/fixtures/eval/imports/.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.eval.cli import main

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "eval.md"
IMPORTS = ROOT / "tests" / "fixtures" / "eval" / "imports"
AZURE_ENDPOINT = "https://my-resource.openai.azure.com"
DOCS_STUB_URL = "http://127.0.0.1:8750"

# What the guide's commands take as given: the other harnesses' files, a multi-case pilot run, the file of cases
# the big suite names, and the baseline the CI job gates on ("commit the JSON from a run on main").
GIVEN_FILES = {"before.json": "promptfoo-0.123.1.json", "after.json": "promptfoo-0.123.1.json",
               "log.json": "inspect-0.3.285.json", "results.json": "azure-ai-evaluation-1.18.10.json",
               "samples_TASK_TIME.jsonl": "lm-eval-0.4.13.jsonl"}
CASES_JSONL = [{"id": "shipping-time", "vars": {"question": "How long does shipping take?"}}]
# Added to the guide's stub configuration so the big suite has something to be right and wrong about: its refund
# question is answered right 60% of the time, and the judge's prompt (it quotes the rubric) gets a verdict.
STUB_EXTRA_CASES = [
    {"regex": r"\[Rubric\]", "pass_answer": "Says so. VERDICT: PASS"},
    {"match": "return an item", "pass_probability": 0.6, "pass_answer": "You have 30 days to return an item.",
     "fail_answer": "Please contact support."},
]
GATE_FLAGS = ("--min-pass-rate", "--baseline", "--margin", "--fail-on-errors", "--max-errors", "--fail-on-regression")
SKIPPED_LINES = ("pip install aiwell",)


@dataclass
class Block:
    """A fenced code block: its language, text and the line it starts on."""

    lang: str
    text: str
    line: int


def _blocks() -> list[Block]:
    blocks, lines = [], GUIDE.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^```(\w*)\s*$", lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        blocks.append(Block(opening.group(1), "\n".join(lines[index + 1:end]) + "\n", index + 1))
        index = end + 1
    return blocks


def _command_lines(script: str) -> Iterator[list[str]]:
    """The words of each shell line, continuations joined and comments dropped."""
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            yield words


class Guide:
    """The temporary folder the guide's commands run in, the stub they share and what they produced."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.stub: subprocess.Popen[str] | None = None
        self.stub_command: list[str] | None = None
        self.stub_url = ""
        self.printed: list[str] = []
        self.ran: list[str] = []

    def write(self, name: str, text: str) -> None:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace(AZURE_ENDPOINT, self.stub_url or AZURE_ENDPOINT)
                        .replace(DOCS_STUB_URL, self.stub_url or DOCS_STUB_URL), encoding="utf-8")

    def start_stub(self, words: list[str]) -> None:
        """The guide's `aiwell eval stub` line, on any free port, in its own process for the rest of the test."""
        assert "--port" in words, "the guide's stub command names a port"
        words[words.index("--port") + 1] = "0"
        config = self.folder / words[words.index("--config") + 1]
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["cases"] = data.get("cases", []) + STUB_EXTRA_CASES
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        self.stub = subprocess.Popen([sys.executable, "-u", "-c", "from aiwell.eval.cli import main; main()",
                                      *words[2:]], cwd=self.folder, stdout=subprocess.PIPE, text=True)
        assert self.stub.stdout is not None
        line = self.stub.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found is not None, f"the stub printed {line!r}"
        self.stub_url = found.group(0)
        for name in ("support.yaml", "stub-suite.yaml"):
            if (self.folder / name).is_file():
                self.write(name, (self.folder / name).read_text(encoding="utf-8"))

    def run(self, words: list[str], *, append_to: Path | None = None) -> None:
        """One line of the guide: `export`, an `aiwell` command (exit 0, or 1 when it asks for a gate), or a line
        this test knows to skip."""
        line = shlex.join(words)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            self.monkeypatch.setenv(name, value)
            return
        if line in SKIPPED_LINES:
            return
        assert words[:2] == ["aiwell", "eval"], f"the guide runs a command this test doesn't know: {line}"
        if words[2] == "stub":
            # The guide shows the command before the configuration it names: it starts once that is written.
            self.stub_command = words
            return
        with pytest.raises(SystemExit) as done:
            main(words[2:])
        captured = self.capsys.readouterr()
        gated = any(flag in words for flag in GATE_FLAGS)
        assert done.value.code in ((0, 1) if gated else (0,)), f"{line} exited {done.value.code}:\n{captured.err}"
        assert "Traceback" not in captured.err
        if append_to is not None:
            with append_to.open("a", encoding="utf-8") as handle:
                handle.write(captured.out)
        self.printed.append(captured.out)
        self.ran.append(line)

    def run_workflow(self, workflow: dict[str, Any]) -> None:
        """The `run:` steps of the GitHub Actions job that call aiwell, with the step's environment."""
        summary = self.folder / "step-summary.md"
        self.monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                for name, value in (step.get("env") or {}).items():
                    self.monkeypatch.setenv(name, str(value))
                for words in _command_lines(step.get("run", "")):
                    if ">>" in words:
                        assert words[words.index(">>") + 1] == "$GITHUB_STEP_SUMMARY"
                        self.run(words[:words.index(">>")], append_to=summary)
                    else:
                        self.run(words)
        assert "aiwell eval compare" in summary.read_text(encoding="utf-8")

    def stop(self) -> None:
        if self.stub is not None:
            self.stub.terminate()
            self.stub.wait(timeout=10)
            assert self.stub.stdout is not None
            self.stub.stdout.close()


def _shape(example: str) -> re.Pattern[str]:
    """A pattern for an example line: its words as written, but any number where it has one, any method name in
    parentheses (the test or interval used depends on the data), "not significant" for "significant", any
    spacing."""
    words = []
    for token in example.split():
        if token == "significant":
            words.append(r"(?:not\s+)?significant")
            continue
        method = re.match(r"^\(([\w-]+)(.*)$", token)
        head, token = (r"\([\w-]+", method.group(2)) if method else ("", token)
        parts = re.split(r"([-+]?\d[\d,]*(?:\.\d+)?%?)", token)
        words.append(head + "".join(r"[-+]?\d[\d,]*(?:\.\d+)?%?" if i % 2 else re.escape(p)
                                    for i, p in enumerate(parts)))
    return re.compile(r"\s+".join(words))


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_every_block_of_the_guide_runs_or_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    guide = Guide(tmp_path, capsys, monkeypatch)
    for name, fixture in GIVEN_FILES.items():
        (tmp_path / name).write_text((IMPORTS / fixture).read_text(encoding="utf-8"), encoding="utf-8")
    for folder in (tmp_path, tmp_path / "evals"):  # beside the suite, and beside the CI job's copy of it
        folder.mkdir(exist_ok=True)
        (folder / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in CASES_JSONL), encoding="utf-8")
    examples: list[Block] = []
    outlines: list[Block] = []
    suites: dict[str, str] = {}
    try:
        for block in _blocks():
            data = yaml.safe_load(block.text) if block.lang == "yaml" else None
            if block.lang == "yaml" and isinstance(data, dict) and "cases" in data and "name" in data:
                suites[data["name"]] = block.text
                guide.write({"arithmetic": "suite.yaml", "support-bot": "support.yaml"}[data["name"]], block.text)
            elif block.lang == "yaml" and block.text.startswith("# stub.yaml"):
                guide.write("stub.yaml", block.text)
                assert guide.stub_command is not None, "the guide shows how to start the stub before its config"
                guide.start_stub(guide.stub_command)
            elif block.lang == "yaml" and isinstance(data, dict) and set(data) == {"target"}:
                suite = yaml.safe_load(suites["arithmetic"])
                guide.write("stub-suite.yaml", yaml.safe_dump({**suite, **data}))
                guide.run(shlex.split("aiwell eval run stub-suite.yaml --format json --output stub-run.json"))
            elif block.lang == "yaml" and isinstance(data, dict) and "jobs" in data:
                guide.write("evals/support.yaml", suites["support-bot"])
                guide.run(shlex.split("aiwell eval run evals/support.yaml --format json --output evals/baseline.json"))
                guide.run_workflow(data)
            elif block.lang == "python" and block.text.startswith("def answer("):
                guide.write("mypkg/bot.py", block.text)
            elif block.lang == "sh":
                for words in _command_lines(block.text):
                    if words[:3] == ["aiwell", "eval", "plan"] and not (tmp_path / "runs" / "pilot.json").exists():
                        guide.run(shlex.split("aiwell eval run support.yaml --format json --output runs/pilot.json"))
                    guide.run(words)
            elif block.lang == "" and block.text.startswith("{"):
                outlines.append(block)
            elif block.lang == "":
                examples.append(block)
            else:
                pytest.fail(f"docs/eval.md line {block.line}: a {block.lang or 'plain'} block this test doesn't know")
        # The terminal report of the big suite, which the guide's first example shows.
        guide.run(["aiwell", "eval", "run", "support.yaml"])
        guide.run(shlex.split("aiwell eval compare evals/baseline.json run.json --format json --output compare.json"))
    finally:
        guide.stop()

    assert len(guide.ran) >= 20 and any("--from lm-eval" in line for line in guide.ran)
    assert len(examples) == 2 and len(outlines) == 2  # the terminal and compare examples; the two schema outlines
    printed = re.sub(r"\s+", " ", "\n".join(guide.printed))
    for block in examples:
        for line in block.text.splitlines():
            assert _shape(line).search(printed), f"docs/eval.md line {block.line}: no output looks like {line!r}"
    written = set().union(*(_keys(json.loads(p.read_text(encoding="utf-8"))) for p in tmp_path.rglob("*.json")
                            if p.name not in GIVEN_FILES))
    for block in outlines:
        named = set(re.findall(r'"(\w+)"', block.text)) - {"pass", "fail", "unknown"}
        assert named - written == set(), f"docs/eval.md line {block.line}: fields no command wrote"
