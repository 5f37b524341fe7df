"""The App Home tab, as the core's `HomeView` says, for one person in one workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.slack import blocks
from adapters.slack.incoming import PLATFORM
from bot.home import home_for
from bot.ports import HomeSource


def home_view(register: HomeSource, *, team: str, key: str, now: datetime) -> dict[str, Any]:
    """The person's home, with this workspace's questions (never another's)."""
    view = home_for(register, person_key=key, community=f"{PLATFORM}:{team}", now=now)
    return blocks.home_view(view)
