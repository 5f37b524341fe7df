"""Exact passage-vector search against an approximate index, by the number of passages.

    .venv/bin/python bench/vectors.py [--sizes 50000,150000,300000,600000,1200000]

Three ways to find a question's 200 best documents: exact (one matrix-vector product over
every passage, VectorStore below its PROJECT_ABOVE size), projected (VectorStore above it: a
64-d principal projection scanned, 1,000 passages reranked exactly) and usearch's HNSW index
(f16, cosine), if usearch is installed (it is not a dependency: `pip install usearch` into the
venv to compare; HNSW is built only up to --hnsw-max passages, it is slow to build). One
thread each, random unit vectors of 384 dimensions (three passages a document), 200
questions; p50/p99 in milliseconds.
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
    parser.add_argument("--hnsw-max", type=int, default=110_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    try:
        from usearch.index import Index  # type: ignore[import-not-found]
    except ImportError:
        Index = None  # noqa: N806
    print(
        f"{'passages':>10} {'MB':>6} {'exact p50':>9} {'exact p99':>9} {'proj p50':>9} "
        f"{'proj p99':>9} {'hnsw build s':>13} {'hnsw p50':>9} {'hnsw p99':>9}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = rng.standard_normal((size, DIM), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        questions = rng.standard_normal((args.queries, DIM), dtype=np.float32)
        questions /= np.linalg.norm(questions, axis=1, keepdims=True)
        line = f"{size:>10,} {vectors.nbytes / 2**20:>6.0f}"
        for above in (10**12, 0):  # never projected; always projected
            store = VectorStore()
            store.project_above = above
            for doc, start in enumerate(range(0, size, 3)):  # three passages a document
                store.put(doc, vectors[start : start + 3])
            store.similarities(questions[0])  # fits the projection, where there is one
            alive = np.ones(size // 3 + 1, np.bool_)
            times = []
            for q in questions:
                t = time.perf_counter()
                sims = store.similarities(q)
                assert sims is not None
                sims.best_documents(200, alive)
                times.append((time.perf_counter() - t) * 1000)
            line += " " + " ".join(f"{x:>9.2f}" for x in percentiles(times))
        if Index is not None and size <= args.hnsw_max:
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
