"""`weeknote`: post, edit, delete and list weeknotes. No text opens the form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.commands.base import (
    Command,
    Handler,
    Services,
    error,
    split_target,
    split_word,
    week_of,
)
from bot.commands.project_team import refusal
from bot.model import (
    Choice,
    Form,
    FormField,
    Incoming,
    Reply,
    Weeknote,
    WeeknoteDraft,
)
from bot.ports import NotAllowed, NotFound
from bot.text import marked

MAX_TEXT = 100_000
USAGE = (
    "weeknote                              (opens the form)",
    "weeknote PROJECT-ID: what happened this week",
    "weeknote list [PROJECT-ID]",
    "weeknote edit WEEKNOTE-ID: the corrected text",
    "weeknote delete WEEKNOTE-ID",
    "weeknote remind off | on              (the Friday reminder if you have not posted)",
    "weeknote show WEEKNOTE-ID",
    "weeknote internal PROJECT-ID: only for your organisation",
)
EVERYONE, ORGANISATION = "everyone", "organisation"  # the form's "who can read it"


def handle_weeknote(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, rest = split_word(args)
    if not args.strip():
        return Reply(text="Fill in your weeknote.", form=weeknote_form(incoming, services))
    handler = SUBCOMMANDS.get(verb)
    if handler is not None:
        return handler(rest, incoming, services)
    return _post(args, incoming, services)


def _internal(rest: str, incoming: Incoming, services: Services) -> Reply:
    return _post(rest, incoming, services, internal=True)


def _post(text: str, incoming: Incoming, services: Services, *, internal: bool = False) -> Reply:
    target = split_target(text)
    if target is None:
        own = services.projects.projects_of(incoming.sender.key)
        if len(own) != 1:
            return _which_project(text, [p.id for p in own])
        target = (own[0].id, text.strip())
    project_id, body = target
    week = week_of(services.clock.now().date())
    return _save(project_id, body, week, incoming, services, internal=internal)


def _which_project(text: str, own: list[str]) -> Reply:
    hint = f" Your projects: {', '.join(own)}." if own else ""
    return error(
        "Which project is this weeknote for? Start with the project's id and a colon." + hint,
        usage=USAGE[1],
        keep=text,
    )


def _save(
    project_id: str,
    body: str,
    week: date,
    incoming: Incoming,
    services: Services,
    *,
    internal: bool = False,
) -> Reply:
    problem = check_text(body)
    if problem:
        return error(problem, usage=USAGE[1], keep=body)
    project = services.projects.get_project(project_id)
    if project is None:
        return error(f"There is no project with the id “{project_id}”.", usage=USAGE[1], keep=body)
    if not services.access.may_change(project, incoming.sender.key):
        return error(refusal(project, "post weeknotes for it", services), keep=body)
    draft = WeeknoteDraft(
        project_id=project.id, week=week, text=body, author=incoming.sender, internal=internal
    )
    try:
        note = services.weeknotes.add_weeknote(draft, now=services.clock.now())
    except Exception:  # the store failed: say so and hand the text back
        return error("Sorry, I couldn't save that weeknote. Try again in a minute.", keep=body)
    seen_by = " Only your organisation can read it." if internal else ""
    return Reply(
        text=(
            f"Posted your weeknote for {project.title}, week of {week:%d %B %Y} "
            f"(id {note.id}).{seen_by}"
        ),
        tone="done",
        private=True,
    )


def check_text(body: str) -> str:
    if not body.strip():
        return "The weeknote is empty. Write what happened this week after the project id."
    if len(body) > MAX_TEXT:
        return f"That weeknote is {len(body):,} characters; the limit is {MAX_TEXT:,}. Split it?"
    return ""


def _list(rest: str, incoming: Incoming, services: Services) -> Reply:
    project_id, _ = split_word(rest)
    if project_id:
        viewer = incoming.sender.key
        internal_from = services.access.internal_visible_to(
            viewer, services.projects.organisations_of(viewer)
        )
        notes = services.weeknotes.weeknotes_for_project(project_id, internal_from=internal_from)
        heading = f"Recent weeknotes for {project_id}"
    else:
        notes = services.weeknotes.weeknotes_of(incoming.sender.key)
        heading = "Your recent weeknotes"
    if not notes:
        return Reply(text=f"{heading}: none yet.", private=True)
    return Reply(text=heading + ":\n" + "\n".join(_summary(n) for n in notes), private=True)


def _summary(note: Weeknote) -> str:
    first = " ".join(note.text.split())[:100]
    mark = " (internal)" if note.internal else ""
    return f"• {note.id} — week of {note.week.isoformat()}{mark} — {first}"


def _show(rest: str, incoming: Incoming, services: Services) -> Reply:
    """One weeknote in full. One marked internal that the sender may not read is answered
    exactly like one that does not exist, so its existence does not leak either."""
    note_id, _ = split_word(rest)
    if not note_id:
        return error("Which weeknote? Give its id.", usage=USAGE[6])
    note = services.weeknotes.get_weeknote(note_id)
    viewer = incoming.sender.key
    if note is None or not services.access.may_see(
        note, viewer, services.projects.organisations_of(viewer)
    ):
        return error(f"There is no weeknote with the id “{note_id}”.", usage=USAGE[6])
    project = services.projects.get_project(note.project_id) if note.project_id else None
    about = f" — {project.title}" if project else ""
    mark = " (internal to its organisation)" if note.internal else ""
    title = note.title or f"Weeknote, week of {note.week:%d %B %Y}"
    head = f"{title}{about}{mark}\nBy {note.author or 'unknown'}, week of {note.week.isoformat()}"
    # The head line names the weeknote, so the reply has no title to say it a second time.
    return Reply(text=f"{head}\n{note.text}", private=True)


def _edit(rest: str, incoming: Incoming, services: Services) -> Reply:
    target = split_target(rest)
    if target is None or not target[1]:
        return error("Tell me which weeknote and the new text.", usage=USAGE[3], keep=rest)
    note_id, body = target
    problem = check_text(body)
    if problem:
        return error(problem, usage=USAGE[3], keep=body)
    try:
        services.weeknotes.edit_weeknote(
            note_id, body, by=incoming.sender, now=services.clock.now()
        )
    except NotFound:
        return error(f"There is no weeknote with the id “{note_id}”.", usage=USAGE[2], keep=body)
    except NotAllowed:
        return error("You can only edit weeknotes you wrote.", keep=body)
    return Reply(text=f"Updated weeknote {note_id}.", tone="done", private=True)


def _delete(rest: str, incoming: Incoming, services: Services) -> Reply:
    note_id, _ = split_word(rest)
    if not note_id:
        return error("Which weeknote? Give its id.", usage=USAGE[4])
    note = services.weeknotes.get_weeknote(note_id)
    if note is None:
        return error(f"There is no weeknote with the id “{note_id}”.", usage=USAGE[4])
    sender = incoming.sender.key
    if note.author_key != sender and not services.access.is_manager(sender):
        return error("You can only delete weeknotes you wrote.")
    try:
        services.weeknotes.delete_weeknote(note.id, now=services.clock.now())
    except NotFound:
        return error(f"There is no weeknote with the id “{note_id}”.", usage=USAGE[4])
    return Reply(text=f"Deleted weeknote {note_id}.", tone="done", private=True)


def _remind(rest: str, incoming: Incoming, services: Services) -> Reply:
    setting, _ = split_word(rest)
    if setting not in ("on", "off"):
        return error(marked("Say `weeknote remind off` or `weeknote remind on`."), usage=USAGE[5])
    on = setting == "on"
    services.reminders.set_reminders(incoming.sender.key, on, now=services.clock.now())
    if on:
        text = "I'll remind you on Fridays when a project of yours has no weeknote that week."
    else:
        text = marked("No more weeknote reminders. Turn them back on with `weeknote remind on`.")
    return Reply(text=text, tone="done", private=True)


def weeknote_form(
    incoming: Incoming,
    services: Services,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Form:
    values, errors = values or {}, errors or {}
    projects = services.projects.project_choices(incoming.sender.key)
    monday = week_of(services.clock.now().date()).isoformat()
    return Form(
        id="weeknote",
        title="Post a weeknote",
        submit_label="Post",
        fields=(
            FormField(
                "project",
                "Project",
                kind="choice",
                value=values.get("project", ""),
                choices=tuple(Choice(p.id, f"{p.title} ({p.organisation_name})") for p in projects),
                error=errors.get("project", ""),
                lookup="projects",
            ),
            FormField(
                "week",
                "Week beginning",
                kind="date",
                value=values.get("week", monday),
                error=errors.get("week", ""),
            ),
            FormField(
                "text",
                "What happened this week",
                kind="multiline",
                value=values.get("text", ""),
                error=errors.get("text", ""),
                max_length=MAX_TEXT,
            ),
            FormField(
                "visibility",
                "Who can read it",
                kind="choice",
                required=False,
                value=values.get("visibility", "") or EVERYONE,
                choices=(
                    Choice(EVERYONE, "Everyone in the community"),
                    Choice(ORGANISATION, "Only my organisation"),
                ),
                error=errors.get("visibility", ""),
            ),
        ),
    )


def submit_weeknote_form(
    values: Mapping[str, str], incoming: Incoming, services: Services
) -> Reply:
    refused = check_weeknote_form(values, incoming, services)
    if refused is not None:
        return refused
    week = week_of(_parse_day(values.get("week", "")) or services.clock.now().date())
    internal = values.get("visibility") == ORGANISATION
    return _save(
        values["project"].strip(), values["text"], week, incoming, services, internal=internal
    )


def check_weeknote_form(
    values: Mapping[str, str], incoming: Incoming, services: Services
) -> Reply | None:
    """The form back with its mistakes marked, or None when it can be saved. Reads only."""
    errors: dict[str, str] = {}
    project_id = values.get("project", "").strip()
    if not project_id:
        errors["project"] = "Choose the project this weeknote is for."
    else:
        project = services.projects.get_project(project_id)
        if project is None:
            errors["project"] = f"There is no project with the id “{project_id}”."
        elif not services.access.may_change(project, incoming.sender.key):
            errors["project"] = "Only its team can post weeknotes for it: ask its owner."
    week = _parse_day(values.get("week", ""))
    if week is None:
        errors["week"] = "Give the week as a date, like 2025-01-06."
    problem = check_text(values.get("text", ""))
    if problem:
        errors["text"] = problem
    if values.get("visibility", "") not in ("", EVERYONE, ORGANISATION):
        errors["visibility"] = "Everyone, or only your organisation."
    if not errors:
        return None
    form = weeknote_form(incoming, services, values=values, errors=errors)
    return Reply(text="Please fix the highlighted fields.", tone="error", form=form, private=True)


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


SUBCOMMANDS: dict[str, Handler] = {
    "add": _post,
    "list": _list,
    "edit": _edit,
    "delete": _delete,
    "remind": _remind,
    "show": _show,
    "internal": _internal,
}

COMMAND = Command(
    name="weeknote",
    summary="post a weeknote for your project, or edit, delete and list them",
    usage=USAGE,
    handle=handle_weeknote,
    subcommands=tuple(SUBCOMMANDS),
    forms={"weeknote": submit_weeknote_form},
    checks={"weeknote": check_weeknote_form},
)
