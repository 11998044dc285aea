"""The questions catalog (`questions.yaml` beside this module; format in docs/questionnaire.md).

A question has the metadata of a rule (id `Q-<AREA>-<NN>`, title, design area, pillars, severity, references, WAF
codes) plus its choices, each with a score from 0 to 100, and the choices that count as the good answer. A
single-choice answer earns its choice's score; a multi-select answer (`multi: true`, the practices in place) earns
the share of the choices' scores it selects. An answer passes when it is good: its score reaches the lowest score
among the good choices (single choice), or it selects every good choice (multi-select).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct

from aiwell.model import DesignArea, Pillar, RuleInfo, Severity
from aiwell.model.waf import check_waf_codes

QUESTIONS_FILE = Path(__file__).resolve().parent / "questions.yaml"

AREA_CODES: Mapping[DesignArea, str] = {
    DesignArea.APPLICATION_DESIGN: "AD",
    DesignArea.APPLICATION_PLATFORM: "AP",
    DesignArea.DATA_DESIGN: "DD",
    DesignArea.DATA_PLATFORM: "DP",
    DesignArea.MLOPS_LLMOPS: "MLO",
    DesignArea.OPERATIONS: "OPS",
    DesignArea.TESTING: "TE",
    DesignArea.PERSONAS: "PER",
    DesignArea.RESPONSIBLE_AI: "RAI",
}
"""The `<AREA>` part of a question id for each design area."""

QUESTION_ID = re.compile(r"^Q-([A-Z]{2,3})-(\d{2})$")
CHOICE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NOT_APPLICABLE = "not-applicable"
"""The id of the choice a question with `not_applicable` offers: the question does not apply to this workload."""

CHALLENGES: Mapping[str, str] = {
    "sizing-training": "Sizing compute for training and fine-tuning",
    "sizing-inference": "Sizing compute for inference",
    "build-vs-buy": "Building or buying the model",
    "data-volume": "Data volume",
    "data-types": "Data types",
    "data-origins": "Data origins",
    "data-security-compliance": "Data security and compliance",
    "data-preparation": "Data preparation",
    "data-freshness": "Data freshness",
    "testing-nondeterministic": "Testing nondeterministic systems",
    "skills-roles": "New skills and roles",
    "ux-technology": "Choosing technology for the user experience",
    "ethics-responsible-ai": "Ethics and responsible AI",
}
"""The challenges the Well-Architected overview for AI workloads names; every one has questions."""

_KEYS = frozenset({"id", "title", "design_area", "pillars", "severity", "choices", "scale", "good", "multi",
                   "not_applicable", "why", "guidance", "references", "waf", "challenges", "evidence"})


class QuestionDefinitionError(ValueError):
    """A question definition that breaks docs/questionnaire.md (a bug in the catalog, found when it is loaded)."""


class Choice(Struct, frozen=True):
    """One possible answer, with the score (0-100) it earns."""

    id: str
    label: str
    score: int


class Question(Struct, frozen=True):
    """One process question."""

    id: str
    title: str
    design_area: DesignArea
    pillars: tuple[Pillar, ...]
    severity: Severity
    choices: tuple[Choice, ...]
    good: tuple[str, ...]
    why: str
    guidance: str
    """What the good answer looks like, as a thing to do: the remediation of a question answered badly."""
    references: tuple[str, ...]
    waf: tuple[str, ...] = ()
    challenges: tuple[str, ...] = ()
    multi: bool = False
    not_applicable: str | None = None
    """The label of the not-applicable choice, when the question may not apply (`We run no agents`)."""
    evidence: str = ""
    """What aiwell can pre-fill the answer from, in words (empty: only a person can answer)."""

    @property
    def info(self) -> RuleInfo:
        """The rule metadata results carry for this question (its name is its id in lower case)."""
        return RuleInfo(id=self.id, name=self.id.lower(), title=self.title, severity=self.severity,
                        pillars=self.pillars, design_area=self.design_area)

    @property
    def all_choices(self) -> tuple[Choice, ...]:
        """The choices, with the not-applicable one last when the question offers it."""
        if self.not_applicable is None:
            return self.choices
        return (*self.choices, Choice(NOT_APPLICABLE, self.not_applicable, 0))

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with this id (not-applicable included), or None."""
        return next((c for c in self.all_choices if c.id == choice_id), None)

    def credit(self, selected: Sequence[str]) -> float:
        """The share (0-1) of the question's weight an answer earns (see the module docstring)."""
        scores = {c.id: c.score for c in self.choices}
        if self.multi:
            total = sum(scores.values())
            return sum(scores[c] for c in set(selected) if c in scores) / total if total else 0.0
        return scores[selected[0]] / 100 if selected and selected[0] in scores else 0.0

    def passes(self, selected: Sequence[str]) -> bool:
        """Whether an answer is good (see the module docstring)."""
        if self.multi:
            return set(self.good) <= set(selected)
        scores = {c.id: c.score for c in self.choices}
        if not selected or selected[0] not in scores:
            return False
        return scores[selected[0]] >= min(scores[g] for g in self.good)

    def good_labels(self) -> list[str]:
        """The labels of the good choices."""
        return [c.label for c in self.choices if c.id in self.good]


def _choices(raw: Any, error: Callable[[str], QuestionDefinitionError], what: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        raise error(f"`{what}` must be a non-empty list of {{id, label, score}}")
    choices: list[Choice] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or set(entry) != {"id", "label", "score"}:
            raise error(f"each of `{what}` has exactly id, label and score: {entry!r}")
        choice_id, label, score = entry["id"], entry["label"], entry["score"]
        if not isinstance(choice_id, str) or not CHOICE_ID.match(choice_id) or choice_id == NOT_APPLICABLE:
            raise error(f"choice id {choice_id!r} must be kebab-case text (and not {NOT_APPLICABLE!r})")
        if not isinstance(label, str) or not label.strip():
            raise error(f"choice {choice_id} needs a label")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            raise error(f"choice {choice_id}: score must be a whole number from 0 to 100")
        if any(c.id == choice_id for c in choices):
            raise error(f"choice {choice_id} appears twice")
        choices.append(Choice(choice_id, label.strip(), score))
    return tuple(choices)


def _strings(value: Any, what: str, error: Callable[[str], QuestionDefinitionError]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise error(f"`{what}` must be a list of strings")
    return tuple(v.strip() for v in value)


def question_from_mapping(entry: Mapping[str, Any], *, scales: Mapping[str, tuple[Choice, ...]],
                          origin: str) -> Question:
    """Build a question from its catalog entry; raises `QuestionDefinitionError` naming `origin` and the id."""
    qid = entry.get("id")

    def error(message: str) -> QuestionDefinitionError:
        return QuestionDefinitionError(f"{origin}: question {qid if qid is not None else '(no id)'}: {message}")

    unknown = sorted(str(k) for k in set(entry) - _KEYS)
    if unknown:
        raise error(f"unknown key(s): {', '.join(unknown)}")
    match = QUESTION_ID.match(qid) if isinstance(qid, str) else None
    if match is None:
        raise error("`id` must look like Q-AD-01 (Q, the design area's code, two digits)")
    try:
        area = DesignArea(str(entry.get("design_area")))
        severity = Severity(str(entry.get("severity")))
        pillars = tuple(dict.fromkeys(Pillar(str(p)) for p in entry.get("pillars") or []))
    except ValueError as exc:
        raise error(str(exc)) from None
    if not pillars:
        raise error("`pillars` must not be empty")
    if match.group(1) != AREA_CODES[area]:
        raise error(f"a question of {area.value} has an id starting Q-{AREA_CODES[area]}-")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise error("`title` is required")
    if ("scale" in entry) == ("choices" in entry):
        raise error("give either `choices` or a `scale`")
    if "scale" in entry:
        if entry["scale"] not in scales:
            raise error(f"unknown scale {entry['scale']!r}; the catalog defines {', '.join(scales)}")
        choices = scales[entry["scale"]]
    else:
        choices = _choices(entry["choices"], error, "choices")
    multi = entry.get("multi", False)
    if not isinstance(multi, bool):
        raise error("`multi` must be true or false")
    good = _strings(entry.get("good"), "good", error)
    ids = {c.id for c in choices}
    if not good or not set(good) <= ids:
        raise error(f"`good` must name some of the choices ({', '.join(sorted(ids))})")
    texts: dict[str, str] = {}
    for key in ("why", "guidance"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise error(f"`{key}` is required")
        texts[key] = value.strip()
    not_applicable = entry.get("not_applicable")
    if not_applicable is not None and (not isinstance(not_applicable, str) or not not_applicable.strip()):
        raise error("`not_applicable` is the label of the not-applicable choice")
    challenges = _strings(entry.get("challenges"), "challenges", error)
    strange = sorted(set(challenges) - set(CHALLENGES))
    if strange:
        raise error(f"unknown challenge(s) {', '.join(strange)}; expected some of {', '.join(CHALLENGES)}")
    references = _strings(entry.get("references"), "references", error)
    if not references or not all(ref.startswith("https://") for ref in references):
        raise error("`references` must list https links")
    try:
        waf = check_waf_codes(entry.get("waf"))
    except ValueError as exc:
        raise error(str(exc)) from None
    evidence = entry.get("evidence", "")
    if not isinstance(evidence, str):
        raise error("`evidence` is text")
    return Question(id=match.group(0), title=title.strip(), design_area=area, pillars=pillars, severity=severity,
                    choices=choices, good=good, why=texts["why"], guidance=texts["guidance"],
                    references=references, waf=waf, challenges=challenges, multi=multi,
                    not_applicable=not_applicable.strip() if isinstance(not_applicable, str) else None,
                    evidence=evidence.strip())


class QuestionCatalog(Struct, frozen=True):
    """Every question, in catalog order, found by id (case-insensitive)."""

    questions: tuple[Question, ...]

    def get(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        wanted = question_id.strip().upper()
        return next((q for q in self.questions if q.id == wanted), None)

    def by_area(self) -> dict[DesignArea, list[Question]]:
        """The questions of each design area (every area present, in enum order)."""
        grouped: dict[DesignArea, list[Question]] = {area: [] for area in DesignArea}
        for question in self.questions:
            grouped[question.design_area].append(question)
        return grouped


def _scale_error(prefix: str) -> Callable[[str], QuestionDefinitionError]:
    return lambda message: QuestionDefinitionError(prefix + message)


def load_questions_file(path: Path) -> QuestionCatalog:
    """The questions of one catalog file (`scales:` and `questions:`)."""
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise QuestionDefinitionError(f"{path}: can't read the questions catalog: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("questions"), list):
        raise QuestionDefinitionError(f"{path}: a questions catalog has `scales` and a `questions` list")
    scales: dict[str, tuple[Choice, ...]] = {}
    for name, raw in (document.get("scales") or {}).items():
        scales[str(name)] = _choices(raw, _scale_error(f"{path}: scale {name}: "), "choices")
    questions: list[Question] = []
    for entry in document["questions"]:
        if not isinstance(entry, dict):
            raise QuestionDefinitionError(f"{path}: each question is a mapping")
        question = question_from_mapping(entry, scales=scales, origin=str(path))
        if any(q.id == question.id for q in questions):
            raise QuestionDefinitionError(f"{path}: question {question.id} is defined twice")
        questions.append(question)
    return QuestionCatalog(tuple(questions))


@functools.cache
def load_questions() -> QuestionCatalog:
    """aiwell's own questions catalog (read once per process)."""
    return load_questions_file(QUESTIONS_FILE)


__all__ = [
    "AREA_CODES",
    "CHALLENGES",
    "NOT_APPLICABLE",
    "QUESTIONS_FILE",
    "QUESTION_ID",
    "Choice",
    "Question",
    "QuestionCatalog",
    "QuestionDefinitionError",
    "load_questions",
    "load_questions_file",
    "question_from_mapping",
]
