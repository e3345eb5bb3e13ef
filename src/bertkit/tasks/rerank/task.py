"""Cross-encoder reranking: the config and the task.

A one-output `BertForSequenceClassification` scores [CLS] query [SEP] passage [SEP] (Nogueira
and Cho 2019). Labeled pairs train it with binary cross-entropy; groups of one positive and k
negatives (as `bertkit mine-negatives` writes them) with a listwise softmax (losses.py). Evaluation
ranks each query's candidates by score: the positive among its negatives for a groups file, the
passages of a query's rows for labeled pairs, and reports recall@1, MRR@10 and nDCG@10.
"""

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForSequenceClassification
from bertkit.tasks.batching import encoder_inputs, predict_batches
from bertkit.tasks.rerank.data import Columns, collate, encode_groups, merge_queries, read_groups
from bertkit.tasks.rerank.decode import rank_by_score
from bertkit.tasks.rerank.metrics import reranking_metrics
from bertkit.tasks.rerank.model import CrossEncoder
from bertkit.tasks.task import FinetuneConfig, Split
from bertkit.tokenizer import WordPieceTokenizer

LABEL = "relevance"  # the one output's name in config.json's id2label


@dataclass
class RerankConfig(FinetuneConfig):
    eval: str = ""  # groups or labeled pairs scored every epoch ("" = none: keep the last model)
    batch_size: int = 16  # rows (labeled pairs, or groups of a positive and its negatives) a step
    max_seq_length: int = 256  # tokens of query + passage, [CLS]/[SEP] included
    lr: float = 2e-5  # peak learning rate of AdamW
    epochs: float = 1.0  # passes over the training set (fractions allowed)
    query_column: str = ""  # "" = query, anchor, question or sentence1
    passage_column: str = ""  # labeled pairs: "" = passage, text, document, context or sentence2
    label_column: str = ""  # labeled pairs: "" = label, score or relevance (0 or 1)
    positive_column: str = "positive"  # groups: the positive; "negative*" columns are negatives

    def columns(self) -> Columns:
        return Columns(
            self.query_column, self.passage_column, self.label_column, self.positive_column
        )

    def task(self) -> "RerankTask":
        return RerankTask(self)


class RerankTask:
    """Rows of (query, candidates, labels); training inputs are the rows, evaluation ranks the
    candidates of each query."""

    name = "rerank"

    def __init__(self, config: RerankConfig):
        self.config = config

    def read_train(self, tokenizer: WordPieceTokenizer) -> Split:
        config = self.config
        rows = read_groups(config.train, config.columns(), config.max_train_examples)
        features = encode_groups(tokenizer, rows.groups, config.max_seq_length)
        return Split(features, rows.groups)

    def read_eval(self, tokenizer: WordPieceTokenizer) -> Split:
        """Each query's candidates; a query with no relevant candidate cannot be scored, and is
        skipped and reported."""
        config = self.config
        if not config.eval:
            return Split([], [])
        rows = read_groups(config.eval, config.columns(), config.max_eval_examples)
        groups = rows.groups if rows.is_listwise else merge_queries(rows.groups)
        kept = [g for g in groups if any(g.labels)]
        skipped = [
            f"{config.eval}:{g.line}: query {g.query[:40]!r} has no relevant passage"
            for g in groups
            if not any(g.labels)
        ]
        if not kept:
            raise BertkitError(f"{config.eval}: no query has a relevant passage (label 1) to rank")
        features = encode_groups(tokenizer, kept, config.max_seq_length)
        return Split(features, kept, skipped)

    def default_metric(self) -> str:
        return "mrr@10"

    def build_model(self) -> CrossEncoder:
        """The pretrained encoder with a fresh one-output classifier."""
        classifier = BertForSequenceClassification.from_pretrained(
            self.config.model, unpad=self.config.unpad, id2label={0: LABEL}
        )
        return CrossEncoder(classifier)

    def load_model(self, path: str | Path) -> CrossEncoder:
        return CrossEncoder(BertForSequenceClassification.from_pretrained(path))

    def collate(self, features: list, pad_id: int) -> dict[str, torch.Tensor]:
        return collate(features, pad_id)

    def units(self, batch: dict[str, torch.Tensor]) -> float:
        return float(batch["labels"].size(0))

    def score(self, model: CrossEncoder, split: Split, pad_id: int) -> tuple[dict, list]:
        """Reranking metrics over the split's queries, and per query its candidates' positions
        ranked by the model (best first) with their scores."""
        scores = group_scores(model, split.features, pad_id, self.config.eval_batch_size)
        ranked, relevant = [], []
        for feature, row_scores in zip(split.features, scores, strict=True):
            ids = [str(j) for j in range(len(row_scores))]
            ranked.append(rank_by_score(ids, row_scores))
            relevant.append({ids[j] for j, label in enumerate(feature.labels) if label > 0})
        predictions = [
            [(int(i), s[int(i)]) for i in order] for order, s in zip(ranked, scores, strict=True)
        ]
        return reranking_metrics(ranked, relevant), predictions


def group_scores(model, features: list, pad_id: int, batch_size: int) -> list[list[float]]:
    """The model's logit for every candidate of every group, group by group."""
    pairs = [
        SimpleNamespace(input_ids=ids, token_type_ids=types)
        for f in features
        for ids, types in zip(f.input_ids, f.token_type_ids, strict=True)
    ]
    logits = torch.empty(len(pairs))
    for indices, out in predict_batches(
        model, pairs, partial(encoder_inputs, pad_id=pad_id), batch_size
    ):
        logits[indices] = out.logits.float().view(-1).cpu()
    flat, start, result = logits.tolist(), 0, []
    for f in features:
        result.append(flat[start : start + len(f.input_ids)])
        start += len(f.input_ids)
    return result
