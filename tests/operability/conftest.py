"""One running server with Slack and Teams (local mode) both on, against their fakes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.app import App
from adapters.bootstrap import build
from adapters.server import make_web_app
from adapters.settings import Settings, SlackSettings
from bot.clock import FixedClock
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackHarness
from tests.teams.conftest import TeamsHarness


@dataclass
class Both:
    slack: SlackHarness
    teams: TeamsHarness
    app: App
    url: str
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(f"{self.url}{path}") as response:
            return response.status, await response.text(), response

    async def slack_dm(
        self, text: str, *, event_id: str | None = None, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        """A direct message to the bot, as Slack's Events API delivers it."""
        n = next(self.slack.ids)
        message = {
            "type": "message",
            "channel_type": "im",
            "channel": "D0ALICE",
            "user": "UALICE",
            "text": text,
            "ts": f"17000{n:05d}.000100",
        }
        return await self.slack.event(message, event_id=event_id, headers=headers)


@contextlib.asynccontextmanager
async def running_both(
    database_url: str,
    clock: FixedClock,
    *,
    sync: bool = True,
    scheduler: bool = False,
    **settings: Any,
) -> AsyncIterator[Both]:
    """The server's web app as `hasanyone serve` builds it (its index loaded first when
    `sync`, its scheduler on when `scheduler`), with Slack in HTTP mode and Teams in local
    mode."""
    async with FakeSlack() as fake, FakeConnector() as connector:
        config = Settings(
            env="test",
            database_url=database_url,
            slack=SlackSettings(
                bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url
            ),
            teams_local=True,
            **settings,
        )
        runtime = build(config, clock=clock)
        app = runtime.core
        if sync:
            app.finder.sync()
        web_app = make_web_app(runtime, scheduler=scheduler)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with aiohttp.ClientSession() as http:
            yield Both(
                SlackHarness(fake, runtime, url, http),
                TeamsHarness(connector, None, runtime, web_app, url, http),
                app,
                url,
                http,
            )
        await runner.cleanup()
        await runtime.aclose()


@pytest.fixture
async def both(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[Both]:
    request.getfixturevalue("demo_app").engine.dispose()  # the demo data, on this database
    async with running_both(database_url, clock) as harness:
        yield harness
