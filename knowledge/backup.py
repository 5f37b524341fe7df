"""Backups: everything the register holds, restored exactly.

`hasanyone export --backup` writes a header line, then one line per row of every table that
holds the community's data (owners, members, authors and their keys, internal weeknotes, the
tombstones of deleted records, people, questions and votes, digest subscriptions and their runs,
channel settings, Teams conversation references), as `{"type": "backup:<table>", ...columns}`.
Importing that file restores each row as it was: same ids, same owners, same tombstones. Rows
already identical count as unchanged, so restoring twice changes nothing.

Bookkeeping columns (`changed_at`) are not written: a restored project or weeknote is stamped
with the time of the restore, so every running server's search index picks it up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from knowledge import tables as t
from knowledge.interchange import ImportReport

FORMAT = "hasanyone-backup"
VERSION = 1
# Parents before children, so foreign keys hold at every step of a restore.
TABLES: tuple[type[SQLModel], ...] = (
    t.Organisation,
    t.Project,
    t.ProjectMember,
    t.StageChange,
    t.Weeknote,
    t.Person,
    t.Question,
    t.FeedbackVote,
    t.DigestSubscription,
    t.DigestRun,
    t.ChannelSetting,
    t.ConversationReference,
)
STAMPED = "changed_at"  # set to the time of the restore instead
BATCH = 500


def _name(table: type[SQLModel]) -> str:
    return str(table.__table__.name)  # type: ignore[attr-defined]


BY_NAME = {_name(table): table for table in TABLES}


def backup_records(engine: sa.Engine, *, now: datetime) -> Iterator[dict[str, Any]]:
    yield {"type": "backup", "format": FORMAT, "version": VERSION, "exported_at": now.isoformat()}
    with Session(engine) as s:
        for table in TABLES:
            columns = _columns(table)
            order = list(table.__table__.primary_key.columns)  # type: ignore[attr-defined]
            rows = s.execute(sa.select(*columns).order_by(*order))
            for row in rows:
                record: dict[str, Any] = {"type": f"backup:{_name(table)}"}
                for column, value in zip(columns, row, strict=True):
                    record[column.name] = _dumped(value)
                yield record


def _columns(table: type[SQLModel]) -> list[sa.Column[Any]]:
    return [c for c in table.__table__.columns if c.name != STAMPED]  # type: ignore[attr-defined]


def _dumped(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def restore(
    engine: sa.Engine,
    lines: Iterable[str],
    *,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upsert every row of a backup by its primary key, tables in dependency order."""
    report = ImportReport(created={}, updated={}, unchanged={}, deleted={})
    by_table: dict[str, list[tuple[int, dict[str, Any]]]] = {name: [] for name in BY_NAME}
    for number, raw in enumerate(lines, start=1):
        record = _parse(number, raw, report)
        if record is None:
            continue
        kind = str(record.get("type", ""))
        if kind == "backup":
            if record.get("version") != VERSION:
                report.rejected.append((number, f"backup version {record.get('version')!r}"))
            continue
        name = kind.removeprefix("backup:")
        if not kind.startswith("backup:") or name not in BY_NAME:
            report.rejected.append((number, f"unknown type {kind!r} in a backup"))
            continue
        by_table[name].append((number, record))
    for name, records in by_table.items():
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            _restore_batch(engine, BY_NAME[name], batch, report, now=now)
            if progress:
                progress(len(batch))
    _advance_sequences(engine)
    report.rejected.sort()
    return report


def _parse(number: int, raw: str, report: ImportReport) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        report.rejected.append((number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
        return None
    if not isinstance(record, dict):
        report.rejected.append((number, "not a JSON object"))
        return None
    return record


def _restore_batch(
    engine: sa.Engine,
    table: type[SQLModel],
    batch: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
    *,
    now: datetime,
) -> None:
    name = _name(table)
    columns = {c.name: c for c in _columns(table)}
    keys = [c.name for c in table.__table__.primary_key.columns]  # type: ignore[attr-defined]
    stamped = STAMPED in table.__table__.columns  # type: ignore[attr-defined]
    with Session(engine) as s:
        for number, record in batch:
            unknown = set(record) - set(columns) - {"type"}
            if unknown:
                report.rejected.append((number, f"{name} has no column {sorted(unknown)[0]!r}"))
                continue
            try:
                values = {n: _loaded(columns[n], record.get(n)) for n in columns}
            except ValueError as exc:
                report.rejected.append((number, f"{name}: {exc}"))
                continue
            row = s.get(table, tuple(values[k] for k in keys))
            if row is not None and all(getattr(row, n) == v for n, v in values.items()):
                report.count("unchanged", name)
                continue
            outcome = "created" if row is None else "updated"
            try:
                with s.begin_nested():  # a clash undoes this row only
                    row = row if row is not None else table()
                    for n, v in values.items():
                        setattr(row, n, v)
                    if stamped:
                        row.changed_at = now
                    s.add(row)
            except sa.exc.IntegrityError as exc:
                report.rejected.append((number, _clash(name, exc)))
                continue
            report.count(outcome, name)
        s.commit()


def _clash(name: str, error: sa.exc.IntegrityError) -> str:
    first = str(error.orig).splitlines()[0][:200] if error.orig else "a unique key"
    return (
        f"{name} clashes with a different row here ({first}); restore a backup into the "
        "database it came from, or into an empty one"
    )


def _loaded(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, t.UtcDateTime):
        return datetime.fromisoformat(str(value))
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(str(value))
    return value


def _advance_sequences(engine: sa.Engine) -> None:
    """Rows restored with their ids leave PostgreSQL's sequences behind: move them on, or the
    next insert would take an id a restored row holds."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as c:
        for table in TABLES:
            pk = list(table.__table__.primary_key.columns)  # type: ignore[attr-defined]
            if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
                continue
            name = _name(table)
            c.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{pk[0].name}'), "  # noqa: S608
                    f"COALESCE((SELECT MAX({pk[0].name}) FROM {name}), 0) + 1, false)"
                )
            )


def restored_rows(engine: sa.Engine) -> dict[str, int]:
    """Row counts per backed-up table (for tests and `db stats`)."""
    with Session(engine) as s:
        return {
            _name(table): int(s.execute(select(sa.func.count()).select_from(table)).scalar_one())
            for table in TABLES
        }
