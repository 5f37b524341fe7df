"""The project form: its fields, the limits, and the checks a registration or an edit must pass
(one rule for the Slack modal, the Teams card, the terminal and `project add field: value`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.model import Choice, Form, FormField, Project, Stage
from bot.text import one_line

ONE_LINE = ("title", "organisation", "contact", "service_area", "tags", "url")
STAGES = ", ".join(s.value for s in Stage)
LIMITS = {"title": 150, "organisation": 150, "description": 20_000, "contact": 300, "url": 500}
FORM_LINE = re.compile(r"^\s*([a-z_ ]+?)\s*[:=]\s*(.*)$", re.IGNORECASE)
EDIT_FORM = "project_edit"


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


def project_form(
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    *,
    editing: str = "",
) -> Form:
    """The registration form; with `editing` (a project id), the same fields to change that
    project, which the form carries back as a hidden field."""
    values, errors = values or {}, errors or {}

    def field(name: str, label: str, **kw: object) -> FormField:
        return FormField(name, label, value=values.get(name, ""), error=errors.get(name, ""), **kw)  # type: ignore[arg-type]

    stages = tuple(Choice(s.value, s.value.capitalize()) for s in Stage)
    hidden = (FormField("project", "Project", kind="hidden", value=editing),) if editing else ()
    return Form(
        id=EDIT_FORM if editing else "project",
        title="Edit the project" if editing else "Register a project",
        submit_label="Save" if editing else "Register",
        fields=(
            *hidden,
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


def values_of(project: Project) -> dict[str, str]:
    """A project as the form's values, to edit it."""
    return {
        "title": project.title,
        "organisation": project.organisation_name,
        "stage": project.stage.value,
        "description": project.description,
        "contact": project.contact,
        "service_area": project.service_area,
        "tags": ", ".join(project.tags),
        "url": project.url,
    }


def folded(values: Mapping[str, str]) -> dict[str, str]:
    return {k: one_line(v) if k in ONE_LINE else v for k, v in values.items()}
