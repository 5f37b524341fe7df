"""A running hasanyone server with Teams on, a fake Bot Connector and a local identity provider."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.app import App
from adapters.bootstrap import Runtime, build_app, runtime_for
from adapters.server import make_web_app
from adapters.settings import Settings, TeamsSettings
from bot.clock import FixedClock
from tests.fakes.bot_connector import POSTED_KINDS, Call, FakeConnector
from tests.fakes.identity import FakeIdentity, LoopbackAadCredentialFactory

APP_ID = "5f1e0c55-6b0e-4c8a-9a9e-1d2c3b4a5f60"
APP_PASSWORD = "kT8~Q2x.fakePasswordForTests-0123456789"
TENANT = "tenant-localgov"


@dataclass
class TeamsHarness:
    connector: FakeConnector
    identity: FakeIdentity | None
    runtime: Runtime
    web_app: web.Application
    url: str
    http: aiohttp.ClientSession
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def activity(
        self,
        text: str = "",
        *,
        conversation: str = "a:personal-alice",
        kind: str = "personal",
        user: str = "aad-alice",
        value: Any = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"m{next(self.ids)}",
            "channelId": "msteams",
            "serviceUrl": self.connector.service_url,
            "timestamp": "2025-03-12T10:30:00.000Z",
            "from": {
                "id": f"29:{user}",
                "name": user.removeprefix("aad-").title(),
                "aadObjectId": user,
            },
            "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
            "recipient": {"id": f"28:{APP_ID}", "name": "hasanyone"},
            "text": text,
            "value": value,
            "channelData": {"tenant": {"id": TENANT}},
            **extra,
        }

    async def send(
        self, activity: dict[str, Any], *, token: str | None = "good"
    ) -> aiohttp.ClientResponse:
        headers = {"Content-Type": "application/json"}
        if token == "good" and self.identity is not None:
            headers["Authorization"] = self.identity.bearer(APP_ID, self.connector.service_url)
        elif token not in (None, "good"):
            headers["Authorization"] = token
        response = await self.http.post(f"{self.url}/api/messages", json=activity, headers=headers)
        await response.read()
        return response

    async def replies(self, count: int = 1, timeout: float = 5.0) -> list[Call]:  # noqa: ASYNC109
        """Wait for `count` activities the bot posted; return the successful post calls."""
        await self.connector.wait_for(count, timeout=timeout)
        return [c for c in self.connector.calls if c.kind in POSTED_KINDS and c.status < 300]

    def own(self, project_id: str, user: str = "aad-alice") -> None:
        """Make a Teams user the owner of a (demo) project, as an approved claim would."""
        self.app.repo.set_owner(project_id, f"teams:{TENANT}:{user}", now=self.app.clock.now())

    @property
    def app(self) -> App:
        return self.runtime.core

    @property
    def endpoint(self) -> Any:
        return self.runtime.teams


async def start(
    app: App, connector: FakeConnector, identity: FakeIdentity | None, credentials: Any
) -> TeamsHarness:
    runtime = runtime_for(app, teams_credentials=credentials)
    web_app = make_web_app(runtime)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    http = aiohttp.ClientSession()
    harness = TeamsHarness(
        connector, identity, runtime, web_app, f"http://127.0.0.1:{runner.addresses[0][1]}", http
    )
    harness._runner = runner  # type: ignore[attr-defined]
    return harness


async def stop(harness: TeamsHarness) -> None:
    await harness.http.close()
    await harness._runner.cleanup()  # type: ignore[attr-defined]


def teams_settings(identity: FakeIdentity | None) -> TeamsSettings:
    if identity is None:
        return TeamsSettings()  # local mode: no app id, no tokens (the Bot Framework Emulator)
    return TeamsSettings(
        id=APP_ID,
        password=APP_PASSWORD,
        type="MultiTenant",
        openid_metadata_url=identity.openid_metadata_url,
        login_url=identity.login_url(),
    )


@contextlib.asynccontextmanager
async def running_teams(
    database_url: str, clock: FixedClock, **settings: Any
) -> AsyncIterator[TeamsHarness]:
    """Teams with JWT checking on, against the local identity provider; `settings` go into the
    app's Settings (community_managers=…, for one), which the runtime reads once, when built."""
    with FakeIdentity(apps={APP_ID: APP_PASSWORD}) as identity:
        async with FakeConnector() as connector:
            config = Settings(
                env="test", database_url=database_url, teams=teams_settings(identity), **settings
            )
            app = build_app(config, clock=clock)
            harness = await start(
                app, connector, identity, LoopbackAadCredentialFactory(APP_ID, APP_PASSWORD)
            )
            try:
                yield harness
            finally:
                await stop(harness)
                app.engine.dispose()


@pytest.fixture
async def teams(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[TeamsHarness]:
    """Teams with JWT checking on, against the local identity provider."""
    request.getfixturevalue("demo_app").engine.dispose()
    async with running_teams(database_url, clock) as harness:
        yield harness


@pytest.fixture
async def local_teams(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[TeamsHarness]:
    """Teams in local mode (no app id), as with the Bot Framework Emulator."""
    request.getfixturevalue("demo_app").engine.dispose()
    async with FakeConnector() as connector:
        settings = Settings(
            env="test", database_url=database_url, teams=teams_settings(None), teams_local=True
        )
        app = build_app(settings, clock=clock)
        harness = await start(app, connector, None, None)
        yield harness
        await stop(harness)
        app.engine.dispose()


@pytest.fixture
async def teams_unconfigured(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[TeamsHarness]:
    """Teams on (the default) with no app id and no HASANYONE_TEAMS_LOCAL."""
    request.getfixturevalue("demo_app").engine.dispose()
    async with FakeConnector() as connector:
        settings = Settings(env="test", database_url=database_url, teams=teams_settings(None))
        app = build_app(settings, clock=clock)
        harness = await start(app, connector, None, None)
        yield harness
        await stop(harness)
        app.engine.dispose()


def new_conversation() -> str:
    return f"19:{uuid.uuid4().hex}@thread.tacv2"
