"""Shared logic of the "sends logs to Log Analytics" rules (AIS005, MLW003)."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.declarative import Outcome, Truth, describe_unresolved, values_equal

INVENTORY_HAS_NO_DIAGNOSTICS = "Resource Graph exports carry no diagnostic settings"


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


def _logs_enabled(setting: Resource) -> Outcome:
    """Whether a diagnostic setting enables logs: a `logs` entry enabled, or one with a `categoryGroup`."""
    logs = lookup(setting.properties, "logs") if setting.properties is not MISSING else MISSING
    if isinstance(logs, Unresolved):
        return Outcome(Truth.UNKNOWN, f"its logs are unresolved ({describe_unresolved(logs)})")
    if not isinstance(logs, list) or not logs:
        return Outcome(Truth.FALSE, "it enables no logs")
    doubt: Unresolved | None = None
    for entry in logs:
        enabled = lookup(entry, "enabled")
        group = lookup(entry, "categoryGroup")
        if isinstance(entry, Unresolved) or isinstance(enabled, Unresolved):
            doubt = entry if isinstance(entry, Unresolved) else enabled
        elif values_equal(enabled, True) or (enabled in (MISSING, None) and isinstance(group, str) and group):
            return Outcome(Truth.TRUE, "logs enabled")
    if doubt is not None:
        return Outcome(Truth.UNKNOWN,
                       f"whether its logs are enabled is unresolved ({describe_unresolved(doubt)})")
    return Outcome(Truth.FALSE, "every log category is disabled")


def _sends_logs(setting: Resource, graph: ResourceGraph) -> Outcome:
    workspace = graph.log_analytics_of(setting)
    logs = _logs_enabled(setting)
    if workspace is None:
        return Outcome(Truth.FALSE, f"diagnostic setting {_name(setting)} names no Log Analytics workspace")
    if logs.truth is Truth.FALSE:
        return Outcome(Truth.FALSE, f"diagnostic setting {_name(setting)}: {logs.reason}")
    if isinstance(workspace, Unresolved):
        return Outcome(Truth.UNKNOWN, f"diagnostic setting {_name(setting)} sends to a workspace that can't "
                                      f"be resolved ({describe_unresolved(workspace)})")
    if logs.truth is Truth.UNKNOWN:
        return Outcome(Truth.UNKNOWN, f"diagnostic setting {_name(setting)}: {logs.reason}")
    target = workspace if isinstance(workspace, str) else _name(workspace)
    return Outcome(Truth.TRUE, f"diagnostic setting {_name(setting)} sends logs to Log Analytics ({target})")


def diagnostic_logs_verdict(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a diagnostic setting targets the resource and sends logs to a Log Analytics workspace.

    A resource from an inventory is unknown rather than failing, since Resource Graph exports carry no
    diagnostic settings; so is one where a setting, its target or its workspace can't be resolved.
    """
    outcomes = [_sends_logs(setting, graph) for setting in graph.diagnostic_settings_for(resource)]
    passing = [outcome for outcome in outcomes if outcome.truth is Truth.TRUE]
    if passing:
        return Status.PASS, passing[0].reason
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, INVENTORY_HAS_NO_DIAGNOSTICS
    doubts = [outcome.reason for outcome in outcomes if outcome.truth is Truth.UNKNOWN]
    unresolved = graph.unresolved_diagnostic_settings()
    if unresolved:
        doubts.append(f"diagnostic setting {_name(unresolved[0])} has a target that can't be resolved")
    if isinstance(resource.id, Unresolved) or isinstance(resource.name, Unresolved):
        unmatched = graph.unmatched_diagnostic_settings()
        if unmatched:
            doubts.append(f"its name can't be resolved and diagnostic setting {_name(unmatched[0])} targets "
                          "a resource that is not among the inputs")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    if outcomes:
        return Status.FAIL, "; ".join(outcome.reason for outcome in outcomes)
    return Status.FAIL, "no diagnostic setting targets it"
