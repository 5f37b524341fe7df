"""`digest`: a channel's weekly digest — turn it on or off, move it, say whether a quiet week gets
a line, or see what it would say.

Changing a channel's digest is for its admins: the adapter says who they are (the
CHANNEL_ADMIN role on `Incoming.roles`); anyone may preview."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.base import Command, Services, error, split_word
from bot.digest import compose_digest
from bot.model import CHANNEL_ADMIN, DAYS, Incoming, Reply, Subscription

USAGE = (
    "digest on",
    "digest off",
    "digest preview",
    "digest time mon 09:00 [Europe/London]",
    "digest quiet line|skip",
)
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
CHANGES = frozenset({"on", "off", "time", "quiet"})
QUIET = {"line": True, "skip": False}  # `digest quiet …`: does a week with nothing new get a line
ADMINS_ONLY = (
    "Only this channel's admins can change its digest — ask a workspace admin, the channel's "
    "creator or a community manager. Anyone can use `digest preview`."
)
CHANNELS_ONLY = (
    "A digest is for channels: say `digest on` in the channel that should get it. "
    "Here, `digest preview` shows what it would say."
)


def changes_the_digest(args: str) -> bool:
    """Whether `digest {args}` would change the channel's digest, so the adapter knows when it
    must establish the sender's roles (and can skip the look-ups otherwise)."""
    verb, _ = split_word(args)
    return verb in CHANGES


def handle_digest(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, rest = split_word(args)
    if verb == "preview":
        return _preview(services)
    if verb not in CHANGES:
        message = f"I don't know “digest {verb}”." if verb else "What about the digest?"
        return error(message, usage="\n".join(USAGE))
    refusal = _refusal(incoming)
    if refusal is not None:
        return refusal
    if verb == "on":
        return _on(incoming, services)
    if verb == "off":
        return _off(incoming, services)
    return (_quiet if verb == "quiet" else _time)(rest, incoming, services)


def _refusal(incoming: Incoming) -> Reply | None:
    """Why this sender may not change this conversation's digest, or None if they may."""
    if incoming.conversation.is_direct:
        return error(CHANNELS_ONLY)
    if CHANNEL_ADMIN not in incoming.roles:
        return error(ADMINS_ONLY)
    return None


def describe(sub: Subscription) -> str:
    when = f"every {sub.day.capitalize()} at {sub.time} ({sub.timezone})"
    return when if sub.post_when_quiet else f"{when}, and nothing in a week with no news"


def _on(incoming: Incoming, services: Services) -> Reply:
    sub = services.channels.subscribe(
        incoming.conversation, by=incoming.sender, now=services.clock.now()
    )
    return Reply(text=f"This channel will get the digest {describe(sub)}.", tone="done")


def _off(incoming: Incoming, services: Services) -> Reply:
    if services.channels.unsubscribe(incoming.conversation):
        return Reply(text="This channel will no longer get the digest.", tone="done")
    return Reply(text="This channel was not getting the digest.", private=True)


def _preview(services: Services) -> Reply:
    end = services.clock.now()
    digest = compose_digest(services.activity.activity_between(end - timedelta(days=7), end))
    return Reply(text=digest.text, title=digest.title, private=True)


def _quiet(rest: str, incoming: Incoming, services: Services) -> Reply:
    choice = rest.strip().lower()
    if choice not in QUIET:
        said = f"“{rest.strip()}” is not line or skip." if choice else "Line or skip?"
        return error(
            f"{said} `line` posts one line in a week with no news; `skip` posts nothing.",
            usage=USAGE[4],
        )
    sub = services.channels.subscription(incoming.conversation)
    if sub is None or not sub.active:
        return error("This channel does not get the digest: say `digest on` first.")
    services.channels.subscribe(
        incoming.conversation,
        by=incoming.sender,
        now=services.clock.now(),
        post_when_quiet=QUIET[choice],
    )
    if QUIET[choice]:
        return Reply(text="A week with no news gets one line here saying so.", tone="done")
    return Reply(text="A week with no news gets no digest here.", tone="done")


def _time(rest: str, incoming: Incoming, services: Services) -> Reply:
    parts = rest.split()
    if len(parts) not in (2, 3):
        return error("Give a day and a time.", usage=USAGE[3])
    day, at = parts[0][:3].lower(), parts[1]
    if day not in DAYS:
        return error(f"“{parts[0]}” is not a day. Days: {', '.join(DAYS)}.", usage=USAGE[3])
    match = TIME.match(at)
    if match is None:
        return error(f"“{at}” is not a time like 09:00.", usage=USAGE[3])
    zone = parts[2] if len(parts) == 3 else None
    if zone is not None and not _known_zone(zone):
        return error(f"“{zone}” is not a timezone I know, such as Europe/London.", usage=USAGE[3])
    sub = services.channels.subscribe(
        incoming.conversation,
        by=incoming.sender,
        now=services.clock.now(),
        day=day,
        time=f"{int(match[1]):02d}:{match[2]}",
        timezone=zone,
    )
    return Reply(text=f"This channel will get the digest {describe(sub)}.", tone="done")


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


COMMAND = Command(
    name="digest",
    summary="get the weekly digest in this channel, change its day and time, or preview it",
    usage=USAGE,
    handle=handle_digest,
    subcommands=("on", "off", "preview", "time", "quiet"),
)
