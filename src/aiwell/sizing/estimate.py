"""What every regime's answer is made of: ranges (p10, p50, p90 with a unit and the basis they rest on), the
efficiency factors fitted to published measurements, and the `aiwell.size/1` document."""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from msgspec import Struct

from aiwell import __version__

SCHEMA = "aiwell.size/1"
Basis = Literal["calibrated", "formula", "assumption", "measured"]


class Band(Struct, frozen=True):
    """Multipliers on a model's central value: the envelope of measured/predicted over `n` published points."""

    p10: float
    p50: float
    p90: float
    n: int = 0

    def apply(self, value: float) -> Range:
        return Range(value * self.p10, value * self.p50, value * self.p90)


class Range(Struct, frozen=True):
    """A p10/p50/p90 range of one quantity."""

    p10: float
    p50: float
    p90: float

    def sorted(self) -> Range:
        low, mid, high = sorted((self.p10, self.p50, self.p90))
        return Range(low, mid, high)

    def map(self, function: Any) -> Range:
        return Range(function(self.p10), function(self.p50), function(self.p90)).sorted()

    def inverse(self, numerator: float = 1.0) -> Range:
        """numerator / this range (p10 and p90 swap)."""
        return Range(numerator / self.p90 if self.p90 else math.inf, numerator / self.p50 if self.p50 else math.inf,
                     numerator / self.p10 if self.p10 else math.inf)

    def scale(self, factor: float) -> Range:
        return Range(self.p10 * factor, self.p50 * factor, self.p90 * factor).sorted()

    def __add__(self, other: Range) -> Range:
        return Range(self.p10 + other.p10, self.p50 + other.p50, self.p90 + other.p90)

    @staticmethod
    def exact(value: float) -> Range:
        return Range(value, value, value)


def estimate(values: Range, unit: str, basis: Basis, note: str | None = None, *, digits: int = 4) -> dict[str, Any]:
    """One entry of `estimates`: {"p10", "p50", "p90", "unit", "basis"[, "note"]}."""
    entry: dict[str, Any] = {"p10": _round(values.p10, digits), "p50": _round(values.p50, digits),
                             "p90": _round(values.p90, digits), "unit": unit, "basis": basis}
    if note:
        entry["note"] = note
    return entry


def _round(value: float, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    magnitude = math.floor(math.log10(abs(value)))
    return round(value, max(0, digits - 1 - magnitude))


def document(regime: str, inputs: dict[str, Any], estimates: dict[str, Any], *, memory: dict[str, Any] | None = None,
             fits: bool = True, min_gpus: int | None = None, binding: str | None = None,
             assumptions: list[str] | None = None, sources: list[str] | None = None,
             **extra: Any) -> dict[str, Any]:
    """An `aiwell.size/1` document (docs/size.md describes every field)."""
    return {"schema": SCHEMA, "tool": {"name": "aiwell", "version": __version__}, "regime": regime,
            "inputs": inputs, "estimates": estimates, "memory": memory or {}, "fits": fits, "min_gpus": min_gpus,
            "binding": binding, "assumptions": list(assumptions or []), "sources": _unique(sources or []), **extra}


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


class InferenceFactors(Struct, frozen=True):
    """The self-hosted inference model's efficiency factors and its calibrated bands per estimate class."""

    prefill_efficiency: float
    decode_compute_efficiency: float
    bandwidth_efficiency: float
    layer_overhead_us: float
    llamacpp_prefill_efficiency: float
    llamacpp_layer_overhead_us: float
    ttft: Band
    tpot: Band
    throughput: Band
    source: str


class Factors(Struct, frozen=True):
    """Every fitted factor the calculator uses (data/factors.yaml, or a file `aiwell size calibrate` wrote)."""

    inference: InferenceFactors
    mfu: Band
    goodput: Band
    ptu_shape: Band
    fitted: str
    ptu_tpm_per_ptu: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        inference = self.inference
        return {
            "fitted": self.fitted,
            "inference": {
                "params": {"prefill_efficiency": inference.prefill_efficiency,
                           "decode_compute_efficiency": inference.decode_compute_efficiency,
                           "bandwidth_efficiency": inference.bandwidth_efficiency,
                           "layer_overhead_us": inference.layer_overhead_us,
                           "llamacpp_prefill_efficiency": inference.llamacpp_prefill_efficiency,
                           "llamacpp_layer_overhead_us": inference.llamacpp_layer_overhead_us},
                "bands": {name: _band_dict(getattr(inference, name)) for name in ("ttft", "tpot", "throughput")},
                "source": inference.source},
            "training": {"mfu": _band_dict(self.mfu), "goodput": _band_dict(self.goodput)},
            "ptu": {"shape": _band_dict(self.ptu_shape), "tpm_per_ptu": dict(self.ptu_tpm_per_ptu)},
        }


def _band_dict(band: Band) -> dict[str, Any]:
    return {"p10": round(band.p10, 4), "p50": round(band.p50, 4), "p90": round(band.p90, 4), "n": band.n}


def _band(data: dict[str, Any]) -> Band:
    return Band(float(data["p10"]), float(data["p50"]), float(data["p90"]), int(data.get("n", 0)))


def factors_from_dict(data: dict[str, Any]) -> Factors:
    """Factors from their dict form (data/factors.yaml or a calibrate output)."""
    inference, training, ptu = data["inference"], data["training"], data["ptu"]
    params = inference["params"]
    return Factors(
        inference=InferenceFactors(
            prefill_efficiency=float(params["prefill_efficiency"]),
            decode_compute_efficiency=float(params["decode_compute_efficiency"]),
            bandwidth_efficiency=float(params["bandwidth_efficiency"]),
            layer_overhead_us=float(params["layer_overhead_us"]),
            llamacpp_prefill_efficiency=float(params.get("llamacpp_prefill_efficiency",
                                                         params["prefill_efficiency"])),
            llamacpp_layer_overhead_us=float(params.get("llamacpp_layer_overhead_us", params["layer_overhead_us"])),
            ttft=_band(inference["bands"]["ttft"]), tpot=_band(inference["bands"]["tpot"]),
            throughput=_band(inference["bands"]["throughput"]), source=str(inference.get("source", ""))),
        mfu=_band(training["mfu"]), goodput=_band(training["goodput"]), ptu_shape=_band(ptu["shape"]),
        fitted=str(data.get("fitted", "")),
        ptu_tpm_per_ptu={k: float(v) for k, v in ptu.get("tpm_per_ptu", {}).items()})


@cache
def builtin_factors() -> Factors:
    """The factors fitted to the published measurements shipped in data/measurements.yaml."""
    text = resources.files("aiwell.sizing").joinpath("data/factors.yaml").read_text(encoding="utf-8")
    return factors_from_dict(yaml.safe_load(text))


__all__ = ["SCHEMA", "Band", "Basis", "Factors", "InferenceFactors", "Range", "builtin_factors", "document",
           "estimate", "factors_from_dict"]
