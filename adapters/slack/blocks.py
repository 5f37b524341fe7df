"""The core's values as Slack Block Kit: messages, modals, select options and the App Home.

Pure translation: what a reply shows is decided in the core (bot.view) and only laid out
here; no I/O and no Slack SDK. Everything that reaches Slack as `mrkdwn` and came
from a person (titles, snippets, contacts, questions, the text handed back after an error) goes
through `escape_mrkdwn`; `plain_text` objects are never parsed by Slack, so they are only
cut to length and lose what hides or reorders text (`text_safety.visible`).

Limits are from https://api.slack.com/reference/block-kit/blocks and the composition-object
pages. Lengths are counted in UTF-16 code units (`_size`), which is never less than the
number of characters, so a payload within our count is within Slack's whichever way Slack
counts an emoji.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from adapters.text_safety import cut_at_word, neutralised, prefix_within, visible
from bot.model import Action, ActionPayload, Choice, Form, FormField, Reply
from bot.text import CODE_END, CODE_START, spans
from bot.view import (
    BULLET,
    CONTACT_LABEL,
    AnswerView,
    CardView,
    DigestView,
    HomeView,
    ListSection,
    NoticeView,
    View,
    and_more,
    shown_actions,
    view_of,
)

MAX_BLOCKS = 50  # per message
MAX_VIEW_BLOCKS = 100  # per modal or App Home
SECTION_TEXT = 3_000
FIELD_TEXT = 2_000
MAX_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2_000
ACTION_ID = 255
MAX_BUTTONS = 25
OPTION_TEXT = 75
OPTION_VALUE = 150
MAX_OPTIONS = 100
VIEW_TITLE = 24  # modal title, submit and close
LABEL_TEXT = 2_000
HINT_TEXT = 2_000
INPUT_MAX = 3_000  # plain_text_input's max_length cannot be set higher
PRIVATE_METADATA = 3_000
CALLBACK_ID = 255
FALLBACK_TEXT = 3_000  # Slack allows 40,000; a notification needs far less
# Slack rejects a message whose blocks hold more than roughly 12,000 characters in all with
# `msg_blocks_too_long`, although no page documents it (slackapi/bolt-js#2509, #2867), so
# every message keeps its block text within this budget as well as the per-block limits.
MESSAGE_TEXT = 10_000
# Slack documents no length for a view_submission error; these sit under the input, so keep
# them to the size of Slack's other one-line strings (placeholder, header).
ERROR_TEXT = 150
NOTICE_ROOM = 60  # room kept in a section for "…and N more characters (truncated)"
MIN_CHUNK = 200  # below this a further section is not worth its block
MIN_SNIPPET = 80
URL_TEXT = 500  # a longer link is shown as plain title rather than crowding the card

ELLIPSIS = "…"
ZWSP = "\u200b"
PROJECT_FIELD = "project"  # action_id of the register's external_select (project_options)
ACTIONS_BLOCK = "hasanyone-actions"
SETTLING_BLOCK = "hasanyone-settles"  # buttons whose press decides what the message asked
LONG_INPUT_HINT = (
    "Slack forms take at most 3,000 characters here; send longer text as a message instead."
)
CUT_VALUE_HINT = "What you wrote was longer than this form allows, so it has been cut to fit."

_WORD_AT = re.compile(r"(?<!\w)@[\u200e\u200f]*(?=\w)")
_QUOTE_START = re.compile(r"(?m)^([ \t]*)&gt;")
_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "`": "ˋ"})
_SAFE_URL = re.compile(r"^https?://[^\s<>|`]+$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def escape_mrkdwn(text: str) -> str:
    """User text made inert for a `mrkdwn` text object.

    - `&`, `<`, `>` become entities, as Slack requires, so `<!channel>`, `<@U1>`, `<#C1>`,
      `<!subteam^S1>` and `<https://evil|label>` show as typed and cannot mention or link.
    - Full-width `＜` and friends are folded to ASCII first and then escaped; zero-width
      characters next to ASCII and bidi overrides are removed, so nothing disguised survives.
    - Backticks become `ˋ` (U+02CB) so user text cannot open or close inline code or a code
      block, including inside our own "Usage: `…`".
    - A `>` starting a line gets a zero-width space in front, so user text cannot quote the
      rest of our section.
    - A word starting with `@` ("@here", "@channel", "@everyone", "@team") gets a zero-width
      space after the `@`. In blocks Slack only honours `<!here>`, but a message sent with
      `parse=full` or `link_names=1`, and some clients rendering the notification text, turn
      a bare "@here" into a real mention of the whole channel. The space is invisible, so the
      word still reads the same, but it no longer matches. E-mail addresses are untouched.

    Apply it exactly once, to raw text: the result is not meant to be escaped again.
    """
    if CODE_START in text or CODE_END in text:
        return "".join(
            f"`{_code(piece)}`" if is_code else escape_mrkdwn(piece)
            for piece, is_code in spans(text)
        )
    text = _WORD_AT.sub("@" + ZWSP, neutralised(text).translate(_MRKDWN))
    return _QUOTE_START.sub(lambda m: m.group(1) + ZWSP + "&gt;", text)


def _code(text: str) -> str:
    """The bot's own inline code: entities escaped, and never a backtick inside."""
    return neutralised(text).translate(_MRKDWN).replace("ˋ", "'")


# -- messages ----------------------------------------------------------------------------------


def to_message(reply: Reply) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}` for chat.postMessage, respond() and friends.

    Laid out as the core's view of the reply says (`bot.view.view_of`): an answer's intro and
    one card per result, a digest's sections, or a notice's text, fields, usage and the
    user's own text handed back (`extra_lines`), cut to fit Slack's limits with a note saying
    how much was left out.
    """
    view = view_of(reply)
    head = _header(_title(view))
    actions = _actions(reply.actions)
    room = MAX_BLOCKS - len(head) - len(actions)
    budget = MESSAGE_TEXT - _text_size([*head, *actions])
    if isinstance(view, AnswerView):
        body = _answer(view, room=room, budget=budget)
    elif isinstance(view, DigestView):
        body = _digest(view, room=room, budget=budget)
    else:
        body = _body(view, room, budget)
    blocks = [*head, *body, *actions]
    fallback = _fallback(reply)
    if not blocks:
        blocks = [_section(fallback)]
    return {"text": fallback, "blocks": blocks}


def _title(view: View) -> str:
    return "" if isinstance(view, AnswerView) else view.title


def _fallback(reply: Reply) -> str:
    for raw in (reply.text, reply.title, *reply.extra_lines):
        text = _fit(raw.strip(), FALLBACK_TEXT)[0]
        if text.strip():
            return text
    return "hasanyone"


def _header(title: str) -> list[dict[str, Any]]:
    text = _shorten(" ".join(title.split()), HEADER_TEXT)
    return [{"type": "header", "text": _plain(text)}] if text else []


def _body(notice: NoticeView, room: int, budget: int) -> list[dict[str, Any]]:
    """Text, fields, usage, then the user's own text, as the notice orders them."""
    fields = _fields(notice.fields)
    usage = _usage(notice.usage)
    fixed = [*fields, *usage]
    lead = ":warning: " if notice.alert else ""
    pieces = [notice.text, *notice.extra]
    chunks = _chunks(
        pieces, lead=lead, max_sections=room - len(fixed), budget=budget - _text_size(fixed)
    )
    text = [_section(t) for i, t in chunks if i == 0]
    extra = [_section(t) for i, t in chunks if i > 0]
    return [*text, *fields, *usage, *extra]


def _digest(view: DigestView, *, room: int, budget: int) -> list[dict[str, Any]]:
    """One section a digest section, each within its share of the message's text budget."""
    if not view.sections:
        return [_section(_fit(view.quiet_line, SECTION_TEXT)[0])]
    sections = view.sections[:room]
    each = min(SECTION_TEXT, budget // len(sections))
    return [_section(_bullets(s, each)) for s in sections]


def _answer(view: AnswerView, *, room: int, budget: int) -> list[dict[str, Any]]:
    intro = _fit(view.intro, SECTION_TEXT)[0]
    out = [_section(intro)] if intro.strip() else []
    if view.heading:
        out.append(_context(view.heading))
    budget -= _text_size(out)
    cards = view.cards[: max(0, (room - len(out) + 1) // 3)]
    each = min(SECTION_TEXT, budget // max(1, len(cards)) - 40)
    for n, card in enumerate(cards):
        if n:
            out.append({"type": "divider"})
        out.append(_section(_card_text(card, each)))
        if card.also_in:
            out.append(_context(card.also_in))
    return out


def _card_text(card: CardView, limit: int) -> str:
    """Title (linked when the card has a web page), where and when, the snippet, who to ask."""
    url = _link_target(card.url)
    title = _bold(card.title, 200)
    heading = f"*<{url}|{title}>*" if url else f"*{title}*"
    meta = _fit(card.meta, 300)[0]
    contact = CONTACT_LABEL + _fit(card.contact, 300)[0]
    snippet = card.snippet
    if not snippet:
        return "\n".join((heading, meta, contact))
    more = f" <{url}|more>" if url else ""
    room = limit - _size("\n".join((heading, meta, ">", contact))) - _size(more)
    if room < MIN_SNIPPET:  # no room left in the message: the title and contact matter more
        return "\n".join((heading, meta, contact))
    quoted, cut = _fit(snippet, room)
    return "\n".join((heading, meta, ">" + quoted + (more if cut else ""), contact))


def _link_target(url: str) -> str:
    """A card's url fit to sit inside `<url|label>`, or "" when it is not a plain web link."""
    url = url.strip()
    if not _SAFE_URL.match(url) or len(url) > URL_TEXT:
        return ""
    return url.replace("&", "&amp;")


def _bold(raw: str, limit: int) -> str:
    # an asterisk in the title would end our bold early; U+2217 looks the same and does not
    return _fit(" ".join(raw.split()), limit)[0].replace("*", "∗")


def _fields(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    texts = []
    for label, value in pairs:
        name = _bold(label, 200)
        head = f"*{name}*\n" if name else ""
        texts.append(head + _fit(value, FIELD_TEXT - _size(head))[0])
    return [
        {"type": "section", "fields": [_mrkdwn(t) for t in texts[i : i + MAX_FIELDS]]}
        for i in range(0, len(texts), MAX_FIELDS)
    ]


def _usage(lines: Sequence[str]) -> list[dict[str, Any]]:
    if not lines:
        return []
    each = (SECTION_TEXT - 20) // len(lines) - 2
    code = [f"`{_fit(line, each)[0]}`" for line in lines]
    return [_context("Usage: " + "\n".join(code), escaped=True)]


def _actions(actions: Sequence[Action]) -> list[dict[str, Any]]:
    """Buttons: one block for those that settle the message (SETTLING_BLOCK, so the adapter
    knows to replace the message with the outcome), one for the rest."""
    blocks = []
    for settles, block_id in ((False, ACTIONS_BLOCK), (True, SETTLING_BLOCK)):
        block = _buttons([a for a in actions if a.settles == settles], block_id)
        blocks += block
    return blocks


def _buttons(actions: Sequence[Action], block_id: str) -> list[dict[str, Any]]:
    """The block's buttons; Slack wants action_ids distinct within a block."""
    buttons = [_button(a) for a in shown_actions(actions, fits=_slack_can_carry)]
    if not buttons:
        return []
    return [{"type": "actions", "block_id": block_id, "elements": buttons[:MAX_BUTTONS]}]


def _slack_can_carry(action: Action) -> bool:
    return len(action.name) <= ACTION_ID and _size(action.value) <= BUTTON_VALUE


def _button(action: Action) -> dict[str, Any]:
    """The button's action_id names the action and its value is the action's value, both as
    the core gave them: `pressed` reads them back."""
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action.name,
        "text": _plain(_shorten(" ".join(action.label.split()) or action.name, BUTTON_TEXT)),
    }
    if action.value:
        button["value"] = action.value
    if action.style in ("primary", "danger"):  # Slack rejects "default"
        button["style"] = action.style
    return button


def pressed(element: Mapping[str, Any]) -> ActionPayload:
    """The core's action from one of `body["actions"]` in a block_actions payload."""
    return ActionPayload(
        name=str(element.get("action_id", "")), value=str(element.get("value", ""))
    )


def _chunks(
    pieces: Sequence[str], *, lead: str, max_sections: int, budget: int
) -> list[tuple[int, str]]:
    """Escaped sections of ≤ SECTION_TEXT for each piece, split at line or word ends, within
    `max_sections` and `budget` in all. When they do not all fit, the last section says how
    many characters of the user's text were left out. Returns (piece index, section text)."""
    out: list[tuple[int, str]] = []
    if max_sections <= 0:
        return out
    used = _size(lead)
    for index, piece in enumerate(pieces):
        pos = _skip_space(piece, 0)
        while pos < len(piece):
            room = min(SECTION_TEXT - NOTICE_ROOM, budget - NOTICE_ROOM - used)
            if len(out) >= max_sections or room < MIN_CHUNK:
                left = len(piece) - pos + sum(len(p) for p in pieces[index + 1 :])
                return _with_notice(out, left, lead=lead)
            take = max(1, _raw_prefix(piece[pos : pos + room + 1], room))
            text = escape_mrkdwn(piece[pos : pos + take]).rstrip()
            if text.strip():
                if not out:
                    text = lead + text
                out.append((index, text))
                used += _size(text)
            pos = _skip_space(piece, pos + take)
    if lead and not out and max_sections > 0:
        out.append((0, lead.strip()))
    return out


def _with_notice(out: list[tuple[int, str]], left: int, *, lead: str) -> list[tuple[int, str]]:
    notice = f"_{ELLIPSIS}and {left:,} more characters (truncated)_"
    if not out:
        return [(0, lead + notice)]
    index, text = out[-1]
    return [*out[:-1], (index, f"{text}\n{notice}")]


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


# -- modals ------------------------------------------------------------------------------------


def to_modal(form: Form, *, callback_id: str, private_metadata: str = "") -> dict[str, Any]:
    """A `view` for views.open: one input block per field, with block_id and action_id both
    the field's name, so `modal_values` and `form_errors` speak the core's field names.

    Raises ValueError for a callback_id or private_metadata Slack would refuse: cutting
    either would route the submission wrongly.
    """
    if not callback_id or len(callback_id) > CALLBACK_ID:
        raise ValueError(f"callback_id must be 1 to {CALLBACK_ID} characters")
    if _size(private_metadata) > PRIVATE_METADATA:
        raise ValueError(f"private_metadata is over {PRIVATE_METADATA:,} characters")
    blocks = _error_summary(form)
    shown = [f for f in form.fields if f.kind != "hidden"]  # those travel in private_metadata
    blocks += [_input(f) for f in shown][: MAX_VIEW_BLOCKS - len(blocks)]
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(_shorten(" ".join(form.title.split()), VIEW_TITLE) or "hasanyone"),
        "submit": _plain(_shorten(" ".join(form.submit_label.split()), VIEW_TITLE) or "Submit"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def _error_summary(form: Form) -> list[dict[str, Any]]:
    """A modal opened afresh cannot mark fields as wrong (only a view_submission answer can),
    so a form that comes back with errors also lists them at the top."""
    lines = [
        f"*{_bold(f.label or f.name, 200)}*: {_fit(f.error, 300)[0]}"
        for f in form.fields
        if f.error.strip()
    ]
    if not lines:
        return []
    text = _fit_escaped(":warning: " + "\n".join(lines), SECTION_TEXT)
    return [_context(text, escaped=True)]


def _input(field: FormField) -> dict[str, Any]:
    element, notes = _element(field)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name,
        "label": _plain(_shorten(field.label.strip() or field.name, LABEL_TEXT)),
        "optional": not field.required,
        "element": element,
    }
    hint = " ".join(p for p in (field.hint.strip(), *notes) if p)
    if hint:
        block["hint"] = _plain(_shorten(hint, HINT_TEXT))
    return block


def _element(field: FormField) -> tuple[dict[str, Any], list[str]]:
    """The input element for a field, and anything its hint should add."""
    if field.lookup == "projects":
        return _project_select(field), []
    if field.kind == "date":
        picker: dict[str, Any] = {"type": "datepicker", "action_id": field.name}
        if _is_day(field.value):
            picker["initial_date"] = field.value
        return picker, []
    if field.kind == "choice" and any(_option(c.value, c.label) for c in field.choices):
        return _static_select(field), []
    return _text_input(field)


def _text_input(field: FormField) -> tuple[dict[str, Any], list[str]]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.name}
    notes = []
    if field.kind == "multiline":
        element["multiline"] = True
    limit = INPUT_MAX
    if field.max_length is not None and field.max_length > 0:
        limit = min(field.max_length, INPUT_MAX)
        element["max_length"] = limit
        if field.max_length > INPUT_MAX:
            notes.append(LONG_INPUT_HINT)
    value = field.value
    if len(value) > limit:
        value = value[:limit]
        notes.append(CUT_VALUE_HINT)
    if value:
        element["initial_value"] = value
    return element, notes


def _static_select(field: FormField) -> dict[str, Any]:
    options = _options(field.choices)
    chosen = next((o for o in options if o["value"] == field.value), None)
    if chosen is None and field.value:
        label = next((c.label for c in field.choices if c.value == field.value), "")
        chosen = _option(field.value, label)
    shown = options[:MAX_OPTIONS]
    if chosen is not None and chosen not in shown:
        shown = [*shown[: MAX_OPTIONS - 1], chosen]
    element: dict[str, Any] = {"type": "static_select", "action_id": field.name, "options": shown}
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _project_select(field: FormField) -> dict[str, Any]:
    """Projects come from the register as the user types (`project_options`), not from the
    form, so the modal stays small however many projects there are."""
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": PROJECT_FIELD,
        "min_query_length": 0,
        "placeholder": _plain("Choose a project"),
    }
    if field.value:
        label = next((c.label for c in field.choices if c.value == field.value), "")
        chosen = _option(field.value, label)
        if chosen is not None:
            element["initial_option"] = chosen
    return element


def _options(choices: Iterable[Choice]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for choice in choices:
        option = _option(choice.value, choice.label)
        if option is not None and choice.value not in seen:
            seen.add(choice.value)
            out.append(option)
    return out


def _option(value: str, label: str) -> dict[str, Any] | None:
    """An option, or None when its value is empty or too long for Slack: a cut value would
    come back naming something else."""
    if not value or _size(value) > OPTION_VALUE:
        return None
    text = _shorten(" ".join(label.split()) or value, OPTION_TEXT)
    return {"text": _plain(text), "value": value}


def _is_day(text: str) -> bool:
    if not _DAY.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def form_errors(form: Form) -> dict[str, Any]:
    """The view_submission answer that marks fields as wrong: keys are the block ids
    `to_modal` gave the fields (their names)."""
    errors = {
        f.name: _shorten(" ".join(f.error.split()), ERROR_TEXT)
        for f in form.fields
        if f.error.strip()
    }
    return {"response_action": "errors", "errors": errors}


def modal_values(view_state_values: Mapping[str, Any]) -> dict[str, str]:
    """`view["state"]["values"]` from a view_submission → {field name: text}. Inputs left
    empty, and selects with nothing chosen, come back as ""."""
    values: dict[str, str] = {}
    for block_id, actions in view_state_values.items():
        if not isinstance(actions, Mapping):
            continue
        state = next(iter(actions.values()), None)
        values[block_id] = _state_value(state) if isinstance(state, Mapping) else ""
    return values


def _state_value(state: Mapping[str, Any]) -> str:
    if "selected_option" in state:
        option = state["selected_option"]
        return str(option.get("value") or "") if isinstance(option, Mapping) else ""
    for key in ("selected_date", "value", "selected_time"):
        if key in state:
            return str(state[key] or "")
    return ""


def project_options(projects: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The block_suggestion answer for the project select: the (id, label) pairs the core's
    picker found, at most Slack's 100."""
    options = []
    for project_id, label in projects:
        option = _option(project_id, label)
        if option is not None:
            options.append(option)
        if len(options) == MAX_OPTIONS:
            break
    return {"options": options}


# -- App Home ----------------------------------------------------------------------------------


def home_view(view: HomeView) -> dict[str, Any]:
    """The App Home tab as the core's `HomeView` says: a header and a section per list."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(view.title)}]
    blocks.extend(_section(_bullets(s, SECTION_TEXT)) for s in view.sections)
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _bullets(section: ListSection, limit: int) -> str:
    """The bold heading and a bullet an item, as many as fit `limit`, then how many more."""
    text = f"*{_bold(section.heading, 200)}*"
    if not section.items:
        return f"{text}\n{_fit(section.empty, 500)[0]}" if section.empty else text
    items = section.items
    for n, item in enumerate(items):
        bullet = "\n" + BULLET + _fit(item, 500)[0]
        more = "\n" + and_more(len(items) - n + section.more)
        if _size(text + bullet) + NOTICE_ROOM > limit:
            return text + more
        text += bullet
    return text + (f"\n{section.more_line}" if section.more else "")


# -- text objects and lengths ------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    """Slack never parses plain_text, but it shows what reorders or hides text."""
    return {"type": "plain_text", "text": visible(text), "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str, *, escaped: bool = False) -> dict[str, Any]:
    body = text if escaped else _fit(text, SECTION_TEXT)[0]
    return {"type": "context", "elements": [_mrkdwn(body)]}


def _size(text: str) -> int:
    """Length in UTF-16 code units: an emoji outside the BMP counts as two."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _text_size(blocks: Iterable[Any]) -> int:
    """All the text a list of blocks carries, as Slack's cumulative limit counts it."""
    total = 0
    for block in blocks:
        if isinstance(block, Mapping):
            total += sum(
                _size(v) if isinstance(v, str) else _text_size([v]) for v in block.values()
            )
        elif isinstance(block, list):
            total += _text_size(block)
    return total


def _fit(raw: str, limit: int) -> tuple[str, bool]:
    """Raw text escaped for mrkdwn and, if need be, cut at a word end with "…" to fit
    `limit`. Cutting happens on the raw text, so an entity such as `&amp;` is never split.
    Returns the text and whether it was cut."""
    escaped = escape_mrkdwn(raw)
    if _size(escaped) <= limit:
        return escaped, False
    room = limit - len(ELLIPSIS)
    take = _raw_prefix(raw[: room + 1], room)
    return escape_mrkdwn(raw[:take]).rstrip() + ELLIPSIS, True


def _fit_escaped(text: str, limit: int) -> str:
    """Text already escaped, cut to `limit` without splitting an entity."""
    if _size(text) <= limit:
        return text
    cut = prefix_within(text, limit - len(ELLIPSIS), size=_size)
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return text[:cut].rstrip() + ELLIPSIS


def _raw_prefix(raw: str, room: int) -> int:
    """How much of `raw` to take so that its escaped form fits `room`, ending at a line or
    word end when one falls in the second half."""
    n = min(len(raw), room)
    while n > 0:
        size = _size(escape_mrkdwn(raw[:n]))
        if size <= room:
            break
        n = min(n - 1, n * room // size)  # escaping can grow text up to fivefold ("&amp;")
    if n >= len(raw):
        return len(raw)
    if n <= 0:
        return 0
    end = _break_before(raw, n)
    while end > 0 and _size(escape_mrkdwn(raw[:end])) > room:
        end -= 1
    return end


def _break_before(raw: str, n: int) -> int:
    line = raw.rfind("\n", n // 2, n + 1)
    if line > 0:
        return line
    for i in range(min(n, len(raw) - 1), n // 2, -1):
        if raw[i].isspace():
            return i
    return n


def _shorten(text: str, limit: int) -> str:
    """Plain text cut at a word end with "…" to fit `limit` UTF-16 code units."""
    return cut_at_word(text, limit, size=_size)
