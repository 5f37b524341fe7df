"""`/readyz`: ready only when the database answers, its schema is this version's and the
search index is loaded; `/healthz` stays "up" throughout."""

from __future__ import annotations

import json

import sqlalchemy as sa

from adapters.observability.readiness import readyz
from bot.clock import FixedClock
from knowledge import db
from tests.operability.conftest import Both, running_both


async def test_ready_when_the_database_schema_and_index_are(both: Both) -> None:
    status, body, _ = await both.get("/readyz")
    assert status == 200, body
    assert json.loads(body) == {"status": "ready", "database": "ok", "schema": "ok", "index": "ok"}


async def test_not_ready_until_the_index_is_loaded(
    demo_app: object, database_url: str, clock: FixedClock
) -> None:
    async with running_both(database_url, clock, sync=False) as both:
        status, body, _ = await both.get("/readyz")
        assert status == 503
        assert json.loads(body)["index"] == "not loaded yet"
        assert (await both.get("/healthz"))[0] == 200
        both.app.finder.sync()
        assert (await both.get("/readyz"))[0] == 200


async def test_not_ready_when_the_schema_is_not_this_versions(both: Both) -> None:
    head = db.head_revision(both.app.engine)
    with both.app.engine.begin() as c:  # as if a newer release had migrated the database
        c.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    status, body, _ = await both.get("/readyz")
    assert status == 503
    found = json.loads(body)
    assert found["status"] == "not ready" and found["database"] == "ok"
    assert "ffff_from_the_future" in found["schema"] and str(head) in found["schema"]
    assert "hasanyone db upgrade" in found["schema"]
    assert (await both.get("/healthz"))[0] == 200  # up, just not to be given traffic


async def test_not_ready_when_the_database_is_unreachable_and_never_says_its_url(
    both: Both,
) -> None:
    # The server was given its engine when built; the check is asked about another one.
    unreachable = db.make_engine("postgresql://hasanyone:S3cret-Pa55word-991@127.0.0.1:9/x")
    response = await readyz(unreachable, both.app.finder)
    status, body = response.status, response.text or ""
    assert status == 503
    found = json.loads(body)
    assert found["database"].startswith("unreachable") and found["schema"] == "not checked"
    assert "S3cret" not in body and "127.0.0.1" not in body
