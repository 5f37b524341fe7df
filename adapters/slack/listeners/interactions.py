"""What people do with the app's surfaces: press a button, submit a form, type into the
project picker, use a shortcut. Each is acked first; a submitted form is checked before its ack
(mistakes go back in the ack) and claimed after it, so a replayed submission is saved once."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.client import call_or_log
from adapters.slack.incoming import (
    action_to_incoming,
    conversation,
    decode,
    person,
    tidy,
    user_of,
    view_to_incoming,
)
from adapters.slack.listeners import Ack, answer
from adapters.slack.listeners.kinds import ChannelKinds
from adapters.slack.listeners.once import Once
from adapters.slack.respond import respond_to
from bot.commands import Services
from bot.dispatch import Bot
from bot.model import Form, Incoming, Reply
from bot.picker import project_choices
from bot.ports import Clock

log = logging.getLogger(__name__)
ONCE_VIEW = "slack-view"  # processed_event.platform of submitted views


async def open_form(client: AsyncWebClient, form: Form, *, trigger: str, channel: str) -> None:
    """A modal for a core form; where it was asked from and the form's hidden values ride
    in private_metadata and come back with the submission."""
    meta = json.dumps({"channel": channel, "hidden": form.hidden})
    view = blocks.to_modal(form, callback_id=form.id, private_metadata=meta)
    await call_or_log(client.views_open, trigger_id=trigger, view=view)


@dataclass(frozen=True, kw_only=True)
class Interactions:
    bot: Bot
    clock: Clock
    once: Once
    kinds: ChannelKinds
    services: Services  # what the project picker searches

    # -- modals ------------------------------------------------------------------------------

    async def on_view(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Mistakes go back in the ack itself, so the form is checked first (reads only, fast
        even while another process holds the database's write lock); then the ack, then the
        save, then a message saying how it went. A replayed submission is saved once."""
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        channel = str(meta.get("channel", ""))
        hidden = meta.get("hidden") if isinstance(meta.get("hidden"), dict) else {}
        values = {**{str(k): str(v) for k, v in hidden.items()}}
        values.update(blocks.modal_values(view["state"]["values"]))
        incoming = view_to_incoming(body, values, channel_id=channel, now=self.clock.now())
        mistakes = await asyncio.to_thread(self.bot.check_form, incoming)
        if mistakes is not None and mistakes.form is not None and mistakes.form.has_errors:
            await ack(**blocks.form_errors(mistakes.form))
            return
        await ack()
        key = f"{view.get('id', '')}:{view.get('hash', '')}"
        if not await self.once.first_time(ONCE_VIEW, key):
            log.info("dropped a replayed Slack form submission (view %s)", view.get("id"))
            return
        reply = await answer(self.bot, incoming)
        user = body["user"]["id"]
        target = channel if channel and not channel.startswith("D") else user
        message = blocks.to_message(reply)
        if target == user:
            await call_or_log(client.chat_postMessage, channel=user, **message)
        else:
            await call_or_log(client.chat_postEphemeral, channel=target, user=user, **message)

    async def on_project_options(self, ack: Ack, body: dict[str, Any]) -> None:
        """The project picker searches the whole register as someone types (Bot's rule)."""
        query = str(body.get("value") or "")
        key = person(
            str((body.get("team") or {}).get("id", "")), str((body.get("user") or {}).get("id", ""))
        ).key
        choices = await asyncio.to_thread(
            project_choices, query, person_key=key, services=self.services
        )
        await ack(**blocks.project_options([(c.value, c.label) for c in choices]))

    # -- buttons -----------------------------------------------------------------------------

    async def on_button(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The core's answer to a press, privately; a press that settles its message (delete,
        approve, share in channel) replaces that message with the outcome, or, for an answer
        now shared with everyone, posts it to the channel and removes the private copy."""
        await ack()
        incoming = action_to_incoming(body, now=self.clock.now())
        reply = await answer(self.bot, incoming)
        if reply.introduction is not None and await self._introduce(incoming, reply, client):
            reply = Reply(text="I've started a conversation between you and the team.")
        pressed = (body.get("actions") or [{}])[0]
        settles = pressed.get("block_id") == blocks.SETTLING_BLOCK and reply.tone != "error"
        message = blocks.to_message(reply)
        if settles and not reply.private:
            await respond_to(body, client, {"response_type": "in_channel", **message})
            await respond_to(body, client, {"delete_original": True})
            return
        payload = {"response_type": "ephemeral", "replace_original": settles}
        await respond_to(body, client, {**payload, **message})

    async def _introduce(self, incoming: Incoming, reply: Reply, client: AsyncWebClient) -> bool:
        """A group DM between the asker and whoever the core named (the project's owner, or the
        weeknote's author), when they are on this Slack; otherwise the core's answer (the
        contact route) is the introduction."""
        assert reply.introduction is not None
        team = incoming.conversation.workspace_id
        owner = user_of(reply.introduction.person_key, team)
        asker = user_of(incoming.sender.key, team)
        if owner is None or asker is None or owner == asker:
            return False
        opened = await call_or_log(client.conversations_open, users=f"{asker},{owner}")
        if opened is None:
            return False
        text = (
            f"<@{asker}>, meet <@{owner}>: <@{asker}> asked about work like "
            f"*{blocks.escape_mrkdwn(reply.introduction.about)}* and would like to compare notes."
        )
        channel = opened["channel"]["id"]
        return await call_or_log(client.chat_postMessage, channel=channel, text=text) is not None

    # -- shortcuts ---------------------------------------------------------------------------

    async def on_message_shortcut(
        self, ack: Ack, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """ "Ask hasanyone about this" on a message: its text is the question, answered
        privately to whoever asked, with a button to share the answer in the channel."""
        await ack()
        team = str((body.get("team") or {}).get("id") or "")
        message = body.get("message") or {}
        text, _ = decode(str(message.get("text") or ""))
        channel = str((body.get("channel") or {}).get("id") or "")
        user = body.get("user") or {}
        kind = await self.kinds.of(team, channel, client)
        incoming = Incoming(
            text=tidy(text),
            sender=person(team, str(user.get("id", "")), str(user.get("username") or "")),
            conversation=conversation(team, channel, kind),
            received_at=self.clock.now(),
            command="ask",
        )
        if not incoming.text:
            reply = Reply(text="That message has no words I can search for.", private=True)
        else:
            reply = await answer(self.bot, incoming)
        await respond_to(body, client, {"response_type": "ephemeral", **blocks.to_message(reply)})

    async def on_weeknote_shortcut(
        self, ack: Ack, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The global shortcut: the weeknote form, from anywhere in Slack."""
        await ack()
        team = str((body.get("team") or {}).get("id") or "")
        user = body.get("user") or {}
        incoming = Incoming(
            text="",
            sender=person(team, str(user.get("id", "")), str(user.get("username") or "")),
            conversation=conversation(team, "", "direct"),
            received_at=self.clock.now(),
            command="weeknote",
        )
        reply = await answer(self.bot, incoming)
        if reply.form is None:  # the core always opens the form for an empty weeknote
            return
        trigger = str(body.get("trigger_id") or "")
        await open_form(client, reply.form, trigger=trigger, channel="")
