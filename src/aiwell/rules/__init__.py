"""Rules: the YAML catalog (every rule's metadata and documentation, declarative conditions), the logic of
Python rules in `checks/`, one registry that joins them by id, and the engine that runs them."""

from aiwell.rules.base import Check, Doc, FixStep, Rule, RuleDefinitionError, RuleKind, RuleLogic, implements
from aiwell.rules.engine import evaluate, run_rules
from aiwell.rules.registry import Registry, build_registry, load_registry

__all__ = [
    "Check",
    "Doc",
    "FixStep",
    "Registry",
    "Rule",
    "RuleDefinitionError",
    "RuleKind",
    "RuleLogic",
    "build_registry",
    "evaluate",
    "implements",
    "load_registry",
    "run_rules",
]
