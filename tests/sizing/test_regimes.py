"""Each regime's numbers against hand-computed formulas, and the behaviour the issue asks for: MoE memory from total
parameters and compute from active ones, shapes that don't fit, `--output-tokens 0`, the PTU worked example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwell.errors import UsageError
from aiwell.sizing import build_setup, size_inference, size_ptu, size_rag, size_tabular, size_training
from aiwell.sizing.rag import corpus_from_data_report
from aiwell.sizing.tables import GIB
from aiwell.sizing.training import build_training


def _setup(**overrides: object) -> object:
    options: dict[str, object] = {"model_name": "meta-llama/Llama-3.1-8B", "gpu_id": "h100-sxm-80gb", "gpus": 1,
                                  "vm_name": None, "precision_name": "bf16", "input_tokens": 1024,
                                  "output_tokens": 256, "concurrency": 16}
    options.update(overrides)
    return build_setup(**options)  # type: ignore[arg-type]


def test_inference_memory_is_weights_plus_kv_cache() -> None:
    doc = size_inference(_setup())
    memory = doc["memory"]
    assert memory["weights_total"] == pytest.approx(8.03e9 * 2 / GIB, rel=0.01)
    assert memory["kv_bytes_per_token"] == 128 * 1024
    kv = doc["estimates"]["kv_cache_tokens"]
    # vLLM: 0.9 × 80 GB − 16 GB weights − overhead, over 128 KiB a token
    assert 0.9 * 80e9 - 16.1e9 - 4 * GIB < kv["p50"] * 128 * 1024 < 0.9 * 80e9 - 16.1e9
    assert doc["fits"] is True and doc["min_gpus"] == 1
    for name in ("output_tokens_per_s", "ttft_ms", "tpot_ms", "e2e_s", "kv_cache_tokens"):
        entry = doc["estimates"][name]
        assert entry["p10"] <= entry["p50"] <= entry["p90"] and entry["unit"]


def test_decode_is_bandwidth_bound_at_small_batch_and_turns_compute_bound() -> None:
    short = size_inference(_setup(concurrency=1, input_tokens=128, output_tokens=128))
    assert short["binding"] == "memory_bandwidth"
    crossover = short["operating_point"]["decode_compute_bound_batch"]
    assert 100 < crossover < 1000  # roofline B* ≈ peak / bandwidth ≈ 295 for H100 SXM, moved by the efficiencies
    # at 1,152 tokens of context each sequence's KV reads outweigh its math: decode never turns compute-bound
    single = size_inference(_setup(concurrency=1))
    assert single["operating_point"]["decode_compute_bound_batch"] is None
    # TPOT at batch 1 is about the time to read the weights once
    tpot = single["estimates"]["tpot_ms"]
    assert tpot["p10"] <= 16.1e9 / 3.35e12 * 1000 / 0.9 + 32 * 0.4 <= tpot["p90"] * 1.5


def test_moe_uses_total_parameters_for_memory_and_active_for_compute() -> None:
    mixtral = size_inference(_setup(model_name="mistralai/Mixtral-8x7B-v0.1", gpus=4, concurrency=1))
    assert mixtral["memory"]["weights_total"] == pytest.approx(46.7e9 * 2 / GIB, rel=0.02)
    dense = size_inference(_setup(model_name="meta-llama/Llama-3.1-70B", gpus=4, concurrency=1))
    # prefill is compute: Mixtral's 12.9B active parameters prefill far faster than a dense 70B
    assert mixtral["estimates"]["prefill_ms"]["p50"] < dense["estimates"]["prefill_ms"]["p50"] / 3


def test_a_shape_that_does_not_fit_says_so_with_the_fewest_gpus() -> None:
    doc = size_inference(_setup(model_name="meta-llama/Llama-3.1-405B", gpus=1))
    assert doc["fits"] is False and doc["estimates"] == {}
    assert doc["min_gpus"] == 16  # 812 GB of BF16 weights: more than one node of 8 × 80 GB
    assert "does not fit" in doc["message"]
    fp8 = size_inference(_setup(model_name="meta-llama/Llama-3.1-405B", gpus=1, precision_name="fp8"))
    assert fp8["min_gpus"] == 8


def test_output_tokens_zero_is_valid() -> None:
    doc = size_inference(_setup(output_tokens=0))
    assert doc["estimates"]["tpot_ms"]["p50"] == 0
    assert doc["estimates"]["output_tokens_per_s"]["p50"] == 0
    assert doc["estimates"]["requests_per_s"]["p50"] > 0
    assert doc["binding"] == "compute"


def test_requests_beyond_the_kv_cache_make_memory_capacity_bind() -> None:
    doc = size_inference(_setup(input_tokens=100_000, output_tokens=1000, concurrency=64))
    assert doc["binding"] == "memory_capacity"


def test_without_concurrency_the_engine_runs_its_largest_batch() -> None:
    point = size_inference(_setup(concurrency=None))["operating_point"]
    assert point["concurrency"] == point["kv_limited_sequences_per_replica"] < 1024  # the KV cache limits it
    doc = size_inference(_setup(concurrency=None, input_tokens=128, output_tokens=128))
    assert doc["operating_point"]["concurrency"] == 1024  # vLLM V1's max_num_seqs on an 80 GB accelerator
    curve = doc["curve"]
    assert curve[0]["concurrency"] == 1 and curve[-1]["concurrency"] >= 1024
    throughputs = [p["output_tokens_per_s"] for p in curve]
    assert throughputs == sorted(throughputs)


def test_a_vm_size_stands_for_gpu_and_count() -> None:
    doc = size_inference(_setup(gpu_id=None, gpus=None, vm_name="Standard_ND96isr_H100_v5"))
    assert doc["inputs"]["gpu"] == "h100-sxm-80gb" and doc["inputs"]["gpus"] == 8


def test_user_errors() -> None:
    with pytest.raises(UsageError, match="unknown precision: fp6.*bf16"):
        _setup(precision_name="fp6")
    with pytest.raises(UsageError, match="llama.cpp"):
        _setup(precision_name="q4_0")
    with pytest.raises(UsageError, match="--vm"):
        _setup(gpu_id=None)


def test_ptu_matches_the_docs_worked_example() -> None:
    doc = size_ptu(model_name="gpt-5.2", deployment="regional", rpm=1000, input_tokens=100, output_tokens=50,
                   cached_share=0.25)
    assert doc["estimates"]["input_equivalent_tpm"]["p50"] == 475_000
    assert doc["estimates"]["ptu_formula"]["p50"] == pytest.approx(139.71, abs=0.01)
    assert doc["estimates"]["ptu"]["p50"] == 150  # rounded up to the regional increment of 50
    assert doc["recommendation"]["deployment"]["sku"] == {"name": "ProvisionedManaged", "capacity": 150}


def test_ptu_minimum_break_even_and_unavailable_types() -> None:
    doc = size_ptu(model_name="gpt-4o", deployment="global", rpm=1, input_tokens=100, output_tokens=10)
    assert doc["estimates"]["ptu"]["p50"] == 15 and doc["binding"] == "minimum_deployment"
    assert doc["estimates"]["break_even_utilization"]["p50"] > 1  # PTUs cost more than this trickle of PAYG
    with pytest.raises(UsageError, match="gpt-oss-120b has no data-zone provisioned deployment; offered: global"):
        size_ptu(model_name="gpt-oss-120b", deployment="data-zone", rpm=10, input_tokens=10, output_tokens=10)


def test_training_flops_time_and_memory() -> None:
    setup = build_training(model_name="huggyllama/llama-65b", params=None, active_params=None, tokens=1.4e12,
                           gpu_id="a100-sxm-80gb", gpus=2048, vm_name=None, precision_name="bf16", seq_len=2048,
                           method="full")
    doc = size_training(setup)
    flops = doc["estimates"]["total_flops"]["p50"]
    assert flops == pytest.approx((6 * 65.2e9 + 12 * 80 * 8192 * 2048) * 1.4e12, rel=0.001)
    days = doc["estimates"]["wall_days"]
    assert days["p10"] <= 21 <= days["p90"]  # the LLaMA paper: about 21 days
    per_gpu = doc["memory"]["per_gpu"]
    assert per_gpu["optimizer"] == pytest.approx(12 * 65.2e9 / 2048 / GIB, abs=0.01)  # ZeRO-3 shards everything


def test_training_that_does_not_fit_and_adapters_that_do() -> None:
    def train(method: str, zero: int = 3, gpus: int = 1) -> dict[str, object]:
        return size_training(build_training(model_name="meta-llama/Llama-3.1-70B", params=None, active_params=None,
                                            tokens=1e8, gpu_id="h100-sxm-80gb", gpus=gpus, vm_name=None,
                                            precision_name="bf16", seq_len=4096, method=method, zero=zero))

    full = train("full")
    assert full["fits"] is False and full["min_gpus"] and full["min_gpus"] > 8
    assert train("full", zero=0, gpus=64)["min_gpus"] is None  # unsharded weights never fit, whatever the count
    assert train("qlora")["fits"] is True  # 70B in 4 bits on one 80 GB accelerator
    lora = train("lora", gpus=8)
    assert lora["fits"] is True and lora["estimates"]["tokens_per_s_per_gpu"]["p50"] > 0


def test_training_from_a_parameter_count_and_moe_active_parameters() -> None:
    dense = size_training(build_training(model_name=None, params=8e9, active_params=None, tokens=1e12,
                                         gpu_id="h100-sxm-80gb", gpus=64, vm_name=None, precision_name="bf16",
                                         seq_len=8192, method="full"))
    moe = size_training(build_training(model_name=None, params=8e9, active_params=2e9, tokens=1e12,
                                       gpu_id="h100-sxm-80gb", gpus=64, vm_name=None, precision_name="bf16",
                                       seq_len=8192, method="full"))
    assert moe["estimates"]["gpu_hours"]["p50"] < dense["estimates"]["gpu_hours"]["p50"] / 2
    assert dense["estimates"]["cost"]["p50"] == pytest.approx(dense["estimates"]["gpu_hours"]["p50"] * 98.32 / 8,
                                                              rel=0.01)


def test_rag_chunks_index_and_tier() -> None:
    doc = size_rag(documents=200_000, avg_tokens=1500, chunk_tokens=512, overlap=64,
                   embedding="text-embedding-3-large")
    chunks = doc["estimates"]["chunks"]
    per_doc = (1500 - 64) / (512 - 64)
    assert chunks["p10"] == pytest.approx(200_000 * per_doc, rel=1e-3)
    assert chunks["p50"] == pytest.approx(200_000 * (per_doc + 0.5), rel=1e-3)
    vector = doc["estimates"]["vector_index_gib"]["p50"]
    assert vector == pytest.approx(chunks["p50"] * (3072 * 4 + 40) * 1.05 / GIB, rel=1e-3)
    recommendation = doc["recommendation"]
    assert recommendation["replicas"] == 3  # the read-write SLA
    assert doc["estimates"]["partitions"]["p90"] == recommendation["partitions"]
    assert doc["estimates"]["ingest_tpm"]["p50"] == pytest.approx(doc["estimates"]["embedding_tokens"]["p50"] / 1440)


def test_rag_beyond_every_tier_does_not_fit_and_bad_options_are_errors() -> None:
    huge = size_rag(documents=500_000_000, avg_tokens=2000, chunk_tokens=256, overlap=0,
                    embedding="text-embedding-3-large")
    assert huge["fits"] is False and "no AI Search tier" in huge["message"]
    with pytest.raises(UsageError, match="overlap"):
        size_rag(documents=10, avg_tokens=100, chunk_tokens=64, overlap=64, embedding="text-embedding-3-small")
    with pytest.raises(UsageError, match="cannot be shortened"):
        size_rag(documents=10, avg_tokens=100, chunk_tokens=64, overlap=0, embedding="text-embedding-ada-002",
                 dimensions=256)


def test_rag_corpus_from_an_aiwell_data_report(tmp_path: Path) -> None:
    report = {"schema": "aiwell.data/1", "datasets": [
        {"path": "docs/", "format": "pdf", "rows": 1000, "characters": 6_000_000, "columns": []},
        {"path": "table.csv", "format": "csv", "rows": 99, "columns": []}]}
    path = tmp_path / "data.json"
    path.write_text(json.dumps(report))
    documents, avg_tokens, note = corpus_from_data_report(path)
    assert (documents, avg_tokens) == (1000, 1500)
    path.write_text(json.dumps({"schema": "aiwell.eval/1"}))
    with pytest.raises(UsageError, match="aiwell.data/1"):
        corpus_from_data_report(path)


def test_tabular_is_coarse_and_says_so() -> None:
    doc = size_tabular(rows=10_000_000, columns=50, family="gbdt")
    assert doc["estimates"]["data_gib"]["p50"] == pytest.approx(10_000_000 * 50 * 8 / GIB, rel=1e-3)
    assert doc["assumptions"][0].startswith("COARSE")
    assert doc["recommendation"]["memory_gib"] >= doc["estimates"]["memory_gib"]["p90"]
