"""A workload plan: several sizings in one YAML file, answered as one `aiwell.size/1` document (regime `plan`)
with every item, the totals, and `targets` — what each item asks the deployed Azure resources to have (the
contract the review reads to compare a plan with a deployment's `sku.capacity`; docs/size.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aiwell.errors import ConfigError
from aiwell.sizing.estimate import Factors, Range, builtin_factors, document, estimate
from aiwell.sizing.prices import HOURS_PER_MONTH, PriceSheet, load_prices

_COMMON = {"name", "regime", "azure_deployment", "azure_resource"}
_KEYS = {
    "ptu": {"model", "deployment", "rpm", "input_tokens", "output_tokens", "cached_share"},
    "inference": {"model", "gpu", "gpus", "vm", "precision", "input_tokens", "output_tokens", "concurrency", "engine",
                  "kv_precision", "memory_fraction"},
    "training": {"model", "params", "active_params", "tokens", "gpu", "gpus", "vm", "precision", "seq_len", "method",
                 "zero", "activation_checkpointing", "micro_batch", "lora_rank"},
    "rag": {"documents", "avg_tokens", "chunk_tokens", "overlap", "embedding", "dimensions", "vector_type",
            "stored_vectors", "ingest_hours", "qps", "sla", "tier"},
    "tabular": {"rows", "columns", "family", "trees", "iterations", "epochs"},
}
_REQUIRED = {
    "ptu": {"model", "deployment", "rpm", "input_tokens", "output_tokens"},
    "inference": {"model", "precision", "input_tokens", "output_tokens"},
    "training": {"tokens", "precision"},
    "rag": {"documents", "avg_tokens", "chunk_tokens", "embedding"},
    "tabular": {"rows", "columns", "family"},
}


def load_plan(path: Path) -> dict[str, Any]:
    """Read and check a plan file: a mapping with `workloads` (a list of items, each with a `name` and a `regime`
    and that regime's options) and optionally `name` and `prices` (a price sheet path, relative to the plan)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"no such plan file: {path}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the plan {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("workloads"), list) or not data["workloads"]:
        raise ConfigError(f"{path}: a plan is a mapping with a non-empty `workloads` list")
    unknown = set(data) - {"name", "prices", "workloads"}
    if unknown:
        raise ConfigError(f"{path}: unknown plan keys: {', '.join(sorted(unknown))}")
    names = set()
    for index, item in enumerate(data["workloads"], 1):
        where = f"{path}: workload {index}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: each workload is a mapping")
        regime = item.get("regime")
        if regime not in _KEYS:
            raise ConfigError(f"{where}: `regime` must be one of {', '.join(_KEYS)}")
        name = item.get("name")
        if not name or name in names:
            raise ConfigError(f"{where}: every workload needs a unique `name`")
        names.add(name)
        extra = set(item) - _KEYS[regime] - _COMMON
        if extra:
            raise ConfigError(f"{where} ({name}): unknown {regime} keys: {', '.join(sorted(extra))}")
        missing = _REQUIRED[regime] - set(item)
        if regime == "training" and not ({"model", "params"} & set(item)):
            missing.add("model or params")
        if regime in {"inference", "training"} and not ({"gpu", "vm"} & set(item)):
            missing.add("gpu or vm")
        if missing:
            raise ConfigError(f"{where} ({name}): missing {', '.join(sorted(missing))}")
    return data


def size_plan(path: Path, *, factors: Factors | None = None, prices: PriceSheet | None = None) -> dict[str, Any]:
    """Size every workload of the plan at `path`."""
    from aiwell.sizing.inference import build_setup, size_inference
    from aiwell.sizing.ptu import size_ptu
    from aiwell.sizing.rag import size_rag
    from aiwell.sizing.tabular import size_tabular
    from aiwell.sizing.training import build_training, size_training

    factors = factors or builtin_factors()
    data = load_plan(path)
    if prices is None and data.get("prices"):
        prices = load_prices(path.parent / str(data["prices"]))
    items, targets = [], []
    totals = [0.0, 0.0, 0.0]
    unpriced = []
    for item in data["workloads"]:
        options = {k: v for k, v in item.items() if k not in _COMMON}
        regime = item["regime"]
        if regime == "ptu":
            doc = size_ptu(model_name=options["model"], deployment=options["deployment"], rpm=float(options["rpm"]),
                           input_tokens=int(options["input_tokens"]), output_tokens=int(options["output_tokens"]),
                           cached_share=float(options.get("cached_share", 0)), factors=factors, prices=prices,
                           deployment_name=item.get("azure_deployment"))
            cost = doc["estimates"].get("ptu_monthly_cost")
            ptu = doc["estimates"]["ptu"]
            targets.append({"workload": item["name"], "regime": regime,
                            "resource_type": "Microsoft.CognitiveServices/accounts/deployments",
                            "name": item.get("azure_deployment"), "model": options["model"],
                            "sku": doc["recommendation"]["deployment"]["sku"]["name"],
                            "capacity": {k: ptu[k] for k in ("p10", "p50", "p90")}, "unit": "PTU"})
        elif regime == "inference":
            setup = build_setup(model_name=options["model"], gpu_id=options.get("gpu"), gpus=options.get("gpus"),
                                vm_name=options.get("vm"), precision_name=options["precision"],
                                input_tokens=int(options["input_tokens"]), output_tokens=int(options["output_tokens"]),
                                concurrency=options.get("concurrency"), engine_name=options.get("engine", "vllm"),
                                kv_precision=options.get("kv_precision"),
                                memory_fraction=options.get("memory_fraction"))
            doc = size_inference(setup, factors)
            cost = _vm_monthly(doc, prices)
            targets.append({"workload": item["name"], "regime": regime,
                            "resource_type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
                            "name": item.get("azure_deployment"), "accelerator": setup.gpu.id,
                            "accelerators": doc["recommendation"]["accelerators"],
                            "vm_sizes": [v["vm_size"] for v in doc["recommendation"]["azure_vm_sizes"]]})
        elif regime == "training":
            setup_t = build_training(model_name=options.get("model"), params=_float(options.get("params")),
                                     active_params=_float(options.get("active_params")),
                                     tokens=float(options["tokens"]), gpu_id=options.get("gpu"),
                                     gpus=options.get("gpus"), vm_name=options.get("vm"),
                                     precision_name=options["precision"], seq_len=int(options.get("seq_len", 4096)),
                                     method=options.get("method", "full"), zero=int(options.get("zero", 3)),
                                     checkpointing=bool(options.get("activation_checkpointing", True)),
                                     micro_batch=int(options.get("micro_batch", 1)),
                                     lora_rank=int(options.get("lora_rank", 16)))
            doc = size_training(setup_t, factors, prices=prices)
            cost = None  # a one-off cost, not monthly: reported in the item
        elif regime == "rag":
            doc = size_rag(documents=int(options["documents"]), avg_tokens=float(options["avg_tokens"]),
                           chunk_tokens=int(options["chunk_tokens"]), overlap=int(options.get("overlap", 0)),
                           embedding=options["embedding"], dimensions=options.get("dimensions"),
                           vector_type=options.get("vector_type", "float32"),
                           stored_vectors=bool(options.get("stored_vectors", True)),
                           ingest_hours=float(options.get("ingest_hours", 24)), qps=options.get("qps"),
                           sla=options.get("sla", "read-write"), tier=options.get("tier"), prices=prices)
            cost = doc["estimates"].get("search_monthly_cost")
            if doc["fits"]:
                recommendation = doc["recommendation"]
                targets.append({"workload": item["name"], "regime": regime,
                                "resource_type": "Microsoft.Search/searchServices", "name": item.get("azure_resource"),
                                "sku": recommendation["azure"]["sku"]["name"],
                                "partitions": recommendation["partitions"], "replicas": recommendation["replicas"]})
        else:
            doc = size_tabular(rows=int(options["rows"]), columns=int(options["columns"]), family=options["family"],
                               trees=int(options.get("trees", 500)), iterations=int(options.get("iterations", 100)),
                               epochs=int(options.get("epochs", 20)))
            cost = None
        if regime in {"ptu", "inference", "rag"}:
            if cost:
                totals = [totals[0] + cost["p10"], totals[1] + cost["p50"], totals[2] + cost["p90"]]
            else:
                unpriced.append(item["name"])
        items.append({"name": item["name"], **doc})
    estimates = {}
    if any(totals):
        estimates["monthly_cost"] = estimate(Range(*totals), prices.currency if prices else "USD", "calibrated",
                                             "running costs of the priced items; training is one-off"
                                             + (f"; no price for {', '.join(unpriced)}" if unpriced else ""))
    fits = all(i["fits"] for i in items)
    assumptions = [f"{i['name']}: does not fit — {i.get('message', '')}" for i in items if not i["fits"]]
    return document("plan", {"name": data.get("name", path.stem), "file": str(path)}, estimates, fits=fits,
                    assumptions=assumptions, sources=sorted({s for i in items for s in i["sources"]}), items=items,
                    targets=targets)


def _vm_monthly(doc: dict[str, Any], prices: PriceSheet | None) -> dict[str, float] | None:
    options = [o for o in doc.get("recommendation", {}).get("azure_vm_sizes", [])]
    for option in options:
        price = (prices.vm_price(option["vm_size"]) if prices else None) or option.get("price_per_hour")
        if price:
            monthly = option["count"] * price * HOURS_PER_MONTH
            return {"p10": monthly, "p50": monthly, "p90": monthly}
    return None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


__all__ = ["load_plan", "size_plan"]
