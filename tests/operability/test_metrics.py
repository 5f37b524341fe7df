"""`/metrics` through the running server: what Slack, Teams and questions did, in Prometheus'
text format, on the app's own registry."""

from __future__ import annotations

import asyncio
import re
from collections import Counter as Tally
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from adapters.app import App
from adapters.bootstrap import build
from adapters.observability.metrics import Metrics
from adapters.settings import Settings
from bot.clock import FixedClock
from bot.model import ConversationRef
from jobs.reminders import ReminderReport
from tests.operability.conftest import Both, running_both
from tests.slack.conftest import TEAM, sign
from tests.teams.test_behaviour import text_of

QUESTION = "has anyone made a game for budget consultations?"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


async def test_metrics_count_each_platforms_requests_answers_and_searches(both: Both) -> None:
    status, before, response = await both.get("/metrics")
    assert status == 200 and response.content_type == "text/plain"
    assert value(before, "hasanyone_answers_total", confident="true") == 0
    assert value(before, "hasanyone_requests_total", platform="slack", status="200") is None

    assert (await both.slack_dm(QUESTION)).status == 200
    [answer] = await both.slack.fake.wait_for("chat.postMessage")
    assert "Budgetron" in str(answer.params)
    accepted = (await both.teams.send(both.teams.activity(QUESTION), token=None)).status
    assert accepted < 300
    [reply] = await both.teams.replies(1)
    assert "Budgetron" in text_of(reply.activity)
    assert (await both.teams.send({"type": "message"}, token=None)).status == 403  # not local

    _, after, _ = await both.get("/metrics")
    assert value(after, "hasanyone_requests_total", platform="slack", status="200") == 1
    teams = {
        dict(labels)["status"]: n
        for (name, labels), n in samples(after).items()
        if name == "hasanyone_requests_total" and ("platform", "teams") in labels
    }
    assert teams == {str(accepted): 1, "403": 1}
    assert value(after, "hasanyone_request_seconds_count", platform="slack") == 1
    assert value(after, "hasanyone_request_seconds_count", platform="teams") == 2
    assert value(after, "hasanyone_answers_total", confident="true") == 2
    assert value(after, "hasanyone_answers_total", confident="false") == 0
    assert (value(after, "hasanyone_search_seconds_count") or 0) >= 2
    assert value(after, "hasanyone_index_documents") == len(both.app.finder.index) > 40
    assert (value(after, "hasanyone_index_sync_lag_seconds") or -1) >= 0
    assert value(after, "hasanyone_embedding_backlog") == both.app.finder.worker.pending  # type: ignore[union-attr]
    # Neither the scrape itself nor the health check counts as a platform's request.
    assert not re.search(r'platform="(?!slack|teams)', after)


async def test_a_question_with_no_match_counts_as_not_confident(both: Both) -> None:
    await both.slack_dm("has anyone built a quantum teleporter for parking permits?")
    await both.slack.fake.wait_for("chat.postMessage")
    _, text, _ = await both.get("/metrics")
    assert value(text, "hasanyone_answers_total", confident="false") == 1
    assert value(text, "hasanyone_answers_total", confident="true") == 0


async def test_a_refused_slack_request_is_counted_with_its_status(both: Both) -> None:
    body = '{"type": "event_callback"}'
    bad = sign(body, secret="another-secret-entirely-0123456789")
    assert (await both.slack.post(body, "application/json", headers=bad)).status == 401
    _, text, _ = await both.get("/metrics")
    assert value(text, "hasanyone_requests_total", platform="slack", status="401") == 1
    assert value(text, "hasanyone_answers_total", confident="true") == 0


async def test_the_leaders_digest_runs_are_counted(
    demo_app: App, database_url: str, clock: FixedClock
) -> None:
    where = ConversationRef("slack", "C0DIGEST", TEAM)
    last_week = clock.now() - timedelta(days=7)
    demo_app.subscriptions.subscribe(where, by="test", now=last_week, day="wed", time="10:00")
    demo_app.engine.dispose()
    async with running_both(database_url, clock, scheduler=True) as both:
        [digest] = await both.slack.fake.wait_for("chat.postMessage", timeout=60)
        assert digest.params["channel"] == "C0DIGEST"
        for _ in range(100):  # the run is counted once the sweep has its report
            _, text, _ = await both.get("/metrics")
            if value(text, "hasanyone_digests_total", outcome="sent"):
                break
            await asyncio.sleep(0.1)
    assert value(text, "hasanyone_digests_total", outcome="sent") == 1
    assert value(text, "hasanyone_digests_total", outcome="failed") == 0


def test_digest_and_reminder_reports_become_outcome_counters() -> None:
    metrics = Metrics()
    metrics.digests(Tally({"sent": 2, "failed (will retry)": 1, "skipped (quiet)": 3}))
    metrics.digests(Tally({"paused": 1, "unsure (will check)": 1, "sent": 1}))
    metrics.reminders(ReminderReport(sent=4, failed=1, skipped_already=2, not_yet=9))
    from prometheus_client import generate_latest

    text = generate_latest(metrics.registry).decode()
    outcomes = {
        (name, dict(labels)["outcome"]): n
        for (name, labels), n in samples(text).items()
        if name in ("hasanyone_digests_total", "hasanyone_reminders_total")
    }
    assert outcomes == {
        ("hasanyone_digests_total", "sent"): 3,
        ("hasanyone_digests_total", "failed"): 1,
        ("hasanyone_digests_total", "skipped"): 3,
        ("hasanyone_digests_total", "paused"): 1,
        ("hasanyone_digests_total", "unsure"): 1,
        ("hasanyone_reminders_total", "sent"): 4,
        ("hasanyone_reminders_total", "failed"): 1,
        ("hasanyone_reminders_total", "already_reminded"): 2,
    }


def test_each_app_counts_on_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.digests(Tally({"sent": 1}))
    from prometheus_client import REGISTRY, generate_latest

    assert (
        value(generate_latest(second.registry).decode(), "hasanyone_digests_total", outcome="sent")
        == 0
    )
    assert "hasanyone_digests_total" not in generate_latest(REGISTRY).decode()


def test_two_runtimes_in_one_process_each_count_their_own_searches(
    database_url: str, clock: FixedClock
) -> None:
    """The metrics are built with the runtime and watch its own finder and question log."""
    from prometheus_client import REGISTRY, generate_latest

    settings = Settings(env="test", database_url=database_url, demo_data=False)
    first = build(settings, clock=clock, platforms=False)
    second = build(settings, clock=clock, platforms=False)
    try:
        first.core.finder.find("bulky waste collection")
        first_text = generate_latest(first.metrics.registry).decode()
        second_text = generate_latest(second.metrics.registry).decode()
        assert value(first_text, "hasanyone_search_seconds_count") == 1
        assert value(second_text, "hasanyone_search_seconds_count") == 0
        assert "hasanyone_" not in generate_latest(REGISTRY).decode()
    finally:
        first.close()
        second.close()
