"""knowledge.search on the shipped demo data: the labelled questions are answered, and questions
nobody has answered are not answered confidently.

Reads only files inside the repository (the corpus under ../shared may not exist on CI):
``knowledge/data/demo/demo.jsonl`` and ``tests/data/dev-queries.jsonl`` (rules in
/work/shared/corpus/README.md: answered at rank r when the r-th hit's id, or one of its
weeknote ids, is in ``rel``; an empty ``rel`` means the honest answer is "nobody yet").

These run the lexical half alone (no embeddings). Whether an answer is confident comes from
the calibration fitted on the dev sets' tuning split (tools/calibrate.py); the figures that
count are bench/quality.py's on the held-out split. Here the calibration only has to keep
lexical search mostly right and, above all, honest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from knowledge.finder import project_text
from knowledge.search import Document, SearchIndex, SearchResult, snippet

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "knowledge" / "data" / "demo" / "demo.jsonl"
DEV_QUERIES = REPO / "tests" / "data" / "dev-queries.jsonl"

# Written the way practitioners ask, with their typos and abbreviations, answered from the
# demo data by reading it.
OWN_QUERIES: list[dict[str, Any]] = [
    {
        "q": "has anyone built a map of the street trees in their area?",
        "rel": ["dlp-london-street-trees", "dlp-edinburgh-tree-map"],
    },
    {"q": "anyone done an online volunteering application form?", "rel": ["pl-4"]},
    {
        "q": "Does anyone know if any councils have published their s106 data?",
        "rel": ["dl-developer-contributions", "dl-infrastructure-funding-statement"],
    },
    {"q": "empty homes register", "rel": ["dl-unused-properties"]},
    {"q": "has anyone made an income and expenditure calculator for ctax?", "rel": ["pl-6"]},
    {"q": "EPC data - has anyone opened it up?", "rel": ["dl-energy-performance-of-buildings"]},
    {
        "q": "looking for examples of a digital record for building saftey",
        "rel": ["dl-golden-thread-of-building-information"],
    },
    {"q": "compulsary purchase order decisions", "rel": ["dl-compulsory-purchase-orders"]},
    {"q": "has anyone built a dashboard of council website usability?", "rel": ["pl-16"]},
    {
        "q": "Has anyone done an online assessment for the Care Act in adult social care?",
        "rel": ["pl-21"],
    },
    {"q": "planning applicaton map for Surrey", "rel": ["dlp-surrey-planning-application-map"]},
    {"q": "recrutment site for council vacancies", "rel": ["pl-9"]},
    {"q": "fast food outlets near schools", "rel": ["dlp-london-schools-fast-food"]},
    {"q": "has anyone built a pothole reporting app?", "rel": []},
    {"q": "parking permit renewals online - anyone?", "rel": []},
]


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def documents(records: list[dict[str, Any]]) -> list[Document]:
    names = {r["id"]: r.get("name", r["id"]) for r in records if r["type"] == "organisation"}
    docs = []
    for r in records:
        organisation = names.get(r.get("organisation") or "", r.get("organisation") or "")
        if r["type"] == "project":
            text = project_text(r.get("summary") or "", r.get("description") or "")
            docs.append(
                Document(
                    "project",
                    r["id"],
                    r.get("title", ""),
                    text,
                    organisation=organisation,
                    tags=tuple(r.get("tags") or ()),
                    service_area=r.get("service_area") or "",
                )
            )
        elif r["type"] == "weeknote":
            docs.append(
                Document(
                    "weeknote",
                    r["id"],
                    r.get("title", ""),
                    r.get("text", ""),
                    project_id=r.get("project"),
                    organisation=organisation,
                )
            )
    return docs


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    if not DEMO.exists():
        pytest.fail(f"{DEMO} is missing: the demo data set ships with the package")
    return _load(DEMO)


@pytest.fixture(scope="module")
def index(records: list[dict[str, Any]]) -> SearchIndex:
    built = SearchIndex()
    built.add_many(documents(records))
    return built


def rank(result: SearchResult, rel: list[str]) -> int | None:
    for position, hit in enumerate(result.hits, start=1):
        if hit.id in rel or set(hit.weeknote_ids) & set(rel):
            return position
    return None


def _cases() -> list[Any]:
    labelled = [("dev", q) for q in _load(DEV_QUERIES)] + [("own", q) for q in OWN_QUERIES]
    return [pytest.param(q["q"], q["rel"], id=f"{source}: {q['q'][:50]}") for source, q in labelled]


@pytest.mark.parametrize(("question", "rel"), _cases())
def test_labelled_question(index: SearchIndex, question: str, rel: list[str]) -> None:
    result = index.search(question)
    if rel:
        found_at = rank(result, rel)
        assert found_at is not None, [(h.id, h.score) for h in result.hits]
        assert found_at <= 5, [(h.id, h.score) for h in result.hits]  # lexical alone: top 5
    else:
        assert not result.sure, [(h.id, h.score) for h in result.hits]


def test_dev_queries_are_all_present() -> None:
    queries = _load(DEV_QUERIES)
    assert len(queries) >= 15
    assert any(not q["rel"] for q in queries)


def test_lexical_confidence_is_mostly_right_and_honest(index: SearchIndex) -> None:
    """Lexical evidence alone is weaker than the hybrid's, so the bar is lower than issue 11's
    targets; what must hold is that unanswerable questions are mostly not claimed."""
    answerable: list[bool] = []
    unanswerable: list[bool] = []
    for q in _load(DEV_QUERIES) + OWN_QUERIES:
        result = index.search(q["q"])
        (answerable if q["rel"] else unanswerable).append(result.confident)
    assert sum(answerable) / len(answerable) >= 0.6
    assert unanswerable.count(False) / len(unanswerable) >= 0.8


def test_every_demo_record_is_indexed(index: SearchIndex, records: list[dict[str, Any]]) -> None:
    assert len(index) == sum(r["type"] in {"project", "weeknote"} for r in records)


def test_snippet_explains_a_real_hit(index: SearchIndex, records: list[dict[str, Any]]) -> None:
    result = index.search("has anyone agreed a data format for infrastructure funding statements?")
    hit = result.hits[0]
    project = next(r for r in records if r["id"] == hit.id)
    line = snippet(project["description"], result.terms, width=160)
    assert len(line) <= 160
    assert "infrastructure funding statement" in line.lower()
