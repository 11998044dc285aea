"""Rules: the declarative catalog, Python rules over the graph, one registry and the engine that runs them."""

from aiwell.rules.base import Check, Doc, Rule, RuleDefinitionError, RuleKind, rule
from aiwell.rules.engine import evaluate, run_rules
from aiwell.rules.registry import Registry, build_registry, load_registry

__all__ = [
    "Check",
    "Doc",
    "Registry",
    "Rule",
    "RuleDefinitionError",
    "RuleKind",
    "build_registry",
    "evaluate",
    "load_registry",
    "rule",
    "run_rules",
]
