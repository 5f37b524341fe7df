"""The store on real databases: SQLite always, PostgreSQL where it answers (both in CI)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from adapters.app import App
from bot.model import ConversationRef, Incoming, Person, ProjectDraft, Stage, WeeknoteDraft
from knowledge import db
from knowledge import tables as t
from knowledge.interchange import export_records, import_records, write_jsonl

ALICE = Person("slack:T1:UALICE", "Alice")
BOB = Person("slack:T1:UBOB", "Bob")


def jsonl(*records: object) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r) for r in records]


def test_migrations_create_every_table_and_are_repeatable(empty_app: App) -> None:
    tables = set(sa.inspect(empty_app.engine).get_table_names())
    assert {
        "organisation",
        "project",
        "weeknote",
        "person",
        "question",
        "stage_change",
        "digest_subscription",
        "digest_run",
        "alembic_version",
    } <= tables
    db.upgrade(empty_app.engine)  # a second upgrade changes nothing and does not fail
    assert db.current_revision(empty_app.engine) == db.head_revision(empty_app.engine)


def test_timestamps_come_back_timezone_aware_and_naive_ones_are_refused(empty_app: App) -> None:
    repo = empty_app.repo
    project = repo.add_project(_draft("Bulky waste booking"), now=empty_app.clock.now())
    with Session(empty_app.engine) as s:
        row = s.get_one(t.Project, project.id)
        assert row.created_at.tzinfo is not None
        assert row.created_at == empty_app.clock.now()
    naive = t.Organisation(id="x", name="X", changed_at=datetime(2025, 1, 1))  # noqa: DTZ001
    with Session(empty_app.engine) as s:
        s.add(naive)
        with pytest.raises(sa.exc.StatementError, match="naive"):
            s.commit()


def test_the_demo_data_loads_once_and_reimporting_changes_nothing(demo_app: App) -> None:
    counts = _counts(demo_app)
    assert counts["project"] >= 40 and counts["weeknote"] >= 100
    from adapters.bootstrap import load_demo

    report = load_demo(demo_app.repo, now=demo_app.clock.now() + timedelta(days=1))
    assert sum(report.created.values()) == 0
    assert sum(report.updated.values()) == 0
    assert report.unchanged["project"] == counts["project"]
    assert _counts(demo_app) == counts


def test_import_keeps_ids_updates_in_place_and_keeps_unknown_fields(empty_app: App) -> None:
    now = empty_app.clock.now()
    first = jsonl(
        {
            "type": "project",
            "id": "bulky-waste",
            "title": "Bulky waste",
            "organisation": "LB Hackney",
            "stage": "beta",
            "description": "Book a collection",
            "budget_code": "W-12",
        },
    )
    assert import_records(empty_app.repo, first, now=now).created["project"] == 1
    second = jsonl({**json.loads(first[0]), "title": "Bulky waste booking"})
    report = import_records(empty_app.repo, second, now=now)
    assert (report.created["project"], report.updated["project"]) == (0, 1)
    project = empty_app.repo.get_project("bulky-waste")
    assert project is not None and project.title == "Bulky waste booking"
    exported = [r for r in export_records(empty_app.repo) if r["type"] == "project"]
    assert exported[0]["budget_code"] == "W-12"


def test_council_names_are_normalised_to_one_organisation_with_its_code(empty_app: App) -> None:
    now = empty_app.clock.now()
    lines = jsonl(
        {
            "type": "project",
            "id": "a",
            "title": "A",
            "organisation": "LB Hackney",
            "description": "x",
        },
        {
            "type": "project",
            "id": "b",
            "title": "B",
            "organisation": "Hackney Council",
            "description": "y",
        },
    )
    import_records(empty_app.repo, lines, now=now)
    a, b = empty_app.repo.get_project("a"), empty_app.repo.get_project("b")
    assert a is not None and b is not None
    assert a.organisation_id == b.organisation_id
    org = empty_app.repo.resolve_organisation("London Borough of Hackney")
    assert org is not None and org.code == "E09000012"


def test_bad_lines_are_reported_with_their_numbers_and_never_stop_the_rest(empty_app: App) -> None:
    lines = [
        '{"type": "organisation", "id": "leeds", "name": "Leeds City Council"}',
        "{not json",
        '{"type": "spaceship", "id": "x"}',
        '{"type": "project", "id": "no-title", "organisation": "leeds"}',
        '{"type": "project", "id": "p1", "title": "P1", "organisation": "leeds", "stage": "gamma"}',
        '{"type": "project", "id": "p2", "title": "P2", "organisation": "leeds", "started": "last week"}',
        '{"type": "project", "id": "has space", "title": "P3", "organisation": "leeds"}',
        '{"type": "project", "id": "p4", "title": "P4", "organisation": "leeds", "tags": 7}',
        '{"type": "weeknote", "id": "w1", "project": "ghost", "week": "2025-01-06", "text": "t"}',
        '{"type": "weeknote", "id": "w2", "project": "ok", "text": "no week"}',
        "[1, 2]",
        '{"type": "project", "id": "ok", "title": "Fine", "organisation": "leeds", "stage": "Alpha"}',
    ]
    report = import_records(empty_app.repo, lines, now=empty_app.clock.now())
    reasons = dict(report.rejected)
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "not valid JSON" in reasons[2]
    assert "spaceship" in reasons[3]
    assert "missing 'title'" in reasons[4]
    assert "gamma" in reasons[5]
    assert "last week" in reasons[6]
    assert "spaces" in reasons[7]
    assert "list" in reasons[8]
    assert "ghost" in reasons[9]
    assert "week" in reasons[10]
    assert "object" in reasons[11]
    ok = empty_app.repo.get_project("ok")
    assert ok is not None and ok.stage is Stage.ALPHA


def test_export_then_import_into_an_empty_database_gives_the_same_register(
    demo_app: App, tmp_path: object
) -> None:
    out = io.StringIO()
    count = write_jsonl(export_records(demo_app.repo), out)
    from tests.conftest import make_app

    other = make_app(f"sqlite:///{tmp_path}/copy.db", demo_app.clock, demo=False)  # type: ignore[arg-type]
    report = import_records(other.repo, out.getvalue().splitlines(), now=other.clock.now())
    assert report.rejected == []
    assert sum(report.created.values()) == count
    again = io.StringIO()
    write_jsonl(export_records(other.repo), again)
    assert again.getvalue() == out.getvalue()


def test_a_weeknote_updates_last_activity_and_only_its_author_may_delete_it(empty_app: App) -> None:
    from bot.model import ConversationRef, Incoming

    now = empty_app.clock.now()
    project = empty_app.repo.add_project(
        _draft("Bulky waste booking"), now=now - timedelta(days=30)
    )
    note = empty_app.repo.add_weeknote(
        WeeknoteDraft(project.id, now.date(), "Ran a show and tell", ALICE), now=now
    )
    again = empty_app.repo.add_weeknote(
        WeeknoteDraft(project.id, now.date(), "Second note", ALICE), now=now
    )
    assert note.id != again.id
    stored = empty_app.repo.get_project(project.id)
    assert stored is not None and stored.updated == now.date()
    here = ConversationRef("slack", "D1", "T1", is_direct=True)

    def delete(who: Person) -> str:
        said = f"weeknote delete {note.id}"
        return empty_app.bot.handle(Incoming(said, who, here, now)).text

    assert "only delete weeknotes you wrote" in delete(BOB)
    assert empty_app.repo.get_weeknote(note.id) is not None
    assert "Deleted weeknote" in delete(ALICE)
    with Session(empty_app.engine) as s:
        row = s.get_one(t.Weeknote, note.id)
        assert row.text == "" and row.deleted_at is not None
    assert [n.id for n in empty_app.repo.weeknotes_of(ALICE.key)] == [again.id]


def test_the_finder_sees_new_and_deleted_weeknotes_without_a_restart(empty_app: App) -> None:
    now = empty_app.clock.now()
    project = empty_app.repo.add_project(_draft("Street lighting"), now=now)
    assert not empty_app.finder.find("bulky mattress collection").confident
    note = empty_app.repo.add_weeknote(
        WeeknoteDraft(
            project.id,
            now.date(),
            "We tested bulky mattress collection booking with residents",
            ALICE,
        ),
        now=now + timedelta(seconds=1),
    )
    found = empty_app.finder.find("bulky mattress collection")
    assert found.confident
    assert found.results[0].id == project.id and note.id in found.results[0].weeknote_ids
    empty_app.repo.delete_weeknote(note.id, now=now + timedelta(seconds=2))
    assert not empty_app.finder.find("bulky mattress collection").confident


def test_questions_and_feedback_are_kept_and_unanswered_ones_reach_the_digest(
    demo_app: App,
) -> None:
    reply = demo_app.bot.handle(
        _incoming(demo_app, "has anyone built a cemetery burial plot search?")
    )
    demo_app.bot.handle(_incoming(demo_app, "Has anyone built a cemetery burial plot search"))
    assert reply.tone == "nothing" and reply.question_id is not None
    assert demo_app.questions.record_feedback(
        reply.question_id, "not_what_i_meant", by=ALICE, at=demo_app.clock.now()
    )
    end = demo_app.clock.now() + timedelta(minutes=1)
    activity = demo_app.repo.activity_between(end - timedelta(days=7), end)
    assert activity.unanswered[0].times == 2
    assert "cemetery" in activity.unanswered[0].text
    assert demo_app.questions.votes(reply.question_id) == {ALICE.key: "not_what_i_meant"}
    with Session(demo_app.engine) as s:
        question = s.exec(select(t.Question).where(t.Question.id == reply.question_id)).one()
        assert question.confident is False and question.public is True


def _incoming(app: App, text: str) -> Incoming:
    return Incoming(
        text=text,
        sender=ALICE,
        conversation=ConversationRef("slack", "C1", "T1", is_public=True),
        received_at=app.clock.now(),
    )


def _draft(title: str) -> ProjectDraft:
    return ProjectDraft(
        title=title,
        organisation="Leeds City Council",
        stage=Stage.ALPHA,
        description=f"{title} for residents",
        contact="#team",
        owner_key=ALICE.key,
    )


def _counts(app: App) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in export_records(app.repo, include_internal=True):
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    return counts


def test_utc_is_used_for_storage(empty_app: App) -> None:
    project = empty_app.repo.add_project(_draft("Noise reporting"), now=empty_app.clock.now())
    with empty_app.engine.connect() as c:
        raw = c.execute(
            sa.text("SELECT created_at FROM project WHERE id = :id"), {"id": project.id}
        ).scalar_one()
    stored = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    if stored.tzinfo is not None:  # PostgreSQL keeps the instant; SQLite keeps our UTC text
        stored = stored.astimezone(UTC)
    expected = empty_app.clock.now().astimezone(UTC).replace(tzinfo=None)
    assert stored.replace(tzinfo=None) == expected


def test_another_process_writes_are_found_including_a_late_commit_stamped_earlier(
    empty_app: App,
) -> None:
    from knowledge.repository import Repository

    other = Repository(empty_app.engine)  # another process: its writes do not notify our finder
    empty_app.finder.sync_interval = 0.0
    now = empty_app.clock.now()
    project = other.add_project(_draft("Street lighting"), now=now)
    other.add_weeknote(
        WeeknoteDraft(project.id, now.date(), "Smart lantern pilot", ALICE),
        now=now + timedelta(seconds=30),
    )
    assert empty_app.finder.find("smart lantern pilot").confident
    # A transaction stamped 5 s earlier that commits only now must not be skipped.
    other.add_weeknote(
        WeeknoteDraft(project.id, now.date(), "Cemetery burial plot finder prototype", ALICE),
        now=now + timedelta(seconds=25),
    )
    found = empty_app.finder.find("cemetery burial plot finder")
    assert found.confident and found.results[0].id == project.id


def test_a_quiet_index_does_not_reread_the_register_on_every_question(empty_app: App) -> None:
    now = empty_app.clock.now()
    empty_app.repo.add_project(_draft("Street lighting"), now=now)
    empty_app.finder.find("street lighting")
    assert empty_app.finder.sync() == 0  # nothing changed: nothing re-read


def test_a_bulk_import_long_ago_is_not_reread_by_later_syncs(empty_app: App) -> None:
    from adapters.bootstrap import load_demo

    load_demo(empty_app.repo, now=empty_app.clock.now() - timedelta(hours=1))
    empty_app.finder.sync()
    assert empty_app.finder.sync() == 0
    if empty_app.engine.dialect.name == "sqlite":
        # Not even the ids of the imported rows. (On PostgreSQL a transaction anywhere on the
        # server, such as another test's, keeps the change feed looking back until it ends.)
        assert empty_app.finder.last_scanned == 0
