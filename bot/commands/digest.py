"""`digest`: see what this week's digest would say."""

from __future__ import annotations

from datetime import timedelta

from bot.commands.base import Command, Services, error, split_word
from bot.digest import compose_digest
from bot.model import Incoming, Reply

USAGE = ("digest preview",)


def handle_digest(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, _ = split_word(args)
    if verb != "preview":
        return error(
            f"I don't know “digest {verb}”." if verb else "What about the digest?",
            usage="\n".join(USAGE),
        )
    end = services.clock.now()
    activity = services.activity.activity_between(end - timedelta(days=7), end)
    digest = compose_digest(activity)
    return Reply(text=digest.text, title=digest.title, private=True)


COMMAND = Command(
    name="digest",
    summary="preview the weekly digest of new projects, weeknotes and unanswered questions",
    usage=USAGE,
    handle=handle_digest,
    subcommands=("preview",),
)
