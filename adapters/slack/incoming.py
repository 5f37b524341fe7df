"""Slack payloads → the core's `Incoming`. Pure functions, tested on captured payloads.

Slack's text is Slack markup: `&`, `<` and `>` arrive as entities, and people, channels and
links as `<@U…|name>`, `<#C…|name>`, `<https://…|label>`. The core gets plain text (what the
person saw when they typed it, line breaks kept) and, separately, the people they mentioned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from adapters.slack.blocks import pressed
from bot.model import ConversationRef, Incoming, Person

PLATFORM = "slack"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")
# Message subtypes that are people saying something; every other subtype (edits, deletions,
# joins, bot messages, channel topic changes…) is not a question to answer.
SPOKEN = frozenset({"file_share", "thread_broadcast", "me_message"})
MARKUP = re.compile(r"<([^<>]*)>")
Kind = Literal["public", "private", "group", "direct"]


def person(team_id: str, user_id: str, name: str = "") -> Person:
    return Person(key=f"{PLATFORM}:{team_id}:{user_id}", name=name)


def user_of(key: str, team_id: str) -> str | None:
    """The Slack user id inside a person key from the same workspace, else None."""
    prefix = f"{PLATFORM}:{team_id}:"
    return key.removeprefix(prefix) if key.startswith(prefix) else None


def _team(body: Mapping[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, Mapping):
        return str(team.get("id", ""))
    return str(body.get("team_id") or team or "")


def event_team(body: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    """The workspace an event came from: the body says, else Bolt's context does."""
    return str(body.get("team_id") or context.get("team_id") or "")


def conversation(
    team_id: str, channel_id: str, kind: Kind | None, *, thread_id: str | None = None
) -> ConversationRef:
    """A Slack conversation. `kind` None (not known) counts as private."""
    return ConversationRef(
        platform=PLATFORM,
        channel_id=channel_id,
        workspace_id=team_id,
        thread_id=thread_id,
        is_direct=kind == "direct",
        is_public=kind == "public",
        is_group=kind == "group",
    )


def slash_kind(body: Mapping[str, Any]) -> Kind:
    """Slash commands name the conversation: `directmessage`, `privategroup` (a private
    channel), `mpdm-…` (a group DM), or the public channel's own name."""
    name = str(body.get("channel_name") or "")
    channel = str(body.get("channel_id") or "")
    if name == "directmessage" or channel.startswith("D"):
        return "direct"
    if name.startswith("mpdm-"):
        return "group"
    if name == "privategroup" or channel.startswith("G") or not channel.startswith("C"):
        return "private"
    return "public"


def event_kind(event: Mapping[str, Any]) -> Kind | None:
    """Message events say `channel_type` (channel, group, im, mpim); app_mention does not."""
    return {"channel": "public", "group": "private", "im": "direct", "mpim": "group"}.get(
        str(event.get("channel_type") or "")
    ) or ("direct" if str(event.get("channel", "")).startswith("D") else None)  # type: ignore[return-value]


def info_kind(channel: Mapping[str, Any]) -> Kind:
    """From conversations.info's `channel`."""
    if channel.get("is_im"):
        return "direct"
    if channel.get("is_mpim"):
        return "group"
    if channel.get("is_private") or channel.get("is_group"):
        return "private"
    return "public"


def decode(text: str) -> tuple[str, tuple[str, ...]]:
    """Slack markup → (plain text, ids of the users it mentions). Links keep their address,
    so nothing is hidden behind a label."""
    mentioned: list[str] = []

    def plain(match: re.Match[str]) -> str:
        inside = match.group(1)
        target, _, label = inside.partition("|")
        if target.startswith("@"):
            mentioned.append(target[1:])
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            special = target[1:].split("^", 1)[0]
            return label or f"@{special}"
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    decoded = MARKUP.sub(plain, text)
    decoded = decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return decoded, tuple(dict.fromkeys(mentioned))


def tidy(text: str) -> str:
    """Runs of spaces within each line become one; line breaks (paragraphs) stay."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _people(team_id: str, user_ids: tuple[str, ...], bot_user_id: str | None) -> tuple[Person, ...]:
    return tuple(person(team_id, u) for u in user_ids if u != bot_user_id)


def slash_to_incoming(body: Mapping[str, Any], *, now: datetime) -> Incoming:
    """A slash command: `/weeknote text` → command "weeknote", text "text"."""
    team = _team(body)
    text, mentioned = decode(str(body.get("text") or ""))
    return Incoming(
        text=tidy(text),
        sender=person(team, str(body.get("user_id", "")), str(body.get("user_name", ""))),
        conversation=conversation(team, str(body.get("channel_id", "")), slash_kind(body)),
        received_at=now,
        command=str(body.get("command", "")).lstrip("/"),
        mentions=_people(team, mentioned, None),
    )


def is_channel_admin(
    user_info: Mapping[str, Any], channel_info: Mapping[str, Any], user_id: str
) -> bool:
    """Whether a Slack user may change a channel's settings: a workspace admin or owner
    (`users.info`'s `user`) or the channel's creator (`conversations.info`'s `channel`)."""
    if not user_id:
        return False
    if any(user_info.get(flag) is True for flag in ADMIN_FLAGS):
        return True
    return channel_info.get("creator") == user_id


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    """Drop the bot's own mention and tidy the space it leaves (line breaks stay)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return tidy(text)


def event_to_incoming(
    event: Mapping[str, Any],
    *,
    team_id: str,
    bot_user_id: str | None,
    now: datetime,
    kind: Kind | None = None,
) -> Incoming:
    """A message or app_mention. `kind` overrides what the event says of the conversation
    (app_mention says nothing; the adapter asks conversations.info)."""
    channel = str(event.get("channel", ""))
    thread = str(event.get("thread_ts") or event.get("ts") or "") or None
    text, mentioned = decode(strip_mentions(str(event.get("text") or ""), bot_user_id))
    return Incoming(
        text=tidy(text),
        sender=person(team_id, str(event.get("user", ""))),
        conversation=conversation(team_id, channel, kind or event_kind(event), thread_id=thread),
        received_at=now,
        mentions=_people(team_id, mentioned, bot_user_id),
    )


def is_from_a_bot(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """Bot messages, and events that are not someone saying something (edits, deletions,
    joins): a file shared with a question, or a thread reply also sent to the channel, is."""
    subtype = event.get("subtype")
    return bool(
        event.get("bot_id")
        or event.get("bot_profile")
        or (subtype and subtype not in SPOKEN)
        or (bot_user_id and event.get("user") == bot_user_id)
        or not event.get("user")
    )


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m == user_id for m in MENTION.findall(text))


def starts_with_mention(text: str, user_id: str | None) -> bool:
    """`@hasanyone …` at the start: in a DM, Slack sends no app_mention for it."""
    match = MENTION.match(text.strip())
    return bool(user_id) and match is not None and match.group(1) == user_id


def action_to_incoming(body: Mapping[str, Any], *, now: datetime) -> Incoming:
    action = body["actions"][0]
    team = _team(body)
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    channel_id = str(channel.get("id") or container.get("channel_id") or "")
    kind: Kind | None = "direct" if channel_id.startswith("D") else None
    user = body.get("user") or {}
    return Incoming(
        text="",
        sender=person(
            team, str(user.get("id", "")), str(user.get("username") or user.get("name") or "")
        ),
        conversation=conversation(team, channel_id, kind, thread_id=container.get("thread_ts")),
        received_at=now,
        action=pressed(action),
    )


def view_to_incoming(
    body: Mapping[str, Any], values: Mapping[str, str], *, channel_id: str, now: datetime
) -> Incoming:
    team = _team(body)
    user = body.get("user") or {}
    kind: Kind | None = "direct" if channel_id.startswith("D") or not channel_id else None
    return Incoming(
        text="",
        sender=person(
            team, str(user.get("id", "")), str(user.get("username") or user.get("name") or "")
        ),
        conversation=conversation(team, channel_id, kind),
        received_at=now,
        form_id=str(body["view"].get("callback_id", "")),
        form=dict(values),
    )
