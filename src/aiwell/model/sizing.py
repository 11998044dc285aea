"""What a sizing plan asks the deployed resources to have: the `targets` of `aiwell size plan` (docs/size.md §4).

The review reads these targets only, never the sizing package itself: the plan's JSON answer is the contract
between the two (`aiwell size plan plan.yaml --format json`), so either side can change how it works inside.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct, field

SIZING_PLAN_FORMAT = "sizing-plan"
"""The `format` of the plan's input records in a review."""
PTU_DEPLOYMENT = "microsoft.cognitiveservices/accounts/deployments"
SEARCH_SERVICE = "microsoft.search/searchservices"
ONLINE_DEPLOYMENT = "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments"
TARGET_TYPES = {
    "ptu": PTU_DEPLOYMENT,
    "rag": SEARCH_SERVICE,
    "inference": ONLINE_DEPLOYMENT,
}
"""The resource type (lower case) each regime's target sizes."""


class SizingPlanError(ValueError):
    """A sizing plan document that is not the answer of `aiwell size plan` (a user mistake)."""


class CapacityRange(Struct, frozen=True):
    """A capacity need as the plan's p10, p50 and p90."""

    p10: float
    p50: float
    p90: float


class SizingTarget(Struct, frozen=True):
    """One plan item's need of one deployed resource."""

    workload: str
    """The plan item's name."""
    regime: str
    resource_type: str
    name: str | None
    """The resource's name as the IaC spells it (a model deployment's own name, not its account's); None when
    the plan did not say, and then only a review holding one resource of the type can be matched to it."""
    sku: str | None = None
    capacity: CapacityRange | None = None
    """PTU targets: the provisioned throughput units needed."""
    partitions: int | None = None
    replicas: int | None = None
    vm_sizes: tuple[str, ...] = field(default=())
    """Inference targets: the VM sizes that fit the model and load."""

    @property
    def type_lower(self) -> str:
        """The resource type in lower case."""
        return self.resource_type.lower()

    @property
    def label(self) -> str:
        """How a message names the target: the plan item and the resource it sizes."""
        named = f" ({self.name})" if self.name else ""
        return f"plan item {self.workload!r}{named}"


class SizingPlan(Struct, frozen=True):
    """The targets of one plan and the file they came from."""

    path: str
    name: str
    targets: tuple[SizingTarget, ...]


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SizingPlanError(f"{where}: `{key}` must be a non-empty string")
    return value


def _count(entry: Mapping[str, Any], key: str, where: str) -> int:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SizingPlanError(f"{where}: `{key}` must be a whole number of at least 1")
    return value


def _capacity(entry: Mapping[str, Any], where: str) -> CapacityRange:
    value = entry.get("capacity")
    if not isinstance(value, Mapping):
        raise SizingPlanError(f"{where}: `capacity` must hold p10, p50 and p90")
    numbers: list[float] = []
    for key in ("p10", "p50", "p90"):
        number = value.get(key)
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise SizingPlanError(f"{where}: `capacity.{key}` must be a number of at least 0")
        numbers.append(float(number))
    low, middle, high = numbers
    if not low <= middle <= high:
        raise SizingPlanError(f"{where}: `capacity` must have p10 <= p50 <= p90")
    return CapacityRange(low, middle, high)


def _target(entry: Any, index: int) -> SizingTarget:
    where = f"targets[{index}]"
    if not isinstance(entry, Mapping):
        raise SizingPlanError(f"{where} must be an object")
    workload = _text(entry, "workload", where) or ""
    regime = _text(entry, "regime", where) or ""
    resource_type = _text(entry, "resource_type", where) or ""
    expected = TARGET_TYPES.get(regime)
    if expected is None:
        raise SizingPlanError(f"{where}: regime {regime!r} sizes no deployed resource "
                              f"(expected one of {', '.join(TARGET_TYPES)})")
    if resource_type.lower() != expected:
        raise SizingPlanError(f"{where}: a {regime} target sizes {expected}, not {resource_type}")
    name = _text(entry, "name", where, required=False)
    if regime == "ptu":
        return SizingTarget(workload, regime, resource_type, name, sku=_text(entry, "sku", where),
                            capacity=_capacity(entry, where))
    if regime == "rag":
        return SizingTarget(workload, regime, resource_type, name, sku=_text(entry, "sku", where),
                            partitions=_count(entry, "partitions", where), replicas=_count(entry, "replicas", where))
    sizes = entry.get("vm_sizes")
    if not isinstance(sizes, Sequence) or isinstance(sizes, str) or not sizes \
            or not all(isinstance(size, str) and size for size in sizes):
        raise SizingPlanError(f"{where}: `vm_sizes` must be a non-empty list of VM size names")
    return SizingTarget(workload, regime, resource_type, name, vm_sizes=tuple(sizes))


def sizing_plan(document: Any, path: str) -> SizingPlan:
    """The targets of a plan answer (`aiwell size plan --format json`); `SizingPlanError` says what is wrong."""
    if not isinstance(document, Mapping) or document.get("schema") != "aiwell.size/1" \
            or document.get("regime") != "plan":
        raise SizingPlanError(f"{path} is not a sizing plan answer: write one with "
                              "`aiwell size plan PLAN.yaml --format json -o plan.json`, or give the plan's YAML")
    targets = document.get("targets")
    if not isinstance(targets, Sequence) or isinstance(targets, str):
        raise SizingPlanError(f"{path}: `targets` must be a list")
    inputs = document.get("inputs")
    name = inputs.get("name") if isinstance(inputs, Mapping) else None
    try:
        parsed = tuple(_target(entry, index) for index, entry in enumerate(targets))
    except SizingPlanError as exc:
        raise SizingPlanError(f"{path}: {exc}") from None
    return SizingPlan(path=path, name=name if isinstance(name, str) else "", targets=parsed)


__all__ = ["ONLINE_DEPLOYMENT", "PTU_DEPLOYMENT", "SEARCH_SERVICE", "SIZING_PLAN_FORMAT", "TARGET_TYPES",
           "CapacityRange", "SizingPlan", "SizingPlanError", "SizingTarget", "sizing_plan"]
