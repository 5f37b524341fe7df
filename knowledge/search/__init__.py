"""Search over projects and weeknotes: pure functions and an in-memory index over plain data.

index = SearchIndex()
index.add_many(documents)
result = index.search("has anyone built a bulky waste booking form?")
if result.confident:
    for hit in result.hits:
        print(hit.id, snippet(text_of(hit), result.terms))
"""

from knowledge.search.calibration import Calibration, Evidence, load_calibration
from knowledge.search.index import (
    Document,
    Hit,
    Kind,
    SearchIndex,
    SearchResult,
    embedding_texts,
    passages_of,
)
from knowledge.search.passages import passages, sentences
from knowledge.search.query import Alternative, Concept, ParsedQuery, query_terms
from knowledge.search.snippet import snippet
from knowledge.search.synonyms import Synonyms, load_synonyms
from knowledge.search.text import index_terms, strip_boilerplate

__all__ = [
    "Alternative",
    "Calibration",
    "Concept",
    "Document",
    "Evidence",
    "Hit",
    "Kind",
    "ParsedQuery",
    "SearchIndex",
    "SearchResult",
    "Synonyms",
    "embedding_texts",
    "index_terms",
    "load_calibration",
    "load_synonyms",
    "passages",
    "passages_of",
    "query_terms",
    "sentences",
    "snippet",
    "strip_boilerplate",
]
