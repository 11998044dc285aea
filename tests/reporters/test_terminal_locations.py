"""The terminal never wraps a `file:line`: a long path loses the middle of its folders, never its line number."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from aiwell.model import DesignArea, InputRecord, InputStatus, Location, Pillar, Result, RuleInfo, Severity, Status
from aiwell.report import build_report
from aiwell.reporters import render_terminal
from aiwell.reporters.terminal import fit_location

RULE = RuleInfo(id="AIS002", name="ai-services-local-auth-enabled", title="AI Services account accepts API keys",
                severity=Severity.HIGH, pillars=(Pillar.SECURITY,), design_area=DesignArea.APPLICATION_PLATFORM)
DEEP = "infra/landing-zones/corp/online/workloads/chat-assistant/modules/cognitive-services/accounts/main.bicep"


def test_fit_location_keeps_the_line_and_the_file_name() -> None:
    where = f"{DEEP}:1234"
    for width in (24, 40, 60):
        fitted = fit_location(where, width)
        assert len(fitted) <= width and fitted.endswith("main.bicep:1234") and "…" in fitted
    assert fit_location("main.bicep:12", 40) == "main.bicep:12"
    assert fit_location("路径/" * 30 + "main.bicep:7", 30).endswith(":7")


def test_long_locations_are_shortened_not_wrapped() -> None:
    result = Result(rule=RULE, status=Status.FAIL, resource_id="/subscriptions/x/accounts/chat-oai",
                    resource_type="Microsoft.CognitiveServices/accounts", resource_name="chat-oai",
                    message="properties.disableLocalAuth is false", location=Location(DEEP, 1234), input=DEEP)
    report = build_report([InputRecord(path=DEEP, format="bicep", status=InputStatus.ANALYSED, resources=1)], [],
                          [result])
    buffer = StringIO()
    render_terminal(report, Console(file=buffer, width=80, color_system=None))
    lines = buffer.getvalue().splitlines()
    (location,) = [line for line in lines if ":1234" in line]
    assert location.strip().endswith("main.bicep:1234") and "…" in location
    assert all(len(line) <= 80 for line in lines)
