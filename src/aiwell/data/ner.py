"""Names and places in free text, by a spaCy model the user installed: the optional NER of the personal-data
search (`--ner MODEL`, `pip install 'aiwell[ner]'`).

Nothing is downloaded, ever: Presidio's spaCy engine downloads a missing model when it loads (presidio#1447), so
the model is loaded here with `spacy.load`, from an installed package or a model folder, and handed to Presidio's
`SpacyNlpEngine` already loaded; its `SpacyRecognizer` turns the model's entities into Presidio's (PERSON,
LOCATION, NRP). A model that is not installed is a configuration error with what to do, not a download.

Entities have no pattern a database can search for, so NER reads the scan's row sample only (at most
`NER_VALUES` distinct values of a column, the most frequent first) and its shares are marked approximate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from aiwell.data.model import Severity
from aiwell.errors import ConfigError

NER_ENTITIES = {"PERSON": Severity.MEDIUM, "LOCATION": Severity.LOW, "NRP": Severity.MEDIUM}
"""Presidio's entities from a spaCy model (NRP: nationality, religious or political group) and their severity."""
NER_VALUES = 2_000
NER_MIN_SCORE = 0.5
_MAX_CHARACTERS = 2_000
"""Characters of a value the model reads (the head of a long document is enough to tell it holds names)."""
_INSTALL_HINT = ("install a spaCy model yourself (e.g. the en_core_web_sm wheel from spaCy's model releases, with "
                 "pip) and pass its package name, or pass the path of a model folder; aiwell never downloads one")


class NerDetector:
    """A loaded spaCy model behind Presidio's spaCy recognizer."""

    def __init__(self, model: str) -> None:
        try:
            import spacy
            from presidio_analyzer.nlp_engine import SpacyNlpEngine
            from presidio_analyzer.predefined_recognizers import SpacyRecognizer
        except ImportError as exc:
            raise ConfigError(f"--ner {model}: spaCy is not installed ({exc.name} is missing)",
                              hint="pip install 'aiwell[ner]', then " + _INSTALL_HINT) from exc
        if not (spacy.util.is_package(model) or Path(model).is_dir()):
            raise ConfigError(f"--ner {model}: no spaCy model of that name is installed, and no model folder is "
                              "at that path", hint=_INSTALL_HINT)
        try:
            nlp = spacy.load(model)
        except (OSError, ValueError, ImportError) as exc:
            raise ConfigError(f"--ner {model}: the spaCy model could not be loaded: "
                              f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
                              hint=_INSTALL_HINT) from exc
        if "ner" not in nlp.pipe_names and "entity_ruler" not in nlp.pipe_names:
            raise ConfigError(f"--ner {model}: the spaCy model has no entity recognizer (its pipeline: "
                              f"{', '.join(nlp.pipe_names) or 'empty'})", hint=_INSTALL_HINT)
        self.model = model
        engine = cast(Any, SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}]))
        engine.nlp = {"en": nlp}  # loaded above: the engine's own `load` would download a missing model
        self._engine = engine
        self._recognizer: Any = SpacyRecognizer(supported_entities=list(NER_ENTITIES))

    def find(self, text: str) -> dict[str, str]:
        """The entities `text` holds, each with a masked example."""
        from aiwell.data.pii import mask

        head = text[:_MAX_CHARACTERS]
        artifacts = self._engine.process_text(head, "en")
        found: dict[str, str] = {}
        for result in self._recognizer.analyze(head, list(NER_ENTITIES), artifacts):
            if result.score >= NER_MIN_SCORE and result.entity_type not in found:
                found[result.entity_type] = mask(head[result.start:result.end])
        return found

    def detect(self, counts: Mapping[str, int]) -> tuple[Counter[str], dict[str, str]]:
        """Rows per entity among distinct values with their row counts (the `NER_VALUES` most frequent), and a
        masked example of each entity."""
        rows: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for value, count in _most_frequent(counts.items()):
            for entity, example in self.find(value).items():
                rows[entity] += count
                examples.setdefault(entity, example)
        return rows, examples


def _most_frequent(items: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(items, key=lambda item: (-item[1], item[0]))[:NER_VALUES]


__all__ = ["NER_ENTITIES", "NER_MIN_SCORE", "NER_VALUES", "NerDetector"]
