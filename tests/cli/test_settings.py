"""Settings come from the environment, and obviously wrong ones are refused before anything starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.settings import Settings, SettingsError, load_settings

PRODUCTION_DB = "postgresql://hasanyone@db.internal:5432/hasanyone"


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
        "HASANYONE_DEMO_DATA",
        "HASANYONE_ALLOW_SQLITE",
        "HASANYONE_MIGRATE",
        "HASANYONE_LEADER_DATABASE_URL",
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


@pytest.mark.parametrize("secret", ["changeme", "your-signing-secret", "xxx"])
def test_placeholder_secrets_are_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", PRODUCTION_DB)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", secret)
    monkeypatch.setenv("HASANYONE_TEAMS_ENABLED", "false")
    with pytest.raises(ValidationError, match="SLACK_SIGNING_SECRET looks like a placeholder"):
        Settings()


def test_development_tolerates_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "changeme")
    assert Settings().slack.signing_secret is not None


@pytest.mark.parametrize("env", ["test", "production"])
@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("password", "under 16 characters"),
        ("12345678", "under 16 characters"),
        ("s3cr3t-but-15ch", "under 16 characters"),
        ("abababababababababab", "fewer than 5 different characters"),
    ],
)
def test_weak_secrets_are_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, env: str, secret: str, why: str
) -> None:
    monkeypatch.setenv("HASANYONE_ENV", env)
    monkeypatch.setenv("DATABASE_URL", PRODUCTION_DB)
    monkeypatch.setenv("HASANYONE_TEAMS_ENABLED", "false")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", secret)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert refused.value.problems == [
        f"MICROSOFT_APP_PASSWORD is a weak secret ({why}); set the real value"
    ]


def test_a_real_looking_secret_of_sixteen_characters_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "9f86d081884c7d65")
    assert load_settings().slack.signing_secret is not None


def test_every_problem_is_listed_at_once_each_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "production")
    monkeypatch.setenv("HASANYONE_PORT", "99999")
    monkeypatch.setenv("HASANYONE_TIMEZONE", "Mars/Olympus_Mons")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "SingleTenant")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-5551234567-7654321987-SecretBotTokenValue42")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    names = [problem.split(" ", 1)[0].rstrip(":") for problem in refused.value.problems]
    assert names == [
        "HASANYONE_TIMEZONE",
        "HASANYONE_PORT",
        "DATABASE_URL",
        "MICROSOFT_APP_ID",
        "SLACK_SIGNING_SECRET",
    ]
    assert "SecretBotTokenValue42" not in str(refused.value)


def test_production_loads_demo_data_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", PRODUCTION_DB)
    monkeypatch.setenv("HASANYONE_TEAMS_ENABLED", "false")
    assert load_settings().demo_data is False
    monkeypatch.setenv("HASANYONE_DEMO_DATA", "true")
    assert load_settings().demo_data is True
    monkeypatch.setenv("HASANYONE_ENV", "development")
    monkeypatch.delenv("HASANYONE_DEMO_DATA")
    assert load_settings().demo_data is True


def test_the_lock_url_and_migrate_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HASANYONE_LEADER_DATABASE_URL", "postgresql://lead@db:5432/hasanyone")
    monkeypatch.setenv("HASANYONE_MIGRATE", "false")
    settings = load_settings()
    assert settings.leader_database_url == "postgresql://lead@db:5432/hasanyone"
    assert settings.migrate is False


def test_database_urls_never_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:Wr0ng-but-Secret-7731@db/x")
    monkeypatch.setenv(
        "HASANYONE_LEADER_DATABASE_URL", "postgresql://app:Wr0ng-but-Secret-7731@db/x"
    )
    assert "Wr0ng-but-Secret" not in repr(load_settings())


def test_production_refuses_teams_without_authentication(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", PRODUCTION_DB)
    with pytest.raises(ValidationError, match="Teams would run without authentication"):
        Settings()
    monkeypatch.setenv("HASANYONE_TEAMS_ENABLED", "false")
    assert Settings().teams_enabled is False


def test_secrets_never_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "0123456789abcdef0123456789abcdef")
    assert "0123456789abcdef" not in repr(Settings())


def test_a_bad_field_is_named_once_and_not_again_for_the_default_standing_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HASANYONE_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "mysql://app:Wr0ng-but-Secret-7731@db/x")
    monkeypatch.setenv("HASANYONE_PORT", "0")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    names = [problem.split(" ", 1)[0].rstrip(":") for problem in refused.value.problems]
    assert names == ["DATABASE_URL", "HASANYONE_PORT", "MICROSOFT_APP_ID"]
    assert "Wr0ng-but-Secret" not in str(refused.value)
