"""`aiwell size`: capacity planning. Does not import the review engine; the review reads its JSON plans.

The parts: the built-in tables (`tables`: accelerators, Azure VM sizes, open and managed models, AI Search tiers,
embedding models; YAML in `data/`), precisions (`precision`), ranges and the `aiwell.size/1` document
(`estimate`), one module per regime (`ptu`, `inference`, `training`, `rag`, `tabular`), workload plans (`plan`),
efficiency factors fitted to published measurements and `calibrate` (`calibration`), load-test commands and
result readers (`loadtest`), price sheets (`prices`), renderers (`report`) and the commands (`cli`).

The names below are imported when first used (PEP 562), so `aiwell size --help` does not load the tables.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "SCHEMA": "estimate",
    "Band": "estimate",
    "Factors": "estimate",
    "PriceSheet": "prices",
    "Range": "estimate",
    "build_setup": "inference",
    "build_training": "training",
    "builtin_factors": "estimate",
    "factors_from_dict": "estimate",
    "load_plan": "plan",
    "load_prices": "prices",
    "size_inference": "inference",
    "size_plan": "plan",
    "size_ptu": "ptu",
    "size_rag": "rag",
    "size_tabular": "tabular",
    "size_training": "training",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'aiwell.sizing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"aiwell.sizing.{module}"), name)


__all__ = [
    "SCHEMA",
    "Band",
    "Factors",
    "PriceSheet",
    "Range",
    "build_setup",
    "build_training",
    "builtin_factors",
    "factors_from_dict",
    "load_plan",
    "load_prices",
    "size_inference",
    "size_plan",
    "size_ptu",
    "size_rag",
    "size_tabular",
    "size_training",
]
