"""The built-in tables: the ids the issue promises, shapes that reproduce published parameter counts, and unknown
names as user errors that list the known ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwell.errors import UsageError
from aiwell.sizing import tables

ISSUE_ACCELERATORS = ["a100-sxm-40gb", "a100-sxm-80gb", "h100-sxm-80gb", "h100-pcie-80gb", "h200-sxm-141gb",
                      "h800-sxm-80gb", "b200-180gb", "gb200", "gb300", "mi300x-192gb", "l40s-48gb", "rtx-4090-24gb",
                      "rtx-3090-ti-24gb", "rtx-pro-6000-96gb"]
ISSUE_MODELS = ["meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-70b-chat-hf", "meta-llama/Meta-Llama-3-8B-Instruct",
                "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-70B", "meta-llama/Llama-3.1-405B-Instruct",
                "meta-llama/Llama-3.3-70B-Instruct", "huggyllama/llama-65b", "mistralai/Mixtral-8x7B-v0.1",
                "mistralai/Mixtral-8x22B-Instruct-v0.1", "EleutherAI/gpt-j-6b", "tiiuae/falcon-180B", "Qwen/Qwen3-8B",
                "Qwen/Qwen3-235B-A22B", "deepseek-ai/DeepSeek-V3", "openai/gpt-oss-120b", "microsoft/phi-4",
                "mistralai/Mistral-7B-Instruct-v0.3"]
ISSUE_MANAGED = ["gpt-4o", "gpt-4.1", "gpt-5.2", "Llama-3.3-70B-Instruct", "DeepSeek-R1", "gpt-oss-120b"]
ISSUE_VMS = ["Standard_ND96isr_H100_v5", "Standard_ND96isr_H200_v5", "Standard_ND96isr_MI300X_v5",
             "Standard_NC24ads_A100_v4", "Standard_ND128isr_GB200_v6"]


def test_every_accelerator_the_issue_names_is_in_the_table_with_dense_peaks() -> None:
    table = tables.accelerators()
    for accelerator_id in ISSUE_ACCELERATORS:
        gpu = table[accelerator_id]
        assert gpu.peak_tflops["bf16"] and gpu.hbm_gb > 0 and gpu.bandwidth_tbs > 0 and gpu.source
    # dense, not the 2:4-sparse headline: H100 SXM BF16 is 989, not 1,979; H200 is the same die
    assert table["h100-sxm-80gb"].peak_tflops["bf16"] == 989
    assert table["h200-sxm-141gb"].peak_tflops["fp8"] == 1979
    assert table["mi300x-192gb"].peak_tflops["bf16"] == 1307


@pytest.mark.parametrize("name", ISSUE_MODELS)
def test_issue_models_resolve_by_hugging_face_id(name: str) -> None:
    assert tables.model(name).layers > 0
    assert tables.model(name.lower()).id == name  # Hugging Face ids are matched case-insensitively


def test_shapes_reproduce_published_parameter_counts() -> None:
    checked = 0
    for spec in {s.aliases[0]: s for s in tables.models().values()}.values():
        if spec.published_params is None:
            continue
        assert spec.computed_params == pytest.approx(spec.published_params, rel=0.02), spec.id
        checked += 1
        if spec.is_moe and spec.published_active and not spec.sliding_layers:
            assert spec.computed_active == pytest.approx(spec.published_active, rel=0.03), spec.id
    assert checked >= 30


def test_kv_cache_per_token_matches_the_research_note() -> None:
    # 2 · L · kv_heads · d_head · 2 bytes: 128 / 320 / 504 KiB for Llama-3.1 8B / 70B / 405B in BF16
    for name, kib in (("meta-llama/Llama-3.1-8B", 128), ("meta-llama/Llama-3.1-70B", 320),
                      ("meta-llama/Llama-3.1-405B", 504)):
        assert tables.model(name).kv_elements_per_token * 2 / 1024 == kib
    deepseek = tables.model("deepseek-ai/DeepSeek-V3")  # MLA: 512 latent + 64 rope dims per layer
    assert deepseek.kv_elements_per_token == 61 * 576


def test_managed_models_and_vm_sizes_the_issue_names() -> None:
    for name in ISSUE_MANAGED:
        assert tables.managed_model(name).tpm_per_ptu > 0
    for name in ISSUE_VMS:
        vm = tables.vm_size(name)
        assert vm.accelerator in tables.accelerators()
    assert tables.vm_size("standard_nd96isr_h100_v5").count == 8


def test_unknown_names_are_user_errors_listing_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown accelerator: h100\. .*h100-sxm-80gb"):
        tables.accelerator("h100")
    with pytest.raises(UsageError, match=r"unknown model: .*Known: .*meta-llama/Llama-3.1-8B"):
        tables.model("meta-llama/Llama-9-8B")
    with pytest.raises(UsageError, match="did you mean gpt-4o"):
        tables.managed_model("gpt-4oo")


def test_a_config_json_gives_the_same_shape_as_the_table(tmp_path: Path) -> None:
    config = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
              "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
              "max_position_embeddings": 131072, "tie_word_embeddings": False}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    spec = tables.model(str(path))
    table = tables.model("meta-llama/Llama-3.1-8B")
    assert spec.computed_params == pytest.approx(table.params, rel=0.001)
    assert spec.kv_elements_per_token == table.kv_elements_per_token
    assert tables.model(str(tmp_path)).hidden == 4096  # a model folder works too


def test_a_mixture_of_experts_config_json(tmp_path: Path) -> None:
    config = {"model_type": "mixtral", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
              "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 32000, "num_local_experts": 8,
              "num_experts_per_tok": 2}
    (tmp_path / "config.json").write_text(json.dumps(config))
    spec = tables.model(str(tmp_path / "config.json"))
    assert spec.params == pytest.approx(46.7e9, rel=0.01)
    assert spec.active_params == pytest.approx(12.9e9, rel=0.01)


def test_a_config_json_that_is_not_a_transformer_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(UsageError, match="missing hidden_size"):
        tables.model(str(tmp_path / "config.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UsageError, match="cannot read"):
        tables.model(str(tmp_path / "bad.json"))


def test_ptu_rounding_to_minimum_and_increment() -> None:
    assert tables.ceil_to(139.71, 50, 50) == 150
    assert tables.ceil_to(3.0, 15, 5) == 15
    assert tables.ceil_to(16.0, 15, 5) == 20
    assert tables.ceil_to(100.0, 80, 40) == 120
