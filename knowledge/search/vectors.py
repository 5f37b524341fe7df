"""Passage embeddings held in memory, searched exactly (one matrix-vector product a question).

Exact search is one pass over the matrix: at 10k projects + 100k weeknotes (about 150k
passages of 384 floats) it costs a few milliseconds on one core (bench/search.py prints it),
well inside the answer's budget, so no approximate index is used; see the README for the
measured crossover.

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


class VectorStore:
    """Unit-length passage vectors by document number (the lexical index's numbers)."""

    def __init__(self) -> None:
        self._matrix = np.zeros((0, 0), np.float32)
        self._rows = 0
        self._dead = 0
        self._block_start: list[int] = []
        self._block_doc: list[int] = []
        self._starts = np.zeros(0, np.int64)  # _block_start as an array, rebuilt when stale
        self._doc_block = np.full(0, -1, np.int32)  # document number -> its live block, or -1

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
        sims = self._matrix[: self._rows] @ query
        block_best = np.maximum.reduceat(sims, self._starts) if len(self._starts) else sims[:0]
        return Similarities(self, sims, block_best)

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

    def _compact(self) -> None:
        live = [b for b, d in enumerate(self._block_doc) if self._doc_block[d] == b]
        pieces = [
            self._matrix[self._block_start[b] : self._block_start[b] + self._block_size(b)]
            for b in live
        ]
        docs = [self._block_doc[b] for b in live]
        dim = self.dim
        self.__init__()  # type: ignore[misc]
        self._reserve(sum(len(p) for p in pieces), dim)
        for docno, piece in zip(docs, pieces, strict=True):
            self.put(docno, piece)


@dataclass(frozen=True, slots=True)
class Similarities:
    """One question's cosine similarities, read by document or by passage."""

    store: VectorStore
    rows: Floats  # per stored row
    block_best: Floats  # per block: its best row

    def of_documents(self, docnos: Ints) -> Floats:
        """Best passage's similarity per document; NaN for a document with no vectors."""
        table = self.store._doc_block
        inside = docnos < len(table)
        blocks = np.where(inside, table[np.minimum(docnos, max(len(table) - 1, 0))], -1)
        if not len(self.block_best):
            return np.full(len(docnos), np.nan, np.float32)
        found = self.block_best[np.maximum(blocks, 0)]
        return np.where(blocks >= 0, found, np.nan).astype(np.float32)

    def best_documents(self, k: int, alive: npt.NDArray[np.bool_]) -> Ints:
        """The live documents of the ``k`` most similar live blocks."""
        docs = np.asarray(self.store._block_doc, np.int32)
        if not len(docs):
            return docs
        live = self.store._doc_block[docs] == np.arange(len(docs))
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
        return self.rows[start : start + self.store._block_size(block)]
