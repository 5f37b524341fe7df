"""Normalise UK local authority names ("LB Hackney", "Hackney Council") to one register code.

Built on mySociety's uk_local_authority_names_and_codes (MIT), shipped in knowledge/data/la-names.
Matching is deliberately conservative: a wrong council is worse than no council, because the
bot would then tell a team that "Bristol has done this" when nobody has.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

DATA_DIR = Path(__file__).resolve().parent / "data" / "la-names"
AUTHORITIES_CSV = "uk_local_authorities.csv"
LOOKUP_CSV = "lookup_name_to_registry.csv"

# Cores that name a region or several bodies at once ("London": the GLA, the City or any
# borough), so they must never resolve on their own.
_AMBIGUOUS_CORES = frozenset({"london"})

FUZZY_CUTOFF = 92.0
# A near-tie between two different councils means the typo could be either: refuse to guess.
FUZZY_MARGIN = 3.0
# One wrong letter in a short core like "brent" already scores below the cutoff; in very short
# cores a single edit can flip one real place name into another, so they never go fuzzy.
MIN_FUZZY_CORE = 6

# Abbreviations councils and their neighbours use for themselves.
_ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {
    "lb": ("london", "borough"),
    "lbo": ("london", "borough"),
    "rb": ("royal", "borough"),
    "boro": ("borough",),
    "mbc": ("metropolitan", "borough", "council"),
    "bc": ("borough", "council"),
    "dc": ("district", "council"),
    "cc": ("council",),
}
_DROPPED = frozenset({"the", "and"})
# Words that say what kind of council it is rather than where: "Kirklees Metropolitan Borough
# Council" and "Kirklees Council" are the same body.
_GENERIC = frozenset(
    {"council", "borough", "city", "county", "district", "metropolitan", "of", "royal"}
)


@dataclass(frozen=True, slots=True)
class Authority:
    code: str  # 3-letter register code, e.g. "HCK"
    gss: str  # ONS GSS code, e.g. "E09000012"; "" when the register has none
    official_name: str
    nice_name: str


def normalise(name: str) -> str:
    """Lowercase, accent-free, punctuation-free; "&"/"and"/"the" dropped, abbreviations expanded."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = re.sub(r"[^a-z0-9]+", " ", ascii_only.replace("&", " and ")).split()
    expanded: list[str] = []
    for word in words:
        expanded.extend(_ABBREVIATIONS.get(word, (word,)))
    return " ".join(w for w in expanded if w not in _DROPPED)


def core(normalised: str) -> str:
    """The place part of a normalised name: "london borough of hackney" -> "hackney"."""
    words = normalised.replace("london borough", "borough").split()
    return " ".join(w for w in words if w not in _GENERIC)


class AuthorityNames:
    """Looks up authorities by any of their names. Build with `load`; matching does no I/O."""

    def __init__(
        self, authorities: Iterable[tuple[Authority, bool]], aliases: Iterable[tuple[str, str]]
    ) -> None:
        """`authorities` pairs each authority with whether it is current (no end date);
        `aliases` pairs a name with a register code."""
        self._by_code: dict[str, Authority] = {}
        self._current: set[str] = set()
        for authority, current in authorities:
            self._by_code[authority.code] = authority
            if current:
                self._current.add(authority.code)
        self._exact: dict[str, set[str]] = {}
        self._core: dict[str, set[str]] = {}
        for alias, code in aliases:
            if code in self._by_code:
                self._add_alias(alias, code)
        for authority in self._by_code.values():
            self._add_alias(authority.official_name, authority.code)
            self._add_alias(authority.nice_name, authority.code)

    @classmethod
    def load(cls, folder: Path | None = None) -> AuthorityNames:
        """Read the register and alias CSVs (default: the copy shipped with the package)."""
        folder = folder or DATA_DIR
        with (folder / AUTHORITIES_CSV).open(encoding="utf-8", newline="") as handle:
            authorities = [_authority_from_row(row) for row in csv.DictReader(handle)]
        with (folder / LOOKUP_CSV).open(encoding="utf-8", newline="") as handle:
            aliases = [
                (row["la-name"], row["local-authority-code"]) for row in csv.DictReader(handle)
            ]
        return cls(authorities, aliases)

    def get(self, code: str) -> Authority | None:
        return self._by_code.get(code)

    def match(self, name: str) -> Authority | None:
        """The authority `name` refers to, or None when unsure or when it is not a council."""
        full = normalise(name)
        if not full:
            return None
        place = core(full)
        for table, key in ((self._exact, full), (self._core, place)):
            if key in table:
                return self._pick(table[key])
        return self._fuzzy(full, place)

    def _add_alias(self, alias: str, code: str) -> None:
        full = normalise(alias)
        if not full:
            return
        self._exact.setdefault(full, set()).add(code)
        place = core(full)
        if place and place not in _AMBIGUOUS_CORES:
            self._core.setdefault(place, set()).add(code)

    def _pick(self, codes: set[str]) -> Authority | None:
        """One authority from an alias's candidates: current ones win; a remaining tie is unsure."""
        current = codes & self._current
        candidates = current or codes
        if len(candidates) != 1:
            return None
        return self._by_code[next(iter(candidates))]

    def _fuzzy(self, full: str, place: str) -> Authority | None:
        scores: dict[str, float] = {}
        searches = [(full, self._exact)]
        if len(place) >= MIN_FUZZY_CORE:
            searches.append((place, self._core))
        for query, table in searches:
            hits = process.extract(
                query,
                table.keys(),
                scorer=fuzz.token_sort_ratio,
                score_cutoff=FUZZY_CUTOFF,
                limit=20,
            )
            for key, score, _ in hits:
                for code in table[key]:
                    scores[code] = max(score, scores.get(code, 0.0))
        if not scores:
            return None
        best = max(scores.values())
        close = {code for code, score in scores.items() if score >= best - FUZZY_MARGIN}
        return self._pick(close)


def _authority_from_row(row: Mapping[str, str]) -> tuple[Authority, bool]:
    authority = Authority(
        code=row["local-authority-code"].strip(),
        gss=(row.get("gss-code") or "").strip(),
        official_name=row["official-name"].strip(),
        nice_name=row["nice-name"].strip(),
    )
    return authority, not (row.get("end-date") or "").strip()
