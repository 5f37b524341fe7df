"""What kind of conversation a Slack channel is (public, private, group, direct): app_mention
and message shortcuts do not say, so Slack is asked once per channel and the answer kept."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import call_or_log
from adapters.slack.incoming import Kind, info_kind


class ChannelKinds:
    def __init__(self) -> None:
        self._known: dict[tuple[str, str], Kind] = {}  # (team, channel) → what kind it is

    async def of(self, team: str, channel: str, client: AsyncWebClient) -> Kind | None:
        """None (private) when Slack will not say."""
        if channel.startswith("D"):
            return "direct"
        known = self._known.get((team, channel))
        if known is not None:
            return known
        found = await call_or_log(client.conversations_info, channel=channel)
        if found is None:
            return None
        kind = info_kind(found.get("channel") or {})
        self._known[(team, channel)] = kind
        return kind
