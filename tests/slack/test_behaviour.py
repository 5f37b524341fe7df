"""Issue 13, Slack as its users expect: text as people typed it, no question dropped, the
picker over the whole register, shortcuts, private answers they can share, uninstalls and a
welcome. Through signed requests against the real server and the fake Slack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlmodel import Session, select

from adapters.manifest import load_manifest
from bot.model import ConversationRef, Person, WeeknoteDraft
from knowledge import tables as t
from knowledge.subscriptions import SubscriptionStore
from tests.conftest import add_filler_projects
from tests.slack.conftest import TEAM, SlackHarness
from tests.slack.test_oauth import install, installable

__all__ = ["installable"]


def text_of(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


async def dm(slack: SlackHarness, text: str, **extra: Any) -> None:
    await slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D0ALICE",
            "user": "UALICE",
            "text": text,
            "ts": f"17000{next(slack.ids):05d}.000100",
            **extra,
        }
    )


# -- 7. text as it was typed -------------------------------------------------------------------


async def test_entities_are_decoded_and_line_breaks_kept_in_a_dm_weeknote(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17")
    await dm(
        slack,
        "weeknote pl-17: R&amp;D with &lt;3 councils\n\nSecond paragraph, <https://x.example|our notes>",
    )
    [confirm] = await slack.fake.wait_for("chat.postMessage")
    assert "Posted your weeknote" in text_of(confirm.params)
    [note] = slack.app.repo.weeknotes_of(f"slack:{TEAM}:UALICE")
    assert note.text == "R&D with <3 councils\n\nSecond paragraph, our notes (https://x.example)"


async def test_a_multi_line_project_add_by_dm_registers_the_project(slack: SlackHarness) -> None:
    await dm(
        slack,
        "project add title: R&amp;D pilot\norganisation: Leeds City Council\n"
        "description: Line one\nline two\ncontact: #rnd",
    )
    [confirm] = await slack.fake.wait_for("chat.postMessage")
    assert "Registered R&D pilot" in text_of(confirm.params).replace("&amp;", "&")
    [project] = slack.app.repo.projects_of(f"slack:{TEAM}:UALICE")
    assert project.title == "R&D pilot" and project.description == "Line one\nline two"


# -- 8. no question dropped in silence ---------------------------------------------------------


async def test_a_dm_that_starts_with_the_bots_mention_is_answered(slack: SlackHarness) -> None:
    await dm(slack, "<@UBOT> has anyone made a game for budget consultations?")
    [answer] = await slack.fake.wait_for("chat.postMessage")
    assert "Budgetron" in text_of(answer.params)


async def test_a_dm_with_a_screenshot_and_a_broadcast_thread_reply_are_answered(
    slack: SlackHarness,
) -> None:
    await dm(slack, "has anyone made a game for budget consultations?", subtype="file_share")
    await slack.fake.wait_for("chat.postMessage")
    slack.fake.channels["C0GENERAL"] = {"creator": "UALICE"}
    _, rid = await slack.slash("/hasanyone", "listen on")
    await slack.responses(rid)
    await slack.event(
        {
            "type": "message",
            "subtype": "thread_broadcast",
            "channel_type": "channel",
            "channel": "C0GENERAL",
            "user": "UBOB",
            "text": "has anyone made a budget simulator for public consultation?",
            "ts": "1700000050.000200",
            "thread_ts": "1700000050.000100",
        }
    )
    calls = await slack.fake.wait_for("chat.postMessage", count=2)
    assert calls[1].params["thread_ts"] == "1700000050.000100"


async def test_edits_deletions_joins_and_bots_are_still_ignored(slack: SlackHarness) -> None:
    for subtype in ("message_changed", "message_deleted", "channel_join", "bot_message"):
        await dm(slack, "has anyone made a game for budget consultations?", subtype=subtype)
    await asyncio.sleep(0.5)
    assert slack.fake.calls_to("chat.postMessage") == []


# -- 9. introduce me on a weeknote -------------------------------------------------------------


async def test_introduce_me_on_a_weeknote_introduces_its_projects_owner(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17", "UOWNER")
    owner = Person(f"slack:{TEAM}:UOWNER")
    note = slack.app.repo.add_weeknote(
        WeeknoteDraft("pl-17", slack.app.clock.now().date(), "notes", owner),
        now=slack.app.clock.now(),
    )
    value = f"1:weeknote:{note.id}"
    await slack.press("introduce", value, reply_to="intro", block_id="hasanyone-actions")
    [told] = await slack.responses("intro")
    assert "I've started a conversation" in text_of(told)
    [opened] = slack.fake.calls_to("conversations.open")
    assert opened.params["users"] == "UALICE,UOWNER"


async def test_introduce_me_on_a_weeknote_of_an_unowned_project_introduces_its_author(
    slack: SlackHarness,
) -> None:
    author = Person(f"slack:{TEAM}:UAUTHOR")
    assert slack.app.repo.get_project("dl-brownfield-sites").owner_key is None  # type: ignore[union-attr]
    note = slack.app.repo.add_weeknote(
        WeeknoteDraft("dl-brownfield-sites", slack.app.clock.now().date(), "notes", author),
        now=slack.app.clock.now(),
    )
    value = f"1:weeknote:{note.id}"
    await slack.press("introduce", value, reply_to="intro", block_id="hasanyone-actions")
    assert "I've started a conversation" in text_of(await slack.responses("intro"))
    [opened] = slack.fake.calls_to("conversations.open")
    assert opened.params["users"] == "UALICE,UAUTHOR"


# -- 10. the picker searches the whole register ------------------------------------------------


async def test_the_project_picker_finds_a_project_beyond_the_most_recent_five_hundred(
    slack: SlackHarness,
) -> None:
    add_filler_projects(slack.app, 600, owner_key="slack:T0001:UFILL")  # all more recently active
    response = await slack.interact(
        {
            "type": "block_suggestion",
            "action_id": "project",
            "block_id": "project",
            "value": "core",
            "team": {"id": TEAM},
            "user": {"id": "UALICE"},
            "view": {"id": "V1"},
        }
    )
    options = json.loads(await response.text())["options"]
    assert options[0]["value"] == "core-lettings"


# -- 11. shortcuts, private answers, uninstalls, welcome, scopes ------------------------------


async def test_a_slash_question_is_answered_privately_and_can_be_shared_in_the_channel(
    slack: SlackHarness,
) -> None:
    _, rid = await slack.slash("/hasanyone", "has anyone made a game for budget consultations?")
    [answer] = await slack.responses(rid)
    assert answer["response_type"] == "ephemeral"
    [share] = [
        e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_answer"
    ]
    settling = next(
        b for b in answer["blocks"] if b["type"] == "actions" and share in b["elements"]
    )
    await slack.interact(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": "UALICE", "username": "alice"},
            "channel": {"id": "C0GENERAL"},
            "response_url": slack.fake.response_url("share"),
            "actions": [
                {
                    "action_id": "share_answer",
                    "value": share["value"],
                    "block_id": settling["block_id"],
                }
            ],
        }
    )
    shared, removed = await slack.responses("share", count=2)
    assert shared["response_type"] == "in_channel" and "Budgetron" in text_of(shared)
    # who shared it and what they asked lead the answer, where its intro would be
    assert shared["blocks"][0]["text"]["text"].startswith("alice asked: “has anyone made")
    assert removed == {"delete_original": True}


async def test_the_message_shortcut_answers_privately_about_the_message(
    slack: SlackHarness,
) -> None:
    await slack.interact(
        {
            "type": "message_action",
            "callback_id": "ask_about_message",
            "team": {"id": TEAM},
            "user": {"id": "UALICE", "username": "alice"},
            "channel": {"id": "C0GENERAL"},
            "message": {
                "type": "message",
                "user": "UBOB",
                "ts": "1.2",
                "text": "Looking for a budget consultation game &amp; simulator",
            },
            "response_url": slack.fake.response_url("shortcut"),
            "trigger_id": "t.1",
        }
    )
    [answer] = await slack.responses("shortcut")
    assert answer["response_type"] == "ephemeral" and "Budgetron" in text_of(answer)
    assert "share_answer" in text_of(answer)


async def test_the_global_shortcut_opens_the_weeknote_form(slack: SlackHarness) -> None:
    await slack.interact(
        {
            "type": "shortcut",
            "callback_id": "post_weeknote",
            "team": {"id": TEAM},
            "user": {"id": "UALICE", "username": "alice"},
            "trigger_id": "t.2",
        }
    )
    [opened] = await slack.fake.wait_for("views.open")
    assert (
        opened.params["trigger_id"] == "t.2" and opened.params["view"]["callback_id"] == "weeknote"
    )


async def test_an_uninstall_removes_the_installation_and_pauses_the_workspaces_digests(
    installable: SlackHarness,
) -> None:
    await install(installable)
    store = SubscriptionStore(installable.app.engine)
    store.subscribe(
        ConversationRef("slack", "C0DIGEST", "T0001"), by="test", now=installable.app.clock.now()
    )
    await installable.event({"type": "app_uninstalled"}, team_id="T0001")
    await asyncio.sleep(0.5)
    assert store.subscriptions() == []
    with Session(installable.app.engine) as s:
        [row] = s.exec(select(t.DigestSubscription)).all()
    assert "uninstalled" in (row.paused_reason or "")
    tokens = installable.runtime.tokens  # what the digests and reminders look tokens up with
    assert tokens is not None and await tokens("T0001") is None


async def test_a_revoked_bot_token_pauses_digests_too(slack: SlackHarness) -> None:
    store = SubscriptionStore(slack.app.engine)
    store.subscribe(
        ConversationRef("slack", "C0DIGEST", TEAM), by="test", now=slack.app.clock.now()
    )
    await slack.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}})
    await asyncio.sleep(0.5)
    assert store.subscriptions() == []


async def test_whoever_installs_the_app_is_welcomed_once(installable: SlackHarness) -> None:
    await install(installable)
    await install(installable)
    summary = await installable.runtime.deliver_outbox()
    assert summary == "1 sent"
    [hello] = installable.fake.calls_to("chat.postMessage")
    assert "has anyone done X" in text_of(hello.params)


def test_the_manifest_asks_for_what_admins_in_group_dms_need_and_declares_the_shortcuts() -> None:
    manifest = load_manifest()
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"mpim:read", "im:read"} <= set(scopes)
    callbacks = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    from adapters.slack.app import SHORTCUTS

    assert callbacks == set(SHORTCUTS)
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )


# -- 13. finding ids, editing every field ------------------------------------------------------


async def test_project_list_and_find_help_people_find_ids(slack: SlackHarness) -> None:
    _, rid = await slack.slash("/project", "list stage live")
    listed = text_of(await slack.responses(rid))
    assert "Projects (" in listed and "(beta" not in listed
    _, rid = await slack.slash("/project", "find brownfield")
    assert "dl-brownfield-sites" in text_of(await slack.responses(rid))
    _, rid = await slack.slash("/project", "list org No Such Council Anywhere")
    assert "I don't know an organisation" in text_of(await slack.responses(rid))


async def test_project_show_says_the_title_and_each_field_once(slack: SlackHarness) -> None:
    """The card's title is its header and its fields a fields block: the text below them
    used to say all five again."""
    _, rid = await slack.slash("/project", "show pl-17")
    [message] = await slack.responses(rid)
    shown = text_of(message["blocks"])
    assert next(b for b in message["blocks"] if b["type"] == "header")["text"]["text"] == (
        "The Budgetron"
    )
    assert "The Budgetron\\n" not in shown, shown  # not as a line of its own again
    for label in ("Organisation", "Stage", "Last activity", "Contact"):
        assert shown.count(label) == 1, (label, shown)


async def test_project_edit_opens_the_filled_form_and_saves_every_field(
    slack: SlackHarness,
) -> None:
    _, rid = await slack.slash("/project", "edit pl-17", user="USTRANGER")
    assert "nobody has claimed it yet" in text_of(await slack.responses(rid))
    slack.own("pl-17")
    await slack.slash("/project", "edit pl-17")
    [opened] = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "project_edit"
    assert json.loads(view["private_metadata"])["hidden"] == {"project": "pl-17"}
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "The Budgetron"
    values = {
        b["block_id"]: {
            b["block_id"]: {
                "type": "plain_text_input",
                "value": b["element"].get("initial_value", ""),
            }
        }
        for b in view["blocks"]
        if b.get("type") == "input" and b["element"]["type"] == "plain_text_input"
    }
    values["contact"]["contact"]["value"] = "#budgetron-team"
    values["stage"] = {"stage": {"type": "static_select", "selected_option": {"value": "live"}}}
    await slack.interact(
        {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": "UALICE", "username": "alice"},
            "view": {**view, "id": "VEDIT", "hash": "1", "state": {"values": values}},
        }
    )
    [saved] = await slack.fake.wait_for("chat.postEphemeral")
    assert "Saved The Budgetron" in text_of(saved.params)
    project = slack.app.repo.get_project("pl-17")
    assert (
        project is not None
        and project.contact == "#budgetron-team"
        and project.stage.value == "live"
    )
    _, rid = await slack.slash("/project", "edit pl-17 contact: #again\nservice area: finance")
    assert "Saved" in text_of(await slack.responses(rid))
    project = slack.app.repo.get_project("pl-17")
    assert project is not None and project.contact == "#again" and project.service_area == "finance"
