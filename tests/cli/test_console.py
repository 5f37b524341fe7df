"""The terminal chat, line by line: every line that deserves an answer gets exactly one."""

from __future__ import annotations

from adapters.app import App
from adapters.console.chat import ConsoleSession


def unique_reply(outputs: list[str]) -> str:
    """Fails when the bot stays silent or answers twice."""
    replies = [o for o in outputs if o.strip()]
    assert len(replies) == 1, f"expected one reply, got {len(replies)}: {replies!r}"
    return replies[0]


def test_a_question_gets_one_answer_and_the_buttons_work(demo_app: App) -> None:
    chat = ConsoleSession(demo_app.bot, demo_app.clock, user="alice")
    answer = unique_reply(chat.feed("has anyone redesigned their council website mobile first?"))
    assert "[1] Helpful" in answer
    assert "glad" in unique_reply(chat.feed("1"))


def test_the_weeknote_form_is_asked_field_by_field_and_posts_once(demo_app: App) -> None:
    chat = ConsoleSession(demo_app.bot, demo_app.clock, user="alice")
    opened = chat.feed("weeknote")
    assert "Post a weeknote" in "\n".join(opened)
    assert chat.prompt == "Project> "
    chat.feed("dl-brownfield-sites")
    assert chat.prompt == "Week beginning> "
    chat.feed("")  # keep this week's Monday
    assert chat.feed("We tested the brownfield guidance") == []
    assert chat.feed("with three councils.") == []
    chat.feed(".")
    assert chat.prompt == "Who can read it> "
    done = unique_reply(chat.feed(""))  # everyone, the default
    assert "Posted your weeknote for Brownfield sites" in done
    notes = demo_app.repo.weeknotes_of("console:alice")
    assert [n.text for n in notes] == ["We tested the brownfield guidance\nwith three councils."]


def test_a_form_with_errors_asks_again_only_for_what_was_wrong(demo_app: App) -> None:
    chat = ConsoleSession(demo_app.bot, demo_app.clock, user="bob")
    chat.feed("weeknote")
    chat.feed("no-such-project")
    chat.feed("not a date")
    chat.feed("Text I do not want to lose")
    chat.feed(".")
    again = "\n".join(chat.feed(""))
    assert "no project with the id" in again
    assert "Give the week as a date" in again
    assert chat.prompt == "Project> "
    chat.feed("pl-17")
    assert "Posted your weeknote for The Budgetron" in unique_reply(chat.feed("2025-03-10"))
    assert demo_app.repo.weeknotes_of("console:bob")[0].text == "Text I do not want to lose"


def test_cancelling_a_form_hands_back_what_was_typed(demo_app: App) -> None:
    chat = ConsoleSession(demo_app.bot, demo_app.clock, user="carol")
    chat.feed("project add")
    chat.feed("Pest control booking")
    cancelled = unique_reply(chat.feed("cancel"))
    assert "Pest control booking" in cancelled
    assert chat.prompt == "you> "


def test_blank_lines_are_not_answered(demo_app: App) -> None:
    chat = ConsoleSession(demo_app.bot, demo_app.clock, user="dave")
    assert chat.feed("   ") == []
