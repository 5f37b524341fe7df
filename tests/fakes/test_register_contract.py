"""The ports' contract: the same tests against the fakes and the real stores (SQLite and
PostgreSQL), so the fakes the core's tests rely on cannot drift from what production does.
When the two disagree, the real store is right and the fake is changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import build_app
from adapters.settings import Settings
from bot.clock import FixedClock
from bot.commands import Services
from bot.model import (
    ConversationRef,
    DigestFilter,
    Finding,
    Person,
    ProjectDraft,
    Reply,
    Stage,
    WeeknoteDraft,
)
from bot.ports import Forgotten, NotAllowed, NotFound, UnansweredQuestion
from tests.fakes.register import FakeFinder, FakeRegister, services

ALICE = Person("slack:T1:UALICE", "Alice")
BOB = Person("slack:T1:UBOB", "Bob")
CAROL = Person("slack:T1:UCAROL", "Carol")
MANAGER = Person("slack:T1:UMANAGER", "Manager")
CHANNEL = ConversationRef("slack", "C1", "T1", is_public=True)
PRIVATE = ConversationRef("slack", "D1", "T1", is_direct=True)
ELSEWHERE = ConversationRef("slack", "C1", "T2", is_public=True)
CO_OP = "Open Digital Cooperative"  # not a council: no official name to look up
NOBODY_KNEW = Finding("", confident=False, results=())


@dataclass(frozen=True)
class Register:
    """The ports as commands get them, and what a test needs to see that the port hides."""

    services: Services
    votes: Callable[[int], dict[str, str]]
    opted_out: Callable[[Iterable[str]], set[str]]


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def register(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock
) -> Iterator[Register]:
    if request.param == "fake":
        fake = FakeRegister()
        ports = services(fake, FakeFinder(), clock)
        yield Register(ports, fake.questions.votes, fake.reminders.opted_out)
        return
    url = (
        f"sqlite:///{tmp_path}/contract.db"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    app = build_app(Settings(env="test", database_url=url, demo_data=False), clock=clock)
    reminders = app.services.reminders  # the store the Friday job reads, too
    yield Register(app.services, app.questions.votes, reminders.opted_out)  # type: ignore[attr-defined]
    app.engine.dispose()


def draft(
    title: str = "Bulky waste booking",
    *,
    organisation: str = CO_OP,
    owner: str = ALICE.key,
    **extra: object,
) -> ProjectDraft:
    return ProjectDraft(
        title=title,
        organisation=organisation,
        stage=Stage.ALPHA,
        description="Book a collection online.",
        contact="#bulky",
        owner_key=owner,
        **extra,  # type: ignore[arg-type]
    )


def note(project_id: str, text: str = "We shipped.", **extra: object) -> WeeknoteDraft:
    fields: dict[str, object] = {"week": date(2025, 3, 13), "author": ALICE} | extra
    return WeeknoteDraft(project_id=project_id, text=text, **fields)  # type: ignore[arg-type]


# -- projects -------------------------------------------------------------------------------


def test_a_new_project_is_found_by_id_owner_list_and_match(
    register: Register, clock: FixedClock
) -> None:
    projects = register.services.projects
    extra: dict[str, Any] = {
        "service_area": "Waste",
        "tags": ("bins",),
        "url": "https://example.org/bulky",
    }
    project = projects.add_project(draft(**extra), now=clock.now())

    assert project.id == "bulky-waste-booking"
    assert (project.service_area, project.tags, project.url) == ("Waste", ("bins",), extra["url"])
    assert project.started == project.updated == clock.now().date()
    assert projects.get_project(project.id) == project
    assert projects.get_project(f" {project.id} ") == project
    assert projects.get_project("nope") is None
    assert list(projects.projects_of(ALICE.key)) == [project]
    assert list(projects.projects_of(BOB.key)) == []
    assert projects.list_projects(owner_key=ALICE.key) == ([project], 1)
    assert projects.list_projects(stage=Stage.LIVE) == ([], 0)
    assert projects.list_projects(organisation_id=project.organisation_id) == ([project], 1)
    assert [p.id for p in projects.match_projects("WASTE", person_key=None)] == [project.id]
    assert list(projects.match_projects("cemetery", person_key=None)) == []
    assert list(projects.service_areas()) == ["Waste"]


def test_ids_are_free_slugs_and_a_deleted_id_is_never_given_again(
    register: Register, clock: FixedClock
) -> None:
    projects = register.services.projects
    first = projects.add_project(draft("Bulky waste: booking!"), now=clock.now())
    second = projects.add_project(draft("Bulky waste booking"), now=clock.now())
    assert (first.id, second.id) == ("bulky-waste-booking", "bulky-waste-booking-2")

    projects.delete_project(first.id, now=clock.now())
    again = projects.add_project(draft("Bulky waste booking"), now=clock.now())
    assert again.id == "bulky-waste-booking-3"


def test_an_organisation_is_created_once_and_found_by_id_or_name(
    register: Register, clock: FixedClock
) -> None:
    projects = register.services.projects
    first = projects.add_project(draft("Bins"), now=clock.now())
    by_id = projects.add_project(
        draft("Parking", organisation=first.organisation_id), now=clock.now()
    )
    by_name = projects.add_project(draft("Libraries", organisation=CO_OP.upper()), now=clock.now())

    assert first.organisation_name == CO_OP
    assert {by_id.organisation_id, by_name.organisation_id} == {first.organisation_id}
    found = projects.resolve_organisation(CO_OP.lower())
    assert found is not None and found.id == first.organisation_id
    assert projects.resolve_organisation(first.organisation_id) == found
    assert projects.resolve_organisation("Atlantis Digital") is None
    assert [o.name for o in projects.organisations()] == [CO_OP]
    assert projects.organisations_of(ALICE.key) == frozenset({first.organisation_id})
    assert projects.organisations_of(BOB.key) == frozenset()


def test_match_projects_puts_your_own_first_then_beginnings_then_the_rest(
    register: Register, clock: FixedClock
) -> None:
    projects = register.services.projects
    for title, owner in [
        ("Garden waste", BOB.key),
        ("Waste collection", BOB.key),
        ("Missed bins", ALICE.key),
        ("Bulky waste", ALICE.key),
        ("Parking", BOB.key),
    ]:
        projects.add_project(draft(title, owner=owner), now=clock.now())

    found = projects.match_projects("waste", person_key=ALICE.key)
    assert [p.title for p in found] == ["Bulky waste", "Waste collection", "Garden waste"]
    assert [p.title for p in projects.match_projects("waste", person_key=ALICE.key, limit=2)] == [
        "Bulky waste",
        "Waste collection",
    ]
    mine_first = projects.match_projects("  ", person_key=ALICE.key)
    assert {p.title for p in mine_first[:2]} == {"Missed bins", "Bulky waste"}
    assert len(mine_first) == 5


def test_who_may_change_a_project_is_the_cores_rule_not_the_stores(
    register: Register, clock: FixedClock
) -> None:
    """The core asks `access` first (the refusal naming the owner is test_commands'); the
    store moves the stage for whoever it is told, so no fake refuses what production allows."""
    projects, access = register.services.projects, register.services.access
    project = projects.add_project(draft(), now=clock.now())
    assert not access.may_change(project, CAROL.key)
    assert access.may_change(project, ALICE.key)

    later = clock.now() + timedelta(days=2)
    moved = projects.set_stage(project.id, Stage.BETA, by=ALICE, now=later)
    assert (moved.stage, moved.updated) == (Stage.BETA, later.date())
    assert projects.get_project(project.id) == moved
    assert projects.set_stage(project.id, Stage.LIVE, by=CAROL, now=later).stage is Stage.LIVE
    with pytest.raises(NotFound):
        projects.set_stage("nope", Stage.LIVE, by=ALICE, now=later)


def test_update_project_changes_its_fields_and_organisation_but_not_its_owner(
    register: Register, clock: FixedClock
) -> None:
    projects = register.services.projects
    project = projects.add_project(draft(), now=clock.now())
    changes = replace(draft("Bulky bookings", organisation="Civic Makers"), owner_key=BOB.key)
    later = clock.now() + timedelta(days=1)

    changed = projects.update_project(project.id, changes, by=ALICE, now=later)

    assert (changed.id, changed.title, changed.owner_key) == (
        project.id,
        "Bulky bookings",
        ALICE.key,
    )
    assert (changed.organisation_name, changed.updated) == ("Civic Makers", later.date())
    assert changed.organisation_id != project.organisation_id
    assert projects.get_project(project.id) == changed
    with pytest.raises(NotFound):
        projects.update_project("nope", changes, by=ALICE, now=later)


def test_members_are_added_once_and_removed_once(register: Register, clock: FixedClock) -> None:
    projects, access = register.services.projects, register.services.access
    project = projects.add_project(draft(), now=clock.now())

    assert projects.add_member(project.id, BOB.key, by=ALICE, now=clock.now()) is True
    assert projects.add_member(project.id, BOB.key, by=ALICE, now=clock.now()) is False
    with_bob = projects.get_project(project.id)
    assert with_bob is not None and with_bob.member_keys == (BOB.key,)
    assert access.may_change(with_bob, BOB.key)
    assert projects.organisations_of(BOB.key) == frozenset({project.organisation_id})
    listed, _ = projects.list_projects()
    assert listed[0].member_keys == ()  # lists do not read members: act on get_project's

    assert projects.remove_member(project.id, BOB.key) is True
    assert projects.remove_member(project.id, BOB.key) is False
    assert projects.remove_member("nope", BOB.key) is False
    assert projects.organisations_of(BOB.key) == frozenset()
    with pytest.raises(NotFound):
        projects.add_member("nope", BOB.key, by=ALICE, now=clock.now())


# -- weeknotes ------------------------------------------------------------------------------


def test_a_weeknote_is_filed_by_its_monday_under_its_projects_organisation(
    register: Register, clock: FixedClock
) -> None:
    projects, weeknotes = register.services.projects, register.services.weeknotes
    project = projects.add_project(draft(), now=clock.now())

    first = weeknotes.add_weeknote(note(project.id, "First.", title="Line\none"), now=clock.now())
    later = clock.now() + timedelta(hours=1)  # one clock tick apart: the order is the store's
    second = weeknotes.add_weeknote(note(project.id, "Second."), now=later)

    assert first.id == f"{project.id}-2025-03-10" and second.id == f"{first.id}-2"
    assert (first.week, first.organisation_id) == (date(2025, 3, 10), project.organisation_id)
    assert (first.author, first.author_key, first.title) == ("Alice", ALICE.key, "Line one")
    assert weeknotes.get_weeknote(first.id) == first
    assert [n.id for n in weeknotes.weeknotes_for_project(project.id, internal_from=None)] == [
        second.id,
        first.id,
    ]
    assert [n.id for n in weeknotes.weeknotes_of(ALICE.key, limit=1)] == [second.id]
    nameless = weeknotes.add_weeknote(note(project.id, author=Person(BOB.key)), now=clock.now())
    assert nameless.author == BOB.key
    with pytest.raises(NotFound):
        weeknotes.add_weeknote(note("nope"), now=clock.now())


def test_the_store_files_a_weeknote_by_anyone_the_core_let_through(
    register: Register, clock: FixedClock
) -> None:
    """Whether a non-member may post is the core's question (bot.access): the store does not
    refuse, and neither may the fake, or the core's tests would lean on a check nobody makes."""
    projects, weeknotes = register.services.projects, register.services.weeknotes
    project = projects.add_project(draft(), now=clock.now())
    assert not register.services.access.may_change(project, CAROL.key)

    posted = weeknotes.add_weeknote(note(project.id, author=CAROL), now=clock.now())

    assert posted.author_key == CAROL.key


def test_only_the_author_edits_and_a_deleted_weeknote_is_gone(
    register: Register, clock: FixedClock
) -> None:
    projects, weeknotes = register.services.projects, register.services.weeknotes
    project = projects.add_project(draft(), now=clock.now())
    posted = weeknotes.add_weeknote(note(project.id), now=clock.now())

    with pytest.raises(NotAllowed):
        weeknotes.edit_weeknote(posted.id, "hacked", by=BOB, now=clock.now())
    assert weeknotes.edit_weeknote(posted.id, "Edited.", by=ALICE, now=clock.now()).text == (
        "Edited."
    )
    assert weeknotes.delete_weeknote(posted.id, now=clock.now()).text == "Edited."
    assert weeknotes.get_weeknote(posted.id) is None
    assert list(weeknotes.weeknotes_of(ALICE.key)) == []
    attempts: tuple[Callable[[], object], ...] = (
        lambda: weeknotes.edit_weeknote(posted.id, "again", by=ALICE, now=clock.now()),
        lambda: weeknotes.delete_weeknote(posted.id, now=clock.now()),
    )
    for gone in attempts:
        with pytest.raises(NotFound):
            gone()
    assert weeknotes.add_weeknote(note(project.id), now=clock.now()).id == f"{posted.id}-2"


def test_internal_weeknotes_are_hidden_from_other_organisations(
    register: Register, clock: FixedClock
) -> None:
    projects, weeknotes = register.services.projects, register.services.weeknotes
    ours = projects.add_project(draft(), now=clock.now())
    theirs = projects.add_project(
        draft("Parking", organisation="Civic Makers", owner=BOB.key), now=clock.now()
    )
    open_note = weeknotes.add_weeknote(note(ours.id, "Open."), now=clock.now())
    later = clock.now() + timedelta(hours=1)
    internal = weeknotes.add_weeknote(note(ours.id, "Ours only.", internal=True), now=later)

    def shown(internal_from: frozenset[str] | None) -> list[str]:
        found = weeknotes.weeknotes_for_project(ours.id, internal_from=internal_from)
        return [n.id for n in found]

    assert shown(projects.organisations_of(BOB.key)) == [open_note.id]
    assert projects.organisations_of(BOB.key) == frozenset({theirs.organisation_id})
    assert shown(projects.organisations_of(ALICE.key)) == [internal.id, open_note.id]
    assert shown(None) == [internal.id, open_note.id]


def test_deleting_a_project_takes_its_weeknotes_and_claims(
    register: Register, clock: FixedClock
) -> None:
    ports = register.services
    project = ports.projects.add_project(draft(), now=clock.now())
    kept = ports.projects.add_project(draft("Parking"), now=clock.now())
    notes = [ports.weeknotes.add_weeknote(note(project.id), now=clock.now()) for _ in range(2)]
    other = ports.weeknotes.add_weeknote(note(kept.id), now=clock.now())
    claim = ports.claims.open_claim(project.id, BOB, now=clock.now())
    assert claim is not None

    assert ports.projects.delete_project(project.id, now=clock.now()) == 2

    assert ports.projects.get_project(project.id) is None
    assert [p.id for p in ports.projects.projects_of(ALICE.key)] == [kept.id]
    assert ports.projects.list_projects() == ([kept], 1)
    assert all(ports.weeknotes.get_weeknote(n.id) is None for n in notes)
    assert [n.id for n in ports.weeknotes.weeknotes_of(ALICE.key)] == [other.id]
    assert ports.claims.get_claim(claim.id) is None
    with pytest.raises(NotFound):
        ports.projects.delete_project(project.id, now=clock.now())


# -- questions ------------------------------------------------------------------------------


def test_one_vote_per_person_and_question_which_they_may_change(
    register: Register, clock: FixedClock
) -> None:
    questions = register.services.questions
    asked = questions.record_question(
        "Bins app?", asker=ALICE, where=CHANNEL, finding=NOBODY_KNEW, at=clock.now()
    )

    assert questions.asked(asked) == ("Bins app?", ALICE.key)
    assert questions.asked(asked + 100) is None
    assert questions.record_feedback(asked, "helpful", by=ALICE, at=clock.now())
    assert questions.record_feedback(asked, "not_what_i_meant", by=ALICE, at=clock.now())
    assert questions.record_feedback(asked, "helpful", by=BOB, at=clock.now())
    assert register.votes(asked) == {ALICE.key: "not_what_i_meant", BOB.key: "helpful"}
    assert questions.record_feedback(asked + 100, "helpful", by=ALICE, at=clock.now()) is False


def test_only_the_asker_shares_a_private_question_once(
    register: Register, clock: FixedClock
) -> None:
    questions = register.services.questions
    asked = questions.record_question(
        "Bins app?", asker=ALICE, where=PRIVATE, finding=NOBODY_KNEW, at=clock.now()
    )

    with pytest.raises(NotAllowed):
        questions.share_question(asked, by=BOB, at=clock.now())
    with pytest.raises(NotFound):
        questions.share_question(asked + 100, by=ALICE, at=clock.now())
    assert questions.share_question(asked, by=ALICE, at=clock.now()) is True
    assert questions.share_question(asked, by=ALICE, at=clock.now()) is False


def test_an_introduction_is_made_once_per_person(register: Register, clock: FixedClock) -> None:
    questions = register.services.questions
    asked = questions.record_question(
        "Bins app?", asker=ALICE, where=CHANNEL, finding=NOBODY_KNEW, at=clock.now()
    )
    assert questions.first_introduction(asked, by=BOB, at=clock.now()) is True
    assert questions.first_introduction(asked, by=BOB, at=clock.now()) is False
    assert questions.first_introduction(asked, by=CAROL, at=clock.now()) is True


def test_unanswered_questions_are_the_ones_others_may_see_in_their_community(
    register: Register, clock: FixedClock
) -> None:
    questions, activity = register.services.questions, register.services.activity
    now, start = clock.now(), clock.now() - timedelta(days=7)
    confident = Finding("", confident=True, results=())
    for text, who, where, finding, at in [
        ("Has anyone built a cemetery plot finder?", ALICE, CHANNEL, NOBODY_KNEW, now),
        ("has anyone built a cemetery plot finder", BOB, CHANNEL, NOBODY_KNEW, now),
        ("A bins app?", ALICE, CHANNEL, confident, now),  # it was answered
        ("A pothole reporter?", ALICE, CHANNEL, NOBODY_KNEW, start - timedelta(days=1)),
        ("A parking app?", ALICE, ELSEWHERE, NOBODY_KNEW, now),  # another workspace
    ]:
        questions.record_question(text, asker=who, where=where, finding=finding, at=at)
    private = questions.record_question(
        "An FOI tracker?", asker=CAROL, where=PRIVATE, finding=NOBODY_KNEW, at=now
    )
    cemetery = UnansweredQuestion(
        "Has anyone built a cemetery plot finder?", now, times=2, community="slack:T1"
    )

    assert activity.unanswered_since(start, community="slack:T1") == (cemetery,)
    questions.share_question(private, by=CAROL, at=now)
    shared = UnansweredQuestion("An FOI tracker?", now, times=1, community="slack:T1")
    assert activity.unanswered_since(start, community="slack:T1") == (cemetery, shared)
    assert [q.text for q in activity.unanswered_since(start, community="slack:T2")] == [
        "A parking app?"
    ]


# -- claims and the outbox ------------------------------------------------------------------


def test_a_claim_is_decided_once_and_approval_makes_the_claimant_owner(
    register: Register, clock: FixedClock
) -> None:
    projects, claims = register.services.projects, register.services.claims
    unowned = projects.add_project(draft(owner=""), now=clock.now())

    bob = claims.open_claim(unowned.id, BOB, now=clock.now())
    assert bob is not None and (bob.project_id, bob.claimant, bob.status) == (
        unowned.id,
        BOB,
        "pending",
    )
    assert claims.open_claim(unowned.id, BOB, now=clock.now()) is None
    carol = claims.open_claim(unowned.id, CAROL, now=clock.now())
    assert carol is not None and carol.id != bob.id
    assert claims.get_claim(bob.id) == bob

    approved = claims.decide(bob.id, approve=True, by=MANAGER, now=clock.now())
    assert approved == replace(bob, status="approved", decided_by=MANAGER.key)
    assert claims.get_claim(bob.id) == approved
    owned = projects.get_project(unowned.id)
    assert owned is not None and owned.owner_key == BOB.key
    assert claims.decide(bob.id, approve=False, by=MANAGER, now=clock.now()) is None

    # Bob owns it now: Carol's claim cannot be approved, and stays pending until refused.
    assert claims.decide(carol.id, approve=True, by=MANAGER, now=clock.now()) is None
    assert claims.get_claim(carol.id) == carol
    refused = claims.decide(carol.id, approve=False, by=MANAGER, now=clock.now())
    assert refused is not None and refused.status == "refused"
    assert claims.decide(carol.id + 100, approve=True, by=MANAGER, now=clock.now()) is None
    assert claims.get_claim(carol.id + 100) is None


def test_the_outbox_sends_a_message_asked_for_twice_once(
    register: Register, clock: FixedClock
) -> None:
    outbox = register.services.outbox
    reply = Reply(text="Bob asks to own bulky-waste.")
    assert outbox.enqueue("claim:1:manager", MANAGER.key, reply, now=clock.now()) is True
    assert outbox.enqueue("claim:1:manager", MANAGER.key, reply, now=clock.now()) is False
    assert outbox.enqueue("claim:1:manager", ALICE.key, reply, now=clock.now()) is False
    assert outbox.enqueue("claim:2:manager", MANAGER.key, reply, now=clock.now()) is True


# -- digests and channels -------------------------------------------------------------------


def test_a_digest_is_subscribed_changed_off_and_resumed_with_its_settings(
    register: Register, clock: FixedClock
) -> None:
    subs = register.services.subscriptions
    assert subs.subscription(CHANNEL) is None
    first = subs.subscribe(CHANNEL, by=ALICE.key, now=clock.now(), day="fri")

    assert first.id is not None and first.active
    assert first.where == ConversationRef("slack", "C1", "T1")
    assert (first.day, first.time, first.timezone, first.post_when_quiet) == (
        "fri",
        "09:00",
        "Europe/London",
        True,
    )
    narrow = DigestFilter(service_areas=("Waste",))
    later = subs.subscribe(CHANNEL, by=BOB.key, now=clock.now(), time="16:00", only=narrow)
    assert (later.id, later.day, later.time, later.only) == (first.id, "fri", "16:00", narrow)
    assert subs.subscription(CHANNEL) == later
    assert subs.subscriptions() == [later]
    assert subs.in_channel("C1") == later
    assert subs.subscription(ELSEWHERE) is None

    assert subs.unsubscribe(CHANNEL) is True
    assert subs.unsubscribe(CHANNEL) is False
    assert subs.unsubscribe(ELSEWHERE) is False
    assert subs.subscription(CHANNEL) == replace(later, active=False)
    assert subs.subscriptions() == []
    assert subs.subscriptions(paused=True) == [replace(later, active=False)]
    assert subs.subscribe(CHANNEL, by=ALICE.key, now=clock.now()) == later


def test_pausing_a_digest_or_a_whole_workspace(register: Register, clock: FixedClock) -> None:
    subs = register.services.subscriptions
    here = subs.subscribe(CHANNEL, by=ALICE.key, now=clock.now())
    there = subs.subscribe(replace(CHANNEL, channel_id="C2"), by=ALICE.key, now=clock.now())
    away = subs.subscribe(ELSEWHERE, by=ALICE.key, now=clock.now())
    assert here.id is not None

    subs.pause(here.id, "channel gone")
    assert subs.subscriptions() == [there, away]
    paused = subs.subscription(CHANNEL)
    assert paused is not None and (paused.active, paused.paused_reason) == (False, "channel gone")

    assert subs.pause_workspace("slack", "T1", reason="app removed") == 1
    assert subs.pause_workspace("slack", "T1", reason="app removed") == 0
    assert subs.subscriptions() == [away]
    assert [s.paused_reason for s in subs.subscriptions(paused=True)] == [
        "channel gone",
        "app removed",
        None,
    ]
    resumed = subs.subscribe(CHANNEL, by=ALICE.key, now=clock.now())
    assert (resumed.active, resumed.paused_reason) == (True, None)


def test_listening_is_per_channel_of_a_workspace(register: Register, clock: FixedClock) -> None:
    channels = register.services.channels
    assert channels.is_listening(CHANNEL) is False
    channels.set_listening(CHANNEL, True, by=ALICE, now=clock.now())
    assert channels.is_listening(CHANNEL) is True
    assert channels.is_listening(ELSEWHERE) is False
    channels.set_listening(CHANNEL, False, by=ALICE, now=clock.now())
    assert channels.is_listening(CHANNEL) is False


def test_a_thread_is_answered_once(register: Register, clock: FixedClock) -> None:
    channels = register.services.channels
    assert channels.first_answer_in_thread(CHANNEL, "1.0", now=clock.now()) is True
    assert channels.first_answer_in_thread(CHANNEL, "1.0", now=clock.now()) is False
    assert channels.first_answer_in_thread(CHANNEL, "2.0", now=clock.now()) is True


# -- people ---------------------------------------------------------------------------------


def test_people_are_known_by_name_key_or_user_id_in_their_community(
    register: Register, clock: FixedClock
) -> None:
    people = register.services.people
    people.seen(ALICE, CHANNEL, now=clock.now())
    people.seen(Person(ALICE.key), CHANNEL, now=clock.now())  # a sighting without a name

    assert people.display_name(ALICE.key) == "Alice"
    assert people.display_name(BOB.key) == ""
    for name in ("alice", " Alice ", ALICE.key, "UALICE"):
        assert list(people.find_people("slack:T1", name)) == [ALICE], name
    assert list(people.find_people("slack:T2", "Alice")) == []
    assert list(people.find_people("slack:T1", "")) == []


def test_forgetting_a_person_removes_what_is_keyed_on_them(
    register: Register, clock: FixedClock
) -> None:
    ports = register.services
    ports.people.seen(ALICE, CHANNEL, now=clock.now())
    ours = ports.projects.add_project(draft(), now=clock.now())
    bobs = ports.projects.add_project(draft("Parking", owner=BOB.key), now=clock.now())
    ports.projects.add_member(bobs.id, ALICE.key, by=BOB, now=clock.now())
    written = ports.weeknotes.add_weeknote(note(ours.id), now=clock.now())
    asked = ports.questions.record_question(
        "Bins app?", asker=ALICE, where=CHANNEL, finding=NOBODY_KNEW, at=clock.now()
    )
    ports.questions.record_feedback(asked, "helpful", by=ALICE, at=clock.now())

    gone = ports.people.forget(ALICE.key, now=clock.now())

    assert gone == Forgotten(person=True, weeknotes=1, questions=1, projects=1)
    assert ports.people.display_name(ALICE.key) == ""
    assert list(ports.people.find_people("slack:T1", "Alice")) == []
    kept = ports.weeknotes.get_weeknote(written.id)
    assert kept is not None and (kept.text, kept.author, kept.author_key) == (
        "We shipped.",
        "",
        None,
    )
    unowned = ports.projects.get_project(ours.id)
    assert unowned is not None and unowned.owner_key is None
    assert ports.projects.organisations_of(ALICE.key) == frozenset()
    assert ports.questions.asked(asked) == ("Bins app?", "")
    assert register.votes(asked) == {}
    assert ports.people.forget(ALICE.key, now=clock.now()) == Forgotten(False, 0, 0, 0)


def test_a_reminder_choice_is_kept_on_the_person_and_forgotten_with_them(
    register: Register, clock: FixedClock
) -> None:
    ports = register.services
    ports.reminders.set_reminders(BOB.key, False, now=clock.now())  # never seen: recorded now
    ports.reminders.set_reminders(CAROL.key, False, now=clock.now())
    ports.reminders.set_reminders(CAROL.key, True, now=clock.now())
    assert register.opted_out([ALICE.key, BOB.key, CAROL.key]) == {BOB.key}

    assert ports.people.forget(BOB.key, now=clock.now()) == Forgotten(True, 0, 0, 0)
    assert register.opted_out([BOB.key]) == set()
