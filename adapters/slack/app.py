"""hasanyone in Slack: Bolt listeners that translate, call the core, and render.

Every listener acknowledges first and works afterwards, so Slack hears back within 3 seconds.
The core is synchronous (it talks to the database); it runs in a worker thread so one slow
answer never holds up the event loop, and with it every other ack.

Exactly once: every delivery Slack may repeat is claimed first (adapters/slack/listeners/once.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from adapters.settings import SlackSettings
from adapters.slack import blocks
from adapters.slack.client import call, call_or_log, web_client
from adapters.slack.home import home_view
from adapters.slack.incoming import (
    PLATFORM,
    Kind,
    action_to_incoming,
    conversation,
    decode,
    event_to_incoming,
    info_kind,
    is_channel_admin,
    is_from_a_bot,
    mentions,
    person,
    slash_to_incoming,
    starts_with_mention,
    tidy,
    user_of,
    view_to_incoming,
)
from adapters.slack.listeners.once import Once
from adapters.slack.oauth import SlackOAuth
from adapters.slack.respond import respond
from bot.commands import Services
from bot.commands.digest import changes_the_digest
from bot.commands.help import welcome_reply
from bot.commands.listen import changes_listening
from bot.dispatch import Bot
from bot.model import CHANNEL_ADMIN, Incoming, Reply
from bot.picker import project_choices
from bot.ports import (
    ChannelGone,
    Clock,
    MaybeDelivered,
    Outbox,
    ProcessedEvents,
    Subscriptions,
    TemporaryFailure,
)
from knowledge.repository import Repository  # what home_view reads the App Home from

log = logging.getLogger(__name__)
COMMANDS = ("/hasanyone", "/weeknote", "/project", "/digest")
EVENTS = ("app_mention", "message", "app_home_opened", "app_uninstalled", "tokens_revoked")
SHORTCUTS = ("ask_about_message", "post_weeknote")  # app.yaml's shortcuts' callback ids
ONCE_COMMAND, ONCE_VIEW = "slack-command", "slack-view"  # processed_event.platform
NOT_DELIVERED = (
    "Slack had a problem delivering my answer just now. If you can't see it above, "
    "please ask again."
)

Say = Callable[..., Awaitable[Any]]
Ack = Callable[..., Awaitable[None]]


class _OwnClientNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself, then warns that the client we
    give it (built from that same setting) wins over the token. Nothing is wrong, so that one
    warning is dropped rather than sending an admin looking for a misconfiguration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _OwnClientNotice) for f in logger.filters):
        logger.addFilter(_OwnClientNotice())
    return logger


class SlackBot:
    def __init__(
        self,
        *,
        settings: SlackSettings,
        bot: Bot,
        clock: Clock,
        processed: ProcessedEvents,
        outbox: Outbox,
        services: Services,
        register: Repository,
        subscriptions: Subscriptions,
        community_managers: frozenset[str],
        installations: Any = None,
    ) -> None:
        """`processed` claims event, command and submission ids; `register` is what the App Home
        shows; `installations`: slack_sdk's installation store, when the app installs by OAuth."""
        self.settings = settings
        self.bot = bot
        self.clock = clock
        self.outbox = outbox
        self.services = services
        self.register = register
        self.subscriptions = subscriptions
        self.community_managers = community_managers
        self.installations = installations
        oauth = settings.oauth
        token = settings.bot_token.get_secret_value() if settings.bot_token and not oauth else None
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
        self.oauth = (
            SlackOAuth(settings, installations, on_installed=self._welcome)
            if oauth and installations is not None and settings.client_secret is not None
            else None
        )
        self.bolt = AsyncApp(
            signing_secret=secret,
            client=web_client(settings, token),
            logger=_bolt_logger(),
            oauth_flow=self.oauth.flow if self.oauth else None,
        )
        self._once = Once(processed, clock=clock)
        self._kinds: dict[tuple[str, str], Kind] = {}  # (team, channel) → what kind it is
        self._add_listeners()

    def _welcome(self, team: str, user: str) -> None:
        """One direct message to whoever installed the app into a workspace, through the
        outbox (so it goes once, however many times the install is completed)."""
        if not (team and user):
            return
        reply = welcome_reply(in_channel=False)
        key = person(team, user).key
        self.outbox.enqueue(f"slack-welcome:{team}", key, reply, now=self._now())

    async def create_oauth_tables(self) -> None:
        if self.oauth is not None:
            await self.oauth.create_tables()

    def _add_listeners(self) -> None:
        bolt = self.bolt
        bolt.middleware(self._once.drop_retried_events)
        for command in COMMANDS:
            bolt.command(command)(self._on_command)
        bolt.view(re.compile(".*"))(self._on_view)
        bolt.action(re.compile(".*"))(self._on_button)
        bolt.options("project")(self._on_project_options)
        bolt.shortcut("ask_about_message")(self._on_message_shortcut)
        bolt.shortcut("post_weeknote")(self._on_weeknote_shortcut)
        handlers = {
            "app_mention": self._on_mention,
            "message": self._on_message,
            "app_home_opened": self._on_home,
            "app_uninstalled": self._on_uninstalled,
            "tokens_revoked": self._on_tokens_revoked,
        }
        for event in EVENTS:
            bolt.event(event)(handlers[event])
        bolt.error(self._on_error)

    async def _run(self, incoming: Incoming) -> Reply:
        return await asyncio.to_thread(self.bot.handle, incoming)

    def _now(self) -> Any:
        return self.clock.now()

    def close(self) -> None:
        self._once.close()

    # -- slash commands ----------------------------------------------------------------------

    async def _on_command(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        trigger = str(body.get("trigger_id") or "")
        if trigger and not await self._once.first_time(ONCE_COMMAND, trigger):
            log.info("dropped a replayed Slack slash command (trigger %s)", trigger)
            return
        incoming = slash_to_incoming(body, now=self._now())
        if self._needs_context(incoming):
            incoming = await self._with_context(incoming, client)
        reply = await self._run(incoming)
        if reply.form is not None:
            await self._open_form(client, trigger, reply.form, str(body.get("channel_id", "")))
            return
        kind = "ephemeral" if reply.private else "in_channel"
        await self._respond(body, client, {"response_type": kind, **blocks.to_message(reply)})

    async def _respond(
        self, body: dict[str, Any], client: AsyncWebClient, payload: dict[str, Any]
    ) -> None:
        """Through the response_url, retried; else as an ephemeral message to the sender."""
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
            sent = await call_or_log(
                client.chat_postEphemeral, channel=channel, user=user, **fields
            )
            return sent is not None

        url = str(body.get("response_url") or "")
        if not url:
            await ephemeral(payload)
            return
        await respond(url, payload, issued_at=time.time(), fallback=ephemeral)

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

    # -- shortcuts ---------------------------------------------------------------------------

    async def _on_message_shortcut(
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
        incoming = Incoming(
            text=tidy(text),
            sender=person(team, str(user.get("id", "")), str(user.get("username") or "")),
            conversation=conversation(team, channel, await self._kind_of(team, channel, client)),
            received_at=self._now(),
            command="ask",
        )
        if not incoming.text:
            reply = Reply(text="That message has no words I can search for.", private=True)
        else:
            reply = await self._run(incoming)
        await self._respond(
            body, client, {"response_type": "ephemeral", **blocks.to_message(reply)}
        )

    async def _on_weeknote_shortcut(
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
            received_at=self._now(),
            command="weeknote",
        )
        reply = await self._run(incoming)
        if reply.form is None:  # the core always opens the form for an empty weeknote
            return
        await self._open_form(client, str(body.get("trigger_id") or ""), reply.form, "")

    # -- modals ------------------------------------------------------------------------------

    async def _open_form(
        self, client: AsyncWebClient, trigger: str, form: Any, channel: str
    ) -> None:
        """A modal for a core form; where it was asked from and the form's hidden values ride
        in private_metadata and come back with the submission."""
        meta = json.dumps({"channel": channel, "hidden": form.hidden})
        view = blocks.to_modal(form, callback_id=form.id, private_metadata=meta)
        await call_or_log(client.views_open, trigger_id=trigger, view=view)

    async def _on_view(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Mistakes go back in the ack itself, so the form is checked first (reads only, fast
        even while another process holds the database's write lock); then the ack, then the
        save, then a message saying how it went. A replayed submission is saved once."""
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        channel = str(meta.get("channel", ""))
        hidden = meta.get("hidden") if isinstance(meta.get("hidden"), dict) else {}
        values = {**{str(k): str(v) for k, v in hidden.items()}}
        values.update(blocks.modal_values(view["state"]["values"]))
        incoming = view_to_incoming(body, values, channel_id=channel, now=self._now())
        mistakes = await asyncio.to_thread(self.bot.check_form, incoming)
        if mistakes is not None and mistakes.form is not None and mistakes.form.has_errors:
            await ack(**blocks.form_errors(mistakes.form))
            return
        await ack()
        key = f"{view.get('id', '')}:{view.get('hash', '')}"
        if not await self._once.first_time(ONCE_VIEW, key):
            log.info("dropped a replayed Slack form submission (view %s)", view.get("id"))
            return
        reply = await self._run(incoming)
        user = body["user"]["id"]
        target = channel if channel and not channel.startswith("D") else user
        message = blocks.to_message(reply)
        if target == user:
            await call_or_log(client.chat_postMessage, channel=user, **message)
        else:
            await call_or_log(client.chat_postEphemeral, channel=target, user=user, **message)

    async def _on_project_options(self, ack: Ack, body: dict[str, Any]) -> None:
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

    async def _on_button(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The core's answer to a press, privately; a press that settles its message (delete,
        approve, share in channel) replaces that message with the outcome, or, for an answer
        now shared with everyone, posts it to the channel and removes the private copy."""
        await ack()
        incoming = action_to_incoming(body, now=self._now())
        reply = await self._run(incoming)
        if reply.introduction is not None and await self._introduce(incoming, reply, client):
            reply = Reply(text="I've started a conversation between you and the team.")
        pressed = (body.get("actions") or [{}])[0]
        settles = pressed.get("block_id") == blocks.SETTLING_BLOCK and reply.tone != "error"
        message = blocks.to_message(reply)
        if settles and not reply.private:
            await self._respond(body, client, {"response_type": "in_channel", **message})
            await self._respond(body, client, {"delete_original": True})
            return
        payload = {"response_type": "ephemeral", "replace_original": settles}
        await self._respond(body, client, {**payload, **message})

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

    # -- events ------------------------------------------------------------------------------

    async def _on_mention(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        context: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        if is_from_a_bot(event, context.get("bot_user_id")):
            return
        team = _team(body, context)
        kind = await self._kind_of(team, str(event.get("channel", "")), client)
        incoming = event_to_incoming(
            event, team_id=team, bot_user_id=context.get("bot_user_id"), now=self._now(), kind=kind
        )
        await self._reply_in_thread(incoming, await self._run(incoming), client)

    async def _kind_of(self, team: str, channel: str, client: AsyncWebClient) -> Kind | None:
        """What kind of conversation a channel is (app_mention does not say), asked once per
        channel and remembered; None (private) when Slack will not say."""
        if channel.startswith("D"):
            return "direct"
        known = self._kinds.get((team, channel))
        if known is not None:
            return known
        found = await call_or_log(client.conversations_info, channel=channel)
        if found is None:
            return None
        kind = info_kind(found.get("channel") or {})
        self._kinds[(team, channel)] = kind
        return kind

    async def _on_message(
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
            event, team_id=_team(body, context), bot_user_id=bot_user, now=self._now()
        )
        if incoming.conversation.is_direct:
            # Slack sends no app_mention in a DM, so "@hasanyone …" there is answered here.
            reply = await self._run(incoming)
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

    async def _on_home(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        context: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user", ""))
        team = _team(body, context)
        view = await asyncio.to_thread(self._home, team, person(team, user).key)
        await call_or_log(client.views_publish, user_id=user, view=view)

    def _home(self, team: str, key: str) -> dict[str, Any]:
        return home_view(self.register, team=team, key=key, now=self._now())

    # -- uninstalls --------------------------------------------------------------------------

    async def _on_uninstalled(self, body: dict[str, Any], context: dict[str, Any]) -> None:
        await self._workspace_gone(_team(body, context), "the app was uninstalled")

    async def _on_tokens_revoked(
        self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]
    ) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await self._workspace_gone(_team(body, context), "its bot token was revoked")

    async def _workspace_gone(self, team: str, why: str) -> None:
        """The workspace's installation is removed (so nothing is posted with a dead token)
        and its digests paused, with a note to the community managers."""
        if self.installations is not None:
            await self.installations.async_delete_all(enterprise_id=None, team_id=team)
        paused = await asyncio.to_thread(
            self.subscriptions.pause_workspace,
            PLATFORM,
            team,
            reason=f"Slack workspace {team}: {why}",
        )
        log.warning("Slack workspace %s: %s; %d digests paused", team, why, paused)
        if paused:
            now = self._now()
            note = Reply(
                text=(
                    f"hasanyone was removed from Slack workspace {team} ({why}): its {paused} "
                    "digest subscriptions are paused until it is installed again."
                )
            )
            for key in self.community_managers:
                self.outbox.enqueue(
                    f"uninstalled:{team}:{now.isoformat()}:{key}", key, note, now=now
                )

    # -- errors ------------------------------------------------------------------------------

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed (%s)", type(error).__name__, exc_info=error)


def _team(body: dict[str, Any], context: dict[str, Any]) -> str:
    return str(body.get("team_id") or context.get("team_id") or "")
