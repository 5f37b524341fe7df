"""hasanyone in Microsoft Teams: botbuilder's CloudAdapter and a TeamsActivityHandler.

Every botbuilder import in the project lives under adapters/teams (the Python SDK is archived;
a move to its successor should be a one-folder change). Two defects of botbuilder 4.17.1 are
wrapped here: CloudAdapter.process answers 500 to an invoke whose response has a plain body,
and 500 instead of 401 when a token is bad. Outgoing calls are retried on 429 and 503 (the SDK
never retries) and paced per conversation, as Teams throttles at about 7 operations a second.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, ClassVar

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    Attachment,
    ConversationReference,
)

from adapters.settings import TeamsSettings
from adapters.teams import cards
from adapters.teams.incoming import (
    PLATFORM,
    conversation_of,
    is_from_a_bot,
    is_team_owner,
    mentions_the_bot,
    message_to_incoming,
    split_thread,
    team_of,
)
from bot.commands import Services
from bot.commands.digest import ADMINS_ONLY, changes_the_digest
from bot.commands.help import welcome_reply
from bot.commands.listen import changes_listening
from bot.dispatch import Bot
from bot.model import CHANNEL_ADMIN, Incoming, Reply
from bot.picker import project_choices
from bot.ports import Clock, Finder, ProcessedEvents
from knowledge.conversations import ConversationStore

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({429, 503})
GONE_STATUSES = frozenset({403, 404})
MAX_ATTEMPTS = 5
MIN_GAP = 1 / 7  # Teams allows about 7 operations a second per conversation
NO_OWNERS_HERE = "A group chat has no owners, so here only a community manager can."
ONCE_CARD = "teams-card"  # processed_event.platform of submitted form cards
ONCE_WELCOME = "teams-welcome"  # ...and of the conversations the bot has said hello in
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
EXTENSION_RESULTS = 8
NOT_CONFIGURED = (
    "Teams is not configured: set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and "
    "MICROSOFT_APP_TENANT_ID (or HASANYONE_TEAMS_LOCAL=true for the Bot Framework Emulator on "
    "this machine); until then /api/messages answers 401."
)


def is_loopback_url(url: str) -> bool:
    """Whether a serviceUrl points at this machine (all local mode may post to)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConversationGone(Exception):
    """The bot is no longer in that conversation (uninstalled, or the chat was deleted)."""


class ConversationUnknown(Exception):
    """The bot has never been in that conversation: nothing to post with, yet."""


NOT_SEEN_YET = (
    "hasanyone has not been added to that conversation yet: add the app to the team (or chat) "
    "and @mention it once, or say `digest on` in the channel itself"
)


PUBLIC_ISSUER = "https://api.botframework.com"
PUBLIC_LOGIN = "https://login.microsoftonline.com/botframework.com"


def auth_config(settings: TeamsSettings) -> SimpleNamespace:
    """The configuration object botbuilder's ConfigurationBotFrameworkAuthentication reads.

    With no endpoint override the SDK uses Microsoft's public cloud. Setting any endpoint
    switches it to its parameterized mode, which reads every endpoint key literally (a missing
    issuer rejects every token), so an override sets them all."""
    config = SimpleNamespace(
        APP_ID=settings.id,
        APP_PASSWORD=settings.password.get_secret_value() if settings.password else "",
        # With no app id (local mode) only the MultiTenant factory accepts empty credentials,
        # which is what turns authentication off; SingleTenant insists on an app id.
        APP_TYPE=settings.type if settings.id else "MultiTenant",
        APP_TENANTID=settings.tenant_id or None,
    )
    if settings.openid_metadata_url:
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = PUBLIC_ISSUER
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = settings.login_url or PUBLIC_LOGIN
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = PUBLIC_ISSUER
        config.OAUTH_URL = PUBLIC_ISSUER
        config.CALLER_ID = "urn:botframework:azure"
    return config


def status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if status else None


def retry_after(error: BaseException, attempt: int) -> float:
    """Seconds to wait: the platform's Retry-After when it gives one, else exponential backoff."""
    backoff: float = min(0.5 * 2.0**attempt, 8.0)
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return min(float(value), 60.0) if value is not None else backoff
    except ValueError:
        return backoff


class Pacer:
    """Keeps sends to one conversation at least MIN_GAP apart, without blocking others."""

    def __init__(self, gap: float = MIN_GAP) -> None:
        self.gap = gap
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def run(self, conversation_id: str, send: Callable[[], Awaitable[Any]]) -> Any:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            wait = self._last.get(conversation_id, 0.0) + self.gap - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await send()
            finally:
                self._last[conversation_id] = time.monotonic()


async def with_retry(send: Callable[[], Awaitable[Any]], *, what: str) -> Any:
    """Retry 429 and 503 (honouring Retry-After) up to MAX_ATTEMPTS; 403/404 mean gone."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await send()
        except Exception as error:
            status = status_of(error)
            if status in GONE_STATUSES:
                raise ConversationGone(what) from error
            if status not in RETRY_STATUSES or attempt == MAX_ATTEMPTS - 1:
                raise
            delay = retry_after(error, attempt)
            log.info("Teams answered %s to %s; retrying in %.1f s", status, what, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def team_member(turn_context: TurnContext, team_id: str, member_id: str) -> Any:
    """A member of the team's roster. botbuilder 4.17.1's TeamsInfo.get_team_member takes a
    team id and then ignores it, asking the roster of the conversation the message came from
    (a channel thread, which Teams answers 404): this asks the team's."""
    client = await TeamsInfo._get_connector_client(turn_context)
    return await TeamsInfo._get_member(client, team_id, member_id)


class TeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    """Teams activities in, the core's replies out. It holds only the ports it uses: the core's
    `Bot`, the clock, once-only markers (welcomes, card submissions), the services the project
    picker searches, the finder the message extension searches, who the community managers
    are, and the Teams conversation references."""

    def __init__(
        self,
        *,
        bot: Bot,
        clock: Clock,
        processed: ProcessedEvents,
        services: Services,
        finder: Finder,
        community_managers: frozenset[str],
        conversations: ConversationStore,
        pacer: Pacer,
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.processed = processed
        self.services = services
        self.finder = finder
        self.community_managers = community_managers
        self.conversations = conversations
        self.pacer = pacer

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Remember every conversation we hear from, so digests can be posted there later."""
        activity = turn_context.activity
        if activity.conversation is not None and activity.type != ActivityTypes.installation_update:
            await asyncio.to_thread(self._remember, activity)
        await super().on_turn(turn_context)

    def _remember(self, activity: Activity) -> None:
        """Keyed on the channel, not the thread a message came from, so a later post (a
        digest) starts a new thread in the channel instead of replying inside an old one."""
        reference = TurnContext.get_conversation_reference(activity).serialize()
        where = conversation_of(activity.serialize())
        conversation = dict(reference.get("conversation") or {})
        conversation["id"] = split_thread(str(conversation.get("id", "")))[0]
        reference["conversation"] = conversation
        self.conversations.remember(
            PLATFORM,
            where.channel_id,
            reference,
            now=self.clock.now(),
            workspace_id=where.workspace_id,
            service_url=activity.service_url or "",
            conversation_type=activity.conversation.conversation_type or "",
        )

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """Installed personally, in a chat or in a team: remembered, and welcomed once."""
        activity = turn_context.activity
        await asyncio.to_thread(self._remember, activity)
        where = conversation_of(activity.serialize())
        first = await asyncio.to_thread(
            self.processed.first_time_for_event,
            ONCE_WELCOME,
            where.channel_id[:200],
            now=self.clock.now(),
        )
        if first:
            in_channel = not (where.is_direct or where.is_group)
            await self.send(turn_context, welcome_reply(in_channel=in_channel))

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        conversation_id = turn_context.activity.conversation.id
        await asyncio.to_thread(
            self.conversations.forget, PLATFORM, conversation_id, now=self.clock.now()
        )

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        raw = turn_context.activity.serialize()
        incoming = message_to_incoming(raw, now=self.clock.now())
        if not incoming.text and incoming.form is None and incoming.action is None:
            return  # an empty message (an image, a reaction): nothing to answer
        unaddressed = (
            raw.get("conversation", {}).get("conversationType") == "channel"
            and incoming.form is None
            and incoming.action is None
            and not mentions_the_bot(raw)
        )
        if unaddressed:
            # Teams delivers every channel message only with the ChannelMessage.Read.Group
            # permission; those nobody addressed to the bot go by the same rule as Slack's.
            if not is_from_a_bot(raw):
                reply = await asyncio.to_thread(self.bot.answer_unprompted, incoming)
                if reply is not None:
                    await self.send(turn_context, reply)
            return
        if self._needs_roles(incoming):
            incoming = replace(incoming, roles=await self._roles(turn_context, incoming))
        if incoming.form is not None and not await self._first_submission(raw, incoming):
            return
        reply = await asyncio.to_thread(self.bot.handle, incoming)
        if reply.text == ADMINS_ONLY and _conversation_type(turn_context) == "groupChat":
            reply = replace(reply, extra_lines=(*reply.extra_lines, NO_OWNERS_HERE))
        await self.send(turn_context, reply)

    async def _first_submission(self, raw: dict[str, Any], incoming: Incoming) -> bool:
        """A form card is saved once: its submission token is claimed when the form is good
        (a card sent back with mistakes can be corrected and sent again). A second click, or a
        replayed activity, is dropped."""
        token = (raw.get("value") or {}).get(cards.SUBMISSION_KEY)
        if not isinstance(token, str) or not token:
            return True
        mistakes = await asyncio.to_thread(self.bot.check_form, incoming)
        if mistakes is not None:
            return True  # it comes back with the mistakes marked; nothing is saved
        first = await asyncio.to_thread(
            self.processed.first_time_for_event,
            ONCE_CARD,
            token[:200],
            now=self.clock.now(),
        )
        if not first:
            log.info("dropped a second submission of the same Teams card")
        return first

    def _needs_roles(self, incoming: Incoming) -> bool:
        """Only changing how the bot behaves in a channel (its digest, listening) needs the
        sender's roles; only then is Teams asked."""
        if incoming.form is not None or incoming.action is not None:
            return False
        if incoming.conversation.is_direct:
            return False
        name, args = self.bot.route_text(None, incoming.text)
        return (name == "digest" and changes_the_digest(args)) or (
            name == "listen" and changes_listening(args)
        )

    async def _roles(self, turn_context: TurnContext, incoming: Incoming) -> frozenset[str]:
        """CHANNEL_ADMIN for a community manager, or in a team's channel for one of the team's
        owners. Group chats have no owners. A failed roster look-up denies."""
        if incoming.sender.key in self.community_managers:
            return frozenset({CHANNEL_ADMIN})
        activity = turn_context.activity
        team_id = team_of(activity.serialize())
        if not team_id or activity.from_property is None:
            return frozenset()
        try:
            member = await with_retry(
                lambda: team_member(turn_context, team_id, activity.from_property.id),
                what=f"roster of team {team_id}",
            )
        except Exception as error:
            log.warning(
                "could not look up a sender's team role: %s %s",
                status_of(error) or "",
                type(error).__name__,
            )
            return frozenset()
        return frozenset({CHANNEL_ADMIN}) if is_team_owner(member.serialize()) else frozenset()

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        """Action.Execute (Universal Actions). A form's card is replaced in place: by itself
        with the mistakes marked, or by the outcome, so no second copy can be submitted. A
        button that settles its message (delete, approve…) replaces the card with the
        outcome; any other button (Helpful, Introduce me) answers the presser alone and leaves
        the card as it was."""
        action = invoke_value.action  # botbuilder 4.17.1 leaves this a plain dict
        if not isinstance(action, dict):
            action = action.serialize()
        data = dict(action.get("data")) if isinstance(action.get("data"), dict) else {}
        if cards.FORM_FIELD_KEY not in data:
            # a press whose data lost the action's name still has its verb
            name = data.get(cards.ACTION_KEY) or action.get("verb", "")
            data = {**data, cards.ACTION_KEY: str(name)}
        raw = {**turn_context.activity.serialize(), "value": data}
        incoming = message_to_incoming(raw, now=self.clock.now())
        if incoming.form is not None and not await self._first_submission(raw, incoming):
            return _message("That form was sent already.")
        reply = await asyncio.to_thread(self.bot.handle, incoming)
        if incoming.form is not None or data.get(cards.SETTLES_KEY):
            token = uuid.uuid4().hex if reply.form is not None else ""
            card = cards.to_activity(reply, submission=token)["attachments"][0]["content"]
            return AdaptiveCardInvokeResponse(
                status_code=200, type=cards.CARD_CONTENT_TYPE, value=card
            )
        results = reply.answer.cards if reply.answer is not None else ()
        if reply.actions or results:  # more to press or read: a message of its own
            await self.send(turn_context, reply)
            return _message("Done.")
        return _message(reply.text)

    async def on_invoke_activity(self, turn_context: TurnContext) -> Any:
        """Teams' typeahead search (`application/search`), which botbuilder 4.17.1 does not
        route: the project picker's dataset, searched through the core's picker rule."""
        activity = turn_context.activity
        if activity.name != "application/search":
            return await super().on_invoke_activity(turn_context)
        from botbuilder.core import InvokeResponse

        value = activity.value if isinstance(activity.value, dict) else {}
        if value.get("dataset") != cards.PROJECT_DATASET:
            return InvokeResponse(status=200, body=_search_results([]))
        who = message_to_incoming(activity.serialize(), now=self.clock.now()).sender.key
        text = str(value.get("queryText") or "")[:200]
        choices = await asyncio.to_thread(
            project_choices, text, person_key=who, services=self.services
        )
        return InvokeResponse(status=200, body=_search_results(choices))

    async def on_teams_messaging_extension_query(
        self, turn_context: TurnContext, query: Any
    ) -> Any:
        """The search message extension: what is typed in the compose box is searched (not
        logged as a question: it is typed a letter at a time), and each result is a card the
        person can insert into the conversation."""
        from botbuilder.schema.teams import (
            MessagingExtensionAttachment,
            MessagingExtensionResponse,
            MessagingExtensionResult,
        )

        text = _query_text(query)
        results = []
        if text:
            finding = await asyncio.to_thread(self.finder.find, text, limit=EXTENSION_RESULTS)
            results = list(finding.results)
        attachments = [
            MessagingExtensionAttachment(
                content_type=cards.CARD_CONTENT_TYPE,
                content=cards.result_card(result),
                preview=Attachment().deserialize(cards.result_preview(result)),
            )
            for result in results
        ]
        if not attachments:
            note = "Type what you want to know" if not text else "Nobody has registered it yet"
            attachments = [
                MessagingExtensionAttachment(
                    content_type=cards.CARD_CONTENT_TYPE,
                    content=cards.note_card(note),
                    preview=Attachment().deserialize(cards.note_preview(note)),
                )
            ]
        return MessagingExtensionResponse(
            compose_extension=MessagingExtensionResult(
                type="result", attachment_layout="list", attachments=attachments
            )
        )

    async def send(self, turn_context: TurnContext, reply: Reply) -> None:
        token = uuid.uuid4().hex if reply.form is not None else ""
        activity = Activity().deserialize(cards.to_activity(reply, submission=token))
        conversation_id = turn_context.activity.conversation.id
        await self.pacer.run(
            conversation_id,
            lambda: with_retry(
                lambda: turn_context.send_activity(activity), what=f"reply in {conversation_id}"
            ),
        )


class _MessageResponse(AdaptiveCardInvokeResponse):  # type: ignore[misc]
    """botbuilder's model types `value` as an object and cannot serialise the text a message
    response carries; the same response with `value` typed as text."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        **AdaptiveCardInvokeResponse._attribute_map,
        "value": {"key": "value", "type": "str"},
    }


def _search_results(choices: Any) -> dict[str, Any]:
    """The answer Teams expects to a typeahead search."""
    results = [{"title": c.label[:100], "value": c.value} for c in list(choices)[:30]]
    return {
        "type": "application/vnd.microsoft.search.searchResponse",
        "value": {"results": results},
    }


def _message(text: str) -> AdaptiveCardInvokeResponse:
    """An Action.Execute answer shown to the presser only, leaving the card as it was."""
    return _MessageResponse(status_code=200, type=MESSAGE_RESPONSE, value=text[:1000])


def _query_text(query: Any) -> str:
    """The words typed into the message extension's search box."""
    for parameter in getattr(query, "parameters", None) or ():
        if getattr(parameter, "name", "") in ("query", "searchQuery"):
            return " ".join(str(getattr(parameter, "value", "") or "").split())[:500]
    return ""


def _conversation_type(turn_context: TurnContext) -> str:
    conversation = turn_context.activity.conversation
    return str(getattr(conversation, "conversation_type", "") or "")


class TeamsEndpoint:
    """`POST /api/messages`, with the SDK's two defects wrapped, and proactive posting."""

    def __init__(
        self,
        *,
        settings: TeamsSettings,
        bot: Bot,
        clock: Clock,
        processed: ProcessedEvents,
        services: Services,
        finder: Finder,
        community_managers: frozenset[str],
        conversations: ConversationStore,
        credentials_factory: Any = None,
        local: bool = False,
    ) -> None:
        """The ports are the ones `TeamsBot` answers through (the endpoint itself uses only the
        clock and the conversations, to post later). `credentials_factory` replaces how
        outgoing tokens are fetched (tests use a local identity server, which msal will not
        talk to); None means the SDK's own. `local`: with no app id, answer the Bot Framework
        Emulator on this machine (and only it)."""
        self.settings = settings
        self.app_id = settings.id
        self.local = local and not settings.auth_enabled
        auth = ConfigurationBotFrameworkAuthentication(
            auth_config(settings), credentials_factory=credentials_factory
        )
        self.adapter = CloudAdapter(auth)
        self.adapter.on_turn_error = self._on_turn_error
        self.clock = clock
        self.conversations = conversations
        self.pacer = Pacer()  # one for answers and posts alike: Teams throttles them together
        self.handler = TeamsBot(
            bot=bot,
            clock=clock,
            processed=processed,
            services=services,
            finder=finder,
            community_managers=community_managers,
            conversations=conversations,
            pacer=self.pacer,
        )

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        """A failure inside our turn: logged, and the user gets an apology, not a trace. Because
        turn errors stop here, anything escaping process_activity is an authentication failure."""
        log.error("Teams turn failed: %s", type(error).__name__, exc_info=error)
        try:
            await turn_context.send_activity("Sorry, something went wrong on my side.")
        except Exception:
            log.warning("could not send the apology either")

    async def handle(self, request: web.Request) -> web.Response:
        activity = await self._activity(request)
        if isinstance(activity, web.Response):
            return activity
        auth_header = request.headers.get("Authorization", "")
        try:
            invoke = await self.adapter.process_activity(
                auth_header, activity, self.handler.on_turn
            )
        except Exception as error:  # botbuilder answers 500 for a bad token; it is a 401
            log.info("refused a Teams request: %s", type(error).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)
        if invoke is None:
            return web.Response(status=201)
        body = invoke.body
        if hasattr(body, "serialize"):
            body = body.serialize()
        return web.json_response(body, status=invoke.status or 200)

    async def _activity(self, request: web.Request) -> Activity | web.Response:
        """The request's activity, or the refusal: 401 when Teams is not configured, 415 and
        400 for what is not an activity, 403 for a local-mode activity from elsewhere."""
        if not self.settings.auth_enabled and not self.local:
            log.warning("refused a Teams request: %s", NOT_CONFIGURED)
            return web.json_response({"error": "unauthorized"}, status=401)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=415)
        try:
            activity = Activity().deserialize(await request.json())
        except Exception:
            return web.json_response({"error": "not a Bot Framework activity"}, status=400)
        if not activity.type:
            return web.json_response({"error": "activity has no type"}, status=400)
        if self.local and not is_loopback_url(activity.service_url or ""):
            # Unauthenticated, the bot would post (and later send digests) wherever this says.
            log.warning("refused a local-mode Teams activity whose serviceUrl is not this machine")
            return web.json_response({"error": "local mode answers this machine only"}, status=403)
        return activity

    async def post(self, conversation_id: str, reply: Reply) -> None:
        """Post into a conversation the bot was added to earlier, e.g. a digest."""
        stored = await asyncio.to_thread(self.conversations.reference, PLATFORM, conversation_id)
        if stored is None:
            state = await asyncio.to_thread(self.conversations.state, PLATFORM, conversation_id)
            if state == "unknown":
                raise ConversationUnknown(NOT_SEEN_YET)
            raise ConversationGone(f"{conversation_id}: the app was removed from it")
        reference = ConversationReference().deserialize(stored)
        activity = Activity().deserialize(cards.to_activity(reply))

        failure: list[BaseException] = []

        async def send(turn_context: TurnContext) -> None:
            # The SDK hands a proactive turn's exceptions to on_turn_error, which would swallow
            # them (and try to apologise): retry in here and carry the outcome out explicitly.
            # TurnContext.send_activity would make the post a reply to the continuation's made-up
            # activity id; sent as it is here, it is a new post (in a channel, a new thread).
            outgoing = TurnContext.apply_conversation_reference(activity, reference)
            outgoing.reply_to_id = None
            try:
                await with_retry(
                    lambda: turn_context.adapter.send_activities(turn_context, [outgoing]),
                    what=f"post to {conversation_id}",
                )
            except BaseException as error:
                failure.append(error)

        await self.pacer.run(
            conversation_id,
            lambda: self.adapter.continue_conversation(reference, send, self.app_id or None),
        )
        if not failure:
            return
        if isinstance(failure[0], ConversationGone):
            await asyncio.to_thread(
                self.conversations.forget, PLATFORM, conversation_id, now=self.clock.now()
            )
        raise failure[0]
