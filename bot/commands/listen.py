"""`listen on|off`: whether the bot answers plain “has anyone…” questions in this channel.

Like the digest, it changes how the bot behaves for everyone in the channel, so it is for the
channel's admins (the adapter says who they are: CHANNEL_ADMIN on `Incoming.roles`)."""

from __future__ import annotations

from bot.commands.base import Command, Services, error, split_word
from bot.model import CHANNEL_ADMIN, Incoming, Reply
from bot.text import marked

USAGE = ("listen on", "listen off")
ADMINS_ONLY = (
    "Only this channel's admins can change whether I answer here — ask a workspace admin, the "
    "channel's creator or a community manager."
)
CHANNELS_ONLY = "Listening is for channels; here I answer everything you ask."
NOT_A_MEMBER = marked(
    "I'm not in this channel, so I can't read its questions. Invite me first "
    "(`/invite @hasanyone`, or add the app from the channel's settings), then say `listen on`."
)


def handle_listen(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, _ = split_word(args)
    where = incoming.conversation
    if where.is_direct or where.is_group:
        return error(CHANNELS_ONLY)
    if verb not in ("on", "off"):
        return error("Say “listen on” or “listen off”.", usage="\n".join(USAGE))
    if CHANNEL_ADMIN not in incoming.roles:
        return error(ADMINS_ONLY)
    on = verb == "on"
    if on and incoming.bot_is_member is False:
        return error(NOT_A_MEMBER)
    services.channels.set_listening(where, on, by=incoming.sender, now=services.clock.now())
    if on:
        text = (
            "I'll now answer questions like “has anyone…?” in this channel, in a thread, "
            "and only when I'm confident of the answer."
        )
    else:
        text = "I'll stay quiet here unless someone mentions me."
    return Reply(text=text, tone="done")


def changes_listening(args: str) -> bool:
    """Whether `listen {args}` would change the channel, so the adapter knows when it must
    establish the sender's roles and whether the bot is in the channel."""
    verb, _ = split_word(args)
    return verb in ("on", "off")


COMMAND = Command(
    name="listen",
    summary="answer plain “has anyone…?” questions in this channel, or stop",
    usage=USAGE,
    handle=handle_listen,
    subcommands=("on", "off"),
)
