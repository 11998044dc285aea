"""The review pipeline: inputs → loaders → resource model → graph → rules (and questionnaire answers) →
suppressions and baseline → report."""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiwell.baseline import Baseline, apply_baseline, inventory_inputs
from aiwell.collector import collector_held
from aiwell.graph import ResourceGraph
from aiwell.loaders import load_inputs
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.model import Pillar, Resource, Result, SourceFormat
from aiwell.model.context import ReviewContext
from aiwell.model.sizing import SizingPlan
from aiwell.priorities import Remedy
from aiwell.report import QuestionnaireSummary, Report, build_report
from aiwell.rules import Rule, load_registry, run_rules
from aiwell.rules.checks._sizing import plan_records
from aiwell.suppressions import Entry, apply_suppressions, declared_suppressions
from aiwell.workload import detect_archetypes

if TYPE_CHECKING:
    # The questionnaire is loaded only for a review that merges answers or evidence.
    from aiwell.questionnaire import QuestionCatalog
    from aiwell.questionnaire.answers import AnswerSet
    from aiwell.questionnaire.evidence import EvidenceReport


def remedies(rules: Sequence[Rule], catalog: QuestionCatalog | None) -> dict[str, Remedy]:
    """Each rule's fix (its `use_instead` snippets) and each question's (its guidance), by id."""
    found = {rule.id: Remedy(dict(rule.doc.use_instead), rule.doc.what) for rule in rules}
    if catalog is not None:
        found.update({question.id: Remedy({}, question.guidance) for question in catalog.questions})
    return found


def _questionnaire(resources: Sequence[Resource], answers: AnswerSet | None, evidence: Sequence[EvidenceReport],
                   catalog: QuestionCatalog) -> tuple[list[Result], QuestionnaireSummary]:
    from aiwell.questionnaire.evidence import infer_answers
    from aiwell.questionnaire.results import merge_answers, questionnaire_results

    inferred = infer_answers(catalog, resources=resources, reports=evidence)
    given = dict(answers.answers) if answers is not None else {}
    merged = merge_answers(given, inferred)
    results = questionnaire_results(catalog, merged, answers_file=answers.path if answers is not None else None)
    chosen = [merged.get(question.id) for question in catalog.questions]
    summary = QuestionnaireSummary(
        answers_file=answers.path if answers is not None else None,
        questions=len(catalog.questions),
        answered=sum(1 for a in chosen if a is not None and a.answered and a.inferred is None),
        inferred=sum(1 for a in chosen if a is not None and a.answered and a.inferred is not None),
        not_applicable=sum(1 for a in chosen if a is not None and a.choices == ("not-applicable",)),
        unanswered=sum(1 for a in chosen if a is None or not a.answered),
        evidence=tuple(report.path for report in evidence),
    )
    return results, summary


_EVALUATED_FORMATS = frozenset({SourceFormat.ARM.value, SourceFormat.BICEP.value, SourceFormat.TERRAFORM.value})
"""The formats whose inputs are evaluated as programs (expressions, modules, loops), not read as data."""


def review(
    paths: Sequence[Path],
    *,
    parameter_files: Sequence[Path] = (),
    context: DeploymentContext | None = None,
    rules: Sequence[Rule] | None = None,
    var_files: Sequence[Path] = (),
    variables: Mapping[str, str] | None = None,
    use_bicep_cli: bool = False,
    subprocess_timeout: float | None = None,
    skip_paths: Sequence[str] = (),
    pillars: Sequence[Pillar] | None = None,
    suppress: bool = True,
    suppressions: Sequence[Entry] = (),
    baseline: Baseline | None = None,
    rule_set: str = "latest",
    environment: str | None = None,
    warnings: Sequence[str] = (),
    workload_context: ReviewContext | None = None,
    answers: AnswerSet | None = None,
    evidence: Sequence[EvidenceReport] = (),
    actions: int | None = None,
    pillar_weights: Mapping[Pillar, float] | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    sizing: SizingPlan | None = None,
) -> Report:
    """Review the given files and directories and return the report.

    `rules` defaults to the whole catalog. `var_files` and `variables` are Terraform's `-var-file` and
    `-var`; `use_bicep_cli` builds Bicep with the `bicep` CLI, each build limited to `subprocess_timeout`
    seconds (None: the default of `--subprocess-timeout`). `pillars` limits the review to those pillars: only
    their rules (and questions) run, and the report shows only their sections and scores. `workload_context` is
    what the review was told about the workload (environment, purpose). With `answers` (an answers file) or
    `evidence` (eval, size and data reports), every question of the questionnaire becomes a result too:
    answered, inferred from evidence or the reviewed resources, or unknown. `actions` is how many top actions to
    rank, `pillar_weights` how much each pillar weighs in their order and in each result's weight. `on_stage`
    is told when each stage starts and `on_progress` (done, total) as the inputs of a stage are read and
    evaluated. `sizing` is the plan the SIZ rules compare the deployed capacity with; the plan is an input of the
    report, and each of its targets that no reviewed resource matches is an input not analysed.
    """
    announce = on_stage or (lambda _stage: None)
    announce("Reading inputs")
    outcome = load_inputs(paths, parameter_files=parameter_files, context=context, var_files=var_files,
                          variables=variables, use_bicep_cli=use_bicep_cli,
                          subprocess_timeout=subprocess_timeout, progress=on_progress, skip_paths=skip_paths)
    # Evaluating a template leaves cycles (its expansion state refers to itself), garbage once its resources are
    # out. Collected now: `collector_held` would keep them to the end of the run with everything else that exists
    # when it starts (52 MB more at the peak of the benchmark corpus's review). Inventories and plans leave none,
    # and collecting would only walk what they loaded.
    if any(record.format in _EVALUATED_FORMATS for record in outcome.inputs):
        gc.collect(1)
    with collector_held():
        announce("Building the resource graph")
        graph = ResourceGraph(outcome.resources, context=workload_context, sizing=sizing)
        registry = load_registry()
        selected = list(rules) if rules is not None else list(registry.runnable)
        if pillars:
            selected = [rule for rule in selected if any(pillar in pillars for pillar in rule.info.pillars)]
        announce("Running rules")
        results = run_rules(outcome.resources, graph, selected)
        catalog = None
        summary = None
        if answers is not None or evidence:
            from aiwell.questionnaire import QuestionCatalog, load_questions

            catalog = load_questions()
            if pillars:
                catalog = QuestionCatalog(tuple(question for question in catalog.questions
                                                if any(pillar in pillars for pillar in question.pillars)))
            answered, summary = _questionnaire(outcome.resources, answers, evidence, catalog)
            results.extend(answered)
        notes = list(warnings)
        if suppress:
            aliases = {rule.id: rule.aliases for rule in selected if rule.aliases}
            results, found = apply_suppressions(results, outcome.resources, file_entries=suppressions,
                                                declared=declared_suppressions(outcome.resources), aliases=aliases)
            notes += found
        if baseline is not None:
            results, found = apply_baseline(results, baseline, inventories=inventory_inputs(outcome.inputs))
            notes += found
        documented = [*selected, *(rule for rule in registry.rules if rule.kind == "reserved")]
        inputs = [*outcome.inputs, *(plan_records(sizing, outcome.resources) if sizing is not None else ())]
        return build_report(inputs, outcome.resources, results, pillars=pillars, rules=documented,
                            warnings=notes, rule_set=rule_set, environment=environment,
                            workload=detect_archetypes(outcome.resources), remedies=remedies(selected, catalog),
                            questionnaire=summary, actions=actions, pillar_weights=pillar_weights)


__all__ = ["remedies", "review"]
