"""Slack in Socket Mode, end to end: the real server connects out to a fake Slack's websocket.

With SLACK_APP_TOKEN set, the server asks ``apps.connections.open`` (at SLACK_API_URL, with the
app-level token) for a websocket URL, connects, and from then on Slack pushes envelopes down the
socket instead of POSTing to /slack/events. Each envelope is acked on the socket with its
envelope_id; the answers still go out over the Web API and response_url, as in HTTP mode.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from adapters.app import App
from adapters.bootstrap import build
from adapters.server import make_web_app
from adapters.settings import Settings, SlackSettings
from bot.clock import FixedClock
from tests.fakes.slack_api import FakeSlack, socket_envelope
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM, SlackHarness, validate_payload

APP_TOKEN = "xapp-1-A0001-test"
QUESTION = "has anyone made a game for budget consultations?"


@dataclass
class SocketHarness:
    fake: FakeSlack
    app: App
    url: str


@pytest.fixture
def socket_clients(monkeypatch: pytest.MonkeyPatch) -> list[SocketModeClient]:
    """Every slack_sdk Socket Mode client made during the test (a spy: they work as usual)."""
    made: list[SocketModeClient] = []
    real_init = SocketModeClient.__init__

    def spy(self: SocketModeClient, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(SocketModeClient, "__init__", spy)
    return made


@pytest.fixture
async def socket_slack(
    database_url: str,
    clock: FixedClock,
    socket_clients: list[SocketModeClient],
    request: pytest.FixtureRequest,
) -> AsyncIterator[SocketHarness]:
    """The real server with a Slack app token, started on 127.0.0.1 against a fake Slack.

    On the way out it checks the server hung up as it stopped: its Socket Mode client closed
    (session, tasks and all) and the websocket gone from the fake's side."""
    request.getfixturevalue("demo_app").engine.dispose()  # the demo data, on this database
    async with FakeSlack() as fake:
        fake.tokens = {BOT_TOKEN, APP_TOKEN}  # any other token is refused: invalid_auth
        settings = Settings(
            env="test",
            database_url=database_url,
            demo_data=True,
            slack=SlackSettings(
                bot_token=BOT_TOKEN,
                signing_secret=SIGNING_SECRET,
                app_token=APP_TOKEN,
                api_url=fake.api_url,
            ),
        )
        runtime = build(settings, clock=clock)
        app = runtime.core
        runner = web.AppRunner(make_web_app(runtime), access_log=None)
        try:
            async with asyncio.timeout(10):  # connecting happens during startup
                await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            yield SocketHarness(fake, app, f"http://127.0.0.1:{runner.addresses[0][1]}")
        finally:
            await runner.cleanup()
            await runtime.aclose()
            left_open = [c for c in socket_clients if not c.closed]
            for client in left_open:  # so a failure is reported, not a reconnect loop
                await client.close()  # type: ignore[no-untyped-call]  # slack_sdk leaves it bare
        assert len(socket_clients) == 1
        assert not left_open, "the server stopped without closing its Socket Mode client"
        assert all(c.aiohttp_client_session.closed for c in socket_clients)
        await fake.wait_for_hangup()
        for call in fake.calls:
            validate_payload(call.params)


def all_text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def slash_payload(text: str, response_url: str, *, command: str = "/hasanyone") -> dict[str, Any]:
    """What Slack puts in a slash_commands envelope: the form fields of the HTTP request."""
    return {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "localgov",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": "UALICE",
        "user_name": "ualice",
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "trigger.s1",
    }


def event_callback(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """What Slack puts in an events_api envelope: the event_callback body."""
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        "event": event,
    }


def mention(
    ts: str, text: str = "<@UBOT> has anyone redesigned their website mobile first?"
) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "UALICE",
        "text": text,
        "ts": ts,
        "channel": "C0GENERAL",
        "event_ts": ts,
    }


async def test_startup_opens_a_socket_with_the_app_token_at_the_configured_api_url(
    socket_slack: SocketHarness,
) -> None:
    fake = socket_slack.fake
    await fake.wait_for_socket()
    [opened] = fake.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert fake.socket_connections == 1 and fake.sockets_open == 1
    async with aiohttp.ClientSession() as http, http.get(f"{socket_slack.url}/healthz") as health:
        assert health.status == 200  # the HTTP server is up alongside the socket


async def test_a_slash_command_envelope_is_acked_then_answered_at_its_response_url(
    socket_slack: SocketHarness,
) -> None:
    fake = socket_slack.fake
    await fake.wait_for_socket()
    started = time.monotonic()
    envelope_id = await fake.socket_send(
        socket_envelope(
            "slash_commands",
            slash_payload(QUESTION, fake.response_url("s1")),
            envelope_id="env-slash-1",
        )
    )
    ack = await fake.wait_for_ack(envelope_id)
    assert time.monotonic() - started < 3  # Slack's deadline for the ack
    assert ack["envelope_id"] == "env-slash-1"
    [answer] = [c.params for c in await fake.wait_for("response_url:s1")]
    assert "The Budgetron" in all_text(answer["blocks"])
    assert answer["response_type"] == "ephemeral"
    assert fake.calls_to("chat.postMessage") == []
    assert len(fake.acks_for(envelope_id)) == 1


async def test_an_app_mention_envelope_is_acked_and_answered_in_its_thread(
    socket_slack: SocketHarness,
) -> None:
    fake = socket_slack.fake
    await fake.wait_for_socket()
    envelope_id = await fake.socket_send(
        socket_envelope("events_api", event_callback(mention("1700000000.000100"), "EvSOCK0001"))
    )
    ack = await fake.wait_for_ack(envelope_id)
    assert ack["envelope_id"] == envelope_id
    assert not ack.get("payload")  # events carry nothing back in the ack
    [posted] = await fake.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0GENERAL"
    assert posted.params["thread_ts"] == "1700000000.000100"
    assert "Website redesign" in all_text(posted.params)
    assert posted.token == BOT_TOKEN


async def test_a_redelivered_event_is_acked_again_but_answered_once(
    socket_slack: SocketHarness,
) -> None:
    """Slack redelivers an event whose ack it missed, in a new envelope, with retry_attempt."""
    fake = socket_slack.fake
    body = event_callback(mention("1700000002.000100", "<@UBOT> brownfield site register"), "EvR1")
    first = await fake.socket_send(socket_envelope("events_api", body))
    await fake.wait_for_ack(first)
    await fake.wait_for("chat.postMessage")
    again = await fake.socket_send(
        socket_envelope("events_api", body, retry_attempt=1, retry_reason="timeout")
    )
    assert again != first
    await fake.wait_for_ack(again)
    await asyncio.sleep(0.3)  # time for a second answer, were one coming
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_without_an_app_token_no_socket_is_opened(
    slack: SlackHarness, socket_clients: list[SocketModeClient]
) -> None:
    """HTTP mode (the `slack` fixture has no app token): the bot answers over HTTP and never
    asks Slack for a websocket."""
    _, rid = await slack.slash("/hasanyone", QUESTION)
    [answer] = await slack.responses(rid)
    assert "The Budgetron" in all_text(answer["blocks"])
    assert slack.fake.calls_to("apps.connections.open") == []
    assert slack.fake.socket_connections == 0
    assert socket_clients == []


async def test_the_fake_opens_sockets_only_for_app_tokens_and_its_own_tickets() -> None:
    """The fake refuses what Slack refuses, so the tests above cannot pass by accident."""
    async with FakeSlack() as fake:
        with pytest.raises(SlackApiError) as refused:
            await AsyncWebClient(base_url=fake.api_url).apps_connections_open(app_token=BOT_TOKEN)
        assert refused.value.response["error"] == "not_allowed_token_type"
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(f"ws://127.0.0.1:{fake.port}/socket?ticket=forged")
            opened = await AsyncWebClient(base_url=fake.api_url).apps_connections_open(
                app_token=APP_TOKEN
            )
            async with http.ws_connect(opened["url"]) as ws:
                hello = await ws.receive_json(timeout=5)
                assert hello["type"] == "hello"
                await fake.wait_for_socket()
                envelope_id = await fake.socket_send(socket_envelope("events_api", {"x": 1}))
                pushed = await ws.receive_json(timeout=5)
                assert pushed["envelope_id"] == envelope_id and pushed["type"] == "events_api"
                await ws.send_json({"envelope_id": envelope_id})
                assert await fake.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        assert fake.socket_connections == 1
