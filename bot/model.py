"""The core's own vocabulary: what comes in, what goes out, and the register's values.

Platform ids travel as opaque strings. Adapters translate their payloads into these types and
render `Reply` values back; nothing here knows Slack, Teams, SQL or the scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.view import AnswerView, DigestView


class Stage(StrEnum):
    DISCOVERY = "discovery"
    ALPHA = "alpha"
    BETA = "beta"
    LIVE = "live"
    RETIRED = "retired"

    @classmethod
    def parse(cls, text: str) -> Stage | None:
        try:
            return cls(text.strip().lower())
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Person:
    """Someone talking to the bot. `key` is opaque and stable ("slack:T1:U1", "console:local").
    `timezone` is the IANA name their platform reports, when it does ("" otherwise)."""

    key: str
    name: str = ""
    timezone: str = ""


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """Where a message came from, so a reply (or a later digest) can go back there.

    `is_direct` is a one-to-one chat with the bot, `is_group` a group DM or group chat, and
    `is_public` a channel the whole community (the Slack workspace, the Teams tenant) can read.
    Unknown means not public: what people say elsewhere is never shown to others."""

    platform: str
    channel_id: str
    workspace_id: str = ""
    thread_id: str | None = None
    is_direct: bool = False
    is_public: bool = False
    is_group: bool = False

    @property
    def community(self) -> str:
        """The community the conversation belongs to: a Slack workspace or a Teams tenant."""
        return community_of(self.platform, self.workspace_id)


def community_of(platform: str, workspace_id: str) -> str:
    return f"{platform}:{workspace_id}"


@dataclass(frozen=True, slots=True)
class ActionPayload:
    """A button press: `name` says which button, `value` carries what the button was about."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message, slash command, form submission or button press, platform-free.

    `command` is set when the platform says which command was used (Slack's `/weeknote`);
    otherwise the first word of `text` may name one. `form` holds submitted form values.
    `roles` are what the adapter established about the sender in this conversation (such as
    CHANNEL_ADMIN); the core trusts them and never looks roles up itself. Adapters only look
    them up where a command needs them, so an empty set means "not established", not "nobody".
    `bot_is_member` is what the adapter found out about the bot itself there: False when the
    platform says the bot is not in the channel (a Slack slash command works anywhere), None
    when it was not asked. `mentions` are the people the message mentions, other than the bot.
    """

    text: str
    sender: Person
    conversation: ConversationRef
    received_at: datetime
    command: str | None = None
    form: Mapping[str, str] | None = None
    form_id: str | None = None
    action: ActionPayload | None = None
    roles: frozenset[str] = frozenset()
    bot_is_member: bool | None = None
    mentions: tuple[Person, ...] = ()


CHANNEL_ADMIN = "channel_admin"
"""A role: may change how the bot behaves in this conversation (its digest, for one)."""


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    title: str
    organisation_id: str
    organisation_name: str
    stage: Stage
    description: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    service_area: str = ""
    contact: str = ""
    url: str = ""
    started: date | None = None
    updated: date | None = None
    owner_key: str | None = None
    member_keys: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    suppliers: tuple[str, ...] = ()
    outcomes: str = ""


@dataclass(frozen=True, slots=True)
class Weeknote:
    id: str
    project_id: str | None
    organisation_id: str
    author: str
    week: date
    title: str
    text: str
    author_key: str | None = None
    url: str = ""
    internal: bool = False


@dataclass(frozen=True, slots=True)
class ProjectDraft:
    """A project as a team submits it, already validated by the core."""

    title: str
    organisation: str
    stage: Stage
    description: str
    contact: str
    owner_key: str
    service_area: str = ""
    tags: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True, slots=True)
class WeeknoteDraft:
    project_id: str
    week: date
    text: str
    author: Person
    title: str = ""
    internal: bool = False


@dataclass(frozen=True, slots=True)
class ResultCard:
    """One answer to a question: a project (with its matching weeknotes) or a lone weeknote."""

    kind: Literal["project", "weeknote"]
    id: str
    title: str
    organisation: str
    stage: str
    updated: date | None
    score: float
    snippet: str
    contact: str
    url: str = ""
    weeknote_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """What search found for a question. `confident` is False when the honest reply is
    "nobody has registered this yet"; `results` may still hold near misses then. `sure` is a
    stricter bar, for answers nobody asked for (a channel that opted in): a wrong answer
    posted into a thread costs more than a missed one."""

    query: str
    confident: bool
    results: tuple[ResultCard, ...]
    sure: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: Literal["text", "multiline", "choice", "date", "hidden"] = "text"
    required: bool = True
    value: str = ""
    choices: tuple[Choice, ...] = ()
    hint: str = ""
    error: str = ""
    max_length: int | None = None
    lookup: Literal["", "projects"] = ""
    """Where a choice's options come from as the person types ("projects": the register),
    for platforms that can ask the bot; `choices` are then only a start."""


@dataclass(frozen=True, slots=True)
class Form:
    """A form the platform should show (a Slack modal, an Adaptive Card, console prompts).

    When it comes back with errors, every field keeps what the user typed.
    """

    id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"

    @property
    def has_errors(self) -> bool:
        return any(f.error for f in self.fields)

    @property
    def hidden(self) -> dict[str, str]:
        """Values the form carries without showing them (which project an edit is for):
        platforms send them back with the submission."""
        return {f.name: f.value for f in self.fields if f.kind == "hidden"}


@dataclass(frozen=True, slots=True)
class Action:
    """A button offered with a reply. `settles`: pressing it decides what the message asked
    (delete, keep, approve…), so a platform that can should replace the message with the
    outcome rather than leave the buttons to be pressed again."""

    label: str
    name: str
    value: str
    style: Literal["default", "primary", "danger"] = "default"
    settles: bool = False


Tone = Literal["info", "answer", "nothing", "error", "done"]


@dataclass(frozen=True, slots=True)
class Introduction:
    """Who to introduce the sender to, where a platform can open a conversation between them
    (a Slack group DM). Elsewhere the reply's text, the contact route, is the introduction."""

    person_key: str
    about: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says. `text` is plain text (renderers escape it for their platform) and is
    always a complete fallback on its own; the other parts let richer platforms do better.
    `answer` and `digest` are an answer's and a digest's presentation (bot.view), decided once
    for every platform."""

    text: str
    tone: Tone = "info"
    title: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    answer: AnswerView | None = None
    digest: DigestView | None = None
    actions: tuple[Action, ...] = ()
    form: Form | None = None
    usage: str = ""
    private: bool = False
    question_id: int | None = None
    extra_lines: tuple[str, ...] = field(default=())
    introduction: Introduction | None = None


@dataclass(frozen=True, slots=True)
class DigestFilter:
    """What a subscription wants to hear about. Empty means everything; within one field any
    value will do, and both fields must match. Service areas compare case-insensitively;
    organisations are organisation ids."""

    service_areas: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    # Folded once here: a digest sweep asks `admits` over a million times.
    _areas: frozenset[str] = field(init=False, repr=False, compare=False)
    _orgs: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_areas", frozenset(_folded(a) for a in self.service_areas))
        object.__setattr__(self, "_orgs", frozenset(_folded(o) for o in self.organisations))

    def admits(self, *, service_area: str, organisation_id: str) -> bool:
        return (not self._areas or _folded(service_area) in self._areas) and (
            not self._orgs or _folded(organisation_id) in self._orgs
        )


def _folded(name: str) -> str:
    return name.strip().casefold()


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's weekly digest: which day, what local time, in which timezone, what it
    covers, whether a week with nothing new still gets its one line, and whether it is paused
    (and why). `id` and `created_at` are the store's; a subscription made in memory has none."""

    where: ConversationRef
    day: str = "mon"
    time: str = "09:00"
    timezone: str = "Europe/London"
    active: bool = True
    post_when_quiet: bool = True
    only: DigestFilter = DigestFilter()
    id: int | None = None
    created_at: datetime | None = None
    paused_reason: str | None = None

    @property
    def platform(self) -> str:
        return self.where.platform

    @property
    def channel_id(self) -> str:
        return self.where.channel_id

    @property
    def workspace_id(self) -> str:
        return self.where.workspace_id
