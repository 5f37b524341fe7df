"""Settings come from the environment, and obviously wrong ones are refused before anything starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "HASANYONE_ENV",
        "HASANYONE_TEAMS_ENABLED",
        "HASANYONE_COMMUNITY_MANAGERS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_environment_variables_reach_their_sub_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234567890-abcdefghij")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "tenant-1")
    monkeypatch.setenv("HASANYONE_TEAMS_ENABLED", "false")
    settings = Settings()
    assert settings.database_url == "postgresql://postgres@127.0.0.1/x"
    assert settings.slack.enabled and settings.teams.tenant_id == "tenant-1"
    assert settings.teams_enabled is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("slack:T0001:U123,teams:tenant:aad-id", ["slack:T0001:U123", "teams:tenant:aad-id"]),
        (" slack:T0001:U123 , ,teams:tenant:aad-id, ", ["slack:T0001:U123", "teams:tenant:aad-id"]),
        ("slack:T0001:U123", ["slack:T0001:U123"]),
        ("", []),
    ],
)
def test_community_managers_are_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("HASANYONE_COMMUNITY_MANAGERS", value)
    assert Settings().community_managers == expected


def test_there_are_no_community_managers_unless_configured() -> None:
    assert Settings().community_managers == []


@pytest.mark.parametrize("secret", ["changeme", "your-signing-secret", "xxx", "short"])
def test_placeholder_secrets_are_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "production")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", secret)
    monkeypatch.setenv("HASANYONE_TEAMS_ENABLED", "false")
    with pytest.raises(ValidationError, match="SLACK_SIGNING_SECRET looks like a placeholder"):
        Settings()


def test_development_tolerates_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "changeme")
    assert Settings().slack.signing_secret is not None


def test_production_refuses_teams_without_authentication(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "production")
    with pytest.raises(ValidationError, match="Teams would run without authentication"):
        Settings()
    monkeypatch.setenv("HASANYONE_TEAMS_ENABLED", "false")
    assert Settings().teams_enabled is False


def test_secrets_never_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "0123456789abcdef0123456789abcdef")
    assert "0123456789abcdef" not in repr(Settings())
