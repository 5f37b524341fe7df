"""A hand-made sentence embedder for tests: words of one group share an axis, so texts about
the same thing in other words come out close, as with a real model, in microseconds."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from knowledge.search.text import index_terms

GROUPS = (
    ("rota", "roster", "shift", "pattern", "staff", "schedul", "worker"),
    ("bin", "wast", "refus", "rubbish", "recycl", "collect"),
    ("tree", "forest", "woodland", "canopi"),
    ("pay", "payment", "card", "fee", "charg"),
    ("map", "gis", "layer", "geospati"),
)
HASHED = 32


class ConceptEmbedder:
    """`model_id` names the "model"; `calls` records how many texts each call embedded."""

    def __init__(self, model_id: str = "test/concepts-v1", *, salt: str = "") -> None:
        self._id = model_id
        self._salt = salt
        self.calls: list[int] = []
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._id

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        with self._lock:
            self.calls.append(len(texts))
        rows = np.zeros((len(texts), len(GROUPS) + HASHED), np.float32)
        for i, text in enumerate(texts):
            for term in index_terms(text):
                axis = next((g for g, words in enumerate(GROUPS) if term in words), None)
                if axis is None:
                    digest = hashlib.sha1((self._salt + term).encode()).digest()
                    rows[i, len(GROUPS) + digest[0] % HASHED] += 0.3
                else:
                    rows[i, axis] += 1.0
            rows[i, -1] += 0.05  # never the zero vector
        unit: npt.NDArray[np.float32] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return unit.astype(np.float32)
