"""The core's `Finder`: an in-memory search index kept in step with the database.

The index holds postings only; the words shown in an answer (snippets, titles, contacts) are
read from the database for the few hits returned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.model import Finding, ResultCard
from bot.ports import Clock
from knowledge import tables as t
from knowledge.repository import Repository
from knowledge.search import Document, Hit, SearchIndex, SearchResult, snippet

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOAD_CHUNK = 2_000
OVERLAP = timedelta(seconds=10)


class IndexedFinder:
    """Keeps a `SearchIndex` in step with the database and turns hits into result cards.

    Writes through this process's repository mark the index stale, so they are found by the
    very next question. Writes by other processes are picked up within `sync_interval`
    seconds. A row is stamped (by the writer's clock) before it commits, so a sync looks back
    OVERLAP before the previous sync began: anything stamped earlier had committed by then and
    was seen. Within that window only ids and timestamps are re-read, and only rows not yet
    applied are fetched whole.
    """

    def __init__(
        self, repo: Repository, index: SearchIndex, *, clock: Clock, sync_interval: float = 2.0
    ) -> None:
        self.repo = repo
        self.index = index
        self.clock = clock
        self.sync_interval = sync_interval
        self._seen = EPOCH
        self._window_start = EPOCH
        self.last_scanned = 0  # rows whose timestamps the last sync looked at: the cost of a sync
        self._applied: dict[tuple[str, str], datetime] = {}
        self._stale = True
        self._last_sync = 0.0
        self._lock = threading.Lock()
        repo.on_change(self.mark_stale)

    def mark_stale(self) -> None:
        self._stale = True

    def find(self, question: str, *, limit: int = 5) -> Finding:
        result = self.search(question, limit=limit)
        return Finding(query=question, confident=result.confident, results=self._cards(result))

    def search(self, question: str, *, limit: int = 5) -> SearchResult:
        with self._lock:
            if self._stale or time.monotonic() - self._last_sync >= self.sync_interval:
                self._sync()
            return self.index.search(question, limit=limit)

    def sync(self) -> int:
        """Fold rows changed since the last look into the index; returns how many."""
        with self._lock:
            return self._sync()

    def _sync(self) -> int:
        self._stale, self._last_sync = False, time.monotonic()
        started = self.clock.now()
        with self.repo.session() as s:
            count = self._load_all(s) if self._seen == EPOCH else self._load_changes(s)
        self._window_start = started - OVERLAP
        self._applied = {k: at for k, at in self._applied.items() if at >= self._window_start}
        return count

    def _load_all(self, s: Session) -> int:
        """The first load: every live row, through the index's bulk path."""
        orgs = {o.id: o.name for o in s.exec(select(t.Organisation))}
        projects = s.exec(select(t.Project)).all()
        docs = [doc for doc, _, live in _documents(projects, orgs) if live]
        for p in projects:
            self._note("project", p.id, p.changed_at)
        notes = s.exec(select(t.Weeknote).execution_options(yield_per=LOAD_CHUNK))
        for note in notes:
            self._note("weeknote", note.id, note.changed_at)
            if note.deleted_at is None and not note.internal:
                docs.append(_weeknote_doc(note))
        self.index.add_many(docs)
        return len(docs)

    def _load_changes(self, s: Session) -> int:
        since = self._window_start
        count, self.last_scanned = 0, 0
        for kind, table in (("project", t.Project), ("weeknote", t.Weeknote)):
            stamps = s.exec(
                select(table.id, table.changed_at).where(table.changed_at >= since)
            ).all()
            self.last_scanned += len(stamps)
            fresh = [i for i, at in stamps if self._applied.get((kind, i)) != at]
            for start in range(0, len(fresh), 500):
                ids = fresh[start : start + 500]
                rows = s.exec(select(table).where(col(table.id).in_(ids))).all()
                count += self._apply_rows(s, kind, rows)
        return count

    def _apply_rows(self, s: Session, kind: str, rows: Sequence[Any]) -> int:
        if kind == "project":
            pairs = [(doc, live) for doc, _, live in _documents(rows, self._org_names(s, rows))]
        else:
            pairs = [(_weeknote_doc(n), n.deleted_at is None and not n.internal) for n in rows]
        for (doc, live), row in zip(pairs, rows, strict=True):
            self._apply(doc, live)
            self._note(kind, row.id, row.changed_at)
        return len(rows)

    def _note(self, kind: str, key: str, at: datetime) -> None:
        self._applied[(kind, key)] = at
        self._seen = max(self._seen, at)

    def _apply(self, doc: Document, live: bool) -> None:
        if live:
            self.index.add(doc)
        else:
            self.index.remove(doc.kind, doc.id)

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
    summary, description = summary.strip(), description.strip()
    text = description if summary in description else f"{summary}\n\n{description}".strip()
    return Document(
        kind="project",
        id=id,
        title=title,
        text=text,
        organisation=organisation,
        tags=tuple(tags),
        service_area=service_area,
        suppliers=tuple(suppliers),
        partners=tuple(partners),
        outcomes=outcomes,
    )


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
) -> Iterable[tuple[Document, datetime, bool]]:
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
        yield doc, p.changed_at, p.deleted_at is None


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
    own_text = f"{project.title}. {project.summary} {project.description}"
    why = snippet(own_text, terms)
    best_note = notes.get(hit.weeknote_ids[0]) if hit.weeknote_ids else None
    if best_note is not None and _hits(best_note.text, terms) > _hits(own_text, terms):
        why = f"Weeknote, week of {best_note.week:%d %b %Y}: {snippet(best_note.text, terms)}"
    org = orgs.get(project.organisation_id, project.organisation_id)
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
        snippet=snippet(note.text, terms),
        contact=note.author or org,
        url=note.url,
    )


def _hits(text: str, terms: Sequence[str]) -> int:
    lowered = text.lower()
    return sum(1 for term in terms if term in lowered)
