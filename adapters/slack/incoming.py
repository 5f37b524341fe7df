"""Slack payloads → the core's `Incoming`. Pure functions, tested on captured payloads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.model import ActionPayload, ConversationRef, Incoming, Person

PLATFORM = "slack"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


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


def slash_to_incoming(body: Mapping[str, Any], *, now: datetime) -> Incoming:
    """A slash command: `/weeknote text` → command "weeknote", text "text"."""
    team = _team(body)
    channel = str(body.get("channel_id", ""))
    where = ConversationRef(
        platform=PLATFORM,
        channel_id=channel,
        workspace_id=team,
        is_direct=body.get("channel_name") == "directmessage" or channel.startswith("D"),
    )
    return Incoming(
        text=str(body.get("text") or ""),
        sender=person(team, str(body.get("user_id", "")), str(body.get("user_name", ""))),
        conversation=where,
        received_at=now,
        command=str(body.get("command", "")).lstrip("/"),
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
    """Drop the bot's own mention and tidy the space it leaves."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def event_to_incoming(
    event: Mapping[str, Any], *, team_id: str, bot_user_id: str | None, now: datetime
) -> Incoming:
    channel = str(event.get("channel", ""))
    where = ConversationRef(
        platform=PLATFORM,
        channel_id=channel,
        workspace_id=team_id,
        thread_id=str(event.get("thread_ts") or event.get("ts") or "") or None,
        is_direct=event.get("channel_type") == "im" or channel.startswith("D"),
    )
    return Incoming(
        text=strip_mentions(str(event.get("text") or ""), bot_user_id),
        sender=person(team_id, str(event.get("user", ""))),
        conversation=where,
        received_at=now,
    )


def is_from_a_bot(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    return bool(
        event.get("bot_id")
        or event.get("bot_profile")
        or event.get("subtype")
        or (bot_user_id and event.get("user") == bot_user_id)
    )


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m == user_id for m in MENTION.findall(text))


def action_to_incoming(body: Mapping[str, Any], *, now: datetime) -> Incoming:
    action = body["actions"][0]
    team = _team(body)
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    where = ConversationRef(
        platform=PLATFORM,
        channel_id=str(channel.get("id") or container.get("channel_id") or ""),
        workspace_id=team,
        thread_id=container.get("thread_ts"),
    )
    user = body.get("user") or {}
    return Incoming(
        text="",
        sender=person(
            team, str(user.get("id", "")), str(user.get("username") or user.get("name") or "")
        ),
        conversation=where,
        received_at=now,
        action=ActionPayload(
            name=str(action.get("action_id", "")), value=str(action.get("value", ""))
        ),
    )


def view_to_incoming(
    body: Mapping[str, Any], values: Mapping[str, str], *, channel_id: str, now: datetime
) -> Incoming:
    team = _team(body)
    user = body.get("user") or {}
    where = ConversationRef(platform=PLATFORM, channel_id=channel_id, workspace_id=team)
    return Incoming(
        text="",
        sender=person(
            team, str(user.get("id", "")), str(user.get("username") or user.get("name") or "")
        ),
        conversation=where,
        received_at=now,
        form_id=str(body["view"].get("callback_id", "")),
        form=dict(values),
    )
