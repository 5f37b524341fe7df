"""The shipped model through fastembed: loaded from the repository's files, no network."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from knowledge.embedding import SHIPPED_MODEL, FastEmbedder


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every connect, loopback included: loading the model must make none."""
    tried: list[object] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: object) -> object:
        tried.append(address)
        return real(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    return tried


@pytest.fixture(scope="module")
def model() -> FastEmbedder:
    return FastEmbedder(threads=1)


def test_the_shipped_model_loads_and_embeds_without_the_network(
    no_connections: list[object], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # fastembed must not need to be told
    monkeypatch.setenv("FASTEMBED_CACHE_PATH", str(tmp_path))  # an empty cache
    fresh = FastEmbedder(threads=1)
    vectors = fresh.embed(["Has anyone built a bulky waste booking form?", "Staff rota tool"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert no_connections == []


def test_the_model_is_named_by_its_manifest_with_a_digest() -> None:
    manifest = json.loads((SHIPPED_MODEL / "hasanyone-model.json").read_text())
    assert FastEmbedder().model_id == manifest["id"]
    assert manifest["id"].startswith("sentence-transformers/all-MiniLM-L6-v2@onnx-fp32-")
    assert (SHIPPED_MODEL / "LICENSE").read_text().count("Apache License") >= 1


def test_the_tokenizer_truncates_at_the_length_the_model_is_served_at() -> None:
    config = json.loads((SHIPPED_MODEL / "tokenizer_config.json").read_text())
    assert config["model_max_length"] == 256


def test_similar_questions_are_closer_than_unrelated_ones(model: FastEmbedder) -> None:
    question, answer, other = model.embed(
        [
            "Has anyone built a tool for booking bulky waste collections?",
            "Residents can now book a collection of large household items online.",
            "We published our conservation area boundaries as open data.",
        ]
    )
    assert float(question @ answer) > float(question @ other) + 0.1


def test_a_local_folder_without_a_manifest_is_named_after_itself(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "my-model"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"x" * 10)
    assert FastEmbedder(folder).model_id == "local/my-model@10"
