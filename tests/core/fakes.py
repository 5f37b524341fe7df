"""Hand-written fakes of the core's ports: they keep what they are given, so tests can look."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.access import Access
from bot.commands import Services
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
from bot.ports import Activity, Claim, Forgotten, NotAllowed, NotFound, UnansweredQuestion


@dataclass
class FakeRegister:
    projects: dict[str, Project] = field(default_factory=dict)
    weeknotes: dict[str, Weeknote] = field(default_factory=dict)
    questions: list[tuple[str, Person, Finding]] = field(default_factory=list)
    feedback: list[tuple[int, str]] = field(default_factory=list)
    fail_writes: bool = False
    listening: set[str] = field(default_factory=set)
    people: dict[str, str] = field(default_factory=dict)
    subscribed: dict[str, Subscription] = field(default_factory=dict)
    reminders: dict[str, bool] = field(default_factory=dict)
    activity_asked: list[DigestFilter | None] = field(default_factory=list)
    wheres: list[ConversationRef] = field(default_factory=list)
    votes: dict[tuple[int, str], str] = field(default_factory=dict)
    shared: set[int] = field(default_factory=set)
    introduced: set[tuple[int, str]] = field(default_factory=set)
    memberships: dict[str, set[str]] = field(default_factory=dict)
    claims: dict[int, Claim] = field(default_factory=dict)
    outbox: dict[str, tuple[str, Reply]] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)
    unanswered: tuple[UnansweredQuestion, ...] = ()
    answered_threads: set[tuple[str, str]] = field(default_factory=set)

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

    def organisations(self) -> Sequence[Organisation]:
        found = {p.organisation_id: p.organisation_name for p in self.projects.values()}
        return [Organisation(id=i, name=n) for i, n in sorted(found.items())]

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
        self.projects[project_id] = replace(project, stage=stage)
        return self.projects[project_id]

    def list_projects(
        self,
        *,
        owner_key: str | None = None,
        organisation_id: str | None = None,
        stage: Stage | None = None,
        limit: int = 25,
    ) -> tuple[list[Project], int]:
        found = [
            p
            for p in sorted(self.projects.values(), key=lambda p: (p.title, p.id))
            if (owner_key is None or p.owner_key == owner_key)
            and (organisation_id is None or p.organisation_id == organisation_id)
            and (stage is None or p.stage == stage)
        ]
        return found[:limit], len(found)

    def update_project(
        self, project_id: str, changes: ProjectDraft, *, by: Person, now: datetime
    ) -> Project:
        project = self.projects.get(project_id)
        if project is None:
            raise NotFound(project_id)
        self.projects[project_id] = replace(
            project,
            title=changes.title,
            organisation_name=changes.organisation,
            stage=changes.stage,
            description=changes.description,
            contact=changes.contact,
            service_area=changes.service_area,
            tags=changes.tags,
            url=changes.url,
        )
        return self.projects[project_id]

    def match_projects(
        self, text: str, *, person_key: str | None, limit: int = 100
    ) -> Sequence[Project]:
        wanted = text.strip().lower()
        return [
            p for p in self.projects.values() if wanted in p.id.lower() or wanted in p.title.lower()
        ][:limit]

    def organisations_of(self, person_key: str) -> frozenset[str]:
        owned = {
            p.organisation_id
            for p in self.projects.values()
            if person_key == p.owner_key or person_key in p.member_keys
        }
        return frozenset(owned | self.memberships.get(person_key, set()))

    def delete_project(self, project_id: str, *, now: datetime) -> int:
        if self.projects.pop(project_id, None) is None:
            raise NotFound(project_id)
        gone = [n for n in self.weeknotes.values() if n.project_id == project_id]
        for note in gone:
            del self.weeknotes[note.id]
        return len(gone)

    def add_member(self, project_id: str, person_key: str, *, by: Person, now: datetime) -> bool:
        project = self.projects.get(project_id)
        if project is None:
            raise NotFound(project_id)
        if person_key in project.member_keys:
            return False
        self.projects[project_id] = replace(project, member_keys=(*project.member_keys, person_key))
        return True

    def remove_member(self, project_id: str, person_key: str) -> bool:
        project = self.projects.get(project_id)
        if project is None or person_key not in project.member_keys:
            return False
        keys = tuple(k for k in project.member_keys if k != person_key)
        self.projects[project_id] = replace(project, member_keys=keys)
        return True

    def set_owner(self, project_id: str, person_key: str, *, now: datetime) -> Project:
        project = self.projects.get(project_id)
        if project is None:
            raise NotFound(project_id)
        self.projects[project_id] = replace(project, owner_key=person_key)
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
            internal=draft.internal,
        )
        self.weeknotes[note_id] = note
        return note

    def get_weeknote(self, weeknote_id: str) -> Weeknote | None:
        return self.weeknotes.get(weeknote_id)

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

    def delete_weeknote(self, weeknote_id: str, *, now: datetime) -> Weeknote:
        if weeknote_id not in self.weeknotes:
            raise NotFound(weeknote_id)
        return self.weeknotes.pop(weeknote_id)

    def weeknotes_of(self, person_key: str, *, limit: int = 10) -> Sequence[Weeknote]:
        return [n for n in self.weeknotes.values() if n.author_key == person_key][:limit]

    def weeknotes_for_project(
        self, project_id: str, *, internal_from: frozenset[str] | None, limit: int = 10
    ) -> Sequence[Weeknote]:
        return [
            n
            for n in self.weeknotes.values()
            if n.project_id == project_id
            and (not n.internal or internal_from is None or n.organisation_id in internal_from)
        ][:limit]

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
        self.wheres.append(where)
        return len(self.questions)

    def record_feedback(self, question_id: int, verdict: str, *, by: Person, at: datetime) -> bool:
        if not 0 < question_id <= len(self.questions):
            return False
        self.feedback.append((question_id, verdict))
        self.votes[(question_id, by.key)] = verdict
        return True

    def share_question(self, question_id: int, *, by: Person, at: datetime) -> bool:
        if not 0 < question_id <= len(self.questions):
            raise NotFound(str(question_id))
        if self.questions[question_id - 1][1].key != by.key:
            raise NotAllowed(str(question_id))
        if question_id in self.shared:
            return False
        self.shared.add(question_id)
        return True

    def asked(self, question_id: int) -> tuple[str, str] | None:
        if not 0 < question_id <= len(self.questions):
            return None
        text, asker, _ = self.questions[question_id - 1]
        return text, asker.key

    def first_introduction(self, question_id: int, *, by: Person, at: datetime) -> bool:
        if (question_id, by.key) in self.introduced:
            return False
        self.introduced.add((question_id, by.key))
        return True

    def unanswered_since(
        self, start: datetime, *, community: str
    ) -> tuple[UnansweredQuestion, ...]:
        return tuple(q for q in self.unanswered if q.community == community)

    def open_claim(self, project_id: str, claimant: Person, *, now: datetime) -> Claim | None:
        if any(
            c.project_id == project_id and c.claimant.key == claimant.key and c.status == "pending"
            for c in self.claims.values()
        ):
            return None
        claim = Claim(len(self.claims) + 1, project_id, claimant, "pending")
        self.claims[claim.id] = claim
        return claim

    def get_claim(self, claim_id: int) -> Claim | None:
        return self.claims.get(claim_id)

    def decide(self, claim_id: int, *, approve: bool, by: Person, now: datetime) -> Claim | None:
        claim = self.claims.get(claim_id)
        if claim is None or claim.status != "pending":
            return None
        decided = replace(claim, status="approved" if approve else "refused", decided_by=by.key)
        self.claims[claim_id] = decided
        if approve:
            self.set_owner(claim.project_id, claim.claimant.key, now=now)
        return decided

    def enqueue(self, key: str, person_key: str, reply: Reply, *, now: datetime) -> bool:
        if key in self.outbox:
            return False
        self.outbox[key] = (person_key, reply)
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
            unanswered=self.unanswered,
        )

    def seen(self, person: Person, where: ConversationRef, *, now: datetime) -> None:
        self.people[person.key] = person.name

    def display_name(self, person_key: str) -> str:
        return self.people.get(person_key, "")

    def find_people(self, community: str, name: str) -> Sequence[Person]:
        return [
            Person(key, shown)
            for key, shown in self.people.items()
            if key.startswith(community + ":") and name.lower() in (shown.lower(), key)
        ]

    def forget(self, person_key: str, *, now: datetime) -> Forgotten:
        self.forgotten.append(person_key)
        self.people.pop(person_key, None)
        notes = [n for n in self.weeknotes.values() if n.author_key == person_key]
        for note in notes:
            self.weeknotes[note.id] = replace(note, author="", author_key=None)
        return Forgotten(person=True, weeknotes=len(notes), questions=0, projects=0)

    def set_listening(self, where: ConversationRef, on: bool, *, by: Person, now: datetime) -> None:
        (self.listening.add if on else self.listening.discard)(where.channel_id)

    def is_listening(self, where: ConversationRef) -> bool:
        return where.channel_id in self.listening

    def first_answer_in_thread(
        self, where: ConversationRef, thread_id: str, *, now: datetime
    ) -> bool:
        key = (where.channel_id, thread_id)
        if key in self.answered_threads:
            return False
        self.answered_threads.add(key)
        return True

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
        old = self.subscribed.get(where.channel_id) or Subscription(where=where)
        new = replace(
            old,
            day=day or old.day,
            time=time or old.time,
            timezone=timezone or old.timezone,
            post_when_quiet=old.post_when_quiet if post_when_quiet is None else post_when_quiet,
            only=old.only if only is None else only,
            active=True,
            paused_reason=None,
        )
        self.subscribed[where.channel_id] = new
        return new

    def unsubscribe(self, where: ConversationRef) -> bool:
        return self.subscribed.pop(where.channel_id, None) is not None

    def subscription(self, where: ConversationRef) -> Subscription | None:
        return self.subscribed.get(where.channel_id)

    def subscriptions(self, *, paused: bool = False) -> list[Subscription]:
        return [s for s in self.subscribed.values() if paused or s.active]

    def in_channel(self, channel_id: str) -> Subscription | None:
        return self.subscribed.get(channel_id)

    def pause(self, subscription_id: int, reason: str) -> None:
        for key, sub in self.subscribed.items():
            if sub.id == subscription_id:
                self.subscribed[key] = replace(sub, active=False, paused_reason=reason)

    def pause_workspace(self, platform: str, workspace_id: str, *, reason: str) -> int:
        hit = [
            k
            for k, s in self.subscribed.items()
            if s.active and (s.platform, s.workspace_id) == (platform, workspace_id)
        ]
        for key in hit:
            self.subscribed[key] = replace(self.subscribed[key], active=False, paused_reason=reason)
        return len(hit)

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


def services(
    register: FakeRegister,
    finder: FakeFinder,
    clock: object,
    *,
    managers: frozenset[str] = frozenset(),
) -> Services:
    return Services(
        clock=clock,
        projects=register,
        weeknotes=register,
        finder=finder,  # type: ignore[arg-type]
        questions=register,
        activity=register,
        channels=register,
        subscriptions=register,
        people=register,
        reminders=register,
        claims=register,
        outbox=register,
        access=Access(managers, operator_platforms=frozenset()),
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
