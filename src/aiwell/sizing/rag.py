"""RAG index: chunks and vectors from a corpus, the vector index and storage it needs, the Azure AI Search tier,
partitions and replicas that hold it (limits from the service's documentation, dated in data/search.yaml), and the
embedding tokens per minute to ingest it in a given window."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from aiwell.errors import UsageError
from aiwell.sizing.estimate import Range, document, estimate
from aiwell.sizing.prices import PriceSheet
from aiwell.sizing.tables import GB, GIB, embedding_model, search_meta, search_tiers

VECTOR_TYPES = {"float32": 4.0, "float16": 2.0, "int8": 1.0, "binary": 0.125}
ARM_SKUS = {"basic": "basic", "s1": "standard", "s2": "standard2", "s3": "standard3", "l1": "storage_optimized_l1",
            "l2": "storage_optimized_l2"}
PARTITION_COUNTS = (1, 2, 3, 4, 6, 12)  # the counts AI Search allows
_HNSW_BYTES_PER_VECTOR = 40  # m = 4: about 2m neighbour links of 4 bytes at layer 0, plus the upper layers
_INDEX_SLACK = Range(1.0, 1.05, 1.2)  # assumption: deleted documents kept until segments merge
_CHARS_PER_TOKEN = 4.0
_DOCUMENT_FORMATS = {"pdf", "markdown", "md", "html", "docx", "text", "txt", "documents"}


def corpus_from_data_report(path: Path) -> tuple[int, float, str]:
    """(documents, average tokens per document, note) from an `aiwell data` report (`aiwell.data/1`): the document
    datasets' `rows`, with their size from `tokens`, `characters` or `bytes` (4 characters a token)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read the data report {path}: {exc}") from exc
    if not isinstance(report, dict) or report.get("schema") != "aiwell.data/1":
        raise UsageError(f"{path} is not an `aiwell data` report (schema aiwell.data/1)")
    documents, tokens = 0, 0.0
    for dataset in report.get("datasets", []):
        if str(dataset.get("format", "")).lower() not in _DOCUMENT_FORMATS:
            continue
        rows = int(dataset.get("rows") or 0)
        size = dataset.get("tokens")
        if size is None and dataset.get("characters") is not None:
            size = float(dataset["characters"]) / _CHARS_PER_TOKEN
        if size is None and dataset.get("bytes") is not None:
            size = float(dataset["bytes"]) / _CHARS_PER_TOKEN
        if size is None:
            raise UsageError(f"{path}: the dataset {dataset.get('path')} gives no tokens, characters or bytes",
                             hint="pass --avg-tokens instead")
        documents += rows
        tokens += float(size)
    if not documents:
        raise UsageError(f"{path}: no document dataset (PDF, Markdown, HTML, DOCX, text) in the report")
    return documents, tokens / documents, f"corpus from the aiwell data report {path}"


def size_rag(*, documents: int, avg_tokens: float, chunk_tokens: int, overlap: int, embedding: str,
             dimensions: int | None = None, vector_type: str = "float32", stored_vectors: bool = True,
             ingest_hours: float = 24.0, qps: float | None = None, qps_per_replica: float = 15.0,
             sla: str = "read-write", tier: str | None = None, prices: PriceSheet | None = None,
             corpus_note: str | None = None) -> dict[str, Any]:
    """The `aiwell.size/1` document for a RAG index on Azure AI Search."""
    model = embedding_model(embedding)
    dims = dimensions or model.dimensions
    if dimensions and dimensions != model.dimensions and not model.reducible:
        raise UsageError(f"{model.name} has {model.dimensions} dimensions and cannot be shortened")
    if dims > 4096:
        raise UsageError(f"{dims} dimensions: AI Search takes at most 4096 per vector field")
    if documents < 1 or avg_tokens <= 0:
        raise UsageError("--documents and --avg-tokens must be positive")
    if not 0 <= overlap < chunk_tokens:
        raise UsageError("--overlap must be at least 0 and smaller than --chunk-tokens")
    if chunk_tokens > model.max_input_tokens:
        raise UsageError(f"--chunk-tokens {chunk_tokens} exceeds {model.name}'s input limit of "
                         f"{model.max_input_tokens} tokens")
    if vector_type not in VECTOR_TYPES:
        raise UsageError(f"unknown vector type: {vector_type}. Known: {', '.join(VECTOR_TYPES)}")
    if sla not in {"read", "read-write", "none"}:
        raise UsageError("--sla is read, read-write or none")
    tiers = search_tiers()
    if tier is not None and tier not in tiers:
        raise UsageError(f"unknown AI Search tier: {tier}. Known: {', '.join(tiers)}")
    per_doc = max(0.0, (avg_tokens - overlap) / (chunk_tokens - overlap))
    chunks = Range(documents * max(1.0, per_doc), documents * max(1.0, per_doc + 0.5),
                   documents * max(1.0, per_doc + 1.0))
    vector_bytes = dims * VECTOR_TYPES[vector_type] + _HNSW_BYTES_PER_VECTOR
    vector_index = Range(chunks.p10 * vector_bytes * _INDEX_SLACK.p10, chunks.p50 * vector_bytes * _INDEX_SLACK.p50,
                         chunks.p90 * vector_bytes * _INDEX_SLACK.p90)
    stored = dims * 4.0 if stored_vectors else 0.0
    text = 2 * chunk_tokens * _CHARS_PER_TOKEN + 1024  # raw content, inverted index, metadata
    storage = Range(vector_index.p10 + chunks.p10 * (stored + text), vector_index.p50 + chunks.p50 * (stored + text),
                    vector_index.p90 + chunks.p90 * (stored + text))
    embed_tokens = Range(*(documents * avg_tokens + (c - documents) * overlap  # each extra chunk repeats the overlap
                           for c in (chunks.p10, chunks.p50, chunks.p90)))
    ingest_tpm = embed_tokens.scale(1 / (ingest_hours * 60))
    sla_replicas = {"read": 2, "read-write": 3, "none": 1}[sla]
    replicas = max(sla_replicas, math.ceil(qps / qps_per_replica) if qps else 1)
    meta = search_meta()
    options = []
    for name, limits in tiers.items():
        if tier is not None and name != tier:
            continue
        need = max(vector_index.p90 / (limits.vector_gb * GB), storage.p90 / (limits.storage_gb * GB))
        partitions = next((p for p in PARTITION_COUNTS if p >= need and p <= limits.max_partitions), None)
        if partitions is None or replicas > limits.max_replicas or partitions * replicas > meta["max_search_units"]:
            continue
        price = prices.search.get(name) if prices and name in prices.search else limits.price_per_su_month
        options.append((partitions * replicas * (price or math.inf), list(tiers).index(name), name, partitions, price))
    inputs = {"documents": documents, "avg_tokens": avg_tokens, "chunk_tokens": chunk_tokens, "overlap": overlap,
              "embedding": model.name, "dimensions": dims, "vector_type": vector_type,
              "stored_vectors": stored_vectors, "ingest_hours": ingest_hours, "qps": qps, "sla": sla, "tier": tier}
    assumptions = [
        "document lengths unknown beyond the average: each document's last chunk is partial (+0.5 chunk per "
        "document at p50, +1 at p90, none at p10)",
        f"vectors of {dims} dimensions as {vector_type}; HNSW (m = 4) adds about {_HNSW_BYTES_PER_VECTOR} bytes a "
        f"vector; {(_INDEX_SLACK.p50 - 1):.0%}–{(_INDEX_SLACK.p90 - 1):.0%} slack for deleted documents (assumed)",
        "storage: the vector index, " + ("the stored full-precision vectors, " if stored_vectors else "")
        + f"the chunk text and its inverted index (about {_CHARS_PER_TOKEN:g} characters a token)",
        f"replicas: {sla_replicas} for the {sla} SLA ({meta['sla']})"
        + (f"; {qps:g} queries/s at about {qps_per_replica:g} per replica (a rule of thumb: measure it)" if qps
           else ""),
        f"AI Search limits for services created after May 17, 2024 in regions with the higher limits "
        f"(revision {meta['revision']}); older services have less storage and vector quota per partition",
    ]
    if corpus_note:
        assumptions.insert(0, corpus_note)
    sources = [meta["source"], model.source, "Microsoft Learn: Vector index size limit (vector-search-index-size)"]
    estimates: dict[str, Any] = {
        "chunks": estimate(chunks, "chunks", "formula", digits=5),
        "vectors": estimate(chunks, "vectors", "formula", digits=5),
        "vector_index_gib": estimate(vector_index.scale(1 / GIB), "GiB", "formula", "counts against the vector "
                                     "quota"),
        "index_gib": estimate(storage.scale(1 / GIB), "GiB", "formula", "counts against partition storage"),
        "embedding_tokens": estimate(embed_tokens, "tokens", "formula", digits=5),
        "ingest_tpm": estimate(ingest_tpm, "tokens/min", "formula", f"to embed the corpus in {ingest_hours:g} hours"),
    }
    price_1m = (prices.embeddings.get(model.name) if prices and model.name in prices.embeddings
                else model.price_per_1m)
    if price_1m is not None:
        estimates["embedding_cost"] = estimate(embed_tokens.scale(price_1m / 1e6),
                                               prices.currency if prices else "USD", "formula",
                                               "one full ingestion")
    if not options:
        message = ("no AI Search tier holds this index with the replicas asked for"
                   + (f" on {tier}" if tier else "") + f": {vector_index.p90 / GIB:,.1f} GiB of vectors and "
                   f"{storage.p90 / GIB:,.1f} GiB of storage at p90; split it over several services or indexes, "
                   "shorten the vectors (--dimensions) or quantise them (--vector-type int8|binary)")
        return document("rag", inputs, estimates, fits=False, binding="vector_quota", assumptions=[message,
                        *assumptions], sources=sources, message=message)
    _, _, chosen, partitions, price = min(options)
    limits = tiers[chosen]
    partitions_range = Range(*(max(1, next(p for p in PARTITION_COUNTS if p >= max(
        v / (limits.vector_gb * GB), s / (limits.storage_gb * GB)))) for v, s in (
        (vector_index.p10, storage.p10), (vector_index.p50, storage.p50), (vector_index.p90, storage.p90))))
    estimates["partitions"] = estimate(partitions_range, "partitions", "formula", f"{chosen}; the plan takes p90")
    estimates["replicas"] = estimate(Range.exact(replicas), "replicas", "formula")
    if price:
        estimates["search_monthly_cost"] = estimate(Range.exact(partitions * replicas * price),
                                                    prices.currency if prices else "USD", "formula",
                                                    f"{partitions} × {replicas} search units × {price:g} a month")
    vector_need = vector_index.p90 / (limits.vector_gb * GB)
    storage_need = storage.p90 / (limits.storage_gb * GB)
    binding = "vector_quota" if vector_need >= storage_need else "storage"
    if partitions == 1 and replicas > 1:
        binding = "replicas"
    recommendation = {"tier": chosen, "partitions": partitions, "replicas": replicas,
                      "search_units": partitions * replicas,
                      "azure": {"sku": {"name": ARM_SKUS[chosen]}, "properties": {"partitionCount": partitions,
                                                                                 "replicaCount": replicas}},
                      "alternatives": [{"tier": name, "partitions": p, "replicas": replicas,
                                        "monthly_cost": round(cost, 2)
                                        if math.isfinite(cost) else None}
                                       for cost, _, name, p, _ in sorted(options)[1:4]]}
    return document("rag", inputs, estimates, fits=True, binding=binding, assumptions=assumptions, sources=sources,
                    recommendation=recommendation)


__all__ = ["ARM_SKUS", "VECTOR_TYPES", "corpus_from_data_report", "size_rag"]
