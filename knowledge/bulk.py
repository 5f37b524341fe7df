"""A batch of imported records written at the database's speed (issue 14, item 8).

The rows a batch may touch are read in one query; each record is applied to that picture in
memory, in file order, so a record met twice behaves as it did row by row (created, then
updated); what changed is then written with one executemany per statement, in the batch's
transaction. Rows whose values are already what they would become are not written at all, so
re-importing an unchanged file fires no trigger and wakes no search index. Rows that are
written still fire their triggers one by one, so the change feed (knowledge/changes.py) sees
every project and weeknote an import creates or changes, as before.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

READ_CHUNK = 5_000  # ids per IN (...): well under SQLite's 32,766 bound parameters


class Rows:
    """The rows of one table (keyed by `id`) that a batch may touch, as they are and as they
    will be once it is written."""

    def __init__(
        self,
        connection: sa.Connection,
        table: sa.Table,
        keys: Iterable[str],
        *,
        columns: Collection[str] = (),
    ) -> None:
        self.table = table
        self.rows = _read(connection, table, keys, columns)
        self._created: dict[str, None] = {}  # file order, as rows used to be added
        self._updated: dict[str, None] = {}
        self._touched: dict[str, dict[str, None]] = {}  # column -> keys
        self._columns: tuple[str, ...] = ()

    def get(self, key: str) -> dict[str, Any] | None:
        return self.rows.get(key)

    def apply(self, key: str, values: dict[str, Any]) -> str:
        """Insert or update one row, in memory: 'unchanged' when every value is already what it
        would become, 'deleted' for a row someone deleted (open data never brings it back)."""
        self._columns = tuple(values)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = {"id": key, **values}
            self._created[key] = None
            return "created"
        if row.get("deleted_at") is not None:
            return "deleted"
        if all(row[k] == v for k, v in values.items()):
            return "unchanged"
        row.update(values)
        if key not in self._created:
            self._updated[key] = None
        return "updated"

    def touch(self, key: str, column: str, value: Any) -> None:
        """Change one column of a row without marking it changed (`changed_at` stays)."""
        self.rows[key][column] = value
        self._touched.setdefault(column, {})[key] = None

    def write(self, connection: sa.Connection, *, now: datetime) -> None:
        """Everything applied since the rows were read, stamped `now`."""
        stamps = {"changed_at": now}
        if "created_at" in self.table.c:
            stamps["created_at"] = now
        if self._created:
            new = [{**self.rows[key], **stamps} for key in self._created]
            if connection.dialect.name == "postgresql":
                _copy(connection, self.table, new)
            else:
                connection.execute(sa.insert(self.table), new)
        by_id = self.table.c.id == sa.bindparam("row_id")
        if self._updated:
            connection.execute(
                sa.update(self.table).where(by_id),
                [
                    {
                        "row_id": key,
                        "changed_at": now,
                        **{c: self.rows[key][c] for c in self._columns},
                    }
                    for key in self._updated
                ],
            )
        for column, keys in self._touched.items():
            changed = [
                {"row_id": k, column: self.rows[k][column]} for k in keys if k not in self._created
            ]
            if changed:
                connection.execute(sa.update(self.table).where(by_id), changed)


def _read(
    connection: sa.Connection, table: sa.Table, keys: Iterable[str], columns: Collection[str]
) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(keys))
    chosen = [table.c[name] for name in ("id", *columns)] if columns else list(table.c)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        for row in connection.execute(sa.select(*chosen).where(table.c.id.in_(chunk))):
            found[row.id] = dict(row._mapping)
    return found


def _copy(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """New rows by COPY, PostgreSQL's own bulk load (a multi-row INSERT took three times as
    long), in the connection's transaction. Values go in as SQLAlchemy would bind them: JSON
    columns as json.dumps text, timestamps timezone-aware."""
    from psycopg import sql

    names = list(rows[0])
    as_json = {name for name in names if isinstance(table.c[name].type, sa.JSON)}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    driver: Any = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if k in as_json else v for k, v in row.items()])
