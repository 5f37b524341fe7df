"""Passage embeddings held in memory, searched exactly while that is cheap.

Exact search is one pass over the matrix, and memory-bound: on this 2-core machine 110k
passages of 384 floats (169 MB) took 29 ms a question (bench/vectors.py), too much of a 50 ms
answer. Above ``PROJECT_ABOVE`` passages the store also keeps every vector projected onto its
``PROJECTED_DIM`` principal directions (fitted on the stored vectors, refitted as they double):
a question scans that sixth-size matrix for its ``RERANK`` most promising passages, which are
then scored exactly, as are the passages of any document asked about by name (the lexical
half's candidates and the hits). HNSW (usearch) searched faster still but took minutes to build
at every start (bench/vectors.py).

Each document's passages are one *block* of consecutive rows. Replacing a document appends a
new block and abandons the old one; abandoned rows are reclaimed when they pass a third of the
matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]

COMPACT_SHARE: Final = 1 / 3
COMPACT_MIN_ROWS: Final = 10_000
PROJECT_ABOVE: Final = 50_000  # passages; below, exact search costs under ~10 ms
PROJECTED_DIM: Final = 64
RERANK: Final = 1_000


class VectorStore:
    """Unit-length passage vectors by document number (the lexical index's numbers)."""

    def __init__(self) -> None:
        self._matrix = np.zeros((0, 0), np.float32)
        self._rows = 0
        self._dead = 0
        self._block_start: list[int] = []
        self._block_doc: list[int] = []
        self._starts = np.zeros(0, np.int64)  # _block_start as an array, rebuilt when stale
        self._block_docs = np.zeros(0, np.int32)  # _block_doc as an array, likewise
        self._doc_block = np.full(0, -1, np.int32)  # document number -> its live block, or -1
        self._basis: Floats | None = None  # dim x PROJECTED_DIM, once the store is large
        self._projected = np.zeros((0, PROJECTED_DIM), np.float32)
        self._fitted_at = 0
        self.project_above = PROJECT_ABOVE

    def __len__(self) -> int:
        """How many passages have a live vector."""
        return self._rows - self._dead

    @property
    def dim(self) -> int:
        return int(self._matrix.shape[1])

    def documents(self) -> int:
        return int(np.count_nonzero(self._doc_block >= 0))

    def has(self, docno: int) -> bool:
        return docno < len(self._doc_block) and self._doc_block[docno] >= 0

    def put(self, docno: int, vectors: Floats) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or not len(vectors):
            return
        if self._rows and vectors.shape[1] != self.dim:
            raise ValueError(f"vectors of {vectors.shape[1]} dimensions in a {self.dim}-d store")
        self.drop(docno)
        self._reserve(self._rows + len(vectors), vectors.shape[1])
        self._matrix[self._rows : self._rows + len(vectors)] = vectors
        if self._basis is not None:
            self._projected[self._rows : self._rows + len(vectors)] = vectors @ self._basis
        if docno >= len(self._doc_block):
            grown = np.full(max(docno + 1, 2 * len(self._doc_block), 1024), -1, np.int32)
            grown[: len(self._doc_block)] = self._doc_block
            self._doc_block = grown
        self._doc_block[docno] = len(self._block_start)
        self._block_start.append(self._rows)
        self._block_doc.append(docno)
        self._rows += len(vectors)

    def drop(self, docno: int) -> None:
        if not self.has(docno):
            return
        block = int(self._doc_block[docno])
        self._doc_block[docno] = -1
        self._dead += self._block_size(block)
        if self._dead > COMPACT_MIN_ROWS and self._dead > self._rows * COMPACT_SHARE:
            self._compact()

    def similarities(self, query: Floats | None) -> Similarities | None:
        """Cosine similarity of every stored passage to a unit-length query vector."""
        if query is None or not self._rows:
            return None
        query = np.asarray(query, np.float32).reshape(-1)
        if len(query) != self.dim:
            raise ValueError(f"a {len(query)}-d question against {self.dim}-d passages")
        if len(self._starts) != len(self._block_start):
            self._starts = np.asarray(self._block_start, np.int64)
            self._block_docs = np.asarray(self._block_doc, np.int32)
        if self._rows >= self.project_above and self._rows >= 2 * self._fitted_at:
            self._fit()
        if self._basis is None:
            sims = self._matrix[: self._rows] @ query
            block_best = np.maximum.reduceat(sims, self._starts) if len(self._starts) else sims[:0]
            return Similarities(self, query, sims, block_best)
        coarse = self._projected[: self._rows] @ (query @ self._basis)
        rows = (
            np.argpartition(-coarse, RERANK)[:RERANK].astype(np.int32)
            if self._rows > RERANK
            else None
        )
        return Similarities(self, query, None, None, rows)

    def _fit(self) -> None:
        """The principal directions of the stored vectors, and every vector projected."""
        matrix = self._matrix[: self._rows]
        covariance = np.zeros((self.dim, self.dim), np.float64)
        for start in range(0, self._rows, 50_000):
            chunk = matrix[start : start + 50_000]
            covariance += chunk.T @ chunk
        _, vectors = np.linalg.eigh(covariance)
        self._basis = np.ascontiguousarray(vectors[:, ::-1][:, :PROJECTED_DIM], np.float32)
        self._projected = np.zeros((len(self._matrix), PROJECTED_DIM), np.float32)
        self._projected[: self._rows] = matrix @ self._basis
        self._fitted_at = self._rows

    def exact(self, docnos: Ints, query: Floats) -> Floats:
        """Best passage's similarity per document, computed from its rows; NaN for none."""
        table = self._doc_block
        inside = docnos < len(table)
        blocks = np.where(inside, table[np.minimum(docnos, max(len(table) - 1, 0))], -1)
        out = np.full(len(docnos), np.nan, np.float32)
        found = np.flatnonzero(blocks >= 0)
        if not len(found):
            return out
        chosen = blocks[found]
        ends = np.append(self._starts[1:], self._rows) if len(self._starts) else self._starts
        starts, sizes = self._starts[chosen], ends[chosen] - self._starts[chosen]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rows = np.repeat(starts - offsets, sizes) + np.arange(int(sizes.sum()))
        sims = self._matrix[rows] @ query
        out[found] = np.maximum.reduceat(sims, offsets)
        return out

    def _block_size(self, block: int) -> int:
        end = self._block_start[block + 1] if block + 1 < len(self._block_start) else self._rows
        return end - self._block_start[block]

    def _reserve(self, rows: int, dim: int) -> None:
        if self._matrix.shape[1] != dim:
            self._matrix = np.zeros((max(rows, 1024), dim), np.float32)
        elif rows > len(self._matrix):
            grown = np.zeros((max(rows, 2 * len(self._matrix)), dim), np.float32)
            grown[: self._rows] = self._matrix[: self._rows]
            self._matrix = grown
            if self._basis is not None:
                projected = np.zeros((len(grown), PROJECTED_DIM), np.float32)
                projected[: self._rows] = self._projected[: self._rows]
                self._projected = projected

    def _compact(self) -> None:
        live = [b for b, d in enumerate(self._block_doc) if self._doc_block[d] == b]
        pieces = [
            self._matrix[self._block_start[b] : self._block_start[b] + self._block_size(b)]
            for b in live
        ]
        docs = [self._block_doc[b] for b in live]
        dim = self.dim
        basis, above = self._basis, self.project_above
        self.__init__()  # type: ignore[misc]
        self.project_above = above
        self._reserve(sum(len(p) for p in pieces), dim)
        if basis is not None:
            self._basis = basis
            self._projected = np.zeros((len(self._matrix), PROJECTED_DIM), np.float32)
        for docno, piece in zip(docs, pieces, strict=True):
            self.put(docno, piece)


@dataclass(frozen=True, slots=True)
class Similarities:
    """One question's cosine similarities, read by document or by passage: every row's when
    the store is searched exactly, else the reranked candidates' (``candidates``)."""

    store: VectorStore
    query: Floats
    rows: Floats | None  # per stored row (exact)
    block_best: Floats | None  # per block: its best row (exact)
    candidates: Ints | None = None  # rows worth scoring (projected); None: all of them

    def of_documents(self, docnos: Ints) -> Floats:
        """Best passage's similarity per document; NaN for a document with no vectors."""
        if self.block_best is None:
            return self.store.exact(docnos, self.query)
        table = self.store._doc_block
        inside = docnos < len(table)
        blocks = np.where(inside, table[np.minimum(docnos, max(len(table) - 1, 0))], -1)
        if not len(self.block_best):
            return np.full(len(docnos), np.nan, np.float32)
        found = self.block_best[np.maximum(blocks, 0)]
        return np.where(blocks >= 0, found, np.nan).astype(np.float32)

    def best_documents(self, k: int, alive: npt.NDArray[np.bool_]) -> Ints:
        """The live documents of the ``k`` most similar live blocks."""
        store = self.store
        if not len(store._block_doc):
            return np.zeros(0, np.int32)
        if self.block_best is None:
            rows = self.candidates if self.candidates is not None else np.arange(store._rows)
            owners = np.searchsorted(store._starts, rows, side="right") - 1
            docs = store._block_docs[owners]
            live = (store._doc_block[docs] == owners) & alive[docs]
            docs = np.unique(docs[live])
            sims = store.exact(docs, self.query)
            top = np.argsort(-sims)[:k]
            return docs[top].astype(np.int32)
        docs = store._block_docs
        live = store._doc_block[docs] == np.arange(len(docs))
        live &= alive[docs]
        scores = np.where(live, self.block_best, -np.inf)
        top = np.argpartition(-scores, k)[:k] if len(scores) > k else np.arange(len(scores))
        top = top[np.isfinite(scores[top])]
        return docs[top]

    def of_passages(self, docno: int) -> Floats | None:
        if not self.store.has(docno):
            return None
        block = int(self.store._doc_block[docno])
        start = self.store._block_start[block]
        end = start + self.store._block_size(block)
        if self.rows is not None:
            return self.rows[start:end]
        return self.store._matrix[start:end] @ self.query
