"""`help`: generated from the command table, so it cannot drift from what the bot does."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.base import Command, Services, split_word
from bot.model import Incoming, Reply
from bot.text import marked


def help_reply(commands: Sequence[Command], topic: str = "") -> Reply:
    wanted = [c for c in commands if c.name == topic] if topic else list(commands)
    if topic and not wanted:
        names = ", ".join(c.name for c in commands)
        return Reply(text=f"There is no command called “{topic}”. Commands: {names}.", tone="error")
    lines = []
    for command in wanted:
        lines.append(f"{command.name} — {command.summary}")
        lines.extend(f"    {usage}" for usage in command.usage)
    intro = "Ask me “has anyone done X?” in plain words, or use a command:"
    return Reply(text=intro + "\n" + "\n".join(lines), title="hasanyone help", private=True)


def welcome_reply(*, in_channel: bool) -> Reply:
    """What the bot says once, when it is added to a chat or a team."""
    lines = [
        "Hello! I answer “has anyone done X?” from the register of council projects and the "
        "weeknotes teams write: who did it, how far they got and how to reach them.",
        "Ask in plain words, for example: has anyone built a bulky waste booking form?",
        "Post a weeknote with `weeknote`, register a project with `project add`, and see "
        "everything with `help`.",
    ]
    if in_channel:
        lines.append(
            "Channel owners can turn on the weekly digest here with `digest on`, and let me "
            "answer plain “has anyone…?” questions with `listen on`."
        )
    else:
        lines.append("In a team's channel, `digest on` brings the weekly digest there.")
    return Reply(text=marked("\n".join(lines)), title="Welcome to hasanyone")


def make_help(commands: Sequence[Command]) -> Command:
    def handle(args: str, incoming: Incoming, services: Services) -> Reply:
        topic, _ = split_word(args)
        return help_reply([*commands, command], topic)

    command = Command(
        name="help",
        summary="what I can do",
        usage=("help", "help weeknote"),
        handle=handle,
    )
    return command
