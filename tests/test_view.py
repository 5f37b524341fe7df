"""The presentation decided once in the core (issue 12): the answer view, and button values
encoded and decoded in one place, so what a button carries comes back as the core gave it on
every platform."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.slack.blocks import pressed, to_message
from adapters.slack.incoming import action_to_incoming
from adapters.teams.cards import to_activity
from adapters.teams.incoming import message_to_incoming
from bot.commands.ask import answer_reply
from bot.digest import compose_digest
from bot.model import Action, ActionPayload, Finding, Reply, ResultCard
from bot.view import (
    CLOSEST_HEADING,
    AnswerRef,
    AnswerView,
    CardView,
    DigestView,
    ListSection,
    NoticeView,
    question_of,
    shown_actions,
    view_of,
)
from tests.digests import huge_digest_activity

NOW = datetime(2025, 3, 3, 9, tzinfo=UTC)
CARD = ResultCard("project", "bulky-waste", "Bulky  waste", "Hackney", "beta", None, 1.0, "", "")


@pytest.mark.parametrize(
    "ref",
    [
        AnswerRef(7, "project", "bulky-waste"),
        AnswerRef(12, "weeknote", "w:with:colons"),
    ],
)
def test_an_answer_ref_survives_its_button(ref: AnswerRef) -> None:
    assert AnswerRef.decode(ref.encode()) == ref
    assert question_of(ref.encode()) == ref.question_id


@pytest.mark.parametrize("value", ["", "7", "7:project:", "x:project:p", "7:team:p", "7::p"])
def test_anything_else_is_not_an_answer_ref(value: str) -> None:
    assert AnswerRef.decode(value) is None


def test_a_card_view_decides_the_fallbacks_once() -> None:
    view = CardView.of(CARD)
    assert (view.title, view.meta, view.contact_line, view.also_in) == (
        "Bulky waste",
        "Hackney · beta · last activity unknown",
        "Contact: not given",
        "",
    )


def test_near_misses_get_the_closest_heading_and_nothing_found_gets_none() -> None:
    near = answer_reply(Finding("x", confident=False, results=(CARD,)), question_id=1)
    none = answer_reply(Finding("x", confident=False, results=()), question_id=1)
    assert near.answer is not None and near.answer.heading == CLOSEST_HEADING
    assert none.answer == AnswerView("nothing", none.text)


def test_buttons_keep_the_first_of_a_name_that_fits() -> None:
    actions = [Action("A", "a", "x" * 9), Action("B", "a", "1"), Action("C", "", "2")]
    assert shown_actions(actions, fits=lambda a: len(a.value) < 5) == [actions[1]]


ACTIONS = (
    Action("Helpful", "helpful", AnswerRef(7, "weeknote", "w-1").encode(), style="primary"),
    Action("Forget me", "forget", "slack:T1:U1", style="danger", settles=True),
    Action("Keep me", "cancel", "", settles=True),
)


def test_what_a_slack_button_carries_comes_back_as_the_core_gave_it() -> None:
    message = to_message(Reply(text="Choose", actions=ACTIONS))
    elements = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    body = {"team": {"id": "T1"}, "user": {"id": "U1"}, "channel": {"id": "C1"}}
    back = [action_to_incoming({**body, "actions": [e]}, now=NOW).action for e in elements]
    assert back == [pressed(e) for e in elements]
    assert back == [ActionPayload(a.name, a.value) for a in ACTIONS]


def test_what_a_teams_button_carries_comes_back_as_the_core_gave_it() -> None:
    card = to_activity(Reply(text="Choose", actions=ACTIONS))["attachments"][0]["content"]
    activity = {
        "type": "message",
        "from": {"id": "29:1", "aadObjectId": "aad-1"},
        "conversation": {"id": "a:1", "tenantId": "t-1"},
        "recipient": {"id": "28:bot"},
        "channelId": "msteams",
    }
    back = [
        message_to_incoming({**activity, "value": b["data"]}, now=NOW).action
        for b in card["actions"]
    ]
    assert back == [ActionPayload(a.name, a.value) for a in ACTIONS]


def test_each_reply_gets_one_layout_decided_in_the_core() -> None:
    digest = compose_digest(huge_digest_activity())
    assert isinstance(view_of(digest), DigestView)
    answer = answer_reply(Finding("bins", True, (CARD,)), question_id=1)
    assert isinstance(view_of(answer), AnswerView)
    nothing = answer_reply(Finding("bins", False, ()), question_id=1)
    assert isinstance(view_of(nothing), NoticeView)  # an answer with no cards is a notice


def test_a_notice_keeps_its_title_and_shows_every_field() -> None:
    notice = view_of(
        Reply(text="The Budgetron helps councils", title="The Budgetron", fields=(("Stage", " "),))
    )
    assert isinstance(notice, NoticeView)
    assert notice.title == "The Budgetron"  # a text that opens with the same words keeps it
    assert notice.fields == (("Stage", "—"),)


def test_an_answers_plain_text_is_its_view_line_by_line() -> None:
    reply = answer_reply(Finding("bins", True, (CARD,)), question_id=1)
    assert reply.answer is not None
    assert reply.text.splitlines() == list(reply.answer.lines())
    assert reply.text.splitlines()[1] == "• Bulky waste — Hackney · beta · last activity unknown"


def test_a_list_section_counts_what_it_leaves_out() -> None:
    section = ListSection.first("Your projects", ["a", " ", "b", "c"], limit=2)
    assert section.items == ("a", "b") and section.more == 1
    assert section.lines() == ("Your projects", "• a", "• b", "…and 1 more")
    assert ListSection.first("Empty", [], limit=2, empty="None yet.").lines() == (
        "Empty",
        "None yet.",
    )
