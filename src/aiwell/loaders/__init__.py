"""Loaders: every input format becomes the same `Resource` model. `load_inputs` finds and loads them all."""

from aiwell.loaders.discover import LoadOutcome, load_inputs

__all__ = ["LoadOutcome", "load_inputs"]
