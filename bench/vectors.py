"""Exact passage-vector search against an approximate index, by the number of passages.

    .venv/bin/python bench/vectors.py [--sizes 50000,150000,300000,600000,1200000]

One question's exact search is what search does now (VectorStore.similarities: one
matrix-vector product over every passage and the best passage per document); the approximate
one is usearch's HNSW (float32, cosine, default connectivity), if usearch is installed (it is
not a dependency: `pip install usearch` into the venv to compare). One thread each, random
unit vectors of 384 dimensions, 200 questions; p50/p99 in milliseconds, and the memory of the
vectors. The crossover is where exact search stops fitting the answer's budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, before numpy loads
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from knowledge.search.vectors import VectorStore  # noqa: E402

DIM = 384


def percentiles(times: list[float]) -> tuple[float, float]:
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,150000,300000,600000,1200000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    try:
        from usearch.index import Index  # type: ignore[import-not-found]
    except ImportError:
        Index = None  # noqa: N806
    print(
        f"{'passages':>10} {'MB':>6} {'exact p50':>10} {'exact p99':>10} {'hnsw build s':>13} {'hnsw p50':>9} {'hnsw p99':>9}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = rng.standard_normal((size, DIM), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store = VectorStore()
        for doc, start in enumerate(range(0, size, 3)):  # three passages a document
            store.put(doc, vectors[start : start + 3])
        questions = rng.standard_normal((args.queries, DIM), dtype=np.float32)
        questions /= np.linalg.norm(questions, axis=1, keepdims=True)
        exact = []
        for q in questions:
            t = time.perf_counter()
            sims = store.similarities(q)
            assert sims is not None
            sims.best_documents(200, np.ones(size, np.bool_))
            exact.append((time.perf_counter() - t) * 1000)
        line = f"{size:>10,} {vectors.nbytes / 2**20:>6.0f} " + " ".join(
            f"{x:>10.2f}" for x in percentiles(exact)
        )
        if Index is not None:
            index = Index(ndim=DIM, metric="cos", dtype="f32")
            t = time.perf_counter()
            index.add(np.arange(size), vectors, threads=1)
            built = time.perf_counter() - t
            approx = []
            for q in questions:
                t = time.perf_counter()
                index.search(q, 200, threads=1)
                approx.append((time.perf_counter() - t) * 1000)
            line += f" {built:>13.1f} " + " ".join(f"{x:>9.2f}" for x in percentiles(approx))
        print(line, flush=True)


if __name__ == "__main__":
    main()
