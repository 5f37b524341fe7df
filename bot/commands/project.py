"""`project`: register a project, show one, move its stage, list your own, manage its members,
claim one nobody owns, delete one.

Who may change a project is decided in bot.access: its owner, its members or a community
manager. Every refusal names who can help."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.commands.base import Command, Handler, Services, error, split_word
from bot.model import (
    Action,
    ActionPayload,
    Choice,
    Form,
    FormField,
    Incoming,
    Person,
    Project,
    ProjectDraft,
    Reply,
    Stage,
)
from bot.ports import NotFound
from bot.text import one_line

USAGE = (
    "project add                           (opens the form)",
    "project show PROJECT-ID",
    "project stage PROJECT-ID beta",
    "project mine",
    "project members PROJECT-ID [add|remove @person]",
    "project claim PROJECT-ID              (a project nobody owns yet)",
    "project delete PROJECT-ID",
)
DELETE, CANCEL, APPROVE, REFUSE = "project_delete", "cancel", "claim_approve", "claim_refuse"
ONE_LINE = ("title", "organisation", "contact", "service_area", "tags", "url")
STAGES = ", ".join(s.value for s in Stage)
LIMITS = {"title": 150, "organisation": 150, "description": 20_000, "contact": 300, "url": 500}
FORM_LINE = re.compile(r"^\s*([a-z_ ]+?)\s*[:=]\s*(.*)$", re.IGNORECASE)


def handle_project(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, rest = split_word(args)
    handler = SUBCOMMANDS.get(verb)
    if handler is None:
        return error(
            f"I don't know “project {verb}”." if verb else "What about projects?",
            usage="\n".join(USAGE),
        )
    return handler(rest, incoming, services)


def _project(project_id: str, services: Services, *, usage: str) -> Project | Reply:
    """The project with that id, or the reply saying there is none."""
    project = services.projects.get_project(project_id) if project_id else None
    if project is not None:
        return project
    said = f"There is no project with the id “{project_id}”." if project_id else "Which project?"
    return error(said, usage=usage)


def _add(rest: str, incoming: Incoming, services: Services) -> Reply:
    """`project add` alone opens the form; `field: value` lines fill it in one go."""
    if not rest:
        return Reply(text="Tell us about your project.", form=project_form())
    values = parse_fields(rest)
    if not values:
        values = {"title": rest}
    return submit_project_form(values, incoming, services)


def parse_fields(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        match = FORM_LINE.match(line)
        name = match.group(1).strip().lower().replace(" ", "_") if match else ""
        if match and name in {f.name for f in project_form().fields}:
            last = name
            values[last] = match.group(2).strip()
        elif last:  # a description may run over several lines
            values[last] += "\n" + line
    return values


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
    text = "\n".join([project.title, *(f"{k}: {v}" for k, v in fields), body, *extra])
    return Reply(text=text, title=project.title, fields=fields)


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
        return error(refusal(project, "change its stage", services))
    try:
        project = services.projects.set_stage(
            project.id, stage, by=incoming.sender, now=services.clock.now()
        )
    except NotFound:
        return error(f"There is no project with the id “{parts[0]}”.", usage=USAGE[2])
    return Reply(text=f"{project.title} is now in {stage.value}.", tone="done")


def refusal(project: Project, doing: str, services: Services) -> str:
    """Why someone may not `doing` a project, and who can help: its owner, by name, or (for a
    project nobody owns) how to claim it."""
    if project.owner_key is None:
        return (
            f"Only {project.title}'s team can {doing}, and nobody has claimed it yet. "
            f"If it is yours, say `project claim {project.id}` and a community manager will "
            "make you its owner."
        )
    owner = services.people.display_name(project.owner_key) or "its owner"
    return (
        f"Only {project.title}'s team can {doing}. It belongs to {owner}: ask them to add you "
        f"with `project members {project.id} add @you`."
    )


def _members(rest: str, incoming: Incoming, services: Services) -> Reply:
    project_id, rest = split_word(rest)
    verb, who = split_word(rest)
    project = _project(project_id, services, usage=USAGE[4])
    if isinstance(project, Reply):
        return project
    if not verb:
        return _member_list(project, services)
    if verb not in ("add", "remove"):
        return error(f"Add or remove, not “{verb}”.", usage=USAGE[4])
    people = _members_named(project, who, incoming, services)
    if isinstance(people, Reply):
        return people
    now = services.clock.now()
    names = ", ".join(p.name or p.key for p in people)
    if verb == "add":
        for person in people:
            services.projects.add_member(project.id, person.key, by=incoming.sender, now=now)
        return Reply(text=f"{names} can now post weeknotes for {project.title}.", tone="done")
    for person in people:
        services.projects.remove_member(project.id, person.key)
    return Reply(text=f"{names} can no longer post weeknotes for {project.title}.", tone="done")


def _member_list(project: Project, services: Services) -> Reply:
    owner = (
        (services.people.display_name(project.owner_key) or project.owner_key)
        if project.owner_key
        else "nobody yet"
    )
    members = [services.people.display_name(k) or k for k in project.member_keys]
    listed = ", ".join(members) if members else "none"
    return Reply(text=f"{project.title}: owner {owner}; members {listed}.", private=True)


def _members_named(
    project: Project, who: str, incoming: Incoming, services: Services
) -> tuple[Person, ...] | Reply:
    """The people a `members add|remove` names, if the sender may change the team."""
    sender = incoming.sender.key
    if sender != project.owner_key and not services.access.is_manager(sender):
        return error(refusal(project, "change who is in its team", services))
    return _people(who, incoming, services)


def _people(who: str, incoming: Incoming, services: Services) -> tuple[Person, ...] | Reply:
    """Who `project members … add|remove` names: the people mentioned (the platform says who
    they are), else someone the bot knows in this community by name or user id."""
    if incoming.mentions:
        return incoming.mentions
    name = who.strip().lstrip("@").strip()
    if not name:
        return error("Who? Mention them, like @Sam.", usage=USAGE[4])
    found = services.people.find_people(incoming.conversation.community, name)
    if len(found) == 1:
        return (found[0],)
    if not found:
        return error(
            f"I don't know anyone called “{name}” here yet. Mention them (@name), "
            "or ask them to say hello to me first."
        )
    return error(f"More than one person is called “{name}”: mention the one you mean.")


def _claim(rest: str, incoming: Incoming, services: Services) -> Reply:
    project_id, _ = split_word(rest)
    project = _project(project_id, services, usage=USAGE[5])
    if isinstance(project, Reply):
        return project
    sender, now = incoming.sender, services.clock.now()
    if project.owner_key == sender.key:
        return Reply(text=f"{project.title} is yours already.", private=True)
    if project.owner_key is not None:
        return error(refusal(project, "post into it or change it", services))
    if services.access.is_manager(sender.key):
        services.projects.set_owner(project.id, sender.key, now=now)
        return Reply(text=f"You are a community manager, so {project.title} is yours now.")
    if not services.access.community_managers:
        return error(
            "Nobody here can approve a claim yet: no community manager is set up "
            "(HASANYONE_COMMUNITY_MANAGERS). Ask whoever runs hasanyone for your community."
        )
    return _ask_managers(project, sender, services)


def _ask_managers(project: Project, sender: Person, services: Services) -> Reply:
    now = services.clock.now()
    claim = services.claims.open_claim(project.id, sender, now=now)
    if claim is None:
        return Reply(
            text=f"You asked for {project.title} already; a community manager will decide.",
            private=True,
        )
    ask = Reply(
        text=(
            f"{sender.name or sender.key} asks to become the owner of {project.title} "
            f"({project.id}, {project.organisation_name}). The contact on record is: "
            f"{project.contact or 'not given'}. Approve if they are its team."
        ),
        actions=(
            Action("Approve", APPROVE, str(claim.id), style="primary", settles=True),
            Action("Refuse", REFUSE, str(claim.id), style="danger", settles=True),
        ),
    )
    for manager in sorted(services.access.community_managers):
        services.outbox.enqueue(f"claim:{claim.id}:ask:{manager}", manager, ask, now=now)
    return Reply(
        text=(
            f"I've asked the community managers to make you the owner of {project.title}. "
            "I'll message you when one of them decides."
        ),
        tone="done",
        private=True,
    )


def decide_claim(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    """A community manager's Approve or Refuse on a claim: decided once, whoever clicks first."""
    if not services.access.is_manager(incoming.sender.key):
        return error("Only a community manager can decide who owns a project.")
    if not action.value.isdigit():
        return error("That button has expired.")
    claim_id, approve = int(action.value), action.name == APPROVE
    now = services.clock.now()
    claim = services.claims.decide(claim_id, approve=approve, by=incoming.sender, now=now)
    if claim is None:
        existing = services.claims.get_claim(claim_id)
        if existing is None:
            return error("I can't find that claim any more.")
        return Reply(text=f"That claim was {existing.status} already.", private=True)
    project = services.projects.get_project(claim.project_id)
    title = project.title if project else claim.project_id
    verdict = "approved: you are now its owner" if approve else "refused by a community manager"
    services.outbox.enqueue(
        f"claim:{claim.id}:decided",
        claim.claimant.key,
        Reply(text=f"Your claim to {title} was {verdict}."),
        now=now,
    )
    who = claim.claimant.name or claim.claimant.key
    if approve:
        return Reply(text=f"Approved: {who} now owns {title}.", tone="done")
    return Reply(text=f"Refused: {who} does not own {title}.", tone="done")


def _delete(rest: str, incoming: Incoming, services: Services) -> Reply:
    """Asks first: a project goes with all its weeknotes, for good."""
    project_id, _ = split_word(rest)
    project = _project(project_id, services, usage=USAGE[6])
    if isinstance(project, Reply):
        return project
    if not _may_delete(project, incoming.sender.key, services):
        return error(refusal(project, "delete it", services))
    return Reply(
        text=(
            f"Delete {project.title} ({project.id}) and all its weeknotes? "
            "This cannot be undone, and it will not come back with a re-import."
        ),
        actions=(
            Action("Delete it", DELETE, project.id, style="danger", settles=True),
            Action("Keep it", CANCEL, project.id, settles=True),
        ),
        private=True,
    )


def _may_delete(project: Project, person_key: str, services: Services) -> bool:
    return person_key == project.owner_key or services.access.is_manager(person_key)


def confirm_delete(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    project = services.projects.get_project(action.value)
    if project is None:
        return Reply(text="That project is gone already.", private=True)
    if not _may_delete(project, incoming.sender.key, services):
        return error(refusal(project, "delete it", services))
    try:
        notes = services.projects.delete_project(project.id, now=services.clock.now())
    except NotFound:
        return Reply(text="That project is gone already.", private=True)
    plural = "weeknote" if notes == 1 else "weeknotes"
    return Reply(
        text=f"Deleted {project.title} and its {notes} {plural}.", tone="done", private=True
    )


def cancel(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    return Reply(text="Nothing was changed.", private=True)


def _mine(rest: str, incoming: Incoming, services: Services) -> Reply:
    own = services.projects.projects_of(incoming.sender.key)
    if not own:
        return Reply(
            text="You have no projects registered yet. Start with: project add", private=True
        )
    lines = [f"• {p.id} — {p.title} ({p.stage.value})" for p in own]
    return Reply(text="Your projects:\n" + "\n".join(lines), private=True)


def project_form(
    values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None
) -> Form:
    values, errors = values or {}, errors or {}

    def field(name: str, label: str, **kw: object) -> FormField:
        return FormField(name, label, value=values.get(name, ""), error=errors.get(name, ""), **kw)  # type: ignore[arg-type]

    stages = tuple(Choice(s.value, s.value.capitalize()) for s in Stage)
    return Form(
        id="project",
        title="Register a project",
        submit_label="Register",
        fields=(
            field("title", "Project title", max_length=LIMITS["title"]),
            field("organisation", "Organisation", hint="Your council or body, e.g. Hackney"),
            FormField(
                "stage",
                "Stage",
                kind="choice",
                choices=stages,
                value=values.get("stage", "discovery"),
                error=errors.get("stage", ""),
            ),
            field(
                "description",
                "What it does and for whom",
                kind="multiline",
                max_length=LIMITS["description"],
            ),
            field(
                "contact",
                "How people can reach the team",
                hint="A Slack channel, team name or web page",
            ),
            field("service_area", "Service area", required=False, hint="e.g. waste, planning"),
            field("tags", "Tags", required=False, hint="comma separated"),
            field("url", "Web page", required=False),
        ),
    )


def validate_project(values: Mapping[str, str]) -> dict[str, str]:
    values = {k: one_line(v) if k in ONE_LINE else v for k, v in values.items()}
    errors: dict[str, str] = {}
    for name in ("title", "organisation", "description", "contact"):
        if not values.get(name, "").strip():
            errors[name] = "Required."
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors[name] = f"At most {limit:,} characters."
    if Stage.parse(values.get("stage", "discovery") or "discovery") is None:
        errors["stage"] = f"One of: {STAGES}."
    url = values.get("url", "").strip()
    if url and not re.match(r"^https?://\S+$", url):
        errors["url"] = "A web address starting with https://"
    return errors


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
    values = {k: one_line(v) if k in ONE_LINE else v for k, v in values.items()}
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


SUBCOMMANDS: dict[str, Handler] = {
    "add": _add,
    "show": _show,
    "stage": _stage,
    "mine": _mine,
    "members": _members,
    "claim": _claim,
    "delete": _delete,
}

COMMAND = Command(
    name="project",
    summary="register a project, show one, change its stage, list yours, manage its team",
    usage=USAGE,
    handle=handle_project,
    subcommands=tuple(SUBCOMMANDS),
    forms={"project": submit_project_form},
    checks={"project": check_project_form},
    buttons={
        DELETE: confirm_delete,
        CANCEL: cancel,
        APPROVE: decide_claim,
        REFUSE: decide_claim,
    },
)
