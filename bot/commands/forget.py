"""`forget me`: a person's own data removed, after they confirm.

Their record goes; the weeknotes they wrote stay with their projects but lose their name and
key; their questions lose who asked; their votes, memberships and claims go. The projects they
owned stay, owned by nobody (their team can claim them). Community managers can do the same for
anyone from the command line (`hasanyone forget PERSON-KEY`)."""

from __future__ import annotations

from bot.commands.base import Command, Services, error, split_word
from bot.model import Action, ActionPayload, Incoming, Reply
from bot.text import marked

USAGE = ("forget me",)
FORGET = "forget_me"


def handle_forget(args: str, incoming: Incoming, services: Services) -> Reply:
    word, rest = split_word(args)
    if word != "me" or rest:
        return error(marked("Say `forget me` to remove what I hold about you."), usage=USAGE[0])
    return Reply(
        text=(
            "Forget you? I'll remove your name and account from everything I hold: your record, "
            "the author on your weeknotes (their text stays with the project), who asked your "
            "questions, your votes and memberships. Projects you own will have no owner. "
            "This cannot be undone."
        ),
        actions=(
            Action("Forget me", FORGET, incoming.sender.key, style="danger", settles=True),
            Action("Keep me", "cancel", "", settles=True),
        ),
        private=True,
    )


def confirm_forget(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    # The button names whom it forgets; only that person may press it.
    if action.value != incoming.sender.key:
        return error("That button was for someone else.")
    gone = services.people.forget(incoming.sender.key, now=services.clock.now())
    return Reply(
        text=(
            f"Done: I've forgotten you ({gone.weeknotes} weeknotes and {gone.questions} "
            f"questions anonymised, {gone.projects} projects left without an owner). If you "
            "talk to me again I'll only know what you tell me from then on."
        ),
        tone="done",
        private=True,
    )


COMMAND = Command(
    name="forget",
    summary="remove what I hold about you",
    usage=USAGE,
    handle=handle_forget,
    subcommands=("me",),
    buttons={FORGET: confirm_forget},
)
