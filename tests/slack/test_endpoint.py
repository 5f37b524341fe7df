"""Slack through the real HTTP endpoint: signed requests in, Web API calls to a fake Slack out."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.clock import FixedClock
from knowledge import tables as t
from tests.slack.conftest import TEAM, SlackHarness, running_slack, sign

FORBIDDEN = ("<!channel>", "<!here>", "<!everyone>", "<@U", "<#C", "<https://evil")


def all_text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def assert_no_smuggling(payload: Any) -> None:
    text = all_text(payload)
    for bad in FORBIDDEN:
        assert bad not in text, f"{bad!r} reached Slack: {text[:500]}"


async def test_a_question_by_slash_command_is_acked_and_answered(slack: SlackHarness) -> None:
    started = time.monotonic()
    response, rid = await slack.slash(
        "/hasanyone", "has anyone made a game for budget consultations?"
    )
    assert response.status == 200
    assert time.monotonic() - started < 3
    [answer] = await slack.responses(rid)
    assert "The Budgetron" in all_text(answer["blocks"])
    assert answer["response_type"] == "ephemeral"  # the asker's, until they share it
    buttons = [
        e["action_id"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["helpful", "not_what_i_meant", "introduce", "share_answer"]
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_help_and_empty_commands_get_usage_not_silence(slack: SlackHarness) -> None:
    _, rid = await slack.slash("/hasanyone", "help")
    [help_reply] = await slack.responses(rid)
    assert "weeknote" in all_text(help_reply) and help_reply["response_type"] == "ephemeral"
    _, rid = await slack.slash("/project", "   ")
    [empty] = await slack.responses(rid)
    assert "project show" in all_text(empty)
    _, rid = await slack.slash("/digest", "")
    assert "digest preview" in all_text((await slack.responses(rid))[0])


async def test_weeknote_text_posts_directly_and_the_bot_confirms(slack: SlackHarness) -> None:
    slack.own("pl-17")
    _, rid = await slack.slash(
        "/weeknote", "pl-17: We play-tested the Budgetron with 12 residents."
    )
    [reply] = await slack.responses(rid)
    assert "Posted your weeknote for The Budgetron" in all_text(reply)
    notes = slack.app.repo.weeknotes_of(f"slack:{TEAM}:UALICE")
    assert [n.text for n in notes] == ["We play-tested the Budgetron with 12 residents."]


def submission(
    callback_id: str, values: dict[str, Any], *, user: str = "UALICE", channel: str = "C0GENERAL"
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "localgov"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0001",
        "trigger_id": "trigger.x",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": json.dumps({"channel": channel}),
            "state": {"values": values},
            "hash": "1.1",
        },
    }


async def test_weeknote_modal_round_trip_with_an_inline_error_then_success(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17")
    await slack.slash("/weeknote")
    [opened] = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "weeknote" and opened.params["trigger_id"].startswith("trigger.")
    project = next(b for b in view["blocks"] if b.get("block_id") == "project")
    assert project["element"]["type"] == "external_select"
    values: dict[str, dict[str, Any]] = {  # view_submission state: block -> action -> value
        "project": {"project": {"type": "external_select", "selected_option": None}},
        "week": {"week": {"type": "datepicker", "selected_date": "2025-03-10"}},
        "text": {"text": {"type": "plain_text_input", "value": "Ran a show and tell"}},
    }
    bad = await slack.interact(submission("weeknote", values))
    body = json.loads(await bad.text())
    assert body["response_action"] == "errors" and set(body["errors"]) == {"project"}
    values["project"]["project"]["selected_option"] = {
        "value": "pl-17",
        "text": {"type": "plain_text", "text": "x"},
    }
    good = await slack.interact(submission("weeknote", values))
    assert good.status == 200 and not (await good.text()).strip()
    [confirm] = await slack.fake.wait_for("chat.postEphemeral")
    assert "Posted your weeknote" in all_text(confirm.params)
    assert slack.app.repo.weeknotes_of(f"slack:{TEAM}:UALICE")[0].text == "Ran a show and tell"


async def test_project_picker_searches_registered_projects(slack: SlackHarness) -> None:
    payload = {
        "type": "block_suggestion",
        "action_id": "project",
        "block_id": "project",
        "value": "budget",
        "team": {"id": TEAM},
        "user": {"id": "UALICE"},
        "api_app_id": "A0001",
        "view": {"id": "V1"},
    }
    response = await slack.interact(payload)
    options = json.loads(await response.text())["options"]
    ids = [o["value"] for o in options]
    assert "pl-17" in ids  # The Budgetron: "budget" is in the title, or in what it is about
    assert len(ids) == len(set(ids)) <= 100


async def test_project_add_modal_registers_and_show_stage_mine_work(slack: SlackHarness) -> None:
    await slack.slash("/project", "add")
    [opened] = await slack.fake.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "project"
    values: dict[str, dict[str, Any]] = {
        name: {name: {"type": "plain_text_input", "value": value}}
        for name, value in {
            "title": "Pest control booking",
            "organisation": "Leeds City Council",
            "description": "Residents book and pay for pest control online",
            "contact": "#pest-control",
            "service_area": "",
            "tags": "",
            "url": "",
        }.items()
    }
    values["stage"] = {
        "stage": {
            "type": "static_select",
            "selected_option": {"value": "alpha", "text": {"type": "plain_text", "text": "Alpha"}},
        }
    }
    response = await slack.interact(submission("project", values, user="UBOB"))
    assert response.status == 200
    await slack.fake.wait_for("chat.postEphemeral")
    _, rid = await slack.slash("/project", "mine", user="UBOB")
    assert "pest-control-booking" in all_text(await slack.responses(rid))
    _, rid = await slack.slash("/project", "stage pest-control-booking beta", user="UALICE")
    assert "It belongs to ubob" in all_text(await slack.responses(rid))
    _, rid = await slack.slash("/project", "stage pest-control-booking beta", user="UBOB")
    assert "now in beta" in all_text(await slack.responses(rid))
    _, rid = await slack.slash("/project", "show pest-control-booking")
    assert "Leeds" in all_text(await slack.responses(rid))


REFUSAL = "Only this channel's admins can change its digest"


def digest_rows(slack: SlackHarness, channel: str = "C0GENERAL") -> list[tuple[Any, ...]]:
    """The channel's subscription rows: (day, time, active, created_by)."""
    with Session(slack.app.engine) as s:
        rows = s.exec(
            select(t.DigestSubscription).where(t.DigestSubscription.channel_id == channel)
        ).all()
        return [(r.day, r.time, r.active, r.created_by) for r in rows]


async def test_digest_commands_manage_the_channel_subscription(slack: SlackHarness) -> None:
    slack.fake.users["UADMIN"] = {"is_admin": True}
    _, rid = await slack.slash("/digest", "time tue 10:30", user="UADMIN")
    assert "every Tue at 10:30" in all_text(await slack.responses(rid))
    assert digest_rows(slack) == [("tue", "10:30", True, f"slack:{TEAM}:UADMIN")]
    _, rid = await slack.slash("/digest", "preview")
    assert "hasanyone digest" in all_text(await slack.responses(rid))
    _, rid = await slack.slash("/digest", "quiet skip", user="UADMIN")
    assert "no news gets no digest" in all_text(await slack.responses(rid))
    with Session(slack.app.engine) as s:
        [row] = s.exec(select(t.DigestSubscription)).all()
        assert row.post_when_quiet is False
    _, rid = await slack.slash("/digest", "off", user="UADMIN")
    assert "no longer" in all_text(await slack.responses(rid))
    assert digest_rows(slack) == [("tue", "10:30", False, f"slack:{TEAM}:UADMIN")]


async def test_a_channel_member_may_not_change_the_digest(slack: SlackHarness) -> None:
    for args in ("on", "time tue 10:30"):
        _, rid = await slack.slash("/digest", args, user="UMEMBER")
        [reply] = await slack.responses(rid)
        assert REFUSAL in all_text(reply) and reply["response_type"] == "ephemeral"
    assert digest_rows(slack) == []
    asked = slack.fake.calls_to("users.info") + slack.fake.calls_to("conversations.info")
    assert {c.params.get("user") or c.params.get("channel") for c in asked} == {
        "UMEMBER",
        "C0GENERAL",
    }


async def test_a_member_cannot_turn_off_a_digest_an_admin_turned_on(slack: SlackHarness) -> None:
    slack.fake.users["UADMIN"] = {"is_admin": True}
    _, rid = await slack.slash("/digest", "on", user="UADMIN")
    await slack.responses(rid)
    _, rid = await slack.slash("/digest", "off", user="UMEMBER")
    assert REFUSAL in all_text(await slack.responses(rid))
    assert digest_rows(slack) == [("mon", "09:00", True, f"slack:{TEAM}:UADMIN")]


async def test_workspace_admins_and_owners_may_change_the_digest(slack: SlackHarness) -> None:
    for n, flag in enumerate(("is_admin", "is_owner", "is_primary_owner")):
        slack.fake.users[f"U{n}"] = {flag: True}
        _, rid = await slack.slash("/digest", f"time wed 0{n}:15", user=f"U{n}")
        assert "every Wed at" in all_text(await slack.responses(rid)), flag
        assert digest_rows(slack) == [("wed", f"0{n}:15", True, f"slack:{TEAM}:U0")]


async def test_the_channels_creator_may_change_the_digest(slack: SlackHarness) -> None:
    slack.fake.channels["C0PLANNING"] = {"creator": "UCAROL"}
    _, rid = await slack.slash("/digest", "on", user="UCAROL", channel="C0PLANNING")
    assert "every Mon at 09:00" in all_text(await slack.responses(rid))
    assert digest_rows(slack, "C0PLANNING") == [("mon", "09:00", True, f"slack:{TEAM}:UCAROL")]
    [asked] = slack.fake.calls_to("conversations.info")
    assert asked.params["channel"] == "C0PLANNING"


async def test_a_community_manager_may_change_any_channels_digest(
    database_url: str, clock: FixedClock, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("demo_app").engine.dispose()  # the demo data, on this database
    manager = f"slack:{TEAM}:UCOMMUNITY"
    async with running_slack(database_url, clock, community_managers=[manager]) as slack:
        _, rid = await slack.slash("/digest", "on", user="UCOMMUNITY")
        assert "every Mon at 09:00" in all_text(await slack.responses(rid))
        assert digest_rows(slack) == [("mon", "09:00", True, manager)]
        _, rid = await slack.slash("/digest", "on", user="UCOMMUNITY", team_id="T0OTHER")
        assert REFUSAL in all_text(await slack.responses(rid))  # the key names one workspace


async def test_a_failed_user_look_up_refuses_and_logs_slacks_error(
    slack: SlackHarness, caplog: Any
) -> None:
    slack.fake.users["UADMIN"] = {"is_admin": True}
    slack.fake.fail_next("users.info", error="account_inactive")
    _, rid = await slack.slash("/digest", "on", user="UADMIN")
    assert REFUSAL in all_text(await slack.responses(rid))
    assert digest_rows(slack) == []
    assert "account_inactive" in caplog.text
    _, rid = await slack.slash("/digest", "on", user="UADMIN")  # and the listener still works
    assert "every Mon at 09:00" in all_text(await slack.responses(rid))


async def test_only_digest_changes_look_the_sender_up(slack: SlackHarness) -> None:
    for command, text in [
        ("/digest", "preview"),
        ("/digest", ""),
        ("/hasanyone", "help"),
        ("/weeknote", "pl-17: looked nobody up"),
        ("/project", "show pl-17"),
    ]:
        _, rid = await slack.slash(command, text)
        await slack.responses(rid)
    _, rid = await slack.slash("/digest", "on", channel="D0ALICE", channel_name="directmessage")
    assert "for channels" in all_text(await slack.responses(rid))
    assert slack.fake.calls_to("users.info") == []
    assert slack.fake.calls_to("conversations.info") == []


async def test_a_mention_is_answered_in_its_thread(slack: SlackHarness) -> None:
    event = {
        "type": "app_mention",
        "user": "UALICE",
        "text": "<@UBOT> has anyone redesigned their website mobile first?",
        "ts": "1700000000.000100",
        "channel": "C0GENERAL",
        "event_ts": "1700000000.000100",
    }
    assert (await slack.event(event)).status == 200
    [posted] = await slack.fake.wait_for("chat.postMessage")
    assert posted.params["thread_ts"] == "1700000000.000100"
    assert posted.params["channel"] == "C0GENERAL"
    assert "Website redesign" in all_text(posted.params)
    assert posted.token == "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


async def test_a_direct_message_is_a_question(slack: SlackHarness) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "UALICE",
        "text": "brownfield site register collection",
        "ts": "1700000001.000100",
        "channel": "D0ALICE",
    }
    await slack.event(event)
    [posted] = await slack.fake.wait_for("chat.postMessage")
    assert posted.params["channel"] == "D0ALICE" and "Brownfield sites" in all_text(posted.params)


async def settle(slack: SlackHarness) -> None:
    """Give background listeners time to do anything they were going to do."""
    await asyncio.sleep(0.5)


async def test_a_listened_channel_gets_one_threaded_answer_only_when_confident(
    slack: SlackHarness,
) -> None:
    def message(text: str, ts: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "channel_type": "channel",
            "user": "UALICE",
            "text": text,
            "ts": ts,
            "channel": "C0GENERAL",
            **extra,
        }

    # Worded so that search is sure of it: an unprompted reply needs a stricter bar than an
    # asked question (a borderline match is answered when asked, not volunteered).
    await slack.event(
        message("has anyone made a budget simulator for public consultation?", "1700000002.000100")
    )
    await settle(slack)
    assert slack.fake.calls_to("chat.postMessage") == []  # not listening yet
    slack.fake.channels["C0GENERAL"] = {"creator": "UALICE"}  # so Alice may turn it on
    _, rid = await slack.slash("/hasanyone", "listen on")
    await slack.responses(rid)
    await slack.event(
        message("has anyone made a budget simulator for public consultation?", "1700000003.000100")
    )
    [answer] = await slack.fake.wait_for("chat.postMessage")
    assert answer.params["thread_ts"] == "1700000003.000100" and "Budgetron" in all_text(
        answer.params
    )
    await slack.event(
        message(
            "has anyone made a budget simulator for public consultation please?",
            "1700000003.000200",
            thread_ts="1700000003.000100",
        )
    )
    await slack.event(
        message("has anyone built a cemetery burial plot search?", "1700000004.000100")
    )
    await slack.event(message("we shipped the budget game today", "1700000005.000100"))
    await slack.event(
        message(
            "has anyone made a budget simulator for public consultation?",
            "1700000006.000100",
            bot_id="B9",
        )
    )
    await settle(slack)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_the_same_event_delivered_three_times_is_handled_once(slack: SlackHarness) -> None:
    event = {
        "type": "app_mention",
        "user": "UALICE",
        "text": "<@UBOT> brownfield site register",
        "ts": "1700000007.000100",
        "channel": "C0GENERAL",
    }
    for attempt in range(3):
        response = await slack.event(event, event_id="EvSAME0001", headers=None)
        assert response.status == 200, attempt
    await slack.fake.wait_for("chat.postMessage")
    await settle(slack)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
    with Session(slack.app.engine) as s:
        assert len(s.exec(select(t.Question)).all()) == 1


async def test_a_forged_or_stale_request_is_refused_with_no_side_effect(
    slack: SlackHarness,
) -> None:
    body = "command=%2Fweeknote&text=pl-17%3A+forged&team_id=T0001&user_id=UEVE&channel_id=C1&response_url=x"
    forged = await slack.post(
        body,
        "application/x-www-form-urlencoded",
        headers=sign(body, secret="not-the-secret-at-all"),
    )
    stale = await slack.post(
        body,
        "application/x-www-form-urlencoded",
        headers=sign(body, timestamp=int(time.time()) - 600),
    )
    unsigned = await slack.post(body, "application/x-www-form-urlencoded", headers={})
    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    await settle(slack)
    assert slack.fake.calls == []
    assert slack.app.repo.weeknotes_of(f"slack:{TEAM}:UEVE") == []


async def test_a_rate_limited_post_is_retried_after_retry_after_and_delivered_once(
    slack: SlackHarness,
) -> None:
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
    event = {
        "type": "app_mention",
        "user": "UALICE",
        "text": "<@UBOT> brownfield site register",
        "ts": "1700000008.000100",
        "channel": "C0GENERAL",
    }
    await slack.event(event)
    calls = await slack.fake.wait_for("chat.postMessage", count=2, timeout=10)
    assert calls[1].at - calls[0].at >= 0.9
    await settle(slack)
    assert len(slack.fake.messages.get("C0GENERAL", [])) == 1


async def test_buttons_store_feedback_and_introduce_opens_a_group_dm(slack: SlackHarness) -> None:
    _, rid = await slack.slash(
        "/project", "stage pl-17 alpha", user="UOWNER"
    )  # claims nothing: ownerless
    await slack.responses(rid)
    with Session(slack.app.engine) as s:
        row = s.get_one(t.Project, "pl-17")
        row.owner_key = f"slack:{TEAM}:UOWNER"
        s.add(row)
        s.commit()
    _, rid = await slack.slash("/hasanyone", "has anyone made a game for budget consultations?")
    [answer] = await slack.responses(rid)
    actions = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"]

    def press(action: dict[str, Any], n: int) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": "UALICE", "username": "alice"},
            "api_app_id": "A0001",
            "trigger_id": "t",
            "channel": {"id": "C0GENERAL"},
            "container": {"type": "message", "channel_id": "C0GENERAL"},
            "response_url": slack.fake.response_url(f"b{n}"),
            "actions": [
                {
                    "action_id": action["action_id"],
                    "value": action["value"],
                    "type": "button",
                    "block_id": "b",
                    "action_ts": "1",
                }
            ],
        }

    await slack.interact(press(actions[0], 1))
    assert "glad" in all_text(await slack.responses("b1"))
    with Session(slack.app.engine) as s:
        votes = [(v.person_key, v.verdict) for v in s.exec(select(t.FeedbackVote))]
    assert votes == [(f"slack:{TEAM}:UALICE", "helpful")]
    await slack.interact(press(actions[2], 2))
    [opened] = await slack.fake.wait_for("conversations.open")
    assert set(opened.params["users"].split(",")) == {"UALICE", "UOWNER"}
    [intro] = await slack.fake.wait_for("chat.postMessage")
    assert "<@UALICE>" in intro.params["text"] and "<@UOWNER>" in intro.params["text"]
    assert "@" not in all_text(await slack.responses("b2")).replace("@U", "")


async def test_user_text_cannot_smuggle_mentions_or_links_into_messages(
    slack: SlackHarness,
) -> None:
    evil = "<!channel> <!here> <@U999> <#C999> <https://evil.example|click me> &lt;!everyone&gt;"
    _, rid = await slack.slash("/weeknote", f"pl-17: {evil}")
    await slack.responses(rid)
    _, rid = await slack.slash("/project", f"show {evil}")
    assert_no_smuggling(await slack.responses(rid))
    _, rid = await slack.slash("/hasanyone", evil)
    assert_no_smuggling(await slack.responses(rid))
    _, rid = await slack.slash("/hasanyone", "budgetron <!channel>")
    assert_no_smuggling(await slack.responses(rid))
    for call in slack.fake.calls:
        assert_no_smuggling(call.params)


async def test_a_40000_character_weeknote_is_stored_whole_and_the_reply_fits_slack(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17")
    text = ("We tested the Budgetron. " * 1700)[:40_000]
    _, rid = await slack.slash("/weeknote", f"pl-17: {text}")
    [reply] = await slack.responses(rid)
    assert "Posted your weeknote" in all_text(reply)
    assert slack.app.repo.weeknotes_of(f"slack:{TEAM}:UALICE")[0].text == text.strip()
    assert len(reply["blocks"]) <= 50


async def test_app_home_shows_my_projects_weeknotes_and_unanswered_questions(
    slack: SlackHarness,
) -> None:
    slack.own("pl-17")
    _, rid = await slack.slash("/hasanyone", "has anyone built a cemetery burial plot search?")
    await slack.responses(rid)
    _, posted = await slack.slash("/weeknote", "pl-17: home test")
    await slack.responses(posted)  # saved (the ack comes first, the work after it)
    await slack.event(
        {"type": "app_home_opened", "user": "UALICE", "channel": "D0ALICE", "tab": "home"}
    )
    [published] = await slack.fake.wait_for("views.publish")
    assert published.params["user_id"] == "UALICE"
    home = all_text(published.params["view"])
    assert "cemetery" in home and "home test" in home


async def test_a_slack_error_is_logged_and_the_user_is_not_shown_a_trace(
    slack: SlackHarness, caplog: Any
) -> None:
    slack.fake.fail_next("chat.postMessage", error="channel_not_found")
    await slack.event(
        {
            "type": "app_mention",
            "user": "UALICE",
            "text": "<@UBOT> brownfield",
            "ts": "1700000009.000100",
            "channel": "C0GONE",
        }
    )
    await slack.fake.wait_for("chat.postMessage")
    await settle(slack)
    assert "channel_not_found" in caplog.text


async def test_a_token_in_the_environment_raises_no_false_alarm_at_start(
    empty_app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt reads SLACK_BOT_TOKEN itself and would warn that our client's token wins; an admin
    reading the log at start must not be sent after a misconfiguration that is not there."""
    from adapters.settings import SlackSettings
    from adapters.slack.app import SlackBot

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level(logging.WARNING)

    SlackBot(
        settings=SlackSettings(bot_token="xoxb-from-the-environment", signing_secret="s" * 32),
        bot=empty_app.bot,
        clock=empty_app.clock,
        processed=empty_app.channels,
        outbox=empty_app.outbox,
        services=empty_app.services,
        register=empty_app.repo,
        subscriptions=empty_app.subscriptions,
        community_managers=frozenset(),
    )

    assert "will be unused" not in caplog.text
    logging.getLogger("slack_bolt").warning("any other warning still shows")
    assert "any other warning still shows" in caplog.text


async def test_render_prints_the_message_a_mention_is_answered_with(slack: SlackHarness) -> None:
    question = "has anyone made a game for budget consultations?"
    event = {
        "type": "app_mention",
        "user": "UALICE",
        "text": f"<@UBOT> {question}",
        "ts": "1700000000.000200",
        "channel": "C0GENERAL",
        "event_ts": "1700000000.000200",
    }
    await slack.event(event)
    [posted] = await slack.fake.wait_for("chat.postMessage")
    blocks = posted.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    env = {**os.environ, "DATABASE_URL": slack.app.settings.database_url}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "adapters", "render", "--platform", "slack", question],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rendered = json.loads(done.stdout)

    def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        # (block, action_id, what the button is about): the question's id is the one difference
        return [
            (b["block_id"], e["action_id"], e["value"].partition(":")[2])
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
        ]

    assert [b["type"] for b in rendered["blocks"]] == [b["type"] for b in blocks]
    assert buttons(rendered["blocks"]) == buttons(blocks)
    assert [a for _, a, _ in buttons(blocks)] == ["helpful", "not_what_i_meant", "introduce"]
    assert rendered["text"] == posted.params["text"]
    with Session(slack.app.engine) as s:
        assert len(s.exec(select(t.Question)).all()) == 1  # the mention's; render logs none


async def test_the_bot_formats_its_own_code_and_escapes_only_what_people_typed(
    slack: SlackHarness,
) -> None:
    """Issue 13 item 12, as Slack gets it: the bot's own `digest preview` is code, while
    backticks a person typed are shown, never obeyed (ˋ, the look-alike Slack does not parse)."""
    _, rid = await slack.slash("/digest", "")
    usage = all_text((await slack.responses(rid))[0])
    assert "`digest preview`" in usage and "ˋ" not in usage, usage
    _, rid = await slack.slash("/project", "show `nope`")
    refused = all_text((await slack.responses(rid))[0])
    assert "ˋnopeˋ" in refused and "`nope`" not in refused, refused
