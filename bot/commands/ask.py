"""`ask`: “has anyone done X?” answered from the register and weeknotes, and the buttons
people press on an answer."""

from __future__ import annotations

from bot.commands.base import Command, Services, error
from bot.model import Action, ActionPayload, Finding, Incoming, Reply, ResultCard

MAX_QUESTION = 2_000
RELATIVE_FLOOR = 0.65  # below this share of the best score a result is noise, not an answer
FEEDBACK = {
    "helpful": "Thanks — glad it helped.",
    "not_what_i_meant": "Thanks — I'll use that to get better. Try asking with other words?",
}
USAGE = (
    "ask has anyone built a bulky waste booking form?",
    "has anyone done X? (plain words work too)",
)


def handle_ask(args: str, incoming: Incoming, services: Services) -> Reply:
    question = " ".join(args.split())
    if not question:
        return error("What would you like to know? Ask me a question.", usage=USAGE[0])
    finding = services.finder.find(question[:MAX_QUESTION], limit=5)
    question_id = services.questions.record_question(
        question,
        asker=incoming.sender,
        where=incoming.conversation,
        finding=finding,
        at=services.clock.now(),
    )
    return answer_reply(finding, question_id=question_id)


def answer_reply(finding: Finding, *, question_id: int | None) -> Reply:
    if finding.confident:
        # Search returns up to its limit; an answer shows only those close to the best one.
        floor = finding.results[0].score * RELATIVE_FLOOR if finding.results else 0
        shown = tuple(r for r in finding.results if r.score >= floor)
        count = len(shown)
        text = (
            f"{count} {'match' if count == 1 else 'matches'} for “{finding.query}”:\n"
            + "\n".join(_line(r) for r in shown)
        )
        return Reply(
            text=text,
            tone="answer",
            results=shown,
            actions=_buttons(question_id, shown),
            question_id=question_id,
        )
    near = finding.results[:3]
    text = (
        f"Nobody has registered anything like “{finding.query}” yet. "
        "I've logged the question so it appears under “Can you help?” in the weekly digest."
    )
    if near:
        text += "\nClosest, though probably not it:\n" + "\n".join(_line(r) for r in near)
    return Reply(text=text, tone="nothing", results=near, question_id=question_id)


def _line(result: ResultCard) -> str:
    when = result.updated.isoformat() if result.updated else "date unknown"
    head = f"• {result.title} — {result.organisation} ({result.stage}, last activity {when})"
    return f"{head}\n  {result.snippet}\n  Contact: {result.contact or 'not given'}"


def _buttons(question_id: int | None, results: tuple[ResultCard, ...]) -> tuple[Action, ...]:
    if question_id is None or not results:
        return ()
    top = results[0]
    about = f"{question_id}:{top.kind}:{top.id}"
    return (
        Action("Helpful", "helpful", about, style="primary"),
        Action("Not what I meant", "not_what_i_meant", about),
        Action("Introduce me", "introduce", about),
    )


def handle_feedback(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    """A Helpful / Not what I meant press: stored with the question."""
    question_id, _, _ = action.value.partition(":")
    if action.name not in FEEDBACK or not question_id.isdigit():
        return error("That button has expired. Ask me again?")
    stored = services.questions.record_feedback(
        int(question_id), action.name, by=incoming.sender, at=services.clock.now()
    )
    if not stored:
        return error("I can't find that question any more. Ask me again?")
    return Reply(text=FEEDBACK[action.name], tone="done", private=True)


COMMAND = Command(
    name="ask",
    summary="ask whether anyone has done something",
    usage=USAGE,
    handle=handle_ask,
)
