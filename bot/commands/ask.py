"""`ask`: “has anyone done X?” answered from the register and weeknotes, and the buttons
people press on an answer."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.base import Command, Services, error
from bot.model import (
    Action,
    ActionPayload,
    Finding,
    Incoming,
    Introduction,
    Reply,
    ResultCard,
)
from bot.ports import NotAllowed, NotFound
from bot.view import AnswerRef, AnswerView, question_of

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
    # Asked where the community cannot see it: the asker may choose to show it to them.
    shareable = not incoming.conversation.is_public
    reply = answer_reply(finding, question_id=question_id, shareable=shareable)
    if incoming.command is not None and not incoming.conversation.is_direct:
        # Asked through a command in a channel (Slack's /hasanyone, a message shortcut): the
        # answer is the asker's to see first, and to share with the channel if it helps.
        share = Action("Share in channel", SHARE_ANSWER, str(question_id), settles=True)
        return replace(reply, private=True, actions=(*reply.actions, share))
    return reply


def handle_share_answer(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    """The answer a person saw privately, posted for the whole channel (asked again: the
    register may have changed since)."""
    asked = services.questions.asked(int(action.value)) if action.value.isdigit() else None
    if asked is None:
        return error("I can't find that question any more. Ask me again?")
    text, asker_key = asked
    if asker_key != incoming.sender.key:
        return error("Only the person who asked can share this answer.")
    finding = services.finder.find(text[:MAX_QUESTION], limit=5)
    reply = answer_reply(finding, question_id=int(action.value), logged=False)
    said = f"{incoming.sender.name or 'Someone'} asked: “{text}”"
    if reply.answer is None:
        return replace(reply, text=f"{said}\n{reply.text}", private=False)
    # Who shared it and what they asked lead the message, where the answer's intro would be.
    view = replace(reply.answer, intro=said)
    return replace(reply, text="\n".join(view.lines()), answer=view, private=False)


def answer_reply(
    finding: Finding, *, question_id: int | None, shareable: bool = False, logged: bool = True
) -> Reply:
    """The answer to a question. `logged`: the question was recorded (so a "nobody yet" reply
    may say it will be listed); `shareable`: it was asked in private, so offer to share it."""
    if finding.confident:
        # Search returns up to its limit; an answer shows only those close to the best one.
        floor = finding.results[0].score * RELATIVE_FLOOR if finding.results else 0
        shown = tuple(r for r in finding.results if r.score >= floor)
        count = len(shown)
        intro = f"{count} {'match' if count == 1 else 'matches'} for “{finding.query}”:"
        view = AnswerView.of("confident", intro, shown)
        return Reply(
            text="\n".join(view.lines()),
            tone="answer",
            answer=view,
            actions=_buttons(question_id, shown),
            question_id=question_id,
        )
    near = finding.results[:3]
    text = f"Nobody has registered anything like “{finding.query}” yet."
    actions: tuple[Action, ...] = ()
    if logged and question_id is not None and shareable:
        text += (
            " I've noted the question. It was asked here in private, so only you can see it: "
            "share it and it appears under “Can you help?” for the community."
        )
        actions = (Action("Share this question", SHARE, str(question_id), style="primary"),)
    elif logged and question_id is not None:
        text += " I've logged the question so it appears under “Can you help?” in the digest."
    view = AnswerView.of("closest" if near else "nothing", text, near)
    text = "\n".join(view.lines())
    return Reply(text=text, tone="nothing", answer=view, actions=actions, question_id=question_id)


SHARE = "share_question"
SHARE_ANSWER = "share_answer"
INTRODUCE = "introduce"


def _buttons(question_id: int | None, results: tuple[ResultCard, ...]) -> tuple[Action, ...]:
    if question_id is None or not results:
        return ()
    value = AnswerRef.about(question_id, results[0]).encode()
    return (
        Action("Helpful", "helpful", value, style="primary"),
        Action("Not what I meant", "not_what_i_meant", value),
        Action("Introduce me", INTRODUCE, value),
    )


def handle_feedback(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    """A Helpful / Not what I meant press: this person's vote on the answer (a later press by
    the same person changes it; other people's votes are their own)."""
    question_id = question_of(action.value)
    if action.name not in FEEDBACK or question_id is None:
        return error("That button has expired. Ask me again?")
    stored = services.questions.record_feedback(
        question_id, action.name, by=incoming.sender, at=services.clock.now()
    )
    if not stored:
        return error("I can't find that question any more. Ask me again?")
    return Reply(text=FEEDBACK[action.name], tone="done", private=True)


def handle_share(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    if not action.value.isdigit():
        return error("That button has expired. Ask me again?")
    try:
        shared = services.questions.share_question(
            int(action.value), by=incoming.sender, at=services.clock.now()
        )
    except NotFound:
        return error("I can't find that question any more. Ask me again?")
    except NotAllowed:
        return error("Only the person who asked a question can share it.")
    if not shared:
        return Reply(text="You shared that question already.", private=True)
    return Reply(
        text="Shared: people here can now see your question under “Can you help?”.",
        tone="done",
        private=True,
    )


def handle_introduce(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    """The contact route to the team behind a result, and who to introduce the asker to where
    the platform can open a conversation: the project's owner, else the weeknote's author.
    Once per person and question, however often the button is pressed."""
    about = AnswerRef.decode(action.value)
    if about is None:
        return error("That button has expired. Ask me again?")
    question_id, kind, target_id = about.question_id, about.kind, about.target_id
    note = services.weeknotes.get_weeknote(target_id) if kind == "weeknote" else None
    project_id = note.project_id if note is not None else target_id
    project = services.projects.get_project(project_id) if project_id else None
    if project is None and note is None:
        return error("I can't find that project any more.")
    title = project.title if project is not None else (note.title if note else "")
    contact = (project.contact if project else "") or (note.author if note else "")
    text = f"To reach the {title or 'team'} team: {contact or 'no contact given'}"
    if not services.questions.first_introduction(
        question_id, by=incoming.sender, at=services.clock.now()
    ):
        return Reply(text=f"I've already introduced you. {text}", private=True)
    owner = (project.owner_key if project else None) or (note.author_key if note else None)
    introduction = Introduction(owner, title) if owner else None
    return Reply(text=text, private=True, introduction=introduction)


COMMAND = Command(
    name="ask",
    summary="ask whether anyone has done something",
    usage=USAGE,
    handle=handle_ask,
    buttons={
        "helpful": handle_feedback,
        "not_what_i_meant": handle_feedback,
        INTRODUCE: handle_introduce,
        SHARE: handle_share,
        SHARE_ANSWER: handle_share_answer,
    },
)
