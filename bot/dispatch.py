"""Routes one `Incoming` to the command, form or button that should answer it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.commands import COMMANDS
from bot.commands.ask import answer_reply, handle_feedback
from bot.commands.base import Command, Services, error, split_target, split_word
from bot.model import Incoming, Reply

log = logging.getLogger(__name__)


class Bot:
    """The platform-free bot: `handle` turns one incoming message into one reply."""

    def __init__(self, services: Services, commands: Sequence[Command] = COMMANDS) -> None:
        self.services = services
        self.commands = {c.name: c for c in commands}
        self.forms = {
            form_id: handler for c in commands for form_id, handler in (c.forms or {}).items()
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

    def answer_if_confident(self, incoming: Incoming) -> Reply | None:
        """For questions nobody addressed to the bot (a channel that opted in): an answer only
        when search is sure (a stricter bar than an asked question's), else None and the bot
        stays quiet. Only answers are logged."""
        finding = self.services.finder.find(incoming.text)
        if not finding.sure:
            return None
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
        if incoming.action.name == "introduce":
            return self._introduce(incoming)
        return handle_feedback(incoming.action, incoming, self.services)

    def _introduce(self, incoming: Incoming) -> Reply:
        """Where a platform cannot open a group chat, the contact route is the introduction."""
        assert incoming.action is not None
        _, _, target = incoming.action.value.partition(":")
        kind, _, target_id = target.partition(":")
        project = self.services.projects.get_project(target_id) if kind == "project" else None
        if project is None:
            return error("I can't find that project any more.")
        contact = project.contact or "no contact given"
        return Reply(text=f"To reach the {project.title} team: {contact}", private=True)


def _is_command_like(text: str, bot: Bot) -> bool:
    word, rest = split_word(text)
    return word in bot.commands and word != "ask" and bot._claims(word, rest)
