"""A fake Bot Framework Connector service (REST API v3, Teams-flavoured) on 127.0.0.1, for tests.

Put ``connector.service_url`` in an incoming activity's ``serviceUrl`` and the bot's replies,
updates, proactive posts and roster look-ups come here. Every request is recorded as a
:class:`Call` with its ``kind`` (``send``, ``reply``, ``update``, ``delete``,
``create_conversation``, ``members``, ``member``, ``paged_members``, ``activity_members``,
``team_details``, ``team_channels``, ``conversations``, ``other``).

The server runs its own event loop on a daemon thread, so it answers even code that blocks the
caller's loop: botbuilder's ``TeamsInfo.get_team_details``/``get_team_channels`` use the
synchronous ``TeamsConnectorClient`` right on the event loop's thread (teams_info.py:152-168),
which would deadlock against a server sharing that loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote

from aiohttp import web

Json = dict[str, Any]

TENANT_ID = "72f988bf-0000-4000-8000-000000000001"
TEAM_ID = "19:fake-team-general@thread.tacv2"
TEAM_NAME = "Fake Council Team"
POSTED_KINDS = frozenset({"send", "reply"})
WRITE_KINDS = frozenset({"send", "reply", "update", "create_conversation"})
ERROR_CODES = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
}


def teams_member(
    name: str,
    *,
    member_id: str | None = None,
    aad_object_id: str | None = None,
    user_principal_name: str | None = None,
    user_role: str = "user",
    tenant_id: str = TENANT_ID,
) -> Json:
    """A member as Teams' ``GET .../members`` returns it (a ``TeamsChannelAccount``)."""
    given, _, surname = name.partition(" ")
    upn = user_principal_name or f"{name.lower().replace(' ', '.')}@council.example"
    return {
        "id": member_id or f"29:{uuid.uuid4().hex}",
        "name": name,
        "givenName": given,
        "surname": surname or None,
        "email": upn,
        "userPrincipalName": upn,
        "aadObjectId": aad_object_id or str(uuid.uuid4()),
        "tenantId": tenant_id,
        "userRole": user_role,
    }


@dataclass(frozen=True)
class Call:
    """One request the fake received, and what it answered."""

    kind: str
    method: str
    path: str
    conversation_id: str | None
    reply_to_id: str | None  # the activity id in the path: replied to, updated or deleted
    activity: Json | None  # the JSON body of a send, reply, update or create_conversation
    headers: dict[str, str]
    status: int
    response: Any
    at: float = field(default_factory=time.monotonic)
    member_id: str | None = None
    team_id: str | None = None

    @property
    def authorization(self) -> str | None:
        """The raw Authorization header, if any."""
        return next((v for k, v in self.headers.items() if k.lower() == "authorization"), None)

    @property
    def token(self) -> str | None:
        """The Bearer token from the Authorization header, if any."""
        scheme, _, token = (self.authorization or "").partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    code: str
    times: int
    kinds: frozenset[str]


@dataclass(frozen=True)
class _Route:
    kind: str
    conversation_id: str | None = None
    activity_id: str | None = None
    member_id: str | None = None
    team_id: str | None = None


def _route(method: str, segments: list[str]) -> _Route:
    match method, segments:
        case "POST", ["v3", "conversations"]:
            return _Route("create_conversation")
        case "GET", ["v3", "conversations"]:
            return _Route("conversations")
        case "POST", ["v3", "conversations", cid, "activities"]:
            return _Route("send", cid)
        case ("POST" | "PUT" | "DELETE") as verb, ["v3", "conversations", cid, "activities", aid]:
            kind = {"POST": "reply", "PUT": "update", "DELETE": "delete"}[verb]
            return _Route(kind, cid, aid)
        case "GET", ["v3", "conversations", cid, "activities", aid, "members"]:
            return _Route("activity_members", cid, aid)
        case "GET", ["v3", "conversations", cid, "members"]:
            return _Route("members", cid)
        case "GET", ["v3", "conversations", cid, "members", mid]:
            return _Route("member", cid, member_id=mid)
        case "GET", ["v3", "conversations", cid, "pagedmembers"]:
            return _Route("paged_members", cid)
        case "GET", ["v3", "teams", tid, "conversations"]:
            return _Route("team_channels", team_id=tid)
        case "GET", ["v3", "teams", tid]:
            return _Route("team_details", team_id=tid)
    return _Route("other")


def _error(code: str, message: str) -> Json:
    return {"error": {"code": code, "message": message}}


class FakeConnector:
    """The Bot Connector REST API v3 as a loopback aiohttp server that records every call.

    ``async with FakeConnector() as connector:`` then use ``connector.service_url`` as the
    activities' ``serviceUrl``. State a test may set: ``members`` (conversation id → roster,
    else ``default_members``), ``teams`` (team id → details), ``team_channels``,
    ``conversations_gone`` (answered ``gone_status`` with ``ConversationNotFound``), and
    :meth:`fail_next`.
    """

    def __init__(
        self, *, host: str = "127.0.0.1", members: Mapping[str, list[Json]] | None = None
    ) -> None:
        self.host = host
        self.port = 0
        self.calls: list[Call] = []
        self.members: dict[str, list[Json]] = dict(members or {})
        self.default_members: list[Json] = [
            teams_member("Alex Smith", member_id="29:alex", aad_object_id="aad-alex"),
            teams_member("Sam Jones", member_id="29:sam", aad_object_id="aad-sam"),
        ]
        self.teams: dict[str, Json] = {}
        self.team_channels: dict[str, list[Json]] = {}
        self.conversations_gone: set[str] = set()
        self.gone_status = 403
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def start(self) -> Self:
        """Serve on a free port from a daemon thread with its own event loop."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop serving and end the thread."""
        if self._loop is None or self._thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.host, 0).start()
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    # --- the test-facing API ---------------------------------------------------------------

    @property
    def service_url(self) -> str:
        """``http://127.0.0.1:PORT/`` — the ``serviceUrl`` to put in incoming activities."""
        if self._runner is None:
            raise RuntimeError(
                "FakeConnector is not running: use it as `async with FakeConnector()`"
            )
        return f"http://{self.host}:{self.port}/"

    @property
    def activities(self) -> list[Json]:
        """Activities successfully posted (sends and replies), oldest first."""
        with self._lock:
            calls = list(self.calls)
        return [c.activity or {} for c in calls if c.kind in POSTED_KINDS and c.status < 300]

    def calls_to(self, kind: str) -> list[Call]:
        """Every recorded call of that kind, failed ones included."""
        with self._lock:
            return [c for c in self.calls if c.kind == kind]

    async def wait_for(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
    ) -> list[Json]:
        """Wait until at least ``count`` activities were posted; return all of them."""
        deadline = time.monotonic() + timeout
        while len(posted := self.activities) < count:
            if time.monotonic() > deadline:
                seen = [(c.kind, c.status) for c in self.calls]
                raise AssertionError(
                    f"expected {count} posted activities within {timeout}s, got {len(posted)}; calls: {seen}"
                )
            await asyncio.sleep(0.01)
        return posted

    def fail_next(
        self,
        status: int = 429,
        *,
        retry_after: float | None = None,
        times: int = 1,
        code: str | None = None,
        kinds: Collection[str] = WRITE_KINDS,
    ) -> None:
        """Answer the next ``times`` calls of ``kinds`` (default: every POST and PUT) with ``status``,
        Bot Framework's error body and, when given, a ``Retry-After`` header."""
        error_code = code or ERROR_CODES.get(status, "Error")
        with self._lock:
            self._failures.append(
                _Failure(status, retry_after, error_code, times, frozenset(kinds))
            )

    def activity(self, index: int = -1) -> Json:
        """One posted activity (the last by default)."""
        return self.activities[index]

    # --- the server ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        segments = [unquote(s) for s in request.rel_url.raw_path.split("/") if s]
        route = _route(request.method, segments)
        raw = await request.read()
        body = json.loads(raw) if raw.strip() else None
        with self._lock:
            status, answer, extra_headers = self._answer(route, body)
        call = Call(
            kind=route.kind,
            method=request.method,
            path=request.rel_url.raw_path,
            conversation_id=route.conversation_id,
            reply_to_id=route.activity_id,
            activity=body if isinstance(body, dict) else None,
            headers=dict(request.headers),
            status=status,
            response=answer,
            member_id=route.member_id,
            team_id=route.team_id,
        )
        with self._lock:
            self.calls.append(call)
        return web.json_response(answer, status=status, headers=extra_headers)

    def _answer(self, route: _Route, body: Any) -> tuple[int, Any, dict[str, str]]:
        if route.conversation_id in self.conversations_gone:
            return self.gone_status, _error("ConversationNotFound", "Conversation not found."), {}
        failure = self._take_failure(route.kind)
        if failure is not None:
            headers = (
                {"Retry-After": f"{failure.retry_after:g}"}
                if failure.retry_after is not None
                else {}
            )
            message = (
                f"The fake connector was told to fail this {route.kind} with {failure.status}."
            )
            return failure.status, _error(failure.code, message), headers
        status, answer = self._success(route, body)
        return status, answer, {}

    def _take_failure(self, kind: str) -> _Failure | None:
        for failure in self._failures:
            if kind in failure.kinds:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _success(self, route: _Route, body: Any) -> tuple[int, Any]:
        cid = route.conversation_id or ""
        match route.kind:
            case "send" | "reply":
                return 201, {"id": self._new_id()}
            case "update":
                return 200, {"id": route.activity_id}
            case "create_conversation":
                return 201, self._create_conversation(body)
            case "members" | "activity_members":
                return 200, self._roster(cid)
            case "paged_members":
                return 200, {"members": self._roster(cid), "continuationToken": None}
            case "member":
                return self._member(cid, route.member_id or "")
            case "team_details":
                return 200, self._team(route.team_id or "")
            case "team_channels":
                tid = route.team_id or ""
                return 200, {
                    "conversations": self.team_channels.get(tid, [{"id": tid, "name": None}])
                }
            case "conversations":
                return 200, {"conversations": [], "continuationToken": None}
        return 200, {}

    def _new_id(self) -> str:
        return str(1_700_000_000_000 + next(self._ids))

    def _create_conversation(self, body: Any) -> Json:
        answer: Json = {"id": f"a:new{uuid.uuid4().hex[:16]}", "serviceUrl": self.service_url}
        if isinstance(body, dict) and body.get("activity"):
            answer["activityId"] = self._new_id()
        return answer

    def _roster(self, conversation_id: str) -> list[Json]:
        return self.members.get(conversation_id, self.default_members)

    def _member(self, conversation_id: str, member_id: str) -> tuple[int, Json]:
        for member in self._roster(conversation_id):
            if member_id in (member.get("id"), member.get("aadObjectId")):
                return 200, member
        return 404, _error(
            "MemberNotFoundInConversation", "The member was not found in the conversation."
        )

    def _team(self, team_id: str) -> Json:
        return self.teams.get(
            team_id,
            {
                "id": team_id,
                "name": TEAM_NAME,
                "aadGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, team_id)),
            },
        )
