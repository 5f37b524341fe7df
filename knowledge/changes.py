"""Reading the `search_change` feed so that each process sees every committed change once.

Triggers add a row to `search_change` for every write to a project, a weeknote or a document's
passage vectors (migration 0006), in the writer's own transaction: the row commits, or rolls
back, with the write. What a reader must get right is *which* rows it has not seen yet, whatever
the clocks and however long a writer's transaction ran. A timestamp window could not (a row
stamped at an import's start and committed ten minutes later fell outside it).

SQLite. One writer at a time: a transaction takes the write lock before its first insert and
keeps it until it commits, so `id`s (AUTOINCREMENT: never reused) are handed out in commit
order, and a reader's snapshot holds every change up to some id and none after it. Reading
``id > last`` and remembering the largest id read is exact.

PostgreSQL. Ids come from a sequence at insert time, so a long transaction can commit id 5
after a reader has already seen id 9: ``id > last`` would lose 5. Each row therefore records
its transaction's id (``xid``, pg_current_xact_id, 64 bits, never wraps). A read runs in one
REPEATABLE READ snapshot S and returns the rows with ``xid >= horizon`` that S shows; then
``horizon`` becomes xmin(S), the oldest transaction still running when S was taken, and the
ids of the rows read with ``xid >= xmin(S)`` are remembered as applied. Why nothing is lost or
repeated: a committed row c with transaction x is first visible in some read's snapshot S_k.
Had x been below the horizon of that read, xmin(S_{k-1}), x would have finished before S_{k-1}
was taken and c been visible there already; so x >= horizon and read k returns c. Later reads
return c again only while x >= their horizon, and then c's id is among those remembered, so it
is skipped. The remembered ids are those of transactions that were running at the last read:
few, unless a transaction stays open for long, when reads re-scan its window (ids and keys
only).

The first load of an index reads the feed's position *before* the tables (on PostgreSQL in the
same snapshot): every change up to that position is in what it loads, and later ones come
through the feed (one loaded early is applied again, which changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

READ_PAGE = 10_000


@dataclass
class ChangeFeed:
    """A reader's position in `search_change`."""

    dialect: str
    last_id: int = 0  # SQLite: the largest id applied
    horizon: int = 0  # PostgreSQL: xmin of the last read's snapshot
    applied: set[int] = field(default_factory=set)  # PostgreSQL: ids read with xid >= horizon
    rows_read: int = 0  # rows the last read returned (re-read ones included): its cost
    newest: tuple[int, str, str] | None = None  # the highest (id, kind, key) seen: a fingerprint

    @classmethod
    def for_session(cls, s: Session) -> ChangeFeed:
        return cls(s.get_bind().dialect.name)

    @staticmethod
    def snapshot(s: Session) -> None:
        """Make `s` read one snapshot throughout (PostgreSQL); call before its first query."""
        if s.get_bind().dialect.name == "postgresql":
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    def start(self, s: Session) -> None:
        """Position the feed at what `s` sees now, before the tables are loaded through it."""
        row = s.execute(
            sa.text("SELECT id, kind, key FROM search_change ORDER BY id DESC LIMIT 1")
        ).first()
        self.newest = (int(row[0]), str(row[1]), str(row[2])) if row else None
        if self.dialect == "postgresql":
            self.horizon = _xmin(s)
            rows = s.execute(
                sa.text("SELECT id FROM search_change WHERE xid >= :h"), {"h": self.horizon}
            )
            self.applied = {row[0] for row in rows}
        else:
            found = s.execute(sa.text("SELECT max(id) FROM search_change")).scalar()
            self.last_id = int(found or 0)

    def read(self, s: Session) -> list[tuple[str, str]]:
        """(kind, key) of every change not read before, each key once, oldest first. `s` must
        be fresh and is used for this read alone (PostgreSQL: one snapshot)."""
        keys: dict[tuple[str, str], None] = {}
        if self.dialect == "postgresql":
            self._read_postgresql(s, keys)
        else:
            self._read_sqlite(s, keys)
        return list(keys)

    def _read_sqlite(self, s: Session, keys: dict[tuple[str, str], None]) -> None:
        self.rows_read = 0
        while True:
            rows = s.execute(
                sa.text(
                    "SELECT id, kind, key FROM search_change WHERE id > :last ORDER BY id LIMIT :n"
                ),
                {"last": self.last_id, "n": READ_PAGE},
            ).all()
            for change_id, kind, key in rows:
                keys[(kind, key)] = None
                self.last_id = change_id
                self._saw(change_id, kind, key)
            self.rows_read += len(rows)
            if len(rows) < READ_PAGE:
                return

    def _read_postgresql(self, s: Session, keys: dict[tuple[str, str], None]) -> None:
        self.snapshot(s)
        horizon = _xmin(s)
        rows = s.execute(
            sa.text("SELECT id, kind, key, xid FROM search_change WHERE xid >= :h ORDER BY id"),
            {"h": self.horizon},
        ).all()
        self.rows_read = len(rows)
        applied: set[int] = set()
        for change_id, kind, key, xid in rows:
            if change_id not in self.applied:
                keys[(kind, key)] = None
            self._saw(change_id, kind, key)
            if xid >= horizon:
                applied.add(change_id)
        self.horizon, self.applied = horizon, applied

    def _saw(self, change_id: int, kind: str, key: str) -> None:
        if self.newest is None or change_id > self.newest[0]:
            self.newest = (change_id, kind, key)

    def still_in(self, s: Session) -> bool:
        """Whether `s` is the database this position was read from: its newest change is
        there, unchanged (a restored backup or another database is not)."""
        if self.newest is None:
            return False
        row = s.execute(
            sa.text("SELECT kind, key FROM search_change WHERE id = :id"), {"id": self.newest[0]}
        ).first()
        return row is not None and (str(row[0]), str(row[1])) == self.newest[1:]


def _xmin(s: Session) -> int:
    found = s.execute(
        sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    ).scalar()
    return int(found or 0)
