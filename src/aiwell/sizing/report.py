"""Renderers of `aiwell.size/1` documents: terminal (a table per regime, the binding resource highlighted, a bar
chart of the memory breakdown), JSON, Markdown, and a self-contained HTML page (inline CSS and SVG, no scripts, no
external requests) with the memory breakdown and the latency/throughput-versus-concurrency curve."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

_BINDING_NAMES = {"memory_capacity": "memory capacity", "memory_bandwidth": "memory bandwidth", "compute": "compute",
                  "interconnect": "interconnect", "throughput": "PTU throughput",
                  "minimum_deployment": "the deployment type's minimum", "vector_quota": "vector quota",
                  "storage": "partition storage", "replicas": "replicas for the SLA"}
_SEGMENT_COLOURS = ["#0969da", "#bf8700", "#8250df", "#1a7f37", "#cf222e", "#57606a", "#d0d7de"]
_RICH_COLOURS = ["blue", "yellow", "magenta", "green", "red", "bright_black", "white"]


def fmt(value: Any, unit: str = "") -> str:
    """A number for people: thousands separated, three significant digits below 1,000."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if not math.isfinite(value):
        return "—"
    magnitude = abs(value)
    if unit in {"FLOP"} or magnitude >= 1e9:
        return f"{value:.3g}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if unit == "ratio":
        return f"{value:.1%}"
    return f"{value:.3g}"


def binding_name(binding: str | None) -> str:
    return _BINDING_NAMES.get(binding or "", binding or "—")


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _title(document: Mapping[str, Any]) -> str:
    inputs = document["inputs"]
    regime = document["regime"]
    if regime == "inference":
        return (f"{inputs['model']} on {inputs['gpus']} × {inputs['gpu']} ({inputs['precision']}, {inputs['engine']}), "
                f"{inputs['input_tokens']} in / {inputs['output_tokens']} out")
    if regime == "training":
        return (f"{inputs['method']} training of {inputs['model']} on {fmt(inputs['tokens'])} tokens, "
                f"{inputs['gpus']} × {inputs['gpu']}")
    if regime == "ptu":
        return (f"{inputs['model']} {inputs['deployment']} provisioned: {fmt(inputs['rpm'])} RPM × "
                f"{inputs['input_tokens']} in / {inputs['output_tokens']} out")
    if regime == "rag":
        return (f"RAG index: {fmt(inputs['documents'])} documents × {fmt(inputs['avg_tokens'])} tokens, chunks of "
                f"{inputs['chunk_tokens']} ({inputs['embedding']}, {inputs['dimensions']} dimensions)")
    if regime == "tabular":
        return f"tabular {inputs['family']}: {fmt(inputs['rows'])} rows × {inputs['columns']} columns (coarse)"
    return f"plan {inputs.get('name', '')}"


def memory_segments(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The memory breakdown per accelerator as segments (name, GiB, share of the accelerator's memory)."""
    memory = document.get("memory") or {}
    parts = memory.get("per_gpu") or {}
    hbm = memory.get("hbm_per_gpu")
    if not parts or not hbm:
        return []
    segments = [{"name": name.replace("_", " "), "gib": float(value)} for name, value in parts.items()
                if float(value) > 0]
    if "free" not in parts and memory.get("free") is not None:
        segments.append({"name": "free", "gib": float(memory["free"])})
    total = max(hbm, sum(s["gib"] for s in segments))
    offset = 0.0
    for index, segment in enumerate(segments):
        segment["share"] = segment["gib"] / total
        segment["offset"] = offset
        segment["colour"] = _SEGMENT_COLOURS[index % len(_SEGMENT_COLOURS)] if segment["name"] != "free" else "#eaeef2"
        segment["rich"] = _RICH_COLOURS[index % len(_RICH_COLOURS)] if segment["name"] != "free" else "bright_black"
        offset += segment["share"]
    return segments


def render_terminal(document: Mapping[str, Any], console: Console) -> None:
    """The document as tables for a terminal."""
    if document["regime"] == "plan":
        console.print(f"[bold]aiwell size plan[/] {escape(str(document['inputs']['name']))}: "
                      f"{len(document['items'])} workloads, "
                      + ("[green]all fit[/]" if document["fits"] else "[red]some do not fit[/]"))
        if "monthly_cost" in document["estimates"]:
            cost = document["estimates"]["monthly_cost"]
            console.print(f"monthly running cost p50 {fmt(cost['p50'])} {cost['unit']} "
                          f"(p10 {fmt(cost['p10'])}, p90 {fmt(cost['p90'])})", highlight=False)
        for item in document["items"]:
            console.rule(f"{escape(item['name'])} ({item['regime']})")
            _render_one(item, console, verbose=False)
        return
    _render_one(document, console, verbose=True)


def _render_one(document: Mapping[str, Any], console: Console, *, verbose: bool) -> None:
    console.print(f"[bold]{escape(_title(document))}[/]", highlight=False)
    if not document["fits"]:
        console.print(f"[bold red]does not fit[/]: {escape(document.get('message', ''))}", highlight=False)
        if document.get("min_gpus"):
            console.print(f"fewest accelerators that fit: [bold]{document['min_gpus']}[/]")
    if document["estimates"]:
        table = Table(show_edge=False, header_style="bold")
        wide = console.width >= 100  # the basis column only where it fits; JSON always has it
        for column in ("estimate", "p10", "p50", "p90", "unit", *(("basis",) if wide else ())):
            table.add_column(column, justify="right" if column in {"p10", "p50", "p90"} else "left",
                             no_wrap=column in {"estimate", "unit"})
        for name, entry in document["estimates"].items():
            table.add_row(name, fmt(entry["p10"], entry["unit"]), f"[bold]{fmt(entry['p50'], entry['unit'])}[/]",
                          fmt(entry["p90"], entry["unit"]), entry["unit"], *((entry["basis"],) if wide else ()))
        console.print(table)
    if document.get("binding"):
        detail = document.get("binding_detail")
        console.print(f"binding resource: [bold reverse yellow] {binding_name(document['binding'])} [/]"
                      + (f" — {escape(detail)}" if detail else ""), highlight=False)
    if document["fits"] and document.get("min_gpus"):
        console.print(f"fewest accelerators that fit: {document['min_gpus']}", highlight=False)
    segments = memory_segments(document)
    if segments:
        width = 60
        bar = ""
        for segment in segments:
            cells = max(1, round(segment["share"] * width)) if segment["gib"] > 0 else 0
            bar += f"[{segment['rich']}]{('░' if segment['name'] == 'free' else '█') * cells}[/]"
        console.print(f"memory per accelerator ({document['memory']['hbm_per_gpu']} GiB): {bar}", highlight=False)
        console.print("  " + "  ".join(f"[{s['rich']}]■[/] {s['name']} {s['gib']:,.1f} GiB" for s in segments),
                      highlight=False)
    point = document.get("operating_point")
    if point:
        console.print(f"operating point: concurrency {point['concurrency']}, tensor parallel "
                      f"{point['tensor_parallel']} × pipeline {point['pipeline_parallel']} × replicas "
                      f"{point['replicas']}; KV cache holds {point['kv_limited_sequences_per_replica']} sequences per "
                      f"replica; decode turns compute-bound at batch {fmt(point['decode_compute_bound_batch'])}",
                      highlight=False)
    _render_recommendation(document, console)
    if verbose and document.get("load_test"):
        console.print("[bold]load test[/] (run it, then `aiwell size calibrate`):")
        for name, command in document["load_test"].items():
            console.print(f"  {name}: {escape(command)}", highlight=False, soft_wrap=True)
    if verbose:
        for assumption in document["assumptions"]:
            console.print(f"[dim]assumes:[/] {escape(assumption)}", highlight=False)
        for source in document["sources"]:
            console.print(f"[dim]source:[/] {escape(source)}", highlight=False)


def _render_recommendation(document: Mapping[str, Any], console: Console) -> None:
    recommendation = document.get("recommendation") or {}
    regime = document["regime"]
    if regime == "ptu" and recommendation:
        deployment, spill = recommendation["deployment"], recommendation["spillover"]
        console.print(f"buy: [bold]{deployment['sku']['capacity']} PTU[/] ({deployment['sku']['name']}) with "
                      f"spillover to a {spill['sku']['name']} deployment of {spill['sku']['capacity']}K TPM "
                      f"({spill['overflow_share_at_p90']:.0%} of peak traffic at p90)", highlight=False)
    elif regime in {"inference", "training"} and recommendation.get("azure_vm_sizes"):
        options = ", ".join(f"{o['count']} × {o['vm_size']}" + (f" ({fmt(o['cost_per_hour'])}/h)"
                                                                 if o.get("cost_per_hour") else "")
                            for o in recommendation["azure_vm_sizes"])
        console.print(f"on Azure: {options}", highlight=False)
    elif regime == "rag" and recommendation:
        console.print(f"buy: AI Search [bold]{recommendation['tier'].upper()}[/], {recommendation['partitions']} "
                      f"partitions × {recommendation['replicas']} replicas ({recommendation['search_units']} search "
                      "units)", highlight=False)
    elif regime == "tabular" and recommendation.get("vm_size"):
        console.print(f"on Azure: {recommendation['vm_size']} ({recommendation['vcpus']} vCPUs, "
                      f"{recommendation['memory_gib']} GiB)", highlight=False)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(document: Mapping[str, Any]) -> str:
    """The document as Markdown (for a pull-request comment or a wiki)."""
    if document["regime"] == "plan":
        lines = [f"# aiwell size plan: {_md(document['inputs']['name'])}", ""]
        if "monthly_cost" in document["estimates"]:
            cost = document["estimates"]["monthly_cost"]
            lines += [f"Monthly running cost: **{fmt(cost['p50'])} {cost['unit']}** (p10 {fmt(cost['p10'])}, "
                      f"p90 {fmt(cost['p90'])}).", ""]
        for item in document["items"]:
            lines += _markdown_one(item, level=2, name=item["name"])
        return "\n".join(lines) + "\n"
    return "\n".join(_markdown_one(document, level=1)) + "\n"


def _markdown_one(document: Mapping[str, Any], *, level: int, name: str | None = None) -> list[str]:
    hashes = "#" * level
    lines = [f"{hashes} {_md(name + ': ' if name else 'aiwell size: ')}{_md(_title(document))}", ""]
    if not document["fits"]:
        lines += [f"**Does not fit:** {_md(document.get('message', ''))}", ""]
    if document["estimates"]:
        lines += ["| estimate | p10 | p50 | p90 | unit | basis |", "|---|---:|---:|---:|---|---|"]
        for key, entry in document["estimates"].items():
            lines.append(f"| {key} | {fmt(entry['p10'], entry['unit'])} | **{fmt(entry['p50'], entry['unit'])}** | "
                         f"{fmt(entry['p90'], entry['unit'])} | {entry['unit']} | {entry['basis']} |")
        lines.append("")
    if document.get("binding"):
        lines += [f"**Binding resource: {binding_name(document['binding'])}**"
                  + (f" — {_md(document['binding_detail'])}" if document.get("binding_detail") else ""), ""]
    segments = memory_segments(document)
    if segments:
        lines += ["Memory per accelerator: " + ", ".join(f"{s['name']} {s['gib']:,.1f} GiB" for s in segments), ""]
    if document.get("load_test"):
        commands = [c for k, c in document["load_test"].items() if k != "then"]
        lines += ["Load test:", "", "```sh", *commands, "```", ""]
    if document["assumptions"]:
        lines += ["Assumptions:", ""] + [f"- {_md(a)}" for a in document["assumptions"]] + [""]
    if document["sources"]:
        lines += ["Sources:", ""] + [f"- {_md(s)}" for s in document["sources"]] + [""]
    return lines


def curve_chart(points: Sequence[Mapping[str, Any]], key: str, *, width: int = 560, height: int = 220,
                margin: int = 48) -> dict[str, Any] | None:
    """Geometry of a line chart of `key` against concurrency (log2 axis), for the HTML template to draw."""
    usable = [p for p in points if p.get(key) is not None and p["concurrency"] > 0]
    if len(usable) < 2:
        return None
    xs = [math.log2(p["concurrency"]) for p in usable]
    ys = [float(p[key]) for p in usable]
    x_low, x_high = min(xs), max(xs) or 1.0
    y_high = max(ys) * 1.1 or 1.0

    def x(value: float) -> float:
        return round(margin + (value - x_low) / ((x_high - x_low) or 1) * (width - 2 * margin), 1)

    def y(value: float) -> float:
        return round(height - margin + -value / y_high * (height - 2 * margin), 1)

    return {"width": width, "height": height, "points": " ".join(f"{x(a)},{y(b)}" for a, b in zip(xs, ys, strict=True)),
            "dots": [{"x": x(a), "y": y(b), "label": f"{p['concurrency']}: {fmt(b)}"}
                     for a, b, p in zip(xs, ys, usable, strict=True)],
            "x_ticks": [{"x": x(a), "label": str(p["concurrency"])} for a, p in zip(xs, usable, strict=True)],
            "y_ticks": [{"y": y(v), "label": fmt(v)} for v in (0.0, y_high / 2, y_high / 1.1)],
            "axis_y": height - margin, "left": margin, "right": width - margin, "top": margin}


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("aiwell.sizing", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = fmt
    env.globals.update(title_of=_title, segments_of=memory_segments, binding_name=binding_name, chart=curve_chart)
    return env


def render_html(document: Mapping[str, Any]) -> str:
    """A self-contained HTML page for the document."""
    return str(_environment().get_template("size.html.j2").render(doc=document, title=f"aiwell size: "
                                                                  f"{_title(document)}"))


def render_gpus(console: Console, accelerators: Sequence[Any], vms: Sequence[Any]) -> None:
    table = Table(title="Accelerators (dense tensor-core peaks, TFLOP/s)", show_edge=False, header_style="bold")
    for column in ("id", "bf16", "fp8", "fp4", "int8", "HBM GB", "TB/s", "interconnect", "Azure VM sizes"):
        table.add_column(column, justify="right" if column not in {"id", "interconnect", "Azure VM sizes"} else "left")
    for gpu in accelerators:
        sizes = ", ".join(v.name for v in vms if v.accelerator == gpu.id)
        table.add_row(gpu.id, *(fmt(gpu.peak_tflops.get(k)) for k in ("bf16", "fp8", "fp4", "int8")), fmt(gpu.hbm_gb),
                      fmt(gpu.bandwidth_tbs), f"{gpu.interconnect_name} {fmt(gpu.interconnect_gbs)} GB/s", sizes or "—")
    console.print(table)
    for gpu in accelerators:
        console.print(f"[dim]{gpu.id}:[/] {escape(gpu.source)}", highlight=False)


__all__ = ["binding_name", "curve_chart", "fmt", "memory_segments", "render_gpus", "render_html", "render_json",
           "render_markdown", "render_terminal"]
