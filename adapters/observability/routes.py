"""`observe`: what the server adds to its web app for operators."""

from __future__ import annotations

from aiohttp import web

from adapters.app import App
from adapters.observability.metrics import Metrics
from adapters.observability.readiness import readyz
from adapters.observability.requests import request_middleware

METRICS_KEY = web.AppKey("metrics", Metrics)


def observe(web_app: web.Application, app: App) -> Metrics:
    """Request ids and request metrics for every request, `/metrics` and `/readyz`."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    metrics = Metrics()
    metrics.watch(app.finder, app.questions)
    web_app[METRICS_KEY] = metrics
    web_app.middlewares.append(request_middleware(metrics))

    async def exposition(_request: web.Request) -> web.Response:
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def ready(_request: web.Request) -> web.Response:
        return await readyz(app)

    web_app.router.add_get("/metrics", exposition)
    web_app.router.add_get("/readyz", ready)
    return metrics
