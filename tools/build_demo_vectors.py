"""Precompute the demo data's passage embeddings (knowledge/data/demo/vectors.npz).

    .venv/bin/python tools/build_demo_vectors.py [--model PATH|NAME]

A fresh machine loads the demo data and these vectors together, so its first answer is already
semantic instead of waiting for the demo to be embedded. The file is keyed by the model's id:
with another model configured it is ignored and the demo is embedded in the background. Each
document's vectors carry the digest of the passages they were made from, so a rebuilt demo
whose texts changed gets those documents embedded again rather than wrong vectors. Run it after
tools/build_demo_data.py or a model change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.embedding import FastEmbedder  # noqa: E402
from knowledge.finder import document_of_record  # noqa: E402
from knowledge.passage_vectors import embed_documents  # noqa: E402

DEMO = ROOT / "knowledge" / "data" / "demo"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    records = [json.loads(line) for line in (DEMO / "demo.jsonl").read_text("utf-8").splitlines()]
    names = {r["id"]: r.get("name", r["id"]) for r in records if r["type"] == "organisation"}
    docs = [d for r in records if (d := document_of_record(r, names)) is not None]
    embedder = FastEmbedder(args.model, threads=None)
    items = embed_documents(embedder, docs)
    np.savez_compressed(
        DEMO / "vectors.npz",
        model=np.array(embedder.model_id),
        kinds=np.array([i.kind for i in items]),
        ids=np.array([i.doc_id for i in items]),
        digests=np.array([i.digest for i in items]),
        counts=np.array([len(i.vectors) for i in items], np.int32),
        vectors=np.concatenate([i.vectors for i in items]).astype("<f4"),
    )
    passages = sum(len(i.vectors) for i in items)
    print(f"wrote {DEMO / 'vectors.npz'}: {len(items)} documents, {passages} passages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
