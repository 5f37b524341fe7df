"""The composition root: one module builds everything, one of each, and closing leaves nothing open.

`adapters/bootstrap.py` is the only place that constructs the stores, the platforms and the
jobs; the server and the command line take its `Runtime`. These tests build a runtime with Slack
(OAuth installs) and Teams on, use every part of it the way a server and `digest run` do, close
it, and then look at the process itself: no file descriptor left on the database, no embedding
thread left running.
"""

from __future__ import annotations

import ast
import os
import threading
from pathlib import Path

import pytest

from adapters.bootstrap import Runtime, build
from adapters.settings import Settings, SlackSettings, TeamsSettings
from bot.clock import FixedClock
from bot.model import ConversationRef, Reply
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def open_files_under(folder: Path) -> list[str]:
    """What this process has open inside `folder` (Linux: /proc/self/fd)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def settings_for(folder: Path, api_url: str) -> Settings:
    return Settings(
        env="test",
        database_url=f"sqlite:///{folder}/runtime.db",
        demo_data=False,
        community_managers=["slack:T0001:UMANAGER"],
        slack=SlackSettings(
            signing_secret="0123456789abcdef0123456789",
            client_id="111.222",
            client_secret="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            api_url=api_url,
        ),
        teams=TeamsSettings(),
        teams_local=True,
    )


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc (Linux)")
async def test_closing_the_runtime_leaves_nothing_open(tmp_path: Path, clock: FixedClock) -> None:
    async with FakeSlack() as fake:
        runtime = build(settings_for(tmp_path, fake.api_url), clock=clock)
        assert runtime.slack is not None and runtime.teams is not None
        await runtime.slack.create_oauth_tables()
        app = runtime.core
        app.subscriptions.subscribe(
            ConversationRef("slack", "C0DIGEST", "T0NEVER"), by="t", now=clock.now()
        )
        app.outbox.enqueue("hello", "slack:T0001:UMANAGER", Reply("hello"), now=clock.now())
        if app.finder.worker is not None:
            app.finder.worker.start(interval=0.1)
        # Every part a server uses: the token lookup (the async engine), a digest run, the outbox
        # and the reminders, the search index.
        assert runtime.tokens is not None
        assert await runtime.tokens("T0001") is None  # not installed there
        await runtime.run_digests(force=True)
        await runtime.deliver_outbox()
        await runtime.remind()
        app.finder.sync()
        assert open_files_under(tmp_path), "the test should have opened the database"

        await runtime.aclose()

        assert open_files_under(tmp_path) == []
        assert not [t for t in threading.enumerate() if t.name == "embedding"]
        await runtime.aclose()  # twice is harmless


async def test_one_of_each_part_is_shared_by_the_web_app_and_the_jobs(
    tmp_path: Path, clock: FixedClock
) -> None:
    """One Teams endpoint (so one rate pacer for answers and digests) and one Slack
    installation store (one async engine) for the OAuth flow and the jobs' tokens."""
    async with FakeSlack() as fake:
        runtime: Runtime = build(settings_for(tmp_path, fake.api_url), clock=clock)
        try:
            teams = runtime.teams
            assert runtime.posters["teams"].endpoint is teams  # type: ignore[attr-defined]
            assert runtime.messengers["teams"].endpoint is teams  # type: ignore[attr-defined]
            assert runtime.slack is not None and runtime.tokens is not None
            assert runtime.slack.installations is runtime.tokens.installations
            assert runtime.digests.posters is runtime.posters
        finally:
            await runtime.aclose()


# What only the composition root may construct (classes of the stores, platforms and jobs).
COMPONENTS = {
    "App", "Runtime", "Repository", "IndexedFinder", "SearchIndex", "FastEmbedder",
    "EmbeddingWorker", "Services", "Bot", "Access", "SlackBot", "TeamsEndpoint",
    "WorkspaceTokens", "SlackPoster", "SlackMessenger", "TeamsPoster", "TeamsMessenger",
    "DigestJob", "Leadership", "Metrics", "AsyncApp", "AsyncWebClient",
}  # fmt: skip


def constructed_in(path: Path) -> set[str]:
    """The component classes, any *Store and any engine that a module calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in COMPONENTS
                or name.endswith("Store")
                or name in ("make_engine", "create_engine")
            ):
                called.add(name)
    return called


@pytest.mark.parametrize(
    "module",
    [
        "adapters/server.py",
        "adapters/cli.py",
        "adapters/leading.py",
        "adapters/console/chat.py",
        "adapters/observability/routes.py",
    ],
)
def test_the_server_and_the_command_line_construct_nothing(module: str) -> None:
    assert constructed_in(ROOT / module) == set()


def test_the_composition_root_does_construct_them() -> None:
    """The check above can see a construction: the root is full of them."""
    found = constructed_in(ROOT / "adapters/bootstrap.py")
    assert {
        "Repository",
        "IndexedFinder",
        "SlackBot",
        "TeamsEndpoint",
        "DigestJob",
        "Metrics",
    } <= found


# Outside the root, only these build anything: factories the root calls (an engine, the Slack
# client and slack_sdk's two OAuth stores), the Bolt app a SlackBot is, and the search index's
# own vector table. Any other construction outside the root fails here.
FACTORIES = {
    "knowledge/db.py": {"create_engine"},
    "knowledge/search/index.py": {"VectorStore"},
    "adapters/slack/app.py": {"AsyncApp"},
    "adapters/slack/client.py": {"AsyncWebClient"},
    "adapters/slack/installations.py": {"AsyncSQLAlchemyInstallationStore"},
    "adapters/slack/oauth.py": {"AsyncSQLAlchemyOAuthStateStore"},
}


def test_nothing_but_the_root_and_its_factories_constructs_a_part() -> None:
    found = {}
    for top in ("bot", "knowledge", "jobs", "adapters"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            built = constructed_in(path)
            if built and name != "adapters/bootstrap.py":
                found[name] = built
    assert found == FACTORIES
