"""What a review produces: rule metadata the reporters need, results in four states, and input records."""

from __future__ import annotations

from enum import StrEnum

from msgspec import Struct, field
from msgspec.structs import force_setattr


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


class RuleInfo(Struct, frozen=True):
    """The part of a rule's metadata that results and reporters carry."""

    id: str
    name: str
    title: str
    severity: Severity
    pillars: tuple[Pillar, ...]
    design_area: DesignArea
    waf: tuple[str, ...] = ()
    """The Well-Architected recommendation codes the rule serves (`SE:05`), most specific first."""


class Location(Struct, frozen=True):
    """A place in an input file."""

    file: str
    line: int | None = None


class Suppression(Struct, frozen=True):
    """Why a result is suppressed (a suppressions-file entry or an inline comment); it stays reported."""

    reason: str
    owner: str | None = None
    expires: str | None = None
    """ISO date after which the suppression stops applying."""
    source: str = ""
    """Where the suppression was declared (a file and line, or an inline comment)."""


class QuestionAnswer(Struct, frozen=True):
    """The answer behind a questionnaire result (`Q-...` ids): what was chosen and the credit it earns."""

    choices: tuple[str, ...]
    credit: float
    """The share (0-1) of the question's weight the answer earns in scores."""
    inferred: str | None = None
    """The evidence a pre-filled (not confirmed) answer rests on; None when a person answered."""


class Result(Struct, frozen=True):
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


class InputStatus(StrEnum):
    """Whether an input file was analysed."""

    ANALYSED = "analysed"
    NOT_ANALYSED = "not_analysed"


class InputRecord(Struct, frozen=True):
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
            force_setattr(self, "input", input_label(self.path, *parts))

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
    "input_label",
]
