"""Issue 10, exactly once under faults: a digest or an answer that may have landed is never
posted blindly again; a response_url that fails is retried, then replaced; a form is acked
while the database is locked. Against the fake Slack on 127.0.0.1, with its post-landing
faults (tests/fakes/slack_faults.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from adapters.settings import SlackSettings
from adapters.slack.client import web_client
from adapters.slack.poster import SlackPoster
from bot.clock import FixedClock
from bot.model import ConversationRef, Person
from jobs.digests import DigestJob, run_due
from knowledge.subscriptions import SubscriptionStore
from tests.conftest import make_app
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_faults import Drop
from tests.slack.conftest import TEAM, SlackHarness, running_slack

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2025, 3, 10, 9, 5, tzinfo=LONDON)
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


def job_on(
    database_url: str, fake: FakeSlack, *, lease: timedelta = timedelta(minutes=10)
) -> tuple[DigestJob, Any]:
    app = make_app(database_url, FixedClock(MONDAY), demo=False)

    async def token(_workspace: str) -> str:
        return TOKEN

    settings = SlackSettings(api_url=fake.api_url, timeout=1)
    poster = SlackPoster(web_client(settings, None), token)
    job = DigestJob(
        subscriptions=SubscriptionStore(app.engine),
        runs=SubscriptionStore(app.engine),
        activity=app.repo,
        posters={"slack": poster},
        lease=lease,
        clock=lambda: datetime.now(LONDON),
    )
    job.subscriptions.subscribe(
        ConversationRef("slack", "C0DIGEST", TEAM), by="test", now=MONDAY - timedelta(days=30)
    )
    return job, app


FAULTS = [
    ("land_then_500", {"status": 500, "after_landing": True}),
    ("land_then_html_502", {"status": 502, "after_landing": True, "body": "html"}),
    ("land_then_garbled_502", {"status": 502, "after_landing": True, "body": "garbled"}),
    ("land_then_text_503", {"status": 503, "after_landing": True, "body": "text"}),
]


@pytest.mark.parametrize(("name", "fault"), FAULTS, ids=[n for n, _ in FAULTS])
async def test_a_digest_that_landed_before_a_5xx_is_not_posted_again(
    database_url: str, fake: FakeSlack, name: str, fault: dict[str, Any]
) -> None:
    job, app = job_on(database_url, fake)
    fake.fail_next("chat.postMessage", **fault)
    first = await run_due(job, now=MONDAY)
    assert first.outcomes == {"unsure (will check)": 1}, name  # logged, no crash
    second = await run_due(job, now=MONDAY + timedelta(minutes=1))
    assert second.outcomes == {"recovered": 1}
    assert len(fake.messages["C0DIGEST"]) == 1
    assert len(fake.calls_to("chat.postMessage")) == 1  # never re-sent, only looked for
    app.engine.dispose()


@pytest.mark.parametrize("how", ["close", "reset", "partial"])
async def test_a_digest_whose_connection_dropped_after_landing_is_posted_once(
    database_url: str, fake: FakeSlack, how: Drop
) -> None:
    job, app = job_on(database_url, fake)
    fake.drop_next("chat.postMessage", after_landing=True, how=how)
    await run_due(job, now=MONDAY)
    await run_due(job, now=MONDAY + timedelta(minutes=1))
    assert len(fake.messages["C0DIGEST"]) == 1
    app.engine.dispose()


async def test_a_digest_that_stalled_past_the_timeout_after_landing_is_posted_once(
    database_url: str, fake: FakeSlack
) -> None:
    job, app = job_on(database_url, fake)
    fake.stall_next("chat.postMessage", seconds=2.5, after_landing=True)
    first = await run_due(job, now=MONDAY)
    assert first.outcomes == {"unsure (will check)": 1}
    await run_due(job, now=MONDAY + timedelta(minutes=1))
    assert len(fake.messages["C0DIGEST"]) == 1
    app.engine.dispose()


async def test_a_digest_that_failed_before_landing_is_sent_on_the_next_sweep(
    database_url: str, fake: FakeSlack
) -> None:
    job, app = job_on(database_url, fake)
    fake.fail_next("chat.postMessage", status=500, body="html")  # not applied
    await run_due(job, now=MONDAY)
    assert fake.messages.get("C0DIGEST", []) == []
    again = await run_due(job, now=MONDAY + timedelta(minutes=1))
    assert again.outcomes == {"sent": 1} and len(fake.messages["C0DIGEST"]) == 1
    app.engine.dispose()


async def test_a_retry_after_longer_than_the_lease_keeps_other_processes_off(
    database_url: str, fake: FakeSlack
) -> None:
    """The first sender waits out a 4 s Retry-After with a 1.5 s lease; a second process sweeping
    in the meantime must see a live claim, not a dead one, and send nothing."""
    lease = timedelta(seconds=1.5)
    first, app = job_on(database_url, fake, lease=lease)
    started = time.monotonic()
    first.clock = lambda: MONDAY + timedelta(seconds=time.monotonic() - started)  # one clock
    second = DigestJob(
        subscriptions=SubscriptionStore(app.engine),
        runs=SubscriptionStore(app.engine),
        activity=app.repo,
        posters=first.posters,
        lease=lease,
        clock=first.clock,
    )
    fake.rate_limit("chat.postMessage", seconds=4, retry_after=4)
    sending = asyncio.create_task(run_due(first, now=first.clock()))
    await asyncio.sleep(2.5)  # past the lease, inside the Retry-After
    racing = await run_due(second, now=second.clock())
    assert racing.outcomes == {"already handled": 1}
    assert (await sending).outcomes == {"sent": 1}
    assert len(fake.messages["C0DIGEST"]) == 1
    app.engine.dispose()


# -- chat answers ------------------------------------------------------------------------------


async def test_an_answer_that_landed_before_a_500_is_not_posted_again_and_the_asker_is_told(
    slack: SlackHarness,
) -> None:
    slack.fake.fail_next("chat.postMessage", status=500, after_landing=True)
    await slack.event(
        {
            "type": "app_mention",
            "user": "UALICE",
            "text": "<@UBOT> has anyone made a game for budget consultations?",
            "ts": "1700000001.000100",
            "channel": "C0GENERAL",
        }
    )
    [notice] = await slack.fake.wait_for("chat.postEphemeral")
    await asyncio.sleep(0.5)
    answers = [m for m in slack.fake.messages["C0GENERAL"] if "Budgetron" in json.dumps(m)]
    assert len(answers) == 1
    assert notice.params["user"] == "UALICE" and "ask again" in notice.params["text"]


# -- 12. response_url --------------------------------------------------------------------------


async def test_a_rate_limited_response_url_is_retried_and_delivered_once(
    slack: SlackHarness,
) -> None:
    response_id = f"r{next(slack.ids) + 1}"  # the id the next slash command will use
    slack.fake.fail_next(f"response_url:{response_id}", status=429, retry_after=1)
    started = time.monotonic()
    _, rid = await slack.slash("/hasanyone", "help")
    assert rid == response_id
    [delivered] = await slack.fake.wait_for_landed(f"response_url:{rid}")
    assert time.monotonic() - started >= 0.9
    assert "weeknote" in json.dumps(delivered.params)
    assert slack.fake.calls_to("chat.postEphemeral") == []


async def test_a_failing_response_url_falls_back_to_an_ephemeral_message_with_a_warning(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    response_id = f"r{next(slack.ids) + 1}"
    slack.fake.fail_next(f"response_url:{response_id}", status=500, times=2)
    with caplog.at_level(logging.WARNING, logger="adapters.slack.respond"):
        await slack.slash("/hasanyone", "help")
        [ephemeral] = await slack.fake.wait_for("chat.postEphemeral")
    assert ephemeral.params["user"] == "UALICE" and "weeknote" in json.dumps(ephemeral.params)
    assert "response_url failed (HTTP 500)" in caplog.text
    assert len(slack.fake.calls_to(f"response_url:{response_id}")) == 2  # one retry, no more


# -- 13. a form is acked while the database is locked ------------------------------------------


@contextlib.contextmanager
def write_lock_held(database_url: str, seconds: float) -> Iterator[threading.Event]:
    """Another process's long transaction: the project table locked for writing."""
    engine = sa.create_engine(database_url)
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.connect() as c:
            if c.dialect.name == "sqlite":
                c.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                c.exec_driver_sql("BEGIN")
                c.exec_driver_sql("LOCK TABLE project IN EXCLUSIVE MODE")
            held.set()
            done.wait(seconds)
            c.exec_driver_sql("ROLLBACK")

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        yield done
    finally:
        done.set()
        thread.join()
        engine.dispose()


async def test_the_project_form_is_acked_at_once_while_another_process_holds_the_lock(
    slack: SlackHarness, database_url: str
) -> None:
    values = {
        "title": {"title": {"type": "plain_text_input", "value": "Locked-out register"}},
        "organisation": {"organisation": {"type": "plain_text_input", "value": "Leeds"}},
        "stage": {"stage": {"type": "static_select", "selected_option": {"value": "alpha"}}},
        "description": {"description": {"type": "plain_text_input", "value": "Saved later"}},
        "contact": {"contact": {"type": "plain_text_input", "value": "#locked"}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": "UALICE", "username": "alice"},
        "view": {
            "id": "VLOCK",
            "type": "modal",
            "hash": "1.x",
            "callback_id": "project",
            "private_metadata": json.dumps({"channel": "C0GENERAL"}),
            "state": {"values": values},
        },
    }
    alice = Person(f"slack:{TEAM}:UALICE", "alice")
    slack.app.people.seen(alice, ConversationRef("slack", "C0GENERAL", TEAM), now=MONDAY)
    with write_lock_held(database_url, seconds=4):
        started = time.monotonic()
        response = await slack.interact(payload)
        acked = time.monotonic() - started
        assert response.status == 200 and not (await response.text()).strip()
        assert acked < 1.0, f"acked after {acked:.2f} s"
    [told] = await slack.fake.wait_for("chat.postEphemeral", timeout=15)
    assert "Registered Locked-out register" in json.dumps(told.params)


@pytest.fixture
async def slack(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[SlackHarness]:
    request.getfixturevalue("demo_app").engine.dispose()
    async with running_slack(database_url, clock) as harness:
        yield harness
