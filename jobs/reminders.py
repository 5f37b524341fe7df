"""The Friday weeknote reminder: a direct message to each project owner whose project has no
weeknote this week, at 14:00 on Friday in the owner's own timezone, at most once per person per
week, never on a bank holiday where their council is (England and Wales, Scotland or Northern
Ireland, by the council's GSS code; England and Wales for bodies without one).

`send_reminders` is a plain async function; jobs/timetable.py calls it every hour from Friday to
Saturday (UTC), which covers Friday afternoon in every timezone and catches up a run missed while
the service was down. It checks each person's local day and hour itself and is safe to call any
number of times, from any number of processes: each (person, week) is claimed in the database
before the message goes.

A person's timezone is what their platform reports: Teams sends it with every message
(`localTimezone`); Slack is asked once (users.info `tz`) and the answer kept. Where neither says,
Europe/London.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import zone_named
from bot.commands.base import week_of
from bot.model import Reply
from bot.ports import ChannelGone, DirectMessenger, ReminderStore, TemporaryFailure
from jobs.holidays import BankHolidays, division_of

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
FRIDAY = 4
REMIND_AT = time(14, 0)  # Friday, in the person's own timezone
ASK_AT_ONCE = 8  # platform look-ups of unknown timezones in flight


@dataclass
class ReminderReport:
    sent: int = 0
    skipped_opted_out: int = 0
    skipped_already: int = 0
    failed: int = 0
    not_yet: int = 0  # owners for whom it is not (or no longer) Friday afternoon
    holiday: int = 0  # owners whose Friday is a bank holiday

    def summary(self) -> str:
        parts = {
            "sent": self.sent,
            "already reminded": self.skipped_already,
            "opted out": self.skipped_opted_out,
            "failed": self.failed,
            "not their Friday afternoon": self.not_yet,
            "bank holiday": self.holiday,
        }
        said = [f"{n} {what}" for what, n in parts.items() if n]
        return "reminders: " + (", ".join(said) if said else "nobody due")


def friday_week(now: datetime) -> date | None:
    """The week (its Monday) whose Friday afternoon is under way somewhere on Earth (UTC-12 to
    UTC+14) at `now`; None when it is nowhere Friday afternoon. The offsets span 26 hours, so
    there is never more than one such Friday."""
    utc = now.astimezone(UTC)
    for minutes in range(-12 * 60, 14 * 60 + 1, 15):
        local = utc + timedelta(minutes=minutes)
        if local.weekday() == FRIDAY and local.time() >= REMIND_AT:
            return week_of(local.date())
    return None


async def send_reminders(
    *,
    now: datetime,
    store: ReminderStore,
    messengers: Mapping[str, DirectMessenger],
    holidays: BankHolidays,
    default_timezone: ZoneInfo = LONDON,
) -> ReminderReport:
    """Remind every owner whose own Friday afternoon it is and who is due; returns what
    happened."""
    report = ReminderReport()
    week = friday_week(now)
    if week is None:
        log.debug("no weeknote reminders at %s: it is nowhere Friday afternoon", now.isoformat())
        return report
    due = await asyncio.to_thread(store.owners_without_weeknote, week)
    opted_out = await asyncio.to_thread(store.opted_out, list(due))
    reachable = {
        key: messengers[key.partition(":")[0]]
        for key in due
        if key not in opted_out and key.partition(":")[0] in messengers
    }
    report.skipped_opted_out = sum(1 for key in due if key in opted_out)
    for key in due.keys() - opted_out - reachable.keys():
        log.debug("no way to send a direct message to %s", key)
    zones = await _zones(store, reachable, now=now, default=default_timezone)
    codes = await asyncio.to_thread(store.organisation_codes, list(reachable))
    for person_key, messenger in reachable.items():
        local = now.astimezone(zones[person_key])
        if local.weekday() != FRIDAY or local.time() < REMIND_AT or week_of(local.date()) != week:
            report.not_yet += 1
        elif holidays.is_holiday(local.date(), _divisions(codes.get(person_key))):
            report.holiday += 1
        elif not await asyncio.to_thread(store.claim, person_key, week, now):
            report.skipped_already += 1
        else:
            projects = due[person_key]
            await _send(messenger, person_key, projects, week=week, store=store, report=report)
    log.info("weeknote reminders for the week of %s: %s", week.isoformat(), report.summary())
    return report


async def _zones(
    store: ReminderStore,
    people: Mapping[str, DirectMessenger],
    *,
    now: datetime,
    default: ZoneInfo,
) -> dict[str, ZoneInfo]:
    """Each person's zone: as stored, else asked of their platform once (and stored), else
    `default`."""
    known = await asyncio.to_thread(store.timezones, list(people))
    unknown = [key for key in people if not known.get(key)]
    limit = asyncio.Semaphore(ASK_AT_ONCE)

    async def ask(key: str) -> None:
        async with limit:
            try:
                name = await people[key].timezone_of(key)
            except Exception as error:  # a look-up failure must not stop anyone's reminder
                log.warning("could not ask %s's timezone: %s", key, type(error).__name__)
                return
        if name and zone_named(name) is not None:
            known[key] = name
            await asyncio.to_thread(store.set_timezone, key, name, now=now)

    await asyncio.gather(*(ask(key) for key in unknown))
    return {key: zone_named(known.get(key) or "") or default for key in people}


def _divisions(codes: Iterable[str] | None) -> set[str]:
    """The bank-holiday divisions a person keeps: those of their projects' councils."""
    return {division_of(code) for code in codes or [""]}


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
