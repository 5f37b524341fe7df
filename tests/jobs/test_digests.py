"""Digests go out exactly once per channel and period, on real databases, with a recording poster."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from adapters.app import App
from bot.digest_schedule import last_fire, period
from bot.model import ConversationRef, DigestFilter, Reply, Subscription
from bot.ports import ChannelGone, TemporaryFailure
from jobs.digests import DigestJob, run_due
from knowledge import tables as t
from knowledge.subscriptions import SubscriptionStore

LONDON = ZoneInfo("Europe/London")


@dataclass
class FakePoster:
    """Records posts; can remember tagged messages (as Slack does) and fail on cue."""

    platform: str = "slack"
    posted: list[tuple[str, str, Reply]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    remembers: bool = True
    delay: float = 0.0

    async def post(
        self, channel_id: str, reply: Reply, *, digest_key: str, workspace_id: str = ""
    ) -> str:
        await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.posted.append((channel_id, digest_key, reply))
        return f"ts-{len(self.posted)}"

    async def already_posted(
        self, channel_id: str, *, digest_key: str, since: datetime, workspace_id: str = ""
    ) -> str | None:
        if not self.remembers:
            return None
        return next(
            (
                f"ts-{i}"
                for i, (c, k, _) in enumerate(self.posted, 1)
                if (c, k) == (channel_id, digest_key)
            ),
            None,
        )


@pytest.mark.parametrize(
    ("now", "expected_utc"),
    [
        # Monday 09:00 Europe/London either side of the spring change (30 March 2025)...
        (datetime(2025, 3, 24, 9, 30, tzinfo=UTC), datetime(2025, 3, 24, 9, 0, tzinfo=UTC)),
        (datetime(2025, 3, 31, 8, 30, tzinfo=UTC), datetime(2025, 3, 31, 8, 0, tzinfo=UTC)),
        # ...and the autumn change (26 October 2025): 09:00 local is 08:00 UTC, then 09:00 UTC.
        (datetime(2025, 10, 20, 8, 30, tzinfo=UTC), datetime(2025, 10, 20, 8, 0, tzinfo=UTC)),
        (datetime(2025, 10, 27, 9, 30, tzinfo=UTC), datetime(2025, 10, 27, 9, 0, tzinfo=UTC)),
        # A minute before Monday 09:00 the latest digest is the previous Monday's.
        (datetime(2025, 3, 31, 7, 59, tzinfo=UTC), datetime(2025, 3, 24, 9, 0, tzinfo=UTC)),
    ],
)
def test_monday_nine_in_london_across_both_clock_changes(
    now: datetime, expected_utc: datetime
) -> None:
    fire = last_fire("mon", "09:00", "Europe/London", now)
    assert fire == expected_utc
    assert fire.astimezone(LONDON).strftime("%a %H:%M") == "Mon 09:00"


def test_the_scheduler_trigger_fires_on_monday_at_nine_local_across_the_change() -> None:
    from jobs.timetable import digest_trigger

    sub = Subscription(
        ConversationRef("slack", "C1", "T1"), id=1, created_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    trigger = digest_trigger(sub)
    spring = trigger.get_next_fire_time(None, datetime(2025, 3, 29, 12, 0, tzinfo=LONDON))
    autumn = trigger.get_next_fire_time(None, datetime(2025, 10, 25, 12, 0, tzinfo=LONDON))
    assert spring is not None and autumn is not None
    assert (spring.astimezone(UTC), autumn.astimezone(UTC)) == (
        datetime(2025, 3, 31, 8, 0, tzinfo=UTC),
        datetime(2025, 10, 27, 9, 0, tzinfo=UTC),
    )


def test_a_period_is_the_local_week_before_the_fire_even_across_a_change() -> None:
    start, end = period(datetime(2025, 3, 31, 9, 0, tzinfo=LONDON))
    assert (start.isoformat(), end.isoformat()) == (
        "2025-03-24T09:00:00+00:00",
        "2025-03-31T09:00:00+01:00",
    )


MONDAY = datetime(2025, 3, 10, 9, 5, tzinfo=LONDON)


@pytest.fixture
def store(empty_app: App) -> SubscriptionStore:
    return SubscriptionStore(empty_app.engine)


def subscribe(store: SubscriptionStore, channel: str = "C1", **kw: Any) -> int:
    sub = store.subscribe(
        ConversationRef("slack", channel, "T1"), by="test", now=MONDAY - timedelta(days=30), **kw
    )
    assert sub.id is not None, "a stored subscription has an id"
    return sub.id


def job_for(app: App, store: SubscriptionStore, poster: FakePoster, **kw: Any) -> DigestJob:
    return DigestJob(
        subscriptions=store, runs=store, activity=app.repo, posters={"slack": poster}, **kw
    )


async def test_a_due_digest_is_posted_once_however_often_the_sweep_runs(
    empty_app: App, store: SubscriptionStore
) -> None:
    subscribe(store, "C1")
    subscribe(store, "C2")
    poster = FakePoster()
    job = job_for(empty_app, store, poster)
    first = await run_due(job, now=MONDAY)
    again = await run_due(job, now=MONDAY + timedelta(minutes=1))
    assert first.outcomes["sent"] == 2 and again.outcomes["already handled"] == 2
    assert sorted(c for c, _, _ in poster.posted) == ["C1", "C2"]


async def test_concurrent_sweeps_post_once(empty_app: App, store: SubscriptionStore) -> None:
    subscribe(store)
    poster = FakePoster(delay=0.05)
    jobs = [job_for(empty_app, store, poster) for _ in range(4)]
    reports = await asyncio.gather(*(run_due(job, now=MONDAY) for job in jobs))
    assert sum(r.outcomes["sent"] for r in reports) == 1
    assert len(poster.posted) == 1


async def test_a_claim_whose_process_died_before_sending_is_taken_over_and_sent_once(
    empty_app: App, store: SubscriptionStore
) -> None:
    sub_id = subscribe(store)
    fire = last_fire("mon", "09:00", "Europe/London", MONDAY)
    assert (
        store.claim(sub_id, fire.date(), now=MONDAY, lease=timedelta(minutes=10)) is not None
    )  # then died
    poster = FakePoster()
    job = job_for(empty_app, store, poster)
    assert (await run_due(job, now=MONDAY + timedelta(minutes=5))).outcomes["already handled"] == 1
    assert (await run_due(job, now=MONDAY + timedelta(minutes=11))).outcomes["sent"] == 1
    assert len(poster.posted) == 1


async def test_a_run_that_died_while_sending_is_not_sent_twice_when_the_platform_has_it(
    empty_app: App, store: SubscriptionStore
) -> None:
    sub_id = subscribe(store)
    fire = last_fire("mon", "09:00", "Europe/London", MONDAY)
    claim = store.claim(sub_id, fire.date(), now=MONDAY, lease=timedelta(minutes=10))
    assert claim is not None
    store.mark(claim.run_id, "sending", now=MONDAY)
    poster = FakePoster()
    poster.posted.append(
        ("C1", f"{sub_id}:{fire.date().isoformat()}", Reply(text="digest"))
    )  # it got there
    report = await run_due(job_for(empty_app, store, poster), now=MONDAY + timedelta(minutes=11))
    assert report.outcomes["recovered"] == 1 and len(poster.posted) == 1
    assert store.runs()[0].status == "sent"


async def test_where_the_platform_cannot_tell_a_run_that_died_while_sending_is_sent_again(
    empty_app: App, store: SubscriptionStore
) -> None:
    sub_id = subscribe(store)
    fire = last_fire("mon", "09:00", "Europe/London", MONDAY)
    claim = store.claim(sub_id, fire.date(), now=MONDAY, lease=timedelta(minutes=10))
    assert claim is not None
    store.mark(claim.run_id, "sending", now=MONDAY)
    poster = FakePoster(remembers=False)  # Teams: at least once
    assert (
        await run_due(job_for(empty_app, store, poster), now=MONDAY + timedelta(minutes=11))
    ).outcomes["sent"] == 1
    assert len(poster.posted) == 1


async def test_a_failed_post_is_retried_by_the_next_sweep_and_sent_once(
    empty_app: App, store: SubscriptionStore
) -> None:
    subscribe(store)
    poster = FakePoster(failures=[TemporaryFailure("fatal_error")])
    job = job_for(empty_app, store, poster)
    assert (await run_due(job, now=MONDAY)).outcomes["failed (will retry)"] == 1
    assert store.runs()[0].status == "failed" and "fatal_error" in (store.runs()[0].error or "")
    assert (await run_due(job, now=MONDAY + timedelta(minutes=1))).outcomes["sent"] == 1
    assert len(poster.posted) == 1


async def test_a_gone_channel_pauses_its_subscription_and_says_so(
    empty_app: App, store: SubscriptionStore
) -> None:
    sub_id = subscribe(store)
    told: list[str] = []
    poster = FakePoster(failures=[ChannelGone("channel_not_found")])
    job = job_for(empty_app, store, poster, on_paused=lambda sub, reason: told.append(reason))
    assert (await run_due(job, now=MONDAY)).outcomes["paused"] == 1
    with Session(empty_app.engine) as s:
        row = s.get_one(t.DigestSubscription, sub_id)
        assert row.active is False and "channel_not_found" in (row.paused_reason or "")
    assert told and "channel_not_found" in told[0]
    assert (await run_due(job, now=MONDAY + timedelta(days=7))).outcomes == {}


@pytest.mark.parametrize(("when_quiet", "posts"), [(True, 1), (False, 0)])
async def test_a_quiet_week_posts_one_line_or_nothing(
    empty_app: App, store: SubscriptionStore, when_quiet: bool, posts: int
) -> None:
    subscribe(store, post_when_quiet=when_quiet)
    poster = FakePoster()
    await run_due(job_for(empty_app, store, poster), now=MONDAY)
    assert len(poster.posted) == posts
    if posts:
        assert "quiet week" in poster.posted[0][2].text.lower()
    assert store.runs()[0].status == ("sent" if posts else "skipped")


async def test_subscribing_after_the_hour_does_not_post_last_weeks_digest(
    empty_app: App, store: SubscriptionStore
) -> None:
    store.subscribe(
        ConversationRef("slack", "C9", "T1"), by="test", now=MONDAY
    )  # 09:05, after Monday 09:00
    poster = FakePoster()
    job = job_for(empty_app, store, poster)
    assert (await run_due(job, now=MONDAY + timedelta(hours=1))).outcomes == {}
    assert (await run_due(job, now=MONDAY + timedelta(days=7))).outcomes["sent"] == 1


async def test_a_digest_missed_while_down_is_caught_up_within_the_window_only(
    empty_app: App, store: SubscriptionStore
) -> None:
    subscribe(store)
    poster = FakePoster()
    job = job_for(empty_app, store, poster, catch_up=timedelta(days=2))
    assert (await run_due(job, now=MONDAY + timedelta(days=3))).outcomes == {}
    assert (await run_due(job, now=MONDAY + timedelta(days=1))).outcomes["sent"] == 1


async def test_a_platform_that_is_not_configured_leaves_the_digest_waiting(
    empty_app: App, store: SubscriptionStore
) -> None:
    store.subscribe(
        ConversationRef("teams", "19:abc@thread.tacv2"), by="test", now=MONDAY - timedelta(days=30)
    )
    job = job_for(empty_app, store, FakePoster())
    report = await run_due(job, now=MONDAY)
    assert report.outcomes == {"waiting (teams is not configured)": 1}
    assert store.runs() == []


async def test_a_filtered_subscription_gets_only_its_service_area(
    empty_app: App, store: SubscriptionStore
) -> None:
    from bot.model import ProjectDraft, Stage

    for title, area in (("Bulky waste booking", "waste"), ("Planning portal", "planning")):
        project = empty_app.repo.add_project(
            ProjectDraft(
                title=title,
                organisation="Leeds City Council",
                stage=Stage.ALPHA,
                description=title,
                contact="#x",
                owner_key="k",
                service_area=area,
            ),
            now=MONDAY - timedelta(days=2),
        )
        assert project.service_area == area
    store.subscribe(
        ConversationRef("slack", "CWASTE"),
        by="test",
        now=MONDAY - timedelta(days=30),
        only=DigestFilter(service_areas=("Waste",)),
    )
    store.subscribe(ConversationRef("slack", "CALL"), by="test", now=MONDAY - timedelta(days=30))
    poster = FakePoster()
    await run_due(job_for(empty_app, store, poster), now=MONDAY)
    texts = {channel: reply.text for channel, _, reply in poster.posted}
    assert "Bulky waste booking" in texts["CWASTE"] and "Planning portal" not in texts["CWASTE"]
    assert "Bulky waste booking" in texts["CALL"] and "Planning portal" in texts["CALL"]


async def test_channels_due_at_the_same_instant_share_one_load_but_keep_their_own_dates(
    empty_app: App, store: SubscriptionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(store, "CLONDON")
    subscribe(store, "CLONDON2")
    subscribe(store, "CHONOLULU", day="sun", time="23:00", timezone="Pacific/Honolulu")
    loads: list[tuple[datetime, datetime]] = []
    load = empty_app.repo.activity_between

    def counting(start: datetime, end: datetime, **kw: object) -> object:
        loads.append((start, end))
        return load(start, end, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(empty_app.repo, "activity_between", counting)
    poster = FakePoster()
    report = await run_due(job_for(empty_app, store, poster), now=MONDAY)
    assert report.outcomes["sent"] == 3
    assert len(loads) == 1  # Monday 09:00 in London is Sunday 23:00 in Honolulu
    headings = {channel: reply.text.splitlines()[0] for channel, _, reply in poster.posted}
    assert "03 Mar – 10 Mar 2025" in headings["CLONDON"], headings
    assert "02 Mar – 09 Mar 2025" in headings["CHONOLULU"], headings
