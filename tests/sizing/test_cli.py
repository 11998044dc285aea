"""`aiwell size` as a user meets it: the issue's command lines, the `aiwell.size/1` JSON contract, formats, exit
codes, plans, price sheets and `calibrate` on the load-test tools' own output formats."""

from __future__ import annotations

import json
import shlex
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aiwell.cli.main import main

SCHEMA = json.loads(resources.files("aiwell.sizing").joinpath("size.schema.json").read_text(encoding="utf-8"))

CONTRACT = {"schema", "regime", "inputs", "estimates", "memory", "fits", "min_gpus", "binding", "assumptions",
            "sources"}


def _run(capsys: pytest.CaptureFixture[str], command: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(shlex.split(command))
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, " ".join(captured.err.split())  # messages wrap at the console width


def _json(capsys: pytest.CaptureFixture[str], command: str) -> dict[str, Any]:
    code, out, err = _run(capsys, command + " --format json")
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert set(document) >= CONTRACT and document["schema"] == "aiwell.size/1"
    for entry in document["estimates"].values():
        assert {"p10", "p50", "p90", "unit"} <= set(entry)
    return document


ISSUE_COMMANDS = {
    "ptu": ("size ptu --model gpt-4o --deployment global --rpm 300 --input-tokens 1000 --output-tokens 200 "
            "--cached-share 0.5", {"ptu"}),
    "inference": ("size inference --model meta-llama/Llama-3.1-70B --gpu h100-sxm-80gb --gpus 8 --precision fp8 "
                  "--input-tokens 1024 --output-tokens 256 --concurrency 64 --engine vllm",
                  {"output_tokens_per_s", "ttft_ms", "tpot_ms", "e2e_s", "kv_cache_tokens"}),
    "training": ("size training --model meta-llama/Llama-3.1-8B --tokens 1e12 --gpu h100-sxm-80gb --gpus 64 "
                 "--precision bf16 --seq-len 8192 --method full",
                 {"tokens_per_s_per_gpu", "wall_days", "gpu_hours", "memory_per_gpu_gib"}),
    "rag": ("size rag --documents 200000 --avg-tokens 1500 --chunk-tokens 512 --overlap 64 "
            "--embedding text-embedding-3-large", {"chunks", "index_gib", "partitions", "replicas"}),
}


@pytest.mark.parametrize("regime", list(ISSUE_COMMANDS))
def test_the_issue_command_lines_and_their_estimate_names(capsys: pytest.CaptureFixture[str], regime: str) -> None:
    command, names = ISSUE_COMMANDS[regime]
    document = _json(capsys, command)
    assert document["regime"] == regime
    assert names <= set(document["estimates"])
    assert document["assumptions"] and document["sources"]


def test_training_from_params_engine_variants_and_a_vm(capsys: pytest.CaptureFixture[str]) -> None:
    document = _json(capsys, "size training --params 8e9 --active-params 8e9 --tokens 1e12 --gpu h100-sxm-80gb "
                             "--gpus 64 --precision bf16 --method lora")
    assert document["inputs"]["method"] == "lora"
    for engine, precision in (("sglang", "bf16"), ("trtllm", "fp8"), ("llama.cpp", "q4_0")):
        document = _json(capsys, f"size inference --model meta-llama/Llama-3.1-8B --vm Standard_NC24ads_A100_v4 "
                                 f"--precision {precision} --input-tokens 512 --output-tokens 0 --engine {engine}")
        assert document["inputs"]["engine"] == engine and document["inputs"]["gpu"] == "a100-pcie-80gb"


def test_terminal_markdown_and_html_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    command = ISSUE_COMMANDS["inference"][0]
    code, out, _ = _run(capsys, command)
    assert code == 0 and "binding resource" in out and "memory bandwidth" in out and "kv cache" in out
    code, out, _ = _run(capsys, command + " --format markdown")
    assert code == 0 and "| ttft_ms |" in out and "**Binding resource: memory bandwidth**" in out
    page = tmp_path / "report.html"
    code, _, err = _run(capsys, command + f" --format html -o {page}")
    assert code == 0 and "Report written" in err
    html = page.read_text()
    assert "<svg" in html and "Throughput and latency against concurrency" in html and "http://" not in html.split(
        "<body>")[0]


def test_a_shape_that_does_not_fit_exits_1_with_min_gpus(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "size inference --model meta-llama/Llama-3.1-405B --gpu h100-sxm-80gb --gpus 4 "
                                "--precision bf16 --input-tokens 1024 --output-tokens 256 --format json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert code == 1 and document["fits"] is False and document["min_gpus"] == 16 and document["estimates"] == {}


@pytest.mark.parametrize(("command", "message"), [
    ("size inference --model nope/Model --gpu h100-sxm-80gb --precision bf16 --input-tokens 1 --output-tokens 1",
     "unknown model: nope/Model"),
    ("size inference --model meta-llama/Llama-3.1-8B --gpu h100 --precision bf16 --input-tokens 1 --output-tokens 1",
     "unknown accelerator: h100"),
    ("size inference --model meta-llama/Llama-3.1-8B --gpu h100-sxm-80gb --precision fp2 --input-tokens 1 "
     "--output-tokens 1", "unknown precision: fp2"),
    ("size ptu --model gpt-9 --deployment global --rpm 1 --input-tokens 1 --output-tokens 1", "unknown managed model"),
    ("size training --tokens 1e9 --gpu h100-sxm-80gb", "give either --model or --params"),
])
def test_user_errors_exit_2_with_a_message(capsys: pytest.CaptureFixture[str], command: str, message: str) -> None:
    code, _, err = _run(capsys, command)
    assert code == 2 and message in err and "Traceback" not in err


def test_tables_with_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "size gpus --format json")
    gpus = json.loads(out)
    assert code == 0 and {a["id"] for a in gpus["accelerators"]} >= {"h100-sxm-80gb", "gb300", "mi300x-192gb"}
    assert all(a["source"] for a in gpus["accelerators"])
    code, out, _ = _run(capsys, "size models")
    assert code == 0 and "huggyllama/llama-65b" in out and "source" in out
    code, out, _ = _run(capsys, "size models --managed")
    assert code == 0 and "gpt-5.2" in out and "2026-04-29" in out


def test_a_price_sheet_from_the_retail_prices_api_overrides_list_prices(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:
    answer = {"BillingCurrency": "USD", "Items": [
        {"currencyCode": "USD", "retailPrice": 50.0, "unitPrice": 50.0, "armRegionName": "swedencentral",
         "serviceName": "Virtual Machines", "productName": "NDisrH100v5 Series", "skuName": "ND96isr H100 v5",
         "meterName": "ND96isr H100 v5", "armSkuName": "Standard_ND96isr_H100_v5", "unitOfMeasure": "1 Hour",
         "type": "Consumption"},
        {"currencyCode": "USD", "retailPrice": 20.0, "armRegionName": "swedencentral",
         "serviceName": "Virtual Machines",
         "productName": "NDisrH100v5 Series", "skuName": "ND96isr H100 v5 Spot", "meterName": "ND96isr H100 v5 Spot",
         "armSkuName": "Standard_ND96isr_H100_v5", "unitOfMeasure": "1 Hour", "type": "Consumption"}]}
    sheet = tmp_path / "prices.json"
    sheet.write_text(json.dumps(answer))
    document = _json(capsys, "size training --model meta-llama/Llama-3.1-8B --tokens 1e11 --gpu h100-sxm-80gb "
                             f"--gpus 8 --prices {sheet}")
    cost, hours = document["estimates"]["cost"]["p50"], document["estimates"]["gpu_hours"]["p50"]
    assert cost == pytest.approx(hours * 50.0 / 8, rel=0.01)  # the spot price is not taken
    sheet.write_text("vm: {Standard_ND96isr_H100_v5: 40}\nptu: {global: 0.5}\n")
    document = _json(capsys, ISSUE_COMMANDS["ptu"][0] + f" --prices {sheet}")
    assert document["estimates"]["ptu_monthly_cost"]["p50"] == document["estimates"]["ptu"]["p50"] * 0.5 * 730
    sheet.write_text("[1, 2]")
    code, _, err = _run(capsys, ISSUE_COMMANDS["ptu"][0] + f" --prices {sheet}")
    assert code == 2 and "not an Azure Retail Prices API answer" in err


def test_a_plan_sizes_every_workload_and_lists_targets(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("""
name: contoso-assistant
workloads:
  - name: chat
    regime: ptu
    model: gpt-4.1
    deployment: data-zone
    rpm: 600
    input_tokens: 2000
    output_tokens: 300
    cached_share: 0.3
    azure_deployment: chat-gpt41
  - name: self-hosted
    regime: inference
    model: meta-llama/Llama-3.1-8B
    vm: Standard_NC24ads_A100_v4
    precision: bf16
    input_tokens: 1024
    output_tokens: 256
    concurrency: 16
  - name: grounding
    regime: rag
    documents: 50000
    avg_tokens: 1200
    chunk_tokens: 512
    overlap: 64
    embedding: text-embedding-3-small
    azure_resource: contoso-search
  - name: tune
    regime: training
    model: meta-llama/Llama-3.1-8B
    tokens: 5e8
    gpu: h100-sxm-80gb
    gpus: 8
    precision: bf16
    method: lora
""")
    document = _json(capsys, f"size plan {plan}")
    assert document["regime"] == "plan" and document["fits"] is True
    assert [i["name"] for i in document["items"]] == ["chat", "self-hosted", "grounding", "tune"]
    target = document["targets"][0]
    assert target["name"] == "chat-gpt41" and target["sku"] == "DataZoneProvisionedManaged"
    assert target["capacity"]["p50"] == document["items"][0]["estimates"]["ptu"]["p50"]
    search = next(t for t in document["targets"] if t["regime"] == "rag")
    assert search["resource_type"] == "Microsoft.Search/searchServices" and search["name"] == "contoso-search"
    assert document["estimates"]["monthly_cost"]["p50"] > 0
    code, out, _ = _run(capsys, f"size plan {plan}")
    assert code == 0 and "grounding (rag)" in out
    plan.write_text("workloads:\n  - name: x\n    regime: ptu\n    model: gpt-4o\n    colour: blue\n")
    code, _, err = _run(capsys, f"size plan {plan}")
    assert code == 2 and "unknown ptu keys: colour" in err


def test_calibrate_refits_inference_factors_from_vllm_and_aiperf_results(capsys: pytest.CaptureFixture[str],
                                                                        tmp_path: Path) -> None:
    shape = "--model meta-llama/Llama-3.1-8B --gpu h100-sxm-80gb --gpus 1 --precision bf16"
    predicted = _json(capsys, f"size inference {shape} --input-tokens 1024 --output-tokens 256 --concurrency 32")
    p50 = {k: predicted["estimates"][k]["p50"] for k in ("ttft_ms", "tpot_ms", "output_tokens_per_s")}
    vllm = {"backend": "vllm", "model_id": "meta-llama/Llama-3.1-8B", "max_concurrency": 32, "completed": 320,
            "total_input_tokens": 320 * 1024, "total_output_tokens": 320 * 256,
            "output_throughput": p50["output_tokens_per_s"] * 0.8, "median_ttft_ms": p50["ttft_ms"] * 1.5,
            "mean_ttft_ms": p50["ttft_ms"] * 1.6, "median_tpot_ms": p50["tpot_ms"] * 1.25,
            "p10_tpot_ms": p50["tpot_ms"] * 1.1, "p90_tpot_ms": p50["tpot_ms"] * 1.4}
    (tmp_path / "vllm.json").write_text(json.dumps(vllm))
    factors = tmp_path / "factors.json"
    code, _, err = _run(capsys, f"size calibrate {tmp_path / 'vllm.json'} {shape} -o {factors}")
    assert code == 0 and "calibrated on 1 result" in err
    refit = _json(capsys, f"size inference {shape} --input-tokens 1024 --output-tokens 256 --concurrency 32 "
                          f"--factors {factors}")
    # the measured run is now the p50, within the built-in band's median correction
    assert refit["estimates"]["output_tokens_per_s"]["p50"] == pytest.approx(vllm["output_throughput"], rel=0.05)
    assert refit["estimates"]["tpot_ms"]["p10"] == pytest.approx(vllm["p10_tpot_ms"], rel=0.05)
    aiperf = {"time_to_first_token": {"unit": "ms", "avg": 90.0, "p50": 80.0},
              "inter_token_latency": {"unit": "ms", "avg": 12.0, "p50": 11.0},
              "output_token_throughput": {"unit": "tokens/sec", "avg": 2000.0},
              "input_sequence_length": {"unit": "tokens", "avg": 1024}, "output_sequence_length": {"avg": 256},
              "input_config": {"loadgen": {"concurrency": 32}}}
    (tmp_path / "aiperf.json").write_text(json.dumps(aiperf))
    code, out, _ = _run(capsys, f"size calibrate {tmp_path / 'aiperf.json'} {shape}")
    assert code == 0 and json.loads(out)["runs"][0]["tool"] == "aiperf"


def test_calibrate_measures_tpm_per_ptu_from_azure_openai_benchmark(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    lines = [{"run_seconds": 10, "rpm": 40, "tpm": {"context": "n/a", "gen": "n/a"}, "util": {"avg": "n/a"}},
             {"run_seconds": 600, "rpm": 60, "tpm": {"context": 60000.0, "gen": 12000.0, "total": 72000.0},
              "ttft": {"avg": 0.5}, "tbt": {"avg": 0.02}, "util": {"avg": "80.0%", "95th": "85.0%"}}]
    results = tmp_path / "aoai.jsonl"
    results.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, out, err = _run(capsys, f"size calibrate {results} --model gpt-4o --ptu 50")
    factors = json.loads(out)
    # (60,000 + 4 × 12,000) / (50 PTU × 0.8 utilisation) = 2,700 input TPM per PTU
    assert code == 0 and factors["ptu"]["tpm_per_ptu"]["gpt-4o"] == pytest.approx(2700)
    (tmp_path / "f.json").write_text(out)
    document = _json(capsys, ISSUE_COMMANDS["ptu"][0] + f" --factors {tmp_path / 'f.json'}")
    assert "measured on your deployment" in document["assumptions"][0]
    code, _, err = _run(capsys, f"size calibrate {tmp_path / 'f.json'} --model gpt-4o --ptu 50")
    assert code == 2 and "not a vllm bench serve result" in err


def test_size_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "size --help")
    assert code == 0
    for name in ("ptu", "inference", "training", "rag", "tabular", "plan", "gpus", "models", "calibrate"):
        assert name in out
    code, out, _ = _run(capsys, "--help")
    assert "size" in out
