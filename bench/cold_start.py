"""Cold start of `hasanyone serve` with every passage vector already stored.

    .venv/bin/python bench/cold_start.py [--projects 10000] [--weeknotes 100000] [--db PATH]

Builds (or reuses, with --db) a SQLite register of the search bench's synthetic projects and
weeknotes, imported through `hasanyone import`, with a stored vector for every passage of the
shipped model (random unit vectors with the right digests: what start-up reads is the same),
then times, in fresh processes:

- `serve`: from the process start until /healthz answers, which it does only after the index
  and the vectors are loaded (serve builds the index before it listens): once with no kept
  index (it builds one and keeps it) and once more (it restores the kept one);
- `ask`: the whole command line, from start to a printed answer (load, embed the question,
  search, read the cards).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.search import make_projects, make_weeknotes, pseudo_words  # noqa: E402
from knowledge.db import make_engine  # noqa: E402
from knowledge.embedding import FastEmbedder  # noqa: E402
from knowledge.passage_vectors import StoredVectors, save_vectors  # noqa: E402
from knowledge.search import Document, embedding_texts  # noqa: E402
from knowledge.search.passages import digest  # noqa: E402


def records(projects: list[Document], notes: list[Document]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [{"type": "organisation", "id": "org", "name": "Bench Council"}]
    out += [
        {
            "type": "project",
            "id": p.id,
            "title": p.title,
            "organisation": "org",
            "description": p.text,
            "tags": list(p.tags),
            "service_area": p.service_area,
        }
        for p in projects
    ]
    out += [
        {
            "type": "weeknote",
            "id": n.id,
            "project": n.project_id,
            "week": "2025-03-10",
            "title": n.title,
            "text": n.text,
        }
        for n in notes
    ]
    return out


def build(db: Path, projects: int, weeknotes: int, env: dict[str, str]) -> None:
    rng = random.Random(7)
    rare = pseudo_words(rng, 30_000)
    docs = make_projects(rng, projects, rare)
    notes = make_weeknotes(rng, weeknotes, docs, rare)
    data = db.with_suffix(".jsonl")
    data.write_text("\n".join(json.dumps(r) for r in records(docs, notes)) + "\n")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "adapters", "import", str(data)],
        env={**env, "HASANYONE_SEMANTIC": "false"},
        check=True,
        capture_output=True,
    )
    print(f"imported {projects + weeknotes:,} records in {time.perf_counter() - started:.0f} s")
    engine = make_engine(f"sqlite:///{db}")
    model = FastEmbedder().model_id
    vectors = np.random.default_rng(7)
    now = datetime.now(UTC)
    passages = 0
    batch: list[StoredVectors] = []
    # As the finder sees them: organisation names resolved, summary empty.
    for doc in [*(_as_indexed(p) for p in docs), *notes]:
        texts = embedding_texts(doc)
        rows = vectors.standard_normal((len(texts), 384), dtype=np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        batch.append(StoredVectors(doc.kind, doc.id, digest(texts), rows))
        passages += len(texts)
        if len(batch) == 2_000:
            _save(engine, model, batch, now)
    _save(engine, model, batch, now)
    print(f"stored {passages:,} passage vectors")


def _as_indexed(p: Document) -> Document:
    from knowledge.finder import project_document

    return project_document(
        id=p.id,
        title=p.title,
        summary="",
        description=p.text,
        organisation="Bench Council",
        tags=p.tags,
        service_area=p.service_area,
    )


def _save(engine: Engine, model: str, batch: list[StoredVectors], now: datetime) -> None:
    with Session(engine) as s:
        save_vectors(s, model, batch, now=now)
        s.commit()
    batch.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_serve(env: dict[str, str]) -> tuple[float, dict[str, object]]:
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "adapters", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while time.perf_counter() - started < 600:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    return time.perf_counter() - started, json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        raise SystemExit("serve did not answer in 600 s")
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--weeknotes", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "cold.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "HASANYONE_DEMO_DATA": "false",
        "HASANYONE_TEAMS_ENABLED": "false",
        "HASANYONE_LOG_LEVEL": "WARNING",
    }
    build(db, args.projects, args.weeknotes, env)
    snapshot = db.with_suffix(".search-index")
    snapshot.unlink(missing_ok=True)
    serve_s, health = time_serve(env)
    print(
        f"serve, first start (builds the index, keeps it): /healthz after {serve_s:.1f} s ({health})"
    )
    serve_s, health = time_serve(env)
    print(f"serve, restart (restores the index): /healthz after {serve_s:.1f} s ({health})")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "adapters", "ask", "has anyone built a bulky waste booking form?"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    first = done.stdout.splitlines()[0] if done.stdout else "(no answer)"
    print(f"ask: answered in {time.perf_counter() - started:.1f} s: {first}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
