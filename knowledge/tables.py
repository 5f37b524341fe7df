"""SQLModel tables. Timestamps are stored in UTC and always come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """Refuses naive datetimes on the way in; SQLite hands back naive ones, so they are
    marked UTC on the way out."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_field(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(UtcDateTime(), nullable=nullable, index=index),
    )


def json_field(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class OrganisationBase(SQLModel):
    id: str = Field(primary_key=True, max_length=120)
    name: str = Field(max_length=300)
    code: str | None = Field(default=None, max_length=40, index=True)


class Organisation(OrganisationBase, table=True):
    extra: dict[str, Any] = json_field(dict)
    changed_at: datetime = utc_field(index=True)


class ProjectBase(SQLModel):
    id: str = Field(primary_key=True, max_length=120)
    title: str = Field(max_length=300)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=120)
    stage: str = Field(max_length=20)
    description: str = ""
    summary: str = ""
    service_area: str = Field(default="", max_length=120)
    contact: str = Field(default="", max_length=500)
    url: str = Field(default="", max_length=1000)
    started: date | None = None
    updated: date | None = None
    cost: str | None = None
    outcomes: str | None = None


class Project(ProjectBase, table=True):
    tags: list[str] = json_field(list)
    partners: list[str] = json_field(list)
    suppliers: list[str] = json_field(list)
    extra: dict[str, Any] = json_field(dict)
    owner_key: str | None = Field(default=None, index=True, max_length=200)
    created_at: datetime = utc_field()
    # When a team registered it through the bot; None for projects that came by import.
    registered_at: datetime | None = utc_field(nullable=True)
    changed_at: datetime = utc_field(index=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class WeeknoteBase(SQLModel):
    id: str = Field(primary_key=True, max_length=120)
    project_id: str | None = Field(
        default=None, foreign_key="project.id", index=True, max_length=120
    )
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=120)
    author: str = Field(default="", max_length=300)
    week: date = Field(index=True)
    title: str = Field(default="", max_length=500)
    text: str = ""
    url: str = Field(default="", max_length=1000)
    internal: bool = False


class Weeknote(WeeknoteBase, table=True):
    author_key: str | None = Field(default=None, index=True, max_length=200)
    extra: dict[str, Any] = json_field(dict)
    created_at: datetime = utc_field(index=True)
    changed_at: datetime = utc_field(index=True)
    deleted_at: datetime | None = utc_field(nullable=True)


class StageChange(SQLModel, table=True):
    __tablename__ = "stage_change"

    id: int | None = Field(default=None, primary_key=True)
    project_id: str = Field(foreign_key="project.id", index=True, max_length=120)
    from_stage: str | None = Field(default=None, max_length=20)
    to_stage: str = Field(max_length=20)
    by_key: str | None = Field(default=None, max_length=200)
    at: datetime = utc_field(index=True)


class Person(SQLModel, table=True):
    """A Slack or Teams identity; `key` is what the core sees."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    platform: str = Field(max_length=20)
    workspace_id: str = Field(default="", max_length=100)
    user_id: str = Field(max_length=200)
    display_name: str = Field(default="", max_length=300)
    organisation_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=120)
    reminders: bool = True
    timezone: str = Field(default="", max_length=64)  # IANA name from the platform; "" unknown
    created_at: datetime = utc_field()


class Question(SQLModel, table=True):
    """A question asked, and where: `public` says it was asked where the whole community
    (`platform` + `workspace_id`) could read it; `shared_at` that its asker chose to share it.
    Only those two are ever shown to anyone else, and only within the same community."""

    id: int | None = Field(default=None, primary_key=True)
    text: str
    asker_key: str = Field(max_length=200, index=True)
    platform: str = Field(max_length=20)
    workspace_id: str = Field(default="", max_length=100)
    channel_id: str = Field(default="", max_length=200)
    public: bool = False
    shared_at: datetime | None = utc_field(nullable=True)
    asked_at: datetime = utc_field(index=True)
    confident: bool = False
    result_ids: list[str] = json_field(list)


class FeedbackVote(SQLModel, table=True):
    """One vote per (question, person); pressing another button changes that person's vote."""

    __tablename__ = "feedback_vote"

    question_id: int = Field(foreign_key="question.id", primary_key=True)
    person_key: str = Field(primary_key=True, max_length=200)
    verdict: str = Field(max_length=40)
    at: datetime = utc_field()


class ProjectMember(SQLModel, table=True):
    """Someone the owner let post weeknotes into, and change, their project."""

    __tablename__ = "project_member"

    project_id: str = Field(foreign_key="project.id", primary_key=True, max_length=120)
    person_key: str = Field(primary_key=True, max_length=200, index=True)
    added_by: str = Field(default="", max_length=200)
    added_at: datetime = utc_field()


class ProjectClaim(SQLModel, table=True):
    """A request to own a project nobody owns, decided by a community manager."""

    __tablename__ = "project_claim"

    id: int | None = Field(default=None, primary_key=True)
    project_id: str = Field(foreign_key="project.id", index=True, max_length=120)
    claimant_key: str = Field(max_length=200, index=True)
    claimant_name: str = Field(default="", max_length=300)
    status: str = Field(default="pending", max_length=20)  # pending, approved, refused
    requested_at: datetime = utc_field()
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = utc_field(nullable=True)


class OutboxMessage(SQLModel, table=True):
    """A direct message the core asked for, delivered by a job (claimed before it is sent, so
    replicas never send it twice). `key` makes asking twice for the same message harmless."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    person_key: str = Field(max_length=200, index=True)
    body: dict[str, Any] = json_field(dict)
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    created_at: datetime = utc_field()
    claimed_at: datetime | None = utc_field(nullable=True)
    sent_at: datetime | None = utc_field(nullable=True)
    error: str | None = None


class DigestSubscription(SQLModel, table=True):
    __tablename__ = "digest_subscription"
    __table_args__ = (sa.UniqueConstraint("platform", "workspace_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    workspace_id: str = Field(default="", max_length=100)
    channel_id: str = Field(max_length=200)
    day: str = Field(default="mon", max_length=3)
    time: str = Field(default="09:00", max_length=5)
    timezone: str = Field(default="Europe/London", max_length=64)
    filters: dict[str, Any] = json_field(dict)
    post_when_quiet: bool = True
    active: bool = True
    paused_reason: str | None = None
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = utc_field()


class DigestRun(SQLModel, table=True):
    """A claim on (subscription, period): the unique key is what makes a digest go out once."""

    __tablename__ = "digest_run"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="digest_subscription.id", index=True)
    period_start: date
    status: str = Field(default="claimed", max_length=20)
    claimed_at: datetime = utc_field()
    sent_at: datetime | None = utc_field(nullable=True)
    error: str | None = None
    message_ref: str | None = Field(default=None, max_length=200)


class ChannelSetting(SQLModel, table=True):
    """Whether the bot answers plain questions in a channel (opt-in per channel)."""

    __tablename__ = "channel_setting"

    platform: str = Field(primary_key=True, max_length=20)
    workspace_id: str = Field(primary_key=True, max_length=100)
    channel_id: str = Field(primary_key=True, max_length=200)
    listening: bool = False
    changed_by: str = Field(default="", max_length=200)
    changed_at: datetime = utc_field()


class ProcessedEvent(SQLModel, table=True):
    """A platform event already handled: retried deliveries of the same id are dropped."""

    __tablename__ = "processed_event"

    platform: str = Field(primary_key=True, max_length=20)
    event_id: str = Field(primary_key=True, max_length=200)
    received_at: datetime = utc_field(index=True)


class AnsweredThread(SQLModel, table=True):
    """A thread the bot has answered unprompted, so it answers there at most once."""

    __tablename__ = "answered_thread"

    platform: str = Field(primary_key=True, max_length=20)
    channel_id: str = Field(primary_key=True, max_length=200)
    thread_id: str = Field(primary_key=True, max_length=100)
    at: datetime = utc_field()


class ConversationReference(SQLModel, table=True):
    """Where the bot can post later (digests, reminders) without being spoken to first.

    `reference` is the platform's own serialised reference (for Teams, a Bot Framework
    ConversationReference as JSON), kept opaque here."""

    __tablename__ = "conversation_reference"

    platform: str = Field(primary_key=True, max_length=20)
    conversation_id: str = Field(primary_key=True, max_length=400)
    workspace_id: str = Field(default="", max_length=100)
    service_url: str = Field(default="", max_length=500)
    conversation_type: str = Field(default="", max_length=40)
    reference: dict[str, Any] = json_field(dict)
    installed: bool = True
    updated_at: datetime = utc_field()


class ReminderSent(SQLModel, table=True):
    """A claim on (person, week): the primary key is what stops a second weeknote reminder."""

    __tablename__ = "reminder_sent"

    person_key: str = Field(primary_key=True, max_length=200)
    week: date = Field(primary_key=True)
    claimed_at: datetime = utc_field()


class SearchChange(SQLModel, table=True):
    """A write to a project, a weeknote or a document's passage vectors, as the database saw
    it: rows come from triggers (migration 0006), so no writer can forget one. Search indexes
    in every process read this feed to stay in step (knowledge/changes.py explains why it is
    exact). On SQLite `id` follows commit order; on PostgreSQL `xid` is the writing
    transaction (pg_current_xact_id), which the reader needs because ids are handed out at
    insert time, not at commit."""

    __tablename__ = "search_change"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # "project", "weeknote" or "vectors"
    key: str = Field(max_length=200)  # a document id; for "vectors", "<kind>:<id>"
    xid: int | None = Field(default=None, sa_column=Column(sa.BigInteger, index=True))


class PassageVector(SQLModel, table=True):
    """A document's passage embeddings by one model: `passages` rows of `dim` little-endian
    float32 in `vectors`. `digest` fingerprints the passage texts they were made from, so an
    edited document's old vectors are known to be stale."""

    __tablename__ = "passage_vector"

    kind: str = Field(primary_key=True, max_length=20)
    doc_id: str = Field(primary_key=True, max_length=120)
    model: str = Field(primary_key=True, max_length=300)
    digest: str = Field(max_length=40)
    passages: int
    dim: int
    vectors: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    embedded_at: datetime = utc_field()
