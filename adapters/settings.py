"""Settings, read from the environment only when the composition root asks for them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDERS = ("changeme", "change-me", "placeholder", "your-", "xxx", "todo", "example")


def default_database_url() -> str:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'hasanyone' / 'hasanyone.db'}"


class SlackSettings(BaseSettings):
    """Slack is off until a bot token and signing secret are set."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore")

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    client_id: str | None = None
    client_secret: SecretStr | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.signing_secret and (self.bot_token or self.client_id))

    @property
    def oauth(self) -> bool:
        """Installed into workspaces through OAuth: each has its own token, in our database."""
        return bool(self.client_id and self.client_secret)

    @property
    def can_post(self) -> bool:
        """Can post on its own (digests, reminders): a bot token, or installations to look up."""
        return self.oauth or self.bot_token is not None


class TeamsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MICROSOFT_APP_", extra="ignore")

    id: str = ""
    password: SecretStr | None = None
    tenant_id: str = ""
    type: Literal["SingleTenant", "MultiTenant", "UserAssignedMSI"] = "SingleTenant"
    # Where incoming tokens' signing keys are published, and where outgoing tokens come from.
    # Unset means Microsoft's public cloud; tests point them at a local identity server.
    openid_metadata_url: str | None = None
    login_url: str | None = None

    @property
    def auth_enabled(self) -> bool:
        return bool(self.id)


class Settings(BaseSettings):
    """Everything the app needs; see the configuration table in the README."""

    model_config = SettingsConfigDict(
        env_prefix="HASANYONE_", extra="ignore", populate_by_name=True
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=default_database_url, validation_alias="DATABASE_URL")
    demo_data: bool = True
    timezone: str = "Europe/London"
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 3000
    teams_enabled: bool = True
    # Semantic search: passage embeddings fused with the lexical index. False: lexical only.
    semantic: bool = True
    # Another fastembed model (a name it can download, or a local folder); unset: the shipped
    # all-MiniLM-L6-v2, which needs no network.
    embedding_model: str | None = None
    # Person keys ("slack:T0001:U123", "teams:<tenant>:<aad-object-id>") who count as a channel
    # admin everywhere. NoDecode: the environment gives a comma-separated string, not JSON.
    community_managers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    teams: TeamsSettings = Field(default_factory=TeamsSettings)

    @field_validator("community_managers", mode="before")
    @classmethod
    def _split_on_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        if self.env == "production" and not self.teams.auth_enabled and self.teams_enabled:
            raise ValueError(
                "Teams would run without authentication: set MICROSOFT_APP_ID, "
                "MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID, "
                "or HASANYONE_TEAMS_ENABLED=false"
            )
        if self.env == "development":
            return self
        secrets = {
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_SIGNING_SECRET": self.slack.signing_secret,
            "SLACK_APP_TOKEN": self.slack.app_token,
            "SLACK_CLIENT_SECRET": self.slack.client_secret,
            "MICROSOFT_APP_PASSWORD": self.teams.password,
        }
        for name, value in secrets.items():
            if value is not None and _looks_like_placeholder(value.get_secret_value()):
                raise ValueError(f"{name} looks like a placeholder; set the real value")
        return self


def _looks_like_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return len(lowered) < 8 or any(mark in lowered for mark in PLACEHOLDERS)
