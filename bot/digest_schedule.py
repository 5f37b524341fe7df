"""When a weekly digest falls due: the one rule, pure date arithmetic in the subscription's
own timezone. The chat's `digest time`, the command line's `digest subscribe`, the scheduler's
triggers and the digest job all read days and times through here."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.model import Subscription

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
CATCH_UP = timedelta(days=3)  # a digest missed while the service was down is still sent


def parse_time(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def day_named(text: str) -> str | None:
    """ "Monday", "mon", "MON" → "mon"; None for anything else."""
    day = text.strip()[:3].lower()
    return day if day in DAYS and len(text.strip()) >= 3 else None


def time_named(text: str) -> str | None:
    """ "9:00" → "09:00"; None for anything that is not a time of day."""
    match = TIME.match(text.strip())
    return f"{int(match[1]):02d}:{match[2]}" if match else None


def fire_on(day: date, at: str, zone: ZoneInfo) -> datetime:
    """The local wall-clock time `at` on `day`. Local, not UTC: 09:00 stays 09:00 across the
    clock changes (a time skipped in spring resolves to the hour after, as zoneinfo does)."""
    return datetime.combine(day, parse_time(at), tzinfo=zone)


def last_fire(day: str, at: str, timezone: str, now: datetime) -> datetime:
    """The most recent scheduled time at or before `now`."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    back = (local.weekday() - DAYS.index(day)) % 7
    candidate = fire_on(local.date() - timedelta(days=back), at, zone)
    if candidate > now:
        candidate = fire_on(candidate.date() - timedelta(days=7), at, zone)
    return candidate


def period(fire: datetime) -> tuple[datetime, datetime]:
    """The week a digest fired at `fire` covers: since the same local time a week earlier."""
    assert isinstance(fire.tzinfo, ZoneInfo)
    return fire_on(fire.date() - timedelta(days=7), fire.strftime("%H:%M"), fire.tzinfo), fire


def due_at(
    sub: Subscription, now: datetime, *, catch_up: timedelta = CATCH_UP, force: bool = False
) -> datetime | None:
    """When the subscription's current digest fell due, if it is due now: its latest scheduled
    time has passed, within the catch-up window, and the subscription existed by then
    (subscribing does not post last week's digest). `force`: due whatever the time."""
    fire = last_fire(sub.day, sub.time, sub.timezone, now)
    if force:
        return fire
    created = sub.created_at or fire
    return fire if now - fire <= catch_up and fire >= created else None
