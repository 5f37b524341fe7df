"""An in-memory BM25 inverted index over the passages of projects and weeknotes, fused with
passage embeddings when they are there.

Why this shape (DESIGN.md §3, "What we measured"): scoring whole documents with rapidfuzz was
slow and weak; BM25 over an inverted index, with rapidfuzz only on the term dictionary for typos
and synonym expansion, was both fast and accurate. A query touches only the postings of its own
terms, never every document. Issue 11 then showed that whole documents reward length (a long
multi-topic weeknote mentions everything once) and that practitioners use other words than the
writers; so the unit indexed is a *passage* (``passages.py``), a document scores by its best
passage plus a little for further matching ones, and a sentence embedding of each passage
(``vectors.py``) is fused with BM25.

Layout
- Documents by number (``_keys``, ``_alive``, ``_parent``), each owning a run of *units*: its
  passages, numbered in order. The fields a document has once (title, tags, service area,
  organisation, suppliers, partners) are counted in each of its units, so any passage of a
  project matches its title.
- A *main segment*: postings over unit numbers in CSR form (``_offsets`` per term id into
  ``_docs``/``_impacts``, numpy arrays), built in bulk by ``add_many`` and rebuilt when the delta
  grows; a *delta*: small Python lists per term for documents added one at a time by ``add``.
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
from typing import Final, Literal, cast

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from knowledge.search.calibration import Calibration, Evidence, load_calibration
from knowledge.search.passages import digest, passages
from knowledge.search.query import Alternative, Concept, ParsedQuery, query_terms, terms_of
from knowledge.search.synonyms import Synonyms, load_synonyms
from knowledge.search.text import MAX_WORD, STOP_WORDS, WORD, normalise, stem
from knowledge.search.vectors import Similarities as _Similarities
from knowledge.search.vectors import VectorStore

Kind = Literal["project", "weeknote"]
Mode = Literal["auto", "lexical", "semantic", "hybrid"]
_KINDS: Final[tuple[Kind, Kind]] = ("project", "weeknote")

K1: Final = 1.2
B: Final = 0.6
FIELD_WEIGHTS: Final = {
    "title": 3.0,
    "tags": 2.0,
    "service_area": 1.5,
    "text": 1.0,
    "suppliers": 1.5,
    "partners": 0.5,
    "organisation": 0.5,
}
WEEKNOTE_DISCOUNT: Final = 0.9  # a project found through its weeknote ranks a little lower
COVERAGE_WEIGHT: Final = 0.4  # of a passage's lexical score; the rest is BM25 over its attainable
PASSAGE_BONUS: Final = 0.1  # of a document's second-best passage, added to its best
# Hybrid score = LEXICAL_SHARE x lexical (relative to the question's best) + the rest x cosine.
# Chosen on the tuning split of the dev sets (bench/quality.py --sweep); issue 11 measured
# about 0.2 on other questions.
LEXICAL_SHARE: Final = 0.2
SEMANTIC_CANDIDATES: Final = 200  # passages taken from the vector side before fusing
LEXICAL_CANDIDATES: Final = 200  # documents taken from the lexical side before fusing
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
    suppliers: tuple[str, ...] = ()  # suppliers and systems used ("has anyone used Granicus?")
    partners: tuple[str, ...] = ()  # partner organisations
    outcomes: str = ""  # what the project achieved: searched as part of its text


def passages_of(doc: Document) -> tuple[str, ...]:
    """A document's passages: its text (with outcomes) split, or one empty passage so that a
    document with a title alone is still found by it."""
    text = f"{doc.text}\n\n{doc.outcomes}" if doc.outcomes else doc.text
    return passages(text) or ("",)


def embedding_texts(doc: Document, parts: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """What is embedded for each passage: the title leads, as a reader would see it."""
    title = doc.title.strip()
    parts = passages_of(doc) if parts is None else parts
    return tuple(f"{title}. {p}".strip(". ") if title else p for p in parts)


@dataclass(frozen=True, slots=True)
class Hit:
    kind: Kind
    id: str
    score: float  # 0..1, comparable across questions of one mode
    weeknote_ids: tuple[str, ...] = ()  # on a project hit: its weeknotes that matched, best first
    passage: int = 0  # the best passage of the document that earned the score
    via: str | None = None  # on a project hit: the weeknote that earned the score, if one did


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]  # stems searched after stripping, correction and expansion
    confident: bool  # worth answering when asked
    hits: tuple[Hit, ...]
    sure: bool = False  # worth answering unprompted (a stricter bar than ``confident``)
    probability: float = 0.0  # calibrated chance that the best hit answers the question
    evidence: Evidence | None = None  # what the probability was computed from
    mode: Literal["lexical", "semantic", "hybrid"] = "lexical"


@dataclass(frozen=True, slots=True)
class _Candidates:
    """Per candidate document: its lexical and semantic evidence and the fused score."""

    docnos: Ints
    lexical: Floats  # best passage's lexical score, 0..1 over what the question could earn
    coverage: Floats  # best passage's share of the question's concepts, 0..1
    cosine: Floats  # best passage's cosine similarity; NaN when not embedded
    score: Floats


class _Column:
    """A growable numpy column indexed by document or unit number."""

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
        calibration: Calibration | None = None,
        lexical_share: float = LEXICAL_SHARE,
    ) -> None:
        self._synonyms = synonyms if synonyms is not None else load_synonyms()
        self.calibration = calibration if calibration is not None else load_calibration()
        self.lexical_share = lexical_share
        self.vectors = VectorStore()
        # documents, by document number (never reused)
        self._keys: list[tuple[Kind, str]] = []
        self._docno: dict[tuple[Kind, str], int] = {}
        self._kind = _Column(np.uint8)
        self._alive = _Column(np.bool_)
        self._parent = _Column(np.int32)  # a weeknote's project docno, or -1
        self._first = _Column(np.int32)  # the document's first unit
        self._units_of = _Column(np.int32)  # how many units it has
        self._children: dict[str, list[int]] = {}  # project id -> weeknote docnos
        self._digest: list[str] = []  # of the passages' embedding texts, by docno
        # units (passages), by unit number
        self._unit_doc = _Column(np.int32)
        self._length = _Column(np.int32)
        self._total_length = [0, 0]  # per kind, live units
        self._count = [0, 0]  # live units per kind
        # vocabulary
        self._term_id: dict[str, int] = {}
        self._df = np.zeros(0, dtype=np.int32)
        self._surface: set[str] = set()
        self._spelling: dict[int, list[str]] | None = None  # surface words by length
        self._corrected: dict[str, tuple[tuple[str, float], ...]] = {}
        # postings over units
        self._offsets = np.zeros(1, dtype=np.int64)
        self._docs = np.zeros(0, dtype=np.int32)
        self._impacts = np.zeros(0, dtype=np.float32)
        self._delta: dict[int, tuple[list[int], list[float]]] = {}
        self._delta_size = 0

    # ------------------------------------------------------------------ adding and removing

    def __len__(self) -> int:
        return len(self._docno)

    @property
    def passage_count(self) -> int:
        return sum(self._count)

    def documents(self) -> list[tuple[Kind, str]]:
        """Every document indexed, as (kind, id)."""
        return list(self._docno)

    def docno(self, kind: Kind, id: str) -> int | None:
        return self._docno.get((kind, id))

    def add_many(self, docs: Iterable[Document]) -> None:
        """Index many documents at once (the fast path); same (kind, id) replaces."""
        term_ids = array("i")
        tfs = array("f")
        per_unit = array("i")
        first = self._unit_doc.size
        for doc in docs:
            parts = passages_of(doc)
            units = self._analyse(doc, parts)
            self._register(doc, [length for _, length in units], parts)
            for counts, _ in units:
                per_unit.append(len(counts))
                term_ids.extend([self._term_id.setdefault(s, len(self._term_id)) for s in counts])
                tfs.extend(counts.values())
        unitnos = np.repeat(
            np.arange(first, self._unit_doc.size, dtype=np.int32),
            np.frombuffer(per_unit, np.int32),
        )
        tids = np.frombuffer(term_ids, dtype=np.int32)
        impacts = self._impact(np.frombuffer(tfs, dtype=np.float32), unitnos)
        self._merge(tids, unitnos, impacts)

    def add(self, doc: Document) -> int:
        """Index one document, replacing any with the same (kind, id); returns its number."""
        parts = passages_of(doc)
        units = self._analyse(doc, parts)
        docno = self._register(doc, [length for _, length in units], parts)
        first = int(self._first.view[docno])
        for offset, (counts, _) in enumerate(units):
            tids = np.array(
                [self._term_id.setdefault(s, len(self._term_id)) for s in counts], np.int32
            )
            self._grow_df()
            unitnos = np.full(len(tids), first + offset, dtype=np.int32)
            impacts = self._impact(np.array(list(counts.values()), np.float32), unitnos)
            for tid, impact in zip(tids.tolist(), impacts.tolist(), strict=True):
                found, values = self._delta.setdefault(tid, ([], []))
                found.append(first + offset)
                values.append(impact)
            self._df[tids] += 1
            self._delta_size += len(tids)
        if self._delta_size > max(20_000, len(self._docs) // 10):
            self._merge(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
        return docno

    def remove(self, kind: Kind, id: str) -> None:
        """Forget a document; nothing happens if it is not indexed."""
        docno = self._docno.pop((kind, id), None)
        if docno is not None:
            self._bury(docno)

    def digest_of(self, kind: Kind, id: str) -> str | None:
        """The fingerprint of a document's passages as indexed (see ``passages.digest``)."""
        docno = self._docno.get((kind, id))
        return None if docno is None else self._digest[docno]

    def has_vectors(self, kind: Kind, id: str) -> bool:
        docno = self._docno.get((kind, id))
        return docno is not None and self.vectors.has(docno)

    def set_vectors(
        self, kind: Kind, id: str, vectors: npt.NDArray[np.float32], digest: str | None = None
    ) -> bool:
        """Attach a document's passage embeddings (one row per passage, unit length). False,
        and nothing stored, when the document is not indexed or the embeddings are of another
        text (another digest, or another number of passages)."""
        docno = self._docno.get((kind, id))
        if docno is None or len(vectors) != int(self._units_of.view[docno]):
            return False
        if digest is not None and digest != self._digest[docno]:
            return False
        self.vectors.put(docno, vectors)
        return True

    def _bury(self, docno: int) -> None:
        alive = self._alive.view
        if alive[docno]:
            alive[docno] = False
            k = int(self._kind.view[docno])
            first, n = int(self._first.view[docno]), int(self._units_of.view[docno])
            self._count[k] -= n
            self._total_length[k] -= int(self._length.view[first : first + n].sum())
            self.vectors.drop(docno)

    def _analyse(self, doc: Document, parts: tuple[str, ...]) -> list[tuple[dict[str, float], int]]:
        """Per passage: weighted term frequencies over the fields, and the length in words."""
        shared: dict[str, float] = {}
        shared_length = 0
        fields = (
            ("title", doc.title),
            ("tags", " ".join(doc.tags)),
            ("service_area", doc.service_area),
            ("suppliers", " ".join(doc.suppliers)),
            ("partners", " ".join(doc.partners)),
            ("organisation", doc.organisation),
        )
        for name, value in fields:
            shared_length += self._count_words(value, FIELD_WEIGHTS[name], shared)
        units = []
        for passage in parts:
            counts = dict(shared)
            length = shared_length + self._count_words(passage, FIELD_WEIGHTS["text"], counts)
            units.append((counts, length))
        return units

    def _count_words(self, value: str, weight: float, counts: dict[str, float]) -> int:
        if not value:
            return 0
        words = [
            w
            for w in WORD.findall(normalise(value))
            if 1 < len(w) <= MAX_WORD and w not in STOP_WORDS
        ]
        self._surface.update(words)
        for term, n in Counter(map(stem, words)).items():
            counts[term] = counts.get(term, 0.0) + weight * n
        return len(words)

    def _register(self, doc: Document, lengths: list[int], parts: tuple[str, ...]) -> int:
        key = (doc.kind, doc.id)
        old = self._docno.get(key)
        if old is not None:
            self._bury(old)
        docno = len(self._keys)
        self._keys.append(key)
        self._docno[key] = docno
        self._digest.append(digest(embedding_texts(doc, parts)))
        k = _KINDS.index(doc.kind)
        self._kind.extend([k])
        self._alive.extend([True])
        self._first.extend([self._unit_doc.size])
        self._units_of.extend([len(lengths)])
        self._unit_doc.extend(np.full(len(lengths), docno, np.int32))
        self._length.extend(lengths)
        self._count[k] += len(lengths)
        self._total_length[k] += sum(lengths)
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

    def _impact(self, tfs: Floats, unitnos: Ints) -> Floats:
        avg = np.array(
            [t / c if c else 1.0 for t, c in zip(self._total_length, self._count, strict=True)],
            dtype=np.float32,
        )
        kinds = self._kind.view[self._unit_doc.view[unitnos]].astype(np.intp)
        lengths = self._length.view[unitnos].astype(np.float32)
        norm = K1 * (1 - B + B * lengths / np.maximum(avg[kinds], 1.0))
        result: Floats = (tfs * (K1 + 1) / (tfs + norm)).astype(np.float32)
        return result

    def _grow_df(self) -> None:
        if len(self._df) < len(self._term_id):
            grown = np.zeros(max(len(self._term_id), 2 * len(self._df)), dtype=np.int32)
            grown[: len(self._df)] = self._df
            self._df = grown

    def _merge(self, tids: Ints, unitnos: Ints, impacts: Floats) -> None:
        """Fold the main segment, the delta and new postings into a new main segment."""
        main_tids = np.repeat(
            np.arange(len(self._offsets) - 1, dtype=np.int32), np.diff(self._offsets)
        )
        delta_tids = [np.full(len(d), t, np.int32) for t, (d, _) in self._delta.items()]
        delta_docs = [np.asarray(d, np.int32) for d, _ in self._delta.values()]
        delta_imps = [np.asarray(v, np.float32) for _, v in self._delta.values()]
        all_tids = np.concatenate([main_tids, *delta_tids, tids])
        all_units = np.concatenate([self._docs, *delta_docs, unitnos])
        all_imps = np.concatenate([self._impacts, *delta_imps, impacts])
        keep = self._alive.view[self._unit_doc.view[all_units]]
        all_tids, all_units, all_imps = all_tids[keep], all_units[keep], all_imps[keep]
        order = np.argsort(all_tids, kind="stable")
        counts = np.bincount(all_tids, minlength=len(self._term_id))
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._docs = all_units[order]
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

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        query_vector: Floats | None = None,
        mode: Mode = "auto",
    ) -> SearchResult:
        """The best ``limit`` hits for a question, weeknotes grouped under their project.

        ``query_vector`` is the question's embedding (by the model that embedded the stored
        passages). ``mode`` "auto" fuses both halves when there is a vector and something
        embedded, and is lexical otherwise; the others are for measuring one half alone.
        """
        parsed = query_terms(query[:20_000], self._synonyms, vocabulary=self)
        concepts = self._rarest(parsed)
        terms = terms_of(concepts)
        used = self._mode(mode, query_vector)
        if not concepts or not self._docno or limit <= 0:
            return SearchResult(query, terms, False, (), mode=used)
        total, covered, attainable = self._score(concepts)
        sims = self.vectors.similarities(query_vector) if used != "lexical" else None
        lexical = _UnitScores.of(self, total, covered, attainable)
        candidates = self._candidates(lexical, sims, used)
        hits, rep = self._top(candidates, limit)
        if not hits:
            return SearchResult(query, terms, False, (), mode=used)
        hits = tuple(
            self._with_passage(hit, doc, lexical, sims, used)
            for hit, doc in zip(hits, rep, strict=True)
        )
        best = int(np.flatnonzero(candidates.docnos == rep[0])[0])
        cosine = float(candidates.cosine[best])
        evidence = Evidence(
            cosine=None if math.isnan(cosine) or used == "lexical" else cosine,
            coverage=float(candidates.coverage[best]),
            lexical=float(candidates.lexical[best]),
        )
        judged = self.calibration.judge(evidence)
        return SearchResult(
            query,
            terms,
            judged.confident,
            hits,
            sure=judged.sure,
            probability=judged.probability,
            evidence=evidence,
            mode=used,
        )

    def _mode(self, mode: Mode, vector: Floats | None) -> Literal["lexical", "semantic", "hybrid"]:
        if vector is None or not len(self.vectors):
            return "lexical"
        return "hybrid" if mode == "auto" else mode

    def _rarest(self, parsed: ParsedQuery) -> tuple[Concept, ...]:
        if len(parsed.concepts) <= MAX_TERMS:
            return parsed.concepts

        def rarity(concept: Concept) -> tuple[bool, float]:
            dfs = [self._df_of(s) for s in concept.own.stems]
            return (any(dfs), sum(self._idf(df) for df in dfs))

        keep = set(sorted(parsed.concepts, key=rarity, reverse=True)[:MAX_TERMS])
        return tuple(c for c in parsed.concepts if c in keep)

    def _idf(self, df: int) -> float:
        n = self.passage_count
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
        n = self._unit_doc.size
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
        floor = max(COMMON_SHARE * self.passage_count, COMMON_MIN_POSTINGS)
        common = {s for s in stems if self._df_of(s) > floor}
        rare = [found[s][0] for s in stems - common if len(found[s][0])]
        if not common or not rare:
            return found
        candidate = np.zeros(self._unit_doc.size, dtype=np.bool_)
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
            found = np.zeros(self._unit_doc.size, np.int8)
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

    def _candidates(
        self,
        lexical: _UnitScores,
        sims: _Similarities | None,
        mode: Literal["lexical", "semantic", "hybrid"],
    ) -> _Candidates:
        """The documents worth ranking, with both halves' evidence and the fused score."""
        docs, lex, cov = lexical.docs, lexical.best, lexical.coverage
        keep = _top_indices(lex, LEXICAL_CANDIDATES) if mode != "lexical" else slice(None)
        docs, lex, cov = docs[keep], lex[keep], cov[keep]
        if sims is None:
            cosine = np.full(len(docs), np.nan, np.float32)
            return _Candidates(docs, lex, cov, cosine, lex)
        alive = cast("npt.NDArray[np.bool_]", self._alive.view)
        semantic_docs = sims.best_documents(SEMANTIC_CANDIDATES, alive)
        extra = np.setdiff1d(semantic_docs, docs, assume_unique=False)
        docs = np.concatenate([docs, extra]).astype(np.int32)
        lex = np.concatenate([lex, np.zeros(len(extra), np.float32)])
        lookup = lexical.lookup(extra)
        lex[len(lex) - len(extra) :] = lookup[0]
        cov = np.concatenate([cov, lookup[1]])
        cosine = sims.of_documents(docs)
        if mode == "semantic":
            score = np.where(np.isnan(cosine), np.float32(-1), cosine).astype(np.float32)
        else:
            top = float(lex.max()) if len(lex) else 0.0
            relative = lex / top if top > 0 else lex
            fused = self.lexical_share * relative + (1 - self.lexical_share) * cosine
            # Not embedded yet: the document keeps its lexical score, so it is still found.
            score = np.where(np.isnan(cosine), lex, fused).astype(np.float32)
        return _Candidates(docs, lex, cov, cosine, score)

    def _top(self, candidates: _Candidates, limit: int) -> tuple[tuple[Hit, ...], list[int]]:
        """Group weeknotes under their projects and keep the best ``limit`` groups; with each
        hit, the document (a project or one of its weeknotes) that earned its score."""
        alive = cast("npt.NDArray[np.bool_]", self._alive.view)
        docs = candidates.docnos
        usable = (candidates.score > 0) & alive[docs]
        docs, scores = docs[usable], candidates.score[usable]
        if not len(docs):
            return (), []
        parents = cast(Ints, self._parent.view)[docs]
        grouped = (parents >= 0) & alive[np.maximum(parents, 0)]
        group = np.where(grouped, parents, docs)
        adjusted = np.where(grouped, scores * WEEKNOTE_DISCOUNT, scores)
        chosen = self._best_groups(adjusted, group, limit)
        is_chosen = np.zeros(len(self._keys), dtype=np.bool_)
        is_chosen[np.fromiter(chosen, np.int32, len(chosen))] = True
        members = np.flatnonzero(grouped & is_chosen[group])
        weeknotes: dict[int, list[str]] = {g: [] for g in chosen}
        for i in members[np.argsort(-adjusted[members], kind="stable")].tolist():
            found = weeknotes[int(group[i])]
            if len(found) < MAX_WEEKNOTES_PER_HIT:
                found.append(self._keys[int(docs[i])][1])
        hits, rep = [], []
        for g, (score, i) in chosen.items():
            doc = int(docs[i])
            via = self._keys[doc][1] if doc != g else None
            hits.append(
                Hit(
                    self._keys[g][0],
                    self._keys[g][1],
                    round(score, 4),
                    tuple(weeknotes[g]),
                    via=via,
                )
            )
            rep.append(doc)
        return tuple(hits), rep

    @staticmethod
    def _best_groups(adjusted: Floats, group: Ints, limit: int) -> dict[int, tuple[float, int]]:
        """The best ``limit`` groups with their scores and best member, best first.

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
            chosen: dict[int, tuple[float, int]] = {}
            for i in order.tolist():
                g = int(group[i])
                if g not in chosen:
                    chosen[g] = (float(adjusted[i]), i)
                    if len(chosen) == limit:
                        return chosen
            if window >= len(adjusted):
                return chosen
            window *= 8

    def _with_passage(
        self,
        hit: Hit,
        doc: int,
        lexical: _UnitScores,
        sims: _Similarities | None,
        mode: Literal["lexical", "semantic", "hybrid"],
    ) -> Hit:
        """The hit with the passage of ``doc`` that best answers: the snippet comes from it."""
        first, n = int(self._first.view[doc]), int(self._units_of.view[doc])
        lex = lexical.unit_values(first, n)
        cos = sims.of_passages(doc) if sims is not None else None
        if cos is None or len(cos) != n or mode == "lexical":
            value = lex
        elif mode == "semantic":
            value = cos
        else:
            top = float(lex.max())
            value = (
                self.lexical_share * (lex / top if top > 0 else lex)
                + (1 - self.lexical_share) * cos
            )
        return Hit(
            hit.kind,
            hit.id,
            hit.score,
            hit.weeknote_ids,
            passage=int(np.argmax(value)),
            via=hit.via,
        )


def _top_indices(values: Floats, k: int) -> npt.NDArray[np.intp]:
    if len(values) <= k:
        return np.arange(len(values))
    return np.argpartition(-values, k)[:k]


@dataclass(frozen=True, slots=True)
class _UnitScores:
    """The lexical half of one question: per matching unit, then per document."""

    units: Ints  # matching units, in unit order (so grouped by document)
    values: Floats  # their lexical scores, 0..1
    docs: Ints  # documents with a matching unit, ascending
    best: Floats  # per document: best passage plus PASSAGE_BONUS x the rest (at most as much)
    coverage: Floats  # per document: the best passage's share of the question's concepts

    @classmethod
    def of(
        cls, index: SearchIndex, total: Floats, covered: Floats, attainable: float
    ) -> _UnitScores:
        units = np.flatnonzero(total).astype(np.int32)
        owners = index._unit_doc.view[units]
        alive = index._alive.view[owners]
        units, owners = units[alive], owners[alive]
        if not len(units) or attainable <= 0:
            empty = np.zeros(0, np.float32)
            return cls(units, empty, np.zeros(0, np.int32), empty, empty)
        bm25 = np.minimum(total[units] / attainable, 1.0)
        coverage = np.minimum(covered[units] / attainable, 1.0)
        values = ((1 - COVERAGE_WEIGHT) * bm25 + COVERAGE_WEIGHT * coverage).astype(np.float32)
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        top = np.maximum.reduceat(values, starts)
        rest = np.add.reduceat(values, starts) - top
        best = (top + PASSAGE_BONUS * np.minimum(rest, top)).astype(np.float32)
        cover = np.maximum.reduceat(coverage, starts).astype(np.float32)
        return cls(units, values, owners[starts].astype(np.int32), best, cover)

    def lookup(self, docs: Ints) -> tuple[Floats, Floats]:
        """``best`` and ``coverage`` of these documents (0 where nothing matched)."""
        at = np.searchsorted(self.docs, docs)
        at = np.minimum(at, max(len(self.docs) - 1, 0))
        found = (self.docs[at] == docs) if len(self.docs) else np.zeros(len(docs), np.bool_)
        best = np.where(found, self.best[at] if len(self.docs) else 0, 0).astype(np.float32)
        cover = np.where(found, self.coverage[at] if len(self.docs) else 0, 0).astype(np.float32)
        return best, cover

    def unit_values(self, first: int, n: int) -> Floats:
        lo, hi = np.searchsorted(self.units, [first, first + n])
        out = np.zeros(n, np.float32)
        out[self.units[lo:hi] - first] = self.values[lo:hi]
        return out
