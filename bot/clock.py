"""Clocks: the real one, and one that stands still for tests and replays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class SystemClock:
    """Local time in the community's timezone, so "this week" starts on the local Monday."""

    timezone: ZoneInfo

    def now(self) -> datetime:
        return datetime.now(self.timezone)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA timezone called `name` ("Europe/London"), or None when there is no such zone
    on this machine (or `name` is empty or not a zone name at all)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
