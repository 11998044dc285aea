"""The command line as a user meets it: the bundled example, the rule catalog, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwell.cli.main import main
from aiwell.rules import load_registry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ai-chat"
INVENTORY = ROOT / "examples" / "inventory" / "resource-graph.json"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


def _statuses(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(rule id, resource name) → status; names are the full names (`account/deployment`)."""
    names = {r["id"]: r["name"] for r in report["resources"]}
    return {(r["rule_id"], names.get(r["resource_id"], r["resource_id"])): r["status"] for r in report["results"]}


def test_example_workload_shows_its_real_problems(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "review", str(EXAMPLE), "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert report["schema"] == "aiwell.report/1"
    (record,) = report["inputs"]
    assert record["status"] == "analysed" and record["parameters"].endswith("azuredeploy.parameters.json")
    statuses = _statuses(report)
    account = next(r["name"] for r in report["resources"] if r["type"] == "Microsoft.CognitiveServices/accounts")
    search = next(r["name"] for r in report["resources"] if r["type"] == "Microsoft.Search/searchServices")
    assert statuses[("AIS002", account)] == "fail"      # API keys still accepted
    assert statuses[("AIS004", account)] == "pass"      # the private endpoint targets it
    assert statuses[("AIS005", account)] == "pass"      # diagnostic setting to Log Analytics, via `scope`
    assert statuses[("SRC001", search)] == "fail"       # public network access enabled
    assert statuses[("SRC003", search)] == "fail"       # one replica: no query SLA
    assert statuses[("AID002", f"{account}/gpt-4o")] == "fail"
    assert statuses[("AID001", f"{account}/text-embedding-3-large")] == "pass"
    kv_results = [r for r in report["results"] if r["rule_id"] == "KVT001"]
    assert [r["status"] for r in kv_results] == ["fail"]  # purge protection is only set for prod
    assert report["scores"]["overall"] is not None


def test_example_in_terminal_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "review", str(EXAMPLE))
    assert code == 1
    assert "AIS002" in out and "security" in out.lower()


def test_inventory_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "review", str(INVENTORY), "--format", "json")
    report = json.loads(out)
    statuses = _statuses(report)
    assert statuses[("AIS004", "contoso-chat-oai")] == "pass"     # Approved privateEndpointConnections
    assert statuses[("AIS005", "contoso-chat-oai")] == "unknown"  # the export has no diagnostic settings
    assert statuses[("SRC005", "contoso-chat-srch")] == "pass"
    assert statuses[("STG002", "contosochatst01")] == "fail"
    assert code == 1


def test_fail_on_none_exits_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run(capsys, "review", str(EXAMPLE), "--fail-on", "none")
    assert code == 0


def test_report_written_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.json"
    _run(capsys, "review", str(EXAMPLE), "--format", "json", "--output", str(target))
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == "aiwell.report/1"


def test_rules_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "rules", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    ids = {r["id"] for r in listed}
    assert {"AIS001", "AID003", "MLC004", "SRC007", "COS003", "WKL001"} <= ids
    # The whole catalog, one object per rule with all its metadata.
    assert ids == {rule.id for rule in load_registry().rules} and len(listed) == len(ids)
    assert all({"id", "name", "pillars", "design_area", "severity", "resource_types", "maps_to", "waf", "doc",
                "references", "context"} <= set(r) for r in listed)


def test_rules_filters(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "rules", "--format", "json", "--service", "src", "--severity", "high")
    rules = json.loads(out)
    assert rules and all(r["id"].startswith("SRC") and r["severity"] == "high" for r in rules)


def test_rule_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "rules", "AIS002")
    assert code == 0
    for section in ("Why", "Example", "Use instead", "Bicep", "Terraform", "References"):
        assert section in out


def test_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "rules", "NOPE999")
    assert code == 2 and "unknown rule" in err


def test_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "review", str(EXAMPLE), "--format", "pdf")
    assert code == 2 and "Traceback" not in err


def test_internal_error_exits_three(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import aiwell.review

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(aiwell.review, "review", broken)
    code, _, err = _run(capsys, "review", str(EXAMPLE))
    assert code == 3
    assert "internal error" in err and "Traceback" not in err
    code, _, err = _run(capsys, "--debug", "review", str(EXAMPLE))
    assert code == 3 and "Traceback" in err


def test_nothing_to_review_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "package.json").write_text('{"name": "web", "version": "1.0.0"}', encoding="utf-8")
    code, _, err = _run(capsys, "review", str(tmp_path))
    assert code == 2
    assert "nothing to review" in err and "Traceback" not in err


def test_a_review_holds_back_full_collections_and_gives_the_thresholds_back(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import aiwell.review
    from aiwell.cli.main import REVIEW_GC_THRESHOLDS

    seen: list[tuple[int, ...]] = []
    reviewed = aiwell.review.review

    def recording_review(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        return reviewed(*args, **kwargs)

    monkeypatch.setattr(aiwell.review, "review", recording_review)
    before = gc.get_threshold()
    code, _, _ = _run(capsys, "review", str(EXAMPLE))
    assert code == 1
    assert seen == [REVIEW_GC_THRESHOLDS]
    assert gc.get_threshold() == before and gc.isenabled()


def test_the_aiwell_command_ends_with_its_review_its_output_flushed_and_its_exit_code_kept(tmp_path: Path) -> None:
    import subprocess
    import sys

    # Run as the command (no argv), the process ends inside main(): nothing after it runs.
    script = ("import sys\nfrom aiwell.cli.main import main\n"
              "sys.argv = ['aiwell', *sys.argv[1:]]\nmain()\nprint('not reached')\n")
    done = subprocess.run([sys.executable, "-c", script, "review", str(EXAMPLE), "--format", "json"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 1
    assert json.loads(done.stdout)["schema"] == "aiwell.report/1"
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-c", script, "review", str(EXAMPLE), "-o", f"json={report}"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 1 and "not reached" not in done.stdout
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["fail"] > 0


def test_a_config_file_named_by_config_applies_whole_as_when_it_is_found(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--config FILE` sets what a found `aiwell.toml` sets: the workload settings and pillar weights too, which
    were read from the current folder's file instead (none there: the defaults)."""
    settings = 'workload_purpose = "inference"\npillar_weights = {security = 1.0, "cost-optimization" = 0.2}\n'
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "team.toml").write_text(settings)
    (tmp_path / "found").mkdir()
    (tmp_path / "found" / "aiwell.toml").write_text(settings)

    def weights(folder: str, *extra: str) -> list[tuple[str, str, int]]:
        monkeypatch.chdir(tmp_path / folder)
        code, out, _ = _run(capsys, "review", str(EXAMPLE), "--format", "json", *extra)
        assert code == 1
        return [(r["rule_id"], r["resource_id"], r["weight"]) for r in json.loads(out)["results"]]

    named = weights("elsewhere", "--config", str(tmp_path / "elsewhere" / "team.toml"))
    assert named == weights("found") and named != weights("elsewhere")
