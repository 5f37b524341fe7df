"""`listen on|off`: whether the bot answers plain “has anyone…” questions in this channel."""

from __future__ import annotations

from bot.commands.base import Command, Services, error, split_word
from bot.model import Incoming, Reply

USAGE = ("listen on", "listen off")


def handle_listen(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, _ = split_word(args)
    if incoming.conversation.is_direct:
        return error("Listening is for channels; here I answer everything you ask.")
    if verb not in ("on", "off"):
        return error("Say “listen on” or “listen off”.", usage="\n".join(USAGE))
    on = verb == "on"
    services.channels.set_listening(
        incoming.conversation, on, by=incoming.sender, now=services.clock.now()
    )
    if on:
        text = (
            "I'll now answer questions like “has anyone…?” in this channel, in a thread, "
            "and only when I'm confident of the answer."
        )
    else:
        text = "I'll stay quiet here unless someone mentions me."
    return Reply(text=text, tone="done")


COMMAND = Command(
    name="listen",
    summary="answer plain “has anyone…?” questions in this channel, or stop",
    usage=USAGE,
    handle=handle_listen,
    subcommands=("on", "off"),
)
