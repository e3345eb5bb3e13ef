"""Named entities: the config and the task (token classification, scored by entity as CoNLL).

The model is `BertForTokenClassification` (Devlin et al. 2018, section 5.3, figure 4d): a label per
word, read on its first sub-token; predictions are mapped back to words and scored by entity.
"""

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForTokenClassification
from bertkit.tasks.batching import predict_batches
from bertkit.tasks.ner.data import IGNORE, collate, encode_sentences, label_names, read_conll
from bertkit.tasks.ner.decode import to_bio, word_label_ids
from bertkit.tasks.ner.metrics import entity_scores
from bertkit.tasks.task import FinetuneConfig, Split
from bertkit.tokenizer import WordPieceTokenizer

log = logging.getLogger(__name__)


@dataclass
class NerConfig(FinetuneConfig):
    lr: float = 5e-5
    max_seq_length: int = 128  # longer sentences are split at word boundaries into more inputs

    def task(self) -> "NerTask":
        return NerTask(self)


class NerTask:
    """A tag per word; the examples are sentences, a long one split into several inputs."""

    name = "ner"

    def __init__(self, config: NerConfig):
        self.config = config
        self.labels: list[str] = []  # the tag set, by id

    def read_train(self, tokenizer: WordPieceTokenizer) -> Split:
        """Training sentences; their tags define the tag set."""
        config = self.config
        read = read_conll(config.train, config.max_train_examples)
        self.labels = label_names(read.sentences)
        if len(self.labels) < 2:
            raise BertkitError(f"{config.train}: every tag is O; nothing to learn")
        return self._encode(tokenizer, read)

    def read_eval(self, tokenizer: WordPieceTokenizer) -> Split:
        """Evaluation sentences; tags unknown to the model are reported and still scored (as
        misses)."""
        config = self.config
        read = read_conll(config.eval, config.max_eval_examples)
        unknown = sorted({t for s in read.sentences for t in s.tags} - set(self.labels))
        if unknown:
            log.warning(
                "%s: tags %s were not in training; they count as misses", config.eval, unknown
            )
        return self._encode(tokenizer, read)

    def _encode(self, tokenizer: WordPieceTokenizer, read) -> Split:
        label2id = {tag: i for i, tag in enumerate(self.labels)}
        features = encode_sentences(tokenizer, read.sentences, label2id, self.config.max_seq_length)
        return Split(features, read.sentences, read.skipped)

    def default_metric(self) -> str:
        return "f1"

    def build_model(self) -> BertForTokenClassification:
        return BertForTokenClassification.from_pretrained(
            self.config.model, unpad=self.config.unpad, id2label=dict(enumerate(self.labels))
        )

    def load_model(self, path: str | Path) -> BertForTokenClassification:
        """A fine-tuned model; its tags become the tag set."""
        model = BertForTokenClassification.from_pretrained(path)
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        return model

    def collate(self, features: list, pad_id: int) -> dict[str, torch.Tensor]:
        return collate(features, pad_id)

    def units(self, batch: dict[str, torch.Tensor]) -> float:
        """Words labeled in the batch (first sub-tokens): the loss is a mean over them."""
        return float((batch["labels"] != IGNORE).sum())

    def score(self, model: BertForTokenClassification, split: Split, pad_id: int):
        """Entity-level scores on the evaluation sentences, and the predicted BIO tags of each."""
        sentences = split.examples
        predicted = [["O"] * len(s.words) for s in sentences]
        for indices, out in predict_batches(
            model, split.features, partial(collate, pad_id=pad_id), self.config.eval_batch_size
        ):
            logits = out.logits.float().cpu()  # (B, T, L)
            for row, i in enumerate(indices):
                feature = split.features[i]
                ids = word_label_ids(
                    logits[row, : len(feature.input_ids)],
                    feature.word_ids,
                    len(sentences[feature.sentence].words),
                    default=-1,
                )
                tags = predicted[feature.sentence]
                for w, label_id in enumerate(ids):
                    if label_id >= 0:  # this input holds word w (a long sentence spans several)
                        tags[w] = self.labels[label_id]
        # conlleval reads an I-X after O as a new entity anyway; BIO repair only tidies the output.
        predicted = [to_bio(tags) for tags in predicted]
        metrics = entity_scores([s.tags for s in sentences], predicted)
        return metrics, predicted
