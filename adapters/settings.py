"""Settings, read from the environment only when the composition root asks for them.

A setting that is wrong is reported as one line naming its environment variable and what is
wrong with it, never with its value: `load_settings` turns pydantic's errors into those lines.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.clock import zone_named

PLACEHOLDERS = ("changeme", "change-me", "placeholder", "your-", "xxx", "todo", "example")
MIN_SECRET_LENGTH = 16  # "password" and "12345678" are short too; real tokens are far longer
MIN_DISTINCT_CHARACTERS = 5


def default_database_url() -> str:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'hasanyone' / 'hasanyone.db'}"


class SlackSettings(BaseSettings):
    """Slack is off until a bot token and signing secret are set."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore", env_ignore_empty=True)

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    timeout: float = 30.0  # seconds a Web API call may take before it counts as failed
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
    model_config = SettingsConfigDict(
        env_prefix="MICROSOFT_APP_", extra="ignore", env_ignore_empty=True
    )

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

    # An empty variable counts as unset: compose's ${SLACK_BOT_TOKEN:-} and an empty App
    # Service setting mean "not configured", not an empty secret.
    model_config = SettingsConfigDict(
        env_prefix="HASANYONE_", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    env: Literal["development", "test", "production"] = "development"
    # repr=False: a database URL may carry its password.
    database_url: str = Field(
        default_factory=default_database_url, validation_alias="DATABASE_URL", repr=False
    )
    # A session-mode connection for the PostgreSQL advisory locks (the scheduler's leader,
    # migrations at start), for when DATABASE_URL goes through a transaction-mode pooler.
    leader_database_url: str | None = Field(default=None, repr=False)
    allow_sqlite: bool = False  # production only: SQLite instead of PostgreSQL, one replica
    migrate: bool = True  # false: `hasanyone db upgrade` runs as a release step instead
    demo_data: bool = True  # in production only when set explicitly
    timezone: str = "Europe/London"
    log_level: str = "INFO"
    # json: one object a line, for a log collector; text: one readable line, for a terminal.
    log_format: Literal["text", "json"] = "text"
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    teams_enabled: bool = True
    # Teams with no app id answers only the Bot Framework Emulator on this machine, and only
    # when asked to: otherwise anyone could make the bot post to an address of their choosing.
    teams_local: bool = False
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

    @field_validator("database_url", "leader_database_url")
    @classmethod
    def _a_database_url(cls, value: str | None) -> str | None:
        """PostgreSQL or SQLite, and parseable; the message never repeats the URL."""
        if value is None:
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except (ArgumentError, ValueError):
            backend = None
        if backend not in ("postgresql", "postgres", "sqlite"):
            raise ValueError(
                "not a database URL hasanyone can use: postgresql://user:password@host:5432/db "
                "or sqlite:///path/to/file.db"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _a_known_timezone(cls, value: str) -> str:
        if zone_named(value) is None:
            raise ValueError("not a timezone: use an IANA name such as Europe/London")
        return value

    @field_validator("log_level")
    @classmethod
    def _a_logging_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("log_format", mode="before")
    @classmethod
    def _a_log_format(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("text", "json"):
            return value.strip().lower()
        if isinstance(value, str):
            raise ValueError("must be json or text")
        return value

    @field_validator("community_managers", mode="before")
    @classmethod
    def _split_on_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @model_validator(mode="after")
    def _safe_outside_development(self) -> Settings:
        """Every problem at once, one a line, so an operator fixes them in one go."""
        if self.env == "production" and "demo_data" not in self.model_fields_set:
            self.demo_data = False  # a production register starts empty unless asked
        problems = [] if self.env == "development" else _secret_problems(self)
        if self.env == "production":
            problems = _production_problems(self) + problems
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def warnings(self) -> list[str]:
        """Allowed, but worth saying at every start."""
        if self.env == "production" and self.database_url.startswith("sqlite"):
            return [
                "DATABASE_URL is SQLite in production (HASANYONE_ALLOW_SQLITE=true): run one "
                "replica only, and keep the file on a local disk, never on a network file "
                "system (SMB, NFS, Azure Files), whose locking SQLite cannot trust"
            ]
        return []


def _production_problems(settings: Settings) -> list[str]:
    problems = []
    if "database_url" not in settings.model_fields_set:
        problems.append(
            "DATABASE_URL is not set: production needs PostgreSQL, "
            "e.g. postgresql://hasanyone@db.internal:5432/hasanyone"
        )
    elif settings.database_url.startswith("sqlite") and not settings.allow_sqlite:
        problems.append(
            "DATABASE_URL is SQLite: production needs PostgreSQL (set "
            "HASANYONE_ALLOW_SQLITE=true to run a single replica on a local SQLite file)"
        )
    for name, url in (
        ("DATABASE_URL", settings.database_url),
        ("HASANYONE_LEADER_DATABASE_URL", settings.leader_database_url),
    ):
        password = _password_in(url)
        if password is not None and _weakness(password):
            problems.append(f"{name} has a weak password ({_weakness(password)}); use a real one")
    if not settings.teams.auth_enabled and settings.teams_enabled:
        problems.append(
            "MICROSOFT_APP_ID is not set, so Teams would run without authentication: set "
            "MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID, "
            "or HASANYONE_TEAMS_ENABLED=false"
        )
    if settings.teams_local and settings.teams_enabled:
        problems.append(
            "HASANYONE_TEAMS_LOCAL=true runs Teams without authentication, which production "
            "refuses: set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID"
        )
    return problems + _missing_partners(settings)


def _missing_partners(settings: Settings) -> list[str]:
    """Settings that only work together: one without the other is a mistake in production."""
    slack, teams = settings.slack, settings.teams
    problems = []
    if (slack.bot_token or slack.client_id) and not slack.signing_secret:
        problems.append("SLACK_SIGNING_SECRET is not set: Slack cannot check its requests")
    if slack.client_id and not slack.client_secret:
        problems.append("SLACK_CLIENT_SECRET is not set: SLACK_CLIENT_ID needs it for OAuth")
    if teams.auth_enabled and teams.type != "UserAssignedMSI":
        if teams.password is None:
            problems.append("MICROSOFT_APP_PASSWORD is not set: MICROSOFT_APP_ID needs it")
        if teams.type == "SingleTenant" and not teams.tenant_id:
            problems.append("MICROSOFT_APP_TENANT_ID is not set: a SingleTenant bot needs it")
    return problems


def _secret_problems(settings: Settings) -> list[str]:
    secrets = {
        "SLACK_BOT_TOKEN": settings.slack.bot_token,
        "SLACK_SIGNING_SECRET": settings.slack.signing_secret,
        "SLACK_APP_TOKEN": settings.slack.app_token,
        "SLACK_CLIENT_SECRET": settings.slack.client_secret,
        "MICROSOFT_APP_PASSWORD": settings.teams.password,
    }
    problems = []
    for name, value in secrets.items():
        if value is None:
            continue
        secret = value.get_secret_value()
        if _looks_like_placeholder(secret):
            problems.append(f"{name} looks like a placeholder; set the real value")
        elif weakness := _weakness(secret):
            problems.append(f"{name} is a weak secret ({weakness}); set the real value")
    return problems


def _looks_like_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return any(mark in lowered for mark in PLACEHOLDERS)


def _weakness(value: str) -> str | None:
    """Why `value` is too weak to be a secret, or None. Never says what the value is."""
    stripped = value.strip()
    if len(stripped) < MIN_SECRET_LENGTH:
        return f"under {MIN_SECRET_LENGTH} characters"
    if len(set(stripped)) < MIN_DISTINCT_CHARACTERS:
        return f"fewer than {MIN_DISTINCT_CHARACTERS} different characters"
    return None


def _password_in(url: str | None) -> str | None:
    if not url or "://" not in url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


class SettingsError(Exception):
    """The settings cannot be used; `problems` are one line each, naming the variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings() -> Settings:
    """Settings from the environment, or SettingsError listing every problem found.

    A field that does not parse hides the checks that need every field, so those are run
    again with the bad fields at their defaults: one run lists everything."""
    try:
        return Settings()
    except ValidationError as error:
        problems, bad_fields = _describe(error)
    if bad_fields:
        named = {_variable_in(problem) for problem in problems}
        defaults = {
            name: Settings.model_fields[name].get_default(call_default_factory=True)
            for name in bad_fields
        }
        try:
            Settings(**defaults)
        except ValidationError as error:
            more, _ = _describe(error)
            # not what the defaults stand in for (a default SQLite DATABASE_URL, say)
            problems += [p for p in more if p not in problems and _variable_in(p) not in named]
    raise SettingsError(problems)


def _variable_in(problem: str) -> str:
    return problem.split(" ", 1)[0].rstrip(":")


def _describe(error: ValidationError) -> tuple[list[str], set[str]]:
    """One line per error naming the variable, and the top-level fields that did not parse.
    pydantic's own text would show the input, which may be a secret."""
    models: dict[str, type[BaseSettings]] = {
        "SlackSettings": SlackSettings,
        "TeamsSettings": TeamsSettings,
    }
    model = models.get(error.title, Settings)
    lines, fields = [], set()
    for item in error.errors(include_input=False, include_url=False):
        loc = [str(part) for part in item["loc"]]
        if not loc:  # our own checks: already one line per problem
            lines += str(item["ctx"]["error"] if "ctx" in item else item["msg"]).splitlines()
            continue
        lines.append(f"{env_name(model, loc)}: {_plain(item['msg'])}")
        if model is Settings and _field_named(loc[0]) in Settings.model_fields:
            fields.add(_field_named(loc[0]))
    return lines, fields


def _field_named(key: str) -> str:
    """The field an error's location names: its own name, or its alias (DATABASE_URL)."""
    for name, field in Settings.model_fields.items():
        if key in (name, field.validation_alias):
            return name
    return key


def env_name(model: type[BaseModel], loc: list[str]) -> str:
    """The environment variable behind a field's location, e.g. ["slack", "bot_token"]."""
    field = model.model_fields.get(_field_named(loc[0]) if model is Settings else loc[0])
    if field is not None and isinstance(field.validation_alias, str):
        return field.validation_alias
    if model is Settings and loc[0] in ("slack", "teams") and len(loc) > 1:
        return env_name(SlackSettings if loc[0] == "slack" else TeamsSettings, loc[1:])
    prefix = str(model.model_config.get("env_prefix", ""))
    return f"{prefix}{loc[0]}".upper()


def _plain(message: str) -> str:
    """pydantic's message, without its 'Value error, ' preamble."""
    return message.removeprefix("Value error, ")
