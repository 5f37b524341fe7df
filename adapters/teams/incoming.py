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

from bot.clock import zone_named
from bot.model import ActionPayload, ConversationRef, Incoming, Person

PLATFORM = "teams"
AT_TAG = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]+>")
BOT_NAME = re.compile(r"^\s*@?hasanyone\b[\s,:]*", re.IGNORECASE)


def conversation_of(activity: Mapping[str, Any]) -> ConversationRef:
    conversation = activity.get("conversation") or {}
    return ConversationRef(
        platform=PLATFORM,
        channel_id=str(conversation.get("id", "")),
        workspace_id=tenant_of(activity),
        is_direct=conversation.get("conversationType") == "personal",
    )


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


def clean_text(text: str) -> str:
    """Mentions out, Teams' HTML flattened, and a leading "hasanyone" dropped, so that
    "@hasanyone weeknote …" and "hasanyone help" reach the core as "weeknote …" and "help"."""
    text = AT_TAG.sub(" ", text)
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
        fields = {k: "" if v is None else str(v) for k, v in value.items() if k != "form"}
        return Incoming(text="", form_id=str(value["form"]), form=fields, **base)  # type: ignore[arg-type]
    if isinstance(value, Mapping) and "action" in value:
        action = ActionPayload(name=str(value["action"]), value=str(value.get("value", "")))
        return Incoming(text="", action=action, **base)  # type: ignore[arg-type]
    return Incoming(text=clean_text(str(activity.get("text") or "")), **base)  # type: ignore[arg-type]
