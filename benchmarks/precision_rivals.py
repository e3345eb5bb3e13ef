"""The reduced- and mixed-precision rivals of the end-to-end embed rows (`deploy_rows.py`).

  openvino         transformers' MiniLM exported with torch.onnx, read and compiled by OpenVINO on
                   the CPU with its defaults (bf16 on CPUs with AMX, fp32 elsewhere)
  openvino-f32     the same with INFERENCE_PRECISION_HINT=f32
  onnxruntime-int8 the same export quantized by `onnxruntime.quantization.quantize_dynamic`
                   (int8 weights, dynamic per-tensor activations), run by ONNX Runtime
Each gets our length-sorted batches, the HF fast tokenizer, mean pooling + L2 in numpy, and the
same thread count. openvino and onnxruntime are benchmark extras, never bertkit dependencies.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from measure import minilm_dir

MAX_LENGTH = 256


def pooled_runner(batch_size: int, infer: Callable[[dict], np.ndarray]):
    """texts -> (N, 384) L2-normalised mean-pooled vectors, `infer(feed)` giving hidden states."""
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(minilm_dir())

    def run(texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
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
            names = ("input_ids", "attention_mask", "token_type_ids")
            feed = {k: enc[k].astype(np.int64) for k in names}
            hidden = infer(feed)
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            out[chunk] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    return run


def openvino_embed(batch_size: int, raw_onnx: Path, f32: bool):
    """OpenVINO on the CPU with its defaults, or with the f32 precision hint."""
    import openvino as ov

    config = {"INFERENCE_NUM_THREADS": torch.get_num_threads()}
    if f32:
        config["INFERENCE_PRECISION_HINT"] = "f32"
    compiled = ov.Core().compile_model(str(raw_onnx), "CPU", config)
    output = compiled.output("last_hidden_state")
    return pooled_runner(batch_size, lambda feed: compiled(feed)[output])


def ort_int8_embed(batch_size: int, raw_onnx: Path):
    """ONNX Runtime's dynamic int8 quantization of the same export."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = raw_onnx.with_name("int8.onnx")
    if not path.exists():
        quantize_dynamic(str(raw_onnx), str(path), weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return pooled_runner(batch_size, lambda feed: session.run(["last_hidden_state"], feed)[0])
