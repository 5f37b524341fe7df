"""A terminal conversation with the bot: the same commands as Slack and Teams.

`ConsoleSession` is a small state machine fed one line at a time, so it is tested without a
terminal; `run` connects it to stdin and stdout (with line editing and history when the
terminal has readline). Forms are asked field by field; a multi-line field ends with a line
holding a single full stop, and `-` clears a field. `quit`, `exit` or Ctrl-D leave. Whatever
is not a message (a button number when there are no buttons, stray terminal escapes) is
answered here and never reaches the bot, so it is never searched or logged as a question.
"""

from __future__ import annotations

import contextlib
import getpass
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from adapters.console.render import field_prompt, form_intro, to_text
from bot.dispatch import Bot
from bot.model import Action, ActionPayload, ConversationRef, Form, FormField, Incoming, Person
from bot.ports import Clock

END_OF_TEXT = "."
CANCEL = "cancel"
CLEAR = "-"
LEAVE = frozenset({"quit", "exit", "bye"})
# Terminal escape sequences (arrow keys and friends) that arrive as text without readline.
ESCAPES = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)?")


@dataclass
class _FormState:
    form: Form
    values: dict[str, str]
    todo: list[FormField]
    lines: list[str] = field(default_factory=list)


class ConsoleSession:
    def __init__(self, bot: Bot, clock: Clock, *, user: str | None = None) -> None:
        name = user or getpass.getuser()
        self.bot = bot
        self.clock = clock
        self.person = Person(key=f"console:{name}", name=name)
        self.where = ConversationRef(platform="console", channel_id="terminal", is_direct=True)
        self.actions: tuple[Action, ...] = ()
        self.state: _FormState | None = None
        self.done = False

    @property
    def prompt(self) -> str:
        if self.state is None:
            return "you> "
        current = self.state.todo[0]
        return "...> " if self.state.lines else f"{current.label}> "

    def feed(self, line: str) -> list[str]:
        """One line typed; returns what the bot prints in answer."""
        line = ESCAPES.sub("", line)
        if self.state is not None:
            return self._form_line(line)
        text = line.strip()
        if not text:
            return []
        if text.lower() in LEAVE:
            self.done = True
            return ["Bye."]
        if text.isdigit() and len(text) <= 2:
            return self._press(int(text))
        return self._send(self._incoming(text))

    def _press(self, number: int) -> list[str]:
        """A button number: pressed if the last reply offered that many buttons."""
        if not 0 < number <= len(self.actions):
            if not self.actions:
                return ["There are no buttons to press just now. Ask me something?"]
            return [f"Press 1 to {len(self.actions)}, or ask me something."]
        action = self.actions[number - 1]
        return self._send(self._incoming("", action=ActionPayload(action.name, action.value)))

    def _incoming(self, text: str, **extra: object) -> Incoming:
        return Incoming(
            text=text,
            sender=self.person,
            conversation=self.where,
            received_at=self.clock.now(),
            **extra,  # type: ignore[arg-type]
        )

    def _send(self, incoming: Incoming) -> list[str]:
        reply = self.bot.handle(incoming)
        self.actions = reply.actions
        out = [to_text(reply)]
        if reply.form is not None:
            out.extend(self._open(reply.form))
        return out

    def _open(self, form: Form) -> list[str]:
        values = {f.name: f.value for f in form.fields}
        asked = [f for f in form.fields if f.kind != "hidden"]
        todo = [f for f in asked if f.error] or asked
        self.state = _FormState(form, values, todo)
        return [form_intro(form), f"(type {CANCEL!r} to stop)", *self._describe(todo[0])]

    @staticmethod
    def _describe(f: FormField) -> list[str]:
        return field_prompt(f, clear=CLEAR, end=END_OF_TEXT)

    def _form_line(self, line: str) -> list[str]:
        state = self.state
        assert state is not None
        current = state.todo[0]
        if line.strip().lower() == CANCEL and not state.lines:
            self.state = None
            kept = "\n".join(f"{k}: {v}" for k, v in state.values.items() if v)
            return ["Cancelled." + (f" What you had typed:\n{kept}" if kept else "")]
        if current.kind == "multiline":
            if line.strip() != END_OF_TEXT:
                state.lines.append(line)
                return []
            answer, state.lines = "\n".join(state.lines), []
        else:
            answer = self._choice(current, line.strip())
        if answer.strip() == CLEAR:
            state.values[current.name] = ""
        elif answer.strip():
            state.values[current.name] = answer
        state.todo.pop(0)
        if state.todo:
            return self._describe(state.todo[0])
        self.state = None
        return self._send(self._incoming("", form_id=state.form.id, form=dict(state.values)))

    @staticmethod
    def _choice(f: FormField, text: str) -> str:
        if f.choices and text.isdigit() and 0 < int(text) <= len(f.choices):
            return f.choices[int(text) - 1].value
        return text


def run(session: ConsoleSession, stdin: TextIO, write: Callable[[str], None]) -> None:
    write("hasanyone — ask “has anyone done X?”, or type 'help'. 'quit' or Ctrl-D to leave.\n")
    read = _line_reader(stdin, write)
    while not session.done:
        line = read(session.prompt)
        if line is None:
            write("\n")
            return
        for chunk in session.feed(line):
            write(chunk + "\n")


def _line_reader(stdin: TextIO, write: Callable[[str], None]) -> Callable[[str], str | None]:
    """input() with readline's line editing and history on a terminal; plain lines from a
    pipe. None at the end of input."""
    if stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (input() edits lines and keeps history once loaded)

        def prompt(text: str) -> str | None:
            try:
                return input(text)
            except EOFError:
                return None

        return prompt

    def plain(text: str) -> str | None:
        write(text)
        line = stdin.readline()
        return line.rstrip("\n") if line else None

    return plain
