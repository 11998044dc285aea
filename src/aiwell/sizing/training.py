"""Training and fine-tuning: FLOPs (6·N·D, 4·N·D for LoRA/QLoRA, plus the attention term), memory per
accelerator by sharding strategy (ZeRO/FSDP stages, activation checkpointing), tokens per second per accelerator
from the MFU band fitted to published runs, wall-clock days, accelerator-hours and cost."""

from __future__ import annotations

import math
from typing import Any

from msgspec import Struct

from aiwell.errors import UsageError
from aiwell.sizing.calibration import training_flops_per_token
from aiwell.sizing.estimate import Factors, Range, builtin_factors, document, estimate
from aiwell.sizing.prices import PriceSheet
from aiwell.sizing.tables import GIB, Accelerator, ModelSpec, VmSize, accelerator, model, models, vm_size, vms_for

METHODS = ("full", "lora", "qlora")
TRAINING_PRECISIONS = ("bf16", "fp16", "fp8")
_FP8_SPEEDUP = Range(1.15, 1.3, 1.5)      # assumption: over BF16 at the same MFU, not fitted here
_QLORA_SLOWDOWN = Range(0.65, 0.75, 0.9)  # assumption: dequantising 4-bit weights each step
_MEMORY_SLACK = (1.0, 1.1, 1.25)          # assumption: allocator fragmentation and buffers over the sum
_FRAMEWORK_GIB = 2.0


class TrainingSetup(Struct):
    spec: ModelSpec
    shape_from: str | None
    tokens: float
    gpu: Accelerator
    gpus: int
    precision: str
    seq_len: int
    method: str
    zero: int
    checkpointing: bool
    micro_batch: int
    lora_rank: int
    vm: VmSize | None


def build_training(*, model_name: str | None, params: float | None, active_params: float | None, tokens: float,
                   gpu_id: str | None, gpus: int | None, vm_name: str | None, precision_name: str, seq_len: int,
                   method: str, zero: int = 3, checkpointing: bool = True, micro_batch: int = 1,
                   lora_rank: int = 16) -> TrainingSetup:
    """Resolve a training request; unknown names and impossible options are user errors."""
    from msgspec.structs import replace

    if (model_name is None) == (params is None):
        raise UsageError("give either --model or --params")
    shape_from = None
    if model_name is not None:
        spec = model(model_name)
    else:
        assert params is not None
        if params <= 0:
            raise UsageError("--params must be positive")
        dense = [m for m in models().values() if not m.is_moe and m.id == m.aliases[0]]
        nearest = min(dense, key=lambda m: abs(math.log(m.params / params)))
        active = active_params if active_params is not None else params
        if active > params:
            raise UsageError("--active-params cannot exceed --params")
        spec = replace(nearest, id=f"{params / 1e9:g}B parameters", published_params=params,
                       published_active=active, experts=8 if active < params else 0,
                       experts_per_token=max(1, round(8 * active / params)) if active < params else 0)
        shape_from = nearest.id
    if active_params is not None and model_name is not None:
        raise UsageError("--active-params goes with --params (a built-in model has its own)")
    vm = None
    if vm_name is not None:
        vm = vm_size(vm_name)
        gpu = accelerator(vm.accelerator)
        gpus = gpus or vm.count
    elif gpu_id is None:
        raise UsageError("give --gpu (with --gpus) or --vm")
    else:
        gpu = accelerator(gpu_id)
    if precision_name not in TRAINING_PRECISIONS:
        raise UsageError(f"unknown training precision: {precision_name}. Known: {', '.join(TRAINING_PRECISIONS)}")
    if method not in METHODS:
        raise UsageError(f"unknown method: {method}. Known: {', '.join(METHODS)}")
    if precision_name == "fp8" and gpu.peak_tflops.get("fp8") is None:
        raise UsageError(f"{gpu.id} has no FP8 tensor cores: train in bf16")
    if tokens <= 0:
        raise UsageError("--tokens must be positive")
    if zero not in (0, 1, 2, 3):
        raise UsageError("--zero must be 0, 1, 2 or 3")
    return TrainingSetup(spec=spec, shape_from=shape_from, tokens=tokens, gpu=gpu, gpus=max(1, gpus or 1),
                         precision=precision_name, seq_len=seq_len, method=method, zero=zero,
                         checkpointing=checkpointing, micro_batch=micro_batch, lora_rank=lora_rank, vm=vm)


def lora_params(spec: ModelSpec, rank: int) -> float:
    """Adapter parameters with rank `rank` on every attention and dense-MLP projection of every layer."""
    h, attention, kv = spec.hidden, spec.attention_width, spec.kv_heads * spec.head_dim
    width = spec.intermediate
    per_layer = (h + attention) * 2 + (h + kv) * 2 + (2 * (h + width) + (width + h) if spec.gated_mlp
                                                      else 2 * (h + width))
    return float(rank * per_layer * spec.layers)


def memory_breakdown(setup: TrainingSetup, gpus: int) -> dict[str, float]:
    """Bytes per accelerator: weights, gradients, optimizer states, activations, logits, framework."""
    spec = setup.spec
    n = spec.params
    trainable = n if setup.method == "full" else lora_params(spec, setup.lora_rank)
    # QLoRA: NF4 with double quantisation (about 4.13 bits) for everything but the embeddings
    weights = spec.embedding_params * 2 + (n - spec.embedding_params) * 0.516 if setup.method == "qlora" else 2.0 * n
    if setup.method != "full":
        weights += 4.0 * trainable  # fp32 adapter weights
    grads = (2.0 if setup.method == "full" else 4.0) * trainable
    optimizer = (12.0 if setup.method == "full" else 8.0) * trainable  # fp32 master + Adam m, v (adapters: m, v)
    if setup.zero >= 1:
        optimizer /= gpus
    if setup.zero >= 2:
        grads /= gpus
    if setup.zero >= 3:
        weights /= gpus
    tokens = setup.micro_batch * setup.seq_len
    layer_full = 34.0 * tokens * spec.hidden  # Korthikanti et al. with flash attention (no score matrix)
    activations = (spec.layers * 2.0 * tokens * spec.hidden + layer_full) if setup.checkpointing \
        else spec.layers * layer_full
    logits = 8.0 * tokens * spec.vocab  # fp32 logits and their gradient
    return {"weights": weights, "gradients": grads, "optimizer": optimizer, "activations": activations,
            "logits": logits, "framework": _FRAMEWORK_GIB * GIB}


def _fits(setup: TrainingSetup, gpus: int) -> bool:
    return sum(memory_breakdown(setup, gpus).values()) * _MEMORY_SLACK[1] <= setup.gpu.hbm_bytes


def training_min_gpus(setup: TrainingSetup) -> int | None:
    count = 1
    while count <= 65536:
        if _fits(setup, count):
            return count
        count *= 2
    return None


def _price_per_gpu_hour(setup: TrainingSetup, prices: PriceSheet | None,
                        price_per_hour: float | None) -> tuple[float | None, str | None]:
    candidates = [setup.vm] if setup.vm else vms_for(setup.gpu.id)
    for vm in candidates:
        if vm is None:
            continue
        listed = prices.vm_price(vm.name) if prices else None
        price = price_per_hour if price_per_hour is not None else listed or vm.price_per_hour
        if price:
            origin = ("--price-per-hour" if price_per_hour is not None else prices.source if listed and prices
                      else "built-in list price")
            return price / vm.count, f"{vm.name} at {price:g}/hour ({origin})"
    return None, None


def size_training(setup: TrainingSetup, factors: Factors | None = None, *, prices: PriceSheet | None = None,
                  price_per_hour: float | None = None, check_fit: bool = True) -> dict[str, Any]:
    """The `aiwell.size/1` document for training or fine-tuning."""
    factors = factors or builtin_factors()
    spec, gpu = setup.spec, setup.gpu
    inputs = {"model": spec.id, "params": spec.params, "active_params": spec.active_params, "tokens": setup.tokens,
              "gpu": gpu.id, "gpus": setup.gpus, "vm": setup.vm.name if setup.vm else None,
              "precision": setup.precision, "seq_len": setup.seq_len, "method": setup.method, "zero": setup.zero,
              "activation_checkpointing": setup.checkpointing, "micro_batch": setup.micro_batch,
              "lora_rank": setup.lora_rank if setup.method != "full" else None}
    assumptions = [
        "model FLOPs per token: " + ("6·N" if setup.method == "full" else "4·N (no weight gradients for frozen "
                                     "weights)") + " + 12·L·H·Q·T attention (PaLM appendix B); N = active parameters",
        f"MFU band {factors.mfu.p10:.0%}–{factors.mfu.p90:.0%} (median {factors.mfu.p50:.0%}) fitted to "
        f"{factors.mfu.n} published runs (LLaMA on A100, Llama 3.1 405B on H100), which used activation "
        "checkpointing, tensor and pipeline parallelism tuned by their authors",
        f"project GPU-hours divide by a goodput of {factors.goodput.p10:.0%}–{factors.goodput.p90:.0%} (Llama 3.1 "
        "model card totals, which include evaluations, restarts and long-context stages)",
        f"memory: mixed-precision Adam, ZeRO stage {setup.zero} over {setup.gpus} data-parallel accelerators, "
        f"micro-batch {setup.micro_batch}, activation checkpointing {'on' if setup.checkpointing else 'off'}; "
        f"p50/p90 add {_MEMORY_SLACK[1] - 1:.0%}/{_MEMORY_SLACK[2] - 1:.0%} for allocator fragmentation "
        "(assumed, not fitted)",
    ]
    if setup.shape_from:
        assumptions.append(f"no shape given: attention term and activations use {setup.shape_from}'s shape")
    if setup.method != "full":
        assumptions.append(f"LoRA rank {setup.lora_rank} on every attention and dense-MLP projection "
                           f"({lora_params(spec, setup.lora_rank) / 1e6:,.1f}M trainable parameters); MFU as for "
                           "full training (not fitted for adapters)")
    if setup.method == "qlora":
        assumptions.append(f"QLoRA: NF4 base weights; dequantisation slows each step to "
                           f"{_QLORA_SLOWDOWN.p10:.0%}–{_QLORA_SLOWDOWN.p90:.0%} of LoRA (assumed, not fitted)")
    if setup.precision == "fp8":
        assumptions.append(f"FP8 training: {_FP8_SPEEDUP.p10:g}–{_FP8_SPEEDUP.p90:g}× BF16 speed (assumed from "
                           "public reports, not fitted)")
    sources = [spec.source, f"{gpu.name}: {gpu.source}",
               "training MFU and goodput fitted to published runs (data/measurements.yaml)"]
    per_gpu = memory_breakdown(setup, setup.gpus)
    total = sum(per_gpu.values())
    memory = {"unit": "GiB", "hbm_per_gpu": round(gpu.hbm_bytes / GIB, 2),
              "per_gpu": {k: round(v / GIB, 2) for k, v in per_gpu.items()},
              "free": round(max(0.0, gpu.hbm_bytes - total * _MEMORY_SLACK[1]) / GIB, 2)}
    needed = training_min_gpus(setup)
    fits = _fits(setup, setup.gpus)
    if check_fit and not fits:
        hint = (f"it needs at least {needed} × {gpu.id} at ZeRO stage {setup.zero}" if needed else
                f"no count of {gpu.id} holds it at ZeRO stage {setup.zero}"
                + ("; shard the weights too (--zero 3)" if setup.zero < 3 else "; use tensor or pipeline "
                   "parallelism, a smaller micro-batch or --method lora/qlora"))
        message = (f"training {spec.id} ({setup.method}) does not fit on {setup.gpus} × {gpu.id}: "
                   f"{total * _MEMORY_SLACK[1] / GIB:,.1f} GiB per accelerator against {gpu.hbm_bytes / GIB:,.1f} GiB; "
                   + hint)
        return document("training", inputs, {}, memory=memory, fits=False, min_gpus=needed,
                        binding="memory_capacity", assumptions=[message, *assumptions], sources=sources,
                        message=message)
    flops_per_token = training_flops_per_token(spec, setup.seq_len, "full" if setup.method == "full" else "lora")
    compute = "fp8" if setup.precision == "fp8" else "bf16"
    speed = _FP8_SPEEDUP if compute == "fp8" else Range.exact(1.0)
    if setup.method == "qlora":
        speed = Range(speed.p10 * _QLORA_SLOWDOWN.p10, speed.p50 * _QLORA_SLOWDOWN.p50, speed.p90 * _QLORA_SLOWDOWN.p90)
    peak = gpu.peak("bf16")
    mfu = factors.mfu
    tokens_per_s = Range(peak * mfu.p10 * speed.p10, peak * mfu.p50 * speed.p50,
                         peak * mfu.p90 * speed.p90).scale(1 / flops_per_token)
    gpu_hours = tokens_per_s.inverse(setup.tokens / 3600)
    wall_days = gpu_hours.scale(1 / (setup.gpus * 24))
    project = Range(gpu_hours.p10 / factors.goodput.p90, gpu_hours.p50 / factors.goodput.p50,
                    gpu_hours.p90 / factors.goodput.p10)
    memory_range = Range(total * _MEMORY_SLACK[0], total * _MEMORY_SLACK[1], total * _MEMORY_SLACK[2]).scale(1 / GIB)
    estimates = {
        "tokens_per_s_per_gpu": estimate(tokens_per_s, "tokens/s", "calibrated"),
        "wall_days": estimate(wall_days, "days", "calibrated", f"on {setup.gpus} accelerators, compute time only"),
        "gpu_hours": estimate(gpu_hours, "GPU-hours", "calibrated", "compute time only"),
        "project_gpu_hours": estimate(project, "GPU-hours", "calibrated",
                                      "with restarts, evaluations and extra stages (goodput band)"),
        "memory_per_gpu_gib": estimate(memory_range, "GiB", "assumption"),
        "total_flops": estimate(Range.exact(flops_per_token * setup.tokens), "FLOP", "formula"),
        "mfu": estimate(Range(mfu.p10, mfu.p50, mfu.p90), "ratio", "calibrated"),
    }
    price, price_source = _price_per_gpu_hour(setup, prices, price_per_hour)
    if price is not None:
        estimates["cost"] = estimate(gpu_hours.scale(price), "USD" if not prices else prices.currency, "calibrated",
                                     f"compute GPU-hours × {price:.2f} per GPU-hour")
        estimates["project_cost"] = estimate(project.scale(price), "USD" if not prices else prices.currency,
                                             "calibrated")
        sources.append(f"price: {price_source}")
    else:
        assumptions.append(f"no price for {gpu.id}: pass --prices or --price-per-hour for a cost")
    vms = vms_for(gpu.id)
    recommendation = {"accelerators": max(setup.gpus, needed or 0),
                      "azure_vm_sizes": [{"vm_size": vm.name, "series": vm.series,
                                          "count": math.ceil(max(setup.gpus, needed or 0) / vm.count)} for vm in vms]}
    return document("training", inputs, estimates, memory=memory, fits=fits, min_gpus=needed, binding="compute"
                    if fits else "memory_capacity", assumptions=assumptions, sources=sources,
                    recommendation=recommendation)


__all__ = ["METHODS", "TRAINING_PRECISIONS", "TrainingSetup", "build_training", "lora_params", "memory_breakdown",
           "size_training", "training_min_gpus"]
