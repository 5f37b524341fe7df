"""Titles that look alike: a new project whose title is a copy or an extension of one that is
already registered (elsewhere), for the digest's "Looks like" pairs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from knowledge.search.text import index_terms

LOOK_ALIKE = 90  # token_set_ratio of two projects' title stems


@lru_cache(maxsize=50_000)  # titles rarely change: a digest or preview re-reads them all
def title_key(title: str) -> str:
    return " ".join(sorted(set(index_terms(title))))


class TitleIndex:
    """Project titles reduced to their sorted index terms, with a term -> titles index."""

    def __init__(self, titles: Sequence[str]) -> None:
        self.keys = [title_key(title) for title in titles]
        self.postings: dict[str, list[int]] = {}
        for i, key in enumerate(self.keys):
            for term in key.split():
                self.postings.setdefault(term, []).append(i)

    def look_alikes(self, title: str) -> list[int]:
        """Indexes of the titles that look like `title`, best first. token_set_ratio scores a
        title contained in another 100, which is what a copied or extended title looks like;
        two shared terms (or the very same terms) keep one common word ("Website") from
        matching everything, and let the index pick the few titles worth scoring. Titles
        only: on the demo data, adding summaries found no real pair and two false ones."""
        key = title_key(title)
        if not key:
            return []
        shared: Counter[int] = Counter()
        for term in key.split():
            shared.update(self.postings.get(term, ()))
        found = []
        for i, n in shared.items():
            choice = self.keys[i]
            if n < 2 and choice != key:
                continue
            score = fuzz.token_set_ratio(key, choice, processor=None, score_cutoff=LOOK_ALIKE)
            if score:
                found.append((-score, -n, i))
        return [i for *_, i in sorted(found)]
