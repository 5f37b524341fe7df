"""Issue 10, round trips and replays: export then import damages nothing; a backup restores
exactly; a replayed request or a double-clicked form stores one record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from bot.clock import FixedClock
from bot.model import Person, WeeknoteDraft
from knowledge import tables as t
from tests.conftest import make_app
from tests.slack.conftest import TEAM, SlackHarness, sign
from tests.teams.conftest import TENANT, TeamsHarness


def hasanyone(database_url: str, home: Path, *args: str, code: int = 0) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HASANYONE_DEMO_DATA": "false",
        "HASANYONE_LOG_LEVEL": "WARNING",
        "HOME": str(home),
    }
    done = subprocess.run(
        [sys.executable, "-m", "adapters", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == code, done.stderr + done.stdout
    return done.stdout


def owned_register(database_url: str, clock: FixedClock) -> dict[str, Any]:
    """The demo register with three owned projects, a member, an author's weeknotes, one of them
    deleted, and one internal."""
    app = make_app(database_url, clock)
    now = clock.now()
    alice = Person("slack:T1:UALICE", "Alice")
    for project_id in ("pl-17", "dl-brownfield-sites", "core-lettings"):
        app.repo.set_owner(project_id, alice.key, now=now)
    app.repo.add_member("pl-17", "slack:T1:UBOB", by=alice, now=now)
    kept = app.repo.add_weeknote(WeeknoteDraft("pl-17", now.date(), "kept", alice), now=now)
    gone = app.repo.add_weeknote(WeeknoteDraft("pl-17", now.date(), "gone", alice), now=now)
    secret = WeeknoteDraft("pl-17", now.date(), "secret", alice, internal=True)
    app.repo.add_weeknote(secret, now=now)
    app.repo.delete_weeknote(gone.id, now=now)
    app.engine.dispose()
    return {"kept": kept.id, "gone": gone.id, "owner": alice.key}


def state(database_url: str, clock: FixedClock) -> dict[str, Any]:
    app = make_app(database_url, clock, demo=False)
    with Session(app.engine) as s:
        found = {
            "owners": sorted((p.id, p.owner_key) for p in s.exec(select(t.Project)) if p.owner_key),
            "members": sorted(
                (m.project_id, m.person_key) for m in s.exec(select(t.ProjectMember))
            ),
            "deleted": sorted(n.id for n in s.exec(select(t.Weeknote)) if n.deleted_at),
            "authors": sorted(
                (n.id, n.author_key)
                for n in s.exec(select(t.Weeknote).where(col(t.Weeknote.author_key).is_not(None)))
            ),
        }
    app.engine.dispose()
    return found


def test_importing_our_own_open_data_export_changes_nothing(
    database_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    made = owned_register(database_url, clock)
    before = state(database_url, clock)
    assert len(before["owners"]) == 3 and made["gone"] in before["deleted"]
    export = tmp_path / "open.jsonl"
    hasanyone(database_url, tmp_path, "export", "--out", str(export))
    text = export.read_text()
    assert "UALICE" not in text and "UBOB" not in text  # open data: no personal keys
    report = hasanyone(database_url, tmp_path, "import", str(export))
    assert " 0 updated" in report and "1 left deleted" not in report.replace(", 0", ""), report
    assert "updated" not in report.replace(" 0 updated", ""), report
    assert state(database_url, clock) == before
    again = hasanyone(database_url, tmp_path, "import", str(export))
    assert again == report  # unchanged, every time


def test_an_open_data_file_never_brings_a_deleted_weeknote_back(
    database_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    made = owned_register(database_url, clock)
    revived = {
        "type": "weeknote",
        "id": made["gone"],
        "project": "pl-17",
        "week": "2025-03-10",
        "text": "back from the dead",
        "author_key": "slack:T1:UMALLORY",
    }
    path = tmp_path / "revive.jsonl"
    path.write_text(json.dumps(revived) + "\n")
    report = hasanyone(database_url, tmp_path, "import", str(path))
    assert "1 left deleted" in report and "only restored from a backup" in report
    after = state(database_url, clock)
    assert made["gone"] in after["deleted"]
    assert all(key != "slack:T1:UMALLORY" for _, key in after["authors"])


def test_a_backup_restores_exactly_what_was_exported(
    database_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    owned_register(database_url, clock)
    first = tmp_path / "backup.jsonl"
    hasanyone(database_url, tmp_path, "export", "--backup", "--out", str(first))
    lines = first.read_text().splitlines()
    assert json.loads(lines[0])["type"] == "backup"
    restored_url = f"sqlite:///{tmp_path}/restored.db"
    hasanyone(restored_url, tmp_path, "db", "upgrade")
    report = hasanyone(restored_url, tmp_path, "import", str(first))
    assert "0 rejected" in report
    second = tmp_path / "again.jsonl"
    hasanyone(restored_url, tmp_path, "export", "--backup", "--out", str(second))
    assert second.read_text().splitlines()[1:] == lines[1:]  # all but the export time
    assert state(restored_url, clock) == state(database_url, clock)
    again = hasanyone(restored_url, tmp_path, "import", str(first))
    assert " new" in again and "updated" in again
    assert all(
        part.split(": ")[1].startswith("0 new, 0 updated")
        for part in again.splitlines()[0].split("; ")[:-1]
    ), again


# -- 10. replays -------------------------------------------------------------------------------


async def replay(slack: SlackHarness, body: str, content_type: str, times: int = 3) -> None:
    headers = sign(body)  # one capture, sent again within the five minutes
    for _ in range(times):
        response = await slack.post(body, content_type, headers=headers)
        assert response.status == 200


def slash_body(slack: SlackHarness, command: str, text: str) -> str:
    return urllib.parse.urlencode(
        {
            "team_id": TEAM,
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": "UALICE",
            "user_name": "alice",
            "command": command,
            "text": text,
            "response_url": slack.fake.response_url("replayed"),
            "trigger_id": "trigger.captured",
        }
    )


async def test_a_replayed_slash_command_posts_one_weeknote_and_registers_one_project(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17")
    await replay(slack, slash_body(slack, "/weeknote", "pl-17: replayed note"), FORM)
    await slack.fake.wait_for("response_url:replayed")
    notes = [n for n in slack.app.repo.weeknotes_of(f"slack:{TEAM}:UALICE") if "replayed" in n.text]
    assert len(notes) == 1
    add = "add title: Replayed register\norganisation: Leeds\ndescription: x\ncontact: #x"
    body = slash_body(slack, "/project", add).replace("trigger.captured", "trigger.other")
    await replay(slack, body, FORM)
    await slack.fake.wait_for("response_url:replayed", count=2)
    assert len(slack.app.repo.projects_of(f"slack:{TEAM}:UALICE")) == 2  # pl-17 and this one


async def test_a_replayed_form_submission_saves_once(slack: SlackHarness) -> None:
    values = {
        "title": {"title": {"type": "plain_text_input", "value": "Replayed modal project"}},
        "organisation": {"organisation": {"type": "plain_text_input", "value": "Leeds"}},
        "stage": {"stage": {"type": "static_select", "selected_option": {"value": "alpha"}}},
        "description": {"description": {"type": "plain_text_input", "value": "It works"}},
        "contact": {"contact": {"type": "plain_text_input", "value": "#replay"}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": "UALICE", "username": "alice"},
        "view": {
            "id": "VREPLAY",
            "type": "modal",
            "hash": "1.abc",
            "callback_id": "project",
            "private_metadata": json.dumps({"channel": "C0GENERAL"}),
            "state": {"values": values},
        },
    }
    await replay(slack, urllib.parse.urlencode({"payload": json.dumps(payload)}), FORM)
    await slack.fake.wait_for("chat.postEphemeral")
    with Session(slack.app.engine) as s:
        rows = s.exec(select(t.Project).where(t.Project.title == "Replayed modal project")).all()
    assert len(rows) == 1


async def test_a_double_clicked_teams_form_stores_one_weeknote(teams: TeamsHarness) -> None:
    teams.own("pl-17")
    await teams.send(teams.activity("weeknote"))
    [opened] = await teams.replies(1)
    assert opened.activity is not None
    card = opened.activity["attachments"][0]["content"]
    [submit] = [a for a in card["actions"] if a["data"].get("form") == "weeknote"]
    assert submit["data"]["submission"]  # a token naming this one card
    value = {**submit["data"], "project": "pl-17", "week": "2025-03-10", "text": "clicked twice"}
    await teams.send(teams.activity(value=value))
    await teams.send(teams.activity(value=value))
    await teams.replies(2)
    notes = teams.app.repo.weeknotes_of(f"teams:{TENANT}:aad-alice")
    assert [n.text for n in notes] == ["clicked twice"]


FORM = "application/x-www-form-urlencoded"
