"""The jobs as the server wires them: DMs on each platform, the scheduler's triggers, reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from adapters.bootstrap import Runtime, build
from adapters.settings import Settings, SlackSettings
from bot.clock import FixedClock
from bot.model import ConversationRef, ProjectDraft, Reply, Stage, Subscription
from bot.ports import ChannelGone
from knowledge import tables as t
from knowledge.subscriptions import SubscriptionStore
from tests.fakes.slack_api import FakeSlack

LONDON = ZoneInfo("Europe/London")
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


def slack_runtime(url: str, fake: FakeSlack, clock: FixedClock, **extra: object) -> Runtime:
    settings = Settings(
        env="test",
        database_url=url,
        demo_data=False,
        teams_enabled=False,
        slack=SlackSettings(
            bot_token=TOKEN, signing_secret="0123456789abcdef0123456789", api_url=fake.api_url
        ),
        **extra,  # type: ignore[arg-type]
    )
    return build(settings, clock=clock)


async def fixed(workspace_id: str) -> str:
    return TOKEN


async def test_a_slack_dm_goes_to_the_user_and_a_gone_user_is_reported(database_url: str) -> None:
    from adapters.slack.client import web_client
    from adapters.slack.poster import SlackMessenger, SlackPoster

    async with FakeSlack() as fake:
        client = web_client(SlackSettings(api_url=fake.api_url), None)
        messenger = SlackMessenger(SlackPoster(client, fixed))
        await messenger.send_dm("slack:T1:UALICE", Reply(text="hello"))
        [call] = fake.calls_to("chat.postMessage")
        assert call.params["channel"] == "UALICE"
        fake.fail_next("chat.postMessage", error="account_inactive")
        with pytest.raises(ChannelGone):
            await messenger.send_dm("slack:T1:UGONE", Reply(text="hello"))
        fake.users["UNYC"] = {"tz": "America/New_York"}
        fake.users["UGONE"] = None
        assert await messenger.timezone_of("slack:T1:UNYC") == "America/New_York"
        assert await messenger.timezone_of("slack:T1:UGONE") is None  # user_not_found
        [asked, _] = fake.calls_to("users.info")
        assert asked.params["user"] == "UNYC" and asked.token == TOKEN


async def test_a_paused_digest_is_reported_to_the_community_managers(database_url: str) -> None:
    async with FakeSlack() as fake:
        clock = FixedClock(datetime(2025, 3, 10, 9, 5, tzinfo=LONDON))
        runtime = slack_runtime(
            database_url, fake, clock, community_managers=["slack:T1:UMANAGER", "teams:x:y"]
        )
        app = runtime.core
        SubscriptionStore(app.engine).subscribe(
            ConversationRef("slack", "C0GONE"), by="test", now=clock.now() - timedelta(days=30)
        )
        fake.fail_next("chat.postMessage", error="channel_not_found")
        report = await runtime.run_digests()
        assert report.outcomes["paused"] == 1
        # The notes wait in the outbox (once each, however often the sweep runs) until delivered.
        delivered = await runtime.deliver_outbox()
        assert await runtime.deliver_outbox() == "no messages were waiting"
        calls = await fake.wait_for("chat.postMessage", count=2)
        assert calls[1].params["channel"] == "UMANAGER"
        assert "C0GONE" in str(calls[1].params) and "channel_not_found" in str(calls[1].params)
        # Slack takes it; Teams here has no chat with "teams:x:y", so that one cannot be sent.
        assert delivered == "1 sent, 1 undeliverable"
        await runtime.aclose()


async def test_friday_reminders_reach_owners_through_slack_once(database_url: str) -> None:
    async with FakeSlack() as fake:
        friday = datetime(2025, 3, 14, 14, 0, tzinfo=LONDON)
        clock = FixedClock(friday)
        runtime = slack_runtime(database_url, fake, clock)
        app = runtime.core
        app.repo.add_project(
            ProjectDraft(
                title="Bulky waste booking",
                organisation="Leeds City Council",
                stage=Stage.BETA,
                description="Book a collection",
                contact="#bulky",
                owner_key="slack:T1:UOWNER",
            ),
            now=friday - timedelta(days=30),
        )
        await runtime.remind()
        await runtime.remind()
        [dm] = fake.calls_to("chat.postMessage")
        assert dm.params["channel"] == "UOWNER" and "Bulky waste booking" in str(dm.params)
        await runtime.aclose()


def test_the_scheduler_has_a_sweep_friday_reminders_and_one_trigger_per_subscription() -> None:
    from jobs.timetable import make_scheduler, sync_subscriptions

    async def nothing() -> None:
        return None

    scheduler = make_scheduler(sweep=nothing, reminders=nothing, timezone="Europe/London")
    reminders = scheduler.get_job("weeknote-reminders")
    assert reminders is not None
    fire = reminders.trigger.get_next_fire_time
    # hourly from Friday 00:00 UTC (14:00 in UTC+14) to Saturday 23:00 UTC (past Friday 14:00
    # in UTC-12), so Friday 14:00 comes on the hour everywhere, in summer time too
    assert fire(None, datetime(2025, 3, 10, 12, 0, tzinfo=LONDON)) == datetime(
        2025, 3, 14, 0, 0, tzinfo=UTC
    )
    for two_pm in (
        datetime(2025, 3, 14, 14, tzinfo=LONDON),
        datetime(2025, 6, 13, 14, tzinfo=LONDON),
    ):
        assert fire(None, two_pm - timedelta(minutes=30)) == two_pm
    assert fire(None, datetime(2025, 3, 15, 23, 30, tzinfo=UTC)) == datetime(
        2025, 3, 21, 0, 0, tzinfo=UTC
    )
    created = datetime(2025, 1, 1, tzinfo=UTC)
    subs = [
        Subscription(ConversationRef("slack", "C1", "T"), id=1, created_at=created),
        Subscription(
            ConversationRef("teams", "19:x", "T"),
            day="wed",
            time="16:30",
            timezone="Europe/Dublin",
            id=2,
            created_at=created,
        ),
    ]
    sync_subscriptions(scheduler, subs, nothing)
    assert {j.id: j.name for j in scheduler.get_jobs()} == {
        "digest-sweep": "digest catch-up sweep",
        "weeknote-reminders": "Friday weeknote reminders",
        "digest-1": "digest for slack C1",
        "digest-2": "digest for teams 19:x",
    }  # the names are what APScheduler logs
    wednesday = scheduler.get_job("digest-2").trigger.get_next_fire_time(
        None, datetime(2025, 3, 10, tzinfo=UTC)
    )
    assert wednesday.strftime("%a %H:%M %Z") == "Wed 16:30 GMT"
    sync_subscriptions(scheduler, subs[:1], nothing)
    assert scheduler.get_job("digest-2") is None and scheduler.get_job("digest-1") is not None


async def test_teams_dms_use_the_personal_chat_and_fail_clearly_without_one(teams: object) -> None:
    from adapters.teams.poster import TeamsMessenger, TeamsPoster
    from tests.teams.conftest import TENANT, TeamsHarness

    assert isinstance(teams, TeamsHarness)
    await teams.send(teams.activity("hasanyone help"))  # Alice's personal chat, remembered
    await teams.replies(1)
    messenger = TeamsMessenger(teams.endpoint, TeamsPoster(teams.endpoint))
    await messenger.send_dm(f"teams:{TENANT}:aad-alice", Reply(text="It's Friday: weeknote time"))
    calls = await teams.replies(2)
    assert calls[1].conversation_id == "a:personal-alice" and "Friday" in str(calls[1].activity)
    with pytest.raises(ChannelGone):
        await messenger.send_dm(f"teams:{TENANT}:aad-nobody", Reply(text="hello"))
    await asyncio.sleep(0)
    with Session(teams.app.engine) as s:
        assert s.get(t.ConversationReference, ("teams", "a:personal-alice")) is not None


async def test_a_leader_that_loses_its_lock_stops_its_jobs_and_leads_again(
    postgres_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The advisory lock lives with its connection. When PostgreSQL drops that connection (a
    restart, a network cut, an operator's pg_terminate_backend) another replica may take the
    lock, so the leader must notice, stop its scheduler, and wait to lead again."""
    import logging

    import sqlalchemy as sa
    from aiohttp import web

    import adapters.leading
    from adapters.server import make_web_app

    monkeypatch.setattr(adapters.leading, "LEADER_CHECK_SECONDS", 0.2)
    caplog.set_level(logging.INFO, logger="adapters.leading")
    settings = Settings(env="test", database_url=postgres_url, demo_data=False, teams_enabled=False)
    runtime = build(settings, clock=clock)
    runner = web.AppRunner(make_web_app(runtime, scheduler=True), access_log=None)
    await runner.setup()
    try:

        async def leader_pid() -> int:
            for _ in range(100):
                connection = runtime.leadership._connection
                if connection is not None:
                    query = sa.text("SELECT pg_backend_pid()")
                    pid = await asyncio.to_thread(connection.execute, query)
                    return int(pid.scalar() or 0)
                await asyncio.sleep(0.1)
            raise AssertionError("never led")

        first = await leader_pid()
        admin = sa.create_engine(postgres_url)
        with admin.begin() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        admin.dispose()
        for _ in range(100):
            if "lost the scheduler lock" in caplog.text:
                break
            await asyncio.sleep(0.1)
        assert "lost the scheduler lock" in caplog.text
        assert await leader_pid() != first  # leads again, on a new connection
    finally:
        await runner.cleanup()
        await runtime.aclose()
