"""A running hasanyone server with Slack on, and a fake Slack Web API it talks to."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.app import App
from adapters.bootstrap import Runtime, build
from adapters.server import make_web_app
from adapters.settings import Settings, SlackSettings
from bot.clock import FixedClock
from tests.fakes.slack_api import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
TEAM = "T0001"


def validate_payload(params: dict[str, Any]) -> None:
    """Every message, modal and home view the bot sent passes slack_sdk's Block Kit models."""
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    blocks = params.get("blocks")
    if isinstance(blocks, list):
        assert len(blocks) <= 50, f"{len(blocks)} blocks in one message"
        for block in blocks:
            parsed = Block.parse(block)
            assert parsed is not None, block
            parsed.validate_json()
    view = params.get("view")
    if isinstance(view, dict):
        View(**view).validate_json()


def sign(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """The headers Slack sends: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackHarness:
    fake: FakeSlack
    runtime: Runtime
    url: str
    http: aiohttp.ClientSession
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def app(self) -> App:
        return self.runtime.core

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        sent = {"Content-Type": content_type, **(headers if headers is not None else sign(body))}
        response = await self.http.post(
            f"{self.url}/slack/events", data=body.encode(), headers=sent
        )
        await response.read()
        return response

    async def slash(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "UALICE",
        channel: str = "C0GENERAL",
        **extra: str,
    ) -> tuple[aiohttp.ClientResponse, str]:
        """A slash command as Slack sends it; returns the response and its response_url id."""
        n = next(self.ids)
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "localgov",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.fake.response_url(f"r{n}"),
            "trigger_id": f"trigger.{n}",
            **extra,
        }
        return await self.post(
            urllib.parse.urlencode(form), "application/x-www-form-urlencoded"
        ), f"r{n}"

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        headers: dict[str, str] | None = None,
        team_id: str = TEAM,
    ) -> aiohttp.ClientResponse:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": team_id,
                "api_app_id": "A0001",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self.ids):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
                "event": event,
            }
        )
        return await self.post(body, "application/json", headers=headers)

    async def interact(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def press(
        self,
        action_id: str,
        value: str,
        *,
        reply_to: str,
        user: str = "UALICE",
        block_id: str | None = None,
    ) -> aiohttp.ClientResponse:
        """A person presses a button in a channel message; Slack's answer goes to `reply_to`."""
        action = {"action_id": action_id, "value": value}
        if block_id is not None:
            action["block_id"] = block_id
        return await self.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user},
                "channel": {"id": "C0GENERAL"},
                "response_url": self.fake.response_url(reply_to),
                "actions": [action],
            }
        )

    def own(self, project_id: str, user: str = "UALICE") -> None:
        """Make a Slack user the owner of a (demo) project, as an approved claim would."""
        self.app.repo.set_owner(project_id, f"slack:{TEAM}:{user}", now=self.app.clock.now())

    async def responses(self, response_id: str, count: int = 1) -> list[dict[str, Any]]:
        calls = await self.fake.wait_for(f"response_url:{response_id}", count=count)
        return [c.params for c in calls]


@pytest.fixture
async def slack(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[SlackHarness]:
    request.getfixturevalue("demo_app").engine.dispose()  # the demo data, on this database
    async with running_slack(database_url, clock) as harness:
        yield harness


@contextlib.asynccontextmanager
async def running_slack(
    database_url: str, clock: FixedClock, **settings: Any
) -> AsyncIterator[SlackHarness]:
    """`hasanyone serve`'s web app with Slack on, against a fake Slack; `settings` override
    the app's Settings (community_managers=…, for one)."""
    async with FakeSlack() as fake:
        config = Settings(
            env="test",
            database_url=database_url,
            demo_data=True,
            slack=SlackSettings(
                bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url
            ),
            **settings,
        )
        runtime = build(config, clock=clock)
        runner = web.AppRunner(make_web_app(runtime), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            yield SlackHarness(fake, runtime, f"http://127.0.0.1:{port}", http)
        await runner.cleanup()
        for call in fake.calls:
            validate_payload(call.params)
        await runtime.aclose()
