"""The Well-Architected Framework's recommendation codes (`RE:04`, `SE:05`, ...): the checklist items of each pillar.

Rules and questions name the codes they serve in their `waf` metadata; results carry them, so a report can be read
beside Microsoft's Well-Architected assessment exports, whose `ReportingCategory` column uses the same codes.
Titles are paraphrased from each pillar's checklist.
"""

from __future__ import annotations

import re

from aiwell.model.result import Pillar

WAF_CODE = re.compile(r"^(RE|SE|CO|OE|PE):(\d{2})$")
"""A recommendation code: the pillar's two letters, a colon, two digits."""

PILLAR_OF_PREFIX = {
    "RE": Pillar.RELIABILITY,
    "SE": Pillar.SECURITY,
    "CO": Pillar.COST_OPTIMIZATION,
    "OE": Pillar.OPERATIONAL_EXCELLENCE,
    "PE": Pillar.PERFORMANCE_EFFICIENCY,
}

WAF_RECOMMENDATIONS: dict[str, str] = {
    "RE:01": "Design for business requirements, simply",
    "RE:02": "Identify and rate user and system flows",
    "RE:03": "Failure mode analysis",
    "RE:04": "Reliability and recovery targets",
    "RE:05": "Redundancy",
    "RE:06": "Scaling",
    "RE:07": "Self-preservation and self-healing (retry, circuit breaker, bulkhead)",
    "RE:08": "Resiliency and availability testing",
    "RE:09": "Business continuity and disaster recovery",
    "RE:10": "Health monitoring",
    "SE:01": "Security baseline",
    "SE:02": "Secure development lifecycle and supply chain",
    "SE:03": "Data classification",
    "SE:04": "Segmentation",
    "SE:05": "Identity and access management",
    "SE:06": "Network controls",
    "SE:07": "Encryption",
    "SE:08": "Hardening",
    "SE:09": "Application secrets",
    "SE:10": "Monitoring and threat detection",
    "SE:11": "Security testing",
    "SE:12": "Incident response",
    "CO:01": "Financial responsibility",
    "CO:02": "Cost model",
    "CO:03": "Cost data collection",
    "CO:04": "Spending guardrails",
    "CO:05": "Best rates",
    "CO:06": "Align usage to billing increments",
    "CO:07": "Component costs",
    "CO:08": "Environment costs",
    "CO:09": "Flow costs",
    "CO:10": "Data costs",
    "CO:11": "Code costs",
    "CO:12": "Scaling costs",
    "CO:13": "Personnel time",
    "CO:14": "Consolidation",
    "OE:01": "DevOps culture and team roles",
    "OE:02": "Standardised operational tasks",
    "OE:03": "Software development practices",
    "OE:04": "Quality assurance",
    "OE:05": "Infrastructure as code",
    "OE:06": "Workload supply chain (pipelines)",
    "OE:07": "Monitoring and observability",
    "OE:08": "Incident management",
    "OE:09": "Automation of tasks",
    "OE:10": "Automation design",
    "OE:11": "Safe deployment practices",
    "OE:12": "Emergency deployment and rollback",
    "PE:01": "Performance targets",
    "PE:02": "Capacity planning",
    "PE:03": "Right services",
    "PE:04": "Performance data collection",
    "PE:05": "Scaling and partitioning",
    "PE:06": "Performance testing",
    "PE:07": "Code and infrastructure optimisation",
    "PE:08": "Data performance",
    "PE:09": "Critical flows",
    "PE:10": "Operational tasks",
    "PE:11": "Live-issue response",
    "PE:12": "Continuous optimisation",
}
"""Every recommendation code of the five pillars' checklists, with a short title."""


def check_waf_codes(codes: object) -> tuple[str, ...]:
    """`codes` (a list of strings) as a tuple of known recommendation codes; raises ValueError naming a bad one."""
    if codes is None:
        return ()
    if isinstance(codes, str):
        codes = [codes]
    if not isinstance(codes, list):
        raise ValueError("`waf` must be a list of recommendation codes such as SE:05")
    checked: list[str] = []
    for code in codes:
        text = str(code).strip().upper()
        if text not in WAF_RECOMMENDATIONS:
            raise ValueError(f"`waf` code {code!r} is not a Well-Architected recommendation code "
                             "(RE:01-RE:10, SE:01-SE:12, CO:01-CO:14, OE:01-OE:12, PE:01-PE:12)")
        if text not in checked:
            checked.append(text)
    return tuple(checked)


__all__ = ["PILLAR_OF_PREFIX", "WAF_CODE", "WAF_RECOMMENDATIONS", "check_waf_codes"]
