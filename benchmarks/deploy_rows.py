"""End-to-end rows: what a user runs against what they would deploy instead, text in, vectors or
labels out (tokenizing, batching, the model, pooling and post-processing all inside the timing).

  e2e-embed-*     all-MiniLM-L6-v2 sentence embeddings (mean pooling + L2) of real text:
                  `bertkit embed` (defaults, fp32; and `dtype="bfloat16"` where the CPU has AMX)
                  vs sentence-transformers `encode` (length-sorted, as it always does) vs ONNX
                  Runtime running transformers' BertModel exported with `torch.onnx` and fused by
                  `onnxruntime.transformers.optimizer` (fp32, our length-sorted batches, HF fast
                  tokenizer, mean pooling + L2 in numpy) vs `bertkit export onnx` (plain and
                  --optimize) run by the embed pipeline on ONNX Runtime (`bertkit-onnx*`),
                  OpenVINO (defaults and f32) and ONNX Runtime int8 (`precision_rivals.py`),
                  bertkit `dtype="int8"` and `dtype="auto"`
  e2e-classify-*  a MiniLM sequence classifier (seeded random 2-label head): bertkit's classify
                  pipeline vs transformers' text-classification pipeline (which runs in the
                  input's order) vs bertkit's pipeline on its --optimize ONNX export
Every system gets the same texts, the same batch size and the same thread count; systems take
turns for `rounds`, the reported time is the median. Each row also reports the matmul GFLOP/s
achieved end to end (the encoder's matmul FLOPs on the real tokens over the wall time) as a share
of this machine's measured matmul peak in the same dtype (`measure.matmul_peak`), and the smallest
cosine of each system's vectors with sentence-transformers'.
sentence-transformers and onnxruntime are benchmark extras, never bertkit dependencies.
"""

import logging
import statistics
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from measure import matmul_peak, minilm_dir, texts_for
from precision_rivals import openvino_embed, ort_int8_embed


@dataclass
class DeployRow:
    name: str
    kind: str  # e2e-embed | e2e-classify
    texts: str  # sst2 | squad
    batch_size: int


DEPLOY_ROWS = [
    DeployRow("e2e-embed-sst2-b32", "e2e-embed", "sst2", 32),
    DeployRow("e2e-embed-sst2-b256", "e2e-embed", "sst2", 256),
    DeployRow("e2e-embed-squad-b32", "e2e-embed", "squad", 32),
    DeployRow("e2e-embed-squad-b256", "e2e-embed", "squad", 256),
    DeployRow("e2e-classify-sst2-b32", "e2e-classify", "sst2", 32),
    DeployRow("e2e-classify-sst2-b256", "e2e-classify", "sst2", 256),
]
# Texts per row: all of them, or a slice in quick mode.
QUICK_LIMIT = {"sst2": 256, "squad": 64}
FULL_LIMIT = {"sst2": 0, "squad": 1024}
MAX_LENGTH = 256  # all-MiniLM-L6-v2's max_seq_length, used by every system


def encoder_matmul_flops(config, tokens: int) -> float:
    """Matmul FLOPs of the encoder on `tokens` real tokens: QKV, output, and the two FFN
    projections per layer (2 FLOPs a multiply-add); attention scores are excluded."""
    h, inter, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    return 2.0 * tokens * layers * (4 * h * h + 2 * h * inter)


def has_amx() -> bool:
    """Whether this CPU has AMX tiles for bf16 (Linux /proc/cpuinfo flags)."""
    try:
        return "amx_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# The systems: each a function texts -> (N, C) or labels


def bertkit_embed(batch_size: int, dtype: str):
    from bertkit.pipelines import pipeline

    embed = pipeline("embed", minilm_dir(), batch_size=batch_size, dtype=dtype, progress=False)
    return embed


def bertkit_onnx(task: str, model_dir: Path, batch_size: int, work: Path, optimize: bool):
    """The `task` pipeline on `model_dir` exported by `bertkit export onnx` (ONNX Runtime)."""
    from bertkit.export import export_onnx
    from bertkit.pipelines import pipeline

    out = work / f"{model_dir.name}-bertkit-onnx-{'optimized' if optimize else 'plain'}"
    if not (out / "model.onnx").exists():
        export_onnx(model_dir, out, optimize=optimize)
    return pipeline(task, out, batch_size=batch_size, progress=False)


def st_embed(batch_size: int):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_dir()), device="cpu")
    return lambda texts: model.encode(texts, batch_size=batch_size, convert_to_numpy=True)


class KeywordInputs(torch.nn.Module):
    """transformers' BertModel called with keyword inputs (its positional order differs)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return out.last_hidden_state


def export_ort_minilm(work: Path) -> Path:
    """transformers' MiniLM BertModel exported with torch.onnx and fused by ONNX Runtime's BERT
    optimizer (the documented deployment recipe); cached in `work`."""
    path = work / "minilm-ort" / "model.onnx"
    if path.exists():
        return path
    import transformers
    from onnxruntime.transformers.optimizer import optimize_model

    path.parent.mkdir(parents=True, exist_ok=True)
    model = transformers.BertModel.from_pretrained(minilm_dir(), attn_implementation="eager")
    model.eval()
    ids = torch.randint(1000, 2000, (2, 8))
    mask = torch.ones(2, 8, dtype=torch.long)
    mask[1, 5:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    raw = path.with_name("raw.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            KeywordInputs(model),
            (ids, mask, torch.zeros_like(ids)),
            str(raw),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    logging.disable(logging.INFO)
    try:
        config = model.config
        optimized = optimize_model(
            str(raw),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
        )
        optimized.save_model_to_file(str(path))
    finally:
        logging.disable(logging.NOTSET)
    return path


def ort_embed(batch_size: int, work: Path):
    import onnxruntime as ort
    import transformers

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(
        str(export_ort_minilm(work)), options, providers=["CPUExecutionProvider"]
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(minilm_dir())

    def run(texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # length-sorted
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            enc = tokenizer(
                [texts[i] for i in chunk],
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="np",
            )
            feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
            feed["token_type_ids"] = enc["token_type_ids"].astype(np.int64)
            (hidden,) = session.run(["last_hidden_state"], feed)
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            out[chunk] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    return run


def classifier_dir(work: Path) -> Path:
    """MiniLM's encoder with a seeded random 2-label head, saved once in `work`."""
    path = work / "minilm-classifier"
    if not (path / "config.json").exists():
        from bertkit.model import BertForSequenceClassification
        from bertkit.tokenizer import WordPieceTokenizer

        torch.manual_seed(0)
        model = BertForSequenceClassification.from_pretrained(
            minilm_dir(), id2label={0: "negative", 1: "positive"}
        )
        model.save_pretrained(path)
        WordPieceTokenizer.from_pretrained(minilm_dir()).save_pretrained(path)
    return path


# ---------------------------------------------------------------------------------------------
# One row


def measure_deploy_row(row: DeployRow, rounds: int, quick: bool, work: Path) -> dict:
    """Every system of `row` on the same texts, taking turns; texts/s, GFLOP/s, share of peak."""
    limit = (QUICK_LIMIT if quick else FULL_LIMIT)[row.texts]
    texts = texts_for(row.texts, limit)
    if row.kind == "e2e-embed":
        bertkit = bertkit_embed(row.batch_size, "float32")
        systems = {
            "bertkit": bertkit,
            "sentence-transformers": st_embed(row.batch_size),
            "onnxruntime": ort_embed(row.batch_size, work),
            "bertkit-onnx": bertkit_onnx("embed", minilm_dir(), row.batch_size, work, False),
            "bertkit-onnx-optimized": bertkit_onnx(
                "embed", minilm_dir(), row.batch_size, work, True
            ),
        }
        raw_onnx = export_ort_minilm(work).with_name("raw.onnx")
        systems["openvino"] = openvino_embed(row.batch_size, raw_onnx, f32=False)
        systems["openvino-f32"] = openvino_embed(row.batch_size, raw_onnx, f32=True)
        systems["onnxruntime-int8"] = ort_int8_embed(row.batch_size, raw_onnx)
        dtypes = {name: "float32" for name in systems}
        # int8 and auto: shares of the fp32 peak (int8 has no float peak to compare with).
        systems["bertkit-int8"] = bertkit_embed(row.batch_size, "int8")
        systems["bertkit-auto"] = bertkit_embed(row.batch_size, "auto")
        dtypes["bertkit-int8"] = "float32"
        dtypes["bertkit-auto"] = systems["bertkit-auto"].info["precision"]
        if has_amx():
            systems["bertkit-bf16"] = bertkit_embed(row.batch_size, "bfloat16")
            dtypes["bertkit-bf16"] = "bfloat16"
        reference = "sentence-transformers"
    else:
        import transformers

        from bertkit.pipelines import pipeline

        directory = classifier_dir(work)
        ours = pipeline("classify", directory, batch_size=row.batch_size, progress=False)
        hf = transformers.pipeline(
            "text-classification", model=str(directory), device="cpu", batch_size=row.batch_size
        )
        systems = {
            "bertkit": ours,
            "transformers-pipeline": lambda texts: hf(
                texts, truncation=True, max_length=MAX_LENGTH
            ),
            "bertkit-onnx-optimized": bertkit_onnx(
                "classify", directory, row.batch_size, work, True
            ),
        }
        dtypes = {name: "float32" for name in systems}
        bertkit = ours
        reference = "transformers-pipeline"
    encodings = bertkit.encode_truncated(texts)
    tokens = sum(len(e.input_ids) for e in encodings)
    flops = encoder_matmul_flops(bertkit.model.config, tokens)
    outputs = {name: run(texts[: row.batch_size]) for name, run in systems.items()}  # warm-up
    outputs = {name: run(texts) for name, run in systems.items()}
    agreement = agreement_with(outputs, reference, row.kind)
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    names = list(systems)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            systems[name](texts)
            seconds[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    peaks = {dtype: matmul_peak(getattr(torch, dtype)) for dtype in set(dtypes.values())}
    return {
        "row": row.name,
        "kind": row.kind,
        "batch_size": row.batch_size,
        "unit": "texts",
        "num_texts": len(texts),
        "tokens": tokens,
        "reference": reference,
        "seconds": median,
        "seconds_all_rounds": seconds,
        "throughput": {name: len(texts) / median[name] for name in systems},
        "vs_reference": {name: median[reference] / median[name] for name in systems},
        "gflops": {name: flops / median[name] / 1e9 for name in systems},
        "share_of_peak": {name: flops / median[name] / peaks[dtypes[name]] for name in systems},
        "dtype": dtypes,
        "matmul_peak_gflops": {dtype: peak / 1e9 for dtype, peak in peaks.items()},
        "agreement": agreement,
    }


def agreement_with(outputs: dict, reference: str, kind: str) -> dict[str, float]:
    """Smallest cosine with the reference's vectors (embed), or the share of equal labels with
    scores within 1e-4 (classify)."""
    ref = outputs[reference]
    result = {}
    for name, out in outputs.items():
        if name == reference:
            continue
        if kind == "e2e-embed":
            a, b = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
            cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
            result[name] = float(cos.min())
        else:
            same = [
                o.label == r["label"] and abs(o.score - r["score"]) < 1e-4
                for o, r in zip(out, ref, strict=True)
            ]
            result[name] = sum(same) / len(same)
    return result
