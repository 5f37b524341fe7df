"""Digests into Slack channels, tagged with message metadata so a restart can tell whether a
digest already went out (conversations.history with include_all_metadata)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from adapters.slack.blocks import to_message
from bot.model import Reply
from jobs.ports import ChannelGone, TemporaryFailure

EVENT_TYPE = "hasanyone_digest"
GONE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "missing_scope",
    }
)


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
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"digest": digest_key}}
        response = await self._call(
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
        response = await self._call(
            self.client.conversations_history,
            token=await self.token_for(workspace_id),
            channel=channel_id,
            oldest=f"{since.timestamp():.6f}",
            include_all_metadata=True,
            limit=200,
        )
        for message in response.get("messages", []):
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == EVENT_TYPE
                and (meta.get("event_payload") or {}).get("digest") == digest_key
            ):
                return str(message["ts"])
        return None

    async def token_for(self, workspace_id: str) -> str:
        try:
            token = await self.tokens(workspace_id)
        except (SQLAlchemyError, OSError) as error:
            raise TemporaryFailure(f"could not look up the workspace token: {error}") from error
        if token is None:
            raise ChannelGone(f"hasanyone is not installed in Slack workspace {workspace_id!r}")
        return token

    @staticmethod
    async def _call(method: Any, **kwargs: Any) -> Any:
        """The client already waited out 429s and retried 5xx and dropped connections; what
        still fails is either permanent for this channel or worth another sweep."""
        try:
            return await method(**kwargs)
        except SlackApiError as error:
            code = str(error.response.get("error", "unknown"))
            if code in GONE:
                raise ChannelGone(code) from error
            raise TemporaryFailure(code) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TemporaryFailure(type(error).__name__) from error


class SlackMessenger:
    """Direct messages: posting to a user id opens (or reuses) the DM with the bot. A person's
    key (slack:TEAM:USER) names their workspace, and so the token to use."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, tokens: Tokens) -> None:
        self.poster = SlackPoster(client, tokens)

    async def send_dm(self, person_key: str, reply: Reply) -> None:
        workspace_id, user_id = _workspace_and_user(person_key)
        await SlackPoster._call(
            self.poster.client.chat_postMessage,
            token=await self.poster.token_for(workspace_id),
            channel=user_id,
            **to_message(reply),
        )

    async def timezone_of(self, person_key: str) -> str | None:
        """The `tz` of the person's Slack profile (users.info); None if Slack will not say."""
        workspace_id, user_id = _workspace_and_user(person_key)
        try:
            response = await SlackPoster._call(
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
