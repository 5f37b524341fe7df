"""Issue 13, Teams as its users expect: channel threads are one channel, listening works, a
search message extension, cards that refresh in place, a welcome, and subscriptions only where
the bot can post. Through /api/messages with tokens from the local identity server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from knowledge import tables as t
from tests.conftest import add_filler_projects
from tests.fakes.bot_connector import teams_member
from tests.teams.conftest import TENANT, TeamsHarness, new_conversation

LONDON = ZoneInfo("Europe/London")
TEAM_ID = "19:team-general@thread.tacv2"


def in_thread(
    teams: TeamsHarness, channel: str, post: str, text: str, **extra: Any
) -> dict[str, Any]:
    """A channel message inside the thread under `post`, as Teams sends it."""
    return teams.activity(
        text,
        conversation=f"{channel};messageid={post}",
        kind="channel",
        channelData={"tenant": {"id": TENANT}, "team": {"id": TEAM_ID}, "channel": {"id": channel}},
        **extra,
    )


def owner(teams: TeamsHarness, user: str = "aad-alice") -> None:
    teams.connector.members[TEAM_ID] = [
        teams_member(
            "Alice", member_id=f"29:{user}", aad_object_id=user, user_role="owner", tenant_id=TENANT
        )
    ]


def text_of(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


# -- 1. a channel's threads are one channel ----------------------------------------------------


async def test_digest_settings_from_two_threads_are_one_channels_and_post_as_a_new_post(
    teams: TeamsHarness,
) -> None:
    channel = new_conversation()
    owner(teams)
    await teams.send(in_thread(teams, channel, "1001", "<at>hasanyone</at> digest on"))
    await teams.send(in_thread(teams, channel, "2002", "<at>hasanyone</at> digest time wed 10:00"))
    await teams.replies(2)
    with Session(teams.app.engine) as s:
        rows = s.exec(select(t.DigestSubscription)).all()
    assert [(r.channel_id, r.day, r.time) for r in rows] == [(channel, "wed", "10:00")]
    # The team owner was looked up in the team's roster, not the thread's.
    assert {c.conversation_id for c in teams.connector.calls if c.kind == "member"} == {TEAM_ID}
    wednesday = datetime(2025, 3, 12, 10, 5, tzinfo=LONDON)
    teams.app.clock.at = wednesday  # type: ignore[attr-defined]
    with Session(teams.app.engine) as s:  # subscribed a month ago
        row = s.exec(select(t.DigestSubscription)).one()
        row.created_at = wednesday - timedelta(days=30)
        s.add(row)
        s.commit()
    report = await teams.runtime.run_digests(now=wednesday)
    assert report.outcomes == {"sent": 1}
    [posted] = [c for c in teams.connector.calls if c.kind == "send"]
    assert posted.conversation_id == channel  # a new post in the channel, not in a thread


# -- 2. listening ------------------------------------------------------------------------------


async def test_a_listening_channel_gets_one_threaded_answer_only_when_confident(
    teams: TeamsHarness,
) -> None:
    channel = new_conversation()
    owner(teams)
    question = "has anyone made a budget simulator for public consultation?"  # search is sure
    await teams.send(in_thread(teams, channel, "10", question))
    await teams.send(in_thread(teams, channel, "11", "<at>hasanyone</at> listen on"))
    await teams.replies(1)  # only the reply to `listen on`: it was not listening before
    await teams.send(in_thread(teams, channel, "12", question))
    calls = await teams.replies(2)
    assert calls[1].conversation_id == f"{channel};messageid=12" and "Budgetron" in text_of(
        calls[1].activity
    )
    await teams.send(in_thread(teams, channel, "12", question + " please"))  # same thread
    await teams.send(in_thread(teams, channel, "13", "has anyone built a cemetery plot search?"))
    bot = in_thread(teams, channel, "14", question)
    bot["from"] = {"id": "28:other-bot", "name": "Other bot", "role": "bot"}
    await teams.send(bot)
    await teams.send(in_thread(teams, channel, "15", "the budget game is out"))  # no question
    with pytest.raises(AssertionError):
        await teams.replies(3, timeout=1.5)


# -- 3. the search message extension -----------------------------------------------------------


async def test_the_message_extension_returns_cards_to_insert(teams: TeamsHarness) -> None:
    from tests.teams.test_cards import checked_card

    query = teams.activity(
        type="invoke",
        name="composeExtension/query",
        value={
            "commandId": "searchQuery",
            "parameters": [
                {"name": "query", "value": "has anyone made a game for budget consultations"}
            ],
            "queryOptions": {"skip": 0, "count": 25},
        },
    )
    query.pop("text")
    response = await teams.send(query)
    assert response.status == 200
    body = json.loads(await response.text())
    result = body["composeExtension"]
    assert result["type"] == "result" and result["attachmentLayout"] == "list"
    first = result["attachments"][0]
    assert "Budgetron" in text_of(first["content"]) and "Budgetron" in text_of(first["preview"])
    checked_card(first["content"])
    with Session(teams.app.engine) as s:
        assert s.exec(select(t.Question)).all() == []  # a lookup, not a question


async def test_the_project_pickers_typeahead_searches_the_whole_register(
    teams: TeamsHarness,
) -> None:
    """Item 10 through /api/messages: the card lists at most 100 projects, and what a person
    types is searched in the whole register (Teams' `application/search` invoke)."""
    add_filler_projects(teams.app, 150, owner_key="teams:x:filler")  # all more recently active
    search = teams.activity(
        type="invoke",
        name="application/search",
        value={"kind": "search", "queryText": "core", "dataset": "projects"},
    )
    search.pop("text")
    response = await teams.send(search)
    assert response.status == 200
    body = json.loads(await response.text())
    assert body["type"] == "application/vnd.microsoft.search.searchResponse"
    assert body["value"]["results"][0]["value"] == "core-lettings", body


# -- 4. universal actions ----------------------------------------------------------------------


def execute(teams: TeamsHarness, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    activity = teams.activity(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
    )
    activity.pop("text")
    return activity


async def test_a_form_card_refreshes_in_place_and_cannot_be_sent_twice(teams: TeamsHarness) -> None:
    teams.own("pl-17")
    await teams.send(teams.activity("weeknote"))
    [opened] = await teams.replies(1)
    assert opened.activity is not None
    card = opened.activity["attachments"][0]["content"]
    [submit] = card["actions"]
    assert submit["type"] == "Action.Execute" and submit["verb"] == "form"
    typed = {**submit["data"], "project": "", "week": "2025-03-10", "text": "Refreshed in place"}
    bad = json.loads(await (await teams.send(execute(teams, "form", typed))).text())
    assert bad["statusCode"] == 200 and bad["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Choose the project" in text_of(bad["value"]) and "Refreshed in place" in text_of(
        bad["value"]
    )
    [again] = bad["value"]["actions"]
    fixed = {
        **again["data"],
        "project": "pl-17",
        "week": "2025-03-10",
        "text": "Refreshed in place",
    }
    good = json.loads(await (await teams.send(execute(teams, "form", fixed))).text())
    assert "Posted your weeknote" in text_of(good["value"]) and "actions" not in good["value"]
    twice = json.loads(await (await teams.send(execute(teams, "form", fixed))).text())
    assert twice["type"] == "application/vnd.microsoft.activity.message"
    notes = teams.app.repo.weeknotes_of(f"teams:{TENANT}:aad-alice")
    assert [n.text for n in notes] == ["Refreshed in place"]
    assert len(teams.connector.activities) == 1  # only the form itself was ever posted


async def test_a_feedback_button_answers_the_presser_and_leaves_the_answer(
    teams: TeamsHarness,
) -> None:
    await teams.send(teams.activity("has anyone made a game for budget consultations?"))
    [answer] = await teams.replies(1)
    assert answer.activity is not None
    helpful = answer.activity["attachments"][0]["content"]["actions"][0]
    assert helpful["type"] == "Action.Execute"
    body = json.loads(
        await (await teams.send(execute(teams, helpful["verb"], helpful["data"]))).text()
    )
    assert body["type"] == "application/vnd.microsoft.activity.message" and "glad" in body["value"]


# -- 5. welcome --------------------------------------------------------------------------------


async def test_the_app_says_hello_once_when_it_is_installed(teams: TeamsHarness) -> None:
    added = teams.activity(type="installationUpdate", action="add")
    added.pop("text")
    await teams.send(added)
    [hello] = await teams.replies(1)
    assert "has anyone done X" in text_of(hello.activity) and "weeknote" in text_of(hello.activity)
    await teams.send(added)
    with pytest.raises(AssertionError):
        await teams.replies(2, timeout=1.0)


async def test_added_to_a_team_it_says_hello_once_to_the_channel(teams: TeamsHarness) -> None:
    """In a team the welcome is for the channel: it tells channel owners about `digest on`
    and `listen on`, once however often Teams repeats the install."""
    channel = new_conversation()
    added = teams.activity(
        type="installationUpdate",
        action="add",
        conversation=channel,
        kind="channel",
        channelData={"tenant": {"id": TENANT}, "team": {"id": channel}},
    )
    added.pop("text")
    await teams.send(added)
    [hello] = await teams.replies(1)
    shown = text_of(hello.activity)
    assert "digest on" in shown and "listen on" in shown, shown
    await teams.send({**added, "id": "again"})
    with pytest.raises(AssertionError):
        await teams.replies(2, timeout=1.0)


# -- 6. subscriptions the bot can post to ------------------------------------------------------


def test_subscribing_a_teams_conversation_the_bot_never_saw_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "HASANYONE_DEMO_DATA": "false"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters",
            "digest",
            "subscribe",
            "--platform",
            "teams",
            "--channel",
            "19:never@thread.tacv2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert (
        "has not been added to Teams conversation" in done.stderr and "@mention it" in done.stderr
    )
    listed = subprocess.run(
        [sys.executable, "-m", "adapters", "digest", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "No channel gets the digest yet." in listed.stdout


async def test_a_digest_for_a_conversation_never_seen_waits_and_is_not_called_gone(
    teams: TeamsHarness,
) -> None:
    from bot.model import ConversationRef
    from knowledge.subscriptions import SubscriptionStore

    monday = datetime(2025, 3, 10, 9, 5, tzinfo=LONDON)
    SubscriptionStore(teams.app.engine).subscribe(
        ConversationRef("teams", "19:unseen@thread.tacv2", TENANT),
        by="test",
        now=monday - timedelta(days=30),
    )
    report = await teams.runtime.run_digests(now=monday)
    assert report.outcomes == {"failed (will retry)": 1}
    with Session(teams.app.engine) as s:
        [sub] = s.exec(select(t.DigestSubscription)).all()
        [run] = s.exec(select(t.DigestRun)).all()
    assert sub.active and sub.paused_reason is None
    assert "has not been added" in (run.error or "") and "gone" not in (run.error or "")
