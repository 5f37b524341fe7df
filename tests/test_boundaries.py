"""The import contracts in pyproject.toml really bite: plant a forbidden import, lint-imports fails.

Each case copies the packages to a scratch directory, adds one import that a contract forbids,
and runs the real `lint-imports` there; it must fail and name the broken contract. The clean
copy must pass, so a failure is the planted import and nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "adapters", "knowledge", "jobs", "hasanyone")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="lint-imports is a dev tool")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            where / package,
            ignore=shutil.ignore_patterns("__pycache__", "data", "icons", "migrations"),
        )
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_as_it_is_keeps_every_contract(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("bot/digest.py", "import sqlmodel", "The core speaks no platform, database or scheduler"),
        (
            "bot/questions.py",
            "import knowledge.repository",
            "The core speaks no platform, database or scheduler",
        ),
        (
            "jobs/digests.py",
            "import knowledge.subscriptions",
            "The jobs speak only the core's ports",
        ),
        ("jobs/reminders.py", "import sqlalchemy", "The jobs speak only the core's ports"),
        # the four holes a review found in the first contracts
        ("jobs/digests.py", "import apscheduler", "Only jobs.timetable imports apscheduler"),
        ("jobs/reminders.py", "import sqlmodel", "The jobs speak only the core's ports"),
        ("adapters/teams/cards.py", "import sqlalchemy", "Renderers hold no storage"),
        ("adapters/slack/blocks.py", "import knowledge.repository", "Renderers hold no storage"),
        (
            "adapters/slack/poster.py",
            "import adapters.teams.cards",
            "Slack and Teams adapters do not import each other",
        ),
        (
            "adapters/slack/listeners/lifecycle.py",
            "import adapters.app",
            "The Slack adapter takes ports, not the App or the stores",
        ),
        (
            "adapters/slack/app.py",
            "import knowledge.repository",
            "The Slack adapter takes ports, not the App or the stores",
        ),
        ("adapters/cli.py", "import apscheduler", "Only jobs.timetable imports apscheduler"),
        (
            "knowledge/repository.py",
            "import adapters.settings",
            "Knowledge and jobs never import adapters",
        ),
        (
            "adapters/teams/bot.py",
            "import adapters.app",
            "The Teams adapter takes ports, not the App",
        ),
    ],
)
def test_a_planted_import_breaks_its_contract(
    tree: Path, tmp_path: Path, module: str, planted: str, contract: str
) -> None:
    copy = tmp_path / "planted"
    shutil.copytree(tree, copy)
    target = copy / module
    assert target.exists(), f"{module} moved: update this test"
    target.write_text(f"{planted}  # planted by the test\n" + target.read_text(encoding="utf-8"))
    result = lint(copy)
    assert result.returncode != 0, result.stdout
    assert f"{contract} BROKEN" in result.stdout, result.stdout
