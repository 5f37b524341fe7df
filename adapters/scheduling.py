"""Wires the digest job to the configured platforms, and runs the scheduler while leading."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web

from adapters.app import App
from jobs.digests import DigestJob, run_due
from jobs.ports import Poster
from knowledge.digests import DigestStore
from knowledge.leader import Leadership

log = logging.getLogger(__name__)
LEADER_CHECK_SECONDS = 30


def posters(app: App, *, teams_endpoint: Any = None) -> dict[str, Poster]:
    """A poster for each platform that is configured to post on its own (a bot token for
    Slack; Teams whenever it is on, reusing the server's endpoint when there is one)."""
    found: dict[str, Poster] = {}
    slack = app.settings.slack
    if slack.bot_token is not None:
        from adapters.slack.app import web_client
        from adapters.slack.poster import SlackPoster

        found["slack"] = SlackPoster(web_client(slack, slack.bot_token.get_secret_value()))
    if app.settings.teams_enabled:
        from adapters.teams.bot import TeamsEndpoint
        from adapters.teams.poster import TeamsPoster

        found["teams"] = TeamsPoster(teams_endpoint or TeamsEndpoint(app, app.settings.teams))
    return found


def digest_job(app: App, *, teams_endpoint: Any = None) -> DigestJob:
    return DigestJob(
        store=DigestStore(app.engine),
        activity=app.repo,
        posters=posters(app, teams_endpoint=teams_endpoint),
    )


def attach_scheduler(web_app: web.Application, app: App, *, teams_endpoint: Any = None) -> None:
    """On start: wait to lead, then run the scheduler; on stop: shut it down and resign."""
    leadership = Leadership(app.engine)
    state: dict[str, Any] = {}

    async def lead_then_schedule() -> None:
        from jobs.scheduler import make_scheduler, sync_subscriptions

        job = digest_job(app, teams_endpoint=teams_endpoint)

        async def sweep() -> None:
            sync_subscriptions(scheduler, await asyncio.to_thread(job.store.subscriptions), run)
            await run()

        async def run() -> None:
            report = await run_due(job, now=app.clock.now())
            if report.outcomes:
                log.info("digests: %s", report.summary())

        while not await asyncio.to_thread(leadership.try_lead):  # noqa: ASYNC110 (polls PostgreSQL)
            await asyncio.sleep(LEADER_CHECK_SECONDS)
        scheduler = make_scheduler(sweep=sweep, reminders=None, timezone=app.settings.timezone)
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
