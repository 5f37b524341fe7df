"""Issue 10, privacy: what is said in private stays private; internal weeknotes stay inside
their organisation; deleted and forgotten data stays gone. Through the real endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters.app import App
from bot.clock import FixedClock
from bot.model import ConversationRef, Incoming, Person, WeeknoteDraft
from knowledge import tables as t
from tests.slack.conftest import TEAM, SlackHarness
from tests.teams.conftest import TENANT, TeamsHarness, new_conversation

CEMETERY = "has anyone built a cemetery burial plot search?"
POTHOLES = "has anyone made a pothole reporting chatbot for drivers?"
DOGS = "has anyone built a dog fouling fine app?"
PESTS = "has anyone digitised pest control booking?"
POOLS = "has anyone built a swimming pool lane booking system?"


def text_of(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


async def ask(slack: SlackHarness, question: str, **where: str) -> dict[str, Any]:
    _, rid = await slack.slash("/hasanyone", question, **where)
    [answer] = await slack.responses(rid)
    return answer


async def home_of(slack: SlackHarness, user: str, team: str = TEAM) -> str:
    before = len(slack.fake.calls_to("views.publish"))
    await slack.event(
        {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"},
        team_id=team,
    )
    calls = await slack.fake.wait_for("views.publish", count=before + 1)
    return text_of(calls[-1].params["view"])


async def preview(slack: SlackHarness, channel: str = "C0GENERAL") -> str:
    slack.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    _, rid = await slack.slash("/digest", "preview", channel=channel)
    [reply] = await slack.responses(rid)
    return text_of(reply)


# -- 1. questions asked in private -------------------------------------------------------------


async def test_questions_asked_in_private_never_reach_app_home_or_the_digest(
    slack: SlackHarness,
) -> None:
    await ask(slack, CEMETERY, channel="D0ALICE", channel_name="directmessage")
    await ask(slack, POTHOLES, channel="C0SECRET", channel_name="privategroup")
    await ask(slack, DOGS, channel="C0GROUP", channel_name="mpdm-alice--bob--carol-1")
    await ask(slack, PESTS, channel="C0GENERAL", channel_name="general")
    await ask(slack, POOLS, channel="C0OTHER", channel_name="general", team_id="T0OTHER")
    for shown in (await home_of(slack, "UBOB"), await preview(slack)):
        assert "pest control" in shown  # asked in a public channel of this workspace
        for private in ("cemetery", "pothole", "dog fouling", "swimming pool"):
            assert private not in shown, f"{private!r} leaked: {shown[:300]}"


async def test_a_question_asked_in_a_dm_can_be_shared_by_its_asker_only(
    slack: SlackHarness,
) -> None:
    answer = await ask(slack, CEMETERY, channel="D0ALICE", channel_name="directmessage")
    [share] = [
        e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_question"
    ]
    assert "only you can see it" in text_of(answer)
    assert "cemetery" not in await home_of(slack, "UBOB")

    async def press(user: str, n: int) -> str:
        await slack.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user},
                "channel": {"id": "D0ALICE"},
                "container": {"type": "message", "channel_id": "D0ALICE"},
                "response_url": slack.fake.response_url(f"share{n}"),
                "actions": [{"action_id": share["action_id"], "value": share["value"]}],
            }
        )
        return text_of(await slack.responses(f"share{n}"))

    assert "Only the person who asked" in await press("UBOB", 1)
    assert "cemetery" not in await home_of(slack, "UBOB")
    assert "Shared" in await press("UALICE", 2)
    assert "cemetery" in await home_of(slack, "UBOB")
    assert "cemetery" not in await home_of(slack, "UOTHER", team="T0OTHER")


async def test_teams_questions_are_shown_only_in_their_own_tenant_and_never_from_a_chat(
    teams: TeamsHarness,
) -> None:
    channel = new_conversation()

    def in_channel(text: str, tenant: str = TENANT, conversation: str = channel) -> dict[str, Any]:
        activity = teams.activity(
            f"<at>hasanyone</at> {text}", conversation=conversation, kind="channel"
        )
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"] = {"tenant": {"id": tenant}, "team": {"id": "19:team"}}
        return activity

    await teams.send(teams.activity(CEMETERY))  # a personal chat
    group = teams.activity(DOGS, conversation="19:group@thread.v2", kind="groupChat")
    await teams.send(group)
    await teams.send(in_channel(PESTS))
    await teams.send(in_channel(POOLS, tenant="other-tenant", conversation=new_conversation()))
    await teams.replies(4)
    teams.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await teams.send(in_channel("digest preview"))
    calls = await teams.replies(5)
    shown = text_of(calls[-1].activity)
    assert "pest control" in shown
    for private in ("cemetery", "dog fouling", "swimming pool"):
        assert private not in shown


# -- 2. internal weeknotes ---------------------------------------------------------------------


def internal_note(app: App, project_id: str, author: Person) -> str:
    """An internal weeknote on a project of Hackney's, written by its owner."""
    app.repo.set_owner(project_id, author.key, now=app.clock.now())
    note = app.repo.add_weeknote(
        WeeknoteDraft(
            project_id,
            app.clock.now().date(),
            "SECRET-BUDGET: we are over by forty thousand pounds",
            author,
            title="Internal: budget",
            internal=True,
        ),
        now=app.clock.now(),
    )
    return note.id


async def test_internal_weeknotes_are_not_listed_or_shown_to_other_organisations_in_slack(
    slack: SlackHarness,
) -> None:
    note = internal_note(slack.app, "pl-17", Person(f"slack:{TEAM}:UOWNER", "Owner"))
    for command in ("list pl-17", f"show {note}"):
        _, rid = await slack.slash("/weeknote", command, user="USTRANGER")
        reply = text_of(await slack.responses(rid))
        assert "SECRET-BUDGET" not in reply, command
    _, rid = await slack.slash("/weeknote", f"show {note}", user="USTRANGER")
    assert "no weeknote with the id" in text_of(await slack.responses(rid))
    # The owner's organisation sees it.
    _, rid = await slack.slash("/weeknote", "list pl-17", user="UOWNER")
    assert "(internal)" in text_of(await slack.responses(rid))
    _, rid = await slack.slash("/weeknote", f"show {note}", user="UOWNER")
    assert "SECRET-BUDGET" in text_of(await slack.responses(rid))


async def test_internal_weeknotes_are_not_listed_to_strangers_in_teams(
    teams: TeamsHarness,
) -> None:
    note = internal_note(teams.app, "pl-17", Person(f"teams:{TENANT}:aad-owner", "Owner"))
    await teams.send(teams.activity("weeknote list pl-17", user="aad-stranger"))
    await teams.send(teams.activity(f"weeknote show {note}", user="aad-stranger"))
    await teams.send(teams.activity(f"weeknote show {note}", user="aad-owner"))
    calls = await teams.replies(3)
    stranger = [text_of(c.activity) for c in calls[:2]]
    assert all("SECRET-BUDGET" not in c for c in stranger)
    assert "SECRET-BUDGET" in text_of(calls[2].activity)


async def test_internal_weeknotes_stay_out_of_search_app_home_and_digests(
    slack: SlackHarness,
) -> None:
    note = internal_note(slack.app, "pl-17", Person(f"slack:{TEAM}:UOWNER", "Owner"))
    answer = await ask(slack, "has anyone gone over budget by forty thousand pounds?")
    assert "SECRET-BUDGET" not in text_of(answer) and note not in text_of(answer)
    assert "SECRET-BUDGET" not in await home_of(slack, "USTRANGER")
    assert "Internal: budget" not in await preview(slack)


def test_internal_weeknotes_stay_out_of_open_data_exports(demo_app: App) -> None:
    from knowledge.backup import backup_records
    from knowledge.interchange import export_records

    note = internal_note(demo_app, "pl-17", Person("slack:T1:UOWNER", "Owner"))
    assert note not in text_of(list(export_records(demo_app.repo)))
    backup = text_of(list(backup_records(demo_app.engine, now=demo_app.clock.now())))
    assert note in backup and "SECRET-BUDGET" in backup  # a backup holds everything


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_export_command_leaves_internal_weeknotes_and_people_out(
    demo_app: App, database_url: str, tmp_path: Path, fmt: str
) -> None:
    """The same through `hasanyone export` (and only `--include-internal` or a backup adds
    them)."""
    note = internal_note(demo_app, "pl-17", Person("slack:T1:UOWNER", "Owner"))
    env = {**os.environ, "DATABASE_URL": database_url, "HASANYONE_LOG_LEVEL": "WARNING"}

    def export(*args: str) -> str:
        out = tmp_path / f"export-{len(args)}.{fmt}"
        subprocess.run(
            [sys.executable, "-m", "adapters", "export", "--format", fmt, "--out", str(out), *args],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return out.read_text(encoding="utf-8")

    public = export()
    assert "SECRET-BUDGET" not in public and note not in public
    assert "slack:T1:UOWNER" not in public  # no owners or authors' keys in open data
    if fmt == "jsonl":
        assert "SECRET-BUDGET" in export("--include-internal")


# -- 4. deletion -------------------------------------------------------------------------------


async def test_a_project_is_deleted_by_its_owner_after_a_confirmation_with_its_weeknotes(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17", "UOWNER")
    await slack.slash("/weeknote", "pl-17: the last note", user="UOWNER")
    await slack.fake.wait_for("response_url:r1")
    _, rid = await slack.slash("/project", "delete pl-17", user="USTRANGER")
    assert "It belongs to" in text_of(await slack.responses(rid))
    _, rid = await slack.slash("/project", "delete pl-17", user="UOWNER")
    [confirm] = await slack.responses(rid)
    assert slack.app.repo.get_project("pl-17") is not None  # nothing happens before the click
    [button] = [
        e
        for b in confirm["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "project_delete"
    ]
    await slack.press("project_delete", button["value"], reply_to="del", user="UOWNER")
    assert "Deleted The Budgetron" in text_of(await slack.responses("del"))
    assert slack.app.repo.get_project("pl-17") is None
    with Session(slack.app.engine) as s:
        notes = s.exec(select(t.Weeknote).where(t.Weeknote.project_id == "pl-17")).all()
        assert notes and all(n.deleted_at is not None and n.text == "" for n in notes)
        row = s.get_one(t.Project, "pl-17")
        assert row.title == "" and row.description == ""
    assert "Budgetron" not in text_of(await ask(slack, "has anyone made a budget simulator game?"))


def test_forget_me_removes_the_persons_data_and_keeps_no_name(demo_app: App) -> None:
    alice = Person("slack:T1:UALICE", "Alice Example")
    here = ConversationRef("slack", "D1", "T1", is_direct=True)
    now = demo_app.clock.now()

    def say(text: str, **extra: Any) -> str:
        return demo_app.bot.handle(Incoming(text, alice, here, now, **extra)).text

    demo_app.repo.set_owner("pl-17", alice.key, now=now)
    say("weeknote pl-17: Alice's note about the Budgetron")
    say(CEMETERY)
    confirm = demo_app.bot.handle(Incoming("forget me", alice, here, now))
    [forget] = [a for a in confirm.actions if a.name == "forget_me"]
    assert demo_app.people.display_name(alice.key) == "Alice Example"  # nothing until the click
    from bot.model import ActionPayload

    done = say("", action=ActionPayload(forget.name, forget.value))
    assert "forgotten you" in done
    with Session(demo_app.engine) as s:
        assert s.exec(select(t.Person).where(t.Person.key == alice.key)).first() is None
        notes = s.exec(select(t.Weeknote).where(t.Weeknote.project_id == "pl-17")).all()
        mine = [n for n in notes if "Alice's note" in n.text]
        assert mine and all(n.author == "" and n.author_key is None for n in mine)
        assert all(q.asker_key != alice.key for q in s.exec(select(t.Question)))
        assert s.get_one(t.Project, "pl-17").owner_key is None
    from knowledge.backup import backup_records

    backup = text_of(list(backup_records(demo_app.engine, now=now)))
    assert "UALICE" not in backup and "Alice Example" not in backup


async def test_forget_me_in_slack_takes_a_click_and_then_the_persons_data_goes(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17")
    await slack.slash("/weeknote", "pl-17: Alice's note about the Budgetron")
    await slack.fake.wait_for("response_url:r1")
    _, rid = await slack.slash("/hasanyone", "forget me")
    [confirm] = await slack.responses(rid)
    [button] = [
        e
        for b in confirm["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "forget_me"
    ]
    key = f"slack:{TEAM}:UALICE"
    assert slack.app.repo.weeknotes_of(key)  # nothing happens before the click
    await slack.press("forget_me", button["value"], reply_to="forget")
    assert "forgotten you" in text_of(await slack.responses("forget"))
    assert not slack.app.repo.weeknotes_of(key)
    with Session(slack.app.engine) as s:
        assert s.exec(select(t.Person).where(t.Person.key == key)).first() is None
        assert s.get_one(t.Project, "pl-17").owner_key is None
        notes = s.exec(select(t.Weeknote).where(t.Weeknote.project_id == "pl-17")).all()
        assert [n.author_key for n in notes if "Alice's note" in n.text] == [None]


def test_the_cli_forgets_a_person_for_a_community_manager(
    database_url: str, clock: FixedClock, tmp_path: Any
) -> None:
    import subprocess
    import sys

    from tests.conftest import make_app

    app = make_app(database_url, clock)
    bob, chat = Person("teams:tn:aad-bob", "Bob Example"), ConversationRef("teams", "a:1", "tn")
    app.people.seen(bob, chat, now=clock.now())
    app.engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "adapters", "forget", "teams:tn:aad-bob"],
        env=_env(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Forgot teams:tn:aad-bob: their record" in done.stdout
    app = make_app(database_url, clock)
    assert app.people.display_name("teams:tn:aad-bob") == ""
    app.engine.dispose()


def _env(database_url: str, tmp_path: Any) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "HASANYONE_DEMO_DATA": "false",
        "HOME": str(tmp_path),
    }
