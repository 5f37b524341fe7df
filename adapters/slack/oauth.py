"""Installing into many workspaces: Slack's OAuth flow, on our database.

With a client id and secret, each workspace installs the app through /slack/install; slack_sdk's
SQLAlchemy stores keep the installations (the bot token per workspace) and the OAuth state, on
an async engine over the same database. The installation store is built once by
adapters/bootstrap.py and shared with the jobs' token lookup (installations.WorkspaceTokens)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from adapters.manifest import load_manifest
from adapters.settings import SlackSettings
from adapters.slack.client import web_client

STATE_SECONDS = 600  # how long an install link stays good


class SlackOAuth:
    """The install flow (`flow`, for Bolt) and its two stores' tables."""

    def __init__(
        self,
        settings: SlackSettings,
        installations: Any,
        *,
        on_installed: Callable[[str, str], None],
    ) -> None:
        """`on_installed(team_id, user_id)` runs once an install completes (the welcome DM)."""
        assert settings.client_secret is not None, "OAuth needs SLACK_CLIENT_SECRET"
        self.installations = installations
        self.states = AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=installations.engine
        )

        async def installed(args: AsyncSuccessArgs) -> BoltResponse:
            on_installed(args.installation.team_id or "", args.installation.user_id or "")
            return await args.default.success(args)

        async def failed(args: AsyncFailureArgs) -> BoltResponse:
            return await args.default.failure(args)

        oauth = AsyncOAuthSettings(
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            scopes=load_manifest()["oauth_config"]["scopes"]["bot"],
            installation_store=installations,
            state_store=self.states,
            callback_options=AsyncCallbackOptions(success=installed, failure=failed),
        )
        self.flow = AsyncOAuthFlow(client=web_client(settings, None), settings=oauth)

    async def create_tables(self) -> None:
        """The stores' own tables (slack_installations, slack_bots, slack_oauth_states)."""
        await self.installations.create_tables()
        await self.states.create_tables()  # type: ignore[no-untyped-call]
