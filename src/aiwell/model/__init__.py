"""The resource model, values and results shared by every part of aiwell. Imports nothing else of ours.

aiwell's records (this model, the loaders' syntax trees and scopes, rules, reports, and those of `eval`, `size`
and `data`) are `msgspec.Struct` classes rather than dataclasses: msgspec builds a class and its instances in C. A
review defines about ninety record classes at start-up (as frozen dataclasses, about 1 ms each on a 2-core machine,
most of it compiling the methods `dataclasses` generates) and makes one `Result` per rule and resource (half a
million on a large inventory), where a frozen dataclass's `__init__` sets each field through `object.__setattr__`.
A Struct has no per-field `compare=False`: a class whose equality leaves a field out says so in its own `__eq__`
and `__hash__` (`Unresolved`, `Score`, `Resource`), and what a record works out and keeps for later is a
`cached_property` of a `dict=True` Struct (the declarative conditions) or a private field of a class compared by
identity (`Rule`).
"""

from aiwell.model.resource import PathSteps, Resource, Source, SourceFormat, follow, lookup, path_steps
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
    "PathSteps",
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
    "follow",
    "input_label",
    "is_unresolved",
    "lookup",
    "path_steps",
]
