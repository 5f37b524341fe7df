"""The digest's text, composed from plain `Activity` values: no database, no platform."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.digest import MAX_ITEMS, compose_digest
from bot.model import DigestFilter, Project, Stage, Weeknote
from bot.ports import Activity, StageChange, UnansweredQuestion

AT = datetime(2025, 3, 5, 12, tzinfo=UTC)
QUIET = Activity(
    start=date(2025, 3, 3),
    end=date(2025, 3, 10),
    new_projects=(),
    stage_changes=(),
    weeknotes=(),
    unanswered=(),
)
HEADINGS = (
    "New projects",
    "Stage changes",
    "Weeknotes",
    "Can you help? Nobody had an answer for",
    "Asked more than once, with nothing registered yet",
    "Looks alike",
)


def project(n: int = 1, *, title: str = "", org: str = "Leeds City Council") -> Project:
    return Project(
        id=f"p{n}",
        title=title or f"Project {n}",
        organisation_id=org.lower().replace(" ", "-"),
        organisation_name=org,
        stage=Stage.ALPHA,
    )


def note(n: int = 1, *, title: str = "", week: date = date(2025, 3, 3)) -> Weeknote:
    return Weeknote(
        id=f"w{n}",
        project_id="p1",
        organisation_id="o",
        author="A",
        week=week,
        title=title,
        text="",
    )


def question(text: str, times: int = 1) -> UnansweredQuestion:
    return UnansweredQuestion(text=text, asked_at=AT, times=times)


BIN = project(1, title="Bin day finder")
TREES = project(2, title="Tree map", org="Bristol City Council")
ONE_OF_EACH: dict[str, Any] = {  # an Activity field -> one item of it, for replace(**)
    "new_projects": (BIN,),
    "stage_changes": (StageChange(BIN, Stage.ALPHA, Stage.BETA, AT),),
    "weeknotes": ((BIN, (note(title="Sprint 4"),)),),
    "unanswered": (question("has anyone built a cemetery plot finder?"),),
    "similar_pairs": ((BIN, TREES),),
}


@pytest.mark.parametrize(
    ("field", "heading", "line"),
    [
        ("new_projects", "New projects", "• Bin day finder — Leeds City Council (alpha)"),
        ("stage_changes", "Stage changes", "• Bin day finder (Leeds City Council): alpha → beta"),
        ("weeknotes", "Weeknotes", "• Bin day finder (Leeds City Council): Sprint 4"),
        (
            "unanswered",
            "Can you help? Nobody had an answer for",
            "• “has anyone built a cemetery plot finder?”",
        ),
        (
            "similar_pairs",
            "Looks alike",
            "• Bin day finder (Leeds City Council) and Tree map (Bristol City Council)"
            " look alike — worth a chat?",
        ),
    ],
)
def test_a_section_appears_only_when_it_has_content(field: str, heading: str, line: str) -> None:
    reply = compose_digest(replace(QUIET, **{field: ONE_OF_EACH[field]}))
    assert heading + "\n" + line in reply.text
    assert [h for h in HEADINGS if h + "\n" in reply.text] == [heading]


def test_sections_come_in_the_agreed_order() -> None:
    questions = (question("cemetery plot finder"), question("bins", times=2))
    activity = replace(QUIET, **{**ONE_OF_EACH, "unanswered": questions})
    text = compose_digest(activity).text
    positions = [text.index(h + "\n") for h in HEADINGS]
    assert positions == sorted(positions)


def test_the_title_names_the_period() -> None:
    reply = compose_digest(replace(QUIET, new_projects=(BIN,)))
    assert reply.title == "hasanyone digest: 03 Mar – 10 Mar 2025"
    assert reply.text.startswith(reply.title + "\n\n")


def test_a_quiet_week_is_one_line_by_default_and_nothing_when_asked() -> None:
    line = compose_digest(QUIET)
    assert line.text == "hasanyone digest: 03 Mar – 10 Mar 2025 — a quiet week: nothing new."
    assert compose_digest(QUIET, quiet="line") == line
    assert compose_digest(QUIET, quiet="nothing") is None


def test_asking_for_nothing_when_quiet_still_posts_a_busy_week() -> None:
    busy = compose_digest(replace(QUIET, new_projects=(BIN,)), quiet="nothing")
    assert busy is not None and "Bin day finder" in busy.text


@pytest.mark.parametrize(
    ("count", "more"),
    [(1, None), (MAX_ITEMS, None), (MAX_ITEMS + 1, "…and 1 more"), (MAX_ITEMS + 7, "…and 7 more")],
)
def test_each_section_shows_at_most_max_items_then_says_how_many_more(
    count: int, more: str | None
) -> None:
    projects = tuple(project(n) for n in range(count))
    text = compose_digest(replace(QUIET, new_projects=projects)).text
    assert text.count("\n• ") == min(count, MAX_ITEMS)
    assert ("…and" in text) == (more is not None)
    if more:
        assert text.endswith("\n" + more)


def test_a_question_is_listed_once_and_repeated_ones_say_how_often() -> None:
    activity = replace(
        QUIET,
        unanswered=(question("Cemetery plot finder?", times=3), question("bins on a map")),
    )
    text = compose_digest(activity).text
    assert text.count("Cemetery plot finder") == 1
    assert text.count("bins on a map") == 1
    repeated = text.split("Asked more than once, with nothing registered yet\n")[1]
    assert repeated == "• “Cemetery plot finder?” (asked 3 times)"
    can_help = text.split("Can you help? Nobody had an answer for\n")[1].split("\n\n")[0]
    assert can_help == "• “bins on a map”"


@pytest.mark.parametrize(
    ("group", "line"),
    [
        ((BIN, (note(title="Sprint 4"),)), "• Bin day finder (Leeds City Council): Sprint 4"),
        ((BIN, (note(),)), "• Bin day finder (Leeds City Council): week of 2025-03-03"),
        (
            (BIN, (note(1, title="A"), note(2, title="B"))),
            "• Bin day finder (Leeds City Council) — 2 weeknotes: A, B",
        ),
        (
            (BIN, tuple(note(n, title=f"N{n}") for n in range(5))),
            "• Bin day finder (Leeds City Council) — 5 weeknotes: N0, N1, N2, …",
        ),
        ((None, (note(title="Our week"),)), "• Not linked to a project: Our week"),
    ],
)
def test_weeknotes_are_grouped_by_project_and_counted_when_many(
    group: tuple[Project | None, tuple[Weeknote, ...]], line: str
) -> None:
    text = compose_digest(replace(QUIET, weeknotes=(group,))).text
    assert text.endswith("Weeknotes\n" + line)


def test_user_text_is_left_plain_for_the_renderers_to_escape() -> None:
    sneaky = project(1, title="<b>*Bins*</b> & <@U123>")
    text = compose_digest(replace(QUIET, new_projects=(sneaky,))).text
    assert "• <b>*Bins*</b> & <@U123> — Leeds City Council (alpha)" in text


@pytest.mark.parametrize(
    ("only", "service_area", "organisation_id", "admitted"),
    [
        (DigestFilter(), "", "anyone", True),
        (DigestFilter(service_areas=("Waste",)), "waste ", "leeds", True),
        (DigestFilter(service_areas=("waste",)), "WASTE", "leeds", True),
        (DigestFilter(service_areas=("waste",)), "planning", "leeds", False),
        (DigestFilter(service_areas=("waste",)), "", "leeds", False),
        (DigestFilter(service_areas=("waste", "planning")), "Planning", "leeds", True),
        (DigestFilter(organisations=("Leeds",)), "waste", "leeds", True),
        (DigestFilter(organisations=("leeds",)), "waste", "york", False),
        (DigestFilter(("waste",), ("leeds",)), "waste", "york", False),
        (DigestFilter(("waste",), ("leeds",)), "planning", "leeds", False),
        (DigestFilter(("waste",), ("leeds",)), "Waste", "LEEDS", True),
    ],
)
def test_a_filter_admits_what_matches_every_field_it_sets(
    only: DigestFilter, service_area: str, organisation_id: str, admitted: bool
) -> None:
    assert only.admits(service_area=service_area, organisation_id=organisation_id) is admitted


def test_narrowing_in_memory_keeps_what_the_filter_admits() -> None:
    from dataclasses import replace as copy
    from datetime import date

    from bot.digest import narrow
    from bot.model import DigestFilter, Project, Stage, Weeknote
    from bot.ports import Activity, StageChange

    def project(pid: str, area: str, org: str) -> Project:
        return Project(
            id=pid,
            title=pid,
            organisation_id=org,
            organisation_name=org,
            stage=Stage.BETA,
            service_area=area,
        )

    waste, planning = project("w", "Waste", "leeds"), project("p", "planning", "york")
    note = Weeknote(
        id="n",
        project_id=None,
        organisation_id="leeds",
        author="",
        week=date(2025, 3, 3),
        title="",
        text="t",
    )
    activity = Activity(
        start=date(2025, 3, 3),
        end=date(2025, 3, 10),
        new_projects=(waste, planning),
        stage_changes=(
            StageChange(planning, Stage.ALPHA, Stage.BETA, datetime(2025, 3, 4, tzinfo=UTC)),
        ),
        weeknotes=((waste, (copy(note, project_id="w"),)), (None, (note,))),
        unanswered=(),
        similar_pairs=((waste, planning), (planning, waste)),
    )
    by_area = narrow(activity, DigestFilter(service_areas=("waste",)))
    assert [p.id for p in by_area.new_projects] == ["w"] and by_area.stage_changes == ()
    assert [p.id if p else None for p, _ in by_area.weeknotes] == [
        "w"
    ]  # no project: no service area
    assert [a.id for a, _ in by_area.similar_pairs] == ["w"]
    by_org = narrow(activity, DigestFilter(organisations=("LEEDS",)))
    assert [p.id if p else None for p, _ in by_org.weeknotes] == ["w", None]
    assert narrow(activity, DigestFilter()) is activity


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/London", True),
        ("America/Toronto", True),
        ("UTC", True),
        ("", False),
        ("Mars/Olympus", False),
        ("../../etc/passwd", False),
        ("Europe/London\x00", False),
    ],
)
def test_zone_named_knows_real_zones_and_nothing_else(name: str, known: bool) -> None:
    from bot.clock import zone_named

    zone = zone_named(name)
    assert (zone is not None) is known
    if zone is not None:
        assert str(zone) == name
