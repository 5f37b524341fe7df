"""hasanyone in Slack: Bolt listeners that translate, call the core, and render.

Every listener acknowledges first and works afterwards, so Slack hears back within 3 seconds.
The core is synchronous (it talks to the database); it runs in a worker thread so one slow
answer never holds up the event loop, and with it every other ack.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.app import App
from adapters.manifest import load_manifest
from adapters.settings import SlackSettings
from adapters.slack import blocks
from adapters.slack.incoming import (
    PLATFORM,
    action_to_incoming,
    event_to_incoming,
    is_channel_admin,
    is_from_a_bot,
    mentions,
    person,
    slash_to_incoming,
    user_of,
    view_to_incoming,
)
from bot.commands.digest import changes_the_digest
from bot.model import CHANNEL_ADMIN, Incoming, Reply
from bot.questions import looks_like_a_question

log = logging.getLogger(__name__)
COMMANDS = ("/hasanyone", "/weeknote", "/project", "/digest")
EVENTS = ("app_mention", "message", "app_home_opened")
BUTTONS = re.compile(r"^(helpful|not_what_i_meant|introduce)$")

Say = Callable[..., Awaitable[Any]]


def web_client(settings: SlackSettings, token: str | None) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries dropped connections and
    5xx answers a few times with backoff."""
    return AsyncWebClient(
        token=token,
        base_url=settings.api_url,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


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
    def __init__(self, app: App, settings: SlackSettings) -> None:
        self.core = app
        self.settings = settings
        oauth = settings.oauth
        token = settings.bot_token.get_secret_value() if settings.bot_token and not oauth else None
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
        self.bolt = AsyncApp(
            signing_secret=secret,
            client=web_client(settings, token),
            logger=_bolt_logger(),
            **self._oauth_options(),
        )
        self._register()

    def _oauth_options(self) -> dict[str, Any]:
        """With a client id and secret, install into many workspaces: installations and OAuth
        state live in our database (slack_sdk's SQLAlchemy stores, on an async engine)."""
        settings = self.settings
        if not settings.oauth or settings.client_secret is None:
            return {}
        from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
        from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
        from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

        self.installations = installation_store(self.core.settings.database_url, settings)
        engine = self.installations.engine
        self.oauth_states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
        oauth = AsyncOAuthSettings(
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            scopes=load_manifest()["oauth_config"]["scopes"]["bot"],
            installation_store=self.installations,
            state_store=self.oauth_states,
        )
        return {"oauth_flow": AsyncOAuthFlow(client=web_client(settings, None), settings=oauth)}

    async def create_oauth_tables(self) -> None:
        """The stores' own tables (slack_installations, slack_bots, slack_oauth_states)."""
        if getattr(self, "installations", None) is not None:
            await self.installations.create_tables()
            await self.oauth_states.create_tables()  # type: ignore[no-untyped-call]

    def _register(self) -> None:
        bolt = self.bolt
        bolt.middleware(self._drop_retried_events)
        for command in COMMANDS:
            bolt.command(command)(self._on_command)
        bolt.view(re.compile(".*"))(self._on_view)
        bolt.action(BUTTONS)(self._on_button)
        bolt.options("project")(self._on_project_options)
        handlers = {
            "app_mention": self._on_mention,
            "message": self._on_message,
            "app_home_opened": self._on_home,
        }
        for event in EVENTS:
            bolt.event(event)(handlers[event])
        bolt.error(self._on_error)

    async def _run(self, incoming: Incoming) -> Reply:
        return await asyncio.to_thread(self.core.bot.handle, incoming)

    def _now(self) -> Any:
        return self.core.clock.now()

    # -- middleware --------------------------------------------------------------------------

    async def _drop_retried_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack redelivers an event it thinks we missed; Bolt does not notice. The event id is
        claimed in the database, so a redelivery (to this or another replica) is acked and
        dropped."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            first = await asyncio.to_thread(
                self.core.channels.first_time_for_event, PLATFORM, str(event_id), now=self._now()
            )
            if not first:
                log.info("dropped redelivered Slack event %s", event_id)
                return BoltResponse(status=200, body="")
        await next()
        return None

    # -- slash commands ----------------------------------------------------------------------

    async def _on_command(
        self,
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: Say,
    ) -> None:
        await ack()
        incoming = slash_to_incoming(body, now=self._now())
        if self._needs_roles(incoming):
            incoming = replace(incoming, roles=await self._roles(incoming, client))
        reply = await self._run(incoming)
        if reply.form is not None:
            meta = json.dumps({"channel": body.get("channel_id", "")})
            view = blocks.to_modal(reply.form, callback_id=reply.form.id, private_metadata=meta)
            await self._call(client.views_open, trigger_id=body["trigger_id"], view=view)
            return
        await respond(
            response_type="ephemeral" if reply.private else "in_channel", **blocks.to_message(reply)
        )

    def _needs_roles(self, incoming: Incoming) -> bool:
        """Only changing a channel's digest needs the sender's roles, so only then is the Web
        API asked (after the ack: the look-ups may take longer than Slack waits)."""
        name, args = self.core.bot.route_text(incoming.command, incoming.text)
        return name == "digest" and changes_the_digest(args) and not incoming.conversation.is_direct

    async def _roles(self, incoming: Incoming, client: AsyncWebClient) -> frozenset[str]:
        """CHANNEL_ADMIN for a community manager, a workspace admin or owner, or the channel's
        creator. A failed look-up (logged with Slack's error code) denies."""
        if incoming.sender.key in self.core.settings.community_managers:
            return frozenset({CHANNEL_ADMIN})
        user_id = user_of(incoming.sender.key, incoming.conversation.workspace_id) or ""
        user, channel = await asyncio.gather(
            self._call(client.users_info, user=user_id),
            self._call(client.conversations_info, channel=incoming.conversation.channel_id),
        )
        if user is None or channel is None:
            return frozenset()
        admin = is_channel_admin(user.get("user") or {}, channel.get("channel") or {}, user_id)
        return frozenset({CHANNEL_ADMIN}) if admin else frozenset()

    # -- modals ------------------------------------------------------------------------------

    async def _on_view(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Validation happens before the ack, because errors go back in the ack itself."""
        view = body["view"]
        channel = json.loads(view.get("private_metadata") or "{}").get("channel", "")
        incoming = view_to_incoming(
            body, blocks.modal_values(view["state"]["values"]), channel_id=channel, now=self._now()
        )
        reply = await self._run(incoming)
        if reply.form is not None and reply.form.has_errors:
            await ack(**blocks.form_errors(reply.form))
            return
        await ack()
        user = body["user"]["id"]
        target = channel if channel and not channel.startswith("D") else user
        message = blocks.to_message(reply)
        if target == user:
            await self._call(client.chat_postMessage, channel=user, **message)
        else:
            await self._call(client.chat_postEphemeral, channel=target, user=user, **message)

    async def _on_project_options(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any]
    ) -> None:
        query = str(body.get("value") or "")
        key = person(
            str((body.get("team") or {}).get("id", "")), str((body.get("user") or {}).get("id", ""))
        ).key
        projects = await asyncio.to_thread(self.core.repo.project_choices, key, limit=500)
        choices = [(p.id, f"{p.title} ({p.organisation_name})") for p in projects]
        await ack(**blocks.project_options(choices, query))

    # -- buttons -----------------------------------------------------------------------------

    async def _on_button(
        self,
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: Say,
    ) -> None:
        await ack()
        incoming = action_to_incoming(body, now=self._now())
        if (
            incoming.action is not None
            and incoming.action.name == "introduce"
            and await self._introduce(incoming, client)
        ):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text="I've started a conversation between you and the team.",
            )
            return
        reply = await self._run(incoming)
        await respond(response_type="ephemeral", replace_original=False, **blocks.to_message(reply))

    async def _introduce(self, incoming: Incoming, client: AsyncWebClient) -> bool:
        """A group DM between the asker and the project's owner, when the owner is on this
        Slack; otherwise the core's answer (the contact route) is the introduction."""
        assert incoming.action is not None
        parts = incoming.action.value.split(":", 2)
        if len(parts) != 3 or parts[1] != "project":
            return False
        project = await asyncio.to_thread(self.core.repo.get_project, parts[2])
        team = incoming.conversation.workspace_id
        owner = user_of(project.owner_key or "", team) if project else None
        asker = user_of(incoming.sender.key, team)
        if project is None or owner is None or asker is None or owner == asker:
            return False
        opened = await self._call(client.conversations_open, users=f"{asker},{owner}")
        if opened is None:
            return False
        text = (
            f"<@{asker}>, meet <@{owner}>: <@{asker}> asked about work like "
            f"*{blocks.escape_mrkdwn(project.title)}* and would like to compare notes."
        )
        return (
            await self._call(client.chat_postMessage, channel=opened["channel"]["id"], text=text)
            is not None
        )

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
        incoming = event_to_incoming(
            event,
            team_id=_team(body, context),
            bot_user_id=context.get("bot_user_id"),
            now=self._now(),
        )
        await self._reply_in_thread(incoming, await self._run(incoming), client)

    async def _on_message(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        context: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        bot_user = context.get("bot_user_id")
        if is_from_a_bot(event, bot_user) or mentions(str(event.get("text", "")), bot_user):
            return  # a mention arrives as app_mention too; answering both would say it twice
        incoming = event_to_incoming(
            event, team_id=_team(body, context), bot_user_id=bot_user, now=self._now()
        )
        if incoming.conversation.is_direct:
            reply = await self._run(incoming)
            await self._post(client, channel=incoming.conversation.channel_id, reply=reply)
            return
        await self._maybe_answer(incoming, client)

    async def _maybe_answer(self, incoming: Incoming, client: AsyncWebClient) -> None:
        """In a channel that opted in: answer a plain question, in its thread, only when
        confident, and at most once per thread."""
        where = incoming.conversation
        if not looks_like_a_question(incoming.text):
            return
        if not where.thread_id or not await asyncio.to_thread(
            self.core.channels.is_listening, where
        ):
            return
        reply = await asyncio.to_thread(self.core.bot.answer_if_confident, incoming)
        if reply is None:
            return
        if await asyncio.to_thread(
            self.core.channels.first_answer_in_thread, where, where.thread_id, now=self._now()
        ):
            await self._reply_in_thread(incoming, reply, client)

    async def _reply_in_thread(
        self, incoming: Incoming, reply: Reply, client: AsyncWebClient
    ) -> None:
        where = incoming.conversation
        await self._post(
            client,
            channel=where.channel_id,
            reply=reply,
            thread_ts=None if where.is_direct else where.thread_id,
        )

    async def _post(
        self, client: AsyncWebClient, *, channel: str, reply: Reply, thread_ts: str | None = None
    ) -> None:
        if reply.form is not None:
            reply = Reply(
                text=reply.text + "\nUse the slash command to open the form.", tone=reply.tone
            )
        await self._call(
            client.chat_postMessage,
            channel=channel,
            thread_ts=thread_ts,
            **blocks.to_message(reply),
        )

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
        view = await asyncio.to_thread(self._home, person(_team(body, context), user).key)
        await self._call(client.views_publish, user_id=user, view=view)

    def _home(self, key: str) -> dict[str, Any]:
        repo = self.core.repo
        projects = [f"{p.title} ({p.id}, {p.stage.value})" for p in repo.projects_of(key)]
        notes = [
            f"{n.week.isoformat()} — {n.project_id}: {' '.join(n.text.split())[:120]}"
            for n in repo.weeknotes_of(key, limit=5)
        ]
        week_start = self.core.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        week_start -= timedelta(days=week_start.weekday())
        unanswered = [q.text for q in repo.unanswered_since(week_start)[:10]]
        return blocks.home_view(projects=projects, weeknotes=notes, unanswered=unanswered)

    # -- errors ------------------------------------------------------------------------------

    async def _call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """A Web API call whose failure is logged with Slack's error code, never raised into
        a listener (the user has already been acked)."""
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            log.warning(
                "Slack %s failed: %s",
                getattr(method, "__name__", "call"),
                exc.response.get("error"),
            )
        except Exception as exc:
            log.warning(
                "Slack %s failed: %s", getattr(method, "__name__", "call"), type(exc).__name__
            )
        return None

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        code = (
            error.response.get("error")
            if isinstance(error, SlackApiError)
            else type(error).__name__
        )
        log.error("Slack listener failed (%s)", code, exc_info=error)


def installation_store(database_url: str, settings: SlackSettings) -> Any:
    """slack_sdk's installation store on our database (an AsyncSQLAlchemyInstallationStore)."""
    from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_url(database_url))
    return AsyncSQLAlchemyInstallationStore(client_id=settings.client_id or "", engine=engine)


class WorkspaceTokens:
    """The bot token for a workspace when nobody's request brought one (digests, reminders):
    the configured SLACK_BOT_TOKEN for a single workspace, or the token stored when the
    workspace installed the app through OAuth. None: not installed there (or uninstalled)."""

    def __init__(self, database_url: str, settings: SlackSettings) -> None:
        self.fixed = settings.bot_token.get_secret_value() if settings.bot_token else None
        self.installations = installation_store(database_url, settings) if settings.oauth else None

    async def __call__(self, workspace_id: str) -> str | None:
        if self.installations is None:
            return self.fixed
        bot = await self.installations.async_find_bot(
            enterprise_id=None, team_id=workspace_id or None
        )
        return str(bot.bot_token) if bot is not None and bot.bot_token else None

    async def close(self) -> None:
        if self.installations is not None:
            await self.installations.engine.dispose()


def async_url(url: str) -> str:
    """The same database through an async driver, for slack_sdk's async stores."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _team(body: dict[str, Any], context: dict[str, Any]) -> str:
    return str(body.get("team_id") or context.get("team_id") or "")
