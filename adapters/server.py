"""The one aiohttp server: `/healthz`, `/readyz`, `/metrics`, Slack at `/slack/events`,
Teams at `/api/messages`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from adapters.bootstrap import Runtime
from adapters.observability.routes import observe
from adapters.settings import Settings

log = logging.getLogger(__name__)
RUNTIME_KEY = web.AppKey("hasanyone", Runtime)


def make_web_app(runtime: Runtime, *, scheduler: bool = False) -> web.Application:
    """The routes for what `runtime` has (Slack, Teams) and, with `scheduler`, the jobs while
    this replica leads. It builds nothing: everything comes from the runtime."""
    web_app = web.Application(client_max_size=1024**2 * 4)
    web_app[RUNTIME_KEY] = runtime
    app = runtime.core

    async def healthz(_request: web.Request) -> web.Response:
        """Alive and serving; `scheduler` says whether this replica leads the scheduler
        ("leader"), waits for the leader's lock ("standby"), or has none ("off")."""
        leadership = runtime.leadership
        state = "off" if not scheduler else "leader" if leadership.leading else "standby"
        body = {"status": "ok", "documents": len(app.finder.index), "scheduler": state}
        return web.json_response(body)

    web_app.router.add_get("/healthz", healthz)
    # request ids and metrics for every route, /metrics and /readyz
    observe(web_app, runtime.metrics, engine=app.engine, finder=app.finder)
    _mount_slack(web_app, runtime)
    _mount_teams(web_app, runtime)
    if scheduler:
        from adapters.leading import attach_scheduler

        attach_scheduler(web_app, runtime)
    return web_app


def _mount_teams(web_app: web.Application, runtime: Runtime) -> None:
    settings = runtime.settings
    teams = runtime.teams
    if teams is None:
        log.info("Teams is off (HASANYONE_TEAMS_ENABLED=false).")
        return
    web_app.router.add_post("/api/messages", teams.handle)
    if settings.teams.auth_enabled:
        log.info("Teams is on at /api/messages (tokens checked for app %s).", settings.teams.id)
    elif settings.teams_local:
        log.warning(
            "Teams is on at /api/messages WITHOUT authentication (HASANYONE_TEAMS_LOCAL=true): "
            "for the Bot Framework Emulator on this machine only."
        )
    else:
        from adapters.teams.bot import NOT_CONFIGURED

        log.info("%s", NOT_CONFIGURED)


def _mount_slack(web_app: web.Application, runtime: Runtime) -> None:
    settings = runtime.settings.slack
    slack = runtime.slack
    if slack is None:
        log.info("Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn it on.")
        return
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_sdk.signature import SignatureVerifier

    assert settings.signing_secret is not None  # Slack is only on with one
    verifier = SignatureVerifier(settings.signing_secret.get_secret_value())

    async def events(request: web.Request) -> web.Response:
        refused = await _refusal(request, verifier)
        if refused is not None:
            return refused
        return await to_aiohttp_response(
            await slack.bolt.async_dispatch(await to_bolt_request(request))
        )

    web_app.router.add_post("/slack/events", events)
    web_app.on_shutdown.append(_finish_acked_work)
    flow = slack.bolt.oauth_flow
    if flow is not None:
        # These are browser visits, not signed Slack requests: they go to the OAuth flow itself.
        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, redirect)

        async def create_tables(_web_app: web.Application) -> None:
            await slack.create_oauth_tables()

        web_app.on_startup.append(create_tables)
    if settings.app_token is not None:
        web_app.cleanup_ctx.append(_socket_mode(slack, settings.app_token.get_secret_value()))
    log.info(
        "Slack is on (%s).", "Socket Mode" if settings.app_token else "HTTP mode at /slack/events"
    )


DRAIN_SECONDS = 25.0  # within the 30 s a container platform waits between SIGTERM and SIGKILL


async def _finish_acked_work(_web_app: web.Application) -> None:
    """Bolt acks and then works in tasks of its own; on a stop they would be cancelled with
    the loop, and Slack, which has its ack, never sends the request again. So a stop waits
    for them (the listener stopped taking requests already)."""
    running = [
        task
        for task in asyncio.all_tasks()
        if not task.done()
        and getattr(task.get_coro(), "__qualname__", "").endswith("run_ack_function_asynchronously")
    ]
    if running:
        log.info("finishing %d acknowledged Slack requests before stopping", len(running))
        _done, pending = await asyncio.wait(running, timeout=DRAIN_SECONDS)
        if pending:
            log.warning("stopped with %d Slack requests unfinished", len(pending))


async def _refusal(request: web.Request, verifier: Any) -> web.Response | None:
    """Anything that is not a well-formed request signed by Slack in the last five minutes is
    refused with 401 or 400 and one log line, before any of it is parsed: a flood of junk
    costs a line each, never a stack trace."""
    body = await request.text()
    try:
        valid = verifier.is_valid_request(body, dict(request.headers))
    except ValueError:  # a timestamp that is not a number
        valid = False
    if not valid:
        log.info("refused a Slack request: bad or stale signature")
        return web.json_response({"error": "invalid signature"}, status=401)
    problem = _malformed(body, request.content_type)
    if problem is not None:
        log.info("refused a signed Slack request: %s", problem)
        return web.json_response({"error": problem}, status=400)
    return None


def _malformed(body: str, content_type: str) -> str | None:
    """Why a signed body is not something Slack sends, or None."""
    if content_type == "application/json":
        try:
            parsed = json.loads(body)
        except ValueError:
            return "the body is not JSON"
        return None if isinstance(parsed, dict) else "the body is not a JSON object"
    form = urllib.parse.parse_qs(body, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return "payload is not JSON"
        return None if isinstance(payload, dict) else "payload is not a JSON object"
    if "command" in form or "ssl_check" in form:
        return None
    return "neither a command, an interaction nor an event"


def _socket_mode(slack: Any, app_token: str) -> Any:
    """Connect on startup, hang up on cleanup: the handler's websocket, its background tasks and
    its aiohttp session would otherwise outlive the server. apps.connections.open goes through
    the Bolt app's own client, so to SLACK_API_URL."""

    async def socket_mode(_web_app: web.Application) -> AsyncIterator[None]:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(slack.bolt, app_token)
        # slack_sdk retries a failing apps.connections.open forever; connecting in the background
        # keeps /healthz (and Teams) answering while it does, instead of never starting.
        connecting = asyncio.create_task(handler.connect_async())  # type: ignore[no-untyped-call]
        try:
            yield
        finally:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await connecting
            await handler.close_async()  # type: ignore[no-untyped-call]

    return socket_mode


class RefusedToStart(Exception):
    """A setting makes serving unsafe; the message says which and what to do."""


def check_bind(settings: Settings, host: str) -> None:
    """Teams' local mode takes unauthenticated activities: it may listen on loopback only."""
    if settings.teams_enabled and settings.teams_local and not _is_loopback(host):
        raise RefusedToStart(
            f"HASANYONE_TEAMS_LOCAL=true accepts unauthenticated requests, so hasanyone will "
            f"not listen on {host}: use 127.0.0.1, or set MICROSOFT_APP_ID and its password"
        )


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(runtime: Runtime, *, host: str, port: int) -> None:
    """Serve until stopped, then close everything the runtime holds."""
    check_bind(runtime.settings, host)
    runtime.core.finder.sync()  # build the search index before the first question, not during it
    web_app = make_web_app(runtime, scheduler=True)

    async def close(_web_app: web.Application) -> None:
        await runtime.aclose()

    web_app.on_cleanup.append(close)
    from adapters.observability.requests import AccessLog

    web.run_app(
        web_app,
        host=host,
        port=port,
        print=lambda s: log.info("%s", s),
        access_log_class=AccessLog,  # no query strings: an OAuth redirect's carries its code
    )
