"""app.yaml is the Slack manifest: its commands and events must be the ones we listen for."""

from __future__ import annotations

import pytest

from adapters.manifest import bot_events, load_manifest, slack_manifest, slash_commands
from adapters.slack.app import COMMANDS, EVENTS
from bot.commands import COMMANDS as CORE_COMMANDS


def test_manifest_commands_equal_the_registered_slash_commands() -> None:
    assert sorted(slash_commands(load_manifest())) == sorted(COMMANDS)


def test_every_slash_command_reaches_a_core_command() -> None:
    core = {c.name for c in CORE_COMMANDS}
    for command in COMMANDS:
        assert command == "/hasanyone" or command.lstrip("/") in core


def test_manifest_events_equal_the_registered_event_listeners() -> None:
    assert {e.split(".")[0] for e in bot_events(load_manifest())} == set(EVENTS)


def test_the_printed_manifest_has_every_url_filled_in() -> None:
    manifest = slack_manifest("https://hasanyone.example.gov.uk/", socket_mode=True)
    text = str(manifest)
    assert "REQUEST_URL" not in text
    assert (
        manifest["settings"]["event_subscriptions"]["request_url"]
        == "https://hasanyone.example.gov.uk/slack/events"
    )
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_a_plain_http_url_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        slack_manifest("http://example.org")
