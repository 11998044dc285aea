"""Every command's `--help` starts fast: it imports none of the heavy libraries or engines the commands use.

Checked by what a fresh interpreter has imported after printing the help, never by timing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from aiwell.cli.main import cli

HEAVY = ("numpy", "scipy", "statsmodels", "pandas", "pyarrow", "duckdb", "pyspark", "lark", "hcl2", "yaml",
         "jsonschema", "pydantic", "httpx", "jinja2", "presidio_analyzer", "tree_sitter", "playwright",
         "aiwell.loaders", "aiwell.rules", "aiwell.graph", "aiwell.review")
"""Libraries and engines no `--help` needs: parsing, statistics, data, HTTP, templating, the review engine."""

def _command_paths() -> list[list[str]]:
    """Every command and subcommand of `aiwell`, as the words that name it on the command line."""
    found: list[list[str]] = [[]]
    context = click.Context(cli)

    def visit(group: click.Group, words: list[str], ctx: click.Context) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is None:
                continue
            found.append([*words, name])
            if isinstance(command, click.Group):
                visit(command, [*words, name], click.Context(command, parent=ctx))

    visit(cli, [], context)
    return found


def _imported_after_help(words: list[str]) -> list[str]:
    script = ("import json, sys\n"
              "from aiwell.cli.main import main\n"
              "sys.argv = ['aiwell', *json.loads(sys.argv[1]), '--help']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "loaded = [name for name, module in sys.modules.items()\n"
              "          if type(module).__name__ != '_LazyModule']\n"
              "sys.stderr.write(json.dumps(loaded))\n")
    done = subprocess.run([sys.executable, "-c", script, json.dumps(words)], capture_output=True, text=True,
                          check=False, timeout=60)
    assert "Usage:" in done.stdout, done.stdout + done.stderr
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("words", _command_paths(), ids=lambda words: " ".join(["aiwell", *words, "--help"]))
def test_help_imports_nothing_heavy(words: list[str]) -> None:
    loaded = _imported_after_help(words)
    heavy = sorted({name for name in loaded for prefix in HEAVY if name == prefix or name.startswith(prefix + ".")})
    assert not heavy, f"`aiwell {' '.join(words)} --help` imports {heavy[:10]}"


def test_the_probe_sees_a_heavy_import() -> None:
    # `aiwell rules` loads the catalog (the rules package; its YAML comes from a cache when unchanged): running it,
    # not its help, must show up as a heavy import.
    script = ("import sys\nfrom aiwell.cli.main import main\nsys.argv = ['aiwell', 'rules']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\nsys.stderr.write(str('aiwell.rules' in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert done.stderr.strip().endswith("True")


@pytest.mark.parametrize("output_format", ["json", "sarif", "markdown", "junit"])
def test_a_report_file_in_a_format_without_rich_imports_no_rich(output_format: str, tmp_path: Path) -> None:
    template = tmp_path / "main.json"
    template.write_text('{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",'
                        ' "contentVersion": "1.0.0.0", "resources": []}', encoding="utf-8")
    # Run in `tmp_path` with a short file name: a line rich would wrap is printed with rich.
    script = ("import sys\nfrom aiwell.cli.main import main\n"
              f"argv = ['review', {str(template)!r}, '-o', {output_format + '=r'!r}]"
              "\ntry:\n    main(argv)\nexcept SystemExit:\n    pass\n"
              "sys.stderr.write(str(sorted(name for name in sys.modules if name.split('.')[0] == 'rich')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60,
                          cwd=tmp_path)
    assert f"{output_format} report written to r\n" in done.stderr, done.stderr
    assert done.stderr.strip().endswith("[]"), done.stderr
