"""Numeric precisions: bytes per weight (with the scales block formats carry) and the tensor-core precision the
math runs in on a given accelerator."""

from __future__ import annotations

from msgspec import Struct

from aiwell.errors import UsageError
from aiwell.sizing.tables import Accelerator


class Precision(Struct, frozen=True):
    """A weight precision: storage bytes per parameter and the compute precisions it may run in, best first."""

    name: str
    bytes_per_param: float
    compute: tuple[str, ...]
    note: str


PRECISIONS: dict[str, Precision] = {p.name: p for p in (
    Precision("bf16", 2.0, ("bf16",), "16-bit brain float"),
    Precision("fp16", 2.0, ("fp16",), "16-bit float"),
    Precision("fp8", 1.0, ("fp8", "bf16"), "FP8 E4M3 weights (W8A8 where the accelerator has FP8 tensor cores, "
                                           "else weight-only with 16-bit math)"),
    Precision("fp4", 0.5625, ("fp4", "fp8", "bf16"), "NVFP4/MXFP4: 4 bits plus an 8-bit scale per 16 values "
                                                      "(4.5 bits); weight-only where there are no FP4 tensor cores"),
    Precision("int8", 1.0, ("int8", "bf16"), "INT8 W8A8 (SmoothQuant-style) where INT8 tensor cores exist"),
    Precision("int4", 0.53125, ("bf16",), "INT4 AWQ/GPTQ, group size 128 (4.25 bits), 16-bit math (W4A16)"),
    Precision("q8_0", 1.0625, ("int8", "fp16"), "llama.cpp Q8_0: 32 weights in 34 bytes; prefill on INT8 tensor "
                                                "cores (MMQ)"),
    Precision("q4_0", 0.5625, ("int8", "fp16"), "llama.cpp Q4_0: 32 weights in 18 bytes; prefill on INT8 tensor "
                                                "cores (MMQ)"),
)}

KV_PRECISIONS = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "q8_0": 1.0625, "q4_0": 0.5625}


def precision(name: str) -> Precision:
    """The precision `name`; an unknown one is a user error listing the known ones."""
    found = PRECISIONS.get(name.lower())
    if found is None:
        raise UsageError(f"unknown precision: {name}. Known: {', '.join(PRECISIONS)}")
    return found


def kv_bytes(name: str) -> float:
    """Bytes per KV-cache element for a KV-cache precision."""
    found = KV_PRECISIONS.get(name.lower())
    if found is None:
        raise UsageError(f"unknown KV-cache precision: {name}. Known: {', '.join(KV_PRECISIONS)}")
    return found


def compute_precision_for(weights: Precision, gpu: Accelerator) -> str:
    """The tensor-core precision the math runs in: the narrowest the weights allow that the accelerator has."""
    for candidate in weights.compute:
        if gpu.peak_tflops.get(candidate) is not None:
            return candidate
    return "bf16"


__all__ = ["KV_PRECISIONS", "PRECISIONS", "Precision", "compute_precision_for", "kv_bytes", "precision"]
