"""The BERT model: config, encoder, heads. Depends on torch alone."""

from bertkit.model.bert import BertModel, init_weights
from bertkit.model.config import BertConfig, ConfigError, preset
from bertkit.model.finetuning import (
    BertForMultipleChoice,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
)
from bertkit.model.outputs import (
    BertOutput,
    ClassifierOutput,
    MaskedLMOutput,
    PreTrainingOutput,
    QuestionAnsweringOutput,
)
from bertkit.model.pretrained import PreTrainedBert
from bertkit.model.pretraining import (
    BertForMaskedLM,
    BertForNextSentencePrediction,
    BertForPreTraining,
)

MODEL_CLASSES = {
    cls.__name__: cls
    for cls in (
        BertModel,
        BertForPreTraining,
        BertForMaskedLM,
        BertForNextSentencePrediction,
        BertForSequenceClassification,
        BertForTokenClassification,
        BertForQuestionAnswering,
        BertForMultipleChoice,
    )
}

__all__ = [
    "MODEL_CLASSES",
    "BertConfig",
    "BertForMaskedLM",
    "BertForMultipleChoice",
    "BertForNextSentencePrediction",
    "BertForPreTraining",
    "BertForQuestionAnswering",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertModel",
    "BertOutput",
    "ClassifierOutput",
    "ConfigError",
    "MaskedLMOutput",
    "PreTrainedBert",
    "PreTrainingOutput",
    "QuestionAnsweringOutput",
    "init_weights",
    "preset",
]
