"""Closing the loop: the exact load-test commands for a predicted shape (`vllm bench serve`, NVIDIA AIPerf,
Azure's azure-openai-benchmark), and readers of the JSON those tools write, for `aiwell size calibrate`."""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from aiwell.errors import UsageError

if TYPE_CHECKING:
    from aiwell.sizing.inference import Setup


def _join(parts: list[str]) -> str:
    return " ".join(shlex.quote(p) if not p.startswith("--") else p for p in parts)


def inference_commands(setup: Setup, concurrency: int, ttft_p90_ms: float, tpot_p90_ms: float) -> dict[str, str]:
    """Server and load-generator commands for the predicted shape, with goodput SLOs at the predicted p90."""
    model_id = setup.spec.id
    osl = max(setup.output_tokens, 1)
    prompts = max(200, 10 * concurrency)
    ttft_slo = max(1, math.ceil(ttft_p90_ms))
    tpot_slo = max(1, math.ceil(tpot_p90_ms)) if setup.output_tokens else None
    serve = ["vllm", "serve", model_id, "--tensor-parallel-size", str(min(setup.gpus, 8))]
    if setup.gpus > 8:
        serve += ["--pipeline-parallel-size", str(setup.gpus // 8)]
    if setup.weights.name == "fp8" and setup.spec.native_precision != "fp8":
        serve += ["--quantization", "fp8"]
    if setup.kv_precision == "fp8":
        serve += ["--kv-cache-dtype", "fp8"]
    serve += ["--gpu-memory-utilization", f"{setup.memory_fraction:g}",
              "--max-model-len", str(setup.input_tokens + osl)]
    bench = ["vllm", "bench", "serve", "--backend", "vllm", "--base-url", "http://localhost:8000", "--model", model_id,
             "--dataset-name", "random", "--random-input-len", str(setup.input_tokens), "--random-output-len",
             str(osl), "--ignore-eos", "--num-prompts", str(prompts), "--max-concurrency", str(concurrency),
             "--request-rate", "inf", "--percentile-metrics", "ttft,tpot,itl,e2el", "--metric-percentiles",
             "10,50,90", "--goodput", f"ttft:{ttft_slo}" + (f" tpot:{tpot_slo}" if tpot_slo else ""),
             "--save-result", "--result-filename", "vllm-bench.json"]
    goodput = f"time_to_first_token:{ttft_slo}" + (f" inter_token_latency:{tpot_slo}" if tpot_slo else "")
    aiperf = ["aiperf", "profile", "--model", model_id, "--url", "localhost:8000", "--endpoint-type", "completions",
              "--streaming", "--synthetic-input-tokens-mean", str(setup.input_tokens),
              "--synthetic-input-tokens-stddev", "0", "--output-tokens-mean", str(osl), "--output-tokens-stddev", "0",
              "--extra-inputs", "ignore_eos:true", "--concurrency", str(concurrency), "--request-count",
              str(prompts), "--goodput", goodput]
    return {"server": _join(serve), "vllm_bench_serve": _join(bench), "aiperf": _join(aiperf),
            "then": "aiwell size calibrate vllm-bench.json (or the AIPerf profile_export_aiperf.json) with the same "
                    "--model/--gpu/--gpus/--precision/--engine options"}


def ptu_command(*, deployment: str, rpm: float, input_tokens: int, output_tokens: int) -> dict[str, str]:
    """The azure-openai-benchmark command that sends the planned traffic to a provisioned deployment."""
    command = ["python", "-m", "benchmark.bench", "load", "--deployment", deployment, "--rate", f"{rpm:g}",
               "--shape-profile", "custom", "--context-tokens", str(input_tokens), "--max-tokens",
               str(max(output_tokens, 1)), "--retry", "none", "--duration", "900", "--aggregation-window", "120",
               "--output-format", "jsonl", "https://ACCOUNT.openai.azure.com"]
    return {"azure_openai_benchmark": _join(command) + " > aoai-bench.jsonl",
            "then": "aiwell size calibrate aoai-bench.jsonl --model MODEL --ptu DEPLOYED_PTU (the tool defeats the "
                    "prompt cache, so it measures the uncached worst case)"}


class Measured(Struct, frozen=True):
    """One load-test result, reduced to what calibration compares."""

    tool: str
    path: str
    input_tokens: float | None
    output_tokens: float | None
    concurrency: int | None
    ttft_ms: dict[str, float]            # keys among p10, p50, p90, mean
    tpot_ms: dict[str, float]
    output_tokens_per_s: float | None
    context_tpm: float | None = None     # azure-openai-benchmark
    generated_tpm: float | None = None
    utilization: float | None = None     # share, 0..1


def read_results(path: Path) -> Measured:
    """Read a `vllm bench serve` result (--save-result), an AIPerf profile_export_aiperf.json, or an
    azure-openai-benchmark JSONL stream; anything else is a user error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{path} is empty")
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        return _azure_benchmark(path, stripped)
    if isinstance(data, dict) and ("mean_ttft_ms" in data or "median_ttft_ms" in data):
        return _vllm(path, data)
    if isinstance(data, dict) and ("time_to_first_token" in data or "records" in data):
        return _aiperf(path, data.get("records", data) if isinstance(data.get("records"), dict) else data)
    if isinstance(data, dict) and "tpm" in data:
        return _azure_benchmark(path, stripped)
    raise UsageError(f"{path}: not a vllm bench serve result, an AIPerf profile export or azure-openai-benchmark "
                     "JSONL output")


def _vllm(path: Path, data: dict[str, Any]) -> Measured:
    completed = data.get("completed") or 0
    def per(metric: str) -> dict[str, float]:
        found = {}
        for key, name in ((f"p10_{metric}_ms", "p10"), (f"median_{metric}_ms", "p50"), (f"p50_{metric}_ms", "p50"),
                          (f"p90_{metric}_ms", "p90"), (f"mean_{metric}_ms", "mean")):
            if isinstance(data.get(key), int | float):
                found[name] = float(data[key])
        return found
    if not completed:
        raise UsageError(f"{path}: the vllm bench serve run completed no requests")
    concurrency = data.get("max_concurrency")
    return Measured("vllm bench serve", str(path), data.get("total_input_tokens", 0) / completed,
                    data.get("total_output_tokens", 0) / completed, int(concurrency) if concurrency else None,
                    per("ttft"), per("tpot"), _number(data.get("output_throughput")))


def _aiperf(path: Path, data: dict[str, Any]) -> Measured:
    def stats(name: str) -> dict[str, float]:
        block = data.get(name)
        if not isinstance(block, dict):
            return {}
        unit = str(block.get("unit", "ms"))
        scale = 1000.0 if unit in {"s", "sec", "seconds"} else (1e-6 if unit == "ns" else 1.0)
        out = {}
        for key, label in (("p10", "p10"), ("p50", "p50"), ("p90", "p90"), ("avg", "mean")):
            if isinstance(block.get(key), int | float):
                out[label] = float(block[key]) * scale
        return out

    def average(name: str) -> float | None:
        block = data.get(name)
        return _number(block.get("avg")) if isinstance(block, dict) else None

    config = data.get("input_config") or {}
    loadgen = config.get("loadgen") or {} if isinstance(config, dict) else {}
    concurrency = loadgen.get("concurrency") if isinstance(loadgen, dict) else None
    return Measured("aiperf", str(path), average("input_sequence_length"), average("output_sequence_length"),
                    int(concurrency) if concurrency else None, stats("time_to_first_token"),
                    stats("inter_token_latency"), average("output_token_throughput"))


def _azure_benchmark(path: Path, text: str) -> Measured:
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{number}: not JSON ({exc.msg})") from exc
    usable = [row for row in lines if isinstance(row, dict) and isinstance(row.get("tpm"), dict)
              and isinstance(row["tpm"].get("context"), int | float) and _utilization(row) is not None]
    if not usable:
        raise UsageError(f"{path}: no azure-openai-benchmark line with token rates and a utilisation "
                         "(run it with --output-format jsonl against a provisioned deployment)")
    last = usable[-1]  # the sliding-window aggregate at the end of the run
    ttft = last.get("ttft", {})
    tbt = last.get("tbt", {})
    return Measured("azure-openai-benchmark", str(path), None, None, None,
                    {"mean": float(ttft["avg"]) * 1000} if isinstance(ttft.get("avg"), int | float) else {},
                    {"mean": float(tbt["avg"]) * 1000} if isinstance(tbt.get("avg"), int | float) else {},
                    None, context_tpm=float(last["tpm"]["context"]), generated_tpm=_number(last["tpm"].get("gen")),
                    utilization=_utilization(last))


def _utilization(row: dict[str, Any]) -> float | None:
    util = row.get("util", {})
    value = util.get("avg") if isinstance(util, dict) else None
    if isinstance(value, str) and value.endswith("%"):
        try:
            return float(value[:-1]) / 100
        except ValueError:
            return None
    return float(value) / 100 if isinstance(value, int | float) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


__all__ = ["Measured", "inference_commands", "ptu_command", "read_results"]
