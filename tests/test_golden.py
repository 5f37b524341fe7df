"""The layout every renderer gives a representative set of replies, pinned byte for byte
(issue 12): the presentation is decided once in the core, so moving a decision between the
core and a renderer must not change what anyone sees. Run with GOLDEN_UPDATE=1 to rewrite
the files, and say in the commit why they changed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.console.render import field_prompt, form_intro, to_text
from adapters.slack.blocks import home_view, to_message, to_modal
from adapters.teams.cards import to_activity
from bot.commands.ask import answer_reply
from bot.commands.base import error
from bot.commands.project_form import project_form
from bot.digest import compose_digest
from bot.home import home_of
from bot.model import (
    Action,
    Choice,
    Finding,
    Form,
    FormField,
    Organisation,
    Project,
    Reply,
    ResultCard,
    Stage,
    Weeknote,
)
from bot.ports import Activity, StageChange, UnansweredQuestion
from bot.text import marked

GOLDEN = Path(__file__).parent / "data" / "golden"
TROJAN = "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ = Organisation  # the register's vocabulary, for readers


def result(n: int, **kw: Any) -> ResultCard:
    base: dict[str, Any] = {
        "kind": "project",
        "id": f"p-{n}",
        "title": f"Bulky waste booking {n}",
        "organisation": "Hackney",
        "stage": "beta",
        "updated": date(2025, 3, 3),
        "score": 1.0 - n / 10,
        "snippet": "Residents book a bulky waste collection online & pay.",
        "contact": "#bulky-waste on localgov Slack",
        "url": f"https://register.example.gov.uk/p/{n}?a=1&b=2",
    }
    return ResultCard(**(base | kw))


THREE = (
    result(1, weeknote_ids=("w-1", "w-2", "w-3")),
    result(2, url="", contact="", updated=None, weeknote_ids=("w-4",)),
    result(3, kind="weeknote", id="w-9", title="Week 12: <!channel> *testing*", stage="alpha"),
)


def confident() -> Reply:
    return answer_reply(
        Finding("bulky waste booking", confident=True, results=THREE), question_id=7
    )


def closest() -> Reply:
    near = Finding("council tax <@U1> reminders", confident=False, results=THREE[:2])
    return answer_reply(near, question_id=8, shareable=True)


def nobody() -> Reply:
    return answer_reply(Finding("ehcp triage", confident=False, results=()), question_id=9)


def trojan() -> Reply:
    evil = result(1, title=f"Bins{TROJAN} admin{ZERO_WIDTH}.example", snippet=f"a{TROJAN}b")
    return answer_reply(
        Finding(f"bins{TROJAN}{ZERO_WIDTH}?", confident=True, results=(evil,)), question_id=3
    )


def trojan_notice() -> Reply:
    """User text in plain-text places: a header, option labels, a button."""
    choices = (Choice("p-1", f"Bins{TROJAN} admin"), Choice("p-2", f"Tax{ZERO_WIDTH}.example"))
    pick = FormField(
        "project", "Project", kind="choice", choices=choices, value="p-1", lookup="projects"
    )
    kind = FormField("kind", f"Kind{TROJAN}", kind="choice", choices=choices)
    return Reply(
        text=f"Registered Bins{TROJAN}.",
        title=f"Bins{TROJAN} admin{ZERO_WIDTH}.example",
        actions=(Action(f"Open{TROJAN}", "open", "p-1"),),
        form=Form("pick", f"Pick{TROJAN}", (pick, kind)),
    )


def long() -> Reply:
    """Everything cut to size, at word ends, with emoji counting double in Slack."""
    words = " ".join(f"word{n} 🙂🙂 fish&chips" for n in range(700))
    labels = tuple(Choice(f"p-{n}", f"Project {n} 🙂 " + words[:200]) for n in range(3))
    return Reply(
        text=words,
        title="Title 🙂 " + words[:400],
        fields=(("Label " + words[:300], words[:5_000]),),
        usage="\n".join(words[:300] for _ in range(3)),
        extra_lines=(words[:9_000],),
        actions=(Action("Press " + words[:120], "press", "v"),),
        form=Form(
            "long",
            "Form " + words[:60],
            (FormField("project", words[:90], kind="choice", choices=labels, lookup="projects"),),
        ),
    )


def long_answer() -> Reply:
    words = " ".join(f"word{n} 🙂 <b>&amp;" for n in range(300))
    many = tuple(
        result(n, title=words[:300], snippet=words, contact=words[:400], weeknote_ids=("w",) * n)
        for n in range(10)
    )
    return answer_reply(Finding(words[:500], confident=True, results=many), question_id=5)


def usage() -> Reply:
    return error(
        marked("I couldn't read that week. Say `weeknote` to open the form."),
        usage="weeknote my-project: what we did\nweeknote",
        keep="We tested <!here> the `form` with > 3 councils.",
    )


def notice() -> Reply:
    return Reply(
        text="Registered Bulky waste booking.\nPeople asking about it will find it.",
        tone="done",
        title="Bulky waste booking",
        fields=(("Stage", "beta"), ("Organisation", "Hackney"), ("Contact", "")),
    )


def settling() -> Reply:
    return Reply(
        text="Delete Bulky waste booking?",
        actions=(
            Action("Delete it", "delete_project", "p-1", style="danger", settles=True),
            Action("Keep it", "cancel", "p-1", settles=True),
            Action("Keep it again", "cancel", "p-1", settles=True),
        ),
        private=True,
    )


def form() -> Reply:
    values = {"title": "Bulky waste", "stage": "beta", "description": "x" * 20}
    return Reply(
        text="Please fix the fields marked below.",
        tone="error",
        form=project_form(values, {"organisation": "Which organisation is this for?"}),
    )


def _project(n: int, title: str, stage: Stage = Stage.BETA) -> Project:
    return Project(f"p-{n}", title, "hackney", "Hackney", stage, service_area="waste")


def digest() -> Reply:
    bins, tax = _project(1, "Bulky waste booking"), _project(2, "Council tax texts", Stage.ALPHA)
    at = datetime(2025, 3, 5, 10, tzinfo=UTC)
    notes = tuple(
        Weeknote(f"w-{i}", "p-1", "hackney", "Ana", date(2025, 3, 3), f"Week {i}", "text")
        for i in range(4)
    )
    activity = Activity(
        start=date(2025, 3, 3),
        end=date(2025, 3, 9),
        new_projects=(bins, tax),
        stage_changes=(StageChange(tax, Stage.DISCOVERY, Stage.ALPHA, at),),
        weeknotes=((bins, notes), (None, notes[:1])),
        unanswered=(
            UnansweredQuestion("has anyone done ehcp triage?", at, 1),
            UnansweredQuestion("foi <!here> tracker", at, 3),
        ),
        similar_pairs=((bins, tax),),
    )
    return compose_digest(activity)


def quiet_digest() -> Reply:
    empty = Activity(date(2025, 3, 3), date(2025, 3, 9), (), (), (), ())
    return compose_digest(empty)


REPLIES: dict[str, Callable[[], Reply]] = {
    "confident": confident,
    "closest": closest,
    "nobody": nobody,
    "trojan": trojan,
    "trojan-notice": trojan_notice,
    "trojan-notice-no-form": lambda: replace(trojan_notice(), form=None),
    "long": long,
    "long-no-form": lambda: replace(long(), form=None),
    "long-answer": long_answer,
    "usage": usage,
    "notice": notice,
    "settling": settling,
    "form": form,
    "digest": digest,
    "quiet-digest": quiet_digest,
}


def rendered(make: Callable[[], Reply]) -> dict[str, Any]:
    reply = make()
    out: dict[str, Any] = {
        "slack": to_message(reply),
        "teams": to_activity(reply),
        "console": to_text(reply).splitlines(),
    }
    if reply.form is not None:
        out["slack_modal"] = to_modal(reply.form, callback_id=reply.form.id)
        out["console_form"] = form_intro(reply.form).splitlines()
        out["console_fields"] = [field_prompt(f, clear="-", end=".") for f in reply.form.fields]
    return out


def home() -> dict[str, Any]:
    return {
        "slack": home_view(
            home_of(
                ["Bulky waste booking (beta)", f"Bins{TROJAN} & <things>"],
                [],
                ["has anyone done ehcp triage?"],
            )
        )
    }


def check(name: str, got: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(got, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
    if os.environ.get("GOLDEN_UPDATE"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; GOLDEN_UPDATE=1 rewrites"


@pytest.mark.parametrize("name", REPLIES)
def test_every_renderer_lays_out_the_reply_as_pinned(name: str) -> None:
    check(name, rendered(REPLIES[name]))


def test_the_app_home_is_laid_out_as_pinned() -> None:
    check("home", home())
