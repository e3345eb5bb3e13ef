"""bertkit: BERT from scratch on PyTorch.

The model classes are imported on first use (`bertkit.BertModel`), so that `import bertkit` and the
tokenizer work without loading torch (the ONNX runtime path needs neither).
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from bertkit.errors import BertkitError
from bertkit.tokenizer import WordPieceTokenizer

if TYPE_CHECKING:  # what type checkers see; at run time `__getattr__` imports them on first use
    from bertkit.model import (
        BertConfig,
        BertForMaskedLM,
        BertForMultipleChoice,
        BertForNextSentencePrediction,
        BertForPreTraining,
        BertForQuestionAnswering,
        BertForSequenceClassification,
        BertForTokenClassification,
        BertModel,
        preset,
    )

try:
    __version__ = version("bertkit")  # the one source is pyproject.toml
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "BertConfig",
    "BertForMaskedLM",
    "BertForMultipleChoice",
    "BertForNextSentencePrediction",
    "BertForPreTraining",
    "BertForQuestionAnswering",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertModel",
    "BertkitError",
    "WordPieceTokenizer",
    "preset",
]


def __getattr__(name: str):
    if name in __all__:  # the names not imported above live in bertkit.model
        import bertkit.model

        return getattr(bertkit.model, name)
    raise AttributeError(f"module 'bertkit' has no attribute {name!r}")
