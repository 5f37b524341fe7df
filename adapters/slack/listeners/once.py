"""Exactly once: Slack redelivers events it thinks were missed, and a captured request can be
replayed for five minutes, so event ids, slash commands' trigger ids and submitted views are
claimed in the database before anything is done. Posts are never repeated by the client
(adapters/slack/client.py); an answer that could not be delivered is said so to its asker.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt.response import BoltResponse

from adapters.slack.incoming import PLATFORM
from bot.ports import Clock, ProcessedEvents

log = logging.getLogger(__name__)
CLAIM_THREADS = 2  # for the exactly-once claims that come before an ack


class Once:
    """Claims of event, command and submission ids, and the middleware that drops redelivered
    events."""

    def __init__(self, processed: ProcessedEvents, *, clock: Clock) -> None:
        self.processed = processed
        self.clock = clock
        self._threads = ThreadPoolExecutor(CLAIM_THREADS, thread_name_prefix="slack-claims")

    async def first_time(self, kind: str, key: str) -> bool:
        """Claim an event, command or submission id in the database. On threads of its own: an
        event is acked only after this, and the default executor may be full of slow answers
        (Slack gives up after 3 s and sends the event again, adding to the queue)."""
        claim = functools.partial(
            self.processed.first_time_for_event, kind, key[:200], now=self.clock.now()
        )
        return await asyncio.get_running_loop().run_in_executor(self._threads, claim)

    async def drop_retried_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack redelivers an event it thinks we missed; Bolt does not notice. The event id is
        claimed in the database, so a redelivery (to this or another replica) is acked and
        dropped."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.first_time(PLATFORM, str(event_id)):
            log.info("dropped redelivered Slack event %s", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
