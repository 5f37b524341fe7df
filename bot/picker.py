"""The project picker's search, the same on every platform: as someone types in a form's
project field, the whole register is searched by id and title (their own projects first),
then by meaning for what the words describe."""

from __future__ import annotations

from bot.commands.base import Services
from bot.model import Choice

MAX_CHOICES = 100


def project_choices(text: str, *, person_key: str | None, services: Services) -> list[Choice]:
    """Up to MAX_CHOICES (id, label) choices for what has been typed so far."""
    typed = " ".join(text.split())
    found = list(services.projects.match_projects(typed, person_key=person_key, limit=MAX_CHOICES))
    seen = {p.id for p in found}
    if typed and len(found) < MAX_CHOICES:
        for result in services.finder.find(typed, limit=20).results:
            if result.kind == "project" and result.id not in seen:
                project = services.projects.get_project(result.id)
                if project is not None:
                    found.append(project)
                    seen.add(project.id)
    return [Choice(p.id, f"{p.title} ({p.organisation_name})") for p in found[:MAX_CHOICES]]
