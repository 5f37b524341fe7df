"""`/readyz`: whether this replica should be given traffic (`/healthz` only says it is up)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from aiohttp import web

from knowledge import db

if TYPE_CHECKING:
    from knowledge.finder import IndexedFinder

log = logging.getLogger(__name__)
CHECK_SECONDS = 5.0  # a database that has not answered by then counts as unreachable
OK = "ok"


def checks(engine: sa.Engine, finder: IndexedFinder) -> dict[str, str]:
    """Each check's outcome: "ok", or what is wrong (never a URL or a driver's message, which
    can name the host and user)."""
    found = {"database": OK, "schema": OK, "index": OK}
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        found["database"] = f"unreachable ({type(error).__name__})"
        found["schema"] = "not checked"
    else:
        try:
            db.check_schema(engine)
        except db.SchemaNotCurrent as behind:
            found["schema"] = f"{behind}: run `hasanyone db upgrade`"
    if not finder.loaded:
        found["index"] = "not loaded yet"
    return found


async def readyz(engine: sa.Engine, finder: IndexedFinder) -> web.Response:
    """Ready when `engine`'s database answers with this version's schema and `finder`'s index
    is loaded: 200, else 503, with each check's outcome."""
    try:
        found = await asyncio.wait_for(asyncio.to_thread(checks, engine, finder), CHECK_SECONDS)
    except TimeoutError:
        found = {
            "database": f"no answer within {CHECK_SECONDS:.0f} s",
            "schema": "not checked",
            "index": OK if finder.loaded else "not loaded yet",
        }
    ready = all(outcome == OK for outcome in found.values())
    if not ready:
        log.warning("not ready: %s", "; ".join(f"{k}: {v}" for k, v in found.items() if v != OK))
    body = {"status": "ready" if ready else "not ready", **found}
    return web.json_response(body, status=200 if ready else 503)
