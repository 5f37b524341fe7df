"""Hand-written fakes of the core's ports, one class per port, over one shared `FakeState`.

They keep what they are given, so tests can look. What they answer is held to the real stores'
behaviour by tests/fakes/test_register_contract.py: when the two disagree, the real store is
right and the fake is changed. What the fakes do not attempt is said where it is left out
(councils' official names, near-identical questions told apart by their stems).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

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
    community_of,
)
from bot.ports import Activity, Claim, Forgotten, NotAllowed, NotFound, UnansweredQuestion
from bot.text import one_line

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # when a project put straight into the state changed


@dataclass
class AskedQuestion:
    """A question as the log keeps it. `public`: others may see it without it being shared."""

    text: str
    asker_key: str
    where: ConversationRef
    finding: Finding
    at: datetime
    public: bool
    shared_at: datetime | None = None


@dataclass
class PersonRow:
    """A person as the register keeps them: seen by the bot, or met through a reminder choice."""

    platform: str
    workspace_id: str
    user_id: str
    name: str = ""
    timezone: str = ""
    reminders: bool = True
    organisation_id: str | None = None

    @classmethod
    def from_key(cls, key: str) -> PersonRow:
        platform, _, rest = key.partition(":")
        workspace = rest.rsplit(":", 1)[0] if rest.count(":") else ""
        return cls(platform=platform, workspace_id=workspace, user_id=key.rsplit(":", 1)[-1])


@dataclass
class FakeState:
    """What more than one port reads or writes, as the real ones share one database: weeknotes
    belong to projects, an approved claim sets an owner, forgetting a person reaches everything
    keyed on them. Tests may put records straight in (`state.projects["x"] = a_project()`)."""

    projects: dict[str, Project] = field(default_factory=dict)
    weeknotes: dict[str, Weeknote] = field(default_factory=dict)  # in the order they were posted
    organisations: dict[str, Organisation] = field(default_factory=dict)
    changed_at: dict[str, datetime] = field(default_factory=dict)  # project id → last change
    tombstones: set[str] = field(default_factory=set)  # deleted ids: never given out again
    questions: list[AskedQuestion] = field(default_factory=list)  # question id = index + 1
    votes: dict[tuple[int, str], str] = field(default_factory=dict)
    introduced: set[tuple[int, str]] = field(default_factory=set)
    claims: dict[int, Claim] = field(default_factory=dict)
    outbox: dict[str, tuple[str, Reply]] = field(default_factory=dict)
    people: dict[str, PersonRow] = field(default_factory=dict)

    def known_organisations(self) -> dict[str, Organisation]:
        """Those created by a project form, and those of projects put straight in."""
        found = {
            p.organisation_id: Organisation(id=p.organisation_id, name=p.organisation_name)
            for p in self.projects.values()
        }
        return found | self.organisations

    def project(self, project_id: str) -> Project:
        project = self.projects.get(project_id.strip())
        if project is None:
            raise NotFound(project_id)
        return project

    def save(self, project: Project, *, now: datetime) -> Project:
        self.projects[project.id] = project
        self.changed_at[project.id] = now
        return project


def slugify(text: str, *, max_length: int = 60) -> str:
    """An id from a title, as the real register makes them."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def free_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _listed(project: Project) -> Project:
    """A project as lists show it: the real store reads members only for one project at a time."""
    return replace(project, member_keys=())


@dataclass
class FakeProjects:
    """ProjectDirectory."""

    state: FakeState

    def get_project(self, project_id: str) -> Project | None:
        return self.state.projects.get(project_id.strip())

    def projects_of(self, person_key: str) -> Sequence[Project]:
        own = [p for p in self.state.projects.values() if p.owner_key == person_key]
        return sorted(own, key=lambda p: self.state.changed_at.get(p.id, LONG_AGO), reverse=True)

    def project_choices(self, person_key: str | None, *, limit: int = 100) -> Sequence[Project]:
        own = list(self.projects_of(person_key)) if person_key else []
        by_title = sorted(self.state.projects.values(), key=lambda p: p.title)
        recent = sorted(by_title, key=lambda p: p.updated or date.min, reverse=True)[:limit]
        others = [_listed(p) for p in recent if p.owner_key != person_key or not person_key]
        return (own + others)[:limit]

    def resolve_organisation(self, name: str) -> Organisation | None:
        """By id, by the id its name would have, or by name. The real register also knows
        councils by their official names and codes; the fake does not."""
        wanted = name.strip()
        if not wanted:
            return None
        known = self.state.known_organisations()
        found = known.get(wanted) or known.get(slugify(wanted))
        return found or next((o for o in known.values() if o.name.lower() == wanted.lower()), None)

    def _organisation_for(self, name: str) -> Organisation:
        found = self.resolve_organisation(name)
        if found is None:
            taken = set(self.state.known_organisations())
            found = Organisation(id=free_id(slugify(name), taken), name=name.strip())
            self.state.organisations[found.id] = found
        return found

    def organisations(self) -> Sequence[Organisation]:
        return sorted(self.state.known_organisations().values(), key=lambda o: o.name)

    def service_areas(self) -> Sequence[str]:
        areas = {p.service_area for p in self.state.projects.values() if p.service_area}
        return sorted(areas, key=str.casefold)

    def add_project(self, draft: ProjectDraft, *, now: datetime) -> Project:
        organisation = self._organisation_for(draft.organisation)
        taken = set(self.state.projects) | self.state.tombstones
        project = Project(
            id=free_id(slugify(draft.title), taken),
            title=draft.title,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            stage=draft.stage,
            description=draft.description,
            contact=draft.contact,
            url=draft.url,
            service_area=draft.service_area,
            tags=draft.tags,
            owner_key=draft.owner_key,
            started=now.date(),
            updated=now.date(),
        )
        return self.state.save(project, now=now)

    def set_stage(self, project_id: str, stage: Stage, *, by: Person, now: datetime) -> Project:
        project = self.state.project(project_id)
        if project.stage == stage:
            return project
        return self.state.save(replace(project, stage=stage, updated=now.date()), now=now)

    def list_projects(
        self,
        *,
        owner_key: str | None = None,
        organisation_id: str | None = None,
        stage: Stage | None = None,
        limit: int = 25,
    ) -> tuple[list[Project], int]:
        found = [
            _listed(p)
            for p in sorted(self.state.projects.values(), key=lambda p: (p.title, p.id))
            if (owner_key is None or p.owner_key == owner_key)
            and (organisation_id is None or p.organisation_id == organisation_id)
            and (stage is None or p.stage == stage)
        ]
        return found[:limit], len(found)

    def update_project(
        self, project_id: str, changes: ProjectDraft, *, by: Person, now: datetime
    ) -> Project:
        project = self.state.project(project_id)
        organisation = self._organisation_for(changes.organisation)
        changed = replace(
            project,
            title=changes.title,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            stage=changes.stage,
            description=changes.description,
            contact=changes.contact,
            service_area=changes.service_area,
            tags=changes.tags,
            url=changes.url,
            updated=now.date(),
        )
        return self.state.save(changed, now=now)

    def match_projects(
        self, text: str, *, person_key: str | None, limit: int = 100
    ) -> Sequence[Project]:
        """Own first, then ids and titles starting with `text`, then the rest; by title."""
        wanted = text.strip().lower()
        if not wanted:
            return self.project_choices(person_key, limit=limit)

        def rank(p: Project) -> tuple[int, str, str]:
            own = p.owner_key == (person_key or "")
            starts = p.id.lower().startswith(wanted) or p.title.lower().startswith(wanted)
            return (0 if own else 1 if starts else 2), p.title, p.id

        found = [
            p
            for p in self.state.projects.values()
            if wanted in p.id.lower() or wanted in p.title.lower()
        ]
        return [_listed(p) for p in sorted(found, key=rank)[:limit]]

    def organisations_of(self, person_key: str) -> frozenset[str]:
        involved = {
            p.organisation_id
            for p in self.state.projects.values()
            if person_key == p.owner_key or person_key in p.member_keys
        }
        row = self.state.people.get(person_key)
        recorded = {row.organisation_id} if row is not None and row.organisation_id else set()
        return frozenset(org for org in involved | recorded if org)

    def delete_project(self, project_id: str, *, now: datetime) -> int:
        project = self.state.project(project_id)
        del self.state.projects[project.id]
        self.state.tombstones.add(project.id)
        gone = [n for n in self.state.weeknotes.values() if n.project_id == project.id]
        for note in gone:
            del self.state.weeknotes[note.id]
            self.state.tombstones.add(note.id)
        for claim in [c for c in self.state.claims.values() if c.project_id == project.id]:
            del self.state.claims[claim.id]
        return len(gone)

    def add_member(self, project_id: str, person_key: str, *, by: Person, now: datetime) -> bool:
        project = self.state.project(project_id)
        if person_key in project.member_keys:
            return False
        self.state.projects[project.id] = replace(
            project, member_keys=(*project.member_keys, person_key)
        )
        return True

    def remove_member(self, project_id: str, person_key: str) -> bool:
        project = self.state.projects.get(project_id.strip())
        if project is None or person_key not in project.member_keys:
            return False
        keys = tuple(k for k in project.member_keys if k != person_key)
        self.state.projects[project.id] = replace(project, member_keys=keys)
        return True

    def set_owner(self, project_id: str, person_key: str, *, now: datetime) -> Project:
        project = self.state.project(project_id)
        return self.state.save(replace(project, owner_key=person_key), now=now)


@dataclass
class FakeWeeknotes:
    """WeeknoteBook. `fail_writes`: the database refuses the next posts."""

    state: FakeState
    fail_writes: bool = False

    def add_weeknote(self, draft: WeeknoteDraft, *, now: datetime) -> Weeknote:
        if self.fail_writes:
            raise OSError("database is locked")
        project = self.state.project(draft.project_id)
        week = draft.week - timedelta(days=draft.week.weekday())  # filed by its Monday
        taken = set(self.state.weeknotes) | self.state.tombstones
        note = Weeknote(
            id=free_id(f"{project.id}-{week.isoformat()}", taken),
            project_id=project.id,
            organisation_id=project.organisation_id,
            author=draft.author.name or draft.author.key,
            week=week,
            title=one_line(draft.title),
            text=draft.text,
            author_key=draft.author.key,
            internal=draft.internal,
        )
        self.state.weeknotes[note.id] = note
        self.state.save(replace(project, updated=now.date()), now=now)
        return note

    def get_weeknote(self, weeknote_id: str) -> Weeknote | None:
        return self.state.weeknotes.get(weeknote_id.strip())

    def _own(self, weeknote_id: str, by: Person) -> Weeknote:
        note = self.get_weeknote(weeknote_id)
        if note is None:
            raise NotFound(weeknote_id)
        if note.author_key != by.key:
            raise NotAllowed(weeknote_id)
        return note

    def edit_weeknote(self, weeknote_id: str, text: str, *, by: Person, now: datetime) -> Weeknote:
        edited = replace(self._own(weeknote_id, by), text=text)
        self.state.weeknotes[edited.id] = edited
        return edited

    def delete_weeknote(self, weeknote_id: str, *, now: datetime) -> Weeknote:
        note = self.get_weeknote(weeknote_id)
        if note is None:
            raise NotFound(weeknote_id)
        del self.state.weeknotes[note.id]
        self.state.tombstones.add(note.id)
        return note

    def _latest(self, notes: list[Weeknote], limit: int) -> Sequence[Weeknote]:
        """Latest week first, then the later posted (dict order is posting order)."""
        order = {note_id: i for i, note_id in enumerate(self.state.weeknotes)}
        return sorted(notes, key=lambda n: (n.week, order[n.id]), reverse=True)[:limit]

    def weeknotes_of(self, person_key: str, *, limit: int = 10) -> Sequence[Weeknote]:
        notes = [n for n in self.state.weeknotes.values() if n.author_key == person_key]
        return self._latest(notes, limit)

    def weeknotes_for_project(
        self, project_id: str, *, internal_from: frozenset[str] | None, limit: int = 10
    ) -> Sequence[Weeknote]:
        notes = [
            n
            for n in self.state.weeknotes.values()
            if n.project_id == project_id.strip()
            and (not n.internal or internal_from is None or n.organisation_id in internal_from)
        ]
        return self._latest(notes, limit)


@dataclass
class FakeQuestions:
    """QuestionLog. `feedback` records every press of a feedback button, in order."""

    state: FakeState
    feedback: list[tuple[int, str]] = field(default_factory=list)

    def record_question(
        self,
        question: str,
        *,
        asker: Person,
        where: ConversationRef,
        finding: Finding,
        at: datetime,
    ) -> int:
        public = where.is_public and not (where.is_direct or where.is_group)
        self.state.questions.append(
            AskedQuestion(question[:2_000], asker.key, where, finding, at, public)
        )
        return len(self.state.questions)

    def _question(self, question_id: int) -> AskedQuestion | None:
        if not 0 < question_id <= len(self.state.questions):
            return None
        return self.state.questions[question_id - 1]

    def record_feedback(self, question_id: int, verdict: str, *, by: Person, at: datetime) -> bool:
        if self._question(question_id) is None:
            return False
        self.feedback.append((question_id, verdict))
        self.state.votes[(question_id, by.key)] = verdict
        return True

    def votes(self, question_id: int) -> dict[str, str]:
        """person key → verdict."""
        return {key: v for (qid, key), v in self.state.votes.items() if qid == question_id}

    def share_question(self, question_id: int, *, by: Person, at: datetime) -> bool:
        question = self._question(question_id)
        if question is None:
            raise NotFound(str(question_id))
        if question.asker_key != by.key:
            raise NotAllowed(str(question_id))
        if question.shared_at is not None:
            return False
        question.shared_at = at
        return True

    def asked(self, question_id: int) -> tuple[str, str] | None:
        question = self._question(question_id)
        return (question.text, question.asker_key) if question is not None else None

    def first_introduction(self, question_id: int, *, by: Person, at: datetime) -> bool:
        if (question_id, by.key) in self.state.introduced:
            return False
        self.state.introduced.add((question_id, by.key))
        return True


def unanswered(
    questions: Sequence[AskedQuestion], start: datetime, end: datetime | None
) -> tuple[UnansweredQuestion, ...]:
    """The real rule (nobody had an answer, others may see it, grouped per community, most often
    asked first), except that only questions the same but for case and a trailing "?" count as
    one: the real store also groups by word stems and forgives typos."""
    groups: dict[tuple[str, str], list[AskedQuestion]] = {}
    for q in sorted(questions, key=lambda q: q.at):
        if q.finding.confident or not (q.public or q.shared_at is not None):
            continue
        if q.at < start or (end is not None and q.at >= end):
            continue
        community = community_of(q.where.platform, q.where.workspace_id)
        same = " ".join(q.text.lower().split()).rstrip("?")
        groups.setdefault((community, same), []).append(q)
    found = [
        UnansweredQuestion(text=g[0].text, asked_at=g[0].at, times=len(g), community=community)
        for (community, _), g in groups.items()
    ]
    return tuple(sorted(found, key=lambda q: (-q.times, q.asked_at)))


@dataclass
class FakeActivity:
    """ActivityFeed: every project counts as new, and `filters` records what each digest asked
    for (the core narrows by them itself)."""

    state: FakeState
    filters: list[DigestFilter | None] = field(default_factory=list)

    def activity_between(
        self, start: datetime, end: datetime, *, only: DigestFilter | None = None
    ) -> Activity:
        self.filters.append(only)
        return Activity(
            start=start.date(),
            end=end.date(),
            new_projects=tuple(self.state.projects.values()),
            stage_changes=(),
            weeknotes=(),
            unanswered=unanswered(self.state.questions, start, end),
        )

    def unanswered_since(
        self, start: datetime, *, community: str
    ) -> tuple[UnansweredQuestion, ...]:
        found = unanswered(self.state.questions, start, None)
        return tuple(q for q in found if q.community == community)


@dataclass
class FakeClaims:
    """Claims."""

    state: FakeState

    def open_claim(self, project_id: str, claimant: Person, *, now: datetime) -> Claim | None:
        if any(
            c.project_id == project_id and c.claimant.key == claimant.key and c.status == "pending"
            for c in self.state.claims.values()
        ):
            return None
        claim = Claim(max(self.state.claims, default=0) + 1, project_id, claimant, "pending")
        self.state.claims[claim.id] = claim
        return claim

    def get_claim(self, claim_id: int) -> Claim | None:
        return self.state.claims.get(claim_id)

    def decide(self, claim_id: int, *, approve: bool, by: Person, now: datetime) -> Claim | None:
        """Approving a claim on a project gone or owned by now decides nothing, as for real."""
        claim = self.state.claims.get(claim_id)
        if claim is None or claim.status != "pending":
            return None
        project = self.state.projects.get(claim.project_id)
        if approve and (project is None or project.owner_key):
            return None
        decided = replace(claim, status="approved" if approve else "refused", decided_by=by.key)
        self.state.claims[claim_id] = decided
        if approve and project is not None:
            self.state.save(replace(project, owner_key=claim.claimant.key), now=now)
        return decided


@dataclass
class FakeOutbox:
    """Outbox: `state.outbox` holds key → (person key, reply)."""

    state: FakeState

    def enqueue(self, key: str, person_key: str, reply: Reply, *, now: datetime) -> bool:
        key = key[:300]
        if key in self.state.outbox:
            return False
        self.state.outbox[key] = (person_key, reply)
        return True


@dataclass
class FakePeople:
    """People."""

    state: FakeState

    @property
    def names(self) -> dict[str, str]:
        """person key → display name, for those whose name the bot learnt."""
        return {key: row.name for key, row in self.state.people.items() if row.name}

    def seen(self, person: Person, where: ConversationRef, *, now: datetime) -> None:
        row = self.state.people.setdefault(
            person.key,
            PersonRow(where.platform, where.workspace_id, person.key.rsplit(":", 1)[-1]),
        )
        row.name = person.name or row.name  # a sighting without a name keeps the one known
        row.timezone = person.timezone or row.timezone

    def display_name(self, person_key: str) -> str:
        row = self.state.people.get(person_key)
        return row.name if row is not None else ""

    def find_people(self, community: str, name: str) -> Sequence[Person]:
        platform, _, workspace = community.partition(":")
        wanted = name.strip()
        if not wanted:
            return []
        return [
            Person(key, row.name, row.timezone)
            for key, row in self.state.people.items()
            if (row.platform, row.workspace_id) == (platform, workspace)
            and (wanted in (key, row.user_id) or row.name.lower() == wanted.lower())
        ]

    def forget(self, person_key: str, *, now: datetime) -> Forgotten:
        state, key = self.state, person_key
        notes = [n for n in state.weeknotes.values() if n.author_key == key]
        for note in notes:
            state.weeknotes[note.id] = replace(note, author="", author_key=None)
        asked = [q for q in state.questions if q.asker_key == key]
        for question in asked:
            question.asker_key = ""
        owned = [p for p in state.projects.values() if p.owner_key == key]
        for project in owned:
            state.save(replace(project, owner_key=None), now=now)
        for project in [p for p in state.projects.values() if key in p.member_keys]:
            keys = tuple(k for k in project.member_keys if k != key)
            state.projects[project.id] = replace(project, member_keys=keys)
        self._forget_claims(key)
        state.outbox = {k: m for k, m in state.outbox.items() if m[0] != key}
        state.votes = {v: verdict for v, verdict in state.votes.items() if v[1] != key}
        state.introduced = {i for i in state.introduced if i[1] != key}
        person = state.people.pop(key, None) is not None
        return Forgotten(
            person=person, weeknotes=len(notes), questions=len(asked), projects=len(owned)
        )

    def _forget_claims(self, key: str) -> None:
        """Their claims go, with the managers' messages about them; decisions lose their name."""
        for claim in list(self.state.claims.values()):
            if claim.claimant.key == key:
                del self.state.claims[claim.id]
                prefix = f"claim:{claim.id}:"
                self.state.outbox = {
                    k: m for k, m in self.state.outbox.items() if not k.startswith(prefix)
                }
            elif claim.decided_by == key:
                self.state.claims[claim.id] = replace(claim, decided_by=None)


def _channel(where: ConversationRef) -> tuple[str, str, str]:
    return where.platform, where.workspace_id, where.channel_id


@dataclass
class FakeChannels:
    """Channels. `listening` holds (platform, workspace, channel) of the channels that listen."""

    listening: set[tuple[str, str, str]] = field(default_factory=set)
    answered_threads: set[tuple[str, str, str]] = field(default_factory=set)

    def set_listening(self, where: ConversationRef, on: bool, *, by: Person, now: datetime) -> None:
        (self.listening.add if on else self.listening.discard)(_channel(where))

    def is_listening(self, where: ConversationRef) -> bool:
        return _channel(where) in self.listening

    def first_answer_in_thread(
        self, where: ConversationRef, thread_id: str, *, now: datetime
    ) -> bool:
        key = (where.platform, where.channel_id, thread_id)
        if key in self.answered_threads:
            return False
        self.answered_threads.add(key)
        return True


@dataclass
class FakeSubscriptions:
    """Subscriptions, one per (platform, workspace, channel). Turning a digest off keeps it,
    inactive, as the real store does."""

    kept: dict[tuple[str, str, str], Subscription] = field(default_factory=dict)

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
        old = self.kept.get(_channel(where)) or Subscription(
            where=ConversationRef(where.platform, where.channel_id, where.workspace_id),
            id=max((s.id or 0 for s in self.kept.values()), default=0) + 1,
            created_at=now,
        )
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
        self.kept[_channel(where)] = new
        return new

    def unsubscribe(self, where: ConversationRef) -> bool:
        old = self.kept.get(_channel(where))
        if old is None or not old.active:
            return False
        self.kept[_channel(where)] = replace(old, active=False)
        return True

    def subscription(self, where: ConversationRef) -> Subscription | None:
        return self.kept.get(_channel(where))

    def subscriptions(self, *, paused: bool = False) -> list[Subscription]:
        found = sorted(self.kept.values(), key=lambda s: s.id or 0)
        return [s for s in found if paused or s.active]

    def in_channel(self, channel_id: str) -> Subscription | None:
        return next(
            (s for s in self.subscriptions(paused=True) if s.channel_id == channel_id), None
        )

    def _pause(self, hit: list[Subscription], reason: str) -> int:
        for sub in hit:
            self.kept[_channel(sub.where)] = replace(sub, active=False, paused_reason=reason[:500])
        return len(hit)

    def pause(self, subscription_id: int, reason: str) -> None:
        self._pause([s for s in self.kept.values() if s.id == subscription_id], reason)

    def pause_workspace(self, platform: str, workspace_id: str, *, reason: str) -> int:
        hit = [
            s
            for s in self.kept.values()
            if s.active and (s.platform, s.workspace_id) == (platform, workspace_id)
        ]
        return self._pause(hit, reason)


@dataclass
class FakeReminders:
    """Reminders: the choice is kept on the person's row, as for real."""

    state: FakeState

    def set_reminders(self, person_key: str, on: bool, *, now: datetime) -> None:
        self.state.people.setdefault(person_key, PersonRow.from_key(person_key)).reminders = on

    def opted_out(self, keys: Iterable[str]) -> set[str]:
        """What the Friday job reads back (ReminderStore.opted_out)."""
        people = self.state.people
        return {key for key in keys if key in people and not people[key].reminders}


@dataclass
class FakeRegister:
    """Every port's fake, over one FakeState, under the names `Services` gives them."""

    state: FakeState = field(default_factory=FakeState)
    projects: FakeProjects = field(init=False)
    weeknotes: FakeWeeknotes = field(init=False)
    questions: FakeQuestions = field(init=False)
    activity: FakeActivity = field(init=False)
    claims: FakeClaims = field(init=False)
    outbox: FakeOutbox = field(init=False)
    people: FakePeople = field(init=False)
    reminders: FakeReminders = field(init=False)
    channels: FakeChannels = field(default_factory=FakeChannels)
    subscriptions: FakeSubscriptions = field(default_factory=FakeSubscriptions)

    def __post_init__(self) -> None:
        self.projects, self.weeknotes = FakeProjects(self.state), FakeWeeknotes(self.state)
        self.questions, self.activity = FakeQuestions(self.state), FakeActivity(self.state)
        self.claims, self.outbox = FakeClaims(self.state), FakeOutbox(self.state)
        self.people, self.reminders = FakePeople(self.state), FakeReminders(self.state)


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
        clock=clock,  # type: ignore[arg-type]
        projects=register.projects,
        weeknotes=register.weeknotes,
        finder=finder,
        questions=register.questions,
        activity=register.activity,
        channels=register.channels,
        subscriptions=register.subscriptions,
        people=register.people,
        reminders=register.reminders,
        claims=register.claims,
        outbox=register.outbox,
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
