"""Shared fixtures: a socket guard, databases (SQLite always, PostgreSQL where it answers)."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from adapters.app import App
from adapters.bootstrap import build_app
from adapters.settings import Settings
from bot.clock import FixedClock
from bot.model import ProjectDraft, Stage

LONDON = ZoneInfo("Europe/London")
POSTGRES_URL = os.environ.get(
    "HASANYONE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
POSTGRES_REQUIRED = os.environ.get("HASANYONE_TEST_POSTGRES") == "required"
LOOPBACK = ("127.", "::1", "localhost")

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(LOOPBACK):
        raise RuntimeError(f"test tried to reach {address!r}: tests never leave this machine")
    _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_internet() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _guarded_connect)
        yield


def postgres_answers() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL} did not answer: {type(exc).__name__}"
    return None


_PG_PROBLEM: list[str | None] = []


def _pg_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(postgres_answers())
    return _PG_PROBLEM[0]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL server, dropped afterwards."""
    problem = _pg_problem()
    if problem:
        if POSTGRES_REQUIRED:
            pytest.fail(problem + " (HASANYONE_TEST_POSTGRES=required)")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 3, 12, 10, 30, tzinfo=LONDON))  # a Wednesday


def make_app(url: str, clock: FixedClock, *, demo: bool = True) -> App:
    settings = Settings(env="test", database_url=url, demo_data=demo)
    return build_app(settings, clock=clock)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo data, built once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "demo.db"
    app = make_app(f"sqlite:///{path}", FixedClock(datetime(2025, 3, 12, 10, 30, tzinfo=LONDON)))
    app.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_demo_schema() -> Iterator[str]:
    """A PostgreSQL schema with the demo data, built once; each test copies its rows."""
    problem = _pg_problem()
    if problem:
        pytest.skip(problem)
    schema = f"tmpl_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    app = make_app(_in_schema(schema), FixedClock(datetime(2025, 3, 12, 10, 30, tzinfo=LONDON)))
    app.engine.dispose()
    yield schema
    with admin.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _in_schema(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


def _copy_demo_rows(app: App, template: str) -> None:
    """The template's rows into this test's freshly migrated schema: the same data as loading
    the demo set, in a fraction of the time. Sequences move past the copied ids."""
    from sqlmodel import SQLModel

    with app.engine.begin() as c:
        # Rows exactly as they are, the change feed's included: no trigger fires for the copy.
        c.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in SQLModel.metadata.sorted_tables:
            c.execute(
                sa.text(f'INSERT INTO "{table.name}" SELECT * FROM "{template}"."{table.name}"')
            )
            for column in table.primary_key.columns:
                if isinstance(column.type, sa.Integer) and column.autoincrement is not False:
                    c.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                            f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                        )
                    )


@pytest.fixture
def demo_app(database_url: str, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[App]:
    """The real app on a real database with the bundled demo data loaded."""
    if database_url.startswith("sqlite:///"):
        template: Path = request.getfixturevalue("demo_template")
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{template}{suffix}").exists():
                shutil.copy(f"{template}{suffix}", database_url.removeprefix("sqlite:///") + suffix)
        app = make_app(database_url, clock)
    else:
        app = make_app(database_url, clock, demo=False)
        _copy_demo_rows(app, request.getfixturevalue("postgres_demo_schema"))
    yield app
    app.engine.dispose()


@pytest.fixture
def empty_app(database_url: str, clock: FixedClock) -> Iterator[App]:
    app = make_app(database_url, clock, demo=False)
    yield app
    app.engine.dispose()


def add_filler_projects(app: App, count: int, *, owner_key: str) -> None:
    """`count` projects all more recently active than the demo data's (for the pickers)."""
    now = app.clock.now()
    for n in range(count):
        app.repo.add_project(
            ProjectDraft(
                title=f"Filler service {n}",
                organisation="Leeds City Council",
                stage=Stage.ALPHA,
                description="x",
                contact="#x",
                owner_key=owner_key,
            ),
            now=now + timedelta(seconds=n),
        )
