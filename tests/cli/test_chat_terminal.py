"""Issue 13 item 14: the real `hasanyone chat` under a pseudo-terminal, typed at like a person
would, logs nothing that is not a question, and leaves when asked."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.app import App
from adapters.console.chat import ConsoleSession
from tests.cli.test_console import unique_reply

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class Terminal:
    """A process on a pseudo-terminal: type lines, read what it printed."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.seen = b""

    def read_until(self, marker: bytes, timeout: float = 60, *, after: int = 0) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.seen[after:]:
            left = deadline - time.monotonic()
            assert left > 0, f"waited for {marker!r}; the terminal shows {self.seen[-800:]!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the process has gone: nothing more to read
                    break
                self.seen += chunk
        return self.seen

    def type(self, text: str) -> None:
        start = len(self.seen)
        os.write(self.master, text.encode() + b"\r")
        # the echo of what was typed, then the answer, then the next prompt on a line of its
        # own (the line editor redraws "you> " after a \r while keys like the arrows are typed)
        self.read_until(b"\nyou> ", timeout=60, after=start + len(text))
        self.last = self.seen[start:].decode(errors="replace")

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)


def test_the_terminal_chat_logs_no_junk_and_leaves_on_quit(tmp_path: Path) -> None:
    database = tmp_path / "chat.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "HASANYONE_LOG_LEVEL": "WARNING",
        "HOME": str(tmp_path),
        "TERM": "dumb",
    }
    terminal = Terminal([sys.executable, "-m", "adapters", "chat", "--user", "carol"], env)
    terminal.read_until(b"you> ")
    terminal.type("1")
    assert "no buttons to press" in terminal.last
    terminal.type("/help")
    assert "weeknote" in terminal.last and "project" in terminal.last
    terminal.type("projct add")
    assert "Did you mean `project add`?" in terminal.last
    terminal.type("weeknote banana")
    assert "Which project is this weeknote for?" in terminal.last
    terminal.type("weeknote pl-17 we shipped it without a colon")
    assert "Which project is this weeknote for?" in terminal.last
    terminal.type("help foo")
    assert "There is no command called “foo”" in terminal.last
    terminal.type("\x1b[A\x1b[B")  # arrow keys, whether or not readline took them
    terminal.type("has anyone built a cemetery burial plot search?")
    assert "Nobody has registered" in terminal.last
    os.write(terminal.master, b"quit\r")
    terminal.read_until(b"Bye.")
    assert terminal.close() == 0
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as c:
        asked = [row[0] for row in c.execute(sa.text("SELECT text FROM question"))]
    engine.dispose()
    assert asked == ["has anyone built a cemetery burial plot search?"]


def test_ctrl_d_leaves_the_chat(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/d.db", "HOME": str(tmp_path)}
    terminal = Terminal([sys.executable, "-m", "adapters", "chat"], env)
    terminal.read_until(b"you> ")
    os.write(terminal.master, b"\x04")
    assert terminal.close() == 0


def test_a_form_field_can_be_cleared(demo_app: App) -> None:
    chat = ConsoleSession(demo_app.bot, demo_app.clock, user="erin")
    chat.feed("project add")
    chat.feed("Pest control booking")  # title
    chat.feed("Leeds")  # organisation
    chat.feed("")  # stage: discovery
    chat.feed("What it does")
    chat.feed(".")
    chat.feed("#pests")  # contact
    chat.feed("")  # service area
    chat.feed("")  # tags
    again = "\n".join(chat.feed("not a web address"))
    assert "A web address starting with https://" in again
    assert "'-' to clear it" in again
    assert "Registered Pest control booking" in unique_reply(chat.feed("-"))


def test_exit_leaves_and_the_up_arrow_brings_back_the_last_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/h.db",
        "HASANYONE_LOG_LEVEL": "WARNING",
        "HOME": str(tmp_path),
        "TERM": "xterm",
    }
    terminal = Terminal([sys.executable, "-m", "adapters", "chat", "--user", "dan"], env)
    terminal.read_until(b"you> ")
    terminal.type("help foo")
    assert "There is no command called “foo”" in terminal.last
    start = len(terminal.seen)
    os.write(terminal.master, b"\x1b[A\r")  # the line editor's history: the same line again
    terminal.read_until(b"\nyou> ", after=start)
    assert "There is no command called “foo”" in terminal.seen[start:].decode(errors="replace")
    os.write(terminal.master, b"exit\r")
    terminal.read_until(b"Bye.")
    assert terminal.close() == 0
