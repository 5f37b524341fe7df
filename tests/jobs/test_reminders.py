"""The Friday weeknote reminder on real databases, with a fake clock and a recording messenger."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from adapters.app import App
from bot.model import ConversationRef, Incoming, Person, ProjectDraft, Reply, Stage, WeeknoteDraft
from bot.ports import ChannelGone, TemporaryFailure
from jobs.holidays import (
    DIVISIONS,
    NORTHERN_IRELAND,
    SCOTLAND,
    BankHolidays,
    division_of,
    parse_lines,
)
from jobs.reminders import ReminderReport, send_reminders
from knowledge import db
from knowledge import tables as t
from knowledge.reminders import ReminderStore

LONDON = ZoneInfo("Europe/London")
FRIDAY = datetime(2025, 3, 14, 14, 0, tzinfo=LONDON)
WEEK = date(2025, 3, 10)
ALICE = "slack:T1:UALICE"
BOB = "slack:T1:UBOB"
CAROL = "teams:tenant-1:aad-carol"
DM = ConversationRef(platform="slack", channel_id="D1", workspace_id="T1", is_direct=True)


class RecordingMessenger:
    """Keeps every direct message it is asked to send; raises the scripted failures first."""

    def __init__(
        self,
        platform: str,
        *,
        failures: list[Exception] | None = None,
        zones: dict[str, str] | None = None,
    ) -> None:
        self.platform = platform
        self.sent: list[tuple[str, Reply]] = []
        self.failures = list(failures or [])
        self.zones = zones or {}  # what the platform answers when asked a person's timezone
        self.asked: list[str] = []

    async def send_dm(self, person_key: str, reply: Reply, *, key: str = "") -> None:
        await asyncio.sleep(0)  # give a concurrent run the chance to interleave
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((person_key, reply))

    async def already_sent(self, person_key: str, *, key: str, since: datetime) -> bool | None:
        return None  # as a platform that cannot tell (reminders do not ask)

    async def timezone_of(self, person_key: str) -> str | None:
        self.asked.append(person_key)
        return self.zones.get(person_key)


@pytest.fixture
def slack() -> RecordingMessenger:
    return RecordingMessenger("slack")


def add_project(
    app: App,
    title: str,
    owner: str,
    *,
    stage: Stage = Stage.BETA,
    organisation: str = "Hackney",
) -> str:
    draft = ProjectDraft(
        title=title,
        organisation=organisation,
        stage=stage,
        description=f"{title}, online.",
        contact="#team",
        owner_key=owner,
    )
    return app.repo.add_project(draft, now=app.clock.now()).id


def post_weeknote(app: App, project_id: str, author: str, *, week: date = WEEK) -> str:
    draft = WeeknoteDraft(
        project_id=project_id, week=week, text="We shipped.", author=Person(author)
    )
    return app.repo.add_weeknote(draft, now=app.clock.now()).id


def say(app: App, who: str, text: str) -> Reply:
    incoming = Incoming(text=text, sender=Person(who), conversation=DM, received_at=app.clock.now())
    reply = app.bot.handle(incoming)
    assert reply.text.strip(), f"the bot said nothing to {text!r}"
    return reply


async def remind(
    app: App,
    *messengers: RecordingMessenger,
    now: datetime = FRIDAY,
    store: ReminderStore | None = None,
) -> ReminderReport:
    return await send_reminders(
        now=now,
        store=store or ReminderStore(app.engine),
        messengers={m.platform: m for m in messengers},
        holidays=BankHolidays.load(),
    )


async def test_the_owner_of_a_project_without_a_weeknote_gets_one_dm_on_friday(
    empty_app: App, slack: RecordingMessenger
) -> None:
    bulky = add_project(empty_app, "Bulky waste booking", ALICE)

    report = await remind(empty_app, slack)

    assert report == ReminderReport(sent=1)
    [(to, reply)] = slack.sent
    assert to == ALICE
    assert reply.text == (
        f"It's Friday: no weeknote yet this week for Bulky waste booking ({bulky}). "
        f"Post one with `weeknote {bulky}: …`, or turn these off with `weeknote remind off`."
    )


async def test_no_reminder_for_a_project_with_a_weeknote_this_week(
    empty_app: App, slack: RecordingMessenger
) -> None:
    parking = add_project(empty_app, "Parking permits", BOB)
    bulky = add_project(empty_app, "Bulky waste booking", ALICE)
    posted = say(empty_app, BOB, f"weeknote {parking}: Ran 5 sessions.")  # on Wednesday
    assert "Posted your weeknote" in posted.text
    # Last week's weeknote is not this week's.
    post_weeknote(empty_app, bulky, ALICE, week=WEEK - timedelta(days=7))

    report = await remind(empty_app, slack)

    assert report.sent == 1
    assert [to for to, _ in slack.sent] == [ALICE]


async def test_a_deleted_weeknote_does_not_count_as_posted(
    empty_app: App, slack: RecordingMessenger
) -> None:
    bulky = add_project(empty_app, "Bulky waste booking", ALICE)
    note = post_weeknote(empty_app, bulky, ALICE)
    assert "Deleted" in say(empty_app, ALICE, f"weeknote delete {note}").text

    await remind(empty_app, slack)

    assert [to for to, _ in slack.sent] == [ALICE]


async def test_retired_and_deleted_projects_are_not_chased(
    empty_app: App, slack: RecordingMessenger
) -> None:
    add_project(empty_app, "Old portal", ALICE, stage=Stage.RETIRED)
    gone = add_project(empty_app, "Abandoned idea", BOB)
    with Session(empty_app.engine) as s:
        row = s.get(t.Project, gone)
        assert row is not None
        row.deleted_at = FRIDAY
        s.add(row)
        s.commit()
    add_project(empty_app, "Live service", CAROL, stage=Stage.LIVE)

    due = ReminderStore(empty_app.engine).owners_without_weeknote(WEEK)

    assert list(due) == [CAROL]


async def test_a_weeknote_without_a_project_does_not_hide_everyone(empty_app: App) -> None:
    bulky = add_project(empty_app, "Bulky waste booking", ALICE)
    with Session(empty_app.engine) as s:
        org = s.exec(select(t.Project.organisation_id)).one()
        s.add(
            t.Weeknote(
                id="imported-note",
                project_id=None,
                organisation_id=org,
                week=WEEK,
                text="An imported weeknote with no project",
                created_at=FRIDAY,
                changed_at=FRIDAY,
            )
        )
        s.commit()

    due = ReminderStore(empty_app.engine).owners_without_weeknote(WEEK)

    assert due == {ALICE: [(bulky, "Bulky waste booking")]}


async def test_one_dm_lists_every_project_of_a_person(
    empty_app: App, slack: RecordingMessenger
) -> None:
    bulky = add_project(empty_app, "Bulky waste booking", ALICE)
    parking = add_project(empty_app, "Parking permits", ALICE)

    report = await remind(empty_app, slack)

    assert report == ReminderReport(sent=1)
    [(to, reply)] = slack.sent
    assert to == ALICE
    assert f"Bulky waste booking ({bulky}) and Parking permits ({parking})" in reply.text


async def test_remind_off_opts_out_and_remind_on_opts_back_in(
    empty_app: App, slack: RecordingMessenger
) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)
    off = say(empty_app, ALICE, "weeknote remind off")
    assert off.tone == "done" and "No more weeknote reminders" in off.text

    report = await remind(empty_app, slack)

    assert report == ReminderReport(skipped_opted_out=1)
    assert slack.sent == []

    assert say(empty_app, ALICE, "weeknote remind on").tone == "done"
    report = await remind(empty_app, slack)

    assert report == ReminderReport(sent=1)
    assert [to for to, _ in slack.sent] == [ALICE]


async def test_remind_needs_on_or_off(empty_app: App) -> None:
    reply = say(empty_app, ALICE, "weeknote remind maybe")

    assert reply.tone == "error"
    assert "weeknote remind off" in reply.text


async def test_opting_out_records_someone_the_bot_has_not_met(empty_app: App) -> None:
    ReminderStore(empty_app.engine).set_reminders(CAROL, False, now=FRIDAY)

    with Session(empty_app.engine) as s:
        rows = s.exec(select(t.Person)).all()
    assert [(r.key, r.platform, r.workspace_id, r.user_id, r.reminders) for r in rows] == [
        (CAROL, "teams", "tenant-1", "aad-carol", False)
    ]
    assert ReminderStore(empty_app.engine).opted_out([CAROL, ALICE]) == {CAROL}


async def test_nobody_is_reminded_twice_in_a_week(
    empty_app: App, slack: RecordingMessenger
) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)

    first = await remind(empty_app, slack)
    again = await remind(empty_app, slack, now=FRIDAY + timedelta(hours=2))

    assert (first.sent, again.sent, again.skipped_already) == (1, 0, 1)
    assert len(slack.sent) == 1

    next_week = await remind(empty_app, slack, now=FRIDAY + timedelta(days=7))
    assert next_week.sent == 1
    assert len(slack.sent) == 2


async def test_two_replicas_running_at_once_send_one_reminder(
    empty_app: App, slack: RecordingMessenger
) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)
    other_engine = db.make_engine(empty_app.settings.database_url)
    try:
        reports = await asyncio.gather(
            remind(empty_app, slack), remind(empty_app, slack, store=ReminderStore(other_engine))
        )
    finally:
        other_engine.dispose()

    assert len(slack.sent) == 1
    assert sorted((r.sent, r.skipped_already) for r in reports) == [(0, 1), (1, 0)]


async def test_a_temporary_failure_is_retried_by_the_next_run(empty_app: App) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)
    slack = RecordingMessenger("slack", failures=[TemporaryFailure("503")])

    failed = await remind(empty_app, slack)
    retried = await remind(empty_app, slack)
    done = await remind(empty_app, slack)

    assert (failed.failed, failed.sent) == (1, 0)
    assert retried.sent == 1
    assert done.skipped_already == 1
    assert [to for to, _ in slack.sent] == [ALICE]


async def test_someone_who_cannot_be_reached_is_not_tried_again_that_week(empty_app: App) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)
    add_project(empty_app, "Parking permits", BOB)
    slack = RecordingMessenger("slack", failures=[ChannelGone("user_not_found")])

    first = await remind(empty_app, slack)
    second = await remind(empty_app, slack)

    assert (first.sent, first.failed) == (1, 1)  # the failure did not stop the next person
    assert (second.sent, second.skipped_already) == (0, 2)
    assert len(slack.sent) == 1


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(datetime(2025, 3, 13, 14, 0, tzinfo=LONDON), ReminderReport(), id="thursday"),
        pytest.param(datetime(2025, 3, 15, 14, 0, tzinfo=LONDON), ReminderReport(), id="saturday"),
        pytest.param(
            datetime(2025, 3, 14, 13, 59, tzinfo=LONDON), ReminderReport(not_yet=1), id="13:59"
        ),
        pytest.param(
            datetime(2025, 4, 18, 14, 0, tzinfo=LONDON),
            ReminderReport(holiday=1),
            id="good-friday-2025",
        ),
        pytest.param(
            datetime(2025, 12, 26, 14, 0, tzinfo=LONDON),
            ReminderReport(holiday=1),
            id="boxing-day-2025",
        ),
    ],
)
async def test_no_reminders_unless_it_is_a_working_friday_afternoon(
    empty_app: App, slack: RecordingMessenger, now: datetime, expected: ReminderReport
) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)

    report = await remind(empty_app, slack, now=now)

    assert report == expected
    assert slack.sent == []


@pytest.mark.parametrize(
    ("friday", "organisation", "reminded"),
    [
        pytest.param(date(2026, 1, 2), "City of Edinburgh Council", False, id="edinburgh-2-jan"),
        pytest.param(date(2026, 1, 2), "Hackney", True, id="hackney-2-jan"),
        pytest.param(date(2028, 3, 17), "Belfast City Council", False, id="belfast-st-patrick"),
        pytest.param(date(2028, 3, 17), "City of Edinburgh Council", True, id="edinburgh-17-mar"),
        pytest.param(date(2026, 1, 2), "Open Systems Lab", True, id="no-council-uses-e-and-w"),
    ],
)
async def test_bank_holidays_are_those_where_the_owners_council_is(
    empty_app: App, slack: RecordingMessenger, friday: date, organisation: str, reminded: bool
) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE, organisation=organisation)
    now = datetime.combine(friday, time(14, 30), tzinfo=LONDON)

    report = await remind(empty_app, slack, now=now)

    assert report == (ReminderReport(sent=1) if reminded else ReminderReport(holiday=1))
    assert [to for to, _ in slack.sent] == ([ALICE] if reminded else [])


async def test_someone_with_projects_on_both_sides_of_the_border_is_off_on_either_holiday(
    empty_app: App, slack: RecordingMessenger
) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE, organisation="Hackney")
    add_project(empty_app, "Parking permits", ALICE, organisation="City of Edinburgh Council")
    add_project(empty_app, "Street lighting", BOB, organisation="Hackney")

    report = await remind(empty_app, slack, now=datetime(2026, 1, 2, 14, 30, tzinfo=LONDON))

    assert report == ReminderReport(sent=1, holiday=1)
    assert [to for to, _ in slack.sent] == [BOB]


async def test_friday_at_two_in_london_across_the_clock_change(
    empty_app: App, slack: RecordingMessenger
) -> None:
    """In summer 14:00 in London is 13:00 UTC: the reminder follows the local clock."""
    add_project(empty_app, "Bulky waste booking", ALICE)
    june = datetime(2025, 6, 13, 12, 59, tzinfo=UTC)
    assert (await remind(empty_app, slack, now=june)).not_yet == 1
    assert (await remind(empty_app, slack, now=june + timedelta(minutes=1))).sent == 1


async def test_each_owner_is_reminded_at_two_on_friday_in_their_own_timezone(
    empty_app: App,
) -> None:
    """Teams reports a timezone with each message; Slack is asked once; London otherwise."""
    add_project(empty_app, "Bulky waste booking", ALICE)  # Slack, no zone known: London
    add_project(empty_app, "School admissions", BOB)  # Slack profile says New York
    add_project(empty_app, "Library app", CAROL)  # Teams, said Auckland
    teams_dm = ConversationRef("teams", "a:1", "tenant-1", is_direct=True)
    empty_app.people.seen(Person(CAROL, "Carol", "Pacific/Auckland"), teams_dm, now=FRIDAY)
    slack = RecordingMessenger("slack", zones={BOB: "America/New_York"})
    teams = RecordingMessenger("teams")

    async def at(when: datetime) -> list[str]:
        before = len(slack.sent), len(teams.sent)
        await remind(empty_app, slack, teams, now=when)
        return [to for to, _ in slack.sent[before[0] :] + teams.sent[before[1] :]]

    # Friday 14 March 2025: Auckland is UTC+13, London UTC+0, New York UTC-4.
    assert await at(datetime(2025, 3, 14, 0, 59, tzinfo=UTC)) == []
    assert await at(datetime(2025, 3, 14, 1, 0, tzinfo=UTC)) == [CAROL]
    assert await at(datetime(2025, 3, 14, 14, 0, tzinfo=UTC)) == [ALICE]
    assert await at(datetime(2025, 3, 14, 17, 0, tzinfo=UTC)) == []
    assert await at(datetime(2025, 3, 14, 18, 0, tzinfo=UTC)) == [BOB]
    assert await at(datetime(2025, 3, 15, 3, 0, tzinfo=UTC)) == []  # everyone has had theirs
    # Slack was asked once for each Slack owner it did not know, and the answer kept
    assert sorted(set(slack.asked)) == sorted([ALICE, BOB]) and slack.asked.count(BOB) == 1
    assert ReminderStore(empty_app.engine).timezones([BOB, CAROL]) == {
        BOB: "America/New_York",
        CAROL: "Pacific/Auckland",
    }


async def test_a_missed_friday_afternoon_is_caught_up_that_evening_but_not_on_saturday(
    empty_app: App, slack: RecordingMessenger
) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)
    assert (await remind(empty_app, slack, now=FRIDAY + timedelta(hours=10))).not_yet == 1
    assert (await remind(empty_app, slack, now=FRIDAY + timedelta(hours=9))).sent == 1


async def test_a_zone_nobody_knows_falls_back_to_london(empty_app: App) -> None:
    add_project(empty_app, "Bulky waste booking", ALICE)
    slack = RecordingMessenger("slack", zones={ALICE: "Mars/Olympus_Mons"})
    assert (await remind(empty_app, slack, now=FRIDAY)).sent == 1
    assert ReminderStore(empty_app.engine).timezones([ALICE]).get(ALICE, "") == ""


async def test_people_with_no_direct_messenger_are_skipped(
    empty_app: App, slack: RecordingMessenger
) -> None:
    add_project(empty_app, "Console project", "console:alice")
    add_project(empty_app, "Teams project", CAROL)
    add_project(empty_app, "Slack project", BOB)

    report = await remind(empty_app, slack)
    assert [to for to, _ in slack.sent] == [BOB]
    assert report == ReminderReport(sent=1)

    teams = RecordingMessenger("teams")
    await remind(empty_app, slack, teams)
    assert [to for to, _ in teams.sent] == [CAROL]
    assert len(slack.sent) == 1


# -- the bank-holiday list ------------------------------------------------------------------


@pytest.mark.parametrize("division", DIVISIONS)
def test_every_line_of_each_bank_holiday_list_is_a_date_and_none_falls_at_a_weekend(
    division: str,
) -> None:
    days = BankHolidays.load().days(division)

    assert days
    assert all(day.weekday() < 5 for day in days)


@pytest.mark.parametrize(
    ("division", "per_year"), [("england-and-wales", 8), (SCOTLAND, 9), (NORTHERN_IRELAND, 10)]
)
@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027, 2028])
def test_each_year_has_its_divisions_bank_holidays(year: int, division: str, per_year: int) -> None:
    days = [d for d in BankHolidays.load().days(division) if d.year == year]

    assert per_year <= len(days) <= per_year + 1, sorted(days)  # +1 for a one-off (a coronation)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 3, 29),
        date(2025, 4, 18),
        date(2026, 4, 3),
        date(2027, 3, 26),
        date(2028, 4, 14),
        date(2026, 8, 31),
        date(2026, 12, 28),
        date(2027, 12, 27),
        date(2027, 12, 28),
        date(2028, 1, 3),
    ],
)
def test_good_fridays_and_substitute_days_are_listed(day: date) -> None:
    assert BankHolidays.load().is_holiday(day)


@pytest.mark.parametrize("day", [date(2026, 12, 26), date(2027, 12, 25), date(2025, 3, 14)])
def test_weekend_dates_and_ordinary_days_are_not_holidays(day: date) -> None:
    assert not BankHolidays.load().is_holiday(day)


@pytest.mark.parametrize(
    ("day", "division", "holiday_there", "holiday_in_england"),
    [
        pytest.param(date(2026, 1, 2), SCOTLAND, True, False, id="2nd-january"),
        pytest.param(date(2027, 1, 4), SCOTLAND, True, False, id="2nd-january-substitute"),
        pytest.param(date(2026, 11, 30), SCOTLAND, True, False, id="st-andrews-day"),
        pytest.param(date(2025, 12, 1), SCOTLAND, True, False, id="st-andrews-substitute"),
        pytest.param(date(2026, 8, 3), SCOTLAND, True, False, id="scottish-summer-holiday"),
        pytest.param(date(2026, 4, 6), SCOTLAND, False, True, id="no-easter-monday"),
        pytest.param(date(2026, 8, 31), SCOTLAND, False, True, id="no-late-august"),
        pytest.param(date(2028, 3, 17), NORTHERN_IRELAND, True, False, id="st-patricks-day"),
        pytest.param(date(2025, 7, 14), NORTHERN_IRELAND, True, False, id="boyne-substitute"),
        pytest.param(date(2026, 4, 6), NORTHERN_IRELAND, True, True, id="ni-easter-monday"),
    ],
)
def test_scotland_and_northern_ireland_keep_their_own_holidays(
    day: date, division: str, holiday_there: bool, holiday_in_england: bool
) -> None:
    holidays = BankHolidays.load()

    assert holidays.is_holiday(day, [division]) is holiday_there
    assert holidays.is_holiday(day) is holiday_in_england
    assert holidays.is_holiday(day, [division, "england-and-wales"]) is (
        holiday_there or holiday_in_england
    )


@pytest.mark.parametrize(
    ("code", "division"),
    [
        ("E09000012", "england-and-wales"),
        ("W06000015", "england-and-wales"),
        ("S12000036", SCOTLAND),
        ("N09000003", NORTHERN_IRELAND),
        ("", "england-and-wales"),
        (None, "england-and-wales"),
    ],
)
def test_a_councils_gss_code_says_whose_holidays_it_keeps(code: str | None, division: str) -> None:
    assert division_of(code) == division


def test_a_missing_or_broken_list_stops_the_load_rather_than_dropping_holidays(
    tmp_path: Path,
) -> None:
    for division in DIVISIONS:
        (tmp_path / f"bank-holidays-{division}.txt").write_text("2025-12-25\n", encoding="utf-8")
    assert BankHolidays.load(tmp_path).days(SCOTLAND) == {date(2025, 12, 25)}

    (tmp_path / "bank-holidays-scotland.txt").write_text("2025-12-25\n2025-02-30\n", "utf-8")
    with pytest.raises(ValueError, match=r"bank-holidays-scotland\.txt: line 2"):
        BankHolidays.load(tmp_path)

    (tmp_path / "bank-holidays-scotland.txt").write_text("2025-12-25\n", "utf-8")
    (tmp_path / "bank-holidays-northern-ireland.txt").unlink()
    with pytest.raises(FileNotFoundError):
        BankHolidays.load(tmp_path)


def test_a_bad_line_in_the_list_is_an_error_not_a_missing_holiday() -> None:
    assert parse_lines(["# comment", "", "2025-12-25  # Christmas Day"]) == [date(2025, 12, 25)]
    with pytest.raises(ValueError, match="line 2"):
        parse_lines(["2025-12-25", "2025-13-01"])
