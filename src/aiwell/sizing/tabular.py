"""Traditional ML on tabular data: COARSE rule-of-thumb memory and compute for training from rows, columns and
model family, and the smallest general-purpose or memory-optimised Azure VM that holds it. Not calibrated: the
ranges are wide on purpose, and a short training run on a sample is the better estimate."""

from __future__ import annotations

import math
from typing import Any

from msgspec import Struct

from aiwell.errors import UsageError
from aiwell.sizing.estimate import Range, document, estimate
from aiwell.sizing.tables import GIB


class Family(Struct, frozen=True):
    """A model family's rule of thumb: peak memory as a multiple of the float64 data, and the work per fit."""

    name: str
    memory_multiple: Range
    work: str
    note: str


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("linear", Range(1.5, 2.0, 3.0), "rows·columns·iterations",
           "a copy for scaling plus the solver's working set"),
    Family("gbdt", Range(1.2, 1.7, 2.5), "rows·columns·trees",
           "the float64 input, a float32 copy and 1-byte histogram bins (LightGBM/XGBoost hist)"),
    Family("random-forest", Range(2.0, 3.0, 5.0), "rows·log2(rows)·sqrt(columns)·trees",
           "a float32 copy plus the trees, which grow with the rows"),
    Family("knn", Range(1.0, 1.3, 2.0), "rows·columns (index build)", "the data itself is the model"),
    Family("svm", Range(1.5, 3.0, 6.0), "rows²·columns (kernel)", "kernel cache; beyond ~100k rows use a linear SVM"),
    Family("mlp", Range(1.5, 2.0, 3.0), "rows·columns·hidden·epochs", "mini-batches, weights and optimiser states"),
)}
_CELLS_PER_CORE_SECOND = Range(5e7, 2e8, 5e8)  # assumption: cell-passes per core-second across families

VM_SIZES = [("Standard_D4s_v5", 4, 16), ("Standard_D8s_v5", 8, 32), ("Standard_D16s_v5", 16, 64),
            ("Standard_E8s_v5", 8, 64), ("Standard_D32s_v5", 32, 128), ("Standard_E16s_v5", 16, 128),
            ("Standard_E32s_v5", 32, 256), ("Standard_E64s_v5", 64, 512), ("Standard_E96s_v5", 96, 672),
            ("Standard_M128s", 128, 2048)]


def size_tabular(*, rows: int, columns: int, family: str, trees: int = 500, iterations: int = 100,
                 epochs: int = 20, cores: int | None = None) -> dict[str, Any]:
    """The `aiwell.size/1` document for tabular training (coarse)."""
    found = FAMILIES.get(family)
    if found is None:
        raise UsageError(f"unknown model family: {family}. Known: {', '.join(FAMILIES)}")
    if rows < 1 or columns < 1:
        raise UsageError("--rows and --columns must be positive")
    data_bytes = rows * columns * 8.0
    memory = found.memory_multiple.scale(data_bytes / GIB)
    cells = float(rows) * columns
    work = {"linear": cells * iterations, "gbdt": cells * trees,
            "random-forest": rows * math.log2(max(rows, 2)) * math.sqrt(columns) * trees,
            "knn": cells, "svm": float(rows) ** 2 * columns, "mlp": cells * 64 * epochs}[family]
    core_hours = _CELLS_PER_CORE_SECOND.inverse(work / 3600)
    vm = next(((name, vcpus, mem) for name, vcpus, mem in VM_SIZES if mem >= memory.p90 * 1.2
               and (cores is None or vcpus >= cores)), None)
    inputs = {"rows": rows, "columns": columns, "family": family, "trees": trees, "iterations": iterations,
              "epochs": epochs}
    estimates = {"data_gib": estimate(Range.exact(data_bytes / GIB), "GiB", "formula", "as float64"),
                 "memory_gib": estimate(memory, "GiB", "assumption", found.note),
                 "core_hours": estimate(core_hours, "core-hours", "assumption", f"work ∝ {found.work}")}
    if vm is not None:
        estimates["wall_hours"] = estimate(core_hours.scale(1 / vm[1]), "hours", "assumption",
                                           f"on all {vm[1]} vCPUs of {vm[0]}, if the library uses them all")
    assumptions = ["COARSE: a rule of thumb, not calibrated against measurements; train on a 1% sample and scale "
                   "to check it", f"{found.name}: {found.note}",
                   "between 5·10^7 and 5·10^8 cell-passes per core-second (assumed)"]
    fits = vm is not None
    recommendation = {"vm_size": vm[0], "vcpus": vm[1], "memory_gib": vm[2]} if vm else {
        "note": "more memory than one VM in the table: use out-of-core or distributed training (Spark, Dask, "
                "SynapseML)"}
    return document("tabular", inputs, estimates, fits=fits, binding="memory_capacity" if memory.p50 > 64 else
                    "compute", assumptions=assumptions,
                    sources=["rules of thumb (coarse): scikit-learn, LightGBM and XGBoost documentation on memory"],
                    recommendation=recommendation)


__all__ = ["FAMILIES", "size_tabular"]
