"""Price sheets read from disk (nothing is fetched): the Azure Retail Prices API's JSON answer saved as it is
(`{"Items": [...]}`, a list of such pages, or a list of items), or aiwell's own YAML/JSON price file:

    currency: USD
    vm: {Standard_ND96isr_H100_v5: 98.32}          # per hour
    ptu: {global: 1.0, data-zone: 1.1, regional: 2.0}   # per PTU-hour
    tokens: {gpt-4o: {input: 2.5, cached: 1.25, output: 10}}   # per 1M tokens
    search: {s1: 245.28}                             # per search unit per month
    embeddings: {text-embedding-3-large: 0.13}       # per 1M tokens
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field

from aiwell.errors import UsageError
from aiwell.sizing.tables import find

HOURS_PER_MONTH = 730
_SEARCH_SKUS = {"basic": "basic", "standard s1": "s1", "standard s2": "s2", "standard s3": "s3",
                "storage optimized l1": "l1", "storage optimized l2": "l2", "s1": "s1", "s2": "s2", "s3": "s3",
                "l1": "l1", "l2": "l2"}


class PriceSheet(Struct):
    """Prices that override the built-in list prices."""

    source: str
    currency: str = "USD"
    vm: dict[str, float] = field(default_factory=dict)
    ptu: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, dict[str, float]] = field(default_factory=dict)
    search: dict[str, float] = field(default_factory=dict)
    embeddings: dict[str, float] = field(default_factory=dict)

    def vm_price(self, name: str) -> float | None:
        return find(self.vm, name)


def load_prices(path: Path) -> PriceSheet:
    """Read a price sheet; a file that is neither format is a user error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the price sheet {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(f"{path}: neither JSON nor YAML: {exc}") from exc
    items = _retail_items(data)
    if items is not None:
        return _from_retail(items, path)
    if isinstance(data, dict) and set(data) & {"vm", "ptu", "tokens", "search", "embeddings"}:
        unknown = set(data) - {"vm", "ptu", "tokens", "search", "embeddings", "currency"}
        if unknown:
            raise UsageError(f"{path}: unknown price sheet keys: {', '.join(sorted(unknown))}")
        try:
            return PriceSheet(source=f"price sheet {path}", currency=str(data.get("currency", "USD")),
                              vm={k: float(v) for k, v in (data.get("vm") or {}).items()},
                              ptu={k: float(v) for k, v in (data.get("ptu") or {}).items()},
                              tokens={k: {p: float(x) for p, x in v.items()} for k, v in
                                      (data.get("tokens") or {}).items()},
                              search={k.lower(): float(v) for k, v in (data.get("search") or {}).items()},
                              embeddings={k: float(v) for k, v in (data.get("embeddings") or {}).items()})
        except (TypeError, ValueError, AttributeError) as exc:
            raise UsageError(f"{path}: prices must be numbers ({exc})") from exc
    raise UsageError(f"{path}: not an Azure Retail Prices API answer ({{\"Items\": [...]}}) or an aiwell price sheet",
                     hint="docs/size.md shows both formats.")


def _retail_items(data: Any) -> list[dict[str, Any]] | None:
    if isinstance(data, dict) and isinstance(data.get("Items"), list):
        return [i for i in data["Items"] if isinstance(i, dict)]
    if isinstance(data, list) and data and all(isinstance(p, dict) for p in data):
        if all(isinstance(p.get("Items"), list) for p in data):
            return [i for p in data for i in p["Items"] if isinstance(i, dict)]
        if all("retailPrice" in p for p in data):
            return list(data)
    return None


def _from_retail(items: list[dict[str, Any]], path: Path) -> PriceSheet:
    sheet = PriceSheet(source=f"Azure Retail Prices API answer saved in {path}")
    regions = set()
    for item in items:
        if item.get("type") not in (None, "Consumption"):
            continue
        price = item.get("retailPrice", item.get("unitPrice"))
        if not isinstance(price, int | float):
            continue
        sheet.currency = str(item.get("currencyCode", sheet.currency))
        unit = str(item.get("unitOfMeasure", ""))
        names = " ".join(str(item.get(k, "")) for k in ("productName", "skuName", "meterName")).lower()
        service = str(item.get("serviceName", "")).lower()
        regions.add(item.get("armRegionName"))
        if service == "virtual machines" and unit == "1 Hour":
            if "spot" in names or "low priority" in names or "windows" in names:
                continue
            sku = item.get("armSkuName")
            if sku and sku not in sheet.vm:
                sheet.vm[str(sku)] = float(price)
        elif "provisioned" in names and unit == "1 Hour":
            kind = "global" if "global" in names else "data-zone" if re.search(r"data ?zone", names) else "regional"
            sheet.ptu.setdefault(kind, float(price))
        elif "search" in service and unit == "1 Hour":
            tier = _SEARCH_SKUS.get(str(item.get("skuName", "")).lower())
            if tier:
                sheet.search.setdefault(tier, float(price) * HOURS_PER_MONTH)
    regions.discard(None)
    if len(regions) > 1:
        names = ", ".join(sorted(map(str, regions)))
        sheet.source += f" (several regions: {names}; the first price of each SKU is used)"
    elif regions:
        sheet.source += f" (region {regions.pop()})"
    return sheet


__all__ = ["HOURS_PER_MONTH", "PriceSheet", "load_prices"]
