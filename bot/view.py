"""What a reply shows, decided once in the core; Block Kit, Adaptive Cards and the terminal
only lay it out (issue 12).

Each renderer used to re-derive an answer from `Reply.text` and `Reply.results` (the intro
line, "Closest, though probably not it", the meta line, the contact fallback, "Also in N
weeknotes", which buttons to drop) and they drifted. Here those decisions are made once, as
plain strings a renderer escapes and cuts to its platform's limits, and nothing more.

The values buttons carry are encoded and decoded here too (`AnswerRef`), so the command that
offers a button and the one that handles its press cannot disagree about the format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.model import Action, Reply, ResultCard
from bot.text import one_line

CLOSEST_HEADING = "Closest, though probably not it"
CONTACT_LABEL = "Contact: "
NO_CONTACT = "not given"
UNKNOWN_DATE = "unknown"
NO_VALUE = "—"
MAX_USAGE_LINES = 20
BULLET = "• "

IntroKind = Literal["confident", "closest", "nothing"]


@dataclass(frozen=True, slots=True)
class CardView:
    """One result as every platform shows it. Texts are raw (not escaped) and on one line;
    `url` is the card's own, which each renderer links only when its syntax can carry it."""

    kind: Literal["project", "weeknote"]
    id: str
    title: str
    url: str
    meta: str
    snippet: str
    contact: str
    also_in: str = ""

    @property
    def contact_line(self) -> str:
        return CONTACT_LABEL + self.contact

    @classmethod
    def of(cls, card: ResultCard) -> CardView:
        when = card.updated.isoformat() if card.updated else UNKNOWN_DATE
        parts = (card.organisation.strip(), card.stage.strip(), f"last activity {when}")
        also_in = ""
        if card.kind == "project" and card.weeknote_ids:
            count = len(card.weeknote_ids)
            also_in = f"Also in {count} weeknote{'' if count == 1 else 's'}"
        return cls(
            kind=card.kind,
            id=card.id,
            title=one_line(card.title or card.id),
            url=card.url,
            meta=" · ".join(p for p in parts if p),
            snippet=one_line(card.snippet),
            contact=one_line(card.contact) or NO_CONTACT,
            also_in=also_in,
        )


@dataclass(frozen=True, slots=True)
class AnswerView:
    """An answer to a question: a one-line intro, a heading over the cards when they are only
    near misses, and the cards. With no cards a renderer shows the reply as a notice."""

    kind: IntroKind
    intro: str
    cards: tuple[CardView, ...] = ()

    @property
    def heading(self) -> str:
        return CLOSEST_HEADING if self.kind == "closest" and self.cards else ""

    @classmethod
    def of(cls, kind: IntroKind, intro: str, results: Iterable[ResultCard]) -> AnswerView:
        return cls(kind=kind, intro=intro.strip(), cards=tuple(CardView.of(r) for r in results))

    def lines(self) -> tuple[str, ...]:
        """The answer as plain lines: the terminal's layout, and the fallback text a
        notification shows."""
        out = [self.intro] if self.intro else []
        if self.heading:
            out.append(self.heading + ":")
        for card in self.cards:
            out.append(f"{BULLET}{card.title} — {card.meta}")
            out.extend(
                f"  {line}" for line in (card.snippet, card.contact_line, card.also_in) if line
            )
        return tuple(out)


def and_more(count: int) -> str:
    """The line under a list that could not show `count` of its items."""
    return f"…and {count:,} more"


@dataclass(frozen=True, slots=True)
class ListSection:
    """A heading over a list (a digest's "New projects", App Home's "Your projects"). `items`
    are the lines shown, raw and on one line each; `more` counts those left out; `empty` is
    what shows when there are none ("" leaves the section out)."""

    heading: str
    items: tuple[str, ...]
    more: int = 0
    empty: str = ""

    @property
    def more_line(self) -> str:
        return and_more(self.more) if self.more > 0 else ""

    @classmethod
    def first(
        cls, heading: str, items: Iterable[str], *, limit: int, empty: str = ""
    ) -> ListSection:
        """The first `limit` of `items` (blank ones dropped), counting the rest."""
        lines = [one_line(item) for item in items]
        lines = [line for line in lines if line]
        return cls(heading, tuple(lines[:limit]), max(0, len(lines) - limit), empty)

    def lines(self) -> tuple[str, ...]:
        if not self.items:
            return (self.heading, self.empty) if self.empty else ()
        bullets = tuple(BULLET + item for item in self.items)
        return (self.heading, *bullets, *((self.more_line,) if self.more else ()))


@dataclass(frozen=True, slots=True)
class DigestView:
    """A period's digest: its title and its sections, or, for a quiet week, one line."""

    title: str
    sections: tuple[ListSection, ...]
    quiet: str = ""

    @property
    def quiet_line(self) -> str:
        """A quiet week's line as a sentence of its own, under the title."""
        return self.quiet[:1].upper() + self.quiet[1:]

    def text(self) -> str:
        """The digest as plain text: the notification's fallback, and what the terminal shows."""
        if not self.sections:
            return f"{self.title} — {self.quiet}"
        return "\n\n".join((self.title, *("\n".join(s.lines()) for s in self.sections)))


@dataclass(frozen=True, slots=True)
class HomeView:
    """A person's home in the app (Slack's App Home tab): sections of short lists."""

    title: str
    sections: tuple[ListSection, ...]


@dataclass(frozen=True, slots=True)
class NoticeView:
    """Any reply that is not an answer with results, a digest or a form: a title, the text
    (`alert` for an error), label–value fields as shown, usage examples, and the person's own
    text handed back, in that order."""

    title: str
    text: str
    alert: bool
    fields: tuple[tuple[str, str], ...]
    usage: tuple[str, ...]
    extra: tuple[str, ...]

    @classmethod
    def of(cls, reply: Reply) -> NoticeView:
        return cls(
            title=one_line(reply.title),
            text=reply.text.strip(),
            alert=reply.tone == "error",
            fields=shown_fields(reply.fields),
            usage=usage_lines(reply.usage),
            extra=tuple(line for line in reply.extra_lines if line.strip()),
        )


View = AnswerView | DigestView | NoticeView


def view_of(reply: Reply) -> View:
    """How a reply (other than a form) is laid out, decided here for every platform: its
    digest, its answer when that has results to show, or else a notice."""
    if reply.digest is not None:
        return reply.digest
    if reply.answer is not None and reply.answer.cards:
        return reply.answer
    return NoticeView.of(reply)


def usage_lines(usage: str) -> tuple[str, ...]:
    """The usage examples a notice shows under its text, one a line, at most MAX_USAGE_LINES."""
    return tuple(line.strip() for line in usage.splitlines() if line.strip())[:MAX_USAGE_LINES]


def shown_fields(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A notice's (label, value) pairs as shown: labels on one line, an empty value as "—",
    and a pair with neither left out."""
    return tuple(
        (one_line(label), value.strip() or NO_VALUE)
        for label, value in pairs
        if label.strip() or value.strip()
    )


def shown_actions(
    actions: Iterable[Action], *, fits: Callable[[Action], bool] = lambda _: True
) -> list[Action]:
    """The buttons a platform can offer: each needs a name, and a name used twice would make
    two presses indistinguishable, so only its first button is kept. One the platform cannot
    carry (`fits` says, by its own limits) is left out rather than cut, because a cut value
    names the wrong thing; a later button of the same name may then take its place."""
    seen: set[str] = set()
    out = []
    for action in actions:
        if action.name and action.name not in seen and fits(action):
            seen.add(action.name)
            out.append(action)
    return out


@dataclass(frozen=True, slots=True)
class AnswerRef:
    """What an answer's buttons are about: which question, and which result. Carried as the
    button's value ("7:project:bulky-waste") and read back from the press."""

    question_id: int
    kind: Literal["project", "weeknote"]
    target_id: str

    def encode(self) -> str:
        return f"{self.question_id}:{self.kind}:{self.target_id}"

    @classmethod
    def about(cls, question_id: int, card: ResultCard) -> AnswerRef:
        return cls(question_id, card.kind, card.id)

    @classmethod
    def decode(cls, value: str) -> AnswerRef | None:
        """The reference in a button's value, or None for anything else."""
        question_id, _, rest = value.partition(":")
        kind, _, target_id = rest.partition(":")
        if not question_id.isdigit() or not target_id:
            return None
        if kind == "project":
            return cls(int(question_id), "project", target_id)
        if kind == "weeknote":
            return cls(int(question_id), "weeknote", target_id)
        return None


def question_of(value: str) -> int | None:
    """The question a button's value names, whether it is an `AnswerRef` or a bare id."""
    question_id = value.partition(":")[0]
    return int(question_id) if question_id.isdigit() else None
