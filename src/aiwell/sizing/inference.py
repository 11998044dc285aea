"""Self-hosted inference: memory (weights, KV cache), whether a shape fits and the fewest accelerators that fit,
prefill (compute-bound) and decode (bandwidth-bound until the batch where it turns compute-bound) times, TTFT,
TPOT, end-to-end latency, output throughput, and which resource binds.

The model is a roofline with four fitted efficiency factors (prefill compute, decode compute, memory bandwidth, a
fixed per-layer cost per forward pass) and, per estimate class, the envelope of measured/predicted over the
published measurements in data/measurements.yaml (see `calibration`). MoE models use total parameters for memory
and active parameters for compute; a decode step reads only the experts its batch routes to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from msgspec import Struct, field

from aiwell.errors import UsageError
from aiwell.sizing.estimate import Factors, Range, builtin_factors, document, estimate
from aiwell.sizing.precision import Precision, compute_precision_for, kv_bytes, precision
from aiwell.sizing.tables import GIB, Accelerator, ModelSpec, VmSize, accelerator, model, vm_size, vms_for

GPUS_PER_NODE = 8
_FRAMEWORK_OVERHEAD_GIB = (1.0, 2.0, 4.0)  # CUDA context, CUDA graphs, NCCL buffers per accelerator: low, mid, high


class Engine(Struct, frozen=True):
    """A serving engine's defaults that change the answer."""

    name: str
    memory_fraction: float
    fraction_of_free: bool  # True: the fraction applies to memory left after weights (TensorRT-LLM)
    max_batch: Callable[[Accelerator], int]
    chunk_tokens: int
    reserves_full_sequence: bool  # True: a request reserves KV for input + output up front
    default_flag: str

    def kv_precision(self, weights: Precision) -> str:
        if self.name == "trtllm" and weights.name in {"fp8", "fp4"}:
            return "fp8"
        if self.name == "llama.cpp":
            return "fp16"
        return "fp16" if weights.name == "fp16" else "bf16"


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("vllm", 0.90, False, lambda gpu: 1024 if gpu.hbm_gb >= 70 else 256, 8192, False,
           "--gpu-memory-utilization 0.9; max_num_seqs 1024 on accelerators with 70 GB or more, else 256 (V1 "
           "defaults); chunked prefill of 8192 tokens"),
    Engine("sglang", 0.88, False, lambda gpu: 1024, 8192, False,
           "--mem-fraction-static 0.88; up to 1024 running requests; chunked prefill of 8192 tokens"),
    Engine("trtllm", 0.90, True, lambda gpu: 2048, 8192, True,
           "kv_cache_free_gpu_memory_fraction 0.9 of the memory left after weights; max_batch_size 2048; "
           "max_num_tokens 8192; FP8 KV cache with FP8/FP4 weights"),
    Engine("llama.cpp", 0.95, False, lambda gpu: 4, 512, True,
           "the whole device but a small margin; 4 parallel slots (--parallel); micro-batch 512; F16 KV cache"),
    Engine("fastertransformer", 0.90, True, lambda gpu: 1024, 100_000, True,
           "static batching (calibration points only)"),
)}
SERVING_ENGINES = ("vllm", "sglang", "trtllm", "llama.cpp")


class Group(Struct, frozen=True):
    """How the accelerators are used: tensor parallel within a node, pipeline stages across nodes, replicas."""

    gpus: int
    tp: int
    pp: int
    replicas: int

    @property
    def per_replica(self) -> int:
        return self.tp * self.pp


def layout(spec: ModelSpec, gpus: int, weights_fit_in: Callable[[int], bool]) -> Group:
    """Tensor parallel up to a node (8), then replicas of the smallest node-sized group that holds the weights, or
    pipeline stages when none does."""
    if gpus <= GPUS_PER_NODE:
        return Group(gpus, gpus, 1, 1)
    if weights_fit_in(GPUS_PER_NODE):
        return Group(gpus, GPUS_PER_NODE, 1, gpus // GPUS_PER_NODE)
    return Group(gpus, GPUS_PER_NODE, gpus // GPUS_PER_NODE, 1)


class Setup(Struct):
    """Everything one inference estimate depends on."""

    spec: ModelSpec
    gpu: Accelerator
    gpus: int
    weights: Precision
    engine: Engine
    kv_precision: str
    input_tokens: int
    output_tokens: int
    concurrency: int | None
    memory_fraction: float
    vm: VmSize | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def compute_precision(self) -> str:
        return compute_precision_for(self.weights, self.gpu)

    @property
    def weight_bytes(self) -> float:
        embeddings = self.spec.embedding_params
        if self.weights.name in {"q8_0", "q4_0"}:  # GGUF quantises the token embeddings and output head too
            return self.spec.params * self.weights.bytes_per_param
        return embeddings * 2.0 + (self.spec.params - embeddings) * self.weights.bytes_per_param

    @property
    def kv_bytes_per_token(self) -> float:
        return self.spec.kv_elements_per_token * kv_bytes(self.kv_precision)

    def sequence_kv_bytes(self, context: float) -> float:
        return self.spec.kv_elements(context) * kv_bytes(self.kv_precision)

    def overhead_bytes(self, gpus: int, level: int = 1) -> float:
        """Memory per accelerator that is neither weights nor KV: framework buffers plus activation workspace for
        one chunk of prefill."""
        tp = min(gpus, GPUS_PER_NODE)
        activations = self.engine.chunk_tokens * (4 * self.spec.hidden + 2 * self.spec.intermediate / tp) * 2
        return _FRAMEWORK_OVERHEAD_GIB[level] * GIB + min(activations, 0.1 * self.gpu.hbm_bytes)

    def kv_budget(self, gpus: int, level: int = 1) -> float:
        """Bytes left for the KV cache over `gpus` accelerators at the engine's memory fraction."""
        total = gpus * self.gpu.hbm_bytes
        overhead = gpus * self.overhead_bytes(gpus, level)
        if self.engine.fraction_of_free:
            return self.memory_fraction * (total - self.weight_bytes - overhead)
        return self.memory_fraction * total - self.weight_bytes - overhead

    def fits_on(self, gpus: int) -> bool:
        return self.kv_budget(gpus) >= self.sequence_kv_bytes(self.input_tokens + max(self.output_tokens, 1))


def _valid_counts(spec: ModelSpec) -> list[int]:
    counts = [n for n in (1, 2, 4, 8) if spec.heads % n == 0]
    return counts + list(range(16, 1025, 8))


def min_gpus(setup: Setup) -> int | None:
    """The fewest accelerators (tensor parallel 1, 2, 4, 8, then whole nodes) that hold the weights and one
    sequence of the requested shape."""
    for count in _valid_counts(setup.spec):
        if setup.fits_on(count):
            return count
    return None


class Times(Struct, frozen=True):
    """Central-value times in seconds at one operating point."""

    prefill: float          # one request's prefill alone
    prefill_compute: float  # its compute share when batched with decode steps
    step: float             # one decode step for the whole batch
    step_compute: float
    step_memory: float
    step_comm: float
    ttft: float
    tpot: float
    e2e: float
    throughput: float       # output tokens per second over every accelerator
    concurrency: int


class Model:
    """The roofline-with-overheads model for one setup and group, with the given efficiency factors."""

    def __init__(self, setup: Setup, group: Group, factors: Factors) -> None:
        self.setup = setup
        self.group = group
        self.f = factors.inference
        llamacpp = setup.engine.name == "llama.cpp"  # its own kernels: fitted on its own published points
        self.prefill_efficiency = self.f.llamacpp_prefill_efficiency if llamacpp else self.f.prefill_efficiency
        self.layer_overhead = (self.f.llamacpp_layer_overhead_us if llamacpp else self.f.layer_overhead_us) * 1e-6
        gpu, spec = setup.gpu, setup.spec
        self.peak = gpu.peak(setup.compute_precision) * group.tp  # per pipeline stage
        self.bandwidth = gpu.bandwidth_bytes * group.tp
        self.layers = spec.layers / group.pp  # per stage
        self.stage_weights = setup.weight_bytes / group.pp
        self.dense_weight_bytes = self.stage_weights - spec.expert_params / group.pp * setup.weights.bytes_per_param

    def weights_read(self, batch: float) -> float:
        """Weight bytes one decode step of a stage reads: dense weights, and for MoE the experts the batch touches."""
        spec = self.setup.spec
        if not spec.is_moe:
            return self.stage_weights
        touched = 1 - (1 - spec.experts_per_token / spec.experts) ** batch
        expert_bytes = self.stage_weights - self.dense_weight_bytes
        return float(self.dense_weight_bytes + expert_bytes * touched)

    def _comm(self, tokens: float) -> float:
        """Tensor-parallel all-reduces: two per layer of tokens × hidden 16-bit activations (ring)."""
        tp = self.group.tp
        if tp == 1:
            return 0.0
        size = tokens * self.setup.spec.hidden * 2
        return self.layers * 2 * 2 * (tp - 1) / tp * size / self.setup.gpu.link_bytes_per_direction

    def prefill(self, tokens: float) -> tuple[float, float]:
        """(time, compute-only time) to prefill one sequence of `tokens` tokens, per stage × stages."""
        spec = self.setup.spec
        flops = (2 * spec.active_params * tokens + 2 * spec.layers * spec.attention_width * tokens * tokens) \
            / self.group.pp
        compute = flops / (self.peak * self.prefill_efficiency)
        memory = self.weights_read(tokens) / (self.bandwidth * self.f.bandwidth_efficiency)
        passes = max(1, math.ceil(tokens / self.setup.engine.chunk_tokens))
        overhead = passes * self.layers * self.layer_overhead
        stage = max(compute, memory) + self._comm(tokens) + overhead
        return stage * self.group.pp, compute * self.group.pp

    def step(self, batch: float, context: float) -> tuple[float, float, float, float]:
        """(time, compute, memory, comm) of one decode step: `batch` sequences of average context `context`; the
        stages of a pipeline take turns, each on its share of the batch."""
        spec, setup = self.setup.spec, self.setup
        micro = max(1.0, batch / self.group.pp)
        flops = micro * (2 * spec.active_params + 4 * spec.layers * spec.attention_width * context) / self.group.pp
        kv_read = micro * setup.sequence_kv_bytes(context) / self.group.pp
        compute = flops / (self.peak * self.f.decode_compute_efficiency)
        memory = (self.weights_read(micro) + kv_read) / (self.bandwidth * self.f.bandwidth_efficiency)
        comm = self._comm(micro)
        overhead = self.layers * self.layer_overhead
        stage = max(compute, memory) + comm + overhead
        return stage * self.group.pp, compute, memory, comm

    def at(self, concurrency: int, kv_limit: int) -> Times:
        """Steady state with `concurrency` requests in flight on each replica (at most `kv_limit` run at once, the
        rest wait)."""
        setup = self.setup
        isl, osl = setup.input_tokens, setup.output_tokens
        running = max(1, min(concurrency, kv_limit))
        prefill, prefill_compute = self.prefill(isl)
        if osl > 0:
            step, compute, memory, comm = self.step(running, isl + osl / 2)
            tpot = step + (running - 1) * prefill_compute / osl  # the other requests' prefills interleave
        else:
            step = compute = memory = comm = tpot = 0.0
        ttft = prefill + (1 - 1 / running) * step
        e2e = ttft + osl * tpot
        throughput = self.group.replicas * running * osl / e2e if osl > 0 else 0.0
        if concurrency > running:  # requests beyond the KV cache's room wait their turn
            ttft += (concurrency - running) / running * e2e
            e2e = ttft + osl * tpot
        return Times(prefill, prefill_compute, step, compute, memory, comm, ttft, tpot, e2e, throughput, running)

    def compute_bound_batch(self, context: float) -> float | None:
        """The decode batch above which a step is compute-bound rather than bandwidth-bound (None: never, the KV
        reads grow as fast as the compute)."""
        spec = self.setup.spec
        compute_per_seq = (2 * spec.active_params + 4 * spec.layers * spec.attention_width * context) \
            / (self.peak * self.f.decode_compute_efficiency)
        kv_per_seq = self.setup.sequence_kv_bytes(context) / (self.bandwidth * self.f.bandwidth_efficiency)
        weights = self.stage_weights / (self.bandwidth * self.f.bandwidth_efficiency)
        if compute_per_seq <= kv_per_seq:
            return None
        return weights / (compute_per_seq - kv_per_seq)


def build_setup(*, model_name: str, gpu_id: str | None, gpus: int | None, vm_name: str | None, precision_name: str,
                input_tokens: int, output_tokens: int, concurrency: int | None, engine_name: str = "vllm",
                kv_precision: str | None = None, memory_fraction: float | None = None) -> Setup:
    """Resolve names into a `Setup`; unknown names and impossible combinations are user errors."""
    spec = model(model_name)
    vm = None
    if vm_name is not None:
        vm = vm_size(vm_name)
        if gpu_id is not None and gpu_id.lower() != vm.accelerator:
            raise UsageError(f"--gpu {gpu_id} disagrees with --vm {vm.name}, which carries {vm.accelerator}")
        gpu = accelerator(vm.accelerator)
        gpus = gpus or vm.count
    elif gpu_id is None:
        raise UsageError("give --gpu (with --gpus) or --vm", hint="`aiwell size gpus` lists accelerators and VM sizes.")
    else:
        gpu = accelerator(gpu_id)
    gpus = gpus or 1
    if gpus < 1:
        raise UsageError("--gpus must be at least 1")
    if input_tokens < 1:
        raise UsageError("--input-tokens must be at least 1")
    if output_tokens < 0:
        raise UsageError("--output-tokens must be 0 or more")
    engine = ENGINES.get(engine_name)
    if engine is None:
        raise UsageError(f"unknown engine: {engine_name}. Known: {', '.join(SERVING_ENGINES)}")
    weights = precision(precision_name)
    if engine.name == "llama.cpp" and weights.name not in {"q8_0", "q4_0", "fp16", "bf16"}:
        raise UsageError(f"llama.cpp serves GGUF weights: use --precision q8_0, q4_0, fp16 or bf16, not {weights.name}")
    if weights.name in {"q8_0", "q4_0"} and engine.name != "llama.cpp":
        raise UsageError(f"{weights.name} is a llama.cpp (GGUF) format: add --engine llama.cpp")
    kv = kv_precision or engine.kv_precision(weights)
    kv_bytes(kv)
    setup = Setup(spec=spec, gpu=gpu, gpus=gpus, weights=weights, engine=engine, kv_precision=kv,
                  input_tokens=input_tokens, output_tokens=output_tokens, concurrency=concurrency,
                  memory_fraction=memory_fraction or engine.memory_fraction, vm=vm)
    if concurrency is not None and concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    tp = min(gpus, GPUS_PER_NODE)
    if spec.heads % tp or gpus > GPUS_PER_NODE and gpus % GPUS_PER_NODE:
        setup.notes.append(f"{gpus} accelerators: tensor parallel {tp} does not divide the {spec.heads} attention "
                           "heads, or the count is not whole nodes of 8 — engines refuse such a split; the figures "
                           "assume it anyway")
    if spec.max_context and input_tokens + output_tokens > spec.max_context:
        setup.notes.append(f"{input_tokens + output_tokens} tokens exceed the model's context of "
                           f"{spec.max_context} tokens: the shape needs a longer-context variant")
    return setup


def _kv_limit(setup: Setup, group: Group, level: int = 1) -> tuple[int, float]:
    """(sequences the KV cache of one replica holds at once, its capacity in tokens)."""
    budget = setup.kv_budget(group.per_replica, level)
    tokens = max(0.0, budget / setup.kv_bytes_per_token) if setup.kv_bytes_per_token else math.inf
    per_sequence = setup.input_tokens + (setup.output_tokens if setup.engine.reserves_full_sequence
                                         else setup.output_tokens / 2)
    sequences = int(budget // setup.sequence_kv_bytes(max(per_sequence, 1))) if budget > 0 else 0
    return sequences, tokens


def operating_point(setup: Setup, factors: Factors | None = None,
                    concurrency: int | None = None) -> tuple[Model, Times, int, int]:
    """The model, its times at the requested concurrency (or at maximum throughput), the KV-limited number of
    sequences per replica, and the concurrency the engine would run."""
    factors = factors or builtin_factors()
    group = layout(setup.spec, setup.gpus, setup.fits_on)
    engine_limit = setup.engine.max_batch(setup.gpu)
    kv_limit, _ = _kv_limit(setup, group)
    wanted = concurrency if concurrency is not None else setup.concurrency
    per_replica = max(1, min(kv_limit, engine_limit) if wanted is None else math.ceil(wanted / group.replicas))
    limit = max(1, min(kv_limit, engine_limit))
    instance = Model(setup, group, factors)
    return instance, instance.at(per_replica, limit), kv_limit, per_replica * group.replicas


def size_inference(setup: Setup, factors: Factors | None = None) -> dict[str, Any]:
    """The `aiwell.size/1` document for self-hosted inference."""
    factors = factors or builtin_factors()
    spec, gpu = setup.spec, setup.gpu
    inputs = _inputs(setup)
    sources = [spec.source, f"{gpu.name}: {gpu.source}", factors.inference.source]
    if setup.vm:
        from aiwell.sizing.tables import vm_source

        sources.append(vm_source())
    assumptions = _assumptions(setup)
    group = layout(spec, setup.gpus, setup.fits_on)
    memory = _memory(setup, group)
    needed = min_gpus(setup)
    if not setup.fits_on(group.per_replica):
        weights_fit = setup.weight_bytes + group.per_replica * setup.overhead_bytes(group.per_replica) \
            <= setup.memory_fraction * group.per_replica * gpu.hbm_bytes
        why = ("the weights fit but one sequence's KV cache does not" if weights_fit
               else f"the weights alone ({setup.weight_bytes / GIB:,.1f} GiB) do not fit")
        message = (f"{spec.id} at {setup.weights.name} does not fit on {group.per_replica} × {gpu.id}: {why}; "
                   + (f"it needs at least {needed} × {gpu.id}." if needed else
                      f"no count of {gpu.id} up to 1,024 holds it."))
        return document("inference", inputs, {}, memory=memory, fits=False, min_gpus=needed,
                        binding="memory_capacity", assumptions=[message, *assumptions], sources=sources,
                        message=message, recommendation=_recommend(setup, needed))
    instance, times, kv_limit, concurrency = operating_point(setup, factors)
    bands = factors.inference
    ttft = bands.ttft.apply(times.ttft * 1000).sorted()
    tpot = bands.tpot.apply(times.tpot * 1000).sorted()
    e2e = Range(ttft.p10 / 1000 + setup.output_tokens * tpot.p10 / 1000,
                ttft.p50 / 1000 + setup.output_tokens * tpot.p50 / 1000,
                ttft.p90 / 1000 + setup.output_tokens * tpot.p90 / 1000)
    throughput = bands.throughput.apply(times.throughput).sorted()
    _, tokens_low = _kv_limit(setup, group, 2)
    _, tokens_mid = _kv_limit(setup, group, 1)
    _, tokens_high = _kv_limit(setup, group, 0)
    replicas = group.replicas
    kv_tokens = Range(tokens_low * replicas, tokens_mid * replicas, tokens_high * replicas)
    requests = Range.exact(0.0) if not setup.output_tokens else throughput.scale(1 / setup.output_tokens)
    if not setup.output_tokens:
        per_request = Range(e2e.p90, e2e.p50, e2e.p10)
        requests = Range(concurrency / per_request.p10, concurrency / per_request.p50, concurrency / per_request.p90)
    estimates = {
        "output_tokens_per_s": estimate(throughput, "tokens/s", "calibrated",
                                        f"all {setup.gpus} accelerators, at concurrency {concurrency}"),
        "ttft_ms": estimate(ttft, "ms", "calibrated"),
        "tpot_ms": estimate(tpot, "ms", "calibrated",
                            None if setup.output_tokens else "no output tokens: no decode"),
        "e2e_s": estimate(e2e, "s", "calibrated"),
        "requests_per_s": estimate(requests.sorted(), "requests/s", "calibrated"),
        "kv_cache_tokens": estimate(kv_tokens.sorted(), "tokens", "formula",
                                    f"whole group at the {setup.engine.name} default memory fraction; framework "
                                    f"overhead {_FRAMEWORK_OVERHEAD_GIB[0]:g}–{_FRAMEWORK_OVERHEAD_GIB[2]:g} GiB "
                                    "per accelerator", digits=5),
        "prefill_ms": estimate(bands.ttft.apply(times.prefill * 1000).sorted(), "ms", "calibrated",
                               "one request's prefill alone"),
    }
    binding, detail = _binding(setup, instance, times, kv_limit, concurrency)
    crossover = instance.compute_bound_batch(setup.input_tokens + setup.output_tokens / 2)
    curve = concurrency_curve(setup, factors, max(concurrency, 1))
    extra: dict[str, Any] = {
        "operating_point": {"concurrency": concurrency, "running_per_replica": times.concurrency,
                            "kv_limited_sequences_per_replica": kv_limit,
                            "engine_max_batch": setup.engine.max_batch(gpu),
                            "tensor_parallel": group.tp, "pipeline_parallel": group.pp, "replicas": group.replicas,
                            "compute_precision": setup.compute_precision, "kv_precision": setup.kv_precision,
                            "decode_compute_bound_batch": None if crossover is None else round(crossover, 1),
                            "decode_step_ms": {"compute": round(times.step_compute * 1000, 3),
                                               "memory": round(times.step_memory * 1000, 3),
                                               "interconnect": round(times.step_comm * 1000, 3)}},
        "binding_detail": detail,
        "curve": curve,
        "recommendation": _recommend(setup, needed),
    }
    from aiwell.sizing.loadtest import inference_commands

    extra["load_test"] = inference_commands(setup, concurrency, ttft.p90, tpot.p90)
    return document("inference", inputs, estimates, memory=memory, fits=True, min_gpus=needed, binding=binding,
                    assumptions=assumptions, sources=sources, **extra)


def concurrency_curve(setup: Setup, factors: Factors, top: int) -> list[dict[str, Any]]:
    """p50 throughput and latency at concurrencies 1, 2, 4, … up to twice the operating point (at most 12 points)."""
    points: list[dict[str, Any]] = []
    level = 1
    bands = factors.inference
    while len(points) < 12:
        _, times, _, concurrency = operating_point(setup, factors, level)
        points.append({"concurrency": concurrency,
                       "output_tokens_per_s": round(times.throughput * bands.throughput.p50, 1),
                       "ttft_ms": round(times.ttft * 1000 * bands.ttft.p50, 2),
                       "tpot_ms": round(times.tpot * 1000 * bands.tpot.p50, 3),
                       "e2e_s": round(times.ttft * bands.ttft.p50 + setup.output_tokens * times.tpot
                                      * bands.tpot.p50, 3)})
        if level >= 2 * top:
            break
        level *= 2
    return points


def _binding(setup: Setup, instance: Model, times: Times, kv_limit: int, concurrency: int) -> tuple[str, str]:
    per_replica = math.ceil(concurrency / instance.group.replicas)
    if per_replica > kv_limit:
        return "memory_capacity", (f"the KV cache holds {kv_limit} sequences of this shape per replica; the other "
                                   f"{per_replica - kv_limit} requests wait")
    prefill_share = times.concurrency * times.prefill_compute / times.e2e if times.e2e else 1.0
    if setup.output_tokens == 0 or prefill_share > 0.5:
        return "compute", "prefill (compute-bound) takes most of each request's time"
    if times.step_comm > max(times.step_compute, times.step_memory):
        return "interconnect", "tensor-parallel all-reduces take longer than the step's compute or memory reads"
    if times.step_compute >= times.step_memory:
        return "compute", f"decode at batch {times.concurrency} is past the point where it turns compute-bound"
    return "memory_bandwidth", (f"each decode step reads the weights and the KV cache: at batch {times.concurrency} "
                                "the reads take longer than the math")


def _memory(setup: Setup, group: Group) -> dict[str, Any]:
    per_gpu = group.per_replica
    hbm = setup.gpu.hbm_bytes
    weights = setup.weight_bytes / per_gpu
    overhead = setup.overhead_bytes(per_gpu)
    kv = max(0.0, setup.kv_budget(per_gpu) / per_gpu)
    free = max(0.0, hbm - weights - overhead - kv)
    return {
        "unit": "GiB",
        "hbm_per_gpu": round(hbm / GIB, 2),
        "per_gpu": {"weights": round(weights / GIB, 2), "kv_cache": round(kv / GIB, 2),
                    "overhead": round(overhead / GIB, 2), "free": round(free / GIB, 2)},
        "weights_total": round(setup.weight_bytes / GIB, 2),
        "kv_bytes_per_token": round(setup.kv_bytes_per_token),
        "kv_per_sequence": round(setup.sequence_kv_bytes(setup.input_tokens + setup.output_tokens) / GIB, 4),
        "params_total": setup.spec.params, "params_active": setup.spec.active_params,
    }


def _recommend(setup: Setup, needed: int | None) -> dict[str, Any]:
    """The Azure VM sizes that carry the accelerator, and how many of each the requested count (or the fewest that
    fit) takes."""
    want = max(setup.gpus, needed or 0)
    options = []
    for vm in vms_for(setup.gpu.id):
        count = math.ceil(want / vm.count)
        options.append({"vm_size": vm.name, "series": vm.series, "count": count, "accelerators": count * vm.count,
                        "price_per_hour": vm.price_per_hour,
                        "cost_per_hour": round(count * vm.price_per_hour, 2) if vm.price_per_hour else None})
    return {"accelerators": want, "azure_vm_sizes": options,
            "note": None if options else f"no Azure VM size in the table carries {setup.gpu.id}"}


def _inputs(setup: Setup) -> dict[str, Any]:
    return {"model": setup.spec.id, "gpu": setup.gpu.id, "gpus": setup.gpus,
            "vm": setup.vm.name if setup.vm else None, "precision": setup.weights.name,
            "kv_precision": setup.kv_precision, "engine": setup.engine.name, "input_tokens": setup.input_tokens,
            "output_tokens": setup.output_tokens, "concurrency": setup.concurrency,
            "memory_fraction": setup.memory_fraction}


def _assumptions(setup: Setup) -> list[str]:
    spec = setup.spec
    notes = list(setup.notes)
    notes.append(f"{setup.engine.name} defaults: {setup.engine.default_flag}")
    kept = ("GGUF quantises the embeddings and output head too" if setup.weights.name in {"q8_0", "q4_0"}
            else "embeddings and output head kept at 16 bits")
    notes.append(f"weights {setup.weights.name}: {setup.weights.note}; {kept}")
    if setup.compute_precision != setup.weights.compute[0]:
        notes.append(f"{setup.gpu.id} has no {setup.weights.compute[0]} tensor cores: the math runs in "
                     f"{setup.compute_precision} (weight-only quantisation)")
    if spec.is_moe:
        notes.append(f"MoE: {spec.params / 1e9:,.1f}B parameters held in memory, {spec.active_params / 1e9:,.1f}B "
                     f"active per token ({spec.experts_per_token} of {spec.experts} experts); a decode step reads the "
                     "experts its batch routes to, assuming uniform routing")
    if spec.mla:
        notes.append("multi-head latent attention: the KV cache holds the compressed latent and the rope key")
    if spec.sliding_layers:
        notes.append(f"{spec.sliding_layers} of {spec.layers} layers use a {spec.sliding_window}-token sliding "
                     "window: their KV cache stops growing at the window")
    notes.append("without --concurrency: the engine's largest batch that the KV cache holds (maximum throughput)"
                 if setup.concurrency is None else f"{setup.concurrency} requests kept in flight (closed loop)")
    notes.append("tensor parallel within a node of 8; beyond that replicas of a node, or pipeline stages when the "
                 "weights need more than a node")
    notes.append("uniform request shapes; efficiency differences between engines are inside the calibrated band: "
                 "run the load test below and `aiwell size calibrate` to narrow it for your deployment")
    return notes


__all__ = ["ENGINES", "SERVING_ENGINES", "Engine", "Group", "Model", "Setup", "Times", "build_setup",
           "concurrency_curve", "layout", "min_gpus", "operating_point", "size_inference"]
