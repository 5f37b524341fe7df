"""Delivering the outbox: the direct messages the core asked for (claims to decide, their
outcome, notes to community managers), each at most once, in order, across any number of
processes. See knowledge/outbox.py for the claim."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ports import (
    ChannelGone,
    DirectMessenger,
    MaybeDelivered,
    OutboxDelivery,
    QueuedMessage,
    TemporaryFailure,
)

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
LOOK_BACK = timedelta(hours=1)  # before the message was first asked for


@dataclass
class OutboxReport:
    outcomes: Counter[str]

    def summary(self) -> str:
        if not self.outcomes:
            return "no messages were waiting"
        return ", ".join(f"{n} {what}" for what, n in sorted(self.outcomes.items()))


async def deliver(
    store: OutboxDelivery, messengers: Mapping[str, DirectMessenger], *, now: datetime
) -> OutboxReport:
    outcomes: Counter[str] = Counter()
    for message in await asyncio.to_thread(store.claim_due, now=now):
        outcome = await _deliver_one(store, messengers, message, now=now)
        outcomes[outcome] += 1
    return OutboxReport(outcomes)


async def _deliver_one(
    store: OutboxDelivery,
    messengers: Mapping[str, DirectMessenger],
    message: QueuedMessage,
    *,
    now: datetime,
) -> str:
    platform = message.person_key.split(":", 1)[0]
    messenger = messengers.get(platform)
    if messenger is None:
        reason = f"{platform} cannot take direct messages here"
        await asyncio.to_thread(store.mark, message.id, "undeliverable", now=now, error=reason)
        return "undeliverable"
    if message.previous_status in ("unsure", "sending"):
        since = message.created_at - LOOK_BACK
        try:
            there = await messenger.already_sent(message.person_key, key=message.key, since=since)
        except (TemporaryFailure, ChannelGone):
            there = None
        if there:
            await asyncio.to_thread(store.mark, message.id, "sent", now=now)
            return "sent (found)"
    try:
        await messenger.send_dm(message.person_key, message.reply, key=message.key)
    except ChannelGone as gone:
        await asyncio.to_thread(store.mark, message.id, "undeliverable", now=now, error=str(gone))
        return "undeliverable"
    except MaybeDelivered as unsure:
        status = "failed" if message.attempts >= MAX_ATTEMPTS else "unsure"
        await asyncio.to_thread(store.mark, message.id, status, now=now, error=str(unsure))
        log.warning("a direct message may not have arrived; will check: %s", unsure)
        return status
    except TemporaryFailure as failure:
        status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
        await asyncio.to_thread(store.mark, message.id, status, now=now, error=str(failure))
        return "will retry" if status == "pending" else "failed"
    await asyncio.to_thread(store.mark, message.id, "sent", now=now)
    return "sent"
