"""The built-in tables (accelerators, Azure VM sizes, open models, managed models, AI Search tiers, embedding
models), read from the YAML files in `aiwell/sizing/data/`, and model shapes read from a Hugging Face
`config.json`. A name the tables don't hold is a user error that lists the names they do."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from msgspec import Struct, field

from aiwell.errors import UsageError

T = TypeVar("T")
GB = 1e9
GIB = 2**30


@cache
def _data(name: str) -> Any:
    text = resources.files("aiwell.sizing").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def find(table: Mapping[str, T], name: str) -> T | None:
    """The entry of `table` whose key is `name`, compared case-insensitively (model and SKU names are)."""
    wanted = name.lower()
    return next((value for key, value in table.items() if key.lower() == wanted), None)


def _unknown(kind: str, name: str, known: list[str], *, hint: str | None = None) -> UsageError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    suggestion = f" (did you mean {', '.join(close)}?)" if close else ""
    return UsageError(f"unknown {kind}: {name}{suggestion}. Known: {', '.join(known)}", hint=hint)


class Accelerator(Struct, frozen=True):
    """One accelerator's dense peaks (TFLOP/s per precision, None where it has no tensor-core path), memory and
    interconnect."""

    id: str
    name: str
    peak_tflops: dict[str, float | None]
    hbm_gb: float
    bandwidth_tbs: float
    interconnect_name: str
    interconnect_gbs: float
    source: str

    @property
    def hbm_bytes(self) -> float:
        return self.hbm_gb * GB

    @property
    def bandwidth_bytes(self) -> float:
        return self.bandwidth_tbs * 1e12

    @property
    def link_bytes_per_direction(self) -> float:
        return self.interconnect_gbs * GB / 2

    def peak(self, compute_precision: str) -> float:
        """Dense peak in FLOP/s for a compute precision the accelerator has (see `compute_precision_for`)."""
        value = self.peak_tflops.get(compute_precision)
        if value is None:
            raise ValueError(f"{self.id} has no {compute_precision} tensor-core path")
        return value * 1e12


class VmSize(Struct, frozen=True):
    """An Azure VM size that carries accelerators."""

    name: str
    series: str
    accelerator: str
    count: int
    vcpus: int
    memory_gib: float
    network: str | None
    price_per_hour: float | None


def accelerators() -> dict[str, Accelerator]:
    """Every accelerator in the table, by id."""
    table = _data("accelerators.yaml")["accelerators"]
    return {key: Accelerator(id=key, name=v["name"], peak_tflops=dict(v["peak_tflops"]), hbm_gb=float(v["hbm_gb"]),
                             bandwidth_tbs=float(v["bandwidth_tbs"]), interconnect_name=v["interconnect"]["name"],
                             interconnect_gbs=float(v["interconnect"]["gbs"]), source=v["source"])
            for key, v in table.items()}


def accelerator(accelerator_id: str) -> Accelerator:
    """The accelerator `accelerator_id` (a lower-case datasheet name such as `h100-sxm-80gb`)."""
    table = accelerators()
    found = table.get(accelerator_id.lower())
    if found is None:
        raise _unknown("accelerator", accelerator_id, sorted(table), hint="`aiwell size gpus` lists them.")
    return found


def vm_sizes() -> dict[str, VmSize]:
    """Every Azure VM size in the table, by name."""
    table = _data("accelerators.yaml")["vm_sizes"]
    return {name: VmSize(name=name, series=v["series"], accelerator=v["accelerator"], count=int(v["count"]),
                         vcpus=int(v["vcpus"]), memory_gib=float(v["memory_gib"]), network=v["network"],
                         price_per_hour=v["price_per_hour"])
            for name, v in table.items()}


def vm_size(name: str) -> VmSize:
    """The Azure VM size `name` (`Standard_ND96isr_H100_v5`), matched case-insensitively."""
    table = vm_sizes()
    found = find(table, name)
    if found is not None:
        return found
    raise _unknown("VM size", name, sorted(table), hint="`aiwell size gpus` lists the VM sizes per accelerator.")


def vm_source() -> str:
    return str(_data("accelerators.yaml")["vm_source"])


def vms_for(accelerator_id: str) -> list[VmSize]:
    """The Azure VM sizes that carry `accelerator_id`, fewest accelerators first."""
    return sorted((v for v in vm_sizes().values() if v.accelerator == accelerator_id), key=lambda v: v.count)


class ModelSpec(Struct, frozen=True):
    """The shape of a transformer: what a `config.json` says, reduced to what sizing needs."""

    id: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool = False
    gated_mlp: bool = True
    experts: int = 0
    experts_per_token: int = 0
    expert_intermediate: int = 0
    shared_experts: int = 0
    dense_layers: int = 0
    v_head_dim: int | None = None
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    rope_head_dim: int = 0
    sliding_window: int = 0
    sliding_layers: int = 0
    max_context: int | None = None
    native_precision: str | None = None
    published_params: float | None = None
    published_active: float | None = None
    source: str = ""
    aliases: tuple[str, ...] = field(default=())

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    @property
    def mla(self) -> bool:
        return self.kv_lora_rank > 0

    def _attention_params(self) -> float:
        h, d = self.hidden, self.head_dim
        v_dim = self.v_head_dim or d
        if self.mla:
            q = (h * self.q_lora_rank + self.q_lora_rank * self.heads * d) if self.q_lora_rank else h * self.heads * d
            kv = h * (self.kv_lora_rank + self.rope_head_dim) + self.kv_lora_rank * self.heads * (
                d - self.rope_head_dim + v_dim)
            return float(q + kv + self.heads * v_dim * h)
        return float(h * self.heads * d + 2 * h * self.kv_heads * d + self.heads * d * h)

    def _mlp_params(self, width: int) -> float:
        return float((3 if self.gated_mlp else 2) * self.hidden * width)

    def _layer_params(self) -> tuple[float, float, float]:
        """(dense-layer params, MoE-layer params in total, MoE-layer params active per token)."""
        attention = self._attention_params() + 2 * self.hidden
        dense = attention + self._mlp_params(self.intermediate)
        if not self.is_moe:
            return dense, dense, dense
        width = self.expert_intermediate or self.intermediate
        expert = self._mlp_params(width)
        router = self.hidden * self.experts
        shared = self.shared_experts * expert
        total = attention + router + shared + self.experts * expert
        active = attention + router + shared + self.experts_per_token * expert
        return dense, total, active

    def _embedding_params(self) -> float:
        return float(self.vocab * self.hidden * (1 if self.tied else 2))

    @property
    def computed_params(self) -> float:
        dense, moe_total, _ = self._layer_params()
        moe_layers = self.layers - self.dense_layers if self.is_moe else 0
        return self._embedding_params() + (self.layers - moe_layers) * dense + moe_layers * moe_total

    @property
    def computed_active(self) -> float:
        dense, _, moe_active = self._layer_params()
        moe_layers = self.layers - self.dense_layers if self.is_moe else 0
        return self._embedding_params() + (self.layers - moe_layers) * dense + moe_layers * moe_active

    @property
    def params(self) -> float:
        """Total parameters: the published count where the table has one, else computed from the shape."""
        return self.published_params if self.published_params is not None else self.computed_params

    @property
    def active_params(self) -> float:
        """Parameters used per token (MoE: the routed experts only)."""
        if not self.is_moe:
            return self.params
        return self.published_active if self.published_active is not None else self.computed_active

    @property
    def embedding_params(self) -> float:
        """Embedding and output-head parameters (kept at 16 bits by most quantisation recipes)."""
        return self._embedding_params()

    @property
    def expert_params(self) -> float:
        """Parameters in routed experts (all layers): what a decode step reads only for the experts it routes to."""
        if not self.is_moe:
            return 0.0
        width = self.expert_intermediate or self.intermediate
        return float((self.layers - self.dense_layers) * self.experts * self._mlp_params(width))

    @property
    def kv_elements_per_token_layer(self) -> int:
        """Elements one token adds to the KV cache per attention layer (K and V; MLA: the latent and rope key)."""
        if self.mla:
            return self.kv_lora_rank + self.rope_head_dim
        return 2 * self.kv_heads * self.head_dim

    @property
    def attention_width(self) -> int:
        """heads × head dim: the width that attention FLOPs scale with."""
        return self.heads * self.head_dim

    def kv_elements(self, context: float) -> float:
        """KV-cache elements one sequence of `context` tokens holds (sliding-window layers hold at most the
        window)."""
        full_layers = self.layers - self.sliding_layers
        window = min(context, self.sliding_window) if self.sliding_layers else 0
        return self.kv_elements_per_token_layer * (full_layers * context + self.sliding_layers * window)

    @property
    def kv_elements_per_token(self) -> int:
        """KV-cache elements per token of context over the full-attention layers (what grows with context)."""
        return self.kv_elements_per_token_layer * (self.layers - self.sliding_layers)


def _spec_from_entry(key: str, entry: dict[str, Any], source: str) -> ModelSpec:
    hidden, heads = int(entry["hidden"]), int(entry["heads"])
    ids = tuple(entry.get("ids", [key]))
    return ModelSpec(
        id=ids[0], layers=int(entry["layers"]), hidden=hidden, heads=heads, kv_heads=int(entry["kv_heads"]),
        head_dim=int(entry.get("head_dim", hidden // heads)), intermediate=int(entry["intermediate"]),
        vocab=int(entry["vocab"]), tied=bool(entry.get("tied", False)), gated_mlp=entry.get("mlp", "gated") == "gated",
        experts=int(entry.get("experts", 0)), experts_per_token=int(entry.get("experts_per_token", 0)),
        expert_intermediate=int(entry.get("expert_intermediate", 0)),
        shared_experts=int(entry.get("shared_experts", 0)),
        dense_layers=int(entry.get("dense_layers", 0)), v_head_dim=entry.get("v_head_dim"),
        q_lora_rank=int(entry.get("q_lora_rank", 0)), kv_lora_rank=int(entry.get("kv_lora_rank", 0)),
        rope_head_dim=int(entry.get("rope_head_dim", 0)), sliding_window=int(entry.get("sliding_window", 0)),
        sliding_layers=int(entry.get("sliding_layers", 0)), max_context=entry.get("max_context"),
        native_precision=entry.get("native_precision"),
        published_params=round(float(entry["params_b"]) * 1e9) if "params_b" in entry else None,
        published_active=round(float(entry["active_b"]) * 1e9) if "active_b" in entry else None,
        source=source, aliases=ids)


@cache
def models() -> dict[str, ModelSpec]:
    """Every built-in open model, by each of its Hugging Face ids."""
    table: dict[str, ModelSpec] = {}
    for key, entry in _data("models.yaml").items():
        spec = _spec_from_entry(key, entry, "config.json on the Hugging Face Hub (built-in table, revision 2026-12)")
        for model_id in spec.aliases:
            table[model_id] = spec if model_id == spec.id else _with_id(spec, model_id)
    return table


def _with_id(spec: ModelSpec, model_id: str) -> ModelSpec:
    from msgspec.structs import replace

    return replace(spec, id=model_id)


def calibration_models() -> dict[str, ModelSpec]:
    """Shapes used only by the calibration points (published measurements of models without a Hub id)."""
    entries = _data("measurements.yaml")["models"]
    return {key: _spec_from_entry(key, entry, entry.get("note", "calibration model")) for key, entry in entries.items()}


def model(name: str | Path) -> ModelSpec:
    """A model by Hugging Face id (matched case-insensitively) or the path of its `config.json`."""
    text = str(name)
    path = Path(text)
    if text.endswith(".json") or path.is_file() or path.is_dir():
        return model_from_config(path / "config.json" if path.is_dir() else path)
    found = find({**models(), **calibration_models()}, text)
    if found is not None:
        return found
    raise _unknown("model", text, sorted(models()),
                   hint="give the path of the model's config.json for a model the table doesn't hold; "
                        "`aiwell size models` lists the table.")


def model_from_config(path: Path) -> ModelSpec:
    """A model shape from a Hugging Face `config.json` (Llama, Mistral, Mixtral, Qwen2/3 and their MoE variants,
    DeepSeek-V2/V3 with multi-head latent attention, gpt-oss, Falcon, GPT-J, Phi)."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"no such config file: {path}") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {path} as a Hugging Face config.json: {exc}") from exc
    if not isinstance(config, dict):
        raise UsageError(f"{path}: a config.json holds a JSON object")
    if "text_config" in config and isinstance(config["text_config"], dict):
        config = {**config, **config["text_config"]}  # multimodal wrappers keep the language model here

    def first(*keys: str, default: Any = None) -> Any:
        for key in keys:
            if config.get(key) is not None:
                return config[key]
        return default

    hidden = first("hidden_size", "n_embd", "d_model")
    layers = first("num_hidden_layers", "n_layer", "num_layers")
    heads = first("num_attention_heads", "n_head")
    vocab = first("vocab_size", "padded_vocab_size")
    missing = [name for name, value in (("hidden_size", hidden), ("num_hidden_layers", layers),
                                        ("num_attention_heads", heads), ("vocab_size", vocab)) if value is None]
    if missing:
        raise UsageError(f"{path}: not a transformer config.json aiwell can size: missing {', '.join(missing)}")
    hidden, layers, heads = int(hidden), int(layers), int(heads)
    kv_heads = int(first("num_key_value_heads", "num_kv_heads", "n_head_kv", default=None)
                   or (1 if config.get("multi_query") else heads))
    model_type = str(config.get("model_type", ""))
    plain_mlp = model_type in {"gptj", "falcon", "gpt2", "gpt_neox", "opt", "bloom", "gpt_bigcode", "phi"}
    intermediate = first("intermediate_size", "n_inner", "ffn_hidden_size", "ffn_dim", default=None) or 4 * hidden
    experts = int(first("num_local_experts", "num_experts", "n_routed_experts", default=0) or 0)
    layer_types = config.get("layer_types") or []
    sliding_layers = sum(1 for t in layer_types if t == "sliding_attention")
    qk_nope = config.get("qk_nope_head_dim")
    rope = int(config.get("qk_rope_head_dim") or 0)
    head_dim = int(first("head_dim", default=None) or ((int(qk_nope) + rope) if qk_nope else hidden // heads))
    dense_layers = int(config.get("first_k_dense_replace") or 0)
    tied = bool(config.get("tie_word_embeddings", model_type in {"gptj", "falcon"} and False))
    return ModelSpec(
        id=str(config.get("_name_or_path") or path.parent.name or path.name), layers=layers, hidden=hidden,
        heads=heads, kv_heads=kv_heads, head_dim=head_dim, intermediate=int(intermediate), vocab=int(vocab), tied=tied,
        gated_mlp=not plain_mlp, experts=experts,
        experts_per_token=int(first("num_experts_per_tok", "num_experts_per_token", "moe_topk", default=0) or 0),
        expert_intermediate=int(first("moe_intermediate_size", "expert_intermediate_size", default=0) or 0),
        shared_experts=int(first("n_shared_experts", "num_shared_experts", default=0) or 0),
        dense_layers=dense_layers, v_head_dim=config.get("v_head_dim"),
        q_lora_rank=int(config.get("q_lora_rank") or 0), kv_lora_rank=int(config.get("kv_lora_rank") or 0),
        rope_head_dim=rope if config.get("kv_lora_rank") else 0,
        sliding_window=int(config.get("sliding_window") or 0) if sliding_layers else 0,
        sliding_layers=sliding_layers, max_context=first("max_position_embeddings", "n_positions", default=None),
        source=f"config.json at {path}", aliases=())


class ManagedModel(Struct, frozen=True):
    """A managed model's provisioned-throughput parameters."""

    name: str
    tpm_per_ptu: float
    output_weight: float
    deployments: dict[str, tuple[int, int] | None]
    latency_target: str
    payg: dict[str, float] | None
    notes: tuple[str, ...]


def managed_models() -> dict[str, ManagedModel]:
    """Every managed model in the PTU table, by Azure name."""
    table = _data("managed.yaml")["models"]
    result = {}
    for name, v in table.items():
        deployments = {kind: (tuple(v[kind]) if v.get(kind) else None) for kind in ("global", "data-zone", "regional")}
        notes = tuple(n for n in (v.get("output_weight_note"),) if n)
        result[name] = ManagedModel(name=name, tpm_per_ptu=float(v["tpm_per_ptu"]),
                                    output_weight=float(v["output_weight"]), deployments=deployments,
                                    latency_target=v.get("latency", ""), payg=v.get("payg"), notes=notes)
    return result


def managed_model(name: str) -> ManagedModel:
    """A managed model by Azure name (`gpt-4o`, `Llama-3.3-70B-Instruct`), matched case-insensitively."""
    table = managed_models()
    found = find(table, name)
    if found is not None:
        return found
    raise _unknown("managed model", name, list(table), hint="`aiwell size models --managed` lists them.")


def managed_meta() -> dict[str, Any]:
    data = _data("managed.yaml")
    return {k: data[k] for k in ("revision", "source", "ptu_price_per_hour", "ptu_price_source")}


class SearchTier(Struct, frozen=True):
    """An Azure AI Search tier's per-partition limits and list price."""

    name: str
    storage_gb: float
    vector_gb: float
    max_partitions: int
    max_replicas: int
    price_per_su_month: float | None


def search_tiers() -> dict[str, SearchTier]:
    return {name: SearchTier(name=name, **v) for name, v in _data("search.yaml")["tiers"].items()}


def search_meta() -> dict[str, Any]:
    data = _data("search.yaml")
    return {k: data[k] for k in ("revision", "source", "sla", "max_search_units")}


class EmbeddingModel(Struct, frozen=True):
    name: str
    dimensions: int
    max_input_tokens: int
    price_per_1m: float | None
    reducible: bool
    source: str


def embedding_models() -> dict[str, EmbeddingModel]:
    return {name: EmbeddingModel(name=name, **v) for name, v in _data("embeddings.yaml")["models"].items()}


def embedding_model(name: str) -> EmbeddingModel:
    table = embedding_models()
    found = find(table, name)
    if found is not None:
        return found
    raise _unknown("embedding model", name, list(table))


def measurements() -> dict[str, Any]:
    """The published measurements (data/measurements.yaml)."""
    return dict(_data("measurements.yaml"))


def ceil_to(value: float, minimum: int, increment: int) -> int:
    """`value` rounded up to the next multiple of `increment`, and to `minimum` if that is larger (how Azure rounds a
    PTU estimate to a deployment size)."""
    return max(minimum, math.ceil(value / increment - 1e-9) * increment)


__all__ = [
    "GB",
    "GIB",
    "Accelerator",
    "EmbeddingModel",
    "ManagedModel",
    "ModelSpec",
    "SearchTier",
    "VmSize",
    "accelerator",
    "accelerators",
    "calibration_models",
    "ceil_to",
    "embedding_model",
    "embedding_models",
    "find",
    "managed_meta",
    "managed_model",
    "managed_models",
    "measurements",
    "model",
    "model_from_config",
    "models",
    "search_meta",
    "search_tiers",
    "vm_size",
    "vm_sizes",
    "vm_source",
    "vms_for",
]
