"""Installing into several workspaces: the OAuth flow through the real endpoints."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import Session

from adapters.bootstrap import build
from adapters.server import make_web_app
from adapters.settings import Settings, SlackSettings
from bot.clock import FixedClock
from knowledge import tables as t
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.slack.conftest import SIGNING_SECRET, SlackHarness


@pytest.fixture
async def installable(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[SlackHarness]:
    request.getfixturevalue("demo_app").engine.dispose()
    async with FakeSlack() as fake:
        settings = Settings(
            env="test",
            database_url=database_url,
            slack=SlackSettings(
                signing_secret=SIGNING_SECRET,
                client_id="111.222",
                client_secret="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                api_url=fake.api_url,
            ),
        )
        runtime = build(settings, clock=clock)
        runtime.core.finder.sync()  # as `hasanyone serve` does before it listens
        runner = web.AppRunner(make_web_app(runtime), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            yield SlackHarness(fake, runtime, f"http://127.0.0.1:{runner.addresses[0][1]}", http)
        await runner.cleanup()
        await runtime.aclose()


async def install(installable: SlackHarness) -> None:
    """A workspace admin goes through /slack/install and Slack redirects back with a code."""
    page = await installable.http.get(f"{installable.url}/slack/install")
    html = await page.text()
    assert page.status == 200
    state = re.search(r"state=([A-Za-z0-9_-]+)", html)
    assert state, html[:500]
    assert "client_id=111.222" in html and "chat:write" in html
    cookie = page.cookies["slack-app-oauth-state"]  # Secure: a browser sends it back over https
    done = await installable.http.get(
        f"{installable.url}/slack/oauth_redirect",
        params={"code": "granted-code", "state": state.group(1)},
        headers={"Cookie": f"{cookie.key}={cookie.value}"},
    )
    assert done.status == 200, await done.text()


async def test_install_then_answer_with_the_installed_workspaces_token(
    installable: SlackHarness,
) -> None:
    await install(installable)
    [exchange] = installable.fake.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "granted-code"
    event = {
        "type": "app_mention",
        "user": "UALICE",
        "text": "<@UBOT> brownfield site register",
        "ts": "1700000000.000100",
        "channel": "C0GENERAL",
    }
    assert (await installable.event(event)).status == 200
    [posted] = await installable.fake.wait_for("chat.postMessage")
    assert posted.token == "xoxb-installed"


async def test_a_redirect_with_a_forged_state_installs_nothing(installable: SlackHarness) -> None:
    page = await installable.http.get(f"{installable.url}/slack/install")
    cookie = page.cookies["slack-app-oauth-state"]
    done = await installable.http.get(
        f"{installable.url}/slack/oauth_redirect",
        params={"code": "granted-code", "state": "forged"},
        headers={"Cookie": f"{cookie.key}={cookie.value}"},
    )
    assert done.status >= 400
    assert installable.fake.calls_to("oauth.v2.access") == []


async def test_digests_and_reminders_use_each_installed_workspaces_token(
    installable: SlackHarness, clock: FixedClock
) -> None:
    """No request brings a token to a scheduled post: it comes from the installation, and a
    workspace that never installed the app pauses its subscription instead of failing forever."""
    from datetime import timedelta

    from bot.digest_schedule import last_fire
    from bot.model import ConversationRef, Reply

    await install(installable)
    store = installable.app.subscriptions
    since = clock.now() - timedelta(days=30)
    store.subscribe(ConversationRef("slack", "C0DIGEST", TEAM_ID), by="test", now=since)
    elsewhere = store.subscribe(
        ConversationRef("slack", "C0ELSEWHERE", "T0NEVER"), by="test", now=since
    )
    monday = last_fire("mon", "09:00", "Europe/London", clock.now() + timedelta(days=7))
    report = await installable.runtime.run_digests(now=monday + timedelta(minutes=5))
    assert report.outcomes == {"sent": 1, "paused": 1}, report.summary()
    [posted] = installable.fake.calls_to("chat.postMessage")
    assert (posted.params["channel"], posted.token) == ("C0DIGEST", "xoxb-installed")
    with Session(installable.app.engine) as s:
        row = s.get_one(t.DigestSubscription, elsewhere.id)
        assert row.active is False and "not installed" in (row.paused_reason or "")

    messenger = job_messenger(installable)
    await messenger.send_dm(f"slack:{TEAM_ID}:UALICE", Reply(text="Weeknote time"))
    dm = installable.fake.calls_to("chat.postMessage")[-1]
    assert (dm.params["channel"], dm.token) == ("UALICE", "xoxb-installed")


def job_messenger(installable: SlackHarness) -> Any:
    return installable.runtime.messengers["slack"]
