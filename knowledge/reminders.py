"""Weeknote reminders: who is due one, who opted out, and the once-a-week claim.

`claim` relies on the primary key of `reminder_sent` (person, week): of two processes racing to
remind the same person in the same week, exactly one inserts the row, so nobody is nagged twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.model import Stage
from knowledge import tables as t


class ReminderStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def owners_without_weeknote(self, week: date) -> dict[str, list[tuple[str, str]]]:
        """Owners of projects that are not retired and have no weeknote for `week` (a Monday):
        person_key → [(project_id, title)], each list in title order."""
        posted = select(t.Weeknote.project_id).where(
            t.Weeknote.week == week, col(t.Weeknote.deleted_at).is_(None)
        )
        query = (
            select(t.Project.owner_key, t.Project.id, t.Project.title)
            .where(
                col(t.Project.owner_key).is_not(None),
                col(t.Project.deleted_at).is_(None),
                t.Project.stage != Stage.RETIRED.value,
                col(t.Project.id).not_in(posted.where(col(t.Weeknote.project_id).is_not(None))),
            )
            .order_by(t.Project.owner_key, t.Project.title, t.Project.id)
        )
        due: dict[str, list[tuple[str, str]]] = defaultdict(list)
        with Session(self.engine) as s:
            for owner_key, project_id, title in s.exec(query):
                if owner_key:
                    due[owner_key].append((project_id, title))
        return dict(due)

    def opted_out(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        if not wanted:
            return set()
        with Session(self.engine) as s:
            rows = s.exec(
                select(t.Person.key).where(
                    col(t.Person.key).in_(wanted), col(t.Person.reminders).is_(False)
                )
            )
            return set(rows)

    def organisation_codes(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """The GSS codes of the organisations each person's live projects belong to ("" for an
        organisation without one), to tell whose bank holidays they keep."""
        wanted = list(keys)
        found: dict[str, set[str]] = defaultdict(set)
        with Session(self.engine) as s:
            for i in range(0, len(wanted), 500):
                rows = s.exec(
                    select(t.Project.owner_key, t.Organisation.code)
                    .join(t.Organisation, col(t.Organisation.id) == col(t.Project.organisation_id))
                    .where(
                        col(t.Project.owner_key).in_(wanted[i : i + 500]),
                        col(t.Project.deleted_at).is_(None),
                        t.Project.stage != Stage.RETIRED.value,
                    )
                    .distinct()
                )
                for owner_key, code in rows:
                    if owner_key:
                        found[owner_key].add(code or "")
        return dict(found)

    def timezones(self, keys: Iterable[str]) -> dict[str, str]:
        """Each known person's timezone as their platform reported it ("" where it did not)."""
        wanted = list(keys)
        found: dict[str, str] = {}
        with Session(self.engine) as s:
            for i in range(0, len(wanted), 500):
                rows = s.exec(
                    select(t.Person.key, t.Person.timezone).where(
                        col(t.Person.key).in_(wanted[i : i + 500])
                    )
                )
                found.update(dict(rows.all()))
        return found

    def set_timezone(self, person_key: str, timezone: str, *, now: datetime) -> None:
        """Remember a person's timezone (learnt from their platform), recording them if new."""
        self._update_person(person_key, now, timezone=timezone)

    def claim(self, person_key: str, week: date, now: datetime) -> bool:
        """True for the one caller that may remind `person_key` about `week`."""
        with Session(self.engine) as s:
            s.add(t.ReminderSent(person_key=person_key, week=week, claimed_at=now))
            try:
                s.commit()
            except sa.exc.IntegrityError:
                return False
            return True

    def release(self, person_key: str, week: date) -> None:
        """Give a claim back (the message did not go), so a later run can try again."""
        with Session(self.engine) as s:
            row = s.get(t.ReminderSent, (person_key, week))
            if row is not None:
                s.delete(row)
                s.commit()

    def set_reminders(self, person_key: str, on: bool, *, now: datetime) -> None:
        """Turn weeknote reminders on or off for a person, recording them if they are new."""
        self._update_person(person_key, now, reminders=on)

    def _update_person(self, person_key: str, now: datetime, **values: object) -> None:
        """Set columns of a person's row, creating the row if they are new."""
        for _ in range(2):  # a second try if another process recorded them meanwhile
            with Session(self.engine) as s:
                row = s.exec(select(t.Person).where(t.Person.key == person_key)).first()
                row = row or _new_person(person_key, now)
                for name, value in values.items():
                    setattr(row, name, value)
                s.add(row)
                try:
                    s.commit()
                except sa.exc.IntegrityError:
                    continue
                return
        raise RuntimeError(f"could not record {', '.join(values)} for {person_key}")


def _new_person(key: str, now: datetime) -> t.Person:
    platform, _, rest = key.partition(":")
    workspace_id = rest.rsplit(":", 1)[0] if rest.count(":") else ""
    return t.Person(
        key=key,
        platform=platform,
        workspace_id=workspace_id,
        user_id=key.rsplit(":", 1)[-1],
        created_at=now,
    )
