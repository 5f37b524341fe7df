"""Semantic and lexical halves fused, calibrated confidence, and the fields people ask about."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from knowledge.search import Document, SearchIndex, embedding_texts, load_calibration
from knowledge.search.calibration import Calibration, Evidence, Logistic
from tests.knowledge.embedders import ConceptEmbedder

EMBEDDER = ConceptEmbedder()

DOCS = (
    Document(
        "weeknote",
        "care-shifts",
        "Week 12",
        "We redesigned the shift pattern planner for care workers in homecare.",
    ),
    Document(
        "project",
        "garden",
        "Garden waste subscriptions",
        "Residents renew their green bin collection every spring.",
    ),
    Document(
        "project",
        "street-trees",
        "Street tree canopy map",
        "A map of every street tree and the canopy cover by ward.",
        suppliers=("Esri ArcGIS Online",),
        partners=("Forest Research",),
        outcomes="Canopy cover rose to 21% in three years.",
    ),
    Document("project", "parking", "Parking permits", "Renew a resident parking permit online."),
)


def embedded(docs: tuple[Document, ...] = DOCS, *, skip: set[str] | None = None) -> SearchIndex:
    index = SearchIndex()
    index.add_many(docs)
    for doc in docs:
        if doc.id not in (skip or set()):
            assert index.set_vectors(doc.kind, doc.id, EMBEDDER.embed(embedding_texts(doc)))
    return index


def ask(index: SearchIndex, question: str, mode: str = "auto") -> list[str]:
    vector = EMBEDDER.embed([question])[0]
    return [h.id for h in index.search(question, query_vector=vector, mode=mode).hits]  # type: ignore[arg-type]


def test_other_words_for_the_same_thing_are_found_through_the_vectors() -> None:
    index = embedded()
    assert "care-shifts" not in [h.id for h in index.search("staff rota", mode="lexical").hits]
    assert ask(index, "staff rota")[0] == "care-shifts"
    assert ask(index, "staff rota", "semantic")[0] == "care-shifts"


def test_fusion_keeps_the_lexical_match_first_when_both_halves_agree() -> None:
    index = embedded()
    assert ask(index, "garden waste subscriptions")[0] == "garden"


def test_lexical_share_moves_the_balance() -> None:
    index = embedded()
    vector = EMBEDDER.embed(["permits for bins"])[0]
    index.lexical_share = 1.0
    lexical_first = index.search("permits for bins", query_vector=vector).hits[0].id
    index.lexical_share = 0.0
    semantic_first = index.search("permits for bins", query_vector=vector).hits[0].id
    assert (lexical_first, semantic_first) == ("parking", "garden")


def test_a_document_not_embedded_yet_is_still_found_lexically() -> None:
    index = embedded(skip={"parking"})
    assert "parking" in ask(index, "parking permit")[:1]
    result = index.search("parking permit", query_vector=EMBEDDER.embed(["parking permit"])[0])
    assert result.mode == "hybrid"
    assert result.evidence is not None and result.evidence.cosine is None  # lexical evidence


def test_without_vectors_search_is_lexical() -> None:
    index = SearchIndex()
    index.add_many(DOCS)
    result = index.search("parking permit", query_vector=EMBEDDER.embed(["parking permit"])[0])
    assert result.mode == "lexical" and result.hits[0].id == "parking"


def test_vectors_of_another_text_are_refused() -> None:
    index = SearchIndex()
    index.add_many(DOCS)
    doc = DOCS[1]
    vectors = EMBEDDER.embed(embedding_texts(doc))
    assert not index.set_vectors(doc.kind, doc.id, vectors, "not-its-digest")
    assert not index.set_vectors(doc.kind, doc.id, np.vstack([vectors, vectors]))
    assert index.set_vectors(doc.kind, doc.id, vectors, index.digest_of(doc.kind, doc.id))
    assert index.has_vectors(doc.kind, doc.id)


def test_replacing_a_document_drops_its_old_vectors() -> None:
    index = embedded()
    index.add(Document("project", "garden", "Garden waste", "Green bins, now monthly."))
    assert not index.has_vectors("project", "garden")
    assert len(index.vectors) == sum(len(embedding_texts(d)) for d in DOCS if d.id != "garden")


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("has anyone used ArcGIS?", "street-trees"),  # suppliers and systems
        ("projects with Forest Research", "street-trees"),  # partner organisations
        ("canopy cover rose", "street-trees"),  # outcomes
    ],
)
def test_suppliers_partners_and_outcomes_are_searched(question: str, found: str) -> None:
    index = SearchIndex()
    index.add_many(DOCS)
    assert index.search(question).hits[0].id == found


# ----------------------------------------------------------------------------- calibration


def test_probability_rises_with_each_kind_of_evidence() -> None:
    calibration = load_calibration()
    low = calibration.probability(Evidence(cosine=0.2, coverage=0.2, lexical=0.2))
    closer = calibration.probability(Evidence(cosine=0.6, coverage=0.2, lexical=0.2))
    covered = calibration.probability(Evidence(cosine=0.2, coverage=0.9, lexical=0.2))
    assert low < closer and low < covered
    lexical_low = calibration.probability(Evidence(cosine=None, coverage=0.2, lexical=0.2))
    lexical_high = calibration.probability(Evidence(cosine=None, coverage=0.9, lexical=0.8))
    assert lexical_low < lexical_high


def test_the_shipped_calibration_was_fitted_on_the_tuning_split() -> None:
    about = load_calibration().about
    assert "tuning" in about["fitted_on"] and about["questions"] >= 50
    assert about["unanswerable"] >= 10


def test_sure_is_a_stricter_bar_than_confident() -> None:
    calibration = Calibration(
        semantic=Logistic({"cosine": 10.0, "coverage": 0.0}, -5.0),
        lexical=Logistic({"lexical": 10.0, "coverage": 0.0}, -5.0),
    )
    middling = calibration.judge(Evidence(cosine=0.6, coverage=0.5, lexical=0.5))
    strong = calibration.judge(Evidence(cosine=0.8, coverage=0.5, lexical=0.5))
    assert 0.5 < middling.probability < 0.8
    assert (middling.confident, middling.sure) == (True, False)
    assert (strong.confident, strong.sure) == (True, True)
    assert calibration.judge(Evidence(cosine=0.3, coverage=0.5, lexical=0.5)).confident is False


def test_the_index_judges_with_its_calibration() -> None:
    index = embedded()
    vector = EMBEDDER.embed(["staff rota"])[0]
    strict = replace(index.calibration, ask=0.999, passive=0.999)
    result = index.search("staff rota", query_vector=vector)
    index.calibration = strict
    strict_result = index.search("staff rota", query_vector=vector)
    assert result.probability == pytest.approx(strict_result.probability)
    assert strict_result.confident is False
    assert result.evidence is not None and result.evidence.cosine is not None
    assert result.evidence.cosine > 0.5


def test_the_projected_search_of_a_large_store_finds_what_exact_search_finds() -> None:
    """Above its size threshold the store scans projected vectors and reranks exactly; on
    clustered vectors, as embeddings are, it must find the same best documents."""
    from knowledge.search.vectors import VectorStore

    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 384)).astype(np.float32)
    rows = centres[rng.integers(0, 40, 6_000)] + 0.6 * rng.standard_normal((6_000, 384))
    rows = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    exact, projected = VectorStore(), VectorStore()
    projected.project_above = 1_000
    for doc in range(2_000):
        exact.put(doc, rows[3 * doc : 3 * doc + 3])
        projected.put(doc, rows[3 * doc : 3 * doc + 3])
    alive = np.ones(2_000, np.bool_)
    overlap = []
    for noisy in rows[rng.integers(0, 6_000, 20)] + 0.3 * rng.standard_normal((20, 384)):
        q = (noisy / np.linalg.norm(noisy)).astype(np.float32)
        exact_sims = exact.similarities(q)
        assert exact_sims is not None
        want = exact_sims.best_documents(50, alive)
        got_sims = projected.similarities(q)
        assert got_sims is not None and got_sims.block_best is None  # really projected
        got = got_sims.best_documents(50, alive)
        overlap.append(len(set(want.tolist()) & set(got.tolist())) / 50)
        docs = np.arange(0, 2_000, 7, dtype=np.int32)
        assert np.allclose(
            exact_sims.of_documents(docs),
            got_sims.of_documents(docs),
            atol=1e-5,
        )
    assert min(overlap) >= 0.9, overlap
