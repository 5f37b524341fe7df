"""`hasanyone embed` and `db stats` as a user runs them: a real process, the shipped model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli import hasanyone


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/hasanyone.db",
        "HASANYONE_LOG_LEVEL": "WARNING",
    }


def test_imported_documents_are_embedded_by_the_embed_command(
    env: dict[str, str], tmp_path: Path
) -> None:
    stats = json.loads(hasanyone(env, "db", "stats"))
    assert stats["passages"] > 400
    assert stats["passages_embedded"] == stats["passages"]  # the demo's shipped vectors
    data = tmp_path / "new.jsonl"
    data.write_text(
        json.dumps(
            {
                "type": "project",
                "id": "care-rota",
                "title": "Care staff rostering",
                "organisation": "Leeds City Council",
                "description": "A shift pattern planner for homecare workers.",
                "suppliers": ["Totalmobile"],
            }
        )
        + "\n"
    )
    out = hasanyone(env, "import", str(data))
    assert "About 1 documents to embed" in out
    before = json.loads(hasanyone(env, "db", "stats"))
    assert before["passages_embedded"] == before["passages"] - 1
    assert "Embedded 1 of 1 documents" in hasanyone(env, "embed")
    after = json.loads(hasanyone(env, "db", "stats"))
    assert after["passages_embedded"] == after["passages"]
    assert "Embedded 0 of 0 documents" in hasanyone(env, "embed")  # nothing twice
    assert f"Embedded {after['project'] + after['weeknote']} of" in hasanyone(env, "embed", "--all")
    answer = json.loads(hasanyone(env, "ask", "--json", "has anyone used Totalmobile?"))
    assert answer["results"][0]["id"] == "care-rota"


def test_embed_refuses_when_semantic_search_is_off(env: dict[str, str]) -> None:
    env = {**env, "HASANYONE_SEMANTIC": "false"}
    hasanyone(env, "embed", code=2)
    assert json.loads(hasanyone(env, "db", "stats"))["embedding_model"] is None
