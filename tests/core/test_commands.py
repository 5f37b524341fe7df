"""The core on its own: commands, routing, forms and bad input, with recording fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.commands import COMMANDS
from bot.commands.digest import changes_the_digest
from bot.dispatch import Bot
from bot.model import (
    CHANNEL_ADMIN,
    ActionPayload,
    ConversationRef,
    DigestFilter,
    Finding,
    Incoming,
    Person,
    Reply,
    ResultCard,
    Subscription,
)
from bot.text import plain
from tests.fakes.register import FakeFinder, FakeRegister, a_project, services

ALICE = Person("console:alice", "Alice")
BOB = Person("console:bob", "Bob")
HERE = ConversationRef(platform="console", channel_id="terminal", is_direct=True)
CLOCK = FixedClock(datetime(2025, 3, 12, 10, 30, tzinfo=ZoneInfo("Europe/London")))
MONDAY = date(2025, 3, 10)


@pytest.fixture
def register() -> FakeRegister:
    register = FakeRegister()
    register.state.projects["bulky-waste"] = a_project()
    return register


@pytest.fixture
def finder() -> FakeFinder:
    card = ResultCard(
        kind="project",
        id="bulky-waste",
        title="Bulky waste booking",
        organisation="Hackney",
        stage="beta",
        updated=date(2025, 1, 10),
        score=0.8,
        snippet="Book a bulky waste collection",
        contact="#bulky-waste",
    )
    near = ResultCard(
        kind="project",
        id="parking-permits",
        title="Parking permits",
        organisation="Camden",
        stage="alpha",
        updated=date(2025, 1, 10),
        score=0.5,
        snippet="Residents' parking permits online",
        contact="#parking",
    )
    return FakeFinder(
        {
            "bulky waste booking": Finding("bulky waste booking", True, (card,), sure=True),
            # good enough for someone who asked, not for a reply nobody asked for
            "parking permit renewals": Finding("parking permit renewals", True, (near,)),
        }
    )


@pytest.fixture
def bot(register: FakeRegister, finder: FakeFinder) -> Bot:
    return Bot(services(register, finder, CLOCK))


def say(
    bot: Bot, text: str, *, who: Person = ALICE, command: str | None = None, **extra: Any
) -> Reply:
    reply = bot.handle(
        Incoming(
            text=text,
            sender=who,
            conversation=HERE,
            received_at=CLOCK.now(),
            command=command,
            **extra,  # more Incoming fields
        )
    )
    assert reply.text.strip(), f"the bot said nothing to {text!r}"
    return replace(reply, text=plain(reply.text))  # as the terminal shows it


@pytest.mark.parametrize(
    ("text", "command", "expected"),
    [
        ("help", None, "help"),
        ("help weeknote", None, "help"),
        ("help me find a bins app", None, "ask"),
        ("weeknote list", None, "weeknote"),
        ("weeknote bulky-waste: we shipped", None, "weeknote"),
        ("weeknote tools for councils?", None, "ask"),
        ("project show bulky-waste", None, "project"),
        ("project management tools anyone?", None, "ask"),
        ("digest preview", None, "digest"),
        ("has anyone built a bins app?", None, "ask"),
        ("ask project show x", None, "ask"),
        ("bulky waste", "hasanyone", "ask"),
        ("help", "hasanyone", "help"),
        ("bulky-waste: shipped", "/weeknote", "weeknote"),
        ("", "/weeknote", "weeknote"),
    ],
)
def test_routes_each_message_to_the_right_command(
    bot: Bot, text: str, command: str | None, expected: str
) -> None:
    assert bot.route_text(command, text)[0] == expected


def test_help_lists_every_command_in_the_table(bot: Bot) -> None:
    reply = say(bot, "help")
    for command in COMMANDS:
        assert command.name in reply.text
        assert command.usage[0].split("(")[0].strip() in reply.text


def test_a_confident_answer_shows_results_and_buttons_and_is_logged(
    bot: Bot, register: FakeRegister
) -> None:
    reply = say(bot, "bulky waste booking")
    assert reply.tone == "answer"
    assert reply.answer is not None
    assert [c.id for c in reply.answer.cards] == ["bulky-waste"]
    assert [a.name for a in reply.actions] == ["helpful", "not_what_i_meant", "introduce"]
    assert register.state.questions[0].text == "bulky waste booking"
    assert "#bulky-waste" in reply.text


def test_nothing_found_says_so_and_logs_the_question(bot: Bot, register: FakeRegister) -> None:
    reply = say(bot, "has anyone built a cemetery plot finder?")
    assert reply.tone == "nothing"
    assert "Nobody has registered" in reply.text
    assert register.state.questions[0].finding.confident is False


@pytest.mark.parametrize("text", ["ask", "ask    ", "ask \n\t"])
def test_an_empty_question_gets_a_usage_example(bot: Bot, text: str) -> None:
    reply = say(bot, text)
    assert reply.tone == "error"
    assert "ask has anyone" in reply.usage


def test_feedback_buttons_are_stored_with_the_question(bot: Bot, register: FakeRegister) -> None:
    answer = say(bot, "bulky waste booking")
    helpful = answer.actions[0]
    reply = say(bot, "", action=ActionPayload(helpful.name, helpful.value))
    assert register.questions.feedback == [(1, "helpful")]
    assert "glad" in reply.text


def test_an_expired_feedback_button_is_explained(bot: Bot, register: FakeRegister) -> None:
    reply = say(bot, "", action=ActionPayload("helpful", "99:project:x"))
    assert reply.tone == "error"
    assert register.questions.feedback == []


def test_introduce_me_gives_the_contact_route(bot: Bot) -> None:
    answer = say(bot, "bulky waste booking")
    reply = say(bot, "", action=ActionPayload("introduce", answer.actions[2].value))
    assert "#bulky-waste" in reply.text


def test_weeknote_inline_posts_for_this_week(bot: Bot, register: FakeRegister) -> None:
    reply = say(bot, "weeknote bulky-waste: We ran 5 user research sessions.")
    assert reply.tone == "done"
    note = register.state.weeknotes["bulky-waste-2025-03-10"]
    assert note.week == MONDAY
    assert note.text == "We ran 5 user research sessions."
    assert note.author_key == ALICE.key


def test_weeknote_without_a_project_uses_your_only_project(
    bot: Bot, register: FakeRegister
) -> None:
    say(bot, "weeknote add Tested the booking form with residents")
    assert (
        register.state.weeknotes["bulky-waste-2025-03-10"].text
        == "Tested the booking form with residents"
    )


def test_weeknote_without_a_project_asks_which_and_keeps_the_text(
    bot: Bot, register: FakeRegister
) -> None:
    reply = say(bot, "Tested the booking form", who=BOB, command="weeknote")
    assert reply.tone == "error"
    assert "Tested the booking form" in "\n".join(reply.extra_lines)
    assert register.state.weeknotes == {}


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("weeknote nope: some text", "no project with the id “nope”"),
        ("weeknote bulky-waste:   ", "empty"),
        ("weeknote edit", "which weeknote"),
        ("weeknote edit missing: new text", "no weeknote"),
        ("weeknote delete", "Which weeknote"),
        ("weeknote delete missing", "no weeknote"),
        ("project", "What about projects"),
        ("project frobnicate", "project frobnicate"),
        ("project show", "Which project"),
        ("project show nope", "no project"),
        ("project stage bulky-waste", "new stage"),
        ("project stage bulky-waste gamma", "not a stage"),
        ("project stage nope beta", "no project"),
        ("digest", "What about the digest"),
        ("digest frobnicate", "digest frobnicate"),
    ],
)
def test_bad_input_gets_a_specific_message(bot: Bot, text: str, complaint: str) -> None:
    command, _, rest = text.partition(" ")
    reply = say(bot, rest, command=command)
    assert reply.tone == "error"
    assert complaint.lower() in (reply.text + reply.usage).lower()


def test_a_too_long_weeknote_is_refused_and_handed_back(bot: Bot, register: FakeRegister) -> None:
    text = "x" * 100_001
    reply = say(bot, f"weeknote bulky-waste: {text}")
    assert "limit" in reply.text
    assert text in reply.extra_lines[0]
    assert register.state.weeknotes == {}


def test_a_failed_save_says_so_and_keeps_the_text(bot: Bot, register: FakeRegister) -> None:
    register.weeknotes.fail_writes = True
    reply = say(bot, "weeknote bulky-waste: Important notes")
    assert "couldn't save" in reply.text
    assert "Important notes" in reply.extra_lines[0]


def test_only_the_author_may_edit_or_delete_a_weeknote(bot: Bot, register: FakeRegister) -> None:
    say(bot, "weeknote bulky-waste: first")
    assert "only edit" in say(bot, "weeknote edit bulky-waste-2025-03-10: hacked", who=BOB).text
    assert "only delete" in say(bot, "weeknote delete bulky-waste-2025-03-10", who=BOB).text
    assert register.state.weeknotes["bulky-waste-2025-03-10"].text == "first"
    say(bot, "weeknote edit bulky-waste-2025-03-10: second")
    assert register.state.weeknotes["bulky-waste-2025-03-10"].text == "second"
    say(bot, "weeknote delete bulky-waste-2025-03-10")
    assert register.state.weeknotes == {}


def test_weeknote_with_no_text_opens_the_form(bot: Bot) -> None:
    reply = say(bot, "", command="weeknote")
    assert reply.form is not None
    assert [f.name for f in reply.form.fields] == ["project", "week", "text", "visibility"]
    assert reply.form.fields[1].value == MONDAY.isoformat()


def test_weeknote_form_errors_keep_what_was_typed(bot: Bot, register: FakeRegister) -> None:
    values = {"project": "", "week": "next tuesday", "text": "Lots happened"}
    reply = say(bot, "", form_id="weeknote", form=values)
    assert reply.form is not None and reply.form.has_errors
    by_name = {f.name: f for f in reply.form.fields}
    assert by_name["project"].error and by_name["week"].error and not by_name["text"].error
    assert by_name["text"].value == "Lots happened"
    fixed = say(
        bot, "", form_id="weeknote", form={**values, "project": "bulky-waste", "week": "2025-03-13"}
    )
    assert fixed.tone == "done"
    assert register.state.weeknotes["bulky-waste-2025-03-10"].text == "Lots happened"


def test_project_add_by_lines_registers_and_mine_lists_it(bot: Bot, register: FakeRegister) -> None:
    text = (
        "project add\ntitle: Pest control booking\norganisation: Leeds\nstage: alpha\n"
        "description: Book pest control\nonline, pay by card\ncontact: #pests"
    )
    reply = say(bot, text, who=BOB)
    assert reply.tone == "done"
    assert (
        register.state.projects["pest-control-booking"].description
        == "Book pest control\nonline, pay by card"
    )
    assert "pest-control-booking" in say(bot, "project mine", who=BOB).text


def test_project_add_with_missing_fields_returns_the_form_with_errors(
    bot: Bot, register: FakeRegister
) -> None:
    reply = say(bot, "project add Pest control booking")
    assert reply.form is not None
    errors = {f.name for f in reply.form.fields if f.error}
    assert errors == {"organisation", "description", "contact"}
    assert reply.form.fields[0].value == "Pest control booking"
    assert "pest-control-booking" not in register.state.projects


def test_project_add_rejects_a_bad_web_address(bot: Bot) -> None:
    values = {
        "title": "T",
        "organisation": "Leeds",
        "description": "d",
        "contact": "c",
        "url": "javascript:x",
    }
    reply = say(bot, "", form_id="project", form=values)
    assert reply.form is not None
    assert [f.name for f in reply.form.fields if f.error] == ["url"]


def test_stage_changes_are_for_the_owner(bot: Bot, register: FakeRegister) -> None:
    register.people.seen(ALICE, HERE, now=CLOCK.now())
    refused = say(bot, "project stage bulky-waste live", who=BOB)
    assert refused.tone == "error" and "It belongs to Alice" in refused.text
    assert register.state.projects["bulky-waste"].stage.value == "beta"
    assert say(bot, "project stage bulky-waste live").tone == "done"
    assert register.state.projects["bulky-waste"].stage.value == "live"


def test_a_crash_inside_a_command_is_an_apology_not_a_stack_trace(register: FakeRegister) -> None:
    class Broken(FakeFinder):
        def find(self, question: str, *, limit: int = 5) -> Finding:
            raise RuntimeError("boom")

    reply = say(Bot(services(register, Broken(), CLOCK)), "anything at all")
    assert reply.tone == "error"
    assert "boom" not in reply.text
    assert "anything at all" in reply.extra_lines[0]


CHANNEL = ConversationRef(platform="slack", channel_id="C1", workspace_id="T1")


def in_channel(bot: Bot, text: str, command: str, *, roles: frozenset[str] = frozenset()) -> Reply:
    reply = bot.handle(
        Incoming(
            text=text,
            sender=ALICE,
            conversation=CHANNEL,
            received_at=CLOCK.now(),
            command=command,
            roles=roles,
        )
    )
    assert reply.text.strip()
    return replace(reply, text=plain(reply.text))  # as the terminal shows it


ADMIN = frozenset({CHANNEL_ADMIN})


def digest_here(register: FakeRegister) -> Subscription:
    sub = register.subscriptions.subscription(CHANNEL)
    assert sub is not None, "the channel has no digest"
    return sub


def test_listen_turns_plain_question_answering_on_and_off(bot: Bot, register: FakeRegister) -> None:
    assert in_channel(bot, "listen on", "hasanyone", roles=ADMIN).tone == "done"
    assert register.channels.listening == {("slack", "T1", "C1")}
    in_channel(bot, "listen off", "hasanyone", roles=ADMIN)
    assert register.channels.listening == set()
    assert bot.route_text("hasanyone", "listen maybe")[0] == "ask"


def test_listen_is_refused_in_a_direct_message(bot: Bot, register: FakeRegister) -> None:
    assert say(bot, "on", command="listen").tone == "error"
    assert register.channels.listening == set()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("time mon 09:00", ("mon", "09:00", "Europe/London")),
        ("time Friday 7:30", ("fri", "07:30", "Europe/London")),
        ("time wed 16:45 Europe/Dublin", ("wed", "16:45", "Europe/Dublin")),
    ],
)
def test_digest_time_sets_the_schedule(
    bot: Bot, register: FakeRegister, args: str, expected: tuple[str, str, str]
) -> None:
    assert in_channel(bot, args, "digest", roles=ADMIN).tone == "done"
    sub = register.subscriptions.subscription(CHANNEL)
    assert sub is not None
    assert (sub.day, sub.time, sub.timezone) == expected


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("time", "day and a time"),
        ("time someday 09:00", "not a day"),
        ("time mon 25:00", "not a time"),
        ("time mon 9am", "not a time"),
        ("time mon 09:00 Mars/Olympus", "not a timezone"),
    ],
)
def test_digest_time_rejects_bad_schedules(
    bot: Bot, register: FakeRegister, args: str, complaint: str
) -> None:
    reply = in_channel(bot, args, "digest", roles=ADMIN)
    assert reply.tone == "error" and complaint in reply.text
    assert register.subscriptions.kept == {}


def test_digest_on_then_off(bot: Bot, register: FakeRegister) -> None:
    on = in_channel(bot, "on", "digest", roles=ADMIN)
    assert "every Mon at 09:00 (Europe/London)" in on.text
    assert register.subscriptions.subscription(CHANNEL) is not None
    assert "no longer" in in_channel(bot, "off", "digest", roles=ADMIN).text
    assert "was not getting" in in_channel(bot, "off", "digest", roles=ADMIN).text


def test_digest_quiet_says_whether_a_week_with_no_news_gets_a_line(
    bot: Bot, register: FakeRegister
) -> None:
    in_channel(bot, "time fri 16:00", "digest", roles=ADMIN)

    skip = in_channel(bot, "quiet skip", "digest", roles=ADMIN)
    assert (skip.tone, skip.text) == ("done", "A week with no news gets no digest here.")
    assert replace(digest_here(register), id=None, created_at=None) == Subscription(
        where=CHANNEL, day="fri", time="16:00", post_when_quiet=False
    )
    on = in_channel(bot, "on", "digest", roles=ADMIN)  # turning it on again keeps the choice
    assert "every Fri at 16:00 (Europe/London), and nothing in a week with no news" in on.text

    line = in_channel(bot, "QUIET Line", "digest", roles=ADMIN)
    assert (line.tone, line.text) == ("done", "A week with no news gets one line here saying so.")
    assert digest_here(register).post_when_quiet is True


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("quiet", "Line or skip?"),
        ("quiet nothing", "“nothing” is not line or skip."),
        ("quiet line please", "“line please” is not line or skip."),
    ],
)
def test_digest_quiet_rejects_anything_but_line_or_skip(
    bot: Bot, register: FakeRegister, args: str, complaint: str
) -> None:
    in_channel(bot, "on", "digest", roles=ADMIN)

    reply = in_channel(bot, args, "digest", roles=ADMIN)

    assert reply.tone == "error" and complaint in reply.text
    assert reply.usage == "digest quiet line|skip"
    assert digest_here(register).post_when_quiet is True


def test_digest_quiet_needs_the_digest_on_first(bot: Bot, register: FakeRegister) -> None:
    reply = in_channel(bot, "quiet skip", "digest", roles=ADMIN)

    assert reply.tone == "error" and "say `digest on` first" in reply.text
    assert register.subscriptions.kept == {}


def test_digest_only_narrows_to_service_areas_and_organisations_then_back(
    bot: Bot, register: FakeRegister
) -> None:
    register.state.projects["bulky-waste"] = replace(a_project(), service_area="waste")
    register.state.projects["planning"] = replace(
        a_project("planning"),
        service_area="Planning",
        organisation_id="armagh",
        organisation_name="Armagh City, Banbridge and Craigavon Borough Council",
    )
    in_channel(bot, "on", "digest", roles=ADMIN)

    areas = in_channel(bot, "only area planning, WASTE", "digest", roles=ADMIN)
    assert areas.tone == "done"
    assert "every Mon at 09:00 (Europe/London), only for Planning or waste" in areas.text
    assert digest_here(register).only == DigestFilter(service_areas=("Planning", "waste"))

    # A council whose name holds a comma is one organisation, not two.
    orgs = in_channel(
        bot,
        "only council Armagh City, Banbridge and Craigavon Borough Council",
        "digest",
        roles=ADMIN,
    )
    assert "only for Planning or waste, only from armagh" in orgs.text
    assert digest_here(register).only == DigestFilter(
        service_areas=("Planning", "waste"), organisations=("armagh",)
    )
    preview = in_channel(bot, "preview", "digest")
    assert preview.tone != "error"
    # the channel's filter applies: Hackney's project is left out, Armagh's is in
    assert "Armagh" in preview.text and "Hackney" not in preview.text
    in_channel(bot, "only everything", "digest", roles=ADMIN)
    assert "Hackney" in in_channel(bot, "preview", "digest").text

    back = in_channel(bot, "only everything", "digest", roles=ADMIN)
    assert back.text == "This channel will get the digest again every Mon at 09:00 (Europe/London)."
    assert digest_here(register).only == DigestFilter()


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("only", "Only what?"),
        ("only fish", "I can't narrow the digest to “fish”."),
        ("only area", "I can't narrow the digest to “area”."),
        ("only area waste, fishing", "No registered project has the service area “fishing”."),
        ("only organisation Atlantis", "I don't know an organisation called “Atlantis”."),
        ("only council hackney, Atlantis", "I don't know an organisation called “Atlantis”."),
        ("only everything else", "I can't narrow the digest to “everything else”."),
    ],
)
def test_digest_only_explains_what_it_cannot_narrow_to(
    bot: Bot, register: FakeRegister, args: str, complaint: str
) -> None:
    register.state.projects["bulky-waste"] = replace(a_project(), service_area="waste")
    in_channel(bot, "on", "digest", roles=ADMIN)

    reply = in_channel(bot, args, "digest", roles=ADMIN)

    assert reply.tone == "error" and complaint in reply.text, reply.text
    assert reply.usage.startswith("digest only area")
    assert digest_here(register).only == DigestFilter()


def test_digest_only_needs_the_digest_on_first(bot: Bot, register: FakeRegister) -> None:
    reply = in_channel(bot, "only organisation hackney", "digest", roles=ADMIN)

    assert reply.tone == "error" and "say `digest on` first" in reply.text
    assert register.subscriptions.kept == {}


@pytest.mark.parametrize(
    "args", ["on", "off", "time tue 10:30", "ON", "time", "quiet skip", "only area waste"]
)
@pytest.mark.parametrize("roles", [frozenset(), frozenset({"member"})])
def test_only_a_channel_admin_may_change_the_digest(
    bot: Bot, register: FakeRegister, args: str, roles: frozenset[str]
) -> None:
    before = register.subscriptions.subscribe(CHANNEL, by=ALICE.key, now=CLOCK.now(), day="fri")
    reply = in_channel(bot, args, "digest", roles=roles)
    assert (reply.tone, reply.private) == ("error", True)
    assert reply.text == (
        "Only this channel's admins can change its digest — ask a workspace admin, the "
        "channel's creator or a community manager. Anyone can use `digest preview`."
    )
    assert register.subscriptions.subscriptions(paused=True) == [before]


@pytest.mark.parametrize("roles", [frozenset(), ADMIN])
def test_anyone_may_preview_the_digest(bot: Bot, roles: frozenset[str]) -> None:
    reply = in_channel(bot, "preview", "digest", roles=roles)
    assert reply.tone != "error" and reply.private
    assert "Only this channel's admins" not in reply.text


@pytest.mark.parametrize("args", ["on", "off", "time mon 09:00", "quiet skip"])
def test_a_digest_cannot_be_changed_in_a_direct_message(
    bot: Bot, register: FakeRegister, args: str
) -> None:
    reply = say(bot, args, command="digest", roles=ADMIN)
    assert reply.tone == "error" and "for channels" in reply.text
    assert register.subscriptions.kept == {}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("on", True),
        ("OFF", True),
        ("time mon 09:00", True),
        ("quiet skip", True),
        ("only everything", True),
        ("preview", False),
        ("", False),
        ("timer", False),
        ("frobnicate", False),
    ],
)
def test_changes_the_digest_names_the_verbs_that_need_an_admin(args: str, expected: bool) -> None:
    assert changes_the_digest(args) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Has anyone built a bulky waste booking form?", True),
        ("does anyone know if a council has an EHCP portal", True),
        ("Anyone tried GOV.UK Notify for ctax reminders?", True),
        ("anybody know a good LLPG supplier", True),
        ("Have any councils moved their intranet to SharePoint?", True),
        ("Is there a shared FOI request tracker?", True),
        ("We have launched our new bins app", False),
        ("has this been merged yet", False),
        ("", False),
        ("🙂 has anyone", True),
    ],
)
def test_plain_questions_are_recognised(text: str, expected: bool) -> None:
    from bot.questions import looks_like_a_question

    assert looks_like_a_question(text) is expected


def test_answer_if_confident_stays_quiet_and_unlogged_when_unsure(
    bot: Bot, register: FakeRegister
) -> None:
    quiet = bot.answer_if_confident(
        Incoming(
            text="has anyone got a cemetery app?",
            sender=ALICE,
            conversation=CHANNEL,
            received_at=CLOCK.now(),
        )
    )
    assert quiet is None and register.state.questions == []
    answer = bot.answer_if_confident(
        Incoming(
            text="bulky waste booking", sender=ALICE, conversation=CHANNEL, received_at=CLOCK.now()
        )
    )
    assert answer is not None and answer.answer is not None
    assert answer.answer.cards[0].id == "bulky-waste"
    assert len(register.state.questions) == 1


def test_an_unprompted_answer_needs_the_stricter_bar(bot: Bot, register: FakeRegister) -> None:
    asked = say(bot, "ask parking permit renewals")
    assert asked.tone == "answer" and asked.answer is not None
    assert asked.answer.cards[0].id == "parking-permits"
    logged = len(register.state.questions)
    overheard = bot.answer_if_confident(
        Incoming(
            text="parking permit renewals",
            sender=ALICE,
            conversation=CHANNEL,
            received_at=CLOCK.now(),
        )
    )
    assert overheard is None and len(register.state.questions) == logged


def test_everyone_who_speaks_is_remembered(bot: Bot, register: FakeRegister) -> None:
    say(bot, "help", who=BOB)
    assert register.people.names == {BOB.key: "Bob"}
