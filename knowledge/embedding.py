"""Sentence embeddings through fastembed (ONNX Runtime on the CPU; no torch at run time).

The default is the model shipped in ``knowledge/data/models/all-MiniLM-L6-v2``, loaded from
those files alone: fastembed is given the folder (``specific_model_path``) and told never to
download (``local_files_only``), so a machine with no network is semantic from the first
start. ``HASANYONE_EMBEDDING_MODEL`` may name another folder, or a model fastembed knows by name
(which it downloads once into its cache: for operators whose machines can).

A model's *id* is stored with every vector it made: a change of model, or of the shipped
model's files (its manifest id carries a digest of model.onnx), makes the stored vectors stale
and they are embedded again; nothing else does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

SHIPPED_MODEL: Final = Path(__file__).resolve().parent / "data" / "models" / "all-MiniLM-L6-v2"
MANIFEST: Final = "hasanyone-model.json"
# Texts are embedded in batches of similar length, and long ones alone: padding a batch to its
# longest text wasted more than batching saved (on one core, 200-word passages: 11-15 a second
# one by one, 5-10 in mixed batches of 16-32), and batches of long texts took the process's
# peak memory from under 300 MB to 750 MB.
BATCH: Final = 16
BATCH_WORDS: Final = 250  # texts x longest text's words, per batch

Floats = npt.NDArray[np.float32]

_registered: set[str] = set()
_register_lock = threading.Lock()


class Embedder(Protocol):
    """What search needs from a sentence-embedding model."""

    @property
    def model_id(self) -> str:
        """Names the model and variant; stored with each vector."""
        ...

    def embed(self, texts: Sequence[str]) -> Floats:
        """One unit-length row per text."""
        ...


class FastEmbedder:
    """A fastembed ``TextEmbedding``: the shipped model, a local folder, or a model name.

    The model loads on first use (a quarter of a second, ~100 MB), so commands that never
    search do not pay for it; its id is known at once.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        threads: int | None = 1,
        cache_dir: str | None = None,
    ) -> None:
        path = Path(model).expanduser() if model is not None else SHIPPED_MODEL
        self._local = model is None or path.is_dir()
        self._path = path
        self._name = str(model) if model is not None else ""
        self._manifest = _manifest(path) if self._local else {}
        self._id = str(self._manifest["id"]) if self._local else self._name
        self._threads = threads
        self._cache_dir = cache_dir
        self._model: Any = None
        self._load_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._id

    def embed(self, texts: Sequence[str]) -> Floats:
        if not texts:
            return np.zeros((0, 0), np.float32)
        model = self._loaded()
        rows = np.zeros((len(texts), 0), np.float32)
        for chosen in _batches(texts):
            batch = np.asarray(list(model.embed([texts[i] for i in chosen], batch_size=BATCH)))
            if not rows.shape[1]:
                rows = np.zeros((len(texts), batch.shape[1]), np.float32)
            rows[chosen] = batch
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        normalised: Floats = (rows / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised

    def _loaded(self) -> Any:
        with self._load_lock:
            if self._model is None:
                from fastembed import TextEmbedding

                if self._local:
                    _register(self._id, self._path, self._manifest)
                    self._model = TextEmbedding(
                        self._id,
                        threads=self._threads,
                        specific_model_path=str(self._path),
                        local_files_only=True,
                        cache_dir=self._cache_dir,
                        # without the arena a long batch's buffers are given back afterwards
                        enable_cpu_mem_arena=False,
                    )
                else:
                    self._model = TextEmbedding(
                        self._name, threads=self._threads, cache_dir=self._cache_dir
                    )
            return self._model


def _batches(texts: Sequence[str]) -> list[list[int]]:
    """Indexes of `texts` in batches of similar length (see BATCH_WORDS)."""
    words = [len(text.split()) + 1 for text in texts]
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(texts)), key=words.__getitem__):
        if (current and (len(current) + 1) * words[i] > BATCH_WORDS) or len(current) == BATCH:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _manifest(path: Path) -> dict[str, Any]:
    """The folder's ``hasanyone-model.json`` (written by tools/export_model.py); a folder
    without one is taken for a mean-pooled, normalised model named after itself."""
    if not (path / "model.onnx").exists():
        raise FileNotFoundError(f"no model.onnx in {path}")
    file = path / MANIFEST
    if file.exists():
        data: dict[str, Any] = json.loads(file.read_text("utf-8"))
        return data
    size = (path / "model.onnx").stat().st_size
    return {"id": f"local/{path.name}@{size}", "dim": 0, "pooling": "mean", "normalize": True}


def _register(name: str, path: Path, manifest: dict[str, Any]) -> None:
    """Tell fastembed about a local model once per process (it refuses a second time)."""
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    with _register_lock:
        if name in _registered:
            return
        known = {m["model"].lower() for m in TextEmbedding.list_supported_models()}
        if name.lower() not in known:
            pooling = PoolingType.CLS if manifest.get("pooling") == "cls" else PoolingType.MEAN
            TextEmbedding.add_custom_model(
                model=name,
                pooling=pooling,
                normalization=bool(manifest.get("normalize", True)),
                sources=ModelSource(hf=f"local/{path.name}"),  # never fetched: a path is given
                dim=int(manifest.get("dim") or 384),
                model_file="model.onnx",
            )
        _registered.add(name)
