"""Digests and direct messages into Slack, tagged with message metadata so that, after a
failure that leaves it unclear whether a message landed, the next attempt can look before it
sends again (conversations.history with include_all_metadata)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from adapters.slack.blocks import to_message
from adapters.slack.client import call
from bot.model import Reply
from bot.ports import ChannelGone, TemporaryFailure

EVENT_TYPE = "hasanyone_digest"
DM_EVENT_TYPE = "hasanyone_dm"
HISTORY_PAGE = 200

Tokens = Callable[[str], Awaitable[str | None]]  # workspace id -> its bot token


class SlackPoster:
    """Posts with the bot token of the channel's workspace (see WorkspaceTokens)."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, tokens: Tokens) -> None:
        self.client = client
        self.tokens = tokens

    async def post(
        self, channel_id: str, reply: Reply, *, digest_key: str, workspace_id: str = ""
    ) -> str:
        """One attempt, never repeated by the client: a failure after which the message may
        be there raises MaybeDelivered, and the caller looks (already_posted) before trying
        again."""
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"digest": digest_key}}
        response = await call(
            self.client.chat_postMessage,
            token=await self.token_for(workspace_id),
            channel=channel_id,
            metadata=metadata,
            **to_message(reply),
        )
        return str(response["ts"])

    async def already_posted(
        self, channel_id: str, *, digest_key: str, since: datetime, workspace_id: str = ""
    ) -> str | None:
        token = await self.token_for(workspace_id)
        return await tagged_message(
            self.client, token, channel_id, EVENT_TYPE, {"digest": digest_key}, since=since
        )

    async def token_for(self, workspace_id: str) -> str:
        try:
            token = await self.tokens(workspace_id)
        except (SQLAlchemyError, OSError) as error:
            raise TemporaryFailure(f"could not look up the workspace token: {error}") from error
        if token is None:
            raise ChannelGone(f"hasanyone is not installed in Slack workspace {workspace_id!r}")
        return token


async def tagged_message(
    client: AsyncWebClient,
    token: str,
    channel_id: str,
    event_type: str,
    payload: dict[str, str],
    *,
    since: datetime,
) -> str | None:
    """The ts of a message in the channel since `since` carrying this metadata, if any."""
    response = await call(
        client.conversations_history,
        token=token,
        channel=channel_id,
        oldest=f"{since.timestamp():.6f}",
        include_all_metadata=True,
        limit=HISTORY_PAGE,
    )
    for message in response.get("messages", []):
        meta = message.get("metadata") or {}
        found = meta.get("event_payload") or {}
        if meta.get("event_type") == event_type and all(
            found.get(k) == v for k, v in payload.items()
        ):
            return str(message["ts"])
    return None


class SlackMessenger:
    """Direct messages: posting to a user id opens (or reuses) the DM with the bot. A person's
    key (slack:TEAM:USER) names their workspace, and so the token to use."""

    platform = "slack"

    def __init__(self, poster: SlackPoster) -> None:
        self.poster = poster  # its client and token lookup, shared with the digests' posts

    async def send_dm(self, person_key: str, reply: Reply, *, key: str = "") -> None:
        workspace_id, user_id = _workspace_and_user(person_key)
        extra: dict[str, Any] = {}
        if key:
            extra["metadata"] = {"event_type": DM_EVENT_TYPE, "event_payload": {"key": key}}
        await call(
            self.poster.client.chat_postMessage,
            token=await self.poster.token_for(workspace_id),
            channel=user_id,
            **extra,
            **to_message(reply),
        )

    async def already_sent(self, person_key: str, *, key: str, since: datetime) -> bool | None:
        workspace_id, user_id = _workspace_and_user(person_key)
        token = await self.poster.token_for(workspace_id)
        opened = await call(self.poster.client.conversations_open, token=token, users=user_id)
        channel = str((opened.get("channel") or {}).get("id", ""))
        found = await tagged_message(
            self.poster.client, token, channel, DM_EVENT_TYPE, {"key": key}, since=since
        )
        return found is not None

    async def timezone_of(self, person_key: str) -> str | None:
        """The `tz` of the person's Slack profile (users.info); None if Slack will not say."""
        workspace_id, user_id = _workspace_and_user(person_key)
        try:
            response = await call(
                self.poster.client.users_info,
                token=await self.poster.token_for(workspace_id),
                user=user_id,
            )
        except (ChannelGone, TemporaryFailure):
            return None
        tz = (response.get("user") or {}).get("tz")
        return tz if isinstance(tz, str) and tz else None


def _workspace_and_user(person_key: str) -> tuple[str, str]:
    """slack:TEAM:USER → (TEAM, USER)."""
    _, _, rest = person_key.partition(":")
    workspace_id, _, user_id = rest.rpartition(":")
    return workspace_id, user_id
