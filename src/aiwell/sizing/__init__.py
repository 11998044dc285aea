"""`aiwell size`: capacity planning. Does not import the review engine; the review reads its JSON plans.

The parts: the built-in tables (`tables`: accelerators, Azure VM sizes, open and managed models, AI Search tiers,
embedding models; YAML in `data/`), precisions (`precision`), ranges and the `aiwell.size/1` document
(`estimate`), one module per regime (`ptu`, `inference`, `training`, `rag`, `tabular`), workload plans (`plan`),
efficiency factors fitted to published measurements and `calibrate` (`calibration`), load-test commands and
result readers (`loadtest`), price sheets (`prices`), renderers (`report`) and the commands (`cli`).
"""

from aiwell.sizing.estimate import SCHEMA, Band, Factors, Range, builtin_factors, factors_from_dict
from aiwell.sizing.inference import build_setup, size_inference
from aiwell.sizing.plan import load_plan, size_plan
from aiwell.sizing.prices import PriceSheet, load_prices
from aiwell.sizing.ptu import size_ptu
from aiwell.sizing.rag import size_rag
from aiwell.sizing.tabular import size_tabular
from aiwell.sizing.training import build_training, size_training

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
