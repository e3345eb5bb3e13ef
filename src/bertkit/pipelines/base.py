"""Pipeline: a model directory loaded once, then batched inference on many inputs.

Every pipeline refuses a directory that lacks the head it needs (instead of running a randomly
initialised one), and runs its inputs sorted by length so that a batch pads little, with a
progress bar on long inputs. What runs the model is a runtime (`bertkit.pipelines.runtime`):
bertkit on PyTorch (bf16 on GPU), or an exported directory on ONNX Runtime, which never imports
torch. Either way a batch goes in and comes out as numpy arrays, post-processed one way.
"""

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.runtime import OnnxRuntime, choose_runtime
from bertkit.tokenizer import Encoding, WordPieceTokenizer

logger = logging.getLogger(__name__)

INPUT_NAMES = ("input_ids", "token_type_ids", "attention_mask")
# Inputs from which a progress bar is shown when `progress` is left to decide.
PROGRESS_MIN_INPUTS = 512
# Architectures whose heads share the name "classifier" but mean different things.
CLASSIFIER_MODELS = (
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertForMultipleChoice",
)


def as_batch(texts: str | Sequence[str]) -> tuple[list[str], bool]:
    """A text or a list of texts -> (list, whether a single text was given)."""
    if isinstance(texts, str):
        return [texts], True
    return list(texts), False


def pad_batch(rows: Sequence[Encoding], pad_id: int) -> dict[str, np.ndarray]:
    """input_ids, token_type_ids, attention_mask (B, T) int64, padded on the right to the
    longest row (as `bertkit.tasks.batching.encoder_inputs`, in numpy)."""
    width = max(len(row.input_ids) for row in rows)
    batch = {name: np.zeros((len(rows), width), dtype=np.int64) for name in INPUT_NAMES}
    batch["input_ids"].fill(pad_id)
    for i, row in enumerate(rows):
        n = len(row.input_ids)
        batch["input_ids"][i, :n] = row.input_ids
        batch["token_type_ids"][i, :n] = row.token_type_ids
        batch["attention_mask"][i, :n] = 1
    return batch


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first.

    Longest first makes an out-of-memory error happen on the first batch, not after minutes.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def load_runtime(
    model_dir: Path,
    runtime: str | None,
    architecture: str,
    model_options: dict,
    device: str | None,
    dtype: str | None,
):
    """A `TorchRuntime` or `OnnxRuntime` for `model_dir` (see `choose_runtime`); torch is
    imported only when the torch runtime is chosen."""
    if choose_runtime(model_dir, runtime) == "onnx":
        return OnnxRuntime(model_dir, device, dtype)
    from bertkit.pipelines.torch_runtime import TorchRuntime

    return TorchRuntime(model_dir, architecture, model_options, device, dtype)


class Pipeline:
    """Load a model directory and its tokenizer; subclasses turn text into plain Python objects.

    Args:
        model_dir: a model directory (Hugging Face or sentence-transformers layout).
        device: "cpu", "cuda", ...; None picks CUDA when available.
        dtype: "float32", "bfloat16", "float16", "int8" (CPU) or "auto": bf16 on a GPU or on a
            CPU with hardware bf16, else fp32 (`bertkit.model.precision`); None is $BERTKIT_DTYPE,
            else "auto" (the ONNX runtime runs fp32).
        batch_size: model inputs per forward pass.
        max_length: tokens per model input ([CLS]/[SEP] included); None is the model's maximum.
        progress: show a progress bar; None shows one for long inputs only.
        runtime: "torch" or "onnx"; None is ONNX for an exported directory (model.onnx), else
            torch (`bertkit.pipelines.runtime.choose_runtime`).
    """

    task = ""
    model_class = "BertModel"  # the bertkit class the torch runtime builds
    model_options: dict = {}  # constructor arguments of model_class, e.g. no pooler
    required_head: str | None = None  # a head name of `describe_model_dir`, e.g. "masked-lm"
    head_hint = ""  # how to get a directory with that head, appended to the error

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str | None = None,
        dtype: str | None = None,
        batch_size: int = 32,
        max_length: int | None = None,
        progress: bool | None = None,
        runtime: str | None = None,
    ):
        if batch_size <= 0:
            raise BertkitError(f"batch_size must be positive, got {batch_size}")
        self.model_dir = Path(model_dir)
        self.runtime = load_runtime(
            self.model_dir, runtime, self.model_class, self.model_options, device, dtype
        )
        self.info = self.runtime.info
        if self.required_head and self.required_head not in self.info["heads"]:
            present = ", ".join(self.info["heads"]) or "none"
            raise BertkitError(
                f"{self.model_dir}: {self.task} needs a {self.required_head} head, which this "
                f"model lacks (its heads: {present}){self.head_hint}"
            )
        architecture = self.info["architecture"]
        if architecture in CLASSIFIER_MODELS and architecture != self.model_class:
            raise BertkitError(
                f"{self.model_dir}: {self.task} needs a {self.model_class}, this "
                f"directory holds a {architecture}"
            )
        self.tokenizer = WordPieceTokenizer.from_pretrained(self.runtime.tokenizer_dir)
        self.device, self.dtype = self.runtime.device, self.runtime.dtype
        # The torch module, or on ONNX the session; both have the `config` pipelines read.
        self.model = self.runtime.model
        self.config = self.model.config
        self.batch_size = batch_size
        self.progress = progress
        model_max = self.config.max_position_embeddings
        if max_length is not None and not 2 < max_length <= model_max:
            raise BertkitError(f"max_length must be in 3..{model_max}, got {max_length}")
        self.max_length = max_length or self.default_max_length()

    def default_max_length(self) -> int:
        """The model's position limit, lowered by the tokenizer's `model_max_length` if set."""
        limit = self.config.max_position_embeddings
        return min(limit, self.tokenizer.model_max_length or limit)

    def encode_truncated(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None
    ) -> list[Encoding]:
        """One encoding per text (or pair), cut to `max_length` tokens as sentence-transformers
        and HF pipelines do; how many were cut is logged once."""
        windows = self.tokenizer.encode_batch(
            texts, pairs, max_length=self.max_length, return_overflowing=True
        )
        first: dict[int, Encoding] = {}
        for window in windows:
            first.setdefault(window.overflow_to_sample, window)
        cut = {w.overflow_to_sample for w in windows if w is not first[w.overflow_to_sample]}
        if cut:
            logger.warning(
                "%d of %d inputs were cut to %d tokens", len(cut), len(texts), self.max_length
            )
        return [first[i] for i in range(len(texts))]

    def run_batches(
        self, encodings: Sequence, step: Callable[[dict[str, np.ndarray]], list]
    ) -> list:
        """Run `step` on padded batches of `encodings` (Encodings, or any rows with input_ids and
        token_type_ids); its per-row results, in input order.

        `step` gets input_ids, token_type_ids and attention_mask, (B, T) int64 numpy arrays for
        `self.runtime.run`, and returns one result per row.
        """
        from bertkit.progress import progress_bar

        batches = length_sorted_batches([len(e.input_ids) for e in encodings], self.batch_size)
        show = self.progress if self.progress is not None else len(encodings) >= PROGRESS_MIN_INPUTS
        results: list = [None] * len(encodings)
        for batch in progress_bar(batches, desc=self.task, unit="batch", disable=not show):
            inputs = pad_batch([encodings[i] for i in batch], self.tokenizer.pad_token_id)
            for i, result in zip(batch, step(inputs), strict=True):
                results[i] = result
        return results
