"""The search index kept between starts: restored and brought up to date through the change
feed, never taken from another database, model or version of the code."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.app import App
from knowledge.finder import IndexedFinder
from knowledge.search import SearchIndex
from tests.knowledge.embedders import ConceptEmbedder
from tests.knowledge.test_changes import add_org, insert_project


def finder(app: App, snapshot: Path, embedder: ConceptEmbedder | None = None) -> IndexedFinder:
    found = IndexedFinder(
        app.repo, SearchIndex(), clock=app.clock, embedder=embedder, snapshot=snapshot
    )
    found.sync_interval = 0
    return found


@pytest.fixture
def seeded(empty_app: App) -> App:
    add_org(empty_app.engine)
    with empty_app.engine.begin() as c:
        insert_project(c, "drones", "Drone roof surveys")
        insert_project(c, "bins", "Garden waste bins")
    return empty_app


def ids(f: IndexedFinder, question: str) -> list[str]:
    return [h.id for h in f.search(question).hits][:1]  # the best; all share a description


def test_a_restart_restores_the_index_and_catches_up(seeded: App, tmp_path: Path) -> None:
    snapshot = tmp_path / "index"
    first = finder(seeded, snapshot)
    assert ids(first, "drone roof surveys") == ["drones"]
    assert snapshot.exists() and not first.restored
    with seeded.engine.begin() as c:  # while no server runs
        insert_project(c, "potholes", "Pothole reporting")
        c.execute(sa.text("DELETE FROM project WHERE id = 'bins'"))
    second = finder(seeded, snapshot)
    assert ids(second, "pothole reporting") == ["potholes"]
    assert second.restored
    assert "bins" not in [h.id for h in second.search("garden waste bins").hits]
    assert ids(second, "drone roof surveys") == ["drones"]


def test_a_snapshot_of_another_database_is_not_used(
    seeded: App, empty_app: App, tmp_path: Path
) -> None:
    snapshot = tmp_path / "index"
    finder(seeded, snapshot).sync()
    with seeded.engine.begin() as c:
        c.execute(sa.text("DELETE FROM search_change"))  # as a restored backup might look
        insert_project(c, "other", "Street lighting")
    again = finder(seeded, snapshot)
    assert ids(again, "street lighting") == ["other"]
    assert not again.restored


def test_a_snapshot_of_another_model_is_not_used(seeded: App, tmp_path: Path) -> None:
    snapshot = tmp_path / "index"
    finder(seeded, snapshot, ConceptEmbedder("test/a")).sync()
    assert finder(seeded, snapshot, ConceptEmbedder("test/a")).sync() >= 0
    other = finder(seeded, snapshot, ConceptEmbedder("test/b"))
    other.sync()
    assert not other.restored


def test_an_unreadable_snapshot_means_a_rebuild(seeded: App, tmp_path: Path) -> None:
    snapshot = tmp_path / "index"
    snapshot.write_bytes(b"not a snapshot")
    f = finder(seeded, snapshot)
    assert ids(f, "drone roof surveys") == ["drones"] and not f.restored
