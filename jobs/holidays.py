"""UK bank holidays (England and Wales), from a list shipped with the package."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "bank-holidays-england-and-wales.txt"


@dataclass(frozen=True, slots=True)
class BankHolidays:
    """The days nobody should be reminded of anything."""

    days: frozenset[date]

    @classmethod
    def load(cls, path: Path = DATA) -> BankHolidays:
        """Read one ISO date per line; `#` starts a comment. A bad line is an error, not a
        silently missing holiday."""
        return cls.of(parse_lines(path.read_text(encoding="utf-8").splitlines()))

    @classmethod
    def of(cls, days: Iterable[date]) -> BankHolidays:
        return cls(frozenset(days))

    def is_holiday(self, day: date) -> bool:
        return day in self.days


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
