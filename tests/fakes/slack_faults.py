"""The faults :class:`~tests.fakes.slack_api.FakeSlack` can answer with, and how it sends them.

A :class:`Fault` says what happens to one call instead of (or after) the normal answer: an
error answer (any status, JSON or not), a dropped connection, or a stalled answer. Each can
happen *before* the call is applied (nothing landed) or *after* it (``after_landing=True``: the
message is in the channel, but the client cannot tell) - the second kind is what makes a
retrying client post twice.

Fault plans name their steps with the strings in :data:`PLAN_STEPS`; :func:`random_plan` makes
a seeded, repeatable sequence of them for property-style tests.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.slack_api import Call

Kind = Literal["answer", "drop", "stall"]
#: How an error answer's body looks: Slack's JSON, an HTML error page (text/html, what a proxy or
#: load balancer sends), plain text (text/plain), or a body that says it is JSON and is not.
Body = Literal["json", "html", "text", "garbled"]
#: How a connection drops: closed before any answer (FIN), reset (RST), or closed halfway
#: through a 200 answer's body.
Drop = Literal["close", "reset", "partial"]

_BODIES: tuple[str, ...] = ("json", "html", "text", "garbled")
_DROPS: tuple[str, ...] = ("close", "reset", "partial")
_DEFAULT_ERRORS = {200: "invalid_arguments", 429: "ratelimited"}
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Fault:
    """What the fake does with one call.

    ``kind="answer"``: answer ``status`` (with ``Retry-After: retry_after`` when set) and a body
    of the ``body`` style carrying ``error``; ``body=None`` means the endpoint's own style (JSON
    for the Web API, plain text for response_url). ``kind="drop"``: close the connection ``how``.
    ``kind="stall"``: wait ``seconds``, then answer normally. ``after_landing`` applies the call
    first (for a stall without it, the call is applied only when the stall ends).
    """

    kind: Kind = "answer"
    status: int = 200
    error: str = ""
    retry_after: int | None = None
    body: Body | None = None
    after_landing: bool = False
    how: Drop = "close"
    seconds: float = 0.0
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("answer", "drop", "stall"):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.body is not None and self.body not in _BODIES:
            raise ValueError(f"body must be one of {_BODIES}, not {self.body!r}")
        if self.how not in _DROPS:
            raise ValueError(f"how must be one of {_DROPS}, not {self.how!r}")
        if self.kind == "answer" and self.status == 429 and self.retry_after is None:
            object.__setattr__(self, "retry_after", 1)
        if not self.error:
            object.__setattr__(self, "error", _DEFAULT_ERRORS.get(self.status, "fatal_error"))
        if not self.label:
            object.__setattr__(self, "label", _label(self))


def _label(fault: Fault) -> str:
    what: str
    if fault.kind == "drop":
        what = "drop" if fault.how == "close" else fault.how
    elif fault.kind == "stall":
        what = f"stall_{fault.seconds:g}s"
    elif fault.body in (None, "json"):
        what = str(fault.status) if fault.status != 200 else fault.error
    else:
        what = f"{fault.body}_{fault.status}"
    return f"land_then_{what}" if fault.after_landing else what


#: The step names a fault plan may yield, besides ``"ok"`` (no fault).
PLAN_STEPS: tuple[str, ...] = (
    "error_before",  # 500 {"ok": false, "error": "fatal_error"}, nothing applied
    "429",  # 429 ratelimited with Retry-After (the plan's retry_after), nothing applied
    "drop_before",  # the connection closes before the call is applied
    "land_then_500",  # applied, then 500 with Slack's JSON error body
    "land_then_503",  # applied, then 503 with Slack's JSON error body
    "land_then_html_502",  # applied, then a text/html "502 Bad Gateway" page
    "land_then_drop",  # applied, then the connection closes with no answer
    "land_then_reset",  # applied, then the connection is reset (RST)
    "land_then_stall",  # applied, then the answer waits the plan's stall_seconds
)

PlanStep = str | Fault | None
Plan = Iterable[PlanStep] | Callable[["Call"], PlanStep]


def named_fault(step: str, *, stall_seconds: float, retry_after: int) -> Fault | None:
    """The fault a plan step names (``None`` for ``"ok"``); ValueError for an unknown name."""
    faults = {
        "ok": None,
        "error_before": Fault(status=500),
        "429": Fault(status=429, retry_after=retry_after),
        "drop_before": Fault(kind="drop"),
        "land_then_500": Fault(status=500, after_landing=True),
        "land_then_503": Fault(status=503, after_landing=True),
        "land_then_html_502": Fault(status=502, body="html", after_landing=True),
        "land_then_drop": Fault(kind="drop", after_landing=True),
        "land_then_reset": Fault(kind="drop", how="reset", after_landing=True),
        "land_then_stall": Fault(kind="stall", seconds=stall_seconds, after_landing=True),
    }
    if step not in faults:
        raise ValueError(f"unknown fault plan step {step!r}; use 'ok' or one of {PLAN_STEPS}")
    fault = faults[step]
    return None if fault is None else replace(fault, label=step)


class FaultPlan:
    """One method's plan: each call takes the next step (or asks the callable); ``"ok"`` after
    an iterable runs out."""

    def __init__(self, plan: Plan, *, stall_seconds: float, retry_after: int) -> None:
        self.stall_seconds = stall_seconds
        self.retry_after = retry_after
        self._ask: Callable[[Call], PlanStep] | None = None
        self._steps: Iterator[PlanStep] | None = None
        if callable(plan):
            self._ask = plan
        else:
            if isinstance(plan, Sequence):
                for step in plan:  # a list or tuple is checked now, not call by call
                    self._resolve(step)
            self._steps = iter(plan)

    def next_fault(self, call: Call) -> Fault | None:
        step = self._ask(call) if self._ask is not None else next(self._steps or iter(()), None)
        return self._resolve(step)

    def _resolve(self, step: PlanStep) -> Fault | None:
        if step is None or isinstance(step, Fault):
            return step
        return named_fault(step, stall_seconds=self.stall_seconds, retry_after=self.retry_after)


def random_plan(
    seed: int,
    steps: Sequence[str] = PLAN_STEPS,
    *,
    p_ok: float = 0.5,
    max_faults: int | None = None,
) -> Iterator[str]:
    """An endless, repeatable sequence of plan steps: ``"ok"`` with probability ``p_ok``, else
    one of ``steps`` (uniformly); only ``"ok"`` once ``max_faults`` faults have been yielded."""
    for step in steps:
        named_fault(step, stall_seconds=0, retry_after=0)  # unknown names fail here, not later
    rng = random.Random(seed)  # repeatable test data, not secrets
    faults = 0
    while True:
        if (max_faults is not None and faults >= max_faults) or rng.random() < p_ok:
            yield "ok"
        else:
            faults += 1
            yield rng.choice(list(steps))


# --- sending faults --------------------------------------------------------------------------


def error_response(fault: Fault, *, json_api: bool) -> web.Response:
    """The HTTP answer of an ``answer`` fault."""
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    body = fault.body or ("json" if json_api else "text")
    status = fault.status
    if body == "json":
        payload = {"ok": False, "error": fault.error}
        return web.json_response(payload, status=status, headers=headers)
    if body == "html":
        reason = _REASONS.get(status, "Error")
        page = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
        )
        return web.Response(text=page, status=status, headers=headers, content_type="text/html")
    if body == "garbled":  # says JSON, is not: slack_sdk then hands out the raw ClientResponse
        text = f"<html><body>{status} {_REASONS.get(status, 'Error')}</body></html>"
        return web.Response(
            text=text, status=status, headers=headers, content_type="application/json"
        )
    return web.Response(text=fault.error, status=status, headers=headers, content_type="text/plain")


async def drop_connection(request: web.Request, how: Drop) -> web.StreamResponse:
    """Close the client's connection ``how``; the returned response is never sent."""
    transport = request.transport
    if how == "partial":
        partial = web.StreamResponse(
            status=200, headers={"Content-Type": "application/json", "Content-Length": "4096"}
        )
        await partial.prepare(request)
        await partial.write(json.dumps({"ok": True, "channel": "C", "ts": "1"}).encode()[:12])
        if transport is not None:
            transport.abort()
        return partial
    if transport is not None:
        if how == "reset":
            sock = transport.get_extra_info("socket")
            if sock is not None:  # SO_LINGER 0: close() sends RST, the client reads ECONNRESET
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response()


async def stall(stopping: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``; False if the fake started stopping first (so shutdown never waits)."""
    try:
        async with asyncio.timeout(seconds):
            await stopping.wait()
    except TimeoutError:
        return True
    return False


__all__ = ["PLAN_STEPS", "Body", "Drop", "Fault", "FaultPlan", "named_fault", "random_plan"]
