"""Digests through real processes and the fake Slack: races, kill -9, 429 storms, gone channels."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.app import App
from adapters.settings import SlackSettings
from adapters.slack.client import web_client
from adapters.slack.poster import SlackPoster
from bot.model import ConversationRef
from jobs.digests import DigestJob, run_due
from knowledge.subscriptions import SubscriptionStore
from tests.fakes.slack_api import FakeSlack

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2025, 3, 10, 9, 5, tzinfo=LONDON)
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


def env_for(url: str, api_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123",
        "SLACK_API_URL": api_url,
        "HASANYONE_TEAMS_ENABLED": "false",
        "HASANYONE_LOG_LEVEL": "WARNING",
        "HASANYONE_DEMO_DATA": "false",
    }


async def digest_run(env: dict[str, str], at: datetime) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters",
        "digest",
        "run",
        "--at",
        at.isoformat(),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.postgres
async def test_two_processes_racing_on_postgresql_post_once(
    postgres_url: str, clock: object, fake: FakeSlack
) -> None:
    from tests.conftest import make_app

    app = make_app(postgres_url, clock, demo=False)  # type: ignore[arg-type]
    SubscriptionStore(app.engine).subscribe(
        ConversationRef("slack", "C0DIGEST", "T0001"), by="test", now=MONDAY - timedelta(days=30)
    )
    env = env_for(postgres_url, fake.api_url)
    procs = [await digest_run(env, MONDAY) for _ in range(3)]
    outputs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert len(fake.calls_to("chat.postMessage")) == 1
    summaries = b"".join(out for out, _ in outputs).decode()
    assert summaries.count("1 sent") == 1 and summaries.count("already handled") == 2
    app.engine.dispose()


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[str]:
    """A 'Slack' that accepts the request and never answers: the process hangs mid-send.
    Its connection handlers are cancelled on the way out, so none outlives the test."""
    handlers: list[asyncio.Task[None]] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.append(task)
        try:
            await reader.read(65536)
            await asyncio.Event().wait()
        finally:
            writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api/"
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


async def test_kill_9_while_sending_then_restart_posts_exactly_once(
    empty_app: App, fake: FakeSlack
) -> None:
    store = SubscriptionStore(empty_app.engine)
    store.subscribe(
        ConversationRef("slack", "C0DIGEST", "T0001"), by="test", now=MONDAY - timedelta(days=30)
    )
    url = empty_app.settings.database_url
    async with black_hole() as hole:
        first = await digest_run(env_for(url, hole), MONDAY)
        for _ in range(300):  # until it is mid-send
            await asyncio.sleep(0.1)
            if any(r.status == "sending" for r in store.runs()):
                break
        assert [r.status for r in store.runs()] == ["sending"]
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
    early = await digest_run(env_for(url, fake.api_url), MONDAY + timedelta(minutes=2))
    assert (
        b"already handled" in (await early.communicate())[0]
    )  # the dead claim still has its lease
    later = await digest_run(env_for(url, fake.api_url), MONDAY + timedelta(minutes=15))
    out, err = await later.communicate()
    assert later.returncode == 0, err
    assert b"1 sent" in out
    history = fake.calls_to("conversations.history")
    assert len(history) == 1  # it looked before re-sending
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert [r.status for r in store.runs()] == ["sent"]


def slack_job(app: App, fake: FakeSlack) -> DigestJob:
    client = web_client(SlackSettings(api_url=fake.api_url), None)

    async def token(workspace_id: str) -> str:
        return TOKEN

    return DigestJob(
        subscriptions=SubscriptionStore(app.engine),
        runs=SubscriptionStore(app.engine),
        activity=app.repo,
        posters={"slack": SlackPoster(client, token)},
    )


async def test_a_429_storm_then_success_delivers_once_with_metadata(
    empty_app: App, fake: FakeSlack
) -> None:
    SubscriptionStore(empty_app.engine).subscribe(
        ConversationRef("slack", "C0DIGEST"), by="test", now=MONDAY - timedelta(days=30)
    )
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=3)
    report = await run_due(slack_job(empty_app, fake), now=MONDAY)
    assert report.outcomes["sent"] == 1
    calls = fake.calls_to("chat.postMessage")
    assert len(calls) == 4 and calls[-1].at - calls[0].at >= 2.5
    [message] = fake.messages["C0DIGEST"]
    assert message["metadata"]["event_type"] == "hasanyone_digest"


async def test_channel_not_found_pauses_the_subscription(empty_app: App, fake: FakeSlack) -> None:
    store = SubscriptionStore(empty_app.engine)
    store.subscribe(ConversationRef("slack", "C0GONE"), by="test", now=MONDAY - timedelta(days=30))
    fake.fail_next("chat.postMessage", error="channel_not_found")
    report = await run_due(slack_job(empty_app, fake), now=MONDAY)
    assert report.outcomes["paused"] == 1
    assert store.subscriptions() == []
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_the_reminder_command_dms_each_owner_once_at_their_own_friday_afternoon(
    empty_app: App, fake: FakeSlack
) -> None:
    """`hasanyone digest remind`, hourly from cron: Slack is asked each owner's timezone once."""
    from bot.model import ProjectDraft, Stage

    for title, owner in (("Bulky waste booking", "UALICE"), ("School admissions", "UNYC")):
        draft = ProjectDraft(
            title=title,
            organisation="Hackney",
            stage=Stage.BETA,
            description=title,
            contact="#team",
            owner_key=f"slack:T0001:{owner}",
        )
        empty_app.repo.add_project(draft, now=datetime(2025, 3, 1, tzinfo=UTC))
    fake.users["UNYC"] = {"tz": "America/New_York"}
    env = env_for(empty_app.settings.database_url, fake.api_url)

    async def remind_at(hour_utc: int) -> list[str]:
        before = len(fake.calls_to("chat.postMessage"))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters", "digest", "remind",
            "--at", datetime(2025, 3, 14, hour_utc, tzinfo=UTC).isoformat(),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()
        sent = [c.params["channel"] for c in fake.calls_to("chat.postMessage")[before:]]
        assert out.decode().startswith("reminders: ")
        assert (f"{len(sent)} sent" in out.decode()) == bool(sent), out
        return sent

    assert await remind_at(13) == []
    assert await remind_at(14) == ["UALICE"]  # 14:00 in London
    assert await remind_at(15) == []  # Alice has had hers; 11:00 in New York
    assert await remind_at(18) == ["UNYC"]  # 14:00 in New York (summer time there already)
    assert await remind_at(19) == []
    asked = [c.params["user"] for c in fake.calls_to("users.info")]
    assert sorted(asked) == ["UALICE", "UNYC"]  # once each: the answers are kept
