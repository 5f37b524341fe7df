"""What every command shares: the services it may use and how it is described."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.access import Access
from bot.model import ActionPayload, Incoming, Reply
from bot.ports import (
    ActivityFeed,
    Channels,
    Claims,
    Clock,
    Finder,
    Outbox,
    People,
    ProjectDirectory,
    QuestionLog,
    Reminders,
    Subscriptions,
    WeeknoteBook,
)


@dataclass(frozen=True, slots=True)
class Services:
    """The ports a command may use, and the access rules; built once by the composition root."""

    clock: Clock
    projects: ProjectDirectory
    weeknotes: WeeknoteBook
    finder: Finder
    questions: QuestionLog
    activity: ActivityFeed
    channels: Channels
    people: People
    reminders: Reminders
    claims: Claims
    outbox: Outbox
    subscriptions: Subscriptions
    access: Access = field(default_factory=Access)


Handler = Callable[[str, Incoming, Services], Reply]
FormHandler = Callable[[Mapping[str, str], Incoming, Services], Reply]
ButtonHandler = Callable[[ActionPayload, Incoming, Services], Reply]
FormCheck = Callable[[Mapping[str, str], Incoming, Services], Reply | None]


@dataclass(frozen=True, slots=True)
class Command:
    """One entry of the command table. `usage` lines double as the help text."""

    name: str
    summary: str
    usage: tuple[str, ...]
    handle: Handler
    subcommands: tuple[str, ...] = ()
    forms: Mapping[str, FormHandler] | None = None
    checks: Mapping[str, FormCheck] | None = None  # a form's validation alone, without saving
    buttons: Mapping[str, ButtonHandler] | None = None


def split_word(text: str) -> tuple[str, str]:
    """The first word (lower-cased) and the rest, both stripped."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


def split_target(text: str) -> tuple[str, str] | None:
    """`ID: rest` → (ID, rest). None when the text does not start with an id and a colon."""
    head, sep, rest = text.partition(":")
    head = head.strip()
    if not sep or not head or " " in head or len(head) > 80:
        return None
    return head, rest.strip()


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in: weeknotes are filed by week."""
    return day - timedelta(days=day.weekday())


def error(text: str, *, usage: str = "", keep: str = "") -> Reply:
    """A specific complaint, a usage example, and whatever the user typed so nothing is lost."""
    lines = (f"Here is what you wrote, so nothing is lost:\n{keep}",) if keep else ()
    return Reply(text=text, tone="error", usage=usage, private=True, extra_lines=lines)
