"""Named entities: the config, the token-classification model, the step and the CoNLL score.

The model is `BertForTokenClassification` (Devlin et al. 2018, section 5.3, figure 4d): a label per
word, read on its first sub-token; predictions are mapped back to words and scored by entity.
"""

import logging
from dataclasses import dataclass, field
from functools import partial

import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForTokenClassification
from bertkit.tasks.batching import predict_batches
from bertkit.tasks.config import FinetuneConfig
from bertkit.tasks.ner.data import (
    IGNORE,
    Feature,
    Sentence,
    collate,
    encode_sentences,
    label_names,
    read_conll,
)
from bertkit.tasks.ner.decode import to_bio, word_label_ids
from bertkit.tasks.ner.metrics import entity_scores

log = logging.getLogger(__name__)

MODEL = BertForTokenClassification  # the model class this task trains and loads


@dataclass
class NerConfig(FinetuneConfig):
    lr: float = 5e-5
    max_seq_length: int = 128  # longer sentences are split at word boundaries into more inputs


@dataclass
class Split:
    """Encoded sentences of one file, the tag set, and the sentences skipped as unusable."""

    features: list[Feature]
    labels: list[str]
    sentences: list[Sentence] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def num_examples(self) -> int:
        """Sentences scored; a long one takes several model inputs."""
        return len(self.sentences)


def default_metric(labels: list[str]) -> str:
    return "f1"


def read_train(config: NerConfig, tokenizer) -> Split:
    read = read_conll(config.train, config.max_train_examples)
    labels = label_names(read.sentences)
    if len(labels) < 2:
        raise BertkitError(f"{config.train}: every tag is O; nothing to learn")
    label2id = {tag: i for i, tag in enumerate(labels)}
    features = encode_sentences(tokenizer, read.sentences, label2id, config.max_seq_length)
    return Split(features, labels, read.sentences, read.skipped)


def read_eval(config: NerConfig, tokenizer, labels: list[str]) -> Split:
    """Evaluation sentences; tags unknown to the model are reported and still scored (as misses)."""
    read = read_conll(config.eval, config.max_eval_examples)
    label2id = {tag: i for i, tag in enumerate(labels)}
    unknown = sorted({t for s in read.sentences for t in s.tags} - set(labels))
    if unknown:
        log.warning("%s: tags %s were not in training; they count as misses", config.eval, unknown)
    features = encode_sentences(tokenizer, read.sentences, label2id, config.max_seq_length)
    return Split(features, labels, read.sentences, read.skipped)


def build_model(config: NerConfig, labels: list[str]) -> BertForTokenClassification:
    return BertForTokenClassification.from_pretrained(
        config.model, id2label=dict(enumerate(labels))
    )


def model_labels(model: BertForTokenClassification) -> list[str]:
    return [model.config.id2label[i] for i in range(model.config.num_labels)]


def count(batch: dict) -> dict[str, float]:
    """Words labeled in the batch (first sub-tokens): the loss is a mean over them."""
    return {"labeled": float((batch["labels"] != IGNORE).sum())}


def step(model: BertForTokenClassification, batch: dict, totals: dict) -> tuple[torch.Tensor, dict]:
    """The mean loss over the labeled words of the step (its micro-batches sum to it)."""
    labeled = (batch["labels"] != IGNORE).sum()
    loss = model(**batch).loss * labeled / max(totals["labeled"], 1.0)
    return loss, {}


def score(model: BertForTokenClassification, data: Split, config: NerConfig, pad_id: int):
    """Entity-level scores on the evaluation sentences, and the predicted BIO tags per sentence."""
    predicted = [["O"] * len(s.words) for s in data.sentences]
    for indices, out in predict_batches(
        model, data.features, partial(collate, pad_id=pad_id), config.eval_batch_size
    ):
        logits = out.logits.float().cpu()  # (B, T, L)
        for row, i in enumerate(indices):
            feature = data.features[i]
            ids = word_label_ids(
                logits[row, : len(feature.input_ids)],
                feature.word_ids,
                len(data.sentences[feature.sentence].words),
                default=-1,
            )
            tags = predicted[feature.sentence]
            for w, label_id in enumerate(ids):
                if label_id >= 0:  # this input holds word w (a long sentence spans several)
                    tags[w] = data.labels[label_id]
    # conlleval reads an I-X after O as a new entity anyway; BIO repair only tidies the output.
    predicted = [to_bio(tags) for tags in predicted]
    metrics = entity_scores([s.tags for s in data.sentences], predicted)
    return metrics, predicted
