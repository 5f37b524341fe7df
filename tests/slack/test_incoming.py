"""Slack payloads → Incoming, on payloads shaped as Slack sends them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.slack.incoming import (
    action_to_incoming,
    event_to_incoming,
    is_channel_admin,
    is_from_a_bot,
    mentions,
    slash_to_incoming,
    strip_mentions,
    user_of,
)

NOW = datetime(2025, 3, 12, 10, 30, tzinfo=UTC)
SLASH = {
    "token": "x",
    "team_id": "T0001",
    "team_domain": "localgov",
    "channel_id": "C0GENERAL",
    "channel_name": "general",
    "user_id": "U123",
    "user_name": "alice",
    "command": "/weeknote",
    "text": "pl-17: tested it",
    "response_url": "https://hooks.slack.com/commands/1/2/3",
    "trigger_id": "1.2.3",
}


def test_a_slash_command_keeps_its_command_words_and_who_said_it() -> None:
    incoming = slash_to_incoming(SLASH, now=NOW)
    assert (incoming.command, incoming.text) == ("weeknote", "pl-17: tested it")
    assert incoming.sender.key == "slack:T0001:U123" and incoming.sender.name == "alice"
    assert incoming.conversation.channel_id == "C0GENERAL" and not incoming.conversation.is_direct


def test_a_slash_command_in_a_dm_is_direct() -> None:
    incoming = slash_to_incoming(
        {**SLASH, "channel_id": "D0ALICE", "channel_name": "directmessage"}, now=NOW
    )
    assert incoming.conversation.is_direct


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@UBOT> has anyone built a bins app?", "has anyone built a bins app?"),
        ("has anyone <@UBOT|hasanyone> built one", "has anyone built one"),
        ("<@UBOT>", ""),
        ("ask <@UOTHER> about it", "ask <@UOTHER> about it"),
    ],
)
def test_the_bots_own_mention_is_stripped(text: str, expected: str) -> None:
    assert strip_mentions(text, "UBOT") == expected


def test_a_threaded_mention_replies_in_the_existing_thread() -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> hi",
        "ts": "2.0",
        "thread_ts": "1.0",
        "channel": "C1",
    }
    incoming = event_to_incoming(event, team_id="T1", bot_user_id="UBOT", now=NOW)
    assert incoming.conversation.thread_id == "1.0"
    assert incoming.text == "hi"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"user": "U1", "text": "hi"}, False),
        ({"bot_id": "B1", "text": "hi"}, True),
        ({"user": "UBOT", "text": "hi"}, True),
        ({"subtype": "message_changed", "user": "U1"}, True),
        ({"subtype": "channel_join", "user": "U1"}, True),
    ],
)
def test_bots_edits_and_joins_are_not_conversation(event: dict[str, str], expected: bool) -> None:
    assert is_from_a_bot(event, "UBOT") is expected


def test_mentions_and_user_keys() -> None:
    assert mentions("hey <@UBOT> there", "UBOT") and not mentions("hey <@UOTHER>", "UBOT")
    assert user_of("slack:T1:U9", "T1") == "U9"
    assert user_of("slack:T2:U9", "T1") is None and user_of("console:bob", "T1") is None


def test_a_button_press_carries_its_action_and_value() -> None:
    body = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "username": "alice"},
        "channel": {"id": "C1"},
        "container": {"channel_id": "C1", "thread_ts": "1.0"},
        "actions": [{"action_id": "helpful", "value": "7:project:pl-17"}],
    }
    incoming = action_to_incoming(body, now=NOW)
    assert incoming.action is not None
    assert (incoming.action.name, incoming.action.value) == ("helpful", "7:project:pl-17")
    assert incoming.sender.key == "slack:T1:U1" and incoming.conversation.thread_id == "1.0"


CHANNEL = {"id": "C1", "creator": "UCREATOR"}


@pytest.mark.parametrize(
    ("user_info", "channel_info", "user_id", "expected"),
    [
        ({"id": "U1", "is_admin": True}, CHANNEL, "U1", True),
        ({"id": "U1", "is_owner": True}, CHANNEL, "U1", True),
        ({"id": "U1", "is_primary_owner": True}, CHANNEL, "U1", True),
        ({"id": "UCREATOR"}, CHANNEL, "UCREATOR", True),
        ({"id": "U1", "is_admin": False, "is_owner": False}, CHANNEL, "U1", False),
        ({"id": "U1"}, CHANNEL, "U1", False),
        ({"id": "U1", "is_restricted": True}, CHANNEL, "U1", False),
        ({"id": "U1", "is_admin": "false"}, CHANNEL, "U1", False),
        ({"id": "U1"}, {"id": "C1"}, "U1", False),
        ({"id": "U1"}, {}, "U1", False),
        ({}, {"creator": ""}, "", False),
        ({"is_admin": True}, CHANNEL, "", False),
    ],
)
def test_a_channel_admin_is_a_workspace_admin_or_owner_or_the_channels_creator(
    user_info: dict[str, object], channel_info: dict[str, object], user_id: str, expected: bool
) -> None:
    assert is_channel_admin(user_info, channel_info, user_id) is expected
