"""Routes one `Incoming` to the command, form or button that should answer it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.commands import COMMANDS
from bot.commands.ask import answer_reply
from bot.commands.base import Command, Services, error, split_target, split_word
from bot.model import Finding, Incoming, Reply
from bot.questions import looks_like_a_question

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
        return self.commands[name].handle(args, incoming, self.services)

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

    def _claims(self, name: str, rest: str) -> bool:
        if name == "ask" or not rest:
            return True
        first, _ = split_word(rest)
        if name == "help":
            return first in self.commands
        if name == "weeknote" and split_target(rest) is not None:
            return True
        return first in self.commands[name].subcommands

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
        if not finding.confident:
            return None
        now = self.services.clock.now()
        if not self.services.channels.first_answer_in_thread(where, where.thread_id, now=now):
            return None
        return self._logged_answer(incoming, finding)

    def answer_if_confident(self, incoming: Incoming) -> Reply | None:
        """For questions nobody addressed to the bot (a channel that opted in): an answer only
        when search is confident, else None and the bot stays quiet. Only answers are logged."""
        finding = self.services.finder.find(incoming.text)
        if not finding.confident:
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


def _is_command_like(text: str, bot: Bot) -> bool:
    word, rest = split_word(text)
    return word in bot.commands and word != "ask" and bot._claims(word, rest)
