"""The resource model, values and results shared by every part of aiwell. Imports nothing else of ours."""

from aiwell.model.resource import Resource, Source, SourceFormat, lookup
from aiwell.model.result import (
    AIW000,
    DesignArea,
    InputRecord,
    InputStatus,
    Location,
    Pillar,
    QuestionAnswer,
    Result,
    RuleInfo,
    Severity,
    Status,
    Suppression,
    input_label,
)
from aiwell.model.values import (
    MISSING,
    Unresolved,
    contains_unresolved,
    display_text,
    first_unresolved,
    is_unresolved,
)

__all__ = [
    "AIW000",
    "MISSING",
    "DesignArea",
    "InputRecord",
    "InputStatus",
    "Location",
    "Pillar",
    "QuestionAnswer",
    "Resource",
    "Result",
    "RuleInfo",
    "Severity",
    "Source",
    "SourceFormat",
    "Status",
    "Suppression",
    "Unresolved",
    "contains_unresolved",
    "display_text",
    "first_unresolved",
    "input_label",
    "is_unresolved",
    "lookup",
]
