"""The container image, step by step, on a machine with no container engine.

The Dockerfile is read, not trusted: its build stage's install step runs here in a fresh
virtual environment from the locked constraints, then its CMD runs with its ENV as an
unprivileged user (as its USER line asks), and its HEALTHCHECK command must pass. hadolint
lints the Dockerfile itself in scripts/test."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534


@dataclass
class Stage:
    base: str
    env: dict[str, str] = field(default_factory=dict)
    run: list[str] = field(default_factory=list)
    user: str | None = None
    cmd: list[str] | None = None
    healthcheck: list[str] | None = None
    expose: list[str] = field(default_factory=list)


def instructions(text: str) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    logical = ""
    for line in text.splitlines():
        if not logical and line.lstrip().startswith("#"):
            continue
        logical += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            if logical.strip():
                word, _, rest = logical.strip().partition(" ")
                yield word.upper(), rest.strip()
            logical = ""


def stages(text: str) -> list[Stage]:
    args: dict[str, str] = {}
    found: list[Stage] = []
    for word, rest in instructions(text):
        if word == "ARG" and not found:
            name, _, default = rest.partition("=")
            args[name] = default
        elif word == "FROM":
            image = rest.split(" AS ")[0].split(" as ")[0].strip()
            for name, value in args.items():
                image = image.replace("${" + name + "}", value)
            found.append(Stage(base=image))
        elif word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                found[-1].env[name] = value
        elif word == "RUN":
            found[-1].run.append(rest)
        elif word == "USER":
            found[-1].user = rest
        elif word == "CMD":
            found[-1].cmd = json.loads(rest)
        elif word == "HEALTHCHECK":
            found[-1].healthcheck = json.loads(rest.split(" CMD ", 1)[1])
        elif word == "EXPOSE":
            found[-1].expose += rest.split()
    return found


@pytest.fixture(scope="module")
def dockerfile() -> list[Stage]:
    return stages((ROOT / "Dockerfile").read_text())


def test_the_image_is_multi_stage_slim_and_runs_serve_as_an_unprivileged_user(
    dockerfile: list[Stage],
) -> None:
    build, final = dockerfile[0], dockerfile[-1]
    assert len(dockerfile) == 2 and build.base == final.base
    assert final.base.startswith("python:3.") and "-slim" in final.base
    assert final.user is not None and final.user.split(":")[0] not in ("root", "0")
    assert final.cmd == ["hasanyone", "serve"]
    assert final.env["HASANYONE_HOST"] == "0.0.0.0"
    assert final.env["HASANYONE_ENV"] == "production"
    assert final.expose == [final.env["HASANYONE_PORT"]]
    assert final.healthcheck is not None
    assert build.run == ["scripts/install-runtime /opt/hasanyone"]  # the step tested below


def listening_on_every_address(port: int) -> bool:
    """Whether a socket listens on 0.0.0.0:port, from /proc/net/tcp (state 0A is LISTEN)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if local == f"00000000:{port:04X}" and state == "0A":
            return True
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunAs(TypedDict, total=False):
    """Popen's user and group: the image's unprivileged USER (empty: as whoever runs us)."""

    user: int
    group: int


@dataclass
class Installed:
    venv: Path
    as_user: RunAs


def unprivileged_python() -> tuple[str, RunAs]:
    """A Python of this version that an unprivileged user can run, and that user. As root,
    pyenv's interpreters under /root are out of a user's reach; the system's may not be."""
    if os.geteuid() != 0:
        return sys.executable, {}
    as_nobody: RunAs = {"user": NOBODY, "group": NOBODY}
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, f"/usr/local/bin/{version}", f"/usr/bin/{version}"):
        try:
            subprocess.run(
                [candidate, "-c", "import venv, ensurepip"],
                check=True, capture_output=True, timeout=30, cwd="/", **as_nobody,
            )  # fmt: skip
        except (OSError, subprocess.CalledProcessError):
            continue
        return candidate, as_nobody
    warnings.warn(
        f"no {version} an unprivileged user can run: the server runs as root", stacklevel=2
    )
    return sys.executable, {}


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    """The build stage's install step, into a fresh folder every user can read (as /opt is)."""
    python, as_user = unprivileged_python()
    top = Path(tempfile.mkdtemp(prefix="hasanyone-image-"))
    top.chmod(0o755)
    venv = top / "opt" / "hasanyone"
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-runtime"), str(venv)],
        env={**os.environ, "PYTHON": python, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    yield Installed(venv, as_user)
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_the_images_steps_give_a_server_whose_healthcheck_passes(
    dockerfile: list[Stage], installed: Installed, postgres_url: str
) -> None:
    final = dockerfile[-1]
    assert final.cmd is not None and final.healthcheck is not None
    venv, as_user = installed.venv, installed.as_user
    home = venv.parent.parent / "home"
    home.mkdir(exist_ok=True)
    if as_user:
        os.chown(home, as_user["user"], as_user["group"])
    port = free_port()  # the image's 3000 may be taken on this machine
    env = {
        **{k: v.replace("/opt/hasanyone", str(venv)) for k, v in final.env.items()},
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "HASANYONE_PORT": str(port),
        "DATABASE_URL": postgres_url,  # what compose.yaml gives it, on the test server
        "HASANYONE_TEAMS_ENABLED": "false",
    }
    log = home / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            final.cmd, env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT, **as_user
        )
    try:
        deadline = time.monotonic() + 120
        check = None
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-3000:]
            check = subprocess.run(
                final.healthcheck, env=env, cwd=home, capture_output=True, text=True,
                timeout=30, check=False, **as_user,
            )  # fmt: skip
            if check.returncode == 0:
                break
            time.sleep(0.5)
        assert check is not None and check.returncode == 0, check and check.stderr
        assert listening_on_every_address(port)
        if as_user:  # and not as root
            status = Path(f"/proc/{server.pid}/status").read_text()
            assert f"Uid:\t{NOBODY}\t" in status, status
        manifest = subprocess.run(
            ["hasanyone", "manifest", "slack", "--url", "https://hasanyone.example.gov.uk"],
            env=env, cwd=home, capture_output=True, text=True, timeout=60, check=False,
            **as_user,
        )  # fmt: skip
        assert manifest.returncode == 0, manifest.stderr
        assert "https://hasanyone.example.gov.uk/slack/events" in manifest.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert server.returncode == 0, log.read_text()[-3000:]
    stopped = subprocess.run(
        final.healthcheck, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert stopped.returncode == 1 and "unhealthy" in stopped.stderr
