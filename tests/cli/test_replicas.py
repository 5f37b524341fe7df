"""Replicas as a deployment runs them: several `hasanyone serve` processes on one database.

They start together on an empty database, migrate it once between them and all come up; with
PostgreSQL exactly one leads the scheduler, which each says at /healthz."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tests.cli.test_production import clean_environment
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
HEALTHY_WITHIN = 150  # seconds, for several processes starting at once on two cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def health(self) -> dict[str, Any] | None:
        """/healthz's body, or None while it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=3) as r:
                return dict(json.loads(r.read()))
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def wait_healthy(self, deadline: float) -> dict[str, Any]:
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (
                f"exited {self.process.returncode}:\n{self.output()}"
            )
            if (body := self.health()) is not None:
                return body
            time.sleep(0.3)
        pytest.fail(f"no answer at /healthz:\n{self.output()}")


class Servers:
    """Starts `hasanyone serve` processes; stops every one at the end of the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[Server] = []

    def start(self, env: dict[str, str], *args: str) -> Server:
        port = free_port()
        log = self.tmp_path / f"serve-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "adapters", "serve", "--port", str(port), *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, port, log)
        self.started.append(server)
        return server

    def stop(self, server: Server) -> None:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(10)

    def stop_all(self) -> None:
        for server in self.started:
            self.stop(server)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    started = Servers(tmp_path)
    yield started
    started.stop_all()


def replica_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """Production on PostgreSQL; development on SQLite (one machine, with the demo data)."""
    if database_url.startswith("sqlite"):
        return clean_environment(tmp_path, DATABASE_URL=database_url, **extra)
    return clean_environment(
        tmp_path,
        HASANYONE_ENV="production",
        HASANYONE_TEAMS_ENABLED="false",
        DATABASE_URL=database_url,
        **extra,
    )


def schedulers(running: list[Server], deadline: float) -> list[str]:
    """Each server's /healthz 'scheduler', once one of them has taken the lead."""
    while time.monotonic() < deadline:
        states = [server.wait_healthy(deadline)["scheduler"] for server in running]
        if "leader" in states:
            return states
        time.sleep(0.3)
    pytest.fail(f"nobody leads: {states}")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, from `variables` only."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3) or ""
        if name in variables and variables[name] != "":
            return variables[name]
        assert kind != "?", f"compose would stop: {name}: {rest}"
        return rest if kind == "-" else ""

    return re.sub(r"\$\{(\w+)(?::([-?])([^}]*))?\}", one, value)


def alembic_rows(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return [row[0] for row in c.execute(sa.text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def head() -> str | None:
    from alembic.script import ScriptDirectory

    from knowledge.db import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


@pytest.mark.slow
def test_four_replicas_started_together_on_an_empty_database_all_come_up(
    database_url: str, servers: Servers, tmp_path: Path
) -> None:
    env = replica_env(tmp_path, database_url)
    running = [servers.start(env) for _ in range(4)]
    deadline = time.monotonic() + HEALTHY_WITHIN
    states = schedulers(running, deadline)
    assert alembic_rows(database_url) == [head()]
    if database_url.startswith("sqlite"):
        assert states == ["leader"] * 4  # SQLite serves one machine: each process leads itself
        assert (
            json.loads(
                subprocess.run(
                    [sys.executable, "-m", "adapters", "db", "stats"],
                    env={**env, "HASANYONE_LOG_LEVEL": "ERROR"},
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=60,
                ).stdout
            )["project"]
            > 40
        )  # the demo data went in once, under the same lock
    else:
        assert sorted(states) == ["leader", "standby", "standby", "standby"]
        time.sleep(1)
        assert sorted(s.wait_healthy(deadline)["scheduler"] for s in running) == sorted(states)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_compose_topology_gives_two_replicas_and_one_leader(
    postgres_url: str, servers: Servers, tmp_path: Path
) -> None:
    """compose.yaml's two replicas, run as plain processes: the same environment (the
    database URL pointing at the test server), each on its own port."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    replicas = [
        service
        for service in compose["services"].values()
        if service.get("command", ["hasanyone", "serve"])[:2] == ["hasanyone", "serve"]
        and "build" in service
    ]
    assert len(replicas) == 2
    running = []
    for service in replicas:
        variables = {"POSTGRES_PASSWORD": "compose-test-password-0123456789"}
        environment = {k: interpolate(str(v), variables) for k, v in service["environment"].items()}
        assert environment["DATABASE_URL"].startswith("postgresql://hasanyone:compose-test")
        environment["DATABASE_URL"] = postgres_url
        running.append(servers.start(clean_environment(tmp_path, **environment)))
    states = schedulers(running, time.monotonic() + HEALTHY_WITHIN)
    assert sorted(states) == ["leader", "standby"]


@pytest.mark.slow
def test_with_migrate_false_the_server_waits_for_the_release_step(
    database_url: str, servers: Servers, tmp_path: Path
) -> None:
    env = replica_env(tmp_path, database_url, HASANYONE_MIGRATE="false")
    refused = subprocess.run(
        [sys.executable, "-m", "adapters", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    [line] = refused.stderr.strip().splitlines()
    assert "HASANYONE_MIGRATE" in line and "hasanyone db upgrade" in line
    upgrade = subprocess.run(
        [sys.executable, "-m", "adapters", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert servers.start(env).wait_healthy(time.monotonic() + HEALTHY_WITHIN)["status"] == "ok"


@pytest.mark.slow
@pytest.mark.postgres
def test_the_leader_lock_goes_over_the_leader_database_url(
    postgres_url: str, servers: Servers, tmp_path: Path
) -> None:
    """HASANYONE_LEADER_DATABASE_URL (a session-mode connection past a transaction-mode
    pooler) is where the scheduler's advisory lock is held, not DATABASE_URL."""
    name = f"hasanyone-leader-{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in POSTGRES_URL else "?"
    env = replica_env(
        tmp_path,
        postgres_url,
        HASANYONE_LEADER_DATABASE_URL=f"{POSTGRES_URL}{sep}application_name={name}",
    )
    server = servers.start(env)
    assert schedulers([server], time.monotonic() + HEALTHY_WITHIN) == ["leader"]
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as c:
            held = c.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = :name"
                ),
                {"name": name},
            ).scalar()
    finally:
        engine.dispose()
    assert held == 1
