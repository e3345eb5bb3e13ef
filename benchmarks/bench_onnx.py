"""ONNX export: parity with bertkit per head, end-to-end speed, and the size of the install.

    python benchmarks/bench_onnx.py [--quick] [--cases 40] [--texts 0]

Parity: every head (the MiniLM encoder with its pooling, and sequence classification, token
classification, QA and masked-LM heads on the MiniLM encoder, their head weights random) is
exported plain and with `--optimize`, then compared with bertkit (PyTorch fp32, its default
fused attention and unpadding) on `--cases` random batches of 1..32 inputs of 1..512 tokens with
random padding and segments: the largest |difference| at real tokens, and for vectors the
smallest cosine. Masked-LM batches are capped at 4096 tokens ((B, T, V) logits are 4 bytes each).
Speed: embedding real sentences (SST-2 dev + test) end to end (tokenizing included, batch 32,
sorted by length where the library does it) with bertkit on PyTorch, bertkit on ONNX Runtime
(plain, optimized), sentence-transformers and transformers (AutoModel + mean pooling).
Install size: site-packages bytes of the ONNX install (numpy, onnxruntime, tqdm and their
requirements, plus bertkit) vs PyTorch and its requirements. Writes
benchmarks/results/onnx-<device>[-quick].json. `--quick` takes about 3 minutes on 2 idle cores;
the full run about 15.
"""

import argparse
import os
import re
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from measure import RESULTS, conditions, device_key, minilm_dir, texts_for, write_result

import bertkit
from bertkit.export import export_onnx
from bertkit.export.verify import differences, onnx_session, random_inputs
from bertkit.pipelines import pipeline

HEADS = {  # head -> (bertkit class, config overrides, outputs)
    "encoder": ("BertModel", {}, ["last_hidden_state", "sentence_embedding"]),
    "sequence-classification": ("BertForSequenceClassification", {"num_labels": 3}, ["logits"]),
    "token-classification": ("BertForTokenClassification", {"num_labels": 9}, ["logits"]),
    "question-answering": ("BertForQuestionAnswering", {}, ["start_logits", "end_logits"]),
    "masked-lm": ("BertForMaskedLM", {}, ["logits"]),
}
MLM_MAX_TOKENS = 4096
INPUTS = ("input_ids", "token_type_ids", "attention_mask")


def head_dirs(root: Path) -> dict[str, Path]:
    """Model directories of every head on the MiniLM encoder (the encoder keeps its pooling)."""
    dirs = {"encoder": minilm_dir()}
    tokenizer = bertkit.WordPieceTokenizer.from_pretrained(minilm_dir())
    for head, (class_name, overrides, _) in HEADS.items():
        if head == "encoder":
            continue
        torch.manual_seed(0)
        model = getattr(bertkit, class_name).from_pretrained(minilm_dir(), **overrides)
        dirs[head] = root / head
        model.save_pretrained(dirs[head])
        tokenizer.save_pretrained(dirs[head])
    return dirs


def reference(model, head: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """bertkit's outputs (PyTorch fp32), the sentence embedding pooled as the directory says."""
    from bertkit.model.pooling import pool

    ids, types, mask = (torch.from_numpy(inputs[k]) for k in INPUTS)
    with torch.inference_mode():
        out = model(ids, types, mask)
        if head != "encoder":
            return {name: getattr(out, name).float().numpy() for name in HEADS[head][2]}
        pooled = pool(out.last_hidden_state, mask, "mean", normalize=True)
        return {
            "last_hidden_state": out.last_hidden_state.numpy(),
            "sentence_embedding": pooled.numpy(),
        }


def parity(dirs: dict[str, Path], root: Path, num_cases: int) -> dict:
    rows = {}
    for head, path in dirs.items():
        class_name, _, outputs = HEADS[head]
        model = getattr(bertkit, class_name).from_pretrained(path).eval()
        for optimize in (False, True):
            start = time.perf_counter()
            report = export_onnx(path, root / f"{head}-{optimize}", optimize=optimize)
            export_s = time.perf_counter() - start
            session = onnx_session(report.out_dir / "model.onnx")
            rng = np.random.default_rng(0)
            worst = {name: [0.0, 1.0] for name in outputs}
            num_inputs = 0
            for _ in range(num_cases):
                batch, length = int(rng.integers(1, 33)), int(rng.integers(1, 513))
                if head == "masked-lm":
                    batch = max(1, min(batch, MLM_MAX_TOKENS // length))
                inputs = random_inputs(rng, batch, length, model.config.vocab_size, 2)
                actual = dict(zip(outputs, session.run(outputs, inputs), strict=True))
                expected = reference(model, head, inputs)
                for name in outputs:
                    diff, cosine = differences(
                        name, expected[name], actual[name], inputs["attention_mask"]
                    )
                    worst[name][0] = max(worst[name][0], diff)
                    worst[name][1] = min(worst[name][1], 1.0 if cosine is None else cosine)
                num_inputs += batch
            key = f"{head} {'optimized' if optimize else 'plain'}"
            rows[key] = {
                name: {"max_abs_diff": d, "min_cosine": c if "logits" not in name else None}
                for name, (d, c) in worst.items()
            } | {"inputs": num_inputs, "export_s": round(export_s, 1), "fused": report.fused}
            print(key, rows[key], flush=True)
    return rows


def embed_speed(texts: list[str], onnx_dirs: dict[str, Path], batch_size: int = 32) -> dict:
    """Sentences per second, end to end, of each way of embedding `texts`."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    def bertkit_run(path: Path, runtime: str):
        embed = pipeline("embed", path, runtime=runtime, batch_size=batch_size, progress=False)
        return lambda: embed(texts)

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    hf_model = AutoModel.from_pretrained(str(minilm_dir())).eval()

    def transformers_run():
        out = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = [texts[i] for i in order[start : start + batch_size]]
                enc = tokenizer(
                    batch, padding=True, truncation=True, max_length=256, return_tensors="pt"
                )
                hidden = hf_model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).float()
                vectors = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(vectors, dim=-1))
        return torch.cat(out)

    st_model = SentenceTransformer(str(minilm_dir()), device="cpu")
    runs = {
        "bertkit torch": bertkit_run(minilm_dir(), "torch"),
        "bertkit onnx": bertkit_run(onnx_dirs["plain"], "onnx"),
        "bertkit onnx --optimize": bertkit_run(onnx_dirs["optimized"], "onnx"),
        "sentence-transformers": lambda: st_model.encode(texts, batch_size=batch_size),
        "transformers": transformers_run,
    }
    speed = {}
    for name, run in runs.items():
        run()  # warm-up: first-call allocations, thread pools
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        speed[name] = {"seconds": round(seconds, 2), "sentences_per_s": round(len(texts) / seconds)}
        print(name, speed[name], flush=True)
    base = speed["sentence-transformers"]["sentences_per_s"]
    for row in speed.values():
        row["vs_sentence_transformers"] = round(row["sentences_per_s"] / base, 2)
    return speed


def distribution_bytes(name: str, seen: set[str]) -> int:
    """Bytes on disk of a distribution and, recursively, of its unconditional requirements."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return 0
    seen.add(key)
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return 0
    total = sum((dist.locate_file(f).stat().st_size for f in dist.files or []), 0)
    for requirement in dist.requires or []:
        if ";" in requirement:  # extras and platform-conditional requirements are not installed
            continue
        total += distribution_bytes(re.split(r"[\s<>=!~\[(]", requirement)[0], seen)
    return total


def install_sizes() -> dict:
    source = sum(p.stat().st_size for p in Path(bertkit.__file__).parent.rglob("*.py"))
    seen: set[str] = set()  # a requirement shared by two packages (numpy) counts once
    onnx = sum(distribution_bytes(n, seen) for n in ("numpy", "onnxruntime", "tqdm")) + source
    torch_bytes = distribution_bytes("torch", set())
    return {
        "bertkit[onnx] MB (numpy, onnxruntime, tqdm + requirements, bertkit)": round(onnx / 1e6),
        "torch MB (torch + requirements)": round(torch_bytes / 1e6),
        "ratio": round(torch_bytes / onnx, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 cases, 500 sentences")
    parser.add_argument("--cases", type=int, default=40, help="random batches per head and mode")
    parser.add_argument("--texts", type=int, default=0, help="sentences to embed (0 = all)")
    args = parser.parse_args()
    cases = 8 if args.quick else args.cases
    limit = 500 if args.quick else args.texts
    result = {"conditions": conditions(), "command": " ".join(sys.argv)}
    result["install"] = install_sizes()
    print(result["install"], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result["parity"] = parity(head_dirs(root), root, cases)
        onnx_dirs = {"plain": root / "encoder-False", "optimized": root / "encoder-True"}
        texts = texts_for("sst2", limit)
        result["speed"] = {"texts": len(texts), "rows": embed_speed(texts, onnx_dirs)}
    result["conditions"]["load_average_end"] = list(os.getloadavg())
    suffix = "-quick" if args.quick else ""
    write_result(RESULTS / f"onnx-{device_key()}{suffix}.json", result)


if __name__ == "__main__":
    main()
