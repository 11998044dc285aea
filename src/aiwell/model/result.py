"""What a review produces: rule metadata the reporters need, results in four states, and input records."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast


class Status(StrEnum):
    """A rule's verdict on one resource (DESIGN.md §1.2)."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    """The rule applies, but a value it needs is unresolved or absent from the export."""
    NOT_APPLICABLE = "not_applicable"
    """Counted, never listed."""


_SEVERITY_WEIGHTS = {"high": 3, "medium": 2, "low": 1}


class Severity(StrEnum):
    """How much a failure matters."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def weight(self) -> int:
        """Weight in the pillar score: high 3, medium 2, low 1."""
        # Keyed by the member itself (a str): `self.value` goes through the enum's descriptor, which the scores of
        # a large review pay for hundreds of thousands of times.
        return _SEVERITY_WEIGHTS[self]

    @property
    def rank(self) -> int:
        """Order for `--fail-on`: higher is more severe."""
        return self.weight


class Pillar(StrEnum):
    """The five Well-Architected pillars."""

    RELIABILITY = "reliability"
    SECURITY = "security"
    COST_OPTIMIZATION = "cost-optimization"
    OPERATIONAL_EXCELLENCE = "operational-excellence"
    PERFORMANCE_EFFICIENCY = "performance-efficiency"


class DesignArea(StrEnum):
    """The design areas of the Well-Architected guidance for AI workloads."""

    APPLICATION_DESIGN = "application-design"
    APPLICATION_PLATFORM = "application-platform"
    DATA_DESIGN = "data-design"
    DATA_PLATFORM = "data-platform"
    MLOPS_LLMOPS = "mlops-llmops"
    OPERATIONS = "operations"
    TESTING = "testing"
    PERSONAS = "personas"
    RESPONSIBLE_AI = "responsible-ai"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """The part of a rule's metadata that results and reporters carry."""

    id: str
    name: str
    title: str
    severity: Severity
    pillars: tuple[Pillar, ...]
    design_area: DesignArea
    waf: tuple[str, ...] = ()
    """The Well-Architected recommendation codes the rule serves (`SE:05`), most specific first."""


@dataclass(frozen=True, slots=True)
class Location:
    """A place in an input file."""

    file: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a result is suppressed (a suppressions-file entry or an inline comment); it stays reported."""

    reason: str
    owner: str | None = None
    expires: str | None = None
    """ISO date after which the suppression stops applying."""
    source: str = ""
    """Where the suppression was declared (a file and line, or an inline comment)."""


@dataclass(frozen=True, slots=True)
class QuestionAnswer:
    """The answer behind a questionnaire result (`Q-...` ids): what was chosen and the credit it earns."""

    choices: tuple[str, ...]
    credit: float
    """The share (0-1) of the question's weight the answer earns in scores."""
    inferred: str | None = None
    """The evidence a pre-filled (not confirmed) answer rests on; None when a person answered."""


@dataclass(frozen=True, slots=True)
class Result:
    """One rule's verdict on one resource (or on one input, for AIW000)."""

    rule: RuleInfo
    status: Status
    resource_id: str
    resource_type: str
    resource_name: str
    message: str
    location: Location | None = None
    suppression: Suppression | None = None
    """Set when a suppression applies: the result is reported but neither scored nor gating."""
    answer: QuestionAnswer | None = None
    """Set on questionnaire results (no resource: `resource_id` is empty): the answer and its credit."""
    input: str = ""
    """The input (deployment) the result comes from, as `InputRecord.input` names it: the template and its
    parameter file, the Terraform root and its var files, the Bicep file and its `.bicepparam`."""
    baselined: bool = False
    """Set on a failure recorded in the findings baseline (`--baseline`): reported and scored as a failure, but
    it does not gate, since only new failures do."""


class _ResultLayout:
    """A class with `Result`'s slots in `Result`'s order and nothing else: the same memory layout, without the
    frozen dataclass's `__setattr__`. `engine_result` fills one in and makes it a `Result` (`__class__`), which
    Python allows between classes of one layout."""

    __slots__ = Result.__slots__


def engine_result(rule: RuleInfo, status: Status, resource_id: str, resource_type: str, resource_name: str,
                  message: str, location: Location | None, input: str) -> Result:
    """`Result(rule, status, resource_id, resource_type, resource_name, message, location, input=input)`, made
    about three times as fast: the rule engine makes one per rule and resource, half a million on a large
    inventory, and the frozen dataclass's `__init__` goes through `object.__setattr__` field by field, where
    this stores each slot as a plain class does. The same object in every way (type, fields, equality, hash,
    immutability afterwards)."""
    result: Any = object.__new__(_ResultLayout)  # its slots are `Result`'s, which mypy does not follow
    result.rule = rule
    result.status = status
    result.resource_id = resource_id
    result.resource_type = resource_type
    result.resource_name = resource_name
    result.message = message
    result.location = location
    result.suppression = None
    result.answer = None
    result.input = input
    result.baselined = False
    result.__class__ = Result  # one layout: see `_ResultLayout`
    return cast(Result, result)


class InputStatus(StrEnum):
    """Whether an input file was analysed."""

    ANALYSED = "analysed"
    NOT_ANALYSED = "not_analysed"


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One input the run looked at: a template (with its parameter file), an inventory export."""

    path: str
    format: str
    status: InputStatus
    reason: str = ""
    line: int | None = None
    resources: int = 0
    parameters: str | None = None
    """The parameter file paired with a template, if any."""
    notes: tuple[str, ...] = field(default=())
    """Warnings that did not stop the analysis (an unknown function, a loop cut short)."""
    address: str | None = None
    """The part of the file this record is about, when it is not the whole file (a Terraform `module.x` call)."""
    files: tuple[str, ...] = field(default=())
    """Other files read as part of this input: Bicep modules, linked ARM templates, Terraform local modules."""
    input: str = ""
    """The label of the deployment this record belongs to, as every result of it carries it (`Result.input`):
    the template + its parameter file, the Terraform root + its var files, the Bicep file + its `.bicepparam`,
    the inventory file. Left empty, it is `path` + `parameters` (see `input_label`). The records of one
    Terraform root (one per `.tf` file) share the root's label."""
    unreviewed: tuple[str, ...] = field(default=())
    """Parts of this input that were not reviewed, each in words: a registry module not on disk, a linked
    template not fetched. Rules that look for related resources answer unknown for what they could hold."""

    def __post_init__(self) -> None:
        if not self.input:
            parts = (self.parameters,) if self.parameters else ()
            object.__setattr__(self, "input", input_label(self.path, *parts))

    @property
    def partial(self) -> bool:
        """Whether part of the input was not reviewed."""
        return bool(self.unreviewed)


def input_label(path: str, *files: str) -> str:
    """The label of an input: its main file (or Terraform root folder) and the files it is deployed with, in the
    order they apply, joined with ` + ` (`infra/main.json + infra/main.parameters.prod.json`)."""
    return " + ".join((path, *files))


AIW000 = RuleInfo(
    id="AIW000",
    name="input-not-analysed",
    title="An input could not be analysed",
    severity=Severity.HIGH,
    pillars=(Pillar.OPERATIONAL_EXCELLENCE,),
    design_area=DesignArea.OPERATIONS,
)
"""The reserved rule for inputs aiwell could not read: one failing result per such input."""


__all__ = [
    "AIW000",
    "DesignArea",
    "InputRecord",
    "InputStatus",
    "Location",
    "Pillar",
    "QuestionAnswer",
    "Result",
    "RuleInfo",
    "Severity",
    "Status",
    "Suppression",
    "engine_result",
    "input_label",
]
