"""Start a new declarative rule: append a skeleton entry to a catalog file and write its fixture file.

    .venv/bin/python scripts/new_rule.py SRC008 search-semantic-ranker-undecided Microsoft.Search/searchServices \
        --catalog search --field properties.semanticSearch

The skeleton fails the registry test until its documentation and fixture cases are written: that is the point.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "src" / "aiwell" / "rules" / "catalog"
FIXTURES = ROOT / "tests" / "fixtures" / "rules"

ENTRY = """
- id: {id}
  name: {name}
  title: ""
  resource_types: [{type}]
  pillars: [security]
  design_area: application-platform
  severity: medium
  condition:
    field: {field}
    equals: true
  missing: fail
  doc:
    what: ""
    why: ""
    example: ""
    use_instead: {{arm: "", bicep: "", terraform: ""}}
  references: []
"""

FIXTURE = """rule: {id}
cases:
  - name: the setting decides the result
    resources:
      - {{type: {type}, name: good, properties: {{}}}}
      - {{type: {type}, name: bad, properties: {{}}}}
      - {{type: {type}, name: unresolved, properties: {{}}}}
    expected:
      - {{resource: good, status: pass}}
      - {{resource: bad, status: fail}}
      - {{resource: unresolved, status: unknown}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("id", help="stable id, <SVC><NNN>")
    parser.add_argument("name", help="kebab-case name of the problem")
    parser.add_argument("type", help="full ARM resource type")
    parser.add_argument("--catalog", required=True, help="catalog file stem, e.g. search")
    parser.add_argument("--field", default="properties.", help="the ARM path the condition reads")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Z]{3}\d{3}", args.id):
        parser.error("the id must look like SRC008")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", args.name):
        parser.error("the name must be kebab-case")
    catalog = CATALOG / f"{args.catalog}.yaml"
    fixture = FIXTURES / f"{args.id}.yaml"
    if fixture.exists() or any(f"id: {args.id}\n" in path.read_text() for path in CATALOG.glob("*.yaml")):
        print(f"{args.id} already exists", file=sys.stderr)
        return 2
    values = {"id": args.id, "name": args.name, "type": args.type, "field": args.field}
    with catalog.open("a", encoding="utf-8") as handle:
        handle.write(ENTRY.format(**values))
    fixture.write_text(FIXTURE.format(**values), encoding="utf-8")
    print(f"added {args.id} to {catalog.relative_to(ROOT)} and wrote {fixture.relative_to(ROOT)}; now write its "
          "condition, documentation and fixture cases, then run scripts/check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
