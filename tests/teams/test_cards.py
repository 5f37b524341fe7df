"""Adaptive Cards: every card validates against the official Adaptive Card 1.5 schema, fits
Teams' message size, never carries an empty TextBlock, and shows user text inert."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from importlib.resources import files
from typing import Any

import jsonschema
import pytest

from adapters.teams import cards
from adapters.teams.cards import (
    activity_size,
    escape_markdown,
    to_activity,
    to_form_card,
)
from adapters.teams.incoming import message_to_incoming
from bot.commands.project_form import project_form
from bot.model import Action, Choice, Form, FormField, Reply, ResultCard
from bot.view import CLOSEST_HEADING, AnswerView
from tests.digests import huge_digest

TEAMS_MAX_BYTES = 28 * 1024  # Teams refuses a message over about 28 KB
ZWSP = "\u200b"
SCHEMA = json.loads((files("adaptive_cards") / "schemas" / "schema-1.5.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft6Validator(SCHEMA)

# -- helpers -------------------------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def text_blocks(card: dict[str, Any]) -> list[str]:
    return [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]


def visible(text: str) -> str:
    return text.replace(ZWSP, "").replace("\u00a0", " ")


def without_teams_extensions(card: dict[str, Any]) -> dict[str, Any]:
    """The card as this schema knows it: Teams' typeahead (`choices.data`, a Data.Query, and
    the "filtered" style it goes with, which Teams documents and this copy of the 1.5 schema
    does not list) is checked here and taken out."""
    plain: dict[str, Any] = json.loads(json.dumps(card))
    for node in walk(plain):
        data = node.pop("choices.data", None)
        if data is not None:
            assert node["type"] == "Input.ChoiceSet" and node["style"] == "filtered"
            assert data == {"type": "Data.Query", "dataset": "projects"}
            node["style"] = "compact"
    return plain


def checked_card(card: dict[str, Any]) -> dict[str, Any]:
    """The checks every card must pass."""
    errors = sorted(VALIDATOR.iter_errors(without_teams_extensions(card)), key=lambda e: e.path)
    assert not errors, jsonschema.exceptions.best_match(errors)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["body"], "a card needs something to show"
    for text in text_blocks(card):
        assert text.strip(), "Teams shows an empty TextBlock as a gap, and some clients refuse it"
    for node in walk(card):
        if node.get("type", "").startswith("Input."):
            assert node["id"] != "form"
    return card


def checked(activity: dict[str, Any]) -> dict[str, Any]:
    """The checks every activity must pass; returns its card."""
    assert activity["type"] == "message"
    assert "text" not in activity, "Teams would show the text and the card as two messages"
    assert 0 < len(activity["summary"]) <= cards.SUMMARY_TEXT
    assert len(activity["attachments"]) == 1
    attachment = activity["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert len(json.dumps(activity, ensure_ascii=False).encode()) <= TEAMS_MAX_BYTES
    assert activity_size(activity) <= cards.MAX_ACTIVITY_BYTES
    return checked_card(attachment["content"])


def result(n: int = 1, **kw: Any) -> ResultCard:
    values: dict[str, Any] = {
        "kind": "project",
        "id": f"pl-{n}",
        "title": f"Bulky waste booking {n}",
        "organisation": "Hackney",
        "stage": "beta",
        "updated": date(2025, 3, 1),
        "score": 1.0,
        "snippet": "Residents book a collection online and pay by card.",
        "contact": "waste-digital@hackney.gov.uk",
        "url": "https://register.example.gov.uk/p/1?a=1&b=2",
        "weeknote_ids": ("w1", "w2"),
    }
    return ResultCard(**(values | kw))


BUTTONS = (
    Action("Helpful", "helpful", "7:project:pl-1", style="primary"),
    Action("Not what I meant", "not_what_i_meant", "7:project:pl-1"),
    Action("Introduce me", "introduce", "7:project:pl-1"),
)


def answer(*results: ResultCard, tone: Any = "answer") -> Reply:
    view = AnswerView.of(
        "closest" if tone == "nothing" else "confident", "1 match for “bins”:", results
    )
    return Reply(text="1 match for “bins”:\n• details", tone=tone, answer=view, actions=BUTTONS)


def weeknote_form(**kw: Any) -> Form:
    projects = (Choice("pl-1", "Bulky waste (Hackney)"), Choice("pl-2", "Bins (Leeds)"))
    fields = (
        FormField(
            "project",
            "Project",
            kind="choice",
            value=kw.get("project", ""),
            choices=projects,
            lookup="projects",
        ),
        FormField("week", "Week beginning", kind="date", value=kw.get("week", "2025-03-10")),
        FormField(
            "text",
            "What happened this week",
            kind="multiline",
            value=kw.get("text", ""),
            error=kw.get("error", ""),
            max_length=100_000,
        ),
    )
    return Form(id="weeknote", title="Post a weeknote", fields=fields, submit_label="Post")


# Every kind of card the module produces, for the schema contract.
REPLIES: dict[str, Callable[[], Reply]] = {
    "answer": lambda: answer(result(1), result(2, url="", weeknote_ids=())),
    "nothing": lambda: answer(result(1), tone="nothing"),
    "answer without buttons": lambda: Reply(
        text="1 match", tone="answer", answer=AnswerView.of("confident", "1 match", (result(),))
    ),
    "weeknote result": lambda: answer(
        result(kind="weeknote", snippet="", contact="", updated=None)
    ),
    "error with usage": lambda: Reply(
        text="Give a day and a time.",
        tone="error",
        usage="digest time mon 09:00\ndigest on",
        extra_lines=("Here is what you wrote, so nothing is lost:\ndigest time [x](y)",),
    ),
    "help": lambda: Reply(
        text="Ask me:\nask — ask whether anyone has done something\n    ask has anyone…",
        title="hasanyone help",
    ),
    "fields": lambda: Reply(
        text="Project pl-1", fields=(("Stage", "beta"), ("", ""), ("Owner", ""))
    ),
    "done": lambda: Reply(text="Thanks — glad it helped.", tone="done"),
    "empty": lambda: Reply(text=""),
    "whitespace only": lambda: Reply(text="  \n ", title=" ", extra_lines=("",)),
    "form": lambda: Reply(text="Tell us about your project.", form=project_form()),
    "form with errors": lambda: Reply(
        text="Please fix the highlighted fields.",
        tone="error",
        form=project_form(
            {"title": "x" * 200, "stage": "beta"}, {"title": "Too long.", "contact": "Required."}
        ),
    ),
    "weeknote form": lambda: Reply(
        text="Fill in your weeknote.", form=weeknote_form(project="pl-2")
    ),
    "huge text": lambda: Reply(text="word " * 40_000, tone="error", extra_lines=("x\n" * 5_000,)),
    "emoji flood": lambda: Reply(text="🙂" * 30_000, title="🙂" * 500, usage="🙂\n" * 50),
    "many results": lambda: answer(
        *(result(n, snippet="🙂 long " * 2_000, title="t" * 999) for n in range(50))
    ),
    "last resort beside big buttons": lambda: Reply(
        text="🙂" * 5_000,
        fields=tuple(("🙂" * 300, "🙃" * 3_000) for _ in range(60)),
        actions=tuple(Action(f"B{n}", f"b{n}", "v" * 990) for n in range(6)),
    ),
    "buttons too big to keep": lambda: Reply(
        text="🙂" * 5_000,
        fields=tuple(("🙂" * 300, "🙃" * 3_000) for _ in range(60)),
        actions=tuple(Action(f"B{n}", f"b{n}", "🙂" * 990) for n in range(6)),
    ),
    "untitled result": lambda: answer(result(title=" ", id="")),
    "many fields": lambda: Reply(
        text="x", fields=tuple((f"k{n}" * 100, "🙂" * 3_000) for n in range(60))
    ),
}


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_every_activity_passes_the_adaptive_card_schema_and_teams_limits(name: str) -> None:
    checked(to_activity(REPLIES[name]()))


def test_the_shipped_schema_is_adaptive_cards_1_5_and_can_fail() -> None:
    assert SCHEMA["id"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert SCHEMA["definitions"]["AdaptiveCard"]["properties"]["rtl"]["version"] == "1.5"
    assert "Carousel" not in SCHEMA["definitions"]  # a 1.6 element
    card = to_activity(answer(result()))["attachments"][0]["content"]
    broken = json.loads(json.dumps(card))
    broken["body"][1]["items"][0]["weight"] = "heavy"
    assert list(VALIDATOR.iter_errors(broken))
    broken = json.loads(json.dumps(card))
    broken["actions"][0]["style"] = "primary"  # Slack's word; Adaptive Cards say "positive"
    assert list(VALIDATOR.iter_errors(broken))


# -- escaping ------------------------------------------------------------------------------------

LIVE = [
    re.compile(r"\]\s*[(\[:]"),  # inline, reference and image links
    re.compile(r"<[A-Za-z/!?]"),  # <at>…</at> mentions and HTML-ish tags
    re.compile(r"[*`]"),  # bold, italic, code
    re.compile(r"(?<![^\W_])_|_(?![^\W_])"),  # an underscore that could be emphasis
    re.compile(r"(?m)^[ \t\u00a0]*(?:[-+#>=|\[!]|\d+[.)])"),  # lists, headings, quotes
    re.compile(r"&#?[A-Za-z0-9]+;"),  # entities
    re.compile(r"\\[!-/:-@\[-`{-~]"),  # backslash escapes
    re.compile(r"~~"),
]


@pytest.mark.parametrize(
    "text",
    [
        "[click](https://evil.example)",
        "[click] (https://evil.example)",
        "![img](https://evil.example/x.png)",
        "[click][1]\n\n[1]: https://evil.example",
        "**bold** *italic* __strong__ _em_",
        "`code` ```block```",
        "<at>Alice</at> please look",
        '<a href="https://evil.example">x</a> <!-- c --> <?xml?>',
        "&lt;at&gt;Alice&lt;/at&gt; &#60;",
        "- item\n+ item\n* item\n1. one\n2) two\n# Heading\n> quote\n=== \n| a | b |",
        "   - indented item\n\t# tabbed heading",
        "\\*not bold\\* \\[x\\](y)",
        "~~struck~~",
        "［click］（https://evil.example） ＊＊bold＊＊ ＜at＞Alice＜／at＞ ＿em＿",
        "＜ａｔ＞Alice＜／ａｔ＞ ＆ｌｔ； ［x］﹙https://evil.example﹚ ｀code｀",
        "[cl\u200bick](https://evil.example) <\ufeffat>x</at>",
        "line\r- item\r\n# heading",
    ],
)
def test_user_text_cannot_become_links_mentions_or_formatting(text: str) -> None:
    escaped = escape_markdown(text)
    # and still none after anything downstream folds look-alikes back (NFKC)
    for shown in (escaped, unicodedata.normalize("NFKC", escaped)):
        for pattern in LIVE:
            assert not pattern.search(shown), (pattern.pattern, shown)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("has anyone built a bins app?", "has anyone built a bins app?"),
        (
            "jo_bloggs@hackney.gov.uk and snake_case_name",
            "jo_bloggs@hackney.gov.uk and snake_case_name",
        ),
        ("fish & chips < 5 > 3", "fish & chips < 5 > 3"),
        ("[click](https://evil)", "[click](https://evil)"),
        ("<at>Alice</at>", "<at>Alice</at>"),
        ("  - indented", "  - indented"),
        ("Ynys Môn · ŵ · 🙂 · مرحبا\u200cبك", "Ynys Môn · ŵ · 🙂 · مرحبا\u200cبك"),
        ("Well… (1) ok", "Well… (1) ok"),
        ("**x**", "∗∗x∗∗"),
        ("`x`", "ˋxˋ"),
        ("_x_", "ˍxˍ"),
    ],
)
def test_escaping_keeps_what_people_read(text: str, shown: str) -> None:
    assert visible(escape_markdown(text)) == shown


def test_bidi_overrides_are_removed() -> None:
    assert escape_markdown("\u202eevil.example") == "evil.example"


# -- answers -------------------------------------------------------------------------------------


def test_an_answer_has_one_container_per_result_with_title_meta_snippet_and_contact() -> None:
    card = checked(to_activity(answer(result(1), result(2, url=""))))
    containers = [b for b in card["body"] if b["type"] == "Container"]
    assert len(containers) == 2
    first = [i["text"] for i in containers[0]["items"]]
    assert first[0] == "[Bulky waste booking 1](https://register.example.gov.uk/p/1?a=1&b=2)"
    assert containers[0]["items"][0]["weight"] == "bolder"
    assert first[1] == "Hackney · beta · last activity 2025-03-01"
    assert first[2] == "Residents book a collection online and pay by card."
    assert containers[0]["items"][2]["isSubtle"] is True
    assert first[3] == "Contact: waste-digital@hackney.gov.uk"
    assert first[4] == "Also in 2 weeknotes"
    assert containers[1]["items"][0]["text"] == "Bulky waste booking 2"
    assert "separator" not in containers[0] and containers[1]["separator"] is True
    assert card["body"][0]["text"] == "1 match for “bins”:"


def test_the_buttons_submit_the_action_name_and_value() -> None:
    card = checked(to_activity(answer(result())))
    assert [a["title"] for a in card["actions"]] == ["Helpful", "Not what I meant", "Introduce me"]
    assert {a["type"] for a in card["actions"]} == {"Action.Execute"}
    assert card["actions"][0]["verb"] == "helpful"
    assert card["actions"][0]["data"] == {"action": "helpful", "value": "7:project:pl-1"}
    assert card["actions"][0]["style"] == "positive"
    assert "style" not in card["actions"][1]


def test_buttons_that_cannot_be_carried_whole_are_left_out() -> None:
    actions = (
        Action("A", "a", "1"),
        Action("Again", "a", "2"),
        Action("", "", "3"),
        Action("Long", "long", "x" * 2_000),
        *(Action(f"B{n}", f"b{n}", "v") for n in range(10)),
    )
    card = checked(to_activity(Reply(text="x", actions=actions)))
    names = [a["data"]["action"] for a in card["actions"]]
    assert names == ["a", "b0", "b1", "b2", "b3", "b4"]


def test_a_nothing_answer_says_the_results_are_probably_not_it() -> None:
    card = checked(to_activity(answer(result(), tone="nothing")))
    assert CLOSEST_HEADING in text_blocks(card)


def test_only_plain_web_links_are_linked_and_parentheses_are_encoded() -> None:
    def title(url: str) -> str:
        card = checked(to_activity(answer(result(url=url))))
        return str(card["body"][1]["items"][0]["text"])

    assert title("https://x.gov.uk/a_(b)") == "[Bulky waste booking 1](https://x.gov.uk/a_%28b%29)"
    for bad in ("javascript:alert(1)", "https://x.gov.uk/a b", "ftp://x", "https://x/" + "a" * 600):
        assert title(bad) == "Bulky waste booking 1"


def test_brackets_in_a_linked_title_cannot_end_the_link_early() -> None:
    card = checked(to_activity(answer(result(title="Bins [beta] ] (x)"))))
    text = card["body"][1]["items"][0]["text"]
    assert visible(text).startswith("[Bins ［beta］ ］ (x)](https://")


def test_the_summary_is_the_first_line_and_the_card_falls_back_to_all_the_text() -> None:
    activity = to_activity(Reply(text="\n  First line  \nsecond", title="T", usage="u"))
    assert activity["summary"] == "First line"
    card = checked(activity)
    assert card["fallbackText"] == "T\nFirst line  \nsecond\nu"


# -- other replies -------------------------------------------------------------------------------


def test_an_error_shows_the_complaint_in_attention_then_usage_then_the_users_text() -> None:
    card = checked(to_activity(REPLIES["error with usage"]()))
    body = card["body"]
    assert body[0] == {
        "type": "TextBlock",
        "text": "Give a day and a time.",
        "wrap": True,
        "color": "attention",
    }
    assert body[1]["text"] == "Usage:"
    assert [b["text"] for b in body[2:4]] == ["digest time mon 09:00", "digest on"]
    assert all(b.get("fontType") == "monospace" for b in body[2:4])
    assert body[4]["text"] == "Here is what you wrote, so nothing is lost:"
    assert body[5]["text"] == "digest time [x]\u200b(y)"
    assert "color" not in body[4]


def test_each_line_is_its_own_text_block_with_indentation_kept() -> None:
    card = checked(to_activity(REPLIES["help"]()))
    texts = text_blocks(card)
    assert texts[0] == "hasanyone help"
    assert texts[1:3] == ["Ask me:", "ask — ask whether anyone has done something"]
    assert texts[3] == "\u00a0" * 4 + "ask has anyone…"


def test_fields_become_a_fact_set_without_empty_pairs() -> None:
    card = checked(to_activity(REPLIES["fields"]()))
    facts = next(b for b in card["body"] if b["type"] == "FactSet")["facts"]
    assert facts == [{"title": "Stage", "value": "beta"}, {"title": "Owner", "value": "—"}]


def test_long_text_is_cut_with_an_ellipsis_saying_how_many_characters_were_cut() -> None:
    raw = ("word " * 40_000).strip()
    card = checked(to_activity(Reply(text=raw)))
    kept, note = card["body"][0]["text"], card["body"][1]["text"]
    assert kept.endswith("…")
    match = re.fullmatch(r"…and ([\d,]+) more characters \(truncated\)", note)
    assert match is not None, note
    cut = int(match[1].replace(",", ""))
    assert len(kept) - 1 + cut == len(raw)


def test_a_card_that_cannot_fit_falls_back_to_its_text() -> None:
    fields = tuple(("🙂" * 300, "🙃" * 3_000) for _ in range(60))
    card = checked(to_activity(Reply(text="Your project:", fields=fields, actions=BUTTONS)))
    assert [b["type"] for b in card["body"]] == ["TextBlock"]
    text = card["body"][0]["text"]
    assert text.startswith("Your project: 🙂🙂") and text.endswith("…")
    assert len(card["actions"]) == 3, "the buttons still fit beside the text"


def test_at_most_ten_results_are_shown() -> None:
    card = checked(to_activity(REPLIES["many results"]()))
    assert 1 <= len([b for b in card["body"] if b["type"] == "Container"]) <= cards.MAX_RESULTS


# -- forms ---------------------------------------------------------------------------------------


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in walk(card) if n.get("type", "").startswith("Input.")}


def test_a_form_has_one_input_per_field_named_by_the_field() -> None:
    form = project_form()
    card = checked_card(to_form_card(form))
    found = inputs(card)
    assert list(found) == [f.name for f in form.fields]
    assert found["title"]["type"] == "Input.Text" and found["title"]["maxLength"] == 150
    assert found["title"]["label"] == "Project title" and found["title"]["isRequired"] is True
    assert found["title"]["errorMessage"] == "Project title is required."
    assert found["description"]["isMultiline"] is True
    assert found["url"]["isRequired"] is False and "errorMessage" not in found["url"]
    assert found["stage"]["type"] == "Input.ChoiceSet" and found["stage"]["style"] == "compact"
    assert found["stage"]["value"] == "discovery"
    assert {"title": "Beta", "value": "beta"} in found["stage"]["choices"]
    assert card["actions"] == [
        {
            "type": "Action.Execute",
            "verb": "form",
            "title": "Register",
            "style": "positive",
            "data": {"form": "project"},
        }
    ]


def test_the_weeknote_form_offers_the_users_projects_and_the_week() -> None:
    card = checked_card(to_form_card(weeknote_form(project="pl-2")))
    found = inputs(card)
    assert found["project"]["type"] == "Input.ChoiceSet" and found["project"]["isRequired"] is True
    assert found["project"]["choices"][1] == {"title": "Bins (Leeds)", "value": "pl-2"}
    assert found["project"]["value"] == "pl-2"
    assert found["week"] == {
        "type": "Input.Date",
        "value": "2025-03-10",
        "id": "week",
        "label": "Week beginning",
        "isRequired": True,
        "errorMessage": "Week beginning is required.",
    }


def test_a_bad_date_or_unknown_choice_is_not_prefilled() -> None:
    found = inputs(checked_card(to_form_card(weeknote_form(week="2025-02-30", project="nope"))))
    assert "value" not in found["week"] and "value" not in found["project"]


def test_the_project_field_searches_the_whole_register_as_you_type() -> None:
    form = Form(
        id="f",
        title="T",
        fields=(FormField("project", "Project", kind="choice", lookup="projects"),),
    )
    found = inputs(checked_card(to_form_card(form)))
    assert found["project"]["type"] == "Input.ChoiceSet" and found["project"]["choices"] == []
    assert found["project"]["choices.data"] == {"type": "Data.Query", "dataset": "projects"}


def test_an_error_sits_right_under_its_field_in_the_attention_colour() -> None:
    form = project_form({"title": "Bins", "contact": "<at>x</at>"}, {"contact": "Required."})
    body = checked_card(to_form_card(form))["body"]
    at = next(i for i, b in enumerate(body) if b.get("id") == "contact")
    assert body[at]["value"] == "<at>x</at>", "values are plain text, shown as typed"
    assert body[at + 1]["text"] == "A Slack channel, team name or web page"
    assert body[at + 2] == {
        "type": "TextBlock",
        "text": "Required.",
        "wrap": True,
        "color": "attention",
        "spacing": "none",
    }
    assert cards.FIX_FIELDS in text_blocks({"body": body})


def test_a_form_reply_shows_its_text_above_the_form() -> None:
    card = checked(to_activity(REPLIES["form with errors"]()))
    assert card["body"][1] == {
        "type": "TextBlock",
        "text": "Please fix the highlighted fields.",
        "wrap": True,
        "color": "attention",
    }
    assert cards.FIX_FIELDS not in text_blocks(card)


def test_a_value_too_long_for_the_card_is_cut_and_the_user_told() -> None:
    card = checked_card(to_form_card(weeknote_form(text="x" * 50_000)))
    kept = inputs(card)["text"]["value"]
    assert 0 < len(kept) < 50_000
    note = cards.CUT_VALUE_NOTE.format(n=50_000 - len(kept))
    assert note in text_blocks(card)
    assert activity_size({"attachments": [card]}) <= cards.MAX_ACTIVITY_BYTES


@pytest.mark.parametrize("names", [("form",), ("a", "a"), ("",)])
def test_field_names_that_would_clash_in_the_submission_are_refused(names: tuple[str, ...]) -> None:
    form = Form(id="f", title="T", fields=tuple(FormField(n, "L") for n in names))
    with pytest.raises(ValueError, match="distinct"):
        to_form_card(form)


# -- what comes back -----------------------------------------------------------------------------


def submitted(card: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """What Teams sends as activity.value: the pressed Action.Submit's data merged with the
    card's inputs (Teams leaves an untouched empty input out)."""
    data: dict[str, Any] = card["actions"][0]["data"]
    return data | typed


def test_the_teams_adapter_reads_back_what_the_cards_send() -> None:
    """The cards' data and adapters.teams.incoming agree on the shape of activity.value."""
    now = datetime(2025, 3, 12, tzinfo=UTC)
    form_card = to_form_card(weeknote_form())
    form_value = submitted(form_card, {"project": "pl-1", "text": "Shipped."})
    incoming = message_to_incoming({"type": "message", "value": form_value}, now=now)
    assert incoming.form_id == "weeknote"
    assert dict(incoming.form or {}) == {"project": "pl-1", "text": "Shipped."}
    button = to_activity(answer(result()))["attachments"][0]["content"]["actions"][0]["data"]
    incoming = message_to_incoming({"type": "message", "value": button}, now=now)
    assert incoming.action is not None
    assert (incoming.action.name, incoming.action.value) == ("helpful", "7:project:pl-1")


def test_a_digest_is_its_title_then_each_section_under_a_bold_heading() -> None:
    reply = huge_digest()
    assert reply.digest is not None
    card = checked(to_activity(reply))
    texts = text_blocks(card)
    assert texts[0] == reply.title
    headings = [
        b["text"]
        for b in walk(card)
        if b.get("type") == "TextBlock" and b.get("weight") == "bolder"
    ]
    assert headings == [reply.title, *(s.heading for s in reply.digest.sections)]
    assert texts.count(reply.title) == 1
    assert sum(bool(re.fullmatch(r"…and \d+ more", t)) for t in texts) == len(headings) - 1
