"""One scheduler among replicas: a PostgreSQL advisory lock held on a dedicated connection.

The lock lives as long as that connection, so a leader that dies (or loses its connection)
lets another replica take over. SQLite serves one process, which always leads.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

log = logging.getLogger(__name__)
LOCK_KEY = 0x68617361  # "hasa": any fixed 64-bit number shared by all replicas


class Leadership:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._connection: sa.Connection | None = None

    @property
    def leading(self) -> bool:
        return self.engine.dialect.name != "postgresql" or self._connection is not None

    def try_lead(self) -> bool:
        """True if this process leads (now or already). Never blocks."""
        if self.leading:
            return True
        connection = self.engine.connect()
        got = connection.execute(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
        ).scalar()
        connection.commit()
        if got:
            self._connection = connection
            log.info("this process now runs the scheduler")
            return True
        connection.close()
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
            self._connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            self._connection.commit()
        except sa.exc.DBAPIError:
            log.warning("could not release the scheduler lock cleanly; dropping the connection")
        finally:
            self._connection.invalidate()
            self._connection.close()
            self._connection = None
