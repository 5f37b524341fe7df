"""When a weekly digest falls due: pure date arithmetic in the subscription's own timezone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_time(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


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
