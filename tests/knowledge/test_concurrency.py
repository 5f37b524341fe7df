"""Searches run in worker threads: the stemmer and the index must stand concurrent use."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import snowballstemmer

from knowledge.search import Document, SearchIndex
from knowledge.search.text import Stemmer

WORDS = [
    f"{stem}{ending}"
    for stem in (
        "connect",
        "organis",
        "publish",
        "consult",
        "develop",
        "register",
        "plan",
        "survey",
        "collect",
        "report",
    )
    for ending in ("ing", "ed", "ions", "ers", "ational")
]


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Switch threads as often as possible, so a shared stemmer's state is caught mid-word."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_concurrent_stemming_gives_the_single_threaded_stems(busy_switching: None) -> None:
    expected = {w: snowballstemmer.stemmer("english").stemWord(w) for w in WORDS}
    stemmer = Stemmer(max_cached=0)  # no cache: every call goes to the snowball stemmer

    def stem_all(_: int) -> dict[str, str]:
        return {w: stemmer(w) for w in WORDS * 20}

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(stem_all, range(32)))
    assert all(result == expected for result in results)


def test_concurrent_searches_agree_with_sequential_ones(busy_switching: None) -> None:
    index = SearchIndex()
    index.add_many(
        Document(
            "project", f"p{i}", f"{WORDS[i % len(WORDS)]} service {i}", " ".join(WORDS[i % 7 :: 3])
        )
        for i in range(300)
    )
    questions = [f"has anyone been {w} things online?" for w in WORDS]
    expected = [[h.id for h in index.search(q).hits] for q in questions]

    def ask(q: str) -> list[str]:
        return [h.id for h in index.search(q).hits]

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(ask, questions)) == expected
