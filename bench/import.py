# ruff: noqa: N999  (a script named for the command it measures, never imported)
"""Bulk import against the database's own speed (issue 14, item 8).

    .venv/bin/python bench/import.py [--projects 1000] [--database-url URL]

Writes a register of N projects (in 20 organisations) and 10N weeknotes as a JSON Lines file,
then, each into a fresh database (SQLite file, or a fresh schema of --database-url):

- import: `import_records`, what `hasanyone import FILE` runs (parsing, validation, tombstones,
  the change feed's triggers), and a second import of the same file, which changes nothing;
- reference: the same rows written as plainly as the database allows, in one transaction: a
  SQLAlchemy Core executemany on SQLite, COPY (psycopg `cursor.copy`) on PostgreSQL, after
  parsing the same lines (json.loads) and mapping them to rows with no validation; its
  triggers fill the change feed too. The writing alone is printed as well.

Prints wall seconds, rows a second and this process's CPU seconds of each, and the import's
ratio to the reference (wall; on PostgreSQL the server's share of the work is not in the CPU
column). The issue's size is --projects 10000 (10k projects + 100k weeknotes).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.search import COUNCILS, make_projects, make_weeknotes, pseudo_words  # noqa: E402
from knowledge import db  # noqa: E402
from knowledge import tables as t  # noqa: E402
from knowledge.interchange import import_records  # noqa: E402
from knowledge.repository import Repository, slugify  # noqa: E402

NOW = datetime(2025, 3, 12, 10, 30, tzinfo=UTC)
LAST_WEEK = date(2025, 3, 10)
ORGANISATIONS = 20
T = TypeVar("T")


def register(projects: int, seed: int) -> list[str]:
    """Organisations by id, projects naming them, weeknotes of the last two years; each project
    says when it last changed (its newest weeknote's week or later), as an export does."""
    rng = random.Random(seed)
    rare = pseudo_words(rng, 30_000)
    docs = make_projects(rng, projects, rare)
    notes = make_weeknotes(rng, projects * 10, docs, rare)
    councils = [f"{c} Council" for c in COUNCILS[:ORGANISATIONS]]
    records: list[dict[str, Any]] = [
        {"type": "organisation", "id": slugify(name), "name": name} for name in councils
    ]
    records += [
        {
            "type": "project",
            "id": p.id,
            "title": p.title,
            "organisation": slugify(councils[i % len(councils)]),
            "stage": ("discovery", "alpha", "beta", "live")[i % 4],
            "description": p.text,
            "tags": list(p.tags),
            "service_area": p.service_area,
            "started": "2023-01-09",
            "updated": LAST_WEEK.isoformat(),
        }
        for i, p in enumerate(docs)
    ]
    records += [
        {
            "type": "weeknote",
            "id": n.id,
            "project": n.project_id,
            "week": (LAST_WEEK - timedelta(weeks=i % 104)).isoformat(),
            "title": n.title,
            "text": n.text,
        }
        for i, n in enumerate(notes)
    ]
    return [json.dumps(r) for r in records]


@contextmanager
def fresh_database(url: str | None, scratch: Path) -> Iterator[sa.Engine]:
    """A migrated, empty database: a new SQLite file, or a new schema dropped afterwards."""
    if url is None:
        engine = db.make_engine(f"sqlite:///{scratch}/{uuid.uuid4().hex}.db")
        db.upgrade(engine)
        yield engine
        engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(url)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    engine = db.make_engine(f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        db.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def timed(work: Callable[[], T]) -> tuple[float, float, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def reference_rows(lines: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The rows an import stores for `lines`, mapped directly (the file is known to be clean)."""
    rows: dict[str, list[dict[str, Any]]] = {"organisation": [], "project": [], "weeknote": []}
    owner: dict[str, str] = {}
    for raw in lines:
        r = json.loads(raw)
        kind = r["type"]
        if kind == "organisation":
            row = {"id": r["id"], "name": r["name"], "code": None, "extra": {}, "changed_at": NOW}
        elif kind == "project":
            owner[r["id"]] = r["organisation"]
            row = {
                **dict.fromkeys(("summary", "contact", "url"), ""),
                **dict.fromkeys(("cost", "outcomes", "owner_key", "registered_at", "deleted_at")),
                "id": r["id"],
                "title": r["title"],
                "organisation_id": r["organisation"],
                "stage": r["stage"],
                "description": r["description"],
                "service_area": r["service_area"],
                "started": date.fromisoformat(r["started"]),
                "updated": date.fromisoformat(r["updated"]),
                "tags": r["tags"],
                "partners": [],
                "suppliers": [],
                "extra": {},
                "created_at": NOW,
                "changed_at": NOW,
            }
        else:
            row = {
                "id": r["id"],
                "project_id": r["project"],
                "organisation_id": owner[r["project"]],
                "author": "",
                "week": date.fromisoformat(r["week"]),
                "title": r["title"],
                "text": r["text"],
                "url": "",
                "internal": False,
                "author_key": None,
                "extra": {},
                "created_at": NOW,
                "changed_at": NOW,
                "deleted_at": None,
            }
        rows[kind].append(row)
    return rows


TABLES = {"organisation": t.Organisation, "project": t.Project, "weeknote": t.Weeknote}


def reference(engine: sa.Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    if engine.dialect.name == "postgresql":
        _copy(engine, rows)
        return
    with engine.begin() as c:
        for kind, table in TABLES.items():
            c.execute(sa.insert(table.__table__), rows[kind])  # type: ignore[attr-defined]


def _copy(engine: sa.Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        with connection.cursor() as cursor:
            for kind, kind_rows in rows.items():
                names = list(kind_rows[0])
                sql = f"COPY {kind} ({', '.join(names)}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    for row in kind_rows:
                        copy.write_row(
                            [
                                json.dumps(v) if isinstance(v, list | dict) else v
                                for v in row.values()
                            ]
                        )
        connection.commit()
    finally:
        raw.close()


def count(engine: sa.Engine) -> int:
    with engine.connect() as c:
        return sum(
            int(c.execute(sa.text(f"SELECT count(*) FROM {kind}")).scalar() or 0) for kind in TABLES
        )


def line(label: str, rows: int, wall: float, cpu: float, extra: str = "") -> str:
    return f"{label:<22} {rows:>9,} {wall:>9.2f} {rows / wall:>10,.0f} {cpu:>8.2f}  {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000, help="and ten times as many notes")
    parser.add_argument("--database-url", help="PostgreSQL to run on instead of SQLite files")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    lines = register(args.projects, args.seed)
    plain = "COPY" if args.database_url else "Core executemany"
    where = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{len(lines):,} records ({args.projects:,} projects), {where}")
    print(f"{'':<22} {'rows':>9} {'seconds':>9} {'rows/s':>10} {'cpu s':>8}")
    with tempfile.TemporaryDirectory() as scratch:
        with fresh_database(args.database_url, Path(scratch)) as engine:
            parse_wall, parse_cpu, rows = timed(lambda: reference_rows(lines))
            write_wall, write_cpu, _ = timed(lambda: reference(engine, rows))
            stored = count(engine)
        ref_wall, ref_cpu = parse_wall + write_wall, parse_cpu + write_cpu
        print(line("reference", stored, ref_wall, ref_cpu, "json.loads, then:"))
        print(line("  its writing alone", stored, write_wall, write_cpu, plain))
        with fresh_database(args.database_url, Path(scratch)) as engine:
            repo = Repository(engine)
            repo.authorities  # noqa: B018  (loaded once, as a running app has it)
            done: list[int] = []
            wall, cpu, report = timed(
                lambda: import_records(repo, lines, now=NOW, progress=done.append)
            )
            assert count(engine) == stored, "the import stored other rows than the reference"
            print(line("import", stored, wall, cpu, f"progress {sum(done):,}/{len(lines):,}"))
            again_wall, again_cpu, again = timed(
                lambda: import_records(repo, lines, now=NOW + timedelta(days=1))
            )
            print(line("re-import (unchanged)", stored, again_wall, again_cpu))
    print(f"first import: {report.summary()}")
    print(f"re-import:    {again.summary()}")
    print(
        f"import / reference: {wall / ref_wall:.1f}x wall, {cpu / ref_cpu:.1f}x this process's "
        f"CPU; against its writing alone: {wall / write_wall:.1f}x wall (target: within 3x)"
    )
    print(f"re-import / import: {again_wall / wall:.2f}x wall, {again_cpu / cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
