"""Personal and secret data, found offline: Presidio's pattern recognizers with their checksum validators, a few
secret patterns of our own in Presidio's format, and column-name hints. No NLP engine, no spaCy model, no network:
the recognizers run with `nlp_artifacts=None` (no context-word boost), and the e-mail recognizer checks top-level
domains against tldextract's bundled suffix list instead of downloading one (presidio#1205).

Each entity has a prefilter, a loose regular expression valid in RE2 (DuckDB) and Java (Spark), so the engines
can pick the candidate values of a whole column; the recognizer then decides on each candidate. Values are never
shown as they are: `mask` keeps only their shape.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from aiwell.data.model import Severity

if TYPE_CHECKING:
    from aiwell.data.ner import NerDetector


class Entity(Struct, frozen=True):
    """One kind of sensitive value."""

    name: str
    recognizer: str
    """The Presidio class (in presidio_analyzer.predefined_recognizers), or `secret` for a pattern of ours."""
    prefilter: str
    severity: Severity
    min_score: float
    validated: bool
    """A checksum or a lookup confirms each match (Luhn, mod 97, a known TLD): one hit counts. Entities found by
    pattern alone count only when at least `PATTERN_ONLY_SHARE` of a column's values hold them."""


ENTITIES: tuple[Entity, ...] = (
    Entity("CREDIT_CARD", "CreditCardRecognizer", r"[0-9](?:[ -]?[0-9]){12,18}", Severity.HIGH, 0.99, True),
    Entity("IBAN_CODE", "IbanRecognizer", r"[A-Za-z]{2}[0-9]{2} ?[A-Za-z0-9]{4}", Severity.HIGH, 0.99, True),
    Entity("US_SSN", "UsSsnRecognizer", r"[0-9]{3}[- .][0-9]{2}[- .][0-9]{4}", Severity.HIGH, 0.5, False),
    Entity("UK_NHS", "NhsRecognizer", r"[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{4}", Severity.HIGH, 0.99, True),
    Entity("UK_NINO", "UkNinoRecognizer", r"[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]", Severity.HIGH,
           0.5, False),
    Entity("ES_NIF", "EsNifRecognizer", r"[0-9]{8}-?[A-Za-z]", Severity.HIGH, 0.99, True),
    Entity("IT_FISCAL_CODE", "ItFiscalCodeRecognizer",
           r"[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z]", Severity.HIGH,
           0.99, True),
    Entity("IN_AADHAAR", "InAadhaarRecognizer", r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}", Severity.HIGH, 0.99, True),
    Entity("IN_PAN", "InPanRecognizer", r"[A-Za-z]{5}[0-9]{4}[A-Za-z]", Severity.HIGH, 0.5, False),
    Entity("SG_NRIC_FIN", "SgFinRecognizer", r"[STFGMstfgm][0-9]{7}[A-Za-z]", Severity.HIGH, 0.5, False),
    Entity("AU_TFN", "AuTfnRecognizer", r"[0-9]{3} ?[0-9]{3} ?[0-9]{2,3}", Severity.HIGH, 0.99, True),
    Entity("PL_PESEL", "PlPeselRecognizer", r"[0-9]{11}", Severity.HIGH, 0.99, True),
    Entity("EMAIL_ADDRESS", "EmailRecognizer", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+",
           Severity.MEDIUM, 0.99, True),
    Entity("PHONE_NUMBER", "PhoneRecognizer", r"\+?[0-9(][0-9 ().-]{6,}[0-9]", Severity.MEDIUM, 0.4, False),
    Entity("IP_ADDRESS", "IpRecognizer", r"[0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{0,4}){2,7}",
           Severity.LOW, 0.6, False),
    Entity("CRYPTO", "CryptoRecognizer", r"(bc1|[13])[a-km-zA-HJ-NP-Z1-9]{25,59}", Severity.MEDIUM, 0.99, True),
    Entity("SECRET", "secret",
           r"AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|AccountKey=[A-Za-z0-9+/=]{40,}|-----BEGIN [A-Z ]*PRIVATE KEY"
           r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}|sk-[A-Za-z0-9_-]{20,}"
           r"|xox[abprs]-[A-Za-z0-9-]{10,}|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s:@]+@",
           Severity.HIGH, 0.5, True),
)
BY_NAME = {e.name: e for e in ENTITIES}
SCREEN = r"[0-9@:_=-]|[A-Za-z]{12}"
"""What every prefilter's match contains: a digit, one of `@:_=-`, or a run of twelve letters (an Italian fiscal
code's twelve-character prefilter, a 20-character AWS key, a JWT's head without digits). Text without any of them
(most free text) is ruled out at the cost of one character-class scan, instead of the combined prefilter's."""
PATTERN_ONLY_SHARE = 0.05
INTEGER_CARD_SHARE = 0.5
"""In a column of integers, card numbers count only when at least half the values pass Luhn: any 16-digit
identifier passes one time in ten."""

_SECRET_PATTERNS = (
    ("aws-access-key", r"\bAKIA[0-9A-Z]{16}\b"),
    ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    ("azure-storage-key", r"AccountKey=[A-Za-z0-9+/=]{40,}"),
    ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ("api-key", r"\bsk-[A-Za-z0-9_-]{20,}"),
    ("slack-token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("password-in-url", r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s:@]+@"),
)

# Column names that say what a column holds, whatever its values look like (hashed, tokenised, free text).
_NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("EMAIL_ADDRESS", r"e_?mail"),
    ("PHONE_NUMBER", r"phone|mobile|telephone|tel|cell_?phone|fax"),
    ("NATIONAL_ID", r"ssn|social_security|national_id|nino|nhs_?(number|no)?|passport|tax_?id|tin|aadhaar|"
                    r"nric|pesel|driver_?licen[cs]e|id_?card"),
    ("BANK_ACCOUNT", r"iban|bank_?account|account_?number|routing_?number|sort_?code"),
    ("CREDIT_CARD", r"credit_?card|card_?(number|no|num)|cc_?(number|num)|cvv|cvc|pan_?number"),
    ("DATE_OF_BIRTH", r"dob|birth_?date|date_?of_?birth|birthday"),
    ("PERSON_NAME", r"(first|last|full|given|family|middle|maiden|sur)_?name|surname|forename"),
    ("ADDRESS", r"(street|home|postal|mailing|billing|shipping)_?address|address(_?line\d?)?|street|"
                r"post_?code|zip_?code|zip"),
    ("IP_ADDRESS", r"ip|ip_?address|client_?ip"),
    ("SECRET", r"password|passwd|pwd|secret|api_?key|access_?key|private_?key|token|credential|"
               r"connection_?string"),
    ("SPECIAL_CATEGORY", r"gender|sex|ethnicity|ethnic|race|religion|religious|health|diagnosis|disability|"
                         r"sexual_?orientation|political|union_?member(ship)?|biometric|genetic"),
    ("LOCATION", r"lat|latitude|lon|lng|longitude|geo_?location|gps"),
)
_NAME_PATTERNS = [(entity, re.compile(rf"^(?:.*_)?(?:{pattern})(?:_.*)?$")) for entity, pattern in _NAME_HINTS]


def _normalise_name(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def name_hints(column: str) -> list[str]:
    """What a column's name says it holds (`EMAIL_ADDRESS`, `DATE_OF_BIRTH`, ...), or nothing."""
    normalised = _normalise_name(column)
    return [entity for entity, pattern in _NAME_PATTERNS if pattern.match(normalised)]


def sensitive_name(column: str) -> bool:
    """The column's name says it holds values that identify someone or give access (everything `name_hints` knows
    but special categories such as gender, whose values are class labels)."""
    return any(hint != "SPECIAL_CATEGORY" for hint in name_hints(column))


def mask(text: str) -> str:
    """A value's shape without its content: letters and digits become •, the rest stays (`••••@•••.•••`)."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    return re.sub(r"[^\W_]", "•", shown)


def combined_prefilter(entities: Iterable[str]) -> str:
    """One pattern that matches where any of `entities` might be."""
    return "|".join(f"({BY_NAME[e].prefilter})" for e in entities)


class Detection(Struct):
    """What a set of values holds: rows per entity, and a masked example of each."""

    rows: Counter[str]
    examples: dict[str, str]


class Scanner:
    """The recognizers, built once per run (building them imports Presidio, about a second); `ner`, the optional
    NER of names and places (`aiwell.data.ner`), when the run asked for it."""

    def __init__(self, ner: NerDetector | None = None) -> None:
        self.ner = ner

    @cached_property
    def _recognizers(self) -> dict[str, Any]:
        import tldextract
        from presidio_analyzer import Pattern, PatternRecognizer, predefined_recognizers

        offline_domains = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

        class OfflineEmailRecognizer(predefined_recognizers.EmailRecognizer):
            """Presidio's e-mail recognizer with the bundled public-suffix list (no download)."""

            def validate_result(self, pattern_text: str) -> bool:
                return bool(offline_domains(pattern_text.rsplit("@", 1)[-1]).suffix)

        recognizers: dict[str, Any] = {}
        for entity in ENTITIES:
            if entity.recognizer == "secret":
                recognizers[entity.name] = PatternRecognizer(
                    supported_entity="SECRET", name="aiwell-secrets",
                    patterns=[Pattern(name, pattern, 0.9) for name, pattern in _SECRET_PATTERNS])
            elif entity.recognizer == "EmailRecognizer":
                recognizers[entity.name] = OfflineEmailRecognizer()
            else:
                recognizers[entity.name] = getattr(predefined_recognizers, entity.recognizer)()
        return recognizers

    @cached_property
    def _prefilters(self) -> dict[str, re.Pattern[str]]:
        return {e.name: re.compile(e.prefilter) for e in ENTITIES}

    @cached_property
    def _any(self) -> re.Pattern[str]:
        return re.compile(combined_prefilter(BY_NAME))

    @cached_property
    def _screen(self) -> re.Pattern[str]:
        return re.compile(SCREEN)

    def find(self, text: str, entities: Iterable[str] | None = None) -> dict[str, str]:
        """The entities `text` holds, each with a masked example of the match."""
        found: dict[str, str] = {}
        if not self._screen.search(text) or not self._any.search(text):
            return found
        for name in entities or BY_NAME:
            if not self._prefilters[name].search(text):
                continue
            entity = BY_NAME[name]
            for result in self._recognizers[name].analyze(text, [name], None):
                if result.score >= entity.min_score:
                    found[name] = mask(text[result.start:result.end])
                    break
        return found

    def detect(self, counts: Mapping[str, int], entities: Iterable[str] | None = None) -> Detection:
        """Rows per entity among distinct values with their row counts. Each entity's example is the match in its
        most frequent value (the smallest such value on a tie), so the report is the same whatever order the
        engine lists the values in (DuckDB's `list()` of a parallel scan has none)."""
        wanted = list(entities) if entities is not None else None
        rows: Counter[str] = Counter()
        chosen: dict[str, tuple[tuple[int, str], str]] = {}
        for value, count in counts.items():
            for name, example in self.find(value, wanted).items():
                rows[name] += count
                rank = (-count, value)
                kept = chosen.get(name)
                if kept is None or rank < kept[0]:
                    chosen[name] = (rank, example)
        return Detection(rows, {name: example for name, (_, example) in chosen.items()})


__all__ = ["BY_NAME", "ENTITIES", "INTEGER_CARD_SHARE", "PATTERN_ONLY_SHARE", "SCREEN", "Detection", "Entity",
           "Scanner", "combined_prefilter", "mask", "name_hints", "sensitive_name"]
