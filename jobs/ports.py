"""What scheduled jobs need from the platforms. Adapters implement these; jobs never import them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.model import Reply


class ChannelGone(Exception):
    """The platform says the bot can no longer post there (channel deleted, bot removed)."""


class TemporaryFailure(Exception):
    """The platform refused or failed before posting anything (an error answer, a 429 storm
    outlasting the retries): nothing landed, so trying again later is safe."""


class MaybeDelivered(TemporaryFailure):
    """The platform failed in a way that does not say whether the message landed (a 5xx, a
    dropped connection, a timeout after sending). Never re-send blindly: look first."""


class Poster(Protocol):
    """Posts a digest into one channel or conversation of one platform."""

    platform: str

    async def post(
        self, channel_id: str, reply: Reply, *, digest_key: str, workspace_id: str = ""
    ) -> str:
        """Post `reply`, tagged with `digest_key` where the platform can carry it; returns the
        platform's id for the message. `workspace_id` is the Slack team or Teams tenant the
        channel belongs to. Raises ChannelGone or TemporaryFailure."""
        ...

    async def already_posted(
        self, channel_id: str, *, digest_key: str, since: datetime, workspace_id: str = ""
    ) -> str | None:
        """The id of a message tagged `digest_key` posted since `since`, if the platform can tell;
        None when it is not there or the platform cannot look back."""
        ...


class DirectMessenger(Protocol):
    """Sends a direct message to one person (reminders, notes to community managers)."""

    platform: str

    async def send_dm(self, person_key: str, reply: Reply, *, key: str = "") -> None:
        """Send `reply`, tagged with `key` where the platform can carry it. Raises ChannelGone
        when the person cannot be reached, TemporaryFailure (MaybeDelivered) to retry later."""
        ...

    async def already_sent(self, person_key: str, *, key: str, since: datetime) -> bool | None:
        """Whether a message tagged `key` reached the person since `since`; None when the
        platform cannot tell."""
        ...

    async def timezone_of(self, person_key: str) -> str | None:
        """The person's IANA timezone if the platform can be asked; None when it cannot say."""
        ...
