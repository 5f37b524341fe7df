"""The search_change feed: every committed write seen once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from adapters.app import App
from knowledge.changes import ChangeFeed

NOW = datetime(2025, 3, 12, 10, 30, tzinfo=UTC)


def insert_project(c: sa.Connection, project_id: str, title: str = "Drone surveys") -> None:
    """Raw SQL, as another program would write: the triggers, not our ORM, record it."""
    c.execute(
        sa.text(
            "INSERT INTO project (id, title, organisation_id, stage, description, summary, "
            "service_area, contact, url, tags, partners, suppliers, extra, created_at, "
            "changed_at) VALUES (:id, :title, 'org', 'alpha', 'Roof inspections by drone', '', "
            "'', '', '', '[]', '[]', '[]', '{}', :now, :now)"
        ),
        {"id": project_id, "title": title, "now": NOW},
    )


def add_org(engine: sa.Engine) -> None:
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO organisation (id, name, extra, changed_at) "
                "VALUES ('org', 'Org', '{}', :now)"
            ),
            {"now": NOW},
        )


def read(feed: ChangeFeed, engine: sa.Engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return feed.read(s)


def started_feed(engine: sa.Engine) -> ChangeFeed:
    with Session(engine) as s:
        ChangeFeed.snapshot(s)
        feed = ChangeFeed.for_session(s)
        feed.start(s)
    return feed


def test_every_kind_of_write_is_in_the_feed_once(empty_app: App) -> None:
    engine = empty_app.engine
    add_org(engine)
    feed = started_feed(engine)
    with engine.begin() as c:
        insert_project(c, "p1")
        insert_project(c, "p2")
    assert read(feed, engine) == [("project", "p1"), ("project", "p2")]
    assert read(feed, engine) == []  # nothing twice
    with engine.begin() as c:
        c.execute(sa.text("UPDATE project SET title = 'Roof drones' WHERE id = 'p1'"))
        c.execute(sa.text("DELETE FROM project WHERE id = 'p2'"))
    assert read(feed, engine) == [("project", "p1"), ("project", "p2")]


def test_a_rolled_back_write_never_appears(empty_app: App) -> None:
    engine = empty_app.engine
    add_org(engine)
    feed = started_feed(engine)
    with engine.connect() as c:
        insert_project(c, "ghost")
        c.rollback()
    with engine.begin() as c:
        insert_project(c, "real")
    assert read(feed, engine) == [("project", "real")]


def test_the_feed_starts_after_what_is_already_there(empty_app: App) -> None:
    engine = empty_app.engine
    add_org(engine)
    with engine.begin() as c:
        insert_project(c, "old")
    feed = started_feed(engine)
    with engine.begin() as c:
        insert_project(c, "new")
    assert read(feed, engine) == [("project", "new")]


@pytest.mark.postgres
def test_postgresql_a_long_transaction_committing_a_lower_id_is_not_lost(
    postgres_url: str, clock: object
) -> None:
    """The pitfall: sequence values are handed out at insert. The long transaction's change
    gets the lower id but commits after a reader has seen a higher one; reading `id > last`
    would lose it for good."""
    from tests.conftest import make_app

    app = make_app(postgres_url, clock, demo=False)  # type: ignore[arg-type]
    engine = app.engine
    add_org(engine)
    feed = started_feed(engine)
    long = engine.connect()
    insert_project(long, "slow-import")  # open: its change row has the lower id
    with engine.begin() as c:
        insert_project(c, "quick-post")
    assert read(feed, engine) == [("project", "quick-post")]
    with engine.connect() as c:
        ids: dict[str, int] = dict(c.execute(sa.text("SELECT key, id FROM search_change")).all())
    assert "slow-import" not in ids  # not visible yet
    long.commit()
    long.close()
    with engine.connect() as c:
        ids = dict(c.execute(sa.text("SELECT key, id FROM search_change")).all())
    assert ids["slow-import"] < ids["quick-post"]  # "id > last seen" would have skipped it
    assert read(feed, engine) == [("project", "slow-import")]
    assert read(feed, engine) == []
    # What the feed still remembers is only what it delivered and must not deliver again;
    # it forgets it once no transaction on the server is older (other tests' may be).
    assert feed.applied <= set(ids.values())
    engine.dispose()


def test_the_triggers_exist_at_head(empty_app: App) -> None:
    """A later migration that rebuilds project or weeknote on SQLite (batch mode) drops their
    triggers; this says so."""
    engine = empty_app.engine
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    with engine.connect() as c:
        names = {row[0] for row in c.execute(sa.text(query))}
    for table in ("project", "weeknote", "passage_vector"):
        assert any(name.startswith(f"search_change_{table}") for name in names), names


def test_the_finder_sees_other_writers_rows_and_deletions(empty_app: App) -> None:
    finder = empty_app.finder
    finder.sync_interval = 0
    add_org(empty_app.engine)
    assert finder.search("drone roof inspections").hits == ()
    with empty_app.engine.begin() as c:  # as another process: no on_change call here
        insert_project(c, "drones")
    assert [h.id for h in finder.search("drone roof inspections").hits] == ["drones"]
    with empty_app.engine.begin() as c:
        c.execute(sa.text("DELETE FROM project WHERE id = 'drones'"))
    assert finder.search("drone roof inspections").hits == ()
