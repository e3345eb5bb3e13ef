"""Pipeline: a model directory loaded once, then batched inference on many inputs.

Every pipeline refuses a directory that lacks the head it needs (instead of running a randomly
initialised one), picks the device (bf16 on GPU), and runs its inputs sorted by length so that a
batch pads little, under `torch.inference_mode`, with a progress bar on long inputs.
"""

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.interop.checkpoint import find_model_dir
from bertkit.interop.inspect import describe_model_dir
from bertkit.model import BertModel
from bertkit.tasks.batching import encoder_inputs
from bertkit.tokenizer import Encoding, WordPieceTokenizer

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
# Inputs from which a progress bar is shown when `progress` is left to decide.
PROGRESS_MIN_INPUTS = 512
# Architectures whose heads share the name "classifier" but mean different things.
CLASSIFIER_MODELS = (
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertForMultipleChoice",
)


def resolve_device(device: str | None) -> torch.device:
    """The torch device to run on: the one asked for, else CUDA when present, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError:
        raise BertkitError(f"unknown device {device!r} (try cpu, cuda, cuda:1, mps)") from None


def resolve_dtype(dtype: str | None, device: torch.device) -> torch.dtype:
    """bf16 on a GPU (half the memory, same range as fp32), fp32 elsewhere, unless asked."""
    if dtype is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise BertkitError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return DTYPES[dtype]


def as_batch(texts: str | Sequence[str]) -> tuple[list[str], bool]:
    """A text or a list of texts -> (list, whether a single text was given)."""
    if isinstance(texts, str):
        return [texts], True
    return list(texts), False


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first.

    Longest first makes an out-of-memory error happen on the first batch, not after minutes.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


class Pipeline:
    """Load a model directory and its tokenizer; subclasses turn text into plain Python objects.

    Args:
        model_dir: a model directory (Hugging Face or sentence-transformers layout).
        device: "cpu", "cuda", ...; None picks CUDA when available.
        dtype: "float32", "bfloat16" or "float16"; None is bf16 on GPU, fp32 on CPU.
        batch_size: model inputs per forward pass.
        max_length: tokens per model input ([CLS]/[SEP] included); None is the model's maximum.
        progress: show a progress bar; None shows one for long inputs only.
    """

    task = ""
    model_class: type = BertModel
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
    ):
        if batch_size <= 0:
            raise BertkitError(f"batch_size must be positive, got {batch_size}")
        self.model_dir = Path(model_dir)
        self.info = describe_model_dir(self.model_dir)
        if self.required_head and self.required_head not in self.info["heads"]:
            present = ", ".join(self.info["heads"]) or "none"
            raise BertkitError(
                f"{self.model_dir}: {self.task} needs a {self.required_head} head, which this "
                f"model lacks (its heads: {present}){self.head_hint}"
            )
        architecture = self.info["architecture"]
        if architecture in CLASSIFIER_MODELS and architecture != self.model_class.__name__:
            raise BertkitError(
                f"{self.model_dir}: {self.task} needs a {self.model_class.__name__}, this "
                f"directory holds a {architecture}"
            )
        encoder_dir, _ = find_model_dir(self.model_dir)
        self.tokenizer = WordPieceTokenizer.from_pretrained(encoder_dir)
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.model = self.model_class.from_pretrained(
            self.model_dir, dtype=self.dtype, **self.model_options
        )
        self.model.to(self.device).eval()
        self.batch_size = batch_size
        self.progress = progress
        model_max = self.model.config.max_position_embeddings
        if max_length is not None and not 2 < max_length <= model_max:
            raise BertkitError(f"max_length must be in 3..{model_max}, got {max_length}")
        self.max_length = max_length or self.default_max_length()

    def default_max_length(self) -> int:
        """The model's position limit, lowered by the tokenizer's `model_max_length` if set."""
        limit = self.model.config.max_position_embeddings
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
        self, encodings: Sequence[Encoding], step: Callable[[dict[str, torch.Tensor]], list]
    ) -> list:
        """Run `step` on padded batches of `encodings`; its per-row results, in input order.

        `step` gets input_ids, token_type_ids and attention_mask (B, T) on the device and returns
        one result per row.
        """
        from tqdm.auto import tqdm

        batches = length_sorted_batches([len(e.input_ids) for e in encodings], self.batch_size)
        show = self.progress if self.progress is not None else len(encodings) >= PROGRESS_MIN_INPUTS
        results: list = [None] * len(encodings)
        with torch.inference_mode():
            for batch in tqdm(batches, desc=self.task, unit="batch", disable=not show):
                inputs = encoder_inputs([encodings[i] for i in batch], self.tokenizer.pad_token_id)
                inputs = {name: t.to(self.device) for name, t in inputs.items()}
                for i, result in zip(batch, step(inputs), strict=True):
                    results[i] = result
        return results
