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
from bot.clock import SystemClock
from bot.commands import Services
from bot.dispatch import Bot
from bot.ports import Clock
from knowledge import db
from knowledge import tables as t
from knowledge.channels import ChannelStore
from knowledge.embedding import Embedder, FastEmbedder
from knowledge.finder import IndexedFinder
from knowledge.interchange import ImportReport, import_records
from knowledge.passage_vectors import EmbeddingWorker, import_vectors
from knowledge.reminders import ReminderStore
from knowledge.repository import Repository
from knowledge.search import SearchIndex, load_synonyms

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
    services: Services
    bot: Bot


def build_app(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> App:
    """Engine, schema, repository, search and core, wired together. Demo data goes into an
    empty database when `settings.demo_data` is on, so a fresh machine has something to ask."""
    engine = db.make_engine(settings.database_url)
    if migrate:
        db.ensure_schema(engine)
    clock = clock or SystemClock(ZoneInfo(settings.timezone))
    repo = Repository(engine)
    embedder = make_embedder(settings)
    if settings.demo_data and migrate and register_is_empty(engine):
        report = load_demo(repo, now=clock.now(), model=embedder.model_id if embedder else None)
        log.info("loaded the demo data set: %s", report.summary())
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
    services = Services(
        clock=clock,
        projects=repo,
        weeknotes=repo,
        finder=finder,
        questions=repo,
        activity=repo,
        channels=channels,
        people=repo,
        reminders=ReminderStore(engine),
    )
    return App(settings, engine, clock, repo, finder, channels, services, Bot(services))


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
