"""--skip-path: files and folders left out of a walk by name or path glob; the compiled bin/ beside Bicep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwell.loaders import load_inputs
from aiwell.loaders.skip import SkipPaths

BICEP = """resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'chat-oai'
  location: 'eastus2'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {}
}
"""


@pytest.mark.parametrize(("pattern", "path", "skipped"), [
    ("bin", "infra/bin", True),
    ("bin", "infra/binary", False),
    ("*.generated.json", "infra/x/main.generated.json", True),
    ("infra/legacy", "infra/legacy/a.json", True),
    ("**/bin/**", "infra/app/bin/main.json", True),
    ("**/bin/**", "infra/app/main.json", False),
    ("modules/*/test", "modules/a/test", True),
    ("modules/*/test", "modules/a/b/test", False),
])
def test_patterns(pattern: str, path: str, skipped: bool) -> None:
    assert SkipPaths([pattern]).skips(Path(path), Path("elsewhere")) is skipped


def test_compiled_output_beside_bicep_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(BICEP, encoding="utf-8")
    (tmp_path / "bin").mkdir()
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "resources": [
                    {"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": "chat-oai",
                     "location": "eastus2", "kind": "OpenAI", "sku": {"name": "S0"}, "properties": {}}]}
    (tmp_path / "bin" / "main.json").write_text(json.dumps(template), encoding="utf-8")
    everything = load_inputs([tmp_path])
    assert sorted(Path(r.path).name for r in everything.inputs) == ["main.bicep", "main.json"]
    skipped = load_inputs([tmp_path], skip_paths=["bin"])
    assert [Path(r.path).name for r in skipped.inputs] == ["main.bicep"]
    assert len(skipped.resources) == 1
    # A file named on its own is read whatever the patterns say.
    named = load_inputs([tmp_path / "bin" / "main.json"], skip_paths=["bin"])
    assert len(named.inputs) == 1
