"""What `aiwell review` and `aiwell baseline write` share: their options, the configuration cascade under them
(aiwell.config), and running the review with its governance (rule selection, suppressions, baseline); and the
options of the Well-Architected review proper (`well_architected_options`: questionnaire answers and evidence,
the workload's purpose, a team's own rules, how many top actions to show)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from msgspec import Struct, field

from aiwell.errors import UsageError
from aiwell.model import Pillar, Severity

F = TypeVar("F", bound=Callable[..., Any])


def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function
    return apply


review_options = _options(
    click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path)),
    click.option("--stdin-name", metavar="NAME",
                 help="With the path '-': the file name standard input is reviewed as (main.bicep, main.tf; "
                      "default stdin.json for JSON)."),
    click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                 help="Configuration file (default: the nearest aiwell.toml or pyproject.toml with [tool.aiwell]; "
                      "`aiwell config` shows what applies)."),
    click.option("-p", "--parameters", "parameter_files", multiple=True, type=click.Path(path_type=Path),
                 help="ARM parameter file to deploy the templates with (repeatable). Files beside a template named "
                      "X.parameters.json or X.parameters.<env>.json are paired automatically."),
    click.option("--var-file", "var_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
                 help="Terraform variable file for every root module (repeatable), after terraform.tfvars and "
                      "*.auto.tfvars."),
    click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
                 help="Terraform variable value (repeatable), as terraform's -var."),
    click.option("--bicep-cli", is_flag=True, default=None,
                 help="Compile Bicep with the `bicep` CLI on PATH instead of aiwell's own Bicep reader."),
    click.option("--subprocess-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                 help="Longest time one external command may run (`bicep build` with --bicep-cli), default 300; an "
                      "input whose command runs longer is reported as not analysed."),
    click.option("--rule", "rule_ids", multiple=True, metavar="ID",
                 help="Run only these rules (id or name; repeatable); the same as --select."),
    click.option("--select", "select", multiple=True, metavar="SELECTOR",
                 help="Run only the rules matching these (repeatable, comma-separated): ids, names, globs (AIS*), "
                      "pillars, design areas or severities."),
    click.option("--ignore", "ignore", multiple=True, metavar="SELECTOR",
                 help="Don't run the rules matching these (same selectors as --select)."),
    click.option("--severity", "severity", multiple=True, metavar="RULE=LEVEL",
                 help="Override a rule's severity (repeatable): --severity AIS002=low."),
    click.option("--rule-set", "rule_set", metavar="VERSION",
                 help="Run the rules of this rule set only (2026.12), so new rules don't fail the build until you "
                      "move the pin (default: latest)."),
    click.option("--skip-path", "skip_paths", multiple=True, metavar="GLOB",
                 help="Don't read the files and folders matching this glob (repeatable): bin, **/bin/**, "
                      "infra/legacy."),
    click.option("--pillar", "pillars", multiple=True, type=click.Choice([p.value for p in Pillar]),
                 help="Review only these pillars (repeatable): their rules, sections and scores."),
    click.option("--environment", metavar="NAME", help="The environment under review (dev, prod, ...)."),
    click.option("--azd-env", "azd_env", metavar="NAME",
                 help="Review as azd deploys to this environment: its values (.azure/NAME/.env of the project "
                      "holding azure.yaml) fill the parameter files' ${VAR} placeholders and "
                      "readEnvironmentVariable()."),
    click.option("--suppressions", "suppressions", type=click.Path(path_type=Path, dir_okay=False),
                 help="Suppressions file (default: .aiwell/suppressions.yaml at the root of the repository)."),
    click.option("--no-suppressions", is_flag=True,
                 help="Apply no suppression (file, inline comments or ARM metadata): show everything as it is."),
    click.option("--param", "param_values", multiple=True, metavar="NAME=VALUE",
                 help="A value for a template or Bicep parameter that neither a parameter file nor a default sets "
                      "(repeatable); JSON values (2, true, [\"a\"]) are read as JSON."),
    click.option("--subscription-id", help="Subscription id used for resource ids (default: a placeholder)."),
    click.option("--resource-group", help="Resource group name used for resource ids (default: a placeholder)."),
    click.option("--location", help="Value of resourceGroup().location (default: a placeholder region)."),
)
"""The options every command that runs a review takes."""


def _split(values: Iterable[str]) -> list[str]:
    """Repeatable, comma-separated option values as one list."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _json_or_text(text: str) -> Any:
    """A `--param` value: JSON when it is JSON (`2`, `true`, `["a"]`), else the text itself."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _pairs(values: Iterable[str], option: str) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for assignment in values:
        name, equals, value = assignment.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"{option} {assignment!r}: expected NAME=VALUE")
        parsed[name.strip()] = value
    return parsed


class Plan(Struct):
    """A review ready to run: the configuration with flags on top, the rules, and the governance inputs."""

    paths: list[Path]
    config: Any
    """The effective `aiwell.config.Config`."""
    parameter_files: list[Path]
    rules: list[Any]
    warnings: list[str]
    suppress: bool
    suppression_entries: list[Any]
    suppressions_file: Path | None
    baseline: Any = None
    """An `aiwell.baseline.Baseline`, when one was given."""
    options: dict[str, Any] = field(default_factory=dict)
    """The other keyword arguments of `aiwell.review.review`."""
    stdin: Any = None
    """The temporary folder holding standard input (`aiwell review -`), reviewed from inside it, so that reports
    name the input by its `--stdin-name` alone."""

    @property
    def fail_on(self) -> Severity | None:
        """The severity that fails the run, or None (`--fail-on none`)."""
        value = str(self.config["fail_on"])
        return None if value == "none" else Severity(value)


def plan_review(flags: Mapping[str, Any], *, extra_flags: Mapping[str, tuple[str, Any]] | None = None) -> Plan:
    """Resolve the options of a review command against the configuration cascade; check every path and file.

    `flags` are the click parameters of `review_options`; `extra_flags` maps further configuration keys to their
    (flag, value) (`--fail-on`, `--baseline`, `-o`, `--history`).
    """
    from aiwell.config import load_config
    from aiwell.loaders.files import containment_root
    from aiwell.rules import Registry, load_registry
    from aiwell.rules.custom import load_custom_rules
    from aiwell.rules.selection import select_rules
    from aiwell.suppressions import find_suppressions_file, load_suppressions_file

    paths = list(flags["paths"])
    workdir = None
    if Path("-") in paths:
        workdir, name = _read_stdin(paths, flags.get("stdin_name"))
        paths = [Path(name)]
    elif flags.get("stdin_name"):
        raise UsageError("--stdin-name names standard input, which is read only with the path '-'")
    for path in (*([] if workdir else paths), *flags["parameter_files"], *flags["var_files"]):
        if not path.exists():
            raise UsageError(f"no such file or directory: {path}")
    config = load_config(file=flags.get("config_file")).with_flags({
        "rule_set": ("--rule-set", flags.get("rule_set")),
        "select": ("--select", _split((*flags.get("select", ()), *flags.get("rule_ids", ()))) or None),
        "ignore": ("--ignore", _split(flags.get("ignore", ())) or None),
        "severity": ("--severity", _pairs(flags.get("severity", ()), "--severity") or None),
        "pillars": ("--pillar", list(flags.get("pillars", ())) or None),
        "skip_paths": ("--skip-path", list(flags.get("skip_paths", ())) or None),
        "environment": ("--environment", flags.get("environment")),
        "azd_env": ("--azd-env", flags.get("azd_env")),
        "parameters": ("--param", {name: _json_or_text(value) for name, value in
                                   _pairs(flags.get("param_values", ()), "--param").items()} or None),
        "suppressions": ("--suppressions", flags.get("suppressions")),
        "subscription_id": ("--subscription-id", flags.get("subscription_id")),
        "resource_group": ("--resource-group", flags.get("resource_group")),
        "location": ("--location", flags.get("location")),
        "bicep_cli": ("--bicep-cli", flags.get("bicep_cli")),
        "subprocess_timeout": ("--subprocess-timeout", flags.get("subprocess_timeout")),
        "var_files": ("--var-file", list(flags.get("var_files", ())) or None),
        "variables": ("--var", _pairs(flags.get("variables", ()), "--var") or None),
        **(extra_flags or {}),
    })
    where = {key: config.source(key) for key in ("select", "ignore", "severity")}
    registry = load_registry()
    folders = list(flags.get("rules_dirs", ())) or list(config["rules_dir"])
    custom = load_custom_rules(folders, built_in=registry.rules) if folders else []
    if custom:
        registry = Registry((*registry.rules, *custom))
    selection = select_rules(registry, rule_set=config["rule_set"], select=config["select"],
                             ignore=config["ignore"], severity=config["severity"], where=where,
                             unpinned=[rule.id for rule in custom])
    suppress = not flags.get("no_suppressions")
    suppressions_file: Path | None = config["suppressions"]
    if suppressions_file is None and suppress:
        suppressions_file = find_suppressions_file(containment_root(Path() if workdir else paths[0]))
        if suppressions_file is not None:
            suppressions_file = shown_path(suppressions_file)
    entries = load_suppressions_file(suppressions_file) if suppress and suppressions_file is not None else []
    context: dict[str, Any] = {key: config[key] for key in ("subscription_id", "resource_group", "location")
                               if config[key]}
    if config["parameters"]:
        context["parameter_values"] = dict(config["parameters"])
    if config["azd_env"]:
        from aiwell.loaders.azd import load_environment

        context["azd_values"] = load_environment(str(config["azd_env"]), Path() if workdir else paths[0])
    from aiwell.loaders.arm.scope import DeploymentContext

    baseline = None
    if config["baseline"] is not None:
        from aiwell.baseline import load_baseline

        baseline = load_baseline(config["baseline"])
    options = {
        "context": DeploymentContext(**context),
        "var_files": list(config["var_files"]),
        "variables": dict(config["variables"]),
        "use_bicep_cli": bool(config["bicep_cli"]),
        **({"subprocess_timeout": config["subprocess_timeout"]} if config["subprocess_timeout"] else {}),
        "skip_paths": list(config["skip_paths"]),
        "pillars": [Pillar(pillar) for pillar in config["pillars"]] or None,
        "rule_set": config["rule_set"],
        "environment": config["environment"],
    }
    return Plan(paths=paths, config=config, parameter_files=list(flags["parameter_files"]),
                rules=list(selection.rules), warnings=list(selection.warnings), suppress=suppress,
                suppression_entries=entries, suppressions_file=suppressions_file, baseline=baseline,
                options=options, stdin=workdir)


def _read_stdin(paths: list[Path], name: str | None) -> tuple[Any, str]:
    """Standard input saved as one file in a temporary folder, under `name` (or `stdin.json` for JSON)."""
    import sys
    import tempfile

    from aiwell.loaders.files import MAX_FILE_BYTES

    if len(paths) != 1:
        raise UsageError("'-' (standard input) must be the only path", hint="review one input from standard input, "
                                                                            "or name files and folders")
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"standard input holds more than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise UsageError("standard input is empty: nothing to review")
    if name is None:
        if data.lstrip()[:1] not in (b"{", b"["):
            raise UsageError("standard input is not JSON: say what it is with --stdin-name",
                             hint="--stdin-name main.bicep, --stdin-name main.tf or --stdin-name main.bicepparam")
        name = "stdin.json"
    if Path(name).name != name or name in (".", ".."):
        raise UsageError(f"--stdin-name {name!r}: a file name, without folders")
    folder = tempfile.TemporaryDirectory(prefix="aiwell-stdin-")
    (Path(folder.name) / name).write_bytes(data)
    return folder, name


def run_review(plan: Plan) -> Any:
    """Run the planned review, with a progress bar on standard error when it is a terminal; returns the
    `Report`. A review that found nothing to read is a usage error."""
    arguments: dict[str, Any] = {**plan.options, "parameter_files": plan.parameter_files, "rules": plan.rules,
                                 "suppress": plan.suppress, "suppressions": plan.suppression_entries,
                                 "baseline": plan.baseline, "warnings": plan.warnings}
    with contextlib.ExitStack() as stack:
        if plan.stdin is not None:
            stack.enter_context(plan.stdin)
            stack.enter_context(contextlib.chdir(plan.stdin.name))
        report = _reviewed(plan.paths, arguments)
    from aiwell.model.sizing import SIZING_PLAN_FORMAT

    if not [record for record in report.inputs if record.format != SIZING_PLAN_FORMAT]:
        raise UsageError(
            "nothing to review: found no ARM templates, Bicep files, Terraform modules or plans, or inventory "
            "exports in " + ", ".join(str(p) for p in plan.paths),
            hint="aiwell reads ARM JSON templates, Bicep, Terraform (.tf and `terraform show -json` plans) and "
                 "Azure inventory exports (az graph query / az resource list -o json).",
        )
    if report.warnings:
        from aiwell.cli.runner import stderr_console

        err = stderr_console()
        for warning in report.warnings:
            err.print(f"[yellow]warning:[/] {escape_markup(warning)}", soft_wrap=True)
    return report


def _reviewed(paths: list[Path], arguments: dict[str, Any]) -> Any:
    from aiwell.cli.runner import stderr_console, stderr_is_terminal
    from aiwell.review import review

    if not stderr_is_terminal():
        return review(paths, **arguments)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # A bar on standard error (never on a pipe): the report on standard output stays clean.
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr_console(), transient=True) as progress:
        tasks = [progress.add_task("Reviewing", total=None)]

        def next_stage(stage: str) -> None:
            progress.remove_task(tasks.pop())
            tasks.append(progress.add_task(stage, total=None))

        return review(paths, **arguments, on_stage=next_stage,
                      on_progress=lambda done, total: progress.update(tasks[-1], completed=done, total=total))


def shown_path(path: Path) -> Path:
    """A path as reports show it: relative to the working directory when it lies inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return path


def escape_markup(text: str) -> str:
    """Text from the input for a rich console message: markup brackets escaped, control characters shown."""
    from rich.markup import escape

    from aiwell.reporters._text import one_line

    return escape(one_line(text))


def input_paths(report: Any) -> list[Path]:
    """Every file the review read (templates, parameter files, modules), so no report overwrites one."""
    return [Path(name) for record in report.inputs for name in (record.path, record.parameters, *record.files)
            if name]


def well_architected_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options of the Well-Architected review proper (questionnaire answers and evidence, the workload's
    purpose, a team's own rules, top actions) to a click command; they arrive as keyword arguments, see
    `review_keywords`. The environment is `review_options`' `--environment`."""
    options = [
        click.option("--answers", "answers_path", type=click.Path(path_type=Path, dir_okay=False),
                     help="Questionnaire answers to merge into the review (`aiwell questionnaire init FILE`); "
                          "every question becomes a result, unanswered ones unknown."),
        click.option("--evidence", "evidence_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
                     help="An aiwell eval, size or data JSON report that pre-fills questionnaire answers "
                          "(repeatable); implies the questionnaire."),
        click.option("--workload-purpose", "workload_purpose", metavar="PURPOSE",
                     help="What the workload is for when no tag says it (serving, training, batch-scoring, "
                          "exploration)."),
        click.option("--allow-unanswered", is_flag=True,
                     help="Gate on findings alone: questions left unanswered (with --answers or --evidence) don't "
                          "make the review exit 1."),
        click.option("--rules-dir", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                     help="A folder of your own YAML rules to run with the catalog (repeatable; default: `rules_dir` "
                          "in [tool.aiwell])."),
        click.option("--top", "top_actions", type=click.IntRange(min=0), default=None, metavar="N",
                     help="How many top actions to rank and show first (default 5; 0: none)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _evidence(paths: Sequence[Path]) -> list[Any]:
    if not paths:
        return []
    from aiwell.questionnaire.evidence import load_evidence

    return [load_evidence(path) for path in paths]


def review_keywords(*, answers_path: Path | None, evidence_files: Sequence[Path], environment: str | None,
                    workload_purpose: str | None, rules_dirs: Sequence[Path], top_actions: int | None,
                    rule_ids: Sequence[str], config: Any = None) -> dict[str, Any]:
    """The keyword arguments of `aiwell.review.review` these options stand for, with the settings of `config`
    (the `aiwell.config.Config` the command read, `Plan.config`; None: the file found from the current folder).
    `rule_ids` (from `--rule`, ids or names) are looked up among aiwell's rules and the custom ones; without them
    the whole catalog runs, the custom rules with it (`rules` None: the catalog alone). `custom_rules` are the
    team's own rules alone, for a caller that selects the catalog's rules itself."""
    from aiwell.cli.settings import review_settings, workload_context
    from aiwell.errors import UsageError
    from aiwell.model.context import ENVIRONMENT, WORKLOAD_PURPOSE
    from aiwell.rules import Registry, load_registry
    from aiwell.rules.custom import load_custom_rules

    for path in (*(p for p in (answers_path,) if p is not None), *evidence_files):
        if not path.exists():
            raise UsageError(f"no such file: {path}")
    settings = review_settings(flags={ENVIRONMENT: environment, WORKLOAD_PURPOSE: workload_purpose},
                               rules_dirs=rules_dirs, config=config)
    answers = None
    if answers_path is not None:  # the questionnaire is loaded only when it is used
        from aiwell.questionnaire import load_questions
        from aiwell.questionnaire.answers import load_answers

        answers = load_answers(answers_path, load_questions())
    registry = load_registry()
    custom = load_custom_rules(settings.rules_dirs, built_in=registry.rules)
    catalog = Registry((*registry.rules, *custom)) if custom else registry
    rules: list[Any] | None = list(catalog.runnable) if custom else None
    if rule_ids:
        rules = []
        for wanted in rule_ids:
            found = catalog.get(wanted)
            if found is None:
                raise UsageError(f"unknown rule: {wanted}", hint="`aiwell rules` lists the catalog (with "
                                 "--rules-dir, your own rules too).")
            rules.append(found)
    return {
        "workload_context": workload_context(settings, answers.context if answers is not None else None),
        "answers": answers,
        "evidence": _evidence(evidence_files),
        "actions": top_actions,
        "pillar_weights": settings.pillar_weights,
        "rules": rules,
        "custom_rules": list(custom),
    }


__all__ = ["Plan", "escape_markup", "input_paths", "plan_review", "review_keywords", "review_options", "run_review",
           "shown_path", "well_architected_options"]
