"""The composition root: the one module that builds anything.

`build(settings)` makes a `Runtime`: the core and its stores (`App`), Slack and Teams when they
are configured, the posters and direct messengers the jobs use, the digest job, the metrics
and the scheduler's leadership. `hasanyone serve` and every other command take what it built and
construct nothing themselves; `Runtime.aclose()` closes all of it. One of each: one Teams
endpoint (so one rate pacer) serves the web app and the jobs, and one Slack installation store
(one async engine) serves the OAuth flow and the jobs' token lookups."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from adapters.app import App
from adapters.observability.metrics import Metrics
from adapters.settings import Settings
from bot.access import Access
from bot.clock import SystemClock
from bot.commands import Services
from bot.dispatch import Bot
from bot.model import ConversationRef, Finding, Person, Reply, Subscription
from bot.ports import Clock, DirectMessenger, Poster
from bot.ports import ReminderStore as ReminderJobStore
from jobs.digests import DigestJob, RunReport, run_due
from jobs.outbox import deliver
from jobs.reminders import ReminderReport
from knowledge import db
from knowledge import tables as t
from knowledge.channels import ChannelStore
from knowledge.claims import ClaimStore
from knowledge.conversations import ConversationStore
from knowledge.embedding import Embedder, FastEmbedder
from knowledge.finder import IndexedFinder
from knowledge.interchange import ImportReport, import_records
from knowledge.leader import Leadership
from knowledge.outbox import OutboxStore
from knowledge.passage_vectors import EmbeddingWorker, import_vectors
from knowledge.people import PeopleStore
from knowledge.questions import QuestionStore
from knowledge.reminders import ReminderStore
from knowledge.repository import Repository
from knowledge.search import SearchIndex, load_synonyms
from knowledge.subscriptions import SubscriptionStore

if TYPE_CHECKING:
    from adapters.slack.app import SlackBot
    from adapters.slack.installations import WorkspaceTokens
    from adapters.teams.bot import TeamsEndpoint

log = logging.getLogger(__name__)
DEMO_DATA = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "demo" / "demo.jsonl"
DEMO_VECTORS = DEMO_DATA.with_name("vectors.npz")


def make_engines(settings: Settings) -> tuple[sa.Engine, sa.Engine]:
    """The database, and the engine for advisory locks: HASANYONE_LEADER_DATABASE_URL when set
    (a session-mode connection past a transaction-mode pooler), else the database itself."""
    engine = db.make_engine(settings.database_url)
    if settings.leader_database_url:
        return engine, db.make_engine(settings.leader_database_url)
    return engine, engine


def build_app(settings: Settings, *, clock: Clock | None = None) -> App:
    """Engine, schema, repository, search and core, wired together.

    With `settings.migrate` (the default) the schema is brought up to date, and demo data goes
    into an empty register when `settings.demo_data` is on, under a lock so replicas starting
    together do it once. Without it the schema must already be current (SchemaNotCurrent)."""
    engine, locks = make_engines(settings)
    clock = clock or SystemClock(ZoneInfo(settings.timezone))
    repo = Repository(engine)
    embedder = make_embedder(settings)
    if settings.migrate:
        with db.migration_lock(engine, locks=locks):
            db.ensure_schema(engine)
            if settings.demo_data and register_is_empty(engine):
                model = embedder.model_id if embedder else None
                report = load_demo(repo, now=clock.now(), model=model)
                log.info("loaded the demo data set: %s", report.summary())
    else:
        db.check_schema(engine)
    finder = IndexedFinder(
        repo,
        SearchIndex(load_synonyms()),
        clock=clock,
        embedder=embedder,
        snapshot=index_snapshot(settings),
    )
    if finder.embedder is not None:
        finder.worker = EmbeddingWorker(
            engine, finder.embedder, finder.read_documents, clock=clock, on_saved=finder.mark_stale
        )
        finder.worker.before_each = finder.sync
    channels = ChannelStore(engine)
    questions, people, outbox = QuestionStore(engine), PeopleStore(engine), OutboxStore(engine)
    subscriptions = SubscriptionStore(engine)
    services = Services(
        clock=clock,
        projects=repo,
        weeknotes=repo,
        finder=finder,
        questions=questions,
        activity=repo,
        channels=channels,
        people=people,
        reminders=ReminderStore(engine),
        claims=ClaimStore(engine),
        outbox=outbox,
        subscriptions=subscriptions,
        access=Access(frozenset(settings.community_managers)),
    )
    return App(
        settings,
        engine,
        clock,
        repo,
        finder,
        channels,
        questions,
        people,
        outbox,
        subscriptions,
        services,
        Bot(services),
        ConversationStore(engine),
        locks,
    )


def make_embedder(settings: Settings, *, threads: int | None = 1) -> Embedder | None:
    """The sentence-embedding model, or None when semantic search is off. One thread: the
    server answers and embeds in the background on a small machine."""
    if not settings.semantic:
        return None
    return FastEmbedder(settings.embedding_model, threads=threads)


def batch_embedding(app: App) -> EmbeddingWorker | None:
    """A worker that embeds on every core (`hasanyone embed`: nothing else to do), or None
    when semantic search is off."""
    embedder = make_embedder(app.settings, threads=None)
    if embedder is None:
        return None
    return EmbeddingWorker(app.engine, embedder, app.finder.read_documents, clock=app.clock)


def index_snapshot(settings: Settings) -> Path | None:
    """Where the search index is kept between starts: beside a SQLite file, else in the user's
    cache folder, named by the database. None in tests, which build theirs."""
    if settings.env == "test":
        return None
    url = settings.database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///")).expanduser().with_suffix(".search-index")
    if url.startswith("sqlite"):
        return None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hasanyone"
    name = hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:16]
    return cache / f"{name}.search-index"


def register_is_empty(engine: sa.Engine) -> bool:
    with Session(engine) as s:
        return s.exec(select(t.Project.id).limit(1)).first() is None


def load_demo(repo: Repository, *, now: datetime, model: str | None = None) -> ImportReport:
    """The demo register, and its precomputed passage vectors when they are of `model`, so a
    fresh machine answers semantically from the first question."""
    with DEMO_DATA.open(encoding="utf-8") as stream:
        report = import_records(repo, stream, now=now)
    if model is not None:
        with repo.session() as s:
            import_vectors(s, DEMO_VECTORS, model, now=now)
            s.commit()
    return report


@dataclass
class Runtime:
    """Everything one process runs, built once by `build` (or `runtime_for`)."""

    core: App
    reminders: ReminderJobStore  # what the weeknote reminders read and record
    slack: SlackBot | None = None
    teams: TeamsEndpoint | None = None
    tokens: WorkspaceTokens | None = None  # a workspace's Slack token, for the jobs
    posters: dict[str, Poster] = field(default_factory=dict)
    messengers: dict[str, DirectMessenger] = field(default_factory=dict)
    digests: DigestJob = field(init=False)
    leadership: Leadership = field(init=False)
    metrics: Metrics = field(init=False)  # what /metrics serves and the jobs' runs count in

    def __post_init__(self) -> None:
        self.digests = DigestJob(
            subscriptions=self.core.subscriptions,
            runs=self.core.subscriptions,
            activity=self.core.repo,
            posters=self.posters,
            on_paused=self._paused,
            clock=self.core.clock.now,
        )
        self.leadership = Leadership(self.core.locks)
        # On a registry of its own, so two runtimes in one process (tests) never clash.
        self.metrics = Metrics()
        self.metrics.watch(self.core.finder, self.core.questions)

    @property
    def settings(self) -> Settings:
        return self.core.settings

    async def run_digests(self, *, now: datetime | None = None, force: bool = False) -> RunReport:
        """Post every digest that is due, once."""
        return await run_due(self.digests, now=now or self.core.clock.now(), force=force)

    async def deliver_outbox(self) -> str:
        """Send the direct messages the core queued (claims, their outcome, paused digests)."""
        report = await deliver(self.core.outbox, self.messengers, now=self.core.clock.now())
        return report.summary()

    async def remind(self, *, now: datetime | None = None) -> str:
        """The weeknote reminders due now, as one line (see `remind_report`)."""
        return (await self.remind_report(now=now)).summary()

    async def remind_report(self, *, now: datetime | None = None) -> ReminderReport:
        """The weeknote reminders due now: Friday 14:00 in each owner's timezone, never on a
        bank holiday, once a week (the job checks all of that itself)."""
        from jobs.holidays import BankHolidays
        from jobs.reminders import send_reminders

        return await send_reminders(
            now=now or self.core.clock.now(),
            store=self.reminders,
            messengers=self.messengers,
            holidays=BankHolidays.load(),
        )

    def _paused(self, sub: Subscription, reason: str) -> None:
        """Tell the community managers (through the outbox: once each, surviving restarts);
        it is logged either way."""
        text = f"The digest for {sub.platform} channel {sub.channel_id} is paused: {reason}."
        now = self.core.clock.now()
        for key in self.settings.community_managers:
            self.core.outbox.enqueue(
                f"paused:{sub.id}:{now.isoformat()}:{key}", key, Reply(text), now=now
            )

    async def aclose(self) -> None:
        """Close everything `build` opened: the Slack stores' async engine, the embedding
        worker and every database connection. Safe to call twice."""
        if self.tokens is not None:
            await self.tokens.close()
        if self.slack is not None:
            await asyncio.to_thread(self.slack.close)
        await asyncio.to_thread(self.core.close)

    def close(self) -> None:
        """`aclose` for code with no event loop running (the command line)."""
        asyncio.run(self.aclose())


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    platforms: bool = True,
    teams_credentials: Any = None,
) -> Runtime:
    """The runtime for `settings`. `platforms=False`: the core only, for commands that never
    talk to Slack or Teams (ask, import, export…). `teams_credentials` replaces how outgoing
    Teams tokens are fetched (tests use a local identity server)."""
    core = build_app(settings, clock=clock)
    if not platforms:
        return Runtime(core, ReminderStore(core.engine))
    return runtime_for(core, teams_credentials=teams_credentials)


def runtime_for(core: App, *, teams_credentials: Any = None) -> Runtime:
    """Slack, Teams, the posters and messengers and the jobs around an already built core."""
    settings = core.settings
    installations = _slack_installations(settings)
    slack = None
    if settings.slack.enabled:
        from adapters.slack.app import SlackBot

        slack = SlackBot(
            settings=settings.slack,
            bot=core.bot,
            clock=core.clock,
            processed=core.channels,
            outbox=core.outbox,
            services=core.services,
            register=core.repo,
            subscriptions=core.subscriptions,
            community_managers=frozenset(settings.community_managers),
            installations=installations,
        )
    tokens = None
    if settings.slack.can_post:
        from adapters.slack.installations import WorkspaceTokens

        tokens = WorkspaceTokens(settings.slack, installations)
    teams = None
    if settings.teams_enabled:
        from adapters.teams.bot import TeamsEndpoint

        teams = TeamsEndpoint(
            settings=settings.teams,
            bot=core.bot,
            clock=core.clock,
            processed=core.channels,
            services=core.services,
            finder=core.finder,
            community_managers=frozenset(settings.community_managers),
            conversations=core.conversations,
            credentials_factory=teams_credentials,
            local=settings.teams_local,
        )
    posters: dict[str, Poster] = {}
    messengers: dict[str, DirectMessenger] = {}
    if tokens is not None:
        from adapters.slack.client import web_client
        from adapters.slack.poster import SlackMessenger, SlackPoster

        slack_poster = SlackPoster(web_client(settings.slack, None), tokens)
        posters["slack"], messengers["slack"] = slack_poster, SlackMessenger(slack_poster)
    if teams is not None:
        from adapters.teams.poster import TeamsMessenger, TeamsPoster

        teams_poster = TeamsPoster(teams)
        posters["teams"], messengers["teams"] = teams_poster, TeamsMessenger(teams, teams_poster)
    return Runtime(core, ReminderStore(core.engine), slack, teams, tokens, posters, messengers)


def _slack_installations(settings: Settings) -> Any:
    """slack_sdk's installation store on our database, when Slack installs by OAuth."""
    if not settings.slack.oauth:
        return None
    from adapters.slack.installations import installation_store

    return installation_store(settings.database_url, settings.slack)


RENDERED_QUESTION = 0  # logged questions are numbered from 1, so no button can press on one


def services_logging_nothing(app: App) -> Services:
    """The core's services with a question log that records nothing (`hasanyone render`)."""
    return replace(app.services, questions=_Unlogged())


class _Unlogged:  # the Questions port
    """The question log `render` answers through: it records nothing, and every question has
    the id RENDERED_QUESTION."""

    def record_question(
        self,
        question: str,
        *,
        asker: Person,
        where: ConversationRef,
        finding: Finding,
        at: datetime,
    ) -> int:
        return RENDERED_QUESTION

    def record_feedback(self, question_id: int, verdict: str, *, by: Person, at: datetime) -> bool:
        return False

    def share_question(self, question_id: int, *, by: Person, at: datetime) -> bool:
        return False

    def first_introduction(self, question_id: int, *, by: Person, at: datetime) -> bool:
        return False

    def asked(self, question_id: int) -> tuple[str, str] | None:
        return None
