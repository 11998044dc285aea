"""Efficiency factors fitted to published measurements, the regression check of every published point against
its band, and `aiwell size calibrate`: refitting the factors for one deployment from its own load-test results.

Bands are envelopes: for each estimate class the p10 and p90 multipliers are the smallest and largest
measured/predicted ratio over that class's points (with n points the extremes estimate roughly the 1/(n+1) and
n/(n+1) quantiles, so n of 9 or more give at least a p10–p90 band); p50 is their median, which corrects the
class's bias. A class with fewer than five points takes the envelope of every inference point.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from aiwell.errors import UsageError
from aiwell.sizing.estimate import Band, Factors, InferenceFactors, builtin_factors
from aiwell.sizing.tables import accelerator, measurements, model

INFERENCE_CLASSES = {"ttft_ms": "ttft", "tpot_ms": "tpot", "output_tokens_per_s": "throughput"}
_MIN_POINTS = 5
_INFERENCE_SOURCE = ("efficiency factors fitted to published measurements (TensorRT-LLM performance tables, "
                     "FasterTransformer via llm-analysis; data/measurements.yaml)")


def _setup_for(point: Mapping[str, Any]) -> Any:
    from aiwell.sizing.inference import build_setup

    setup = point["setup"]
    return build_setup(model_name=setup["model"], gpu_id=setup["gpu"], gpus=int(setup["gpus"]), vm_name=None,
                       precision_name=setup["precision"], input_tokens=int(setup["input_tokens"]),
                       output_tokens=int(setup["output_tokens"]), concurrency=setup.get("concurrency"),
                       engine_name=setup.get("engine", "vllm"), kv_precision=setup.get("kv_precision"))


def model_value(point: Mapping[str, Any], factors: Factors) -> float:
    """What the inference model (fitted parameters, no band) predicts for a published point's metric."""
    from aiwell.sizing.inference import operating_point

    _, times, _, _ = operating_point(_setup_for(point), factors)
    metric = point["metric"]
    if metric == "ttft_ms":
        return times.ttft * 1000
    if metric == "tpot_ms":
        return times.tpot * 1000
    if metric == "output_tokens_per_s":
        return times.throughput
    raise ValueError(f"unknown inference metric {metric}")


def _with_params(factors: Factors, params: Sequence[float]) -> Factors:
    inference = replace(factors.inference, prefill_efficiency=params[0], decode_compute_efficiency=params[1],
                        bandwidth_efficiency=params[2], layer_overhead_us=params[3],
                        llamacpp_prefill_efficiency=params[4], llamacpp_layer_overhead_us=params[5])
    return replace(factors, inference=inference)


def _envelope(ratios: Sequence[float]) -> Band:
    logs = sorted(math.log(r) for r in ratios)
    return Band(math.exp(logs[0]), math.exp(statistics.median(logs)), math.exp(logs[-1]), len(logs))


def _class_bands(ratios: Mapping[str, list[float]]) -> dict[str, Band]:
    pooled = [r for values in ratios.values() for r in values]
    bands = {}
    for name in ("ttft", "tpot", "throughput"):
        values = ratios.get(name, [])
        bands[name] = _envelope(values) if len(values) >= _MIN_POINTS else _envelope(pooled)
    return bands


def inference_points() -> list[dict[str, Any]]:
    return list(measurements()["inference"])


def fit_inference(points: Sequence[Mapping[str, Any]], start: Factors) -> InferenceFactors:
    """Least squares on log(measured / predicted) over every point, for the efficiency parameters (prefill compute,
    decode compute, bandwidth, per-layer cost; llama.cpp's own prefill efficiency and per-layer cost); then the
    per-class bands from the residuals."""
    from scipy.optimize import least_squares

    def residuals(params: Sequence[float]) -> list[float]:
        trial = _with_params(start, params)
        return [math.log(float(p["value"]) / model_value(p, trial)) for p in points]

    f = start.inference
    x0 = [f.prefill_efficiency, f.decode_compute_efficiency, f.bandwidth_efficiency, f.layer_overhead_us,
          f.llamacpp_prefill_efficiency, f.llamacpp_layer_overhead_us]
    # bandwidth efficiency at most 0.9: what memory-bandwidth benchmarks reach on these devices
    fit = least_squares(residuals, x0, bounds=([0.05, 0.05, 0.2, 0.0, 0.05, 0.0], [1.0, 1.0, 0.9, 1000.0, 1.0, 1000.0]),
                        x_scale=[0.1, 0.1, 0.1, 20.0, 0.1, 20.0], diff_step=1e-3)
    fitted = _with_params(start, [float(v) for v in fit.x])
    ratios: dict[str, list[float]] = {}
    for point in points:
        ratios.setdefault(INFERENCE_CLASSES[point["metric"]], []).append(
            float(point["value"]) / model_value(point, fitted))
    bands = _class_bands(ratios)
    return replace(fitted.inference, ttft=bands["ttft"], tpot=bands["tpot"], throughput=bands["throughput"],
                   source=_INFERENCE_SOURCE)


def training_flops_per_token(spec: Any, seq_len: int, method: str = "full") -> float:
    """Model FLOPs per trained token: 6·N (4·N for LoRA/QLoRA: no weight gradients) plus PaLM's attention term
    12·L·H·Q·T."""
    factor = 6.0 if method == "full" else 4.0
    return float(factor * spec.active_params + 12.0 * spec.layers * spec.attention_width * seq_len)


def implied_mfu(point: Mapping[str, Any]) -> float:
    """The model FLOPs utilisation a published training point implies."""
    setup = point["setup"]
    spec = model(setup["model"])
    gpu = accelerator(setup["gpu"])
    flops = training_flops_per_token(spec, int(setup["seq_len"]))
    peak = gpu.peak("bf16")
    if "value_tflops_per_gpu" in point:
        return float(point["value_tflops_per_gpu"]) * 1e12 / peak
    if point["metric"] == "tokens_per_s_per_gpu":
        return float(point["value"]) * flops / peak
    if point["metric"] == "gpu_hours":
        tokens_per_s = float(setup["tokens"]) / (float(point["value"]) * 3600)
        return tokens_per_s * flops / peak
    raise ValueError(f"unknown training metric {point['metric']}")


def compute_gpu_hours(point: Mapping[str, Any], mfu: float) -> float:
    setup = point["setup"]
    spec = model(setup["model"])
    peak = accelerator(setup["gpu"]).peak("bf16")
    tokens_per_s = peak * mfu / training_flops_per_token(spec, int(setup["seq_len"]))
    return float(setup["tokens"]) / tokens_per_s / 3600


def fit_training() -> tuple[Band, Band]:
    """(MFU band from the throughput and GPU-hour points, goodput band from the model-card project hours)."""
    data = measurements()
    mfu = _envelope([implied_mfu(p) for p in data["training"]])
    goodput = _envelope([compute_gpu_hours(p, mfu.p50) / float(p["value"]) for p in data["project"]])
    return mfu, goodput


def ptu_formula(setup: Mapping[str, Any], tpm_per_ptu: float, output_weight: float) -> float:
    """Raw PTUs: (input × (1 − cached share) + weight × output) × RPM ÷ input TPM per PTU."""
    converted = float(setup["rpm"]) * (float(setup["input_tokens"]) * (1 - float(setup.get("cached_share", 0)))
                                       + output_weight * float(setup["output_tokens"]))
    return converted / tpm_per_ptu


def fit_ptu() -> tuple[Band, float]:
    """(PTU shape band, the gpt-4-era input TPM per PTU the published benchmark scenarios imply: their median, so the
    band is the spread around one linear constant and p50 stays the formula)."""
    points = measurements()["ptu"]
    implied = [ptu_formula(p["setup"], 1.0, float(p["setup"]["output_weight"])) / float(p["value"]) for p in points]
    constant = statistics.median(implied)  # so that p50 is the docs formula and the band is the spread around it
    ratios = [float(p["value"]) / ptu_formula(p["setup"], constant, float(p["setup"]["output_weight"]))
              for p in points]
    return _envelope(ratios), constant


def fit_builtin(start: Factors | None = None) -> Factors:
    """Refit every built-in factor from data/measurements.yaml (what bench/size_calibration.py --write stores)."""
    start = start or builtin_factors()
    inference = fit_inference(inference_points(), start)
    mfu, goodput = fit_training()
    shape, _ = fit_ptu()
    return Factors(inference=inference, mfu=mfu, goodput=goodput, ptu_shape=shape, fitted=date.today().isoformat(),
                   ptu_tpm_per_ptu={})


class PointCheck(Struct, frozen=True):
    """One published point against the band the calculator gives for its setup."""

    id: str
    regime: str
    metric: str
    published: float
    p10: float
    p50: float
    p90: float
    source: str

    @property
    def inside(self) -> bool:
        """Inside the band to the precision the document prints (four significant digits)."""
        return self.p10 * (1 - 1e-3) <= self.published <= self.p90 * (1 + 1e-3)

    @property
    def error(self) -> float:
        """Relative error of p50 against the published value."""
        return self.p50 / self.published - 1


def check_points(factors: Factors | None = None) -> list[PointCheck]:
    """Every published point with the p10/p50/p90 the calculator gives for it, through the same code paths as the
    commands."""
    from aiwell.sizing.inference import size_inference
    from aiwell.sizing.ptu import size_ptu
    from aiwell.sizing.training import build_training, size_training

    factors = factors or builtin_factors()
    data = measurements()
    checks = []
    for point in data["inference"]:
        doc = size_inference(_setup_for(point), factors)
        entry = doc["estimates"][point["metric"]]
        checks.append(PointCheck(point["id"], "inference", point["metric"], float(point["value"]), entry["p10"],
                                 entry["p50"], entry["p90"], point["source"]))
    for key in ("training", "project"):
        for point in data[key]:
            setup = point["setup"]
            doc = size_training(build_training(model_name=setup["model"], params=None, active_params=None,
                                               tokens=float(setup["tokens"]), gpu_id=setup["gpu"],
                                               gpus=int(setup["gpus"]), vm_name=None, precision_name="bf16",
                                               seq_len=int(setup["seq_len"]), method="full"), factors, check_fit=False)
            metric = point["metric"]
            published = float(point["value"]) if "value" in point else None
            if published is None:
                spec = model(setup["model"])
                published = float(point["value_tflops_per_gpu"]) * 1e12 / training_flops_per_token(
                    spec, int(setup["seq_len"]))
            entry = doc["estimates"][metric]
            checks.append(PointCheck(point["id"], "training" if key == "training" else "training (project)", metric,
                                     published, entry["p10"], entry["p50"], entry["p90"], point["source"]))
    _, constant = fit_ptu()
    for point in data["ptu"]:
        setup = point["setup"]
        raw = ptu_formula(setup, constant, float(setup["output_weight"]))
        band = factors.ptu_shape.apply(raw).sorted()
        checks.append(PointCheck(point["id"], "ptu", "ptu", float(point["value"]), band.p10, band.p50, band.p90,
                                 point["source"]))
    for point in data["ptu_formula"]:
        setup = point["setup"]
        doc = size_ptu(model_name=setup["model"], deployment=setup["deployment"], rpm=float(setup["rpm"]),
                       input_tokens=int(setup["input_tokens"]), output_tokens=int(setup["output_tokens"]),
                       cached_share=float(setup["cached_share"]), factors=factors)
        raw = doc["estimates"]["ptu_formula"]["p50"]
        checks.append(PointCheck(point["id"], "ptu (formula)", "ptu_formula", float(point["value"]), raw, raw, raw,
                                 point["source"]))
    return checks


def summarise(checks: Iterable[PointCheck]) -> list[dict[str, Any]]:
    """Per regime: points, how many fall inside their band, and the p50 error (median and largest absolute)."""
    by_regime: dict[str, list[PointCheck]] = {}
    for check in checks:
        by_regime.setdefault(check.regime, []).append(check)
    rows = []
    for regime, items in by_regime.items():
        errors = [abs(c.error) for c in items]
        rows.append({"regime": regime, "points": len(items), "inside": sum(c.inside for c in items),
                     "median_abs_error": statistics.median(errors), "max_abs_error": max(errors)})
    return rows


def calibrate_inference(results: Sequence[Any], setup_options: Mapping[str, Any],
                        factors: Factors | None = None) -> dict[str, Any]:
    """Factors for one deployment from its load-test results: per class, measured / predicted; the band is the
    spread of the runs (or of one run's p10–p90 where the tool reports them)."""
    from aiwell.sizing.inference import build_setup, operating_point

    factors = factors or builtin_factors()
    ratios: dict[str, list[float]] = {"ttft": [], "tpot": [], "throughput": []}
    runs = []
    for measured in results:
        if measured.tool == "azure-openai-benchmark":
            raise UsageError(f"{measured.path} is an azure-openai-benchmark run: calibrate it with --ptu")
        if not measured.input_tokens or measured.output_tokens is None:
            raise UsageError(f"{measured.path}: the result does not give the request shape")
        concurrency = setup_options.get("concurrency") or measured.concurrency
        if concurrency is None:
            raise UsageError(f"{measured.path} does not say how many requests were in flight: pass --concurrency")
        setup = build_setup(**{**setup_options, "input_tokens": round(measured.input_tokens),
                               "output_tokens": round(measured.output_tokens), "concurrency": int(concurrency)})
        _, times, _, _ = operating_point(setup, factors)
        run: dict[str, Any] = {"file": measured.path, "tool": measured.tool, "concurrency": int(concurrency),
                               "input_tokens": round(measured.input_tokens),
                               "output_tokens": round(measured.output_tokens)}
        for name, observed, predicted in (("ttft", measured.ttft_ms, times.ttft * 1000),
                                          ("tpot", measured.tpot_ms, times.tpot * 1000)):
            central = observed.get("p50", observed.get("mean"))
            if central and predicted > 0:
                ratios[name].append(central / predicted)
                for key in ("p10", "p90"):
                    if key in observed:
                        ratios[name].append(observed[key] / predicted)
                run[name] = {"measured_ms": round(central, 3), "predicted_ms": round(predicted, 3)}
        if measured.output_tokens_per_s and times.throughput > 0:
            ratios["throughput"].append(measured.output_tokens_per_s / times.throughput)
            run["throughput"] = {"measured": round(measured.output_tokens_per_s, 1),
                                 "predicted": round(times.throughput, 1)}
        runs.append(run)
    bands = {}
    for name, values in ratios.items():
        current: Band = getattr(factors.inference, name)
        bands[name] = _envelope(values) if values else current
    inference = replace(factors.inference, ttft=bands["ttft"], tpot=bands["tpot"], throughput=bands["throughput"],
                        source=f"calibrated on {len(runs)} load-test result(s) of this deployment")
    fitted = replace(factors, inference=inference, fitted=date.today().isoformat())
    return {"schema": "aiwell.size-factors/1", "deployment": {k: v for k, v in setup_options.items()
                                                              if v is not None}, "runs": runs, **fitted.to_dict()}


def calibrate_ptu(results: Sequence[Any], *, model_name: str, ptu: int, factors: Factors | None = None,
                  cached_share: float = 0.0) -> dict[str, Any]:
    """Input TPM per PTU measured on a provisioned deployment: converted TPM at the reported utilisation."""
    from aiwell.sizing.tables import managed_model

    factors = factors or builtin_factors()
    managed = managed_model(model_name)
    implied = []
    runs = []
    for measured in results:
        if measured.tool != "azure-openai-benchmark":
            raise UsageError(f"{measured.path} is a {measured.tool} result: --ptu calibrates azure-openai-benchmark "
                             "runs")
        if not measured.utilization:
            raise UsageError(f"{measured.path}: utilisation 0 — the deployment was not loaded")
        converted = measured.context_tpm * (1 - cached_share) + managed.output_weight * (measured.generated_tpm or 0)
        per_ptu = converted / (ptu * measured.utilization)
        implied.append(per_ptu)
        runs.append({"file": measured.path, "context_tpm": measured.context_tpm,
                     "generated_tpm": measured.generated_tpm,
                     "utilization": measured.utilization, "tpm_per_ptu": round(per_ptu, 1)})
    central = statistics.median(implied)
    shape = _envelope([central / v for v in implied]) if len(implied) > 1 else Band(1.0, 1.0, 1.0, 1)
    fitted = replace(factors, ptu_shape=shape, ptu_tpm_per_ptu={managed.name: central},
                     fitted=date.today().isoformat())
    return {"schema": "aiwell.size-factors/1", "deployment": {"model": managed.name, "ptu": ptu}, "runs": runs,
            "published_tpm_per_ptu": managed.tpm_per_ptu, **fitted.to_dict()}


__all__ = ["INFERENCE_CLASSES", "PointCheck", "calibrate_inference", "calibrate_ptu", "check_points",
           "compute_gpu_hours", "fit_builtin", "fit_inference", "fit_ptu", "fit_training", "implied_mfu",
           "inference_points", "model_value", "ptu_formula", "summarise", "training_flops_per_token"]
