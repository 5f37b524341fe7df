"""A fake Slack Web API (and response_url receiver) on 127.0.0.1, for tests.

Point slack_sdk at it with ``AsyncWebClient(token=..., base_url=slack.api_url)`` and hand out
``slack.response_url("abc")`` as a slash command's response_url. Every request is recorded as a
:class:`Call`; a few methods keep state (messages per channel, views) so a test can read back
what the bot posted the way the bot itself would.

Socket Mode too: ``apps.connections.open`` (with an app-level ``xapp-`` token) hands out
``ws://127.0.0.1:PORT/socket?ticket=...``; a client that connects there gets Slack's ``hello``,
then whatever envelopes the test pushes with :meth:`FakeSlack.socket_send` (build them with
:func:`socket_envelope`), and its acks are kept in ``socket_acks``
(:meth:`FakeSlack.wait_for_ack`).

Faults, per method name (``"chat.postMessage"``, or ``"response_url:abc"`` for the posts to
``response_url("abc")``), each for the next ``times`` calls::

    slack.fail_next("chat.postMessage", status=429, retry_after=30)     # 429, Retry-After: 30
    slack.fail_next("chat.postMessage", error="channel_not_found")      # 200 {"ok": false, ...}
    slack.fail_next("chat.postMessage", status=500)                     # 500, nothing posted
    slack.fail_next("chat.postMessage", status=500, after_landing=True) # posted, then 500
    slack.fail_next("chat.postMessage", status=502, after_landing=True, body="html")  # text/html
    slack.drop_next("chat.postMessage", after_landing=True)             # posted, then hang up
    slack.drop_next("chat.postMessage", how="reset")                    # RST, nothing posted
    slack.stall_next("chat.postMessage", seconds=1.5, after_landing=True)  # posted, answer late
    slack.rate_limit("chat.postMessage", seconds=3)                     # 429 for 3s of wall time
    slack.fault_plan("chat.postMessage", random_plan(seed=7))           # one step per call
    slack.fail_next("response_url:abc", status=503, after_landing=True) # response_url too

``after_landing=True`` is the fault that makes a retrying client post twice: the call is applied
(the message is in ``messages`` and ``conversations.history``, metadata and all) and then the
client gets an error, no answer, or an answer after it gave up. ``body`` is ``"json"`` (Slack's
``{"ok": false, "error": ...}``), ``"text"``, ``"html"`` (a proxy's error page) or
``"garbled"`` (says ``application/json``, is not). A rate-limit window is checked first, then
queued faults, then the method's plan. Every call gets an :class:`Outcome` in ``outcomes``:
which fault it met and whether it *landed*; :meth:`FakeSlack.landed` lists the calls that did
(:meth:`FakeSlack.wait_for_landed` waits for them), so a test can assert "exactly one digest per
channel" whatever the client saw. Leaving the ``async with`` cuts every stall short.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any, Self

from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes.slack_faults import (
    PLAN_STEPS,
    Body,
    Drop,
    Fault,
    FaultPlan,
    Plan,
    drop_connection,
    error_response,
    random_plan,
    stall,
)

TEAM_ID = "T0001"
TEAM_NAME = "Fake Council Workspace"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0001"
INSTALLED_TOKEN = "xoxb-installed"
BOT_SCOPES = "chat:write,commands,users:read,channels:read,groups:read,im:write,mpim:write"

Json = dict[str, Any]
Handler = Callable[[Json], Json]


@dataclass(frozen=True)
class Call:
    """One request the fake received: the API method (or ``response_url:{id}``) and its params."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def token(self) -> str | None:
        """The Bearer token from the Authorization header, if any."""
        auth = next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = auth.partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Outcome:
    """What became of one call: the fault it met (``"ok"`` for none), whether it *landed* (was
    applied and answered ``ok: true``, as far as the fake is concerned - the client may never
    have seen that answer), and the HTTP status sent (``None`` when the connection dropped)."""

    call: Call
    fault: str
    landed: bool
    status: int | None


class SlackError(Exception):
    """Raised inside a handler to answer HTTP 200 ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class _Views:
    by_id: dict[str, Json] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def save(self, view: Json, view_id: str | None, extra: Json) -> Json:
        view_id = view_id or f"V{next(self.ids):010d}"
        saved = {
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "hash": f"{time.time_ns()}.{view_id}",
            "state": {"values": {}},
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            **extra,
        }
        self.by_id[view_id] = saved
        return saved


class FakeSlack:
    """An aiohttp server that answers like the Slack Web API, recording every call.

    Use as ``async with FakeSlack() as slack:``. Configure ``users`` and ``channels`` (a value of
    ``None`` makes users.info / conversations.info answer ``user_not_found`` /
    ``channel_not_found``), script failures with :meth:`fail_next`, :meth:`drop_next`,
    :meth:`stall_next`, :meth:`rate_limit` and :meth:`fault_plan`, and inspect ``calls``,
    ``outcomes``, ``messages`` (per channel, oldest first) and ``views``. If ``tokens`` is
    non-empty, only those Bearer tokens are accepted (others get ``invalid_auth``); with no token
    at all the answer is ``not_authed``. Unknown methods answer ``{"ok": true}`` and are still
    recorded.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.calls: list[Call] = []
        self.users: dict[str, Json | None] = {}
        self.channels: dict[str, Json | None] = {}
        self.messages: dict[str, list[Json]] = {}
        self.tokens: set[str] = set()
        self.views = _Views()
        self.outcomes: list[Outcome] = []  # one per call once the fake decided what to do
        self._failures: dict[str, deque[Fault]] = {}
        self._rate_limits: dict[str, tuple[float, int | None]] = {}  # until (monotonic), header
        self._plans: dict[str, FaultPlan] = {}
        self._problems: list[str] = []  # mistakes in a test's fault plan, raised on exit
        self._stopping = asyncio.Event()
        self._ts = itertools.count(1)
        self._last_micros = 0
        self._dms: dict[frozenset[str], str] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.socket_connections = 0  # websocket connections ever accepted at /socket
        self.socket_sent: list[Json] = []  # envelopes pushed to the client, in order
        self.socket_acks: list[Json] = []  # every JSON message the client sent back, in order
        self._sockets: list[web.WebSocketResponse] = []  # open now, oldest first
        self._tickets: set[str] = set()
        self._envelope_ids = itertools.count(1)
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_save,
            "views.push": self._views_save,
            "views.update": self._views_save,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "oauth.v2.access": self._oauth_v2_access,
        }

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{id}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()  # stalled answers give up now, or cleanup would wait them out
        if self._runner is not None:
            for ws in list(self._sockets):  # aiohttp leaves open websockets to their handlers
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"fake slack stopping")
            await self._runner.cleanup()
            self._runner = None
        if self._problems and exc is None:
            raise AssertionError("FakeSlack fault plan problems: " + "; ".join(self._problems))

    # --- the test-facing API ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._runner is None:
            raise RuntimeError("FakeSlack is not running: use it as `async with FakeSlack()`")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The base_url for slack_sdk clients; ends with a slash so the method name is appended."""
        return f"{self.base_url}/api/"

    def response_url(self, response_id: str) -> str:
        """A response_url whose posts are recorded as ``response_url:{response_id}`` calls."""
        return f"{self.base_url}/response/{response_id}"

    def calls_to(self, method: str) -> list[Call]:
        """The calls to one method (``"chat.postMessage"``, ``"response_url:abc"``), in order."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
    ) -> list[Call]:
        """Wait until at least ``count`` calls to ``method`` arrived; return all calls to it."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        except TimeoutError:
            seen = [c.method for c in self.calls]
            raise AssertionError(
                f"waited {timeout}s for {count} call(s) to {method}; got "
                f"{len(self.calls_to(method))}. All calls: {seen}"
            ) from None
        return self.calls_to(method)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        after_landing: bool = False,
        body: Body | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        ``status=429`` answers HTTP 429 with ``Retry-After`` (default 1) and error ``ratelimited``;
        another non-200 status answers that status with error ``fatal_error`` (or ``error``);
        ``status=200`` answers ``{"ok": false, "error": error}``. ``retry_after`` sends a
        ``Retry-After`` header with any status.

        ``after_landing=True`` applies the call first (the message is stored and shows in
        ``conversations.history``) and only then answers the failure. ``body`` picks the error
        body: ``"json"`` (Slack's, the Web API default), ``"text"`` (text/plain, the
        response_url default), ``"html"`` (a text/html error page, as a proxy sends) or
        ``"garbled"`` (``Content-Type: application/json`` but not JSON).
        """
        fault = Fault(
            status=status,
            error=error or "",
            retry_after=retry_after,
            body=body,
            after_landing=after_landing,
        )
        self._queue(method, fault, times)

    def drop_next(
        self,
        method: str,
        *,
        after_landing: bool = False,
        how: Drop = "close",
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` lose their connection, with no answer.

        ``how="close"`` closes it before any answer (aiohttp: ``ServerDisconnectedError``),
        ``"reset"`` resets it (``ClientOSError`` errno 104), ``"partial"`` sends a 200's headers
        and part of its body first (``ClientPayloadError``). ``after_landing=True`` applies the
        call first, so the message is posted though the client saw only an error.
        """
        self._queue(method, Fault(kind="drop", how=how, after_landing=after_landing), times)

    def stall_next(
        self,
        method: str,
        *,
        seconds: float,
        after_landing: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` wait ``seconds`` before the normal answer.

        Set ``seconds`` just above the client's timeout. ``after_landing=True`` applies the call
        at once and delays only the answer; without it the call is applied when the stall ends
        (a slow Slack: it lands after the client gave up). Leaving the ``async with`` cuts every
        stall short (the connection is closed, nothing more lands).
        """
        self._queue(
            method, Fault(kind="stall", seconds=seconds, after_landing=after_landing), times
        )

    def rate_limit(self, method: str, *, seconds: float, retry_after: int | None = None) -> None:
        """Answer every call to ``method`` with 429 ``ratelimited`` for the next ``seconds`` of
        wall time, applying none of them. ``Retry-After`` is ``retry_after``, or else the whole
        seconds left in the window (at least 1). ``seconds=0`` ends a window early. The window
        comes before anything queued with :meth:`fail_next` and friends, which it leaves queued.
        """
        if seconds <= 0:
            self._rate_limits.pop(method, None)
        else:
            self._rate_limits[method] = (time.monotonic() + seconds, retry_after)

    def fault_plan(
        self,
        method: str,
        plan: Plan,
        *,
        stall_seconds: float = 2.0,
        retry_after: int = 1,
    ) -> None:
        """Decide each call to ``method`` by a plan (replacing any earlier plan for it).

        ``plan`` is an iterable of steps, consumed one per call (``"ok"`` once it runs out), or
        a callable given each :class:`Call` and returning its step. A step is ``"ok"`` (or
        ``None``), a name from :data:`PLAN_STEPS` (``"error_before"``, ``"429"``,
        ``"land_then_500"``, ``"land_then_html_502"``, ``"land_then_drop"``,
        ``"land_then_stall"``, ...) or a :class:`Fault`. ``"land_then_stall"`` waits
        ``stall_seconds``; ``"429"`` sends ``Retry-After: retry_after``. A rate-limit window and
        queued faults (:meth:`fail_next`, ...) come first; the plan only sees calls they leave.
        See :func:`random_plan` for a seeded plan; :meth:`landed` says what got through.
        """
        self._plans[method] = FaultPlan(plan, stall_seconds=stall_seconds, retry_after=retry_after)

    def clear_faults(self, method: str | None = None) -> None:
        """Forget queued faults, rate-limit windows and plans, for one method or all."""
        for faults in (self._failures, self._rate_limits, self._plans):
            if method is None:
                faults.clear()
            else:
                faults.pop(method, None)

    def landed(self, method: str) -> list[Call]:
        """The calls to ``method`` that were applied and answered ``ok: true`` - whatever the
        client then saw (a 500, a dropped connection, a timeout). In order of landing."""
        return [o.call for o in self.outcomes if o.landed and o.call.method == method]

    def outcomes_of(self, method: str) -> list[Outcome]:
        """What became of each call to ``method`` (fault met, landed, status), in order."""
        return [o for o in self.outcomes if o.call.method == method]

    async def wait_for_landed(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
    ) -> list[Call]:
        """Wait until at least ``count`` calls to ``method`` landed; return all that did."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(self.landed(method)) >= count)
        except TimeoutError:
            seen = [(o.fault, o.landed) for o in self.outcomes_of(method)]
            raise AssertionError(
                f"waited {timeout}s for {count} landed call(s) to {method}; got "
                f"{len(self.landed(method))}. Outcomes (fault, landed): {seen}"
            ) from None
        return self.landed(method)

    def _queue(self, method: str, fault: Fault, times: int) -> None:
        self._failures.setdefault(method, deque()).extend([fault] * times)

    # --- Socket Mode: the test-facing API -------------------------------------------------

    @property
    def sockets_open(self) -> int:
        """How many Socket Mode websockets are connected right now."""
        return len(self._sockets)

    async def wait_for_socket(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
    ) -> None:
        """Wait until ``count`` websocket connections have been made (each one sent ``hello``)
        and one is open."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(
                    lambda: self.socket_connections >= count and bool(self._sockets)
                )
        except TimeoutError:
            raise AssertionError(
                f"waited {timeout}s for {count} Socket Mode connection(s); got "
                f"{self.socket_connections} ({self.sockets_open} open). "
                f"apps.connections.open calls: {len(self.calls_to('apps.connections.open'))}"
            ) from None

    async def wait_for_hangup(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
    ) -> None:
        """Wait until no Socket Mode websocket is open (the client hung up)."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: not self._sockets)
        except TimeoutError:
            raise AssertionError(
                f"waited {timeout}s for the client to hang up; {self.sockets_open} socket(s) open"
            ) from None

    async def socket_send(self, envelope: Json, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Push an envelope down the newest open websocket (waiting for one); returns its
        envelope_id (one is made up if the envelope has none)."""
        await self.wait_for_socket(timeout=timeout)
        sent = {**envelope}
        envelope_id = str(sent.setdefault("envelope_id", self._new_envelope_id()))
        self.socket_sent.append(sent)
        await self._sockets[-1].send_str(json.dumps(sent))
        return envelope_id

    def acks_for(self, envelope_id: str) -> list[Json]:
        """The acks the client sent for one envelope (more than one is a client bug)."""
        return [a for a in self.socket_acks if a.get("envelope_id") == envelope_id]

    async def wait_for_ack(
        self,
        envelope_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
    ) -> Json:
        """Wait for the client's ack of one envelope, ``{"envelope_id": ..., "payload"?: ...}``."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: bool(self.acks_for(envelope_id)))
        except TimeoutError:
            acked = [a.get("envelope_id") for a in self.socket_acks]
            raise AssertionError(
                f"waited {timeout}s for the ack of envelope {envelope_id!r}; acks so far: {acked}"
            ) from None
        return self.acks_for(envelope_id)[0]

    def _new_envelope_id(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._envelope_ids):012d}"

    def next_ts(self) -> str:
        """A fresh message timestamp, unique and increasing, from the wall clock as Slack's
        are (so `oldest=` windows computed from real times find the messages they should)."""
        next(self._ts)
        micros = max(int(time.time() * 1_000_000), self._last_micros + 100)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # --- HTTP plumbing ---------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except SlackError as exc:
            call = await self._record(method, {}, request)
            await self._note(call, "ok", landed=False, status=200)
            return web.json_response({"ok": False, "error": exc.error})
        return await self._handle_parsed(method, params, request)

    async def _handle_parsed(
        self, method: str, params: Json, request: web.Request
    ) -> web.StreamResponse:
        """Record and answer one Web API call whose params were read already (a subclass that
        reads the body itself hands over here, faults and all)."""
        call = await self._record(method, params, request)

        def apply() -> tuple[web.Response, bool]:
            answer = self._answer(method, params, request)
            return web.json_response(answer), answer.get("ok") is True

        return await self._serve(call, request, apply, json_api=True)

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        method = f"response_url:{request.match_info['id']}"
        try:
            params = await _read_params(request)
        except SlackError:
            params = {"_raw": await request.text()}
        call = await self._record(method, params, request)

        def apply() -> tuple[web.Response, bool]:
            return web.Response(text="ok", content_type="text/plain"), True

        return await self._serve(call, request, apply, json_api=False)

    async def _serve(
        self,
        call: Call,
        request: web.Request,
        apply: Callable[[], tuple[web.Response, bool]],
        *,
        json_api: bool,
    ) -> web.StreamResponse:
        """Answer one recorded call: normally (``apply`` it), or as its fault says."""
        fault = self._take_fault(call)
        if fault is None:
            response, landed = apply()
            await self._note(call, "ok", landed=landed, status=response.status)
            return response
        if fault.kind == "stall":
            return await self._serve_stalled(call, request, apply, fault)
        landed = apply()[1] if fault.after_landing else False
        if fault.kind == "drop":
            await self._note(call, fault.label, landed=landed, status=None)
            return await drop_connection(request, fault.how)
        response = error_response(fault, json_api=json_api)
        await self._note(call, fault.label, landed=landed, status=response.status)
        return response

    async def _serve_stalled(
        self,
        call: Call,
        request: web.Request,
        apply: Callable[[], tuple[web.Response, bool]],
        fault: Fault,
    ) -> web.StreamResponse:
        if fault.after_landing:
            response, landed = apply()
            await self._note(call, fault.label, landed=landed, status=response.status)
            if await stall(self._stopping, fault.seconds):
                return response
            return await drop_connection(request, "close")
        if not await stall(self._stopping, fault.seconds):
            await self._note(call, fault.label, landed=False, status=None)
            return await drop_connection(request, "close")
        response, landed = apply()
        await self._note(call, fault.label, landed=landed, status=response.status)
        return response

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        """Socket Mode's websocket: ``hello`` first, then envelopes out and acks in."""
        if request.query.get("ticket", "") not in self._tickets:
            raise web.HTTPUnauthorized(text="unknown ticket: call apps.connections.open first")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "debug_info": {
                    "host": "applink-fake",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        async with self._changed:
            self._sockets.append(ws)
            self.socket_connections += 1
            self._changed.notify_all()
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    body = json.loads(message.data)
                except json.JSONDecodeError:
                    body = {"_raw": message.data}
                async with self._changed:
                    self.socket_acks.append(body if isinstance(body, dict) else {"_raw": body})
                    self._changed.notify_all()
        finally:
            async with self._changed:
                self._sockets.remove(ws)
                self._changed.notify_all()
        return ws

    async def _record(self, method: str, params: Json, request: web.Request) -> Call:
        call = Call(method, params, dict(request.headers), time.monotonic())
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return call

    async def _note(self, call: Call, fault: str, *, landed: bool, status: int | None) -> None:
        async with self._changed:
            self.outcomes.append(Outcome(call, fault, landed, status))
            self._changed.notify_all()

    def _take_failure(self, method: str) -> Fault | None:
        """The next queued fault for ``method``, if any. Kept for bench/digest.py, which answers
        it with :func:`_failure_response`; :meth:`_handle_parsed` handles every kind of fault."""
        queue = self._failures.get(method)
        return queue.popleft() if queue else None

    def _take_fault(self, call: Call) -> Fault | None:
        """A rate-limit window first, then a queued fault, then the method's plan."""
        window = self._rate_limits.get(call.method)
        if window is not None:
            until, retry_after = window
            left = until - time.monotonic()
            if left > 0:
                header = retry_after if retry_after is not None else max(1, math.ceil(left))
                return Fault(status=429, retry_after=header, label="rate_limited")
            del self._rate_limits[call.method]
        queued = self._take_failure(call.method)
        if queued is not None:
            return queued
        plan = self._plans.get(call.method)
        if plan is None:
            return None
        try:
            return plan.next_fault(call)
        except ValueError as exc:  # a typo in a lazy plan: answer normally, fail the test on exit
            self._problems.append(str(exc))
            return None

    def _answer(self, method: str, params: Json, request: web.Request) -> Json:
        handler = self._handlers.get(method, _anything_else)
        try:
            token = self._check_auth(method, params, request)
            if method == "apps.connections.open":
                return {"ok": True, **self._apps_connections_open(token)}
            return {"ok": True, **handler(params)}
        except SlackError as exc:
            return {"ok": False, "error": exc.error}

    def _check_auth(self, method: str, params: Json, request: web.Request) -> str:
        """The caller's token (Bearer header, else a ``token`` param), or an auth error."""
        auth = request.headers.get("Authorization", "")
        if method.startswith("oauth.") and auth.lower().startswith("basic "):
            return ""
        scheme, _, token = auth.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else str(params.get("token", ""))
        if not token:
            raise SlackError("not_authed")
        if self.tokens and token not in self.tokens:
            raise SlackError("invalid_auth")
        return token

    # --- methods ---------------------------------------------------------------------------

    def _auth_test(self, _params: Json) -> Json:
        return {
            "url": "https://fake-council.slack.com/",
            "team": TEAM_NAME,
            "user": "hasanyone",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, token: str) -> Json:
        """Only an app-level token opens a Socket Mode connection; each URL has its own ticket."""
        if not token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        ticket = f"ticket-{len(self._tickets) + 1}"
        self._tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/socket?ticket={ticket}"}

    def _chat_post_message(self, params: Json) -> Json:
        channel = _required(params, "channel", "channel_not_found")
        if not any(params.get(k) for k in ("text", "blocks", "attachments", "markdown_text")):
            raise SlackError("no_text")
        message = self._new_message(params)
        self.messages.setdefault(channel, []).append(message)
        self._note_reply(channel, message)
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _new_message(self, params: Json) -> Json:
        ts = self.next_ts()
        message: Json = {
            "type": "message",
            "subtype": "bot_message",
            "text": params.get("text") or params.get("markdown_text") or "",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "reply_broadcast", "metadata"):
            if params.get(key):
                message[key] = params[key]
        return message

    def _note_reply(self, channel: str, message: Json) -> None:
        parent = self._find(channel, str(message.get("thread_ts", "")))
        if parent is None or parent is message:
            return
        parent["thread_ts"] = parent["ts"]
        parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
        parent["latest_reply"] = message["ts"]

    def _find(self, channel: str, ts: str) -> Json | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def _chat_post_ephemeral(self, params: Json) -> Json:
        _required(params, "channel", "channel_not_found")
        _required(params, "user", "user_not_in_channel")
        return {"message_ts": self.next_ts()}

    def _chat_update(self, params: Json) -> Json:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        message = self._find(channel, ts)
        text = params.get("text", message.get("text", "") if message else "")
        if message is not None:
            message.update({k: params[k] for k in ("text", "blocks", "metadata") if k in params})
            message["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {"channel": channel, "ts": ts, "text": text, "message": message or {"text": text}}

    def _chat_delete(self, params: Json) -> Json:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        kept = [m for m in self.messages.get(channel, []) if m["ts"] != ts]
        self.messages[channel] = kept
        return {"channel": channel, "ts": ts}

    def _views_save(self, params: Json) -> Json:
        view = params.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        view_id = params.get("view_id")
        if view_id is not None and view_id not in self.views.by_id:
            raise SlackError("not_found")
        return {"view": self.views.save(view, view_id, {"type": view.get("type", "modal")})}

    def _views_publish(self, params: Json) -> Json:
        view = params.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        user = _required(params, "user_id", "user_not_found")
        return {"view": self.views.save(view, None, {"type": "home", "user_id": user})}

    def _conversations_open(self, params: Json) -> Json:
        if params.get("channel"):
            return {"channel": {"id": params["channel"]}, "no_op": True, "already_open": True}
        users = frozenset(u.strip() for u in str(params.get("users", "")).split(",") if u.strip())
        if not users:
            raise SlackError("users_list_not_supplied")
        already = users in self._dms
        if not already:
            prefix = "G" if len(users) > 1 else "D"
            self._dms[users] = f"{prefix}{len(self._dms) + 1:08d}"
        return {"channel": {"id": self._dms[users]}, "no_op": already, "already_open": already}

    def _conversations_info(self, params: Json) -> Json:
        channel = _required(params, "channel", "channel_not_found")
        configured = self.channels.get(channel, {})
        if configured is None:
            raise SlackError("channel_not_found")
        return {"channel": {**_default_channel(channel), **configured}}

    def _conversations_history(self, params: Json) -> Json:
        channel = _required(params, "channel", "channel_not_found")
        if self.channels.get(channel, {}) is None:
            raise SlackError("channel_not_found")
        shown = [m for m in self.messages.get(channel, []) if _in_channel_view(m)]
        window = [m for m in reversed(shown) if _in_window(m, params)]
        return self._page(window, params)

    def _conversations_replies(self, params: Json) -> Json:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "thread_not_found")
        if self._find(channel, ts) is None:
            raise SlackError("thread_not_found")
        thread = [m for m in self.messages[channel] if ts in (m["ts"], m.get("thread_ts"))]
        return self._page([m for m in thread if _in_window(m, params)], params)

    def _page(self, messages: list[Json], params: Json) -> Json:
        limit = int(params.get("limit") or 100)
        with_metadata = _truthy(params.get("include_all_metadata"))
        page = [m if with_metadata else _without(m, "metadata") for m in messages[:limit]]
        return {
            "messages": page,
            "has_more": len(messages) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _users_info(self, params: Json) -> Json:
        user = _required(params, "user", "user_not_found")
        configured = self.users.get(user, {})
        if configured is None:
            raise SlackError("user_not_found")
        return {"user": _merge_user(_default_user(user), configured)}

    def _oauth_v2_access(self, params: Json) -> Json:
        if not params.get("code"):
            raise SlackError("invalid_code")
        return {
            "access_token": INSTALLED_TOKEN,
            "token_type": "bot",
            "scope": BOT_SCOPES,
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": TEAM_ID, "name": TEAM_NAME},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "UINSTALLER"},
        }


# --- request parsing -------------------------------------------------------------------------


async def _read_params(request: web.Request) -> Json:
    """Query string, then the body (JSON or form; JSON-looking form values decoded) over it."""
    params: Json = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        params.update(await _read_json(request))
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({key: _form_value(form[key]) for key in form})
    return params


async def _read_json(request: web.Request) -> Json:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise SlackError("invalid_json") from None
    if not isinstance(body, dict):
        raise SlackError("invalid_json")
    return body


def _form_value(value: object) -> Any:
    if isinstance(value, web.FileField):
        return value.file.read()
    text = str(value)
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def _failure_response(failure: Fault, *, json_body: bool) -> web.Response:
    """An error fault's answer (kept for bench/digest.py, where a drop or stall becomes a 500)."""
    if failure.kind != "answer":
        failure = Fault(status=500)
    return error_response(failure, json_api=json_body)


# --- small helpers ---------------------------------------------------------------------------


def _required(params: Json, key: str, error: str) -> str:
    value = params.get(key)
    if not value:
        raise SlackError(error)
    return str(value)


def _anything_else(_params: Json) -> Json:
    return {}


def _truthy(value: object) -> bool:
    return str(value).lower() in ("1", "true")


def _without(message: Json, key: str) -> Json:
    return {k: v for k, v in message.items() if k != key}


def _ts(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _in_window(message: Json, params: Json) -> bool:
    """Slack's oldest/latest bounds: exclusive unless ``inclusive`` is set."""
    ts = Decimal(message["ts"])
    inclusive = _truthy(params.get("inclusive"))
    oldest, latest = _ts(params.get("oldest")), _ts(params.get("latest"))
    after = oldest is None or ts > oldest or (inclusive and ts == oldest)
    before = latest is None or ts < latest or (inclusive and ts == latest)
    return after and before


def _in_channel_view(message: Json) -> bool:
    """conversations.history shows top-level messages and thread parents, not replies."""
    thread_ts = message.get("thread_ts")
    return thread_ts in (None, message["ts"]) or _truthy(message.get("reply_broadcast"))


def _default_channel(channel: str) -> Json:
    is_private = channel.startswith("G")
    return {
        "id": channel,
        "name": f"channel-{channel.lower()}",
        "creator": "UCREATOR",
        "created": 1_600_000_000,
        "is_channel": channel.startswith("C"),
        "is_group": is_private,
        "is_im": channel.startswith("D"),
        "is_mpim": False,
        "is_private": is_private,
        "is_archived": False,
        "is_general": False,
        "is_member": True,
        "context_team_id": TEAM_ID,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


def _default_user(user: str) -> Json:
    name = f"user.{user.lower()}"
    return {
        "id": user,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": f"User {user}",
        "deleted": False,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "is_app_user": False,
        "tz": "Europe/London",
        "tz_label": "Greenwich Mean Time",
        "tz_offset": 0,
        "profile": {
            "real_name": f"User {user}",
            "display_name": name,
            "email": f"{name}@example.gov.uk",
            "title": "",
            "team": TEAM_ID,
        },
    }


def _merge_user(default: Json, configured: Mapping[str, Any]) -> Json:
    profile = {**default["profile"], **configured.get("profile", {})}
    return {**default, **configured, "profile": profile}


# --- Socket Mode envelopes --------------------------------------------------------------------

#: Envelope types whose ack may carry a response payload (Slack's ``accepts_response_payload``).
_ACCEPTS_RESPONSE = {"slash_commands": True, "interactive": True, "events_api": False}


def socket_envelope(
    kind: str,
    payload: Json,
    *,
    envelope_id: str | None = None,
    retry_attempt: int = 0,
    retry_reason: str = "",
) -> Json:
    """An envelope as Slack sends it down the socket.

    ``kind`` is ``"slash_commands"`` (payload: the form fields of the HTTP request),
    ``"interactive"`` (payload: the decoded ``payload`` field) or ``"events_api"`` (payload: the
    ``event_callback`` body). Without ``envelope_id``, :meth:`FakeSlack.socket_send` makes one up.
    """
    envelope: Json = {
        "type": kind,
        "payload": payload,
        "accepts_response_payload": _ACCEPTS_RESPONSE.get(kind, False),
    }
    if envelope_id is not None:
        envelope["envelope_id"] = envelope_id
    if kind == "events_api":
        envelope["retry_attempt"] = retry_attempt
        envelope["retry_reason"] = retry_reason
    return envelope


__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "PLAN_STEPS",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "Fault",
    "Outcome",
    "SlackError",
    "random_plan",
    "socket_envelope",
]
