"""Digests for renderer tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.digest import compose_digest
from bot.model import Project, Reply, Stage, Weeknote
from bot.ports import Activity, StageChange, UnansweredQuestion

AT = datetime(2025, 3, 5, 12, tzinfo=UTC)
LONG = "Bins & <!here> *collection* " + "word " * 80


def weeknote(project_id: str) -> Weeknote:
    return Weeknote(
        id=f"w-{project_id}",
        project_id=project_id,
        organisation_id="o",
        author="A",
        week=date(2025, 3, 3),
        title="Sprint <!channel> " + "word " * 80,
        text="",
    )


def huge_digest() -> Reply:
    return compose_digest(huge_digest_activity())


def huge_digest_activity() -> Activity:
    """Every section full, each line long and unsafe: the most a digest can hold."""
    projects = tuple(
        Project(
            id=f"p{n}",
            title=f"{LONG}{n}",
            organisation_id="o",
            organisation_name="Hackney",
            stage=Stage.ALPHA,
        )
        for n in range(40)
    )
    return Activity(
        start=date(2025, 3, 3),
        end=date(2025, 3, 10),
        new_projects=projects,
        stage_changes=tuple(StageChange(p, Stage.DISCOVERY, Stage.ALPHA, AT) for p in projects),
        weeknotes=tuple((p, (weeknote(p.id),)) for p in projects),
        unanswered=tuple(UnansweredQuestion(f"{LONG}{n}?", AT, times=1) for n in range(40)),
        similar_pairs=tuple((p, p) for p in projects),
    )
