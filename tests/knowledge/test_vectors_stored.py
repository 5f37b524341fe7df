"""Passage vectors in the database: embedded once, loaded at start, re-embedded only when the
model or the text changes; a posted weeknote is embedded at once, in the background."""

from __future__ import annotations

import time
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from adapters.app import App
from bot.model import Person, ProjectDraft, Stage, WeeknoteDraft
from knowledge import tables as t
from knowledge.finder import IndexedFinder
from knowledge.passage_vectors import EmbeddingWorker
from knowledge.search import SearchIndex
from tests.knowledge.embedders import ConceptEmbedder

ALICE = Person(key="slack:T1:UALICE", name="Alice")


def finder_with(app: App, embedder: ConceptEmbedder) -> IndexedFinder:
    """A second process's finder on the same database, with this "model"."""
    finder = IndexedFinder(app.repo, SearchIndex(), clock=app.clock, embedder=embedder)
    finder.sync_interval = 0
    finder.worker = EmbeddingWorker(
        app.engine, embedder, finder.read_documents, clock=app.clock, on_saved=finder.mark_stale
    )
    return finder


def stored(app: App, model: str) -> int:
    with Session(app.engine) as s:
        return s.exec(
            select(func.count()).select_from(t.PassageVector).where(t.PassageVector.model == model)
        ).one()


def seed(app: App) -> None:
    app.repo.add_project(
        ProjectDraft(
            title="Care rostering",
            organisation="Leeds City Council",
            stage=Stage.ALPHA,
            description="A shift pattern planner for homecare workers.",
            contact="#care",
            owner_key=ALICE.key,
        ),
        now=app.clock.now(),
    )
    app.repo.add_project(
        ProjectDraft(
            title="Garden waste",
            organisation="Leeds City Council",
            stage=Stage.LIVE,
            description="Green bin subscriptions renewed online.",
            contact="#care",
            owner_key=ALICE.key,
        ),
        now=app.clock.now(),
    )


def test_a_change_of_model_re_embeds_and_nothing_else_does(empty_app: App) -> None:
    seed(empty_app)
    first = ConceptEmbedder("test/concepts-v1")
    finder = finder_with(empty_app, first)
    assert len(finder.documents_needing_vectors()) == 2
    finder.worker.request(finder.documents_needing_vectors())  # type: ignore[union-attr]
    finder.worker.run_all()  # type: ignore[union-attr]
    assert stored(empty_app, "test/concepts-v1") == 2

    restarted = finder_with(empty_app, ConceptEmbedder("test/concepts-v1"))
    assert restarted.documents_needing_vectors() == []  # loaded, not recomputed
    assert len(restarted.index.vectors) == 2
    assert restarted.search("staff rota").hits[0].id == "care-rostering"
    assert restarted.embedder.calls == [1]  # type: ignore[union-attr]  # the question only

    other = ConceptEmbedder("test/concepts-v2", salt="v2")
    switched = finder_with(empty_app, other)
    assert len(switched.documents_needing_vectors()) == 2  # another model: all again
    switched.worker.request(switched.documents_needing_vectors())  # type: ignore[union-attr]
    switched.worker.run_all()  # type: ignore[union-attr]
    assert stored(empty_app, "test/concepts-v2") == 2
    assert stored(empty_app, "test/concepts-v1") == 2  # kept: switching back costs nothing
    assert finder_with(empty_app, first).documents_needing_vectors() == []


def test_an_edited_text_makes_only_its_own_vectors_stale(empty_app: App) -> None:
    seed(empty_app)
    embedder = ConceptEmbedder()
    finder = finder_with(empty_app, embedder)
    finder.worker.request(finder.documents_needing_vectors())  # type: ignore[union-attr]
    finder.worker.run_all()  # type: ignore[union-attr]
    with empty_app.engine.begin() as c:
        c.execute(
            sa.text("UPDATE project SET description = 'Now a bin round planner.' WHERE id = :i"),
            {"i": "garden-waste"},
        )
    fresh = finder_with(empty_app, embedder)
    assert fresh.documents_needing_vectors() == [("project", "garden-waste")]


def test_a_posted_weeknote_is_embedded_at_once_and_found_by_meaning(empty_app: App) -> None:
    seed(empty_app)
    embedder = ConceptEmbedder()
    finder = finder_with(empty_app, embedder)
    finder.worker.request(finder.documents_needing_vectors())  # type: ignore[union-attr]
    finder.worker.run_all()  # type: ignore[union-attr]
    finder.worker.before_each = finder.sync  # type: ignore[union-attr]
    finder.worker.start(interval=30)  # type: ignore[union-attr]  # woken by the post, not the timer
    try:
        empty_app.repo.on_change(finder.mark_stale)
        note = empty_app.repo.add_weeknote(
            WeeknoteDraft(
                project_id="garden-waste",
                week=date(2025, 3, 10),
                text="We trialled new refuse rounds for recycling.",
                author=ALICE,
            ),
            now=empty_app.clock.now(),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not finder.index.has_vectors("weeknote", note.id):
            finder.sync()
            time.sleep(0.01)
        assert finder.index.has_vectors("weeknote", note.id)
        assert time.monotonic() < deadline
    finally:
        finder.worker.stop()  # type: ignore[union-attr]


def test_documents_without_vectors_are_answered_lexically_meanwhile(empty_app: App) -> None:
    seed(empty_app)
    finder = finder_with(empty_app, ConceptEmbedder())  # nothing embedded, worker not running
    result = finder.search("garden waste")
    assert result.mode == "lexical" and result.hits[0].id == "garden-waste"


@pytest.mark.parametrize("semantic", [True, False])
def test_db_stats_and_the_setting(database_url: str, clock: object, semantic: bool) -> None:
    from adapters.bootstrap import build_app
    from adapters.settings import Settings

    app = build_app(
        Settings(env="test", database_url=database_url, semantic=semantic),
        clock=clock,  # type: ignore[arg-type]
    )
    assert (app.finder.embedder is not None) is semantic
    app.finder.sync()
    if semantic:  # the demo data's shipped vectors: semantic from the first question
        assert len(app.finder.index.vectors) == app.finder.index.passage_count
        assert app.finder.search("has anyone built a staff rota tool?").mode == "hybrid"
    else:
        assert app.finder.search("brownfield").mode == "lexical"
    app.engine.dispose()
