"""What the repository hands the digest: filters, grouped questions and look-alike projects,
on real databases (SQLite always, PostgreSQL where it answers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from rapidfuzz import fuzz
from sqlmodel import Session

from adapters.app import App
from bot.digest import narrow
from bot.model import (
    ConversationRef,
    DigestFilter,
    Finding,
    Person,
    Project,
    ProjectDraft,
    Stage,
    WeeknoteDraft,
)
from bot.ports import Activity
from knowledge import tables as t
from knowledge.search import similar

ALICE = Person("slack:T1:UALICE", "Alice")
HERE = ConversationRef("slack", "C1", "T1", is_public=True)


def week(app: App, *, only: DigestFilter | None = None) -> Activity:
    end = app.clock.now() + timedelta(minutes=1)  # the demo data is stamped "now"
    return app.repo.activity_between(end - timedelta(days=7), end, only=only)


def add(
    app: App, title: str, org: str, *, area: str = "", days_ago: float = 1, owner: Person = ALICE
) -> Project:
    draft = ProjectDraft(
        title=title,
        organisation=org,
        stage=Stage.DISCOVERY,
        description="",
        contact="team@example.org",
        owner_key=owner.key,
        service_area=area,
    )
    return app.repo.add_project(draft, now=app.clock.now() - timedelta(days=days_ago))


def ask(app: App, text: str, *, minutes_ago: int = 60) -> None:
    app.questions.record_question(
        text,
        asker=ALICE,
        where=HERE,
        finding=Finding(query=text, confident=False, results=()),
        at=app.clock.now() - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def register(empty_app: App) -> dict[str, Project]:
    """Two councils, two service areas, one of everything the filters act on."""
    now = empty_app.clock.now()
    bins = add(empty_app, "Bulky waste booking", "Leeds City Council", area="Waste")
    plans = add(empty_app, "Local plan consultation", "York Council", area="Planning", days_ago=30)
    empty_app.repo.set_stage(plans.id, Stage.ALPHA, by=ALICE, now=now - timedelta(days=2))
    for p in (bins, plans):
        empty_app.repo.add_weeknote(
            WeeknoteDraft(p.id, date(2025, 3, 10), f"Notes on {p.title}", ALICE, title=p.title),
            now=now - timedelta(days=1),
        )
    with Session(empty_app.engine) as s:  # a weeknote with no project: its organisation decides
        s.add(
            t.Weeknote(
                id="york-team-week",
                organisation_id=plans.organisation_id,
                week=date(2025, 3, 10),
                title="York team week",
                created_at=now - timedelta(hours=3),
                changed_at=now - timedelta(hours=3),
            )
        )
        s.commit()
    ask(empty_app, "has anyone built a cemetery plot finder?")
    return {"bins": bins, "plans": plans}


def summary(activity: Activity) -> dict[str, list[str]]:
    return {
        "new": [p.title for p in activity.new_projects],
        "changes": [c.project.title for c in activity.stage_changes],
        "notes": [note.title for _, notes in activity.weeknotes for note in notes],
        "unanswered": [q.text for q in activity.unanswered],
    }


EVERYTHING = {
    "new": ["Bulky waste booking"],
    "changes": ["Local plan consultation"],
    "notes": ["Bulky waste booking", "Local plan consultation", "York team week"],
    "unanswered": ["has anyone built a cemetery plot finder?"],
}
WASTE = {
    "new": ["Bulky waste booking"],
    "changes": [],
    "notes": ["Bulky waste booking"],
    "unanswered": EVERYTHING["unanswered"],
}
YORK = {
    "new": [],
    "changes": ["Local plan consultation"],
    "notes": ["Local plan consultation", "York team week"],
    "unanswered": EVERYTHING["unanswered"],
}
NOTHING_BUT_QUESTIONS = {"new": [], "changes": [], "notes": [], "unanswered": YORK["unanswered"]}


@pytest.mark.parametrize(
    ("make_filter", "expected"),
    [
        (lambda r: None, EVERYTHING),
        (lambda r: DigestFilter(), EVERYTHING),
        (lambda r: DigestFilter(service_areas=("waste",)), WASTE),
        (lambda r: DigestFilter(service_areas=("WASTE", "Housing")), WASTE),
        (lambda r: DigestFilter(organisations=(r["plans"].organisation_id.upper(),)), YORK),
        (
            lambda r: DigestFilter(
                service_areas=("planning",), organisations=(r["plans"].organisation_id,)
            ),
            {**YORK, "notes": ["Local plan consultation"]},  # the projectless note has no area
        ),
        (
            lambda r: DigestFilter(
                service_areas=("waste",), organisations=(r["plans"].organisation_id,)
            ),
            NOTHING_BUT_QUESTIONS,
        ),
    ],
)
def test_filters_narrow_projects_stage_changes_and_weeknotes_but_never_questions(
    empty_app: App,
    register: dict[str, Project],
    make_filter: Callable[[dict[str, Project]], DigestFilter | None],
    expected: dict[str, list[str]],
) -> None:
    only = make_filter(register)
    assert summary(week(empty_app, only=only)) == expected
    # the digest job loads a period once and narrows it in memory for each channel's filter
    assert summary(narrow(week(empty_app), only or DigestFilter())) == expected


def test_the_old_call_without_a_filter_still_works(
    empty_app: App, register: dict[str, Project]
) -> None:
    end = empty_app.clock.now()
    old_call = empty_app.repo.activity_between(end - timedelta(days=7), end)
    assert summary(old_call) == EVERYTHING


def test_near_identical_questions_are_counted_together_and_different_ones_are_not(
    empty_app: App,
) -> None:
    for minutes_ago, text in enumerate(
        [
            "Cemetery plot finder anyone?",
            "Has anyone got a cemetary plot finder",  # sic
            "bins app for council tax?",
            "bins?",
            "cemetery plot search",
            "has anyone built a cemetery plot finder?",  # asked first
        ]
    ):
        ask(empty_app, text, minutes_ago=minutes_ago + 1)
    got = [(q.text, q.times) for q in week(empty_app).unanswered]
    assert got == [
        ("has anyone built a cemetery plot finder?", 3),
        ("cemetery plot search", 1),
        ("bins?", 1),
        ("bins app for council tax?", 1),
    ]


def test_a_new_project_copying_another_councils_title_looks_alike_and_others_do_not(
    empty_app: App,
) -> None:
    old = add(empty_app, "Bulky waste collection booking", "Leeds City Council", days_ago=90)
    copy = add(empty_app, "Bulky Waste Collection Booking", "York Council")
    extended = add(empty_app, "Bulky waste collection booking (pilot)", "Bristol City Council")
    own = add(empty_app, "Bulky waste collection booking", "Leeds City Council")
    unrelated = add(empty_app, "Street tree map", "Bristol City Council")
    vague = add(empty_app, "Waste", "Kirklees Council")  # one common word is not a likeness
    activity = week(empty_app)
    pairs = {(a.id, b.id) for a, b in activity.similar_pairs}
    assert (copy.id, old.id) in pairs
    assert {(extended.id, old.id), (extended.id, copy.id)} & pairs
    assert not {(own.id, old.id), (old.id, own.id)} & pairs  # same council: they know already
    assert not any(p.id in pair for pair in pairs for p in (unrelated, vague))
    assert all(a.organisation_id != b.organisation_id for a, b in activity.similar_pairs)


def test_a_pair_of_new_look_alikes_is_named_once_and_each_new_project_at_most_twice(
    empty_app: App,
) -> None:
    for n, org in enumerate(["Leeds City Council", "York Council", "Bristol City Council"]):
        add(empty_app, "Council tax single person discount review", org, days_ago=n + 1)
    pairs = [(a.id, b.id) for a, b in week(empty_app).similar_pairs]
    assert len(pairs) == 3  # three projects, three unordered pairs, none twice
    assert len({frozenset(p) for p in pairs}) == 3


def test_similar_pairs_search_once_per_new_project_over_the_demo_data(
    demo_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    look_alikes = similar.TitleIndex.look_alikes

    def counting(self: similar.TitleIndex, title: str) -> list[int]:
        calls.append(title)
        return look_alikes(self, title)

    monkeypatch.setattr(similar.TitleIndex, "look_alikes", counting)
    assert week(demo_app).new_projects == ()  # an imported register is not the week's news
    add(demo_app, "Website redesign", "Leeds City Council")
    add(demo_app, "Pothole reporting", "York Council")
    activity = week(demo_app)
    assert sorted(p.title for p in activity.new_projects) == [
        "Pothole reporting",
        "Website redesign",
    ]
    assert sorted(calls) == sorted(p.title for p in activity.new_projects)
    titles = {frozenset((a.title, b.title)) for a, b in activity.similar_pairs}
    assert frozenset(("Website redesign", "Website redesign for Kirklees Council")) in titles
    calls.clear()
    later = demo_app.clock.now() + timedelta(days=30)
    assert demo_app.repo.activity_between(later - timedelta(days=7), later).similar_pairs == ()
    assert calls == []


def test_the_title_index_finds_what_scoring_every_title_finds(demo_app: App) -> None:
    """The term index only skips titles that could never pass: same look-alikes, same order."""
    titles = [p.title for p in demo_app.repo.list_projects(limit=1000)[0]]
    titles += ["Website redesign", "Redesign of the website for Leeds", "A TO Z", "Bins"]
    index = similar.TitleIndex(titles)

    def every_title(title: str) -> list[int]:
        key = similar.title_key(title)
        if not key:
            return []
        words = set(key.split())
        found = []
        for i, choice in enumerate(index.keys):
            score = fuzz.token_set_ratio(key, choice, processor=None)
            shared = len(words & set(choice.split()))
            if score >= similar.LOOK_ALIKE and (shared >= 2 or choice == key):
                found.append((-score, -shared, i))
        return [i for *_, i in sorted(found)]

    assert any(len(index.look_alikes(title)) > 1 for title in titles)  # the check has teeth
    for title in titles:
        assert index.look_alikes(title) == every_title(title), title
    assert index.look_alikes("A TO Z") == []  # stop words and a letter: nothing to compare


@pytest.mark.parametrize(
    ("about", "in_digest"),
    [
        pytest.param(date(2025, 3, 10), True, id="this-week"),
        pytest.param(date(2025, 2, 24), True, id="written-up-a-week-late"),
        pytest.param(date(2025, 2, 17), False, id="three-weeks-old"),
        pytest.param(date(2021, 9, 6), False, id="imported-archive"),
    ],
)
def test_the_weeks_weeknotes_are_those_about_a_recent_week(
    empty_app: App, about: date, in_digest: bool
) -> None:
    """Posted yesterday either way: a note a week or two late is news, an archive loaded today
    is not (a first digest after an import would otherwise list years of weeknotes)."""
    project = add(empty_app, "Bulky waste booking", "Leeds City Council", days_ago=90)
    empty_app.repo.add_weeknote(
        WeeknoteDraft(project.id, about, "What we did.", ALICE, title="Weeknote"),
        now=empty_app.clock.now() - timedelta(days=1),
    )

    # The period: Wednesday 5 to Wednesday 12 March 2025.
    posted = [n for _, notes in week(empty_app).weeknotes for n in notes]

    assert [n.week for n in posted] == ([about] if in_digest else [])


def test_an_imported_register_is_not_announced_but_a_project_started_this_week_is(
    empty_app: App,
) -> None:
    from knowledge.interchange import import_records

    lines = [
        '{"type": "project", "id": "old", "title": "An old project", "organisation": "Leeds", "started": "2019-05-01"}',
        '{"type": "project", "id": "undated", "title": "No start date", "organisation": "Leeds"}',
        '{"type": "project", "id": "fresh", "title": "Started this week", "organisation": "Leeds", "started": "2025-03-11"}',
    ]
    import_records(empty_app.repo, lines, now=empty_app.clock.now())
    registered = add(empty_app, "Registered through the bot", "York Council")
    titles = sorted(p.title for p in week(empty_app).new_projects)
    assert titles == sorted([registered.title, "Started this week"])
