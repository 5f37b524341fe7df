"""Passage embeddings in the database, and the worker that makes them.

Vectors are stored per document and model (`passage_vector`), never recomputed at start: a
process loads those of its model whose passage digest matches the document's text now. A
document with none (new, edited, or another model configured) stays lexical until the worker
has embedded it; an answer never waits for that. Saving vectors writes `search_change` rows
(a trigger), so every process's index picks them up like any other change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.ports import Clock
from knowledge import tables as t
from knowledge.embedding import Embedder
from knowledge.search import Document, Kind, embedding_texts
from knowledge.search.passages import digest

log = logging.getLogger(__name__)
Floats = npt.NDArray[np.float32]
Key = tuple[Kind, str]
EMBED_BATCH = 32  # documents a worker embeds and commits together
LOAD_PAGE = 2_000


@dataclass(frozen=True, slots=True)
class StoredVectors:
    kind: str
    doc_id: str
    digest: str
    vectors: Floats


def to_bytes(vectors: Floats) -> bytes:
    return np.ascontiguousarray(vectors, dtype="<f4").tobytes()


def from_bytes(data: bytes, passages: int, dim: int) -> Floats:
    return np.frombuffer(data, dtype="<f4").reshape(passages, dim).astype(np.float32)


def load_vectors(
    s: Session, model: str, keys: Iterable[Key] | None = None
) -> Iterator[StoredVectors]:
    """The stored vectors of `model`: all of them, or those of some documents."""
    query = select(t.PassageVector).where(t.PassageVector.model == model)
    if keys is None:
        rows: Iterable[t.PassageVector] = s.exec(query.execution_options(yield_per=LOAD_PAGE))
        for row in rows:
            yield _stored(row)
        return
    wanted = list(keys)
    for kind in ("project", "weeknote"):
        ids = [k for kd, k in wanted if kd == kind]
        for i in range(0, len(ids), 500):
            batch = query.where(
                t.PassageVector.kind == kind, col(t.PassageVector.doc_id).in_(ids[i : i + 500])
            )
            for row in s.exec(batch):
                yield _stored(row)


def _stored(row: t.PassageVector) -> StoredVectors:
    return StoredVectors(
        row.kind, row.doc_id, row.digest, from_bytes(row.vectors, row.passages, row.dim)
    )


def save_vectors(s: Session, model: str, items: Sequence[StoredVectors], *, now: datetime) -> None:
    """Insert or replace vectors (one statement per document; the caller commits)."""
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for item in items:
        values = {
            "kind": item.kind,
            "doc_id": item.doc_id,
            "model": model,
            "digest": item.digest,
            "passages": len(item.vectors),
            "dim": int(item.vectors.shape[1]),
            "vectors": to_bytes(item.vectors),
            "embedded_at": now,
        }
        statement = insert(t.PassageVector).values(**values)
        update = {
            k: statement.excluded[k]
            for k in ("digest", "passages", "dim", "vectors", "embedded_at")
        }
        s.execute(
            statement.on_conflict_do_update(index_elements=["kind", "doc_id", "model"], set_=update)
        )


def embed_documents(embedder: Embedder, docs: Sequence[Document]) -> list[StoredVectors]:
    """Embed every passage of `docs` in one call (batched inside the model)."""
    texts = [embedding_texts(d) for d in docs]
    flat = [text for group in texts for text in group]
    matrix = embedder.embed(flat)
    out, at = [], 0
    for doc, group in zip(docs, texts, strict=True):
        out.append(StoredVectors(doc.kind, doc.id, digest(group), matrix[at : at + len(group)]))
        at += len(group)
    return out


class EmbeddingWorker:
    """Embeds the documents it is asked to, in a background thread or in the foreground.

    `read` turns document keys into live `Document`s as the database holds them now (deleted
    or internal ones are skipped); vectors are saved with their digest, so a document edited
    while it was embedded is simply embedded again when its change comes through.
    """

    def __init__(
        self,
        engine: sa.Engine,
        embedder: Embedder,
        read: Callable[[Session, Sequence[Key]], list[Document]],
        *,
        clock: Clock,
        on_saved: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.embedder = embedder
        self._read = read
        self.clock = clock
        self.on_saved = on_saved
        self._pending: dict[Key, None] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.before_each: Callable[[], object] | None = None  # e.g. the finder's sync
        self.embedded = 0

    def request(self, keys: Iterable[Key]) -> None:
        with self._lock:
            self._pending.update(dict.fromkeys(keys))
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def start(self, *, interval: float = 2.0) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, args=(interval,), name="embedding", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            try:
                if self.before_each is not None:
                    self.before_each()
                while self._pending and not self._stop.is_set():
                    self.run_batch()
            except Exception:
                log.exception("embedding failed; will try again")
                self._stop.wait(interval)

    def run_batch(self, size: int = EMBED_BATCH) -> int:
        """Embed up to `size` pending documents and save them; returns how many."""
        with self._lock:
            keys = list(self._pending)[:size]
            for key in keys:
                del self._pending[key]
        if not keys:
            return 0
        with Session(self.engine) as s:
            docs = self._read(s, keys)
        items = embed_documents(self.embedder, docs) if docs else []
        if items:
            with Session(self.engine) as s:
                save_vectors(s, self.embedder.model_id, items, now=self.clock.now())
                s.commit()
            self.embedded += len(items)
            if self.on_saved is not None:
                self.on_saved()
        return len(keys)

    def run_all(self, *, progress: Callable[[int], None] | None = None) -> int:
        """Embed everything pending in the foreground (the CLI); returns documents done."""
        done = 0
        while self._pending:
            n = self.run_batch()
            done += n
            if progress is not None:
                progress(n)
        return done


def import_vectors(s: Session, path: Path, model: str, *, now: datetime) -> int:
    """Store precomputed vectors from a file written by tools/build_demo_vectors.py when they
    are of `model` (else nothing); returns how many documents' vectors were stored. Stale ones
    are harmless: an index uses vectors only when their digest matches the text it holds."""
    if not path.exists():
        return 0
    with np.load(path) as data:
        if str(data["model"]) != model:
            return 0
        counts = data["counts"]
        starts = np.concatenate([[0], np.cumsum(counts)])
        items = [
            StoredVectors(
                str(kind), str(doc_id), str(d), data["vectors"][starts[i] : starts[i + 1]]
            )
            for i, (kind, doc_id, d) in enumerate(
                zip(data["kinds"], data["ids"], data["digests"], strict=True)
            )
        ]
    for i in range(0, len(items), 500):
        save_vectors(s, model, items[i : i + 500], now=now)
    return len(items)


def count_unembedded(engine: sa.Engine, model: str) -> int:
    """Live searchable documents minus the documents with vectors of `model`."""
    with Session(engine) as s:
        projects = s.exec(
            select(sa.func.count())
            .select_from(t.Project)
            .where(col(t.Project.deleted_at).is_(None))
        ).one()
        notes = s.exec(
            select(sa.func.count())
            .select_from(t.Weeknote)
            .where(col(t.Weeknote.deleted_at).is_(None), col(t.Weeknote.internal).is_(False))
        ).one()
        embedded = s.exec(
            select(sa.func.count())
            .select_from(t.PassageVector)
            .where(t.PassageVector.model == model)
        ).one()
    return max(0, int(projects) + int(notes) - int(embedded))
