"""The app's life in a workspace: installed (a welcome to whoever installed it), its App Home
opened, and uninstalled or its bot token revoked (its installation removed, so nothing is posted
with a dead token, and its digests paused, with a note to the community managers)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import call_or_log
from adapters.slack.home import home_view
from adapters.slack.incoming import PLATFORM, event_team, person
from bot.commands.help import welcome_reply
from bot.model import Reply
from bot.ports import Clock, HomeSource, Outbox, Subscriptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    clock: Clock
    outbox: Outbox
    register: HomeSource
    subscriptions: Subscriptions
    community_managers: frozenset[str]  # told when a workspace's digests are paused
    installations: Any = None  # slack_sdk's installation store, when the app installs by OAuth

    def welcome(self, team: str, user: str) -> None:
        """One direct message to whoever installed the app into a workspace, through the
        outbox (so it goes once, however many times the install is completed)."""
        if not (team and user):
            return
        reply = welcome_reply(in_channel=False)
        key = person(team, user).key
        self.outbox.enqueue(f"slack-welcome:{team}", key, reply, now=self.clock.now())

    # -- the App Home ------------------------------------------------------------------------

    async def on_home(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        context: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user", ""))
        team = event_team(body, context)
        view = await asyncio.to_thread(self._home, team, person(team, user).key)
        await call_or_log(client.views_publish, user_id=user, view=view)

    def _home(self, team: str, key: str) -> dict[str, Any]:
        return home_view(self.register, team=team, key=key, now=self.clock.now())

    # -- uninstalls --------------------------------------------------------------------------

    async def on_uninstalled(self, body: dict[str, Any], context: dict[str, Any]) -> None:
        await self._workspace_gone(event_team(body, context), "the app was uninstalled")

    async def on_tokens_revoked(
        self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]
    ) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await self._workspace_gone(event_team(body, context), "its bot token was revoked")

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
            self._tell_managers(team, why, paused)

    def _tell_managers(self, team: str, why: str, paused: int) -> None:
        now = self.clock.now()
        note = Reply(
            text=(
                f"hasanyone was removed from Slack workspace {team} ({why}): its {paused} "
                "digest subscriptions are paused until it is installed again."
            )
        )
        for key in self.community_managers:
            self.outbox.enqueue(f"uninstalled:{team}:{now.isoformat()}:{key}", key, note, now=now)
