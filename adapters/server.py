"""The one aiohttp server: health check now; Slack and Teams mount their routes here."""

from __future__ import annotations

import logging

from aiohttp import web

from adapters.app import App

log = logging.getLogger(__name__)


def make_web_app(app: App) -> web.Application:
    web_app = web.Application()
    web_app["hasanyone"] = app

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "projects": len(app.finder.index)})

    web_app.router.add_get("/healthz", healthz)
    if not app.settings.slack.enabled:
        log.info("Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn it on.")
    return web_app


def serve(app: App, *, host: str, port: int) -> None:
    app.finder.sync()  # build the search index before the first question, not during it
    web.run_app(make_web_app(app), host=host, port=port, print=lambda s: log.info("%s", s))
