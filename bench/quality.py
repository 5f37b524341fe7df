"""Search quality on the labelled dev questions: lexical, semantic and hybrid side by side.

    .venv/bin/python bench/quality.py [--corpus ../shared/corpus] [--model PATH|NAME]
        [--sweep] [--misses] [--features OUT.jsonl]

The register is the union corpus: the shipped demo data plus ``extra/`` (real MIT-licensed
weeknotes that answer some questions and distract from the rest). Questions come from
``dev-queries.jsonl`` and ``dev-queries-2.jsonl``; an empty ``rel`` means nobody can answer.

A fixed third of the questions is held out (``held_out``: by a hash of the question's text);
nothing is tuned on it, and ``--misses`` lists misses of the tuning split only. Figures are
printed per split and per set: recall@3, recall@5, MRR@10 over answerable questions,
confident-on-answerable, honest-on-unanswerable (not confident), and the same two for the
stricter passive bar ("sure").

Passage embeddings are cached under ``--cache`` by model id and passage digest, so a second run
only embeds the questions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.embedding import FastEmbedder  # noqa: E402
from knowledge.finder import document_of_record  # noqa: E402
from knowledge.search import Document, SearchIndex, SearchResult, embedding_texts  # noqa: E402
from knowledge.search.passages import digest  # noqa: E402

DEMO = ROOT / "knowledge" / "data" / "demo" / "demo.jsonl"
SETS = ("dev-queries.jsonl", "dev-queries-2.jsonl")
MODES = ("lexical", "semantic", "hybrid")


def held_out(question: str) -> bool:
    """The held-out third: decided by the text alone, so it never moves."""
    return hashlib.sha1(question.encode("utf-8")).digest()[0] % 3 == 0


@dataclass(frozen=True)
class Question:
    set: str
    q: str
    rel: tuple[str, ...]

    @property
    def split(self) -> str:
        return "held-out" if held_out(self.q) else "tuning"


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def union_records(corpus: Path) -> list[dict[str, Any]]:
    """The demo data plus extra/, each id once (the demo may already hold extra/)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for path in (DEMO, corpus / "extra" / "extra-corpus.jsonl"):
        for record in load_jsonl(path):
            seen.setdefault((record["type"], record["id"]), record)
    return list(seen.values())


def documents(records: Iterable[dict[str, Any]]) -> list[Document]:
    records = list(records)
    names = {r["id"]: r.get("name", r["id"]) for r in records if r["type"] == "organisation"}
    docs = [document_of_record(r, names) for r in records if r["type"] in ("project", "weeknote")]
    return [d for d in docs if d is not None]


def questions(corpus: Path) -> list[Question]:
    return [
        Question(name, q["q"], tuple(q["rel"])) for name in SETS for q in load_jsonl(corpus / name)
    ]


def embed_corpus(
    index: SearchIndex, docs: Sequence[Document], embedder: FastEmbedder, cache: Path
) -> float:
    """Attach every document's passage vectors, from the cache where it has them."""
    cache.mkdir(parents=True, exist_ok=True)
    file = cache / (hashlib.sha1(embedder.model_id.encode()).hexdigest()[:16] + ".npz")
    stored: dict[str, np.ndarray] = dict(np.load(file)) if file.exists() else {}
    texts = {d: embedding_texts(d) for d in docs}
    todo = [d for d in docs if digest(texts[d]) not in stored]
    started = time.perf_counter()
    flat = [t for d in todo for t in texts[d]]
    if flat:
        vectors = embedder.embed(flat)
        at = 0
        for d in todo:
            stored[digest(texts[d])] = vectors[at : at + len(texts[d])]
            at += len(texts[d])
        np.savez(file, allow_pickle=False, **stored)
    for d in docs:
        index.set_vectors(d.kind, d.id, stored[digest(texts[d])])
    return time.perf_counter() - started


def rank(result: SearchResult, rel: Sequence[str]) -> int | None:
    for position, hit in enumerate(result.hits, start=1):
        if hit.id in rel or set(hit.weeknote_ids) & set(rel):
            return position
    return None


def metrics(rows: list[tuple[Question, SearchResult]]) -> dict[str, float]:
    answerable = [(q, r) for q, r in rows if q.rel]
    none = [(q, r) for q, r in rows if not q.rel]
    ranks = [rank(r, q.rel) for q, r in answerable]

    def share(values: list[bool]) -> float:
        return sum(values) / len(values) if values else float("nan")

    return {
        "n": len(rows),
        "R@3": share([x is not None and x <= 3 for x in ranks]),
        "R@5": share([x is not None and x <= 5 for x in ranks]),
        "MRR@10": float(np.mean([1 / x if x else 0.0 for x in ranks])) if ranks else float("nan"),
        "conf": share([r.confident for _, r in answerable]),
        "honest": share([not r.confident for _, r in none]),
        "sure": share([r.sure for _, r in answerable]),
        "quiet": share([not r.sure for _, r in none]),
    }


def run(
    index: SearchIndex, qs: list[Question], vectors: dict[str, np.ndarray], mode: str
) -> list[tuple[Question, SearchResult]]:
    return [
        (q, index.search(q.q, limit=10, query_vector=vectors.get(q.q), mode=mode))  # type: ignore[arg-type]
        for q in qs
    ]


def table(results: dict[str, list[tuple[Question, SearchResult]]]) -> None:
    columns = ("R@3", "R@5", "MRR@10", "conf", "honest", "sure", "quiet")
    print(f"{'split':9} {'set':20} {'mode':9} {'n':>3} " + " ".join(f"{c:>7}" for c in columns))
    for split in ("tuning", "held-out", "all"):
        for name in (*SETS, "both"):
            for mode, rows in results.items():
                chosen = [
                    (q, r)
                    for q, r in rows
                    if (split == "all" or q.split == split) and (name == "both" or q.set == name)
                ]
                m = metrics(chosen)
                print(
                    f"{split:9} {name:20} {mode:9} {m['n']:>3} "
                    + " ".join(f"{m[c]:7.2f}" for c in columns)
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--model", default=None, help="a model folder or fastembed name")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "hasanyone-quality-cache"
    )
    parser.add_argument(
        "--sweep", action="store_true", help="hybrid at several lexical shares (tuning split)"
    )
    parser.add_argument("--misses", action="store_true", help="list the tuning split's misses")
    parser.add_argument("--features", type=Path, help="write each tuning question's evidence here")
    parser.add_argument(
        "--limit", type=int, default=0, help="only the first N questions (toy runs)"
    )
    parser.add_argument(
        "--max-docs", type=int, default=0, help="only their answers and N other documents (toy)"
    )
    parser.add_argument(
        "--project-above", type=int, default=None, help="passages above which vectors are projected"
    )
    args = parser.parse_args(argv)

    records = union_records(args.corpus)
    docs = documents(records)
    qs = questions(args.corpus)
    if args.limit:
        qs = qs[: args.limit]
    if args.max_docs:
        wanted = {r for q in qs for r in q.rel}
        docs = [d for d in docs if d.id in wanted] + [d for d in docs if d.id not in wanted][
            : args.max_docs
        ]
    index = SearchIndex()
    if args.project_above is not None:
        index.vectors.project_above = args.project_above
    index.add_many(docs)
    embedder = FastEmbedder(args.model, threads=None)
    spent = embed_corpus(index, docs, embedder, args.cache)
    started = time.perf_counter()
    qvec = dict(zip([q.q for q in qs], embedder.embed([q.q for q in qs]), strict=True))
    per_question = (time.perf_counter() - started) / max(len(qs), 1) * 1000
    print(
        f"register: {len(docs)} documents, {index.passage_count} passages; model {embedder.model_id}; "
        f"corpus embedded in {spent:.1f} s; {per_question:.1f} ms a question embedding"
    )
    split_sizes = {s: sum(q.split == s for q in qs) for s in ("tuning", "held-out")}
    print(
        f"questions: {len(qs)} ({split_sizes['tuning']} tuning, {split_sizes['held-out']} held out)"
    )
    results = {mode: run(index, qs, qvec, mode) for mode in MODES}
    table(results)
    tuning = [q for q in qs if q.split == "tuning"]
    if args.sweep:
        print("\nhybrid on the tuning split by lexical share:")
        for share in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
            index.lexical_share = share
            m = metrics(run(index, tuning, qvec, "hybrid"))
            print(f"  {share:.1f}: R@3 {m['R@3']:.2f} R@5 {m['R@5']:.2f} MRR@10 {m['MRR@10']:.2f}")
        index.lexical_share = SearchIndex().lexical_share
    if args.misses:
        for q, r in run(index, tuning, qvec, "hybrid"):
            found = rank(r, q.rel)
            wrong = (q.rel and (found is None or found > 3 or not r.confident)) or (
                not q.rel and r.confident
            )
            if wrong:
                top = [(h.id, round(h.score, 2)) for h in r.hits[:3]]
                print(
                    f"MISS [{q.set}] {q.q!r} rel={list(q.rel)[:3]} rank={found} p={r.probability:.2f} {r.evidence} top={top}"
                )
    if args.features:
        with args.features.open("w") as out:
            for mode in ("hybrid", "lexical"):
                for q, r in run(index, tuning, qvec, mode):
                    found = rank(r, q.rel)
                    out.write(
                        json.dumps(
                            {
                                "mode": mode,
                                "answerable": bool(q.rel),
                                "top_correct": bool(q.rel) and found == 1,
                                "cosine": r.evidence.cosine if r.evidence else None,
                                "coverage": r.evidence.coverage if r.evidence else 0.0,
                                "lexical": r.evidence.lexical if r.evidence else 0.0,
                            }
                        )
                        + "\n"
                    )
        print(f"wrote {args.features}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
