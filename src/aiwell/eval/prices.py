"""Token usage and cost: tokens in and out from the targets' `usage`, priced with a dated table.

The default table (`prices.json` beside this module) holds Azure OpenAI list prices with the date they were read and
where from; `--prices FILE` (same shape, JSON or YAML) replaces it. A model is priced by the longest table entry its
name starts with (`gpt-4o-2024-11-20` is `gpt-4o`, `gpt-4o-mini-...` is `gpt-4o-mini`). A sample whose model has
no price, or that reported no usage, is counted as unpriced: the cost is then shown as a lower bound with the
unpriced share, never as a complete figure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from aiwell.errors import ConfigError

_INPUT_KEYS = ("prompt_tokens", "input_tokens")
_OUTPUT_KEYS = ("completion_tokens", "output_tokens")


class PriceTable(Struct, frozen=True):
    """Prices per million tokens by model name, with their date, currency and source."""

    models: dict[str, tuple[float, float]]
    as_of: str
    currency: str = "USD"
    source: str = ""

    def price(self, model: str | None) -> tuple[float, float] | None:
        """(input, output) per million tokens for `model`: the longest entry its name starts with."""
        if not model:
            return None
        name = model.lower()
        found = [key for key in self.models if name.startswith(key.lower())]
        return self.models[max(found, key=len)] if found else None


def default_prices() -> PriceTable:
    """The table shipped with aiwell (Azure OpenAI list prices, dated)."""
    data = json.loads(resources.files("aiwell.eval").joinpath("prices.json").read_text(encoding="utf-8"))
    return _table(data, "the built-in price table")


def load_prices(path: Path) -> PriceTable:
    """A user's price table: `{as_of, currency, source, models: {name: {input, output}}}` in JSON or YAML."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read price table {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML or JSON: {exc}") from exc
    return _table(data, str(path))


def _table(data: Any, where: str) -> PriceTable:
    hint = "write {as_of: YYYY-MM-DD, currency: USD, models: {gpt-4o: {input: 2.5, output: 10}}} (per 1M tokens)"
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise ConfigError(f"{where}: a price table needs models: {{name: {{input, output}}}}", hint=hint)
    models: dict[str, tuple[float, float]] = {}
    for name, entry in data["models"].items():
        values = [entry.get(k) for k in ("input", "output")] if isinstance(entry, dict) else []
        prices = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0]
        if len(prices) != 2:
            raise ConfigError(f"{where}: model {name!r} needs input and output prices ≥ 0 per 1M tokens", hint=hint)
        models[str(name)] = (prices[0], prices[1])
    if not data.get("as_of"):
        raise ConfigError(f"{where}: a price table needs as_of: the date its prices were read", hint=hint)
    return PriceTable(models=models, as_of=str(data["as_of"]), currency=str(data.get("currency") or "USD"),
                      source=str(data.get("source") or ""))


def tokens(usage: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """(input, output) tokens from an OpenAI-style usage mapping; None when it reports neither."""
    if not isinstance(usage, Mapping):
        return None

    def first(keys: Iterable[str]) -> int | None:
        for key in keys:
            value = usage.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(value)
        return None

    found_in, found_out = first(_INPUT_KEYS), first(_OUTPUT_KEYS)
    if found_in is None and found_out is None:
        return None
    return found_in or 0, found_out or 0


class Usage(Struct):
    """Tokens and cost over a set of samples: the target's and the judges' apart, and how many samples had no
    usage or no price (their cost is missing from `cost`, which is then a lower bound)."""

    input_tokens: int = 0
    output_tokens: int = 0
    judge_input_tokens: int = 0
    judge_output_tokens: int = 0
    cost: float = 0.0
    samples: int = 0
    unpriced: int = 0
    unpriced_models: set[str] = field(default_factory=set)

    def as_dict(self, table: PriceTable) -> dict[str, Any]:
        """The report's `usage` section."""
        per = self.samples - self.unpriced
        return {
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "judge_input_tokens": self.judge_input_tokens, "judge_output_tokens": self.judge_output_tokens,
            "cost": round(self.cost, 6), "currency": table.currency, "complete": self.unpriced == 0,
            "unpriced_samples": self.unpriced, "unpriced_models": sorted(self.unpriced_models),
            "cost_per_sample": round(self.cost / per, 8) if per else None,
            "prices": {"as_of": table.as_of, "source": table.source},
        }


def usage_of(samples: Iterable[Mapping[str, Any]], table: PriceTable) -> Usage:
    """Add up the samples' token usage (the target's `usage` and the judges' `judge_usage`) and price it."""
    total = Usage()
    for sample in samples:
        total.samples += 1
        model = sample.get("model")
        price = table.price(model if isinstance(model, str) else None)
        priced = True
        for usage, judge in ((sample.get("usage"), False), (sample.get("judge_usage"), True)):
            counted = tokens(usage)
            if counted is None:
                if not judge and sample.get("output") is not None:
                    priced = False
                continue
            if judge:
                total.judge_input_tokens += counted[0]
                total.judge_output_tokens += counted[1]
                continue
            total.input_tokens += counted[0]
            total.output_tokens += counted[1]
            if price is None:
                priced = False
                total.unpriced_models.add(str(model or "unknown model"))
            else:
                total.cost += (counted[0] * price[0] + counted[1] * price[1]) / 1_000_000
        if not priced:
            total.unpriced += 1
    return total


__all__ = ["PriceTable", "Usage", "default_prices", "load_prices", "tokens", "usage_of"]
