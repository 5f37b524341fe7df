"""The core's values as Adaptive Cards 1.5 inside Bot Framework message activities.

Pure translation to plain dicts: what a reply shows is decided in the core (bot.view) and
only laid out here. No botbuilder here, so this module is tested on its own and
survives a move off the archived Python SDK. Every card is checked against the official
Adaptive Card 1.5 JSON schema in the tests.

Text that came from a person reaches Teams as TextBlock markdown only through
`escape_markdown`. Labels, choice and button titles and the summary are plain text to
Teams (it never parses them), so they are only cut to size and lose what hides or reorders
text (`text_safety.visible`); input values are the person's own, handed back as typed.

Teams shows an activity's `text` *and* its card, as two messages (MicrosoftDocs/msteams-docs
#1998), so a card activity carries its plain fallback in `summary` (the notification and chat
list preview) and in the card's `fallbackText`, never in `text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from adapters.text_safety import cut_at_word, neutralised, visible
from bot.model import Action, ActionPayload, Choice, Form, FormField, Reply, ResultCard
from bot.text import CODE_END, CODE_START, plain, spans
from bot.view import (
    BULLET,
    NO_VALUE,
    AnswerView,
    CardView,
    DigestView,
    NoticeView,
    View,
    shown_actions,
    view_of,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
THUMBNAIL_CONTENT_TYPE = "application/vnd.microsoft.card.thumbnail"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"

# Teams refuses a message over about 28 KB, counted over the whole activity, and the
# connector adds its own envelope (ids, serviceUrl, channelData) to ours, so our activity
# stays well below. Sizes are measured as ASCII-escaped JSON, never less than the UTF-8 size.
MAX_ACTIVITY_BYTES = 24_000
# Characters one text may keep, tried in turn until the card fits.
TEXT_LIMITS = (6_000, 3_000, 1_500, 800, 400, 200, 100, 60)
LAST_RESORT_TEXT = 1_500  # a card that still does not fit becomes this much fallback text
WORST_CHAR_BYTES = 12  # an escaped character outside the BMP: two \\uXXXX
SUMMARY_TEXT = 200
FALLBACK_TEXT = 2_000
TITLE_TEXT = 200
META_TEXT = 300
ITEM_TEXT = 600  # one line of a digest section
FACT_TITLE = 200
FACT_VALUE = 2_000
LABEL_TEXT = 200
ACTION_TITLE = 50
ACTION_VALUE = 1_000
CHOICE_TITLE = 100
CHOICE_VALUE = 150
URL_TEXT = 500
MAX_RESULTS = 10
MAX_ACTIONS = 6  # Teams renders at most six card actions
MAX_FACTS = 20
MAX_CHOICES = 100
MIN_CHOICES = 10

ELLIPSIS = "…"
ZWSP = "\u200b"
NBSP = "\u00a0"
FORM_FIELD_KEY = "form"  # Action.Submit data naming the form; inputs are merged beside it
SUBMISSION_KEY = "submission"  # Action.Submit data naming the one card a form was sent on
SETTLES_KEY = "settles"  # a button whose press replaces its card with the outcome
ACTION_KEY, VALUE_KEY = "action", "value"  # a button's data: which action, about what
FORM_VERB = "form"  # Action.Execute verb of every form's submit button
PROJECT_DATASET = "projects"  # the Data.Query dataset the project picker's typeahead asks for
FIX_FIELDS = "Please fix the fields marked below."
CUT_VALUE_NOTE = "What you wrote was longer than this card can carry: {n:,} characters were cut."
_STYLES = {"primary": "positive", "danger": "destructive"}
_WORST_SUMMARY = "\U0001f642" * SUMMARY_TEXT  # sizes are checked as if the summary were this

# `*` and backticks have look-alikes that no markdown reads; U+2217 and U+02CB look the same.
_INLINE = str.maketrans({"*": "∗", "`": "ˋ"})
# An underscore between two letters or digits is never emphasis; any other one might be.
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_LINK_JOIN = re.compile(r"\](?=[ \t]*[(\[:])")  # `](url)`, `][ref]`, `]: url`
_TAG = re.compile(r"<(?=[^\W\d_]|[/!?])")  # <at>, </at>, <a href>, <!-- -->, <?xml
_ENTITY = re.compile(r"&(?=#?\w+;)")
_STRIKE = re.compile(r"~(?=~)")
_INDENT = re.compile(r"(?m)^[ \t]+")
_BLOCK_START = re.compile(r"(?m)^([\u00a0]*)(?=[-+#>=|\[!]|\d+[.)])")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\\[\]{}|^]+$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def escape_markdown(text: str) -> str:
    """User text made inert for TextBlock markdown, without backslash escapes.

    Teams clients disagree about backslash escapes (Android and iOS have shown the backslash
    and still formatted the text: MicrosoftDocs/msteams-docs#5793, microsoft/AdaptiveCards
    #4677), so control characters are instead replaced by look-alikes or separated from
    what would make them syntax by a zero-width space. What people read is unchanged:

    - `*` becomes `∗` (U+2217) and a backtick `ˋ` (U+02CB): no bold, italic or code.
    - `_` stays inside a word (`snake_case`, `jo_bloggs@…`) and elsewhere becomes `ˍ`.
    - `](`, `][` and `]:` get a zero-width space after the `]`, so `[click](https://evil)`,
      reference links and images cannot link; a bare URL still shows what it points to.
    - `<` before a letter, `/`, `!` or `?` gets a zero-width space after it, so `<at>…</at>`
      and HTML-ish tags stay text; so does `&` before an entity such as `&lt;`.
    - A line starting with `-`, `+`, `#`, `>`, `=`, `|`, `[`, `!` or `1.` gets a zero-width
      space in front (no lists, headings or quotes), and leading spaces become no-break
      spaces so indentation shows and never makes a code block.
    - A backslash before punctuation gets a zero-width space after it, so it escapes nothing.
    - Look-alikes that NFKC folds to ASCII punctuation (full-width `［`, `＜`, `＊`, …) are
      folded first and treated the same; zero-width characters next to ASCII and bidi
      overrides are removed.

    Apply it exactly once, to raw text.
    """
    if CODE_START in text or CODE_END in text:
        return "".join(
            f"`{_code(piece)}`" if is_code else escape_markdown(piece)
            for piece, is_code in spans(text)
        )
    text = neutralised(text).translate(_INLINE)
    text = _LOOSE_UNDERSCORE.sub("ˍ", text)
    for pattern in (_BACKSLASH, _LINK_JOIN, _TAG, _ENTITY, _STRIKE):
        text = pattern.sub(lambda m: m.group(0) + ZWSP, text)
    text = _INDENT.sub(lambda m: NBSP * len(m.group(0).expandtabs(4)), text)
    return _BLOCK_START.sub(lambda m: m.group(1) + ZWSP, text)


def _code(text: str) -> str:
    """The bot's own inline code: never a backtick inside, nothing made invisible."""
    return neutralised(text).replace("`", "'")


# -- activities --------------------------------------------------------------------------------


def to_activity(reply: Reply, *, submission: str = "") -> dict[str, Any]:
    """A Bot Framework message activity with one Adaptive Card for any reply.

    A reply with a form shows the form (its text above the inputs); an answer with results is
    laid out as the core's `AnswerView` says, one container per card; anything else shows its
    title, text, fields, usage and the user's own text handed back (`extra_lines`). Texts are
    cut with "…" until the whole activity fits Teams' size limit, saying how many were cut.
    """
    if reply.form is not None:
        card = to_form_card(
            reply.form, intro=reply.text, alert=reply.tone == "error", submission=submission
        )
    else:
        card = _reply_card(reply)
    return _activity(card, summary=_summary(reply))


def _reply_card(reply: Reply) -> dict[str, Any]:
    view = view_of(reply)
    actions = _actions(reply.actions)
    fallback = _fallback(reply, view)
    return _fitted(
        lambda limit: _card(_laid_out(view, limit), actions, fallback=fallback, limit=limit),
        last_resort=lambda: _last_resort(fallback, actions),
    )


def _laid_out(view: View, limit: int) -> list[dict[str, Any]]:
    if isinstance(view, AnswerView):
        return _answer(view, limit)
    if isinstance(view, DigestView):
        return _digest(view, limit)
    return _body(view, limit)


def _last_resort(fallback: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The fallback text alone, cut to what is left of the budget after the buttons."""
    if not _fits(_card([], actions, fallback="")):
        actions = []
    spare = MAX_ACTIVITY_BYTES - activity_size(
        _activity(_card([], actions, fallback=""), summary=_WORST_SUMMARY)
    )
    room = min(LAST_RESORT_TEXT, spare // WORST_CHAR_BYTES)
    return _card([_text_block(fallback, limit=room)], actions, fallback="")


def _activity(card: dict[str, Any], *, summary: str) -> dict[str, Any]:
    return {
        "type": "message",
        "summary": summary,
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }


def _card(
    body: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    *,
    fallback: str,
    limit: int = FALLBACK_TEXT,
) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION}
    if fallback.strip():
        card["fallbackText"] = escape_markdown(_cut(fallback, min(limit, FALLBACK_TEXT))[0])
    card["body"] = body or [_text_block("hasanyone", limit=TITLE_TEXT)]
    if actions:
        card["actions"] = actions
    return card


def _fitted(
    build: Callable[[int], dict[str, Any]],
    *,
    last_resort: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The first card, from the longest texts down, whose activity fits Teams' limit."""
    card: dict[str, Any] = {}
    for limit in TEXT_LIMITS:
        card = build(limit)
        if _fits(card):
            return card
    return last_resort() if last_resort is not None else card


def _fits(card: dict[str, Any]) -> bool:
    return activity_size(_activity(card, summary=_WORST_SUMMARY)) <= MAX_ACTIVITY_BYTES


def activity_size(activity: Mapping[str, Any]) -> int:
    """Bytes of the activity as JSON with non-ASCII escaped: never less than its UTF-8 size."""
    return len(json.dumps(activity))


def _summary(reply: Reply) -> str:
    for raw in (reply.text, reply.title, *reply.extra_lines):
        line = next((" ".join(x.split()) for x in plain(raw).splitlines() if x.strip()), "")
        if line:
            return _plain_cut(line, SUMMARY_TEXT)
    return "hasanyone"


def _fallback(reply: Reply, view: View) -> str:
    if not isinstance(view, NoticeView):
        return plain(reply.text.strip()) or "hasanyone"
    fields = (f"{k}: {v}" for k, v in view.fields)
    parts = (view.title, view.text, *fields, *view.usage, *view.extra)
    return plain("\n".join(p for p in parts if p.strip())) or "hasanyone"


# -- answers -----------------------------------------------------------------------------------


def _answer(view: AnswerView, limit: int) -> list[dict[str, Any]]:
    body = _paragraph(view.intro, limit=limit)
    if view.heading:
        body.append(_text_block(view.heading, limit=TITLE_TEXT, isSubtle=True))
    for n, card in enumerate(view.cards[:MAX_RESULTS]):
        body.append(_result(card, limit=limit, first=n == 0))
    return body


def _result(card: CardView, *, limit: int, first: bool) -> dict[str, Any]:
    """Title (linked when the card has a web page), where and when, snippet, who to ask."""
    items = [
        _title(card, limit=min(limit, TITLE_TEXT)),
        _text_block(card.meta, limit=min(limit, META_TEXT), isSubtle=True, spacing="none"),
    ]
    if card.snippet:
        items.append(_text_block(card.snippet, limit=limit, isSubtle=True))
    items.append(_text_block(card.contact_line, limit=min(limit, META_TEXT)))
    if card.also_in:
        items.append(_text_block(card.also_in, limit=TITLE_TEXT, isSubtle=True, size="small"))
    container: dict[str, Any] = {"type": "Container", "items": items, "spacing": "medium"}
    if not first:
        container["separator"] = True
    return container


def result_card(result: ResultCard) -> dict[str, Any]:
    """One result as a card of its own, for the message extension to insert into a chat."""
    fallback = " · ".join(p for p in (result.title, result.organisation) if p.strip())
    return _fitted(
        lambda limit: _card(
            [_result(CardView.of(result), limit=limit, first=True)],
            [],
            fallback=fallback,
            limit=limit,
        )
    )


def result_preview(result: ResultCard) -> dict[str, Any]:
    """How a result is listed in the message extension's results (a thumbnail card)."""
    meta = CardView.of(result).meta
    return {
        "contentType": THUMBNAIL_CONTENT_TYPE,
        "content": {
            "title": _plain_cut(result.title or result.id, TITLE_TEXT),
            "subtitle": _plain_cut(meta, META_TEXT),
            "text": _plain_cut(result.snippet, META_TEXT),
        },
    }


def note_card(text: str) -> dict[str, Any]:
    return _card([_text_block(text, limit=TITLE_TEXT)], [], fallback=text)


def note_preview(text: str) -> dict[str, Any]:
    return {"contentType": THUMBNAIL_CONTENT_TYPE, "content": {"title": _plain_cut(text, 200)}}


def _plain_cut(text: str, limit: int) -> str:
    """Text Teams never parses (thumbnail fields, labels, button titles, the notification
    summary): one line, cut to size, with nothing that hides or reorders it."""
    return visible(_cut(" ".join(text.split()), limit)[0])


def _title(card: CardView, *, limit: int) -> dict[str, Any]:
    label = escape_markdown(_cut(card.title, limit)[0])
    url = _link_target(card.url)
    if url:
        # a bracket inside the label would end the link text early
        label = f"[{label.replace('[', '［').replace(']', '］')}]({url})"
    return {"type": "TextBlock", "text": label or "—", "weight": "bolder", "wrap": True}


def _link_target(url: str) -> str:
    """A card's url fit for `[label](url)`, or "" when it is not a plain web link."""
    url = url.strip()
    if len(url) > URL_TEXT or not _SAFE_URL.match(url):
        return ""
    return url.replace("(", "%28").replace(")", "%29")


# -- other replies -----------------------------------------------------------------------------


def _body(notice: NoticeView, limit: int) -> list[dict[str, Any]]:
    """Title, text, fields, usage, then the user's own text, as the notice orders them."""
    body = []
    if notice.title:
        body.append(_text_block(notice.title, limit=TITLE_TEXT, weight="bolder", size="medium"))
    style = {"color": "attention"} if notice.alert else {}
    body += _paragraph(notice.text, limit=limit, **style)
    body += _facts(notice.fields, limit=limit)
    body += _usage(notice.usage, limit=limit)
    for extra in notice.extra:
        body += _paragraph(extra, limit=limit)
    return body


def _digest(view: DigestView, limit: int) -> list[dict[str, Any]]:
    """The title, then each section: its heading in bold over a line an item."""
    body = [_text_block(view.title, limit=TITLE_TEXT, weight="bolder", size="medium")]
    if not view.sections:
        return [*body, _text_block(view.quiet_line, limit=TITLE_TEXT)]
    for section in view.sections:
        body.append(_text_block(section.heading, limit=TITLE_TEXT, weight="bolder"))
        items = (BULLET + item for item in section.items)
        body.extend(_text_block(i, limit=min(limit, ITEM_TEXT), spacing="none") for i in items)
        if section.more:
            body.append(
                _text_block(section.more_line, limit=TITLE_TEXT, isSubtle=True, spacing="none")
            )
    return body


def _paragraph(raw: str, *, limit: int, **style: Any) -> list[dict[str, Any]]:
    """One TextBlock per line (clients disagree on how a lone newline renders), cut to
    `limit` characters in all with a note saying how many were cut."""
    text, cut = _cut(raw.strip(), limit)
    lines = [line for line in text.splitlines() if line.strip()]
    blocks = [
        {"type": "TextBlock", "text": escape_markdown(line.rstrip()), "wrap": True, **style}
        for line in lines
    ]
    for block in blocks[1:]:
        block["spacing"] = "none"
    if cut:
        note = f"{ELLIPSIS}and {cut:,} more characters (truncated)"
        blocks.append(_text_block(note, limit=TITLE_TEXT, isSubtle=True, spacing="none"))
    return blocks


def _facts(pairs: Sequence[tuple[str, str]], *, limit: int) -> list[dict[str, Any]]:
    # escaping can leave nothing (a lone zero-width space), and Teams wants some text
    facts = [
        {
            "title": escape_markdown(_cut(k, min(limit, FACT_TITLE))[0]) or NO_VALUE,
            "value": escape_markdown(_cut(v, min(limit, FACT_VALUE))[0]) or NO_VALUE,
        }
        for k, v in pairs
    ]
    return [{"type": "FactSet", "facts": facts[:MAX_FACTS]}] if facts else []


def _usage(lines: Sequence[str], *, limit: int) -> list[dict[str, Any]]:
    if not lines:
        return []
    each = max(20, min(limit, 2_000) // len(lines))
    blocks = [_text_block("Usage:", limit=TITLE_TEXT, isSubtle=True)]
    for line in lines:
        blocks.append(_text_block(line, limit=each, fontType="monospace", spacing="none"))
    return blocks


def _actions(actions: Sequence[Action]) -> list[dict[str, Any]]:
    return [_button(a) for a in shown_actions(actions, fits=_teams_can_carry)][:MAX_ACTIONS]


def _teams_can_carry(action: Action) -> bool:
    return len(action.value) <= ACTION_VALUE


def _button(action: Action) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "Action.Execute",
        "verb": action.name,
        "title": _plain_cut(action.label or action.name, ACTION_TITLE),
        "data": action_data(action),
    }
    if action.style in _STYLES:
        button["style"] = _STYLES[action.style]
    return button


def action_data(action: Action) -> dict[str, Any]:
    """What a button carries back (Action.Execute `data`, a message's `value`): the action's
    name and value as the core gave them, and whether it settles its card. `pressed` reads
    it back."""
    data: dict[str, Any] = {ACTION_KEY: action.name, VALUE_KEY: action.value}
    if action.settles:
        data[SETTLES_KEY] = True
    return data


def pressed(data: Mapping[str, Any]) -> ActionPayload | None:
    """The core's action from a button's data, or None when it is not a button's."""
    if ACTION_KEY not in data:
        return None
    return ActionPayload(name=str(data[ACTION_KEY]), value=str(data.get(VALUE_KEY, "")))


# -- forms -------------------------------------------------------------------------------------


def to_form_card(
    form: Form, *, intro: str = "", alert: bool = False, submission: str = ""
) -> dict[str, Any]:
    """An Adaptive Card form: one input per field with the field's name as its id, so a
    submission's `activity.value` is `{"form": form.id, field name: value, ...}`, plus
    `"submission": …` when one is given: a token naming this one card, so a second click on
    the same card (or a replay) is recognised and saved once.

    A field with an error gets the error, in the attention colour, right under its input
    (the card is sent again with every value the user typed). Raises ValueError for a field
    named "form" or two fields with one name: their values would overwrite each other.
    """
    names = [f.name for f in form.fields]
    reserved = {FORM_FIELD_KEY, SUBMISSION_KEY} & set(names)
    if reserved or len(set(names)) != len(names) or not all(names):
        raise ValueError("form fields need distinct, non-empty names other than 'form'")
    data: dict[str, Any] = {**form.hidden, FORM_FIELD_KEY: form.id}
    if submission:
        data[SUBMISSION_KEY] = submission
    submit = {
        "type": "Action.Execute",
        "verb": FORM_VERB,
        "title": _plain_cut(form.submit_label.strip() or "Submit", ACTION_TITLE),
        "style": "positive",
        "data": data,
    }
    return _fitted(
        lambda limit: _card(_form_body(form, intro, alert, limit), [submit], fallback=form.title)
    )


def _form_body(form: Form, intro: str, alert: bool, limit: int) -> list[dict[str, Any]]:
    body = []
    title = " ".join(form.title.split())
    if title:
        body.append(_text_block(title, limit=TITLE_TEXT, weight="bolder", size="medium"))
    style = {"color": "attention"} if alert else {}
    body += _paragraph(intro, limit=min(limit, FACT_VALUE), **style)
    if form.has_errors and not intro.strip():
        body.append(_text_block(FIX_FIELDS, limit=TITLE_TEXT, color="attention"))
    for field in form.fields:
        if field.kind != "hidden":  # carried in the submit action's data instead
            body += _field(field, limit)
    return body


def _field(field: FormField, limit: int) -> list[dict[str, Any]]:
    """The input, then its hint, then (when the form came back) its error."""
    element, cut = _input(field, limit)
    label = _plain_cut(field.label.strip() or field.name, LABEL_TEXT)
    element |= {"id": field.name, "label": label, "isRequired": field.required}
    if field.required:
        element["errorMessage"] = _cut(f"{label} is required.", LABEL_TEXT)[0]
    blocks = [element]
    notes = [field.hint.strip(), CUT_VALUE_NOTE.format(n=cut) if cut else ""]
    for note in filter(None, notes):
        blocks.append(
            _text_block(note, limit=FACT_VALUE, isSubtle=True, size="small", spacing="none")
        )
    if field.error.strip():
        blocks.append(_text_block(field.error, limit=FACT_VALUE, color="attention", spacing="none"))
    return blocks


def _input(field: FormField, limit: int) -> tuple[dict[str, Any], int]:
    """The input element for a field and how many characters of its value were cut."""
    choices = _choices(field.choices, field.value, limit)
    if field.kind == "choice" and field.lookup == PROJECT_DATASET:
        # Teams' typeahead: as someone types, Teams asks the bot (an `application/search`
        # invoke for this dataset), so the whole register is searched, not only the choices
        # listed here. Teams' own extension to Input.ChoiceSet, not in the card schema.
        typeahead: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            "style": "filtered",
            "choices": choices,
            "choices.data": {"type": "Data.Query", "dataset": PROJECT_DATASET},
        }
        if any(c["value"] == field.value for c in choices):
            typeahead["value"] = field.value
        return typeahead, 0
    if field.kind == "choice" and choices:
        element: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            "style": "compact",
            "choices": choices,
        }
        if any(c["value"] == field.value for c in choices):
            element["value"] = field.value
        return element, 0
    if field.kind == "date":
        element = {"type": "Input.Date"}
        if _is_day(field.value):
            element["value"] = field.value
        return element, 0
    return _text_input(field, limit)


def _text_input(field: FormField, limit: int) -> tuple[dict[str, Any], int]:
    element: dict[str, Any] = {"type": "Input.Text"}
    if field.kind == "multiline":
        element["isMultiline"] = True
    if field.max_length is not None and field.max_length > 0:
        element["maxLength"] = field.max_length
    if field.kind == "choice":  # a choice with nothing to choose from: type the id instead
        element["placeholder"] = "Project id" if field.lookup else "Type a value"
    room = min(limit, element.get("maxLength", limit))
    value = field.value[:room] if len(field.value) > room else field.value
    if value:
        element["value"] = value
    return element, len(field.value) - len(value)


def _choices(choices: Iterable[Choice], chosen: str, limit: int) -> list[dict[str, str]]:
    """Distinct choices Teams can carry; fewer (always keeping the chosen one) when the
    card has to shrink. A value too long to carry is left out, since a cut one names
    something else."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for choice in choices:
        if not choice.value or len(choice.value) > CHOICE_VALUE or choice.value in seen:
            continue
        seen.add(choice.value)
        title = _plain_cut(choice.label.strip() or choice.value, min(limit, CHOICE_TITLE))
        out.append({"title": title, "value": choice.value})
    room = max(MIN_CHOICES, min(MAX_CHOICES, limit // 30))
    kept = out[:room]
    picked = next((c for c in out if c["value"] == chosen), None)
    if picked is not None and picked not in kept:
        kept = [*kept[: room - 1], picked]
    return kept


def _is_day(text: str) -> bool:
    if not _DAY.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# -- text --------------------------------------------------------------------------------------


def _text_block(raw: str, *, limit: int, **props: Any) -> dict[str, Any]:
    """A TextBlock of user or core text, escaped, cut to `limit`, never empty."""
    text = escape_markdown(_cut(" ".join(raw.split()), limit)[0]) or "—"
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def _cut(text: str, limit: int) -> tuple[str, int]:
    """Text cut at a word end with "…" to at most `limit` characters, and how many
    characters of the original were left out (0 when it fits)."""
    if len(text) <= limit:
        return text, 0
    shown = cut_at_word(text, limit)
    return shown, len(text) - (len(shown) - len(ELLIPSIS))
