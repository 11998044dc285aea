"""The answers file (`aiwell.answers/1`): one entry per question, written with its choices and guidance as comments.

```yaml
schema: aiwell.answers/1
answers:
  Q-AD-01:
    answer: defined            # a choice id; a list of ids for a multi-select question; null: not answered
    note: "metrics in the product brief"
  Q-TE-01:
    answer: statistical
    inferred: "aiwell eval report runs/main.json: 120 cases, 5 repeats"   # pre-filled, not confirmed by a person
```

Reading checks every entry against the catalog; a mistake is a `AnswersError` naming the file, the line and the
question. Saving one answer (`save_answer`) rewrites only that entry's `answer` value (and drops its `inferred`
mark), so comments and notes a person wrote stay as they were.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml
from msgspec import Struct, field

from aiwell.errors import ConfigError
from aiwell.model.context import CONTEXT_KEYS, ContextSetting, canonical, known_values
from aiwell.questionnaire.catalog import Question, QuestionCatalog

SCHEMA = "aiwell.answers/1"
_ENTRY_KEYS = frozenset({"answer", "note", "inferred"})


class AnswersError(ConfigError):
    """A malformed answers file: the message names the file, the line and the question."""


class Answer(Struct, frozen=True):
    """One question's answer: the choices selected (None: not answered), a note, and whether it was inferred."""

    question_id: str
    choices: tuple[str, ...] | None
    note: str = ""
    inferred: str | None = None
    """The evidence a pre-filled answer rests on; None when a person gave the answer."""
    line: int | None = None

    @property
    def answered(self) -> bool:
        """Whether a choice (or, for a multi-select question, an explicit empty selection) was given."""
        return self.choices is not None


class AnswerSet(Struct, frozen=True):
    """The answers of one file, by question id, and the workload context it states (`context:` block)."""

    path: str
    answers: Mapping[str, Answer]
    context: Mapping[str, ContextSetting] = field(default_factory=dict)

    def get(self, question_id: str) -> Answer | None:
        """The entry for this question, or None."""
        return self.answers.get(question_id)


# -- reading ------------------------------------------------------------------------------------------------


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar_text(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null":
            return None
        return str(node.value)
    return None


def _choices(node: yaml.Node, question: Question, fail: _Fail) -> tuple[str, ...] | None:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" or (node.value == "" and node.style is None):
            return None
        selected: list[str] = [str(node.value)]
    elif isinstance(node, yaml.SequenceNode):
        selected = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or item.tag == "tag:yaml.org,2002:null":
                raise fail(item, "each selected choice is a choice id")
            selected.append(str(item.value))
        if not question.multi and len(selected) > 1:
            raise fail(node, "is a single-choice question: give one choice id")
        if not question.multi and not selected:
            return None
    else:
        raise fail(node, "`answer` is a choice id, a list of choice ids, or null")
    ids = [c.id for c in question.all_choices]
    for choice in selected:
        if choice not in ids:
            raise fail(node, f"{choice!r} is not one of its choices ({', '.join(ids)})")
    if "not-applicable" in selected and len(selected) > 1:
        raise fail(node, "not-applicable can't be combined with other choices")
    return tuple(dict.fromkeys(selected))


class _Fail:
    """Builds the error for a node of one file and question."""

    def __init__(self, path: str, question_id: str | None = None) -> None:
        self.path, self.question_id = path, question_id

    def __call__(self, node: yaml.Node, message: str) -> AnswersError:
        where = f"{self.path}:{_line(node)}"
        subject = f"question {self.question_id}: " if self.question_id else ""
        return AnswersError(f"{where}: {subject}{message}",
                            hint="`aiwell questionnaire init FILE` writes a file with every question and its "
                                 "choices; `aiwell questionnaire list` shows them.")


def parse_answers(text: str, *, path: str, catalog: QuestionCatalog) -> AnswerSet:
    """The answers in `text` (the content of the file `path`), checked against the catalog."""
    fail = _Fail(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AnswersError(f"{path}{line}: not valid YAML: {problem}") from None
    if root is None:
        return AnswerSet(path, {})
    if not isinstance(root, yaml.MappingNode):
        raise fail(root, f"an answers file is a mapping with `schema: {SCHEMA}` and `answers`")
    answers_node: yaml.Node | None = None
    context: dict[str, ContextSetting] = {}
    for key, value in root.value:
        name = _scalar_text(key)
        if name == "schema":
            if _scalar_text(value) != SCHEMA:
                raise fail(value, f"schema is {_scalar_text(value)!r}; this aiwell reads {SCHEMA}")
        elif name == "answers":
            answers_node = value
        elif name == "context":
            context = _context(value, path, fail)
        else:
            raise fail(key, f"unknown key {name!r}; an answers file has `schema`, `context` and `answers`")
    if answers_node is None or (isinstance(answers_node, yaml.ScalarNode) and _scalar_text(answers_node) is None):
        return AnswerSet(path, {}, context)
    if not isinstance(answers_node, yaml.MappingNode):
        raise fail(answers_node, "`answers` maps question ids to entries")
    found: dict[str, Answer] = {}
    for key, value in answers_node.value:
        question_id = (_scalar_text(key) or "").strip().upper()
        question = catalog.get(question_id)
        if question is None:
            raise fail(key, f"unknown question {_scalar_text(key)!r} (`aiwell questionnaire list` shows them)")
        entry_fail = _Fail(path, question.id)
        if question.id in found:
            raise entry_fail(key, f"is answered twice (first on line {found[question.id].line})")
        if isinstance(value, (yaml.ScalarNode, yaml.SequenceNode)):
            # The short form `Q-AD-01: defined` (`Q-AD-10: [auth, quotas]`).
            found[question.id] = Answer(question.id, _choices(value, question, entry_fail), line=_line(key))
            continue
        if not isinstance(value, yaml.MappingNode):
            raise entry_fail(value, "an entry is a mapping with `answer` (and optional `note`, `inferred`)")
        fields: dict[str, yaml.Node] = {}
        for field_key, field_value in value.value:
            field_name = _scalar_text(field_key) or ""
            if field_name not in _ENTRY_KEYS:
                raise entry_fail(field_key, f"unknown key {field_name!r}; an entry has answer, note, inferred")
            fields[field_name] = field_value
        choices = _choices(fields["answer"], question, entry_fail) if "answer" in fields else None
        texts: dict[str, str | None] = {}
        for name in ("note", "inferred"):
            node = fields.get(name)
            if node is not None and not isinstance(node, yaml.ScalarNode):
                raise entry_fail(node, f"`{name}` is text")
            texts[name] = None if node is None else _scalar_text(node)
        found[question.id] = Answer(question.id, choices, note=texts["note"] or "", inferred=texts["inferred"],
                                    line=_line(key))
    return AnswerSet(path, found, context)


def _context(node: yaml.Node, path: str, fail: _Fail) -> dict[str, ContextSetting]:
    """The `context:` block: `environment` and `workload-purpose`, each a known value or null."""
    if isinstance(node, yaml.ScalarNode) and _scalar_text(node) is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise fail(node, f"`context` maps {' and '.join(CONTEXT_KEYS)} to values")
    found: dict[str, ContextSetting] = {}
    for key, value in node.value:
        name = (_scalar_text(key) or "").replace("_", "-")
        if name not in CONTEXT_KEYS:
            raise fail(key, f"unknown context key {_scalar_text(key)!r}; expected {' or '.join(CONTEXT_KEYS)}")
        text = _scalar_text(value)
        if text is None:
            continue
        canonical_value = canonical(name, text)
        if canonical_value is None:
            raise fail(value, f"{name} {text!r} is not one of {', '.join(known_values(name))}")
        found[name] = ContextSetting(canonical_value, f"{path}:{_line(value)} context.{name}")
    return found


def load_answers(path: Path, catalog: QuestionCatalog) -> AnswerSet:
    """Read and check an answers file; a file that can't be read or is malformed is an `AnswersError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswersError(f"{path}: no such answers file",
                           hint="`aiwell questionnaire init FILE` writes one.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersError(f"{path}: can't read the answers file: {exc}") from None
    return parse_answers(text, path=str(path), catalog=catalog)


# -- writing ------------------------------------------------------------------------------------------------

_HEADER = """\
# aiwell questionnaire answers ({schema}).
# `aiwell questionnaire --answers FILE` asks the questions in the terminal and saves each answer here;
# `aiwell review PATH --answers FILE` merges the answers into the review's results, scores and reports.
# Give each `answer` a choice id (a list of ids for a multi-select question), or leave it null (unanswered,
# counted as unknown). An entry with `inferred:` was pre-filled by aiwell from evidence: check it, then delete the
# `inferred:` line to confirm it (the terminal questionnaire does so when you answer).
"""


def _scalar(value: str) -> str:
    """A YAML scalar for a choice id or text, quoted where plain YAML would misread it."""
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True).strip().removesuffix(
        "\n...").strip()


def render_value(question: Question, choices: Sequence[str] | None) -> str:
    """The `answer:` value for a selection: null, a choice id, or a flow list for a multi-select question."""
    if choices is None:
        return "null"
    if question.multi:
        return "[" + ", ".join(_scalar(choice) for choice in choices) + "]"
    return _scalar(choices[0])


def _comment(text: str, *, indent: str, width: int = 116) -> list[str]:
    lines: list[str] = []
    words = text.split()
    current = ""
    for word in words:
        if current and len(indent) + 2 + len(current) + 1 + len(word) > width:
            lines.append(f"{indent}# {current}")
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(f"{indent}# {current}")
    return lines


def _entry(question: Question, answer: Answer | None) -> list[str]:
    indent = "  "
    lines = [f"{indent}# {question.id} · {question.severity.value} · {', '.join(p.value for p in question.pillars)}"]
    lines += _comment(question.title, indent=indent)
    kind = "select every choice that applies" if question.multi else "one of"
    lines.append(f"{indent}# {kind}:")
    width = max(len(c.id) for c in question.all_choices)
    for choice in question.all_choices:
        score = "" if choice.id == "not-applicable" else f" ({choice.score})"
        lines.append(f"{indent}#   {choice.id.ljust(width)}  {choice.label}{score}")
    lines += _comment(f"Good: {', '.join(question.good)}. Why: {question.why}", indent=indent)
    if question.evidence:
        lines += _comment(f"aiwell can pre-fill this from {question.evidence}.", indent=indent)
    lines.append(f"{indent}{question.id}:")
    value = render_value(question, answer.choices if answer is not None else None)
    lines.append(f"{indent}  answer: {value}")
    if answer is not None and answer.inferred is not None:
        lines.append(f"{indent}  inferred: {_scalar(answer.inferred)}")
    if answer is not None and answer.note:
        lines.append(f"{indent}  note: {_scalar(answer.note)}")
    return lines


def render_answers_file(catalog: QuestionCatalog, answers: Iterable[Answer] = (),
                        context: Mapping[str, ContextSetting] | None = None) -> str:
    """A whole answers file: every question with its choices and guidance as comments, the answers given and the
    workload context (`context`, null where not given)."""
    known = {answer.question_id: answer for answer in answers}
    given = context or {}
    lines = [_HEADER.format(schema=SCHEMA), f"schema: {SCHEMA}", "",
             "# What rules that depend on the workload's context read when no tag or setting says it:",
             "# environment: production, staging, test, development or sandbox; workload-purpose: serving, "
             "training, batch-scoring or exploration.",
             "context:", *(f"  {key}: {given[key].value if key in given else 'null'}" for key in CONTEXT_KEYS),
             "", "answers:"]
    for area, questions in catalog.by_area().items():
        if not questions:
            continue
        lines.append("")
        lines.append(f"  # ── {area.value} " + "─" * max(0, 100 - len(area.value)))
        for question in questions:
            lines.append("")
            lines += _entry(question, known.get(question.id))
    return "\n".join(lines) + "\n"


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder, so an interrupted write never leaves half
    a file; a path that can't be written is an `AnswersError`."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise AnswersError(f"{path}: can't write the answers file: {exc.strerror or exc}") from None


def _node_end(node: yaml.Node) -> yaml.Mark:
    """Where a value really ends: a block sequence's end mark sits at the next token, so use its last item's."""
    if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and node.flow_style is False and node.value:
        last = node.value[-1]
        return _node_end(last[1] if isinstance(last, tuple) else last)
    return node.end_mark


def save_answer(path: Path, catalog: QuestionCatalog, question: Question, choices: Sequence[str] | None) -> None:
    """Record a person's answer to one question in the file (made when missing), dropping any `inferred` mark.

    Only that entry's `answer` value changes; the rest of the file stays as it was. A file whose layout can't be
    edited in place (an entry in flow style) is rewritten from its answers.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else render_answers_file(catalog)
    current = parse_answers(text, path=str(path), catalog=catalog)
    value = render_value(question, choices)
    edited = _edit_in_place(text, question, value)
    if edited is None:
        answers = dict(current.answers)
        previous = answers.get(question.id)
        answers[question.id] = Answer(question.id, tuple(choices) if choices is not None else None,
                                      note=previous.note if previous else "")
        edited = render_answers_file(catalog, answers.values(), current.context)
    write_text_atomically(path, edited)


def _block_section(text: str, name: str) -> tuple[yaml.MappingNode, yaml.MappingNode] | None:
    """The file's root and its top-level `name` mapping, when both are block mappings that can be edited in place."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    section = next((v for k, v in root.value if _scalar_text(k) == name), None)
    if not isinstance(section, yaml.MappingNode) or section.flow_style:
        return None
    return root, section


def _edit_in_place(text: str, question: Question, value: str) -> str | None:
    found = _block_section(text, "answers")
    if found is None:
        return None
    root, answers_node = found
    for key, entry in answers_node.value:
        if (_scalar_text(key) or "").strip().upper() != question.id:
            continue
        if isinstance(entry, yaml.ScalarNode):
            start, end = entry.start_mark.index, entry.end_mark.index
            if entry.end_mark.line != key.start_mark.line:
                return None
            return text[:start] + value + text[end:]
        if not isinstance(entry, yaml.MappingNode) or entry.flow_style:
            return None
        spans: list[tuple[int, int, str]] = []
        answer_found = False
        for field_key, field_value in entry.value:
            name = _scalar_text(field_key)
            if name == "answer":
                answer_found = True
                spans.append((field_value.start_mark.index, _node_end(field_value).index, value))
            elif name == "inferred":
                # Drop the whole `inferred:` line(s): from the start of the key's line to the end of its value's.
                start = text.rfind("\n", 0, field_key.start_mark.index) + 1
                end = text.find("\n", _node_end(field_value).index)
                spans.append((start, len(text) if end < 0 else end + 1, ""))
        if not answer_found:
            return None
        for start, end, replacement in sorted(spans, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text
    # No entry for this question yet: add one at the end of `answers`, if it is the file's last block.
    if root.value[-1][1] is not answers_node:
        return None
    indent = " " * answers_node.start_mark.column
    return text.rstrip("\n") + f"\n\n{indent}{question.id}:\n{indent}  answer: {value}\n"


def save_context(path: Path, catalog: QuestionCatalog, key: str, value: str) -> None:
    """Record one context value (`environment`, `workload-purpose`; a canonical value) in the file's `context:`
    block, editing that line in place where the layout allows; otherwise the file is rewritten from what it holds."""
    text = path.read_text(encoding="utf-8") if path.exists() else render_answers_file(catalog)
    current = parse_answers(text, path=str(path), catalog=catalog)
    edited = _edit_context_in_place(text, key, value)
    if edited is None:
        context = {**current.context, key: ContextSetting(value, str(path))}
        edited = render_answers_file(catalog, current.answers.values(), context)
    write_text_atomically(path, edited)


def _edit_context_in_place(text: str, key: str, value: str) -> str | None:
    found = _block_section(text, "context")
    if found is None:
        return None
    for entry_key, entry in found[1].value:
        if (_scalar_text(entry_key) or "").replace("_", "-") == key:
            if not isinstance(entry, yaml.ScalarNode) or entry.end_mark.line != entry_key.start_mark.line:
                return None
            return text[:entry.start_mark.index] + value + text[entry.end_mark.index:]
    return None


__all__ = [
    "SCHEMA",
    "Answer",
    "AnswerSet",
    "AnswersError",
    "load_answers",
    "parse_answers",
    "render_answers_file",
    "render_value",
    "save_answer",
    "save_context",
    "write_text_atomically",
]
