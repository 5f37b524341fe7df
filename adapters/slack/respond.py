"""Answering a slash command or a button through its `response_url`, without losing the answer.

A response_url takes a few posts for 30 minutes. Slack's own sender tries once and says
nothing above DEBUG when that fails, so an answer can vanish. Here a 429 is waited out
(Retry-After) while the URL is still valid, a 5xx or a dropped connection is retried once
(the answer may have landed already, and two copies beat none but three would be noise), and
when all of that fails the answer goes as an ephemeral message instead, with a warning in the
log naming what went wrong.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import call_or_log

log = logging.getLogger(__name__)
VALID_FOR = 30 * 60  # seconds a response_url is accepted for
MAX_RATE_LIMITED = 5
MAX_SERVER_ERRORS = 1
TIMEOUT = aiohttp.ClientTimeout(total=10)
Fallback = Callable[[dict[str, Any]], Awaitable[bool]]


async def respond(
    url: str,
    payload: dict[str, Any],
    *,
    issued_at: float,
    fallback: Fallback | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bool:
    """Post `payload` to `url`; True when it (or the fallback) was delivered."""
    problem = await _post_with_retries(url, payload, issued_at=issued_at, sleep=sleep)
    if problem is None:
        return True
    log.warning("Slack response_url failed (%s); sending the answer ephemerally instead", problem)
    if fallback is not None and await fallback(payload):
        return True
    log.warning("the answer could not be delivered at all (%s)", problem)
    return False


async def respond_to(body: dict[str, Any], client: AsyncWebClient, payload: dict[str, Any]) -> None:
    """Through the body's response_url, retried; else as an ephemeral message to the sender."""
    user = str((body.get("user") or {}).get("id") or body.get("user_id") or "")
    channel = str(
        (body.get("channel") or {}).get("id")
        or body.get("channel_id")
        or (body.get("container") or {}).get("channel_id")
        or ""
    )

    async def ephemeral(message: dict[str, Any]) -> bool:
        if not (user and channel):
            return False
        fields = {k: message[k] for k in ("text", "blocks") if k in message}
        sent = await call_or_log(client.chat_postEphemeral, channel=channel, user=user, **fields)
        return sent is not None

    url = str(body.get("response_url") or "")
    if not url:
        await ephemeral(payload)
        return
    await respond(url, payload, issued_at=time.time(), fallback=ephemeral)


async def _post_with_retries(
    url: str,
    payload: dict[str, Any],
    *,
    issued_at: float,
    sleep: Callable[[float], Awaitable[None]],
) -> str | None:
    """None when delivered, else what went wrong the last time."""
    limited = failed = 0
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        while True:
            try:
                async with http.post(url, json=payload) as response:
                    await response.read()
                    if response.status < 300:
                        return None
                    problem = f"HTTP {response.status}"
                    wait = _retry_after(response.headers.get("Retry-After"))
                    if response.status == 429 and limited < MAX_RATE_LIMITED:
                        limited += 1
                    elif response.status >= 500 and failed < MAX_SERVER_ERRORS:
                        failed, wait = failed + 1, 1.0
                    else:
                        return problem
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = type(error).__name__
                if failed >= MAX_SERVER_ERRORS:
                    return problem
                failed, wait = failed + 1, 1.0
            if time.time() + wait > issued_at + VALID_FOR:
                return f"{problem}, and the response_url expires before Retry-After"
            await sleep(wait)


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, min(float(value), 60.0)) if value else 1.0
    except ValueError:
        return 1.0
