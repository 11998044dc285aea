"""How `aiwell rules` shows the catalog and one rule's documentation (generated from the rule, never written twice)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from aiwell.priorities import priority, weight
from aiwell.rules import Rule
from aiwell.rules.selection import rule_set_of

_LEXERS = {"arm": ("ARM", "json"), "bicep": ("Bicep", "text"), "terraform": ("Terraform", "terraform")}
_PEER_LABELS = {"psrule": "PSRule", "checkov": "Checkov", "azqr": "azqr", "aprl": "APRL",
                "azure_policy": "Azure Policy"}


def rule_dict(rule: Rule) -> dict[str, Any]:
    """One rule's metadata and documentation as plain data."""
    return {
        "id": rule.id,
        "name": rule.name,
        "title": rule.title,
        "severity": rule.severity.value,
        "pillars": [p.value for p in rule.pillars],
        "design_area": rule.design_area.value,
        "resource_types": list(rule.resource_types),
        "kind": rule.kind,
        "aliases": list(rule.aliases),
        "waf": list(rule.info.waf),
        "priority": priority(rule.info),
        "weight": weight(rule.info),
        "context": list(rule.context),
        "missing": rule.missing.value,
        "origin": rule.origin,
        "doc": {
            "what": rule.doc.what,
            "why": rule.doc.why,
            "example": rule.doc.example,
            "use_instead": dict(rule.doc.use_instead),
        },
        "references": list(rule.references),
        "maps_to": [{"peer": mapping.peer, "id": mapping.id, "match": mapping.match, "note": mapping.note or None}
                    for mapping in rule.maps_to],
        "rule_set": rule_set_of(rule.id),
    }


def rule_json(rule: Rule) -> str:
    """One rule as JSON."""
    return json.dumps(rule_dict(rule), indent=2)


def catalog_json(rules: Sequence[Rule]) -> str:
    """Several rules as a JSON array."""
    return json.dumps([rule_dict(rule) for rule in rules], indent=2)


def show_catalog(rules: Sequence[Rule], console: Console) -> None:
    """A table of the rules: id, severity, pillars, name and title."""
    table = Table(show_lines=False, pad_edge=False, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("sev", no_wrap=True)
    # One pillar a line, so names (which users type: `aiwell rules NAME`, `--rule NAME`) are never cut off.
    table.add_column("pillars", no_wrap=True, min_width=len("operational-excellence"))
    table.add_column("name / title", ratio=1, overflow="fold")
    for rule in rules:
        table.add_row(
            rule.id,
            rule.severity.value,
            "\n".join(p.value for p in rule.pillars),
            Text.assemble((rule.name, "bold"), "\n", rule.title),
        )
    console.print(table)
    console.print(f"{len(rules)} rules. `aiwell rules ID` shows one rule's documentation.")


def show_rule(rule: Rule, console: Console) -> None:
    """One rule's full documentation."""
    console.print(Text.assemble((f"{rule.id} {rule.name}", "bold"), "  ", rule.title))
    facts = Table.grid(padding=(0, 2))
    facts.add_row("severity", rule.severity.value)
    facts.add_row("pillars", ", ".join(p.value for p in rule.pillars))
    facts.add_row("design area", rule.design_area.value)
    facts.add_row("applies to", ", ".join(rule.resource_types) or "each input")
    if rule.aliases:
        facts.add_row("aliases", ", ".join(rule.aliases))
    facts.add_row("rule set", rule_set_of(rule.id))
    console.print(Padding(facts, (1, 0)))
    _section(console, "What it checks", Text(rule.doc.what))
    _section(console, "Why it matters", Text(rule.doc.why))
    if rule.doc.example:
        _section(console, "Example (non-compliant)", Syntax(rule.doc.example.strip(), "json", word_wrap=True))
    if rule.doc.use_instead:
        parts: list[Any] = []
        for key, snippet in rule.doc.use_instead.items():
            label, lexer = _LEXERS.get(key, (key, "text"))
            parts.append(Text(label, style="bold"))
            parts.append(Padding(Syntax(snippet.strip(), lexer, word_wrap=True), (0, 0, 1, 2)))
        _section(console, "Use instead", Group(*parts))
    if rule.references:
        # URLs are printed whole, even past the terminal width, so they stay clickable and copyable.
        _section(console, "References", Text("\n".join(rule.references), no_wrap=True, overflow="ignore"))
    if rule.maps_to:
        lines: list[Any] = []
        for mapping in rule.maps_to:
            lines.append(Text.assemble((_PEER_LABELS[mapping.peer], "bold"), " ", mapping.id, " ",
                                       (mapping.match, "green" if mapping.match == "exact" else "yellow")))
            if mapping.note:
                lines.append(Padding(Text(mapping.note), (0, 0, 0, 2)))
        _section(console, "Maps to", Group(*lines))


def _section(console: Console, heading: str, body: Any) -> None:
    console.print(Text(heading, style="bold underline"))
    console.print(Padding(body, (0, 0, 1, 2)))


__all__ = ["catalog_json", "rule_dict", "rule_json", "show_catalog", "show_rule"]
