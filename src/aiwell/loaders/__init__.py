"""Loaders: every input format becomes the same `Resource` model. `load_inputs` finds and loads them all."""

import sys

from aiwell.loaders.discover import LoadOutcome, load_inputs


def forget_parsed_files() -> None:
    """Empty the per-process caches of parsed Bicep and HCL files (a benchmark timing one input on its own)."""
    for module in ("aiwell.loaders.bicep.parser", "aiwell.loaders.terraform.hcl"):
        loaded = sys.modules.get(module)
        if loaded is not None:
            loaded.forget_parsed_files()


__all__ = ["LoadOutcome", "forget_parsed_files", "load_inputs"]
