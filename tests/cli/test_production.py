"""`HASANYONE_ENV=production` as an operator meets it: the real command, refusing what is unsafe.

Every refusal is one line per problem naming the environment variable, no traceback, and never
the value of anything that could be secret (DATABASE_URL's password, tokens, client secrets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DB_PASSWORD = "Wr0ng-but-Secret-Passw0rd-7731"
BOT_TOKEN = "xoxb-5551234567-7654321987-SecretBotTokenValue42"


def clean_environment(home: Path, **values: str) -> dict[str, str]:
    """This process's environment without any hasanyone, Slack or Teams setting, plus `values`."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HASANYONE_", "SLACK_", "MICROSOFT_APP_", "DATABASE_URL"))
    }
    return {**kept, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), **values}


def run(env: dict[str, str], *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def refusal_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The refusal's lines; fails the test unless it is a clean refusal."""
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output and "ValidationError" not in output, output
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_a_refused_start_names_each_problem_once_and_never_a_secret(tmp_path: Path) -> None:
    env = clean_environment(
        tmp_path,
        HASANYONE_ENV="production",
        DATABASE_URL=f"postgresql://hasanyone:{DB_PASSWORD}@127.0.0.1:5432/hasanyone",
        HASANYONE_PORT="eighty",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="changeme",
    )
    done = run(env, "serve")
    lines = refusal_lines(done)
    output = done.stdout + done.stderr
    assert DB_PASSWORD not in output
    assert BOT_TOKEN not in output and "SecretBotTokenValue42" not in output
    for variable in ("HASANYONE_PORT", "SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID"):
        naming = [line for line in lines if variable in line]
        assert len(naming) == 1, (variable, lines)
    assert not [line for line in lines if "eighty" in line], lines  # not even harmless values


@pytest.mark.parametrize("secret", ["password", "12345678", "Tr0ub4dor&3xyz"])
def test_weak_secrets_are_refused_in_production(tmp_path: Path, secret: str) -> None:
    env = clean_environment(
        tmp_path,
        HASANYONE_ENV="production",
        DATABASE_URL="postgresql://hasanyone@127.0.0.1:5432/hasanyone",
        HASANYONE_TEAMS_ENABLED="false",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=secret,
    )
    done = run(env, "serve")
    [line] = refusal_lines(done)
    assert line.startswith("SLACK_SIGNING_SECRET") and "weak" in line, line
    assert secret not in done.stdout + done.stderr


def test_a_weak_database_password_is_refused_without_showing_it(tmp_path: Path) -> None:
    env = clean_environment(
        tmp_path,
        HASANYONE_ENV="production",
        DATABASE_URL="postgresql://hasanyone:12345678@127.0.0.1:5432/hasanyone",
        HASANYONE_TEAMS_ENABLED="false",
    )
    done = run(env, "db", "upgrade")
    [line] = refusal_lines(done)
    assert line.startswith("DATABASE_URL") and "weak" in line, line
    assert "12345678" not in done.stdout + done.stderr


def test_production_needs_a_database_url_and_makes_no_file_in_home(tmp_path: Path) -> None:
    env = clean_environment(tmp_path, HASANYONE_ENV="production", HASANYONE_TEAMS_ENABLED="false")
    [line] = refusal_lines(run(env, "serve"))
    assert line.startswith("DATABASE_URL") and "not set" in line, line
    assert not list(tmp_path.rglob("*.db"))


def test_production_takes_sqlite_only_when_allowed_and_then_warns(tmp_path: Path) -> None:
    env = clean_environment(
        tmp_path,
        HASANYONE_ENV="production",
        HASANYONE_TEAMS_ENABLED="false",
        DATABASE_URL=f"sqlite:///{tmp_path}/register.db",
    )
    [line] = refusal_lines(run(env, "db", "stats"))
    assert line.startswith("DATABASE_URL") and "HASANYONE_ALLOW_SQLITE=true" in line, line
    allowed = run({**env, "HASANYONE_ALLOW_SQLITE": "true"}, "db", "stats")
    assert allowed.returncode == 0, allowed.stderr
    assert "network file system" in allowed.stderr


def test_production_starts_with_an_empty_register_unless_demo_data_is_asked_for(
    tmp_path: Path,
) -> None:
    env = clean_environment(
        tmp_path,
        HASANYONE_ENV="production",
        HASANYONE_TEAMS_ENABLED="false",
        HASANYONE_ALLOW_SQLITE="true",
        HASANYONE_LOG_LEVEL="ERROR",
        DATABASE_URL=f"sqlite:///{tmp_path}/register.db",
    )
    empty = run(env, "db", "stats")
    assert empty.returncode == 0, empty.stderr
    counts = json.loads(empty.stdout)
    assert {k: counts.get(k) for k in ("organisation", "project", "weeknote")} == dict.fromkeys(
        ("organisation", "project", "weeknote")
    )
    assert counts["passages"] == 0
    demo = run({**env, "HASANYONE_DEMO_DATA": "true"}, "db", "stats")
    assert demo.returncode == 0, demo.stderr
    assert json.loads(demo.stdout)["project"] > 40


def test_development_still_loads_the_demo_data(tmp_path: Path) -> None:
    env = clean_environment(
        tmp_path, HASANYONE_LOG_LEVEL="ERROR", DATABASE_URL=f"sqlite:///{tmp_path}/dev.db"
    )
    done = run(env, "db", "stats")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["project"] > 40


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    env = clean_environment(
        tmp_path,
        HASANYONE_ENV="production",
        HASANYONE_TEAMS_ENABLED="false",
        DATABASE_URL=f"postgresql://hasanyone:{DB_PASSWORD}@127.0.0.1:9/hasanyone",
    )
    done = run(env, "serve")
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output, output
    assert DB_PASSWORD not in output
    assert [line for line in done.stderr.splitlines() if line.startswith("DATABASE_URL")], output


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql//hasanyone:{DB_PASSWORD}@db/hasanyone",  # no colon: unparseable
        f"mysql://hasanyone:{DB_PASSWORD}@db/hasanyone",  # not a database we run on
    ],
)
def test_a_malformed_database_url_is_named_without_echoing_it(tmp_path: Path, url: str) -> None:
    env = clean_environment(
        tmp_path, HASANYONE_ENV="production", HASANYONE_TEAMS_ENABLED="false", DATABASE_URL=url
    )
    [line] = refusal_lines(run(env, "db", "upgrade"))
    assert line.startswith("DATABASE_URL: not a database URL"), line
    assert DB_PASSWORD not in line
