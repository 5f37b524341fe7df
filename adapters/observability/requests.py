"""Every request gets an id (logged with each line it causes, echoed as `X-Request-Id`), and
the platforms' requests are counted and timed.

The id is the platform's own where it has one, so a line can be matched with what Slack or
Teams shows: a Slack event's `event_id` (with `-retry<n>` for Slack's redeliveries), a slash
command's or interaction's `trigger_id`, a Teams activity's `id`. Anything else gets a fresh one.
The body is looked at before Slack's signature is checked, so nothing from it is trusted: an
id that is not short and plain is replaced, never logged or echoed.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from adapters.observability.logs import CURRENT, RequestContext
from adapters.observability.metrics import Metrics

HEADER = "X-Request-Id"
PLATFORMS = {"/slack/events": "slack", "/api/messages": "teams"}
PLAIN_ID = re.compile(r"[A-Za-z0-9._:@-]{1,100}")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_middleware(metrics: Metrics) -> Any:
    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        platform = PLATFORMS.get(request.path) if request.method == "POST" else None
        started = time.perf_counter()
        status = 500  # what an exception escaping the handler becomes
        request_id = uuid.uuid4().hex
        try:
            request_id = await _request_id(request, platform)
            token = CURRENT.set(RequestContext(request_id, platform))
            try:
                response = await handler(request)
            finally:
                CURRENT.reset(token)  # tasks the request started keep their copy
            status = response.status
            response.headers[HEADER] = request_id
            return response
        except web.HTTPException as refused:  # a body over the server's limit, a 404
            status = refused.status
            refused.headers[HEADER] = request_id
            raise
        finally:
            if platform is not None:
                metrics.requests.labels(platform, str(status)).inc()
                metrics.request_seconds.labels(platform).observe(time.perf_counter() - started)

    return observe


async def _request_id(request: web.Request, platform: str | None) -> str:
    found: str | None = None
    if platform is not None:
        body = (await request.read()).decode("utf-8", "replace")  # kept for the handler
        found = _slack_id(body, request) if platform == "slack" else _teams_id(body)
    return found if found is not None and PLAIN_ID.fullmatch(found) else uuid.uuid4().hex


def _slack_id(body: str, request: web.Request) -> str | None:
    if request.content_type == "application/json":
        parsed = _json_object(body)
        event_id = parsed.get("event_id") if parsed else None
        if not isinstance(event_id, str):
            return None
        retry = request.headers.get("X-Slack-Retry-Num", "")
        return f"{event_id}-retry{retry}" if retry.isdigit() else event_id
    try:
        form = urllib.parse.parse_qs(body, max_num_fields=100)
    except ValueError:
        return None
    if "payload" in form:
        payload = _json_object(form["payload"][0])
        trigger = payload.get("trigger_id") if payload else None
        return trigger if isinstance(trigger, str) else None
    return form.get("trigger_id", [None])[0]


def _teams_id(body: str) -> str | None:
    activity = _json_object(body)
    found = activity.get("id") if activity else None
    return found if isinstance(found, str) else None


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # unsigned junk: nested deep enough to overflow
        return None
    return parsed if isinstance(parsed, dict) else None


class AccessLog(AbstractAccessLogger):
    """One line a request: method, path (never the query string, which carries OAuth codes),
    status and time, with the request's id."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.0f ms",
            request.method,
            request.path,
            response.status,
            time * 1000,
            extra={
                "request_id": response.headers.get(HEADER),
                "platform": PLATFORMS.get(request.path),
            },
        )
