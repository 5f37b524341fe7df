"""One scheduler among replicas: a PostgreSQL advisory lock held on a dedicated connection.

The lock lives as long as that connection, so a leader that dies (or loses its connection)
lets another replica take over. SQLite serves one process, which always leads.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

log = logging.getLogger(__name__)
# The same key for every replica on one schema; another schema (a staging copy, a test run)
# in the same database has its own leader.
LOCK_KEY_SQL = "hashtextextended('hasanyone-scheduler:' || coalesce(current_schema(), ''), 0)"


class Leadership:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._connection: sa.Connection | None = None
        self._told_standing_by = False

    @property
    def leading(self) -> bool:
        return self.engine.dialect.name != "postgresql" or self._connection is not None

    def try_lead(self) -> bool:
        """True if this process leads (now or already). Never blocks."""
        if self.leading:
            return True
        connection = self.engine.connect()
        got = connection.execute(sa.text(f"SELECT pg_try_advisory_lock({LOCK_KEY_SQL})")).scalar()
        connection.commit()
        if got:
            self._connection = connection
            log.info("this process now leads: it runs the scheduler")
            return True
        connection.close()
        if not self._told_standing_by:
            log.info("another process leads the scheduler; this one stands by")
            self._told_standing_by = True
        return False

    def still_leading(self) -> bool:
        """Checks the dedicated connection is alive; if it is not, leadership is gone."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(sa.text("SELECT 1"))
            self._connection.commit()
        except sa.exc.DBAPIError:
            self._connection = None
            return False
        return True

    def resign(self) -> None:
        """Unlock and discard the connection: closing it would only return it to the pool,
        where the session, and with it the lock, would live on."""
        if self._connection is None:
            return
        try:
            self._connection.execute(sa.text(f"SELECT pg_advisory_unlock({LOCK_KEY_SQL})"))
            self._connection.commit()
        except sa.exc.DBAPIError:
            log.warning("could not release the scheduler lock cleanly; dropping the connection")
        finally:
            self._connection.invalidate()
            self._connection.close()
            self._connection = None
