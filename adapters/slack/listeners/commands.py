"""The slash commands (/hasanyone, /weeknote, /project, /digest): acked at once, claimed by
their trigger id (a captured request can be replayed), answered through the response_url."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.client import call_or_log
from adapters.slack.incoming import is_channel_admin, slash_to_incoming, user_of
from adapters.slack.listeners import Ack, answer
from adapters.slack.listeners.interactions import open_form
from adapters.slack.listeners.once import Once
from adapters.slack.respond import respond_to
from bot.commands.digest import changes_the_digest
from bot.commands.listen import changes_listening
from bot.dispatch import Bot
from bot.model import CHANNEL_ADMIN, Incoming
from bot.ports import Clock

log = logging.getLogger(__name__)
ONCE_COMMAND = "slack-command"  # processed_event.platform of slash commands' trigger ids


@dataclass(frozen=True, kw_only=True)
class Commands:
    bot: Bot
    clock: Clock
    once: Once
    community_managers: frozenset[str]  # CHANNEL_ADMIN in every channel

    async def on_command(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        trigger = str(body.get("trigger_id") or "")
        if trigger and not await self.once.first_time(ONCE_COMMAND, trigger):
            log.info("dropped a replayed Slack slash command (trigger %s)", trigger)
            return
        incoming = slash_to_incoming(body, now=self.clock.now())
        if self._needs_context(incoming):
            incoming = await self._with_context(incoming, client)
        reply = await answer(self.bot, incoming)
        if reply.form is not None:
            channel = str(body.get("channel_id", ""))
            await open_form(client, reply.form, trigger=trigger, channel=channel)
            return
        kind = "ephemeral" if reply.private else "in_channel"
        await respond_to(body, client, {"response_type": kind, **blocks.to_message(reply)})

    def _needs_context(self, incoming: Incoming) -> bool:
        """Only changing how the bot behaves in a channel (its digest, listening) needs the
        sender's roles and whether the bot is there, so only then is the Web API asked (after
        the ack: the look-ups may take longer than Slack waits)."""
        if incoming.conversation.is_direct:
            return False
        name, args = self.bot.route_text(incoming.command, incoming.text)
        return (name == "digest" and changes_the_digest(args)) or (
            name == "listen" and changes_listening(args)
        )

    async def _with_context(self, incoming: Incoming, client: AsyncWebClient) -> Incoming:
        """CHANNEL_ADMIN for a community manager, a workspace admin or owner, or the channel's
        creator; and whether the bot is a member of the channel. A failed look-up (logged with
        Slack's error code) denies, and leaves membership unknown."""
        user_id = user_of(incoming.sender.key, incoming.conversation.workspace_id) or ""
        user, channel = await asyncio.gather(
            call_or_log(client.users_info, user=user_id),
            call_or_log(client.conversations_info, channel=incoming.conversation.channel_id),
        )
        info = (channel or {}).get("channel") or {}
        member = info.get("is_member") if isinstance(info.get("is_member"), bool) else None
        admin = incoming.sender.key in self.community_managers or (
            user is not None
            and channel is not None
            and is_channel_admin(user.get("user") or {}, info, user_id)
        )
        roles = frozenset({CHANNEL_ADMIN}) if admin else frozenset()
        return replace(incoming, roles=roles, bot_is_member=member)
