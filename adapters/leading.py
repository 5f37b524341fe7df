"""While this replica leads: the scheduler that runs the digests, the reminders and the outbox.

Every replica waits for the leader's lock (a PostgreSQL advisory lock over
HASANYONE_LEADER_DATABASE_URL when set); the one holding it runs the jobs. The jobs themselves
are the runtime's (adapters/bootstrap.py builds them); this module only starts and stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web

from adapters.bootstrap import Runtime
from knowledge.leader import Leadership

log = logging.getLogger(__name__)
LEADER_CHECK_SECONDS = 30


def attach_scheduler(web_app: web.Application, runtime: Runtime) -> Leadership:
    """On start: wait to lead, then run the scheduler; on stop: shut it down and resign."""
    leadership = runtime.leadership
    state: dict[str, Any] = {}
    metrics = runtime.metrics

    async def lead_then_schedule() -> None:
        from jobs.timetable import make_scheduler, sync_subscriptions

        async def sweep() -> None:
            subscriptions = await asyncio.to_thread(runtime.digests.subscriptions.subscriptions)
            sync_subscriptions(scheduler, subscriptions, run)
            await run()

        async def run() -> None:
            report = await runtime.run_digests()
            if report.outcomes:
                log.info("digests: %s", report.summary())
            metrics.digests(report.outcomes)
            await outbox()

        async def outbox() -> None:
            summary = await runtime.deliver_outbox()
            if not summary.startswith("no messages"):
                log.info("direct messages: %s", summary)

        async def reminders() -> None:
            report = await runtime.remind_report()  # it logs itself
            metrics.reminders(report)

        while True:
            while not await asyncio.to_thread(leadership.try_lead):  # noqa: ASYNC110 (polls PostgreSQL)
                await asyncio.sleep(LEADER_CHECK_SECONDS)
            scheduler = make_scheduler(
                sweep=sweep, reminders=reminders, outbox=outbox, timezone=runtime.settings.timezone
            )
            scheduler.start()
            state["scheduler"] = scheduler
            await sweep()  # catch up on anything that fell due while no one was leading
            # The lock lives with its connection: if that goes (a database restart, a network
            # cut), another replica may take over, so this one stops its jobs and waits again.
            while await asyncio.to_thread(leadership.still_leading):  # noqa: ASYNC110
                await asyncio.sleep(LEADER_CHECK_SECONDS)
            log.warning(
                "lost the scheduler lock (its database connection went): the jobs stop here "
                "until this process leads again"
            )
            state.pop("scheduler").shutdown(wait=False)

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
