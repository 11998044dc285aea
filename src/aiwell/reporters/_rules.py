"""What the reporters that document rules share: finding a result's rule in the report, its help text, its
remediation snippets by format."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct

from aiwell.model import RuleInfo
from aiwell.report import Report

SNIPPET_TITLES = {"arm": "ARM", "bicep": "Bicep", "terraform": "Terraform"}
"""Remediation snippet formats, in the order reports show them."""


class RuleHelp(Struct, frozen=True):
    """A rule's metadata and documentation as the reporters show it; the documentation is empty for a rule the
    report holds only as `RuleInfo`."""

    info: RuleInfo
    what: str = ""
    why: str = ""
    snippets: tuple[tuple[str, str], ...] = ()
    """(format, snippet) pairs in `SNIPPET_TITLES` order."""
    references: tuple[str, ...] = ()

    @property
    def help_uri(self) -> str | None:
        """The first reference (the Well-Architected guidance the rule comes from), if any."""
        return self.references[0] if self.references else None

    def markdown(self) -> str:
        """The full help as Markdown: what it checks, why, how to fix it in each format, references.

        The text is the catalog's own (reviewed with the code), not input from the workload under review.
        """
        parts = [f"**{self.info.title}** ({self.info.id}, {self.info.name})"]
        if self.what:
            parts.append(f"**What it checks.** {self.what}")
        if self.why:
            parts.append(f"**Why it matters.** {self.why}")
        for kind, snippet in self.snippets:
            fence = "```"
            while fence in snippet:
                fence += "`"
            language = {"arm": "json", "bicep": "bicep", "terraform": "hcl"}[kind]
            parts.append(f"**Use instead ({SNIPPET_TITLES[kind]}):**\n\n{fence}{language}\n{snippet}\n{fence}")
        if self.references:
            parts.append("**References:** " + ", ".join(f"<{uri}>" for uri in self.references))
        return "\n\n".join(parts)

    def text(self) -> str:
        """The full help as plain text."""
        parts = [f"{self.info.title} ({self.info.id}, {self.info.name})"]
        if self.what:
            parts.append(f"What it checks: {self.what}")
        if self.why:
            parts.append(f"Why it matters: {self.why}")
        for kind, snippet in self.snippets:
            parts.append(f"Use instead ({SNIPPET_TITLES[kind]}):\n{snippet}")
        if self.references:
            parts.append("References: " + " ".join(self.references))
        return "\n\n".join(parts)


def rule_help(report: Report, info: RuleInfo) -> RuleHelp:
    """The help of a result's rule: from the rules the report ran when it holds this one, else its `RuleInfo`."""
    rule = report.rules.get(info.id)
    if rule is None:
        return RuleHelp(info)
    snippets = tuple((kind, rule.doc.use_instead[kind].strip()) for kind in SNIPPET_TITLES
                     if rule.doc.use_instead.get(kind, "").strip())
    return RuleHelp(info, what=rule.doc.what, why=rule.doc.why, snippets=snippets,
                    references=tuple(rule.references))


def report_rules(report: Report, extra: Iterable[RuleInfo] = ()) -> list[RuleHelp]:
    """Every rule of the report, sorted by id: the rules that ran and any other a result names."""
    infos: dict[str, RuleInfo] = {rule_id: rule.info for rule_id, rule in report.rules.items()}
    for result in report.results:
        infos.setdefault(result.rule.id, result.rule)
    for info in extra:
        infos.setdefault(info.id, info)
    return [rule_help(report, infos[rule_id]) for rule_id in sorted(infos)]


__all__ = ["SNIPPET_TITLES", "RuleHelp", "report_rules", "rule_help"]
