"""The register: projects, organisations, weeknotes and digest activity in one database.

`Repository` implements the core's register ports by putting together one store per aggregate:
knowledge/projects.py (organisations and projects), knowledge/weeknotes.py and
knowledge/activity.py (a period's activity for the digest); their shared plumbing is
knowledge/register_base.py and the look-alike titles are knowledge/search/similar.py."""

from __future__ import annotations

from knowledge.activity import ActivityStore
from knowledge.projects import ProjectStore
from knowledge.register_base import MAX_ID_TRIES, slugify
from knowledge.weeknotes import WeeknoteStore

__all__ = ["MAX_ID_TRIES", "Repository", "slugify"]


class Repository(ProjectStore, WeeknoteStore, ActivityStore):
    """Projects, organisations, weeknotes, questions and digest activity in one database."""
