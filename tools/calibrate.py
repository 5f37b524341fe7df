"""Fit knowledge/search/calibration.json on the tuning split of the dev questions.

    .venv/bin/python tools/calibrate.py [--corpus ../shared/corpus] [--model PATH] [--dry-run]

For every tuning question (bench/quality.py's split; the held-out third is never read here) the
evidence of the best hit is taken in two modes — hybrid (cosine of the best passage, coverage
of the question's concepts) and lexical (lexical score, coverage) — and a logistic model per
mode is fitted to "someone can answer this". Classes are weighted to count alike, so the
probability does not lean on the tuning split's share of unanswerable questions, and a small
ridge keeps two features on ~60 questions from being fitted to the last question.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.quality import documents, embed_corpus, questions, union_records  # noqa: E402
from knowledge.embedding import FastEmbedder  # noqa: E402
from knowledge.search import SearchIndex  # noqa: E402
from knowledge.search.calibration import (  # noqa: E402
    Calibration,
    Evidence,
    Logistic,
    lexical_features,
    semantic_features,
)

OUT = ROOT / "knowledge" / "search" / "calibration.json"
RIDGE = 0.05


def fit(features: list[dict[str, float]], labels: list[bool]) -> Logistic:
    """Class-weighted, ridge-penalised logistic regression by Newton's method."""
    names = list(features[0])
    x = np.array([[f[n] for n in names] for f in features], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.c_[np.ones(len(x)), (x - mean) / scale]
    weight = np.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    beta = np.zeros(z.shape[1])
    penalty = np.diag([0.0] + [RIDGE * len(x)] * len(names))
    for _ in range(100):
        p = 1 / (1 + np.exp(-z @ beta))
        gradient = z.T @ (weight * (p - y)) + penalty @ beta
        hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    weights = beta[1:] / scale
    bias = beta[0] - float(weights @ mean)
    return Logistic(
        {n: round(float(w), 4) for n, w in zip(names, weights, strict=True)}, round(float(bias), 4)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--model", default=None)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "hasanyone-quality-cache"
    )
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    docs = documents(union_records(args.corpus))
    tuning = [q for q in questions(args.corpus) if q.split == "tuning"]
    index = SearchIndex()
    index.add_many(docs)
    embedder = FastEmbedder(args.model, threads=None)
    embed_corpus(index, docs, embedder, args.cache)
    vectors = embedder.embed([q.q for q in tuning])
    semantic, lexical, labels = [], [], []
    for q, vector in zip(tuning, vectors, strict=True):
        hybrid = index.search(q.q, query_vector=vector, mode="hybrid").evidence
        plain = index.search(q.q, mode="lexical").evidence
        nothing = Evidence(cosine=0.0, coverage=0.0, lexical=0.0)
        semantic.append(semantic_features(hybrid or nothing))
        lexical.append(lexical_features(plain or nothing))
        labels.append(bool(q.rel))
    calibration = Calibration(
        semantic=fit(semantic, labels),
        lexical=fit(lexical, labels),
        about={
            "fitted_on": "tuning split of dev-queries.jsonl + dev-queries-2.jsonl",
            "questions": len(tuning),
            "unanswerable": labels.count(False),
            "model": embedder.model_id,
            "ridge": RIDGE,
        },
    )
    text = json.dumps(calibration.to_json(), indent=2) + "\n"
    print(text)
    if not args.dry_run:
        OUT.write_text(text)
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
