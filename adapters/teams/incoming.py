"""Teams activities (as JSON dicts) → the core's `Incoming`. Pure, tested on captured payloads.

Teams has no slash commands: people type the same words to the bot ("weeknote …",
"hasanyone help"), in a personal chat or as a channel @mention whose <at>…</at> is stripped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.teams.cards import pressed
from bot.clock import zone_named
from bot.model import ConversationRef, Incoming, Person

PLATFORM = "teams"
AT_TAG = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]+>")
BOT_NAME = re.compile(r"^\s*@?hasanyone\b[\s,:]*", re.IGNORECASE)


def conversation_of(activity: Mapping[str, Any]) -> ConversationRef:
    """Where an activity came from. A channel message's conversation id names its thread too
    (`19:…@thread.tacv2;messageid=<post>`): the channel is the id before `;messageid=`, which
    is what settings and digests are keyed on, and the post is the thread. A team's channel is
    public to the community (its tenant); a group chat or a personal chat is not, nor is a
    private channel where Teams says it is one."""
    conversation = activity.get("conversation") or {}
    kind = conversation.get("conversationType")
    channel_id, thread = split_thread(str(conversation.get("id", "")))
    data_channel = (activity.get("channelData") or {}).get("channel") or {}
    private = str(data_channel.get("membershipType") or "").lower() in ("private", "shared")
    if kind == "channel" and not thread:
        thread = str(activity.get("replyToId") or activity.get("id") or "")
    return ConversationRef(
        platform=PLATFORM,
        channel_id=channel_id,
        workspace_id=tenant_of(activity),
        thread_id=thread or None,
        is_direct=kind == "personal",
        is_public=kind == "channel" and not private,
        is_group=kind == "groupChat",
    )


def split_thread(conversation_id: str) -> tuple[str, str]:
    """`19:c@thread.tacv2;messageid=17` → (`19:c@thread.tacv2`, `17`); other ids unchanged."""
    channel, _, thread = conversation_id.partition(";messageid=")
    return channel, thread


def is_from_a_bot(activity: Mapping[str, Any]) -> bool:
    sender = activity.get("from") or {}
    return sender.get("role") == "bot" or str(sender.get("id") or "").startswith("28:")


def mentions_the_bot(activity: Mapping[str, Any]) -> bool:
    """Whether a message @mentions the bot: an entity of type mention naming the recipient,
    or (as older clients send it) the bot's name in an <at> tag."""
    recipient = activity.get("recipient") or {}
    bot_id, bot_name = str(recipient.get("id") or ""), str(recipient.get("name") or "hasanyone")
    for entity in activity.get("entities") or ():
        if isinstance(entity, Mapping) and entity.get("type") == "mention":
            who = entity.get("mentioned") or {}
            if isinstance(who, Mapping) and bot_id and str(who.get("id") or "") == bot_id:
                return True
    names = {bot_name.lower(), "hasanyone"}
    text = str(activity.get("text") or "")
    return any(html.unescape(m).strip().lower() in names for m in AT_TAG.findall(text))


def mentioned(activity: Mapping[str, Any]) -> tuple[Person, ...]:
    """The people a message mentions (Teams lists them in `entities`), other than the bot.
    A mention gives the person's name and Bot Framework id, not their AAD object id, so the
    key is only known when they have spoken to the bot; the core then looks them up by name."""
    bot_id = str((activity.get("recipient") or {}).get("id") or "")
    found = []
    for entity in activity.get("entities") or ():
        if not isinstance(entity, Mapping) or entity.get("type") != "mention":
            continue
        who = entity.get("mentioned") or {}
        if not isinstance(who, Mapping) or str(who.get("id") or "") == bot_id:
            continue
        aad = str(who.get("aadObjectId") or "")
        key = f"{PLATFORM}:{tenant_of(activity)}:{aad}" if aad else ""
        found.append(Person(key=key, name=str(who.get("name") or "")))
    return tuple(found)


def tenant_of(activity: Mapping[str, Any]) -> str:
    conversation = activity.get("conversation") or {}
    channel_data = activity.get("channelData") or {}
    tenant = conversation.get("tenantId") or (channel_data.get("tenant") or {}).get("id")
    return str(tenant or "")


def team_of(activity: Mapping[str, Any]) -> str:
    """The team a channel message was posted in; "" in personal and group chats."""
    team = (activity.get("channelData") or {}).get("team")
    return str(team.get("id") or "") if isinstance(team, Mapping) else ""


def is_team_owner(member: Mapping[str, Any]) -> bool:
    """Whether a roster entry (a `TeamsChannelAccount`, as JSON) is one of the team's owners.
    Teams says so in `userRole`: "owner", else "user" or "guest"."""
    return str(member.get("userRole") or "").strip().lower() == "owner"


def sender_of(activity: Mapping[str, Any]) -> Person:
    sender = activity.get("from") or {}
    who = sender.get("aadObjectId") or sender.get("id") or ""
    return Person(
        key=f"{PLATFORM}:{tenant_of(activity)}:{who}",
        name=str(sender.get("name") or ""),
        timezone=timezone_of(activity),
    )


def timezone_of(activity: Mapping[str, Any]) -> str:
    """The sender's IANA timezone, which Teams clients put in `localTimezone`; "" when it is
    missing or not a zone this machine knows."""
    name = activity.get("localTimezone")
    if not isinstance(name, str) or len(name) > 64 or zone_named(name) is None:
        return ""
    return name


def clean_text(text: str, bot_name: str = "hasanyone") -> str:
    """The bot's own mention out, other people's kept as "@Name", Teams' HTML flattened, and a
    leading "hasanyone" dropped, so that "@hasanyone weeknote …" and "hasanyone help" reach
    the core as "weeknote …" and "help"."""

    def mention(match: re.Match[str]) -> str:
        name = html.unescape(TAG.sub("", match.group(1))).strip()
        return " " if name.lower() in (bot_name.lower(), "hasanyone") else f" @{name} "

    text = AT_TAG.sub(mention, text)
    text = html.unescape(TAG.sub(" ", text.replace("<br>", "\n").replace("</p>", "\n")))
    text = BOT_NAME.sub("", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def message_to_incoming(activity: Mapping[str, Any], *, now: datetime) -> Incoming:
    """A typed message, a card's button press, or a card form submission."""
    base = {
        "sender": sender_of(activity),
        "conversation": conversation_of(activity),
        "received_at": now,
    }
    value = activity.get("value")
    if isinstance(value, Mapping) and "form" in value:
        fields = {
            k: "" if v is None else str(v)
            for k, v in value.items()
            if k not in ("form", "submission", "settles")
            and (v is None or isinstance(v, str | int | float | bool))
        }
        return Incoming(text="", form_id=str(value["form"]), form=fields, **base)  # type: ignore[arg-type]
    action = pressed(value) if isinstance(value, Mapping) else None
    if action is not None:
        return Incoming(text="", action=action, **base)  # type: ignore[arg-type]
    people = tuple(p for p in mentioned(activity) if p.key)
    bot_name = str((activity.get("recipient") or {}).get("name") or "hasanyone")
    text = clean_text(str(activity.get("text") or ""), bot_name)
    return Incoming(text=text, mentions=people, **base)  # type: ignore[arg-type]
