"""An in-memory BM25 inverted index over projects and weeknotes.

Why this shape (DESIGN.md §3, "What we measured"): scoring whole documents with rapidfuzz was
slow and weak; BM25 over an inverted index, with rapidfuzz only on the term dictionary for typos
and synonym expansion, was both fast and accurate. A query touches only the postings of its own
terms, never every document.

Layout
- A *main segment*: postings in CSR form (``_offsets`` per term id into ``_docs``/``_impacts``,
  numpy arrays), built in bulk by ``add_many`` and rebuilt when the delta grows.
- A *delta*: small Python lists per term for documents added one at a time by ``add``.
- Removal and replacement leave a tombstone (``_alive``); merging drops dead postings.
- Each posting stores its BM25 *impact* — the term-frequency part with length normalisation —
  computed once at indexing; idf is applied at query time so it follows the collection.
  Impacts are not recomputed when the average length drifts, and the document frequencies of
  removed documents linger until the next merge: both shift scores only slightly.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from knowledge.search.query import Alternative, Concept, ParsedQuery, query_terms, terms_of
from knowledge.search.synonyms import Synonyms, load_synonyms
from knowledge.search.text import MAX_WORD, STOP_WORDS, WORD, normalise, stem

Kind = Literal["project", "weeknote"]
_KINDS: Final[tuple[Kind, Kind]] = ("project", "weeknote")

K1: Final = 1.2
B: Final = 0.6
FIELD_WEIGHTS: Final = {
    "title": 3.0,
    "tags": 2.0,
    "service_area": 1.5,
    "text": 1.0,
    "organisation": 0.5,
}
WEEKNOTE_DISCOUNT: Final = 0.9  # a project found through its weeknote ranks a little lower
COVERAGE_WEIGHT: Final = 0.4  # of a hit's score; the rest is BM25 over its most attainable
# A word in more documents than both of these only adds to rarer words' matches (for speed;
# small registers are searched exhaustively).
COMMON_SHARE: Final = 0.1
COMMON_MIN_POSTINGS: Final = 5_000
PARTIAL_PHRASE: Final = 0.5  # credit for some words of a phrase the user wrote ("council tax")
# A word no document uses counts against every hit, but less than its (maximal) idf says:
# it may be a name or an unusual word rather than the heart of the question.
UNKNOWN_WEIGHT: Final = 0.7
MAX_TERMS: Final = 32  # distinct concepts searched per question, the rarest kept
MAX_WEEKNOTES_PER_HIT: Final = 10
# Calibrated on the demo data's labelled questions: see tests/knowledge/test_search_corpus.py.
DEFAULT_CONFIDENCE: Final = 0.30

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Document:
    kind: Kind
    id: str
    title: str
    text: str  # project description or weeknote body
    project_id: str | None = None  # weeknotes only: the project it belongs to
    organisation: str = ""  # display name, searchable (lower weight)
    tags: tuple[str, ...] = ()  # higher weight
    service_area: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    kind: Kind
    id: str
    score: float  # 0..1: BM25 over the most the question's terms could score; comparable
    weeknote_ids: tuple[str, ...] = ()  # on a project hit: its weeknotes that matched, best first


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]  # stems searched after stripping, correction and expansion
    confident: bool
    hits: tuple[Hit, ...]


class _Column:
    """A growable numpy column indexed by document number."""

    __slots__ = ("_data", "size")

    def __init__(self, dtype: type[np.generic]) -> None:
        self._data: npt.NDArray[np.generic] = np.zeros(1024, dtype=dtype)
        self.size = 0

    def extend(self, values: npt.ArrayLike) -> None:
        values = np.asarray(values)
        need = self.size + len(values)
        if need > len(self._data):
            grown = np.zeros(max(need, 2 * len(self._data)), self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : need] = values
        self.size = need

    @property
    def view(self) -> npt.NDArray[np.generic]:
        return self._data[: self.size]


class SearchIndex:
    """Projects and weeknotes, searchable by question. Not safe to modify while searching from
    another thread; concurrent searches are fine."""

    def __init__(
        self,
        synonyms: Synonyms | None = None,
        *,
        confidence_threshold: float = DEFAULT_CONFIDENCE,
    ) -> None:
        self._synonyms = synonyms if synonyms is not None else load_synonyms()
        self.confidence_threshold = confidence_threshold
        # documents, by document number (never reused)
        self._keys: list[tuple[Kind, str]] = []
        self._docno: dict[tuple[Kind, str], int] = {}
        self._kind = _Column(np.uint8)
        self._length = _Column(np.int32)
        self._alive = _Column(np.bool_)
        self._parent = _Column(np.int32)  # a weeknote's project docno, or -1
        self._children: dict[str, list[int]] = {}  # project id -> weeknote docnos
        self._total_length = [0, 0]  # per kind, live documents
        self._count = [0, 0]
        # vocabulary
        self._term_id: dict[str, int] = {}
        self._df = np.zeros(0, dtype=np.int32)
        self._surface: set[str] = set()
        self._spelling: dict[int, list[str]] | None = None  # surface words by length
        self._corrected: dict[str, tuple[tuple[str, float], ...]] = {}
        # postings
        self._offsets = np.zeros(1, dtype=np.int64)
        self._docs = np.zeros(0, dtype=np.int32)
        self._impacts = np.zeros(0, dtype=np.float32)
        self._delta: dict[int, tuple[list[int], list[float]]] = {}
        self._delta_size = 0

    # ------------------------------------------------------------------ adding and removing

    def __len__(self) -> int:
        return len(self._docno)

    def add_many(self, docs: Iterable[Document]) -> None:
        """Index many documents at once (the fast path); same (kind, id) replaces."""
        term_ids = array("i")
        tfs = array("f")
        per_doc = array("i")
        first = len(self._keys)
        for doc in docs:
            counts, length = self._analyse(doc)
            self._register(doc, length)
            per_doc.append(len(counts))
            term_ids.extend([self._term_id.setdefault(s, len(self._term_id)) for s in counts])
            tfs.extend(counts.values())
        docnos = np.repeat(
            np.arange(first, len(self._keys), dtype=np.int32), np.frombuffer(per_doc, np.int32)
        )
        tids = np.frombuffer(term_ids, dtype=np.int32)
        impacts = self._impact(np.frombuffer(tfs, dtype=np.float32), docnos)
        self._merge(tids, docnos, impacts)

    def add(self, doc: Document) -> None:
        """Index one document, replacing any with the same (kind, id)."""
        counts, length = self._analyse(doc)
        docno = self._register(doc, length)
        tids = np.array([self._term_id.setdefault(s, len(self._term_id)) for s in counts], np.int32)
        self._grow_df()
        docnos = np.full(len(tids), docno, dtype=np.int32)
        impacts = self._impact(np.array(list(counts.values()), np.float32), docnos)
        for tid, impact in zip(tids.tolist(), impacts.tolist(), strict=True):
            docs, values = self._delta.setdefault(tid, ([], []))
            docs.append(docno)
            values.append(impact)
        self._df[tids] += 1
        self._delta_size += len(tids)
        if self._delta_size > max(20_000, len(self._docs) // 10):
            self._merge(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))

    def remove(self, kind: Kind, id: str) -> None:
        """Forget a document; nothing happens if it is not indexed."""
        docno = self._docno.pop((kind, id), None)
        if docno is not None:
            self._bury(docno)

    def _bury(self, docno: int) -> None:
        alive = self._alive.view
        if alive[docno]:
            alive[docno] = False
            k = int(self._kind.view[docno])
            self._count[k] -= 1
            self._total_length[k] -= int(self._length.view[docno])

    def _analyse(self, doc: Document) -> tuple[dict[str, float], int]:
        """Weighted term frequencies over the fields, and the length in words."""
        counts: dict[str, float] = {}
        length = 0
        fields = (
            ("text", doc.text),
            ("title", doc.title),
            ("tags", " ".join(doc.tags)),
            ("service_area", doc.service_area),
            ("organisation", doc.organisation),
        )
        for name, value in fields:
            if not value:
                continue
            words = [
                w
                for w in WORD.findall(normalise(value))
                if 1 < len(w) <= MAX_WORD and w not in STOP_WORDS
            ]
            self._surface.update(words)
            length += len(words)
            weight = FIELD_WEIGHTS[name]
            for term, n in Counter(map(stem, words)).items():
                counts[term] = counts.get(term, 0.0) + weight * n
        return counts, length

    def _register(self, doc: Document, length: int) -> int:
        key = (doc.kind, doc.id)
        old = self._docno.get(key)
        if old is not None:
            self._bury(old)
        docno = len(self._keys)
        self._keys.append(key)
        self._docno[key] = docno
        k = _KINDS.index(doc.kind)
        self._kind.extend([k])
        self._length.extend([length])
        self._alive.extend([True])
        self._count[k] += 1
        self._total_length[k] += length
        parent = -1
        if doc.kind == "weeknote" and doc.project_id is not None:
            self._children.setdefault(doc.project_id, []).append(docno)
            parent = self._docno.get(("project", doc.project_id), -1)
        self._parent.extend([parent])
        if doc.kind == "project":
            children = self._children.get(doc.id)
            if children:
                self._parent.view[np.asarray(children)] = docno
        if self._spelling is not None or self._corrected:
            self._spelling = None  # new words may be better corrections
            self._corrected.clear()
        return docno

    def _impact(self, tfs: Floats, docnos: Ints) -> Floats:
        avg = np.array(
            [t / c if c else 1.0 for t, c in zip(self._total_length, self._count, strict=True)],
            dtype=np.float32,
        )
        kinds = self._kind.view[docnos].astype(np.intp)
        lengths = self._length.view[docnos].astype(np.float32)
        norm = K1 * (1 - B + B * lengths / np.maximum(avg[kinds], 1.0))
        result: Floats = (tfs * (K1 + 1) / (tfs + norm)).astype(np.float32)
        return result

    def _grow_df(self) -> None:
        if len(self._df) < len(self._term_id):
            grown = np.zeros(max(len(self._term_id), 2 * len(self._df)), dtype=np.int32)
            grown[: len(self._df)] = self._df
            self._df = grown

    def _merge(self, tids: Ints, docnos: Ints, impacts: Floats) -> None:
        """Fold the main segment, the delta and new postings into a new main segment."""
        main_tids = np.repeat(
            np.arange(len(self._offsets) - 1, dtype=np.int32), np.diff(self._offsets)
        )
        delta_tids = [np.full(len(d), t, np.int32) for t, (d, _) in self._delta.items()]
        delta_docs = [np.asarray(d, np.int32) for d, _ in self._delta.values()]
        delta_imps = [np.asarray(v, np.float32) for _, v in self._delta.values()]
        all_tids = np.concatenate([main_tids, *delta_tids, tids])
        all_docs = np.concatenate([self._docs, *delta_docs, docnos])
        all_imps = np.concatenate([self._impacts, *delta_imps, impacts])
        keep = self._alive.view[all_docs]
        all_tids, all_docs, all_imps = all_tids[keep], all_docs[keep], all_imps[keep]
        order = np.argsort(all_tids, kind="stable")
        counts = np.bincount(all_tids, minlength=len(self._term_id))
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._docs = all_docs[order]
        self._impacts = all_imps[order]
        self._df = counts.astype(np.int32)
        self._delta = {}
        self._delta_size = 0

    # ------------------------------------------------------------------ spelling

    def corrections(self, word: str, stem_: str) -> tuple[tuple[str, float], ...]:
        """Closest indexed words to an unknown word (see ``query.Vocabulary``)."""
        if self._df_of(stem_) > 0 or not (word.isascii() and word.isalpha()) or len(word) < 5:
            return ()
        cached = self._corrected.get(word)
        if cached is not None:
            return cached
        found = self._closest(word)
        if len(self._corrected) > 50_000:
            self._corrected.clear()
        self._corrected[word] = found
        return found

    def _closest(self, word: str) -> tuple[tuple[str, float], ...]:
        if self._spelling is None:
            self._spelling = {}
            for surface in self._surface:
                if surface.isascii() and surface.isalpha() and self._df_of(stem(surface)) > 0:
                    self._spelling.setdefault(len(surface), []).append(surface)
        reach = 1 if len(word) <= 6 else 2
        choices = [
            candidate
            for length in range(len(word) - reach, len(word) + reach + 1)
            for candidate in self._spelling.get(length, ())
            if candidate[0] == word[0]  # typos rarely change the first letter
        ]
        # In a short word one substituted letter is another word ("assets", "assess"); allow
        # only a letter missed or doubled there.
        cutoff = 84 if len(word) <= 6 else 80
        found = process.extract(word, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8)
        if not found:
            return ()
        best = found[0][1]
        stems: dict[str, float] = {}
        near = [(c, s) for c, s, _ in found if s >= best - 3]
        near.sort(key=lambda pair: (-pair[1], -self._df_of(stem(pair[0]))))
        for candidate, score in near:
            stems.setdefault(stem(candidate), round(score / 100, 3))
        return tuple(stems.items())[:2]

    def _df_of(self, stem_: str) -> int:
        tid = self._term_id.get(stem_)
        return 0 if tid is None or tid >= len(self._df) else int(self._df[tid])

    # ------------------------------------------------------------------ searching

    def search(self, query: str, *, limit: int = 5) -> SearchResult:
        """The best ``limit`` hits for a question, weeknotes grouped under their project."""
        parsed = query_terms(query[:20_000], self._synonyms, vocabulary=self)
        concepts = self._rarest(parsed)
        terms = terms_of(concepts)
        if not concepts or not self._docno or limit <= 0:
            return SearchResult(query, terms, False, ())
        total, covered, attainable = self._score(concepts)
        hits = self._top(total, covered, attainable, limit)
        confident = bool(hits) and hits[0].score >= self.confidence_threshold
        return SearchResult(query, terms, confident, hits)

    def _rarest(self, parsed: ParsedQuery) -> tuple[Concept, ...]:
        if len(parsed.concepts) <= MAX_TERMS:
            return parsed.concepts

        def rarity(concept: Concept) -> tuple[bool, float]:
            dfs = [self._df_of(s) for s in concept.own.stems]
            return (any(dfs), sum(self._idf(df) for df in dfs))

        keep = set(sorted(parsed.concepts, key=rarity, reverse=True)[:MAX_TERMS])
        return tuple(c for c in parsed.concepts if c in keep)

    def _idf(self, df: int) -> float:
        n = len(self._docno)
        df = min(df, n)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _postings(self, stem_: str) -> tuple[Ints, Floats]:
        tid = self._term_id.get(stem_)
        if tid is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        docs: Ints
        imps: Floats
        if tid + 1 < len(self._offsets):
            lo, hi = int(self._offsets[tid]), int(self._offsets[tid + 1])
            docs, imps = self._docs[lo:hi], self._impacts[lo:hi]
        else:
            docs, imps = np.zeros(0, np.int32), np.zeros(0, np.float32)
        delta = self._delta.get(tid)
        if delta:
            docs = np.concatenate([docs, np.asarray(delta[0], np.int32)])
            imps = np.concatenate([imps, np.asarray(delta[1], np.float32)])
        return docs, imps

    def _score(self, concepts: tuple[Concept, ...]) -> tuple[Floats, Floats, float]:
        """Raw BM25 and coverage per document number, and the most any document could score.

        A concept earns the best of its alternatives, capped at what its own words could earn;
        when its own words are in no document (an abbreviation only the synonyms know), its
        alternatives stand in for them at full weight. Coverage is the share of the question's
        (idf-weighted) concepts a document mentions at all, however often.
        """
        n = len(self._keys)
        total = np.zeros(n, np.float32)
        covered = np.zeros(n, np.float32)
        scratch = [np.zeros(n, np.float32) for _ in range(4)]
        postings = self._query_postings(concepts)
        attainable = 0.0
        for concept in concepts:
            alternatives, cap = self._alternatives(concept)
            attainable += cap
            if len(alternatives) == 1 and len(alternatives[0].stems) == 1:
                # The common case: one word, nothing to take the best of (BM25 ≤ idf·(k1+1)).
                docs, values, coverage = self._single(alternatives[0], cap, postings)
                total[docs] += values
                covered[docs] += coverage
                continue
            touched = [
                self._alternative(
                    a,
                    cap,
                    scratch,
                    postings,
                    incomplete=PARTIAL_PHRASE if a is concept.own else 0.0,
                )
                for a in alternatives
            ]
            docs = np.concatenate(touched) if len(touched) > 1 else touched[0]
            best, cover = scratch[0], scratch[1]
            total[docs] += np.minimum(best[docs], cap)
            covered[docs] += cover[docs]
            best[docs] = 0
            cover[docs] = 0
        return total, covered, attainable

    def _alternatives(self, concept: Concept) -> tuple[tuple[Alternative, ...], float]:
        """The alternatives to search for a concept, and the most the concept can earn."""
        alternatives = concept.alternatives
        if len(alternatives) > 1 and not any(self._df_of(s) for s in concept.own.stems):
            promoted = tuple(
                Alternative(a.stems, 1.0)
                for a in alternatives[1:]
                if any(self._df_of(s) for s in a.stems)
            )
            if promoted:
                alternatives = promoted
                return alternatives, max(self._idf_sum(a.stems) for a in promoted) * (K1 + 1)
        cap = self._idf_sum(concept.own.stems) * (K1 + 1)
        if not any(self._df_of(s) for a in alternatives for s in a.stems):
            cap *= UNKNOWN_WEIGHT
        return alternatives, cap

    def _idf_sum(self, stems: tuple[str, ...]) -> float:
        return sum(self._idf(self._df_of(s)) for s in stems)

    def _query_postings(self, concepts: tuple[Concept, ...]) -> dict[str, tuple[Ints, Floats]]:
        """The postings of every stem in the question.

        A very common word ("council" in a register of council projects) is looked up only in
        documents that hold some rarer word of the question: its idf is too small to lift a
        document on its own, and its postings would cost most of the query's time.
        """
        stems = {s for c in concepts for a in c.alternatives for s in a.stems}
        found = {s: self._postings(s) for s in stems}
        floor = max(COMMON_SHARE * len(self._docno), COMMON_MIN_POSTINGS)
        common = {s for s in stems if self._df_of(s) > floor}
        rare = [found[s][0] for s in stems - common if len(found[s][0])]
        if not common or not rare:
            return found
        candidate = np.zeros(len(self._keys), dtype=np.bool_)
        for docs in rare:
            candidate[docs] = True
        for s in common:
            docs, impacts = found[s]
            keep = candidate[docs]
            found[s] = (docs[keep], impacts[keep])
        return found

    def _single(
        self, alternative: Alternative, cap: float, postings: dict[str, tuple[Ints, Floats]]
    ) -> tuple[Ints, Floats, Floats]:
        docs, impacts = postings[alternative.stems[0]]
        idf = self._idf(self._df_of(alternative.stems[0]))
        values: Floats = impacts * np.float32(alternative.weight * idf)
        coverage: Floats = np.minimum(impacts, np.float32(1)) * np.float32(cap * alternative.weight)
        return docs, values, coverage

    def _alternative(
        self,
        alternative: Alternative,
        cap: float,
        scratch: list[Floats],
        postings: dict[str, tuple[Ints, Floats]],
        *,
        incomplete: float,
    ) -> Ints:
        """Fold one alternative's postings into the concept's best score and coverage.

        A document holding only some words of a phrase earns ``incomplete`` of what it would:
        a synonym "penalty charge notice" must not match every document that says "notice",
        and "staff website" is not any website.
        """
        best, cover, partial, partial_cover = scratch
        idfs = [self._idf(self._df_of(s)) for s in alternative.stems]
        share = cap * alternative.weight / max(sum(idfs), 1e-9)
        parts = [postings[s] for s in alternative.stems]
        if len(parts) == 1:
            docs = parts[0][0]
            values = parts[0][1] * np.float32(alternative.weight * idfs[0])
            coverage: Floats = np.minimum(parts[0][1], np.float32(1)) * np.float32(share * idfs[0])
        else:
            for (d, impacts), idf in zip(parts, idfs, strict=True):
                partial[d] += impacts * np.float32(alternative.weight * idf)
                partial_cover[d] += np.minimum(impacts, np.float32(1)) * np.float32(share * idf)
            docs = np.concatenate([d for d, _ in parts])
            values, coverage = partial[docs], partial_cover[docs]
            partial[docs] = 0
            partial_cover[docs] = 0
            found = np.zeros(len(self._keys), np.int8)
            for d, _ in parts:
                found[d] += 1
            whole = found[docs] == len(parts)
            if incomplete:
                factor = np.where(whole, np.float32(1), np.float32(incomplete))
                values, coverage = values * factor, coverage * factor
            else:
                docs, values, coverage = docs[whole], values[whole], coverage[whole]
        best[docs] = np.maximum(best[docs], values)
        cover[docs] = np.maximum(cover[docs], coverage)
        return docs

    def _top(
        self, total: Floats, covered: Floats, attainable: float, limit: int
    ) -> tuple[Hit, ...]:
        """Group weeknotes under their projects and keep the best ``limit`` groups."""
        candidates = np.flatnonzero(total).astype(np.int32)
        alive = self._alive.view
        candidates = candidates[alive[candidates]]
        if not len(candidates) or attainable <= 0:
            return ()
        bm25 = np.minimum(total[candidates] / attainable, 1.0)
        coverage = np.minimum(covered[candidates] / attainable, 1.0)
        scores = (1 - COVERAGE_WEIGHT) * bm25 + COVERAGE_WEIGHT * coverage
        parents = self._parent.view[candidates]
        grouped = (parents >= 0) & alive[np.maximum(parents, 0)]
        group = np.where(grouped, parents, candidates)
        adjusted = np.where(grouped, scores * WEEKNOTE_DISCOUNT, scores)
        chosen = self._best_groups(adjusted, group, limit)
        is_chosen = np.zeros(len(self._keys), dtype=np.bool_)
        is_chosen[np.fromiter(chosen, np.int32, len(chosen))] = True
        members = np.flatnonzero(grouped & is_chosen[group])
        weeknotes: dict[int, list[str]] = {g: [] for g in chosen}
        for i in members[np.argsort(-adjusted[members], kind="stable")].tolist():
            found = weeknotes[int(group[i])]
            if len(found) < MAX_WEEKNOTES_PER_HIT:
                found.append(self._keys[int(candidates[i])][1])
        return tuple(
            Hit(self._keys[g][0], self._keys[g][1], round(score, 4), tuple(weeknotes[g]))
            for g, score in chosen.items()
        )

    @staticmethod
    def _best_groups(adjusted: Floats, group: Ints, limit: int) -> dict[int, float]:
        """The best ``limit`` groups with their scores, best first.

        Sorting every candidate costs milliseconds at 100k documents, so look at the best few
        hundred first and widen only if many of them share a group.
        """
        window = limit * 50
        while True:
            if window < len(adjusted):
                top = np.argpartition(-adjusted, window)[:window]
                order = top[np.argsort(-adjusted[top], kind="stable")]
            else:
                order = np.argsort(-adjusted, kind="stable")
            chosen: dict[int, float] = {}
            for i in order.tolist():
                g = int(group[i])
                if g not in chosen:
                    chosen[g] = float(adjusted[i])
                    if len(chosen) == limit:
                        return chosen
            if window >= len(adjusted):
                return chosen
            window *= 8
