"""Teams through the real /api/messages endpoint, replies going to a fake Bot Connector."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlmodel import Session, select

from adapters.app import App
from adapters.bootstrap import build_app
from bot.clock import FixedClock
from bot.model import Reply
from knowledge import tables as t
from tests.fakes.bot_connector import TEAM_ID, teams_member
from tests.teams.conftest import (
    APP_ID,
    TENANT,
    TeamsHarness,
    new_conversation,
    running_teams,
    start,
    stop,
)

FORBIDDEN = ("](https://evil", "<at>", "**boom**")


def card_text(activity: dict[str, Any] | None) -> str:
    assert activity is not None, "the call carried no activity"
    return json.dumps(activity, ensure_ascii=False)


async def settle() -> None:
    await asyncio.sleep(0.5)


async def test_a_question_in_personal_chat_gets_an_answer_card(teams: TeamsHarness) -> None:
    response = await teams.send(teams.activity("has anyone made a game for budget consultations?"))
    assert response.status in (200, 201)
    [reply] = await teams.replies(1)
    assert reply.conversation_id == "a:personal-alice"
    assert "The Budgetron" in card_text(reply.activity)
    assert reply.activity is not None
    attachment = reply.activity["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert reply.token, "replies must carry the bot's token when auth is on"


async def test_a_channel_mention_is_answered_with_the_mention_stripped(teams: TeamsHarness) -> None:
    channel = new_conversation()
    text = "<at>hasanyone</at> brownfield site register collection"
    await teams.send(teams.activity(text, conversation=channel, kind="channel"))
    [reply] = await teams.replies(1)
    assert reply.conversation_id == channel
    assert "Brownfield sites" in card_text(reply.activity)


async def test_hasanyone_help_lists_the_commands(teams: TeamsHarness) -> None:
    await teams.send(teams.activity("hasanyone help"))
    [reply] = await teams.replies(1)
    assert "weeknote" in card_text(reply.activity) and "digest" in card_text(reply.activity)


def form_of(activity: dict[str, Any] | None) -> dict[str, Any]:
    assert activity is not None, "the call carried no activity"
    content: dict[str, Any] = activity["attachments"][0]["content"]
    return content


async def test_weeknote_form_submit_shows_field_errors_then_posts(teams: TeamsHarness) -> None:
    teams.own("pl-17")
    await teams.send(teams.activity("weeknote"))
    [opened] = await teams.replies(1)
    assert "Input.Text" in card_text(opened.activity) and "Input.ChoiceSet" in card_text(
        opened.activity
    )
    submit = {
        "form": "weeknote",
        "project": "",
        "week": "2025-03-10",
        "text": "Ran a show and tell",
    }
    await teams.send(teams.activity(value=submit))
    calls = await teams.replies(2)
    again = card_text(calls[1].activity)
    assert "Choose the project" in again and "Ran a show and tell" in again
    await teams.send(teams.activity(value={**submit, "project": "pl-17"}))
    calls = await teams.replies(3)
    assert "Posted your weeknote for The Budgetron" in card_text(calls[2].activity)
    notes = teams.app.repo.weeknotes_of(f"teams:{TENANT}:aad-alice")
    assert [n.text for n in notes] == ["Ran a show and tell"]


async def test_feedback_buttons_are_stored(teams: TeamsHarness) -> None:
    await teams.send(teams.activity("has anyone made a game for budget consultations?"))
    [answer] = await teams.replies(1)
    actions = form_of(answer.activity)["actions"]
    helpful = next(a for a in actions if a["data"]["action"] == "helpful")
    await teams.send(teams.activity(value=helpful["data"]))
    calls = await teams.replies(2)
    assert "glad" in card_text(calls[1].activity)
    with Session(teams.app.engine) as s:
        votes = [(v.person_key, v.verdict) for v in s.exec(select(t.FeedbackVote))]
    assert votes == [(f"teams:{TENANT}:aad-alice", "helpful")]


async def test_an_invoke_with_a_body_answers_200_with_the_body(teams: TeamsHarness) -> None:
    invoke = teams.activity(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "helpful", "data": {}}},
    )
    response = await teams.send(invoke)
    assert response.status == 200
    body = json.loads(await response.text())
    assert body["statusCode"] == 200 and "type" in body


async def test_bad_tokens_get_401_and_nothing_happens(teams: TeamsHarness) -> None:
    assert teams.identity is not None
    service = teams.connector.service_url
    cases = {
        "missing": None,
        "forged": teams.identity.bearer(APP_ID, service, key="forged"),
        "expired": teams.identity.bearer(APP_ID, service, expired=True),
        "wrong audience": teams.identity.bearer(APP_ID, service, audience="someone-else"),
        "not bearer": "Basic dXNlcjpwYXNz",
    }
    for case, header in cases.items():
        response = await teams.send(teams.activity(f"weeknote pl-17: {case}"), token=header)
        assert response.status == 401, case
    await settle()
    assert teams.connector.calls == []
    assert teams.app.repo.weeknotes_of(f"teams:{TENANT}:aad-alice") == []
    with Session(teams.app.engine) as s:
        assert s.exec(select(t.ConversationReference)).all() == []


async def test_a_valid_token_is_accepted(teams: TeamsHarness) -> None:
    teams.own("pl-17")
    response = await teams.send(teams.activity("weeknote pl-17: with a good token"))
    assert response.status in (200, 201)
    await teams.replies(1)
    assert teams.app.repo.weeknotes_of(f"teams:{TENANT}:aad-alice")[0].text == "with a good token"


async def test_a_rate_limited_reply_is_retried_and_delivered_once(teams: TeamsHarness) -> None:
    teams.connector.fail_next(429, retry_after=1, times=1)
    await teams.send(teams.activity("brownfield site register collection"))
    [delivered] = await teams.replies(1, timeout=10)
    attempts = [c for c in teams.connector.calls if c.kind in ("send", "reply")]
    assert len(attempts) == 2 and attempts[1].at - attempts[0].at >= 0.9
    await settle()
    assert len(teams.connector.activities) == 1
    assert "Brownfield" in card_text(delivered.activity)


async def test_a_503_is_retried_with_backoff(teams: TeamsHarness) -> None:
    teams.connector.fail_next(503, times=2)
    await teams.send(teams.activity("brownfield site register collection"))
    await teams.replies(1, timeout=10)
    await settle()
    assert len(teams.connector.activities) == 1


async def test_proactive_post_to_a_stored_conversation_after_a_restart(teams: TeamsHarness) -> None:
    channel = new_conversation()
    update = teams.activity(
        conversation=channel,
        kind="channel",
        type="conversationUpdate",
        membersAdded=[{"id": f"28:{APP_ID}"}],
    )
    update.pop("text")
    assert (await teams.send(update)).status in (200, 201)
    await settle()
    teams.connector.calls.clear()
    await stop(teams)
    restarted_app = build_app(teams.app.settings, clock=teams.app.clock)
    from tests.fakes.identity import LoopbackAadCredentialFactory
    from tests.teams.conftest import APP_PASSWORD

    again = await start(
        restarted_app,
        teams.connector,
        teams.identity,
        LoopbackAadCredentialFactory(APP_ID, APP_PASSWORD),
    )
    try:
        await again.endpoint.post(
            channel, Reply(text="This week's digest", title="hasanyone digest")
        )
        [posted] = await again.replies(1)
        assert posted.conversation_id == channel and "This week" in card_text(posted.activity)
        assert posted.token
    finally:
        await stop(again)
        restarted_app.engine.dispose()
        teams.http = again.http  # the fixture closes this one again, harmlessly


async def test_removing_the_app_stops_proactive_posts(teams: TeamsHarness) -> None:
    channel = new_conversation()
    await teams.send(
        teams.activity("<at>hasanyone</at> help", conversation=channel, kind="channel")
    )
    await teams.replies(1)
    removed = teams.activity(
        conversation=channel, kind="channel", type="installationUpdate", action="remove"
    )
    removed.pop("text")
    await teams.send(removed)
    await settle()
    from adapters.teams.bot import ConversationGone

    try:
        await teams.endpoint.post(channel, Reply(text="digest"))
    except ConversationGone:
        pass
    else:
        raise AssertionError("posted to a conversation the app was removed from")
    assert len(teams.connector.activities) == 1


async def test_a_conversation_teams_says_is_gone_is_forgotten(teams: TeamsHarness) -> None:
    channel = new_conversation()
    await teams.send(
        teams.activity("<at>hasanyone</at> help", conversation=channel, kind="channel")
    )
    await teams.replies(1)
    teams.connector.conversations_gone.add(channel)
    from adapters.teams.bot import ConversationGone

    raised = False
    try:
        await teams.endpoint.post(channel, Reply(text="digest"))
    except ConversationGone:
        raised = True
    assert raised
    assert teams.endpoint.conversations.reference("teams", channel) is None


async def test_card_markdown_injection_is_inert(teams: TeamsHarness) -> None:
    evil = "[click](https://evil.example) <at>Everyone</at> **boom**"
    await teams.send(teams.activity(f"weeknote pl-17: {evil}"))
    await teams.send(teams.activity(f"project show {evil}"))
    await teams.send(teams.activity(f"has anyone {evil}"))
    calls = await teams.replies(3)
    for call in calls:
        # The card is rendered as markdown; `summary` is a plain-text notification preview.
        assert call.activity is not None
        text = card_text(call.activity["attachments"])
        for bad in FORBIDDEN:
            assert bad not in text, f"{bad!r} reached Teams: {text[:400]}"


async def test_a_40000_character_weeknote_is_stored_whole(teams: TeamsHarness) -> None:
    teams.own("pl-17")
    text = ("We tested the Budgetron. " * 1700)[:40_000].strip()
    await teams.send(teams.activity(f"weeknote pl-17: {text}"))
    [reply] = await teams.replies(1)
    assert "Posted your weeknote" in card_text(reply.activity)
    assert teams.app.repo.weeknotes_of(f"teams:{TENANT}:aad-alice")[0].text == text
    assert len(card_text(reply.activity).encode()) < 28_000


async def test_local_mode_needs_no_token_and_sends_none(local_teams: TeamsHarness) -> None:
    response = await local_teams.send(local_teams.activity("hasanyone help"), token=None)
    assert response.status in (200, 201)
    [reply] = await local_teams.replies(1)
    assert reply.token is None


REFUSAL = "Only this channel"


def in_team_channel(teams: TeamsHarness, text: str, channel: str, user: str) -> dict[str, Any]:
    """A channel @mention as Teams sends it: channelData names the team and the channel."""
    channel_data = {"tenant": {"id": TENANT}, "team": {"id": TEAM_ID}, "channel": {"id": channel}}
    return teams.activity(
        f"<at>hasanyone</at> {text}",
        conversation=channel,
        kind="channel",
        user=user,
        channelData=channel_data,
    )


def on_roster(teams: TeamsHarness, channel: str, user: str, role: str) -> None:
    """The team's roster (a channel has none of its own: owners are the team's)."""
    teams.connector.members[TEAM_ID] = [
        teams_member("Alex Smith", member_id="29:alex", aad_object_id="aad-alex"),
        teams_member(
            user.removeprefix("aad-").title(),
            member_id=f"29:{user}",
            aad_object_id=user,
            user_role=role,
            tenant_id=TENANT,
        ),
    ]


def digest_rows(teams: TeamsHarness, channel: str) -> list[tuple[Any, ...]]:
    with Session(teams.app.engine) as s:
        rows = s.exec(
            select(t.DigestSubscription).where(t.DigestSubscription.channel_id == channel)
        ).all()
        return [(r.platform, r.day, r.time, r.active, r.created_by) for r in rows]


def member_look_ups(teams: TeamsHarness) -> list[tuple[str | None, str | None]]:
    return [(c.conversation_id, c.member_id) for c in teams.connector.calls if c.kind == "member"]


async def test_a_team_member_may_not_change_the_channels_digest(teams: TeamsHarness) -> None:
    channel = new_conversation()
    on_roster(teams, channel, "aad-alice", "user")
    await teams.send(in_team_channel(teams, "digest on", channel, "aad-alice"))
    [reply] = await teams.replies(1)
    assert REFUSAL in card_text(reply.activity)
    assert digest_rows(teams, channel) == []
    assert member_look_ups(teams) == [(TEAM_ID, "29:aad-alice")]


async def test_a_team_owner_may_change_the_channels_digest(teams: TeamsHarness) -> None:
    channel = new_conversation()
    on_roster(teams, channel, "aad-olive", "owner")
    await teams.send(in_team_channel(teams, "digest time tue 10:30", channel, "aad-olive"))
    [reply] = await teams.replies(1)
    assert "every Tue at 10:30" in card_text(reply.activity)
    assert digest_rows(teams, channel) == [
        ("teams", "tue", "10:30", True, f"teams:{TENANT}:aad-olive")
    ]
    assert member_look_ups(teams) == [(TEAM_ID, "29:aad-olive")]


async def test_a_community_manager_may_change_any_channels_digest(
    demo_app: App, database_url: str, clock: FixedClock
) -> None:
    demo_app.engine.dispose()
    manager = f"teams:{TENANT}:aad-carol"
    channel, chat = new_conversation(), new_conversation()
    async with running_teams(database_url, clock, community_managers=[manager]) as teams:
        on_roster(teams, channel, "aad-carol", "user")
        await teams.send(in_team_channel(teams, "digest on", channel, "aad-carol"))
        await teams.send(
            teams.activity("digest on", conversation=chat, kind="groupChat", user="aad-carol")
        )
        replies = await teams.replies(2)
        assert all("every Mon at 09:00" in card_text(r.activity) for r in replies)
        assert digest_rows(teams, channel) == [("teams", "mon", "09:00", True, manager)]
        assert digest_rows(teams, chat) == [("teams", "mon", "09:00", True, manager)]
        assert member_look_ups(teams) == []


async def test_in_a_group_chat_only_a_community_manager_may(teams: TeamsHarness) -> None:
    chat = new_conversation()
    teams.connector.members[chat] = [
        teams_member("Alice", member_id="29:aad-alice", user_role="owner")
    ]
    await teams.send(teams.activity("digest on", conversation=chat, kind="groupChat"))
    [reply] = await teams.replies(1)
    assert REFUSAL in card_text(reply.activity)
    assert "group chat has no owners" in card_text(reply.activity)
    assert digest_rows(teams, chat) == []
    assert member_look_ups(teams) == []


async def test_a_failed_roster_look_up_refuses_without_a_crash(teams: TeamsHarness) -> None:
    channel = new_conversation()
    on_roster(teams, channel, "aad-olive", "owner")
    teams.connector.fail_next(403, kinds={"member"})
    await teams.send(in_team_channel(teams, "digest on", channel, "aad-olive"))
    [reply] = await teams.replies(1)
    assert REFUSAL in card_text(reply.activity)
    assert digest_rows(teams, channel) == []
    await teams.send(in_team_channel(teams, "digest on", channel, "aad-olive"))
    replies = await teams.replies(2)
    assert "every Mon at 09:00" in card_text(replies[1].activity)


async def test_only_digest_changes_look_the_sender_up(teams: TeamsHarness) -> None:
    channel = new_conversation()
    for text in ("digest preview", "digest", "help", "brownfield site register"):
        await teams.send(in_team_channel(teams, text, channel, "aad-alice"))
    await teams.send(teams.activity("digest on"))  # a personal chat: not for a digest at all
    replies = await teams.replies(5)
    assert "for channels" in card_text(replies[-1].activity)
    assert member_look_ups(teams) == []


async def test_the_timezone_teams_reports_is_kept_for_friday_reminders(
    teams: TeamsHarness,
) -> None:
    from knowledge.reminders import ReminderStore

    response = await teams.send(teams.activity("help", localTimezone="America/Toronto"))
    assert response.status in (200, 201)
    await teams.replies(1)
    key = f"teams:{TENANT}:aad-alice"
    assert ReminderStore(teams.app.engine).timezones([key]) == {key: "America/Toronto"}
