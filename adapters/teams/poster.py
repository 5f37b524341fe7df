"""Digests into Teams conversations through stored conversation references."""

from __future__ import annotations

import asyncio
from datetime import datetime

from adapters.teams.bot import ConversationGone, ConversationUnknown, TeamsEndpoint, status_of
from bot.model import Reply
from bot.ports import ChannelGone, MaybeDelivered, TemporaryFailure


class TeamsPoster:
    """Teams cannot be asked whether a message is already in a conversation, so a digest whose
    sender died mid-post is sent again: at least once, never lost."""

    platform = "teams"

    def __init__(self, endpoint: TeamsEndpoint) -> None:
        self.endpoint = endpoint

    async def post(
        self, channel_id: str, reply: Reply, *, digest_key: str, workspace_id: str = ""
    ) -> str:
        try:
            await self.endpoint.post(channel_id, reply)
        except ConversationGone as gone:
            raise ChannelGone(str(gone)) from gone
        except ConversationUnknown as unknown:
            raise TemporaryFailure(str(unknown)) from unknown  # waiting, not gone
        except Exception as error:
            status = status_of(error)
            reason = f"{type(error).__name__}: {status or error}"
            if status is not None and 400 <= status < 500:
                raise TemporaryFailure(reason) from error  # refused: nothing was posted
            raise MaybeDelivered(reason) from error
        return digest_key

    async def already_posted(
        self, channel_id: str, *, digest_key: str, since: datetime, workspace_id: str = ""
    ) -> str | None:
        return None


class TeamsMessenger:
    """Direct messages through the personal chat the person once had with the bot. Teams bots
    cannot start a chat with someone who never opened one, so those people cannot be reached."""

    platform = "teams"

    def __init__(self, endpoint: TeamsEndpoint, poster: TeamsPoster) -> None:
        self.endpoint = endpoint
        self.poster = poster

    async def send_dm(self, person_key: str, reply: Reply, *, key: str = "") -> None:
        who = person_key.rsplit(":", 1)[-1]
        conversation = await asyncio.to_thread(
            self.endpoint.conversations.personal_chat_with, "teams", who
        )
        if conversation is None:
            raise ChannelGone(f"no personal chat with {who}")
        await self.poster.post(conversation, reply, digest_key="dm")

    async def already_sent(self, person_key: str, *, key: str, since: datetime) -> bool | None:
        """The Bot Connector cannot be asked what a conversation holds."""
        return None

    async def timezone_of(self, person_key: str) -> str | None:
        """Teams cannot be asked; a person's zone is learnt from their messages' localTimezone."""
        return None
