"""Ports the core owns. `knowledge/` implements them; tests use hand-written fakes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.model import (
    ConversationRef,
    DigestFilter,
    Finding,
    Organisation,
    Person,
    Project,
    ProjectDraft,
    Reply,
    Stage,
    Subscription,
    Weeknote,
    WeeknoteDraft,
)


class Clock(Protocol):
    """Where the core gets the time; always timezone-aware."""

    def now(self) -> datetime: ...


class NotAllowed(Exception):
    """The person may not change this record (it is someone else's)."""


class NotFound(Exception):
    """No record has that id."""


class ProjectDirectory(Protocol):
    """The register of projects and organisations."""

    def get_project(self, project_id: str) -> Project | None: ...

    def projects_of(self, person_key: str) -> Sequence[Project]: ...

    def resolve_organisation(self, name: str) -> Organisation | None:
        """An organisation by id, name or alias (official names and codes where known)."""
        ...

    def organisations(self) -> Sequence[Organisation]:
        """Every organisation the register knows, by name."""
        ...

    def service_areas(self) -> Sequence[str]:
        """The service areas registered projects name, in order."""
        ...

    def add_project(self, draft: ProjectDraft, *, now: datetime) -> Project:
        """Store a new project under a fresh id derived from its title; returns it."""
        ...

    def set_stage(self, project_id: str, stage: Stage, *, by: Person, now: datetime) -> Project:
        """Move a project to `stage`, recording who did. The core has checked that `by` may
        (bot.access); raises NotFound."""
        ...

    def list_projects(
        self,
        *,
        owner_key: str | None = None,
        organisation_id: str | None = None,
        stage: Stage | None = None,
        limit: int = 25,
    ) -> tuple[list[Project], int]:
        """Projects narrowed by owner, organisation and stage, by title; and how many match."""
        ...

    def update_project(
        self, project_id: str, changes: ProjectDraft, *, by: Person, now: datetime
    ) -> Project:
        """Change a project's fields (its owner stays): a new stage is recorded as a stage
        change. The core has checked that `by` may. Raises NotFound."""
        ...

    def organisations_of(self, person_key: str) -> frozenset[str]:
        """The organisations a person belongs to: theirs on record, and those of the projects
        they own or are a member of."""
        ...

    def delete_project(self, project_id: str, *, now: datetime) -> int:
        """Delete a project and its weeknotes for good (their words are gone; the ids stay as
        tombstones so that nothing brings them back). Returns how many weeknotes went with it.
        Raises NotFound."""
        ...

    def add_member(self, project_id: str, person_key: str, *, by: Person, now: datetime) -> bool:
        """False when they were a member already. Raises NotFound."""
        ...

    def remove_member(self, project_id: str, person_key: str) -> bool:
        """False when they were not a member."""
        ...

    def set_owner(self, project_id: str, person_key: str, *, now: datetime) -> Project:
        """Raises NotFound."""
        ...

    def project_choices(self, person_key: str | None, *, limit: int = 100) -> Sequence[Project]:
        """Projects to offer in a picker: the person's own first, then recently active ones."""
        ...

    def match_projects(
        self, text: str, *, person_key: str | None, limit: int = 100
    ) -> Sequence[Project]:
        """Projects whose id or title contains `text` (ignoring case), anywhere in the register:
        the person's own first, then ids and titles that start with it, then the rest. Empty
        text: `project_choices`."""
        ...


class WeeknoteBook(Protocol):
    """Weeknotes: posted by teams, editable by their authors."""

    def add_weeknote(self, draft: WeeknoteDraft, *, now: datetime) -> Weeknote: ...

    def get_weeknote(self, weeknote_id: str) -> Weeknote | None: ...

    def edit_weeknote(self, weeknote_id: str, text: str, *, by: Person, now: datetime) -> Weeknote:
        """Raises NotFound, or NotAllowed when `by` is not the author."""
        ...

    def delete_weeknote(self, weeknote_id: str, *, now: datetime) -> Weeknote:
        """Removes the weeknote's words for good (the core checked who may). Raises NotFound."""
        ...

    def weeknotes_of(self, person_key: str, *, limit: int = 10) -> Sequence[Weeknote]: ...

    def weeknotes_for_project(
        self, project_id: str, *, internal_from: frozenset[str] | None, limit: int = 10
    ) -> Sequence[Weeknote]:
        """The project's latest weeknotes. Internal ones only from the organisations in
        `internal_from` (None: from every organisation), so a page is never short."""
        ...


class Finder(Protocol):
    """Answers a question from the register and weeknotes."""

    def find(self, question: str, *, limit: int = 5) -> Finding: ...


class QuestionLog(Protocol):
    """Every question asked, where, what was found, and what people thought of the answer.

    A question is shown to others (App Home, a digest's "Can you help?") only when it was asked
    in a public channel (`where.is_public`) or its asker shared it, and only within the
    community it was asked in."""

    def record_question(
        self,
        question: str,
        *,
        asker: Person,
        where: ConversationRef,
        finding: Finding,
        at: datetime,
    ) -> int: ...

    def record_feedback(self, question_id: int, verdict: str, *, by: Person, at: datetime) -> bool:
        """One vote per person and question: a second press changes that person's vote.
        False when there is no such question."""
        ...

    def share_question(self, question_id: int, *, by: Person, at: datetime) -> bool:
        """Let the community see a question asked in private. False when it was shared already.
        Raises NotFound, or NotAllowed when `by` did not ask it."""
        ...

    def first_introduction(self, question_id: int, *, by: Person, at: datetime) -> bool:
        """True exactly once per (question, person): an introduction is made once."""
        ...

    def asked(self, question_id: int) -> tuple[str, str] | None:
        """(question text, asker's key) of a question, or None."""
        ...


@dataclass(frozen=True, slots=True)
class StageChange:
    project: Project
    from_stage: Stage | None
    to_stage: Stage
    at: datetime


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    """A question nobody had an answer for, shown only within `community` (community_of)."""

    text: str
    asked_at: datetime
    times: int
    community: str = ""


@dataclass(frozen=True, slots=True)
class Activity:
    """What happened in the community during a period: the raw material of a digest.

    `unanswered` is grouped: near-identical questions count as one, `times` says how often it
    was asked. `similar_pairs` are (new project, registered project that looks like it)."""

    start: date
    end: date
    new_projects: tuple[Project, ...]
    stage_changes: tuple[StageChange, ...]
    weeknotes: tuple[tuple[Project | None, tuple[Weeknote, ...]], ...]
    unanswered: tuple[UnansweredQuestion, ...]
    similar_pairs: tuple[tuple[Project, Project], ...] = ()


class ActivityFeed(Protocol):
    def activity_between(
        self, start: datetime, end: datetime, *, only: DigestFilter | None = None
    ) -> Activity:
        """Activity in [start, end). `only` narrows new projects, stage changes and weeknotes
        (a weeknote through its project, or its organisation when it has none). Unanswered
        questions are the ones others may see (public or shared), of every community: each
        names its own, and `bot.digest.narrow` keeps a subscriber's community's."""
        ...

    def unanswered_since(
        self, start: datetime, *, community: str
    ) -> tuple[UnansweredQuestion, ...]:
        """The questions of `community` nobody could answer, asked since `start`, that others
        may see; most often asked first."""
        ...


class HomeSource(Protocol):
    """What a person's home in the app shows, read from the register."""

    def projects_of(self, person_key: str) -> Sequence[Project]: ...

    def weeknotes_of(self, person_key: str, *, limit: int = 10) -> Sequence[Weeknote]: ...

    def unanswered_since(
        self, start: datetime, *, community: str
    ) -> tuple[UnansweredQuestion, ...]: ...


class People(Protocol):
    """Who has spoken to the bot, on which platform: their identity and display name."""

    def seen(self, person: Person, where: ConversationRef, *, now: datetime) -> None: ...

    def display_name(self, person_key: str) -> str:
        """The name a person goes by, or "" when the bot never learnt it."""
        ...

    def find_people(self, community: str, name: str) -> Sequence[Person]:
        """People of `community` the bot knows by that key, user id or display name."""
        ...

    def forget(self, person_key: str, *, now: datetime) -> Forgotten:
        """Remove a person's own data: their record, their name and key on the weeknotes they
        wrote, the key on their questions, votes, memberships and claims. The projects they
        owned stay, with no owner."""
        ...


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What `People.forget` removed or anonymised."""

    person: bool
    weeknotes: int
    questions: int
    projects: int


@dataclass(frozen=True, slots=True)
class Claim:
    """A request to become the owner of a project nobody owns."""

    id: int
    project_id: str
    claimant: Person
    status: str  # pending, approved, refused
    decided_by: str | None = None


class Claims(Protocol):
    def open_claim(self, project_id: str, claimant: Person, *, now: datetime) -> Claim | None:
        """A new pending claim; None when this person already has one pending for it."""
        ...

    def get_claim(self, claim_id: int) -> Claim | None: ...

    def decide(self, claim_id: int, *, approve: bool, by: Person, now: datetime) -> Claim | None:
        """Approve (the claimant becomes the owner) or refuse a pending claim, once: None when
        it was no longer pending (someone decided first)."""
        ...


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A direct message waiting in the outbox, claimed for delivery. `previous_status` says
    whether an earlier attempt may have sent it already ("unsure", "sending")."""

    id: int
    key: str
    person_key: str
    reply: Reply
    attempts: int
    previous_status: str
    created_at: datetime


class OutboxDelivery(Protocol):
    """What delivery needs from the outbox store (knowledge.outbox implements it,
    with Outbox)."""

    def claim_due(self, *, now: datetime, limit: int = 50) -> list[QueuedMessage]: ...

    def mark(self, message_id: int, status: str, *, now: datetime, error: str = "") -> None: ...


class Outbox(Protocol):
    """Direct messages the core wants sent. They are stored and delivered by a job, at most
    once each: `key` names the message, so asking twice for the same one sends it once."""

    def enqueue(self, key: str, person_key: str, reply: Reply, *, now: datetime) -> bool:
        """False when a message with that key was asked for before."""
        ...


class Channels(Protocol):
    """Per-conversation settings: whether the bot answers plain questions there."""

    def set_listening(
        self, where: ConversationRef, on: bool, *, by: Person, now: datetime
    ) -> None: ...

    def is_listening(self, where: ConversationRef) -> bool: ...

    def first_answer_in_thread(
        self, where: ConversationRef, thread_id: str, *, now: datetime
    ) -> bool:
        """True exactly once per thread, across processes: the bot answers a thread once."""
        ...


class ProcessedEvents(Protocol):
    """Deliveries a platform may repeat (a retried event, a replayed request), each claimed by
    its id before anything is done with it."""

    def first_time_for_event(self, platform: str, event_id: str, *, now: datetime) -> bool:
        """True exactly once per (platform, id), across processes; False for every repeat."""
        ...


class Subscriptions(Protocol):
    """The one home of digest subscriptions: the chat's `digest …` and the command line's
    `digest subscribe|pause|resume|unsubscribe` both change them here, and the digest job and
    the scheduler read them from here."""

    def subscribe(
        self,
        where: ConversationRef,
        *,
        by: str,
        now: datetime,
        day: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        post_when_quiet: bool | None = None,
        only: DigestFilter | None = None,
    ) -> Subscription:
        """Start (or restart: a paused digest resumes) the channel's digest, changing only the
        parts given."""
        ...

    def unsubscribe(self, where: ConversationRef) -> bool:
        """False when the channel had no digest."""
        ...

    def subscription(self, where: ConversationRef) -> Subscription | None: ...

    def subscriptions(self, *, paused: bool = False) -> list[Subscription]:
        """The active ones (with `paused`, the paused ones too)."""
        ...

    def in_channel(self, channel_id: str) -> Subscription | None:
        """The subscription of a channel id on any platform (for the command line)."""
        ...

    def pause(self, subscription_id: int, reason: str) -> None: ...

    def pause_workspace(self, platform: str, workspace_id: str, *, reason: str) -> int:
        """Pause every active digest of a workspace (the app was removed from it); how many."""
        ...


@dataclass(frozen=True, slots=True)
class RunClaim:
    """The right to send one subscription's digest for one period. `previous_status` is None
    for a fresh claim, else the status taken over ("sending" or "unsure": it may have been
    posted already, so look first)."""

    run_id: int
    previous_status: str | None
    previous_claimed_at: datetime | None


class DigestRuns(Protocol):
    """Each (subscription, period) is claimed before anything is sent, so any number of
    processes may sweep at once: exactly one gets the claim."""

    def claim(
        self, subscription_id: int, period_start: date, *, now: datetime, lease: timedelta
    ) -> RunClaim | None:
        """A fresh claim, or one taken over (failed, unsure, or silent past its lease); None
        when someone else has it or it is done."""
        ...

    def mark(
        self,
        run_id: int,
        status: str,
        *,
        now: datetime,
        error: str | None = None,
        message_ref: str | None = None,
    ) -> None: ...

    def renew(self, run_id: int, *, now: datetime) -> None:
        """Keep the lease of a run still sending."""
        ...


class Reminders(Protocol):
    """A person's choice about the Friday weeknote reminder."""

    def set_reminders(self, person_key: str, on: bool, *, now: datetime) -> None:
        """Turn the reminder on or off for `person_key`, recording the person if new."""
        ...


# -- what jobs need from the platforms and the database ----------------------------------------
# Adapters implement the platform ports; jobs use them and never import an adapter.


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


class ReminderStore(Protocol):
    """What the Friday reminder job needs from the database (knowledge.reminders implements
    it)."""

    def owners_without_weeknote(self, week: date) -> dict[str, list[tuple[str, str]]]:
        """person_key → [(project_id, title)] of their live-ish projects with no weeknote."""
        ...

    def opted_out(self, keys: Iterable[str]) -> set[str]: ...

    def organisation_codes(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """person_key → GSS codes of their projects' organisations ("" where one has none)."""
        ...

    def timezones(self, keys: Iterable[str]) -> dict[str, str]:
        """person_key → IANA timezone, "" where it is not known."""
        ...

    def set_timezone(self, person_key: str, timezone: str, *, now: datetime) -> None: ...

    def claim(self, person_key: str, week: date, now: datetime) -> bool:
        """True for exactly one caller per (person, week), across processes."""
        ...

    def release(self, person_key: str, week: date) -> None: ...
