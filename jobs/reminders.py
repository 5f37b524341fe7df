"""The Friday weeknote reminder: a direct message to each project owner whose project has no
weeknote this week, at most once per person per week, never on a bank holiday.

`send_reminders` is a plain async function; jobs/scheduler.py calls it on Fridays at 14:00
Europe/London. It checks the day itself and is safe to call any number of times, from any number
of processes: each (person, week) is claimed in the database before the message goes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.commands.base import week_of
from bot.model import Reply
from jobs.holidays import BankHolidays
from jobs.ports import ChannelGone, DirectMessenger, TemporaryFailure

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
FRIDAY = 4


class ReminderStore(Protocol):
    """What the reminder job needs from the database (knowledge.reminders implements it)."""

    def owners_without_weeknote(self, week: date) -> dict[str, list[tuple[str, str]]]:
        """person_key → [(project_id, title)] of their live-ish projects with no weeknote."""
        ...

    def opted_out(self, keys: Iterable[str]) -> set[str]: ...

    def claim(self, person_key: str, week: date, now: datetime) -> bool:
        """True for exactly one caller per (person, week), across processes."""
        ...

    def release(self, person_key: str, week: date) -> None: ...


@dataclass
class ReminderReport:
    sent: int = 0
    skipped_opted_out: int = 0
    skipped_already: int = 0
    failed: int = 0


async def send_reminders(
    *,
    now: datetime,
    store: ReminderStore,
    messengers: Mapping[str, DirectMessenger],
    holidays: BankHolidays,
    timezone: ZoneInfo = LONDON,
) -> ReminderReport:
    """Remind every owner due a reminder this week; returns what happened."""
    report = ReminderReport()
    today = now.astimezone(timezone).date()
    if today.weekday() != FRIDAY or holidays.is_holiday(today):
        log.info("no weeknote reminders on %s: not a working Friday", today.isoformat())
        return report
    week = week_of(today)
    due = await asyncio.to_thread(store.owners_without_weeknote, week)
    opted_out = await asyncio.to_thread(store.opted_out, list(due))
    for person_key, projects in due.items():
        messenger = messengers.get(person_key.partition(":")[0])
        if person_key in opted_out:
            report.skipped_opted_out += 1
        elif messenger is None:
            log.debug("no way to send a direct message to %s", person_key)
        elif not await asyncio.to_thread(store.claim, person_key, week, now):
            report.skipped_already += 1
        else:
            await _send(messenger, person_key, projects, week=week, store=store, report=report)
    log.info("weeknote reminders for the week of %s: %s", week.isoformat(), report)
    return report


async def _send(
    messenger: DirectMessenger,
    person_key: str,
    projects: Sequence[tuple[str, str]],
    *,
    week: date,
    store: ReminderStore,
    report: ReminderReport,
) -> None:
    try:
        await messenger.send_dm(person_key, reminder(projects))
    except TemporaryFailure:
        # Give the claim back so a later run tries again; the message did not go.
        await asyncio.to_thread(store.release, person_key, week)
        report.failed += 1
        log.warning("weeknote reminder to %s failed for now; will retry", person_key)
    except ChannelGone:
        report.failed += 1  # the claim stays: this person cannot be reached, so no retry
        log.warning("weeknote reminder to %s: the person cannot be reached", person_key)
    except Exception:
        # Whether it went out is unknown: keep the claim rather than risk a second nag.
        report.failed += 1
        log.exception("weeknote reminder to %s failed", person_key)
    else:
        report.sent += 1


def reminder(projects: Sequence[tuple[str, str]]) -> Reply:
    """The direct message for one person: every project of theirs that is missing a weeknote."""
    names = [f"{title} ({project_id})" for project_id, title in projects]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    example = f"`weeknote {projects[0][0]}: …`"
    how = f"Post one with {example}" if len(projects) == 1 else f"Post each like {example}"
    return Reply(
        text=(
            f"It's Friday: no weeknote yet this week for {listed}. "
            f"{how}, or turn these off with `weeknote remind off`."
        ),
        title="Weeknote reminder",
    )
