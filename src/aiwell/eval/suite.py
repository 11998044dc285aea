"""Suites: the cases an eval runs, the target it calls and how often.

A suite is a YAML file:

    name: arithmetic
    target: {type: python, function: "mypkg.bot:answer"}
    repeats: 10
    prompt: "Q: {{ question }}"          # optional template, rendered per case with its vars
    defaults: {vars: {...}, assert: [...], tags: [...], expected: ..., cluster: ...}
    cases:                                # inline, or a file: `cases: cases.jsonl` / `.csv`, or a mix in a list
      - id: add-1
        input: "What is 2 + 2?"
        assert: [{type: contains, value: "4"}]

`load_suite(path)` reads it, merges the defaults into every case (vars: the case wins; assert and tags: the
defaults come first; expected, cluster, prompt: the case wins), renders prompt templates, checks every assertion
and reports mistakes as `SuiteError` with the file and line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aiwell.errors import ConfigError, UserError
from aiwell.eval._common import check_signature, import_callable, render_value
from aiwell.eval.scorers import get_scorer
from aiwell.eval.specs import AssertionSpec, Case, TargetSpec, as_name, check_assertion_for_case, scorer_specs, tag_list
from aiwell.eval.targets import PYTHON_TARGET_KEYWORDS, Target, build_target


class SuiteError(ConfigError):
    """A suite file (or a cases file it names) that can't be used; the message starts with `file:line:`."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        where = f"{file}:{line}: " if file is not None and line is not None else (f"{file}: " if file else "")
        super().__init__(where + message, hint=hint)
        self.file = file
        self.line = line


class CaseDefaults(BaseModel):
    """Values merged into every case of the suite."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    vars: dict[str, Any] = Field(default_factory=dict)
    expected: Any = None
    assert_: list[AssertionSpec] = Field(default_factory=list, alias="assert")
    tags: list[str] = Field(default_factory=list)
    cluster: str | None = None
    prompt: str | list[dict[str, Any]] | None = None

    _cluster_text = field_validator("cluster", mode="before")(as_name)
    _tag_list = field_validator("tags", mode="before")(tag_list)


class Suite(BaseModel):
    """A loaded suite: cases with their defaults already merged and prompts rendered.

    `repeats` samples per case; `concurrency`, `timeout_s` (per call), `rpm` / `tpm` limits are the runner's
    defaults; `judge` is the target llm-judge assertions use; `path` is the file it was loaded from (targets and
    scorers import from its folder, `base_dir`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str | None = None
    target: TargetSpec
    judge: TargetSpec | None = None
    repeats: int = Field(default=1, ge=1)
    concurrency: int = Field(default=8, ge=1)
    timeout_s: float = Field(default=60.0, gt=0)
    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    prompt: str | list[dict[str, Any]] | None = None
    defaults: CaseDefaults = Field(default_factory=CaseDefaults)
    cases: list[Case]
    path: Path | None = None

    @property
    def base_dir(self) -> Path | None:
        """The suite file's folder: python targets and scorers are imported from here first; commands run here."""
        return self.path.parent if self.path is not None else None

    def build_target(self, *, client: httpx.AsyncClient | None = None) -> Target:
        """The Target for this suite's `target` (see `targets.build_target`)."""
        return build_target(self.target, self.base_dir, client=client)

    def build_judge(self, *, client: httpx.AsyncClient | None = None) -> Target | None:
        """The Target for the suite's `judge`, to pass to `score_sample(..., judge=)`; None without one."""
        return build_target(self.judge, self.base_dir, client=client) if self.judge is not None else None

    def assertions(self) -> list[AssertionSpec]:
        """Every assertion of every case, in order (defaults included, repeated per case)."""
        return [spec for case in self.cases for spec in case.assert_]

    def scorer_specs(self) -> list[dict[str, Any]]:
        """Distinct `{name, args}` of the suite's assertions: the run log header's `scorers`."""
        return scorer_specs(self.assertions())

    def repeats_for(self, case: Case) -> int:
        """Samples to draw of `case`: its own `repeats`, else the suite's."""
        return case.repeats if case.repeats is not None else self.repeats

    def plan(self) -> dict[str, int]:
        """Case id -> samples to draw, in suite order: what the run log's header records as the run's plan."""
        return {case.id: self.repeats_for(case) for case in self.cases}

    def case(self, case_id: str) -> Case:
        """The case with this id (KeyError if there is none)."""
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)


# --- YAML with line numbers ------------------------------------------------------------------------------------


class _Where:
    """Where each mapping came from, keyed by the object's id (the objects live as long as the load)."""

    def __init__(self) -> None:
        self.table: dict[int, tuple[Path, int]] = {}
        self.keys: dict[tuple[int, str], int] = {}

    def mark(self, obj: object, file: Path, line: int) -> None:
        self.table[id(obj)] = (file, line)

    def mark_key(self, obj: object, key: str, line: int) -> None:
        self.keys[(id(obj), key)] = line

    def adopt(self, copy: dict[str, Any], original: dict[str, Any]) -> None:
        """Give a shallow copy of a mapping the original's lines."""
        found = self.get(original)
        if found is not None:
            self.mark(copy, *found)
            for key in original:
                line = self.keys.get((id(original), key))
                if line is not None:
                    self.mark_key(copy, key, line)

    def get(self, obj: object) -> tuple[Path, int] | None:
        return self.table.get(id(obj))

    def key_line(self, obj: object, key: Any) -> int | None:
        return self.keys.get((id(obj), key)) if isinstance(key, str) else None


MAX_YAML_BYTES = 32 * 1024 * 1024
"""Largest suite (or YAML cases file) read; bigger case sets belong in JSONL or CSV files."""
MAX_YAML_VALUES = 1_000_000
"""Most values a YAML document may expand to once its aliases are followed: a guard against alias bombs."""


def _expanded_size(root: yaml.Node, path: Path) -> int:
    """How many values `root` holds with every alias followed, without building them; SuiteError on a cycle or
    past MAX_YAML_VALUES. Shared nodes (aliases) are measured once and counted each time they are used."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if not children_done:
            if key in on_path:
                raise SuiteError("the YAML refers to itself through an alias", file=path,
                                 line=node.start_mark.line + 1)
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        on_path.discard(key)
        size = 1 + sum(sizes.get(id(child), 0) for child in children)
        if size > MAX_YAML_VALUES:
            raise SuiteError(f"the YAML expands to more than {MAX_YAML_VALUES:,} values through its aliases",
                             file=path, line=node.start_mark.line + 1,
                             hint="an alias bomb? write the cases out, or put many cases in a JSONL or CSV file")
        sizes[key] = size
    return sizes[id(root)]


def _yaml_load(path: Path, where: _Where) -> Any:
    class Loader(yaml.SafeLoader):
        def construct_document(self, node: yaml.Node) -> Any:
            _expanded_size(node, path)
            return super().construct_document(node)

    def construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
        data: dict[Any, Any] = {}
        where.mark(data, path, node.start_mark.line + 1)
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in first:
                    raise SuiteError(f"duplicate key {key_node.value!r} (first at line {first[key_node.value]})",
                                     file=path, line=line)
                first[key_node.value] = line
                where.mark_key(data, key_node.value, line)
        yield data
        data.update(loader.construct_mapping(node, deep=True))

    Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise SuiteError(f"{size:,} bytes is more than the {MAX_YAML_BYTES:,} a YAML suite may hold", file=path,
                             hint="put many cases in a JSONL or CSV cases file")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"cannot read suite: {exc.strerror or exc}", file=path) from exc
    except UnicodeDecodeError as exc:
        raise SuiteError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from exc
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise SuiteError(f"not valid YAML: {exc.problem}", file=path, line=line) from exc
    except yaml.YAMLError as exc:
        raise SuiteError(f"not valid YAML: {exc}", file=path) from exc


# --- cases files -----------------------------------------------------------------------------------------------


def _read_cases_file(ref: str, base: Path, where: _Where, at: tuple[Path, int] | None) -> list[dict[str, Any]]:
    path = (base / ref).resolve() if not Path(ref).is_absolute() else Path(ref)
    if not path.is_file():
        raise SuiteError(f"cases file {ref} not found (looked in {base})", file=at[0] if at else None,
                         line=at[1] if at else None)
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            return _read_jsonl(path, where)
        if suffix == ".csv":
            return _read_csv(path, where)
    except UnicodeDecodeError as exc:
        raise SuiteError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from exc
    except (OSError, csv.Error) as exc:
        raise SuiteError(f"cannot read cases file: {exc}", file=path) from exc
    if suffix in (".yaml", ".yml", ".json"):
        data = _yaml_load(path, where)
        if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
            raise SuiteError("a cases file must hold a list of case mappings", file=path, line=1)
        return data
    raise SuiteError(f"cases file {ref}: use .jsonl, .csv, .yaml or .json", file=path)


def _read_jsonl(path: Path, where: _Where) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line, object_pairs_hook=_no_duplicate_keys)
            except _DuplicateKey as exc:
                raise SuiteError(f"duplicate key {exc.key!r}", file=path, line=number) from exc
            except json.JSONDecodeError as exc:
                raise SuiteError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=path, line=number) from exc
            if not isinstance(data, dict):
                raise SuiteError("each line must be a JSON object (one case)", file=path, line=number)
            data.setdefault("id", f"{path.name}:{number}")
            where.mark(data, path, number)
            cases.append(data)
    return cases


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


_CSV_FIELDS = {"id", "input", "expected", "tags", "cluster", "assert", "repeats"}


def _read_csv(path: Path, where: _Where) -> list[dict[str, Any]]:
    """Columns id, input, expected, tags (comma-separated), cluster, assert (a JSON list); any other column (or
    `vars.NAME`) is a variable. Empty cells are left out."""
    cases: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            raise SuiteError("empty CSV: the first row names the columns", file=path, line=1)
        names = [n.strip() for n in reader.fieldnames]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise SuiteError(f"duplicate column {repeated[0]!r}", file=path, line=1)
        row_start = reader.line_num + 1
        for row in reader:
            case: dict[str, Any] = {}
            variables: dict[str, Any] = {}
            for column, cell in row.items():
                if column is None:
                    raise SuiteError("more cells than columns", file=path, line=row_start)
                if cell is None or cell == "":
                    continue
                name = column.strip()
                if name == "assert":
                    try:
                        case["assert"] = json.loads(cell)
                    except json.JSONDecodeError as exc:
                        raise SuiteError(f"assert column is not a JSON list: {exc.msg}", file=path,
                                         line=row_start) from exc
                elif name in _CSV_FIELDS:
                    case[name] = cell
                else:
                    variables[name.removeprefix("vars.")] = cell
            if variables:
                case["vars"] = variables
            if case or variables:
                case.setdefault("id", f"{path.name}:{row_start}")
                where.mark(case, path, row_start)
                cases.append(case)
            row_start = reader.line_num + 1
    return cases


# --- loading ---------------------------------------------------------------------------------------------------


def load_suite(path: Path) -> Suite:
    """Load and check a suite file; SuiteError (a UserError) with file and line on any mistake."""
    path = Path(path)
    where = _Where()
    raw = _yaml_load(path, where)
    if not isinstance(raw, dict):
        raise SuiteError("a suite is a mapping with name, target and cases", file=path, line=1)
    base = path.resolve().parent
    data = dict(raw)
    where.adopt(data, raw)
    data.setdefault("name", path.stem)
    data["path"] = path
    defaults = _validate_defaults(raw, path, where)
    raw_cases = _collect_cases(raw, base, path, where)
    merged: list[dict[str, Any]] = []
    for case in raw_cases:
        at = where.get(case) or (path, 1)
        one = _merge_case(case, defaults, raw.get("prompt"), at)
        where.mark(one, *at)
        where.adopt(one, case)
        merged.append(one)
    data["cases"] = merged
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise _from_validation(exc, data, path, where) from exc
    _check_suite(suite, merged, where)
    return suite


def _validate_defaults(raw: dict[str, Any], path: Path, where: _Where) -> dict[str, Any]:
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise SuiteError("defaults must be a mapping", file=path, line=_line(where, raw, path))
    try:
        CaseDefaults.model_validate(defaults)
    except ValidationError as exc:
        raise _from_validation(exc, {"defaults": defaults}, path, where) from exc
    return defaults


def _line(where: _Where, obj: object, path: Path) -> int:
    found = where.get(obj)
    return found[1] if found else 1


def _collect_cases(raw: dict[str, Any], base: Path, path: Path, where: _Where) -> list[dict[str, Any]]:
    spec = raw.get("cases")
    if spec is None:
        raise SuiteError("the suite has no cases", file=path, line=1, hint="add cases: [...] or cases: cases.jsonl")
    items = [spec] if isinstance(spec, str) else spec
    if not isinstance(items, list):
        raise SuiteError("cases must be a list of cases or a file name", file=path, line=_line(where, raw, path))
    cases: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            cases.extend(_read_cases_file(item, base, where, where.get(raw)))
        elif isinstance(item, dict):
            item.setdefault("id", f"case-{index + 1}")
            cases.append(item)
        else:
            raise SuiteError(f"cases[{index}] must be a mapping or a file name", file=path,
                             line=_line(where, raw, path))
    if not cases:
        raise SuiteError("the suite has no cases", file=path, line=_line(where, raw, path))
    return cases


def _merge_case(case: dict[str, Any], defaults: dict[str, Any], top_prompt: Any,
                at: tuple[Path, int]) -> dict[str, Any]:
    one = {k: v for k, v in case.items() if k != "prompt"}
    case_vars = case.get("vars") or {}
    default_vars = defaults.get("vars") or {}
    if not isinstance(case_vars, dict):
        raise SuiteError(f"case {case.get('id')}: vars must be a mapping", file=at[0], line=at[1])
    one["vars"] = {**default_vars, **case_vars}
    default_asserts = list(defaults.get("assert") or [])
    case_asserts = case.get("assert") or []
    if not isinstance(case_asserts, list):
        case_asserts = [case_asserts]
    one["assert"] = default_asserts + list(case_asserts)
    tags = [*(tag_list(defaults.get("tags")) or []), *(tag_list(case.get("tags")) or [])]
    one["tags"] = list(dict.fromkeys(str(t) for t in tags))
    for key in ("expected", "cluster"):
        if one.get(key) is None and defaults.get(key) is not None:
            one[key] = defaults[key]
    one["source"] = f"{at[0].name}:{at[1]}"
    prompt = case.get("prompt") or defaults.get("prompt") or top_prompt
    if prompt is not None:
        context = {**one["vars"], "vars": one["vars"], "input": one.get("input"), "id": one.get("id"),
                   "expected": one.get("expected"), "tags": one["tags"]}
        try:
            one["input"] = render_value(prompt, context)
        except jinja2.TemplateError as exc:
            raise SuiteError(f"case {one.get('id')}: prompt template: {exc}", file=at[0], line=at[1],
                             hint="define the variable in the case's vars or in defaults.vars") from exc
    elif one.get("input") is None and not case.get("turns"):
        raise SuiteError(f"case {one.get('id')} has no input", file=at[0], line=at[1],
                         hint="give it input: ..., or a prompt template with vars")
    return one


def _check_suite(suite: Suite, merged: list[dict[str, Any]], where: _Where) -> None:
    for called, role in ((suite.target, "target"), (suite.judge, "judge")):
        _check_python_target(called, role, suite)
    seen: dict[str, str | None] = {}
    for case, raw in zip(suite.cases, merged, strict=True):
        file, line = where.get(raw) or (suite.path, None)
        if case.id in seen:
            raise SuiteError(f"duplicate case id {case.id!r} (first at {seen[case.id]})", file=file, line=line)
        seen[case.id] = case.source
        if not case.assert_:
            raise SuiteError(f"case {case.id} has no assertions", file=file, line=line,
                             hint="add assert: [...] to the case or to defaults")
        for spec in case.assert_:
            try:
                check_assertion_for_case(spec, case)
            except ValueError as exc:
                raise SuiteError(f"case {case.id}: {exc}", file=file, line=line) from exc
            if (get_scorer(spec.type).group == "retrieval" and suite.target.type in ("openai", "http")
                    and suite.target.sources_path is None):
                raise SuiteError(f"case {case.id}: {spec.type} needs the target's sources_path", file=file,
                                 line=line, hint="set sources_path on the target: where its response lists the "
                                                 "retrieved documents, e.g. $.context.sources")
            if spec.type == "llm-judge" and spec.arg("judge") is None and suite.judge is None:
                raise SuiteError(f"case {case.id}: llm-judge needs a judge target", file=file, line=line,
                                 hint="set judge: {type: openai, ...} at suite level or in the assertion")
            try:
                spec.bind(suite.base_dir, suite.judge)
            except UserError as exc:
                raise SuiteError(f"case {case.id}: {spec.type} scorer: {exc.message}", file=file, line=line,
                                 hint=exc.hint) from exc


def _check_python_target(called: TargetSpec | None, role: str, suite: Suite) -> None:
    """A python target's signature, checked at load so a function that can't be called fails before the run.
    A module that can't be imported is left to the run, which refuses to start (exit 2) and says why."""
    if called is None or called.type != "python":
        return
    try:
        function = import_callable(called.function or "", suite.base_dir)
    except ConfigError:
        return
    try:
        check_signature(function, role=f"python {role} {called.function}", first="case input",
                        keywords=PYTHON_TARGET_KEYWORDS)
    except ConfigError as exc:
        raise SuiteError(f"{role}: {exc.message}", file=suite.path, hint=exc.hint) from exc


def _from_validation(exc: ValidationError, data: Any, path: Path, where: _Where) -> SuiteError:
    """The first validation error as a SuiteError pointing at the innermost mapping that has a line."""
    error = exc.errors()[0]
    loc = error["loc"]
    at = where.get(data)
    node = data
    case_id = None
    for step in loc:
        key_line = where.key_line(node, step)
        if key_line is not None and at is not None:
            at = (at[0], key_line)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        at = where.get(node) or at
        if isinstance(node, dict) and "id" in node and case_id is None and loc[:1] == ("cases",):
            case_id = node["id"]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
    field = ".".join(str(s) for s in loc)
    prefix = f"case {case_id}: " if case_id is not None else ""
    file, line = at if at is not None else (path, None)
    return SuiteError(f"{prefix}{field}: {message}", file=file, line=line)


__all__ = ["Case", "CaseDefaults", "Suite", "SuiteError", "load_suite"]
