"""`project`: register a project, show one, move its stage, list your own."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.commands.base import Command, Services, error, split_word
from bot.model import Choice, Form, FormField, Incoming, Project, ProjectDraft, Reply, Stage
from bot.ports import NotAllowed, NotFound

USAGE = (
    "project add                           (opens the form)",
    "project show PROJECT-ID",
    "project stage PROJECT-ID beta",
    "project mine",
)
STAGES = ", ".join(s.value for s in Stage)
LIMITS = {"title": 150, "organisation": 150, "description": 20_000, "contact": 300, "url": 500}
FORM_LINE = re.compile(r"^\s*([a-z_ ]+?)\s*[:=]\s*(.*)$", re.IGNORECASE)


def handle_project(args: str, incoming: Incoming, services: Services) -> Reply:
    verb, rest = split_word(args)
    if verb == "add":
        return _add(rest, incoming, services)
    if verb == "show":
        return _show(rest, services)
    if verb == "stage":
        return _stage(rest, incoming, services)
    if verb == "mine":
        return _mine(incoming, services)
    return error(
        f"I don't know “project {verb}”." if verb else "What about projects?",
        usage="\n".join(USAGE),
    )


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


def _show(rest: str, services: Services) -> Reply:
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
    try:
        project = services.projects.set_stage(
            parts[0], stage, by=incoming.sender, now=services.clock.now()
        )
    except NotFound:
        return error(f"There is no project with the id “{parts[0]}”.", usage=USAGE[2])
    except NotAllowed:
        return error("Only the project's owner can change its stage.")
    return Reply(text=f"{project.title} is now in {stage.value}.", tone="done")


def _mine(incoming: Incoming, services: Services) -> Reply:
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


def submit_project_form(values: Mapping[str, str], incoming: Incoming, services: Services) -> Reply:
    errors = validate_project(values)
    if errors:
        return Reply(
            text="Please fix the highlighted fields: " + ", ".join(sorted(errors)) + ".",
            tone="error",
            form=project_form(values, errors),
            private=True,
        )
    draft = ProjectDraft(
        title=values["title"].strip(),
        organisation=values["organisation"].strip(),
        stage=Stage.parse(values.get("stage") or "discovery") or Stage.DISCOVERY,
        description=values["description"].strip(),
        contact=values["contact"].strip(),
        owner_key=incoming.sender.key,
        service_area=values.get("service_area", "").strip(),
        tags=tuple(t.strip() for t in values.get("tags", "").split(",") if t.strip()),
        url=values.get("url", "").strip(),
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


COMMAND = Command(
    name="project",
    summary="register a project, show one, change its stage, list yours",
    usage=USAGE,
    handle=handle_project,
    subcommands=("add", "show", "stage", "mine"),
    forms={"project": submit_project_form},
)
