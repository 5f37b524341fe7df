"""Wires the digest job to the configured platforms, and runs the scheduler while leading."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from adapters.app import App
from bot.model import Reply, Subscription
from bot.ports import DirectMessenger, Poster
from jobs.digests import DigestJob, run_due
from jobs.outbox import deliver
from knowledge.leader import Leadership

if TYPE_CHECKING:
    from adapters.slack.poster import Tokens
    from jobs.reminders import ReminderReport

log = logging.getLogger(__name__)
LEADER_CHECK_SECONDS = 30


def slack_tokens(app: App) -> Tokens | None:
    """Where digests and reminders find each Slack workspace's token (None: Slack cannot post)."""
    if not app.settings.slack.can_post:
        return None
    from adapters.slack.installations import WorkspaceTokens

    return WorkspaceTokens(app.settings.database_url, app.settings.slack)


def posters(
    app: App, *, teams_endpoint: Any = None, tokens: Tokens | None = None
) -> dict[str, Poster]:
    """A poster for each platform that is configured to post on its own (a bot token or OAuth
    installations for Slack; Teams whenever it is on, reusing the server's endpoint when there
    is one)."""
    found: dict[str, Poster] = {}
    tokens = tokens or slack_tokens(app)
    if tokens is not None:
        from adapters.slack.client import web_client
        from adapters.slack.poster import SlackPoster

        found["slack"] = SlackPoster(web_client(app.settings.slack, None), tokens)
    if app.settings.teams_enabled:
        from adapters.teams.poster import TeamsPoster

        found["teams"] = TeamsPoster(teams_endpoint or _endpoint(app))
    return found


def messengers(
    app: App, *, teams_endpoint: Any = None, tokens: Tokens | None = None
) -> dict[str, DirectMessenger]:
    found: dict[str, DirectMessenger] = {}
    tokens = tokens or slack_tokens(app)
    if tokens is not None:
        from adapters.slack.client import web_client
        from adapters.slack.poster import SlackMessenger

        found["slack"] = SlackMessenger(web_client(app.settings.slack, None), tokens)
    if app.settings.teams_enabled:
        from adapters.teams.poster import TeamsMessenger

        found["teams"] = TeamsMessenger(teams_endpoint or _endpoint(app))
    return found


def _endpoint(app: App) -> Any:
    from adapters.teams.bot import TeamsEndpoint

    return TeamsEndpoint(app, app.settings.teams, local=app.settings.teams_local)


def digest_job(app: App, *, teams_endpoint: Any = None) -> DigestJob:
    def paused(sub: Subscription, reason: str) -> None:
        """Tell the community managers (through the outbox: once each, surviving restarts);
        it is logged either way."""
        text = f"The digest for {sub.platform} channel {sub.channel_id} is paused: {reason}."
        now = app.clock.now()
        for key in app.settings.community_managers:
            app.outbox.enqueue(
                f"paused:{sub.id}:{now.isoformat()}:{key}", key, Reply(text), now=now
            )

    return DigestJob(
        subscriptions=app.subscriptions,
        runs=app.subscriptions,
        activity=app.repo,
        posters=posters(app, teams_endpoint=teams_endpoint),
        on_paused=paused,
        clock=app.clock.now,
    )


async def deliver_outbox(app: App, direct: dict[str, DirectMessenger]) -> str:
    """Send the direct messages the core queued (claims, their outcome, paused digests)."""
    report = await deliver(app.outbox, direct, now=app.clock.now())
    return report.summary()


async def remind(app: App, *, teams_endpoint: Any = None, now: datetime | None = None) -> str:
    """The weeknote reminders due now: Friday 14:00 in each owner's timezone, never on a bank
    holiday, once a week (the job checks all of that itself)."""
    return (await remind_report(app, teams_endpoint=teams_endpoint, now=now)).summary()


async def remind_report(
    app: App, *, teams_endpoint: Any = None, now: datetime | None = None
) -> ReminderReport:
    from jobs.holidays import BankHolidays
    from jobs.reminders import send_reminders
    from knowledge.reminders import ReminderStore

    return await send_reminders(
        now=now or app.clock.now(),
        store=ReminderStore(app.engine),
        messengers=messengers(app, teams_endpoint=teams_endpoint),
        holidays=BankHolidays.load(),
    )


def attach_scheduler(
    web_app: web.Application, app: App, *, teams_endpoint: Any = None
) -> Leadership:
    """On start: wait to lead, then run the scheduler; on stop: shut it down and resign.
    The lock is taken over `app.locks` (HASANYONE_LEADER_DATABASE_URL when set)."""
    from adapters.observability.routes import METRICS_KEY

    leadership = Leadership(app.locks)
    state: dict[str, Any] = {}
    metrics = web_app.get(METRICS_KEY)

    async def lead_then_schedule() -> None:
        from jobs.scheduler import make_scheduler, sync_subscriptions

        job = digest_job(app, teams_endpoint=teams_endpoint)
        direct = messengers(app, teams_endpoint=teams_endpoint)

        async def sweep() -> None:
            sync_subscriptions(
                scheduler, await asyncio.to_thread(job.subscriptions.subscriptions), run
            )
            await run()

        async def run() -> None:
            report = await run_due(job, now=app.clock.now())
            if report.outcomes:
                log.info("digests: %s", report.summary())
            if metrics is not None:
                metrics.digests(report.outcomes)
            await outbox()

        async def outbox() -> None:
            summary = await deliver_outbox(app, direct)
            if not summary.startswith("no messages"):
                log.info("direct messages: %s", summary)

        while not await asyncio.to_thread(leadership.try_lead):  # noqa: ASYNC110 (polls PostgreSQL)
            await asyncio.sleep(LEADER_CHECK_SECONDS)

        async def reminders() -> None:
            report = await remind_report(app, teams_endpoint=teams_endpoint)  # it logs itself
            if metrics is not None:
                metrics.reminders(report)

        scheduler = make_scheduler(
            sweep=sweep, reminders=reminders, outbox=outbox, timezone=app.settings.timezone
        )
        scheduler.start()
        state["scheduler"] = scheduler
        await sweep()  # catch up on anything that fell due while no one was leading

    async def start(_web_app: web.Application) -> None:
        state["task"] = asyncio.create_task(lead_then_schedule())

    async def stop(_web_app: web.Application) -> None:
        if "scheduler" in state:
            state["scheduler"].shutdown(wait=False)
        state["task"].cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await state["task"]
        await asyncio.to_thread(leadership.resign)

    web_app.on_startup.append(start)
    web_app.on_cleanup.append(stop)
    return leadership
