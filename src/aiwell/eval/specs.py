"""The data every part of `aiwell.eval` shares, at the bottom of the package: what a case is (`Case`), what is called
(`TargetSpec`), what it answered (`TargetOutput`, `ToolCall`) or how it failed (`TargetError`), and what an assertion
is (`AssertionSpec`, the `SCORERS` registry, `ScoreResult`).

The layers above it: `targets` and `scorers` (which register into `SCORERS` on import), then `suite` (the loader),
then `runner` and `cli`. Nothing here imports them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from msgspec import Struct
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from aiwell.errors import UserError
from aiwell.eval._common import ENV_REF, MASK, SECRET_NAME, check_signature, import_callable, mask_url, parse_jsonpath

TargetType = Literal["python", "openai", "http", "command"]

# Which fields each target type may set; anything else is a typo the user should hear about.
_COMMON_FIELDS = {"type", "timeout_s"}
_FIELDS_BY_TYPE: dict[str, set[str]] = {
    "python": {"function", "sources_path"},
    "openai": {"endpoint", "model", "deployment", "api_version", "api_key_env", "auth", "system", "params",
               "sources_path"},
    "http": {"url", "method", "headers", "body", "response_path", "usage_path", "sources_path"},
    "command": {"command", "env"},
}
# Generation parameters accepted at the top level of an openai target for convenience; they move into `params`.
_PARAM_SHORTCUTS = ("temperature", "max_tokens", "top_p", "seed", "stop", "presence_penalty", "frequency_penalty")


class TargetSpec(BaseModel):
    """What to call. One model for every `type`; fields that don't belong to the type are refused.

    - python: `function` ("pkg.module:function", sync or async, called with the case input; `vars`, `case` and
      `repeat` keywords are passed when the signature accepts them).
    - openai: `endpoint` (default https://api.openai.com/v1), `model`; Azure OpenAI when `deployment` is set
      (`endpoint` is the resource URL, `api_version`); `api_key_env` names the environment variable read at call
      time; `auth: entra` uses azure-identity instead of a key; `system` prompt; `params` (temperature,
      max_tokens, seed... also accepted at the top level).
    - http: `url`, `method` (POST), `headers` (`${ENV}` expanded at call time), `body` (a JSON structure whose
      strings are jinja2 templates over the case; a string that is one `{{ expr }}` keeps the value's type),
      `response_path` (JSONPath subset, e.g. `$.choices[0].text`; default the whole body), `usage_path`.
    - command: `command` (string split like a shell does, or a list), `env`; input on stdin, output from stdout.
    `timeout_s` bounds one call (the runner applies the suite's timeout as well). `sources_path` (python, openai,
    http) is where the answer carries the sources a RAG system retrieved (JSONPath into the response, e.g.
    `$.choices[0].message.context.citations`), for the retrieval assertions.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: TargetType
    timeout_s: float | None = Field(default=None, gt=0)
    function: str | None = None
    endpoint: str | None = None
    model: str | None = None
    deployment: str | None = None
    api_version: str | None = None
    api_key_env: str | None = None
    auth: Literal["key", "entra", "none"] | None = None
    system: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    url: str | None = None
    method: str = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    response_path: str | None = None
    usage_path: str | None = None
    sources_path: str | None = None
    command: str | list[str] | None = None
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shortcuts(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("type") == "openai":
            moved = {k: data[k] for k in _PARAM_SHORTCUTS if k in data}
            if moved:
                rest = {k: v for k, v in data.items() if k not in moved}
                rest["params"] = {**moved, **dict(rest.get("params") or {})}
                return rest
        return data

    @model_validator(mode="after")
    def _check(self) -> TargetSpec:
        allowed = _COMMON_FIELDS | _FIELDS_BY_TYPE[self.type]
        stray = sorted(f for f in self.model_fields_set if f not in allowed)
        if stray:
            raise ValueError(
                f"{', '.join(stray)} not valid for a {self.type} target (allowed: {', '.join(sorted(allowed))})"
            )
        if self.type == "python":
            if not self.function or ":" not in self.function:
                raise ValueError('a python target needs function: "pkg.module:function"')
        elif self.type == "openai":
            if not self.model and not self.deployment:
                raise ValueError("an openai target needs model (or deployment, for Azure OpenAI)")
            if self.auth == "key" and not self.api_key_env:
                raise ValueError("auth: key needs api_key_env: the environment variable that holds the key")
            if self.deployment and not self.endpoint:
                raise ValueError("an Azure OpenAI target (deployment set) needs endpoint: https://<resource>.openai.azure.com")
        elif self.type == "http":
            if not self.url:
                raise ValueError("an http target needs url")
            if self.response_path:
                parse_jsonpath(self.response_path)
            if self.usage_path:
                parse_jsonpath(self.usage_path)
        if self.sources_path:
            parse_jsonpath(self.sources_path)
        elif self.type == "command" and not self.command:
            raise ValueError("a command target needs command")
        return self

    def redacted(self) -> dict[str, Any]:
        """The spec as JSON-ready data with literal secrets masked: safe for run logs and the cache key.

        Header values that look like credentials are replaced unless they are only `${ENV}` references (the
        reference is kept; its value is read at call time and never stored); so are a password or token in the
        endpoint or URL (`https://user:key@host`) and query parameters named like secrets (`?api-key=...`).
        """
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["type"] = self.type
        if "headers" in data:
            data["headers"] = {
                k: (v if not SECRET_NAME.search(k) or ENV_REF.fullmatch(v.strip()) else MASK)
                for k, v in data["headers"].items()
            }
        for name in ("endpoint", "url"):
            if isinstance(data.get(name), str):
                data[name] = mask_url(data[name])
        return data

    def target_key(self) -> str:
        """Stable hash of the target's identity and parameters (not secrets, not the timeout)."""
        identity = {k: v for k, v in self.redacted().items() if k != "timeout_s"}
        blob = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


class ToolCall(BaseModel):
    """One tool (function) call a chat model asked for: its name and its arguments, parsed from the JSON text
    the model wrote (`arguments` is None and `arguments_text` holds the text when it is not valid JSON)."""

    name: str
    arguments: Any = None
    arguments_text: str = ""
    id: str | None = None


class TargetOutput(BaseModel):
    """One answer from a target: its text, the raw response, how long it took, token usage and the model that
    answered when known, the tool calls it asked for, the sources it retrieved (RAG), and for a multi-turn case
    the replies of the earlier turns (`turns`, the last one being `text`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    text: str
    raw: Any = None
    latency_s: float = 0.0
    usage: dict[str, Any] | None = None
    model: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    sources: list[Any] | None = None
    turns: list[str] | None = None


class TargetError(Exception):
    """A call that failed. `retryable` errors (429, 5xx, timeouts, dropped connections) may be retried after
    `retry_after_s` when the server said so; `kind` names the failure for the run log."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after_s: float | None = None,
        status: int | None = None,
        kind: str = "error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.status = status
        self.kind = kind


@runtime_checkable
class Target(Protocol):
    """Something an eval can call once per (case, repeat)."""

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        """Call the target with the case's input; raise TargetError on failure."""
        ...

    def key(self) -> str:
        """Stable identity of the target and its parameters, for the cache."""
        ...


def tag_list(value: Any) -> Any:
    """Tags as a list: "a, b" is read as ["a", "b"]."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return value


def as_name(value: Any) -> Any:
    """A name read as text: YAML reads `id: 1` or `cluster: 2024` as numbers."""
    # YAML reads `id: 1` or `cluster: 2024` as numbers; they are names here.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class Case(BaseModel):
    """One test case. `input` is text, chat messages (a list of {role, content}) or any JSON the target takes;
    `turns` makes it a conversation: user messages sent one at a time, each with the model's earlier replies fed
    back (`input`, when set, is the conversation's opening messages); `vars` feed prompt templates and custom
    scorers; `expected` is what scorers compare with when an assertion has no `value`; `cluster` groups cases that
    share a source document or template (clustered intervals); `repeats` overrides the suite's for this case.
    `source` says where the case was written ("suite.yaml:12")."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(min_length=1)
    input: Any = None
    turns: list[str | dict[str, Any]] | None = Field(default=None, min_length=1)
    vars: dict[str, Any] = Field(default_factory=dict)
    expected: Any = None
    assert_: list[AssertionSpec] = Field(default_factory=list, alias="assert")
    tags: list[str] = Field(default_factory=list)
    cluster: str | None = None
    repeats: int | None = Field(default=None, ge=1)
    source: str | None = None

    _id_text = field_validator("id", "cluster", mode="before")(as_name)
    _tag_list = field_validator("tags", mode="before")(tag_list)




PYTHON_SCORER_KEYWORDS = ("case", "output", "expected", "vars", "args")
"""What a custom python scorer `fn(text, *, case, output, expected, vars, args)` may take by name."""


class AssertionSpec(BaseModel):
    """One assertion as written in a suite: `{type: contains, value: "4", ignore_case: true}`.

    `type` names a registered scorer; everything else is its arguments. `{python: "pkg.mod:fn"}` is short for
    `{type: python, function: "pkg.mod:fn"}`. Arguments are checked when the spec is built (bad regex, missing
    `path`, unknown scorer...).
    """

    model_config = ConfigDict(extra="allow")

    type: str
    value: Any = None
    _base_dir: Path | None = PrivateAttr(default=None)
    _judge_spec: TargetSpec | None = PrivateAttr(default=None)
    _function: Callable[..., Any] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "type" not in data and "python" in data:
            rest = {k: v for k, v in data.items() if k != "python"}
            return {"type": "python", "function": data["python"], **rest}
        return data

    @model_validator(mode="after")
    def _check_args(self) -> AssertionSpec:
        found = SCORERS.get(self.type)
        if found is None:
            raise ValueError(f"unknown scorer {self.type!r}; known scorers: {', '.join(sorted(SCORERS))}")
        if found.check is not None:
            found.check(self)
        return self

    @property
    def args(self) -> dict[str, Any]:
        """The arguments as written (without `type`), JSON-ready: what the run log records."""
        data = dict(self.model_extra or {})
        if self.value is not None:
            data = {"value": self.value, **data}
        return data

    def arg(self, name: str, default: Any = None) -> Any:
        """One argument, or `default` when it isn't given."""
        value = (self.model_extra or {}).get(name, default)
        return default if value is None else value

    def bind(self, base_dir: Path | None, judge: TargetSpec | None = None) -> None:
        """Attach where to import from (python scorers, python judges) and the suite's judge target; import a
        python scorer's function now so a bad reference fails at load, not mid-run."""
        self._base_dir = base_dir
        own = self.arg("judge")
        self._judge_spec = TargetSpec.model_validate(own) if own is not None else judge
        if self.type == "python":
            ref = str(self.arg("function", self.value))
            function = import_callable(ref, base_dir)
            check_signature(function, role=f"python scorer {ref}", first="output text",
                            keywords=PYTHON_SCORER_KEYWORDS)
            self._function = function

    @property
    def judge_spec(self) -> TargetSpec | None:
        """The judge target for an llm-judge assertion: its own `judge:` or the suite's."""
        if self._judge_spec is None and self.arg("judge") is not None:
            self._judge_spec = TargetSpec.model_validate(self.arg("judge"))
        return self._judge_spec


class JudgeVerdict(BaseModel):
    """One judge call's verdict on one output: `passed` is None when the reply couldn't be parsed."""

    passed: bool | None
    score: float | None = None
    text: str


class ScoreResult(BaseModel):
    """The outcome of one assertion on one sample."""

    name: str
    passed: bool
    value: float | None = None
    reason: str = ""
    args: dict[str, Any] = Field(default_factory=dict)
    verdicts: list[JudgeVerdict] | None = None

    def to_log(self) -> dict[str, Any]:
        """The run log's form: name, passed, value, reason, plus the judge's verdicts when there are several."""
        entry: dict[str, Any] = {"name": self.name, "passed": self.passed, "value": self.value, "reason": self.reason}
        if self.verdicts is not None:
            entry["verdicts"] = [v.model_dump() for v in self.verdicts]
        return entry


class ScorerError(TargetError):
    """A scorer could not give a verdict (a custom scorer raised, the judge's reply was unreadable): the sample is
    recorded as an error, not as a failure of the system under test."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable, kind="scorer")


JudgeCall = Callable[["AssertionSpec", "Case", int], Awaitable[TargetOutput]]
"""Calls the judge of an assertion (its own `judge:` or the suite's) with a prompt case and a judge-repeat index;
the runner's version shares its concurrency, rate limits, retries and cache."""


class ScoreContext(Struct, frozen=True):
    """What a scorer may need beyond the sample: the judge target for llm-judge, and `call_judge`, the runner's
    way of calling it (through its concurrency, rate limits, retries and cache). Without `call_judge` the judge is
    called directly."""

    judge: Target | None = None
    call_judge: JudgeCall | None = None


ScoreFn = Callable[["Case", TargetOutput, AssertionSpec, ScoreContext], "ScoreResult | Awaitable[ScoreResult]"]


class Scorer(Struct, frozen=True):
    """A registered scorer. `check` validates arguments when a spec is built (raise ValueError); `needs_expected`
    means `value` falls back to the case's `expected` and one of them must be set; `check_case` validates a spec
    against one case (e.g. the expected label is in the label set). `group` is the metric family the report shows
    the scorer under: "answer" (the output), "tools" (tool calls) or "retrieval" (the sources a RAG system
    retrieved)."""

    name: str
    fn: ScoreFn
    check: Callable[[AssertionSpec], None] | None = None
    needs_expected: bool = False
    check_case: Callable[[AssertionSpec, Case], None] | None = None
    group: Literal["answer", "tools", "retrieval"] = "answer"


SCORERS: dict[str, Scorer] = {}


def scorer(
    name: str,
    *,
    check: Callable[[AssertionSpec], None] | None = None,
    needs_expected: bool = False,
    check_case: Callable[[AssertionSpec, Case], None] | None = None,
    group: Literal["answer", "tools", "retrieval"] = "answer",
) -> Callable[[ScoreFn], ScoreFn]:
    """Register a scorer under `name`: `fn(case, output, spec, ctx) -> ScoreResult` (sync or async)."""

    def register(fn: ScoreFn) -> ScoreFn:
        SCORERS[name] = Scorer(name, fn, check, needs_expected, check_case, group)
        return fn

    return register


def get_scorer(name: str) -> Scorer:
    """The scorer registered as `name`; a UserError listing the known ones otherwise."""
    found = SCORERS.get(name)
    if found is None:
        raise UserError(f"unknown scorer {name!r}", hint=f"known scorers: {', '.join(sorted(SCORERS))}")
    return found


def check_assertion_for_case(spec: AssertionSpec, case: Case) -> None:
    """Checks that need the case (an expected value to compare with); raises ValueError."""
    found = get_scorer(spec.type)
    if found.needs_expected and spec.value is None and case.expected is None:
        raise ValueError(f"{spec.type} needs a value (or the case's expected)")
    if found.check_case is not None:
        found.check_case(spec, case)
    turn = spec.arg("turn")
    if turn is not None:
        if isinstance(turn, bool) or not isinstance(turn, int):
            raise ValueError(f"{spec.type}: turn must be a whole number (0 is the first turn, -1 the last)")
        if case.turns is None:
            raise ValueError(f"{spec.type}: turn applies to multi-turn cases (turns: [...]) only")
        if not -len(case.turns) <= turn < len(case.turns):
            raise ValueError(f"{spec.type}: turn {turn} is out of range for {len(case.turns)} turns")


def scorer_specs(specs: Sequence[AssertionSpec]) -> list[dict[str, Any]]:
    """Distinct `{name, args}` of the given assertions in first-seen order: the run log header's `scorers`."""
    seen: list[dict[str, Any]] = []
    for spec in specs:
        entry = {"name": spec.type, "args": spec.args}
        if entry not in seen:
            seen.append(entry)
    return seen



__all__ = [
    "PYTHON_SCORER_KEYWORDS",
    "SCORERS",
    "AssertionSpec",
    "Case",
    "JudgeCall",
    "JudgeVerdict",
    "ScoreContext",
    "ScoreFn",
    "ScoreResult",
    "Scorer",
    "ScorerError",
    "Target",
    "TargetError",
    "TargetOutput",
    "TargetSpec",
    "TargetType",
    "ToolCall",
    "as_name",
    "check_assertion_for_case",
    "get_scorer",
    "scorer",
    "scorer_specs",
    "tag_list",
]
