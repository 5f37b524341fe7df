"""The composition root: the one place that builds the app from settings."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from adapters.settings import Settings
from bot.access import Access
from bot.clock import SystemClock
from bot.commands import Services
from bot.dispatch import Bot
from bot.ports import Clock
from knowledge import db
from knowledge import tables as t
from knowledge.channels import ChannelStore
from knowledge.claims import ClaimStore
from knowledge.embedding import Embedder, FastEmbedder
from knowledge.finder import IndexedFinder
from knowledge.interchange import ImportReport, import_records
from knowledge.outbox import OutboxStore
from knowledge.passage_vectors import EmbeddingWorker, import_vectors
from knowledge.people import PeopleStore
from knowledge.questions import QuestionStore
from knowledge.reminders import ReminderStore
from knowledge.repository import Repository
from knowledge.search import SearchIndex, load_synonyms
from knowledge.subscriptions import SubscriptionStore

log = logging.getLogger(__name__)
DEMO_DATA = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "demo" / "demo.jsonl"
DEMO_VECTORS = DEMO_DATA.with_name("vectors.npz")


@dataclass
class App:
    settings: Settings
    engine: sa.Engine
    clock: Clock
    repo: Repository
    finder: IndexedFinder
    channels: ChannelStore
    questions: QuestionStore
    people: PeopleStore
    outbox: OutboxStore
    subscriptions: SubscriptionStore
    services: Services
    bot: Bot
    locks: sa.Engine  # where PostgreSQL advisory locks are taken (the leader, migrations)


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
        locks,
    )


def make_embedder(settings: Settings, *, threads: int | None = 1) -> Embedder | None:
    """The sentence-embedding model, or None when semantic search is off. One thread: the
    server answers and embeds in the background on a small machine."""
    if not settings.semantic:
        return None
    return FastEmbedder(settings.embedding_model, threads=threads)


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
