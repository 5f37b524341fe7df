"""`digest`: a channel's weekly digest — turn it on or off, move it, narrow it to some service
areas or organisations, say whether a quiet week gets a line, or see what it would say.

Changing a channel's digest is for its admins: the adapter says who they are (the
CHANNEL_ADMIN role on `Incoming.roles`); anyone may preview."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import timedelta

from bot.clock import zone_named
from bot.commands.base import Command, Services, error, split_word
from bot.digest import digest_for
from bot.digest_schedule import DAYS, day_named, time_named
from bot.model import CHANNEL_ADMIN, DigestFilter, Incoming, Reply, Subscription
from bot.text import marked

USAGE = (
    "digest on",
    "digest off",
    "digest preview",
    "digest time mon 09:00 [Europe/London]",
    "digest quiet line|skip",
    "digest only area planning, housing | only organisation Hackney | only everything",
)
CHANGES = frozenset({"on", "off", "time", "quiet", "only"})
AREA_WORDS = frozenset({"area", "areas", "service", "services"})
ORGANISATION_WORDS = frozenset(
    {"organisation", "organisations", "organization", "organizations", "org", "council"}
)
QUIET = {"line": True, "skip": False}  # `digest quiet …`: does a week with nothing new get a line
ADMINS_ONLY = marked(
    "Only this channel's admins can change its digest — ask a workspace admin, the channel's "
    "creator or a community manager. Anyone can use `digest preview`."
)
NOT_ON = marked("This channel does not get the digest: say `digest on` first.")
NOT_A_MEMBER = marked(
    "I'm not in this channel, so I couldn't post its digest. Invite me first "
    "(`/invite @hasanyone`, or add the app from the channel's settings), then say `digest on`."
)
CHANNELS_ONLY = marked(
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
        return _preview(incoming, services)
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
    change = {"quiet": _quiet, "only": _only}.get(verb, _time)
    return change(rest, incoming, services)


def _refusal(incoming: Incoming) -> Reply | None:
    """Why this sender may not change this conversation's digest, or None if they may."""
    if incoming.conversation.is_direct:
        return error(CHANNELS_ONLY)
    if CHANNEL_ADMIN not in incoming.roles:
        return error(ADMINS_ONLY)
    return None


def describe(sub: Subscription) -> str:
    parts = [f"every {sub.day.capitalize()} at {sub.time} ({sub.timezone})"]
    if sub.only.service_areas:
        parts.append(f"only for {_listed(sub.only.service_areas)}")
    if sub.only.organisations:
        parts.append(f"only from {_listed(sub.only.organisations)}")
    if not sub.post_when_quiet:
        parts.append("and nothing in a week with no news")
    return ", ".join(parts)


def _listed(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _on(incoming: Incoming, services: Services) -> Reply:
    if incoming.bot_is_member is False:
        return error(NOT_A_MEMBER)
    sub = services.subscriptions.subscribe(
        incoming.conversation, by=incoming.sender.key, now=services.clock.now()
    )
    return Reply(text=f"This channel will get the digest {describe(sub)}.", tone="done")


def _off(incoming: Incoming, services: Services) -> Reply:
    if services.subscriptions.unsubscribe(incoming.conversation):
        return Reply(text="This channel will no longer get the digest.", tone="done")
    return Reply(text="This channel was not getting the digest.", private=True)


def _preview(incoming: Incoming, services: Services) -> Reply:
    """The last seven days as this channel's digest would show them (with its filter)."""
    end = services.clock.now()
    sub = _subscribed(incoming, services) or Subscription(where=incoming.conversation)
    activity = services.activity.activity_between(end - timedelta(days=7), end)
    digest = digest_for(replace(sub, post_when_quiet=True), activity)  # a preview always says
    assert digest is not None
    return replace(digest, private=True)


def _quiet(rest: str, incoming: Incoming, services: Services) -> Reply:
    choice = rest.strip().lower()
    if choice not in QUIET:
        said = f"“{rest.strip()}” is not line or skip." if choice else "Line or skip?"
        return error(
            said + marked(" `line` posts one line in a week with no news; `skip` posts nothing."),
            usage=USAGE[4],
        )
    if _subscribed(incoming, services) is None:
        return error(NOT_ON)
    services.subscriptions.subscribe(
        incoming.conversation,
        by=incoming.sender.key,
        now=services.clock.now(),
        post_when_quiet=QUIET[choice],
    )
    if QUIET[choice]:
        return Reply(text="A week with no news gets one line here saying so.", tone="done")
    return Reply(text="A week with no news gets no digest here.", tone="done")


def _only(rest: str, incoming: Incoming, services: Services) -> Reply:
    """Narrow the digest to some service areas or organisations (each replaces that field's
    list), or back to everything."""
    sub = _subscribed(incoming, services)
    if sub is None:
        return error(NOT_ON)
    only = _narrowed(sub.only, rest, services)
    if isinstance(only, Reply):
        return only
    sub = services.subscriptions.subscribe(
        incoming.conversation, by=incoming.sender.key, now=services.clock.now(), only=only
    )
    again = " again" if only == DigestFilter() else ""
    return Reply(text=f"This channel will get the digest{again} {describe(sub)}.", tone="done")


def _narrowed(only: DigestFilter, rest: str, services: Services) -> DigestFilter | Reply:
    """The filter `digest only {rest}` asks for, or the reply explaining why it cannot be."""
    what, names = split_word(rest)
    if what in ("everything", "all") and not names:
        return DigestFilter()
    if what in AREA_WORDS and names:
        areas = service_areas_named(_names(names), services)
        if isinstance(areas, str):
            return error(areas, usage=USAGE[5])
        return replace(only, service_areas=areas)
    if what in ORGANISATION_WORDS and names:
        found = organisations_named(names, services)
        if isinstance(found, str):
            return error(found, usage=USAGE[5])
        return replace(only, organisations=found)
    said = f"I can't narrow the digest to “{rest}”." if rest else "Only what?"
    return error(f"{said} Name service areas or organisations, or say everything.", usage=USAGE[5])


def _subscribed(incoming: Incoming, services: Services) -> Subscription | None:
    """The conversation's digest if it is on."""
    sub = services.subscriptions.subscription(incoming.conversation)
    return sub if sub is not None and sub.active else None


def _names(text: str) -> list[str]:
    return [name.strip() for name in re.split(r"[,;]", text) if name.strip()]


def service_areas_named(names: list[str], services: Services) -> tuple[str, ...] | str:
    """The registered spelling of each service area named, or why one is not known. The one
    check for the chat's `digest only area …` and the command line's `--service-area`."""
    known = {area.casefold(): area for area in services.projects.service_areas()}
    unknown = [name for name in names if name.casefold() not in known]
    if unknown:
        listed = ", ".join(known.values()) or "none yet"
        return f"No registered project has the service area “{unknown[0]}”. Areas: {listed}."
    return tuple(dict.fromkeys(known[name.casefold()] for name in names))


def organisations_named(text: str | list[str], services: Services) -> tuple[str, ...] | str:
    """The ids of the organisations named (a council's name may itself hold a comma, so a
    text is tried whole first), through the import's aliases; or why one is not known, with
    the nearest names there are."""
    if isinstance(text, str):
        whole = services.projects.resolve_organisation(text)
        if whole is not None:
            return (whole.id,)
        text = _names(text)
    ids = []
    for name in text:
        organisation = services.projects.resolve_organisation(name)
        if organisation is None:
            names = [o.name for o in services.projects.organisations()]
            near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            return f"I don't know an organisation called “{name}”.{hint}"
        ids.append(organisation.id)
    return tuple(dict.fromkeys(ids))


def _time(rest: str, incoming: Incoming, services: Services) -> Reply:
    parts = rest.split()
    if len(parts) not in (2, 3):
        return error("Give a day and a time.", usage=USAGE[3])
    day, at = day_named(parts[0]), time_named(parts[1])
    if day is None:
        return error(f"“{parts[0]}” is not a day. Days: {', '.join(DAYS)}.", usage=USAGE[3])
    if at is None:
        return error(f"“{parts[1]}” is not a time like 09:00.", usage=USAGE[3])
    zone = parts[2] if len(parts) == 3 else None
    if zone is not None and zone_named(zone) is None:
        return error(f"“{zone}” is not a timezone I know, such as Europe/London.", usage=USAGE[3])
    sub = services.subscriptions.subscribe(
        incoming.conversation,
        by=incoming.sender.key,
        now=services.clock.now(),
        day=day,
        time=at,
        timezone=zone,
    )
    return Reply(text=f"This channel will get the digest {describe(sub)}.", tone="done")


COMMAND = Command(
    name="digest",
    summary="this channel's weekly digest: on or off, day and time, what it covers, a preview",
    usage=USAGE,
    handle=handle_digest,
    subcommands=("on", "off", "preview", "time", "quiet", "only"),
)
