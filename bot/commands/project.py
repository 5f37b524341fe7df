"""`project`: register a project, show, list and find projects, change one's stage or any of
its fields, and manage its team (bot/commands/project_team.py). The form and its checks are in
bot/commands/project_form.py."""

from __future__ import annotations

from collections.abc import Mapping

from bot.commands import project_team as team
from bot.commands.base import Command, Handler, Services, error, split_word
from bot.commands.project_form import (
    EDIT_FORM,
    STAGES,
    folded,
    parse_fields,
    project_form,
    validate_project,
    values_of,
)
from bot.model import Incoming, Project, ProjectDraft, Reply, Stage
from bot.ports import NotFound

USAGE = (
    "project add                           (opens the form)",
    "project show PROJECT-ID",
    "project stage PROJECT-ID beta",
    "project mine",
    team.MEMBERS_USAGE,
    team.CLAIM_USAGE,
    team.DELETE_USAGE,
    "project list [mine] [org ORGANISATION] [stage STAGE]",
    "project find WORDS",
    "project edit PROJECT-ID               (opens the form with its fields)",
)
LISTED = 25  # projects a list shows before saying how many more


def handle_project(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, rest = split_word(args)
    handler = SUBCOMMANDS.get(verb)
    if handler is None:
        return error(
            f"I don't know “project {verb}”." if verb else "What about projects?",
            usage="\n".join(USAGE),
        )
    return handler(rest, incoming, services)


def _add(rest: str, incoming: Incoming, services: Services) -> Reply:
    """`project add` alone opens the form; `field: value` lines fill it in one go."""
    if not rest:
        return Reply(text="Tell us about your project.", form=project_form())
    values = parse_fields(rest)
    if not values:
        values = {"title": rest}
    return submit_project_form(values, incoming, services)


def _show(rest: str, incoming: Incoming, services: Services) -> Reply:
    project_id, _ = split_word(rest)
    if not project_id:
        return error("Which project? Give its id.", usage=USAGE[1])
    project = services.projects.get_project(project_id)
    if project is None:
        return error(f"There is no project with the id “{project_id}”.", usage=USAGE[1])
    return project_card(project)


def project_card(project: Project) -> Reply:
    fields = (
        ("Organisation", project.organisation_name),
        ("Stage", project.stage.value),
        ("Last activity", project.updated.isoformat() if project.updated else "unknown"),
        ("Contact", project.contact or "not given"),
    )
    extra = tuple(v for v in (project.url, ", ".join(project.tags)) if v)
    body = project.summary or project.description[:600]
    # The title and the fields are the reply's own: every renderer lays them out once.
    return Reply(text="\n".join([body, *extra]), title=project.title, fields=fields)


def _stage(rest: str, incoming: Incoming, services: Services) -> Reply:
    parts = rest.split()
    if len(parts) != 2:
        return error("Give the project id and its new stage.", usage=USAGE[2])
    stage = Stage.parse(parts[1])
    if stage is None:
        return error(f"“{parts[1]}” is not a stage. Stages: {STAGES}.", usage=USAGE[2])
    project = services.projects.get_project(parts[0])
    if project is None:
        return error(f"There is no project with the id “{parts[0]}”.", usage=USAGE[2])
    if not services.access.may_change(project, incoming.sender.key):
        return error(team.refusal(project, "change its stage", services))
    try:
        project = services.projects.set_stage(
            project.id, stage, by=incoming.sender, now=services.clock.now()
        )
    except NotFound:
        return error(f"There is no project with the id “{parts[0]}”.", usage=USAGE[2])
    return Reply(text=f"{project.title} is now in {stage.value}.", tone="done")


def _mine(rest: str, incoming: Incoming, services: Services) -> Reply:
    own = services.projects.projects_of(incoming.sender.key)
    if not own:
        return Reply(
            text="You have no projects registered yet. Start with: project add", private=True
        )
    lines = [f"• {p.id} — {p.title} ({p.stage.value})" for p in own]
    return Reply(text="Your projects:\n" + "\n".join(lines), private=True)


def _list(rest: str, incoming: Incoming, services: Services) -> Reply:
    """`project list [mine] [org NAME] [stage STAGE]`: the register, narrowed."""
    words = rest.split()
    owner = incoming.sender.key if words[:1] and words[0].lower() == "mine" else None
    narrowed = _narrowing(words[1:] if owner else words, services)
    if isinstance(narrowed, Reply):
        return narrowed
    organisation, stage = narrowed
    projects, total = services.projects.list_projects(
        owner_key=owner, organisation_id=organisation, stage=stage, limit=LISTED
    )
    return _listing("Projects", projects, total)


def _narrowing(words: list[str], services: Services) -> tuple[str | None, Stage | None] | Reply:
    """(organisation id, stage) from `org NAME` and `stage STAGE`, or why they are wrong."""
    organisation: str | None = None
    stage: Stage | None = None
    while words:
        key, words = words[0].lower(), words[1:]
        if key in ("org", "organisation", "organization", "council") and words:
            named = services.projects.resolve_organisation(" ".join(words))
            if named is None:
                return error(f"I don't know an organisation called “{' '.join(words)}”.")
            organisation, words = named.id, []
        elif key == "stage" and words:
            stage = Stage.parse(words[0])
            if stage is None:
                return error(f"“{words[0]}” is not a stage. Stages: {STAGES}.", usage=USAGE[7])
            words = words[1:]
        else:
            return error(f"I can't list projects by “{key}”.", usage=USAGE[7])
    return organisation, stage


def _listing(heading: str, projects: list[Project] | tuple[Project, ...], total: int) -> Reply:
    if not projects:
        return Reply(text=f"{heading}: none.", private=True)
    lines = [f"• {p.id} — {p.title} ({p.organisation_name}, {p.stage.value})" for p in projects]
    if total > len(projects):
        lines.append(f"…and {total - len(projects):,} more: narrow it with org or stage.")
    return Reply(text=f"{heading} ({total:,}):\n" + "\n".join(lines), private=True)


def _find(rest: str, incoming: Incoming, services: Services) -> Reply:
    """`project find WORDS`: projects by id, title or what they are about, to find an id."""
    words = " ".join(rest.split())
    if not words:
        return error("Find what? Give a few words from its title.", usage=USAGE[8])
    found = list(services.projects.match_projects(words, person_key=None, limit=LISTED))
    seen = {p.id for p in found}
    for result in services.finder.find(words, limit=10).results:
        if result.kind == "project" and result.id not in seen:
            project = services.projects.get_project(result.id)
            if project is not None:
                found.append(project)
                seen.add(project.id)
    return _listing(f"Projects matching “{words}”", found[:LISTED], len(found))


def _edit(rest: str, incoming: Incoming, services: Services) -> Reply:
    """`project edit ID` opens the form with the project's fields; `field: value` lines after
    the id change those fields at once."""
    project_id, changes = split_word(rest)
    project = team.find_project(project_id, services, usage=USAGE[9])
    if isinstance(project, Reply):
        return project
    if not services.access.may_change(project, incoming.sender.key):
        return error(team.refusal(project, "edit it", services))
    if not changes:
        form = project_form(values_of(project), editing=project.id)
        return Reply(text=f"Change what you need in {project.title}.", form=form)
    values = {**values_of(project), **parse_fields(changes), "project": project.id}
    return submit_project_edit(values, incoming, services)


def check_project_form(
    values: Mapping[str, str], incoming: Incoming, services: Services
) -> Reply | None:
    """The form back with its mistakes marked, or None when it can be saved. No I/O."""
    errors = validate_project(values)
    if not errors:
        return None
    return Reply(
        text="Please fix the highlighted fields: " + ", ".join(sorted(errors)) + ".",
        tone="error",
        form=project_form(values, errors),
        private=True,
    )


def submit_project_form(values: Mapping[str, str], incoming: Incoming, services: Services) -> Reply:
    refused = check_project_form(values, incoming, services)
    if refused is not None:
        return refused
    values = folded(values)
    draft = ProjectDraft(
        title=values["title"],
        organisation=values["organisation"],
        stage=Stage.parse(values.get("stage") or "discovery") or Stage.DISCOVERY,
        description=values["description"].strip(),
        contact=values["contact"],
        owner_key=incoming.sender.key,
        service_area=values.get("service_area", ""),
        tags=tuple(t.strip() for t in values.get("tags", "").split(",") if t.strip()),
        url=values.get("url", ""),
    )
    project = services.projects.add_project(draft, now=services.clock.now())
    return Reply(
        text=f"Registered {project.title} as {project.id}.{_similar(project, services)}",
        tone="done",
    )


def _similar(project: Project, services: Services) -> str:
    """Tell the team straight away when someone else has done something alike."""
    finding = services.finder.find(
        f"{project.title} {project.summary or project.description[:300]}"
    )
    others = [r for r in finding.results if r.id != project.id and r.kind == "project"][:3]
    if not finding.confident or not others:
        return ""
    names = "; ".join(f"{r.title} ({r.organisation})" for r in others)
    return f"\nSimilar projects you may want to talk to: {names}."


def check_project_edit(
    values: Mapping[str, str], incoming: Incoming, services: Services
) -> Reply | None:
    project_id = values.get("project", "")
    errors = validate_project(values)
    if not errors:
        return None
    return Reply(
        text="Please fix the highlighted fields: " + ", ".join(sorted(errors)) + ".",
        tone="error",
        form=project_form(values, errors, editing=project_id),
        private=True,
    )


def submit_project_edit(values: Mapping[str, str], incoming: Incoming, services: Services) -> Reply:
    project = services.projects.get_project(values.get("project", ""))
    if project is None:
        return error("That project is gone: it was deleted.")
    if not services.access.may_change(project, incoming.sender.key):
        return error(team.refusal(project, "edit it", services))
    refused = check_project_edit(values, incoming, services)
    if refused is not None:
        return refused
    values = folded(values)
    draft = ProjectDraft(
        title=values["title"],
        organisation=values["organisation"],
        stage=Stage.parse(values.get("stage") or project.stage.value) or project.stage,
        description=values["description"].strip(),
        contact=values["contact"],
        owner_key=project.owner_key or "",
        service_area=values.get("service_area", ""),
        tags=tuple(t.strip() for t in values.get("tags", "").split(",") if t.strip()),
        url=values.get("url", ""),
    )
    try:
        saved = services.projects.update_project(
            project.id, draft, by=incoming.sender, now=services.clock.now()
        )
    except NotFound:
        return error("That project is gone: it was deleted.")
    return Reply(text=f"Saved {saved.title} ({saved.id}).", tone="done", private=True)


SUBCOMMANDS: dict[str, Handler] = {
    "add": _add,
    "show": _show,
    "stage": _stage,
    "mine": _mine,
    "members": team.members,
    "claim": team.claim,
    "delete": team.delete,
    "list": _list,
    "find": _find,
    "edit": _edit,
}

COMMAND = Command(
    name="project",
    summary="register a project, show, list and find them, edit one, manage its team",
    usage=USAGE,
    handle=handle_project,
    subcommands=tuple(SUBCOMMANDS),
    forms={"project": submit_project_form, EDIT_FORM: submit_project_edit},
    checks={"project": check_project_form, EDIT_FORM: check_project_edit},
    buttons={
        team.DELETE: team.confirm_delete,
        team.CANCEL: team.cancel,
        team.APPROVE: team.decide_claim,
        team.REFUSE: team.decide_claim,
    },
)
