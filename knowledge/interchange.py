"""Import and export of the register as open data (JSON Lines, DESIGN §6; CSV out).

Import is idempotent: a record whose id exists updates it, an identical record changes nothing.
A malformed line is reported with its number and reason and never stops the rest.

Open data carries no personal keys, so importing it never touches who owns a project or wrote
a weeknote, and never brings back a record someone deleted. A backup (`export --backup`, see
knowledge/backup.py) is the other use: it carries everything and restores exactly.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.model import Stage
from bot.text import one_line, without_marks
from knowledge import tables as t
from knowledge.bulk import Rows
from knowledge.repository import Repository

KNOWN = {
    "organisation": {"type", "id", "name", "code"},
    "project": {
        "type",
        "id",
        "title",
        "organisation",
        "stage",
        "description",
        "summary",
        "tags",
        "service_area",
        "contact",
        "url",
        "started",
        "updated",
        "partners",
        "suppliers",
        "cost",
        "outcomes",
        "owner",
    },
    "weeknote": {
        "type",
        "id",
        "project",
        "organisation",
        "author",
        "week",
        "title",
        "text",
        "url",
        "internal",
        "author_key",
    },
}
ORDER = ("organisation", "project", "weeknote")
# Personal keys an open-data file may still carry (an older export): never applied from one.
PERSONAL = {"organisation": frozenset(), "project": {"owner"}, "weeknote": {"author_key"}}
BATCH = 500  # records a transaction: what a search index catching up takes in at once


class Reject(ValueError):
    """A record that cannot be imported; the message says why, in the user's terms."""


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    rejected: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # applied, with a caveat

    def summary(self) -> str:
        parts = []
        kinds = dict.fromkeys([*self.created, *self.updated, *self.unchanged, *self.deleted])
        for kind in kinds:
            part = (
                f"{kind}s: {self.created.get(kind, 0)} new, {self.updated.get(kind, 0)} updated, "
                f"{self.unchanged.get(kind, 0)} unchanged"
            )
            if self.deleted.get(kind):
                part += f", {self.deleted[kind]} left deleted"
            parts.append(part)
        return "; ".join(parts) + f"; {len(self.rejected)} rejected"

    def count(self, outcome: str, kind: str) -> None:
        table = getattr(self, outcome)
        table[kind] = table.get(kind, 0) + 1


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    record: dict[str, Any]


def read_lines(stream: Iterable[str], report: ImportReport) -> dict[str, list[Line]]:
    """Parse every line; bad JSON and unknown types go to the report, the rest by type."""
    by_type: dict[str, list[Line]] = {kind: [] for kind in ORDER}
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            report.rejected.append((number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(record, dict):
            report.rejected.append((number, "not a JSON object"))
            continue
        kind = record.get("type")
        if kind not in by_type:
            report.rejected.append(
                (number, f"unknown type {kind!r}; expected one of {', '.join(ORDER)}")
            )
            continue
        by_type[kind].append(Line(number, record))
    return by_type


def import_records(
    repo: Repository,
    stream: Iterable[str],
    *,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Organisations first, then projects, then weeknotes, so a file may list them in any order.
    A backup (its first line says so) is restored exactly instead. `progress` is told of every
    line of the file, blank and unreadable ones included, so its total is the line count."""
    lines = list(stream)
    counter = _Progress(progress)
    if is_backup(lines):
        from knowledge.backup import restore

        report = restore(repo.engine, lines, now=now, progress=counter)
    else:
        report = ImportReport()
        by_type = read_lines(lines, report)
        organisations: dict[str, str] = {}
        for kind in ORDER:
            for start in range(0, len(by_type[kind]), BATCH):
                batch = by_type[kind][start : start + BATCH]
                _import_batch(repo, kind, batch, report, now=now, organisations=organisations)
                counter(len(batch))
        report.rejected.sort()
    counter(len(lines) - counter.done)
    repo.changed()
    return report


class _Progress:
    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback, self.done = callback, 0

    def __call__(self, lines: int) -> None:
        if lines > 0:
            self.done += lines
            if self.callback:
                self.callback(lines)


def is_backup(lines: Iterable[str]) -> bool:
    """Whether a file is a backup: its first record is the backup header."""
    for raw in lines:
        if not raw.strip():
            continue
        try:
            first = json.loads(raw)
        except json.JSONDecodeError:
            return False
        return isinstance(first, dict) and first.get("type") == "backup"
    return False


TABLES: dict[str, sa.Table] = {
    "organisation": t.Organisation.__table__,  # type: ignore[attr-defined]
    "project": t.Project.__table__,  # type: ignore[attr-defined]
    "weeknote": t.Weeknote.__table__,  # type: ignore[attr-defined]
}
# What a weeknote needs of its project.
PROJECT_OF_NOTE = ("organisation_id", "updated", "deleted_at")


@dataclass
class Batch:
    """One batch of records of one kind, applied in memory to the rows it may touch (read in
    one query each) and then written at once (knowledge/bulk.py)."""

    repo: Repository
    s: Session
    now: datetime
    rows: Rows
    projects: Rows | None  # for weeknotes: their projects
    organisations: dict[str, str]  # name -> id, for the whole import
    known: set[str]  # the organisations' ids, read once

    def organisation(self, record: dict[str, Any]) -> str:
        """The id of the organisation a record names, created if it is new. Names are resolved
        once per import, unless resolving one created an organisation: it is resolved again
        next time, so the outcome is the one each record used to get on its own."""
        name = one_line(_text(record, "organisation", required=True, limit=300))
        found = self.organisations.get(name)
        if found is not None:
            return found
        if name in self.known:
            self.organisations[name] = name
            return name
        org = self.repo.organisation_for(self.s, name, now=self.now)
        if org.id in self.known:
            self.organisations[name] = org.id
        self.known.add(org.id)
        return org.id


def _import_batch(
    repo: Repository,
    kind: str,
    batch: list[Line],
    report: ImportReport,
    *,
    now: datetime,
    organisations: dict[str, str],
) -> None:
    with repo.session() as s:
        connection = s.connection()
        records = [line.record for line in batch]
        projects = None
        if kind == "weeknote":
            keys = _peek(records, "project")
            projects = Rows(connection, TABLES["project"], keys, columns=PROJECT_OF_NOTE)
        known = set(s.exec(select(t.Organisation.id)))
        rows = Rows(connection, TABLES[kind], _peek(records, "id"))
        work = Batch(repo, s, now, rows, projects, organisations, known)
        for line in batch:
            try:
                outcome = UPSERT[kind](work, line.record)
            except Reject as exc:
                report.rejected.append((line.number, str(exc)))
                continue
            report.count(outcome, kind)
            personal = sorted(PERSONAL[kind] & line.record.keys())
            if personal:
                report.notes.append(
                    (
                        line.number,
                        f"{', '.join(map(repr, personal))} ignored: who owns or wrote a record is "
                        "only restored from a backup (hasanyone export --backup)",
                    )
                )
        rows.write(connection, now=now)
        if projects is not None:
            projects.write(connection, now=now)
        s.commit()


def _peek(records: list[dict[str, Any]], name: str) -> list[str]:
    """The ids a batch's records name in `name`, to read their rows up front (a record whose
    value is unusable is rejected later, with the reason, by the same check)."""
    found = []
    for record in records:
        try:
            value = _text(record, name, limit=120)
        except Reject:
            continue
        if value:
            found.append(value)
    return found


def _text(
    record: dict[str, Any], name: str, *, required: bool = False, limit: int = 100_000
) -> str:
    value = record.get(name)
    if value is None or value == "":
        if required:
            raise Reject(f"missing {name!r}")
        return ""
    if not isinstance(value, str):
        raise Reject(f"{name!r} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise Reject(f"{name!r} is {len(value):,} characters; the limit is {limit:,}")
    return without_marks(value).strip()


def _id(record: dict[str, Any]) -> str:
    value = _text(record, "id", required=True, limit=120)
    if any(c.isspace() for c in value):
        raise Reject(f"id {value!r} has spaces; ids are single words like 'bulky-waste'")
    return value


def _day(record: dict[str, Any], name: str) -> date | None:
    value = _text(record, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Reject(f"{name!r} is {value!r}, not a date like 2025-01-31") from None


def _list(record: dict[str, Any], name: str) -> list[str]:
    value = record.get(name) or []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Reject(f"{name!r} must be a list of text")
    return [v for v in value if v]


def _extra(record: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in KNOWN[kind]}


def _upsert_organisation(work: Batch, record: dict[str, Any]) -> str:
    key, name = _id(record), one_line(_text(record, "name", required=True, limit=300))
    code = _text(record, "code", limit=40) or None
    if code is None:
        authority = work.repo.authorities.match(name)
        code = authority.gss or None if authority else None
    values = {"name": name, "code": code, "extra": _extra(record, "organisation")}
    return work.rows.apply(key, values)


def _upsert_project(work: Batch, record: dict[str, Any]) -> str:
    key = _id(record)
    stage_text = _text(record, "stage") or "discovery"
    stage = Stage.parse(stage_text)
    if stage is None:
        raise Reject(f"stage {stage_text!r} is not one of {', '.join(x.value for x in Stage)}")
    organisation_id = work.organisation(record)
    values = {
        "title": one_line(_text(record, "title", required=True, limit=300)),
        "organisation_id": organisation_id,
        "stage": stage.value,
        "description": _text(record, "description"),
        "summary": _text(record, "summary", limit=2000),
        "tags": [one_line(tag) for tag in _list(record, "tags")],
        "service_area": one_line(_text(record, "service_area", limit=120)),
        "contact": one_line(_text(record, "contact", limit=500)),
        "url": one_line(_text(record, "url", limit=1000)),
        "started": _day(record, "started"),
        "updated": _day(record, "updated"),
        "partners": [one_line(p) for p in _list(record, "partners")],
        "suppliers": [one_line(p) for p in _list(record, "suppliers")],
        "cost": one_line(_text(record, "cost", limit=500)) or None,
        "outcomes": _text(record, "outcomes") or None,
        "extra": _extra(record, "project"),
    }
    return work.rows.apply(key, values)


def _upsert_weeknote(work: Batch, record: dict[str, Any]) -> str:
    assert work.projects is not None
    key = _id(record)
    project_id = _text(record, "project", limit=120) or None
    project = work.projects.get(project_id) if project_id else None
    if project is not None and project["deleted_at"] is not None:
        return "deleted"  # its project was deleted, and its weeknotes with it
    if project_id and project is None:
        raise Reject(
            f"project {project_id!r} is not in the register "
            "(import it first, or leave 'project' empty)"
        )
    organisation_id = project["organisation_id"] if project else work.organisation(record)
    week = _day(record, "week")
    if week is None:
        raise Reject("missing 'week' (the Monday of the week, like 2025-01-06)")
    internal = record.get("internal", False)
    if not isinstance(internal, bool):
        raise Reject("'internal' must be true or false")
    values = {
        "project_id": project_id if project else None,
        "organisation_id": organisation_id,
        "author": one_line(_text(record, "author", limit=300)),
        "week": week - timedelta(days=week.weekday()),
        "title": one_line(_text(record, "title", limit=500)),
        "text": _text(record, "text", required=True),
        "url": one_line(_text(record, "url", limit=1000)),
        "internal": internal,
        "extra": _extra(record, "weeknote"),
    }
    outcome = work.rows.apply(key, values)
    if project_id and project and (project["updated"] is None or project["updated"] < week):
        work.projects.touch(project_id, "updated", week)  # its last activity, not a change
    return outcome


UPSERT: dict[str, Callable[[Batch, dict[str, Any]], str]] = {
    "organisation": _upsert_organisation,
    "project": _upsert_project,
    "weeknote": _upsert_weeknote,
}


# -- export ---------------------------------------------------------------------------------


def export_records(repo: Repository, *, include_internal: bool = False) -> Iterator[dict[str, Any]]:
    """Every live record in the interchange format, unknown fields from import included."""
    with repo.session() as s:
        for org in s.exec(select(t.Organisation).order_by(t.Organisation.id)):
            yield _clean(
                {
                    "type": "organisation",
                    "id": org.id,
                    "name": org.name,
                    "code": org.code,
                    **org.extra,
                }
            )
        for p in s.exec(
            select(t.Project).where(col(t.Project.deleted_at).is_(None)).order_by(t.Project.id)
        ):
            yield _project_record(p)
        notes = (
            select(t.Weeknote).where(col(t.Weeknote.deleted_at).is_(None)).order_by(t.Weeknote.id)
        )
        for n in s.exec(notes):
            if n.internal and not include_internal:
                continue
            yield _clean(
                {
                    "type": "weeknote",
                    "id": n.id,
                    "project": n.project_id,
                    "organisation": n.organisation_id,
                    "author": n.author,
                    "week": n.week.isoformat(),
                    "title": n.title,
                    "text": n.text,
                    "url": n.url,
                    "internal": n.internal or None,
                    **n.extra,
                }
            )


def _project_record(p: t.Project) -> dict[str, Any]:
    return _clean(
        {
            "type": "project",
            "id": p.id,
            "title": p.title,
            "organisation": p.organisation_id,
            "stage": p.stage,
            "description": p.description,
            "summary": p.summary,
            "tags": p.tags,
            "service_area": p.service_area,
            "contact": p.contact,
            "url": p.url,
            "started": p.started.isoformat() if p.started else None,
            "updated": p.updated.isoformat() if p.updated else None,
            "partners": p.partners,
            "suppliers": p.suppliers,
            "cost": p.cost,
            "outcomes": p.outcomes,
            **p.extra,
        }
    )


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v not in (None, "", [])}


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


CSV_COLUMNS = (
    "id",
    "title",
    "organisation",
    "stage",
    "service_area",
    "tags",
    "summary",
    "description",
    "contact",
    "url",
    "started",
    "updated",
    "partners",
    "suppliers",
    "cost",
    "outcomes",
)


def write_projects_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """The register as one CSV row per project (lists joined with '; ')."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for record in records:
        if record["type"] != "project":
            continue
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in record.items()})
        count += 1
    return count
