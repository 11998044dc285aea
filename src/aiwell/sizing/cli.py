"""`aiwell size`: capacity planning for managed-model PTUs, self-hosted inference, training and fine-tuning, RAG
indexes and tabular ML, with calibrated p10/p50/p90 ranges, the binding resource and the Azure SKU to buy.

Exit codes as every aiwell command (DESIGN.md §1.6): 0 the workload fits; 1 it does not fit (`fits: false`, with
`min_gpus` where more accelerators would help); 2 a usage or configuration error; 3 a bug.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from aiwell.cli.runner import open_output, run_group, stderr_console, write_output
from aiwell.errors import ExitCode, UsageError

_FORMATS = ["terminal", "json", "markdown", "html"]
_REPORT_WIDTH = 110


@click.group(name="size", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def size_group() -> None:
    """Capacity planning: PTUs, self-hosted inference, training, RAG indexes, tabular ML — p10/p50/p90 ranges, the
    binding resource, and what to buy on Azure."""


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                            help="Write the report to this file instead of standard output.")(function)
    function = click.option("-f", "--format", "output_format", type=click.Choice(_FORMATS), default="terminal",
                            show_default=True, help="Report format.")(function)
    function = click.option("--factors", "factors_path", type=click.Path(path_type=Path, dir_okay=False),
                            help="Efficiency factors written by `aiwell size calibrate` (default: the built-in ones "
                                 "fitted to published measurements).")(function)
    return click.option("--prices", "prices_path", type=click.Path(path_type=Path, dir_okay=False),
                        help="Price sheet: an Azure Retail Prices API answer saved as JSON, or aiwell's price YAML "
                             "(docs/size.md). Nothing is fetched.")(function)


def _factors(path: Path | None) -> Any:
    from aiwell.sizing.estimate import builtin_factors, factors_from_dict

    if path is None:
        return builtin_factors()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return factors_from_dict(data)
    except FileNotFoundError as exc:
        raise UsageError(f"no such factors file: {path}") from exc
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: not a factors file written by `aiwell size calibrate` ({exc})") from exc


def _prices(path: Path | None) -> Any:
    if path is None:
        return None
    from aiwell.sizing.prices import load_prices

    return load_prices(path)


def _emit(document: dict[str, Any], output_format: str, output: Path | None) -> None:
    from aiwell.sizing import report

    if output_format == "terminal":
        if output is None:
            report.render_terminal(document, Console())
        else:
            with open_output(output) as handle:
                report.render_terminal(document, Console(file=handle, width=_REPORT_WIDTH, color_system=None,
                                                         soft_wrap=False))
    elif output_format == "json":
        write_output(output, report.render_json(document))
    elif output_format == "markdown":
        write_output(output, report.render_markdown(document))
    else:
        write_output(output, report.render_html(document))
    if output is not None:
        stderr_console().print(f"Report written to {output}", highlight=False)
    if not document["fits"]:
        sys.exit(ExitCode.FINDINGS)


@size_group.command("ptu")
@click.option("--model", "model_name", required=True, help="Azure model name (gpt-4o, gpt-4.1, gpt-5.2, "
              "Llama-3.3-70B-Instruct, DeepSeek-R1, gpt-oss-120b, ...).")
@click.option("--deployment", type=click.Choice(["global", "data-zone", "regional"]), required=True)
@click.option("--rpm", type=click.FloatRange(min=0, min_open=True), required=True, help="Peak requests per minute.")
@click.option("--input-tokens", type=click.IntRange(min=0), required=True, help="Input tokens per request.")
@click.option("--output-tokens", type=click.IntRange(min=0), required=True, help="Output tokens per request.")
@click.option("--cached-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of input tokens served from the prompt cache.")
@click.option("--deployment-name", help="Name of the deployment in your IaC (carried into the plan for the review).")
@_common
def ptu_command(model_name: str, deployment: str, rpm: float, input_tokens: int, output_tokens: int,
                cached_share: float, deployment_name: str | None, prices_path: Path | None,
                factors_path: Path | None, output_format: str, output: Path | None) -> None:
    """PTUs for a traffic shape on a provisioned deployment, its cost against pay-as-you-go, and the spillover."""
    from aiwell.sizing.ptu import size_ptu

    _emit(size_ptu(model_name=model_name, deployment=deployment, rpm=rpm, input_tokens=input_tokens,
                   output_tokens=output_tokens, cached_share=cached_share, factors=_factors(factors_path),
                   prices=_prices(prices_path), deployment_name=deployment_name), output_format, output)


def _hardware(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--vm", "vm_name", help="Azure VM size instead of --gpu/--gpus "
                            "(Standard_ND96isr_H100_v5).")(function)
    function = click.option("--gpus", type=click.IntRange(min=1), help="Number of accelerators (default 1, or the "
                            "VM's count).")(function)
    return click.option("--gpu", "gpu_id", help="Accelerator id (h100-sxm-80gb; `aiwell size gpus`).")(function)


@size_group.command("inference")
@click.option("--model", "model_name", required=True,
              help="Hugging Face id from the built-in table (`aiwell size models`) or the path of a config.json.")
@_hardware
@click.option("--precision", "precision_name", required=True,
              help="bf16, fp16, fp8, fp4, int8, int4, or llama.cpp's q8_0, q4_0.")
@click.option("--input-tokens", type=click.IntRange(min=1), required=True)
@click.option("--output-tokens", type=click.IntRange(min=0), required=True)
@click.option("--concurrency", type=click.IntRange(min=1),
              help="Requests in flight (default: the engine's largest batch the KV cache holds — maximum "
                   "throughput).")
@click.option("--engine", "engine_name", type=click.Choice(["vllm", "sglang", "trtllm", "llama.cpp"]), default="vllm",
              show_default=True, help="Serving engine: sets defaults such as the KV-cache memory fraction.")
@click.option("--kv-precision", help="KV-cache precision (default: the engine's for these weights).")
@click.option("--memory-fraction", type=click.FloatRange(0.1, 1.0),
              help="Override the engine's memory fraction for weights and KV cache.")
@_common
def inference_command(model_name: str, gpu_id: str | None, gpus: int | None, vm_name: str | None,
                      precision_name: str, input_tokens: int, output_tokens: int, concurrency: int | None,
                      engine_name: str, kv_precision: str | None, memory_fraction: float | None,
                      prices_path: Path | None, factors_path: Path | None, output_format: str,
                      output: Path | None) -> None:
    """Self-hosted inference: memory, fit, TTFT, TPOT, end-to-end latency, throughput, and what binds."""
    from aiwell.sizing.inference import build_setup, size_inference

    setup = build_setup(model_name=model_name, gpu_id=gpu_id, gpus=gpus, vm_name=vm_name,
                        precision_name=precision_name, input_tokens=input_tokens, output_tokens=output_tokens,
                        concurrency=concurrency, engine_name=engine_name, kv_precision=kv_precision,
                        memory_fraction=memory_fraction)
    document = size_inference(setup, _factors(factors_path))
    prices = _prices(prices_path)
    if prices is not None:
        for option in document.get("recommendation", {}).get("azure_vm_sizes", []):
            price = prices.vm_price(option["vm_size"])
            if price:
                option["price_per_hour"] = price
                option["cost_per_hour"] = round(price * option["count"], 2)
        document["sources"].append(prices.source)
    _emit(document, output_format, output)


@size_group.command("training")
@click.option("--model", "model_name", help="Hugging Face id or config.json path (or give --params).")
@click.option("--params", type=click.FloatRange(min=0, min_open=True), help="Total parameters (8e9).")
@click.option("--active-params", type=click.FloatRange(min=0, min_open=True),
              help="Active parameters per token, for MoE (default: --params).")
@click.option("--tokens", type=click.FloatRange(min=0, min_open=True), required=True, help="Training tokens (1e12).")
@_hardware
@click.option("--precision", "precision_name", type=click.Choice(["bf16", "fp16", "fp8"]), default="bf16",
              show_default=True)
@click.option("--seq-len", type=click.IntRange(min=1), default=4096, show_default=True)
@click.option("--method", type=click.Choice(["full", "lora", "qlora"]), default="full", show_default=True)
@click.option("--zero", type=click.IntRange(0, 3), default=3, show_default=True,
              help="ZeRO stage / FSDP sharding: 0 none, 1 optimizer, 2 + gradients, 3 + weights (FSDP full shard).")
@click.option("--activation-checkpointing/--no-activation-checkpointing", default=True, show_default=True)
@click.option("--micro-batch", type=click.IntRange(min=1), default=1, show_default=True,
              help="Sequences per accelerator per step.")
@click.option("--lora-rank", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--price-per-hour", type=click.FloatRange(min=0), help="Hourly price of the VM (overrides the tables).")
@_common
def training_command(model_name: str | None, params: float | None, active_params: float | None, tokens: float,
                     gpu_id: str | None, gpus: int | None, vm_name: str | None, precision_name: str, seq_len: int,
                     method: str, zero: int, activation_checkpointing: bool, micro_batch: int, lora_rank: int,
                     price_per_hour: float | None, prices_path: Path | None, factors_path: Path | None,
                     output_format: str, output: Path | None) -> None:
    """Training and fine-tuning: FLOPs, memory per accelerator, tokens/s, wall-clock days, GPU-hours and cost."""
    from aiwell.sizing.training import build_training, size_training

    setup = build_training(model_name=model_name, params=params, active_params=active_params, tokens=tokens,
                           gpu_id=gpu_id, gpus=gpus, vm_name=vm_name, precision_name=precision_name, seq_len=seq_len,
                           method=method, zero=zero, checkpointing=activation_checkpointing, micro_batch=micro_batch,
                           lora_rank=lora_rank)
    _emit(size_training(setup, _factors(factors_path), prices=_prices(prices_path), price_per_hour=price_per_hour),
          output_format, output)


@size_group.command("rag")
@click.option("--documents", type=click.IntRange(min=1), help="Number of documents.")
@click.option("--avg-tokens", type=click.FloatRange(min=0, min_open=True), help="Average tokens per document.")
@click.option("--from-data", "data_report", type=click.Path(path_type=Path, dir_okay=False),
              help="An `aiwell data` report (JSON) of the documents instead of --documents/--avg-tokens.")
@click.option("--chunk-tokens", type=click.IntRange(min=1), required=True)
@click.option("--overlap", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--embedding", required=True, help="Embedding model (text-embedding-3-large, ...).")
@click.option("--dimensions", type=click.IntRange(min=1), help="Vector dimensions (default: the model's).")
@click.option("--vector-type", type=click.Choice(["float32", "float16", "int8", "binary"]), default="float32",
              show_default=True, help="Vector field type or quantisation.")
@click.option("--stored-vectors/--no-stored-vectors", default=True, show_default=True,
              help="Keep the full-precision vectors retrievable (the field's `stored` property).")
@click.option("--ingest-hours", type=click.FloatRange(min=0, min_open=True), default=24.0, show_default=True,
              help="Window to embed the whole corpus in.")
@click.option("--qps", type=click.FloatRange(min=0, min_open=True), help="Peak queries per second.")
@click.option("--sla", type=click.Choice(["read", "read-write", "none"]), default="read-write", show_default=True)
@click.option("--tier", type=click.Choice(["basic", "s1", "s2", "s3", "l1", "l2"]),
              help="AI Search tier (default: the cheapest that holds the index).")
@_common
def rag_command(documents: int | None, avg_tokens: float | None, data_report: Path | None, chunk_tokens: int,
                overlap: int, embedding: str, dimensions: int | None, vector_type: str, stored_vectors: bool,
                ingest_hours: float, qps: float | None, sla: str, tier: str | None, prices_path: Path | None,
                factors_path: Path | None, output_format: str, output: Path | None) -> None:
    """RAG index: chunks, vectors, index size, the AI Search tier, partitions and replicas, and the ingest rate."""
    from aiwell.sizing.rag import corpus_from_data_report, size_rag

    note = None
    if data_report is not None:
        if documents is not None or avg_tokens is not None:
            raise UsageError("give --from-data or --documents/--avg-tokens, not both")
        documents, avg_tokens, note = corpus_from_data_report(data_report)
    if documents is None or avg_tokens is None:
        raise UsageError("give --documents and --avg-tokens (or --from-data)")
    _emit(size_rag(documents=documents, avg_tokens=avg_tokens, chunk_tokens=chunk_tokens, overlap=overlap,
                   embedding=embedding, dimensions=dimensions, vector_type=vector_type, stored_vectors=stored_vectors,
                   ingest_hours=ingest_hours, qps=qps, sla=sla, tier=tier, prices=_prices(prices_path),
                   corpus_note=note), output_format, output)


@size_group.command("tabular")
@click.option("--rows", type=click.IntRange(min=1), required=True)
@click.option("--columns", type=click.IntRange(min=1), required=True)
@click.option("--family", type=click.Choice(["linear", "gbdt", "random-forest", "knn", "svm", "mlp"]), required=True)
@click.option("--trees", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--iterations", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("-f", "--format", "output_format", type=click.Choice(_FORMATS), default="terminal", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
def tabular_command(rows: int, columns: int, family: str, trees: int, iterations: int, epochs: int,
                    output_format: str, output: Path | None) -> None:
    """Traditional ML on tabular data: a COARSE rule of thumb for memory, compute and the VM to train on."""
    from aiwell.sizing.tabular import size_tabular

    _emit(size_tabular(rows=rows, columns=columns, family=family, trees=trees, iterations=iterations, epochs=epochs),
          output_format, output)


@size_group.command("plan")
@click.argument("plan_path", metavar="PLAN.yaml", type=click.Path(path_type=Path, dir_okay=False))
@_common
def plan_command(plan_path: Path, prices_path: Path | None, factors_path: Path | None, output_format: str,
                 output: Path | None) -> None:
    """Several sizings as one workload plan (docs/size.md describes the file); exit 1 if any item does not fit."""
    from aiwell.sizing.plan import size_plan

    _emit(size_plan(plan_path, factors=_factors(factors_path), prices=_prices(prices_path)), output_format, output)


@size_group.command("gpus")
@click.option("-f", "--format", "output_format", type=click.Choice(["terminal", "json"]), default="terminal",
              show_default=True)
def gpus_command(output_format: str) -> None:
    """The accelerator table (dense peaks, memory, bandwidth, interconnect) and the Azure VM sizes, with sources."""
    from msgspec.structs import asdict

    from aiwell.sizing import report, tables

    accelerators = list(tables.accelerators().values())
    vms = list(tables.vm_sizes().values())
    if output_format == "json":
        write_output(None, report.render_json({
            "schema": "aiwell.size-tables/1", "accelerators": [asdict(a) for a in accelerators],
            "vm_sizes": [asdict(v) for v in vms], "vm_source": tables.vm_source()}))
        return
    console = Console()
    report.render_gpus(console, accelerators, vms)
    console.print(f"[dim]VM sizes:[/] {tables.vm_source()}", highlight=False)


@size_group.command("models")
@click.option("--managed", is_flag=True, help="The managed models for `size ptu` instead of the open models.")
@click.option("-f", "--format", "output_format", type=click.Choice(["terminal", "json"]), default="terminal",
              show_default=True)
def models_command(managed: bool, output_format: str) -> None:
    """The built-in model tables, with sources: open models by Hugging Face id, or managed models for PTUs."""
    from msgspec.structs import asdict
    from rich.table import Table

    from aiwell.sizing import report, tables

    if managed:
        rows = tables.managed_models()
        meta = tables.managed_meta()
        if output_format == "json":
            write_output(None, report.render_json({"schema": "aiwell.size-tables/1", **meta,
                                                   "managed_models": [asdict(m) for m in rows.values()]}))
            return
        table = Table(title=f"Managed models (revision {meta['revision']})", show_edge=False, header_style="bold")
        for column in ("model", "input TPM/PTU", "output weight", "global", "data zone", "regional", "latency target"):
            table.add_column(column)
        for m in rows.values():
            table.add_row(m.name, f"{m.tpm_per_ptu:,.0f}", f"{m.output_weight:g}",
                          *(f"{v[0]} (+{v[1]})" if v else "—" for v in (m.deployments[k] for k in
                                                                        ("global", "data-zone", "regional"))),
                          m.latency_target)
        console = Console()
        console.print(table)
        console.print(f"[dim]minimum (+increment) PTUs per deployment type. Source:[/] {meta['source']}",
                      highlight=False)
        return
    specs = {s.aliases[0]: s for s in tables.models().values()}
    if output_format == "json":
        write_output(None, report.render_json({"schema": "aiwell.size-tables/1", "models": [
            {"ids": list(s.aliases), "params": s.params, "active_params": s.active_params, "layers": s.layers,
             "hidden": s.hidden, "heads": s.heads, "kv_heads": s.kv_heads, "head_dim": s.head_dim,
             "experts": s.experts, "experts_per_token": s.experts_per_token,
             "kv_bytes_per_token_bf16": s.kv_elements_per_token * 2, "max_context": s.max_context,
             "source": s.source} for s in specs.values()]}))
        return
    table = Table(title="Open models (config.json shapes)", show_edge=False, header_style="bold")
    table.add_column("Hugging Face ids", no_wrap=True, min_width=40)
    for column in ("params", "active", "layers", "heads/kv", "KV KiB/token (bf16)", "context"):
        table.add_column(column, justify="right")
    for s in specs.values():
        table.add_row("\n".join(s.aliases), f"{s.params / 1e9:,.1f}B", f"{s.active_params / 1e9:,.1f}B",
                      str(s.layers), f"{s.heads}/{s.kv_heads}", f"{s.kv_elements_per_token * 2 / 1024:,.0f}",
                      f"{s.max_context:,}" if s.max_context else "—")
    console = Console()
    console.print(table)
    console.print("[dim]source:[/] config.json of each model on the Hugging Face Hub (revision 2026-12)",
                  highlight=False)


@size_group.command("calibrate")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--model", "model_name", required=True,
              help="The model the results measured (Hugging Face id, config.json, or the Azure name with --ptu).")
@_hardware
@click.option("--precision", "precision_name", help="Weights precision (self-hosted results).")
@click.option("--engine", "engine_name", type=click.Choice(["vllm", "sglang", "trtllm", "llama.cpp"]), default="vllm",
              show_default=True)
@click.option("--kv-precision")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight, when the results don't say.")
@click.option("--ptu", type=click.IntRange(min=1), help="PTUs of the provisioned deployment an "
              "azure-openai-benchmark run measured.")
@click.option("--cached-share", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the factors (JSON, for --factors) here instead of standard output.")
def calibrate_command(results: tuple[Path, ...], model_name: str, gpu_id: str | None, gpus: int | None,
                      vm_name: str | None, precision_name: str | None, engine_name: str, kv_precision: str | None,
                      concurrency: int | None, ptu: int | None, cached_share: float, output: Path | None) -> None:
    """Refit the efficiency factors for one deployment from load-test RESULTS (vllm bench serve --save-result
    JSON, AIPerf profile_export_aiperf.json, azure-openai-benchmark --output-format jsonl)."""
    from aiwell.sizing.calibration import calibrate_inference, calibrate_ptu
    from aiwell.sizing.loadtest import read_results

    for path in results:
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
    measured = [read_results(path) for path in results]
    if ptu is not None:
        factors = calibrate_ptu(measured, model_name=model_name, ptu=ptu, cached_share=cached_share)
        name = factors["deployment"]["model"]
        summary = (f"{name}: {factors['ptu']['tpm_per_ptu'][name]:,.0f} input TPM per PTU measured "
                   f"(the table says {factors['published_tpm_per_ptu']:,.0f})")
    else:
        if precision_name is None:
            raise UsageError("--precision is required for self-hosted results")
        factors = calibrate_inference(measured, {"model_name": model_name, "gpu_id": gpu_id, "gpus": gpus,
                                                 "vm_name": vm_name, "precision_name": precision_name,
                                                 "engine_name": engine_name, "kv_precision": kv_precision,
                                                 "concurrency": concurrency})
        bands = factors["inference"]["bands"]
        summary = "; ".join(f"{name} measured/predicted ×{band['p50']:.2f} (×{band['p10']:.2f}–×{band['p90']:.2f})"
                            for name, band in bands.items())
    write_output(output, json.dumps(factors, indent=2) + "\n")
    stderr_console().print(f"calibrated on {len(measured)} result(s): {summary}" + (
        f"; factors written to {output} (use with --factors)" if output else ""), highlight=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Run `aiwell size` on its own, with the exit codes of DESIGN.md §1.6."""
    run_group(size_group, argv, prog_name="aiwell size")


__all__ = ["main", "size_group"]
