"""hasanyone in Slack: one Bolt app with the listeners of adapters/slack/listeners/ registered
on it, which translate, call the core, and render.

Every listener acknowledges first and works afterwards, so Slack hears back within 3 seconds
(adapters/slack/listeners/__init__.py says how). Exactly once: every delivery Slack may repeat
is claimed first (adapters/slack/listeners/once.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

from adapters.settings import SlackSettings
from adapters.slack.client import web_client
from adapters.slack.listeners.commands import Commands
from adapters.slack.listeners.interactions import Interactions
from adapters.slack.listeners.kinds import ChannelKinds
from adapters.slack.listeners.lifecycle import Lifecycle
from adapters.slack.listeners.messages import Messages
from adapters.slack.listeners.once import Once
from adapters.slack.oauth import SlackOAuth
from bot.commands import Services
from bot.dispatch import Bot
from bot.ports import Clock, HomeSource, Outbox, ProcessedEvents, Subscriptions

log = logging.getLogger(__name__)
COMMANDS = ("/hasanyone", "/weeknote", "/project", "/digest")
EVENTS = ("app_mention", "message", "app_home_opened", "app_uninstalled", "tokens_revoked")
SHORTCUTS = ("ask_about_message", "post_weeknote")  # app.yaml's shortcuts' callback ids


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
    """The Bolt app (`bolt`) with every listener registered, and its install flow (`oauth`)."""

    def __init__(
        self,
        *,
        settings: SlackSettings,
        bot: Bot,
        clock: Clock,
        processed: ProcessedEvents,
        outbox: Outbox,
        services: Services,
        register: HomeSource,
        subscriptions: Subscriptions,
        community_managers: frozenset[str],
        installations: Any = None,
    ) -> None:
        """`processed` claims event, command and submission ids; `register` is what the App Home
        shows; `installations`: slack_sdk's installation store, when the app installs by OAuth."""
        self.settings = settings
        self.installations = installations
        self._once = Once(processed, clock=clock)
        kinds = ChannelKinds()
        lifecycle = Lifecycle(
            clock=clock,
            outbox=outbox,
            register=register,
            subscriptions=subscriptions,
            community_managers=community_managers,
            installations=installations,
        )
        self.oauth = _install_flow(settings, installations, on_installed=lifecycle.welcome)
        self.bolt = _bolt_app(settings, self.oauth)
        self._add_listeners(
            Commands(bot=bot, clock=clock, once=self._once, community_managers=community_managers),
            Interactions(bot=bot, clock=clock, once=self._once, kinds=kinds, services=services),
            Messages(bot=bot, clock=clock, kinds=kinds),
            lifecycle,
        )

    async def create_oauth_tables(self) -> None:
        if self.oauth is not None:
            await self.oauth.create_tables()

    def _add_listeners(
        self,
        commands: Commands,
        interactions: Interactions,
        messages: Messages,
        lifecycle: Lifecycle,
    ) -> None:
        bolt = self.bolt
        bolt.middleware(self._once.drop_retried_events)
        for command in COMMANDS:
            bolt.command(command)(commands.on_command)
        bolt.view(re.compile(".*"))(interactions.on_view)
        bolt.action(re.compile(".*"))(interactions.on_button)
        bolt.options("project")(interactions.on_project_options)
        bolt.shortcut("ask_about_message")(interactions.on_message_shortcut)
        bolt.shortcut("post_weeknote")(interactions.on_weeknote_shortcut)
        handlers = {
            "app_mention": messages.on_mention,
            "message": messages.on_message,
            "app_home_opened": lifecycle.on_home,
            "app_uninstalled": lifecycle.on_uninstalled,
            "tokens_revoked": lifecycle.on_tokens_revoked,
        }
        for event in EVENTS:
            bolt.event(event)(handlers[event])
        bolt.error(_on_error)

    def close(self) -> None:
        self._once.close()


def _install_flow(
    settings: SlackSettings, installations: Any, *, on_installed: Callable[[str, str], None]
) -> SlackOAuth | None:
    """Slack's OAuth flow, when the app installs into many workspaces."""
    if settings.oauth and installations is not None and settings.client_secret is not None:
        return SlackOAuth(settings, installations, on_installed=on_installed)
    return None


def _bolt_app(settings: SlackSettings, oauth: SlackOAuth | None) -> AsyncApp:
    """Tokens passed explicitly: one bot token, or (installing by OAuth) one per workspace."""
    token = (
        settings.bot_token.get_secret_value() if settings.bot_token and not settings.oauth else None
    )
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
    return AsyncApp(
        signing_secret=secret,
        client=web_client(settings, token),
        logger=_bolt_logger(),
        oauth_flow=oauth.flow if oauth else None,
    )


async def _on_error(error: Exception, body: dict[str, Any]) -> None:
    log.error("Slack listener failed (%s)", type(error).__name__, exc_info=error)
