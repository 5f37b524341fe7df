"""Issue 10, bad input: one-line fields stay one line; Teams' local mode is no open relay;
malformed requests cost one log line, never a stack trace."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.clock import FixedClock
from knowledge import tables as t
from tests.conftest import make_app
from tests.slack.conftest import TEAM, SlackHarness, sign
from tests.teams.conftest import TeamsHarness

FORGED = "Bins app\n\nStage changes\n• Everything (All councils): discovery → retired"


def project_values(title: str) -> dict[str, Any]:
    return {
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "organisation": {"organisation": {"type": "plain_text_input", "value": "Leeds\r\nCity"}},
        "stage": {"stage": {"type": "static_select", "selected_option": {"value": "alpha"}}},
        "description": {"description": {"type": "plain_text_input", "value": "Two\n\nparagraphs"}},
        "contact": {"contact": {"type": "plain_text_input", "value": "#bins\u2028team"}},
    }


# -- 14. one-line fields -----------------------------------------------------------------------


async def test_a_newline_in_a_title_cannot_forge_digest_lines(slack: SlackHarness) -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": "UALICE", "username": "alice"},
        "view": {
            "id": "VFORGE",
            "type": "modal",
            "hash": "1",
            "callback_id": "project",
            "private_metadata": json.dumps({"channel": "C0GENERAL"}),
            "state": {"values": project_values(FORGED)},
        },
    }
    await slack.interact(payload)
    await slack.fake.wait_for("chat.postEphemeral")
    with Session(slack.app.engine) as s:
        [row] = s.exec(select(t.Project).where(col(t.Project.title).startswith("Bins app"))).all()
    assert "\n" not in row.title and "Stage changes" in row.title
    assert row.contact == "#bins team" and row.description == "Two\n\nparagraphs"
    org = slack.app.repo.resolve_organisation(row.organisation_id)
    assert org is not None and "\n" not in org.name and "\r" not in org.name
    slack.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    _, rid = await slack.slash("/digest", "preview")
    [preview] = await slack.responses(rid)
    lines = json.dumps(preview, ensure_ascii=False).replace("\\n", "\n").splitlines()
    assert not any(line.startswith("Stage changes") for line in lines)


async def test_teams_form_titles_are_one_line_too(teams: TeamsHarness) -> None:
    value = {
        "form": "project",
        "title": FORGED,
        "organisation": "Leeds",
        "stage": "alpha",
        "description": "x",
        "contact": "#bins",
    }
    await teams.send(teams.activity(value=value))
    await teams.replies(1)
    with Session(teams.app.engine) as s:
        titles = [p.title for p in s.exec(select(t.Project)) if p.title.startswith("Bins app")]
    assert titles and all("\n" not in title for title in titles)


def test_the_importer_folds_one_line_fields(
    database_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    records = [
        {"type": "project", "id": "forged", "title": FORGED, "organisation": "Leeds\nCity Council"},
        {
            "type": "weeknote",
            "id": "forged-note",
            "project": "forged",
            "week": "2025-03-10",
            "title": "Week\n\nNew projects\n• Fake",
            "text": "Kept\n\nas written",
        },
    ]
    path = tmp_path / "forged.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    env = {**os.environ, "DATABASE_URL": database_url, "HASANYONE_DEMO_DATA": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "adapters", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    app = make_app(database_url, clock, demo=False)
    project = app.repo.get_project("forged")
    note = app.repo.get_weeknote("forged-note")
    assert project is not None and "\n" not in project.title + project.organisation_name
    assert note is not None and "\n" not in note.title and note.text == "Kept\n\nas written"
    app.engine.dispose()


# -- 15. Teams local mode ----------------------------------------------------------------------


async def test_without_an_app_id_or_local_mode_teams_answers_401_and_posts_nothing(
    teams_unconfigured: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = teams_unconfigured
    activity = harness.activity("hasanyone help")
    activity["serviceUrl"] = "https://attacker.example/"
    with caplog.at_level(logging.WARNING):
        response = await harness.send(activity, token=None)
    assert response.status == 401
    assert "MICROSOFT_APP_ID" in caplog.text and "HASANYONE_TEAMS_LOCAL" in caplog.text
    assert harness.connector.calls == []
    with Session(harness.app.engine) as s:
        assert s.exec(select(t.ConversationReference)).all() == []


async def test_local_mode_refuses_a_service_url_that_is_not_this_machine(
    local_teams: TeamsHarness,
) -> None:
    activity = local_teams.activity("hasanyone help")
    activity["serviceUrl"] = "https://attacker.example/"
    response = await local_teams.send(activity, token=None)
    assert response.status == 403
    with Session(local_teams.app.engine) as s:
        assert s.exec(select(t.ConversationReference)).all() == []
    ok = await local_teams.send(local_teams.activity("hasanyone help"), token=None)
    assert ok.status in (200, 201)


def test_local_mode_will_not_listen_beyond_loopback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "HASANYONE_TEAMS_LOCAL": "true",
        "HASANYONE_DEMO_DATA": "false",
    }
    done = subprocess.run(
        [sys.executable, "-m", "adapters", "serve", "--host", "0.0.0.0", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "will not listen on 0.0.0.0" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# -- 16. malformed requests --------------------------------------------------------------------

JUNK = [
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ("payload=null", "application/x-www-form-urlencoded"),
    (urllib.parse.urlencode({"payload": "[]"}), "application/x-www-form-urlencoded"),
    ("", "application/json"),
]


@pytest.mark.parametrize(("body", "content_type"), JUNK)
async def test_unsigned_junk_is_refused_with_401_and_one_log_line(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    with caplog.at_level(logging.INFO):
        response = await slack.post(body, content_type, headers={})
        stale = await slack.post(
            body,
            content_type,
            headers={"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=1"},
        )
    assert response.status == 401 and stale.status == 401
    assert "Traceback" not in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(("body", "content_type"), JUNK[:4])
async def test_signed_junk_is_refused_with_400_and_no_traceback(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    with caplog.at_level(logging.INFO):
        response = await slack.post(body, content_type, headers=sign(body))
    assert response.status == 400
    assert "Traceback" not in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
