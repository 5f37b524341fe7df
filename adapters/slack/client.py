"""Talking to the Slack Web API without posting anything twice.

slack_sdk's retry handlers for server errors and dropped connections re-send the request. For a
read that is what we want; for `chat.postMessage` it is a second copy of a message that may
well have landed (Slack answered 500 after storing it, or the connection dropped on the way
back). So a client here retries 429s for every method (a 429 means nothing was done), but
server errors and connection failures only for methods that are safe to repeat.

What a failed call means is decided once, in `failure_of`: nothing landed (`TemporaryFailure`,
or `ChannelGone` when Slack says the bot cannot post there), or it may have (`MaybeDelivered`),
whatever shape slack_sdk gave the error in (an answer with a JSON body, a 5xx with an HTML page,
which slack_sdk wraps around aiohttp's own response object, a dropped connection, a timeout).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.settings import SlackSettings
from bot.ports import ChannelGone, MaybeDelivered, TemporaryFailure

log = logging.getLogger(__name__)

# Methods that change nothing, or set a state rather than add to it, so sending one twice is
# the same as sending it once.
REPEATABLE = frozenset(
    {
        "api.test",
        "apps.connections.open",
        "auth.test",
        "conversations.history",
        "conversations.info",
        "conversations.members",
        "conversations.open",
        "conversations.replies",
        "team.info",
        "users.info",
        "users.lookupByEmail",
        "views.publish",
    }
)
GONE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "missing_scope",
        "user_not_found",
        "cannot_dm_bot",
    }
)


def method_of(url: str) -> str:
    """`https://slack.com/api/chat.postMessage` → `chat.postMessage`."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


class _OnlyWhenRepeatable:
    """Mixed into slack_sdk's retry handlers: retry only methods in REPEATABLE."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if method_of(request.url) not in REPEATABLE:
            return False
        return bool(
            await super()._can_retry_async(  # type: ignore[misc]
                state=state, request=request, response=response, error=error
            )
        )


class RepeatableServerErrorRetryHandler(_OnlyWhenRepeatable, AsyncServerErrorRetryHandler):
    pass


class RepeatableConnectionErrorRetryHandler(_OnlyWhenRepeatable, AsyncConnectionErrorRetryHandler):
    pass


def web_client(settings: SlackSettings, token: str | None) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) for every method, and retries 5xx
    and dropped connections a few times for repeatable methods only."""
    return AsyncWebClient(
        token=token,
        base_url=settings.api_url,
        timeout=int(max(1, settings.timeout)),
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            RepeatableConnectionErrorRetryHandler(max_retry_count=3),
            RepeatableServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def status_and_code(error: SlackApiError) -> tuple[int | None, str]:
    """The HTTP status and Slack's error code, however slack_sdk packed them: its own response
    (`status_code`, `data` a dict, a str or empty), or aiohttp's (`status`, no data)."""
    response = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    if not code:
        code = f"http_{status}" if status else "unreadable_answer"
    return (int(status) if status else None), str(code)


def failure_of(error: BaseException) -> TemporaryFailure | ChannelGone:
    """What a failed call means for whoever sent it (see the module docstring)."""
    if isinstance(error, SlackApiError):
        status, code = status_and_code(error)
        if status in {200, 429}:
            # Slack answered and said no (or "slow down" after our retries): nothing landed.
            return ChannelGone(code) if code in GONE else TemporaryFailure(code)
        return MaybeDelivered(code)
    if isinstance(error, aiohttp.ClientConnectorError):
        return TemporaryFailure(f"could not connect: {type(error).__name__}")
    return MaybeDelivered(type(error).__name__)


async def call(method: Any, **kwargs: Any) -> Any:
    """A Web API call whose every failure becomes one of jobs.ports' exceptions."""
    try:
        return await method(**kwargs)
    except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as error:
        raise failure_of(error) from error


async def call_or_log(method: Any, **kwargs: Any) -> Any:
    """Like `call`, for listeners that have acked already: a failure is logged (one line, with
    Slack's error code) and gives None, never an exception inside Bolt."""
    try:
        return await call(method, **kwargs)
    except (TemporaryFailure, ChannelGone) as failure:
        name = getattr(method, "__name__", "call")
        log.warning("Slack %s failed: %s %s", name, type(failure).__name__, failure)
        return None
