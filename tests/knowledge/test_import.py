"""Importing open data writes exactly the rows the row-by-row importer wrote, on SQLite and on
PostgreSQL: `import-mixed.json` holds what that importer made of a file that creates, updates,
leaves alone, rejects and meets tombstones (issue 14, item 8: the bulk path must not change
one of them). A re-import of an unchanged file writes nothing at all."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.app import App
from bot.model import Person
from knowledge import interchange
from knowledge.interchange import import_records

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "import-mixed.json"
ALICE = Person("slack:T1:UALICE", "Alice")

FIRST: list[dict[str, Any]] = [
    {"type": "organisation", "id": "leeds", "name": "Leeds City Council"},
    {
        "type": "project",
        "id": "p-keep",
        "title": "Kept as it is",
        "organisation": "leeds",
        "stage": "alpha",
        "tags": ["bins", "waste"],
        "updated": "2025-01-06",
        "budget_code": "W-12",
    },
    {"type": "project", "id": "p-edit", "title": "Before", "organisation": "leeds"},
    {"type": "project", "id": "p-owned", "title": "Owned", "organisation": "leeds"},
    {
        "type": "project",
        "id": "p-gone",
        "title": "Gone",
        "organisation": "leeds",
        "updated": "2025-01-06",
    },
    {"type": "weeknote", "id": "w-keep", "project": "p-keep", "week": "2025-01-06", "text": "a"},
    {"type": "weeknote", "id": "w-gone", "project": "p-keep", "week": "2025-01-06", "text": "b"},
    {"type": "weeknote", "id": "w-of-gone", "project": "p-gone", "week": "2025-01-06", "text": "c"},
]

MIXED = [
    json.dumps(FIRST[0]),  # 1 unchanged
    json.dumps({"type": "organisation", "id": "york", "name": "City of York Council"}),  # 2 new
    json.dumps(FIRST[1]),  # 3 unchanged
    json.dumps(  # 4 updated, to an organisation met by name; its owner is not applied
        {
            "type": "project",
            "id": "p-edit",
            "title": "After",
            "organisation": "Hackney Council",
            "stage": "Beta",
            "owner": "slack:T1:UMALLORY",
        }
    ),
    json.dumps({**FIRST[3], "title": "Owned, renamed", "partners": "GDS, Leeds"}),  # 5 updated
    json.dumps({**FIRST[4], "title": "Back from the dead"}),  # 6 left deleted
    json.dumps({"type": "project", "id": "p-new", "title": "New", "organisation": "York"}),  # 7
    json.dumps({"type": "project", "id": "p-bad", "title": "X", "organisation": "leeds", "stage": "gamma"}),
    json.dumps({"type": "project", "id": "p-new", "title": "New, again", "organisation": "York"}),
    json.dumps(FIRST[5]),  # 10 unchanged
    json.dumps({**FIRST[6], "text": "revived", "author_key": "slack:T1:UMALLORY"}),  # 11 deleted
    json.dumps({**FIRST[7], "text": "revived"}),  # 12 its project is deleted
    json.dumps({"type": "weeknote", "id": "w-new", "project": "p-new", "week": "2025-03-05", "text": "x"}),
    json.dumps(  # 14 no project: its organisation by name
        {"type": "weeknote", "id": "w-orphan", "organisation": "Leeds City Council", "week": "2025-02-03", "text": "o"}
    ),
    json.dumps({"type": "weeknote", "id": "w-ghost", "project": "ghost", "week": "2025-01-06", "text": "g"}),
    "{not json",
    json.dumps({"type": "weeknote", "id": "w-new", "project": "p-new", "week": "2025-03-06", "text": "y", "colour": "red"}),
    "",
    json.dumps({"type": "weeknote", "id": "w-odd", "project": "p-new", "week": "2025-03-03", "text": "z", "internal": "yes"}),
    json.dumps({"type": "project", "id": "p-orgless", "organisation": "Nowhere Trust"}),  # 20
    json.dumps({"type": "weeknote", "id": "w-late", "project": "p-keep", "week": "2024-12-30", "text": "l"}),
]  # fmt: skip


def prepared(app: App) -> int:
    """The first file imported, then an owner, a deleted weeknote and a deleted project; the
    change feed's position after all that."""
    now = app.clock.now()
    import_records(app.repo, [json.dumps(r) for r in FIRST], now=now - timedelta(days=2))
    app.repo.set_owner("p-owned", ALICE.key, now=now - timedelta(days=1))
    app.repo.delete_weeknote("w-gone", now=now - timedelta(days=1))
    app.repo.delete_project("p-gone", now=now - timedelta(days=1))
    return feed_position(app)


def feed_position(app: App) -> int:
    position = sa.text("SELECT coalesce(max(id), 0) FROM search_change")
    with app.engine.connect() as c:
        return int(c.execute(position).scalar_one())


def changed_since(app: App, position: int) -> list[list[str]]:
    with app.engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT DISTINCT kind, key FROM search_change WHERE id > :p"), {"p": position}
        )
        return sorted([str(kind), str(key)] for kind, key in rows)


def rows(app: App) -> dict[str, list[dict[str, Any]]]:
    """Every column of every organisation, project and weeknote, in plain JSON terms."""
    found: dict[str, list[dict[str, Any]]] = {}
    with app.engine.connect() as c:
        for table in interchange.TABLES.values():  # organisation, project, weeknote
            result = c.execute(sa.select(table).order_by(sa.text("id")))
            found[table.name] = [
                {name: _plain(value) for name, value in row._mapping.items()} for row in result
            ]
    return found


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def outcome(app: App, position: int, report: interchange.ImportReport) -> dict[str, Any]:
    return {
        "report": {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "deleted": report.deleted,
            "rejected": [list(r) for r in report.rejected],
            "notes": [list(n) for n in report.notes],
        },
        "rows": rows(app),
        "changed": changed_since(app, position),
    }


@pytest.mark.parametrize("batch", [3, interchange.BATCH])
def test_a_mixed_file_gives_exactly_the_rows_and_report_it_always_did(
    empty_app: App, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    position = prepared(empty_app)
    monkeypatch.setattr(interchange, "BATCH", batch)  # records split across batches, too
    report = import_records(empty_app.repo, MIXED, now=empty_app.clock.now())
    assert outcome(empty_app, position, report) == json.loads(GOLDEN.read_text())


def test_reimporting_an_unchanged_file_writes_nothing(empty_app: App) -> None:
    """Unchanged as an export is: each project's `updated` no older than its weeknotes (one
    that is older is moved on by them, so its next import sets it back, as it always did)."""
    lines = [json.dumps(r) for r in FIRST]
    import_records(empty_app.repo, lines, now=empty_app.clock.now() - timedelta(days=1))
    before, position = rows(empty_app), feed_position(empty_app)
    report = import_records(empty_app.repo, lines, now=empty_app.clock.now())
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.unchanged == {"organisation": 1, "project": 4, "weeknote": 3}
    assert rows(empty_app) == before  # changed_at untouched
    assert changed_since(empty_app, position) == []  # nothing for search indexes to redo


def test_progress_counts_every_line_of_the_file(empty_app: App) -> None:
    done: list[int] = []
    import_records(empty_app.repo, MIXED, now=empty_app.clock.now(), progress=done.append)
    assert sum(done) == len(MIXED)  # blank and unreadable lines included: the bar ends at 100%
