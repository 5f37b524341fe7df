"""Slack installations: which bot token to use for a workspace.

With one workspace the token is SLACK_BOT_TOKEN. With OAuth installs (several workspaces) each
workspace's token is the one stored when it installed the app, in slack_sdk's SQLAlchemy
installation store on our own database (an async engine: aiosqlite or psycopg)."""

from __future__ import annotations

from typing import Any

from adapters.settings import SlackSettings


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

    def __init__(self, settings: SlackSettings, installations: Any = None) -> None:
        """`installations`: the OAuth installation store (the one the Slack app uses), or None
        for a single workspace."""
        self.fixed = settings.bot_token.get_secret_value() if settings.bot_token else None
        self.installations = installations if settings.oauth else None

    async def __call__(self, workspace_id: str) -> str | None:
        if self.installations is None:
            return self.fixed
        bot = await self.installations.async_find_bot(
            enterprise_id=None, team_id=workspace_id or None
        )
        return str(bot.bot_token) if bot is not None and bot.bot_token else None

    async def close(self) -> None:
        """Return the installation store's connections (it is shared with the Slack app)."""
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
