"""Block Kit rendering: every payload passes slack_sdk's model validation, stays within Slack's
limits, and carries nothing a user typed as a live Slack control sequence."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.app import App
from adapters.slack import blocks
from adapters.slack.blocks import (
    escape_mrkdwn,
    form_errors,
    home_view,
    modal_values,
    project_options,
    to_message,
    to_modal,
)
from bot.clock import FixedClock
from bot.commands.project_form import project_form
from bot.home import home_of
from bot.model import (
    Action,
    Choice,
    ConversationRef,
    Form,
    FormField,
    Incoming,
    Person,
    Reply,
    ResultCard,
)
from bot.view import AnswerView
from tests.digests import huge_digest

ZWSP = "\u200b"
CARD_URL = "https://register.example.gov.uk/p/1?a=1&b=2"

# -- helpers -------------------------------------------------------------------------------------


def size(text: str) -> int:
    """UTF-16 code units, the stricter of the ways Slack might count."""
    return len(text.encode("utf-16-le")) // 2


def text_objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            found.append(node)
        for value in node.values():
            found += text_objects(value)
    elif isinstance(node, list):
        for value in node:
            found += text_objects(value)
    return found


def mrkdwn(payload: dict[str, Any]) -> list[str]:
    """Everything Slack will parse as mrkdwn: the fallback text and mrkdwn text objects."""
    texts = [t["text"] for t in text_objects(payload.get("blocks", [])) if t["type"] == "mrkdwn"]
    return [payload["text"], *texts] if "text" in payload else texts


def checked(message: dict[str, Any]) -> dict[str, Any]:
    """The checks every message must pass; returns it for further assertions."""
    assert set(message) == {"text", "blocks"}
    assert message["text"].strip(), "Slack rejects a message without fallback text"
    assert size(message["text"]) <= 3_000
    assert 1 <= len(message["blocks"]) <= 50
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        if block["type"] == "section" and "text" in block:
            assert size(block["text"]["text"]) <= 3_000
        for field in block.get("fields", []):
            assert size(field["text"]) <= 2_000
        if block["type"] == "header":
            assert size(block["text"]["text"]) <= 150
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert element.get("style") in (None, "primary", "danger")
                assert size(element["text"]["text"]) <= 75
                assert size(element.get("value", "")) <= 2_000
    for obj in text_objects(message["blocks"]):
        assert obj["text"].strip(), f"empty text object: {obj}"
    block_text = sum(size(t["text"]) for t in text_objects(message["blocks"]))
    assert block_text <= blocks.MESSAGE_TEXT
    return message


def checked_view(view: dict[str, Any]) -> dict[str, Any]:
    View(**view).validate_json()
    for block in view["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
    for obj in text_objects(view):
        assert obj["text"].strip(), f"empty text object: {obj}"
    return view


INVISIBLE = re.compile("[\u00ad\u034f\u180e\u200c\u200d\u2060-\u2064\ufeff]")
LIVE = re.compile(r"<[!@#]|<(?:https?|mailto):|(?<![\w\u200b])@(?:here|channel|everyone)\b", re.I)


def assert_inert(texts: list[str], *, links: tuple[str, ...] = (CARD_URL,)) -> None:
    """No mention, channel link, user link or foreign link survives, in any disguise; the
    only links are those to the result cards' own pages."""
    ours = [f"<{url.replace('&', '&amp;')}|" for url in links if url]
    for shown in texts:
        # as a client that drops invisible characters would see it (our own guard after an
        # "@" is a zero-width space, which must stay)
        text = INVISIBLE.sub("", shown)
        for link in ours:
            text = text.replace(link, "")
        assert not LIVE.search(text), text
        for disguise in ("＜", "＞", "﹤", "﹥", "＠", "\u202e"):
            assert disguise not in text, text
        assert not re.search(r"<[\u200b-\u200d\u2060]*[!@#]", text), text


def card(n: int = 1, **kw: Any) -> ResultCard:
    base: dict[str, Any] = {
        "kind": "project",
        "id": f"p-{n}",
        "title": f"Bulky waste booking {n}",
        "organisation": "Hackney",
        "stage": "beta",
        "updated": date(2025, 3, 3),
        "score": 1.0 / n,
        "snippet": "Residents book a bulky waste collection online.",
        "contact": "#bulky-waste on localgov Slack",
        "url": CARD_URL,
        "weeknote_ids": ("w-1", "w-2"),
    }
    return ResultCard(**(base | kw))


BUTTONS = (
    Action("Helpful", "helpful", "7:project:p-1", style="primary"),
    Action("Not what I meant", "not_what_i_meant", "7:project:p-1"),
    Action("Introduce me", "introduce", "7:project:p-1", style="default"),
)


def answer(*cards: ResultCard, **kw: Any) -> Reply:
    lines = "\n".join(f"• {c.title}" for c in cards)
    fields: dict[str, Any] = {"text": f"{len(cards)} matches for “bulky waste”:\n{lines}"}
    view = AnswerView.of("confident", f"{len(cards)} matches for “bulky waste”:", cards)
    fields |= {"tone": "answer", "answer": view, "actions": BUTTONS} | kw
    return Reply(**fields)


# -- escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain words", "plain words"),
        ("fish & chips", "fish &amp; chips"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123> and <#C1>", f"&lt;@{ZWSP}U123&gt; and &lt;#C1&gt;"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("<!subteam^S1>", "&lt;!subteam^S1&gt;"),
        ("＜!channel＞", "&lt;!channel&gt;"),
        ("﹤!here﹥", "&lt;!here&gt;"),
        ("<\u200b!channel>", "&lt;!channel&gt;"),
        ("<!\u200dhere\u2060>", "&lt;!here&gt;"),
        ("@here", f"@{ZWSP}here"),
        ("ping @channel now", f"ping @{ZWSP}channel now"),
        ("(@everyone)", f"(@{ZWSP}everyone)"),
        ("＠here", f"@{ZWSP}here"),
        ("@\u200dhere", f"@{ZWSP}here"),
        ("@\u200fhere", f"@{ZWSP}here"),
        ("ann@hackney.gov.uk", "ann@hackney.gov.uk"),
        ("```rm -rf```", "ˋˋˋrm -rfˋˋˋ"),
        ("`code`", "ˋcodeˋ"),
        ("> quoted\nnext", f"{ZWSP}&gt; quoted\nnext"),
        ("a > b", "a &gt; b"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
        ("\u202e<!channel>", "&lt;!channel&gt;"),
        ("👩\u200d💻 team 🎉", "👩\u200d💻 team 🎉"),
        ("שלום עולם", "שלום עולם"),
        ("می\u200cخواهم", "می\u200cخواهم"),
        ("• bullet\n• lines", "• bullet\n• lines"),
        ("", ""),
    ],
)
def test_escape_mrkdwn(raw: str, expected: str) -> None:
    assert escape_mrkdwn(raw) == expected


INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C1>",
    "<https://evil.example|click>",
    "<mailto:a@evil.example|mail>",
    "<!subteam^S1>",
    "@here",
    "@channel look",
    "hey @everyone",
    "＜!channel＞",
    "<\u200b!here>",
    "<\u200d@U123>",
    "@\u2060here",
    "＠everyone",
    "\u202e<!channel>",
]


@pytest.mark.parametrize("evil", INJECTIONS)
@pytest.mark.parametrize("where", ["title", "snippet", "contact", "organisation"])
def test_injection_in_a_result_card_stays_inert(evil: str, where: str) -> None:
    overrides: dict[str, Any] = {where: f"before {evil} after"}
    message = checked(to_message(answer(card(**overrides))))
    assert_inert(mrkdwn(message))
    shown = "\n".join(mrkdwn(message)[1:])
    assert "before" in shown
    assert "after" in shown


@pytest.mark.parametrize("evil", INJECTIONS)
@pytest.mark.parametrize("where", ["text", "extra_lines", "fields", "usage", "title"])
def test_injection_in_a_plain_reply_stays_inert(evil: str, where: str) -> None:
    value = f"before {evil} after"
    parts: dict[str, Any] = {"text": "Sorry.", "tone": "error"}
    parts[where] = {"extra_lines": (value,), "fields": (("Contact", value),)}.get(where, value)
    reply = Reply(**parts)
    message = checked(to_message(reply))
    assert_inert(mrkdwn(message))


def test_a_url_that_could_break_out_of_its_link_is_not_linked() -> None:
    evil = card(url="https://x.example/>|<!channel>")
    text = checked(to_message(answer(evil)))["blocks"][1]["text"]["text"]
    assert text.startswith("*Bulky waste booking 1*")
    assert_inert([text])
    assert checked(to_message(answer(card(url="javascript:alert(1)"))))["blocks"][1]["text"][
        "text"
    ].startswith("*Bulky")


def test_a_backtick_in_usage_cannot_break_out_of_the_code() -> None:
    message = checked(to_message(Reply(text="No.", tone="error", usage="ask `<!here>` *x*\nnext")))
    usage = message["blocks"][-1]["elements"][0]["text"]
    assert usage.startswith("Usage: `")
    assert all(line.count("`") == 2 for line in usage.removeprefix("Usage: ").splitlines())


# -- answers -------------------------------------------------------------------------------------


def test_an_answer_shows_each_result_as_a_card() -> None:
    message = checked(to_message(answer(card(1), card(2, url="", weeknote_ids=("w",)))))
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["section", "section", "context", "divider", "section", "context", "actions"]
    first = message["blocks"][1]["text"]["text"].splitlines()
    assert first == [
        "*<https://register.example.gov.uk/p/1?a=1&amp;b=2|Bulky waste booking 1>*",
        "Hackney · beta · last activity 2025-03-03",
        ">Residents book a bulky waste collection online.",
        "Contact: #bulky-waste on localgov Slack",
    ]
    assert message["blocks"][2]["elements"][0]["text"] == "Also in 2 weeknotes"
    assert message["blocks"][4]["text"]["text"].startswith("*Bulky waste booking 2*\n")
    assert message["blocks"][5]["elements"][0]["text"] == "Also in 1 weeknote"


def test_answer_buttons_carry_name_value_and_never_the_default_style() -> None:
    message = checked(to_message(answer(card())))
    buttons = message["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"], b.get("style")) for b in buttons] == [
        ("helpful", "7:project:p-1", "primary"),
        ("not_what_i_meant", "7:project:p-1", None),
        ("introduce", "7:project:p-1", None),
    ]
    assert [b["text"]["text"] for b in buttons] == ["Helpful", "Not what I meant", "Introduce me"]


@pytest.mark.parametrize(
    ("action", "shown"),
    [
        (Action("x" * 200, "long_label", "v"), True),
        (Action("Danger", "delete", "v", style="danger"), True),
        (Action("Huge", "huge", "v" * 2_001), False),
        (Action("Helpful again", "helpful", "v"), False),  # action_id already in the block
        (Action("No name", "", "v"), False),
    ],
)
def test_buttons_slack_would_refuse_are_fixed_or_left_out(action: Action, shown: bool) -> None:
    reply = answer(card(), actions=(BUTTONS[0], action))
    buttons = checked(to_message(reply))["blocks"][-1]["elements"]
    assert len(buttons) == (2 if shown else 1)
    if shown:
        assert size(buttons[1]["text"]["text"]) <= 75
        assert buttons[1]["action_id"] == action.name


def test_ten_results_with_long_snippets_fit_and_link_to_more() -> None:
    words = " ".join(f"word{i}" for i in range(3_000))
    cards = tuple(
        card(n, snippet=words, title=f"Project {n} " + "long " * 60) for n in range(1, 11)
    )
    message = checked(to_message(answer(*cards)))
    sections = [b for b in message["blocks"] if b["type"] == "section"][1:]
    assert len(sections) == 10
    assert sum(b["type"] == "divider" for b in message["blocks"]) == 9
    for section in sections:
        text = section["text"]["text"]
        assert text.endswith(
            f"… <{CARD_URL.replace('&', '&amp;')}|more>\nContact: #bulky-waste on localgov Slack"
        )
        quoted = next(line for line in text.splitlines() if line.startswith(">"))
        assert re.search(r" word\d+… <", quoted), "cut at a word end"
    assert message["blocks"][-1]["type"] == "actions"


def test_a_cut_snippet_without_a_url_has_no_more_link() -> None:
    message = checked(to_message(answer(card(url="", snippet="word " * 2_000))))
    text = message["blocks"][1]["text"]["text"]
    assert "word…" in text
    assert "|more>" not in text


def test_a_nothing_reply_shows_near_misses_under_a_gentle_heading() -> None:
    reply = Reply(
        text="Nobody has registered anything like “llamas” yet. I've logged the question.\n"
        "Closest, though probably not it:\n• Bulky waste booking 1",
        tone="nothing",
        answer=AnswerView.of(
            "closest",
            "Nobody has registered anything like “llamas” yet. I've logged the question.",
            (card(),),
        ),
    )
    message = checked(to_message(reply))
    assert [b["type"] for b in message["blocks"][:3]] == ["section", "context", "section"]
    assert message["blocks"][0]["text"]["text"].startswith("Nobody has registered")
    assert ":warning:" not in message["blocks"][0]["text"]["text"]
    assert message["blocks"][1]["elements"][0]["text"] == "Closest, though probably not it"
    assert not any(b["type"] == "actions" for b in message["blocks"])


# -- other replies -------------------------------------------------------------------------------


def test_bullet_lines_stay_bullet_lines() -> None:
    reply = Reply(text="Your projects:\n• p-1 — Bulky <waste> (beta)\n• p-2 — Potholes (live)")
    message = checked(to_message(reply))
    assert message["blocks"][0]["text"]["text"] == (
        "Your projects:\n• p-1 — Bulky &lt;waste&gt; (beta)\n• p-2 — Potholes (live)"
    )


def test_an_error_leads_with_a_warning() -> None:
    message = checked(
        to_message(Reply(text="Which project?", tone="error", usage="project show ID"))
    )
    assert message["blocks"][0]["text"]["text"] == ":warning: Which project?"
    assert message["blocks"][1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Usage: `project show ID`"}],
    }


def test_title_fields_and_fallback() -> None:
    fields = tuple((f"Field {i}", f"value {i} " * (500 if i == 0 else 1)) for i in range(12))
    reply = Reply(text="Bulky & waste", title="A title " * 40, fields=fields)
    message = checked(to_message(reply))
    header, text, first, second = message["blocks"]
    assert header["type"] == "header"
    assert header["text"]["text"].endswith(" A…")
    assert text["text"]["text"] == "Bulky &amp; waste"
    assert (len(first["fields"]), len(second["fields"])) == (10, 2)
    assert first["fields"][1]["text"] == "*Field 1*\nvalue 1"
    assert re.search(r" (value|0)…$", first["fields"][0]["text"])  # cut at a word end
    assert message["text"] == "Bulky &amp; waste"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text=""),
        Reply(text="   \n\t "),
        Reply(text="", tone="error"),
        Reply(text=" ", title="  ", extra_lines=("  ", "")),
        Reply(text="\u200b\u2060"),
        Reply(text="", fields=(("", ""),), usage="  \n "),
        Reply(
            text="",
            tone="answer",
            answer=AnswerView.of("confident", "", (card(title="", snippet="", contact=""),)),
        ),
    ],
)
def test_empty_and_blank_replies_never_send_an_empty_text(reply: Reply) -> None:
    checked(to_message(reply))


def test_emoji_and_right_to_left_text_pass_through() -> None:
    words = "🎉 تم الحفظ بنجاح 👩‍💻 נשמר בהצלחה 🇬🇧"
    title = "📣 " + words
    message = checked(to_message(Reply(text=words, title=title, extra_lines=(words,))))
    assert message["blocks"][0]["text"]["text"] == title
    assert message["blocks"][1]["text"]["text"] == words
    assert message["blocks"][2]["text"]["text"] == words


@pytest.mark.parametrize("length", [40_000, 100_000])
@pytest.mark.parametrize(
    "unit", ["word ", "x", "&", "<!here> ", "😀", "line one\nline two\n", "@here "]
)
def test_huge_extra_lines_are_cut_to_fit_with_a_note(length: int, unit: str) -> None:
    mine = (unit * (length // len(unit) + 1))[:length]
    reply = Reply(
        text="That weeknote is too long.",
        tone="error",
        usage="weeknote ID: text",
        extra_lines=(f"Here is what you wrote, so nothing is lost:\n{mine}",),
    )
    message = checked(to_message(reply))
    assert_inert(mrkdwn(message))
    last = message["blocks"][-1]["text"]["text"]
    match = re.search(r"…and ([\d,]+) more characters \(truncated\)_$", last)
    assert match, last
    assert int(match.group(1).replace(",", "")) > length // 2


def test_the_truncation_note_counts_exactly_what_was_left_out() -> None:
    message = checked(
        to_message(Reply(text="Too long.", tone="error", extra_lines=("x" * 40_000,)))
    )
    sections = [b["text"]["text"] for b in message["blocks"][1:]]
    left = int(re.search(r"and ([\d,]+) more", sections[-1]).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert sum(s.count("x") for s in sections) + left == 40_000


def test_long_text_is_split_at_line_ends() -> None:
    lines = [f"• line {i} " + "word " * 20 for i in range(150)]
    message = checked(to_message(Reply(text="\n".join(lines))))
    texts = [b["text"]["text"] for b in message["blocks"]]
    assert len(texts) > 1
    for text in texts:
        body = text.split("\n_…and")[0]
        assert all(line.startswith("• line ") for line in body.splitlines()), text[:200]


# -- modals --------------------------------------------------------------------------------------


def submitted_state(view: dict[str, Any]) -> dict[str, Any]:
    """What Slack sends back in view.state.values when the user submits without changes."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind == "plain_text_input":
            value: dict[str, Any] = {"value": element.get("initial_value")}
        elif kind == "datepicker":
            value = {"selected_date": element.get("initial_date")}
        else:
            value = {"selected_option": element.get("initial_option")}
        state[block["block_id"]] = {element["action_id"]: {"type": kind, **value}}
    return state


WEEKNOTE_FORM = Form(
    id="weeknote",
    title="Post a weeknote",
    submit_label="Post",
    fields=(
        FormField(
            "project",
            "Project",
            kind="choice",
            value="p-1",
            choices=(Choice("p-1", "Bulky waste (Hackney)"),),
            lookup="projects",
        ),
        FormField("week", "Week beginning", kind="date", value="2025-03-10"),
        FormField(
            "text",
            "What happened this week",
            kind="multiline",
            max_length=100_000,
            value="We <!here> shipped `it` & 👩‍💻 tested\nSecond line",
            error="Too short?",
        ),
    ),
)


@pytest.mark.parametrize(
    "form",
    [
        WEEKNOTE_FORM,
        project_form(
            {
                "title": "Bulky waste",
                "organisation": "Hackney",
                "stage": "beta",
                "description": "It books\ncollections",
                "contact": "#bulky",
                "service_area": "",
                "tags": "waste, booking",
                "url": "not a url",
            },
            {"url": "A web address starting with https://", "service_area": "x" * 400},
        ),
        project_form(),
    ],
    ids=["weeknote", "project-with-errors", "project-empty"],
)
def test_modal_round_trip_gives_the_values_back(form: Form) -> None:
    view = checked_view(to_modal(form, callback_id=form.id, private_metadata='{"channel": "C1"}'))
    assert view["type"] == "modal"
    assert view["callback_id"] == form.id
    assert view["close"]["text"] == "Cancel"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [f.name for f in form.fields]
    assert all(b["element"]["action_id"] == b["block_id"] for b in inputs)
    assert [b["optional"] for b in inputs] == [not f.required for f in form.fields]
    assert modal_values(submitted_state(view)) == {f.name: f.value for f in form.fields}
    errors = form_errors(form)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {f.name for f in form.fields if f.error}
    assert set(errors["errors"]) <= {b["block_id"] for b in inputs}
    assert all(0 < len(m) <= blocks.ERROR_TEXT for m in errors["errors"].values())


def test_a_form_with_errors_lists_them_at_the_top() -> None:
    view = checked_view(to_modal(WEEKNOTE_FORM, callback_id="weeknote"))
    assert view["blocks"][0]["type"] == "context"
    assert "What happened this week" in view["blocks"][0]["elements"][0]["text"]
    assert len(view["blocks"]) == len(WEEKNOTE_FORM.fields) + 1


def test_the_project_field_is_an_external_select() -> None:
    view = checked_view(to_modal(WEEKNOTE_FORM, callback_id="weeknote"))
    element = next(b for b in view["blocks"] if b.get("block_id") == "project")["element"]
    assert element["type"] == "external_select"
    assert (element["action_id"], element["min_query_length"]) == ("project", 0)
    assert element["initial_option"] == {
        "text": {"type": "plain_text", "text": "Bulky waste (Hackney)", "emoji": True},
        "value": "p-1",
    }
    assert "options" not in element


def test_an_unknown_project_value_is_shown_as_itself() -> None:
    form = Form(
        "weeknote",
        "Post a weeknote",
        (FormField("project", "Project", kind="choice", value="p-9", lookup="projects"),),
    )
    element = checked_view(to_modal(form, callback_id="weeknote"))["blocks"][0]["element"]
    assert element["initial_option"]["value"] == "p-9"
    assert element["initial_option"]["text"]["text"] == "p-9"
    empty = Form(
        "weeknote",
        "Post a weeknote",
        (FormField("project", "Project", kind="choice", lookup="projects"),),
    )
    assert (
        "initial_option"
        not in checked_view(to_modal(empty, callback_id="w"))["blocks"][0]["element"]
    )


def test_long_inputs_are_capped_at_slacks_3000_and_say_so() -> None:
    view = checked_view(to_modal(WEEKNOTE_FORM, callback_id="weeknote"))
    text = next(b for b in view["blocks"] if b.get("block_id") == "text")
    assert text["element"]["multiline"] is True
    assert text["element"]["max_length"] == 3_000
    assert "3,000" in text["hint"]["text"]
    title = next(
        b
        for b in checked_view(to_modal(project_form(), callback_id="p"))["blocks"]
        if b["block_id"] == "title"
    )
    assert title["element"]["max_length"] == 150
    assert "hint" not in title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Register a project", "Register a project"),
        ("Register a project for your whole council", "Register a project for…"),
        ("Supercalifragilisticexpialidocious", "Supercalifragilisticexp…"),
        ("   ", "hasanyone"),
    ],
)
def test_modal_titles_fit_24_characters(title: str, expected: str) -> None:
    form = Form("f", title, (FormField("a", "A"),), submit_label="Register this project now")
    view = checked_view(to_modal(form, callback_id="f"))
    assert view["title"]["text"] == expected
    assert view["submit"]["text"] == "Register this project…"


@pytest.mark.parametrize(
    ("value", "initial"),
    [
        ("2025-03-10", "2025-03-10"),
        ("2025-02-30", None),
        ("next week", None),
        ("", None),
        ("20250310", None),
    ],
)
def test_a_datepicker_is_prefilled_only_with_a_real_date(value: str, initial: str | None) -> None:
    form = Form("f", "F", (FormField("week", "Week", kind="date", value=value),))
    element = checked_view(to_modal(form, callback_id="f"))["blocks"][0]["element"]
    assert element["type"] == "datepicker"
    assert element.get("initial_date") == initial


def test_a_choice_with_many_options_keeps_the_chosen_one() -> None:
    choices = tuple(Choice(f"v{i}", f"Choice {i} " + "long " * 30) for i in range(150))
    form = Form(
        "f", "F", (FormField("area", "Area", kind="choice", choices=choices, value="v130"),)
    )
    element = checked_view(to_modal(form, callback_id="f"))["blocks"][0]["element"]
    assert element["type"] == "static_select"
    assert len(element["options"]) == 100
    assert element["initial_option"]["value"] == "v130"
    assert element["initial_option"] in element["options"]
    assert all(size(o["text"]["text"]) <= 75 for o in element["options"])


def test_a_choice_without_choices_becomes_a_text_input() -> None:
    form = Form("f", "F", (FormField("area", "Area", kind="choice", value="waste"),))
    element = checked_view(to_modal(form, callback_id="f"))["blocks"][0]["element"]
    assert element == {"type": "plain_text_input", "action_id": "area", "initial_value": "waste"}


def test_private_metadata_slack_would_refuse_is_an_error() -> None:
    with pytest.raises(ValueError, match="private_metadata"):
        to_modal(WEEKNOTE_FORM, callback_id="weeknote", private_metadata="x" * 3_001)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"title": {"title": {"type": "plain_text_input", "value": "Bulky"}}}, {"title": "Bulky"}),
        ({"title": {"title": {"type": "plain_text_input", "value": None}}}, {"title": ""}),
        (
            {"week": {"week": {"type": "datepicker", "selected_date": "2025-03-10"}}},
            {"week": "2025-03-10"},
        ),
        ({"week": {"week": {"type": "datepicker", "selected_date": None}}}, {"week": ""}),
        (
            {
                "stage": {
                    "stage": {
                        "type": "static_select",
                        "selected_option": {
                            "text": {"type": "plain_text", "text": "Beta"},
                            "value": "beta",
                        },
                    }
                }
            },
            {"stage": "beta"},
        ),
        ({"stage": {"stage": {"type": "static_select", "selected_option": None}}}, {"stage": ""}),
        (
            {
                "project": {
                    "project": {
                        "type": "external_select",
                        "selected_option": {
                            "text": {"type": "plain_text", "text": "P"},
                            "value": "p-1",
                        },
                    }
                }
            },
            {"project": "p-1"},
        ),
        ({"odd": {}}, {"odd": ""}),
        ({}, {}),
    ],
)
def test_modal_values(state: dict[str, Any], expected: dict[str, str]) -> None:
    assert modal_values(state) == expected


PROJECTS = [
    ("p-1", "Bulky waste (Hackney)"),
    ("p-2", "Potholes (Leeds)"),
    ("hack-3", "Chatbot (Camden)"),
]


def test_project_options_stay_within_slacks_limits() -> None:
    many = [(f"p-{i}", f"Project {i} " + "long " * 30) for i in range(250)] + [
        ("x" * 151, "Too long an id")
    ]
    options = project_options(many)["options"]
    assert len(options) == 100
    assert all(size(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)
    assert project_options([("x" * 151, "Too long an id")])["options"] == []


# -- App Home ------------------------------------------------------------------------------------


def test_home_view_lists_what_there_is() -> None:
    view = checked_view(
        home_view(
            home_of(["Bulky waste (p-1, beta)"], [], ["has anyone <!channel> done @here chatbots?"])
        )
    )
    assert view["type"] == "home"
    assert view["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "hasanyone", "emoji": True},
    }
    texts = [b["text"]["text"] for b in view["blocks"][1:]]
    assert texts[0] == "*Your projects*\n• Bulky waste (p-1, beta)"
    assert texts[1] == "*Your recent weeknotes*\nNone yet."
    assert texts[2].startswith("*Questions nobody could answer this week*\n• ")
    assert_inert(texts)


def test_a_long_home_view_is_cut_with_a_count() -> None:
    items = [f"Question {i} " + "word " * 60 for i in range(500)]
    view = checked_view(home_view(home_of(items, items, items)))
    for block in view["blocks"][1:]:
        assert size(block["text"]["text"]) <= 3_000
        assert re.search(r"…and \d+ more$", block["text"]["text"])


# -- real replies from the demo data -------------------------------------------------------------


def ask(app: App, clock: FixedClock, text: str) -> Reply:
    return app.bot.handle(
        Incoming(
            text=text,
            sender=Person("slack:T1:U1", "Ann"),
            conversation=ConversationRef("slack", "C1", "T1"),
            received_at=clock.now(),
        )
    )


REAL = [
    "has anyone worked on planning applications?",
    "ask brownfield register",
    "ask housing repairs",
    "ask a chatbot for llama grooming licences",
    "ask school admissions",
    "help",
    "project mine",
    "project show",
    "project add",
    "project add title: <!channel> @here",
    "weeknote",
    "weeknote list",
    "weeknote nope-1: <!here> we shipped `it` & more",
    "weeknote <!channel> @here ＜!everyone＞",
]


@pytest.mark.parametrize("text", REAL)
def test_real_replies_render_valid_blocks(demo_app: App, clock: FixedClock, text: str) -> None:
    reply = ask(demo_app, clock, text)
    message = checked(to_message(reply))
    assert_inert(
        mrkdwn(message), links=tuple(c.url for c in (reply.answer.cards if reply.answer else ()))
    )
    if reply.form is not None:
        view = checked_view(to_modal(reply.form, callback_id=reply.form.id))
        assert modal_values(submitted_state(view)) == {f.name: f.value for f in reply.form.fields}


def test_a_real_answer_has_cards_and_feedback_buttons(demo_app: App, clock: FixedClock) -> None:
    reply = ask(demo_app, clock, "ask brownfield register")
    assert reply.tone == "answer"
    message = checked(to_message(reply))
    assert (
        len([b for b in message["blocks"] if b["type"] == "section"])
        == len(reply.answer.cards if reply.answer else ()) + 1
    )
    assert [b["action_id"] for b in message["blocks"][-1]["elements"]] == [
        "helpful",
        "not_what_i_meant",
        "introduce",
    ]


@pytest.mark.parametrize("length", [40_000, 120_000])
def test_a_real_error_hands_back_huge_text_within_limits(
    demo_app: App, clock: FixedClock, length: int
) -> None:
    reply = ask(demo_app, clock, "weeknote nope-1: " + "<!channel> words " * (length // 17))
    assert reply.tone == "error"
    assert reply.extra_lines
    message = checked(to_message(reply))
    assert_inert(mrkdwn(message))
    assert "more characters (truncated)" in message["blocks"][-1]["text"]["text"]


def test_a_real_project_card_renders_its_fields(demo_app: App, clock: FixedClock) -> None:
    project_id = demo_app.finder.find("brownfield register").results[0].id
    reply = ask(demo_app, clock, f"project show {project_id}")
    message = checked(to_message(reply))
    assert message["blocks"][0]["type"] == "header"
    assert any("fields" in b for b in message["blocks"])


# -- digests -------------------------------------------------------------------------------------


def test_a_digest_is_a_header_and_a_section_each_with_its_heading_in_bold() -> None:
    reply = huge_digest()
    assert reply.digest is not None
    message = checked(to_message(reply))
    header, *sections = message["blocks"]
    assert header["text"]["text"] == reply.title
    texts = [s["text"]["text"] for s in sections]
    assert [t.split("\n")[0] for t in texts] == [f"*{s.heading}*" for s in reply.digest.sections]
    for text in texts:  # each section says how many of its lines it could not show
        assert re.search(r"\n…and \d+ more$", text), text[-80:]
    assert_inert(texts, links=())
