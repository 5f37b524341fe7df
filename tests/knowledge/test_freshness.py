"""A running server and a long import in another process: the server finds every row, and the
last one within `sync_interval` of its commit (issue 11: the timestamp window left a server
24,500 documents short after a 30,000-record import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.clock import FixedClock
from knowledge.interchange import BATCH
from tests.conftest import make_app

RECORDS = 30_000
PROJECTS = 1_000
SYNC_INTERVAL = 1.0
LAST = f"w-{RECORDS - PROJECTS - 1}"


def write_import(path: Path) -> None:
    lines = [json.dumps({"type": "organisation", "id": "org", "name": "Test Borough Council"})]
    lines += [
        json.dumps(
            {
                "type": "project",
                "id": f"p-{i}",
                "title": f"Project {i}",
                "organisation": "org",
                "description": f"Routine service improvement number {i}",
            }
        )
        for i in range(PROJECTS)
    ]
    for i in range(RECORDS - PROJECTS):
        text = f"Routine update {i} on the service."
        if i == RECORDS - PROJECTS - 1:
            text = "We finished the zebracrossing audit at last."
        lines.append(
            json.dumps(
                {
                    "type": "weeknote",
                    "id": f"w-{i}",
                    "project": f"p-{i % PROJECTS}",
                    "week": "2025-03-10",
                    "text": text,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_server_finds_the_last_row_of_another_process_import(
    database_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    app = make_app(database_url, clock, demo=False)
    finder = app.finder
    finder.sync_interval = SYNC_INTERVAL
    finder.embedder = None  # the change feed is under test here, not the embeddings
    data = tmp_path / "big.jsonl"
    write_import(data)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HASANYONE_DEMO_DATA": "false",
        "HASANYONE_SEMANTIC": "false",
        "HASANYONE_LOG_LEVEL": "WARNING",
    }
    importer = subprocess.Popen(
        [sys.executable, "-m", "adapters", "import", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    questions = 0
    committed_at = found_at = caught_up_at = None
    probe = sa.text("SELECT 1 FROM weeknote WHERE id = :id")
    deadline = time.monotonic() + 500
    while found_at is None and time.monotonic() < deadline:
        hits = finder.find("zebracrossing audit").results  # answering, as a server does
        questions += 1
        now = time.monotonic()
        if committed_at is None:
            with app.engine.connect() as c:
                if c.execute(probe, {"id": LAST}).first():
                    committed_at = now
        if caught_up_at is None and len(finder.index) >= RECORDS - BATCH:
            caught_up_at = now  # every batch before the last one is searchable
        if any(LAST in (h.id, *h.weeknote_ids) for h in hits):
            found_at = now
        time.sleep(0.02)
    out, err = importer.communicate(timeout=120)
    assert importer.returncode == 0, err.decode()[-2000:]
    assert committed_at is not None and found_at is not None, (questions, out.decode())
    # The bulk import writes faster than an index takes documents in on a busy machine, so
    # the clock starts when the last row is committed and the index has caught up with the rest.
    assert caught_up_at is not None
    assert found_at - max(committed_at, caught_up_at) <= SYNC_INTERVAL + 0.5
    finder.sync()
    assert len(finder.index) == RECORDS  # every project and weeknote, none missing
    assert questions > 10  # it was answering all along
    app.engine.dispose()
