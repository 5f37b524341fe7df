"""Digests into Slack channels, tagged with message metadata so a restart can tell whether a
digest already went out (conversations.history with include_all_metadata)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

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


class SlackPoster:
    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, channel_id: str, reply: Reply, *, digest_key: str) -> str:
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"digest": digest_key}}
        response = await self._call(
            self.client.chat_postMessage, channel=channel_id, metadata=metadata, **to_message(reply)
        )
        return str(response["ts"])

    async def already_posted(
        self, channel_id: str, *, digest_key: str, since: datetime
    ) -> str | None:
        response = await self._call(
            self.client.conversations_history,
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
    """Direct messages: posting to a user id opens (or reuses) the DM with the bot."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send_dm(self, person_key: str, reply: Reply) -> None:
        user_id = person_key.rsplit(":", 1)[-1]
        await SlackPoster._call(self.client.chat_postMessage, channel=user_id, **to_message(reply))
