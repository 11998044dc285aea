"""ARM parameter files: recognising them, reading their values, and finding the template each one is for.

A parameter file supplies `{"value": ...}` or a Key Vault `{"reference": ...}` per parameter. Values are
literal (ARM does not evaluate expressions in parameter files); a Key Vault reference can't be read offline
and becomes `Unresolved`, and so does a value that is an Azure Developer CLI environment placeholder
(`"${AZURE_LOCATION}"`, `"${USE_SEARCH=false}"`), which azd fills in from the environment it deploys.
Template parameters get, in order: the parameter file's value, then their `defaultValue` (evaluated lazily
by the expression scope), else `Unresolved("parameters('x')", "no value ...")`. A parameter given the value
`null` gets its `defaultValue` when it has one, as ARM does (Bicep modules pass `null` for an optional
parameter the caller left out). `allowedValues` is not enforced: a review reports what the template says, it
does not validate the deployment.

The naming convention that pairs a parameter file with its template, when `metadata.template` doesn't name
one: `X.parameters.json`, or with any number of environment segments `X.parameters.<env>[.<more>].json`
(`.jsonc` too), is for template `X` (`X.json`, `X.jsonc`, or a Bicep file `X.bicep`). `X` may carry scenario
segments, `X.<scenario>.parameters.json`: when no template is named `X.<scenario>`, the shorter name `X` is
tried. The template is looked for beside the parameter file, then, when none is there, one directory up
(templates often keep their parameter files in a `parameters/` folder).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct

from aiwell.errors import TemplateError
from aiwell.model import Unresolved

_PARAMETER_FILE_NAME = re.compile(r"^(?P<stem>.+)\.parameters(?:\.[^.]+)*\.jsonc?$", re.IGNORECASE)
"""`X.parameters.json`, `X.parameters.<env>[.<more>].json` (and `.jsonc`): the parameter files of template `X`."""

_ENVIRONMENT_PLACEHOLDER = re.compile(r"\$\{(?P<variable>[A-Za-z_][A-Za-z0-9_]*)(?::?[-=](?P<default>[^}]*))?\}")
"""An azd (envsubst) placeholder: `${NAME}`, `${NAME=default}`, `${NAME:-x}`, a whole parameter value or inside
one."""

TEMPLATE_SUFFIXES = (".json", ".jsonc")
_CONVENTIONAL_TEMPLATE_SUFFIXES = (*TEMPLATE_SUFFIXES, ".bicep")


class ParameterFile(Struct, frozen=True):
    """A parsed parameter file."""

    path: Path
    values: dict[str, Any]
    """Parameter name (as written) → value; a Key Vault reference is `Unresolved`."""
    template_hint: str | None = None
    """`metadata.template` as written in the file: the template's path relative to the parameter file."""
    notes: tuple[str, ...] = ()
    """Entries that were ignored, and why."""


def _schema(value: dict[str, Any]) -> str:
    schema = value.get("$schema")
    return schema.lower() if isinstance(schema, str) else ""


def is_parameter_file(value: Any) -> bool:
    """Whether a decoded JSON value is an ARM parameter file.

    True for a `$schema` naming `deploymentParameters`, or (no such schema) a `parameters` object with
    `contentVersion` and no `resources`.
    """
    if not isinstance(value, dict):
        return False
    schema = _schema(value)
    if "deploymentparameters" in schema:
        return True
    if "deploymenttemplate" in schema:
        return False
    return (isinstance(value.get("parameters"), dict) and "contentVersion" in value
            and "resources" not in value)


def read_parameter_file(value: Any, path: Path, *, azd_values: Mapping[str, str] | None = None) -> ParameterFile:
    """Read the values of a decoded parameter file; `azd_values`, the azd environment's, fill its `${NAME}`
    placeholders.

    Raises `TemplateError` when the file has no `parameters` object or an entry is not an object.
    """
    if not isinstance(value, dict) or not isinstance(value.get("parameters"), dict):
        raise TemplateError("parameter file has no 'parameters' object")
    values: dict[str, Any] = {}
    notes: list[str] = []
    for name, entry in value["parameters"].items():
        if not isinstance(entry, dict):
            raise TemplateError(f"parameter '{name}' is not an object with a 'value' or 'reference'")
        if "value" in entry:
            given = _environment_placeholder(name, entry["value"], azd_values)
            if given is not _NOT_GIVEN:
                values[name] = given
        elif "reference" in entry:
            values[name] = key_vault_reference(name, entry["reference"])
        else:
            notes.append(f"parameter file entry '{name}' has neither 'value' nor 'reference'; ignored")
    metadata = value.get("metadata")
    hint = metadata.get("template") if isinstance(metadata, dict) else None
    template_hint = hint if isinstance(hint, str) and hint else None
    return ParameterFile(path=path, values=values, template_hint=template_hint, notes=tuple(notes))


_NOT_GIVEN = object()
"""A placeholder azd fills with nothing: the parameter is deployed as if the file did not set it."""


def _environment_placeholder(name: str, value: Any, azd_values: Mapping[str, str] | None) -> Any:
    """A value that is an azd environment placeholder (`${NAME}`, `${NAME=default}`), as azd deploys it.

    The Azure Developer CLI substitutes these from the environment it deploys; the text itself never reaches
    Azure. With that environment's values (`--azd-env`), the placeholder becomes its value, or its default when
    the environment does not set it; an empty value leaves the parameter unset (azd then deploys the template's
    default). Without them, or for a variable the environment does not set and that has no default, the value is
    `Unresolved`.
    """
    if not isinstance(value, str):
        return _substituted(name, value, azd_values) if isinstance(value, dict | list) else value
    match = _ENVIRONMENT_PLACEHOLDER.fullmatch(value.strip())
    if match is None:
        return _substituted(name, value, azd_values)
    variable, default = match.group("variable"), match.group("default")
    if azd_values is not None:
        given = azd_values.get(variable, default)
        if given == "":
            return _NOT_GIVEN  # azd deploys the parameter's default (or asks for a value when it has none)
        if given is not None:
            return given
        return Unresolved(f"parameters('{name}')", f"azd environment placeholder {value.strip()}: {variable} is "
                                                   "not set in the azd environment given")
    fallback = f", '{default}' when it is not set" if default is not None else ""
    return Unresolved(f"parameters('{name}')",
                      f"azd environment placeholder {value.strip()}: the value of {variable} "
                      f"in the environment deployed (--azd-env gives it){fallback}")


def _substituted(name: str, value: Any, azd_values: Mapping[str, str] | None) -> Any:
    """A value with azd placeholders inside its strings (`"${AZURE_ENV_NAME}-rg"`, in nested objects and arrays
    too), substituted as azd does: it runs envsubst over the whole file's text before reading it. A placeholder
    whose variable the environment given does not set, and that has no default, leaves the whole parameter
    `Unresolved` (azd would read the process environment, which is never read here)."""
    unset: list[str] = []

    def filled(match: re.Match[str]) -> str:
        given = azd_values.get(match.group("variable"), match.group("default")) if azd_values is not None else None
        if given is None:
            unset.append(match.group(0))
            return match.group(0)
        return given

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _ENVIRONMENT_PLACEHOLDER.sub(filled, item) if "${" in item else item
        if isinstance(item, dict):
            return {key: walk(member) for key, member in item.items()}
        if isinstance(item, list):
            return [walk(member) for member in item]
        return item

    result = walk(value)
    if not unset:
        return result
    placeholders = ", ".join(dict.fromkeys(unset))
    if azd_values is None:
        return Unresolved(f"parameters('{name}')", f"azd environment placeholders in its value ({placeholders}): "
                                                   "the values of the environment deployed (--azd-env gives them)")
    return Unresolved(f"parameters('{name}')", f"azd environment placeholders in its value ({placeholders}) are "
                                               "not set in the azd environment given")


def key_vault_reference(name: str, reference: Any) -> Unresolved:
    """The value of a parameter given as a Key Vault `reference`: a secret only the deployment can read."""
    vault = secret = "?"
    if isinstance(reference, dict):
        key_vault = reference.get("keyVault")
        if isinstance(key_vault, dict) and isinstance(key_vault.get("id"), str):
            vault = key_vault["id"]
        if isinstance(reference.get("secretName"), str):
            secret = reference["secretName"]
    return Unresolved(f"parameters('{name}')",
                      f"a Key Vault reference (secret '{secret}' in {vault}), read only at deployment")


def deployment_parameter_values(entries: Any) -> dict[str, Any]:
    """The values of a nested deployment's evaluated `properties.parameters`: `value` or `reference`."""
    if not isinstance(entries, dict):
        return {}
    values: dict[str, Any] = {}
    for name, entry in entries.items():
        if isinstance(entry, dict) and "value" in entry:
            values[name] = entry["value"]
        elif isinstance(entry, dict) and "reference" in entry:
            values[name] = key_vault_reference(name, entry["reference"])
        elif isinstance(entry, Unresolved):
            values[name] = entry
    return values


def scope_parameters(template: Mapping[str, Any],
                     supplied: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The parameter values an `EvalScope` gets for `template`, given the supplied values, plus notes.

    Supplied values match declared names case-insensitively. A declared parameter with neither a supplied
    value nor a `defaultValue` becomes `Unresolved`; one with a default is left out, so the scope evaluates
    the default on first use, and so is one supplied as `null` that has a default (ARM uses the default).
    A supplied value the template does not declare is noted (Azure rejects such a deployment).
    """
    declared = template.get("parameters")
    definitions: dict[str, Any] = declared if isinstance(declared, dict) else {}
    by_lower = {name.lower(): value for name, value in supplied.items()}
    values: dict[str, Any] = {}
    for name, definition in definitions.items():
        key = name.lower()
        has_default = isinstance(definition, dict) and "defaultValue" in definition
        if key in by_lower:
            value = by_lower.pop(key)
            # ARM deploys a parameter given null with its default, which Bicep modules rely on.
            if value is not None or not has_default:
                values[name] = value
        elif has_default:
            continue
        elif _nullable(definition, template):
            # A nullable parameter (Bicep `string?`) that nobody sets is null, as Azure deploys it.
            values[name] = None
        else:
            values[name] = Unresolved(f"parameters('{name}')",
                                      "no value: the parameter has no default and no parameter file sets it")
    notes = [f"parameter '{name}' is set but the template does not declare it (Azure rejects this)"
             for name in sorted(supplied) if name.lower() in by_lower]
    return values, notes


def _nullable(definition: Any, template: Mapping[str, Any]) -> bool:
    """Whether a parameter is declared `nullable`, directly or through a `$ref` to a user-defined type."""
    if not isinstance(definition, dict):
        return False
    if definition.get("nullable") is True:
        return True
    reference = definition.get("$ref")
    definitions = template.get("definitions")
    if isinstance(reference, str) and reference.startswith("#/definitions/") and isinstance(definitions, dict):
        target = definitions.get(reference.removeprefix("#/definitions/"))
        return isinstance(target, dict) and target.get("nullable") is True
    return False


def conventional_template_stem(parameter_file: Path) -> str | None:
    """The template stem a parameter file's name points to (`main` for `main.parameters.prod.json`)."""
    match = _PARAMETER_FILE_NAME.match(parameter_file.name)
    return match.group("stem") if match else None


def conventional_parameter_files(template: Path) -> list[Path]:
    """The parameter files of a template by the naming convention (see the module docstring).

    They are looked for beside the template and in its immediate subdirectories; a file counts when the
    convention leads from it back to this template.
    """
    stem = template.name.rsplit(".", 1)[0]
    directories = [template.parent, *sorted(d for d in template.parent.iterdir() if d.is_dir())]
    wanted = template.resolve()
    found: list[Path] = []
    for directory in directories:
        for path in sorted(directory.glob(f"{glob.escape(stem)}.*")):
            if (path.is_file() and conventional_template_stem(path) is not None
                    and any(candidate.resolve() == wanted for candidate in template_candidates(path))):
                found.append(path)
    return found


def _stem_variants(stem: str) -> list[str]:
    """`X.<scenario>` and then the shorter names down to `X`: the templates a scenario file may be for."""
    parts = stem.split(".")
    return [".".join(parts[:count]) for count in range(len(parts), 0, -1)]


def template_candidates(parameter_file: Path) -> list[Path]:
    """Where a parameter file's template is by the naming convention (see the module docstring).

    The paths `X.json`, `X.jsonc` in the first place the convention finds a template `X` (JSON or Bicep):
    beside the file, then one directory up, trying `X.<scenario>` before `X`. When there is none, the paths
    beside the file for the full name, so a message can say where the template was expected. Empty for a
    file whose name doesn't follow the convention.
    """
    stem = conventional_template_stem(parameter_file)
    if stem is None:
        return []
    directory = parameter_file.parent
    for place in (directory, directory.parent):
        for name in _stem_variants(stem):
            if any((place / (name + suffix)).is_file() for suffix in _CONVENTIONAL_TEMPLATE_SUFFIXES):
                return [place / (name + suffix) for suffix in TEMPLATE_SUFFIXES]
    return [directory / (stem + suffix) for suffix in TEMPLATE_SUFFIXES]


def hinted_template(parameter_file: ParameterFile) -> Path | None:
    """The template named by the file's `metadata.template`, resolved relative to the parameter file."""
    if parameter_file.template_hint is None:
        return None
    return Path(os.path.normpath(parameter_file.path.parent / parameter_file.template_hint))


__all__ = [
    "TEMPLATE_SUFFIXES",
    "ParameterFile",
    "conventional_parameter_files",
    "conventional_template_stem",
    "deployment_parameter_values",
    "hinted_template",
    "is_parameter_file",
    "key_vault_reference",
    "read_parameter_file",
    "scope_parameters",
    "template_candidates",
]
