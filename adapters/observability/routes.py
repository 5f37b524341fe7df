"""`observe`: what the server adds to its web app for operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from adapters.observability.readiness import readyz
from adapters.observability.requests import request_middleware

if TYPE_CHECKING:
    import sqlalchemy as sa

    from adapters.observability.metrics import Metrics
    from knowledge.finder import IndexedFinder


def observe(
    web_app: web.Application, metrics: Metrics, *, engine: sa.Engine, finder: IndexedFinder
) -> None:
    """Request ids and request metrics for every request, `/metrics` (what `metrics` counted:
    the runtime built and wired them) and `/readyz` (`engine`'s database and `finder`'s
    index)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    web_app.middlewares.append(request_middleware(metrics))

    async def exposition(_request: web.Request) -> web.Response:
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def ready(_request: web.Request) -> web.Response:
        return await readyz(engine, finder)

    web_app.router.add_get("/metrics", exposition)
    web_app.router.add_get("/readyz", ready)
