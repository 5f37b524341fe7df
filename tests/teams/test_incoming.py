"""Teams activities → Incoming, on activities shaped as Teams sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.teams.incoming import clean_text, is_team_owner, message_to_incoming, team_of

NOW = datetime(2025, 3, 12, 10, 30, tzinfo=UTC)


def activity(
    text: str = "", *, conversation_type: str = "personal", value: Any = None
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "1",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "from": {"id": "29:1abc", "name": "Alice Jones", "aadObjectId": "aad-alice"},
        "conversation": {
            "id": "a:1personal",
            "conversationType": conversation_type,
            "tenantId": "tenant-1",
        },
        "recipient": {"id": "28:bot", "name": "hasanyone"},
        "text": text,
        "value": value,
        "channelData": {"tenant": {"id": "tenant-1"}},
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<at>hasanyone</at> has anyone built a bins app?", "has anyone built a bins app?"),
        ("hasanyone help", "help"),
        ("Hasanyone, weeknote pl-17: shipped", "weeknote pl-17: shipped"),
        ("<p>weeknote pl-17: line one</p><p>line two</p>", "weeknote pl-17: line one\nline two"),
        ("fish &amp; chips", "fish & chips"),
        ("hasanyoneelse", "hasanyoneelse"),
        ("   ", ""),
    ],
)
def test_mentions_html_and_the_bots_name_are_stripped(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_a_personal_message_is_direct_and_keyed_by_tenant_and_aad_id() -> None:
    incoming = message_to_incoming(activity("hasanyone help"), now=NOW)
    assert incoming.text == "help"
    assert (
        incoming.sender.key == "teams:tenant-1:aad-alice" and incoming.sender.name == "Alice Jones"
    )
    assert incoming.conversation.is_direct and incoming.conversation.channel_id == "a:1personal"


def test_a_channel_mention_is_not_direct() -> None:
    incoming = message_to_incoming(
        activity("<at>hasanyone</at> hi", conversation_type="channel"), now=NOW
    )
    assert not incoming.conversation.is_direct


def test_a_form_submission_carries_its_form_and_values() -> None:
    value = {"form": "weeknote", "project": "pl-17", "week": "2025-03-10", "text": None}
    incoming = message_to_incoming(activity(value=value), now=NOW)
    assert incoming.form_id == "weeknote"
    assert incoming.form == {"project": "pl-17", "week": "2025-03-10", "text": ""}


def test_a_button_press_carries_its_action() -> None:
    incoming = message_to_incoming(
        activity(value={"action": "helpful", "value": "3:project:pl-17"}), now=NOW
    )
    assert incoming.action is not None
    assert (incoming.action.name, incoming.action.value) == ("helpful", "3:project:pl-17")


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ({"id": "29:1", "userRole": "owner"}, True),
        ({"id": "29:1", "userRole": "Owner"}, True),
        ({"id": "29:1", "userRole": "user"}, False),
        ({"id": "29:1", "userRole": "guest"}, False),
        ({"id": "29:1", "userRole": None}, False),
        ({"id": "29:1", "userRole": ""}, False),
        ({"id": "29:1", "role": "owner"}, False),
        ({"id": "29:1"}, False),
        ({}, False),
    ],
)
def test_a_team_owner_is_a_member_whose_user_role_says_owner(
    member: dict[str, Any], expected: bool
) -> None:
    assert is_team_owner(member) is expected


@pytest.mark.parametrize(
    ("channel_data", "expected"),
    [
        ({"tenant": {"id": "t"}, "team": {"id": "19:team@thread.tacv2"}}, "19:team@thread.tacv2"),
        ({"tenant": {"id": "t"}}, ""),
        ({"team": {}}, ""),
        ({"team": "19:team"}, ""),
        (None, ""),
    ],
)
def test_the_team_of_a_message_comes_from_its_channel_data(
    channel_data: dict[str, Any] | None, expected: str
) -> None:
    assert team_of({**activity("digest on"), "channelData": channel_data}) == expected


@pytest.mark.parametrize(
    ("local_timezone", "expected"),
    [
        ("Europe/London", "Europe/London"),
        ("Pacific/Auckland", "Pacific/Auckland"),
        (None, ""),
        ("", ""),
        ("Mars/Olympus_Mons", ""),
        ("../../etc/passwd", ""),
        (42, ""),
    ],
)
def test_the_senders_timezone_comes_from_local_timezone_when_it_is_a_real_zone(
    local_timezone: Any, expected: str
) -> None:
    incoming = message_to_incoming({**activity("hi"), "localTimezone": local_timezone}, now=NOW)
    assert incoming.sender.timezone == expected
