"""The only module that imports APScheduler (3.x). Every trigger gets an explicit ZoneInfo.

Each subscription gets a cron trigger at its own day, time and timezone (day_of_week names, not
cron numbers: APScheduler counts Monday as 0, so from_crontab("0 9 * * 1") fires on Tuesday).
A sweep every minute catches anything a trigger missed (a deploy, a failed post, a replica
that just became leader); the database claim makes every extra call harmless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.digest_schedule import parse_time
from bot.model import Subscription

Job = Callable[[], Awaitable[object]]
MISFIRE_GRACE = 6 * 3600  # a deploy or restart inside six hours still fires the missed digest


def digest_trigger(sub: Subscription) -> CronTrigger:
    at = parse_time(sub.time)
    return CronTrigger(
        day_of_week=sub.day, hour=at.hour, minute=at.minute, timezone=ZoneInfo(sub.timezone)
    )


def reminder_trigger() -> CronTrigger:
    """Every hour from Friday 00:00 to Saturday 23:00 UTC: Friday 14:00 comes somewhere in that
    span for every timezone (UTC+14 to UTC-12), and send_reminders picks who is due."""
    return CronTrigger(day_of_week="fri,sat", hour="*", minute=0, timezone=ZoneInfo("UTC"))


def make_scheduler(
    *,
    sweep: Job,
    reminders: Job | None,
    timezone: str,
    outbox: Job | None = None,
    sweep_seconds: int = 60,
    outbox_seconds: int = 10,
) -> AsyncIOScheduler:
    zone = ZoneInfo(timezone)
    scheduler = AsyncIOScheduler(timezone=zone)
    if outbox is not None:
        scheduler.add_job(
            outbox,
            IntervalTrigger(seconds=outbox_seconds, timezone=zone),
            id="outbox",
            name="direct messages waiting to go",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE,
        )
    scheduler.add_job(
        sweep,
        IntervalTrigger(seconds=sweep_seconds, timezone=zone),
        id="digest-sweep",
        name="digest catch-up sweep",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE,
    )
    if reminders is not None:
        scheduler.add_job(
            reminders,
            reminder_trigger(),
            id="weeknote-reminders",
            name="Friday weeknote reminders",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE,
        )
    return scheduler


def sync_subscriptions(
    scheduler: AsyncIOScheduler, subscriptions: Iterable[Subscription], run: Job
) -> None:
    """One cron job per active subscription, replaced when its schedule changes."""
    wanted = {f"digest-{s.id}": s for s in subscriptions}
    for job in scheduler.get_jobs():
        if job.id.startswith("digest-") and job.id != "digest-sweep" and job.id not in wanted:
            job.remove()
    for job_id, sub in wanted.items():
        trigger = digest_trigger(sub)
        current = scheduler.get_job(job_id)
        if current is not None and str(current.trigger) == str(trigger):
            continue
        scheduler.add_job(
            run,
            trigger,
            id=job_id,
            name=f"digest for {sub.platform} {sub.channel_id}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE,
        )
