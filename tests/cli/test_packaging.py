"""hasanyone as a package an operator installs: its entry points, its data, its promises."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_hasanyone_is_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hasanyone", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # the installed package, not this checkout's folders
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout and "digest" in done.stdout


def test_commands_work_without_a_system_timezone_database(tmp_path: Path) -> None:
    """Slim containers and Windows have no /usr/share/zoneinfo: tzdata must come along."""
    nowhere = tmp_path / "no-zoneinfo"
    nowhere.mkdir()
    env = {
        **os.environ,
        "PYTHONTZPATH": str(nowhere),
        "DATABASE_URL": f"sqlite:///{tmp_path}/tz.db",
        "HASANYONE_LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-m", "adapters", "ask", "--json", "brownfield land register"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"confident": true' in done.stdout


def test_the_licence_file_is_the_mit_licence_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_pyproject_admits_every_supported_python(version: str) -> None:
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"{version}.0" in SpecifierSet(project["requires-python"])
    assert f"Programming Language :: Python :: {version}" in project["classifiers"]


def test_setup_refuses_a_python_older_than_3_11_in_one_line(tmp_path: Path) -> None:
    old = tmp_path / "python3"
    old.write_text("#!/bin/sh\necho 3.10\n")  # a "Python" that says it is 3.10, and nothing else
    old.chmod(0o755)
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup")],
        env={**os.environ, "PYTHON": str(old), "VENV": str(tmp_path / "venv")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Python 3.11, 3.12 or 3.13" in done.stderr, done.stderr
    assert not (tmp_path / "venv").exists()
