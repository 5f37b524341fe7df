"""The command table: one entry per command, in the order `help` lists them."""

from __future__ import annotations

from bot.commands import ask, digest, forget, listen, project, weeknote
from bot.commands.base import Command, Services
from bot.commands.help import make_help

BASE_COMMANDS: tuple[Command, ...] = (
    ask.COMMAND,
    weeknote.COMMAND,
    project.COMMAND,
    digest.COMMAND,
    listen.COMMAND,
    forget.COMMAND,
)
COMMANDS: tuple[Command, ...] = (*BASE_COMMANDS, make_help(BASE_COMMANDS))

__all__ = ["COMMANDS", "Command", "Services"]
