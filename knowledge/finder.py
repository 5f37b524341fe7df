"""The core's `Finder`: an in-memory search index kept in step with the database.

The index holds postings only; the words shown in an answer (snippets, titles, contacts) are
read from the database for the few hits returned. Before each search the finder picks up rows
changed since it last looked, so a weeknote posted through another process is found too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from bot.model import Finding, ResultCard
from knowledge import tables as t
from knowledge.repository import Repository
from knowledge.search import Document, Hit, SearchIndex, SearchResult, snippet

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOAD_CHUNK = 2_000


class IndexedFinder:
    def __init__(self, repo: Repository, index: SearchIndex) -> None:
        self.repo = repo
        self.index = index
        self._seen = EPOCH
        self._lock = threading.Lock()

    def find(self, question: str, *, limit: int = 5) -> Finding:
        with self._lock:
            self.sync()
            result = self.index.search(question, limit=limit)
        return Finding(query=question, confident=result.confident, results=self._cards(result))

    def search(self, question: str, *, limit: int = 5) -> SearchResult:
        with self._lock:
            self.sync()
            return self.index.search(question, limit=limit)

    def sync(self) -> int:
        """Fold rows changed since the last look into the index; returns how many."""
        with self.repo.session() as s:
            orgs = (
                {o.id: o.name for o in s.exec(select(t.Organisation))}
                if self._seen == EPOCH
                else None
            )
            projects = s.exec(select(t.Project).where(t.Project.changed_at >= self._seen)).all()
            notes = s.exec(
                select(t.Weeknote)
                .where(t.Weeknote.changed_at >= self._seen)
                .execution_options(yield_per=LOAD_CHUNK)
            )
            newest = self._seen
            if orgs is None:
                orgs = self._org_names(s, projects)
            count = 0
            for doc, row_changed, live in _documents(projects, orgs):
                count += self._apply(doc, live)
                newest = max(newest, row_changed)
            batch: list[Document] = []
            for note in notes:
                newest = max(newest, note.changed_at)
                doc = _weeknote_doc(note)
                if note.deleted_at is None and not note.internal and self._seen == EPOCH:
                    batch.append(doc)  # first load: the bulk path builds compact postings
                else:
                    count += self._apply(doc, note.deleted_at is None and not note.internal)
            if batch:
                self.index.add_many(batch)
                count += len(batch)
        self._seen = newest
        return count

    def _apply(self, doc: Document, live: bool) -> int:
        if live:
            self.index.add(doc)
        else:
            self.index.remove(doc.kind, doc.id)
        return 1

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


def _documents(
    projects: Iterable[t.Project], orgs: dict[str, str]
) -> Iterable[tuple[Document, datetime, bool]]:
    for p in projects:
        doc = Document(
            kind="project",
            id=p.id,
            title=p.title,
            text=f"{p.summary}\n{p.description}".strip(),
            organisation=orgs.get(p.organisation_id, p.organisation_id),
            tags=tuple(p.tags),
            service_area=p.service_area,
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
