"""Installing into several workspaces: the OAuth flow through the real endpoints."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from adapters.app import build_app
from adapters.server import make_web_app
from adapters.settings import Settings, SlackSettings
from bot.clock import FixedClock
from tests.fakes.slack_api import FakeSlack
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
        app = build_app(settings, clock=clock)
        runner = web.AppRunner(make_web_app(app), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            yield SlackHarness(fake, app, f"http://127.0.0.1:{runner.addresses[0][1]}", http)
        await runner.cleanup()
        app.engine.dispose()


async def test_install_then_answer_with_the_installed_workspaces_token(
    installable: SlackHarness,
) -> None:
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
