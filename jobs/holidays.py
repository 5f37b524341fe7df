"""UK bank holidays for each of GOV.UK's three divisions, from lists shipped with the package.

England and Wales share one list; Scotland (2 January, St Andrew's Day, no Easter Monday) and
Northern Ireland (St Patrick's Day, the Battle of the Boyne) have their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
ENGLAND_AND_WALES = "england-and-wales"
SCOTLAND = "scotland"
NORTHERN_IRELAND = "northern-ireland"
DIVISIONS = (ENGLAND_AND_WALES, SCOTLAND, NORTHERN_IRELAND)  # GOV.UK's names for them


@dataclass(frozen=True, slots=True)
class BankHolidays:
    """The days nobody should be reminded of anything, by division."""

    by_division: Mapping[str, frozenset[date]]

    @classmethod
    def load(cls, folder: Path = DATA_DIR) -> BankHolidays:
        """Read `bank-holidays-<division>.txt` for every division: one ISO date per line, `#`
        starts a comment. A missing file or a bad line is an error, not a silently missing
        holiday."""
        return cls({division: frozenset(_read(folder, division)) for division in DIVISIONS})

    @classmethod
    def of(cls, days: Iterable[date], division: str = ENGLAND_AND_WALES) -> BankHolidays:
        return cls({division: frozenset(days)})

    def days(self, division: str = ENGLAND_AND_WALES) -> frozenset[date]:
        return self.by_division.get(division, frozenset())

    def is_holiday(self, day: date, divisions: Iterable[str] = (ENGLAND_AND_WALES,)) -> bool:
        """Whether `day` is a bank holiday in any of `divisions` (someone working with councils
        on both sides of a border is off on either's holiday)."""
        return any(day in self.days(division) for division in divisions)


def _read(folder: Path, division: str) -> list[date]:
    path = folder / f"bank-holidays-{division}.txt"
    try:
        return parse_lines(path.read_text(encoding="utf-8").splitlines())
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def parse_lines(lines: Iterable[str]) -> list[date]:
    days = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            days.append(date.fromisoformat(text))
        except ValueError as exc:
            raise ValueError(f"line {number}: {text!r} is not a date like 2025-12-25") from exc
    return days


def division_of(gss_code: str | None) -> str:
    """The bank-holiday division of a council by its ONS GSS code (E…, W…, S…, N…); England and
    Wales when there is no code, as for bodies that are not councils."""
    first = (gss_code or "").strip()[:1].upper()
    return {"S": SCOTLAND, "N": NORTHERN_IRELAND}.get(first, ENGLAND_AND_WALES)
