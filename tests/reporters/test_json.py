"""The JSON reporter: schema `aiwell.report/1`, golden output, unresolved values, ordering."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from msgspec.structs import force_setattr, replace

from aiwell.model import (
    DesignArea,
    InputRecord,
    InputStatus,
    Location,
    Pillar,
    QuestionAnswer,
    Resource,
    Result,
    RuleInfo,
    Severity,
    Source,
    SourceFormat,
    Status,
    Suppression,
    Unresolved,
)
from aiwell.report import Report, build_report
from aiwell.reporters import SCHEMA_PATH, render_json, report_document

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"


def _regen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGEN = _regen()
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
RULE = RuleInfo(id="AIS002", name="ai-services-local-auth-enabled",
                title="AI Services account accepts API keys", severity=Severity.HIGH,
                pillars=(Pillar.SECURITY,), design_area=DesignArea.APPLICATION_PLATFORM)
ACCOUNT = "Microsoft.CognitiveServices/accounts"


# A validator for the part of JSON Schema that report.schema.json uses, so the schema is checked on every
# run even where the jsonschema package is not installed.
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,), "number": (int, float),
    "boolean": (bool,), "null": (type(None),),
}


def _errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    if "$ref" in schema:
        return _errors(value, SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[-1]], where)
    problems: list[str] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        is_bool = isinstance(value, bool)
        if not any(isinstance(value, _TYPES[k]) and (k == "boolean" or not is_bool) for k in kinds):
            return [f"{where}: {value!r} is not {kinds}"]
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if "oneOf" in schema and sum(not _errors(value, sub, where) for sub in schema["oneOf"]) != 1:
        problems.append(f"{where}: {value!r} matches not exactly one of oneOf")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
        problems.append(f"{where}: {value} out of range")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{where}: fewer than {schema['minItems']} items")
        for index, item in enumerate(value):
            problems += _errors(item, schema.get("items", {}), f"{where}[{index}]")
    if isinstance(value, dict):
        problems += [f"{where}: missing {key}" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if "propertyNames" in schema:
                problems += _errors(key, schema["propertyNames"], f"{where} key {key}")
            sub = schema.get("properties", {}).get(key, schema.get("additionalProperties", {}))
            problems += _errors(item, sub, f"{where}.{key}")
    return problems


def _resource(name: str | Unresolved, rid: str | Unresolved, line: int = 3) -> Resource:
    source = Source(SourceFormat.ARM, "infra/main.json", line, line + 9, address="resources[0]")
    return Resource(type=ACCOUNT, name=name, id=rid, source=source)


def _result(resource_id: str, status: Status = Status.FAIL, **extra: Any) -> Result:
    return Result(rule=RULE, status=status, resource_id=resource_id, resource_type=ACCOUNT,
                  resource_name=resource_id.rsplit("/", 1)[-1],
                  message="properties.disableLocalAuth is false", location=Location("infra/main.json", 3),
                  **extra)


def test_json_matches_golden() -> None:
    expected = (GOLDEN / "report.json").read_text(encoding="utf-8")
    assert REGEN.render_goldens()["report.json"] == expected, "run scripts/regen_golden.py, review the diff"


def test_golden_report_satisfies_schema() -> None:
    document = json.loads((GOLDEN / "report.json").read_text(encoding="utf-8"))
    assert _errors(document, SCHEMA) == []


def test_schema_is_valid_and_accepts_the_report_with_jsonschema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(render_json(REGEN.sample_report())))


def test_hand_validator_catches_breaks() -> None:
    document = report_document(REGEN.sample_report())
    document["results"][0]["status"] = "not_applicable"
    del document["summary"]["by_severity"]["low"]
    document["scores"]["pillars"]["security"]["score"] = 120.0
    assert len(_errors(document, SCHEMA)) == 3


def test_report_shape_and_counts() -> None:
    document = json.loads(render_json(REGEN.sample_report()))
    assert document["schema"] == "aiwell.report/1"
    assert document["tool"] == {"name": "aiwell", "version": "0.0.0-golden"}
    statuses = [r["status"] for r in document["results"]]
    # not_applicable is counted, never listed.
    assert "not_applicable" not in statuses
    assert document["summary"]["not_applicable"] == 1
    assert document["summary"]["fail"] == statuses.count("fail") == 8
    assert document["summary"]["not_analysed"] == 2
    assert document["summary"]["by_severity"]["high"] == {"fail": 6, "unknown": 1}
    not_analysed, _ = [r for r in document["results"] if r["rule_id"] == "AIW000"]
    assert not_analysed == {
        "rule_id": "AIW000", "rule_name": "input-not-analysed", "title": "An input could not be analysed",
        "status": "fail", "severity": "high", "pillars": ["operational-excellence"],
        "design_area": "operations",
        "resource_id": "infra/broken.json", "resource_type": "", "resource_name": "infra/broken.json",
        "input": "infra/broken.json", "message": "invalid JSON: Expecting ',' delimiter (column 5)",
        "location": {"file": "infra/broken.json", "line": 12}, "suppression": None, "baselined": False,
        "fingerprint": not_analysed["fingerprint"],
        "priority": "High", "weight": 100, "waf_code": None, "waf_codes": [],
    }
    assert set(document["scores"]["pillars"]) == {p.value for p in Pillar}
    security = document["scores"]["pillars"]["security"]
    assert security == {"score": 45.0, "passed": 4, "failed": 4, "unknown": 2, "coverage": 80.0,
                        "decided_by_severity": {"high": 4, "medium": 4, "low": 0}, "thin": False,
                        "basis": "8 results (4 high, 4 medium)"}


def test_unresolved_values_are_written_as_text() -> None:
    id_expression = f"resourceId('{ACCOUNT}', parameters('name'))"
    resource = _resource(Unresolved("parameters('name')", "no value"), Unresolved(id_expression, "no value"))
    # Results are typed as text, but a value that slipped through unresolved must not crash the reporter.
    odd = _result("x")
    force_setattr(odd, "resource_name", Unresolved("parameters('name')", "no value"))
    document = json.loads(render_json(build_report([], [resource], [odd])))
    (written,) = document["resources"]
    assert written["name"] == "<unresolved: parameters('name')>"
    assert written["id"] == f"<unresolved: {id_expression}>"
    assert document["results"][0]["resource_name"] == "<unresolved: parameters('name')>"
    assert _errors(document, SCHEMA) == []


def test_suppressed_results_are_listed_marked_and_not_counted_as_failures() -> None:
    suppression = Suppression(reason="accepted until migration", owner="platform-team", expires="2027-01-31",
                              source="aiwell-suppressions.yaml:4")
    report = build_report([], [], [_result("/a", suppression=suppression), _result("/b")])
    document = report_document(report)
    assert [r["suppression"] for r in document["results"]] == [
        {"reason": "accepted until migration", "owner": "platform-team", "expires": "2027-01-31",
         "source": "aiwell-suppressions.yaml:4"},
        None,
    ]
    assert (document["summary"]["fail"], document["summary"]["suppressed"]) == (1, 1)
    assert document["scores"]["pillars"]["security"]["failed"] == 1
    assert _errors(document, SCHEMA) == []


def test_order_is_stable_whatever_the_input_order() -> None:
    inputs = [InputRecord(path=path, format="arm", status=InputStatus.ANALYSED, resources=1)
              for path in ("b.json", "a.json")]
    resources = [_resource("b", "/b", line=20), _resource("a", "/a", line=3)]
    results = [_result("/b"), _result("/a", Status.PASS), _result("/a")]
    forward = render_json(build_report(inputs, resources, results))
    backward = render_json(build_report(inputs[::-1], resources[::-1], results[::-1]))
    assert forward == backward
    document = json.loads(forward)
    assert [i["path"] for i in document["inputs"]] == ["a.json", "b.json"]
    assert [r["id"] for r in document["resources"]] == ["/a", "/b"]
    assert [(r["resource_id"], r["status"]) for r in document["results"]] == [("/a", "fail"), ("/a", "pass"),
                                                                             ("/b", "fail")]


def test_render_json_has_no_trailing_newline_and_keeps_unicode() -> None:
    text = render_json(build_report([], [_resource("café-oai", "/café")], []))
    assert not text.endswith("\n")
    assert "café-oai" in text


@pytest.mark.parametrize("case", ["full", "no results", "empty"])
def test_arrays_encoded_one_by_one_give_the_bytes_of_the_whole_document(case: str) -> None:
    import orjson

    from aiwell.reporters import render_json_bytes

    account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
    resources = [] if case == "empty" else [_resource("a", account), _resource("b\n\"resources\": []", "x", 9)]
    results = [_result(account), _result("x", Status.UNKNOWN)] if case == "full" else []
    report = build_report([], resources, results)
    whole = orjson.dumps(report_document(report), option=orjson.OPT_INDENT_2)
    assert render_json_bytes(report) == whole


def test_results_written_from_pieces_give_the_bytes_of_their_documents(hostile_report: Report) -> None:
    """Each result is put together from pieces encoded once per rule and per resource: suppressed, baselined,
    questionnaire and not-quite-Unicode results, and results that share a resource, give what their documents
    do when encoded whole."""
    from aiwell.reporters import render_json_bytes
    from aiwell.reporters.json import _dumps

    account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
    question = RuleInfo(id="Q-OPS-01", name="no-runbook", title="No runbook", severity=Severity.MEDIUM,
                        pillars=(Pillar.OPERATIONAL_EXCELLENCE,), design_area=DesignArea.OPERATIONS)
    other = RuleInfo(id="AIS009", name="ai-services-other", title="Other", severity=Severity.LOW,
                     pillars=(Pillar.SECURITY, Pillar.RELIABILITY), design_area=DesignArea.DATA_DESIGN,
                     waf=("SE:05", "RE:01"))
    shared = _result(account)
    results = [
        shared, replace(shared, rule=other, status=Status.PASS, message="ok"),
        _result("x", suppression=Suppression(reason="accepted", owner="team", expires="2027-01-31",
                                             source="aiwell.toml")),
        _result("y", baselined=True),
        replace(_result("z"), message="broken \ud800 text", location=None),
        Result(question, Status.FAIL, "", "", "", "no runbook", answer=QuestionAnswer(("no",), 0.0)),
    ]
    # One message object on resources configured alike (encoded once for the run), with text that is not quite
    # Unicode and an equal message of another object between them.
    said, broken = "".join(["properties.disableLocalAuth ", "is not set"]), "broken \udc00 too"
    results += [replace(_result(name), message=message) for name, message in
                (("p1", said), ("p2", said), ("p3", broken), ("p3b", broken), ("p4", said),
                 ("p5", "".join(["properties.disableLocalAuth ", "is not set"])), ("p6", said))]
    made = build_report([], [_resource("a", account), _resource("b", Unresolved("[x]", "unknown"))], results)
    for report in (made, REGEN.sample_report(governed=True), hostile_report):
        assert render_json_bytes(report) == _dumps(report_document(report))


def test_governance_fields_satisfy_the_schema(hostile_report: Report) -> None:
    import jsonschema

    for report in (REGEN.sample_report(governed=True), hostile_report):
        document = json.loads(render_json(report))
        jsonschema.Draft202012Validator(SCHEMA).validate(document)
    governed = json.loads(render_json(REGEN.sample_report(governed=True)))
    assert governed["rule_set"] == "2026.12" and governed["environment"] == "prod"
    assert governed["summary"]["baselined"] == 1
    assert [r["rule_id"] for r in governed["results"] if r["baselined"]] == ["STG003"]
    assert governed["top_actions"][0]["rule_id"] == "AIS001" and governed["top_actions"][0]["gain"] > 0
    assert len({r["fingerprint"] for r in governed["results"]}) == len(governed["results"])
