"""What a review knows about the workload besides its resources: the environment and the workload's purpose.

Rules whose verdict depends on them (production needs more than one region; a training cluster may scale to zero,
a serving cluster may not) read them per resource, in this order of precedence (`aiwell.rules.context`):

1. the resource's own tag (`environment`, or `env`; `workload-purpose`, or `purpose`), else its nearest parent's;
2. the review's settings: `--environment` / `--workload-purpose`, `AIWELL_ENVIRONMENT` /
   `AIWELL_WORKLOAD_PURPOSE`, `environment` / `workload_purpose` in `[tool.aiwell]`;
3. the questionnaire's answers file (`context:` block);
4. otherwise unknown: such a rule answers `unknown`, never a guess.

Tag and setting values are compared case-insensitively and mapped onto canonical names; a value that is not a known
name is kept as unknown, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field

ENVIRONMENT = "environment"
WORKLOAD_PURPOSE = "workload-purpose"
CONTEXT_KEYS = (ENVIRONMENT, WORKLOAD_PURPOSE)

TAG_NAMES: Mapping[str, tuple[str, ...]] = {
    ENVIRONMENT: ("environment", "env"),
    WORKLOAD_PURPOSE: ("workload-purpose", "workloadpurpose", "workload_purpose", "purpose"),
}
"""The tag names each key is read from, first match wins (compared case-insensitively)."""

CANONICAL: Mapping[str, Mapping[str, str]] = {
    ENVIRONMENT: {
        **dict.fromkeys(("production", "prod", "prd", "live", "p"), "production"),
        **dict.fromkeys(("staging", "stage", "stg", "preprod", "pre-prod", "preproduction", "uat"), "staging"),
        **dict.fromkeys(("test", "tst", "testing", "qa", "qas", "int", "integration"), "test"),
        **dict.fromkeys(("development", "dev", "develop", "d"), "development"),
        **dict.fromkeys(("sandbox", "sbx", "lab", "poc", "demo", "experiment", "experimental"), "sandbox"),
    },
    WORKLOAD_PURPOSE: {
        **dict.fromkeys(("serving", "inference", "online-inference", "online", "api", "chat", "rag"), "serving"),
        **dict.fromkeys(("training", "train", "fine-tuning", "finetuning", "fine-tune"), "training"),
        **dict.fromkeys(("batch-scoring", "batch", "batch-inference", "scoring"), "batch-scoring"),
        **dict.fromkeys(("exploration", "eda", "experimentation", "research", "notebooks"), "exploration"),
    },
}
"""Accepted spellings of each key's values and the canonical name each maps to."""


def canonical(key: str, value: str) -> str | None:
    """The canonical name of a context value (`Prod` → `production`), or None when it is not a known spelling."""
    return CANONICAL[key].get(value.strip().lower())


def known_values(key: str) -> list[str]:
    """The canonical values of a context key."""
    return sorted(set(CANONICAL[key].values()))


class ContextSetting(Struct, frozen=True):
    """One context value given for the whole review, and where it was given (`--environment`, a file)."""

    value: str
    """The canonical value."""
    source: str


class ReviewContext(Struct, frozen=True):
    """The context the review was given: its settings (flags, environment variables, config) and the answers file's
    `context:` block, each by key. Tags are read per resource on top of these."""

    settings: Mapping[str, ContextSetting] = field(default_factory=dict)
    answers: Mapping[str, ContextSetting] = field(default_factory=dict)

    def given(self, key: str) -> ContextSetting | None:
        """The review-wide value of `key`: a setting, else the answers file's, else None."""
        return self.settings.get(key) or self.answers.get(key)


__all__ = ["CANONICAL", "CONTEXT_KEYS", "ENVIRONMENT", "TAG_NAMES", "WORKLOAD_PURPOSE", "ContextSetting",
           "ReviewContext", "canonical", "known_values"]
