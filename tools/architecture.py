"""Print the shape the import contracts and the composition root keep, for a review.

    .venv/bin/python tools/architecture.py

Two tables, read from the source with `ast` (nothing is imported or run):

- the import graph by package: for each of the project's packages (bot, knowledge, jobs and
  each adapter), the project packages and the outside libraries it imports, at any depth
  inside it and whether at the top of a module or inside a function;
- the modules that construct the runtime's parts (stores, engines, the core, the platform
  adapters, the jobs): `tests/cli/test_bootstrap.py` fails if any but the composition root
  does.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cli.test_bootstrap import constructed_in  # noqa: E402

OURS = ("bot", "knowledge", "jobs", "adapters")
SUBPACKAGES = ("adapters.slack", "adapters.teams", "adapters.console", "adapters.observability")
WATCHED = (
    "slack_bolt", "slack_sdk", "botbuilder", "botframework", "sqlmodel", "sqlalchemy",
    "apscheduler", "aiohttp", "fastembed", "onnxruntime", "prometheus_client", "pydantic",
    "pydantic_settings",
)  # fmt: skip


def package_of(module: str) -> str:
    """`adapters.slack.blocks` → `adapters.slack`; `adapters.cli` → `adapters`; `bot.x` → `bot`."""
    for sub in SUBPACKAGES:
        if module == sub or module.startswith(sub + "."):
            return sub
    return module.split(".", 1)[0]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            source = package_of(".".join(relative.parts))
            for module in imports_of(path):
                head = module.split(".", 1)[0]
                if head in OURS:
                    target = package_of(module)
                    if target != source:
                        edges[source].add(target)
                elif head in WATCHED:
                    edges[source].add(head)
    return edges


def main() -> None:
    print("Import graph by package (project packages first, then libraries):")
    for source, targets in sorted(graph().items()):
        ours = sorted(t for t in targets if t.split(".")[0] in OURS)
        libraries = sorted(t for t in targets if t.split(".")[0] not in OURS)
        print(f"  {source:<24} → {', '.join(ours) or '—'}")
        if libraries:
            print(f"  {'':<24}   libraries: {', '.join(libraries)}")
    print()
    print("Modules that construct the runtime's parts:")
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            built = constructed_in(path)
            if built:
                print(f"  {path.relative_to(ROOT)}: {', '.join(sorted(built))}")


if __name__ == "__main__":
    main()
