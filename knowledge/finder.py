"""The core's `Finder`: an in-memory search index kept in step with the database.

The index holds postings and passage vectors only; the words shown in an answer (snippets,
titles, contacts) are read from the database for the few hits returned.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from sqlmodel import Session, col, select

from bot.model import Finding, ResultCard
from bot.ports import Clock
from knowledge import tables as t
from knowledge.changes import ChangeFeed
from knowledge.embedding import Embedder
from knowledge.passage_vectors import EmbeddingWorker, load_vectors
from knowledge.repository import Repository
from knowledge.search import Document, Hit, Kind, SearchIndex, SearchResult, passages_of, snippet
from knowledge.search.passages import sentences
from knowledge.search.text import tokens

log = logging.getLogger(__name__)
LOAD_CHUNK = 2_000
Key = tuple[Kind, str]
RESAVE_SHARE = 0.05  # a start that caught up on more than this share of documents saves again


def snapshot_format() -> str:
    """Names the index's layout: the code that builds it, so another version rebuilds."""
    digest = hashlib.sha1(usedforsecurity=False)
    for name in ("index", "passages", "text", "vectors"):
        digest.update((Path(__file__).parent / "search" / f"{name}.py").read_bytes())
    return "hasanyone-index-" + digest.hexdigest()[:16]


class IndexedFinder:
    """Keeps a `SearchIndex` in step with the database and turns hits into result cards.

    Writes through this process's repository mark the index stale, so they are found by the
    very next question. Writes by other processes are picked up within `sync_interval`
    seconds, through the `search_change` feed (knowledge/changes.py: every committed change
    exactly once, whatever the clocks or the length of the writer's transaction).

    With an `embedder`, questions are embedded and fused with the stored passage vectors of
    that model; documents without current vectors are handed to the `worker` and searched
    lexically meanwhile.
    """

    def __init__(
        self,
        repo: Repository,
        index: SearchIndex,
        *,
        clock: Clock,
        sync_interval: float = 2.0,
        embedder: Embedder | None = None,
        snapshot: Path | None = None,
    ) -> None:
        self.repo = repo
        self.snapshot = snapshot  # where the index is kept between starts; None: rebuilt
        self.restored = False  # whether this start's index came from the snapshot
        self.index = index
        self.clock = clock
        self.sync_interval = sync_interval
        self.embedder = embedder
        self.worker: EmbeddingWorker | None = None
        self._feed: ChangeFeed | None = None
        self.last_scanned = 0  # change rows the last sync read: the cost of a sync
        self._stale = True
        self._last_sync = 0.0
        self._synced_at: float | None = None  # monotonic time of the last sync that succeeded
        self._lock = threading.Lock()
        self._search_listeners: list[Callable[[float], None]] = []
        repo.on_change(self.mark_stale)

    def on_search(self, listener: Callable[[float], None]) -> None:
        """Call `listener` with the seconds each `find` took (for the server's metrics)."""
        self._search_listeners.append(listener)

    @property
    def loaded(self) -> bool:
        """Whether the index has been built (or restored) and follows the change feed."""
        return self._feed is not None

    def sync_age(self) -> float | None:
        """Seconds since the index last caught up with the database, or None before the first
        time. A question syncs first when this is over `sync_interval`, and the embedding
        worker syncs as it goes; so it grows on an idle replica, and keeps growing on one whose
        syncs fail."""
        synced = self._synced_at
        return None if synced is None else time.monotonic() - synced

    def mark_stale(self) -> None:
        self._stale = True
        if self.worker is not None:
            self.worker.wake()

    def find(self, question: str, *, limit: int = 5) -> Finding:
        started = time.perf_counter()
        result = self.search(question, limit=limit)
        finding = Finding(
            query=question,
            confident=result.confident,
            results=self._cards(result),
            sure=result.sure,
        )
        for listener in self._search_listeners:
            listener(time.perf_counter() - started)
        return finding

    def search(self, question: str, *, limit: int = 5) -> SearchResult:
        with self._lock:
            if self._stale or time.monotonic() - self._last_sync >= self.sync_interval:
                self._sync()
            semantic = self.embedder is not None and len(self.index.vectors) > 0
        # The question is embedded outside the lock: other questions need not wait for it.
        vector = self.embedder.embed([question[:2_000]])[0] if semantic and self.embedder else None
        with self._lock:
            return self.index.search(question, limit=limit, query_vector=vector)

    def sync(self) -> int:
        """Fold rows changed since the last look into the index; returns how many."""
        with self._lock:
            return self._sync()

    def _sync(self) -> int:
        started = time.monotonic()
        count = self._catch_up()
        self._synced_at = started
        return count

    def _catch_up(self) -> int:
        self._stale, self._last_sync = False, time.monotonic()
        restored = self._feed is None and self._restore()
        if self._feed is None:
            with self.repo.session() as s:
                count = self._load_all(s)
            self._save()
            return count
        with self.repo.session() as s:
            keys = self._feed.read(s)
            self.last_scanned = self._feed.rows_read
        if not keys:
            return 0
        with self.repo.session() as s:
            count = self._load_changes(s, keys)
        if restored and count > RESAVE_SHARE * len(self.index):
            self._save()
        return count

    def _restore(self) -> bool:
        """The index as a previous start saved it, if it is of this database, model and code;
        the feed then brings it up to date. Anything else, and the index is built afresh."""
        if self.snapshot is None or not self.snapshot.exists():
            return False
        try:
            with self.snapshot.open("rb") as f:
                saved = pickle.load(f)  # noqa: S301  (written by _save, below)
        except Exception:
            log.warning("search index snapshot %s unreadable: building afresh", self.snapshot)
            return False
        model = self.embedder.model_id if self.embedder is not None else None
        feed: ChangeFeed = saved.get("feed")
        with self.repo.session() as s:
            ok = (
                saved.get("format") == snapshot_format()
                and saved.get("model") == model
                and feed is not None
                and feed.dialect == s.get_bind().dialect.name
                and feed.still_in(s)
            )
        if not ok:
            return False
        index: SearchIndex = saved["index"]
        index.calibration, index.lexical_share = self.index.calibration, self.index.lexical_share
        index._synonyms = self.index._synonyms
        self.index, self._feed, self.restored = index, feed, True
        log.info("search index restored from %s", self.snapshot)
        return True

    def _save(self) -> None:
        """Keep the index for the next start (written aside, then moved into place)."""
        if self.snapshot is None or self._feed is None or self._feed.newest is None:
            return
        model = self.embedder.model_id if self.embedder is not None else None
        saved: dict[str, object] = {
            "format": snapshot_format(),
            "model": model,
            "feed": self._feed,
            "index": self.index,
        }
        try:
            self.snapshot.parent.mkdir(parents=True, exist_ok=True)
            partial = self.snapshot.with_name(self.snapshot.name + f".{os.getpid()}.tmp")
            with partial.open("wb") as f:
                pickle.dump(saved, f, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(self.snapshot)
        except OSError as exc:
            log.warning("could not keep the search index at %s: %s", self.snapshot, exc)

    def _load_all(self, s: Session) -> int:
        """The first load: the feed's position, then every live row through the bulk path
        (in one snapshot on PostgreSQL; see knowledge/changes.py)."""
        ChangeFeed.snapshot(s)
        feed = ChangeFeed.for_session(s)
        feed.start(s)
        orgs = {o.id: o.name for o in s.exec(select(t.Organisation))}
        projects = s.exec(select(t.Project)).all()
        docs = [doc for doc, live in _documents(projects, orgs) if live]
        notes = s.exec(select(t.Weeknote).execution_options(yield_per=LOAD_CHUNK))
        docs += [_weeknote_doc(n) for n in notes if n.deleted_at is None and not n.internal]
        self.index.add_many(docs)
        if self.embedder is not None:
            self._attach(load_vectors(s, self.embedder.model_id), [(d.kind, d.id) for d in docs])
        self._feed = feed
        return len(docs)

    def _attach(self, stored: Iterable[Any], wanted: Sequence[Key]) -> None:
        """Give the index the stored vectors that match its texts; ask for the rest."""
        for item in stored:
            self.index.set_vectors(item.kind, item.doc_id, item.vectors, item.digest)
        missing = [key for key in wanted if not self.index.has_vectors(*key)]
        if missing and self.worker is not None:
            self.worker.request(missing)

    def _load_changes(self, s: Session, keys: Sequence[tuple[str, str]]) -> int:
        count = 0
        live: list[Key] = []
        vectors: list[Key] = []
        for kind, key in keys:
            if kind == "vectors":
                doc_kind, _, doc_id = key.partition(":")
                vectors.append((_kind(doc_kind), doc_id))
        tables: tuple[tuple[Kind, Any], ...] = (("project", t.Project), ("weeknote", t.Weeknote))
        for kind, table in tables:
            ids = [key for k, key in keys if k == kind]
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                rows = s.exec(select(table).where(col(table.id).in_(batch))).all()
                found = {r.id for r in rows}
                for gone in set(batch) - found:  # deleted for good: forget it
                    self.index.remove(kind, gone)
                for doc, is_live in self._docs_of(s, kind, rows):
                    if is_live:
                        self.index.add(doc)
                        live.append((doc.kind, doc.id))
                    else:
                        self.index.remove(doc.kind, doc.id)
                count += len(rows)
        if self.embedder is not None and (live or vectors):
            fresh = set(live)
            arrived = [key for key in vectors if key not in fresh]
            self._attach(load_vectors(s, self.embedder.model_id, [*live, *arrived]), live)
            count += len(arrived)
        return count

    def _docs_of(self, s: Session, kind: str, rows: Sequence[Any]) -> list[tuple[Document, bool]]:
        if kind == "project":
            return list(_documents(rows, self._org_names(s, rows)))
        return [(_weeknote_doc(n), n.deleted_at is None and not n.internal) for n in rows]

    def read_documents(self, s: Session, keys: Sequence[Key]) -> list[Document]:
        """The live documents with these keys, as the database holds them now (for the
        embedding worker)."""
        docs: list[Document] = []
        tables: tuple[tuple[Kind, Any], ...] = (("project", t.Project), ("weeknote", t.Weeknote))
        for kind, table in tables:
            ids = [key for k, key in keys if k == kind]
            for start in range(0, len(ids), 500):
                rows = s.exec(select(table).where(col(table.id).in_(ids[start : start + 500])))
                docs += [doc for doc, live in self._docs_of(s, kind, rows.all()) if live]
        return docs

    def documents_needing_vectors(self) -> list[Key]:
        """Indexed documents with no current vectors of this finder's model."""
        with self._lock:
            if self._feed is None:
                self._sync()
            return [key for key in self.index.documents() if not self.index.has_vectors(*key)]

    @staticmethod
    def _org_names(s: Session, projects: Sequence[t.Project]) -> dict[str, str]:
        ids = {p.organisation_id for p in projects}
        if not ids:
            return {}
        rows = s.exec(select(t.Organisation).where(col(t.Organisation.id).in_(ids)))
        return {o.id: o.name for o in rows}

    def _cards(self, result: SearchResult) -> tuple[ResultCard, ...]:
        project_ids = [h.id for h in result.hits if h.kind == "project"]
        note_ids = [h.id for h in result.hits if h.kind == "weeknote"]
        note_ids += [w for h in result.hits for w in h.weeknote_ids[:1]]
        with self.repo.session() as s:
            projects = {
                p.id: p for p in s.exec(select(t.Project).where(col(t.Project.id).in_(project_ids)))
            }
            notes = {
                n.id: n for n in s.exec(select(t.Weeknote).where(col(t.Weeknote.id).in_(note_ids)))
            }
            org_ids = {p.organisation_id for p in projects.values()} | {
                n.organisation_id for n in notes.values()
            }
            orgs = {
                o.id: o.name
                for o in s.exec(select(t.Organisation).where(col(t.Organisation.id).in_(org_ids)))
            }
        cards = []
        for hit in result.hits:
            card = (
                _project_card(hit, projects.get(hit.id), notes, orgs, result.terms)
                if hit.kind == "project"
                else _weeknote_card(hit, notes.get(hit.id), orgs, result.terms)
            )
            if card is not None:  # a row deleted between search and read is skipped, not shown
                cards.append(card)
        return tuple(cards)


def project_document(
    *,
    id: str,
    title: str,
    summary: str,
    description: str,
    organisation: str,
    tags: Sequence[str] = (),
    service_area: str = "",
    suppliers: Sequence[str] = (),
    partners: Sequence[str] = (),
    outcomes: str = "",
) -> Document:
    """A project as search sees it; table rows and interchange records both come through here,
    so the benches search exactly what the bot does."""
    return Document(
        kind="project",
        id=id,
        title=title,
        text=project_text(summary, description),
        organisation=organisation,
        tags=tuple(tags),
        service_area=service_area,
        suppliers=tuple(suppliers),
        partners=tuple(partners),
        outcomes=outcomes,
    )


def project_text(summary: str, description: str) -> str:
    """The summary, then the description; only the description when it already says the
    summary. Registers often make the summary the description's first sentence, sometimes cut
    short with "…" or spaced and capitalised differently, and a passage (so a snippet) that
    says it twice reads as a fault."""
    summary, description = summary.strip(), description.strip()
    if _says(description, summary):
        return description
    return f"{summary}\n\n{description}".strip()


_TRAILING: Final = re.compile(r"[\s.!?;:,…]+$")


def _says(text: str, summary: str) -> bool:
    """Whether `text` holds `summary`'s words, ignoring case, spacing and the closing
    punctuation; a summary ending in "…" (or "...") may stop in the middle of a word."""
    cut_short = summary.endswith(("…", "..."))
    wanted = _TRAILING.sub("", " ".join(summary.casefold().split()))
    if not wanted:
        return True  # nothing worth saying
    end = "" if cut_short else r"(?!\w)"
    pattern = r"(?<!\w)" + re.escape(wanted) + end
    return re.search(pattern, " ".join(text.casefold().split())) is not None


def document_of_record(record: dict[str, Any], org_names: dict[str, str]) -> Document | None:
    """A project or weeknote record of the interchange format as search sees it."""
    org = record.get("organisation") or ""
    if record.get("type") == "project":
        return project_document(
            id=record["id"],
            title=record.get("title") or "",
            summary=record.get("summary") or "",
            description=record.get("description") or "",
            organisation=org_names.get(org, org),
            tags=record.get("tags") or (),
            service_area=record.get("service_area") or "",
            suppliers=record.get("suppliers") or (),
            partners=record.get("partners") or (),
            outcomes=record.get("outcomes") or "",
        )
    if record.get("type") == "weeknote" and not record.get("internal"):
        return Document(
            kind="weeknote",
            id=record["id"],
            title=record.get("title") or "",
            text=record.get("text") or "",
            project_id=record.get("project"),
        )
    return None


def _documents(
    projects: Iterable[t.Project], orgs: dict[str, str]
) -> Iterable[tuple[Document, bool]]:
    for p in projects:
        doc = project_document(
            id=p.id,
            title=p.title,
            summary=p.summary,
            description=p.description,
            organisation=orgs.get(p.organisation_id, p.organisation_id),
            tags=p.tags,
            service_area=p.service_area,
            suppliers=p.suppliers,
            partners=p.partners,
            outcomes=p.outcomes or "",
        )
        yield doc, p.deleted_at is None


def _kind(text: str) -> Kind:
    return "project" if text == "project" else "weeknote"


def _weeknote_doc(note: t.Weeknote) -> Document:
    return Document(
        kind="weeknote", id=note.id, title=note.title, text=note.text, project_id=note.project_id
    )


def _project_card(
    hit: Hit,
    project: t.Project | None,
    notes: dict[str, t.Weeknote],
    orgs: dict[str, str],
    terms: Sequence[str],
) -> ResultCard | None:
    if project is None:
        return None
    org = orgs.get(project.organisation_id, project.organisation_id)
    best_note = notes.get(hit.via) if hit.via else None
    if best_note is not None:
        why = f"Weeknote, week of {best_note.week:%d %b %Y}: " + _why(
            _weeknote_doc(best_note), hit.passage, terms
        )
    else:
        doc = next(iter(_documents([project], {project.organisation_id: org})))[0]
        why = _why(doc, hit.passage, terms)
    return ResultCard(
        kind="project",
        id=project.id,
        title=project.title,
        organisation=org,
        stage=project.stage,
        updated=project.updated,
        score=round(hit.score, 3),
        snippet=why,
        contact=project.contact or org,
        url=project.url,
        weeknote_ids=hit.weeknote_ids,
    )


def _weeknote_card(
    hit: Hit, note: t.Weeknote | None, orgs: dict[str, str], terms: Sequence[str]
) -> ResultCard | None:
    if note is None:
        return None
    org = orgs.get(note.organisation_id, note.organisation_id)
    return ResultCard(
        kind="weeknote",
        id=note.id,
        title=note.title or f"Weeknote, week of {note.week:%d %b %Y}",
        organisation=org,
        stage="weeknote",
        updated=note.week,
        score=round(hit.score, 3),
        snippet=_why(_weeknote_doc(note), hit.passage, terms),
        contact=note.author or org,
        url=note.url,
    )


def _why(doc: Document, passage: int, terms: Sequence[str]) -> str:
    """The best passage's best sentence: the one naming most of the question's terms (the
    passage's first when none does, as when it matched on meaning alone), cut to a line."""
    parts = passages_of(doc)
    text = parts[min(passage, len(parts) - 1)] if parts else ""
    if not text.strip():
        return snippet(doc.title, terms)
    wanted = set(terms)
    candidates = sentences(" ".join(text.split()))

    def named(sentence: str) -> int:
        return len({tok.stem for tok in tokens(sentence) if tok.stem in wanted})

    best = max(candidates, key=named) if candidates else text
    return snippet(best, terms)
