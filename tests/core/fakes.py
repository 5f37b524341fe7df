"""Hand-written fakes of the core's ports: they keep what they are given, so tests can look."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.commands import Services
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
from bot.ports import Activity, NotAllowed, NotFound


@dataclass
class FakeRegister:
    projects: dict[str, Project] = field(default_factory=dict)
    weeknotes: dict[str, Weeknote] = field(default_factory=dict)
    questions: list[tuple[str, Person, Finding]] = field(default_factory=list)
    feedback: list[tuple[int, str]] = field(default_factory=list)
    fail_writes: bool = False
    listening: set[str] = field(default_factory=set)
    people: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    reminders: dict[str, bool] = field(default_factory=dict)
    activity_asked: list[DigestFilter | None] = field(default_factory=list)

    def get_project(self, project_id: str) -> Project | None:
        return self.projects.get(project_id)

    def projects_of(self, person_key: str) -> Sequence[Project]:
        return [p for p in self.projects.values() if p.owner_key == person_key]

    def project_choices(self, person_key: str | None, *, limit: int = 100) -> Sequence[Project]:
        return list(self.projects.values())[:limit]

    def resolve_organisation(self, name: str) -> Organisation | None:
        """Organisations of registered projects, by id or name."""
        for p in self.projects.values():
            if name.strip().lower() in (p.organisation_id, p.organisation_name.lower()):
                return Organisation(id=p.organisation_id, name=p.organisation_name)
        return None

    def service_areas(self) -> Sequence[str]:
        return sorted({p.service_area for p in self.projects.values() if p.service_area})

    def add_project(self, draft: ProjectDraft, *, now: datetime) -> Project:
        project_id = draft.title.lower().replace(" ", "-")
        project = Project(
            id=project_id,
            title=draft.title,
            organisation_id=draft.organisation.lower(),
            organisation_name=draft.organisation,
            stage=draft.stage,
            description=draft.description,
            contact=draft.contact,
            owner_key=draft.owner_key,
            updated=now.date(),
        )
        self.projects[project_id] = project
        return project

    def set_stage(self, project_id: str, stage: Stage, *, by: Person, now: datetime) -> Project:
        project = self.projects.get(project_id)
        if project is None:
            raise NotFound(project_id)
        if project.owner_key not in (None, by.key):
            raise NotAllowed(project_id)
        self.projects[project_id] = replace(project, stage=stage)
        return self.projects[project_id]

    def add_weeknote(self, draft: WeeknoteDraft, *, now: datetime) -> Weeknote:
        if self.fail_writes:
            raise OSError("database is locked")
        note_id = f"{draft.project_id}-{draft.week.isoformat()}"
        note = Weeknote(
            id=note_id,
            project_id=draft.project_id,
            organisation_id="org",
            author=draft.author.name,
            week=draft.week,
            title=draft.title,
            text=draft.text,
            author_key=draft.author.key,
        )
        self.weeknotes[note_id] = note
        return note

    def _own(self, weeknote_id: str, by: Person) -> Weeknote:
        note = self.weeknotes.get(weeknote_id)
        if note is None:
            raise NotFound(weeknote_id)
        if note.author_key != by.key:
            raise NotAllowed(weeknote_id)
        return note

    def edit_weeknote(self, weeknote_id: str, text: str, *, by: Person, now: datetime) -> Weeknote:
        self.weeknotes[weeknote_id] = replace(self._own(weeknote_id, by), text=text)
        return self.weeknotes[weeknote_id]

    def delete_weeknote(self, weeknote_id: str, *, by: Person, now: datetime) -> Weeknote:
        return self.weeknotes.pop(self._own(weeknote_id, by).id)

    def weeknotes_of(self, person_key: str, *, limit: int = 10) -> Sequence[Weeknote]:
        return [n for n in self.weeknotes.values() if n.author_key == person_key][:limit]

    def weeknotes_for_project(self, project_id: str, *, limit: int = 10) -> Sequence[Weeknote]:
        return [n for n in self.weeknotes.values() if n.project_id == project_id][:limit]

    def record_question(
        self,
        question: str,
        *,
        asker: Person,
        where: ConversationRef,
        finding: Finding,
        at: datetime,
    ) -> int:
        self.questions.append((question, asker, finding))
        return len(self.questions)

    def record_feedback(self, question_id: int, verdict: str, *, by: Person, at: datetime) -> bool:
        if not 0 < question_id <= len(self.questions):
            return False
        self.feedback.append((question_id, verdict))
        return True

    def activity_between(
        self, start: datetime, end: datetime, *, only: DigestFilter | None = None
    ) -> Activity:
        self.activity_asked.append(only)
        return Activity(
            start=start.date(),
            end=end.date(),
            new_projects=tuple(self.projects.values()),
            stage_changes=(),
            weeknotes=(),
            unanswered=(),
        )

    def seen(self, person: Person, where: ConversationRef, *, now: datetime) -> None:
        self.people[person.key] = person.name

    def set_listening(self, where: ConversationRef, on: bool, *, by: Person, now: datetime) -> None:
        (self.listening.add if on else self.listening.discard)(where.channel_id)

    def is_listening(self, where: ConversationRef) -> bool:
        return where.channel_id in self.listening

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
        old = self.subscriptions.get(where.channel_id) or Subscription(where=where)
        new = Subscription(
            where=where,
            day=day or old.day,
            time=time or old.time,
            timezone=timezone or old.timezone,
            post_when_quiet=old.post_when_quiet if post_when_quiet is None else post_when_quiet,
            only=old.only if only is None else only,
        )
        self.subscriptions[where.channel_id] = new
        return new

    def unsubscribe(self, where: ConversationRef) -> bool:
        return self.subscriptions.pop(where.channel_id, None) is not None

    def subscription(self, where: ConversationRef) -> Subscription | None:
        return self.subscriptions.get(where.channel_id)

    def set_reminders(self, person_key: str, on: bool, *, now: datetime) -> None:
        self.reminders[person_key] = on


@dataclass
class FakeFinder:
    """Answers from a table of canned findings; records every question it was asked."""

    answers: dict[str, Finding] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def find(self, question: str, *, limit: int = 5) -> Finding:
        self.asked.append(question)
        return self.answers.get(question, Finding(query=question, confident=False, results=()))


def services(register: FakeRegister, finder: FakeFinder, clock: object) -> Services:
    return Services(
        clock=clock,
        projects=register,
        weeknotes=register,
        finder=finder,  # type: ignore[arg-type]
        questions=register,
        activity=register,
        channels=register,
        people=register,
        reminders=register,
    )


def a_project(project_id: str = "bulky-waste", *, owner: str | None = "console:alice") -> Project:
    return Project(
        id=project_id,
        title="Bulky waste booking",
        organisation_id="hackney",
        organisation_name="London Borough of Hackney",
        stage=Stage.BETA,
        description="Book a bulky waste collection online.",
        contact="#bulky-waste",
        owner_key=owner,
        updated=date(2025, 1, 10),
    )
