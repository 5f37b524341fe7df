"""Routes one `Incoming` to the command, form or button that should answer it."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.commands import COMMANDS
from bot.commands.ask import answer_reply
from bot.commands.base import Command, Services, error, split_target, split_word
from bot.model import Finding, Incoming, Reply
from bot.questions import looks_like_a_question
from bot.text import code, marked, without_marks

log = logging.getLogger(__name__)


class Bot:
    """The platform-free bot: `handle` turns one incoming message into one reply."""

    def __init__(self, services: Services, commands: Sequence[Command] = COMMANDS) -> None:
        self.services = services
        self.commands = {c.name: c for c in commands}
        self.forms = {
            form_id: handler for c in commands for form_id, handler in (c.forms or {}).items()
        }
        self.checks = {
            form_id: check for c in commands for form_id, check in (c.checks or {}).items()
        }
        self.buttons = {
            name: handler for c in commands for name, handler in (c.buttons or {}).items()
        }

    def handle(self, incoming: Incoming) -> Reply:
        incoming = _as_typed(incoming)
        try:
            self.services.people.seen(
                incoming.sender, incoming.conversation, now=incoming.received_at
            )
            return self._route(incoming)
        except Exception:
            # The user gets an apology, the log gets the stack trace; whatever they typed is kept.
            log.exception("command failed")
            return error("Sorry, something went wrong on my side.", keep=incoming.text.strip())

    def _route(self, incoming: Incoming) -> Reply:
        if incoming.action is not None:
            return self._button(incoming)
        if incoming.form_id is not None:
            handler = self.forms.get(incoming.form_id)
            if handler is None:
                return error("That form has expired. Start again?")
            return handler(incoming.form or {}, incoming, self.services)
        name, args = self.route_text(incoming.command, incoming.text)
        if name == "ask" and not incoming.command:
            meant = self.did_you_mean(incoming.text)
            if meant is not None:
                return Reply(
                    text=f"Did you mean {code(meant)}? " + marked("Say `help` for what I can do."),
                    tone="error",
                    private=True,
                )
        return self.commands[name].handle(args, incoming, self.services)

    def did_you_mean(self, text: str) -> str | None:
        """A message whose first word is a command's name misspelt ("projct add") and whose
        second word fits that command, or that has no second word: the command meant. Such a
        message is a slip, not a question, so it is never searched or logged."""
        word, rest = split_word(text.lstrip("/"))
        if not word or word in self.commands or looks_like_a_question(text):
            return None
        names = [n for n in self.commands if n != "ask"]
        close = difflib.get_close_matches(word, names, n=1, cutoff=0.75)
        if not close:
            return None
        command = self.commands[close[0]]
        first, _ = split_word(rest)
        if rest and first not in command.subcommands:
            return None
        return f"{command.name} {first}".strip()

    def check_form(self, incoming: Incoming) -> Reply | None:
        """A submitted form's mistakes (the form back, marked), or None when it would be
        saved. Writes nothing, so a platform that must answer fast (Slack's 3 seconds) can
        answer first and save after."""
        check = self.checks.get(incoming.form_id or "")
        if check is None:
            return None
        try:
            return check(incoming.form or {}, incoming, self.services)
        except Exception:
            log.exception("form check failed")
            return None  # the save path will say what went wrong

    def route_text(self, command: str | None, text: str) -> tuple[str, str]:
        """Which command a message is for. A plain message is a question unless its first word
        names a command *and* what follows fits that command ("project show x", not
        "project management tools?")."""
        text = _without_slash(text) if command is None else text
        if command:
            name = command.lstrip("/").lower()
            if name == "hasanyone":
                return (
                    self.route_text(None, text) if _is_command_like(text, self) else ("ask", text)
                )
            return (name, text) if name in self.commands else ("ask", text)
        word, rest = split_word(text)
        if word in self.commands and self._claims(word, rest):
            return word, rest
        return "ask", text

    def _claims(self, name: str, rest: str, *, strict: bool = False) -> bool:
        """Whether "{name} {rest}" is the command, not a question that starts with its name.
        A question reads like one ("…?", "has anyone…"); anything else after a command's name
        is a command, even a malformed one, which then gets its usage rather than a search
        ("weeknote banana", "help foo"). `strict` (after /hasanyone, which is for asking):
        only a subcommand makes it a command ("/hasanyone project management tools" asks)."""
        if name == "ask" or not rest:
            return True
        first, others = split_word(rest)
        if name == "help":
            return first in self.commands or (not others and not strict)
        if name == "weeknote" and split_target(rest) is not None:
            return True
        if first in self.commands[name].subcommands:
            return True
        return not strict and not _reads_like_a_question(f"{name} {rest}")

    def answer_unprompted(self, incoming: Incoming) -> Reply | None:
        """A message in a channel that nobody addressed to the bot: the one rule for every
        platform. An answer, in its thread, only when the channel opted in (`listen on`), the
        message reads like a question ("has anyone…?"), search is confident, and the bot has
        not answered in that thread yet; otherwise None, and the bot stays quiet. Adapters
        drop messages from bots before they get here."""
        where = incoming.conversation
        if where.is_direct or not where.thread_id or not looks_like_a_question(incoming.text):
            return None
        if not self.services.channels.is_listening(where):
            return None
        finding = self.services.finder.find(incoming.text)
        if not finding.sure:  # the stricter bar: nobody asked, so a wrong answer costs more
            return None
        now = self.services.clock.now()
        if not self.services.channels.first_answer_in_thread(where, where.thread_id, now=now):
            return None
        return self._logged_answer(incoming, finding)

    def answer_if_confident(self, incoming: Incoming) -> Reply | None:
        """For questions nobody addressed to the bot (a channel that opted in): an answer only
        when search is sure (a stricter bar than an asked question's), else None and the bot
        stays quiet. Only answers are logged."""
        finding = self.services.finder.find(incoming.text)
        if not finding.sure:
            return None
        return self._logged_answer(incoming, finding)

    def _logged_answer(self, incoming: Incoming, finding: Finding) -> Reply:
        question_id = self.services.questions.record_question(
            incoming.text,
            asker=incoming.sender,
            where=incoming.conversation,
            finding=finding,
            at=self.services.clock.now(),
        )
        return answer_reply(finding, question_id=question_id)

    def _button(self, incoming: Incoming) -> Reply:
        assert incoming.action is not None
        handler = self.buttons.get(incoming.action.name)
        if handler is None:
            return error("That button has expired. Ask me again?")
        return handler(incoming.action, incoming, self.services)


def _as_typed(incoming: Incoming) -> Incoming:
    """What a person sent, without the marks only the bot's own text may carry."""
    form = {k: without_marks(v) for k, v in incoming.form.items()} if incoming.form else None
    return replace(incoming, text=without_marks(incoming.text), form=form)


def _reads_like_a_question(text: str) -> bool:
    return text.rstrip().endswith("?") or looks_like_a_question(text)


def _without_slash(text: str) -> str:
    """ "/help" typed where there are no slash commands (the terminal, Teams) means "help"."""
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("/") else text


def _is_command_like(text: str, bot: Bot) -> bool:
    word, rest = split_word(text)
    return word in bot.commands and word != "ask" and bot._claims(word, rest, strict=True)
