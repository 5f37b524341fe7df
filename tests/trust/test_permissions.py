"""Issue 10, who may change what: projects by their team or a community manager, weeknotes by
the team, listening and digests by channel admins, feedback by each person for themselves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.clock import FixedClock
from bot.model import ConversationRef, Person
from knowledge import tables as t
from tests.slack.conftest import TEAM, SlackHarness, running_slack
from tests.teams.conftest import TENANT, TeamsHarness

MANAGER = f"slack:{TEAM}:UMANAGER"


def text_of(payload: Any) -> str:
    """What a person reads: Slack's escaping of backticks and of "@word" is invisible."""
    return json.dumps(payload, ensure_ascii=False).replace("\u200b", "").replace("ˋ", "`")


@pytest.fixture
async def managed(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[SlackHarness]:
    """Slack with one community manager, UMANAGER."""
    request.getfixturevalue("demo_app").engine.dispose()
    async with running_slack(database_url, clock, community_managers=[MANAGER]) as harness:
        yield harness


async def say(slack: SlackHarness, command: str, text: str, **where: str) -> str:
    _, rid = await slack.slash(command, text, **where)
    return text_of(await slack.responses(rid))


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["action_id"]: e
        for b in payload.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    }


async def press(
    slack: SlackHarness, button: dict[str, Any], *, user: str, channel: str, reply_id: str
) -> str:
    await slack.interact(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel},
            "response_url": slack.fake.response_url(reply_id),
            "actions": [{"action_id": button["action_id"], "value": button.get("value", "")}],
        }
    )
    return text_of(await slack.responses(reply_id))


# -- 5. projects nobody owns -------------------------------------------------------------------


async def test_a_project_nobody_owns_is_changed_by_no_one_but_a_community_manager(
    managed: SlackHarness,
) -> None:
    refused = await say(managed, "/project", "stage pl-17 live", user="USTRANGER")
    assert "nobody has claimed it yet" in refused and "project claim pl-17" in refused
    assert managed.app.repo.get_project("pl-17").stage.value != "live"  # type: ignore[union-attr]
    assert "is now in live" in await say(managed, "/project", "stage pl-17 live", user="UMANAGER")


async def test_teams_users_cannot_change_a_project_nobody_owns(teams: TeamsHarness) -> None:
    before = teams.app.repo.get_project("pl-17")
    await teams.send(teams.activity("project stage pl-17 retired", user="aad-mallory"))
    [reply] = await teams.replies(1)
    assert "nobody has claimed it yet" in text_of(reply.activity)
    assert teams.app.repo.get_project("pl-17") == before


async def test_a_claim_is_approved_by_a_community_manager_from_a_dm(
    managed: SlackHarness,
) -> None:
    said = await say(managed, "/project", "claim pl-17", user="UCLAIMANT")
    assert "asked the community managers" in said
    assert "asked for The Budgetron already" in await say(
        managed, "/project", "claim pl-17", user="UCLAIMANT"
    )
    assert await managed.runtime.deliver_outbox() == "1 sent"
    [ask] = await managed.fake.wait_for("chat.postMessage")
    assert ask.params["channel"] == "UMANAGER" and "The Budgetron" in text_of(ask.params)
    approve = buttons(ask.params)["claim_approve"]
    # Someone else pressing a forwarded button decides nothing.
    refused = await press(managed, approve, user="UCLAIMANT", channel="DMANAGER", reply_id="x")
    assert "Only a community manager" in refused
    done = await press(managed, approve, user="UMANAGER", channel="DMANAGER", reply_id="ok")
    assert "Approved" in done
    again = await press(managed, approve, user="UMANAGER", channel="DMANAGER", reply_id="2")
    assert "approved already" in again
    project = managed.app.repo.get_project("pl-17")
    assert project is not None and project.owner_key == f"slack:{TEAM}:UCLAIMANT"
    assert await managed.runtime.deliver_outbox() == "1 sent"
    calls = await managed.fake.wait_for("chat.postMessage", count=2)
    assert calls[1].params["channel"] == "UCLAIMANT" and "you are now its owner" in text_of(
        calls[1].params
    )
    assert "is now in live" in await say(managed, "/project", "stage pl-17 live", user="UCLAIMANT")


# -- 6. weeknotes only by the team -------------------------------------------------------------


async def test_only_the_team_posts_weeknotes_and_the_owner_manages_the_team(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17", "UOWNER")
    owner, where = (
        Person(f"slack:{TEAM}:UOWNER", "Olive Owner"),
        ConversationRef("slack", "C1", TEAM),
    )
    slack.app.people.seen(owner, where, now=slack.app.clock.now())
    refused = await say(slack, "/weeknote", "pl-17: Bob's note", user="UBOB")
    assert "It belongs to Olive Owner" in refused and "project members pl-17 add" in refused
    assert "Bob's note" in refused  # handed back, nothing lost
    assert "change who is in its team" in await say(
        slack, "/project", "members pl-17 add <@UBOB|bob>", user="UBOB"
    )
    added = await say(slack, "/project", "members pl-17 add <@UBOB|bob>", user="UOWNER")
    assert "can now post weeknotes for The Budgetron" in added
    assert "Posted your weeknote" in await say(slack, "/weeknote", "pl-17: Bob's note", user="UBOB")
    listed = await say(slack, "/project", "members pl-17", user="UCAROL")
    assert f"slack:{TEAM}:UBOB" in listed or "bob" in listed
    await say(slack, "/project", "members pl-17 remove <@UBOB|bob>", user="UOWNER")
    assert "It belongs to" in await say(slack, "/weeknote", "pl-17: again", user="UBOB")


# -- 7. listening and digests are for channel admins, in channels the bot is in ---------------


async def test_listen_is_for_channel_admins_in_channels_and_says_how_to_invite_the_bot(
    slack: SlackHarness,
) -> None:
    assert "Only this channel's admins" in await say(slack, "/hasanyone", "listen on", user="UBOB")
    in_dm = await say(
        slack, "/hasanyone", "listen on", channel="D0BOB", channel_name="directmessage"
    )
    in_group = await say(
        slack, "/hasanyone", "listen on", channel="C0MPDM", channel_name="mpdm-a--b-1"
    )
    for refused in (in_dm, in_group):
        assert "Listening is for channels" in refused
    slack.fake.channels["C0OUT"] = {"creator": "UBOB", "is_member": False}
    for command, text in (("/hasanyone", "listen on"), ("/digest", "on")):
        said = await say(slack, command, text, user="UBOB", channel="C0OUT")
        assert "I'm not in this channel" in said and "/invite @hasanyone" in said
    slack.fake.channels["C0IN"] = {"creator": "UBOB"}
    assert "I'll now answer" in await say(
        slack, "/hasanyone", "listen on", user="UBOB", channel="C0IN"
    )
    with Session(slack.app.engine) as s:
        settings = s.exec(select(t.ChannelSetting)).all()
        subscriptions = s.exec(select(t.DigestSubscription)).all()
    assert [(c.channel_id, c.listening) for c in settings] == [("C0IN", True)]
    assert subscriptions == []


# -- 8. one vote per person; one introduction --------------------------------------------------


async def test_feedback_is_one_vote_per_person_and_an_introduction_is_made_once(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17", "UOWNER")
    _, rid = await slack.slash("/hasanyone", "has anyone made a game for budget consultations?")
    [answer] = await slack.responses(rid)
    offered = buttons(answer)
    await press(slack, offered["helpful"], user="UALICE", channel="C0GENERAL", reply_id="a1")
    await press(slack, offered["not_what_i_meant"], user="UBOB", channel="C0GENERAL", reply_id="b1")
    with Session(slack.app.engine) as s:
        votes = {(v.person_key, v.verdict) for v in s.exec(select(t.FeedbackVote))}
    assert votes == {
        (f"slack:{TEAM}:UALICE", "helpful"),
        (f"slack:{TEAM}:UBOB", "not_what_i_meant"),
    }
    await press(
        slack, offered["not_what_i_meant"], user="UALICE", channel="C0GENERAL", reply_id="a2"
    )
    with Session(slack.app.engine) as s:
        votes = {(v.person_key, v.verdict) for v in s.exec(select(t.FeedbackVote))}
    assert (f"slack:{TEAM}:UALICE", "not_what_i_meant") in votes and len(votes) == 2
    for n in range(3):
        await press(
            slack, offered["introduce"], user="UALICE", channel="C0GENERAL", reply_id=f"i{n}"
        )
    await asyncio.sleep(0.2)
    assert len(slack.fake.calls_to("conversations.open")) == 1
    intros = [c for c in slack.fake.calls_to("chat.postMessage") if "meet" in text_of(c.params)]
    assert len(intros) == 1


async def test_teams_feedback_is_per_person(teams: TeamsHarness) -> None:
    await teams.send(teams.activity("has anyone made a game for budget consultations?"))
    [answer] = await teams.replies(1)
    assert answer.activity is not None
    actions = answer.activity["attachments"][0]["content"]["actions"]
    data = {a["data"]["action"]: a["data"] for a in actions}
    await teams.send(teams.activity(value=data["helpful"], user="aad-alice"))
    await teams.send(teams.activity(value=data["not_what_i_meant"], user="aad-bob"))
    await teams.replies(3)
    with Session(teams.app.engine) as s:
        votes = {(v.person_key, v.verdict) for v in s.exec(select(t.FeedbackVote))}
    assert votes == {
        (f"teams:{TENANT}:aad-alice", "helpful"),
        (f"teams:{TENANT}:aad-bob", "not_what_i_meant"),
    }
