"""The terminal's layout: a `file:line` is never wrapped (a long path loses the middle of its folders, never its
line number), and a rule failing on many resources is one entry with the count unless --verbose."""

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


def _many(count: int, status: Status = Status.FAIL) -> list[Result]:
    return [Result(rule=RULE, status=status, resource_id=f"/subscriptions/x/accounts/oai-{n:03d}",
                   resource_type="Microsoft.CognitiveServices/accounts", resource_name=f"oai-{n:03d}",
                   message=f"reason {n % 2}", location=Location("export.json", n + 1), input="export.json")
            for n in range(count)]


def _render(results: list[Result], *, verbose: bool = False) -> str:
    report = build_report([InputRecord(path="export.json", format="inventory", status=InputStatus.ANALYSED,
                                       resources=len(results))], [], results)
    buffer = StringIO()
    render_terminal(report, Console(file=buffer, width=100, color_system=None), verbose=verbose)
    return buffer.getvalue()


def test_a_rule_failing_on_many_resources_is_one_entry() -> None:
    whole = _render(_many(2857))
    assert "2,857 resources: oai-000, oai-001, oai-002, oai-003, oai-004 and 2,852 more" in whole  # top actions
    text = whole[whole.index(" Security ·"):]
    assert text.count("AIS002") == 1
    assert "on 2,857 resources: oai-000, oai-001, oai-002 and 2,854 more (--verbose lists them)" in " ".join(
        text.split())
    assert text.count("oai-") == 3
    verbose = _render(_many(2857), verbose=True)
    assert verbose.count("fail    high   AIS002") == 2857
    # A few stay listed one by one.
    assert _render(_many(10)).count("fail    high   AIS002") == 10


def test_aggregated_unknowns_say_why() -> None:
    text = _render(_many(40, Status.UNKNOWN))
    flat = " ".join(text.split())
    assert "on 40 resources" in flat and "reason 0 (and 1 other reasons)" in flat
