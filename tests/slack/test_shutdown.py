"""A stop (SIGTERM: a deploy, a scale-in) finishes what Slack was already told is in hand.

Bolt acks a request and then works on it in a task of its own. When `hasanyone serve` stops,
aiohttp closes the listener and then the event loop, cancelling whatever is still running:
Slack has its ack and never sends the request again, so a weeknote's confirmation (or an
answer) would be lost. The server waits for that work before it closes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.bootstrap import build
from adapters.server import make_web_app
from adapters.settings import Settings, SlackSettings
from bot.clock import FixedClock
from bot.model import Incoming, Reply
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM, SlackHarness

SLOW = 1.0  # seconds the core takes over the weeknote


def bolts_own_tasks() -> list[asyncio.Task[Any]]:
    return [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "").endswith("run_ack_function_asynchronously")
    ]


async def test_a_stop_finishes_the_weeknote_slack_was_told_is_in_hand(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest, monkeypatch: Any
) -> None:
    request.getfixturevalue("demo_app").engine.dispose()  # the demo data, on this database
    async with FakeSlack() as fake:
        settings = Settings(
            env="test",
            database_url=database_url,
            slack=SlackSettings(
                bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url
            ),
            teams_enabled=False,
        )
        runtime = build(settings, clock=clock)
        app = runtime.core
        app.repo.set_owner("pl-17", f"slack:{TEAM}:UALICE", now=clock.now())
        handle = app.bot.handle

        def slowly(incoming: Incoming) -> Reply:
            time.sleep(SLOW)
            return handle(incoming)

        monkeypatch.setattr(app.bot, "handle", slowly)
        runner = web.AppRunner(make_web_app(runtime), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        async with aiohttp.ClientSession() as http:
            slack = SlackHarness(fake, runtime, f"http://127.0.0.1:{runner.addresses[0][1]}", http)
            response, reply_to = await slack.slash("/weeknote", "pl-17: stopped half way")
            assert response.status == 200  # acked: Slack will not send it again

            await runner.cleanup()  # the stop
            for task in bolts_own_tasks():  # then the loop closes, cancelling what is left
                task.cancel()
            await asyncio.sleep(SLOW * 2)

        [confirmed] = [c.params for c in fake.calls_to(f"response_url:{reply_to}")]
        assert "Posted your weeknote for The Budgetron" in str(confirmed), confirmed
        notes = app.repo.weeknotes_for_project("pl-17", internal_from=None)
        assert any("stopped half way" in n.text for n in notes)
        await runtime.aclose()
