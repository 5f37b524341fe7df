"""Ports the core owns. `knowledge/` implements them; tests use hand-written fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.model import (
    ConversationRef,
    DigestFilter,
    Finding,
    Organisation,
    Person,
    Project,
    ProjectDraft,
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

    def service_areas(self) -> Sequence[str]:
        """The service areas registered projects name, in order."""
        ...

    def add_project(self, draft: ProjectDraft, *, now: datetime) -> Project:
        """Store a new project under a fresh id derived from its title; returns it."""
        ...

    def set_stage(self, project_id: str, stage: Stage, *, by: Person, now: datetime) -> Project:
        """Move a project to `stage`, recording the change. Raises NotFound, NotAllowed."""
        ...

    def project_choices(self, person_key: str | None, *, limit: int = 100) -> Sequence[Project]:
        """Projects to offer in a picker: the person's own first, then recently active ones."""
        ...


class WeeknoteBook(Protocol):
    """Weeknotes: posted by teams, editable and deletable by their authors."""

    def add_weeknote(self, draft: WeeknoteDraft, *, now: datetime) -> Weeknote: ...

    def edit_weeknote(self, weeknote_id: str, text: str, *, by: Person, now: datetime) -> Weeknote:
        """Raises NotFound, or NotAllowed when `by` is not the author."""
        ...

    def delete_weeknote(self, weeknote_id: str, *, by: Person, now: datetime) -> Weeknote:
        """Removes the weeknote's text for good. Raises NotFound, NotAllowed."""
        ...

    def weeknotes_of(self, person_key: str, *, limit: int = 10) -> Sequence[Weeknote]: ...

    def weeknotes_for_project(self, project_id: str, *, limit: int = 10) -> Sequence[Weeknote]: ...


class Finder(Protocol):
    """Answers a question from the register and weeknotes."""

    def find(self, question: str, *, limit: int = 5) -> Finding: ...


class QuestionLog(Protocol):
    """Every question asked, what was found, and what the asker thought of it."""

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
        """False when there is no such question."""
        ...


@dataclass(frozen=True, slots=True)
class StageChange:
    project: Project
    from_stage: Stage | None
    to_stage: Stage
    at: datetime


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    text: str
    asked_at: datetime
    times: int


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
        (a weeknote through its project, or its organisation when it has none); unanswered
        questions are everyone's, so they are never filtered."""
        ...


class People(Protocol):
    """Who has spoken to the bot, on which platform: their identity and display name."""

    def seen(self, person: Person, where: ConversationRef, *, now: datetime) -> None: ...


class Channels(Protocol):
    """Per-conversation settings: whether the bot answers plain questions there, its digest."""

    def set_listening(
        self, where: ConversationRef, on: bool, *, by: Person, now: datetime
    ) -> None: ...

    def is_listening(self, where: ConversationRef) -> bool: ...

    def subscribe(
        self,
        where: ConversationRef,
        *,
        by: Person,
        now: datetime,
        day: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        post_when_quiet: bool | None = None,
        only: DigestFilter | None = None,
    ) -> Subscription:
        """Start (or restart) the channel's digest, changing only the parts given."""
        ...

    def unsubscribe(self, where: ConversationRef) -> bool:
        """False when the channel had no digest."""
        ...

    def subscription(self, where: ConversationRef) -> Subscription | None: ...


class Reminders(Protocol):
    """A person's choice about the Friday weeknote reminder."""

    def set_reminders(self, person_key: str, on: bool, *, now: datetime) -> None:
        """Turn the reminder on or off for `person_key`, recording the person if new."""
        ...
