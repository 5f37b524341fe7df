"""Posting weekly digests exactly once per channel and period.

Every due digest is claimed in the database before anything is sent (see DigestStore.claim),
so any number of processes can sweep at once. A run's status says how far it got:

- claimed: composing; nothing has been sent. A claimant silent for longer than the lease died,
  and the run is taken over and sent.
- sending: the post may have reached the platform. While the post is in flight (a Retry-After
  can hold it for minutes) its sender renews the lease, so nobody takes over a live send. A run
  taken over in this state first asks the platform whether the tagged message is already there
  (Slack can: message metadata and conversations.history). Where the platform cannot tell
  (Teams), it is sent again: at least once, and twice only if a process died during the post.
- unsure: the post failed in a way that does not say whether it landed (a 5xx, a dropped
  connection, a timeout). The next sweep looks first, exactly as for a taken-over `sending`.
  The client never retries such a post by itself.
- failed: nothing was posted; retried by the next sweep while within the catch-up window.
- sent / skipped: done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.digest import digest_for
from bot.digest_schedule import CATCH_UP, due_at, period
from bot.model import Reply, Subscription
from bot.ports import (
    Activity,
    ActivityFeed,
    ChannelGone,
    DigestRuns,
    MaybeDelivered,
    Poster,
    RunClaim,
    Subscriptions,
    TemporaryFailure,
)

log = logging.getLogger(__name__)
ActivityCache = dict[tuple[datetime, datetime], "asyncio.Future[Activity]"]
LEASE = timedelta(minutes=10)
RECOVERY_LOOKBACK = timedelta(hours=6)


@dataclass
class DigestJob:
    subscriptions: Subscriptions
    runs: DigestRuns
    activity: ActivityFeed
    posters: Mapping[str, Poster]
    catch_up: timedelta = CATCH_UP
    lease: timedelta = LEASE
    concurrency: int = 20
    on_paused: Callable[[Subscription, str], None] | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass
class RunReport:
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        if not self.outcomes:
            return "no digests were due"
        return ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items()))


def due(
    job: DigestJob, subscriptions: list[Subscription], now: datetime, *, force: bool = False
) -> list[tuple[Subscription, datetime]]:
    """Subscriptions whose digest is due now, with when (bot.digest_schedule.due_at: the one
    rule)."""
    found = []
    for sub in subscriptions:
        fire = due_at(sub, now, catch_up=job.catch_up, force=force)
        if fire is not None:
            found.append((sub, fire))
    return found


async def run_due(job: DigestJob, *, now: datetime, force: bool = False) -> RunReport:
    """One sweep: every digest that is due, each at most once, several channels at a time."""
    report = RunReport()
    subscriptions = await asyncio.to_thread(job.subscriptions.subscriptions)
    limit = asyncio.Semaphore(job.concurrency)
    composed: ActivityCache = {}

    async def one(sub: Subscription, fire: datetime) -> None:
        async with limit:
            report.outcomes[await run_one(job, sub, fire, now=now, composed=composed)] += 1

    await asyncio.gather(
        *(one(sub, fire) for sub, fire in due(job, subscriptions, now, force=force))
    )
    return report


async def run_one(
    job: DigestJob,
    sub: Subscription,
    fire: datetime,
    *,
    now: datetime,
    composed: ActivityCache | None = None,
) -> str:
    poster = job.posters.get(sub.platform)
    if poster is None:
        return f"waiting ({sub.platform} is not configured)"
    claim = await asyncio.to_thread(job.runs.claim, _id(sub), fire.date(), now=now, lease=job.lease)
    if claim is None:
        return "already handled"
    key = f"{_id(sub)}:{fire.date().isoformat()}"
    if claim.previous_status in ("sending", "unsure") and await _already_there(
        job, poster, sub, claim, key=key, now=now
    ):
        return "recovered"
    reply = await _composed(job, sub, fire, {} if composed is None else composed)
    if reply is None:
        await asyncio.to_thread(job.runs.mark, claim.run_id, "skipped", now=now, error="quiet week")
        return "skipped (quiet)"
    await asyncio.to_thread(job.runs.mark, claim.run_id, "sending", now=now)
    return await _send(job, poster, sub, claim, reply, key=key, now=now)


async def _already_there(
    job: DigestJob, poster: Poster, sub: Subscription, claim: RunClaim, *, key: str, now: datetime
) -> bool:
    since = (claim.previous_claimed_at or now) - RECOVERY_LOOKBACK
    try:
        ref = await poster.already_posted(
            sub.channel_id, digest_key=key, since=since, workspace_id=sub.workspace_id
        )
    except (TemporaryFailure, ChannelGone):
        ref = None
    if ref is None:
        return False
    await asyncio.to_thread(job.runs.mark, claim.run_id, "sent", now=now, message_ref=ref)
    log.info("digest %s was already posted before a restart; not sending it again", key)
    return True


async def _send(
    job: DigestJob,
    poster: Poster,
    sub: Subscription,
    claim: RunClaim,
    reply: Reply,
    /,
    *,
    key: str,
    now: datetime,
) -> str:
    try:
        async with _lease_kept(job, claim):
            ref = await poster.post(
                sub.channel_id, reply, digest_key=key, workspace_id=sub.workspace_id
            )
    except ChannelGone as gone:
        reason = f"{sub.platform} says the channel is gone: {gone}"
        await asyncio.to_thread(job.runs.mark, claim.run_id, "failed", now=now, error=reason)
        await asyncio.to_thread(job.subscriptions.pause, _id(sub), reason)
        log.warning("paused the digest for %s %s: %s", sub.platform, sub.channel_id, reason)
        if job.on_paused is not None:
            job.on_paused(sub, reason)
        return "paused"
    except (MaybeDelivered, OSError, TimeoutError) as error:
        reason = f"{type(error).__name__}: {error}"[:500]
        await asyncio.to_thread(job.runs.mark, claim.run_id, "unsure", now=now, error=reason)
        log.warning(
            "digest %s may not have been posted; will look before retrying: %s", key, reason
        )
        return "unsure (will check)"
    except TemporaryFailure as error:
        reason = f"{type(error).__name__}: {error}"[:500]
        await asyncio.to_thread(job.runs.mark, claim.run_id, "failed", now=now, error=reason)
        log.warning("digest %s failed, will retry: %s", key, reason)
        return "failed (will retry)"
    except Exception as error:  # a bug or an SDK surprise: logged, and looked at next time
        reason = f"{type(error).__name__}"
        await asyncio.to_thread(job.runs.mark, claim.run_id, "unsure", now=now, error=reason)
        log.exception("digest %s failed unexpectedly; will look before retrying", key)
        return "unsure (will check)"
    await asyncio.to_thread(job.runs.mark, claim.run_id, "sent", now=now, message_ref=ref)
    return "sent"


@contextlib.asynccontextmanager
async def _lease_kept(job: DigestJob, claim: RunClaim) -> AsyncIterator[None]:
    """Renew the claim's lease while a send is in flight, so a long Retry-After (or a slow
    platform) never lets another process take over a post that is still going out."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(job.lease.total_seconds() / 3)
            await asyncio.to_thread(job.runs.renew, claim.run_id, now=job.clock())

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def _composed(
    job: DigestJob, sub: Subscription, fire: datetime, cache: ActivityCache
) -> Reply | None:
    """A period's activity is loaded once per sweep and shared by every channel on that
    schedule (a future, so channels arriving together wait for the same load); each channel's
    filters then narrow it in memory."""
    start, end = period(fire)
    key = (start, end)  # instants: 09:00 London and 10:00 Paris share one load
    if key not in cache:
        cache[key] = asyncio.ensure_future(asyncio.to_thread(load_activity, job, fire))
    activity = await cache[key]
    # the heading names the week in the subscriber's own zone
    return digest_for(sub, replace(activity, start=start.date(), end=end.date()))


def load_activity(job: DigestJob, fire: datetime) -> Activity:
    """Everything that happened in the period ending at `fire`, unfiltered (blocking: run it
    in a thread)."""
    start, end = period(fire)
    return job.activity.activity_between(start, end)


def _id(sub: Subscription) -> int:
    assert sub.id is not None, "the job runs stored subscriptions"
    return sub.id
