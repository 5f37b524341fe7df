"""Engines and schema migrations. A new SQLite file is created and upgraded on first use.

Migrations run under a lock, so replicas starting together migrate once and then all start:
a PostgreSQL advisory lock, or a lock file beside an SQLite database.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> sa.Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys and a busy timeout so that a second
    process waits for a lock instead of failing."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return sa.create_engine(url, echo=echo, pool_pre_ping=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["poolclass"] = sa.StaticPool  # one shared connection, or each would see its own db
    else:
        _make_parent(url)
    engine = sa.create_engine(url, echo=echo, **kwargs)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _make_parent(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != url:
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`; safe to run on every start."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: sa.Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def ensure_schema(engine: sa.Engine) -> None:
    before, head = current_revision(engine), head_revision(engine)
    if before != head:
        upgrade(engine)
        log.info("database schema upgraded from %s to %s", before or "nothing", head)


class SchemaNotCurrent(Exception):
    """The database is not at this version's schema, and this process may not migrate it."""

    def __init__(self, current: str | None, head: str | None) -> None:
        super().__init__(
            f"the database schema is at {current or 'nothing'}, this version needs {head}"
        )
        self.current, self.head = current, head


def check_schema(engine: sa.Engine) -> None:
    """Raises SchemaNotCurrent unless the schema is at head (for HASANYONE_MIGRATE=false)."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise SchemaNotCurrent(current, head)


# The lock's key comes from the schema's name, so deployments (and test runs) that share a
# PostgreSQL database in separate schemas never wait for each other.
_PG_KEY = "hashtextextended('hasanyone-migrations:' || coalesce(current_schema(), ''), 0)"


@contextlib.contextmanager
def migration_lock(engine: sa.Engine, *, locks: sa.Engine | None = None) -> Iterator[None]:
    """Held while migrating (and seeding) a database: one process at a time does it, and the
    others find the work done when they get the lock. `locks` is where PostgreSQL's advisory
    lock is taken: a session-mode connection (a transaction-mode pooler would lose it)."""
    locks = locks or engine
    if locks.dialect.name == "postgresql":
        with _pg_lock(locks):
            yield
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        database = Path(str(engine.url.database)).expanduser()
        with _file_lock(database.with_name(database.name + ".migrate-lock")):
            yield
    else:
        yield


@contextlib.contextmanager
def _pg_lock(locks: sa.Engine) -> Iterator[None]:
    connection = locks.connect()
    try:
        got = connection.execute(sa.text(f"SELECT pg_try_advisory_lock({_PG_KEY})")).scalar()
        if not got:
            log.info("another process is migrating the database; waiting for it")
            connection.execute(sa.text(f"SELECT pg_advisory_lock({_PG_KEY})"))
        connection.commit()
        yield
        connection.execute(sa.text(f"SELECT pg_advisory_unlock({_PG_KEY})"))
        connection.commit()
    finally:
        # Never back to the pool: a pooled session would keep the lock if unlocking failed.
        connection.invalidate()
        connection.close()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        _lock_file(handle)
        try:
            yield
        finally:
            _unlock_file(handle)


def _lock_file(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        while True:
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after ten seconds: keep waiting
                continue
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _unlock_file(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
