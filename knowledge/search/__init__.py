"""Search over projects and weeknotes: pure functions and an in-memory index over plain data.

index = SearchIndex()
index.add_many(documents)
result = index.search("has anyone built a bulky waste booking form?")
if result.confident:
    for hit in result.hits:
        print(hit.id, snippet(text_of(hit), result.terms))
"""

from knowledge.search.index import Document, Hit, Kind, SearchIndex, SearchResult
from knowledge.search.query import Alternative, Concept, ParsedQuery, query_terms
from knowledge.search.snippet import snippet
from knowledge.search.synonyms import Synonyms, load_synonyms
from knowledge.search.text import index_terms, strip_boilerplate

__all__ = [
    "Alternative",
    "Concept",
    "Document",
    "Hit",
    "Kind",
    "ParsedQuery",
    "SearchIndex",
    "SearchResult",
    "Synonyms",
    "index_terms",
    "load_synonyms",
    "query_terms",
    "snippet",
    "strip_boilerplate",
]
