"""`weeknote`: post, edit, delete and list weeknotes. No text opens the form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.commands.base import Command, Services, error, split_target, split_word, week_of
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

MAX_TEXT = 100_000
USAGE = (
    "weeknote                              (opens the form)",
    "weeknote PROJECT-ID: what happened this week",
    "weeknote list [PROJECT-ID]",
    "weeknote edit WEEKNOTE-ID: the corrected text",
    "weeknote delete WEEKNOTE-ID",
    "weeknote remind off | on              (the Friday reminder if you have not posted)",
)


def handle_weeknote(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, rest = split_word(args)
    if not args.strip():
        return Reply(text="Fill in your weeknote.", form=weeknote_form(incoming, services))
    if verb == "list":
        return _list(rest, incoming, services)
    if verb == "edit":
        return _edit(rest, incoming, services)
    if verb == "delete":
        return _delete(rest, incoming, services)
    if verb == "remind":
        return _remind(rest, incoming, services)
    return _post(rest if verb == "add" else args, incoming, services)


def _post(text: str, incoming: Incoming, services: Services) -> Reply:
    target = split_target(text)
    if target is None:
        own = services.projects.projects_of(incoming.sender.key)
        if len(own) != 1:
            return _which_project(text, [p.id for p in own])
        target = (own[0].id, text.strip())
    project_id, body = target
    return _save(project_id, body, week_of(services.clock.now().date()), incoming, services)


def _which_project(text: str, own: list[str]) -> Reply:
    hint = f" Your projects: {', '.join(own)}." if own else ""
    return error(
        "Which project is this weeknote for? Start with the project's id and a colon." + hint,
        usage=USAGE[1],
        keep=text,
    )


def _save(project_id: str, body: str, week: date, incoming: Incoming, services: Services) -> Reply:
    problem = check_text(body)
    if problem:
        return error(problem, usage=USAGE[1], keep=body)
    project = services.projects.get_project(project_id)
    if project is None:
        return error(f"There is no project with the id “{project_id}”.", usage=USAGE[1], keep=body)
    draft = WeeknoteDraft(project_id=project.id, week=week, text=body, author=incoming.sender)
    try:
        note = services.weeknotes.add_weeknote(draft, now=services.clock.now())
    except Exception:  # the store failed: say so and hand the text back
        return error("Sorry, I couldn't save that weeknote. Try again in a minute.", keep=body)
    return Reply(
        text=f"Posted your weeknote for {project.title}, week of {week:%d %B %Y} (id {note.id}).",
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
        notes = services.weeknotes.weeknotes_for_project(project_id)
        heading = f"Recent weeknotes for {project_id}"
    else:
        notes = services.weeknotes.weeknotes_of(incoming.sender.key)
        heading = "Your recent weeknotes"
    if not notes:
        return Reply(text=f"{heading}: none yet.", private=True)
    return Reply(text=heading + ":\n" + "\n".join(_summary(n) for n in notes), private=True)


def _summary(note: Weeknote) -> str:
    first = " ".join(note.text.split())[:100]
    return f"• {note.id} — week of {note.week.isoformat()} — {first}"


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
    try:
        services.weeknotes.delete_weeknote(note_id, by=incoming.sender, now=services.clock.now())
    except NotFound:
        return error(f"There is no weeknote with the id “{note_id}”.", usage=USAGE[2])
    except NotAllowed:
        return error("You can only delete weeknotes you wrote.")
    return Reply(text=f"Deleted weeknote {note_id}.", tone="done", private=True)


def _remind(rest: str, incoming: Incoming, services: Services) -> Reply:
    setting, _ = split_word(rest)
    if setting not in ("on", "off"):
        return error("Say `weeknote remind off` or `weeknote remind on`.", usage=USAGE[5])
    on = setting == "on"
    services.reminders.set_reminders(incoming.sender.key, on, now=services.clock.now())
    if on:
        text = "I'll remind you on Fridays when a project of yours has no weeknote that week."
    else:
        text = "No more weeknote reminders. Turn them back on with `weeknote remind on`."
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
        ),
    )


def submit_weeknote_form(
    values: Mapping[str, str], incoming: Incoming, services: Services
) -> Reply:
    errors: dict[str, str] = {}
    project_id = values.get("project", "").strip()
    if not project_id:
        errors["project"] = "Choose the project this weeknote is for."
    elif services.projects.get_project(project_id) is None:
        errors["project"] = f"There is no project with the id “{project_id}”."
    week = _parse_day(values.get("week", ""))
    if week is None:
        errors["week"] = "Give the week as a date, like 2025-01-06."
    problem = check_text(values.get("text", ""))
    if problem:
        errors["text"] = problem
    if errors or week is None:
        form = weeknote_form(incoming, services, values=values, errors=errors)
        return Reply(
            text="Please fix the highlighted fields.", tone="error", form=form, private=True
        )
    return _save(project_id, values["text"], week_of(week), incoming, services)


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


COMMAND = Command(
    name="weeknote",
    summary="post a weeknote for your project, or edit, delete and list them",
    usage=USAGE,
    handle=handle_weeknote,
    subcommands=("add", "list", "edit", "delete", "remind"),
    forms={"weeknote": submit_weeknote_form},
)
