"""Messages: mentions of the bot, direct messages, and plain messages in channels (which the
core may answer unprompted). Answers go in the message's thread, posted once: a post is never
retried blindly, and one that fails is said so, privately, to whoever asked."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.client import call, call_or_log
from adapters.slack.incoming import (
    event_team,
    event_to_incoming,
    is_from_a_bot,
    mentions,
    starts_with_mention,
    user_of,
)
from adapters.slack.listeners import answer
from adapters.slack.listeners.kinds import ChannelKinds
from bot.dispatch import Bot
from bot.model import Incoming, Reply
from bot.ports import ChannelGone, Clock, MaybeDelivered, TemporaryFailure

log = logging.getLogger(__name__)
NOT_DELIVERED = (
    "Slack had a problem delivering my answer just now. If you can't see it above, "
    "please ask again."
)


@dataclass(frozen=True, kw_only=True)
class Messages:
    bot: Bot
    clock: Clock
    kinds: ChannelKinds

    async def on_mention(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        context: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        if is_from_a_bot(event, context.get("bot_user_id")):
            return
        team = event_team(body, context)
        kind = await self.kinds.of(team, str(event.get("channel", "")), client)
        incoming = event_to_incoming(
            event,
            team_id=team,
            bot_user_id=context.get("bot_user_id"),
            now=self.clock.now(),
            kind=kind,
        )
        await self._reply_in_thread(incoming, await answer(self.bot, incoming), client)

    async def on_message(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        context: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        bot_user = context.get("bot_user_id")
        if is_from_a_bot(event, bot_user):
            return
        text = str(event.get("text", ""))
        incoming = event_to_incoming(
            event, team_id=event_team(body, context), bot_user_id=bot_user, now=self.clock.now()
        )
        if incoming.conversation.is_direct:
            # Slack sends no app_mention in a DM, so "@hasanyone …" there is answered here.
            reply = await answer(self.bot, incoming)
            await self._post(client, incoming=incoming, reply=reply)
            return
        if mentions(text, bot_user) or starts_with_mention(text, bot_user):
            return  # a mention in a channel arrives as app_mention too: answered there, once
        await self._maybe_answer(incoming, client)

    async def _maybe_answer(self, incoming: Incoming, client: AsyncWebClient) -> None:
        """A plain message in a channel: the core decides (Bot.answer_unprompted)."""
        reply = await asyncio.to_thread(self.bot.answer_unprompted, incoming)
        if reply is not None:
            await self._reply_in_thread(incoming, reply, client)

    async def _reply_in_thread(
        self, incoming: Incoming, reply: Reply, client: AsyncWebClient
    ) -> None:
        where = incoming.conversation
        thread = None if where.is_direct else where.thread_id
        await self._post(client, incoming=incoming, reply=reply, thread_ts=thread)

    async def _post(
        self,
        client: AsyncWebClient,
        *,
        incoming: Incoming,
        reply: Reply,
        thread_ts: str | None = None,
    ) -> None:
        """One attempt (a blind retry could post the answer twice); if it fails, the asker is
        told, privately, so a lost answer is never a silent one."""
        if reply.form is not None:
            reply = Reply(
                text=reply.text + "\nUse the slash command to open the form.", tone=reply.tone
            )
        channel = incoming.conversation.channel_id
        try:
            await call(
                client.chat_postMessage,
                channel=channel,
                thread_ts=thread_ts,
                **blocks.to_message(reply),
            )
        except (TemporaryFailure, ChannelGone) as failure:
            unsure = isinstance(failure, MaybeDelivered)
            log.warning(
                "Slack chat.postMessage failed (%s: %s); telling the asker",
                type(failure).__name__,
                failure,
            )
            user = user_of(incoming.sender.key, incoming.conversation.workspace_id)
            text = NOT_DELIVERED if unsure else f"I couldn't post my answer here ({failure})."
            if user:
                await call_or_log(client.chat_postEphemeral, channel=channel, user=user, text=text)
